"""kgtool convert (DuckDB engine): the same triples as fetch --input, deterministic, atomic."""

from __future__ import annotations

import gzip
import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest
from rdflib import Dataset, Graph, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import RDF

from kgtool.errors import InputError, UsageError
from kgtool.fetch import fetch_bundle
from kgtool.map import iris
from kgtool.map.convert import convert_dump, default_stem
from kgtool.map.vocab import FABIO
from kgtool.pipeline import graph_from_bundles
from kgtool.serialize.export import graph_name

ROOT = Path(__file__).resolve().parents[1]


def fetch_graph(path: Path, source: str) -> Graph:
    """What `kgtool fetch SOURCE --input PATH` maps: the same parser, then resolve and the mapping."""
    graph, _ = graph_from_bundles([fetch_bundle(source, input_path=path)])
    return graph


def convert(path: Path, out: Path, **kw):
    return convert_dump(path, out_dir=out, **kw)


def oc_inputs(data_dir: Path) -> list[Path]:
    return [data_dir / "oc" / n for n in ("index-sample.csv", "coci-sample.csv", "tricky.csv")]


def openalex_inputs(data_dir: Path) -> list[Path]:
    return [data_dir / "openalex" / n for n in ("works.jsonl", "tricky.jsonl")]


def assert_same_triples(path: Path, source: str, out: Path) -> None:
    result = convert(path, out, to="nt")
    converted = Graph().parse(result.files[0], format="nt")
    fetched = fetch_graph(path, source)
    assert set(converted) == set(fetched), path  # no blank nodes: the same set of triples
    assert result.triples == len(fetched)


@pytest.mark.parametrize("name", ["index-sample.csv", "coci-sample.csv", "tricky.csv"])
def test_opencitations_csv_gives_what_fetch_input_gives(tmp_path, data_dir, name):
    assert_same_triples(data_dir / "oc" / name, "opencitations", tmp_path)


@pytest.mark.parametrize("name", ["works.jsonl", "tricky.jsonl"])
def test_openalex_jsonl_gives_what_fetch_input_gives(tmp_path, data_dir, name):
    assert_same_triples(data_dir / "openalex" / name, "openalex", tmp_path)


@pytest.mark.parametrize("source, sample", [
    ("opencitations", "opencitations/citations_sample.csv"),
    ("opencitations", "opencitations/citations_data.csv"),
    ("openalex", "openalex/works_sample5.json"),
    ("openalex", "openalex/W2741809807.json"),
])
def test_shared_samples_give_what_fetch_input_gives(tmp_path, shared_dir, source, sample):
    path = shared_dir / "samples" / sample
    if not path.is_file():
        pytest.skip(f"{sample} is not in ../shared")
    assert_same_triples(path, source, tmp_path)


def test_rows_without_any_date_or_span_give_what_fetch_input_gives(tmp_path):
    """The dates' and spans' literals are stored compactly (an ENUM in DuckDB), which needs a
    value: none at all must work too, and a mix must read back as the same texts."""
    header = "oci,citing,cited,creation,timespan,journal_sc,author_sc\n"
    empty = tmp_path / "empty.csv"
    empty.write_text(header + "0601-0602,doi:10.1000/a,doi:10.1000/b,,,no,no\n"
                     "0603-0604,doi:10.1000/c,doi:10.1000/b,,,yes,no\n")
    assert_same_triples(empty, "opencitations", tmp_path / "out-empty")
    mixed = tmp_path / "mixed.csv"
    mixed.write_text(header + "0601-0602,doi:10.1000/a,doi:10.1000/b,2019-01,P1Y,no,no\n"
                     "0603-0604,doi:10.1000/c,doi:10.1000/b,,,no,no\n"
                     "0605-0606,doi:10.1000/d,doi:10.1000/b,2019-01,-P2M,no,no\n")
    assert_same_triples(mixed, "opencitations", tmp_path / "out-mixed")


