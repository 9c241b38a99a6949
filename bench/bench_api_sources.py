#!/usr/bin/env python3
"""Benchmark: parse, resolve and map API-sized citation sets (no network).

Generates an OpenCitations CSV dump of N citations (v2-style ids: omid + DOI) and a Semantic
Scholar citations page of N edges with intents and contexts, then times each stage and reports
peak memory. Usage: python bench/bench_api_sources.py [--rows 50000] [--validate]
Targets (2-core machine): 50k OpenCitations rows + 50k S2 edges parsed, resolved and mapped in
< 30 s and < 1 GiB. SHACL validation is measured separately (--validate, use small N).
"""

from __future__ import annotations

import argparse
import resource
import time

from kgtool.map.mapping import triples
from kgtool.map.model import Bundle, SourceInfo
from kgtool.map.resolve import resolve
from kgtool.read.sources import opencitations, semanticscholar


def oc_csv(n: int) -> str:
    lines = ["oci,citing,cited,creation,timespan,journal_sc,author_sc"]
    for i in range(n):
        citing, cited = i % (n // 10 + 1), n + i % 997
        lines.append(
            f"06{citing}-06{cited},omid:br/06{citing} doi:10.5555/bench.{citing},"
            f"omid:br/06{cited} doi:10.5555/bench.{cited},2020-0{1 + i % 9},P{i % 30}Y{i % 12}M,"
            f"{'yes' if i % 7 == 0 else 'no'},{'yes' if i % 11 == 0 else 'no'}"
        )
    return "\n".join(lines) + "\n"


def s2_page(n: int) -> dict:
    intents = (["background"], ["methodology"], ["result", "background"], [])
    return {"offset": 0, "data": [
        {"contexts": [f"context {i} cites [1]."], "intents": intents[i % 4], "isInfluential": i % 5 == 0,
         "citingPaper": {"paperId": f"{i:040x}", "externalIds": {"DOI": f"10.5555/S2.{i}"}, "title": f"Paper {i}",
                         "year": 2020, "authors": [{"authorId": "1", "name": "A. Author"}]}}
        for i in range(n)]}


def stage(name: str, fn):
    t = time.perf_counter()
    out = fn()
    print(f"{name:<34} {time.perf_counter() - t:7.2f} s")
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=50_000)
    ap.add_argument("--validate", action="store_true", help="also run SHACL validation (slow for large N)")
    args = ap.parse_args()
    n = args.rows
    text = oc_csv(n)
    cites, notes = stage(f"opencitations: parse {n} CSV rows", lambda: opencitations.parse_csv(text, "bench.csv"))
    root = semanticscholar.parse_paper(
        {"paperId": "f" * 40, "externalIds": {"DOI": "10.5555/bench.0"}, "title": "Root"}, "r"
    )
    page = s2_page(n)
    s2c, _, _ = stage(
        f"semanticscholar: parse {n} edges", lambda: semanticscholar.parse_edges_page(page, root, "citations", "p")
    )
    bundles = [Bundle(SourceInfo("oc", "1" * 64), citations=tuple(cites), notes=tuple(notes)),
               Bundle(SourceInfo("s2", "2" * 64), works=(root,), citations=tuple(s2c))]
    resolved = stage("resolve (one node per paper)", lambda: resolve(bundles))
    count = stage("map to triples", lambda: sum(1 for _ in triples(resolved)))
    print(f"{len(resolved.works)} works, {len(resolved.citations)} citations, {count} triples")
    if args.validate:
        from kgtool.pipeline import build_graph

        stage("map + validate (pySHACL)", lambda: build_graph(bundles, out_dir=None))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory {peak:.0f} MiB")


if __name__ == "__main__":
    main()
