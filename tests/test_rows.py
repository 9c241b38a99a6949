"""Typed query answers (kgtool.store.rows, engines.QueryResult): the same values from rdflib and the store."""

from __future__ import annotations

from decimal import Decimal

import pytest
from rdflib import BNode, Graph, Literal, URIRef

from kgtool.errors import UsageError
from kgtool.store.embedded import open_store
from kgtool.store.engines import engine_for
from kgtool.store.rows import select

DATA = """
@prefix kg: <https://w3id.org/kgtool/ns#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
<https://example.org/a> kg:position 3 ; kg:share 0.25 ; kg:note "x" .
<https://example.org/b> kg:position "three" ; kg:share "lots" .
_:c kg:position 7 .
"""

QUERY = """
SELECT ?s ?pos ?share ?note WHERE {
  ?s kg:position ?pos .
  OPTIONAL { ?s kg:share ?share }
  OPTIONAL { ?s kg:note ?note }
} ORDER BY ?pos"""


@pytest.fixture(params=["rdflib", "store"])
def source(request, tmp_path):
    graph = Graph().parse(data=DATA, format="turtle")
    if request.param == "rdflib":
        yield graph
        return
    path = tmp_path / "data.ttl"
    path.write_text(DATA, encoding="utf-8")
    with open_store(tmp_path / "kg.db", create=True) as store:
        store.load(path)
        yield store.engine()


def test_rows_read_terms_text_and_numbers(source):
    rows = {str(r.term("s")) if isinstance(r.term("s"), URIRef) else "blank": r for r in select(source, QUERY)}
    assert set(rows) == {"https://example.org/a", "https://example.org/b", "blank"}
    a, b, c = rows["https://example.org/a"], rows["https://example.org/b"], rows["blank"]
    assert a.node("s") == URIRef("https://example.org/a") and isinstance(c.node("s"), BNode)
    assert a.integer("pos") == 3 and a.count("pos") == 3 and c.integer("pos") == 7
    assert a.decimal("share") == Decimal("0.25") and a["share"] == Literal(Decimal("0.25"))
    assert a.text("note") == "x" and a.term("note") == Literal("x")
    # unbound reads as None; a value of another kind is None for the number readers
    assert b.text("note") is None and b.term("note") is None and c.decimal("share") is None
    assert b.integer("pos") is None and b.decimal("share") is None and b.text("pos") == "three"


def test_required_readers_refuse_what_the_query_should_not_give(source):
    (row,) = select(source, 'SELECT ?lit ?missing WHERE { BIND("x" AS ?lit) }')
    with pytest.raises(ValueError, match=r"\?lit is .*not an IRI or blank node"):
        row.node("lit")
    with pytest.raises(KeyError, match="missing"):
        row["missing"]
    with pytest.raises(ValueError, match="not an integer"):
        row.count("lit")


def test_select_takes_only_select_queries(source):
    with pytest.raises(UsageError, match="expected a SELECT query, got a ASK query"):
        select(source, "ASK { ?s ?p ?o }")


def test_construct_ask_and_count_answers(source):
    engine = engine_for(source)
    built = engine.query("CONSTRUCT { ?s kg:position ?n } WHERE { ?s kg:position ?n FILTER(isIRI(?s)) }")
    assert built.kind == "CONSTRUCT"
    assert sorted((str(s), str(o)) for s, _, o in built.triples) == [
        ("https://example.org/a", "3"), ("https://example.org/b", "three"),
    ]
    assert engine.query("ASK { ?s kg:note 'x' }").boolean is True
    assert engine.query("SELECT (COUNT(*) AS ?n) WHERE { ?s kg:position ?p }").count() == 3
    assert engine.triple_count() == 6
