"""Formatting blocks of N-Triples lines as N-Quads and Turtle; part files and their names."""

from __future__ import annotations

import io

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import XSD as XSD_NS

from kgtool.errors import UsageError
from kgtool.ntlines import NTLineEncoder
from kgtool.stream_writers import LineFormatter, TurtleFormatter, open_writer, parse_output

S = URIRef("https://w3id.org/kgtool/data/citation/abc")


def block(*triples) -> list[str]:
    return NTLineEncoder().lines(triples)


def test_turtle_paragraphs_parse_to_the_same_triples():
    lines = block(
        (S, URIRef("http://purl.org/dc/terms/identifier"), Literal('a "quoted"\nline \u2028 é')),
        (S, URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"), URIRef("http://purl.org/spar/cito/Citation")),
        (S, URIRef("https://w3id.org/kgtool/ns#position"), Literal("3", datatype=XSD_NS.integer)),
        (S, URIRef("https://w3id.org/kgtool/ns#share"), Literal("0.5", datatype=XSD_NS.decimal)),
        (S, URIRef("https://w3id.org/kgtool/ns#isInfluential"), Literal("true", datatype=XSD_NS.boolean)),
        (S, URIRef("http://purl.org/spar/cito/hasCitationTimeSpan"), Literal("-P1Y", datatype=XSD_NS.duration)),
        (S, URIRef("http://purl.org/dc/terms/title"), Literal("Titre", lang="fr")),
    )
    ttl = TurtleFormatter.header().decode() + TurtleFormatter().block(lines)
    assert "a cito:Citation ;" in ttl and " 3 ;" in ttl and '"-P1Y"^^xsd:duration' in ttl
    assert ttl.index(" a cito:Citation") < ttl.index("dcterms:identifier")  # rdf:type first
    assert isomorphic(Graph().parse(data=ttl, format="turtle"), Graph().parse(data="".join(lines), format="nt"))


def test_nquads_put_every_line_in_the_graph():
    lines = block((S, URIRef("http://p"), Literal("x")))
    assert LineFormatter("https://g").block(lines) == f'<{S}> <http://p> "x" <https://g> .\n'


@pytest.mark.parametrize("spec, expected", [("nt.gz", (".nt", True, "nt")), ("N-Quads", (".nq", False, "nq")),
                                            ("turtle.gz", (".ttl", True, "ttl"))])
def test_output_names(spec, expected):
    assert parse_output(spec) == expected


def test_split_needs_files(tmp_path):
    with pytest.raises(UsageError, match="--split"):
        open_writer(None, "x", "nt", 10, io.BytesIO())
    with pytest.raises(UsageError, match="positive"):
        open_writer(tmp_path, "x", "nt", 0)


def test_nothing_visible_before_commit(tmp_path):
    w = open_writer(tmp_path, "g", "nt", 2)
    w.write(b"<a> <b> <c> .\n<a> <b> <d> .\n<a> <b> <e> .\n", 3)
    w.files._stop()
    assert all(p.name.startswith(".") and p.name.endswith(".tmp") for p in tmp_path.iterdir())
    w.abort()
    assert list(tmp_path.iterdir()) == []
