#!/usr/bin/env python3
"""Generate a seeded, OpenCitations-Index-style CSV of N citations (bench data, not a test).

The shape follows the current Index dump: header ``oci,citing,cited,creation,timespan,
journal_sc,author_sc``; rows grouped by citing work (about 25 references each); cited works drawn
from a pool of N/3 with a heavy-tailed popularity (a few papers are cited very often);
``citing``/``cited`` hold an OMID, usually a DOI and sometimes a PMID (``omid:br/06.. doi:10..``);
about 1 in 10 works has no DOI; a few DOIs carry SICI-style characters (< > ; ( )) that must be
escaped; creation dates of year, month or day precision; time spans, a few negative or empty;
self-citation flags.

    python bench/gen_oc_csv.py 100000 bench/data/oc-100k.csv [--seed 5] [--gzip]
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import random
import sys
from pathlib import Path


def _doi(rng: random.Random, i: int) -> str:
    reg = 1000 + rng.randrange(8999)
    kind = rng.random()
    if kind < 0.02:
        return f"10.{reg}/(sici)1097-{i:06d}(199{i % 10})12:3<{i % 97}::aid-jrs{i}>3.0.co;2-{i % 9}"
    if kind < 0.30:
        return f"10.{reg}/j.{rng.choice(['cell', 'jmb', 'neuron', 'ecolmodel'])}.{2000 + i % 25}.{i:06d}"
    return f"10.{reg}/{rng.choice(['s', 'j', 'a', 'nature', 'pone'])}{i:07d}"


class Works:
    """Deterministic identifiers for work number i (the same i gives the same ids)."""

    def __init__(self, seed: int, pool: int):
        self.seed = seed
        self.pool = pool

    def ids(self, i: int) -> str:
        rng = random.Random(self.seed * 1_000_003 + i)
        parts = [f"omid:br/06{i + 100000:d}"]
        if rng.random() < 0.9:
            parts.append("doi:" + _doi(rng, i))
        if rng.random() < 0.2:
            parts.append(f"pmid:{30000000 + i}")
        return " ".join(parts)

    def date(self, i: int) -> tuple[int, int, int, int]:
        rng = random.Random(self.seed * 7_000_001 + i)
        precision = rng.choices((3, 2, 1), weights=(85, 10, 5))[0]
        # Cited works (the pool) are older than citing works, with a small overlap.
        year = rng.randrange(1950, 2016) if i < self.pool else rng.randrange(2005, 2024)
        return year, rng.randrange(1, 13), rng.randrange(1, 29), precision


def _fmt_date(d: tuple[int, int, int, int]) -> str:
    y, m, day, precision = d
    return (f"{y:04d}", f"{y:04d}-{m:02d}", f"{y:04d}-{m:02d}-{day:02d}")[precision - 1]


def _span(citing: tuple[int, int, int, int], cited: tuple[int, int, int, int]) -> str:
    months = (citing[0] - cited[0]) * 12 + (citing[1] - cited[1])
    sign = "-" if months < 0 else ""
    months = abs(months)
    y, m = divmod(months, 12)
    return f"{sign}P{y}Y{m}M" if m else f"{sign}P{y}Y"


def generate(n: int, out: io.TextIOBase, seed: int = 5) -> None:
    rng = random.Random(seed)
    pool = max(10, n // 3)
    works = Works(seed, pool)
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["oci", "citing", "cited", "creation", "timespan", "journal_sc", "author_sc"])
    written = 0
    citing = pool  # citing works are numbered after the pool of cited works
    while written < n:
        refs = min(n - written, max(1, int(rng.expovariate(1 / 25))))
        cd = works.date(citing)
        citing_ids = works.ids(citing)
        chosen = set()
        for _ in range(refs):
            # Heavy tail: most references go to a small, popular part of the pool.
            j = int(pool * rng.random() ** 2.5)
            while j in chosen:
                j = rng.randrange(pool)
            chosen.add(j)
            dd = works.date(j)
            creation = _fmt_date(cd)
            span = "" if rng.random() < 0.03 else _span(cd, dd)
            w.writerow([
                f"oci:06{citing + 100000}-06{j + 100000}",
                citing_ids,
                works.ids(j),
                "" if rng.random() < 0.01 else creation,
                span,
                "yes" if rng.random() < 0.06 else "no",
                "yes" if rng.random() < 0.04 else "no",
            ])
            written += 1
        citing += 1


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("citations", type=int)
    ap.add_argument("out", type=Path)
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--gzip", action="store_true", help="write gzip (level 6)")
    a = ap.parse_args(argv)
    a.out.parent.mkdir(parents=True, exist_ok=True)
    with open(a.out, "wb") as raw:
        if a.gzip:
            with gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=6, mtime=0) as gz:
                with io.TextIOWrapper(gz, encoding="utf-8", newline="") as fh:
                    generate(a.citations, fh, a.seed)
        else:
            with io.TextIOWrapper(raw, encoding="utf-8", newline="") as fh:
                generate(a.citations, fh, a.seed)
    print(f"wrote {a.citations} citations to {a.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
