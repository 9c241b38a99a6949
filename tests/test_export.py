"""Serializations: deterministic bytes, round trips, escaping, and the committed exports."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT
from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import XSD

from kgtool.errors import UsageError
from kgtool.pipeline import build_hub_pages
from kgtool.serialize.export import FORMATS, jsonld_text, nquads_lines, ntriples_lines, parse_formats, turtle_text

EX = "https://example.org/"
NASTY = [
    'quote " and backslash \\ and tab \t',
    "new\nline and carriage\rreturn",
    "control \x01\x1f and del \x7f",
    "unicode: Évaluer « $x^2$ » — 数据 🙂",
    "",
    "ends with backslash \\",
]


def nasty_graph() -> Graph:
    g = Graph()
    s = URIRef(EX + "s")
    for i, text in enumerate(NASTY):
        g.add((s, URIRef(EX + f"p{i}"), Literal(text)))
    g.add((s, URIRef(EX + "lang"), Literal("chat", lang="fr")))
    g.add((s, URIRef(EX + "int"), Literal("42", datatype=XSD.integer)))
    g.add((s, URIRef(EX + "dec"), Literal("0.67", datatype=XSD.decimal)))
    g.add((s, URIRef(EX + "bool"), Literal("true", datatype=XSD.boolean)))
    g.add((s, URIRef(EX + "year"), Literal("2019", datatype=XSD.gYear)))
    g.add((URIRef(EX + "work/doi/10.1002/%28sici%29%3C693%3A%3Aaid%3E3.0.co%3B2-0"), URIRef(EX + "p"), s))
    return g


@pytest.mark.parametrize("fmt", ["turtle", "nt", "nquads", "json-ld"])
def test_escaping_round_trips_in_every_format(fmt):
    g = nasty_graph()
    if fmt == "turtle":
        text = turtle_text(g)
    elif fmt == "nt":
        text = "".join(ntriples_lines(g))
    elif fmt == "nquads":
        text = "".join(nquads_lines(g, URIRef(EX + "g")))
    else:
        text = jsonld_text(g)
    back = Dataset() if fmt == "nquads" else Graph()
    back.parse(data=text, format=fmt)
    if fmt == "nquads":
        back = back.graph(URIRef(EX + "g"))
    assert isomorphic(g, back)
    assert {(str(o), o.datatype, o.language) for o in back.objects() if isinstance(o, Literal)} == {
        (str(o), o.datatype, o.language) for o in g.objects() if isinstance(o, Literal)
    }


def test_turtle_is_readable_with_prefixes_and_native_literals():
    g = nasty_graph()
    text = turtle_text(g)
    assert text.startswith("@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .")
    assert " 42 ;" in text or " 42 ." in text
    assert "0.67" in text and '"2019"^^xsd:gYear' in text


def test_ntriples_and_nquads_are_sorted_lines():
    g = nasty_graph()
    nt = ntriples_lines(g)
    assert nt == sorted(nt) and len(nt) == len(g)
    nq = nquads_lines(g, URIRef(EX + "g"))
    assert nq == sorted(nq) and all(line.endswith(f"<{EX}g> .\n") for line in nq)


def test_jsonld_embeds_its_context_and_parses_without_network(shared_hub_sample, tmp_path):
    result = build_hub_pages([shared_hub_sample], out_dir=tmp_path, formats="ttl,jsonld")
    doc = json.loads((tmp_path / "spacer-hub.jsonld").read_text())
    assert isinstance(doc["@context"], dict)
    assert all(not str(v).startswith("http") or k for k, v in doc["@context"].items())
    ttl = Graph().parse(tmp_path / "spacer-hub.ttl", format="turtle")
    js = Graph().parse(tmp_path / "spacer-hub.jsonld", format="json-ld")
    assert isomorphic(ttl, js) and isomorphic(ttl, result.graph)


def test_formats_registry():
    assert [f.name for f in parse_formats("ttl, JSON-LD,nt,nquads")] == ["ttl", "jsonld", "nt", "nq"]
    with pytest.raises(UsageError, match="choose from: ttl, jsonld, nt, nq"):
        parse_formats("ttl,xml")
    assert set(FORMATS) == {"ttl", "jsonld", "nt", "nq"}


def _build_with_seed(seed: str, page: Path, out: Path) -> dict[str, bytes]:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    subprocess.run(
        [sys.executable, "-m", "kgtool", "-q", "build", str(page), "--out", str(out), "--to", "ttl,jsonld,nt,nq"],
        check=True, env=env, capture_output=True, cwd=ROOT,
    )
    return {p.name: p.read_bytes() for p in sorted(out.iterdir())}


def test_byte_identical_across_runs_and_hash_seeds(tmp_path):
    page = ROOT / "examples" / "hub-example.txt"
    runs = [_build_with_seed(seed, page, tmp_path / seed) for seed in ("0", "1", "4242")]
    assert len(runs[0]) == 4
    assert runs[0] == runs[1] == runs[2]


def test_committed_exports_match_a_fresh_build(tmp_path):
    """exports/ holds the build of the bundled example; regenerate with `kgtool build examples/hub-example.txt`."""
    build_hub_pages([ROOT / "examples" / "hub-example.txt"], out_dir=tmp_path)
    for name in ("hub-example.ttl", "hub-example.jsonld"):
        committed = ROOT / "exports" / name
        assert committed.read_bytes() == (tmp_path / name).read_bytes(), f"{committed} drifted from the build"
