#!/usr/bin/env python3
"""Benchmark: kgtool's streaming convert/validate against the naive rdflib path, same data, same run.

Not a test. For each size it generates (once, seeded) an OpenCitations-style CSV under
bench/data/, then measures, each in its own process:

  convert   kgtool convert oc-N.csv --to nt          (streaming, worker processes)
  naive     the build path: records -> rdflib Graph (kgtool's mapping) -> Graph.serialize(nt)
  validate  kgtool validate on convert's output     (shapes compiled to SQL, run by DuckDB)
  writer    a plain writer of the same lines         (the reference for validate's time)
  pyshacl   pySHACL on the whole graph               (kgtool validate --engine pyshacl)

Each step's input is read once just before it, so that every step starts with it in the page cache.

and prints wall time, the CPU time of the whole process tree, triples/s and peak memory: the
largest RSS of any one process (sampled every 50 ms) and the peak of the whole process tree's PSS
(shared pages counted once; every 0.2 s), with the load average when the step ended (other
programs on the machine slow the wall times; CPU times are steadier). The naive paths are slow:
by default rdflib runs up to 100k citations and pySHACL up to 10k; larger sizes are extrapolated
linearly from the largest measured one (marked ~; pySHACL grows faster than linearly, so its
extrapolations are lower bounds).

  python bench/run_bench.py                       # 10k, 100k, 1M
  python bench/run_bench.py --sizes 10000 --naive-max 10000 --differential 2000
  python bench/run_bench.py --differential 100000 # also: DuckDB engine == pySHACL at 100k
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATA = HERE / "data"
KGTOOL = [sys.executable, "-m", "kgtool"]

WRITER = r"""
import sys
with open(sys.argv[1], encoding="utf-8") as src, open(sys.argv[2], "w", encoding="utf-8") as out:
    for line in src:
        out.write(line)
"""

NAIVE = r"""
import hashlib, sys, io
from pathlib import Path
from kgtool.map.model import Bundle, SourceInfo
from kgtool.pipeline import graph_from_bundles
from kgtool.read.sources.opencitations import iter_csv
path, out = Path(sys.argv[1]), sys.argv[2]
with open(path, encoding="utf-8", newline="") as fh:
    cits = tuple(c for c, _ in iter_csv(fh, str(path)))
src = SourceInfo(path.name, hashlib.sha256(path.read_bytes()).hexdigest(), "text/csv")
g, _ = graph_from_bundles([Bundle(src, citations=cits)])
g.serialize(out, format="nt")
print(len(g))
"""

DIFFERENTIAL = r"""
import collections, hashlib, os, sys, time, json
sys.path.insert(0, sys.argv[3])
cache = sys.argv[4] if len(sys.argv) > 4 else ""
from planted import planted_graph
from rdflib import Graph
from kgtool.validate.shacl import load_shapes, validate_graph
from kgtool.validate.sql import validate_files
import rdflib
n, path = int(sys.argv[1]), sys.argv[2]
text, names = planted_graph(n, seed=17, copies=3)
open(path, "w", encoding="utf-8").write(text)
shapes = load_shapes()
t = time.time(); mine = validate_files([path], shapes, collect=True); t_mine = time.time() - t
def key(r):
    node = lambda x: (x if x is None or ":" in x or x.startswith(('"', "-")) or x[:1].isdigit()
                      or x in ("true", "false") else "_:b")
    return (r.severity, node(r.focus), r.path, node(r.value), r.shape, r.component, r.message)
# pySHACL's results are kept in the cache file (keyed by size and planted text), so that a
# changed engine can be checked again without the long pySHACL run.
digest = hashlib.sha256(text.encode()).hexdigest()
saved = json.load(open(cache)) if cache and os.path.exists(cache) else None
if saved and saved["n"] == n and saved["sha256"] == digest:
    a, t_ref = collections.Counter({tuple(k): v for k, v in saved["results"]}), saved["pyshacl_s"]
