"""The shipped queries: headers, parameter binding, and their answers on rdflib and the store."""

from __future__ import annotations

import citation_records as rec
import pytest
from rdflib import Literal, URIRef

from kgtool.errors import UsageError
from kgtool.map.iris import parse_iri
from kgtool.read.rdfload import load_files
from kgtool.store.embedded import open_store
from kgtool.store.engines import GraphEngine
from kgtool.store.named_queries import (
    describe_queries,
    get_query,
    parse_header,
    parse_param_options,
    run_named,
    shipped_queries,
)

XSD_INTEGER = URIRef("http://www.w3.org/2001/XMLSchema#integer")
EXPECTED_QUERIES = {
    "citing-works", "references", "reception", "most-cited", "co-citation", "citations-per-year", "missing-identifiers",
}


@pytest.fixture(params=["rdflib", "store"])
def engine(request, small_graph, tmp_path):
    if request.param == "rdflib":
        yield GraphEngine(load_files([small_graph]))
        return
    with open_store(tmp_path / "kg.db", create=True) as store:
        store.load(small_graph)
        yield store.engine()


def column(result, name: str) -> list:
    i = result.names.index(name)
    return [row[i] for row in result.rows]


# --- the catalogue ----------------------------------------------------------------------------


def test_every_expected_query_ships_with_a_description():
    queries = shipped_queries()
    assert EXPECTED_QUERIES <= set(queries)
    for q in queries.values():
        assert q.description, q.name
        assert "PREFIX" in q.text  # self-contained: runs in any store's query editor


def test_parameters_are_declared_in_the_header():
    assert [(p.name, p.type, p.default) for p in get_query("citing-works").params] == [("work", "iri", None)]
    assert [(p.name, p.type, p.default) for p in get_query("co-citation").params] == [("min", "integer", "2")]
    assert get_query("most-cited").params == ()


def test_list_shows_each_query_and_its_parameters():
    text = describe_queries()
    for name in EXPECTED_QUERIES:
        assert name in text
    assert "--param work=IRI" in text
    assert "--param min=N" in text and "(default 2)" in text


def test_header_parser():
    q = parse_header("x", "# Say hello.\n# @param who iri  The person.\n# @param n integer=3 How often.\nSELECT ?who WHERE {}")
    assert q.description == "Say hello."
    assert [(p.name, p.type, p.default, p.doc) for p in q.params] == [
        ("who", "iri", None, "The person."), ("n", "integer", "3", "How often."),
    ]


def test_unknown_query_lists_the_valid_names():
    with pytest.raises(UsageError, match="no shipped query named 'nope'.*citing-works"):
        get_query("nope")


# --- binding ----------------------------------------------------------------------------------


def test_parameters_become_typed_rdf_terms():
    bound = get_query("co-citation").bind({"min": "3"})
    assert bound == {"min": Literal("3", datatype=XSD_INTEGER)}
    assert get_query("co-citation").bind({}) == {"min": Literal("2", datatype=XSD_INTEGER)}
    assert get_query("citing-works").bind({"work": "<https://example.org/w/1>"}) == {"work": URIRef("https://example.org/w/1")}


@pytest.mark.parametrize(
    "value",
    [
        "https://example.org/w> } UNION { ?s ?p ?o } #",
        "https://example.org/w> . ?x ?y ?z",
        "<https://example.org/w> } ; DROP ALL ; #>",
        "https://example.org/w\nx",
        "not an iri",
        "",
        'https://example.org/"quoted"',
    ],
)
def test_an_iri_that_tries_to_break_out_is_rejected(value):
    with pytest.raises(UsageError, match="--param work must be an absolute IRI"):
        get_query("citing-works").bind({"work": value})


def test_injection_is_rejected_before_any_engine_runs(engine):
    with pytest.raises(UsageError, match="absolute IRI"):
        run_named(engine, "citing-works", {"work": f"{rec.iri(rec.HUB)}> }} UNION {{ ?citing ?p ?o }} #"})


def test_integer_parameter_is_validated():
    with pytest.raises(UsageError, match="--param min must be an integer"):
        get_query("co-citation").bind({"min": "2) || true || (1"})


def test_missing_and_unknown_parameters():
    with pytest.raises(UsageError, match="needs --param work=IRI"):
        get_query("citing-works").bind({})
    with pytest.raises(UsageError, match="has no parameter 'hub'.*work"):
        get_query("citing-works").bind({"work": "https://x.org/a", "hub": "https://x.org/b"})


def test_param_options():
    assert parse_param_options(["work=https://x.org/a=b", "min=3"]) == {"work": "https://x.org/a=b", "min": "3"}
    with pytest.raises(UsageError, match="NAME=VALUE"):
        parse_param_options(["work"])
    with pytest.raises(UsageError, match="given twice"):
        parse_param_options(["min=1", "min=2"])


def test_parse_iri_accepts_angle_brackets():
    assert parse_iri("<urn:x:y>") == URIRef("urn:x:y")


# --- answers, computed from the records ---------------------------------------------------------