def test_tricky_rows_decisions(tmp_path, data_dir):
    """What the tricky fixture's rows become, on both paths (checked equal above)."""
    text = convert(data_dir / "oc" / "tricky.csv", tmp_path, to="nt").files[0].read_text()
    work = iris.DEFAULT_BASE + "work/"
    assert f'<{work}doi/10.48550/arxiv.2504.01805> <http://purl.org/spar/fabio/hasArXivId> "2504.01805"' in text
    assert f"<{work}arxiv/2101.00001>" in text and "2101.00001v2" not in text  # versions dropped
    assert f"<{work}arxiv/hep-th/9901001>" in text
    assert "%3C303%3A%3Aaid-jbm8%3E3.0.co%3B2-f>" in text  # a SICI DOI, percent-encoded in its IRI
    assert f'<{work}doi/10.1000/two.dois> <http://purl.org/dc/terms/identifier> "doi:10.1000/second"' in text
    assert f"<{work}doi/10.1000/with%2Ccomma>" in text
    assert '"-P1Y2M"^^<http://www.w3.org/2001/XMLSchema#duration>' in text  # a negative span, kept
    assert text.count("<http://purl.org/spar/cito/JournalSelfCitation>") == 4  # 1, YES, true, and a merged pair
    assert text.count("<http://www.w3.org/ns/prov#wasAttributedTo>") == 5  # 7 rows: a pair merged, a self-citation dropped
    assert f"<{work}doi/10.1000/self> <http://purl.org/spar/cito/cites>" not in text  # one work citing itself


def test_nquads_and_turtle_hold_the_same_graph(tmp_path, data_dir):
    path = data_dir / "oc" / "index-sample.csv"
    nt = Graph().parse(convert(path, tmp_path / "nt", to="nt").files[0], format="nt")
    ds = Dataset()
    ds.parse(data=gzip.decompress(convert(path, tmp_path / "nq", to="nq.gz").files[0].read_bytes()), format="nquads")
    named = ds.graph(graph_name(iris.DEFAULT_BASE, "index-sample"))
    assert isomorphic(Graph() + named, nt)
    ttl = convert(path, tmp_path / "ttl", to="ttl").files[0]
    assert isomorphic(Graph().parse(ttl, format="turtle"), nt)


def test_nquads_graph_iri_is_valid_for_a_name_with_spaces(tmp_path, data_dir):
    spaced = tmp_path / "my dump.csv"
    spaced.write_bytes((data_dir / "oc" / "index-sample.csv").read_bytes())
    out = convert(spaced, tmp_path / "out", to="nq").files[0]
    assert out.name == "my dump.nq"
    ds = Dataset()
    ds.parse(out, format="nquads")  # a space in the graph IRI would not parse
    assert out.read_text().splitlines()[0].endswith(f"<{iris.DEFAULT_BASE}graph/my%20dump> .")


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


def test_same_input_same_bytes_whatever_the_threads(tmp_path, data_dir):
    path = data_dir / "oc" / "tricky.csv"
    one = convert(path, tmp_path / "a", to="nt.gz", threads=1).files[0].read_bytes()
    again = convert(path, tmp_path / "b", to="nt.gz", threads=2).files[0].read_bytes()
    assert one == again
    assert one[4:8] == b"\x00\x00\x00\x00"  # gzip mtime: not the time of the run


def test_order_works_by_iri_then_citations_in_input_order(tmp_path, data_dir):
    lines = convert(data_dir / "oc" / "index-sample.csv", tmp_path, to="nt").files[0].read_text().splitlines()
    works = [ln for ln in lines if ln.startswith(f"<{iris.DEFAULT_BASE}work/") and "/cito/cites>" not in ln]
    assert works == sorted(works, key=lambda ln: ln.split(" ")[0])
    cites = [ln.split(" ")[0].rsplit("/", 1)[1] for ln in lines if "/cito/cites>" in ln]
    assert cites == ["alpha.1>"] * 3 + ["gamma.3>", "0610808>", "gamma.3>"]


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
    path = data_dir / "oc" / "index-sample.csv"
    parts = convert(path, tmp_path, to="ttl", split=15).files
    assert len(parts) > 1
    union = Graph()
    for p in parts:
        union += Graph().parse(p, format="turtle")
    assert set(union) == set(fetch_graph(path, "opencitations"))


