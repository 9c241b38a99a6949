"""The W3C RDF 1.1 and 1.2 syntax suites (Turtle, N-Triples, N-Quads) against kgtool's one reader.

Every positive test must be accepted (an RDF 1.2 test may instead be refused with the one-line
"RDF 1.2 ... not supported"), every negative test refused with an InputError (one line naming the
file), and every evaluation test must give the expected graph. The suites live in
../shared/conformance/rdf (read, never copied); without them these tests are skipped.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
from rdflib import Graph, Namespace, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import RDF

from kgtool.errors import InputError
from kgtool.read.rdfload import RdflibTerms, iter_quads

SUITES = (Path(__file__).resolve().parents[1] / ".." / "shared" / "conformance" / "rdf").resolve()
MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
RDFT = Namespace("http://www.w3.org/ns/rdftest#")
FORMATS = {".ttl": "turtle", ".nt": "nt", ".nq": "nquads", ".trig": "trig"}


def _path(iri: URIRef) -> Path:
    return Path(unquote(urlparse(str(iri)).path))


def _entries() -> list:
    """(id, kind, action file, result file or None, base IRI) for every test in every manifest."""
    if not SUITES.is_dir():
        return []
    seen: dict[tuple, tuple] = {}
    for manifest in sorted(SUITES.rglob("manifest.ttl")):
        g = Graph().parse(manifest, format="turtle")
        base = next(g.objects(None, MF.assumedTestBase), None)
        for test in g.subjects(MF.action, None):
            kind = str(next(g.objects(test, RDF.type))).rsplit("#", 1)[1]
            action = _path(next(g.objects(test, MF.action)))
            result = next(g.objects(test, MF.result), None)
            rel = action.relative_to(manifest.parent).as_posix()
            version = manifest.relative_to(SUITES).parts[0]
            test_id = f"{version}/{manifest.parent.relative_to(SUITES / version).as_posix()}/{rel}:{kind}"
            seen[(str(action), kind)] = (test_id, version, kind, action, None if result is None else _path(result),
                                         f"{base}{rel}" if base else action.as_uri())
    return sorted(seen.values())


ENTRIES = _entries()
pytestmark = pytest.mark.skipif(not ENTRIES, reason="W3C RDF suites not found in ../shared/conformance/rdf")


def _read(path: Path, base: str) -> Graph:
    fmt = FORMATS[path.suffix]
    conv = RdflibTerms()
    g = Graph()
    g.addN((conv(q.subject), conv(q.predicate), conv(q.object), g)
           for q in iter_quads(path, fmt, base_iri=None if fmt in ("nt", "nquads") else base))
    return g


def _is_rdf12_refusal(e: InputError, path: Path) -> bool:
    return "RDF 1.2" in str(e) and "not supported" in str(e) and str(path) in str(e)


@pytest.mark.parametrize("test_id,version,kind,action,result,base", ENTRIES, ids=[e[0] for e in ENTRIES])
def test_w3c_syntax(test_id: str, version: str, kind: str, action: Path, result: Path | None, base: str) -> None:
    negative = "Negative" in kind
    try:
        got = _read(action, base)
    except InputError as e:
        text = str(e)
        assert "\n" not in text and str(action) in text, text
        if negative:
            return
        assert version == "rdf12" and _is_rdf12_refusal(e, action), f"a valid file was refused: {text}"
        return
    assert not negative, "an invalid file was accepted"
    if kind == "TestTurtleEval" and result is not None:
        want = _read(result, base)
        assert isomorphic(got, want), "the graph read differs from the expected result"


def test_suites_are_all_there() -> None:
    """Guards against a manifest reader that silently finds nothing."""
    kinds = {e[2] for e in ENTRIES}
    assert len(ENTRIES) > 700
    assert {"TestTurtleNegativeSyntax", "TestNTriplesNegativeSyntax", "TestNQuadsNegativeSyntax",
            "TestTurtleEval"} <= kinds


NT_ENTRIES = [e for e in ENTRIES if e[3].suffix == ".nt"]


@pytest.mark.parametrize("test_id,version,kind,action,result,base", NT_ENTRIES, ids=[e[0] for e in NT_ENTRIES])
def test_w3c_ntriples_through_diff(test_id, version, kind, action, result, base, tmp_path) -> None:
    """kgtool diff takes N-Triples as lines (grep, sort, comm) when every line has the simple form
    kgtool writes, else through the strict reader: no invalid file may pass as lines. Refusals it
    adds on purpose: blank nodes (diff compares ground triples) and RDF 1.2. A file of simple
    lines is compared as written (docs/keeping-fresh.md), so "en-UK" stays "en-UK"."""
    from click.testing import CliRunner

    from kgtool.cli import main

    empty = tmp_path / "empty.nt"
    empty.write_text("")
    r = CliRunner().invoke(main, ["-q", "diff", str(empty), str(action)])
    if "Negative" in kind:
        assert r.exit_code == 2 and len(r.stderr.splitlines()) == 1 and str(action) in r.stderr, r.output
        return
    if r.exit_code == 2 and ("a blank node" in r.stderr or (version == "rdf12" and "not supported" in r.stderr)):
        return
    assert r.exit_code == 0, r.output
    added = {ln[2:] for ln in r.stdout.splitlines() if ln.startswith("A ")}
    as_read = {f"{q.subject} {q.predicate} {q.object} ." for q in iter_quads(action, "nt")}
    as_written = {ln.strip() for ln in action.read_text(encoding="utf-8").splitlines() if ln.strip()}
    assert added in (as_read, as_written)  # lines of the simple form are compared as written
