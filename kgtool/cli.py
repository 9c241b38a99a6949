"""The kgtool command line: thin click commands over the library API."""

from __future__ import annotations

import functools
import sys
from pathlib import Path
from typing import Callable

import click

from . import __version__, iris
from .errors import KgtoolError, ValidationFailed

EXIT_INVALID = 1
EXIT_ERROR = 2


class Context:
    def __init__(self, quiet: bool):
        self.quiet = quiet

    def progress(self, message: str) -> None:
        if not self.quiet:
            click.echo(f"kgtool: {message}", err=True)


def handle_errors(fn: Callable) -> Callable:
    """Turn library errors into one line on stderr and exit code 2 (1 for non-conformance)."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except ValidationFailed as e:
            from .validate import render_text

            click.echo(render_text(e.report), err=True, nl=False)
            click.echo(f"kgtool: error: {e}", err=True)
            sys.exit(EXIT_INVALID)
        except KgtoolError as e:
            click.echo(f"kgtool: error: {e}", err=True)
            sys.exit(e.exit_code)

    return wrapper


def out_options(fn: Callable) -> Callable:
    """--out, --format, --base and --no-validate, shared by commands that build a graph."""
    fn = click.option("--no-validate", is_flag=True, help="Skip SHACL validation.")(fn)
    fn = click.option(
        "--base", default=iris.DEFAULT_BASE, show_default=True, help="Base IRI for minted entity IRIs."
    )(fn)
    fn = click.option(
        "--format", "formats", default="ttl,jsonld", show_default=True,
        help="Comma-separated output formats: ttl, jsonld, nt, nq.",
    )(fn)
    fn = click.option(
        "--out", default="exports", show_default=True,
        help="Output folder; '-' writes the one requested format to stdout.",
    )(fn)
    fn = click.option("--name", default=None, help="Output file stem (default: the input's stem, else 'graph').")(fn)
    return fn


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="kgtool")
@click.option("-q", "--quiet", is_flag=True, help="No progress messages on stderr.")
@click.pass_context
def main(ctx: click.Context, quiet: bool) -> None:
    """Turn scholarly papers and their citations into a validated CiTO knowledge graph."""
    ctx.obj = Context(quiet)


def emit_build(ctx: Context, result, out: str, formats: str) -> None:
    """Print a build's notes and summary, or the graph itself for --out -."""
    from .export import FORMATS, graph_name, parse_formats

    for note in result.notes:
        click.echo(f"kgtool: note: {note}", err=True)
    if out == "-":
        (fmt,) = parse_formats(formats)
        buf = sys.stdout.buffer
        fmt.write(result.graph, graph_name(result.base, result.stem), buf)
        buf.flush()
        return
    _ = FORMATS
    report = result.report
    status = "not validated"
    if report is not None:
        status = (
            f"conforms ({report.count('Violation')} violations, {report.count('Warning')} warnings, "
            f"{report.count('Info')} infos)"
        )
    r = result.resolved
    click.echo(
        f"{len(r.works)} works, {len(r.citations)} citations, {len(r.receptions)} receptions, "
        f"{len(result.graph)} triples; validation: {status}"
    )
    for f in result.files:
        click.echo(f"wrote {f}")


def _check_stdout_formats(out: str, formats: str) -> None:
    from .errors import UsageError
    from .export import parse_formats

    if out == "-" and len(parse_formats(formats)) != 1:
        raise UsageError("--out - writes to stdout and takes exactly one --format")


@main.command()
@click.argument("inputs", nargs=-1, required=True)
@out_options
@click.pass_obj
@handle_errors
def build(ctx: Context, inputs: tuple[str, ...], out: str, formats: str, base: str, no_validate: bool, name: str | None) -> None:
    """Build hub pages (INPUT... files, '-' for stdin) into one validated graph.

    Writes OUT/NAME.<format> for each format; nothing is written when validation fails.
    """
    from .pipeline import build_hub_pages, default_stem

    _check_stdout_formats(out, formats)
    stem = name or default_stem(list(inputs))
    ctx.progress(f"reading {len(inputs)} hub page(s)")
    result = build_hub_pages(
        inputs,
        out_dir=None if out == "-" else out,
        stem=stem,
        formats=formats,
        base=base,
        validate=not no_validate,
        progress=ctx.progress,
    )
    emit_build(ctx, result, out, formats)


@main.command()
@click.argument("files", nargs=-1, required=True)
@click.option("--shapes", "shapes_path", type=click.Path(exists=True), default=None,
              help="A shapes file or folder of .ttl files (default: kgtool's shapes).")
@click.option("--format", "output", type=click.Choice(["text", "ttl", "json"]), default="text", show_default=True,
              help="Report format.")
@click.option("--input-format", default=None, help="RDF format of the inputs when the suffix does not tell.")
@click.option("--engine", type=click.Choice(["auto", "pyshacl", "stream"]), default="auto", show_default=True,
              help="pySHACL on the whole graph, or the streaming validator (same report, bounded memory); "
                   "auto streams folders and inputs over 16 MB.")
@click.option("--jobs", type=click.IntRange(min=1), default=None,
              help="Worker processes for the streaming validator (default: one per CPU).")
