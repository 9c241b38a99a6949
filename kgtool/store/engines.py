"""SPARQL engines behind one interface: rdflib in memory, the embedded Oxigraph store, an endpoint.

Every engine answers with a :class:`QueryResult` holding rdflib terms, so the renderers in
query.py and the figures in stats.py do not care where the answer came from. Parameters are
passed as RDF terms and bound by the engine (rdflib ``initBindings``, Oxigraph
``substitutions``); over HTTP, where SPARQL has no binding mechanism, they travel as a
``VALUES`` block of serialized, already validated terms.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from itertools import islice
from typing import TYPE_CHECKING, Any, Protocol, overload

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.query import Result
from rdflib.term import Identifier, Node

from ..errors import UsageError
from ..serialize.terms import XSD_STRING, nt_term

if TYPE_CHECKING:  # pragma: no cover
    import pyoxigraph

    from ..push.endpoint import Endpoint

Bindings = Mapping[str, Node]

COUNT_TRIPLES = "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o } }"


@dataclass
class QueryResult:
    """The answer to a query: rows for SELECT, a boolean for ASK, triples for CONSTRUCT/DESCRIBE."""

    kind: str  # "SELECT", "ASK", "CONSTRUCT"
    names: list[str] = field(default_factory=list)
    rows: list[list[Identifier | None]] = field(default_factory=list)
    boolean: bool | None = None
    triples: list[tuple[Node, Node, Node]] = field(default_factory=list)

    def records(self) -> list[dict[str, Identifier | None]]:
        """Rows as dicts keyed by variable name."""
        return [dict(zip(self.names, row)) for row in self.rows]

    def count(self) -> int:
        """The integer of a one-row, one-column answer, such as ``SELECT (COUNT(*) AS ?n)``."""
        ((n,),) = self.rows
        if not isinstance(n, Literal):
            raise ValueError(f"expected a number, got {n!r}")
        return int(n)

    @classmethod
    def from_rdflib(cls, result: Result) -> QueryResult:
        if result.type == "ASK":
            return cls("ASK", boolean=bool(result.askAnswer))
        if result.type in ("CONSTRUCT", "DESCRIBE"):
            return cls("CONSTRUCT", triples=list(result.graph) if result.graph is not None else [])
        variables = result.vars or []
        # The rows iterating the result gives (ResultRows of its non-empty bindings), typed.
        rows = [[b.get(v) for v in variables] for b in result.bindings if b]
        return cls("SELECT", [str(v) for v in variables], rows)


class Engine(Protocol):
    """Something that answers SPARQL over a dataset whose default graph is the union of its graphs."""

    def query(self, text: str, bindings: Bindings | None = None) -> QueryResult: ...

    def triple_count(self) -> int: ...


def _sparql_error(e: Exception) -> UsageError:
    return UsageError(f"SPARQL error: {' '.join(str(e).split())[:300]}")


class GraphEngine:
    """rdflib's in-memory engine over a Graph or Dataset."""

    def __init__(self, graph: Graph):
        self.graph = graph

    def query(self, text: str, bindings: Bindings | None = None) -> QueryResult:
        from .query import run_query

        return QueryResult.from_rdflib(run_query(self.graph, text, dict(bindings or {})))

    def triple_count(self) -> int:
        if type(self.graph) is Graph:
            return len(self.graph)
        return sum(1 for _ in self.graph.triples((None, None, None)))


# --- pyoxigraph <-> rdflib terms -------------------------------------------------------------


_DATATYPES: dict[str, URIRef] = {}
_TYPED: dict[tuple[str, str], Literal] = {}  # rdflib parses each typed literal; years and dates repeat
_new_str = str.__new__


@overload
def from_oxigraph(term: None) -> None: ...
@overload
def from_oxigraph(term: pyoxigraph.NamedNode | pyoxigraph.BlankNode | pyoxigraph.Literal) -> Identifier: ...
def from_oxigraph(term: Any) -> Identifier | None:  # pyoxigraph's own types, as the overloads say
    """An rdflib term for a pyoxigraph term (None stays None)."""
    import pyoxigraph as ox

    if term is None:
        return None
    kind = type(term)
    if kind is ox.NamedNode:
        # Oxigraph has already checked the IRI: build the URIRef without checking it again
        # (the same object URIRef(value) makes, at a third of the cost).
        return _new_str(URIRef, term.value)
    if kind is ox.Literal:
        # A string's value is its text: rdflib's normalizing pass would give back the same
        # literal, at twice the cost.
        if term.language:
            return Literal(term.value, lang=term.language, normalize=False)
        dt = term.datatype.value
        if dt == XSD_STRING:
            return Literal(term.value, normalize=False)
        key = (term.value, dt)
        lit = _TYPED.get(key)
        if lit is None:
            uri = _DATATYPES.get(dt) or _DATATYPES.setdefault(dt, URIRef(dt))
            lit = Literal(term.value, datatype=uri)
            if len(_TYPED) < 100_000:
                _TYPED[key] = lit
        return lit
    if kind is ox.BlankNode:
        return BNode(term.value)
    raise TypeError(f"unsupported term {term!r}")


