"""`kgtool build RECIPE.toml`: sources, outputs and targets from one file; a second run with
unchanged inputs writes the same bytes and sends nothing."""

from __future__ import annotations

import shutil

import pytest
from click.testing import CliRunner
from conftest import ROOT
from servers import AuthProxy

from kgtool.cli import main
from kgtool.recipe import load_recipe


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture
def example(tmp_path):
    """The bundled example recipe, copied with the files it names."""
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    return tmp_path / "examples" / "kgtool.toml"


def snapshot(folder):
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def test_the_example_recipe_builds_and_a_second_run_writes_the_same_bytes(example):
    r = run("-q", "build", str(example))
    assert r.exit_code == 0, r.output
    exports = example.parent.parent / "exports"
    first = snapshot(exports)
    assert set(first) == {"example.ttl", "example.nt"}
    assert b"<https://example.org/kg/work/doi/10.5555/lattice.2024> <http://purl.org/spar/cito/cites>" in first["example.nt"]
    assert "synced store" in r.stdout and "0 removed, 89 added" in r.stdout
    again = run("-q", "build", str(example))
    assert again.exit_code == 0, again.output
    assert snapshot(exports) == first
    assert "unchanged store" in again.stdout and "0 removed, 0 added" in again.stdout


def test_an_endpoint_target_is_synced_and_a_rerun_sends_no_update(oxigraph, example):
    graph = "https://example.org/g/recipe"
    text = example.read_text().replace('# [[endpoint]]\n# url = "http://127.0.0.1:7878"\n# graph = "https://example.org/kg/graph/example"',
                                       f'[[endpoint]]\nurl = "PROXY"\ngraph = "{graph}"')
    sent = []

    def count(method: str, path: str, body: bytes) -> bytes:
        if path.startswith(("/update", "/store")) and method in ("POST", "PUT"):
            sent.append(len(body))
        return body

    with AuthProxy(oxigraph.url, body_filter=count) as proxy:
        example.write_text(text.replace("PROXY", proxy.url))
        r = run("-q", "build", str(example))
        assert r.exit_code == 0, r.output
        assert oxigraph.count(graph) == 89 and len(sent) == 1
        again = run("-q", "build", str(example))
        assert "unchanged endpoint" in again.stdout and "in 0 requests (0 bytes)" in again.stdout
        assert len(sent) == 1  # the second run pushed nothing
        changed = example.parent / "hub-example.txt"
        changed.write_text(changed.read_text().replace("Lattice Indexes", "Lattice Indices"))
        third = run("-q", "build", str(example))
        assert third.stdout.count("synced") == 2 and len(sent) == 2


@pytest.mark.parametrize("body, message", [
    ('base = "x"\n[[source]]\nfile = "a.txt"\n', "kgtool.toml: base: should be an absolute http(s) IRI, got 'x'"),
    ('[[source]]\nfile = "a.txt"\nlimit = 3\n', "kgtool.toml: source[1].limit: is not a recipe key"),
    ('[[source]]\napi = "openalex"\nid = "W1"\nlimit = 0\n', "kgtool.toml: source[1].limit: should be at least 1, got 0"),
    ('[[source]]\napi = "openalex"\nid = "W1"\ncitations = "yes"\n', "kgtool.toml: source[1].citations: should be true or false, got 'yes'"),
    ('[[source]]\napi = "arxiv"\nid = "1"\n', "kgtool.toml: source[1].api: should be one of"),
    ('[[source]]\nfile = "a"\napi = "openalex"\n', "kgtool.toml: source[1]: needs exactly one of file, dump or api"),
    ('name = "g"\n', "kgtool.toml: source: the recipe names no [[source]]"),
    ('[[source]]\nfile = "a"\n[output]\nformats = ["ttl", "xml"]\n', "kgtool.toml: output.formats: unknown format 'xml'"),
    ('[[source]]\nfile = "a"\n[[endpoint]]\nurl = "http://h"\n', "kgtool.toml: endpoint[1].graph: is missing"),
    ('[[source]]\nfile = "a"\n[[endpoint]]\nurl = "ftp://h"\ngraph = "http://g"\n', "kgtool.toml: endpoint[1].url: should be an http(s) URL"),
    ('[[source]\nfile = "a"\n', "kgtool.toml: not valid TOML (Expected ']]' at the end of an array declaration (at line 1, column 9))"),
    ('colour = "blue"\n[[source]]\nfile = "a"\n', "kgtool.toml: colour: is not a recipe key"),
])
def test_a_bad_recipe_is_one_line_naming_the_key_and_exit_2(tmp_path, monkeypatch, body, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "kgtool.toml").write_text(body)
    r = run("-q", "build", "kgtool.toml")
    assert r.exit_code == 2 and r.stderr.count("\n") == 1, r.output
    assert r.stderr.startswith(f"kgtool: error: {message}"), r.stderr
    assert not (tmp_path / "exports").exists()


def test_options_beside_a_recipe_are_refused(example):
    r = run("-q", "build", str(example), "--to", "nt")
    assert r.exit_code == 2 and "a recipe holds every setting; drop --to" in r.stderr


def test_relative_paths_are_relative_to_the_recipe(example):
    recipe = load_recipe(example)
    assert recipe.out == (example.parent.parent / "exports").resolve()
    assert [s.path.name for s in recipe.sources] == ["hub-example.txt", "openalex-lattice.json"]


def test_an_api_query_with_its_options_is_fetched_once_and_then_served_from_the_cache(api_server, tmp_path):
    from conftest import api_fixture

    api_server.expect_request("/crossref/works/10.5555/kg.xref.2023.7").respond_with_data(
        api_fixture("crossref/work.json"), content_type="application/json")
    recipe = tmp_path / "kgtool.toml"
    recipe.write_text('name = "xref"\n[output]\nformats = ["nt"]\n'
                      '[[source]]\napi = "crossref"\nid = "10.5555/kg.xref.2023.7"\nreferences = true\nlimit = 3\n'
                      '[http]\ncache_dir = "cache"\n')
    r = run("-q", "build", str(recipe))
    assert r.exit_code == 0, r.output
    first = (tmp_path / "exports" / "xref.nt").read_bytes()
    assert first.count(b"<http://purl.org/spar/cito/cites>") == 3  # limit = 3 of the 4 references
    assert len(api_server.log) == 1 and (tmp_path / "cache").is_dir()
    again = run("-q", "build", str(recipe))
    assert again.exit_code == 0 and (tmp_path / "exports" / "xref.nt").read_bytes() == first
    assert len(api_server.log) == 1  # the second run read the cache
