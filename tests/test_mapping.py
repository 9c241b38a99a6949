"""Mapping records onto the ontology: citations, receptions, provenance, merging."""

from __future__ import annotations

from decimal import Decimal

import pytest
from rdflib import BNode, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, XSD

from kgtool.map.mapping import creation_literal, duration_literal
from kgtool.map.model import Bundle, Citation, Reception, RoleLabel, Share, SourceInfo, Work
from kgtool.map.vocab import CITO, FABIO, KG, POLARITY, PRISM, ROLE
from kgtool.pipeline import graph_from_bundles
from kgtool.read.sources.hub import parse_hub_page

BASE = "https://example.org/kg/"
SRC = SourceInfo(name="t.txt", sha256="ab" * 32)


def test_hub_page_maps_to_citations_both_ways():
    page = b"hub Mixed citations\nHub Paper\nciting papers explorer\n-\nCiting One\nSumm.\n"
    g, _ = graph_from_bundles([parse_hub_page(page, "p.txt")], BASE)
    cits = list(g.subjects(RDF.type, CITO.Citation))
    assert len(cits) == 1
    c = cits[0]
    citing, cited = g.value(c, CITO.hasCitingEntity), g.value(c, CITO.hasCitedEntity)
    assert (citing, CITO.cites, cited) in g
    assert g.value(citing, DCTERMS.title) == Literal("Citing One")
    assert g.value(citing, KG.summary) == Literal("Summ.")
    assert str(c).startswith(BASE + "citation/") and str(cited).startswith(BASE + "work/title/")
    # provenance: the source file and its digest, no timestamps
    src = g.value(c, PROV.wasDerivedFrom)
    assert (src, RDF.type, PROV.Entity) in g and g.value(src, DCTERMS.title) == Literal("p.txt")
    assert len(str(g.value(src, KG.sha256))) == 64
    assert not any(isinstance(t, BNode) for tr in g for t in tr)


def test_reception_and_distributions():
    w = Work(title="Hub")
    r = Reception(work=w, polarity="mixed", top_role="background", top_role_share=Decimal("0.67"),
                  roles=(Share("background", Decimal("0.67"), 2),), polarities=(Share("mixed", None, 3),))
    g, _ = graph_from_bundles([Bundle(source=SRC, works=(w,), receptions=(r,))], BASE)
    rec = g.value(None, RDF.type, KG.Reception, any=False)
    assert g.value(rec, KG.overallPolarity) == POLARITY.mixed
    assert g.value(rec, KG.mostCommonRole) == ROLE.background
    share = g.value(rec, KG.mostCommonRoleShare)
    assert share.datatype == XSD.decimal and share.toPython() == Decimal("0.67")
    row = g.value(rec, KG.hasRoleShare)
    assert g.value(row, KG.role) == ROLE.background and g.value(row, KG["count"]).toPython() == 2
    prow = g.value(rec, KG.hasPolarityShare)
    assert g.value(prow, KG.share) is None and g.value(prow, KG["count"]).toPython() == 3


def test_roles_become_cito_properties_with_their_source():
    a, b = Work(doi="10.1/a", title="A"), Work(doi="10.1/b", title="B")
    c = Citation(citing=a, cited=b, roles=(RoleLabel("method", "semanticscholar"),),
                 contexts=("we use [1]",), influential=True, creation="2019-03", timespan="P1Y2M",
                 author_self=True, journal_self=True)
    g, _ = graph_from_bundles([Bundle(source=SRC, citations=(c,))], BASE)
    ci = g.value(None, RDF.type, CITO.Citation, any=True)
    ai, bi = URIRef(BASE + "work/doi/10.1/a"), URIRef(BASE + "work/doi/10.1/b")
    assert (ai, CITO.usesMethodIn, bi) in g and (ai, CITO.cites, bi) in g
    assert (ci, CITO.hasCitationCharacterization, CITO.usesMethodIn) in g
    assert (ci, RDF.type, CITO.AuthorSelfCitation) in g and (ci, RDF.type, CITO.JournalSelfCitation) in g
    label = g.value(ci, KG.hasRoleLabel)
    assert g.value(label, KG.role) == ROLE.method
    assert str(g.value(label, PROV.wasAttributedTo)).endswith("agent/semanticscholar")
    assert g.value(ci, CITO.hasCitationCreationDate) == Literal("2019-03", datatype=XSD.gYearMonth)
    assert g.value(ci, CITO.hasCitationTimeSpan) == Literal("P1Y2M", datatype=XSD.duration)
    assert g.value(ci, KG.isInfluential).toPython() is True
    assert g.value(ai, PRISM.doi) == Literal("10.1/a")


@pytest.mark.parametrize("value, dt", [("2019", XSD.gYear), ("2019-03", XSD.gYearMonth), ("2019-03-31", XSD.date)])
def test_creation_dates_typed_by_precision(value, dt):
    assert creation_literal(value).datatype == dt


@pytest.mark.parametrize("bad", ["19", "2019-13", "2019-02-32", "March 2019"])
def test_bad_creation_dates_are_refused(bad):
    with pytest.raises(ValueError):
        creation_literal(bad)


def test_durations_keep_negative_spans_and_refuse_garbage():
    assert str(duration_literal("-P2Y")) == "-P2Y"
    with pytest.raises(ValueError):
        duration_literal("2 years")


def test_same_paper_from_two_pages_is_one_node_and_title_only_joins_identified_work():
    p1 = b"hub Mixed citations\nHub Paper\nciting papers explorer\n-\nShared Citer\nS.\n"
    p2 = b"hub Neutral citations\nOther Hub\nciting papers explorer\n-\nshared citer!\nS.\n"
    g, res = graph_from_bundles([parse_hub_page(p1, "a.txt"), parse_hub_page(p2, "b.txt")], BASE)
    citers = {g.value(c, CITO.hasCitingEntity) for c in g.subjects(RDF.type, CITO.Citation)}
    assert len(citers) == 1
    (citer,) = citers
    assert len(list(g.objects(citer, DCTERMS.title))) == 1
    assert len(list(g.objects(citer, PROV.wasDerivedFrom))) == 2
    identified = Bundle(source=SRC, works=(Work(title="Shared Citer", doi="10.9/s"),))
    g2, _ = graph_from_bundles([parse_hub_page(p1, "a.txt"), identified], BASE)
    citer2 = {g2.value(c, CITO.hasCitingEntity) for c in g2.subjects(RDF.type, CITO.Citation)}
    assert citer2 == {URIRef(BASE + "work/doi/10.9/s")}
    assert len(list(g2.subjects(RDF.type, FABIO.Expression))) == 2


def test_base_is_configurable_and_iris_are_stable():
    page = b"hub Mixed citations\nHub Paper\nciting papers explorer\n-\nCiter\nS.\n"
    g1, _ = graph_from_bundles([parse_hub_page(page, "p.txt")], "https://a.example/x/")
    g2, _ = graph_from_bundles([parse_hub_page(page, "p.txt")], "https://a.example/x/")
    assert set(g1) == set(g2)
    assert all(str(s).startswith("https://a.example/x/") for s in g1.subjects())
