"""Typed SPARQL SELECT rows: run a query on any engine, read terms, text and numbers without casts."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from rdflib import Graph
from rdflib.term import IdentifiedNode, Identifier

from ..errors import UsageError
from .engines import Bindings, Engine, engine_for


class Row:
    """One solution of a SELECT query; an unbound variable reads as None."""

    __slots__ = ("_values",)

    def __init__(self, values: Mapping[str, Identifier | None]) -> None:
        self._values = values

    def term(self, name: str) -> Identifier | None:
        """The term bound to ``?name``: an IRI, blank node or literal; None when unbound."""
        return self._values.get(name)

    def __getitem__(self, name: str) -> Identifier:
        """The term bound to ``?name``, for variables the query always binds (KeyError when unbound)."""
        term = self._values.get(name)
        if term is None:
            raise KeyError(f"?{name} is unbound")
        return term

    def node(self, name: str) -> IdentifiedNode:
        """The IRI or blank node bound to ``?name``, for variables the query puts in subject position."""
        term = self._values.get(name)
        if not isinstance(term, IdentifiedNode):
            raise ValueError(f"?{name} is {term!r}, not an IRI or blank node")
        return term

    def text(self, name: str) -> str | None:
        """The term's text (an IRI's string, a literal's lexical form); None when unbound."""
        term = self._values.get(name)
        return None if term is None else str(term)

    def integer(self, name: str) -> int | None:
        """The term read as an integer; None when unbound or not an integer."""
        term = self._values.get(name)
        if term is None:
            return None
        try:
            return int(str(term))
        except ValueError:
            return None

    def decimal(self, name: str) -> Decimal | None:
        """The term read as a decimal; None when unbound or not a number."""
        term = self._values.get(name)
        if term is None:
            return None
        try:
            return Decimal(str(term))
        except ArithmeticError:
            return None

    def count(self, name: str) -> int:
        """An aggregate such as ``COUNT(...)``, which is always bound."""
        n = self.integer(name)
        if n is None:
            raise ValueError(f"?{name} is {self._values.get(name)!r}, not an integer")
        return n


def select(source: Graph | Engine, query: str, bindings: Bindings | None = None) -> list[Row]:
    """Run a SELECT query (kgtool's prefixes predeclared) on a Graph or an engine; its rows."""
    result = engine_for(source).query(query, bindings)
    if result.kind != "SELECT":
        raise UsageError(f"expected a SELECT query, got a {result.kind} query")
    return [Row(dict(zip(result.names, row, strict=True))) for row in result.rows]
