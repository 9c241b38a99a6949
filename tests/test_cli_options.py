"""The command line as a whole: every command ends its help with an example that parses, option
names mean one thing across commands, old spellings still work (hidden, with a note), and the
README's command table and Python example stay true."""

from __future__ import annotations

import http.client
import re
import shlex
import subprocess
import sys
import threading
from pathlib import Path

import click
import pytest
from click.core import ParameterSource
from click.testing import CliRunner
from conftest import ROOT

from kgtool.cli import main
from kgtool.cli.options import Context

EXAMPLE = ROOT / "examples" / "hub-example.txt"
README = ROOT / "README.md"
COMMANDS = sorted(main.commands)


def run(*args: str, input: str | bytes | None = None):
    return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)


def example_of(cmd: click.Command) -> str:
    """The example line a command's help ends with."""
    m = re.search(r"Example:\s*\n\s*(kgtool .+)\s*$", cmd.epilog or "")
    assert m, f"{cmd.name}: the help does not end with 'Example: kgtool {cmd.name} ...'"
    return m.group(1).strip()


def parse_example(name: str, line: str) -> click.Context:
    """Parse LINE with command NAME without running it; unknown options and bad values fail."""
    words = shlex.split(line)
    assert words[:2] == ["kgtool", name], f"the example of {name} starts {words[:2]}"
    cmd = main.commands[name]
    parent = click.Context(main, info_name="kgtool", obj=Context(quiet=True))
    # The option parser alone (no callbacks, no conversion) refuses unknown options and missing values.
    cmd.make_parser(click.Context(cmd, info_name=name, parent=parent)).parse_args(list(words[2:]))
    ctx = cmd.make_context(name, words[2:], parent=parent, resilient_parsing=True)
    assert not ctx.args, f"{name}: the example has extra arguments {ctx.args}"
    for p in cmd.params:  # resilient parsing turns a value the type refuses into None: catch that
        if p.name and ctx.get_parameter_source(p.name) is ParameterSource.COMMANDLINE:
            assert ctx.params.get(p.name) not in (None, ()), f"{name}: the example's {p.opts[0]} does not parse"
    return ctx


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_ends_its_help_with_an_example_that_parses(name):
    line = example_of(main.commands[name])
    parse_example(name, line)
    r = run(name, "--help")
    assert r.exit_code == 0
    assert r.output.rstrip().splitlines()[-1].strip() == line  # shown last, unwrapped


def test_the_example_check_fails_on_a_wrong_example():
    with pytest.raises(click.NoSuchOption):
        parse_example("convert", "kgtool convert dump.csv --bogus 1")
    with pytest.raises(AssertionError, match="does not parse"):
        parse_example("convert", "kgtool convert dump.csv --split many")
    with pytest.raises(click.BadOptionUsage):
        parse_example("convert", "kgtool convert dump.csv --split")
    with pytest.raises(AssertionError, match="extra arguments"):
        parse_example("serve", "kgtool serve site other")
    with pytest.raises(AssertionError, match="starts"):
        parse_example("convert", "kgtool validate dump.csv")


def visible_options() -> dict[str, dict[str, click.Option]]:
    """long option name -> {command: option}, for options --help shows."""
    seen: dict[str, dict[str, click.Option]] = {}
    for name, cmd in main.commands.items():
        for p in cmd.params:
            if isinstance(p, click.Option) and not p.hidden:
                for opt in p.opts + p.secondary_opts:
                    if opt.startswith("--"):
                        seen.setdefault(opt, {})[name] = p
    return seen


# What a shared option name means, and a word its help must use in every command that has it.
MEANINGS = {
    "--to": "format",  # the output's syntax: build, fetch, convert, diff
    "--report": "report format",  # validate, stats
    "--name": "file stem",  # build, fetch, convert
    "--out": "folder",  # build, fetch, convert, site
    "--input-format": "RDF format of the input",
    "--store": "store",
    "--graph": "graph",
    "--base": "base IRI",
}


