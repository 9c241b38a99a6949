"""`kgtool load`, `query --store/--query/--list` and `stats --store` through the CLI."""

from __future__ import annotations

import json
import subprocess
import sys

import citation_records as rec
from click.testing import CliRunner

from kgtool.cli import main
from kgtool.store.embedded import file_graph_iri


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def test_load_then_query_a_shipped_query(small_graph, tmp_path):
    db = str(tmp_path / "kg.db")
    r = run("load", str(small_graph), "--store", db)
    assert r.exit_code == 0, r.output
    n = len(rec.graph_triples())
    assert f"loaded {small_graph} -> <{file_graph_iri(small_graph)}>: {n} triples" in r.output
    assert "kgtool: loading" in r.output  # progress on stderr (CliRunner mixes the streams)
    r = run("-q", "load", str(small_graph), "--store", db)
    assert r.output == f"unchanged {small_graph} -> <{file_graph_iri(small_graph)}>: {n} triples\n"

    r = run("query", "--store", db, "--query", "citing-works", "--param", f"work={rec.iri(rec.HUB)}", "--results", "json")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.output)
    assert doc["head"]["vars"] == ["citing", "title", "year", "created"]
    assert {b["citing"]["value"] for b in doc["results"]["bindings"]} == rec.citing(rec.HUB)


def test_query_files_with_a_shipped_query(small_graph):
    r = run("query", str(small_graph), "--query", "missing-identifiers", "--results", "tsv")
    assert r.exit_code == 0, r.output
    lines = r.output.splitlines()
    assert lines[0] == "?work\t?title"
    assert {ln.split("\t")[0].strip("<>") for ln in lines[1:]} == rec.missing_identifiers()


def test_sparql_option_still_works_on_files_and_now_on_the_store(small_graph, tmp_path):
    db = str(tmp_path / "kg.db")
    run("-q", "load", str(small_graph), "--store", db)
    q = "SELECT (COUNT(DISTINCT ?c) AS ?n) WHERE { ?c a cito:Citation }"
    for source in ([str(small_graph)], ["--store", db]):
        r = run("query", *source, "--sparql", q, "--results", "csv")
        assert r.exit_code == 0, r.output
        assert r.output.splitlines() == ["n", str(len(rec.CITATIONS))]


def test_query_list():
    r = run("query", "--list")
    assert r.exit_code == 0
    assert "citing-works" in r.output and "--param work=IRI" in r.output


def test_an_injected_parameter_exits_2_with_one_line(small_graph, tmp_path):
    db = str(tmp_path / "kg.db")
    run("-q", "load", str(small_graph), "--store", db)
    r = run("query", "--store", db, "--query", "citing-works", "--param", "work=https://x.org/a> } UNION { ?s ?p ?o } #")
    assert r.exit_code == 2
    assert r.output.startswith("kgtool: error: --param work must be an absolute IRI") and r.output.count("\n") == 1


def test_query_usage_errors(small_graph, tmp_path):
    cases = [
        (["query", str(small_graph)], "give a query with --sparql"),
        (["query", "--query", "most-cited"], "exactly one of them"),
        (["query", str(small_graph), "--store", "x.db", "--query", "most-cited"], "exactly one of them"),
        (["query", str(small_graph), "--sparql", "ASK {}", "--param", "a=b"], "--param goes with --query"),
        (["query", str(small_graph), "--query", "nope"], "no shipped query named 'nope'"),
        (["query", "--store", str(tmp_path / "none.db"), "--query", "most-cited"], "no kgtool store here"),
        (["stats"], "give RDF files, or --store DIR"),
        (["load", str(tmp_path / "missing.ttl"), "--store", str(tmp_path / "kg.db")], "missing.ttl: no such file"),
        (["load", str(small_graph), "--store", str(tmp_path / "kg2.db"), "--graph", "not an iri"], "--graph must be an absolute IRI"),
    ]
    for args, message in cases:
        r = run(*args)
        assert r.exit_code == 2, (args, r.output)
        assert message in r.output, (args, r.output)


def test_stats_from_the_store_match_stats_from_the_file(small_graph, tmp_path):
    db = str(tmp_path / "kg.db")
    run("-q", "load", str(small_graph), "--store", db)
    from_store = run("stats", "--store", db, "--report", "json")
    from_file = run("stats", str(small_graph), "--report", "json")
    assert from_store.exit_code == from_file.exit_code == 0
    assert json.loads(from_store.output) == json.loads(from_file.output)
    assert json.loads(from_store.output)["citations"] == len(rec.CITATIONS)


def test_entry_point_loads_and_queries(small_graph, tmp_path):
    db = str(tmp_path / "kg.db")
    exe = [sys.executable, "-m", "kgtool"]
    r = subprocess.run([*exe, "-q", "load", str(small_graph), "--store", db], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and r.stderr == "", r.stderr
    r = subprocess.run([*exe, "query", "--store", db, "--query", "most-cited", "--results", "csv"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    rows = r.stdout.splitlines()[1:]
    assert [(row.split(",")[0], int(row.split(",")[-1])) for row in rows] == rec.most_cited()
