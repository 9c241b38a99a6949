"""Hostile and broken RDF files, read by every command through the one reader (kgtool.read.rdfload).

Each must be refused with one line naming the file (and line and column where the parser knows
them), exit 2, no traceback, and no network request.
"""

from __future__ import annotations

import gzip
import itertools
import json
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner

from kgtool.cli import main
from kgtool.errors import InputError
from kgtool.read.rdfguards import MAX_JSON_DEPTH
from kgtool.read.rdfload import iter_quads, read_dataset, read_graph


def run(*args: str):
    return CliRunner().invoke(main, ["--quiet", *args], catch_exceptions=False)


_stores = itertools.count()


def commands(path: Path, tmp: Path) -> dict[str, list[str]]:
    """Every command that reads RDF files, reading ``path``."""
    store = tmp / f"store{next(_stores)}"  # a fresh one: a failed load in this process may hold its lock
    return {
        "validate": ["validate", str(path), "--engine", "pyshacl"],
        "validate-duckdb": ["validate", str(path), "--engine", "duckdb"],
        "query": ["query", str(path), "--sparql", "SELECT * WHERE { ?s ?p ?o }"],
        "stats": ["stats", str(path)],
        "site": ["site", str(path), "--out", str(tmp / "site"), "--base", "https://example.org/"],
        "load": ["load", str(path), "--store", str(store)],
        "push": ["push", str(path), "--graph", "http://example.org/g", "--endpoint", "http://127.0.0.1:9/"],
    }


def refused_everywhere(path: Path, tmp: Path, expected: str) -> None:
    """Every command exits 2 with the same single line, which contains ``expected``."""
    lines = set()
    for name, args in commands(path, tmp).items():
        r = run(*args)
        assert r.exit_code == 2, (name, r.output)
        err = r.stderr.strip()
        assert "\n" not in err and "Traceback" not in err, (name, err)
        assert expected in err, (name, err)
        lines.add(err)
    assert len(lines) == 1, lines
    assert not (tmp / "site").exists()


# --- the classes of bad input ------------------------------------------------------------

@pytest.mark.parametrize("name, text, where, message", [
    ("space.ttl", "@prefix : <http://a.example/> .\n:s :p <http://a.example/b c> .\n", ":2:7:",
     "Invalid IRI code point ' '"),
    ("newline.nt", "<http://a.example/s> <http://a.example/p> <http://a.example/\nb> .\n", ":1:43:", "Invalid IRI"),
    ("escape.nt", '<http://a.example/s> <http://a.example/p> "a\\zb" .\n', ":1:45:", "Unexpected escape"),
    ("escape.ttl", '<http://a.example/s> <http://a.example/p> "a\\zb" .\n', ":1:45:", "Unexpected escape"),
    ("relative.nt", "<s> <http://a.example/p> <http://a.example/o> .\n", ":1:1:", "No scheme"),
    ("quad.nt", "<http://a.example/s> <http://a.example/p> <http://a.example/o> <http://a.example/g> .\n", ":1:", "nt"),
])
def test_invalid_files_are_refused_the_same_way_by_every_command(tmp_path, name, text, where, message):
    f = tmp_path / name
    f.write_text(text)
    refused_everywhere(f, tmp_path, f"{f}{where}")
    refused_everywhere(f, tmp_path, message)


def test_a_gzipped_file_names_the_line_of_its_content(tmp_path):
    f = tmp_path / "bad.nt.gz"
    f.write_bytes(gzip.compress(b'<http://a.example/s> <http://a.example/p> "ok" .\n<http://a.example/s> <p> "x" .\n'))
    refused_everywhere(f, tmp_path, f"{f}:2:22: cannot parse as nt")


