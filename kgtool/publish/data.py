"""What the pages show, read from the graph with SPARQL (never from the input text).

A few whole-graph queries, grouped per work in Python, rather than queries per page: the
cost stays linear in the size of the graph.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache

from rdflib import Graph, Literal
from rdflib.term import IdentifiedNode, Identifier, Node

from ..resources import ontology_file
from ..store.rows import select

WORKS = """
SELECT ?work ?title ?year ?doi ?arxiv ?venue ?abstract ?summary WHERE {
  ?work a fabio:Expression .
  OPTIONAL { ?work dcterms:title ?title }
  OPTIONAL { ?work fabio:hasPublicationYear ?year }
  OPTIONAL { ?work prism:doi ?doi }
  OPTIONAL { ?work fabio:hasArXivId ?arxiv }
  OPTIONAL { ?work prism:publicationName ?venue }
  OPTIONAL { ?work dcterms:abstract ?abstract }
  OPTIONAL { ?work kg:summary ?summary }
}"""

AUTHORS = """
SELECT ?work ?person ?name WHERE {
  ?work a fabio:Expression ; dcterms:creator ?person .
  OPTIONAL { ?person foaf:name ?name }
}"""

LINKS = """
SELECT ?work ?kind ?url WHERE {
  ?work a fabio:Expression .
  { ?work schema:codeRepository ?url BIND("code" AS ?kind) }
  UNION { ?work rdfs:seeAlso ?url BIND("see" AS ?kind) }
}"""

# A citation node where there is one; a bare cito:cites triple otherwise.
CITATIONS = """
SELECT ?cited ?citing ?c ?rep ?pos WHERE {
  {
    ?c a cito:Citation ; cito:hasCitedEntity ?cited ; cito:hasCitingEntity ?citing .
    OPTIONAL { ?c kg:isRepresentative ?rep }
    OPTIONAL { ?c kg:position ?pos }
  } UNION {
    ?citing cito:cites ?cited .
    FILTER NOT EXISTS { ?c0 cito:hasCitingEntity ?citing ; cito:hasCitedEntity ?cited }
  }
}"""

RECEPTIONS = """
SELECT ?work ?r ?polarity ?role ?share WHERE {
  ?r a kg:Reception ; kg:receptionOf ?work .
  OPTIONAL { ?r kg:overallPolarity ?polarity }
  OPTIONAL { ?r kg:mostCommonRole ?role }
  OPTIONAL { ?r kg:mostCommonRoleShare ?share }
}"""

DISTRIBUTIONS = """
SELECT ?r ?kind ?label ?share ?n WHERE {
  ?r a kg:Reception .
  { ?r kg:hasRoleShare ?row . ?row kg:role ?label . BIND("role" AS ?kind) }
  UNION
  { ?r kg:hasPolarityShare ?row . ?row kg:polarity ?label . BIND("polarity" AS ?kind) }
  OPTIONAL { ?row kg:share ?share }
  OPTIONAL { ?row kg:count ?n }
}"""

# Roles put on single citations (by an API such as Semantic Scholar), to count when the
# reception carries no role distribution of its own.
CITATION_ROLES = """
SELECT ?cited ?c ?role WHERE {
  ?c cito:hasCitedEntity ?cited ; kg:hasRoleLabel ?l .
  ?l kg:role ?role .
}"""

LABELS = "SELECT ?concept ?label WHERE { ?concept skos:prefLabel ?label }"


@dataclass(frozen=True)
class ShareRow:
    """One bar of a distribution chart."""

    label: Identifier | None  # None for 'the rest' when only the top share is known
    share: Decimal | None
    count: int | None = None


@dataclass
class Distribution:
    rows: list[ShareRow]
    origin: str  # 'reported', 'counted' or 'top-only': says where the numbers come from
    total: int | None = None  # labelled citations counted, for 'counted'


@dataclass
class Reception:
    iri: IdentifiedNode | None  # None when the graph has no kg:Reception, only role labels
    polarity: Identifier | None = None
    role: Identifier | None = None
    role_share: Decimal | None = None
    roles: Distribution | None = None
    polarities: Distribution | None = None


@dataclass(frozen=True)
class CitingRef:
    """One work citing another, with the citation node when the graph has one."""

    work: Identifier
    citation: Identifier | None
    representative: bool
    position: int | None


@dataclass
class WorkInfo:
    iri: IdentifiedNode
    title: str | None = None
    year: str | None = None
    doi: str | None = None
    arxiv: str | None = None
    venue: str | None = None
    abstract: str | None = None
    summary: str | None = None
    authors: list[str] = field(default_factory=list)
    code: list[str] = field(default_factory=list)
    see_also: list[str] = field(default_factory=list)
    citing: list[CitingRef] = field(default_factory=list)
    cites: list[CitingRef] = field(default_factory=list)
    reception: Reception | None = None

    @property
    def is_hub(self) -> bool:
        return bool(self.citing)


#: Works by their IRI (or blank node); looked up with any term a query gives.
Works = dict[Node, WorkInfo]


@dataclass
class SiteData:
    works: Works
    labels: dict[Node, str]

    def label(self, concept: Node | None) -> str:
        if concept is None:
            return ""
        return self.labels.get(concept) or str(concept).rstrip("/#").rsplit("/", 1)[-1].rsplit("#", 1)[-1]

    def title(self, work: Node) -> str:
        return labels_title(self.works, work)


def _first(current: str | None, value: str | None) -> str | None:
    """Keep the smallest value seen, so that several values still give one stable answer."""
    if value is None:
        return current
    return value if current is None or value < current else current


@lru_cache(maxsize=1)
def _ontology_labels() -> dict[Node, str]:
    g = Graph().parse(ontology_file(), format="turtle")
    return {row.node("concept"): str(row["label"]) for row in select(g, LABELS)}


def _author_key(person: str, name: str | None) -> tuple[int, str, str]:
    # Authors without an ORCID are minted as {work}/author/{n}: that number is their order.
    tail = person.rsplit("/author/", 1)
    pos = int(tail[1]) if len(tail) == 2 and tail[1].isdigit() else 1 << 30
    return (pos, name or "", person)


def load_site_data(graph: Graph) -> SiteData:
    """Everything the work, hub and index pages show, from SPARQL over the graph."""
    labels = dict(_ontology_labels())
    for row in select(graph, LABELS):  # the data may carry labels of its own
        labels.setdefault(row.node("concept"), str(row["label"]))
    works = _load_works(graph)
    _load_authors(graph, works)
    _load_links(graph, works)
    _load_citations(graph, works)
    _load_receptions(graph, works)
    return SiteData(works=works, labels=labels)


def _load_works(graph: Graph) -> Works:
    works: Works = {}
    for r in select(graph, WORKS):
        work = r.node("work")
        w = works.setdefault(work, WorkInfo(iri=work))
        w.title = _first(w.title, r.text("title"))
        w.year = _first(w.year, r.text("year"))
        w.doi = _first(w.doi, r.text("doi"))
        w.arxiv = _first(w.arxiv, r.text("arxiv"))
        w.venue = _first(w.venue, r.text("venue"))
        w.abstract = _first(w.abstract, r.text("abstract"))
        w.summary = _first(w.summary, r.text("summary"))
    return works


def _load_authors(graph: Graph, works: Works) -> None:
    authors: dict[Identifier, set[tuple[int, str, str]]] = {}
    for r in select(graph, AUTHORS):
        name = r.term("name")
        authors.setdefault(r.node("work"), set()).add(_author_key(str(r["person"]), str(name) if name else None))
    for work, keys in authors.items():
        works[work].authors = [k[1] or k[2] for k in sorted(keys)]


def _load_links(graph: Graph, works: Works) -> None:
    for r in select(graph, LINKS):
        w = works[r.node("work")]
        (w.code if str(r["kind"]) == "code" else w.see_also).append(str(r["url"]))
    for w in works.values():
        w.code.sort()
        w.see_also.sort()


def _load_citations(graph: Graph, works: Works) -> None:
    refs: dict[tuple[Identifier, Identifier], CitingRef] = {}
    for r in select(graph, CITATIONS):
        key = (r["citing"], r["cited"])
        rep = r.term("rep")
        representative = isinstance(rep, Literal) and rep.toPython() is True
        new = CitingRef(work=key[0], citation=r.term("c"), representative=representative, position=r.integer("pos"))
        old = refs.get(key)
        if old is None or _ref_order(new) < _ref_order(old):
            refs[key] = new
    for (citing, cited), ref in refs.items():
        if cited in works:
            works[cited].citing.append(ref)
        if citing in works:
            works[citing].cites.append(CitingRef(cited, ref.citation, ref.representative, ref.position))
    for w in works.values():
        w.citing.sort(key=lambda c: _list_order(c, labels_title(works, c.work)))
        w.cites.sort(key=lambda c: (labels_title(works, c.work).casefold(), str(c.work)))


def labels_title(works: Works, iri: Node) -> str:
    w = works.get(iri)
    return (w.title if w and w.title else None) or str(iri)


def _ref_order(ref: CitingRef) -> tuple[bool, str, bool, int]:
    return (ref.citation is None, str(ref.citation or ""), not ref.representative, ref.position or 0)


def _list_order(ref: CitingRef, title: str) -> tuple[bool, int, str, str]:
    # The source's order where it gave one, then by title.
    return (ref.position is None, ref.position or 0, title.casefold(), str(ref.work))


def _load_receptions(graph: Graph, works: Works) -> None:
    by_iri = _reception_nodes(graph, works)
    rows: dict[tuple[IdentifiedNode, str], dict[Identifier, ShareRow]] = {}
    for r in select(graph, DISTRIBUTIONS):
        rec_iri = r.node("r")
        if rec_iri in by_iri:
            label = r["label"]
            rows.setdefault((rec_iri, str(r["kind"])), {})[label] = ShareRow(label, r.decimal("share"), r.integer("n"))
    for (iri, kind), found in rows.items():
        dist = Distribution(rows=_sorted_rows(found.values()), origin="reported")
        if kind == "role":
            by_iri[iri].roles = dist
        else:
            by_iri[iri].polarities = dist

    counted: dict[Identifier, dict[Identifier, set[Identifier]]] = {}
    for r in select(graph, CITATION_ROLES):
        counted.setdefault(r["cited"], {}).setdefault(r["role"], set()).add(r["c"])
    for w in works.values():
        _complete_roles(w, counted.get(w.iri))


def _reception_nodes(graph: Graph, works: Works) -> dict[IdentifiedNode, Reception]:
    """The graph's receptions by their node; each work gets the one with the smallest IRI."""
    by_iri: dict[IdentifiedNode, Reception] = {}
    for r in select(graph, RECEPTIONS):
        work = r["work"]
        if work not in works:
            continue
        rec_iri = r.node("r")
        rec = by_iri.get(rec_iri)
        if rec is None:
            rec = by_iri[rec_iri] = Reception(iri=rec_iri)
            current = works[work].reception
            if current is None or str(rec_iri) < str(current.iri):
                works[work].reception = rec
        rec.polarity = min(filter(None, (rec.polarity, r.term("polarity"))), key=str, default=None)
        rec.role = min(filter(None, (rec.role, r.term("role"))), key=str, default=None)
        share = r.decimal("share")
        if share is not None and (rec.role_share is None or share > rec.role_share):
            rec.role_share = share
    return by_iri


