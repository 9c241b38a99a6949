"""Enrich works known only by title (hub pages) from scholarly APIs, never by guessing.

Acceptance rule, per source: the source is searched for the title; each candidate gets a score,
the similarity of the two normalized titles (identifiers.normalize_title: no case, accents,
LaTeX or punctuation), 1.0 when they are equal and otherwise difflib's ratio rounded down to
three places (never 1.0). The work is matched when at least one candidate scores at or above
the threshold (default 1.0: the normalized titles must be equal) and all such candidates are
one and the same record; more than one -> ambiguous; none -> no match. Across sources: if any
source is ambiguous the work is ambiguous; the sources that match must agree on the DOI and
arXiv id, or the work is left as it was (conflict).
A matched work gets the record's DOI, arXiv id, year, authors, venue and ids, keeps its own
title, and a kg:TitleMatch per source records the score and the title matched.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from difflib import SequenceMatcher

from ..errors import UsageError
from ..read.http import HttpClient, HttpSettings, Progress, quiet, source_info
from ..read.sources.registry import searchable
from .identifiers import normalize_title
from .model import Bundle, TitleMatch, Work
from .resolve import merge_works

DEFAULT_THRESHOLD = Decimal("1")


def title_score(query: str, candidate: str) -> Decimal:
    """Similarity of two titles after normalization, in [0, 1]; 1 only when they are equal."""
    a, b = normalize_title(query), normalize_title(candidate)
    if not a or not b:
        return Decimal(0)
    if a == b:
        return Decimal(1)
    ratio = SequenceMatcher(None, a, b, autojunk=False).ratio()
    return min(Decimal(math.floor(ratio * 1000)) / 1000, Decimal("0.999"))


def _identity(w: Work) -> tuple[str, str]:
    if w.doi:
        return ("doi", w.doi)
    if w.arxiv:
        return ("arxiv", w.arxiv)
    if w.extra_ids:
        return w.extra_ids[0]
    return ("title", normalize_title(w.title or ""))


@dataclass(frozen=True)
class Decision:
    """What one source's candidates say about one title."""

    status: str  # "matched", "no match" or "ambiguous"
    work: Work | None = None  # the matched record
    score: Decimal | None = None  # the matched (or best) score
    matched_title: str | None = None
    detail: str = ""


def decide(title: str, candidates: Iterable[Work], threshold: Decimal = DEFAULT_THRESHOLD) -> Decision:
    """Apply the acceptance rule to one source's candidates for a title."""
    scored = sorted(
        ((title_score(title, c.title), i, c) for i, c in enumerate(candidates) if c.title),
        key=lambda t: (-t[0], t[1]),
    )
    if not scored:
        return Decision("no match", detail="no candidates")
    eligible = [(s, c) for s, _, c in scored if s >= threshold]
    if not eligible:
        best, _, c = scored[0]
        return Decision(
            "no match", score=best, matched_title=c.title, detail=f"best candidate scored {best}: {c.title!r}"
        )
    ids = list(dict.fromkeys(_identity(c) for _, c in eligible))
    if len(ids) > 1:
        shown = ", ".join(f"{s}:{v}" for s, v in ids[:4])
        return Decision("ambiguous", score=eligible[0][0], detail=f"{len(ids)} different records match ({shown})")
    s, c = eligible[0]
    return Decision("matched", work=c, score=s, matched_title=c.title)


@dataclass(frozen=True)
class Outcome:
    """What enrichment did for one title."""

    title: str
    status: str  # "matched", "no match", "ambiguous" or "conflict"
    decisions: tuple[tuple[str, Decision], ...]  # (source, decision) in the order asked
    work: Work | None = None  # the enriched work, when matched
    detail: str = ""

    def describe(self) -> str:
        parts = [self.detail] if self.detail else []
        for name, d in self.decisions:
            if d.status == "matched":
                parts.append(f"{name}: matched (score {d.score})")
            else:
                parts.append(f"{name}: {d.status}" + (f", {d.detail}" if d.detail else ""))
        return f"{self.title!r}: {self.status} ({'; '.join(parts)})"


