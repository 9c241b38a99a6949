#!/usr/bin/env python3
"""`kgtool push` into real triple stores, side by side with each store's own bulk loader.

Usage: python bench/bench_push.py [--sizes 10000,100000] [--repeat 3] [--stores oxigraph,virtuoso]
                                  [--protocols gsp,update]

For each size: generates a seeded OpenCitations-Index CSV (bench/gen_oc_csv.py) and converts
it with `kgtool convert --to nt` (cached in bench/data/, git-ignored). For each store, on a
fresh server started as the tests start it (tests/servers.py: `oxigraph serve`, Debian's
`virtuoso-t` with its installed default virtuoso.ini, throwaway database), times:

- push, gsp, replace: into a graph that already holds the same data (the common re-publish;
  a first push into an empty graph is timed once as "first");
- push, update, replace (INSERT DATA chunks; Virtuoso's are capped at 1,000 triples);
- push, gsp, replace with a different file of the same size (seed + 1): every triple changes;
- the store's own bulk loader: `oxigraph load --location DIR --file F --graph G` (server
  stopped), Virtuoso's `ld_dir(...); rdf_loader_run(); checkpoint;` through isql.

During every push a reader polls the target graph's triple count every 0.1 s; the distinct
counts it saw are printed under the table (old -> new is a switch readers could not catch
half-done). Medians of --repeat runs; the machine's 1-minute load average after each step is printed with
the table (the machine is shared: say so when quoting figures). After every
push the graph's triple count is checked by kgtool itself, and no staging graph may remain.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "tests"))

from servers import OxigraphServer, VirtuosoServer, oxigraph_binary, virtuoso_binary  # noqa: E402

from kgtool.push.endpoint import Endpoint  # noqa: E402
from kgtool.push.upload import push_file, temp_graph  # noqa: E402

DATA = HERE / "data"
LOADS: list[float] = []  # the 1-minute load average after each timed run
READERS: list[str] = []  # the distinct triple counts a polling reader saw during each push
GRAPH = "https://example.org/g/bench"


def log(msg: str) -> None:
    print(f"bench: {msg}", file=sys.stderr, flush=True)


def dataset(n: int, seed: int) -> Path:
    nt = DATA / f"push-oc-{n}-s{seed}.nt"
    if not nt.exists():
        DATA.mkdir(parents=True, exist_ok=True)
        csv = DATA / f"push-oc-{n}-s{seed}.csv"
        subprocess.run([sys.executable, str(HERE / "gen_oc_csv.py"), str(n), str(csv), "--seed", str(seed)], check=True)
        subprocess.run([sys.executable, "-m", "kgtool", "-q", "convert", str(csv), "--to", "nt", "--out", str(DATA)],
                       check=True)
    return nt


def timed(fn) -> float:
    t = time.perf_counter()
    fn()
    LOADS.append(os.getloadavg()[0])
    return time.perf_counter() - t


def push(server, layout: str, env: dict, path: Path, protocol: str) -> None:
    """One push, while a reader polls the target graph's triple count every 0.1 s."""
    ep = Endpoint.from_base(server.url, layout, env=env, timeout=3600)
    seen: list[int] = []
    stop = threading.Event()

    def reader() -> None:
        while not stop.wait(0.1):
            try:
                n = server.count(GRAPH)
            except Exception:  # a reader's failure is not the push's
                continue
            if not seen or seen[-1] != n:
                seen.append(n)

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    try:
        r = push_file(path, ep, GRAPH, protocol=protocol)
    finally:
        stop.set()
        thread.join()
    assert r.graph_triples == r.file_triples, r
    assert server.count(temp_graph(GRAPH)) == 0, "staging graph left behind"
    READERS.append(f"{layout} {protocol} {path.name} (switch: {r.switch or '-'}): readers saw "
                   + " -> ".join(f"{n:,}" for n in seen))


def pushes(srv, layout: str, env: dict, paths: tuple[Path, Path], repeat: int,
           protocols: list[str]) -> dict[str, list[float]]:
    """First push into an empty graph, re-pushes of the same file, a push of a different file."""
    path, other = paths
    out: dict[str, list[float]] = {}
    for protocol in protocols:
        if not out:
            out[f"push {protocol} (first)"] = [timed(lambda: push(srv, layout, env, path, protocol))]  # noqa: B023
        out[f"push {protocol}"] = [timed(lambda: push(srv, layout, env, path, protocol))  # noqa: B023
                                   for _ in range(repeat)]
    protocol = protocols[0]
    out[f"push {protocol} (changed)"] = [timed(lambda: push(srv, layout, env, other, protocol))]
    return out