def test_one_meaning_per_option_name():
    seen = visible_options()
    assert "--format" not in seen, f"--format is shown by {sorted(seen['--format'])}; use --to or --report"
    for opt, word in MEANINGS.items():
        assert seen.get(opt), f"{opt} is used by no command"
        for cmd, p in seen[opt].items():
            assert word.lower() in (p.help or "").lower(), f"kgtool {cmd} {opt}: help does not say '{word}'"
    assert set(seen["--to"]) == {"build", "fetch", "convert", "diff"}
    assert set(seen["--report"]) == {"validate", "stats"}
    assert set(seen["--name"]) == {"build", "fetch", "convert"}
    assert "--query" in seen and set(seen["--query"]) == {"query"}


def same_run(tmp_path: Path, old: list[str], new: list[str], note: str) -> None:
    """OLD and NEW spellings give the same exit code and output; OLD adds one note on stderr."""
    a, b = run(*old), run(*new)
    assert a.exit_code == b.exit_code, (a.stderr, b.stderr)
    assert a.stdout == b.stdout
    assert note in a.stderr and "kgtool: note:" not in b.stderr
    assert a.stderr.count("\n") == b.stderr.count("\n") + 1


@pytest.fixture
def exports(tmp_path: Path) -> Path:
    r = run("-q", "build", str(EXAMPLE), "--out", str(tmp_path / "e"), "--to", "nt,ttl", "--name", "g")
    assert r.exit_code == 0, r.stderr
    return tmp_path / "e"


def test_old_spellings_still_work_with_a_note(tmp_path, exports):
    nt = str(exports / "g.nt")
    same_run(tmp_path, ["-q", "build", str(EXAMPLE), "--out", "-", "--format", "nt"],
             ["-q", "build", str(EXAMPLE), "--out", "-", "--to", "nt"], "--format is now --to")
    same_run(tmp_path, ["-q", "validate", nt, "--format", "json"], ["-q", "validate", nt, "--report", "json"],
             "--format is now --report")
    same_run(tmp_path, ["-q", "stats", nt, "--format", "json"], ["-q", "stats", nt, "--report", "json"],
             "--format is now --report")
    same_run(tmp_path, ["-q", "query", nt, "--name", "most-cited", "--results", "csv"],
             ["-q", "query", nt, "--query", "most-cited", "--results", "csv"], "--name is now --query")
    r = run("-q", "query", nt, "--name", "most-cited", "--format", "csv")
    assert "--format is now --results" in r.stderr and r.stdout.startswith("work,")


def test_old_diff_spellings_write_the_same_file(tmp_path, exports):
    old, new = exports / "g.nt", tmp_path / "new.nt"
    new.write_bytes(old.read_bytes().splitlines(keepends=True)[0])
    a, b = tmp_path / "a.ru", tmp_path / "b.ru"
    ra = run("-q", "diff", str(old), str(new), "--format", "update", "--out", str(a))
    rb = run("-q", "diff", str(old), str(new), "--to", "update", "-o", str(b))
    assert ra.exit_code == rb.exit_code == 0
    assert "--format is now --to" in ra.stderr and "--out is now --output" in ra.stderr
    assert a.read_bytes() == b.read_bytes() and b"DELETE DATA" in b.read_bytes()


def test_old_and_new_spelling_together_is_a_usage_error(exports):
    r = run("validate", str(exports / "g.nt"), "--report", "json", "--format", "text")
    assert r.exit_code == 2 and "--format is the old name of --report" in r.stderr


@pytest.mark.parametrize("name", COMMANDS)
def test_old_spellings_are_hidden(name):
    shown = run(name, "--help").output
    for p in main.commands[name].params:
        if isinstance(p, click.Option) and p.hidden:
            assert not re.search(rf"(^|[\s,]){re.escape(p.opts[0])}[\s,\[]", shown), (name, p.opts[0])


