"""Merge records from several sources so that one paper is one node.

Works are grouped by their key (DOI, else arXiv id, else title hash). A work known only by
title joins an identified work of the same normalized title when exactly one such work exists
in the same build; otherwise it stays as it is.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Iterable

from .identifiers import normalize_title, work_key
from .model import Bundle, Citation, Reception, SourceInfo, Work


@dataclass(frozen=True)
class Resolved:
    """Merged records, each with the sources it came from, in first-seen order."""

    works: dict[tuple[str, str], tuple[Work, tuple[SourceInfo, ...]]]
    citations: dict[tuple[tuple[str, str], tuple[str, str]], tuple[Citation, tuple[SourceInfo, ...]]]
    receptions: dict[tuple[str, str], tuple[Reception, tuple[SourceInfo, ...]]]
    sources: tuple[SourceInfo, ...]
    notes: tuple[str, ...]


def merge_works(a: Work, b: Work) -> Work:
    """Fill a's empty fields from b; tuples are united in order."""
    changes = {}
    for f in fields(Work):
        va, vb = getattr(a, f.name), getattr(b, f.name)
        if isinstance(va, tuple):
            merged = tuple(dict.fromkeys(va + vb))
            if merged != va:
                changes[f.name] = merged
        elif va is None and vb is not None:
            changes[f.name] = vb
    return replace(a, **changes) if changes else a


def merge_citations(a: Citation, b: Citation) -> Citation:
    changes: dict[str, object] = {}
    for f in fields(Citation):
        if f.name in ("citing", "cited"):
            continue
        va, vb = getattr(a, f.name), getattr(b, f.name)
        if isinstance(va, tuple):
            merged = tuple(dict.fromkeys(va + vb))
            if merged != va:
                changes[f.name] = merged
        elif isinstance(va, bool) and f.name != "influential":
            if vb and not va:
                changes[f.name] = True
        elif va is None and vb is not None:
            changes[f.name] = vb
    return replace(a, **changes) if changes else a


def key_of(work: Work) -> tuple[str, str]:
    return work_key(work.doi, work.arxiv, work.title, work.extra_ids)


def resolve(bundles: Iterable[Bundle]) -> Resolved:
    """Merge the bundles' works, citations and receptions by key."""
    bundles = list(bundles)
    all_works: list[tuple[Work, SourceInfo]] = []
    for b in bundles:
        for w in b.works:
            all_works.append((w, b.source))
        for c in b.citations:
            all_works.append((c.citing, b.source))
            all_works.append((c.cited, b.source))
        for r in b.receptions:
            all_works.append((r.work, b.source))

    # Title-only works adopt the key of the one identified work with the same title.
    by_title: dict[str, set[tuple[str, str]]] = {}
    for w, _ in all_works:
        if (w.doi or w.arxiv) and w.title:
            by_title.setdefault(normalize_title(w.title), set()).add(key_of(w))
    alias: dict[tuple[str, str], tuple[str, str]] = {}
    notes: list[str] = []
    for w, _ in all_works:
        if not (w.doi or w.arxiv) and w.title:
            keys = by_title.get(normalize_title(w.title), set())
            if len(keys) == 1:
                alias[key_of(w)] = next(iter(keys))
            elif len(keys) > 1 and key_of(w) not in alias:
                alias[key_of(w)] = key_of(w)
                notes.append(f"title {w.title!r} matches {len(keys)} identified works; left unmerged")

    def canon(w: Work) -> tuple[str, str]:
        k = key_of(w)
        return alias.get(k, k)

    works: dict[tuple[str, str], tuple[Work, tuple[SourceInfo, ...]]] = {}
    for w, src in all_works:
        k = canon(w)
        if k in works:
            old, srcs = works[k]
            works[k] = (merge_works(old, w), srcs if src in srcs else srcs + (src,))
        else:
            works[k] = (w, (src,))
    # A title-only work merged into an identified one must carry its identifiers.
    for k, (w, srcs) in list(works.items()):
        if k[0] == "doi" and w.doi is None:
            works[k] = (replace(w, doi=k[1]), srcs)
        elif k[0] == "arxiv" and w.arxiv is None:
            works[k] = (replace(w, arxiv=k[1]), srcs)

    citations: dict = {}
    receptions: dict = {}
    for b in bundles:
        for c in b.citations:
            ck = (canon(c.citing), canon(c.cited))
            c = replace(c, citing=works[ck[0]][0], cited=works[ck[1]][0])
            if ck in citations:
                old, srcs = citations[ck]
                citations[ck] = (merge_citations(old, c), srcs if b.source in srcs else srcs + (b.source,))
            else:
                citations[ck] = (c, (b.source,))
        for r in b.receptions:
            rk = canon(r.work)
            if rk not in receptions:
                receptions[rk] = (replace(r, work=works[rk][0]), (b.source,))
            else:
                notes.append(f"{b.source.name}: a second reception for {r.work.title!r}; the first is kept")
        notes.extend(b.notes)
    # Citations were merged with the works as they stood; refresh them to the final works.
    for ck, (c, srcs) in citations.items():
        citations[ck] = (replace(c, citing=works[ck[0]][0], cited=works[ck[1]][0]), srcs)
    sources = tuple(dict.fromkeys(b.source for b in bundles))
    return Resolved(works=works, citations=citations, receptions=receptions, sources=sources, notes=tuple(notes))
