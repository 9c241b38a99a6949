"""Every SHACL constraint in shapes/ is shown to fire on a graph that breaks it."""

from __future__ import annotations

from decimal import Decimal

import pytest
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, SH, XSD

from kgtool.map.model import Bundle, Citation, Reception, RoleLabel, Share, SourceInfo, TitleMatch, Work
from kgtool.map.vocab import CITO, FABIO, KG, POLARITY, PRISM, ROLE
from kgtool.pipeline import graph_from_bundles
from kgtool.validate.shacl import load_shapes, validate_graph
from kgtool.validate.sql import validate_graph_sql

KGSH = "https://w3id.org/kgtool/shapes#"
BASE = "https://example.org/kg/"
A = URIRef(BASE + "work/doi/10.1234/a")
B = URIRef(BASE + "work/doi/10.1234/b")


def valid_graph() -> Graph:
    a = Work(title="A", doi="10.1234/a", arxiv="2504.01805", abstract="Abs.", summary="Sum.", year=2020)
    b = Work(title="B", doi="10.1234/b")
    c = Citation(citing=a, cited=b, roles=(RoleLabel("method", "semanticscholar"),), representative=True,
                 position=1, creation="2020-01-02", timespan="P1Y", influential=False)
    r = Reception(work=b, polarity="mixed", top_role="method", top_role_share=Decimal("0.5"),
                  roles=(Share("method", Decimal("0.5"), 1),), polarities=(Share("mixed", Decimal("1"), 1),))
    m = TitleMatch(work=a, source="openalex", score=Decimal("1"), matched_title="A")
    bundle = Bundle(source=SourceInfo("t", "cd" * 32), citations=(c,), receptions=(r,), matches=(m,))
    g, _ = graph_from_bundles([bundle], BASE)
    return g


def only(g: Graph, cls: URIRef) -> URIRef:
    (s,) = set(g.subjects(RDF.type, cls))
    assert isinstance(s, URIRef)
    return s


def cit(g):
    return only(g, CITO.Citation)


def rec(g):
    return only(g, KG.Reception)


def set1(g, s, p, o):
    g.remove((s, p, None))
    g.add((s, p, o))


def role_row(g):
    return only(g, KG.RoleShare)


def pol_row(g):
    return only(g, KG.PolarityShare)


def label(g):
    return only(g, KG.RoleLabel)


def match(g):
    return only(g, KG.TitleMatch)


