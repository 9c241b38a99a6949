"""The one place that knows the ontology: resolved records in, RDF triples out.

``triples()`` is a generator so the same mapping feeds an rdflib Graph for small inputs and
a streaming writer for dumps.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from functools import cache, lru_cache
from typing import NamedTuple

from rdflib import Literal, URIRef, namespace
from rdflib.term import Node

from . import iris
from .fastterms import plain_literal
from .identifiers import REFERENCE_SCHEME
from .lexical import date_precision, is_duration
from .model import Citation, Reception, SourceInfo, TitleMatch, Work
from .resolve import Resolved
from .vocab import CITO, FABIO, FOAF, KG, POLARITY, PRISM, ROLE, ROLES, SCHEMA, TermCachingNamespace

Triple = tuple[Node, Node, Node]

# The same terms as rdflib's namespaces, made once (the mapping runs once per record of a dump).
DCTERMS, PROV, RDF, RDFS, XSD = (
    TermCachingNamespace(str(ns))
    for ns in (namespace.DCTERMS, namespace.PROV, namespace.RDF, namespace.RDFS, namespace.XSD)
)


# Typed literals repeat across records (dates, spans, flags, years) and rdflib's Literal parses
# its lexical form on construction (5-15 µs), so these makers are cached; literals are immutable.
@lru_cache(maxsize=1 << 16)
def creation_literal(value: str) -> Literal:
    """A citation creation date typed by its precision: gYear, gYearMonth or date."""
    precision = date_precision(value)
    if precision is None:
        raise ValueError(f"not a date (YYYY, YYYY-MM or YYYY-MM-DD): {value!r}")
    return Literal(value, datatype=XSD[precision])


@lru_cache(maxsize=1 << 16)
def duration_literal(value: str) -> Literal:
    if not is_duration(value):
        raise ValueError(f"not an xsd:duration: {value!r}")
    return Literal(value, datatype=XSD.duration)


@cache
def _bool(v: bool) -> Literal:
    return Literal("true" if v else "false", datatype=XSD.boolean)


@lru_cache(maxsize=1 << 12)
def _int(v: int) -> Literal:
    return Literal(str(int(v)), datatype=XSD.integer)


@lru_cache(maxsize=1 << 12)
def _year(v: int) -> Literal:
    return Literal(f"{v:04d}", datatype=XSD.gYear)


def _decimal(v: Decimal) -> Literal:
    text = format(v.normalize(), "f")
    if "." not in text:
        text += ".0"
    return Literal(text, datatype=XSD.decimal)


def _text(v: str) -> Literal:
    return plain_literal(v)  # the same term as Literal(v), made faster (see fastterms.py)


def source_triples(src: SourceInfo, base: str) -> Iterator[Triple]:
    s = iris.source_iri(src.sha256, base)
    yield s, RDF.type, PROV.Entity
    yield s, DCTERMS.title, _text(src.name)
    yield s, DCTERMS["format"], _text(src.media_type)
    yield s, KG.sha256, _text(src.sha256)


@lru_cache(maxsize=256)
def agent_iri(name: str, base: str) -> URIRef:
    return URIRef(f"{base}agent/{iris.quote_segment(name)}")


def agent_triples(name: str, base: str) -> Iterator[Triple]:
    """A source that labels citations (e.g. 'semanticscholar') as a PROV agent."""
    a = agent_iri(name, base)
    yield a, RDF.type, PROV.Agent
    yield a, RDFS.label, _text(name)


class WorkTerms(NamedTuple):
    """The terms of one work that come from its record's values (see work_terms)."""

    iri: URIRef
    title: Literal | None
    abstract: Literal | None
    summary: Literal | None
    doi: Literal | None
    arxiv: Literal | None
    year: Literal | None
    venue: Literal | None
    extra_ids: tuple[Literal, ...]


#: The Work fields that work_triples reads only through work_terms (see CITATION_TERM_FIELDS).
WORK_TERM_FIELDS = ("title", "abstract", "summary", "doi", "arxiv", "year", "venue")


