"""`kgtool build` over mixed inputs: hub pages, saved API answers and small dumps, resolved together."""

from __future__ import annotations

import gzip
import json

import pytest
from click.testing import CliRunner
from conftest import ROOT
from rdflib import DCTERMS, Graph, Literal, URIRef
from rdflib.namespace import PROV

from kgtool.cli import main
from kgtool.map.vocab import CITO, PRISM
from kgtool.read.inputs import read_input, sniff, split_spec
from kgtool.read.sources import crossref, openalex, opencitations, semanticscholar

EXAMPLE = ROOT / "examples" / "hub-example.txt"
BASE = "https://w3id.org/kgtool/data/"


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def openalex_page(works: list[dict]) -> bytes:
    return json.dumps({"meta": {"count": len(works)}, "results": works}).encode()


LATTICE = {
    "id": "https://openalex.org/W4414000001",
    "doi": "https://doi.org/10.5555/lattice.2024",
    "title": "Lattice indexes for co-citation search",  # same normalized title as on the page
    "publication_year": 2024,
    "referenced_works": [],
}


def test_a_title_only_citing_paper_joins_the_identified_work_of_another_source(tmp_path):
    answer = tmp_path / "W4414.json"
    answer.write_bytes(openalex_page([LATTICE]))
    out = tmp_path / "o"
    r = run("-q", "build", str(EXAMPLE), f"openalex:{answer}", "--out", str(out), "--to", "nt")
    assert r.exit_code == 0, r.output
    g = Graph().parse(out / "graph.nt", format="nt")
    node = URIRef(BASE + "work/doi/10.5555/lattice.2024")
    hub = next(g.subjects(DCTERMS.title, Literal("Graph Stores for Scholarly Citations: A Benchmark")))
    assert (node, CITO.cites, hub) in g  # the page's citation now starts at the DOI node
    titles = [t for t in g.objects(None, DCTERMS.title) if "lattice" in str(t).lower()]
    assert len(titles) == 1  # one paper, one node (the page's title wins, it came first)
    assert len(set(g.objects(node, PROV.wasDerivedFrom))) == 2  # provenance: the page and the answer
    title_nodes = {s for s in g.subjects(DCTERMS.title, None) if "/work/title/" in str(s)}
    assert len(title_nodes) == 4  # the hub and the three other citing papers, still known by title


def test_sniffing_tells_the_sources_apart(tmp_path):
    assert sniff(b'{"status": "ok", "message-type": "work", "message": {}}') == "crossref"
    assert sniff(b'{"paperId": "abc", "title": "x"}') == "semanticscholar"
    assert sniff(json.dumps(LATTICE, indent=2).encode()) == "openalex"
    assert sniff(openalex_page([LATTICE])) == "openalex"
    assert sniff(b'{"id": "W1"}\n{"id": "W2"}\n') == "openalex-jsonl"
    assert sniff(b'[{"oci": "1-2"}]') == "opencitations"
    assert sniff(b"oci,citing,cited,creation,timespan,journal_sc,author_sc\n") == "opencitations"
    assert sniff(EXAMPLE.read_bytes()) == "hub"
    assert split_spec("s2:a.json") == ("semanticscholar", "a.json")
    assert split_spec("hub:page.txt") == ("hub", "page.txt")
    assert split_spec("notasource:x.json") == (None, "notasource:x.json")


SAMPLES = [
    ("openalex/W2741809807.json", openalex),
    ("openalex/works_sample5.json", openalex),
    ("crossref/work_10.7554_elife.01567.json", crossref),
    ("crossref/works_list_prefix_10.5555.json", crossref),
    ("opencitations/citations_sample.csv", opencitations),
    ("opencitations/coci_v1_references_10.1108_jd-12-2013-0166.json", opencitations),
    ("semanticscholar/Paper.json", semanticscholar),
]


