"""Conformance: every shared API sample (../shared/samples/<source>/) through the parsers, and
the recorded HTTP exchanges (cassettes) replayed by the local server through `kgtool fetch`.
Skipped when ../shared is absent."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from click.testing import CliRunner
from rdflib import Graph, Literal
from rdflib.namespace import DCTERMS, RDF

from kgtool.cli import main
from kgtool.map.iris import work_iri
from kgtool.map.model import RoleLabel
from kgtool.map.vocab import CITO
from kgtool.pipeline import build_graph
from kgtool.read.sources import crossref, openalex, semanticscholar
from kgtool.read.sources.registry import get_source

SOURCES = ("openalex", "semanticscholar", "crossref", "opencitations")
yaml = pytest.importorskip("yaml")


@pytest.fixture
def samples(shared_dir) -> Path:
    return shared_dir / "samples"


def cassette(path: Path) -> list[tuple[str, str]]:
    """(uri, response body) of each recorded exchange (vcrpy and R vcr layouts)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    out = []
    for it in data.get("interactions") or data.get("http_interactions"):
        resp = it["response"]
        body = resp["body"]["string"] if isinstance(resp.get("body"), dict) else resp.get("content")
        out.append((it["request"]["uri"], body))
    return out


def saved_bundle(source: str, path: Path):
    return get_source(source).read_saved(path.read_bytes(), path.name)


CHECKED = {
    "openalex/W2741809807.json", "openalex/works_sample5.json",
    "semanticscholar/Citation.json", "semanticscholar/Paper.json", "semanticscholar/paper_citations_page0.json",
    "crossref/work_10.7554_elife.01567.json", "crossref/works_list_prefix_10.5555.json",
    "opencitations/coci_v1_references_10.1108_jd-12-2013-0166.json",
    "opencitations/coci_v1_citation_06180334099-06101759895.json",
    "opencitations/citations_data.csv", "opencitations/citations_sample.csv", "opencitations/citations_data.ttl",
    "openalex/cassettes/test_get_random_id_from_openalex.yaml",
    "semanticscholar/cassettes/test_get_paper_citations.yaml",
    "crossref/cassettes/test_doi_with_data_citation.yaml", "crossref/cassettes/test_get_crossref_list.yaml",
    "opencitations/cassettes/oc_coci_refs.yml", "opencitations/cassettes/oc_coci_citation.yml",
}


def test_every_shared_api_sample_is_checked_here(samples):
    present = {str(p.relative_to(samples)) for s in SOURCES for p in (samples / s).rglob("*")
               if p.is_file() and p.name != "PROVENANCE.md"}
    assert present - CHECKED == set(), "new shared samples: add them to this conformance test"


EDGE_LISTS = {"semanticscholar/Citation.json", "semanticscholar/paper_citations_page0.json"}  # no root paper: parsed below


@pytest.mark.parametrize("rel", sorted(r for r in CHECKED if r.endswith((".json", ".csv")) and r not in EDGE_LISTS))
def test_each_saved_body_builds_a_conforming_graph(samples, rel):
    source = rel.split("/")[0]
    b = saved_bundle(source, samples / rel)
    assert b.works or b.citations
    assert not build_graph([b], out_dir=None).report.fails()


def test_openalex_work(samples):
    b = saved_bundle("openalex", samples / "openalex/W2741809807.json")
    root = b.works[0]
    assert (root.doi, root.year, len(root.authors)) == ("10.7717/peerj.4375", 2018, 9)
    assert root.authors[0].orcid == "0000-0003-1613-5981" and ("openalex", "W2741809807") in root.extra_ids
    assert len(b.citations) == 45 and all(c.citing is root for c in b.citations)
    page = openalex.parse_page(json.loads((samples / "openalex/works_sample5.json").read_text()), "s")
    assert len(page.works) == 5 and sum(w.doi is None for w in page.works) == 3
    assert page.next_cursor is None  # a page-based answer has no cursor


def test_openalex_cassette_pages(samples):
    for uri, body in cassette(samples / "openalex/cassettes/test_get_random_id_from_openalex.yaml"):
        page = openalex.parse_page(json.loads(body), uri)
        assert len(page.works) == int(parse_qs(urlsplit(uri).query)["sample"][0])


def test_semanticscholar_edge_with_intents(samples):
    root = semanticscholar.parse_paper({"paperId": "0" * 40, "title": "Root"}, "r")
    c, notes = semanticscholar.parse_edge(json.loads((samples / "semanticscholar/Citation.json").read_text()), root, "citations", "s")
    assert set(c.roles) == {RoleLabel(r, "semanticscholar") for r in ("result", "background", "method")}
    assert len(c.contexts) == 4 and c.influential is True and notes == []
    assert c.citing.doi == "10.1109/lra.2022.3229266"


def test_semanticscholar_paper_and_page(samples):
    b = saved_bundle("semanticscholar", samples / "semanticscholar/Paper.json")
    assert b.works[0].doi == "10.1093/mind/lix.236.433" and len(b.citations) == 34  # 14 references + 20 citations
    root = b.works[0]
    cites, _, nxt = semanticscholar.parse_edges_page(
        json.loads((samples / "semanticscholar/paper_citations_page0.json").read_text()), root, "citations", "s")
    assert len(cites) == 100 and nxt == 100


def test_crossref_work_and_list(samples):
    b = saved_bundle("crossref", samples / "crossref/work_10.7554_elife.01567.json")
    assert b.works[0].doi == "10.7554/elife.01567" and b.works[0].year == 2014
    assert len(b.citations) == 27 and all(c.cited.doi for c in b.citations)
    (_, body), = cassette(samples / "crossref/cassettes/test_get_crossref_list.yaml")
    assert len(crossref.parse_work_list(json.loads(body), "s")) == 20