def _complete_roles(w: WorkInfo, per_role: dict[Identifier, set[Identifier]] | None) -> None:
    """Roles counted over the work's citations, or the top role alone, where no distribution is given."""
    rec = w.reception
    if rec is None and per_role is not None:
        rec = w.reception = Reception(iri=None)
    if rec is None:
        return
    if rec.roles is None and per_role is not None:
        total = len(set().union(*per_role.values()))
        share_rows = [
            ShareRow(role, (Decimal(len(cs)) / total).quantize(Decimal("0.0001")), len(cs))
            for role, cs in per_role.items()
        ]
        rec.roles = Distribution(rows=_sorted_rows(share_rows), origin="counted", total=total)
    if rec.roles is None and rec.role is not None and rec.role_share is not None:
        rest = max(Decimal(0), Decimal(1) - rec.role_share)
        top = [ShareRow(rec.role, rec.role_share)]
        rec.roles = Distribution(rows=top + ([ShareRow(None, rest)] if rest else []), origin="top-only")


def _sorted_rows(rows: Iterable[ShareRow]) -> list[ShareRow]:
    rows = list(rows)
    total = sum(r.count for r in rows if r.count is not None and r.share is None)
    out = []
    for r in rows:
        if r.share is None and r.count is not None and total:
            r = ShareRow(r.label, (Decimal(r.count) / total).quantize(Decimal("0.0001")), r.count)
        out.append(r)
    return sorted(out, key=lambda r: (-(r.share or 0), -(r.count or 0), str(r.label)))
