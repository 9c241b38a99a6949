"""Benchmark `kgtool site`: time and memory to publish a synthetic graph of hubs and citations.

    python bench/bench_site.py --hubs 200 --citing 50 [--out /tmp/kgtool-bench-site]

Prints the graph size, the seconds per stage and the peak RSS. Targets (2-core machine):
10,000 citations published in under 60 s and under 1 GiB.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from kgtool.map.model import Bundle, Citation, Reception, Share, SourceInfo, Work
from kgtool.pipeline import graph_from_bundles
from kgtool.publish import build_site


def synthetic(hubs: int, citing: int) -> list[Bundle]:
    bundles = []
    for h in range(hubs):
        hub = Work(title=f"Hub paper number {h} on citation graphs", doi=f"10.5555/hub.{h}",
                   abstract="An abstract. " * 20, year=2000 + h % 25)
        cits = tuple(
            Citation(citing=Work(title=f"Citing paper {h}-{i}", year=2010 + i % 15,
                                 summary=f"Summary of citing paper {h}-{i}."),
                     cited=hub, representative=i % 3 == 0, position=i + 1)
            for i in range(citing)
        )
        rec = Reception(work=hub, polarity="mixed", top_role="background", top_role_share=Decimal("0.6"),
                        roles=(Share("background", Decimal("0.6")), Share("method", Decimal("0.4"))),
                        polarities=(Share("supportive", None, 3), Share("neutral", None, 2)))
        src = SourceInfo(name=f"hub-{h}.txt", sha256=f"{h:064x}")
        bundles.append(Bundle(source=src, works=(hub,) + tuple(c.citing for c in cits), citations=cits,
                              receptions=(rec,)))
    return bundles


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--hubs", type=int, default=200)
    ap.add_argument("--citing", type=int, default=50)
    ap.add_argument("--out", default=None)
    a = ap.parse_args()
    out = Path(a.out) if a.out else Path(tempfile.mkdtemp(prefix="kgtool-bench-")) / "site"
    t0 = time.perf_counter()
    graph, _ = graph_from_bundles(synthetic(a.hubs, a.citing), "https://example.org/kg/")
    t1 = time.perf_counter()
    result = build_site(graph, out, "https://example.org/kg/", progress=lambda m: print(m, file=sys.stderr))
    t2 = time.perf_counter()
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"hubs {a.hubs}, citations {a.hubs * a.citing}, triples {len(graph)}, resources {result.resources}")
    print(f"map {t1 - t0:.1f} s, site {t2 - t1:.1f} s ({result.resources / (t2 - t1):.0f} resources/s), "
          f"{result.files} files, {size / 1e6:.1f} MB, peak RSS {rss:.0f} MiB")
    if not a.out:
        shutil.rmtree(out.parent, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
