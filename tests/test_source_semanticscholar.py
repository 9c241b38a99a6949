"""Semantic Scholar: papers, edges with intents/contexts/isInfluential, paging, the API key."""

from __future__ import annotations

import hashlib
import json

import pytest
from conftest import api_fixture

from kgtool.errors import ApiError, InputError, UsageError
from kgtool.map.model import RoleLabel
from kgtool.read.http import HttpClient
from kgtool.read.sources import semanticscholar as s2

PAPER_PATH = "/s2/graph/v1/paper/arXiv:2401.00001"


def payload(name: str):
    return json.loads(api_fixture(f"semanticscholar/{name}"))


def test_parse_paper():
    w = s2.parse_paper(payload("paper.json"), "src")
    assert (w.doi, w.arxiv, w.year, w.venue) == ("10.5555/kg.2024.001", "2401.00001", 2024, "Journal of Test Graphs")
    assert w.extra_ids == (("s2", "5f3a0c1e2d4b6a8f9e7d5c3b1a0f2e4d6c8b0a19"), ("mag", "4000000001"), ("corpusid", "270000001"))
    assert [a.name for a in w.authors] == ["Ada Müller", "Bo Chen"]


def test_parse_edges_maps_intents_to_roles_and_keeps_contexts_and_influence():
    root = s2.parse_paper(payload("paper.json"), "src")
    cites, notes, nxt = s2.parse_edges_page(payload("citations_p0.json"), root, "citations", "src")
    assert nxt == 2
    first, unresolved = cites
    assert first.cited is root and first.citing.doi == "10.5555/kg.2025.020"
    assert first.roles == (RoleLabel("method", "semanticscholar"), RoleLabel("background", "semanticscholar"))
    assert first.contexts == ("We adopt the intent taxonomy of [12] for our labels.", "Following [12], contexts are stored as text.")
    assert first.influential is True and first.label_source == "semanticscholar"
    assert unresolved.citing.title == "An Unresolved Thesis Chapter" and unresolved.citing.extra_ids == ()
    assert unresolved.influential is False and unresolved.roles == ()
    cites, notes, nxt = s2.parse_edges_page(payload("citations_p1.json"), root, "citations", "src")
    assert nxt is None and len(cites) == 2  # the paper with neither id nor title is kept...
    assert cites[0].roles == (RoleLabel("result", "semanticscholar"),)  # result -> usesConclusionsFrom
    assert cites[0].influential is False
    assert any("unknown citation intent 'futurework'" in n for n in notes)
    kept = cites[1].citing  # ...by what the record says, under a key from the cited paper and its position
    assert kept.citation_text == '{"authors": [], "externalIds": null, "paperId": null, "title": null}'
    anchor = f"doi:{root.doi} citations#{2 + 2}".encode()  # page 1 starts at offset 2
    assert kept.extra_ids == (("ref", hashlib.sha256(anchor).hexdigest()[:20]),)


def test_references_direction():
    root = s2.parse_paper(payload("paper.json"), "src")
    (c,), _, _ = s2.parse_edges_page(payload("references_p0.json"), root, "references", "src")
    assert c.citing is root and c.cited.doi == "10.5555/(sici)0000-0000(200001)1:1<1::aid-test1>3.0.co;2-x"
    assert c.roles == (RoleLabel("background", "semanticscholar"),)


@pytest.mark.parametrize(
    "edge, message",
    [
        ({"intents": ["background"]}, "field 'data.citingPaper' is missing"),
        ({"citingPaper": {"paperId": "x"}, "isInfluential": "yes"}, "field 'data.isInfluential' should be true or false, got str"),
        ({"citingPaper": {"paperId": "x"}, "contexts": "text"}, "field 'data.contexts' should be a list, got str"),
        ({"citingPaper": {"paperId": "x", "year": "2020"}}, "field 'data.citingPaper.year' should be an integer, got str"),
    ],
)
def test_bad_edges(edge, message):
    root = s2.parse_paper(payload("paper.json"), "src")
    with pytest.raises(InputError, match=f"^u: {message}"):
        s2.parse_edge(edge, root, "citations", "u", "data.")


def test_paper_ids():
    assert s2.paper_id("arxiv:2401.00001v3") == "arXiv:2401.00001"
    assert s2.paper_id("https://doi.org/10.5555/KG.2024.001") == "DOI:10.5555/kg.2024.001"
    assert s2.paper_id("corpusid:270000001") == "CorpusId:270000001"
    assert s2.paper_id("5F3A0C1E2D4B6A8F9E7D5C3B1A0F2E4D6C8B0A19") == "5f3a0c1e2d4b6a8f9e7d5c3b1a0f2e4d6c8b0a19"
    with pytest.raises(UsageError, match="not a Semantic Scholar paper id"):
        s2.paper_id("W4000000001")


def serve_paper(server, key=None):
    headers = {"x-api-key": key} if key else None
    server.expect_request(PAPER_PATH, query_string={"fields": s2.PAPER_FIELDS}, headers=headers).respond_with_data(
        api_fixture("semanticscholar/paper.json"), content_type="application/json"
    )
    for offset, page in ((0, "citations_p0.json"), (2, "citations_p1.json")):
        server.expect_request(
            f"{PAPER_PATH}/citations",
            query_string={"fields": s2.EDGE_FIELDS, "offset": str(offset), "limit": "500"},
            headers=headers,
        ).respond_with_data(api_fixture(f"semanticscholar/{page}"), content_type="application/json")


def test_fetch_pages_to_the_end_with_the_key_in_a_header(api_server, monkeypatch):
    monkeypatch.setenv("KGTOOL_S2_API_KEY", "k-123")
    serve_paper(api_server, key="k-123")
    with HttpClient() as client:
        b = s2.fetch(client, "arXiv:2401.00001", citations=True)
    assert len(b.citations) == 4 and len(api_server.log) == 3  # the unresolved paper is kept too
    assert all("k-123" not in str(r.url) for r, _ in api_server.log)
    assert "k-123" not in b.source.name


def test_fetch_without_key_sends_none(api_server):
    serve_paper(api_server)
    with HttpClient() as client:
        s2.fetch(client, "arXiv:2401.00001")
    assert "x-api-key" not in api_server.log[0][0].headers


def test_an_offset_that_does_not_advance_is_an_error(api_server):
    api_server.expect_request(PAPER_PATH).respond_with_data(api_fixture("semanticscholar/paper.json"), content_type="application/json")
    stuck = payload("citations_p0.json")
    stuck["next"] = 0
    api_server.expect_request(f"{PAPER_PATH}/citations").respond_with_json(stuck)
    with HttpClient() as client, pytest.raises(ApiError, match=r"paging does not advance \(field 'next' is 0 at offset 0\)"):
        s2.fetch(client, "arXiv:2401.00001", citations=True)


def test_a_missing_paper_is_a_clear_error(api_server):
    api_server.expect_request("/s2/graph/v1/paper/arXiv:2401.99999").respond_with_json(
        {"error": "Paper with id arXiv:2401.99999 not found"}, status=404
    )
    with HttpClient() as client, pytest.raises(
        ApiError, match=r"not found \(HTTP 404\): Paper with id arXiv:2401.99999 not found: http://127.0.0.1:\d+/s2/graph/v1/paper/arXiv:2401.99999\?fields="
    ):
        s2.fetch(client, "arXiv:2401.99999", citations=True)
