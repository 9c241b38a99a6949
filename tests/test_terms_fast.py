"""The fast paths (term caching, cheap constructors, canonical lines) agree with the plain ones."""

from __future__ import annotations

import pytest
from rdflib import BNode, Literal, URIRef
from rdflib.namespace import XSD as XSD_NS

from kgtool.errors import InputError
from kgtool.map import fastterms, iris
from kgtool.map.identifiers import work_key
from kgtool.map.model import Work
from kgtool.serialize.ntlines import NTLineEncoder
from kgtool.serialize.terms import nt_term
from kgtool.validate.sql import validate_paths

TERMS = [URIRef("http://a/b"), Literal('q"\\\n\t\x01 é \u2028'), Literal("x", lang="en"),
         Literal("2019", datatype=XSD_NS.gYear), Literal("1", datatype=XSD_NS.string), BNode("b1")]


def test_encoder_writes_what_nt_term_writes():
    enc = NTLineEncoder(max_cached=2)  # tiny cache: exercises eviction too
    for _ in range(3):
        for t in TERMS:
            assert enc.term(t) == nt_term(t)
    assert enc.line(TERMS[0], TERMS[0], TERMS[1]) == f"{nt_term(TERMS[0])} {nt_term(TERMS[0])} {nt_term(TERMS[1])} .\n"
    with pytest.raises(ValueError, match="forbidden"):
        enc.term(URIRef("http://a/b c"))


def test_fast_constructors_build_rdflib_s_terms():
    assert fastterms.FAST
    for v in ["", "plain", "é \u2028"]:
        fast, slow = fastterms.plain_literal(v), Literal(v)
        assert fast == slow and hash(fast) == hash(slow) and fast.datatype is None and fast.value == slow.value
    assert fastterms.minted_iri("http://x/1") == URIRef("http://x/1")


def test_works_known_only_by_another_identifier():
    assert work_key(None, None, None, (("omid", "br/061"),)) == ("omid", "br/061")
    assert work_key("10.1/x", None, None, (("omid", "br/061"),)) == ("doi", "10.1/x")
    w = Work(extra_ids=(("openalex", "W1"),))
    assert iris.work_iri(w) == URIRef("https://w3id.org/kgtool/data/work/openalex/W1")
    assert iris.work_iri(w) is iris.work_iri(w)  # cached by identity
    with pytest.raises(ValueError):
        work_key(None, None, None)


@pytest.mark.parametrize("bad, column", [
    (b"<a> <http://b> <http://c> .\n", 1),  # a relative IRI
    (b'<http://a> <http://b> "a\\zb" .\n', 25),  # an escape N-Triples does not have
    (b"<http://a> <http://b> <http://c d> .\n", 23),  # a space in an IRI
])
def test_the_duckdb_validator_reads_n_triples_strictly(tmp_path, bad, column):
    f = tmp_path / "f.nt"
    f.write_bytes(b"<http://a> <http://b> <http://c> .\n" + bad)
    with pytest.raises(InputError, match=rf"f.nt:2:{column}: cannot parse as nt"):
        validate_paths([f], engine="duckdb")
