"""Enrichment of title-only works: the acceptance rule, and a build against the local server."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from conftest import DATA, api_fixture
from rdflib import URIRef

from kgtool.errors import ApiError, UsageError
from kgtool.map.enrich import decide, enrich, title_score
from kgtool.map.model import Work
from kgtool.map.vocab import KG
from kgtool.pipeline import build_hub_pages
from kgtool.read.sources import openalex as oa
from kgtool.read.sources import semanticscholar as s2
from kgtool.read.sources.hub import read_hub_page

HUB = DATA / "hub-enrich.txt"
BASE = "https://w3id.org/kgtool/data/"


def serve_searches(server) -> None:
    for query, body in json.loads(api_fixture("openalex/search.json")).items():
        server.expect_request(
            "/openalex/works", query_string={"filter": f"title.search:{query}", "per-page": "10", "select": oa.SELECT}
        ).respond_with_json(body)
    for query, body in json.loads(api_fixture("semanticscholar/search.json")).items():
        server.expect_request(
            "/s2/graph/v1/paper/search", query_string={"query": query, "limit": "10", "fields": s2.PAPER_FIELDS}
        ).respond_with_json(body)


def test_title_score():
    assert title_score("Évaluer les graphes : étude", "evaluer les graphes etude") == Decimal(1)
    assert title_score("A Study, Part I", "A study part II") < Decimal(1)
    assert title_score("Streaming CiTO Graphs", "Streaming CiTO Graphs with Context") == Decimal("0.763")
    assert title_score("", "x") == 0


def test_decide_accepts_one_record_at_or_above_the_threshold():
    exact = Work(title="Graph Stores", doi="10.5555/a")
    near = Work(title="Graph Stores Revisited", doi="10.5555/b")
    d = decide("graph stores", [near, exact])
    assert (d.status, d.work, d.score) == ("matched", exact, Decimal(1))
    assert decide("graph stores", [near]).status == "no match"
    assert "best candidate scored 0.7" in decide("graph stores", [near]).detail
    assert decide("graph stores", [near, exact], Decimal("0.5")).status == "ambiguous"
    assert decide("graph stores", [exact, Work(title="GRAPH STORES", doi="10.5555/a")]).status == "matched"  # one record twice
    assert decide("graph stores", []).status == "no match"


def test_enrich_outcomes(api_server):
    serve_searches(api_server)
    result = enrich([read_hub_page(HUB)], "openalex,s2")
    status = {o.title: o.status for o in result.outcomes}
    assert status == {
        "Citation Graphs at Scale: Storing Intent and Context": "matched",
        "Intent-Aware Citation Recommendation": "matched",
        "Attention Is Not Explanation for Graphs": "ambiguous",
        "Streaming CiTO Graphs": "no match",
        "Évaluer les graphes de citations": "matched",
        "Graph Stores for Scholarly Citations": "conflict",
    }
    hub = next(o for o in result.outcomes if o.title.startswith("Citation Graphs"))
    assert (hub.work.doi, hub.work.arxiv, hub.work.year, hub.work.venue) == ("10.5555/kg.2024.001", "2401.00001", 2024, "Journal of Test Graphs")
    assert hub.work.title == "Citation Graphs at Scale: Storing Intent and Context"  # its own title kept
    assert [a.name for a in hub.work.authors] == ["Ada Müller", "Bo Chen"]
    assert len(result.bundles) == 5  # hub x2 sources, recommendation x1, évaluer x2
    assert result.summary() == "enriched 3 of 6 title-only works (1 ambiguous, 1 conflict, 3 matched, 1 no match)"
    notes = "\n".join(result.notes)
    assert "'Graph Stores for Scholarly Citations': conflict (the sources disagree on the doi: 10.5555/kg.2022.040, 10.5555/kg.2022.041" in notes
    assert "'Attention Is Not Explanation for Graphs': ambiguous (openalex: ambiguous, 2 different records match" in notes
    assert "'Streaming CiTO Graphs': no match (openalex: no match, best candidate scored 0.763" in notes


def test_a_lower_threshold_is_the_users_choice(api_server):
    serve_searches(api_server)
    result = enrich([read_hub_page(HUB)], ["openalex"], threshold=Decimal("0.75"))
    streaming = next(o for o in result.outcomes if o.title == "Streaming CiTO Graphs")
    assert streaming.status == "matched" and streaming.work.arxiv == "2502.00022"
    assert streaming.decisions[0][1].score == Decimal("0.763")


def test_build_with_enrichment_is_one_node_per_paper_with_recorded_matches(api_server):
    serve_searches(api_server)
    result = build_hub_pages([HUB], enrich="openalex,s2", out_dir=None)
    g = result.graph
    hub = URIRef(BASE + "work/doi/10.5555/kg.2024.001")
    assert len(result.resolved.works) == 6  # enrichment added identifiers, not nodes
    matches = {str(g.value(m, URIRef("http://www.w3.org/ns/prov#wasAttributedTo"))).rsplit("/", 1)[1]: m
               for m in g.objects(hub, KG.hasTitleMatch)}
    assert set(matches) == {"openalex", "semanticscholar"}
    assert str(g.value(matches["openalex"], KG.matchScore)) == "1.0"
    assert str(g.value(matches["openalex"], KG.matchedTitle)) == "Citation Graphs at Scale: Storing Intent and Context"
    evaluer = URIRef(BASE + "work/doi/10.5555/kg.2025.021")
    assert len(set(g.objects(evaluer, KG.hasTitleMatch))) == 2
    assert not result.report.fails()  # no violation (warnings may be there)
    assert sum("left as it was" in n for n in result.notes) == 3


def test_enrichment_needs_a_searchable_source():
    with pytest.raises(UsageError, match=r"opencitations cannot look works up by title \(sources that can: openalex, semanticscholar, crossref\)"):
        enrich([read_hub_page(HUB)], "opencitations")
    with pytest.raises(UsageError, match="unknown source 'scopus'"):
        enrich([read_hub_page(HUB)], "scopus")


def test_a_failing_lookup_fails_the_build(api_server, tmp_path):
    api_server.expect_request("/openalex/works").respond_with_data("down", status=503)
    out = tmp_path / "out"
    with pytest.raises(ApiError, match="HTTP 503; gave up after 5 attempts"):
        build_hub_pages([HUB], enrich="openalex", out_dir=out)
    assert not out.exists()