def work_terms(w: Work, base: str) -> WorkTerms:
    return WorkTerms(
        iris.work_iri(w, base),
        _text(w.title) if w.title else None,
        _text(w.abstract) if w.abstract else None,
        _text(w.summary) if w.summary else None,
        _text(w.doi) if w.doi else None,
        _text(w.arxiv) if w.arxiv else None,
        _year(w.year) if w.year is not None else None,
        _text(w.venue) if w.venue else None,
        # A reference's local key (identifiers.reference_key) is in its IRI; it identifies nothing outside.
        tuple(_text(f"{scheme}:{value}") for scheme, value in w.extra_ids if scheme != REFERENCE_SCHEME),
    )


def work_triples(w: Work, sources: tuple[SourceInfo, ...], base: str,
                 terms: WorkTerms | None = None) -> Iterator[Triple]:
    t = terms if terms is not None else work_terms(w, base)
    s = t.iri
    yield s, RDF.type, FABIO.Expression
    if t.title is not None:
        yield s, DCTERMS.title, t.title
    if t.abstract is not None:
        yield s, DCTERMS.abstract, t.abstract
    if t.summary is not None:
        yield s, KG.summary, t.summary
    if t.doi is not None:
        yield s, PRISM.doi, t.doi
    if t.arxiv is not None:
        yield s, FABIO.hasArXivId, t.arxiv
    for identifier in t.extra_ids:
        yield s, DCTERMS.identifier, identifier
    if t.year is not None:
        yield s, FABIO.hasPublicationYear, t.year
    if t.venue is not None:
        yield s, PRISM.publicationName, t.venue
    if w.citation_text:
        yield s, DCTERMS.bibliographicCitation, _text(w.citation_text)
    for i, person in enumerate(w.authors, start=1):
        p = iris.person_iri(s, i, person.orcid, base)
        yield s, DCTERMS.creator, p
        yield p, RDF.type, FOAF.Person
        yield p, FOAF.name, _text(person.name)
        if person.orcid:
            yield p, KG.orcid, _text(person.orcid)
    for url in w.code_urls:
        yield s, SCHEMA.codeRepository, iris.safe_iri(url)
    for url in w.urls:
        if url not in w.code_urls:
            yield s, RDFS.seeAlso, iris.safe_iri(url)
    for src in sources:
        yield s, PROV.wasDerivedFrom, iris.source_iri(src.sha256, base)


class CitationTerms(NamedTuple):
    """The terms of one citation that come from its record's values (see citation_terms)."""

    citing: URIRef
    cited: URIRef
    node: URIRef
    creation: Literal | None
    timespan: Literal | None
    oci: Literal | None


#: The Citation fields that citation_triples reads only through citation_terms: the streaming
#: engines (plan.py) derive line templates from the mapping by giving marker terms for these.
CITATION_TERM_FIELDS = ("citing", "cited", "creation", "timespan", "oci")


def citation_terms(c: Citation, base: str) -> CitationTerms:
    return CitationTerms(
        iris.work_iri(c.citing, base),
        iris.work_iri(c.cited, base),
        iris.citation_iri(c.citing, c.cited, base),
        creation_literal(c.creation) if c.creation else None,
        duration_literal(c.timespan) if c.timespan else None,
        oci_literal(c.oci) if c.oci else None,
    )


def oci_literal(oci: str) -> Literal:
    """A citation's OCI as its dcterms:identifier, e.g. "oci:06101-06102"."""
    return _text(f"oci:{oci}")


