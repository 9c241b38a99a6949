"""OpenAlex: the parsers on recorded-style payloads, and a crawl against the local server."""

from __future__ import annotations

import json

import pytest
from conftest import api_fixture

from kgtool.errors import ApiError, InputError, UsageError
from kgtool.read.http import HttpClient
from kgtool.read.sources import openalex as oa


def payload(name: str):
    return json.loads(api_fixture(f"openalex/{name}"))


def test_parse_work_normalizes_identifiers_and_keeps_openalex_ids():
    w = oa.parse_work(payload("W4000000001.json"), "src")
    assert w.doi == "10.5555/kg.2024.001"
    assert w.arxiv == "2401.00001"  # from the arXiv location, version dropped
    assert w.title == "Citation Graphs at Scale: Storing Intent and Context"  # whitespace collapsed
    assert w.extra_ids == (("openalex", "W4000000001"), ("mag", "4000000001"), ("pmid", "39000001"))
    assert w.year == 2024 and w.venue == "Journal of Test Graphs"
    assert [(a.name, a.orcid) for a in w.authors] == [("Ada Müller", "0000-0002-1825-0097"), ("Bo Chen", None)]


def test_parse_page_and_arxiv_doi():
    page = oa.parse_page(payload("cites_p2.json"), "src")
    (w,) = page.works
    assert page.next_cursor and page.count == 3
    assert w.doi == "10.48550/arxiv.2502.00022" and w.arxiv == "2502.00022"
    last = oa.parse_page(payload("cites_p3.json"), "src")
    assert last.works == [] and last.next_cursor is None


def test_referenced_ids_and_ids_forms():
    assert oa.referenced_ids(payload("W4000000001.json"), "s") == ["W4000000010", "W4000000011", "W4000000012"]
    assert oa.openalex_id("https://openalex.org/w123") == "W123"
    assert oa.openalex_id("A5000000001") is None


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda d: d.pop("id"), "field 'id' is missing"),
        (lambda d: d.update(id="https://openalex.org/A1"), "field 'id' is not an OpenAlex work id"),
        (lambda d: d.update(publication_year="2024"), "field 'publication_year' should be an integer, got str"),
        (lambda d: d.update(authorships={}), "field 'authorships' should be a list, got dict"),
        (lambda d: d.update(referenced_works=["W1", 7]), r"field 'referenced_works\[1\]' is not an OpenAlex work id"),
    ],
)
def test_bad_work_fields_name_source_and_field(mutate, message):
    d = payload("W4000000001.json")
    mutate(d)
    with pytest.raises(InputError, match=f"^https://api.example/works/W1: {message}"):
        oa.parse_work(d, "https://api.example/works/W1")
        oa.referenced_ids(d, "https://api.example/works/W1")


def test_page_without_results_or_with_a_bad_cursor():
    with pytest.raises(InputError, match="field 'results' is missing"):
        oa.parse_page({"meta": {}}, "u")
    with pytest.raises(InputError, match=r"field 'meta.next_cursor' should be a string, got int"):
        oa.parse_page({"meta": {"next_cursor": 5}, "results": []}, "u")
    with pytest.raises(InputError, match=r"field 'results\[0\].id' is missing"):
        oa.parse_page({"meta": {}, "results": [{"title": "x"}]}, "u")


def serve_crawl(server, pages=("cites_p1.json", "cites_p2.json", "cites_p3.json")):
    server.expect_request("/openalex/works/W4000000001", query_string={"select": oa.SELECT}).respond_with_data(
        api_fixture("openalex/W4000000001.json"), content_type="application/json"
    )
    server.expect_request(
        "/openalex/works",
        query_string={"filter": "openalex:W4000000010|W4000000011|W4000000012", "per-page": "50", "select": oa.SELECT},
    ).respond_with_data(api_fixture("openalex/refs.json"), content_type="application/json")
    cursors = ["*", "IlsxMDAuMCwgJ2h0dHBzOi8vb3BlbmFsZXgub3JnL1c0MDAwMDAwMDIxJ10i",
               "IlsxMDAuMCwgJ2h0dHBzOi8vb3BlbmFsZXgub3JnL1c0MDAwMDAwMDIyJ10i"]
    for cursor, page in zip(cursors, pages):
        server.expect_request(
            "/openalex/works",
            query_string={"filter": "cites:W4000000001", "per-page": "200", "cursor": cursor, "select": oa.SELECT},
        ).respond_with_data(api_fixture(f"openalex/{page}"), content_type="application/json")


