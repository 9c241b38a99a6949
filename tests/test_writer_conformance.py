"""kgtool's writers against the W3C test data: every graph the suites hold comes back unchanged.

For each W3C evaluation test's expected result (and each valid N-Triples/N-Quads test file),
the graph is written with every writer kgtool has (export.py: Turtle, JSON-LD, N-Triples,
N-Quads; stream_writers.py: Turtle and N-Quads formatters), read back with rdflib and with
pyoxigraph, and compared with the expected graph read by the same parser (isomorphism).
The suites live in ../shared/conformance/rdf; without them the suite tests are skipped.
"""

from __future__ import annotations

import json
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import BNode, Dataset, Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import XSD

from kgtool.read.rdfload import RdflibTerms
from kgtool.serialize.export import jsonld_text, nquads_lines, ntriples_lines, turtle_text
from kgtool.serialize.stream_writers import LineFormatter, TurtleFormatter

SUITES = (Path(__file__).resolve().parents[1] / ".." / "shared" / "conformance" / "rdf").resolve()
GRAPH = URIRef("http://example.org/graph/g")


def _rdf12(p: Path) -> bool:
    text = p.read_text("utf-8")
    return "<<" in text or "--ltr" in text or "--rtl" in text


def _cases() -> list[Path]:
    """The expected results of the Turtle evaluation and C14N tests, and the inputs of the
    positive N-Triples/N-Quads syntax tests (RDF 1.2 triple terms and directions left out)."""
    from test_rdf_conformance import ENTRIES

    out = set()
    for _id, _version, kind, action, result, _base in ENTRIES:
        if kind in ("TestTurtleEval", "TestNTriplesPositiveC14N", "TestNQuadsPositiveC14N") and result:
            out.add(result)
        elif kind in ("TestNTriplesPositiveSyntax", "TestNQuadsPositiveSyntax"):
            out.add(action)
    return sorted(p for p in out if p.stat().st_size and not _rdf12(p))


CASES = _cases()


def _ox_graph(data: bytes | str, fmt) -> Graph:
    """pyoxigraph's reading of a document, as an rdflib graph (graph names dropped, lexical
    forms kept)."""
    conv = RdflibTerms()
    g = Graph()
    g.addN((conv(q.subject), conv(q.predicate), conv(q.object), g) for q in ox.parse(data, format=fmt))
    return g


def _rdflib_graph(data: str, fmt: str) -> Graph:
    """rdflib's reading of a document, in rdflib's canonical forms (see _rdflib_forms)."""
    if fmt == "nquads":
        ds = Dataset()
        ds.parse(data=data, format="nquads")
        triples = [(s, p, o) for s, p, o, _ in ds.quads((None, None, None, None))]
    else:
        triples = list(Graph().parse(data=data, format=fmt))
    return _rdflib_forms(triples)


def _rdflib_forms(triples) -> Graph:
    """Literals as rdflib's parsers make them (lexical forms normalized, language tags lower
    case, xsd:string dropped), so that rdflib's quirks do not count as a writer's fault."""
    def norm(t):
        if isinstance(t, Literal):
            dt = None if t.datatype == XSD.string else t.datatype
            return Literal(str(t), lang=t.language.lower() if t.language else None, datatype=dt)
        return t

    g = Graph()
    for s, p, o in triples:
        g.add((s, p, norm(o)))
    return g


def _writers(g: Graph) -> dict[str, tuple[str, str, object]]:
    """writer name -> (text, rdflib format, pyoxigraph format)"""
    lines = ntriples_lines(g)
    tf = TurtleFormatter()
    return {
        "export-ttl": (turtle_text(g), "turtle", ox.RdfFormat.TURTLE),
        "export-jsonld": (jsonld_text(g), "json-ld", ox.RdfFormat.JSON_LD),
        "export-nt": ("".join(lines), "nt", ox.RdfFormat.N_TRIPLES),
        "export-nq": ("".join(nquads_lines(g, GRAPH)), "nquads", ox.RdfFormat.N_QUADS),
        "stream-ttl": (tf.header().decode() + tf.block(lines), "turtle", ox.RdfFormat.TURTLE),
        "stream-nq": (LineFormatter(str(GRAPH)).block(lines), "nquads", ox.RdfFormat.N_QUADS),
    }


WRITERS = ["export-ttl", "export-jsonld", "export-nt", "export-nq", "stream-ttl", "stream-nq"]


@pytest.mark.skipif(not CASES, reason="W3C RDF suites not found in ../shared/conformance/rdf")
@pytest.mark.parametrize("writer", WRITERS)
@pytest.mark.parametrize("case", CASES, ids=[p.relative_to(SUITES).as_posix() for p in CASES])
def test_writer_round_trips_w3c_graph(case: Path, writer: str) -> None:
    fmt = ox.RdfFormat.N_QUADS if case.suffix == ".nq" else ox.RdfFormat.N_TRIPLES
    expected = _ox_graph(case.read_bytes(), fmt)  # the input: lexical forms as in the file
    text, rdflib_fmt, ox_fmt = _writers(expected)[writer]
    back = _ox_graph(text, ox_fmt)
    assert isomorphic(back, expected), f"pyoxigraph reads a different graph back:\n{text}"
    want = _rdflib_forms(expected)  # (rdflib cannot read some of the suites' files itself)
    got = _rdflib_graph(text, rdflib_fmt)
    assert isomorphic(got, want), f"rdflib reads a different graph back:\n{text}"


