"""Triples to N-Triples lines, fast enough for dumps of millions of records.

Escaping is terms.nt_term's; what this adds is a cache keyed by term identity. The mapping
yields the same term objects over and over (namespace terms, cached typed literals, a record's
subject in each of its triples), so most terms are looked up rather than formatted again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from rdflib import Literal, URIRef
from rdflib.term import Node

from .terms import _IRI_BAD, escape_string, nt_term

Triple = tuple[Node, Node, Node]


class NTLineEncoder:
    """Formats triples as N-Triples lines ('<s> <p> o .\\n'), caching terms by identity."""

    def __init__(self, max_cached: int = 1 << 14):
        self._text: dict[int, str] = {}  # id(term) -> its N-Triples text
        self._alive: list[Node] = []  # the cached terms, so that their ids are not reused
        self._max = max_cached

    def term(self, t: Node) -> str:
        text = self._text.get(id(t))
        if text is None:
            text = format_term(t)
            if len(self._alive) >= self._max:
                self._text.clear()
                self._alive.clear()
            self._text[id(t)] = text
            self._alive.append(t)
        return text

    def line(self, s: Node, p: Node, o: Node) -> str:
        get = self._text.get
        ts, tp, to = get(id(s)), get(id(p)), get(id(o))
        if ts is None:
            ts = self.term(s)
        if tp is None:
            tp = self.term(p)
        if to is None:
            to = self.term(o)
        return f"{ts} {tp} {to} .\n"

    def lines(self, triples: Iterable[Triple]) -> list[str]:
        """line() for each triple (one call per record instead of one per triple)."""
        out: list[str] = []
        self.split_lines(triples, "\x00", out, out.append)
        return out

    def split_lines(self, triples: Iterable[Triple], prefix: str, own: list[str],
                    other: Callable[[str], None], also_own: Node | None = None) -> None:
        """Lines whose subject's text starts with ``prefix`` (or whose subject is the term
        ``also_own``) to ``own``, the others to ``other``.

        The mapping yields a node's triples together, so the subject is looked up once per run.
        """
        get, term = self._text.get, self.term
        # Compared as text, not by identity: which caches hold which objects must never decide
        # where a line goes (the output would then depend on how chunks fell to processes).
        also_text = term(also_own) if also_own is not None else None
        last_s: Node | None = None
        ts, mine = "", False
        for s, p, o in triples:
            if s is not last_s:
                ts = get(id(s)) or term(s)
                mine = ts == also_text or ts.startswith(prefix)
                last_s = s
            line = f"{ts} {get(id(p)) or term(p)} {get(id(o)) or term(o)} .\n"
            if mine:
                own.append(line)
            else:
                other(line)


def format_term(t: Node) -> str:
    """nt_term, with the two commonest cases (an IRI, a plain literal) inlined."""
    if type(t) is URIRef and not _IRI_BAD.search(t):
        return f"<{t}>"
    if type(t) is Literal and t.datatype is None and t.language is None:
        return f'"{escape_string(t)}"'
    return nt_term(t)
