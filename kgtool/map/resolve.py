"""Merge records from several sources so that one paper is one node.

Two works are the same node when they share an identifier: a DOI, an arXiv id or another
source's id (OpenAlex, Semantic Scholar, OMID, ...). Links never join two different DOIs (or
two different arXiv ids) that works claim as their own: such a pair stays apart and is reported.
A work known only by title (no identifier at all) joins the identified node of the same
normalized title when exactly one such node exists in the build; otherwise it stays as it is.
The node's key (and so its IRI) is that of the merged work: DOI, else arXiv id, else its first
other id, else its title hash.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, fields, replace
from typing import Any

from .identifiers import normalize_title, work_key
from .model import Bundle, Citation, Reception, SourceInfo, TitleMatch, Work

Key = tuple[str, str]
_CLAIMED = ("doi", "arxiv")


@dataclass(frozen=True)
class Resolved:
    """Merged records, each with the sources it came from, in first-seen order."""

    works: dict[Key, tuple[Work, tuple[SourceInfo, ...]]]
    citations: dict[tuple[Key, Key], tuple[Citation, tuple[SourceInfo, ...]]]
    receptions: dict[Key, tuple[Reception, tuple[SourceInfo, ...]]]
    sources: tuple[SourceInfo, ...]
    notes: tuple[str, ...]
    matches: dict[tuple[Key, str], tuple[TitleMatch, tuple[SourceInfo, ...]]] = field(default_factory=dict)
    #: Citation records read, and how many of them joined another record of the same pair
    #: (merged) or were dropped (their two works became one): read = citations + merged + dropped.
    citations_read: int = 0
    citations_merged: int = 0
    citations_dropped: int = 0

    def accounting(self) -> str:
        """One line: citation records read and where each of them went."""
        n = len(self.citations)
        line = (f"read {self.citations_read} citation records from {len(self.sources)} sources: "
                f"{n} citations in the graph, {self.citations_merged} merged into them (same pair), "
                f"{self.citations_dropped} dropped")
        if self.citations_read != n + self.citations_merged + self.citations_dropped:  # pragma: no cover
            raise AssertionError(f"citation records unaccounted for: {line}")
        return line


def merge_works(a: Work, b: Work) -> Work:
    """Fill a's empty fields from b; tuples are united in order."""
    changes: dict[str, Any] = {}  # field name -> a value of that field's type
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
    changes: dict[str, Any] = {}  # field name -> a value of that field's type
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


def key_of(work: Work) -> Key:
    return work_key(work.doi, work.arxiv, work.title, work.extra_ids)


def identifiers_of(work: Work) -> list[Key]:
    """Every identifier a work carries, as (scheme, value) keys."""
    ids = [("doi", work.doi)] if work.doi else []
    if work.arxiv:
        ids.append(("arxiv", work.arxiv))
    return ids + list(work.extra_ids)


class _Groups:
    """Union-find over keys; each group remembers the DOIs and arXiv ids works claim in it."""

    def __init__(self) -> None:
        self.parent: dict[Key, Key] = {}
        self.claims: dict[Key, dict[str, set[str]]] = {}

    def find(self, k: Key) -> Key:
        self.parent.setdefault(k, k)
        while self.parent[k] != k:
            self.parent[k] = self.parent[self.parent[k]]
            k = self.parent[k]
        return k

    def claim(self, k: Key, scheme: str, value: str) -> None:
        self.claims.setdefault(self.find(k), {}).setdefault(scheme, set()).add(value)

    def claimed(self, k: Key, scheme: str) -> set[str]:
        return self.claims.get(self.find(k), {}).get(scheme, set())

    def conflict(self, a: Key, b: Key) -> str | None:
        """The scheme on which a's and b's groups claim different values, if any."""
        for scheme in _CLAIMED:
            ca, cb = self.claimed(a, scheme), self.claimed(b, scheme)
            if ca and cb and ca != cb:
                return scheme
        return None

    def union(self, a: Key, b: Key) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return
        self.parent[rb] = ra
        for scheme, values in self.claims.pop(rb, {}).items():
            self.claims.setdefault(ra, {}).setdefault(scheme, set()).update(values)


