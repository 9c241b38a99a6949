"""A small citation graph as kgtool records, and what the shipped queries should answer for it.

The expectations are computed from the records here, in plain Python, never from an engine.
"""

from __future__ import annotations

from decimal import Decimal
from itertools import combinations
from pathlib import Path

from kgtool.map.iris import work_iri
from kgtool.map.mapping import triples
from kgtool.map.model import Bundle, Citation, Reception, Share, SourceInfo, Work
from kgtool.map.resolve import resolve
from kgtool.serialize.export import turtle_text

HUB = Work(title="Graph Stores for Citations", doi="10.1234/hub", year=2010)
A = Work(title="Alpha", doi="10.1234/a", year=2015)
B = Work(title="Beta", doi="10.1234/b", year=2017)
C = Work(title="Gamma", arxiv="1805.01234", year=2018)
D = Work(title="Delta, known by title only", year=2019)
E = Work(title="Epsilon", doi="10.1234/e", year=2020)
F = Work(title="Zeta, no year and no identifier")
WORKS = (HUB, A, B, C, D, E, F)

CITATIONS = (
    Citation(citing=B, cited=HUB, creation="2017-03-01"),
    Citation(citing=C, cited=HUB, creation="2018-05"),
    Citation(citing=D, cited=HUB),  # no date: counted in the citing work's year, 2019
    Citation(citing=E, cited=HUB, creation="2020"),
    Citation(citing=E, cited=B, creation="2020-02-02"),
    Citation(citing=E, cited=C, creation="2020-02-02"),
    Citation(citing=D, cited=B, creation="2019-11-30"),
    Citation(citing=C, cited=A, creation="2018-05"),
    Citation(citing=F, cited=HUB),  # neither a date nor a citing year
)

RECEPTION = Reception(
    work=HUB,
    polarity="supportive",
    top_role="method",
    top_role_share=Decimal("0.5"),
    roles=(Share("method", Decimal("0.5"), 2), Share("background", Decimal("0.25"), 1), Share("comparison", Decimal("0.25"), 1)),
    polarities=(Share("supportive", Decimal("0.75"), 3), Share("neutral", Decimal("0.25"), 1)),
)

SOURCE = SourceInfo(name="tests/citation_records.py", sha256="ab" * 32)


def iri(w: Work) -> str:
    return str(work_iri(w))


def bundle() -> Bundle:
    return Bundle(source=SOURCE, works=WORKS, citations=CITATIONS, receptions=(RECEPTION,))


def graph_triples() -> set:
    return set(triples(resolve([bundle()])))


def write_ttl(path: Path) -> Path:
    path.write_text(turtle_text(graph_triples()), encoding="utf-8")
    return path


# --- expected answers -------------------------------------------------------------------------


def citing(w: Work) -> set[str]:
    return {iri(c.citing) for c in CITATIONS if c.cited == w}


def references(w: Work) -> set[str]:
    return {iri(c.cited) for c in CITATIONS if c.citing == w}


def most_cited() -> list[tuple[str, int]]:
    counts: dict[str, int] = {}
    for c in CITATIONS:
        counts[iri(c.cited)] = counts.get(iri(c.cited), 0) + 1
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def co_citation(least: int) -> set[tuple[str, str, int]]:
    refs: dict[str, set[str]] = {}
    for c in CITATIONS:
        refs.setdefault(iri(c.citing), set()).add(iri(c.cited))
    pairs: dict[tuple[str, str], int] = {}
    for cited in refs.values():
        for a, b in combinations(sorted(cited), 2):
            pairs[(a, b)] = pairs.get((a, b), 0) + 1
    return {(a, b, n) for (a, b), n in pairs.items() if n >= least}


def citations_per_year() -> dict[int | None, int]:
    out: dict[int | None, int] = {}
    for c in CITATIONS:
        year = int(c.creation[:4]) if c.creation else c.citing.year
        out[year] = out.get(year, 0) + 1
    return out


def missing_identifiers() -> set[str]:
    return {iri(w) for w in WORKS if not (w.doi or w.arxiv)}
