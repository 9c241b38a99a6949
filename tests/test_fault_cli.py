"""No traceback reaches a user: each class of hostile input and fault ends in one line on
stderr and exit 2, with nothing half-written and nothing outside --out."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import ROOT
from test_fault_http import send, servers  # noqa: F401  (real local HTTP servers)

from kgtool.cli import main

EXAMPLE = ROOT / "examples" / "hub-example.txt"
OC_CSV = ROOT / "tests" / "data" / "oc" / "index-sample.csv"


def run(*args: str, env: dict | None = None):
    return CliRunner().invoke(main, list(args), catch_exceptions=False, env=env)


def one_line_error(r, *needles: str) -> str:
    assert r.exit_code == 2, (r.exit_code, r.output)
    errors = [line for line in r.stderr.splitlines() if line.startswith("kgtool: error:")]
    assert len(errors) == 1 and r.stderr.strip().splitlines()[-1] == errors[0], r.stderr
    assert "Traceback" not in r.stderr
    for n in needles:
        assert n in errors[0], errors[0]
    return errors[0]


@pytest.fixture
def tmpfs(tmp_path):
    """A real, tiny tmpfs (root only); options as for mount -o."""
    mounted = []

    def make(options: str) -> Path:
        point = tmp_path / f"mnt{len(mounted)}"
        point.mkdir()
        if os.geteuid() != 0:
            pytest.skip("mounting a tmpfs needs root")
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(point)], capture_output=True)
        if r.returncode:
            pytest.skip(f"cannot mount a tmpfs here: {r.stderr.decode(errors='replace').strip()}")
        mounted.append(point)
        return point

    yield make
    import gc

    gc.collect()  # a store still referenced from a caught error's frames keeps files open
    for point in mounted:
        if subprocess.run(["umount", str(point)], capture_output=True).returncode:
            subprocess.run(["umount", "-l", str(point)], check=False)  # busy: detach now, free when closed


def test_deeply_nested_json(tmp_path):
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 200_000 + "]" * 200_000)
    one_line_error(run("fetch", "openalex", "--input", str(deep), "--out", str(tmp_path / "o")),
                   "deep.json", "nested too deeply")
    one_line_error(run("convert", str(deep), "--from", "openalex-jsonl", "--out", str(tmp_path / "o")),
                   "nested too deeply")
    assert not (tmp_path / "o").exists() or not any((tmp_path / "o").iterdir())
    # and through the installed entry point: no traceback either
    p = subprocess.run([sys.executable, "-m", "kgtool", "fetch", "openalex", "--input", str(deep), "--out",
                        str(tmp_path / "o")], capture_output=True, text=True, timeout=120)
    assert p.returncode == 2 and "Traceback" not in p.stderr and len(p.stderr.strip().splitlines()) == 1


def test_a_50_mb_line(tmp_path):
    huge = tmp_path / "huge.txt"
    huge.write_bytes(b"a" * (50 << 20) + b"\n")
    one_line_error(run("build", str(huge), "--out", str(tmp_path / "o")), "huge.txt:1")
    csv = tmp_path / "huge.csv"
    csv.write_bytes(OC_CSV.read_bytes().splitlines(keepends=True)[0] + b"x" * (50 << 20) + b"\n")
    one_line_error(run("convert", str(csv), "--from", "oc-csv", "--out", str(tmp_path / "o")), "huge.csv")
    assert not (tmp_path / "o").exists() or not any((tmp_path / "o").iterdir())



@pytest.mark.parametrize("gz", [False, True])
def test_a_last_row_longer_than_a_row_may_be_is_refused_not_dropped(tmp_path, gz):
    """DuckDB drops a last row longer than its read buffer without a word; convert checks it first."""
    import gzip

    from kgtool.map.convert_duckdb import MAX_LINE

    rows = OC_CSV.read_bytes().splitlines(keepends=True)
    for size in (MAX_LINE + 1, 40 * MAX_LINE):  # over the limit; over DuckDB's buffer (16x) too
        data = b"".join(rows[:3]) + b"x" * size + b"\n"
        csv = tmp_path / ("long.csv.gz" if gz else "long.csv")
        csv.write_bytes(gzip.compress(data, 1) if gz else data)
        one_line_error(run("convert", str(csv), "--from", "oc-csv", "--out", str(tmp_path / "o")),
                       f"{csv.name}: the last line is longer than {MAX_LINE:,} bytes")
        assert not (tmp_path / "o").exists() or not any((tmp_path / "o").iterdir())
    (tmp_path / "ok.csv").write_bytes(b"".join(rows[:3]))  # the same rows without the long one convert
    assert run("-q", "convert", str(tmp_path / "ok.csv"), "--out", str(tmp_path / "o2")).exit_code == 0


def test_last_line_length_of_plain_and_gzip_files(tmp_path):
    import gzip

    from kgtool.read.dumpfile import last_line_length

    cases = [(b"a\nbb\nccc\n", 3), (b"a\nbb\nccc", 3), (b"", 0), (b"\n", 0), (b"a\n" + b"x" * 50 + b"\n", 11),
             (b"x" * 50, 11), (b"a\n" + b"x" * 10, 10)]
    for content, expected in cases:
        (tmp_path / "f").write_bytes(content)
        (tmp_path / "f.gz").write_bytes(gzip.compress(content))
        assert last_line_length(tmp_path / "f", 10) == last_line_length(tmp_path / "f.gz", 10) == expected, content
    # two gzip members, the first inflating to 64 MB: the last line is the second member's
    (tmp_path / "m.gz").write_bytes(gzip.compress(b"h\n" + bytes(64 << 20) + b"\n") + gzip.compress(b"zzzzz"))
    assert last_line_length(tmp_path / "m.gz", 100) == 5

def test_disk_full(tmp_path, tmpfs):
    full = tmpfs("size=16k")
    one_line_error(run("build", str(EXAMPLE), "--out", str(full)), "no space left")
    big = tmp_path / "oc.csv"  # 2 MB of N-Triples: the writer thread hits the full disk
    subprocess.run([sys.executable, str(ROOT / "bench" / "gen_oc_csv.py"), "2000", str(big)], check=True,
                   capture_output=True)
    p = subprocess.run([sys.executable, "-m", "kgtool", "convert", str(big), "--to", "nt", "--out", str(full)],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 2 and "Traceback" not in p.stderr and "Exception in thread" not in p.stderr, p.stderr
    assert p.stderr.strip().splitlines()[-1].startswith("kgtool: error:") and "No space left" in p.stderr
    assert list(full.iterdir()) == []  # nothing partial, no temporary file


@pytest.mark.parametrize("case", ["file", "under-a-file", "read-only", "proc"])
def test_unwritable_out(tmp_path, tmpfs, case):
    (tmp_path / "afile").write_text("keep me")
    out = {"file": tmp_path / "afile", "under-a-file": tmp_path / "afile" / "sub",
           "read-only": None, "proc": Path("/proc/kgtool-out")}[case]
    if out is None:
        out = tmpfs("ro,size=16k")
    for args in (["build", str(EXAMPLE)], ["convert", str(OC_CSV)]):
        one_line_error(run(*args, "--out", str(out)), str(out))
    assert (tmp_path / "afile").read_text() == "keep me"


def test_name_may_not_leave_out(tmp_path):
    out = tmp_path / "a" / "b"
    for name in ("../../x", "../x", "/tmp/x", "sub/x", "..", ".hidden"):
        for args in (["build", str(EXAMPLE)], ["convert", str(OC_CSV)],
                     ["fetch", "openalex", "--input", str(ROOT / "tests/data/api/openalex/W4000000001.json")]):
            one_line_error(run(*args, "--out", str(out), "--name", name), "--name")
    assert not (tmp_path / "x").exists() and not out.exists()
    r = run("build", str(EXAMPLE), "--out", str(out), "--name", "my name")  # a space is a fine file name
    assert r.exit_code == 0 and (out / "my name.ttl").is_file()


def test_odd_graph_names(tmp_path, small_graph):
    store = str(tmp_path / "kg.db")
    one_line_error(run("load", str(small_graph), "--store", store, "--graph", "https://example.org/my graph"), "--graph")
    one_line_error(run("load", str(small_graph), "--store", store, "--graph", "urn:kgtool:staging:x"), "--graph")
    assert not Path(store).exists()


ODD_ANSWERS = {
    "html": (200, b"<html><body>Welcome</body></html>", "text/html"),
    "truncated": (200, b'{"head": {"vars": ["n"]}, "results": {"bindings": [{"n": {"ty', "application/sparql-results+json"),
    "a list": (200, b"[]", "application/sparql-results+json"),
    "deep": (200, b"[" * 100_000 + b"]" * 100_000, "application/sparql-results+json"),
    "wrong type": (200, b"\x00\x01", "application/octet-stream"),
    "empty": (200, b"", "application/sparql-results+json"),
}


@pytest.mark.parametrize("answer", ODD_ANSWERS)
def test_odd_endpoint_answers(servers, answer):  # noqa: F811
    status, body, ctype = ODD_ANSWERS[answer]
    s = servers(lambda h: send(h, status, body, ctype=ctype))
    one_line_error(run("query", "--endpoint", s.url, "--sparql", "SELECT * { ?s ?p ?o }", "--retries", "0"),
                   s.url)


@pytest.mark.parametrize("answer", ["html", "truncated", "deep", "wrong type", "empty"])
def test_odd_api_answers(servers, tmp_path, monkeypatch, answer):  # noqa: F811
    status, body, ctype = ODD_ANSWERS[answer]
    s = servers(lambda h: send(h, status, body, ctype=ctype))
    monkeypatch.setenv("KGTOOL_OPENALEX_URL", s.url)
    one_line_error(run("fetch", "openalex", "W1", "--no-cache", "--retries", "0", "--out", str(tmp_path / "o")),
                   s.url)
    assert not (tmp_path / "o").exists()


def test_an_unexpected_error_is_one_line_and_kgtool_debug_shows_it(tmp_path, small_graph, monkeypatch):
    import kgtool.store.stats

    def bug(*_a, **_k):
        raise RuntimeError("a bug in\nkgtool")

    monkeypatch.setattr(kgtool.store.stats, "compute_stats", bug)
    line = one_line_error(run("stats", str(small_graph)), "unexpected RuntimeError: a bug in kgtool", "KGTOOL_DEBUG=1")
    assert line
    with pytest.raises(RuntimeError):
        run("stats", str(small_graph), env={"KGTOOL_DEBUG": "1"})


def test_disk_full_during_load_keeps_the_old_graph(tmp_path, tmpfs):
    disk = tmpfs("size=3m")
    big = tmp_path / "big.nt"
    big.write_text("".join(f'<https://example.org/s{i}> <https://example.org/p> "v{i} {"x" * 50}" .\n'
                           for i in range(60_000)))
    one_line_error(run("load", str(big), "--store", str(disk / "new.db")), "No space left")
    assert list(disk.iterdir()) == []  # a store made by the failed load is removed again
    small = tmp_path / "small.nt"
    small.write_text("".join(big.read_text().splitlines(keepends=True)[:3000]))
    store = str(disk / "kg.db")
    assert run("load", str(small), "--store", store, "--graph", "https://example.org/g").exit_code == 0
    one_line_error(run("load", str(big), "--store", store, "--graph", "https://example.org/g"), "No space left")
    r = run("stats", "--store", store, "--report", "json")
    assert r.exit_code == 0 and json.loads(r.stdout)["triples"] == 3000
    assert sorted(p.name for p in (disk / "kg.db").iterdir()) == ["catalog.json", "oxigraph"]
    assert "pending" not in json.loads((disk / "kg.db" / "catalog.json").read_text())


def test_a_space_in_a_file_name_makes_a_valid_graph_iri(tmp_path):
    dump = tmp_path / "my dump.csv"
    dump.write_bytes(OC_CSV.read_bytes())
    assert run("convert", str(dump), "--to", "nq", "--out", str(tmp_path / "o")).exit_code == 0
    text = (tmp_path / "o" / "my dump.nq").read_text()
    assert "/graph/my%20dump>" in text and "my dump>" not in text
    import pyoxigraph

    assert len(list(pyoxigraph.parse(text.encode(), format=pyoxigraph.RdfFormat.N_QUADS))) == len(text.splitlines())


@pytest.mark.parametrize("gz", [False, True])
def test_a_term_longer_than_the_rdf_parser_reads_is_an_input_error_not_out_of_memory(tmp_path, gz):
    """pyoxigraph stops at a 16 MiB term with a MemoryError; every reader names the file and the line."""
    import gzip

    from kgtool.read.rdfload import PARSER_BUFFER

    work = "<https://w3id.org/kgtool/data/work/doi/10.1/a>"
    data = (f"{work} <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <http://purl.org/spar/fabio/Expression> .\n"
            f'{work} <http://purl.org/dc/terms/title> "{"x" * (PARSER_BUFFER + 1)}" .\n').encode()
    f = tmp_path / ("big.nt.gz" if gz else "big.nt")
    f.write_bytes(gzip.compress(data, 1) if gz else data)
    message = f"{f.name}:2: a term longer than 16 MiB, more than the RDF parser (pyoxigraph) reads at once"
    one_line_error(run("validate", str(f), "--engine", "pyshacl"), message)
    one_line_error(run("load", str(f), "--store", str(tmp_path / "st")), message)
    assert not (tmp_path / "st").exists()
    one_line_error(run("push", str(f), "--endpoint", "http://127.0.0.1:9", "--graph", "https://example.org/g"),
                   message)
    ttl = tmp_path / f.name.replace(".nt", ".ttl")  # diff reads N-Triples as lines, other syntaxes parsed
    ttl.write_bytes(f.read_bytes())
    one_line_error(run("diff", str(ttl), str(f)), message.replace(f.name, ttl.name))