# (shape, constraint component, severity, how to break it)
BREAKS = [
    ("WorkShape", "NodeKind", "Violation", lambda g: [g.add((BNode("w"), RDF.type, FABIO.Expression)), g.add((BNode("w"), DCTERMS.title, Literal("x")))]),
    ("WorkNamed", "MinCount", "Violation", lambda g: [g.remove((A, p, None)) for p in (DCTERMS.title, PRISM.doi, FABIO.hasArXivId, DCTERMS.identifier)]),
    ("WorkCitationText", "MaxCount", "Violation", lambda g: [g.add((A, DCTERMS.bibliographicCitation, Literal(t))) for t in ("One", "Two")]),
    ("WorkCitationText", "Datatype", "Violation", lambda g: g.add((A, DCTERMS.bibliographicCitation, Literal("x", lang="en")))),
    ("WorkCitationText", "MinLength", "Violation", lambda g: g.add((A, DCTERMS.bibliographicCitation, Literal("")))),
    ("WorkTitleMatch", "Class", "Violation", lambda g: g.add((A, KG.hasTitleMatch, URIRef("http://x/m")))),
    ("WorkTitle", "MaxCount", "Violation", lambda g: g.add((A, DCTERMS.title, Literal("Other")))),
    ("WorkTitle", "Datatype", "Violation", lambda g: set1(g, A, DCTERMS.title, Literal("5", datatype=XSD.integer))),
    ("WorkTitle", "MinLength", "Violation", lambda g: set1(g, A, DCTERMS.title, Literal(""))),
    ("WorkAbstract", "MaxCount", "Violation", lambda g: g.add((A, DCTERMS.abstract, Literal("Two")))),
    ("WorkAbstract", "Datatype", "Violation", lambda g: set1(g, A, DCTERMS.abstract, Literal("x", lang="en"))),
    ("WorkSummary", "MaxCount", "Violation", lambda g: g.add((A, KG.summary, Literal("Two")))),
    ("WorkSummary", "Datatype", "Violation", lambda g: set1(g, A, KG.summary, URIRef("http://x/"))),
    ("WorkDoi", "MaxCount", "Violation", lambda g: g.add((A, PRISM.doi, Literal("10.1234/z")))),
    ("WorkDoi", "Datatype", "Violation", lambda g: set1(g, A, PRISM.doi, Literal("10.1234/a", lang="en"))),
    ("WorkDoi", "Pattern", "Violation", lambda g: set1(g, A, PRISM.doi, Literal("https://doi.org/10.1234/A"))),
    ("WorkArxiv", "MaxCount", "Violation", lambda g: g.add((A, FABIO.hasArXivId, Literal("2504.01806")))),
    ("WorkArxiv", "Datatype", "Violation", lambda g: set1(g, A, FABIO.hasArXivId, Literal(2504))),
    ("WorkArxiv", "Pattern", "Violation", lambda g: set1(g, A, FABIO.hasArXivId, Literal("arXiv:2504.01805v2"))),
    ("WorkYear", "MaxCount", "Violation", lambda g: g.add((A, FABIO.hasPublicationYear, Literal("2021", datatype=XSD.gYear)))),
    ("WorkYear", "Datatype", "Violation", lambda g: set1(g, A, FABIO.hasPublicationYear, Literal(2020))),
    ("WorkProvenance", "MinCount", "Warning", lambda g: g.remove((A, PROV.wasDerivedFrom, None))),
    ("WorkProvenance", "Class", "Warning", lambda g: set1(g, A, PROV.wasDerivedFrom, URIRef("http://x/untyped"))),
    ("CitationShape", "NodeKind", "Violation", lambda g: [g.add((BNode("c"), p, o)) for p, o in [(RDF.type, CITO.Citation), (CITO.hasCitingEntity, A), (CITO.hasCitedEntity, B)]]),
    ("CitationShape", "SPARQL", "Violation", lambda g: g.remove((A, CITO.cites, B))),
    ("CitationCiting", "MinCount", "Violation", lambda g: g.remove((cit(g), CITO.hasCitingEntity, None))),
    ("CitationCiting", "MaxCount", "Violation", lambda g: g.add((cit(g), CITO.hasCitingEntity, B))),
    ("CitationCiting", "NodeKind", "Violation", lambda g: set1(g, cit(g), CITO.hasCitingEntity, Literal("A"))),
    ("CitationCiting", "Class", "Violation", lambda g: set1(g, cit(g), CITO.hasCitingEntity, URIRef(BASE + "work/doi/10.1234/absent"))),
    ("CitationCiting", "Disjoint", "Violation", lambda g: set1(g, cit(g), CITO.hasCitingEntity, B)),
    ("CitationCited", "MinCount", "Violation", lambda g: g.remove((cit(g), CITO.hasCitedEntity, None))),
    ("CitationCited", "MaxCount", "Violation", lambda g: g.add((cit(g), CITO.hasCitedEntity, A))),
    ("CitationCited", "NodeKind", "Violation", lambda g: set1(g, cit(g), CITO.hasCitedEntity, Literal("B"))),
    ("CitationCited", "Class", "Violation", lambda g: set1(g, cit(g), CITO.hasCitedEntity, URIRef(BASE + "work/doi/10.1234/absent"))),
    ("CitationCreation", "MaxCount", "Violation", lambda g: g.add((cit(g), CITO.hasCitationCreationDate, Literal("2021", datatype=XSD.gYear)))),
    ("CitationCreation", "Or", "Violation", lambda g: set1(g, cit(g), CITO.hasCitationCreationDate, Literal("2020-01-02"))),
    ("CitationTimeSpanType", "MaxCount", "Violation", lambda g: g.add((cit(g), CITO.hasCitationTimeSpan, Literal("P2Y", datatype=XSD.duration)))),
    ("CitationTimeSpanType", "Datatype", "Violation", lambda g: set1(g, cit(g), CITO.hasCitationTimeSpan, Literal("P1Y"))),
    ("CitationTimeSpanSign", "Pattern", "Warning", lambda g: set1(g, cit(g), CITO.hasCitationTimeSpan, Literal("-P1Y", datatype=XSD.duration))),
    ("CitationCharacterization", "In", "Violation", lambda g: g.add((cit(g), CITO.hasCitationCharacterization, CITO.likes))),
    ("CitationRepresentative", "MaxCount", "Violation", lambda g: g.add((cit(g), KG.isRepresentative, Literal(False)))),
    ("CitationRepresentative", "Datatype", "Violation", lambda g: set1(g, cit(g), KG.isRepresentative, Literal("yes"))),
    ("CitationPosition", "MaxCount", "Violation", lambda g: g.add((cit(g), KG.position, Literal(2)))),
    ("CitationPosition", "Datatype", "Violation", lambda g: set1(g, cit(g), KG.position, Literal("1"))),
    ("CitationPosition", "MinInclusive", "Violation", lambda g: set1(g, cit(g), KG.position, Literal(0))),
    ("CitationInfluential", "MaxCount", "Violation", lambda g: g.add((cit(g), KG.isInfluential, Literal(True)))),
    ("CitationInfluential", "Datatype", "Violation", lambda g: set1(g, cit(g), KG.isInfluential, Literal(1))),
    ("CitationProvenance", "MinCount", "Warning", lambda g: g.remove((cit(g), PROV.wasDerivedFrom, None))),
    ("CitationProvenance", "Class", "Warning", lambda g: set1(g, cit(g), PROV.wasDerivedFrom, URIRef("http://x/untyped"))),
    ("ReceptionShape", "NodeKind", "Violation", lambda g: [g.add((BNode("r"), p, o)) for p, o in [(RDF.type, KG.Reception), (KG.receptionOf, B)]]),
    ("ReceptionOf", "MinCount", "Violation", lambda g: g.remove((rec(g), KG.receptionOf, None))),
    ("ReceptionOf", "MaxCount", "Violation", lambda g: g.add((rec(g), KG.receptionOf, A))),
    ("ReceptionOf", "Class", "Violation", lambda g: set1(g, rec(g), KG.receptionOf, URIRef("http://x/absent"))),
    ("ReceptionPolarity", "MaxCount", "Violation", lambda g: g.add((rec(g), KG.overallPolarity, POLARITY.neutral))),
    ("ReceptionPolarity", "In", "Violation", lambda g: set1(g, rec(g), KG.overallPolarity, POLARITY.groovy)),
    ("ReceptionTopRole", "MaxCount", "Violation", lambda g: g.add((rec(g), KG.mostCommonRole, ROLE.data))),
    ("ReceptionTopRole", "In", "Violation", lambda g: set1(g, rec(g), KG.mostCommonRole, ROLE.teleportation)),
    ("ReceptionTopShare", "MaxCount", "Violation", lambda g: g.add((rec(g), KG.mostCommonRoleShare, Literal(Decimal("0.4"))))),
    ("ReceptionTopShare", "Datatype", "Violation", lambda g: set1(g, rec(g), KG.mostCommonRoleShare, Literal("0.5"))),
    ("ReceptionTopShare", "MinInclusive", "Violation", lambda g: set1(g, rec(g), KG.mostCommonRoleShare, Literal(Decimal("-0.1")))),
    ("ReceptionTopShare", "MaxInclusive", "Violation", lambda g: set1(g, rec(g), KG.mostCommonRoleShare, Literal(Decimal("67")))),
    ("ReceptionRoleShares", "Class", "Violation", lambda g: g.add((rec(g), KG.hasRoleShare, URIRef("http://x/row")))),
    ("ReceptionPolarityShares", "Class", "Violation", lambda g: g.add((rec(g), KG.hasPolarityShare, URIRef("http://x/row")))),
    ("RoleShareRole", "MinCount", "Violation", lambda g: g.remove((role_row(g), KG.role, None))),
    ("RoleShareRole", "MaxCount", "Violation", lambda g: g.add((role_row(g), KG.role, ROLE.data))),
    ("RoleShareRole", "In", "Violation", lambda g: set1(g, role_row(g), KG.role, POLARITY.mixed)),
    ("PolarityShareLabel", "MinCount", "Violation", lambda g: g.remove((pol_row(g), KG.polarity, None))),
    ("PolarityShareLabel", "MaxCount", "Violation", lambda g: g.add((pol_row(g), KG.polarity, POLARITY.neutral))),
    ("PolarityShareLabel", "In", "Violation", lambda g: set1(g, pol_row(g), KG.polarity, ROLE.method)),
    ("ShareValue", "MaxCount", "Violation", lambda g: g.add((role_row(g), KG.share, Literal(Decimal("0.3"))))),
    ("ShareValue", "Datatype", "Violation", lambda g: set1(g, role_row(g), KG.share, Literal(0.5))),
    ("ShareValue", "MinInclusive", "Violation", lambda g: set1(g, role_row(g), KG.share, Literal(Decimal("-1")))),
    ("ShareValue", "MaxInclusive", "Violation", lambda g: set1(g, pol_row(g), KG.share, Literal(Decimal("1.5")))),
    ("ShareCount", "MaxCount", "Violation", lambda g: g.add((role_row(g), KG["count"], Literal(7)))),
    ("ShareCount", "Datatype", "Violation", lambda g: set1(g, role_row(g), KG["count"], Literal("1"))),
    ("ShareCount", "MinInclusive", "Violation", lambda g: set1(g, role_row(g), KG["count"], Literal(-1))),
    ("RoleLabelRole", "MinCount", "Violation", lambda g: g.remove((label(g), KG.role, None))),
    ("RoleLabelRole", "MaxCount", "Violation", lambda g: g.add((label(g), KG.role, ROLE.data))),
    ("RoleLabelRole", "In", "Violation", lambda g: set1(g, label(g), KG.role, ROLE.teleportation)),
    ("RoleLabelSource", "MinCount", "Violation", lambda g: g.remove((label(g), PROV.wasAttributedTo, None))),
    ("RoleLabelSource", "NodeKind", "Violation", lambda g: set1(g, label(g), PROV.wasAttributedTo, Literal("s2"))),
    ("TitleMatchShape", "NodeKind", "Violation", lambda g: [g.add((BNode("m"), p, o)) for p, o in [(RDF.type, KG.TitleMatch), (KG.matchScore, Literal(Decimal("1"))), (KG.matchedTitle, Literal("A")), (PROV.wasAttributedTo, A), (PROV.wasDerivedFrom, A)]]),
    ("TitleMatchScore", "MinCount", "Violation", lambda g: g.remove((match(g), KG.matchScore, None))),
    ("TitleMatchScore", "MaxCount", "Violation", lambda g: g.add((match(g), KG.matchScore, Literal(Decimal("0.5"))))),
    ("TitleMatchScore", "Datatype", "Violation", lambda g: set1(g, match(g), KG.matchScore, Literal("1"))),
    ("TitleMatchScore", "MinInclusive", "Violation", lambda g: set1(g, match(g), KG.matchScore, Literal(Decimal("-0.5")))),
    ("TitleMatchScore", "MaxInclusive", "Violation", lambda g: set1(g, match(g), KG.matchScore, Literal(Decimal("2")))),
    ("TitleMatchTitle", "MinCount", "Violation", lambda g: g.remove((match(g), KG.matchedTitle, None))),
    ("TitleMatchTitle", "MaxCount", "Violation", lambda g: g.add((match(g), KG.matchedTitle, Literal("Other")))),
    ("TitleMatchTitle", "Datatype", "Violation", lambda g: set1(g, match(g), KG.matchedTitle, Literal(3))),
    ("TitleMatchSource", "MinCount", "Violation", lambda g: g.remove((match(g), PROV.wasAttributedTo, None))),
    ("TitleMatchSource", "NodeKind", "Violation", lambda g: set1(g, match(g), PROV.wasAttributedTo, Literal("openalex"))),
    ("TitleMatchOrigin", "MinCount", "Warning", lambda g: g.remove((match(g), PROV.wasDerivedFrom, None))),
    ("TitleMatchOrigin", "Class", "Warning", lambda g: set1(g, match(g), PROV.wasDerivedFrom, URIRef("http://x/untyped"))),
]

