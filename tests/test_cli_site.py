"""`kgtool site` and `kgtool serve` on the command line: results and one-line errors (exit 2)."""

from __future__ import annotations

from click.testing import CliRunner
from site_fixtures import BASE, write_fixture_graph

from kgtool.cli import main


def run(*args: str):
    return CliRunner().invoke(main, ["-q", *args])


def test_site_writes_and_reports(tmp_path):
    ttl, _ = write_fixture_graph(tmp_path)
    r = run("site", str(ttl), "--out", str(tmp_path / "site"), "--base", BASE,
            "--license", "https://creativecommons.org/licenses/by/4.0/")
    assert r.exit_code == 0, r.output
    assert "8 works (2 hubs), 29 resources published under https://example.org/kg/" in r.stdout
    assert "https://creativecommons.org/licenses/by/4.0/" in (tmp_path / "site/void.ttl").read_text()


def one_line_error(r) -> str:
    assert r.exit_code == 2, r.output
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("kgtool: error: "), r.stderr
    return lines[0]


def test_missing_input_names_the_file(tmp_path):
    line = one_line_error(run("site", str(tmp_path / "nope.ttl"), "--out", str(tmp_path / "site")))
    assert "nope.ttl" in line and "no such file" in line
    assert not (tmp_path / "site").exists()


def test_bad_turtle_names_the_file(tmp_path):
    bad = tmp_path / "bad.ttl"
    bad.write_text("<a> <b> .\n")
    line = one_line_error(run("site", str(bad), "--out", str(tmp_path / "site")))
    assert "bad.ttl" in line and "cannot parse" in line


def test_base_mismatch(tmp_path):
    ttl, _ = write_fixture_graph(tmp_path)
    line = one_line_error(run("site", str(ttl), "--out", str(tmp_path / "site"), "--base", "https://example.net/other/"))
    assert "https://example.net/other/" in line and BASE in line and "--rebase" in line


def test_no_kgtool_works(tmp_path):
    other = tmp_path / "other.ttl"
    other.write_text("<https://example.org/x> <https://example.org/p> \"v\" .\n")
    line = one_line_error(run("site", str(other), "--out", str(tmp_path / "site")))
    assert "no kgtool works or citations" in line


def test_bad_options(tmp_path):
    ttl, _ = write_fixture_graph(tmp_path)
    out = str(tmp_path / "site")
    assert "--sparql-endpoint" in one_line_error(run("site", str(ttl), "--out", out, "--sparql-endpoint", "ftp://x"))
    assert "--license" in one_line_error(run("site", str(ttl), "--out", out, "--license", "CC0"))
    assert "end in '/'" in one_line_error(run("site", str(ttl), "--out", out, "--base", "https://example.org/kg#"))
    (tmp_path / "file").write_text("x")
    assert "not a folder" in one_line_error(run("site", str(ttl), "--out", str(tmp_path / "file")))


def test_serve_needs_a_site(tmp_path):
    assert "is not a folder" in one_line_error(run("serve", str(tmp_path / "nope")))
    assert "no void.ttl" in one_line_error(run("serve", str(tmp_path)))