def test_bad_row_writes_nothing_and_names_file_line_and_field(tmp_path, data_dir):
    out = tmp_path / "out"
    with pytest.raises(InputError, match=r"bad-date.csv:4: field 'creation' should be YYYY"):
        convert(data_dir / "oc" / "bad-date.csv", out, to="nt")
    assert list(out.iterdir()) == []


@pytest.mark.parametrize("row, message", [
    ("x-y,omid:br/1,omid:br/2,,,no,no", r":2: field 'oci' is not an OCI"),
    ("1-2,omid:br/1,doi:nonsense,,,no,no", r":2: field 'cited' has a malformed DOI"),
    ("1-2,omid:br/1,,,,no,no", r":2: field 'cited' is missing"),
    ("1-2,omid:br/1,omid:br/2,,,maybe,no", r":2: field 'journal_sc' should be 'yes' or 'no'"),
    ("1-2,omid:br/1,omid:br/2,,two years,no,no", r":2: field 'timespan' is not an xsd:duration"),
    ('1-2,omid:br/1,"omid:br/2,,,no,no', r":2: bad CSV: Value with unterminated quote found$"),
    ("1-2,omid:br/1,omid:br/2,,,no,no,extra", r":2: bad CSV: 8 fields where the header has 7$"),
    ("1-2,omid:br/1,omid:br/2,,,no,no\n3-4,omid:br/3", r":3: bad CSV: 2 fields where the header has 7$"),
    ("1-2,omid:br/1,omid:br/2,,,no,no\n3-4,omid:br/3,omid:br/\udcff,,,no,no", r":3: bad CSV: Invalid unicode"),
])
def test_each_kind_of_bad_row(tmp_path, row, message):
    bad = tmp_path / "bad.csv"
    bad.write_bytes(("oci,citing,cited,creation,timespan,journal_sc,author_sc\n" + row + "\n")
                    .encode("utf-8", "surrogateescape"))  # \udcff: the byte 0xff, not UTF-8
    with pytest.raises(InputError, match=message):
        convert(bad, tmp_path / "out")
    assert list((tmp_path / "out").iterdir()) == []


def test_bad_openalex_line_names_the_line(tmp_path, data_dir):
    with pytest.raises(InputError, match=r"bad.jsonl:\d+: "):
        convert(data_dir / "openalex" / "bad.jsonl", tmp_path / "out")
    assert list((tmp_path / "out").iterdir()) == []


def test_scratch_folder_is_removed_also_after_a_failure(tmp_path, data_dir):
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    convert(data_dir / "oc" / "index-sample.csv", tmp_path / "ok", tmp_dir=scratch)
    with pytest.raises(InputError):
        convert(data_dir / "oc" / "bad-date.csv", tmp_path / "bad", tmp_dir=scratch)
    assert list(scratch.iterdir()) == []


def test_memory_limit_is_checked(tmp_path, data_dir):
    with pytest.raises(UsageError, match="--memory-limit"):
        convert(data_dir / "oc" / "index-sample.csv", tmp_path, memory_limit="lots")
    r = convert(data_dir / "oc" / "index-sample.csv", tmp_path, memory_limit="64MB")
    assert r.triples == 88


def test_tables_larger_than_the_memory_limit_spill_and_give_the_same_bytes(tmp_path):
    """The engine's database is in memory: with a limit far below its tables (100k citations,
    64 MB, two threads) they spill to the scratch folder, which is seen holding DuckDB's temporary
    files, and the output is the same bytes as with the default limit."""
    import os
    import threading

    csv = tmp_path / "oc.csv"
    subprocess.run([sys.executable, str(ROOT / "bench" / "gen_oc_csv.py"), "100000", str(csv)], check=True,
                   capture_output=True)
    spill = tmp_path / "spill"
    spill.mkdir()
    seen: set[str] = set()
    stop = threading.Event()

    def watch() -> None:
        while not stop.wait(0.01):
            seen.update(f for _, _, files in os.walk(spill) for f in files)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        small = convert(csv, tmp_path / "small", memory_limit="64MB", threads=2, tmp_dir=spill)
    finally:
        stop.set()
        watcher.join()
    assert any(f.startswith("duckdb_temp") and f.endswith(".tmp") for f in seen), seen
    assert list(spill.iterdir()) == []
    default = convert(csv, tmp_path / "default")
    assert small.files[0].read_bytes() == default.files[0].read_bytes()


