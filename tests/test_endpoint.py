"""The endpoint client against a local HTTP server replaying realistic answers (pytest-httpserver)."""

from __future__ import annotations

import json

import pytest
from rdflib import Literal, URIRef
from servers import free_port
from werkzeug import Response

from kgtool.errors import EndpointError, UsageError
from kgtool.push.endpoint import LAYOUTS, Endpoint, auth_from_env, parse_results_json
from kgtool.store.engines import EndpointEngine, inline_values

# A SELECT answer in the shape `oxigraph serve` gives (SPARQL 1.1 Query Results JSON).
SELECT_JSON = {
    "head": {"vars": ["work", "title", "citations"]},
    "results": {"bindings": [
        {"work": {"type": "uri", "value": "https://w3id.org/kgtool/data/work/doi/10.1234/hub"},
         "title": {"type": "literal", "value": "Graph Stores", "xml:lang": "en"},
         "citations": {"type": "literal", "datatype": "http://www.w3.org/2001/XMLSchema#integer", "value": "5"}},
        {"work": {"type": "uri", "value": "https://w3id.org/kgtool/data/work/doi/10.1234/b"},
         "citations": {"type": "literal", "datatype": "http://www.w3.org/2001/XMLSchema#integer", "value": "2"}},
    ]},
}


def endpoint(server, **kw) -> Endpoint:
    kw.setdefault("backoff", 0.01)
    return Endpoint.from_base(server.url_for("/").rstrip("/"), env={}, **kw)


def test_results_json_becomes_rdf_terms():
    r = parse_results_json(json.dumps(SELECT_JSON).encode())
    assert r.names == ["work", "title", "citations"]
    assert r.rows[0] == [URIRef("https://w3id.org/kgtool/data/work/doi/10.1234/hub"), Literal("Graph Stores", lang="en"),
                         Literal("5", datatype=URIRef("http://www.w3.org/2001/XMLSchema#integer"))]
    assert r.rows[1][1] is None
    assert parse_results_json(b'{"head": {}, "boolean": true}').boolean is True


def test_query_posts_the_form_and_reads_json(httpserver):
    httpserver.expect_request(
        "/query", method="POST", headers={"Content-Type": "application/x-www-form-urlencoded"},
    ).respond_with_json(SELECT_JSON, content_type="application/sparql-results+json")
    r = endpoint(httpserver).query("SELECT * WHERE { ?s ?p ?o }", ["https://example.org/g"])
    assert len(r.rows) == 2
    (req, _), = httpserver.log
    form = req.form
    assert form["query"] == "SELECT * WHERE { ?s ?p ?o }" and form["default-graph-uri"] == "https://example.org/g"
    assert "application/sparql-results+json" in req.headers["Accept"]


def test_transient_failures_are_retried(httpserver):
    httpserver.expect_ordered_request("/query").respond_with_data("busy", status=503, headers={"Retry-After": "0"})
    httpserver.expect_ordered_request("/query").respond_with_data("bad gateway", status=502)
    httpserver.expect_ordered_request("/query").respond_with_json(SELECT_JSON, content_type="application/sparql-results+json")
    r = endpoint(httpserver).query("SELECT * WHERE { ?s ?p ?o }")
    assert len(r.rows) == 2 and len(httpserver.log) == 3


def test_retries_give_up_with_the_endpoints_answer(httpserver):
    httpserver.expect_request("/update").respond_with_data("Service Unavailable: compacting", status=503)
    with pytest.raises(EndpointError, match=r"POST http://.*/update: HTTP 503 SERVICE UNAVAILABLE: Service Unavailable: compacting"):
        endpoint(httpserver, retries=2).update("CLEAR ALL")
    assert len(httpserver.log) == 3


def test_errors_that_are_not_transient_are_reported_at_once(httpserver):
    httpserver.expect_request("/update").respond_with_data(
        "Parser error at line 1 between columns 8 and 12: expected DATA", status=400, content_type="text/plain")
    with pytest.raises(EndpointError, match="HTTP 400 BAD REQUEST: Parser error at line 1"):
        endpoint(httpserver).update("INSERT {")
    assert len(httpserver.log) == 1


def test_a_refused_connection_is_retried_then_reported():
    port = free_port()  # bound and released: nothing listens there
    ep = Endpoint.from_base(f"http://127.0.0.1:{port}", env={}, retries=1, backoff=0.01)
    with pytest.raises(EndpointError, match=rf"POST http://127.0.0.1:{port}/query: connection refused \(after 2 attempts\)"):
        ep.query("ASK {}")


