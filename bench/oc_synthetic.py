"""A seeded, OpenCitations-style citation graph built through kgtool's own records and mapping.

Works carry DOIs (a few only an arXiv id or only a title), publication years and titles;
citations carry an OCI, a creation date, a timespan and the self-citation flags, as COCI
rows do. The most-cited works get a hub reception (role and polarity distributions).
"""

from __future__ import annotations

import itertools
import random
from decimal import Decimal
from pathlib import Path

from kgtool.map.mapping import triples
from kgtool.map.model import Bundle, Citation, Reception, Share, SourceInfo, Work
from kgtool.map.resolve import resolve
from kgtool.map.vocab import POLARITIES, ROLES
from kgtool.serialize.export import turtle_text

WORDS = (
    "citation graph scholarly network analysis open data metadata linked semantic "
    "bibliometric index coupling retrieval ontology knowledge provenance streaming"
).split()


def _work(rng: random.Random, i: int) -> Work:
    year = rng.randint(1990, 2024)
    title = " ".join(rng.choice(WORDS) for _ in range(5)).capitalize() + f" {i}"
    kind = rng.random()
    if kind < 0.02:  # known only by title: the "missing identifiers" query finds these
        return Work(title=title, year=year)
    if kind < 0.04:
        return Work(title=title, arxiv=f"{year % 100:02d}{rng.randint(1, 12):02d}.{i:05d}", year=year)
    return Work(title=title, doi=f"10.{1000 + i % 500}/syn.{i}", year=year)


def _creation(rng: random.Random, year: int) -> str:
    r = rng.random()
    if r < 0.1:
        return f"{year:04d}"
    if r < 0.3:
        return f"{year:04d}-{rng.randint(1, 12):02d}"
    return f"{year:04d}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"


def _shares(rng: random.Random, labels: list[str]) -> tuple[Share, ...]:
    counts = {label: rng.randint(1, 40) for label in labels}
    total = sum(counts.values())
    return tuple(
        Share(label, (Decimal(n) / Decimal(total)).quantize(Decimal("0.01")), n) for label, n in counts.items()
    )


def bundle(n_citations: int, seed: int = 42) -> Bundle:
    """Records of ``n_citations`` distinct citations among n_citations/5 works."""
    rng = random.Random(seed)
    n_works = max(20, n_citations // 5)
    works = [_work(rng, i) for i in range(n_works)]
    # Preferential attachment: a few works collect most citations, as in real data.
    weights = [1.0 / (k + 1) ** 0.8 for k in range(n_works)]
    rng.shuffle(weights)
    cum = list(itertools.accumulate(weights))
    seen: set[tuple[int, int]] = set()
    citations = []
    while len(citations) < n_citations:
        a = rng.randrange(n_works)
        b = rng.choices(range(n_works), cum_weights=cum)[0]
        if a == b or (a, b) in seen:
            continue
        seen.add((a, b))
        citing, cited = works[a], works[b]
        span = (citing.year or 0) - (cited.year or 0)
        citations.append(
            Citation(
                citing=citing,
                cited=cited,
                creation=_creation(rng, citing.year) if rng.random() < 0.9 else None,
                timespan=(f"P{span}Y{rng.randint(0, 11)}M" if span >= 0 else f"-P{-span}Y")
                if rng.random() < 0.8
                else None,
                author_self=rng.random() < 0.05,
                journal_self=rng.random() < 0.08,
                oci=f"0{1000 + a}-0{1000 + b}",
            )
        )
    cited_count: dict[int, int] = {}
    for _a, b in seen:
        cited_count[b] = cited_count.get(b, 0) + 1
    hubs = sorted(cited_count, key=lambda k: (-cited_count[k], k))[:5]
    receptions = []
    for h in hubs:
        roles = _shares(rng, rng.sample(sorted(ROLES), 4))
        pols = _shares(rng, rng.sample(list(POLARITIES), 3))
        top = max(roles, key=lambda s: (s.share, s.label))
        receptions.append(
            Reception(
                work=works[h],
                polarity=max(pols, key=lambda s: (s.share, s.label)).label,
                top_role=top.label,
                top_role_share=top.share,
                roles=roles,
                polarities=pols,
            )
        )
    source = SourceInfo(name=f"synthetic-oc-{n_citations}-seed{seed}", sha256=f"{seed:064x}", media_type="text/csv")
    return Bundle(source=source, works=tuple(works), citations=tuple(citations), receptions=tuple(receptions))


def write_turtle(n_citations: int, path: Path, seed: int = 42) -> int:
    """Write the graph as kgtool's deterministic Turtle; returns the number of triples."""
    ts = set(triples(resolve([bundle(n_citations, seed)])))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    tmp.write_text(turtle_text(ts), encoding="utf-8")
    tmp.replace(path)
    return len(ts)


def query_params(n_citations: int, seed: int = 42) -> dict[str, dict[str, str]]:
    """Parameters for the shipped queries: the most-cited work, and the work with most references."""
    from kgtool.map.iris import work_iri

    b = bundle(n_citations, seed)
    cited: dict = {}
    refs: dict = {}
    for c in b.citations:
        cited[c.cited] = cited.get(c.cited, 0) + 1
        refs[c.citing] = refs.get(c.citing, 0) + 1
    hub = max(cited, key=lambda w: (cited[w], str(work_iri(w))))
    citing = max(refs, key=lambda w: (refs[w], str(work_iri(w))))
    return {
        "citing-works": {"work": str(work_iri(hub))},
        "references": {"work": str(work_iri(citing))},
        "reception": {"hub": str(work_iri(hub))},
    }
