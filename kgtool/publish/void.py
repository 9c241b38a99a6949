"""The dataset description: VoID statistics and DCAT distributions, computed from the graph."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, FOAF, RDF, XSD
from rdflib.term import IdentifiedNode, Node

from ..map.vocab import PREFIXES
from ..serialize.export import turtle_text
from ..serialize.terms import TurtleTerms, sort_key

VOID = Namespace("http://rdfs.org/ns/void#")
DCAT = Namespace("http://www.w3.org/ns/dcat#")
FORMATS = Namespace("http://www.w3.org/ns/formats/")
MEDIA_TYPES = "https://www.iana.org/assignments/media-types/"
VOID_PREFIXES = {**PREFIXES, "void": str(VOID), "dcat": str(DCAT), "formats": str(FORMATS)}

#: W3C format IRIs for the media types kgtool writes (void:feature).
FORMAT_FEATURES = {
    "text/turtle": FORMATS.Turtle,
    "application/n-triples": FORMATS["N-Triples"],
    "application/ld+json": FORMATS["JSON-LD"],
}

DEFAULT_LICENSE = "https://creativecommons.org/publicdomain/zero/1.0/"


@dataclass(frozen=True)
class Dump:
    """A data dump written into the site."""

    url: str  # absolute
    media_type: str
    byte_size: int
    compression: str | None = None  # media type of the compression, e.g. application/gzip


@dataclass(frozen=True)
class GraphStats:
    triples: int
    entities: int
    subjects: int
    objects: int
    classes: dict[URIRef, int]  # class -> distinct instances
    properties: dict[Node, int]  # property -> triples


def graph_stats(graph: Graph, base: str) -> GraphStats:
    """VoID's numbers: entities are the IRI subjects in the dataset's URI space."""
    subjects, objects = set(), set()
    instances: dict[URIRef, set] = {}
    props: dict[Node, int] = {}
    for s, p, o in graph:
        subjects.add(s)
        objects.add(o)
        props[p] = props.get(p, 0) + 1
        if p == RDF.type and isinstance(o, URIRef):
            instances.setdefault(o, set()).add(s)
    entities = sum(1 for s in subjects if isinstance(s, URIRef) and str(s).startswith(base))
    return GraphStats(
        triples=len(graph),
        entities=entities,
        subjects=len(subjects),
        objects=len(objects),
        classes={c: len(v) for c, v in instances.items()},
        properties=props,
    )


def _slug(kind: str, iri: Node, fmt: TurtleTerms) -> str:
    name = fmt.iri(str(iri))
    if name.startswith("<"):
        name = hashlib.sha256(str(iri).encode()).hexdigest()[:12]
    return f"{kind}-" + name.replace(":", "-")


Triple = tuple[Node, Node, Node]


def description(
    stats: GraphStats,
    base: str,
    dumps: list[Dump],
    *,
    title: str,
    license: str,
    sparql_endpoint: str | None = None,
    examples: tuple[IdentifiedNode, ...] = (),
) -> str:
    """void.ttl: one node that is both a void:Dataset and a dcat:Dataset, with its dumps."""
    doc = base + "void.ttl"
    ds = URIRef(doc + "#dataset")
    lic = URIRef(license)
    t = _dataset(ds, stats, base, title, lic)
    t += [(ds, VOID.exampleResource, ex) for ex in examples]
    t += _partitions(ds, doc, stats)
    for d in dumps:
        t += _distribution(ds, doc, d, title, lic)
    if sparql_endpoint:
        t += _service(ds, doc, sparql_endpoint, title)
    return turtle_text(t, VOID_PREFIXES)


def _dataset(ds: URIRef, stats: GraphStats, base: str, title: str, lic: URIRef) -> list[Triple]:
    """The dataset's type, title, license, home and VoID counts."""
    return [
        (ds, RDF.type, VOID.Dataset),
        (ds, RDF.type, DCAT.Dataset),
        (ds, DCTERMS.title, Literal(title)),
        (ds, DCTERMS.description, Literal(
            "Scholarly works and their citations as a CiTO knowledge graph, with each cited work's reception; "
            "published by kgtool.")),
        (ds, DCTERMS.license, lic),
        (ds, FOAF.homepage, URIRef(base)),
        (ds, DCAT.landingPage, URIRef(base)),
        (ds, VOID.uriSpace, Literal(base)),
        (ds, VOID.triples, _int(stats.triples)),
        (ds, VOID.entities, _int(stats.entities)),
        (ds, VOID.distinctSubjects, _int(stats.subjects)),
        (ds, VOID.distinctObjects, _int(stats.objects)),
        (ds, VOID.classes, _int(len(stats.classes))),
        (ds, VOID.properties, _int(len(stats.properties))),
    ]


