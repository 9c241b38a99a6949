"""The command line, through click's CliRunner and once through the installed entry point."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import ROOT
from rdflib import DCTERMS, RDF, Graph
from rdflib.compare import isomorphic

from kgtool.cli import main
from kgtool.map.vocab import CITO, KG
from kgtool.validate import shacl as validate_mod

EXAMPLE = ROOT / "examples" / "hub-example.txt"
PAGE2 = """hub Critical citations
Second Hub Paper
citing papers explorer
-
Lattice Indexes for Co-Citation Search
Introduces a lattice-based index.
-
A Paper Only Here
Does something else.
"""


def run(*args: str, input: str | bytes | None = None):
    return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)


def test_build_writes_ttl_and_jsonld_and_prints_a_summary(tmp_path):
    r = run("build", str(EXAMPLE), "--out", str(tmp_path))
    assert r.exit_code == 0, r.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hub-example.jsonld", "hub-example.ttl"]
    assert "5 works, 4 citations, 1 receptions" in r.stdout
    assert "validation: conforms (0 violations" in r.stdout
    assert "kgtool: mapped" in r.stderr  # progress on stderr


def test_quiet_silences_progress(tmp_path):
    r = run("-q", "build", str(EXAMPLE), "--out", str(tmp_path))
    assert r.exit_code == 0 and r.stderr == ""


def test_several_pages_make_one_graph_with_shared_papers_as_one_node(tmp_path):
    p2 = tmp_path / "second.txt"
    p2.write_text(PAGE2)
    r = run("-q", "build", str(EXAMPLE), str(p2), "--out", str(tmp_path / "o"), "--to", "nt,nq")
    assert r.exit_code == 0, r.output
    assert sorted(p.name for p in (tmp_path / "o").iterdir()) == ["graph.nq", "graph.nt"]
    g = Graph().parse(tmp_path / "o" / "graph.nt", format="nt")
    titles = [str(o) for o in g.objects(None, DCTERMS.title)]
    assert titles.count("Lattice Indexes for Co-Citation Search") == 1
    assert len(set(g.subjects(RDF.type, KG.Reception))) == 2


def test_stdin_in_and_stdout_out():
    r = run("-q", "build", "-", "--out", "-", "--to", "nt", input=EXAMPLE.read_bytes())
    assert r.exit_code == 0, r.output
    g = Graph().parse(data=r.stdout, format="nt")
    assert len(g) > 50
    r = run("-q", "build", "-", "--out", "-", input=EXAMPLE.read_bytes())
    assert r.exit_code == 2 and "exactly one --to format" in r.stderr


def test_custom_base_and_name(tmp_path):
    r = run("-q", "build", str(EXAMPLE), "--out", str(tmp_path), "--base", "https://example.org/kg", "--name", "x")
    assert r.exit_code == 0
    text = (tmp_path / "x.ttl").read_text()
    assert "<https://example.org/kg/work/title/" in text and "w3id.org/kgtool/data" not in text


@pytest.mark.parametrize(
    "content, words",
    [
        (b"", "empty file"),
        (b"hub Mixed citations\n\xff\xfe\n", "not valid UTF-8"),
        (b"abstract\nno hub header here\n", "no hub header"),
        (b"hub Mixed citations\n", "no hub title"),
        (b"hub Mixed citations\nT\nciting papers explorer\n-\n-\nX\n", "record with no title"),
    ],
)
def test_bad_input_one_line_error_exit_2_nothing_written(tmp_path, content, words):
    bad = tmp_path / "bad.txt"
    bad.write_bytes(content)
    out = tmp_path / "out"
    r = run("build", str(EXAMPLE), str(bad), "--out", str(out))
    assert r.exit_code == 2
    err = [line for line in r.stderr.splitlines() if line.startswith("kgtool: error:")]
    assert len(err) == 1 and str(bad) in err[0] and words in err[0]
    assert ":" in err[0].split(str(bad))[1][:3]  # file:line:
    assert not out.exists()


def test_missing_file_and_bad_options(tmp_path):
    r = run("build", str(tmp_path / "nope.txt"), "--out", str(tmp_path))
    assert r.exit_code == 2 and "nope.txt: no such file" in r.stderr
    r = run("build", str(EXAMPLE), "--to", "ttl,xml", "--out", str(tmp_path / "o"))
    assert r.exit_code == 2 and "unknown format 'xml'" in r.stderr and not (tmp_path / "o").exists()
    r = run("build", str(EXAMPLE), "--base", "not-an-iri", "--out", str(tmp_path / "o"))
    assert r.exit_code == 2 and "--base" in r.stderr


def test_violation_prints_report_exits_1_and_writes_nothing(tmp_path, monkeypatch):
    strict = validate_mod.load_shapes()
    strict.parse(data="""
        @prefix sh: <http://www.w3.org/ns/shacl#> . @prefix fabio: <http://purl.org/spar/fabio/> .
        @prefix prism: <http://prismstandard.org/namespaces/basic/2.0/> .
        <urn:x:NeedsDoi> a sh:NodeShape ; sh:targetClass fabio:Expression ;
            sh:property [ sh:path prism:doi ; sh:minCount 1 ; sh:message "needs a DOI" ] .""", format="turtle")
    monkeypatch.setattr(validate_mod, "load_shapes", lambda path=None: strict)
    out = tmp_path / "out"
    r = run("build", str(EXAMPLE), "--out", str(out))
    assert r.exit_code == 1
    assert "does NOT conform (5 violations" in r.stderr and "needs a DOI" in r.stderr
    assert not out.exists()
    r = run("build", str(EXAMPLE), "--out", str(out), "--no-validate")
    assert r.exit_code == 0 and "not validated" in r.stdout


def test_validate_exit_codes_and_formats(tmp_path):
    run("-q", "build", str(EXAMPLE), "--out", str(tmp_path))
    ttl = tmp_path / "hub-example.ttl"
    r = run("validate", str(ttl))
    # Works without DOI are counted by the build, not reported per work.
    assert r.exit_code == 0 and r.stdout == "Validation: conforms (0 violations, 0 warnings, 0 infos)\n"
    r = run("build", str(EXAMPLE), "--out", str(tmp_path / "again"))
    assert "5 works without DOI or arXiv id, 0 without title; validation: conforms" in r.stdout
    # A warning fails validation only when asked to (--fail-on warning); sh:conforms is SHACL's.
    warned = tmp_path / "warned.ttl"
    warned.write_text(ttl.read_text().replace("prov:wasDerivedFrom", "prov:wasInfluencedBy"))
    r = run("validate", str(warned), "--report", "ttl")
    assert r.exit_code == 0 and "sh:conforms false" in r.stdout
    assert run("validate", str(warned), "--fail-on", "warning").exit_code == 1
    broken = tmp_path / "broken.ttl"
    broken.write_text(ttl.read_text().replace("dcterms:title", "dcterms:alternative"))
    r = run("validate", str(broken), "--report", "json")
    assert r.exit_code == 1
    doc = json.loads(r.stdout)
    assert doc["conforms"] is False and doc["counts"]["violation"] == 5
    (group,) = [g for g in doc["groups"] if g["severity"] == "Violation"]
    assert group["shape"] == "kgsh:WorkNamed" and group["count"] == 5
    assert group["path"] == "dcterms:title | prism:doi | fabio:hasArXivId | dcterms:identifier | dcterms:bibliographicCitation"
    assert len(group["examples"]) == 3 and group["examples"][0]["focus"].startswith("https://w3id.org/")
    r = run("validate", str(broken), "--report", "ttl")
    assert r.exit_code == 1 and "sh:ValidationReport" in r.stdout
    r = run("validate", str(broken))
    assert "... and 2 more" in r.stdout
    garbage = tmp_path / "garbage.ttl"
    garbage.write_text("this is <not turtle")
    r = run("validate", str(garbage))
    assert r.exit_code == 2 and "garbage.ttl:1:1: cannot parse as turtle" in r.stderr
    r = run("validate", str(tmp_path / "graph.xyz"))
    assert r.exit_code == 2


def test_query_over_files_in_any_format(tmp_path):
    run("-q", "build", str(EXAMPLE), "--out", str(tmp_path), "--to", "ttl,jsonld,nt,nq")
    q = "SELECT ?title WHERE { ?c a cito:Citation ; cito:hasCitingEntity ?w . ?w dcterms:title ?title } ORDER BY ?title"
    outputs = {}
    for suffix in ("ttl", "jsonld", "nt", "nq"):
        r = run("query", str(tmp_path / f"hub-example.{suffix}"), "--sparql", q, "--results", "csv")
        assert r.exit_code == 0, r.output
        outputs[suffix] = r.stdout
    assert len(set(outputs.values())) == 1
    lines = outputs["ttl"].splitlines()
    assert lines[0] == "title" and len(lines) == 5 and lines[1] == '"""Citations Are Not Edges"": Rethinking Scholarly Graph Models"'
    r = run("query", str(tmp_path / "hub-example.ttl"), "--sparql", q, "--results", "json")
    doc = json.loads(r.stdout)
    assert doc["head"]["vars"] == ["title"] and len(doc["results"]["bindings"]) == 4
    r = run("query", str(tmp_path / "hub-example.ttl"), "--sparql", q, "--results", "tsv")
    assert r.stdout.splitlines()[0] == "?title" and r.stdout.splitlines()[1].startswith('"\\"Citations')
    r = run("query", str(tmp_path / "hub-example.ttl"), "--sparql", q)
    assert r.stdout.splitlines()[-1] == "(4 rows)"
    qf = tmp_path / "q.rq"
    qf.write_text("ASK { ?s a kg:Reception }")
    r = run("query", str(tmp_path / "hub-example.ttl"), str(tmp_path / "hub-example.nt"), "--sparql", f"@{qf}")
    assert r.stdout == "true\n"
    r = run("query", str(tmp_path / "hub-example.ttl"), "--sparql", "SELEKT nothing")
    assert r.exit_code == 2 and "SPARQL error" in r.stderr


