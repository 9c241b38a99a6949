"""API records mapped to CiTO: roles with their CiTO property and a source-attributed label,
contexts, the influential flag, OpenCitations dates, spans and self-citation types, title
matches; and the graphs validate against the shapes."""

from __future__ import annotations

import json
from decimal import Decimal

from conftest import api_fixture
from rdflib import Literal, URIRef
from rdflib import namespace as ns
from rdflib.namespace import PROV, RDF

from kgtool.map.model import Bundle, SourceInfo, TitleMatch, Work
from kgtool.map.vocab import CITO, KG, ROLE
from kgtool.pipeline import build_graph
from kgtool.read.http import Response, source_info
from kgtool.read.sources import opencitations as oc
from kgtool.read.sources import semanticscholar as s2

BASE = "https://w3id.org/kgtool/data/"


def s2_bundle() -> Bundle:
    root = s2.parse_paper(json.loads(api_fixture("semanticscholar/paper.json")), "p")
    cites, notes, _ = s2.parse_edges_page(json.loads(api_fixture("semanticscholar/citations_p0.json")), root, "citations", "p")
    src = SourceInfo("https://api.example/s2", "1" * 64, "application/json")
    return Bundle(src, works=(root,), citations=tuple(cites), notes=tuple(notes))


def oc_bundle() -> Bundle:
    cites, notes = oc.parse_json(json.loads(api_fixture("opencitations/citations_v2.json")), "o")
    return Bundle(SourceInfo("https://api.example/oc", "2" * 64, "application/json"),
                  citations=tuple(cites), notes=tuple(notes))


def citation_node(g, citing_doi: str) -> URIRef:
    (c,) = g.subjects(CITO.hasCitingEntity, URIRef(f"{BASE}work/doi/{citing_doi}"))
    return c


def test_s2_intents_become_cito_properties_with_attributed_labels():
    result = build_graph([s2_bundle()], out_dir=None)
    g = result.graph
    assert not result.report.fails()  # no violation (warnings may be there)
    citing = URIRef(BASE + "work/doi/10.5555/kg.2025.020")
    cited = URIRef(BASE + "work/doi/10.5555/kg.2024.001")
    assert (citing, CITO.usesMethodIn, cited) in g and (citing, CITO.obtainsBackgroundFrom, cited) in g
    c = citation_node(g, "10.5555/kg.2025.020")
    assert set(g.objects(c, CITO.hasCitationCharacterization)) == {CITO.usesMethodIn, CITO.obtainsBackgroundFrom}
    labels = list(g.objects(c, KG.hasRoleLabel))
    assert {g.value(lab, KG.role) for lab in labels} == {ROLE.method, ROLE.background}
    assert {g.value(lab, PROV.wasAttributedTo) for lab in labels} == {URIRef(BASE + "agent/semanticscholar")}
    assert g.value(c, KG.isInfluential) == Literal("true", datatype=ns.XSD.boolean)
    assert set(g.objects(c, KG.context)) == {Literal("We adopt the intent taxonomy of [12] for our labels."),
                                             Literal("Following [12], contexts are stored as text.")}


def test_s2_result_intent_maps_to_uses_conclusions_from():
    root = s2.parse_paper(json.loads(api_fixture("semanticscholar/paper.json")), "p")
    cites, _, _ = s2.parse_edges_page(json.loads(api_fixture("semanticscholar/citations_p1.json")), root, "citations", "p")
    g = build_graph([Bundle(SourceInfo("s", "3" * 64), citations=tuple(cites))], out_dir=None).graph
    assert (URIRef(BASE + "work/arxiv/2502.00022"), CITO.usesConclusionsFrom, URIRef(BASE + "work/doi/10.5555/kg.2024.001")) in g


def test_opencitations_dates_spans_and_self_citations():
    result = build_graph([oc_bundle()], out_dir=None)
    g = result.graph
    a = citation_node(g, "10.5555/kg.2025.020")
    b = citation_node(g, "10.5555/kg.2025.031")
    c = citation_node(g, "10.5555/kg.2023.040")
    assert g.value(a, CITO.hasCitationCreationDate) == Literal("2025-03-10", datatype=ns.XSD.date)
    assert g.value(b, CITO.hasCitationCreationDate) == Literal("2025-02", datatype=ns.XSD.gYearMonth)
    assert g.value(c, CITO.hasCitationCreationDate) == Literal("2023", datatype=ns.XSD.gYear)
    assert g.value(a, CITO.hasCitationTimeSpan) == Literal("P1Y1M23D", datatype=ns.XSD.duration)
    assert g.value(c, CITO.hasCitationTimeSpan) == Literal("-P0Y7M", datatype=ns.XSD.duration)  # kept...
    assert (a, RDF.type, CITO.AuthorSelfCitation) in g and (a, RDF.type, CITO.JournalSelfCitation) not in g
    assert (b, RDF.type, CITO.JournalSelfCitation) in g and (b, RDF.type, CITO.AuthorSelfCitation) not in g
    assert Literal("oci:06101801781-06180334099") in set(g.objects(a, None))
    assert g.value(a, PROV.wasAttributedTo) == URIRef(BASE + "agent/opencitations")
    # ...reported by the reader and warned about by the shapes, without failing validation
    assert not result.report.fails() and result.report.count("Warning") == 1 and not result.report.conforms
    assert any("negative time span -P0Y7M" in n for n in result.notes)


def test_one_paper_from_s2_and_opencitations_is_one_node_with_merged_citation_facts():
    result = build_graph([s2_bundle(), oc_bundle()], out_dir=None)
    g = result.graph
    c = citation_node(g, "10.5555/kg.2025.020")  # one citation node, facts from both sources
    assert g.value(c, KG.isInfluential) is not None and g.value(c, CITO.hasCitationCreationDate) is not None
    hub = URIRef(BASE + "work/doi/10.5555/kg.2024.001")
    assert len(set(g.subjects(CITO.hasCitedEntity, hub))) == 4  # 1 from S2 only (unresolved thesis) + 3 from OC
    assert not result.report.fails()  # no violation (warnings may be there)


def test_title_match_is_recorded_with_score_source_and_response():
    work = Work(title="Citation Graphs at Scale", doi="10.5555/kg.2024.001")
    resp = Response("https://api.example/works?filter=title.search:citation%20graphs", {}, "4" * 64, False)
    match = TitleMatch(work, "openalex", Decimal("1"), "Citation graphs at scale")
    result = build_graph([Bundle(source_info([resp]), works=(work,), matches=(match,))], out_dir=None)
    g = result.graph
    m = g.value(URIRef(BASE + "work/doi/10.5555/kg.2024.001"), KG.hasTitleMatch)
    assert (m, RDF.type, KG.TitleMatch) in g
    assert g.value(m, KG.matchScore) == Literal("1.0", datatype=ns.XSD.decimal)
    assert g.value(m, KG.matchedTitle) == Literal("Citation graphs at scale")
    assert g.value(m, PROV.wasAttributedTo) == URIRef(BASE + "agent/openalex")
    assert g.value(g.value(m, PROV.wasDerivedFrom), URIRef("http://purl.org/dc/terms/title")).startswith("https://api.example/works")
    assert not result.report.fails()  # no violation (warnings may be there)