def test_a_recipe_refuses_the_old_spelling_by_its_name():
    r = run("-q", "build", str(ROOT / "examples" / "kgtool.toml"), "--format", "nt")
    assert r.exit_code == 2 and "drop --format" in r.stderr


def test_a_failed_request_in_serve_is_reported_through_the_callback(tmp_path, monkeypatch, capfd):
    """The library hands the line to a callback (the CLI prints it); it never writes stderr itself."""
    from kgtool.publish import serve

    site = tmp_path / "site"
    site.mkdir()
    (site / "void.ttl").write_text('<https://example.org/kg/void> <http://rdfs.org/ns/void#uriSpace> '
                                   '"https://example.org/kg/" .\n')

    def broken(self, body: bool) -> None:
        raise RuntimeError("a bug in a handler")

    monkeypatch.setattr(serve.SiteHandler, "_answer", broken)
    for errors in ([], None):
        server, _ = serve.make_server(site, "127.0.0.1", 0, errors=None if errors is None else errors.append)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            conn = http.client.HTTPConnection(*server.server_address[:2], timeout=10)
            conn.request("GET", "/kg/")
            with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
                conn.getresponse()
            conn.close()
        finally:
            server.shutdown()
            server.server_close()
        if errors is not None:
            assert len(errors) == 1 and "unexpected RuntimeError: a bug in a handler" in errors[0]
    assert capfd.readouterr().err == ""


def readme() -> str:
    return README.read_text(encoding="utf-8")


def test_the_readme_table_lists_every_command_with_its_example():
    text = readme()
    for name in COMMANDS:
        row = next((ln for ln in text.splitlines() if ln.startswith(f"| `{name}` |")), None)
        assert row, f"README.md's command table has no row for {name}"
        assert f"`{example_of(main.commands[name])}`" in row, f"README.md: {name}'s example differs from its --help"


def test_the_readme_python_example_runs(tmp_path):
    blocks = re.findall(r"```python\n(.*?)```", readme(), re.S)
    assert blocks, "README.md has no Python example"
    (tmp_path / "examples").mkdir()
    (tmp_path / "examples" / EXAMPLE.name).write_bytes(EXAMPLE.read_bytes())
    for code in blocks:
        r = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stderr
        assert r.stderr == ""  # the library prints nothing of its own


def test_site_into_a_folder_that_cannot_be_made_is_one_line(tmp_path, exports):
    """An OS error in the library arrives as a KgtoolError: one line naming --out, exit 2."""
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    r = run("-q", "site", str(exports / "g.ttl"), "--out", str(blocker / "site"))
    assert r.exit_code == 2
    assert re.fullmatch(rf"kgtool: error: --out {re.escape(str(blocker / 'site'))}: cannot create the site folder "
                        r"\((File exists|Not a directory)\)\n", r.stderr), r.stderr
    assert blocker.read_text() == "not a folder"


@pytest.mark.parametrize("args, message", [
    (["validate", "x.nt", "--engine", "bogus"], "Invalid value for '--engine'"),
    (["nosuch"], "No such command 'nosuch'"),
    (["validate"], "Missing argument 'FILES...'"),
    (["push", "x.nt", "--graph", "https://example.org/g"], "Missing option '--endpoint'"),
    (["convert", "x.csv", "--bogus"], "No such option '--bogus'"),
])
def test_a_usage_error_is_one_line_naming_the_option(args, message):
    r = run(*args)
    assert r.exit_code == 2 and r.stdout == ""
    assert r.stderr.startswith(f"kgtool: error: {message}") and r.stderr.count("\n") == 1, r.stderr
    assert f"(see 'kgtool {args[0] + ' ' if args[0] in main.commands else ''}--help')" in r.stderr


def test_kgtool_alone_still_shows_the_help():
    r = run()
    assert "Usage: kgtool [OPTIONS] COMMAND" in r.output and "Commands:" in r.output