def citation_triples(c: Citation, sources: tuple[SourceInfo, ...], base: str,
                     terms: CitationTerms | None = None) -> Iterator[Triple]:
    t = terms if terms is not None else citation_terms(c, base)
    citing, cited, s = t.citing, t.cited, t.node
    yield citing, CITO.cites, cited
    yield s, RDF.type, CITO.Citation
    if c.author_self:
        yield s, RDF.type, CITO.AuthorSelfCitation
    if c.journal_self:
        yield s, RDF.type, CITO.JournalSelfCitation
    yield s, CITO.hasCitingEntity, citing
    yield s, CITO.hasCitedEntity, cited
    for label in c.roles:
        prop = CITO[ROLES[label.role]]
        yield citing, prop, cited
        yield s, CITO.hasCitationCharacterization, prop
        lab = URIRef(f"{s}/label/{iris.quote_segment(label.source)}/{label.role}")
        yield s, KG.hasRoleLabel, lab
        yield lab, RDF.type, KG.RoleLabel
        yield lab, KG.role, ROLE[label.role]
        yield lab, PROV.wasAttributedTo, agent_iri(label.source, base)
        yield from agent_triples(label.source, base)
    for text in c.contexts:
        yield s, KG.context, _text(text)
    if c.influential is not None:
        yield s, KG.isInfluential, _bool(c.influential)
    if c.representative:
        yield s, KG.isRepresentative, _bool(True)
    if c.position is not None:
        yield s, KG.position, _int(c.position)
    if t.creation is not None:
        yield s, CITO.hasCitationCreationDate, t.creation
    if t.timespan is not None:
        yield s, CITO.hasCitationTimeSpan, t.timespan
    if t.oci is not None:
        yield s, DCTERMS.identifier, t.oci
    if c.label_source:
        yield s, PROV.wasAttributedTo, agent_iri(c.label_source, base)
        yield from agent_triples(c.label_source, base)
    for src in sources:
        yield s, PROV.wasDerivedFrom, iris.source_iri(src.sha256, base)


def reception_triples(r: Reception, sources: tuple[SourceInfo, ...], base: str) -> Iterator[Triple]:
    s = iris.reception_iri(r.work, base)
    yield s, RDF.type, KG.Reception
    yield s, KG.receptionOf, iris.work_iri(r.work, base)
    if r.polarity:
        yield s, KG.overallPolarity, POLARITY[r.polarity]
    if r.top_role:
        yield s, KG.mostCommonRole, ROLE[r.top_role]
    if r.top_role_share is not None:
        yield s, KG.mostCommonRoleShare, _decimal(r.top_role_share)
    for kind, rows, prop, cls, ns, link in (
        ("role", r.roles, KG.role, KG.RoleShare, ROLE, KG.hasRoleShare),
        ("polarity", r.polarities, KG.polarity, KG.PolarityShare, POLARITY, KG.hasPolarityShare),
    ):
        for row in rows:
            node = iris.share_iri(s, kind, row.label)
            yield s, link, node
            yield node, RDF.type, cls
            yield node, prop, ns[row.label]
            if row.share is not None:
                yield node, KG.share, _decimal(row.share)
            if row.count is not None:
                yield node, KG["count"], _int(row.count)
    for src in sources:
        yield s, PROV.wasDerivedFrom, iris.source_iri(src.sha256, base)


def match_triples(m: TitleMatch, sources: tuple[SourceInfo, ...], base: str) -> Iterator[Triple]:
    """How a title-only work was matched to an API record: score, matched title, who, from what."""
    w = iris.work_iri(m.work, base)
    s = URIRef(f"{w}/match/{iris.quote_segment(m.source)}")
    yield w, KG.hasTitleMatch, s
    yield s, RDF.type, KG.TitleMatch
    yield s, KG.matchScore, _decimal(m.score)
    yield s, KG.matchedTitle, _text(m.matched_title)
    yield s, PROV.wasAttributedTo, agent_iri(m.source, base)
    yield from agent_triples(m.source, base)
    for src in sources:
        yield s, PROV.wasDerivedFrom, iris.source_iri(src.sha256, base)


def triples(resolved: Resolved, base: str = iris.DEFAULT_BASE) -> Iterator[Triple]:
    """Every triple of the resolved records, under ``base``."""
    for src in resolved.sources:
        yield from source_triples(src, base)
    for w, srcs in resolved.works.values():
        yield from work_triples(w, srcs, base)
    for c, srcs in resolved.citations.values():
        yield from citation_triples(c, srcs, base)
    for r, srcs in resolved.receptions.values():
        yield from reception_triples(r, srcs, base)
    for m, srcs in resolved.matches.values():
        yield from match_triples(m, srcs, base)
