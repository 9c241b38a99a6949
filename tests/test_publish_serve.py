"""Content negotiation through the real `kgtool serve` process."""

from __future__ import annotations

import http.client
from urllib.parse import urlsplit

import pytest
from rdflib import Graph, URIRef
from rdflib.compare import isomorphic
from serve_process import kgtool_serve
from site_fixtures import BASE, SICI_DOI, write_fixture_graph

from kgtool.map import iris
from kgtool.map.model import Work
from kgtool.publish import build_site

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
SICI_IRI = str(iris.work_iri(Work(doi=SICI_DOI), BASE))


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("serve")
    _, graph = write_fixture_graph(folder)
    build_site(graph, folder / "site", BASE)
    with kgtool_serve(folder / "site") as url:
        yield url, graph


def request(url: str, path: str, accept: str | None = None, method: str = "GET"):
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    headers = {} if accept is None else {"Accept": accept}
    conn.request(method, path, headers=headers)
    resp = conn.getresponse()
    body = resp.read()
    conn.close()
    return resp, body


def path_of(iri: str) -> str:
    return "/kg/" + iri[len(BASE):]


def test_prints_the_url_at_the_base_path(server):
    url, _ = server
    assert url.startswith("http://127.0.0.1:") and url.endswith("/kg/")


@pytest.mark.parametrize(
    "accept, suffix, ctype",
    [
        ("text/turtle", ".ttl", "text/turtle; charset=utf-8"),
        ("application/ld+json", ".jsonld", "application/ld+json"),
        ("application/n-triples", ".nt", "application/n-triples"),
        ("text/html", "/", "text/html; charset=utf-8"),
        (BROWSER, "/", "text/html; charset=utf-8"),
        (None, "/", "text/html; charset=utf-8"),
        ("text/turtle;q=0.5, application/ld+json;q=0.9", ".jsonld", "application/ld+json"),
        ("text/html;q=0.2, application/n-triples;q=0.3, text/turtle;q=0.25", ".nt", "application/n-triples"),
        ("*/*;q=0.1, text/turtle", ".ttl", "text/turtle; charset=utf-8"),
    ],
)
def test_resource_iri_answers_303_to_the_preferred_representation(server, accept, suffix, ctype):
    url, graph = server
    iri = SICI_IRI  # percent-encoded '<', '>', ';', ':' and '(' in the path
    resp, _ = request(url, path_of(iri), accept)
    assert resp.status == 303
    assert resp.getheader("Vary") == "Accept"
    location = resp.getheader("Location")
    assert location == path_of(iri) + suffix
    assert 'type="text/turtle"' in resp.getheader("Link")
    resp2, body = request(url, location)
    assert resp2.status == 200
    assert resp2.getheader("Content-Type") == ctype
    if suffix != "/":
        fmt = {".ttl": "turtle", ".jsonld": "json-ld", ".nt": "nt"}[suffix]
        got = Graph().parse(data=body.decode("utf-8"), format=fmt)
        expected = Graph()
        for t in graph.triples((URIRef(iri), None, None)):
            expected.add(t)
        assert isomorphic(got, expected)
    else:
        assert b"<h1>Identifiers &lt;script&gt;" in body


def test_the_decoded_request_path_finds_the_same_resource(server):
    url, _ = server
    raw = "/kg/" + SICI_IRI[len(BASE):].replace("%28", "(").replace("%29", ")").replace("%3A", ":").replace("%3B", ";")
    resp, _ = request(url, raw, "text/turtle")
    assert resp.status == 303 and resp.getheader("Location") == path_of(SICI_IRI) + ".ttl"


def test_nothing_acceptable_is_406(server):
    url, _ = server
    resp, body = request(url, path_of(SICI_IRI), "image/png, application/rdf+xml")
    assert resp.status == 406
    assert b"text/turtle" in body


def test_head_has_the_headers_and_no_body(server):
    url, _ = server
    resp, body = request(url, path_of(SICI_IRI), "text/turtle", method="HEAD")
    assert resp.status == 303 and body == b""
    resp, body = request(url, path_of(SICI_IRI) + ".ttl", method="HEAD")
    assert resp.status == 200 and body == b"" and int(resp.getheader("Content-Length")) > 100


@pytest.mark.parametrize(
    "path, ctype",
    [
        ("/kg/void.ttl", "text/turtle; charset=utf-8"),
        ("/kg/sitemap.xml", "application/xml"),
        ("/kg/search.json", "application/json"),
        ("/kg/assets/kgtool.css", "text/css; charset=utf-8"),
        ("/kg/assets/search.js", "text/javascript; charset=utf-8"),
        ("/kg/dumps/dataset.nt.gz", "application/gzip"),
        ("/kg/", "text/html; charset=utf-8"),
    ],
)
def test_site_files_are_served_with_their_types(server, path, ctype):
    url, _ = server
    resp, body = request(url, path)
    assert resp.status == 200 and resp.getheader("Content-Type") == ctype and body


@pytest.mark.parametrize(
    "path, status",
    [
        ("/", 302),
        ("/kg", 302),
        ("/kg/work", 301),
        ("/kg/../../etc/passwd", 404),
        ("/kg/%2e%2e/%2e%2e/etc/passwd", 404),
        ("/kg/.kgtool-site", 404),
        ("/kg/work/doi/nothing-here", 404),
        ("/elsewhere/void.ttl", 404),
        ("/kg/%ff", 400),
    ],
)
def test_other_paths(server, path, status):
    url, _ = server
    resp, _ = request(url, path)
    assert resp.status == status
