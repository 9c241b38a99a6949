"""The ontology, the schemes it shares with the code and shapes, and the JSON-LD context."""

from __future__ import annotations

import json

from rdflib import Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import DCTERMS, OWL, RDF, SH, SKOS
from test_shapes import valid_graph

from kgtool.map.vocab import CITO, KG, ONTOLOGY_IRI, POLARITIES, POLARITY, PREFIXES, ROLE, ROLES
from kgtool.resources import context_file, ontology_file
from kgtool.validate.shacl import load_shapes


def ontology() -> Graph:
    return Graph().parse(ontology_file(), format="turtle")


def cito_terms(g: Graph) -> set[str]:
    return {str(t) for tr in g for t in tr if isinstance(t, URIRef) and str(t).startswith(str(CITO))}


def test_ontology_header_has_version_and_license():
    g = ontology()
    o = URIRef(ONTOLOGY_IRI)
    assert (o, RDF.type, OWL.Ontology) in g
    assert g.value(o, OWL.versionInfo) is not None and g.value(o, OWL.versionIRI) is not None
    assert g.value(o, DCTERMS.license) is not None


def test_every_kg_term_the_mapping_emits_is_declared():
    declared = {str(s) for s in ontology().subjects() if str(s).startswith(str(KG))}
    used = {str(t) for tr in valid_graph() for t in tr if isinstance(t, URIRef) and str(t).startswith(str(KG))}
    assert used <= declared, used - declared


def test_role_scheme_matches_the_code_and_names_cito_properties():
    g = ontology()
    roles = {str(c)[len(str(ROLE)):]: c for c in g.subjects(SKOS.inScheme, KG.CitationRoles)}
    assert set(roles) == set(ROLES)
    for key, concept in roles.items():
        assert g.value(concept, KG.citoProperty) == CITO[ROLES[key]]
        assert g.value(concept, SKOS.prefLabel) == Literal(key, lang="en")
    pols = {str(c)[len(str(POLARITY)):] for c in g.subjects(SKOS.inScheme, KG.CitationPolarities)}
    assert pols == set(POLARITIES)


def test_shapes_enumerations_match_the_schemes():
    shapes = load_shapes()
    role_iris = {ROLE[k] for k in ROLES}
    pol_iris = {POLARITY[k] for k in POLARITIES}
    cito_props = {CITO[v] for v in ROLES.values()}
    seen = 0
    for _, lst in shapes.subject_objects(SH["in"]):
        members = set(Collection(shapes, lst))
        assert members in (role_iris, pol_iris, cito_props), members
        seen += 1
    assert seen >= 5


def test_every_cito_term_used_exists_in_cito(shared_dir):
    cito = Graph().parse(shared_dir / "ontologies" / "cito.ttl", format="turtle")
    known = {str(s) for s in cito.subjects()}
    used = cito_terms(ontology()) | cito_terms(load_shapes()) | cito_terms(valid_graph())
    used |= {str(CITO[v]) for v in ROLES.values()}
    assert used and used <= known, sorted(used - known)


def test_context_declares_every_prefix_and_no_remote_context():
    ctx = json.loads(context_file().read_text())["@context"]
    assert isinstance(ctx, dict)
    for prefix, ns in PREFIXES.items():
        assert ctx[prefix] == ns