@pytest.mark.parametrize("rel, module", SAMPLES)
def test_shared_samples_are_read_by_their_own_parser_when_sniffed(shared_dir, rel, module):
    path = shared_dir / "samples" / rel
    if not path.is_file():
        pytest.skip(f"{rel} is not in ../shared")
    sniffed = read_input(str(path))
    direct = module.read_saved(path.read_bytes(), str(path))
    assert sniffed == direct


def test_all_shared_samples_build_into_one_conforming_graph(shared_dir, tmp_path):
    paths = [str(shared_dir / "samples" / rel) for rel, _ in SAMPLES] + [str(shared_dir / "samples/hub/spacer-hub.txt")]
    if not all(__import__("os").path.isfile(p) for p in paths):
        pytest.skip("a shared sample is missing")
    r = run("build", *paths, "--out", str(tmp_path), "--to", "nt")
    assert r.exit_code == 0, r.output
    assert "validation: conforms (0 violations" in r.stdout


def test_a_gzipped_openalex_snapshot_is_a_small_dump(tmp_path):
    lines = [dict(LATTICE, referenced_works=["https://openalex.org/W7"]),
             {"id": "https://openalex.org/W7", "title": "Cited", "doi": "https://doi.org/10.5555/cited"}]
    dump = tmp_path / "works.jsonl.gz"
    dump.write_bytes(gzip.compress("".join(json.dumps(x) + "\n" for x in lines).encode()))
    out = tmp_path / "o"
    r = run("-q", "build", str(dump), "--out", str(out), "--to", "nt")
    assert r.exit_code == 0, r.output
    g = Graph().parse(out / "works.nt", format="nt")
    assert (URIRef(BASE + "work/doi/10.5555/lattice.2024"), CITO.cites, URIRef(BASE + "work/doi/10.5555/cited")) in g
    assert len(list(g.subject_objects(PRISM.doi))) == 2


def test_a_prefix_that_does_not_fit_the_content_is_one_line_and_exit_2(tmp_path):
    answer = tmp_path / "a.json"
    answer.write_bytes(openalex_page([LATTICE]))
    out = tmp_path / "o"
    r = run("-q", "build", f"crossref:{answer}", "--out", str(out))
    assert r.exit_code == 2
    assert r.stderr.count("\n") == 1 and "a.json" in r.stderr and "message" in r.stderr
    assert not out.exists()


def test_the_summary_accounts_for_every_citation_record_read(shared_dir, tmp_path):
    path = shared_dir / "samples" / "crossref" / "works_list_prefix_10.5555.json"
    if not path.is_file():
        pytest.skip("shared Crossref list sample is not present")
    refs = sum(len(it.get("reference") or []) for it in json.loads(path.read_bytes())["message"]["items"])
    copy = tmp_path / "again.json"
    copy.write_bytes(path.read_bytes() + b"\n")  # the same records from a second source: merged, not lost
    r = run("-q", "build", str(path), str(copy), "--out", str(tmp_path / "o"), "--to", "nt")
    assert r.exit_code == 0, r.output
    g = Graph().parse(tmp_path / "o" / "graph.nt", format="nt")
    in_graph = len(list(g.subject_objects(CITO.cites)))
    assert in_graph == refs  # every reference, the unstructured ones too
    assert (f"read {2 * refs} citation records from 2 sources: {refs} citations in the graph, "
            f"{refs} merged into them (same pair), 0 dropped") in r.stdout
    assert len(list(g.subject_objects(DCTERMS.bibliographicCitation))) > 0


def test_an_input_too_large_for_memory_points_to_convert(tmp_path, monkeypatch):
    import kgtool.read.inputs

    monkeypatch.setattr(kgtool.read.inputs, "MAX_BYTES", 100)
    big = tmp_path / "big.csv"
    big.write_text("oci,citing,cited\n" + "x,doi:10.1/a,doi:10.1/b\n" * 10)
    r = run("-q", "build", str(big), "--out", str(tmp_path / "o"))
    assert r.exit_code == 2 and "too large to build in memory; use 'kgtool convert'" in r.stderr
