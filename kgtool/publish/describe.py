"""Concise bounded descriptions: what a resource's own .ttl/.jsonld/.nt holds."""

from __future__ import annotations

from collections.abc import Iterable

from rdflib import BNode, Graph, URIRef
from rdflib.term import Node

Triple = tuple[Node, Node, Node]


def cbd(graph: Graph, subject: URIRef) -> list[Triple]:
    """Every triple with the subject, plus the descriptions of blank nodes it reaches.

    (The CBD of the W3C member submission, without reifications, which kgtool never writes.)
    """
    out: list[Triple] = []
    todo: list[Node] = [subject]
    seen: set[Node] = {subject}
    while todo:
        s = todo.pop()
        for t in graph.triples((s, None, None)):
            out.append(t)
            o = t[2]
            if isinstance(o, BNode) and o not in seen:
                seen.add(o)
                todo.append(o)
    return out


def as_graph(triples: Iterable[Triple]) -> Graph:
    g = Graph()
    for t in triples:
        g.add(t)
    return g