def to_oxigraph(term: Node):
    """A pyoxigraph term for an rdflib term."""
    import pyoxigraph as ox

    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    raise TypeError(f"unsupported term {term!r}")


class StoreEngine:
    """Oxigraph's engine over a pyoxigraph Store; the default graph is the union of all graphs."""

    def __init__(self, store: pyoxigraph.Store):
        self.store = store

    def dataset(self) -> dict:
        """Store.query options that make the default graph the union of all graphs.

        Oxigraph reads a union default graph from two indexes at each step (its own default
        graph's and the named graphs'). When the store holds a single named graph and nothing
        in its own default graph, that graph alone is the same union, read from one index:
        lookups cost about 10% less.
        """
        import pyoxigraph as ox

        graphs = list(islice(self.store.named_graphs(), 2))
        if len(graphs) == 1 and next(self.store.quads_for_pattern(None, None, None, ox.DefaultGraph()), None) is None:
            return {"default_graph": graphs[0]}
        return {"use_default_graph_as_union": True}

    def query(self, text: str, bindings: Bindings | None = None) -> QueryResult:
        import pyoxigraph as ox

        from .query import prologue

        subs = {ox.Variable(k): to_oxigraph(v) for k, v in (bindings or {}).items()}
        try:
            answer = self.store.query(prologue(text) + text, substitutions=subs or None, **self.dataset())
            if isinstance(answer, ox.QueryBoolean):
                return QueryResult("ASK", boolean=bool(answer))
            if isinstance(answer, ox.QueryTriples):
                return QueryResult(
                    "CONSTRUCT",
                    triples=[
                        (from_oxigraph(t.subject), from_oxigraph(t.predicate), from_oxigraph(t.object)) for t in answer
                    ],
                )
            names = [v.value for v in answer.variables]
            # a solution iterates in variable order
            rows: list[list[Identifier | None]] = [list(map(from_oxigraph, sol)) for sol in answer]
        except SyntaxError as e:
            raise _sparql_error(e) from None
        except RuntimeError as e:  # e.g. binding a variable the query does not project
            raise _sparql_error(e) from None
        return QueryResult("SELECT", names, rows)

    def triple_count(self) -> int:
        # Graphs may share triples; the union counts each once, as rdflib's merged graph does.
        return self.query(COUNT_TRIPLES).count()


# --- endpoints ---------------------------------------------------------------------------------

_SKIP = re.compile(
    r"""\#[^\n]*                                  # comment
      | '''(?:[^'\\]|\\.|'(?!''))*'''             # long strings
      | \"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"
      | '(?:[^'\\\n]|\\.)*' | "(?:[^"\\\n]|\\.)*"  # short strings
      | <[^<>"{}|^`\\\x00-\x20]*>                 # IRI references
    """,
    re.VERBOSE,
)
_WHERE = re.compile(r"\bWHERE\s*\{", re.IGNORECASE)


def _code_spans(text: str) -> Iterable[tuple[int, int]]:
    """The stretches of query text outside comments, strings and IRIs."""
    pos = 0
    for m in _SKIP.finditer(text):
        yield pos, m.start()
        pos = m.end()
    yield pos, len(text)


def inline_values(text: str, bindings: Bindings) -> str:
    """The query with a ``VALUES`` block binding ``bindings`` at the start of its outer WHERE group.

    Only for sending a query over HTTP. The terms are serialized by terms.nt_term, which
    escapes literals and refuses IRIs with characters that could end the term.
    """
    if not bindings:
        return text
    names = sorted(bindings)
    values = (
        " VALUES (" + " ".join(f"?{n}" for n in names) + ") { ("
        + " ".join(nt_term(bindings[n]) for n in names) + ") }\n"
    )
    for start, end in _code_spans(text):
        m = _WHERE.search(text, start, end)
        if m:
            return text[: m.end()] + values + text[m.end():]
    raise UsageError("cannot bind parameters for an endpoint: the query has no 'WHERE {' clause")


class EndpointEngine:
    """A remote SPARQL 1.1 endpoint, reached through kgtool.push.endpoint."""

    def __init__(self, endpoint: Endpoint, default_graphs: Iterable[str] = ()):
        self.endpoint = endpoint
        self.default_graphs = list(default_graphs)

    def query(self, text: str, bindings: Bindings | None = None) -> QueryResult:
        from .query import prologue

        full = prologue(text) + inline_values(text, bindings or {})
        return self.endpoint.query(full, self.default_graphs)

    def triple_count(self) -> int:
        return self.query(COUNT_TRIPLES).count()


def engine_for(source: Graph | Engine) -> Engine:
    """An Engine for a Graph (wrapped) or an Engine (as is)."""
    return GraphEngine(source) if isinstance(source, Graph) else source