@click.pass_obj
@handle_errors
def validate(ctx: Context, files: tuple[str, ...], shapes_path: str | None, output: str, input_format: str | None,
             engine: str, jobs: int | None) -> None:
    """Validate RDF files or folders of them (.nt .nq .ttl ..., optionally .gz) against the SHACL shapes.

    Exit 0 when the data conforms, 1 when it does not, 2 on bad input.
    """
    from .validate import RENDERERS
    from .validate_scale import validate_paths

    report = validate_paths(files, shapes_path, engine=engine, input_format=input_format,
                            collect=output == "ttl", jobs=jobs, progress=ctx.progress)
    click.echo(RENDERERS[output](report), nl=False)
    sys.exit(0 if report.conforms else EXIT_INVALID)


@main.command()
@click.argument("files", nargs=-1)
@click.option("--sparql", "sparql", default=None, help="The query text, or @FILE to read it from a file ('@-' for stdin).")
@click.option("--format", "output", type=click.Choice(["table", "csv", "tsv", "json"]), default="table", show_default=True)
@click.option("--input-format", default=None, help="RDF format of the inputs when the suffix does not tell.")
@click.pass_obj
@handle_errors
def query(ctx: Context, files: tuple[str, ...], sparql: str | None, output: str, input_format: str | None) -> None:
    """Run a SPARQL query over one or more exported files (any format)."""
    from .errors import UsageError
    from .query import render_result, run_query
    from .rdfload import load_files

    if not sparql:
        raise UsageError("give a query with --sparql 'SELECT ...' or --sparql @query.rq")
    if not files:
        raise UsageError("give one or more RDF files to query")
    text = _read_query(sparql)
    graph = load_files(files, input_format)
    click.echo(render_result(run_query(graph, text), output), nl=False)


def _read_query(spec: str) -> str:
    from .readfile import decode_utf8, read_bytes

    if spec.startswith("@"):
        name, data = read_bytes(spec[1:])
        return decode_utf8(name, data)
    return spec


@main.command()
@click.argument("files", nargs=-1, required=True)
@click.option("--format", "output", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--input-format", default=None, help="RDF format of the inputs when the suffix does not tell.")
@click.pass_obj
@handle_errors
def stats(ctx: Context, files: tuple[str, ...], output: str, input_format: str | None) -> None:
    """Works, citations, triples and each hub's reception, computed from the graph."""
    from .rdfload import load_graph
    from .stats import compute_stats, render_stats_json, render_stats_text

    graph = load_graph(files, input_format)
    s = compute_stats(graph)
    click.echo(render_stats_json(s) if output == "json" else render_stats_text(s), nl=False)


@main.command()
@click.argument("inputs", nargs=-1, required=True)
@click.option("--to", "to", default="nt.gz", show_default=True,
              help="Output syntax: nt, nq or ttl, each optionally .gz (e.g. nt.gz).")
@click.option("--out", default="exports", show_default=True,
              help="Output folder (one set of files per input); '-' writes one input's RDF to stdout.")
@click.option("--split", type=click.IntRange(min=1), default=None,
              help="Write parts of this many triples (STEM-00001.nt.gz, ...), for bulk loaders.")
@click.option("--from", "dump_format", type=click.Choice(["oc-csv", "openalex-jsonl"]), default=None,
              help="The dump's format (default: recognised from its first bytes).")
@click.option("--name", default=None, help="Output file stem (one input only; default: the input's name).")
@click.option("--base", default=iris.DEFAULT_BASE, show_default=True, help="Base IRI for minted entity IRIs.")
@click.option("--jobs", type=click.IntRange(min=1), default=None,
              help="Worker processes (default: one per CPU for dumps over a few MB).")
@click.pass_obj
@handle_errors
def convert(ctx: Context, inputs: tuple[str, ...], to: str, out: str, split: int | None, dump_format: str | None,
            name: str | None, base: str, jobs: int | None) -> None:
    """Convert citation dumps to RDF, streaming, in memory that does not grow with the input.

    INPUT is an OpenCitations Index CSV (columns oci, citing, cited, creation, timespan,
    journal_sc, author_sc) or an OpenAlex works snapshot (JSON Lines), plain or gzip; '-' is
    stdin. Each input becomes OUT/STEM.<to> (or parts, with --split), written under temporary
    names and renamed at the end. Works named by several records are written once.
    """
    from .convert import convert_dump
    from .errors import UsageError

    if name and len(inputs) > 1:
        raise UsageError("--name names one output; give one input, or leave it out")
    if out == "-" and len(inputs) > 1:
        raise UsageError("--out - writes one input to stdout; give one input")
    for path in inputs:
        result = convert_dump(
            path, to=to, out_dir=out, split=split, base=base, dump_format=dump_format, stem=name, jobs=jobs,
            progress=ctx.progress, out_stream=sys.stdout.buffer if out == "-" else None,
        )
        rate = result.triples / result.seconds if result.seconds else 0
        summary = (f"{result.input}: {result.records:,} records, {result.citations:,} citations, "
                   f"{result.triples:,} triples in {result.seconds:.1f} s ({rate:,.0f} triples/s)")
        if out == "-":
            ctx.progress(summary)
            continue
        click.echo(summary)
        for f in result.files:
            click.echo(f"wrote {f}")


if __name__ == "__main__":  # pragma: no cover
    main()