def bench_oxigraph(paths: tuple[Path, Path], repeat: int, work: Path, protocols: list[str]) -> dict[str, list[float]]:
    path = paths[0]
    srv = OxigraphServer(work / "ox-serve").start(timeout=300)
    try:
        out = pushes(srv, "oxigraph", {}, paths, repeat, protocols)
    finally:
        srv.stop()
    loads = []
    for i in range(repeat):
        loc = work / f"ox-load-{i}"
        # timed() calls the lambda at once, within this iteration
        loads.append(timed(lambda: subprocess.run(
            [oxigraph_binary(), "load", "--location", str(loc), "--file", str(path), "--graph", GRAPH],  # noqa: B023
            check=True, capture_output=True)))
        shutil.rmtree(loc, ignore_errors=True)
    out["bulk loader"] = loads
    return out


def bench_virtuoso(paths: tuple[Path, Path], repeat: int, work: Path, protocols: list[str]) -> dict[str, list[float]]:
    path = paths[0]
    loc = work / "virtuoso"
    loc.mkdir()
    srv = VirtuosoServer(loc).start()
    try:
        out = pushes(srv, "virtuoso", srv.env, paths, repeat, protocols)
        shutil.copy(path, loc / path.name)  # the loader reads only from DirsAllowed
        loads = []
        for i in range(repeat):
            g = f"{GRAPH}/bulk-{i}"
            # timed() calls the lambda at once, within this iteration
            loads.append(timed(lambda: srv.isql(
                f"ld_dir('{loc}', '{path.name}', '{g}'); rdf_loader_run(); checkpoint;")))  # noqa: B023
            assert srv.count(g) == sum(1 for _ in open(path, "rb")), "bulk load count"
            srv.isql(f"DELETE FROM DB.DBA.load_list; SPARQL DEFINE sql:log-enable 0 DROP SILENT GRAPH <{g}>;")
        out["bulk loader"] = loads
    finally:
        srv.stop()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10000,100000")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--stores", default="oxigraph,virtuoso")
    ap.add_argument("--protocols", default="gsp,update")
    a = ap.parse_args()
    stores = a.stores.split(",")
    if "virtuoso" in stores and not virtuoso_binary():
        log("virtuoso-t is not installed: skipping Virtuoso")
        stores.remove("virtuoso")
    import pyoxigraph

    version = "-"
    exe = virtuoso_binary()
    if exe:
        v = subprocess.run([exe, "-?"], capture_output=True, text=True)
        version = next((ln for ln in (v.stdout + v.stderr).splitlines() if ln.startswith("Version")), "-")
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, CPython {platform.python_version()}, "
          f"pyoxigraph {pyoxigraph.__version__}; virtuoso-t {version}")
    print(f"medians of {a.repeat} runs (first push: one run); load average at start: {os.getloadavg()}")
    for n in (int(s) for s in a.sizes.split(",")):
        path, other = dataset(n, a.seed), dataset(n, a.seed + 1)
        triples = sum(1 for _ in open(path, "rb"))
        print(f"\n## {n:,} citations ({triples:,} triples, {path.stat().st_size / 1e6:.0f} MB N-Triples)\n")
        print(f"{'store':10} {'step':24} {'median s':>9} {'triples/s':>10}  runs")
        for store in stores:
            log(f"{store}, {n} citations")
            LOADS.clear()
            with tempfile.TemporaryDirectory(prefix="kgtool-bench-push-") as tmp:
                res = (bench_oxigraph if store == "oxigraph" else bench_virtuoso)(
                    (path, other), a.repeat, Path(tmp), a.protocols.split(","))
            for step, runs in res.items():
                m = statistics.median(runs)
                print(f"{store:10} {step:24} {m:9.2f} {triples / m:10,.0f}  {' '.join(f'{r:.2f}' for r in runs)}",
                      flush=True)
            print(f"{store:10} load average (1 min) after each run: {' '.join(f'{x:.1f}' for x in LOADS)}")
            print("\n".join(READERS))
            READERS.clear()
    print(f"\nload average at end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