def test_fetch_pages_citations_to_the_end_and_batches_references(api_server):
    serve_crawl(api_server)
    progress: list[str] = []
    with HttpClient() as client:
        b = oa.fetch(client, "W4000000001", citations=True, references=True, progress=progress.append)
    root = b.works[0]
    assert root.doi == "10.5555/kg.2024.001"
    refs = [c.cited for c in b.citations if c.citing is root]
    citing = [c.citing for c in b.citations if c.cited is root]
    assert [w.title for w in refs] == ["An Early Reference With a SICI DOI", "A Workshop Paper Without a DOI", None]
    assert refs[0].doi == "10.5555/(sici)0000-0000(200001)1:1<1::aid-test1>3.0.co;2-x"
    assert refs[2].extra_ids == (("openalex", "W4000000012"),)  # not in OpenAlex any more: kept by id
    assert [w.title for w in citing] == ["Intent-Aware Citation Recommendation", "Évaluer les graphes de citations", "Streaming CiTO Graphs"]
    assert all(c.label_source == "openalex" for c in b.citations)
    assert any("1 referenced works are not in OpenAlex" in n for n in b.notes)
    assert len(api_server.log) == 5  # work, one reference batch, three cursor pages
    assert progress[-1] == "openalex: 3/3 works citing W4000000001"
    assert b.source.name.endswith("/openalex/works/W4000000001?select=" + oa.SELECT)


def test_fetch_stops_at_the_limit(api_server):
    serve_crawl(api_server)
    with HttpClient() as client:
        # per-page follows the limit, so the crawl asks for 1 per page; serve that page too
        api_server.expect_request(
            "/openalex/works", query_string={"filter": "cites:W4000000001", "per-page": "1", "cursor": "*", "select": oa.SELECT}
        ).respond_with_data(api_fixture("openalex/cites_p1.json"), content_type="application/json")
        b = oa.fetch(client, "W4000000001", citations=True, limit=1)
    assert len(b.citations) == 1 and len(api_server.log) == 2


def test_fetch_by_doi_uses_the_doi_path(api_server):
    api_server.expect_request("/openalex/works/doi:10.5555/kg.2024.001").respond_with_data(
        api_fixture("openalex/W4000000001.json"), content_type="application/json"
    )
    with HttpClient() as client:
        b = oa.fetch(client, "https://doi.org/10.5555/KG.2024.001")
    assert b.works[0].extra_ids[0] == ("openalex", "W4000000001") and not b.citations


def test_a_cursor_that_never_ends_is_an_error(api_server):
    api_server.expect_request("/openalex/works/W4000000001").respond_with_data(
        api_fixture("openalex/W4000000001.json"), content_type="application/json"
    )
    looping = payload("cites_p1.json")
    looping["meta"]["next_cursor"] = "*"  # sends the crawl back to the first page
    api_server.expect_request("/openalex/works").respond_with_json(looping)
    with HttpClient() as client, pytest.raises(ApiError, match=r"paging does not advance.*cites:W4000000001"):
        oa.fetch(client, "W4000000001", citations=True)


def test_a_cursor_that_runs_past_the_announced_count_is_an_error(api_server):
    api_server.expect_request("/openalex/works/W4000000001").respond_with_data(
        api_fixture("openalex/W4000000001.json"), content_type="application/json"
    )
    counter = iter(range(10_000))

    def endless(request):
        from werkzeug import Response

        page = payload("cites_p1.json")
        page["meta"]["next_cursor"] = f"c{next(counter)}"
        return Response(json.dumps(page), content_type="application/json")

    api_server.expect_request("/openalex/works").respond_with_handler(endless)
    with HttpClient() as client, pytest.raises(ApiError, match=r"paging does not end: 14 results so far, but the API announced 3"):
        oa.fetch(client, "W4000000001", citations=True)


def test_unusable_identifiers():
    with pytest.raises(UsageError, match="not an OpenAlex work id"):
        oa.fetch(HttpClient(), "arXiv:2401.00001")
