#!/usr/bin/env python3
"""`kgtool query` over a file holding one long literal: time against literal length.

Until issue 13, `query` read files with rdflib's parsers, whose time grows with the square of
a literal's length (1M characters: ~7.5 s, 2M: ~30 s). It now reads through kgtool.read.rdfload
(pyoxigraph), which is linear. The reference in the same run is rdflib's own N-Triples parser
(the old reader). Medians of --runs runs; the machine may be shared, so read the ratios
(time per doubling: 2 = linear, 4 = quadratic), not the absolute times.

    python bench/bench_query_literal.py [--runs 3] [--sizes 250000,500000,1000000,2000000]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from rdflib import Graph

from kgtool.read.rdfload import load_files
from kgtool.store.engines import GraphEngine
from kgtool.store.query import render_result


def _kgtool_query(path: Path) -> None:
    result = GraphEngine(load_files([path])).query("SELECT ?o WHERE { ?s ?p ?o }")
    render_result(result, "table")


def _rdflib_parse(path: Path) -> None:
    Graph().parse(path, format="nt")


def _median(fn, path: Path, runs: int) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn(path)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--sizes", default="250000,500000,1000000,2000000")
    ap.add_argument("--no-reference", action="store_true", help="skip rdflib (slow at the larger sizes)")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"{'chars':>9} {'kgtool query s':>15} {'x per doubling':>15} {'rdflib parse s':>15} {'x per doubling':>15}")
    prev: tuple[float, float] | None = None
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            path = Path(tmp, "lit.nt")
            path.write_text('<http://a.example/s> <http://a.example/p> "' + "a\\n" * (n // 3) + '" .\n')
            new = _median(_kgtool_query, path, args.runs)
            ref = float("nan") if args.no_reference else _median(_rdflib_parse, path, args.runs)
            ratios = ("", "") if prev is None else (f"{new / prev[0]:.1f}", f"{ref / prev[1]:.1f}")
            print(f"{n:>9} {new:>15.3f} {ratios[0]:>15} {ref:>15.3f} {ratios[1]:>15}")
            prev = (new, ref)


if __name__ == "__main__":
    main()
