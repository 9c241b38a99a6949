"""Streaming conversion of dumps: same graph as the build path, deterministic, atomic."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from rdflib import Dataset, Graph, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import RDF

from kgtool import iris
from kgtool.convert import convert_dump, default_stem
from kgtool.errors import InputError, UsageError
from kgtool.export import graph_name
from kgtool.model import Bundle, SourceInfo
from kgtool.pipeline import graph_from_bundles
from kgtool.sources.oc_csv_stream import iter_citations
from kgtool.sources.openalex_jsonl_stream import iter_records
from kgtool.vocab import FABIO

ROOT = Path(__file__).resolve().parents[1]


def source_of(path: Path, media_type: str) -> SourceInfo:
    return SourceInfo(name=path.name, sha256=hashlib.sha256(path.read_bytes()).hexdigest(), media_type=media_type)


def build_path_graph(path: Path) -> Graph:
    """The same records through the small path: resolve, mapping, rdflib Graph."""
    text = io.StringIO(path.read_bytes().decode("utf-8-sig"), newline="")
    if path.suffix == ".csv":
        bundle = Bundle(source_of(path, "text/csv"), citations=tuple(iter_citations(text, str(path))))
    else:
        recs = list(iter_records(text, str(path)))
        bundle = Bundle(source_of(path, "application/x-ndjson"), works=tuple(w for w, _ in recs),
                        citations=tuple(c for _, cs in recs for c in cs))
    graph, _ = graph_from_bundles([bundle])
    return graph


def convert(path: Path, out: Path, **kw):
    kw.setdefault("jobs", 1)
    return convert_dump(path, out_dir=out, **kw)


def dump_inputs(data_dir: Path, shared: Path | None) -> list[Path]:
    paths = [data_dir / "oc" / "index-sample.csv", data_dir / "oc" / "coci-sample.csv",
             data_dir / "openalex" / "works.jsonl"]
    if shared is not None:
        paths += [shared / "samples" / "opencitations" / "citations_sample.csv",
                  shared / "samples" / "opencitations" / "citations_data.csv",
                  shared / "samples" / "openalex" / "works_sample5.json",
                  shared / "samples" / "openalex" / "W2741809807.json"]
    return paths


@pytest.mark.parametrize("name", ["index-sample.csv", "coci-sample.csv", "works.jsonl"])
def test_streamed_output_is_isomorphic_to_the_build_path(tmp_path, data_dir, name):
    path = next(p for p in dump_inputs(data_dir, None) if p.name == name)
    result = convert(path, tmp_path, to="nt")
    streamed = Graph().parse(result.files[0], format="nt")
    expected = build_path_graph(path)
    assert len(streamed) == len(expected) == result.triples
    assert isomorphic(streamed, expected)


def test_shared_samples_are_isomorphic_to_the_build_path(tmp_path, shared_dir):
    for path in dump_inputs(ROOT / "tests" / "data", shared_dir)[3:]:
        result = convert(path, tmp_path / path.stem, to="nt")
        assert isomorphic(Graph().parse(result.files[0], format="nt"), build_path_graph(path)), path


def test_nquads_and_turtle_hold_the_same_graph(tmp_path, data_dir):
    path = data_dir / "oc" / "index-sample.csv"
    nt = Graph().parse(convert(path, tmp_path / "nt", to="nt").files[0], format="nt")
    ds = Dataset()
    ds.parse(data=gzip.decompress(convert(path, tmp_path / "nq", to="nq.gz").files[0].read_bytes()), format="nquads")
    named = ds.graph(graph_name(iris.DEFAULT_BASE, "index-sample"))
    assert isomorphic(Graph() + named, nt)
    ttl = convert(path, tmp_path / "ttl", to="ttl").files[0]
    assert isomorphic(Graph().parse(ttl, format="turtle"), nt)


def test_turtle_writes_each_work_once_grouped(tmp_path, data_dir):
    ttl = convert(data_dir / "oc" / "index-sample.csv", tmp_path, to="ttl").files[0].read_text()
    work = "<https://w3id.org/kgtool/data/work/doi/10.1000/beta.2>"
    assert ttl.count(f"\n{work} ") == 1  # one paragraph, with its identifiers from both rows
    assert '"omid:br/0610202", "omid:br/0610606"' in ttl or '"omid:br/0610606", "omid:br/0610202"' in ttl


def test_each_work_node_is_written_once(tmp_path, data_dir):
    out = convert(data_dir / "oc" / "index-sample.csv", tmp_path, to="nt").files[0].read_text()
    lines = out.splitlines()
    assert len(lines) == len(set(lines))
    typed = [ln.split(" ")[0] for ln in lines if ln.endswith(f"<{RDF.type}> <{FABIO.Expression}> .")]
    assert len(typed) == len(set(typed)) == 7


def test_same_input_same_bytes_whatever_the_workers(tmp_path, data_dir, monkeypatch):
    import kgtool.convert

    path = data_dir / "oc" / "index-sample.csv"
    one = convert(path, tmp_path / "a", to="nt.gz").files[0].read_bytes()
    again = convert(path, tmp_path / "b", to="nt.gz").files[0].read_bytes()
    monkeypatch.setattr(kgtool.convert, "CHUNK_BYTES", 300)  # several chunks, mapped by two processes
    parallel = convert(path, tmp_path / "c", to="nt.gz", jobs=2).files[0].read_bytes()
    assert one == again == parallel
    assert one[4:8] == b"\x00\x00\x00\x00"  # gzip mtime: not the time of the run


def test_split_into_parts_of_exactly_n_triples(tmp_path, data_dir):
    path = data_dir / "oc" / "index-sample.csv"
    whole = convert(path, tmp_path / "whole", to="nt").files[0].read_bytes()
    (tmp_path / "parts").mkdir()
    stale = tmp_path / "parts" / "index-sample-00099.nt"
    stale.write_text("left over from an earlier run\n")
    keep = tmp_path / "parts" / "notes.txt"
    keep.write_text("not ours\n")
    parts = convert(path, tmp_path / "parts", to="nt", split=10).files
    assert [p.name for p in parts][:2] == ["index-sample-00001.nt", "index-sample-00002.nt"]
    sizes = [p.read_bytes().count(b"\n") for p in parts]
    assert all(s == 10 for s in sizes[:-1]) and 0 < sizes[-1] <= 10
    assert b"".join(p.read_bytes() for p in parts) == whole
    assert not stale.exists() and keep.exists()


def test_turtle_parts_each_parse(tmp_path, data_dir):
    parts = convert(data_dir / "oc" / "index-sample.csv", tmp_path, to="ttl", split=15).files
    assert len(parts) > 1
    union = Graph()
    for p in parts:
        union += Graph().parse(p, format="turtle")
    assert len(union) == 80


def test_bad_row_writes_nothing(tmp_path, data_dir):
    out = tmp_path / "out"
    with pytest.raises(InputError, match=r"bad-date.csv:4: column 'creation'"):
        convert(data_dir / "oc" / "bad-date.csv", out, to="nt")
    assert list(out.iterdir()) == []


def test_an_interrupted_run_leaves_no_file_that_looks_complete(tmp_path, data_dir, monkeypatch):
    from kgtool import stream_writers

    real = stream_writers.PartWriter.write
    calls = []

    def interrupted(self, data, triples):
        calls.append(triples)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(self, data, triples)

    monkeypatch.setattr(stream_writers.PartWriter, "write", interrupted)
    out = tmp_path / "out"
    with pytest.raises(KeyboardInterrupt):
        convert(data_dir / "oc" / "index-sample.csv", out, to="nt.gz", split=10)
    assert list(out.iterdir()) == []


def test_a_bad_header_stops_before_any_worker_starts(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("oci,citing,target\nx,omid:br/1,omid:br/2\n")
    with pytest.raises(InputError, match=r"bad.csv:1: column 'cited': missing from the header"):
        convert(bad, tmp_path / "out", jobs=2, dump_format="oc-csv")


def test_gzip_input_and_format_detection(tmp_path, data_dir):
    gz = tmp_path / "dump.bin"  # no telling suffix: gzip and CSV are recognised from the bytes
    gz.write_bytes(gzip.compress((data_dir / "oc" / "index-sample.csv").read_bytes()))
    result = convert(gz, tmp_path / "out", to="nt")
    assert result.dump_format == "oc-csv" and result.citations == 6


def test_unknown_input_and_output_formats(tmp_path):
    junk = tmp_path / "junk.txt"
    junk.write_text("hello\n")
    with pytest.raises(InputError, match="cannot tell the dump format"):
        convert(junk, tmp_path / "out")
    with pytest.raises(UsageError, match="unknown output format 'rdfxml'"):
        convert(junk, tmp_path / "out", to="rdfxml")


def test_default_stem():
    assert default_stem("x/opencitations-index.csv.gz") == "opencitations-index"
    assert default_stem("openalex-works-part_000.gz") == "openalex-works-part_000"
    assert default_stem("-") == "graph"


def test_cli_through_the_entry_point_stdin_and_stdout(tmp_path, data_dir):
    exe = Path(sys.executable).parent / "kgtool"
    csv_bytes = (data_dir / "oc" / "index-sample.csv").read_bytes()
    r = subprocess.run([str(exe), "-q", "convert", "-", "--to", "nt", "--out", "-"], input=csv_bytes,
                       capture_output=True, timeout=120)
    assert r.returncode == 0, r.stderr.decode()
    assert r.stderr == b""
    g = Graph().parse(data=r.stdout.decode(), format="nt")
    assert (None, None, URIRef("http://purl.org/spar/cito/Citation")) in g
    assert len(g) == 80
    r = subprocess.run([str(exe), "convert", str(data_dir / "oc" / "bad-date.csv"), "--out", str(tmp_path)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2
    assert r.stderr.strip().splitlines()[-1].startswith("kgtool: error: ")
    assert "bad-date.csv:4: column 'creation'" in r.stderr
    assert list(tmp_path.iterdir()) == []


def test_cli_progress_and_summary(tmp_path, data_dir):
    from click.testing import CliRunner

    from kgtool.cli import main

    r = CliRunner().invoke(main, ["convert", str(data_dir / "openalex" / "works.jsonl"), "--to", "ttl.gz",
                                  "--out", str(tmp_path)])
    assert r.exit_code == 0, r.output
    assert "works.jsonl: 3 records, 5 citations" in r.stdout
    assert f"wrote {tmp_path / 'works.ttl.gz'}" in r.stdout
    assert "kgtool: converting" in r.stderr and "100%" in r.stderr
    quiet = CliRunner().invoke(main, ["-q", "convert", str(data_dir / "openalex" / "works.jsonl"),
                                      "--out", str(tmp_path / "q")])
    assert quiet.exit_code == 0 and quiet.stderr == ""
    after = CliRunner().invoke(main, ["convert", str(data_dir / "openalex" / "works.jsonl"), "--out",
                                      str(tmp_path / "q2"), "--quiet"])  # also after the command's name
    assert after.exit_code == 0 and after.stderr == ""
    assert (tmp_path / "q2" / "works.nt.gz").read_bytes() == (tmp_path / "q" / "works.nt.gz").read_bytes()


def test_output_does_not_depend_on_caches_or_how_chunks_fall_to_processes(tmp_path, monkeypatch):
    import functools
    import random

    import kgtool.convert
    import kgtool.dump_chunks
    import kgtool.record_templates
    from kgtool.dedupe import BucketRouter
    from kgtool.ntlines import NTLineEncoder

    rng = random.Random(3)
    rows = ["oci,citing,cited,creation,timespan,journal_sc,author_sc"]
    for i in range(600):
        a, b = i // 7, rng.randrange(60)
        rows.append(f"oci:{i},omid:br/{a} doi:10.1000/c{a},omid:br/{b} doi:10.1000/c{b},2020-01-0{1 + i % 9},P{i % 5}Y,no,no")
    path = tmp_path / "dump.csv"
    path.write_text("\n".join(rows) + "\n")
    for to in ("nt", "ttl"):
        reference = convert(path, tmp_path / f"ref-{to}", to=to).files[0].read_bytes()
        with monkeypatch.context() as m:
            # Caches so small that they are cleared all the time, many chunks, two processes.
            m.setattr(kgtool.convert, "CHUNK_BYTES", 2000)
            m.setattr(kgtool.record_templates, "MAX_SHAPES", 1)  # one shape templated, the rest mapped
            m.setattr(kgtool.dump_chunks, "MAPPED_WORKS", 2)
            m.setattr(kgtool.dump_chunks, "SEEN_OBJECTS", 2)
            m.setattr(kgtool.dump_chunks, "NTLineEncoder", functools.partial(NTLineEncoder, max_cached=3))
            m.setattr(kgtool.dump_chunks, "BucketRouter", functools.partial(BucketRouter, recent=2))
            stressed = convert(path, tmp_path / f"stressed-{to}", to=to, jobs=2).files[0].read_bytes()
        assert stressed == reference


def test_a_worker_that_dies_is_an_error_not_a_hang(tmp_path, data_dir, monkeypatch):
    import os

    import kgtool.convert
    from kgtool.dump_chunks import ChunkMapper
    from kgtool.errors import KgtoolError

    monkeypatch.setattr(kgtool.convert, "CHUNK_BYTES", 300)
    monkeypatch.setattr(ChunkMapper, "map_chunk", lambda self, first, data: os._exit(9))  # as if killed
    out = tmp_path / "out"
    with pytest.raises(KgtoolError, match="worker process stopped"):
        convert(data_dir / "oc" / "index-sample.csv", out, to="nt", jobs=2)
    assert list(out.iterdir()) == []


# --- OpenAlex: works cited by OpenAlex id join their own records in the dump (openalex_aliases.py)

def oa_work(wid: str, *, doi: str | None = None, arxiv: str | None = None, pmid: str | None = None,
            pmcid: str | None = None, refs: tuple[str, ...] = (), title: str | None = None,
            date: str = "2020-01-02") -> str:
    obj: dict = {"id": f"https://openalex.org/{wid}", "doi": f"https://doi.org/{doi}" if doi else None,
                 "title": title if title is not None else f"Work {wid}", "publication_date": date,
                 "referenced_works": [f"https://openalex.org/{r}" for r in refs]}
    obj["ids"] = {"openalex": obj["id"]}
    if pmid:
        obj["ids"]["pmid"] = f"https://pubmed.ncbi.nlm.nih.gov/{pmid}"
    if pmcid:
        obj["ids"]["pmcid"] = f"https://www.ncbi.nlm.nih.gov/pmc/articles/{pmcid}"
    if arxiv:
        obj["locations"] = [{"landing_page_url": f"https://arxiv.org/abs/{arxiv}v2"}]
    return json.dumps(obj)


def join_cases() -> list[str]:
    """Every way a cited OpenAlex id can meet (or miss) its record, in one dump."""
    return [
        # W1 cites: W2 (its record comes later), W3 (earlier? no: never in the dump), W4 (no DOI),
        # W5 and W6 (two records of one DOI: the citations become one), W1 itself after the join
        # (W7 is a second record of W1's DOI), W8 (arXiv only, then a DOI record has that arXiv id).
        oa_work("W1", doi="10.1000/one", refs=("W2", "W3", "W4", "W5", "W6", "W7", "W8")),
        oa_work("W4", refs=("W1", "W2")),
        oa_work("W8", arxiv="2101.00008"),
        oa_work("W9", doi="10.1000/nine", arxiv="2101.00008", title="Work W8", refs=("W8",)),  # cites itself
        oa_work("W5", doi="10.1000/five"),
        oa_work("W6", doi="10.1000/five", title="Work W5"),
        oa_work("W7", doi="10.1000/one", title="Work W1"),
        oa_work("W2", doi="10.1000/two", refs=("W1",)),
        # W10 has no DOI but shares a PMID with W11 (a DOI): W10 and its citers join W11;
        # W12 shares a PMCID with W10 only, so it joins W11 in a second round.
        oa_work("W12", pmcid="PMC10", title="Work W11"),
        oa_work("W10", pmid="100", pmcid="PMC10", title="Work W11", refs=("W3",)),
        oa_work("W11", doi="10.1000/eleven", pmid="100"),
        oa_work("W13", refs=("W10", "W12", "W3")),
        # Two DOIs claim PMID 200: the first keeps it, as in the build path's union-find.
        oa_work("W20", doi="10.1000/twenty", pmid="200"),
        oa_work("W21", doi="10.1000/twenty-one", pmid="200"),
        oa_work("W22", pmid="200", title="Work W20", refs=("W21", "W20")),
        # A record seen again later without its DOI: it joins the first (its citations too).
        oa_work("W30", doi="10.1000/thirty", refs=("W2",)),
        oa_work("W30", title="Work W30", refs=("W3",)),
    ]


def write_dump(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n")
    return path


def test_cited_openalex_ids_join_their_records_as_in_the_build_path(tmp_path):
    path = write_dump(tmp_path / "joins.jsonl", join_cases())
    result = convert(path, tmp_path / "out", to="nt")
    text = result.files[0].read_text()
    streamed = Graph().parse(data=text, format="nt")
    expected = build_path_graph(path)
    assert len(text.splitlines()) == len(set(text.splitlines())) == result.triples
    assert len(streamed) == len(expected) == result.triples
    assert isomorphic(streamed, expected)
    work = iris.DEFAULT_BASE + "work/"
    for joined in ("W1", "W2", "W5", "W6", "W8", "W10", "W11", "W12", "W20", "W21"):
        assert f"<{work}openalex/{joined}>" not in text
    assert f"<{work}openalex/W3>" in text  # cited, not in the dump
    assert f"<{work}openalex/W4>" in text  # in the dump, but with no DOI or arXiv id to join
    assert f'<{work}doi/10.1000/two> <http://purl.org/dc/terms/identifier> "openalex:W2"' in text
    assert f"<{work}doi/10.1000/twenty-one>" in text and f"<{work}openalex/W22>" not in text


@pytest.mark.parametrize("to", ["nt", "ttl"])
def test_joins_across_chunks_and_workers_give_the_same_bytes(tmp_path, monkeypatch, to):
    import kgtool.convert
    import kgtool.dump_chunks
    import kgtool.openalex_aliases
    import kgtool.record_templates

    path = write_dump(tmp_path / "joins.jsonl", join_cases())
    one = convert(path, tmp_path / "one", to=to).files[0].read_bytes()
    monkeypatch.setattr(kgtool.convert, "CHUNK_BYTES", 200)  # about one record a chunk: W2 is far from W1
    two = convert(path, tmp_path / "two", to=to, jobs=2).files[0].read_bytes()
    assert one == two
    # Caches so small that they are cleared all the time: the same bytes again.
    monkeypatch.setattr(kgtool.convert, "CHUNK_BYTES", 700)
    monkeypatch.setattr(kgtool.openalex_aliases, "CITED_CACHE", 2)
    monkeypatch.setattr(kgtool.openalex_aliases, "LOOKUP_BATCH", 2)
    monkeypatch.setattr(kgtool.dump_chunks, "SEEN_OBJECTS", 2)
    monkeypatch.setattr(kgtool.dump_chunks, "MAPPED_WORKS", 2)
    monkeypatch.setattr(kgtool.record_templates, "MAX_SHAPES", 1)
    assert convert(path, tmp_path / "three", to=to, jobs=2).files[0].read_bytes() == one
    assert not list((tmp_path / "two").glob(".kgtool-*"))  # the index and spill folders are gone


def test_join_reads_gzip_and_stdin(tmp_path):
    lines = join_cases()
    plain = write_dump(tmp_path / "joins.jsonl", lines)
    gz = tmp_path / "joins.gz"
    gz.write_bytes(gzip.compress(plain.read_bytes()))
    expected = convert(plain, tmp_path / "plain", to="nt").files[0].read_bytes()
    assert convert(gz, tmp_path / "gz", to="nt", stem="joins").files[0].read_bytes().replace(
        b'"joins.gz"', b'"joins.jsonl"').replace(_sha(gz), _sha(plain)) == expected
    exe = Path(sys.executable).parent / "kgtool"
    r = subprocess.run([str(exe), "convert", "-", "--to", "nt", "--out", "-", "--jobs", "2"],
                       input=gz.read_bytes(), capture_output=True, timeout=120)
    assert r.returncode == 0, r.stderr.decode()
    assert b"kgtool: indexing work ids in <stdin>" in r.stderr
    got = r.stdout.replace(b'"<stdin>"', b'"joins.jsonl"').replace(_sha(gz), _sha(plain))
    assert got == expected


def _sha(path: Path) -> bytes:
    return hashlib.sha256(path.read_bytes()).hexdigest().encode()


def test_a_dump_without_joins_is_unchanged_by_the_index(tmp_path):
    # Nothing to join: every cited work stays work/openalex/W..., each citation is kept.
    path = write_dump(tmp_path / "refs.jsonl", [oa_work(f"W{i}", doi=f"10.1000/{i}", refs=(f"W{1000 + i}", f"W{2000 + i}"))
                                                for i in range(5)])
    result = convert(path, tmp_path / "out", to="nt")
    assert result.citations == 10
    text = result.files[0].read_text()
    assert text.count("<http://purl.org/spar/cito/hasCitedEntity>") == 10
    assert isomorphic(Graph().parse(data=text, format="nt"), build_path_graph(path))


def test_a_bad_openalex_record_stops_the_first_pass_and_writes_nothing(tmp_path):
    path = write_dump(tmp_path / "bad.jsonl", [oa_work("W1", doi="10.1000/one", refs=("W2",)),
                                              json.dumps({"id": "https://openalex.org/W2", "doi": "nope"})])
    out = tmp_path / "out"
    with pytest.raises(InputError, match=r"bad.jsonl:2: field 'doi': not a DOI"):
        convert(path, out, to="nt", jobs=2)
    assert list(out.iterdir()) == []  # no output, no index or spill folder left
