"""Formatting blocks of N-Triples lines as N-Quads and Turtle; part files and their names."""

from __future__ import annotations

import io

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import XSD as XSD_NS

from kgtool.errors import UsageError
from kgtool.serialize.ntlines import NTLineEncoder
from kgtool.serialize.stream_writers import LineFormatter, TurtleFormatter, open_writer, parse_output

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


@pytest.mark.parametrize("to", ["nt", "nt.gz"])
def test_background_syncs_keep_the_bytes_and_report_a_failed_sync(tmp_path, monkeypatch, to):
    import gzip
    import os

    import kgtool.serialize.stream_writers as sw

    lines = b"".join(b"<http://x/s%d> <http://x/p> \"%d\" .\n" % (i, i) for i in range(3000))

    def write(folder):
        folder.mkdir()
        w = open_writer(folder, "g", to, None)
        try:
            for k in range(0, len(lines), 1000):
                w.write(lines[k:k + 1000], 1)  # (how many triples does not matter here)
            return w.commit()[0].read_bytes()
        except BaseException:
            w.abort()  # as convert does
            raise

    plain = write(tmp_path / "plain")
    synced: list[int] = []
    real_sync = os.fdatasync
    monkeypatch.setattr(sw, "_SYNC_EVERY", 4096)  # a background sync every few writes
    monkeypatch.setattr(sw.os, "fdatasync", lambda fd: synced.append(fd) or real_sync(fd))
    assert write(tmp_path / "synced") == plain
    assert synced  # (one at a time: how many depends on the disk)
    assert (gzip.decompress(plain) if to.endswith(".gz") else plain) == lines

    def failing(fd):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(sw.os, "fdatasync", failing)
    with pytest.raises(OSError, match="Input/output"):
        write(tmp_path / "failed")
    assert list((tmp_path / "failed").iterdir()) == []
    # A sync that fails only at the end (the fsync of the last part): reported, nothing left, no hang.
    monkeypatch.setattr(sw, "_SYNC_EVERY", 1 << 40)
    monkeypatch.setattr(sw.os, "fsync", failing)
    import threading

    raised: list[BaseException] = []

    def at_end():
        try:
            write(tmp_path / "failed-at-end")
        except BaseException as e:
            raised.append(e)

    t = threading.Thread(target=at_end, daemon=True)
    t.start()
    t.join(timeout=30)
    assert not t.is_alive(), "the writer hung after a failed final sync"
    assert isinstance(raised[0], OSError) and "Input/output" in str(raised[0])
    assert list((tmp_path / "failed-at-end").iterdir()) == []