def test_citing_works(engine):
    r = run_named(engine, "citing-works", {"work": rec.iri(rec.HUB)})
    assert "work" not in r.names  # the bound parameter is not echoed as a column
    assert set(map(str, column(r, "citing"))) == rec.citing(rec.HUB)
    assert len(r.rows) == len(rec.citing(rec.HUB))
    years = [y for y in column(r, "year") if y is not None]
    assert [int(str(y)) for y in years] == sorted((int(str(y)) for y in years), reverse=True)


def test_references(engine):
    r = run_named(engine, "references", {"work": rec.iri(rec.E)})
    assert set(map(str, column(r, "cited"))) == rec.references(rec.E)


def test_reception(engine):
    r = run_named(engine, "reception", {"hub": rec.iri(rec.HUB)})
    got = {(str(k), str(lbl).rsplit("/", 1)[-1], float(s)) for k, lbl, s in zip(column(r, "kind"), column(r, "label"), column(r, "share"))}
    want = {("role", s.label, float(s.share)) for s in rec.RECEPTION.roles}
    want |= {("polarity", s.label, float(s.share)) for s in rec.RECEPTION.polarities}
    assert got == want and len(r.rows) == len(want)
    assert {str(x).rsplit("/", 1)[-1] for x in column(r, "overall_polarity")} == {rec.RECEPTION.polarity}


def test_most_cited(engine):
    r = run_named(engine, "most-cited")
    assert [(str(w), int(n)) for w, n in zip(column(r, "work"), column(r, "citations"))] == rec.most_cited()


def test_co_citation(engine):
    for least in (1, 2):
        r = run_named(engine, "co-citation", {"min": str(least)})
        got = {(str(a), str(b), int(n)) for a, b, n in zip(column(r, "a"), column(r, "b"), column(r, "together"))}
        assert got == rec.co_citation(least)


def test_citations_per_year(engine):
    r = run_named(engine, "citations-per-year")
    got = {(int(y) if y is not None else None): int(n) for y, n in zip(column(r, "year"), column(r, "citations"))}
    assert got == rec.citations_per_year()


def test_missing_identifiers(engine):
    r = run_named(engine, "missing-identifiers")
    assert set(map(str, column(r, "work"))) == rec.missing_identifiers()


def _split_files(tmp_path) -> list:
    """The small graph's triples dealt round-robin into two files, so that joins cross graphs."""
    from kgtool.serialize.export import ntriples_lines

    lines = sorted(ntriples_lines(rec.graph_triples()))
    files = [tmp_path / "part-1.nt", tmp_path / "part-2.nt"]
    for i, f in enumerate(files):
        f.write_text("".join(lines[i::2]), encoding="utf-8")
    return files


def _copied_files(small_graph, tmp_path) -> list:
    """The small graph twice, in two graphs: every triple is in both."""
    copy = tmp_path / "copy.ttl"
    copy.write_bytes(small_graph.read_bytes())
    return [small_graph, copy]


@pytest.mark.parametrize("layout", ["one graph", "split over two graphs", "copied into two graphs"])
def test_rdflib_and_the_store_give_the_same_rows(small_graph, tmp_path, layout):
    """Row for row, in order, after normalizing literal spellings (the store canonicalizes).

    The store reads a single graph directly and several as their union (engines.StoreEngine.dataset).
    """
    files = {"one graph": lambda: [small_graph], "split over two graphs": lambda: _split_files(tmp_path),
             "copied into two graphs": lambda: _copied_files(small_graph, tmp_path)}[layout]()
    rdflib_engine = GraphEngine(load_files(files))
    params = {"citing-works": {"work": rec.iri(rec.HUB)}, "references": {"work": rec.iri(rec.E)},
              "reception": {"hub": rec.iri(rec.HUB)}}
    with open_store(tmp_path / "kg.db", create=True) as store:
        store.load_files(files)
        assert ("default_graph" in store.engine().dataset()) == (layout == "one graph")
        for name in shipped_queries():
            a = run_named(rdflib_engine, name, params.get(name))
            b = run_named(store.engine(), name, params.get(name))
            assert a.names == b.names, name
            norm = lambda rows: [[t.toPython() if isinstance(t, Literal) else t for t in row] for row in rows]  # noqa: E731
            assert norm(a.rows) == norm(b.rows), name


def test_reception_without_distributions_still_gives_its_summary(tmp_path):
    from dataclasses import replace

    from kgtool.map.mapping import triples
    from kgtool.map.resolve import resolve
    from kgtool.serialize.export import turtle_text

    bare = replace(rec.RECEPTION, roles=(), polarities=())
    f = tmp_path / "bare.ttl"
    f.write_text(turtle_text(set(triples(resolve([replace(rec.bundle(), receptions=(bare,))])))), encoding="utf-8")
    r = run_named(GraphEngine(load_files([f])), "reception", {"hub": rec.iri(rec.HUB)})
    (row,) = r.records()
    assert row["kind"] is None and str(row["most_common_role"]).endswith("/method")
    assert float(row["most_common_role_share"]) == 0.5
    with open_store(tmp_path / "kg.db", create=True) as store:
        store.load(f)
        assert run_named(store.engine(), "reception", {"hub": rec.iri(rec.HUB)}).records() == r.records()