def _group_works(all_works: list[Work], notes: list[str]) -> _Groups:
    groups = _Groups()
    for w in all_works:
        groups.find(key_of(w))
        for scheme in _CLAIMED:
            value = getattr(w, scheme)
            if value:
                groups.claim((scheme, value), scheme, value)
    seen_conflicts: set[tuple[str, ...]] = set()
    for w in all_works:
        k = key_of(w)
        for ident in identifiers_of(w):
            clash = groups.conflict(k, ident)
            if clash is None:
                groups.union(k, ident)
                continue
            values = tuple(sorted(groups.claimed(k, clash) | groups.claimed(ident, clash)))
            if (ident[0], ident[1], *values) not in seen_conflicts:
                seen_conflicts.add((ident[0], ident[1], *values))
                notes.append(
                    f"identifier {ident[0]}:{ident[1]} links works with different {clash} ids "
                    f"({', '.join(values)}); kept as separate nodes"
                )
    # Title-only works adopt the node of the one identified work with the same title.
    by_title: dict[str, set[Key]] = {}
    for w in all_works:
        if identifiers_of(w) and w.title:
            by_title.setdefault(normalize_title(w.title), set()).add(groups.find(key_of(w)))
    reported: set[Key] = set()
    for w in all_works:
        k = key_of(w)
        if identifiers_of(w) or not w.title:
            continue
        roots = {groups.find(r) for r in by_title.get(normalize_title(w.title), set())}
        if len(roots) == 1:
            groups.union(next(iter(roots)), k)
        elif len(roots) > 1 and k not in reported:
            reported.add(k)
            notes.append(f"title {w.title!r} matches {len(roots)} identified works; left unmerged")
    return groups


Sourced = tuple[SourceInfo, ...]  # the sources a merged record came from, in first-seen order


def resolve(bundles: Iterable[Bundle]) -> Resolved:
    """Merge the bundles' works, citations, receptions and title matches into nodes."""
    bundles = list(bundles)
    all_works: list[tuple[Work, SourceInfo]] = []
    for b in bundles:
        all_works.extend((w, b.source) for w in b.works)
        for c in b.citations:
            all_works.append((c.citing, b.source))
            all_works.append((c.cited, b.source))
        all_works.extend((r.work, b.source) for r in b.receptions)
        all_works.extend((m.work, b.source) for m in b.matches)

    notes: list[str] = []
    groups = _group_works([w for w, _ in all_works], notes)
    records = _Records(groups, _merge_nodes(all_works, groups), notes)
    for b in bundles:
        records.add(b)
    sources = tuple(dict.fromkeys(b.source for b in bundles))
    return Resolved(
        works=records.works, citations=records.citations, receptions=records.receptions, sources=sources,
        notes=tuple(notes), matches=records.matches, citations_read=records.read,
        citations_merged=records.merged, citations_dropped=records.dropped,
    )


def _merge_nodes(all_works: list[tuple[Work, SourceInfo]], groups: _Groups) -> dict[Key, tuple[Work, Sourced]]:
    """Each group's merged work and its sources, by the group's root."""
    merged: dict[Key, tuple[Work, Sourced]] = {}
    for w, src in all_works:
        root = groups.find(key_of(w))
        if root in merged:
            old, srcs = merged[root]
            merged[root] = (merge_works(old, w), srcs if src in srcs else srcs + (src,))
        else:
            merged[root] = (w, (src,))
    return merged


class _Records:
    """The bundles' citations, receptions and title matches, moved onto the merged nodes."""

    def __init__(self, groups: _Groups, merged: dict[Key, tuple[Work, Sourced]], notes: list[str]) -> None:
        self.groups = groups
        self.final = {root: key_of(w) for root, (w, _) in merged.items()}
        self.works = {self.final[root]: entry for root, entry in merged.items()}
        self.notes = notes
        self.citations: dict[tuple[Key, Key], tuple[Citation, Sourced]] = {}
        self.receptions: dict[Key, tuple[Reception, Sourced]] = {}
        self.matches: dict[tuple[Key, str], tuple[TitleMatch, Sourced]] = {}
        self.read = self.merged = self.dropped = 0

    def canon(self, w: Work) -> Key:
        return self.final[self.groups.find(key_of(w))]

    def add(self, b: Bundle) -> None:
        for c in b.citations:
            self._add_citation(b.source, c)
        for r in b.receptions:
            rk = self.canon(r.work)
            if rk not in self.receptions:
                self.receptions[rk] = (replace(r, work=self.works[rk][0]), (b.source,))
            else:
                self.notes.append(f"{b.source.name}: a second reception for {r.work.title!r}; the first is kept")
        for m in b.matches:
            mk = (self.canon(m.work), m.source)
            if mk not in self.matches:
                self.matches[mk] = (replace(m, work=self.works[mk[0]][0]), (b.source,))
        self.notes.extend(b.notes)

    def _add_citation(self, source: SourceInfo, c: Citation) -> None:
        self.read += 1
        ck = (self.canon(c.citing), self.canon(c.cited))
        if ck[0] == ck[1]:
            self.dropped += 1
            self.notes.append(
                f"{source.name}: a citation from {_label(c.citing)} to {_label(c.cited)} "
                "joins one work to itself after merging; dropped"
            )
            return
        c = replace(c, citing=self.works[ck[0]][0], cited=self.works[ck[1]][0])
        if ck in self.citations:
            self.merged += 1
            old, srcs = self.citations[ck]
            self.citations[ck] = (merge_citations(old, c), srcs if source in srcs else srcs + (source,))
        else:
            self.citations[ck] = (c, (source,))


def _label(w: Work) -> str:
    scheme, value = key_of(w)
    return f"{scheme}:{value}" if scheme != "title" else repr(w.title)