# --- cases the suites do not hold -------------------------------------------------------------

def _graph(*triples) -> Graph:
    g = Graph()
    for t in triples:
        g.add(t)
    return g


S, P = URIRef("http://a.example/s"), URIRef("http://a.example/p")


@pytest.mark.parametrize("writer", WRITERS)
def test_lexical_forms_survive_every_writer(writer: str) -> None:
    lits = [Literal("1.0", datatype=XSD.decimal, normalize=False), Literal("01", datatype=XSD.integer, normalize=False),
            Literal("1", datatype=XSD.integer), Literal("1E0", datatype=XSD.double, normalize=False),
            Literal("true", datatype=XSD.boolean), Literal("1", datatype=XSD.boolean, normalize=False),
            Literal("2.50", datatype=XSD.float, normalize=False), Literal("-0", datatype=XSD.integer, normalize=False),
            Literal("x", lang="en-GB"), Literal("abc", datatype=XSD.integer, normalize=False)]
    g = _graph(*((S, P, o) for o in lits))
    text, _, ox_fmt = _writers(g)[writer]
    back = _ox_graph(text, ox_fmt)
    def key(o: Literal) -> tuple[str, str, str]:  # "1"^^xsd:integer and "1"^^xsd:boolean: order by datatype too
        return str(o), str(o.datatype), o.language or ""

    assert sorted(back.objects(), key=key) == sorted(g.objects(), key=key), text
    assert {(str(o), o.datatype) for o in back.objects()} == {(str(o), o.datatype) for o in lits}, text


@pytest.mark.parametrize("writer", WRITERS)
def test_rdf_lists_keep_their_order(writer: str) -> None:
    from rdflib.collection import Collection

    g = Graph()
    items = [Literal(v) for v in ("zebra", "apple", "mango", "apple")]
    head = BNode("head")
    Collection(g, head, items)
    g.add((S, P, head))
    text, _, ox_fmt = _writers(g)[writer]
    back = _ox_graph(text, ox_fmt)
    (node,) = list(back.objects(S, P))
    assert [str(v) for v in Collection(back, node)] == ["zebra", "apple", "mango", "apple"], text


def test_jsonld_writes_lists_in_order_and_numbers_as_typed_values() -> None:
    from rdflib.collection import Collection

    g = Graph()
    head = BNode()
    Collection(g, head, [Literal(3), Literal(1), Literal(2)])
    g.add((S, URIRef("http://a.example/list"), head))
    g.add((S, P, Literal("1.0", datatype=XSD.decimal, normalize=False)))
    doc = json.loads(jsonld_text(g))
    text = json.dumps(doc)
    assert '"@list"' in text
    (node,) = [n for n in doc["@graph"] if n.get("@id") == str(S)]
    listed = node["http://a.example/list"]
    values = (listed[0] if isinstance(listed, list) else listed)["@list"]
    assert [v["@value"] if isinstance(v, dict) else v for v in values] in (["3", "1", "2"], [3, 1, 2])


@pytest.mark.parametrize("label", ["a b", "-x", "x.", "a:b", "é", "0", "x\ny", ""])
@pytest.mark.parametrize("writer", WRITERS)
def test_blank_node_labels_are_made_legal(writer: str, label: str) -> None:
    g = _graph((BNode(label), P, BNode(label)), (BNode(label), P, Literal("x")), (S, P, BNode(label + "2")))
    text, rdflib_fmt, ox_fmt = _writers(g)[writer]
    back = _ox_graph(text, ox_fmt)  # strict: an illegal label would fail here
    assert isomorphic(back, g), text
    assert isomorphic(_rdflib_graph(text, rdflib_fmt), _rdflib_forms(g)), text


@pytest.mark.parametrize("stem, segment", [("hub-example", "hub-example"), ("my dump", "my%20dump"),
                                           ("a%b#c?d/e", "a%25b%23c%3Fd%2Fe"), ("café", "café")])
def test_graph_names_of_odd_file_names_are_legal_iris(stem: str, segment: str) -> None:
    from kgtool.serialize.export import graph_name

    name = graph_name("https://example.org/kg/", stem)
    assert str(name) == f"https://example.org/kg/graph/{segment}"
    text = "".join(nquads_lines(_graph((S, P, Literal("x"))), name))
    (q,) = list(ox.parse(text, format=ox.RdfFormat.N_QUADS))  # strict: a space would fail here
    assert q.graph_name.value == str(name)
