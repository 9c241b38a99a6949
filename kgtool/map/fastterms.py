"""Cheaper constructors for the rdflib terms the mapping makes once per record.

rdflib's ``Literal("text")`` costs about 3 µs (it parses and normalizes its argument) and
``URIRef(iri)`` about 1 µs (it checks the IRI, only to log a warning); a dump of millions of
records makes several per record. For a plain string literal and for an IRI kgtool minted itself
the result is fully determined, so these build the same objects directly. At import the
shortcut is compared with rdflib's own constructor, and is not used unless they agree (a future
rdflib that stores literals differently simply gets the slow path).
"""

from __future__ import annotations

from rdflib import Literal, URIRef


def _plain_literal_fast(value: str) -> Literal:
    lit = str.__new__(Literal, value)
    lit._language = None
    lit._datatype = None
    lit._value = str(value)
    lit._ill_typed = None
    return lit


def _plain_literal_slow(value: str) -> Literal:
    return Literal(value, normalize=False)


def _minted_iri_fast(value: str) -> URIRef:
    return str.__new__(URIRef, value)


def _same_literal(a: Literal, b: Literal) -> bool:
    slots = ("_language", "_datatype", "_value", "_ill_typed")
    return (
        type(a) is type(b)
        and str(a) == str(b)
        and a == b
        and hash(a) == hash(b)
        and all(getattr(a, s) == getattr(b, s) and type(getattr(a, s)) is type(getattr(b, s)) for s in slots)
    )


def _verified() -> bool:
    try:
        samples = ("", "plain", "oci:06101-06102", "ünïcödé \u2028 \"q\"", "10.1002/(sici)<x>;2-1")
        lits = all(_same_literal(_plain_literal_fast(s), Literal(s)) for s in samples)
        iri = "https://w3id.org/kgtool/data/citation/0123456789abcdef0123"
        iris = _minted_iri_fast(iri) == URIRef(iri) and hash(_minted_iri_fast(iri)) == hash(URIRef(iri))
        return lits and iris and type(_minted_iri_fast(iri)) is URIRef
    except Exception:
        return False


FAST = _verified()

#: A plain (xsd:string) literal of ``value``: the same term as ``Literal(value)``.
plain_literal = _plain_literal_fast if FAST else _plain_literal_slow
#: An IRI that kgtool minted (so known to be valid): the same term as ``URIRef(value)``.
minted_iri = _minted_iri_fast if FAST else URIRef
