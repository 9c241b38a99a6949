"""Crossref: works and reference lists with and without DOIs."""

from __future__ import annotations

import hashlib
import json

import pytest
from conftest import api_fixture

from kgtool.errors import ApiError, InputError, UsageError
from kgtool.read.http import HttpClient
from kgtool.read.sources import crossref as cr


def payload(name: str):
    return json.loads(api_fixture(f"crossref/{name}"))


def test_parse_work_and_its_references():
    work, refs, notes = cr.parse_work_response(payload("work.json"), "src")
    assert work.doi == "10.5555/kg.xref.2023.7"
    assert work.title == "Deposited Reference Lists in Open Citation Graphs"  # tags and newlines gone
    assert work.year == 2023 and work.venue == "Journal of Test Graphs"
    assert [(a.name, a.orcid) for a in work.authors] == [
        ("Farah Haddad", "0000-0002-1694-233X"), ("Gil Romero", None), ("Open Graph Consortium", None)
    ]
    with_doi, without_doi, unstructured, sici = refs
    assert (with_doi.doi, with_doi.title, with_doi.year) == ("10.5555/kg.2024.001", "Citation Graphs at Scale", 2024)
    assert without_doi.doi is None and without_doi.title == "A Workshop Paper Without a DOI"
    assert without_doi.venue == "Workshop on Test Graphs"
    assert sici.doi == "10.5555/(sici)0000-0000(200001)1:1<1::aid-test1>3.0.co;2-x" and sici.title is None
    # Kept by its text, under a key from the citing work's DOI and the reference's key (documented).
    assert unstructured.citation_text == "Haddad, F., 2018, “Notes on reference lists,” technical report, Test University."
    expected = hashlib.sha256(b"doi:10.5555/kg.xref.2023.7 ref3").hexdigest()[:20]
    assert unstructured.extra_ids == (("ref", expected),) and unstructured.title is None and unstructured.doi is None
    assert notes == []


def test_a_reference_with_neither_key_nor_text_is_kept_by_position_and_fields():
    body = {"status": "ok", "message-type": "work", "message": {"DOI": "10.5555/x", "reference": [
        {"author": "Ali", "year": "2014", "journal-title": "Geosynth. Int.", "volume": "21"}, {"volume": "3"}, {}]}}
    _, refs, _ = cr.parse_work_response(body, "u")
    assert [r.citation_text for r in refs] == ["Ali, 2014, Geosynth. Int., 21", "3", "{}"]
    keys = [r.extra_ids[0][1] for r in refs]
    assert keys[0] == hashlib.sha256(b"doi:10.5555/x #1").hexdigest()[:20] and len(set(keys)) == 3


def test_saved_work_list_keeps_every_items_references(shared_dir):
    path = shared_dir / "samples" / "crossref" / "works_list_prefix_10.5555.json"
    if not path.is_file():
        pytest.skip("shared Crossref list sample is not present")
    payload = json.loads(path.read_bytes())
    read = sum(len(it.get("reference") or []) for it in payload["message"]["items"])
    b = cr.read_saved(path.read_bytes(), "list")
    assert read > 0 and len(b.citations) == read
    texts = [c.cited.citation_text for c in b.citations if c.cited.citation_text]
    assert any("Carleton University" in t for t in texts)


def test_parse_work_list():
    works = cr.parse_work_list(payload("search.json"), "src")
    assert [w.doi for w in works] == ["10.5555/kg.2024.001", "10.5555/kg.2022.099"]
    assert works[0].year == 2024 and works[1].venue is None


@pytest.mark.parametrize(
    "body, error, message",
    [
        ({"status": "failed", "message-type": "validation-failure", "message": []}, ApiError, "Crossref answered status 'failed'"),
        ({"status": "ok", "message-type": "work-list", "message": {}}, InputError, "field 'message-type' is 'work-list', expected 'work'"),
        ({"status": "ok", "message-type": "work", "message": {"title": ["x"]}}, InputError, "field 'message.DOI' is missing"),
        ({"status": "ok", "message-type": "work", "message": {"DOI": "not-a-doi"}}, InputError, "field 'message.DOI' is not a DOI"),
        ({"status": "ok", "message-type": "work", "message": {"DOI": "10.5555/x", "reference": {}}}, InputError, "field 'message.reference' should be a list"),
    ],
)
def test_bad_responses(body, error, message):
    with pytest.raises(error, match=message):
        cr.parse_work_response(body, "u")


def test_fetch_references(api_server):
    api_server.expect_request("/crossref/works/10.5555/kg.xref.2023.7").respond_with_data(
        api_fixture("crossref/work.json"), content_type="application/json"
    )
    with HttpClient() as client:
        b = cr.fetch(client, "doi:10.5555/KG.XREF.2023.7", references=True)
        only = cr.fetch(client, "10.5555/kg.xref.2023.7", references=True, limit=1)
    assert len(b.citations) == 4 and all(c.citing.doi == "10.5555/kg.xref.2023.7" for c in b.citations)
    assert len(only.citations) == 1
    assert len(api_server.log) == 1  # the second fetch came from the cache


def test_fetch_sici_doi_escapes_the_path(api_server):
    doi = "10.5555/(sici)0000-0000(200001)1:1<1::aid-test1>3.0.co;2-x"
    body = {"status": "ok", "message-type": "work", "message": {"DOI": doi.upper(), "title": ["Old"]}}
    api_server.expect_request(f"/crossref/works/{doi}").respond_with_json(body)
    with HttpClient() as client:
        b = cr.fetch(client, doi)
    raw_path = api_server.log[0][0].environ["RAW_URI"]
    assert "%3C" in raw_path and "%3B" in raw_path and "<" not in raw_path
    assert b.works[0].doi == doi


def test_crossref_has_no_citing_list():
    with pytest.raises(UsageError, match="Crossref does not list the works that cite a DOI"):
        cr.fetch(HttpClient(), "10.5555/x", citations=True)


def test_search_title_for_enrichment(api_server):
    api_server.expect_request(
        "/crossref/works",
        query_string={"query.bibliographic": "Citation Graphs at Scale", "rows": "10", "select": cr.SEARCH_SELECT},
    ).respond_with_data(api_fixture("crossref/search.json"), content_type="application/json")
    with HttpClient() as client:
        works, resp = cr.search_title(client, "Citation Graphs at Scale")
    assert [w.doi for w in works] == ["10.5555/kg.2024.001", "10.5555/kg.2022.099"]
    assert "query.bibliographic=Citation%20Graphs%20at%20Scale" in resp.url
