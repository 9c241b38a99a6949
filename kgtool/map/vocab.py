"""Namespaces, and the citation-role and polarity schemes (one source for code and ontology)."""

from __future__ import annotations

from rdflib import Namespace, URIRef
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SKOS, XSD

from ..errors import InputError


class TermCachingNamespace(Namespace):
    """A Namespace that makes each attribute term once.

    rdflib builds a new URIRef on every ``NS.term`` lookup (about 1 µs); the mapping looks
    terms up once per record, which adds up over a dump of millions of records.
    """

    def __getattr__(self, name: str) -> URIRef:
        term = super().__getattr__(name)
        self.__dict__[name] = term
        return term


CITO = TermCachingNamespace("http://purl.org/spar/cito/")
FABIO = TermCachingNamespace("http://purl.org/spar/fabio/")
PRISM = TermCachingNamespace("http://prismstandard.org/namespaces/basic/2.0/")
FOAF = TermCachingNamespace("http://xmlns.com/foaf/0.1/")
SCHEMA = TermCachingNamespace("https://schema.org/")
KG = TermCachingNamespace("https://w3id.org/kgtool/ns#")
ROLE = TermCachingNamespace("https://w3id.org/kgtool/role/")
POLARITY = TermCachingNamespace("https://w3id.org/kgtool/polarity/")
ONTOLOGY_IRI = "https://w3id.org/kgtool/ns"

#: Prefixes written into every serialization, in this order.
PREFIXES: dict[str, str] = {
    "cito": str(CITO),
    "dcterms": str(DCTERMS),
    "fabio": str(FABIO),
    "foaf": str(FOAF),
    "kg": str(KG),
    "owl": str(OWL),
    "polarity": str(POLARITY),
    "prism": str(PRISM),
    "prov": str(PROV),
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "role": str(ROLE),
    "schema": str(SCHEMA),
    "skos": str(SKOS),
    "xsd": str(XSD),
}

#: Citation roles (citation-function labels) and the CiTO property each corresponds to.
ROLES: dict[str, str] = {
    "background": "obtainsBackgroundFrom",
    "method": "usesMethodIn",
    "comparison": "citesAsRelated",
    "extension": "extends",
    "data": "usesDataFrom",
    # Semantic Scholar's "result" intent: the citing work draws on the cited work's findings.
    "result": "usesConclusionsFrom",
    "support": "obtainsSupportFrom",
    "critique": "critiques",
    "motivation": "citesForInformation",
}
ROLE_SYNONYMS: dict[str, str] = {
    "methodology": "method",
    "methods": "method",
    "uses": "method",
    "compare": "comparison",
    "compares": "comparison",
    "extends": "extension",
    "results": "result",
    "dataset": "data",
    "evidence": "support",
    "supports": "support",
    "criticism": "critique",
}

POLARITIES: tuple[str, ...] = ("supportive", "mixed", "critical", "neutral")
POLARITY_SYNONYMS: dict[str, str] = {
    "positive": "supportive",
    "supporting": "supportive",
    "support": "supportive",
    "negative": "critical",
    "contrasting": "critical",
    "disputing": "critical",
}


def role_key(label: str, *, source: str | None = None, line: int | None = None) -> str:
    """Map a role label as written by a source to a key of ROLES, or raise InputError."""
    k = " ".join(label.split()).casefold()
    k = ROLE_SYNONYMS.get(k, k)
    if k not in ROLES:
        raise InputError(
            f"unknown citation role {label!r} (known: {', '.join(ROLES)})", source=source, line=line
        )
    return k


def polarity_key(label: str, *, source: str | None = None, line: int | None = None) -> str:
    """Map a polarity label to one of POLARITIES, or raise InputError."""
    k = " ".join(label.split()).casefold()
    k = POLARITY_SYNONYMS.get(k, k)
    if k not in POLARITIES:
        raise InputError(
            f"unknown citation polarity {label!r} (known: {', '.join(POLARITIES)})",
            source=source,
            line=line,
        )
    return k