def _partitions(ds: URIRef, doc: str, stats: GraphStats) -> list[Triple]:
    """The vocabularies used, and a class and property partition for each class and property."""
    t: list[Triple] = []
    add = t.append
    used = sorted(
        {ns for ns in PREFIXES.values() if any(str(k).startswith(ns) for k in [*stats.classes, *stats.properties])}
    )
    for ns in used:
        add((ds, VOID.vocabulary, URIRef(ns)))
    fmt = TurtleTerms(VOID_PREFIXES)
    for cls in sorted(stats.classes, key=sort_key):
        node = URIRef(f"{doc}#{_slug('class', cls, fmt)}")
        add((ds, VOID.classPartition, node))
        add((node, VOID["class"], cls))
        add((node, VOID.entities, _int(stats.classes[cls])))
    for prop in sorted(stats.properties, key=sort_key):
        node = URIRef(f"{doc}#{_slug('property', prop, fmt)}")
        add((ds, VOID.propertyPartition, node))
        add((node, VOID.property, prop))
        add((node, VOID.triples, _int(stats.properties[prop])))
    return t


def _distribution(ds: URIRef, doc: str, d: Dump, title: str, lic: URIRef) -> list[Triple]:
    """A dump as a void:dataDump and a dcat:Distribution."""
    url = URIRef(d.url)
    name = d.url.rsplit("/", 1)[-1]
    t: list[Triple] = [(ds, VOID.dataDump, url)]
    if d.media_type in FORMAT_FEATURES:
        t.append((ds, VOID.feature, FORMAT_FEATURES[d.media_type]))
    dist = URIRef(f"{doc}#distribution-{name.replace('.', '-')}")
    t += [
        (ds, DCAT.distribution, dist),
        (dist, RDF.type, DCAT.Distribution),
        (dist, DCTERMS.title, Literal(f"{title} ({name})")),
        (dist, DCAT.downloadURL, url),
        (dist, DCAT.accessURL, url),
        (dist, DCAT.mediaType, URIRef(MEDIA_TYPES + d.media_type)),
        (dist, DCTERMS["format"], URIRef(MEDIA_TYPES + d.media_type)),
    ]
    if d.compression:
        t.append((dist, DCAT.compressFormat, URIRef(MEDIA_TYPES + d.compression)))
    t.append((dist, DCAT.byteSize, Literal(str(d.byte_size), datatype=XSD.nonNegativeInteger)))
    t.append((dist, DCTERMS.license, lic))
    return t


def _service(ds: URIRef, doc: str, sparql_endpoint: str, title: str) -> list[Triple]:
    """The SPARQL endpoint serving the data, as a dcat:DataService."""
    ep = URIRef(sparql_endpoint)
    service = URIRef(doc + "#sparql")
    return [
        (ds, VOID.sparqlEndpoint, ep),
        (service, RDF.type, DCAT.DataService),
        (service, DCTERMS.title, Literal(f"SPARQL endpoint of {title}")),
        (service, DCAT.endpointURL, ep),
        (service, DCAT.servesDataset, ds),
        (service, DCTERMS.conformsTo, URIRef("https://www.w3.org/TR/sparql11-protocol/")),
    ]


def _int(n: int) -> Literal:
    return Literal(str(n), datatype=XSD.integer)