def test_stats_come_from_the_graph_not_the_text(tmp_path):
    run("-q", "build", str(EXAMPLE), "--out", str(tmp_path))
    ttl = tmp_path / "hub-example.ttl"
    r = run("stats", str(ttl), "--report", "json")
    s = json.loads(r.stdout)
    assert (s["works"], s["citations"]) == (5, 4)
    (rec,) = s["receptions"]
    assert rec["polarity"] == "supportive" and rec["most_common_role"] == "method"
    assert rec["most_common_role_share"] == 0.5 and rec["representative"] == 2
    assert [d["label"] for d in rec["roles"]] == ["method", "background", "comparison"]
    # edit the graph: drop one citation node; the stats follow the graph
    g = Graph().parse(ttl)
    c = sorted(g.subjects(RDF.type, CITO.Citation))[0]
    g.remove((c, None, None))
    edited = tmp_path / "edited.ttl"
    edited.write_text(g.serialize(format="turtle"))
    s2 = json.loads(run("stats", str(edited), "--report", "json").stdout)
    assert s2["citations"] == 3 and s2["receptions"][0]["citations"] == 3
    r = run("stats", str(ttl))
    assert "most common role method (50%)" in r.stdout and "triples" in r.stdout


def test_stats_on_shared_sample(shared_hub_sample, tmp_path):
    run("-q", "build", str(shared_hub_sample), "--out", str(tmp_path))
    s = json.loads(run("stats", str(tmp_path / "spacer-hub.ttl"), "--report", "json").stdout)
    (rec,) = s["receptions"]
    assert (s["works"], s["citations"], rec["citations"], rec["representative"], rec["citing_with_summary"]) == (30, 29, 29, 24, 28)
    assert (rec["polarity"], rec["most_common_role"], rec["most_common_role_share"]) == ("mixed", "background", 0.67)


@pytest.mark.parametrize("cmd", ["build", "validate", "query", "stats"])
def test_help_on_every_command(cmd):
    r = run(cmd, "--help")
    assert r.exit_code == 0 and "Usage:" in r.stdout


def test_installed_entry_point_and_python_m(tmp_path):
    exe = Path(sys.executable).parent / "kgtool"
    exe = str(exe) if exe.exists() else shutil.which("kgtool")
    assert exe, "the kgtool console script is not installed"
    r = subprocess.run([exe, "build", str(EXAMPLE), "--out", str(tmp_path)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert isomorphic(Graph().parse(tmp_path / "hub-example.ttl"), Graph().parse(ROOT / "exports" / "hub-example.ttl"))
    r = subprocess.run([sys.executable, "-m", "kgtool", "--version"], capture_output=True, text=True)
    assert r.returncode == 0 and "kgtool" in r.stdout
    r = subprocess.run([exe, "validate", str(tmp_path / "nothing.ttl")], capture_output=True, text=True)
    assert r.returncode == 2 and r.stderr.count("\n") == 1