PARAMS = {
    SH.minCount: "MinCount", SH.maxCount: "MaxCount", SH.datatype: "Datatype", SH.minLength: "MinLength",
    SH.pattern: "Pattern", SH["class"]: "Class", SH.nodeKind: "NodeKind", SH.disjoint: "Disjoint",
    SH["in"]: "In", SH["or"]: "Or", SH.minInclusive: "MinInclusive", SH.maxInclusive: "MaxInclusive",
    SH.sparql: "SPARQL",
}


def test_valid_graph_has_no_results():
    report = validate_graph(valid_graph())
    assert report.conforms and report.results == [], report.results


def test_every_constraint_in_the_shapes_has_a_break_test():
    shapes = load_shapes()
    declared = set()
    for s, p, _ in shapes:
        if p in PARAMS and isinstance(s, URIRef) and str(s).startswith(KGSH):
            declared.add((str(s)[len(KGSH):], PARAMS[p]))
    tested = {(shape, comp) for shape, comp, _, _ in BREAKS}
    assert declared - tested == set(), "constraints without a test"
    assert tested - declared == set(), "tests for constraints that do not exist"


@pytest.mark.parametrize("engine", ["pyshacl", "duckdb"])
@pytest.mark.parametrize("shape, component, severity, breaker", BREAKS, ids=[f"{b[0]}-{b[1]}" for b in BREAKS])
def test_breaking_a_constraint_is_reported(shape, component, severity, breaker, engine):
    g = valid_graph()
    breaker(g)
    report = validate_graph(g) if engine == "pyshacl" else validate_graph_sql(g)
    hits = [r for r in report.results if r.shape == f"kgsh:{shape}" and r.component == component]
    others = [r for r in report.results if r not in hits]
    assert hits, f"not reported; got {[(r.shape, r.component) for r in report.results]}"
    assert all(r.severity == severity for r in hits)
    assert report.conforms is False  # SHACL: any result, of any severity
    assert report.fails() == (severity == "Violation" or any(r.severity == "Violation" for r in others))
    assert report.fails("warning")


def test_works_without_doi_or_title_are_not_results():
    g = valid_graph()
    g.remove((A, PRISM.doi, None))
    g.remove((A, FABIO.hasArXivId, None))
    g.remove((B, DCTERMS.title, None))
    for report in (validate_graph(g), validate_graph_sql(g)):
        assert report.conforms and report.results == [], report.results