@dataclass
class EnrichResult:
    """Bundles to add to the build (one per matching answer) and an outcome per title."""

    bundles: list[Bundle] = field(default_factory=list)
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def notes(self) -> list[str]:
        """Titles left as they were, for the user to see."""
        return [f"enrich: {o.describe()}; left as it was" for o in self.outcomes if o.status != "matched"]

    def summary(self) -> str:
        counts: dict[str, int] = {}
        for o in self.outcomes:
            counts[o.status] = counts.get(o.status, 0) + 1
        parts = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
        return f"enriched {counts.get('matched', 0)} of {len(self.outcomes)} title-only works ({parts or 'none'})"


def title_only_works(bundles: Iterable[Bundle]) -> list[str]:
    """Distinct titles (first spelling) of works known only by title (no identifier at all)."""
    seen: dict[str, str] = {}
    for b in bundles:
        works = list(b.works) + [w for c in b.citations for w in (c.citing, c.cited)] + [r.work for r in b.receptions]
        for w in works:
            if w.title and not (w.doi or w.arxiv or w.extra_ids):
                key = normalize_title(w.title)
                if key:
                    seen.setdefault(key, w.title)
    return list(seen.values())


def parse_sources(spec: str | Iterable[str]) -> list[str]:
    names = [n.strip() for n in (spec.split(",") if isinstance(spec, str) else spec) if n.strip()]
    if not names:
        raise UsageError("--enrich needs one or more sources, e.g. --enrich openalex,s2")
    return list(dict.fromkeys(searchable(n).NAME for n in names))


def enrich(
    bundles: Iterable[Bundle],
    sources: str | Iterable[str],
    *,
    threshold: Decimal = DEFAULT_THRESHOLD,
    http: HttpSettings | None = None,
    progress: Progress = quiet,
) -> EnrichResult:
    """Look up every title-only work of the bundles in each source and apply the rule."""
    if not (Decimal(0) < threshold <= Decimal(1)):
        raise UsageError(f"the match threshold must be in (0, 1], got {threshold}")
    names = parse_sources(sources)
    modules = [searchable(n) for n in names]
    titles = title_only_works(bundles)
    result = EnrichResult()
    with HttpClient(http, progress) as client:
        for i, title in enumerate(titles, start=1):
            decisions, responses = [], {}
            for m in modules:
                candidates, resp = m.search_title(client, title)
                decisions.append((m.NAME, decide(title, candidates, threshold)))
                responses[m.NAME] = resp
            outcome = _combine(title, decisions)
            result.outcomes.append(outcome)
            progress(f"enrich {i}/{len(titles)}: {outcome.describe()}")
            if outcome.work is not None:
                for name, d in decisions:
                    if d.status == "matched" and d.score is not None:  # a match always has its score
                        match = TitleMatch(outcome.work, name, d.score, d.matched_title or "")
                        result.bundles.append(
                            Bundle(source=source_info([responses[name]]), works=(outcome.work,), matches=(match,))
                        )
    progress(result.summary())
    return result


def _combine(title: str, decisions: list[tuple[str, Decision]]) -> Outcome:
    if any(d.status == "ambiguous" for _, d in decisions):
        # One source knowing several works of this title makes any single answer a guess.
        return Outcome(title, "ambiguous", tuple(decisions))
    matched = [d.work for _, d in decisions if d.status == "matched" and d.work is not None]
    if not matched:
        return Outcome(title, "no match", tuple(decisions))
    for attr in ("doi", "arxiv"):
        values = {getattr(w, attr) for w in matched if getattr(w, attr)}
        if len(values) > 1:
            detail = f"the sources disagree on the {attr}: {', '.join(sorted(values))}"
            return Outcome(title, "conflict", tuple(decisions), detail=detail)
    work = Work(title=title)
    for w in matched:
        work = merge_works(work, w)
    return Outcome(title, "matched", tuple(decisions), work)