def test_credentials_are_sent_and_never_shown(httpserver):
    httpserver.expect_request("/update", headers={"Authorization": "Bearer s3cret-token"}).respond_with_data("", status=204)
    httpserver.expect_request("/update").respond_with_data("unauthorized", status=401)
    Endpoint.from_base(httpserver.url_for("/").rstrip("/"), env={"KGTOOL_ENDPOINT_TOKEN": "s3cret-token"}).update("CLEAR ALL")
    bad = Endpoint.from_base(httpserver.url_for("/").rstrip("/"), env={"KGTOOL_ENDPOINT_TOKEN": "wrong-token"})
    with pytest.raises(EndpointError) as e:
        bad.update("CLEAR ALL")
    assert "HTTP 401" in str(e.value) and "check the credentials" in str(e.value)
    assert "wrong-token" not in str(e.value) and "wrong-token" not in repr(bad)


def test_auth_from_env():
    assert auth_from_env({}) is None
    basic = auth_from_env({"KGTOOL_ENDPOINT_USER": "ann", "KGTOOL_ENDPOINT_PASSWORD": "pw"})
    assert (basic.username, basic.password) == ("ann", "pw")
    with pytest.raises(UsageError, match="KGTOOL_ENDPOINT_PASSWORD is not set"):
        auth_from_env({"KGTOOL_ENDPOINT_USER": "ann"})
    with pytest.raises(UsageError, match="not both"):
        auth_from_env({"KGTOOL_ENDPOINT_TOKEN": "t", "KGTOOL_ENDPOINT_USER": "ann"})


def test_urls_with_credentials_are_refused():
    with pytest.raises(UsageError, match="holds credentials"):
        Endpoint.from_base("http://ann:pw@127.0.0.1:7878", env={})
    with pytest.raises(UsageError, match="http\\(s\\) URL"):
        Endpoint.from_base("ftp://127.0.0.1", env={})


def test_layouts_place_the_services():
    fuseki = Endpoint.from_base("http://h:3030/kg", "fuseki", env={})
    assert (fuseki.query_url, fuseki.update_url, fuseki.store_url) == ("http://h:3030/kg/query", "http://h:3030/kg/update", "http://h:3030/kg/data")
    graphdb = Endpoint.from_base("http://h:7200/repositories/kg", "graphdb", env={})
    assert graphdb.query_url == "http://h:7200/repositories/kg"
    assert graphdb.store_url == "http://h:7200/repositories/kg/rdf-graphs/service"
    qlever = Endpoint.from_base("http://h:7001", "qlever", env={})
    assert qlever.store_url == qlever.update_url == qlever.query_url == "http://h:7001"
    with pytest.raises(UsageError, match="choose from: " + ", ".join(LAYOUTS)):
        Endpoint.from_base("http://h", "blazegraph", env={})


def test_parameters_travel_as_a_values_block_of_serialized_terms(httpserver):
    httpserver.expect_request("/query").respond_with_json(SELECT_JSON, content_type="application/sparql-results+json")
    text = "# a WHERE { in a comment\nSELECT ?x WHERE { ?x ?p \"WHERE {\" }"
    EndpointEngine(endpoint(httpserver)).query(text, {"w": URIRef("https://x.org/a"), "n": Literal(3)})
    sent = httpserver.log[0][0].form["query"]
    assert sent.endswith(
        'SELECT ?x WHERE { VALUES (?n ?w) { ("3"^^<http://www.w3.org/2001/XMLSchema#integer> <https://x.org/a>) }\n'
        ' ?x ?p "WHERE {" }'
    )


def test_values_block_needs_a_where_clause():
    with pytest.raises(UsageError, match="no 'WHERE"):
        inline_values("SELECT * { ?s ?p ?o }", {"s": URIRef("https://x.org/a")})


def test_a_bad_iri_cannot_be_serialized_into_a_query():
    with pytest.raises(ValueError, match="forbidden character"):
        inline_values("SELECT * WHERE { ?s ?p ?o }", {"s": URIRef("https://x.org/a> } #")})


def test_unexpected_answer_type(httpserver):
    httpserver.expect_request("/query").respond_with_response(Response("<html>login</html>", content_type="text/html"))
    with pytest.raises(EndpointError, match="unexpected answer type text/html"):
        endpoint(httpserver).query("ASK {}")


def test_graph_store_requests_name_the_graph_as_the_server_expects(httpserver):
    httpserver.expect_request("/store", method="PUT", query_string={"graph": "https://example.org/g"},
                              headers={"Content-Type": "application/n-triples"}).respond_with_data("", status=204)
    httpserver.expect_request("/sparql-graph-crud", method="POST", query_string={"graph-uri": "https://example.org/g"}
                              ).respond_with_data("", status=201)
    body = b"<https://x.org/a> <https://x.org/p> <https://x.org/b> .\n"
    endpoint(httpserver).put_graph("https://example.org/g", body, "application/n-triples")
    endpoint(httpserver, layout="virtuoso").post_graph("https://example.org/g", body, "application/n-triples")
    assert [req.data for req, _ in httpserver.log] == [body, body]