def test_opencitations_csv_maps_as_the_index_software_does(samples):
    """Our mapping of citations_data.csv agrees with the Index's own RDF of the same rows."""
    b = saved_bundle("opencitations", samples / "opencitations/citations_data.csv")
    ours = build_graph([b], out_dir=None).graph
    ref = Graph().parse(samples / "opencitations/citations_data.ttl", format="nt")
    for ci in set(ref.subjects(RDF.type, CITO.Citation)):
        oci = str(ci).rsplit("/", 1)[1]
        (node,) = ours.subjects(DCTERMS.identifier, Literal(f"oci:{oci}"))
        for prop in (CITO.hasCitationCreationDate, CITO.hasCitationTimeSpan):
            assert ref.value(ci, prop) == ours.value(node, prop), (oci, prop)
        assert set(ref.objects(ci, RDF.type)) == set(ours.objects(node, RDF.type)), oci
        cited = str(ref.value(ci, CITO.hasCitedEntity)).replace("http://dx.doi.org/", "")
        assert str(ours.value(node, CITO.hasCitedEntity)).endswith("/work/doi/" + cited)


def test_opencitations_omid_dump(samples):
    b = saved_bundle("opencitations", samples / "opencitations/citations_sample.csv")
    assert len(b.citations) == 10 and b.citations[0].oci == "06801597168-062402843420"
    assert b.citations[0].citing.extra_ids == (("omid", "br/06801597168"),) and b.citations[0].citing.doi is None


def run(*args):
    return CliRunner().invoke(main, ["-q", *args], catch_exceptions=False)


def test_replayed_crossref_cassette_through_fetch(samples, api_server, tmp_path):
    (_, _), (uri, body) = cassette(samples / "crossref/cassettes/test_doi_with_data_citation.yaml")
    api_server.expect_request("/crossref" + urlsplit(uri).path).respond_with_data(body, content_type="application/json")
    r = run("fetch", "crossref", "10.7554/eLife.01567", "--references", "--out", str(tmp_path))
    assert r.exit_code == 0, r.stderr
    assert "28 works, 27 citations" in r.stdout


def test_replayed_opencitations_cassettes_through_fetch(samples, api_server, tmp_path):
    (_, refs), = cassette(samples / "opencitations/cassettes/oc_coci_refs.yml")
    (_, one), = cassette(samples / "opencitations/cassettes/oc_coci_citation.yml")
    api_server.expect_request("/oc/index/v2/references/doi:10.1108/jd-12-2013-0166").respond_with_data(refs, content_type="application/json")
    api_server.expect_request("/oc/index/v2/citation/06180334099-06101759895").respond_with_data(one, content_type="application/json")
    r = run("fetch", "opencitations", "doi:10.1108/jd-12-2013-0166", "--references", "--out", str(tmp_path))
    assert r.exit_code == 0, r.stderr
    assert "38 works, 37 citations" in r.stdout
    ttl = (tmp_path / "opencitations-doi_10.1108_jd-12-2013-0166.ttl").read_text()
    assert "%28sici%291097-4571%28198909%2940%3A5%3C342%3A%3Aaid-asi7%3E3.0.co%3B2-u" in ttl
    r = run("fetch", "oc", "oci:06180334099-06101759895", "--out", str(tmp_path))
    assert r.exit_code == 0 and "2 works, 1 citations" in r.stdout


def test_replayed_semanticscholar_cassette_pages_to_the_end(samples, api_server, tmp_path):
    pages = {int(parse_qs(urlsplit(uri).query)["offset"][0]): body
             for uri, body in cassette(samples / "semanticscholar/cassettes/test_get_paper_citations.yaml")}
    root = {"paperId": "a" * 40, "externalIds": {"CorpusId": 14514057}, "title": "The replayed paper"}
    api_server.expect_request("/s2/graph/v1/paper/CorpusId:14514057").respond_with_json(root)

    def by_offset(request):
        from werkzeug import Response

        return Response(pages[int(request.args["offset"])], content_type="application/json")

    api_server.expect_request("/s2/graph/v1/paper/CorpusId:14514057/citations").respond_with_handler(by_offset)
    r = run("fetch", "s2", "CorpusID:14514057", "--citations", "--out", str(tmp_path), "--to", "nt", "--no-validate")
    assert r.exit_code == 0, r.stderr
    assert len(api_server.log) == 1 + len(pages)  # every recorded page, then it stopped (no 'next')
    citing = {p["citingPaper"]["paperId"] or p["citingPaper"]["title"] for b in pages.values() for p in json.loads(b)["data"]}
    assert f"{len(citing) + 1} works, {len(citing)} citations" in r.stdout
    g = Graph().parse(tmp_path / "semanticscholar-CorpusID_14514057.nt", format="nt")
    cited = work_iri(semanticscholar.parse_paper(root, "root"))
    assert len(set(g.subjects(CITO.hasCitedEntity, cited))) == len(citing)


def test_the_issue_example_openalex_command_on_the_shared_work(samples, api_server, tmp_path):
    api_server.expect_request("/openalex/works/W2741809807").respond_with_data(
        (samples / "openalex/W2741809807.json").read_bytes(), content_type="application/json")
    empty = {"meta": {"count": 0, "per_page": 50, "next_cursor": None}, "results": []}
    api_server.expect_request("/openalex/works").respond_with_json(empty)  # no recorded lookups: nothing found
    r = run("fetch", "openalex", "W2741809807", "--citations", "--references", "--limit", "200", "--out", str(tmp_path))
    assert r.exit_code == 0, r.stderr
    assert "46 works, 45 citations" in r.stdout
    assert "45 referenced works are not in OpenAlex any more; kept by id only" in r.stderr