class _Counting(BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self) -> None:  # noqa: N802
        _Counting.hits.append(self.path)
        body = b'{"@context": {"name": "http://a.example/name"}}'
        self.send_response(200)
        self.send_header("Content-Type", "application/ld+json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def context_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Counting)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Counting.hits = []
    yield f"http://127.0.0.1:{server.server_port}/context.jsonld"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("shape", ["url", "array", "import", "scoped"])
def test_remote_jsonld_contexts_are_refused_without_a_request(tmp_path, context_server, shape):
    url = context_server
    context = {
        "url": url,
        "array": [url, {"x": "http://a.example/x"}],
        "import": {"@version": 1.1, "@import": url},
        "scoped": {"@version": 1.1, "p": {"@id": "http://a.example/p", "@context": url}},
    }[shape]
    doc = {"@context": context, "@id": "http://a.example/s", "name": "x", "p": {"name": "y"}}
    f = tmp_path / "remote.jsonld"
    f.write_text(json.dumps(doc, indent=1))
    refused_everywhere(f, tmp_path, f"{f}:")
    refused_everywhere(f, tmp_path, "remote JSON-LD contexts are not fetched")
    assert _Counting.hits == []
    # the same document with the context embedded is read
    doc["@context"] = {"@version": 1.1, "name": "http://a.example/name", "p": "http://a.example/p"}
    f.write_text(json.dumps(doc))
    assert len(read_graph(f)) == 3


def test_rdfxml_entity_expansion_is_refused(tmp_path):
    ents = ['<!ENTITY a "' + "a" * 50 + '">'] + [
        f'<!ENTITY {n} "{("&" + p + ";") * 16}">' for p, n in zip("abcdef", "bcdefg")]
    f = tmp_path / "laughs.rdf"
    f.write_text('<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [\n' + "\n".join(ents) + "\n]>\n"
                 '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="http://a.example/">\n'
                 '<rdf:Description rdf:about="http://a.example/s"><ex:p>&g;</ex:p></rdf:Description></rdf:RDF>\n')
    refused_everywhere(f, tmp_path, f"{f}:4: RDF/XML entity 'b' refused")


@pytest.mark.parametrize("decl", ['<!ENTITY e SYSTEM "file:///etc/passwd">', '<!ENTITY % e "x">',
                                  '<!ENTITY e "' + "x" * 500 + '">'])
def test_rdfxml_external_parameter_and_long_entities_are_refused(tmp_path, decl):
    f = tmp_path / "ent.rdf"
    f.write_text(f'<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [ {decl} ]>\n'
                 '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/>\n')
    with pytest.raises(InputError, match=r"ent\.rdf:2: RDF/XML entity 'e' refused"):
        list(iter_quads(f))


def test_rdfxml_short_namespace_entities_are_read(tmp_path):
    f = tmp_path / "onto.owl"
    f.write_text('<?xml version="1.0"?>\n<!DOCTYPE rdf:RDF [ <!ENTITY ex "http://a.example/"> ]>\n'
                 '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="http://a.example/">\n'
                 '<rdf:Description rdf:about="&ex;s"><ex:p>x</ex:p></rdf:Description></rdf:RDF>\n')
    (s, _, _), = read_graph(f)
    assert str(s) == "http://a.example/s"


def test_deep_json_is_refused_not_a_crash(tmp_path):
    depth = 5000  # pyoxigraph's JSON-LD processor dies of a stack overflow near 4,000
    f = tmp_path / "deep.jsonld"
    f.write_text('{"@id": "http://a.example/s", "http://a.example/p": ' + '{"http://a.example/p": ' * depth
                 + "1" + "}" * depth + "}")
    refused_everywhere(f, tmp_path, f"JSON nested deeper than {MAX_JSON_DEPTH} levels is refused")
    f.write_text('{"@id": "http://a.example/s", "http://a.example/p": "[[[[{{{{"}')  # brackets in strings
    assert len(read_graph(f)) == 1


@pytest.mark.parametrize("text, what", [
    ("<http://a.example/s> <http://a.example/p> <<( <http://a.example/s> <http://a.example/p> \"1\" )>> .\n",
     "triple terms"),
    ('<http://a.example/s> <http://a.example/p> "x"@en--ltr .\n', "directional language tags"),
])
@pytest.mark.parametrize("suffix", [".ttl", ".nt", ".nq"])
def test_rdf12_is_refused_as_not_supported(tmp_path, text, what, suffix):
    f = tmp_path / f"new{suffix}"
    f.write_text("# RDF 1.2\n" + text)
    refused_everywhere(f, tmp_path, f"{f}:2:")
    refused_everywhere(f, tmp_path, f"RDF 1.2 {what} are not supported")


def test_a_gzip_bomb_is_read_in_bounded_memory(tmp_path):
    """300 MB of comment lines in a 0.6 MB .gz: read as a stream, not decompressed whole."""
    f = tmp_path / "bomb.nt.gz"
    block = (b"#" + b"x" * 1022 + b"\n") * 1024
    with gzip.open(f, "wb") as out:
        out.write(b"<http://a.example/s> <http://a.example/p> <http://a.example/o> .\n")
        for _ in range(300):
            out.write(block)
    assert f.stat().st_size < 2_000_000
    code = ("import sys\nfrom kgtool.cli import main\n"
            "try:\n    main(sys.argv[1:])\nexcept SystemExit as e:\n    assert not e.code, e.code\n"
            # VmHWM, not ru_maxrss: Linux keeps ru_maxrss across execve, so it would count the
            # (large) pytest process this one was forked from
            "hwm = [ln for ln in open('/proc/self/status') if ln.startswith('VmHWM:')][0]\n"
            "print(int(hwm.split()[1]) // 1024, file=sys.stderr)")
    for args in (["stats", str(f)], ["query", str(f), "--sparql", "ASK { ?s ?p ?o }"],
                 ["load", str(f), "--store", str(tmp_path / "store")]):
        r = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stderr
        peak_mb = int(r.stderr.strip().splitlines()[-1])
        assert peak_mb < 200, f"{args[0]}: peak {peak_mb} MB for 300 MB of decompressed input"


def test_stdin_and_gzip_read_like_files(tmp_path):
    body = b'<http://a.example/s> <http://a.example/p> "x" .\n'
    f = tmp_path / "a.nt.gz"
    f.write_bytes(gzip.compress(body))
    assert len(read_graph(f)) == 1
    r = CliRunner().invoke(main, ["stats", "-", "--input-format", "nt"], input=body)
    assert r.exit_code == 0 and "triples    1" in r.output
    r = CliRunner().invoke(main, ["stats", "-", "--input-format", "nt"], input=b'<s> <p> "x" .\n')
    assert r.exit_code == 2 and r.stderr.startswith("kgtool: error: <stdin>:1:1: cannot parse as nt")


def test_blank_nodes_are_per_file_and_labelled_deterministically(tmp_path):
    a, b = tmp_path / "a.ttl", tmp_path / "b.nt"
    a.write_text("@prefix : <http://a.example/> .\n:s :p [ :q 1 ] .\n_:x :p :o .\n")
    b.write_text("_:x <http://a.example/p> <http://a.example/o> .\n")
    ds = read_dataset([a, b])
    labels = sorted(str(t) for q in ds.quads((None, None, None, None)) for t in q[:3] if t.n3().startswith("_:"))
    assert labels == ["b0", "b0", "b1", "b2"]  # _:x of a.ttl and _:x of b.nt are two nodes
    assert read_dataset([a, b]).serialize(format="nquads") == ds.serialize(format="nquads")


def test_lexical_forms_are_kept(tmp_path):
    f = tmp_path / "lex.ttl"
    f.write_text('<http://a.example/s> <http://a.example/p> 1.0, 01, "1e0"^^<http://www.w3.org/2001/XMLSchema#double> .\n')
    assert sorted(str(o) for o in read_graph(f).objects()) == ["01", "1.0", "1e0"]


def test_ill_typed_literals_are_read_without_noise(tmp_path):
    """Legal RDF; rdflib would log a traceback for each."""
    f = tmp_path / "ill.nt"
    f.write_text('<http://a.example/s> <http://a.example/p> "abc"^^<http://www.w3.org/2001/XMLSchema#integer> .\n')
    r = run("query", str(f), "--sparql", "SELECT ?o WHERE { ?s ?p ?o }", "--results", "csv")
    assert r.exit_code == 0 and r.stdout.splitlines()[1] == "abc"
    assert "Traceback" not in r.stderr and r.stderr == ""


def test_trig_named_graphs_are_kept(tmp_path):
    f = tmp_path / "a.trig"
    f.write_text("@prefix : <http://a.example/> .\n:s :p :o .\n:g { :s :p :x . _:b :p :y }\n")
    ds = read_dataset([f])
    graphs = {str(c.identifier) for c in ds.contexts() if len(c)}
    assert "http://a.example/g" in graphs
    r = run("query", str(f), "--results", "csv", "--sparql",
            "SELECT ?o WHERE { GRAPH <http://a.example/g> { <http://a.example/s> ?p ?o } }")
    assert r.exit_code == 0 and r.stdout.splitlines()[1:] == ["http://a.example/x"]
