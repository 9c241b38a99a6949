#!/usr/bin/env python3
"""Generate a seeded OpenAlex-works-snapshot-style JSON Lines file of N works (bench data, not a test).

Each work has an OpenAlex id ``W<10^9 + i>`` (in shuffled order, as in a snapshot partition),
a DOI for about 70 % of them, a PMID for 20 %, an arXiv landing page for 3 %, three authors,
a venue, a short abstract (inverted index) and about 20 ``referenced_works`` drawn heavy-tailed
from ids 0..2N: about half of the cited works have their own record in the file (those with a
DOI join it), the rest are not in the dump.

    python bench/gen_openalex_jsonl.py 100000 bench/data/oa-100k.jsonl [--seed 5] [--gzip]
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
from pathlib import Path

WORDS = "graph citation network model data analysis method result study protein cell brain".split()


def work(i: int, n: int, rng: random.Random) -> dict:
    wid = f"https://openalex.org/W{1_000_000_000 + i}"
    doi = f"https://doi.org/10.{1000 + i % 8999}/j.x.{i:08d}" if rng.random() < 0.7 else None
    ids: dict = {"openalex": wid}
    if rng.random() < 0.2:
        ids["pmid"] = f"https://pubmed.ncbi.nlm.nih.gov/{30_000_000 + i}"
    refs = sorted({min(int(rng.paretovariate(0.6)) * 7 % (2 * n), 2 * n - 1) if rng.random() < 0.3
                   else rng.randrange(2 * n) for _ in range(rng.randrange(5, 36))} - {i})
    words = [rng.choice(WORDS) for _ in range(30)]
    abstract: dict[str, list[int]] = {}
    for pos, w in enumerate(words):
        abstract.setdefault(w, []).append(pos)
    year = rng.randrange(1990, 2025)
    obj = {
        "id": wid, "doi": doi, "title": f"On the {rng.choice(WORDS)} of {rng.choice(WORDS)} {i}",
        "publication_year": year, "publication_date": f"{year}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}",
        "ids": ids,
        "authorships": [{"author": {"id": f"https://openalex.org/A{rng.randrange(10 ** 7)}",
                                    "display_name": f"Author {rng.randrange(10 ** 6)}",
                                    "orcid": f"https://orcid.org/0000-0002-{rng.randrange(1000, 9999)}-000X"
                                    if rng.random() < 0.3 else None}} for _ in range(3)],
        "primary_location": {"source": {"display_name": f"Journal {i % 500}"}},
        "locations": [{"landing_page_url": f"https://arxiv.org/abs/2101.{i % 100000:05d}"}] if rng.random() < 0.03
        else [{"landing_page_url": doi}],
        "abstract_inverted_index": abstract,
        "referenced_works": [f"https://openalex.org/W{1_000_000_000 + r}" for r in refs],
    }
    return obj


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("n", type=int)
    ap.add_argument("out", type=Path)
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--gzip", action="store_true")
    a = ap.parse_args()
    order = list(range(a.n))
    random.Random(a.seed).shuffle(order)
    a.out.parent.mkdir(parents=True, exist_ok=True)
    opener = gzip.open if a.gzip else open
    with opener(a.out, "wt", encoding="utf-8") as fh:
        for i in order:
            fh.write(json.dumps(work(i, a.n, random.Random(a.seed * 1_000_003 + i))) + "\n")


if __name__ == "__main__":
    main()
