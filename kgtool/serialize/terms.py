"""Write RDF terms as N-Triples and Turtle text, with correct escaping and stable forms."""

from __future__ import annotations

import hashlib
import re

from rdflib import BNode, Literal, URIRef
from rdflib.namespace import RDF, XSD
from rdflib.term import Node

_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}
_NEEDS_ESCAPE = re.compile(r'["\\\x00-\x1f\x7f]')
_IRI_BAD = re.compile(r'[\x00-\x20<>"{}|^`\\]')
_PN_LOCAL = re.compile(r"^[A-Za-z0-9_]([A-Za-z0-9_\-.]*[A-Za-z0-9_\-])?$")
_INTEGER = re.compile(r"^[+-]?\d+$")
# BLANK_NODE_LABEL of N-Triples/Turtle, ASCII part (other labels are hashed, see bnode_label)
_BNODE_LABEL = re.compile(r"^[A-Za-z0-9_](?:[A-Za-z0-9_.\-]*[A-Za-z0-9_\-])?$")
_DECIMAL = re.compile(r"^[+-]?\d*\.\d+$")

XSD_STRING = str(XSD.string)


def _escape_char(m: re.Match[str]) -> str:
    ch = m.group(0)
    return _ESCAPES.get(ch) or f"\\u{ord(ch):04X}"


def escape_string(value: str) -> str:
    """The body of a double-quoted N-Triples/Turtle string."""
    return _NEEDS_ESCAPE.sub(_escape_char, value)


def bnode_label(label: str) -> str:
    """A legal blank node label for ``label``: itself when it is one, else a stable hash of it
    (so that the same node keeps one label and two nodes never share one)."""
    if _BNODE_LABEL.match(label):
        return label
    return "h" + hashlib.sha256(label.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def iri_ref(iri: str) -> str:
    if _IRI_BAD.search(iri):
        raise ValueError(f"not a valid IRI (contains a forbidden character): {iri!r}")
    return f"<{iri}>"


def nt_term(term: Node) -> str:
    """A term in N-Triples syntax."""
    if isinstance(term, URIRef):
        return iri_ref(str(term))
    if isinstance(term, Literal):
        body = f'"{escape_string(str(term))}"'
        if term.language:
            return f"{body}@{term.language}"
        if term.datatype and str(term.datatype) != XSD_STRING:
            return f"{body}^^{iri_ref(str(term.datatype))}"
        return body
    if isinstance(term, BNode):
        return f"_:{bnode_label(term)}"
    raise TypeError(f"cannot write {term!r} as an RDF term")


class TurtleTerms:
    """Formats terms for Turtle using a prefix map; records which prefixes were used."""

    def __init__(self, prefixes: dict[str, str]):
        # Longest namespace first so that nested namespaces pick the most specific prefix.
        self._prefixes = sorted(prefixes.items(), key=lambda kv: (-len(kv[1]), kv[0]))
        self.used: set[str] = set()

    def iri(self, iri: str) -> str:
        for prefix, ns in self._prefixes:
            if iri.startswith(ns):
                local = iri[len(ns) :]
                if local == "" or _PN_LOCAL.match(local):
                    self.used.add(prefix)
                    return f"{prefix}:{local}"
        return iri_ref(iri)

    def term(self, term: Node, *, predicate: bool = False) -> str:
        if isinstance(term, URIRef):
            if predicate and term == RDF.type:
                return "a"
            return self.iri(str(term))
        if isinstance(term, Literal):
            lex = str(term)
            dt = str(term.datatype) if term.datatype else None
            if term.language:
                return f'"{escape_string(lex)}"@{term.language}'
            if dt is None or dt == XSD_STRING:
                return f'"{escape_string(lex)}"'
            if dt == str(XSD.integer) and _INTEGER.match(lex):
                return lex
            if dt == str(XSD.decimal) and _DECIMAL.match(lex):
                return lex
            if dt == str(XSD.boolean) and lex in ("true", "false"):
                return lex
            return f'"{escape_string(lex)}"^^{self.iri(dt)}'
        return nt_term(term)


def sort_key(term: Node) -> tuple:
    """Total, hash-independent order over terms: IRIs, then blank nodes, then literals."""
    if isinstance(term, URIRef):
        return (0, str(term), "", "")
    if isinstance(term, BNode):
        return (1, str(term), "", "")
    if isinstance(term, Literal):
        return (2, str(term), str(term.datatype or ""), term.language or "")
    return (3, str(term), "", "")