def test_an_interrupted_run_leaves_no_file_that_looks_complete(tmp_path, data_dir, monkeypatch):
    from kgtool.serialize import stream_writers

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


def test_a_bad_header_names_line_one(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("oci,citing,target\nx,omid:br/1,omid:br/2\n")
    with pytest.raises(InputError, match=r"bad.csv:1: the CSV header lacks cited"):
        convert(bad, tmp_path / "out", dump_format="oc-csv")


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
    assert len(g) == 88
    r = subprocess.run([str(exe), "convert", str(data_dir / "oc" / "bad-date.csv"), "--out", str(tmp_path)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2
    assert r.stderr.strip().splitlines()[-1].startswith("kgtool: error: ")
    assert "bad-date.csv:4: field 'creation'" in r.stderr
    assert "Traceback" not in r.stderr
    assert list(tmp_path.iterdir()) == []


def test_cli_progress_and_summary(tmp_path, data_dir):
    from click.testing import CliRunner

    from kgtool.cli import main

    r = CliRunner().invoke(main, ["convert", str(data_dir / "openalex" / "works.jsonl"), "--to", "ttl.gz",
                                  "--out", str(tmp_path)])
    assert r.exit_code == 0, r.output
    assert "works.jsonl: 3 records, 5 citations" in r.stdout
    assert f"wrote {tmp_path / 'works.ttl.gz'}" in r.stdout
    assert "kgtool: writing" in r.stderr and "100%" in r.stderr
    quiet = CliRunner().invoke(main, ["-q", "convert", str(data_dir / "openalex" / "works.jsonl"),
                                      "--out", str(tmp_path / "q")])
    assert quiet.exit_code == 0 and quiet.stderr == ""
    after = CliRunner().invoke(main, ["convert", str(data_dir / "openalex" / "works.jsonl"), "--out",
                                      str(tmp_path / "q2"), "--quiet"])  # also after the command's name
    assert after.exit_code == 0 and after.stderr == ""
    assert (tmp_path / "q2" / "works.nt.gz").read_bytes() == (tmp_path / "q" / "works.nt.gz").read_bytes()


# --- OpenAlex: works cited by OpenAlex id join their records in the same dump (a SQL join)

def oa_work(wid: str, *, doi: str | None = None, arxiv: str | None = None, refs: tuple[str, ...] = (),
            title: str | None = None, date: str = "2020-01-02") -> str:
    obj: dict = {"id": f"https://openalex.org/{wid}", "doi": f"https://doi.org/{doi}" if doi else None,
                 "title": title if title is not None else f"Work {wid}", "publication_date": date,
                 "referenced_works": [f"https://openalex.org/{r}" for r in refs]}
    if arxiv:
        obj["locations"] = [{"landing_page_url": f"https://arxiv.org/abs/{arxiv}v2"}]
    return json.dumps(obj)


def join_cases() -> list[str]:
    """Ways a cited OpenAlex id meets (or misses) its record, in one dump."""
    return [
        # W1 cites: W2 (its record comes later), W3 (never in the dump), W4 (no DOI),
        # W5 and W6 (two records of one DOI: the citations become one), W8 (arXiv only).
        oa_work("W1", doi="10.1000/one", refs=("W2", "W3", "W4", "W5", "W6", "W8")),
        oa_work("W4", refs=("W1", "W2")),
        oa_work("W8", arxiv="2101.00008"),
        oa_work("W5", doi="10.1000/five"),
        oa_work("W6", doi="10.1000/five", title="Work W5"),
        oa_work("W2", doi="10.1000/two", refs=("W1", "W6")),
        oa_work("W7", doi="10.1000/seven", refs=("W7",)),  # cites itself: dropped, as in the build path
    ]


def write_dump(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n")
    return path


def test_cited_openalex_ids_join_their_records_as_in_the_build_path(tmp_path):
    path = write_dump(tmp_path / "joins.jsonl", join_cases())
    result = convert(path, tmp_path / "out", to="nt")
    text = result.files[0].read_text()
    assert len(text.splitlines()) == len(set(text.splitlines())) == result.triples
    assert set(Graph().parse(data=text, format="nt")) == set(fetch_graph(path, "openalex"))
    work = iris.DEFAULT_BASE + "work/"
    for joined in ("W1", "W2", "W5", "W6", "W8"):
        assert f"<{work}openalex/{joined}>" not in text
    assert f"<{work}openalex/W3>" in text  # cited, not in the dump
    assert f"<{work}openalex/W4>" in text  # in the dump, but with no DOI or arXiv id
    assert f'<{work}doi/10.1000/two> <http://purl.org/dc/terms/identifier> "openalex:W2"' in text
    assert result.citations == 9


def test_join_reads_gzip_and_stdin(tmp_path):
    plain = write_dump(tmp_path / "joins.jsonl", join_cases())
    gz = tmp_path / "joins.gz"
    gz.write_bytes(gzip.compress(plain.read_bytes()))
    expected = convert(plain, tmp_path / "plain", to="nt").files[0].read_bytes()
    got = convert(gz, tmp_path / "gz", to="nt", stem="joins").files[0].read_bytes()
    assert got.replace(str(gz).encode(), str(plain).encode()).replace(_sha(gz), _sha(plain)) == expected
    exe = Path(sys.executable).parent / "kgtool"
    r = subprocess.run([str(exe), "convert", "-", "--to", "nt", "--out", "-"],
                       input=gz.read_bytes(), capture_output=True, timeout=120)
    assert r.returncode == 0, r.stderr.decode()
    assert b"kgtool: writing <stdin>" in r.stderr
    got = r.stdout.replace(b'"<stdin>"', f'"{plain}"'.encode()).replace(_sha(gz), _sha(plain))
    assert got == expected


def _sha(path: Path) -> bytes:
    return hashlib.sha256(path.read_bytes()).hexdigest().encode()


def test_a_long_statement_shows_how_far_duckdb_is(tmp_path, monkeypatch):
    """While one DuckDB statement runs (the joins before the first line), progress lines say how
    far it is; a quiet run starts no watcher. WATCH is shortened so that 20k citations suffice."""
    from kgtool.map import convert_duckdb

    csv = tmp_path / "oc.csv"
    subprocess.run([sys.executable, str(ROOT / "bench" / "gen_oc_csv.py"), "20000", str(csv)], check=True,
                   capture_output=True)
    monkeypatch.setattr(convert_duckdb, "WATCH", 0.005)
    lines: list[str] = []
    convert_dump(csv, out_dir=tmp_path / "a", progress=lines.append)
    working = [ln for ln in lines if ln.startswith("working: the current DuckDB statement is ")]
    assert working and all(ln.endswith("% done") for ln in working), lines
    import threading
    from types import SimpleNamespace

    started = []

    class Recorded(threading.Thread):
        def start(self) -> None:
            started.append(self.name)
            super().start()

    monkeypatch.setattr(convert_duckdb, "threading", SimpleNamespace(Thread=Recorded, Event=threading.Event))
    convert_dump(csv, out_dir=tmp_path / "b")  # quiet: no watcher thread at all
    assert started == []
    convert_dump(csv, out_dir=tmp_path / "c", progress=lambda _: None)
    assert started and set(started) == {"kgtool-duckdb-progress"}
    assert (tmp_path / "a" / "oc.nt").read_bytes() == (tmp_path / "b" / "oc.nt").read_bytes()