else:
    rdflib.NORMALIZE_LITERALS = False  # terms as written: "01" and "1" are two values
    t = time.time(); ref = validate_graph(Graph().parse(data=text, format="nt"), shapes); t_ref = time.time() - t
    a = collections.Counter(map(key, ref.results))
    if cache:
        json.dump({"n": n, "sha256": digest, "pyshacl_s": round(t_ref, 1),
                   "results": sorted(([list(k), v] for k, v in a.items()), key=repr)}, open(cache, "w"))
b = collections.Counter(map(key, mine.results))
# pySHACL takes an ill-formed xsd:gYear ("20x9") for well-formed: the one known departure.
gyear = lambda c: collections.Counter({k: v for k, v in c.items() if not (k[3] or "").endswith("^^xsd:gYear")})
a_all, b_all = a, b
a, b = gyear(a), gyear(b)
print(json.dumps({"triples": text.count("\n"), "cases": len(names), "results": sum(a.values()),
                  "same": a == b, "differences": sum(((a - b) + (b - a)).values()),
                  "stream_s": round(t_mine, 1), "pyshacl_s": round(t_ref, 1)}))
"""


def _tree(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            with open(f"/proc/{p}/task/{p}/children") as fh:
                todo.extend(int(c) for c in fh.read().split())
        except OSError:
            pass
    return out


_PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024


def _rss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm") as fh:
            return int(fh.read().split()[1]) * _PAGE_KB
    except (OSError, IndexError, ValueError):
        return 0


def _mem(pid: int) -> tuple[int, int]:
    """(RSS, PSS) in kB of one process."""
    rss = pss = 0
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            for line in fh:
                if line.startswith("Rss:"):
                    rss = int(line.split()[1])
                elif line.startswith("Pss:"):
                    pss = int(line.split()[1])
    except OSError:
        pass
    return rss, pss


def measure(cmd: list[str], **kw) -> dict:
    """Run cmd; wall time, the largest single-process RSS and the peak PSS of its process tree."""
    start = time.monotonic()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)
    max_rss = max_pss = 0
    tick = 0
    while proc.poll() is None:
        # RSS from statm is cheap; PSS needs smaps_rollup, which walks the page tables and slows
        # a large process down if read too often: every 0.2 s.
        tree = _tree(proc.pid)
        for p in tree:
            max_rss = max(max_rss, _rss(p))
        if tick % 4 == 0:
            max_pss = max(max_pss, sum(_mem(p)[1] for p in tree))
        tick += 1
        time.sleep(0.05)
    out, err = proc.communicate()
    wall = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)  # the whole tree
    if proc.returncode not in (0, 1):
        raise SystemExit(f"failed ({proc.returncode}): {' '.join(cmd)}\n{err[-2000:]}")
    return {"wall": wall, "cpu": cpu, "rss_mb": max_rss / 1024, "pss_mb": max_pss / 1024, "stdout": out,
            "stderr": err, "code": proc.returncode, "load": os.getloadavg()[0]}


def warm(*paths: Path) -> None:
    """Read the inputs once, so that every step starts with them in the page cache (this VM's disk
    reads at ~60 MB/s: a cold 1.5 GB input would add ~25 s that no tool can help)."""
    for path in paths:
        for f in sorted(path.rglob("*")) if path.is_dir() else [path]:
            if f.is_file():
                with open(f, "rb") as fh:
                    while fh.read(1 << 24):
                        pass


def ensure_data(n: int) -> Path:
    path = DATA / f"oc-{n}.csv"
    if not path.exists():
        subprocess.run([sys.executable, str(HERE / "gen_oc_csv.py"), str(n), str(path)], check=True)
    return path


def count_lines(path: Path) -> int:
    with open(path, "rb") as fh:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: fh.read(1 << 24), b""))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    ap.add_argument("--naive-max", type=int, default=100_000, help="largest size for the naive rdflib convert")
    ap.add_argument("--pyshacl-max", type=int, default=10_000,
                    help="largest size for pySHACL (it takes about 2 minutes at 10k citations)")
    ap.add_argument("--no-validate", action="store_true")
    ap.add_argument("--reuse-convert", action="store_true",
                    help="validate the output of an earlier convert run when there is one (convert not measured)")
    ap.add_argument("--repeat", type=int, default=1,
                    help="run the validate step (DuckDB and the plain writer) this many times; medians are printed")
    ap.add_argument("--differential", type=int, default=0,
                    help="also check the streaming validator against pySHACL on a planted graph of N citations")
    ap.add_argument("--pyshacl-cache", type=Path, default=None,
                    help="keep pySHACL's differential results in this JSON file and reuse them when present")
    ap.add_argument("--compare-with", type=Path, default=None, metavar="DIR",
                    help="also run validate with the kgtool of this checkout (e.g. `git archive` of an older "
                         "commit), in the same rounds")
    ap.add_argument("--json", type=Path, default=None, help="also write the figures as JSON here")
    a = ap.parse_args(argv)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    rows = []
    for n in a.sizes:
        csv = ensure_data(n)
        out = DATA / f"out-{n}"
        nt = out / "oc.nt"
        if not (a.reuse_convert and nt.exists()):
            warm(csv)
            r = measure([*KGTOOL, "-q", "convert", str(csv), "--to", "nt", "--out", str(out), "--name", "oc"], env=env)
            rows.append({"size": n, "step": "convert", "tool": "kgtool", "triples": count_lines(nt), **r})
        triples = count_lines(nt)
        if n <= a.naive_max:
            warm(csv)
            r = measure([sys.executable, "-c", NAIVE, str(csv), str(DATA / f"naive-{n}.nt")], env=env)
            rows.append({"size": n, "step": "convert", "tool": "naive rdflib", "triples": triples, **r})
        if not a.no_validate:
            rows.extend(_validate_rounds(a, n, out, nt, triples, env))
            if n <= a.pyshacl_max:
                warm(nt)
                r = measure([*KGTOOL, "-q", "validate", str(nt), "--engine", "pyshacl"], env=env)
                rows.append({"size": n, "step": "validate", "tool": "pySHACL", "triples": triples, **r})
    _extrapolate(rows, a.sizes)
    _print(rows)
    diff = None
    if a.differential:
        r = measure([sys.executable, "-c", DIFFERENTIAL, str(a.differential), str(DATA / "planted.nt"),
                     str(ROOT / "tests"), str(a.pyshacl_cache or "")], env=env)
        diff = json.loads(r["stdout"].strip().splitlines()[-1])
        print(f"\ndifferential, {a.differential:,} citations with planted violations ({diff['triples']:,} triples, "
              f"{diff['cases']} kinds x3): {diff['results']:,} results; DuckDB engine "
              f"{'==' if diff['same'] else '!='} pySHACL ({diff['differences']} differences); "
              f"duckdb {diff['stream_s']} s, pySHACL {diff['pyshacl_s']} s")
    if a.json:
        a.json.write_text(json.dumps({"rows": [{k: v for k, v in r.items() if k not in ("stdout", "stderr")}
                                               for r in rows], "differential": diff}, indent=2))
    return 0


def _validate_rounds(a: argparse.Namespace, n: int, out: Path, nt: Path, triples: int, env: dict) -> list[dict]:
    """Rows of the medians of ``a.repeat`` alternating rounds: validate, the plain writer (and
    validate with the ``--compare-with`` checkout)."""
    validate = [*KGTOOL, "-q", "validate", str(out), "--engine", "duckdb"]
    mine: list[dict] = []
    writer: list[dict] = []
    other: list[dict] = []
    for _ in range(a.repeat):
        if a.compare_with:
            warm(out)
            other.append(measure(validate, env={**os.environ, "PYTHONPATH": str(a.compare_with)}, cwd=a.compare_with))
        warm(out)
        mine.append(measure(validate, env=env))
        warm(nt)
        writer.append(measure([sys.executable, "-c", WRITER, str(nt), str(DATA / f"writer-{n}.nt")], env=env))
        if a.repeat > 1:
            print(f"  {n:,}: validate {mine[-1]['wall']:.1f} s ({mine[-1]['cpu']:.1f} s CPU, "
                  f"{mine[-1]['rss_mb']:.0f} MB), writer {writer[-1]['wall']:.1f} s "
                  f"({writer[-1]['cpu']:.1f} s CPU), load {mine[-1]['load']:.1f}"
                  + (f"; compared {other[-1]['wall']:.1f} s ({other[-1]['cpu']:.1f} s CPU)" if other else ""),
                  flush=True)
    rows = [{"size": n, "step": "validate", "tool": "kgtool", "triples": triples, **_median(mine)},
            {"size": n, "step": "validate", "tool": "plain writer", "triples": triples, **_median(writer)}]
    if other:
        rows.append({"size": n, "step": "validate", "tool": "compared", "triples": triples, **_median(other)})
    return rows


def _median(runs: list[dict]) -> dict:
    """The run of median wall time (its own CPU, memory and load)."""
    return sorted(runs, key=lambda r: r["wall"])[len(runs) // 2]


def _extrapolate(rows: list[dict], sizes: list[int]) -> None:
    """Naive rows for sizes not measured, linear from the largest measured size."""
    for step, tool in (("convert", "naive rdflib"), ("validate", "pySHACL")):
        measured = [r for r in rows if r["step"] == step and r["tool"] == tool]
        if not measured:
            continue
        base = max(measured, key=lambda r: r["size"])
        for n in sizes:
            if any(r["size"] == n for r in measured):
                continue
            ours = next((r for r in rows if r["size"] == n and r["step"] == step and r["tool"] == "kgtool"), None)
            if ours is None:
                continue
            k = n / base["size"]
            rows.append({"size": n, "step": step, "tool": tool, "triples": ours["triples"], "wall": base["wall"] * k,
                         "cpu": base["cpu"] * k, "rss_mb": base["rss_mb"] * k, "pss_mb": base["pss_mb"] * k,
                         "load": base["load"], "extrapolated": True})


def _print(rows: list[dict]) -> None:
    print(f"{'citations':>10} {'step':8} {'tool':13} {'triples':>10} {'wall s':>8} {'CPU s':>7} {'triples/s':>10} "
          f"{'max RSS MB':>10} {'tree PSS MB':>11} {'load':>4}  ratio")
    rows.sort(key=lambda r: (r["step"] != "convert", r["size"], r["tool"] != "kgtool"))
    for r in rows:
        ours = next(x for x in rows if x["size"] == r["size"] and x["step"] == r["step"] and x["tool"] == "kgtool")
        ratio = (
            "" if r is ours else f"{r['wall'] / ours['wall']:.1f}x slower, {r['pss_mb'] / ours['pss_mb']:.1f}x memory"
        )
        mark = "~" if r.get("extrapolated") else " "
        print(f"{r['size']:>10,} {r['step']:8} {r['tool']:13} {r['triples']:>10,} {mark}{r['wall']:>7.1f} "
              f"{mark}{r['cpu']:>6.1f} {r['triples'] / r['wall']:>10,.0f} {mark}{r['rss_mb']:>9.0f} "
              f"{mark}{r['pss_mb']:>10.0f} {r['load']:>4.1f}  {ratio}")
    for step in ("convert", "validate"):
        mine = sorted((r for r in rows if r["step"] == step and r["tool"] == "kgtool"), key=lambda r: r["size"])
        for a, b in zip(mine, mine[1:]):
            print(f"{step} growth {a['size']:,} -> {b['size']:,} citations: x{b['size'] / a['size']:.0f} data, "
                  f"x{b['wall'] / a['wall']:.1f} time, x{b['pss_mb'] / a['pss_mb']:.1f} memory")


if __name__ == "__main__":
    sys.exit(main())
