"""`kgtool diff`: the triples removed and added between two exports, as RDF Patch or SPARQL Update."""

from __future__ import annotations

import gzip
import io

import pyoxigraph as ox
import pytest
from click.testing import CliRunner
from conftest import ROOT

from kgtool.cli import main
from kgtool.push.diff import diff_files

EXAMPLE = ROOT / "examples" / "hub-example.txt"


def run(*args: str, input: bytes | None = None):
    return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)


def build(tmp_path, name: str, page: str, formats: str = "nt") -> dict:
    src = tmp_path / f"{name}.txt"
    src.write_text(page, encoding="utf-8")
    r = run("-q", "build", str(src), "--out", str(tmp_path / name), "--to", formats)
    assert r.exit_code == 0, r.output
    return {f: tmp_path / name / f"{name}.{f}" for f in formats.split(",")}


def lines(path) -> set[str]:
    return set(path.read_text(encoding="utf-8").splitlines())


@pytest.fixture(scope="module")
def two_exports(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("exports")
    page = EXAMPLE.read_text(encoding="utf-8")
    changed = page.replace("Incremental Bibliographic Coupling on Streams", "Incremental Coupling on Streams")
    changed = changed.replace("method 50%", "method 75%").replace("background 25%", "background 0%")
    assert changed != page
    return build(tmp_path, "old", page, "nt,ttl,jsonld"), build(tmp_path, "new", changed, "nt,ttl,jsonld")


def parse_patch(text: str) -> tuple[set[str], set[str]]:
    rows = text.splitlines()
    assert rows[0] == "TX ." and rows[-1] == "TC ."
    removed = {r[2:] for r in rows[1:-1] if r.startswith("D ")}
    added = {r[2:] for r in rows[1:-1] if r.startswith("A ")}
    assert len(removed) + len(added) == len(rows) - 2
    return removed, added


def test_patch_holds_exactly_the_removed_and_added_triples(two_exports):
    old, new = two_exports
    r = run("diff", str(old["nt"]), str(new["nt"]))
    assert r.exit_code == 0, r.output
    removed, added = parse_patch(r.stdout)
    assert removed == lines(old["nt"]) - lines(new["nt"]) and removed
    assert added == lines(new["nt"]) - lines(old["nt"]) and added
    assert f"{len(removed)} triples removed, {len(added)} added" in r.stderr


def test_any_two_syntaxes_compare_by_their_triples(two_exports):
    old, new = two_exports
    same = run("-q", "diff", str(old["ttl"]), str(old["jsonld"]))
    assert same.exit_code == 0 and same.stdout == "TX .\nTC .\n"
    r = run("-q", "diff", str(old["ttl"]), str(new["jsonld"]))
    assert parse_patch(r.stdout) == parse_patch(run("-q", "diff", str(old["nt"]), str(new["nt"])).stdout)


def test_update_applied_to_the_old_graph_gives_the_new_one(two_exports):
    old, new = two_exports
    g = "http://example.org/g"
    r = run("-q", "diff", str(old["nt"]), str(new["nt"]), "--to", "update", "--graph", g, "--chunk-size", "2")
    assert r.exit_code == 0, r.output
    assert r.stdout.count("DATA {") > 2  # chunked
    store = ox.Store()
    store.load(old["nt"].read_bytes(), ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(g))
    store.update(r.stdout)
    expected = ox.Store()
    expected.load(new["nt"].read_bytes(), ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(g))
    assert set(store) == set(expected)


def test_unsorted_gzipped_and_stdin_inputs(two_exports, tmp_path):
    old, new = two_exports
    shuffled = tmp_path / "new-shuffled.nt.gz"
    body = sorted(new["nt"].read_text(encoding="utf-8").splitlines(keepends=True), key=lambda s: s[::-1])
    shuffled.write_bytes(gzip.compress("".join(body + body[:3]).encode()))  # unsorted, with duplicates
    out = tmp_path / "changes.rdfp"
    r = run("-q", "diff", "-", str(shuffled), "--output", str(out), input=old["nt"].read_bytes())
    assert r.exit_code == 0, r.output
    assert out.read_text() == run("-q", "diff", str(old["nt"]), str(new["nt"])).stdout


def test_identical_exports_give_an_empty_transaction(two_exports):
    old, _ = two_exports
    buf = io.BytesIO()
    counts = diff_files(old["nt"], old["ttl"], buf, fmt="update")
    assert (counts.removed, counts.added) == (0, 0) and buf.getvalue() == b""


@pytest.mark.parametrize("line", [
    '_:b0 <http://x/p> <http://x/o> .\n',
    '<http://x/s> <http://x/p> _:b0 .\n',
])
def test_blank_nodes_are_refused_with_one_line(two_exports, tmp_path, line):
    old, _ = two_exports
    bad = tmp_path / "bad.nt"
    bad.write_text(old["nt"].read_text() + line)
    r = run("-q", "diff", str(old["nt"]), str(bad))
    n = len(old["nt"].read_text().splitlines()) + 1
    assert r.exit_code == 2 and r.stdout == ""
    assert r.stderr == f"kgtool: error: {bad}:{n}: a blank node (_:b0): kgtool diff compares ground triples only, and blank node labels are local to a file\n"


def test_a_literal_that_mentions_a_blank_node_label_is_not_one(two_exports, tmp_path):
    old, _ = two_exports
    odd = tmp_path / "odd.nt"
    odd.write_text(old["nt"].read_text() + '<http://x/s> <http://x/p> "see _:b0" .\n')
    r = run("-q", "diff", str(old["nt"]), str(odd))
    assert r.exit_code == 0 and parse_patch(r.stdout) == (set(), {'<http://x/s> <http://x/p> "see _:b0" .'})


def test_bad_inputs_are_one_line_errors(tmp_path, two_exports):
    old, _ = two_exports
    broken = tmp_path / "broken.ttl"
    broken.write_text("<a> <b> .")
    for args, message in [
        ((str(tmp_path / "nope.nt"), str(old["nt"])), "nope.nt: no such file"),
        ((str(broken), str(old["nt"])), "broken.ttl:1:9: cannot parse as turtle: "),
        (("-", "-"), "only one of the two inputs can be '-'"),
    ]:
        r = run("-q", "diff", *args)
        assert r.exit_code == 2 and message in r.stderr and r.stderr.count("\n") == 1, r.stderr


def test_a_named_graph_makes_the_patch_rows_quads(two_exports):
    old, new = two_exports
    r = run("-q", "diff", str(old["nt"]), str(new["nt"]), "--graph", "http://example.org/g")
    rows = r.stdout.splitlines()[1:-1]
    assert rows and all(row.endswith(" <http://example.org/g> .") for row in rows)
    bad = run("-q", "diff", str(old["nt"]), str(new["nt"]), "--graph", "not an iri")
    assert bad.exit_code == 2 and "--graph must be an absolute IRI" in bad.stderr
