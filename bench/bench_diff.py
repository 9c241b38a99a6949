#!/usr/bin/env python3
"""Benchmark: `kgtool diff` on two 1M-citation exports that differ in 1% of their triples.

Not a test. Takes an N-Triples export (default: bench/data/oc-1m.nt, made from
bench/gen_oc_csv.py and `kgtool convert --to nt` when missing), writes beside it a sorted copy
(old) and a copy with every 100th triple replaced by another (new), then measures, each in its
own process, the median of --runs runs:

  diff sorted      kgtool diff old new --output /dev/null     (inputs sorted: grep + sort -c + comm)
  read floor       cat old new > /dev/null                 (the same bytes, just read)
  diff unsorted    kgtool diff on unsorted copies           (adds two external sorts; --runs 1)
  sort floor       LC_ALL=C sort -u of one unsorted copy    (what that costs by itself)

and prints wall time, the ratio to the floor, and the peak RSS of the diff's process tree.

  python bench/bench_diff.py [--nt bench/data/oc-1m.nt] [--runs 3] [--sorted-only]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
KGTOOL = [sys.executable, "-m", "kgtool", "-q"]
C = {**os.environ, "LC_ALL": "C"}


def sh(cmd: list[str], **kw) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, check=True, env=C, **kw)
    return time.perf_counter() - t


def median_time(cmd: list[str], runs: int, **kw) -> float:
    return statistics.median(sh(cmd, **kw) for _ in range(runs))


def peak_rss(cmd: list[str]) -> float:
    """MB: the largest RSS of any process of one run (its own and its waited-for children)."""
    code = ("import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True); "
            "r = [resource.getrusage(w).ru_maxrss for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]; "
            "print(max(r))")
    out = subprocess.run([sys.executable, "-c", code, *cmd], check=True, env=C, capture_output=True, text=True)
    return int(out.stdout.split()[-1]) / 1024


def export(path: Path) -> Path:
    if path.is_file():
        return path
    DATA.mkdir(exist_ok=True)
    csv = DATA / "oc-1m.csv"
    if not csv.is_file():
        sh([sys.executable, str(HERE / "gen_oc_csv.py"), "1000000", str(csv)])
    sh(KGTOOL + ["convert", str(csv), "--to", "nt", "--out", str(DATA)])
    return DATA / "oc-1m.nt"


def one_percent_changed(src: Path, dest: Path) -> int:
    """Every 100th line replaced by a new triple; returns how many."""
    n = 0
    with open(src, "rb") as fin, open(dest, "wb") as out:
        for i, line in enumerate(fin):
            if i % 100 == 50:
                out.write(b'<https://example.org/bench/changed/%d> <http://purl.org/dc/terms/title> "v2" .\n' % i)
                n += 1
            else:
                out.write(line)
    return n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nt", type=Path, default=DATA / "oc-1m.nt")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--sorted-only", action="store_true", help="skip the (slow) unsorted case")
    args = ap.parse_args()
    src = export(args.nt)
    work = src.parent / "diff-bench"
    work.mkdir(exist_ok=True)
    old_u, new_u = work / "old-unsorted.nt", work / "new-unsorted.nt"
    old, new = work / "old.nt", work / "new.nt"
    if not old.is_file():
        os.link(src, old_u) if not old_u.exists() else None
        changed = one_percent_changed(src, new_u)
        sh(["sort", "-u", "-S", "25%", "-T", str(work), "-o", str(old), str(src)])
        sh(["sort", "-u", "-S", "25%", "-T", str(work), "-o", str(new), str(new_u)])
        print(f"prepared: {changed:,} of the lines changed", file=sys.stderr)
    lines = sum(1 for _ in open(old, "rb"))
    size = old.stat().st_size
    print(f"inputs: {lines:,} triples, {size / 1e9:.2f} GB each; load average {os.getloadavg()[0]:.1f} "
          f"(machine shared with other jobs: wall times are noisy)")
    diff = median_time(KGTOOL + ["diff", str(old), str(new), "--output", "/dev/null"], args.runs)
    rss = peak_rss(KGTOOL + ["diff", str(old), str(new), "--output", "/dev/null"])
    floor = median_time(["cat", str(old), str(new)], args.runs, stdout=subprocess.DEVNULL)
    print(f"diff sorted     {diff:7.1f} s   read floor {floor:5.1f} s   ratio {diff / floor:4.1f}x   "
          f"peak RSS {rss:.0f} MB (largest process of the diff)")
    if args.sorted_only:
        return
    t = sh(KGTOOL + ["diff", str(old_u), str(new_u), "--output", "/dev/null"])
    s = sh(["sort", "-u", "-S", "25%", "-T", str(work), "-o", "/dev/null", str(new_u)])
    print(f"diff unsorted   {t:7.1f} s   one sort  {s:5.1f} s   ratio {t / s:4.1f}x   (1 run)")
    print(f"load average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
