"""kgtool fetch and build --enrich end to end: click's CliRunner, env vars pointing the APIs at
the local server, real files written (or not)."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys

import pytest
from click.testing import CliRunner
from conftest import API_DATA, DATA, api_fixture
from rdflib import DCTERMS, Graph, URIRef
from test_enrich import serve_searches
from test_source_openalex import serve_crawl
from test_source_semanticscholar import serve_paper

from kgtool.cli import main
from kgtool.map.vocab import CITO


def run(*args: str, env: dict | None = None):
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def digests(folder) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_fetch_openalex_crawl_writes_a_validated_graph_and_reruns_offline(api_server, tmp_path):
    serve_crawl(api_server)
    out = tmp_path / "out"
    r = run("fetch", "openalex", "W4000000001", "--citations", "--references", "--limit", "200", "--out", str(out))
    assert r.exit_code == 0, r.stderr
    assert "kgtool: openalex: 3/3 works citing W4000000001" in r.stderr
    assert "7 works, 6 citations" in r.stdout and "validation: conforms" in r.stdout
    assert sorted(p.name for p in out.iterdir()) == ["openalex-W4000000001.jsonld", "openalex-W4000000001.ttl"]
    g = Graph().parse(out / "openalex-W4000000001.ttl")
    assert len(list(g.subjects(None, None))) > 0
    first = digests(out)
    requests = len(api_server.log)

    again = tmp_path / "again"
    r = run("-q", "fetch", "openalex", "W4000000001", "--citations", "--references", "--limit", "200",
            "--out", str(again), "--offline")
    assert r.exit_code == 0
    assert [ln for ln in r.stderr.splitlines() if not ln.startswith("kgtool: note:")] == []  # -q: no progress
    assert digests(again) == first  # same answers -> byte-identical files
    assert len(api_server.log) == requests  # nothing asked of the network


def test_a_crawl_that_fails_midway_writes_no_graph(api_server, tmp_path):
    api_server.expect_request("/openalex/works/W4000000001").respond_with_data(
        api_fixture("openalex/W4000000001.json"), content_type="application/json"
    )
    api_server.expect_request("/openalex/works", query_string={
        "filter": "cites:W4000000001", "per-page": "200", "cursor": "*", "select": "id,doi,title,display_name,publication_year,publication_date,ids,abstract_inverted_index,authorships,primary_location,locations,referenced_works"}
    ).respond_with_data(api_fixture("openalex/cites_p1.json"), content_type="application/json")
    api_server.expect_request("/openalex/works").respond_with_data("upstream timeout", status=504)
    out = tmp_path / "out"
    r = run("fetch", "openalex", "W4000000001", "--citations", "--out", str(out), "--retries", "1")
    assert r.exit_code == 2
    last = r.stderr.strip().splitlines()[-1]
    assert last.startswith("kgtool: error: HTTP 504; gave up after 2 attempts: http://127.0.0.1:")
    assert "cursor=IlsxMDAuMCwgJ2h0dHBzOi8vb3BlbmFsZXgub3JnL1c0MDAwMDAwMDIxJ10i" in last
    assert not out.exists()


def test_fetch_s2_with_key_from_env_never_shows_it(api_server, tmp_path):
    serve_paper(api_server, key="k-very-secret")
    out = tmp_path / "out"
    env = {"KGTOOL_S2_API_KEY": "k-very-secret"}
    r = run("fetch", "s2", "arXiv:2401.00001", "--citations", "--out", str(out), env=env)
    assert r.exit_code == 0, r.stderr
    ttl = (out / "semanticscholar-arXiv_2401.00001.ttl").read_text()
    assert "cito:usesMethodIn" in ttl and "cito:usesConclusionsFrom" in ttl and "kg:isInfluential true" in ttl
    assert "unknown citation intent 'futurework'" in r.stderr  # a note, shown even when quiet
    # the key is wrong now: the API refuses; the error names the URL but never the key
    api_server.clear()
    api_server.expect_request("/s2/graph/v1/paper/arXiv:2401.00002").respond_with_json({"message": "Forbidden"}, status=403)
    r = run("fetch", "s2", "arXiv:2401.00002", "--out", str(tmp_path / "x"), env=env)
    assert r.exit_code == 2 and "HTTP 403 FORBIDDEN: Forbidden: http://127.0.0.1" in r.stderr
    cache = tmp_path / "http-cache"
    assert "k-very-secret" not in r.stderr + r.stdout
    assert all("k-very-secret" not in p.read_text() for p in cache.rglob("*.json"))


def test_fetch_crossref_references_to_stdout(api_server):
    api_server.expect_request("/crossref/works/10.5555/kg.xref.2023.7").respond_with_data(
        api_fixture("crossref/work.json"), content_type="application/json"
    )
    r = run("-q", "fetch", "crossref", "10.5555/KG.XREF.2023.7", "--references", "--to", "nt", "--out", "-")
    assert r.exit_code == 0
    g = Graph().parse(data=r.stdout, format="nt")
    cites = list(g.subject_objects(None))
    assert len(list(g.triples((None, None, None)))) == len(r.stdout.strip().splitlines())
    assert cites and "work/doi/10.5555/%28sici%290000-0000%28200001%291%3A1%3C1%3A%3Aaid-test1%3E3.0.co%3B2-x" in r.stdout
    # The reference with only unstructured text is a work holding that text, cited by the work.
    texts = list(g.subject_objects(DCTERMS.bibliographicCitation))
    assert len(texts) == 1 and "Notes on reference lists" in str(texts[0][1]) and "/work/ref/" in str(texts[0][0])
    assert (URIRef("https://w3id.org/kgtool/data/work/doi/10.5555/kg.xref.2023.7"), CITO.cites, texts[0][0]) in g


def test_fetch_opencitations_reports_negative_spans(api_server, tmp_path):
    api_server.expect_request("/oc/index/v2/citations/doi:10.1108/jd-12-2013-0166").respond_with_data(
        api_fixture("opencitations/citations_v2.json"), content_type="application/json"
    )
    r = run("fetch", "opencitations", "doi:10.1108/jd-12-2013-0166", "--citations", "--out", str(tmp_path))
    assert r.exit_code == 0, r.stderr
    assert "negative time span -P0Y7M" in r.stderr
    assert "1 warnings" in r.stdout
    ttl = (tmp_path / "opencitations-doi_10.1108_jd-12-2013-0166.ttl").read_text()
    assert '"2025-02"^^xsd:gYearMonth' in ttl and '"2023"^^xsd:gYear' in ttl and "cito:AuthorSelfCitation" in ttl


def test_build_enrich_end_to_end(api_server, tmp_path):
    serve_searches(api_server)
    r = run("build", str(DATA / "hub-enrich.txt"), "--enrich", "openalex,s2", "--out", str(tmp_path),
            "--mailto", "kg@example.org")
    assert r.exit_code == 0, r.stderr
    assert "kgtool: enriched 3 of 6 title-only works" in r.stderr
    assert r.stderr.count("kgtool: note: enrich:") == 3
    assert all("mailto:kg@example.org" in req.headers["User-Agent"] for req, _ in api_server.log)
    ttl = (tmp_path / "hub-enrich.ttl").read_text()
    assert "kg:TitleMatch" in ttl and 'prism:doi "10.5555/kg.2024.001"' in ttl


@pytest.mark.parametrize(
    "args, message",
    [
        (("fetch", "scopus", "X"), "unknown source 'scopus' (choose from: crossref, openalex, opencitations, semanticscholar, coci (= opencitations), oc (= opencitations), s2 (= semanticscholar))"),
        (("fetch", "openalex"), "give the identifier of a work to fetch from openalex (or --input FILE)"),
        (("fetch", "crossref", "10.5555/x", "--citations"), "Crossref does not list the works that cite a DOI"),
        (("fetch", "openalex", "W1", "--offline", "--refresh"), "use at most one of --offline, --refresh and --no-cache"),
        (("fetch", "openalex", "W1", "--offline"), "offline, and no cached response for http://127.0.0.1:9/works/W1"),
        (("build", "x.txt", "--enrich", "opencitations"), "no such file"),
        (("build", "x.txt", "--match-threshold", "0.9"), "--match-threshold only applies with --enrich"),
    ],
)
def test_usage_errors_exit_2_with_one_line(args, message):
    r = run(*args)
    assert r.exit_code == 2
    assert message in r.stderr and r.stderr.count("kgtool: error:") == 1


def test_base_url_env_var_is_honoured(httpserver, tmp_path, monkeypatch):
    httpserver.expect_request("/mirror/api/works/10.5555/kg.xref.2023.7").respond_with_data(
        api_fixture("crossref/work.json"), content_type="application/json"
    )
    env = {"KGTOOL_CROSSREF_URL": httpserver.url_for("/mirror/api")}
    r = run("-q", "fetch", "crossref", "10.5555/kg.xref.2023.7", "--out", str(tmp_path), env=env)
    assert r.exit_code == 0 and len(httpserver.log) == 1


def test_installed_entry_point_reads_a_saved_csv(tmp_path):
    exe = [sys.executable, "-m", "kgtool"]
    r = subprocess.run([*exe, "fetch", "opencitations", "--input", str(API_DATA / "opencitations" / "dump.csv"),
                        "--out", str(tmp_path), "--to", "ttl"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "dump.ttl").is_file()
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([{"citing": "10.5555/a", "cited": "10.5555/b", "creation": "someday"}]))
    r = subprocess.run([*exe, "fetch", "oc", "--input", str(bad), "--out", str(tmp_path / "o")],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and f"{bad}: field '[0].creation' should be YYYY, YYYY-MM or YYYY-MM-DD" in r.stderr
    assert not (tmp_path / "o").exists()
