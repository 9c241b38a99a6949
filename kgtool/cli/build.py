"""kgtool build and kgtool fetch: papers and citations into one validated graph, in memory."""

from __future__ import annotations

import sys
from typing import Any

import click

from .boundary import handle_errors
from .options import Context, check_name, command, http_options, http_settings, out_options


def emit_build(ctx: Context, result: Any, out: str, formats: str) -> None:
    """Print a build's notes and summary, or the graph itself for --out -."""
    from ..serialize.export import graph_name, parse_formats

    for note in result.notes:
        click.echo(f"kgtool: note: {note}", err=True)
    if out == "-":
        (fmt,) = parse_formats(formats)
        buf = sys.stdout.buffer
        fmt.write(result.graph, graph_name(result.base, result.stem), buf)
        buf.flush()
        return
    from ..validate.shacl import status_line

    report = result.report
    status = "not validated" if report is None else status_line(report)
    r = result.resolved
    # Facts normal in the data are counted here, not reported per work by the shapes.
    no_id = sum(1 for w, _ in r.works.values() if not (w.doi or w.arxiv))
    no_title = sum(1 for w, _ in r.works.values() if not w.title)
    click.echo(
        f"{len(r.works)} works, {len(r.citations)} citations, {len(r.receptions)} receptions, "
        f"{len(result.graph)} triples; {no_id} works without DOI or arXiv id, {no_title} without title; "
        f"validation: {status}"
    )
    click.echo(r.accounting())
    for f in result.files:
        click.echo(f"wrote {f}")


def _check_stdout_formats(out: str, formats: str) -> None:
    from ..errors import UsageError
    from ..serialize.export import parse_formats

    if out == "-" and len(parse_formats(formats)) != 1:
        raise UsageError("--out - writes to stdout and takes exactly one --to format")


@command("kgtool build hub:page.txt openalex:works.json --to ttl,nt --out exports --name papers")
@click.argument("inputs", nargs=-1, required=True)
@out_options
@click.option("--enrich", default=None, metavar="SOURCES",
              help="Look up works known only by title in these APIs, e.g. 'openalex,s2'.")
@click.option("--match-threshold", type=click.FloatRange(0, 1, min_open=True), default=None,
              help="Lowest normalized-title similarity --enrich accepts [default: 1.0, equal titles].")
@http_options
@click.pass_obj
@handle_errors
def build(ctx: Context, inputs: tuple[str, ...], out: str, formats: str, base: str, no_validate: bool,
          name: str | None, enrich: str | None, match_threshold: float | None, **http: Any) -> None:
    """Build hub pages, saved API answers and small dumps into one validated graph.

    INPUT is [SOURCE:]FILE ('-' for stdin): SOURCE is hub, openalex, crossref, opencitations or
    semanticscholar (s2), else recognised from the content. A single RECIPE.toml input runs a
    recipe instead (sources, outputs and targets; see docs/keeping-fresh.md). All inputs are resolved together:
    one paper, one node. Writes OUT/NAME.<format> for each format; nothing is written when
    validation fails (or when an --enrich lookup fails).
    """
    from decimal import Decimal

    from ..errors import UsageError
    from ..pipeline import build_hub_pages, default_stem

    if len(inputs) == 1 and inputs[0].endswith(".toml"):
        _build_recipe(ctx, inputs[0])
        return
    _check_stdout_formats(out, formats)
    name = check_name(name)
    if match_threshold is not None and not enrich:
        raise UsageError("--match-threshold only applies with --enrich")
    stem = name or default_stem(list(inputs))
    ctx.progress(f"reading {len(inputs)} input(s)")
    result = build_hub_pages(
        inputs,
        out_dir=None if out == "-" else out,
        stem=stem,
        formats=formats,
        base=base,
        validate=not no_validate,
        progress=ctx.progress,
        enrich=enrich or (),
        match_threshold=Decimal(str(match_threshold)) if match_threshold is not None else None,
        http=http_settings(**http) if enrich else None,
    )
    emit_build(ctx, result, out, formats)


def _build_recipe(ctx: Context, path: str) -> None:
    """kgtool build RECIPE.toml: the recipe holds every setting (see docs/keeping-fresh.md)."""
    from ..errors import UsageError
    from ..recipe import run_recipe

    click_ctx = click.get_current_context()
    given = [p.opts[0] for p in click_ctx.command.params
             if p.name not in ("inputs", "quiet") and p.name is not None
             and click_ctx.get_parameter_source(p.name) == click.core.ParameterSource.COMMANDLINE]
    if given:
        raise UsageError(f"{path}: a recipe holds every setting; drop {', '.join(given)} (or set it in the recipe)")
    run = run_recipe(path, progress=ctx.progress)
    emit_build(ctx, run.build, str(run.build.files[0].parent) if run.build.files else "exports", "nt")
    for line in run.targets:
        click.echo(line)


@command("kgtool fetch openalex W2741809807 --citations --limit 50 --to ttl --out exports")
@click.argument("source")
@click.argument("identifier", required=False)
@click.option("--citations", is_flag=True, help="Also fetch the works that cite it.")
@click.option("--references", is_flag=True, help="Also fetch the works it cites.")
@click.option("--limit", type=click.IntRange(min=1), default=None,
              help="At most N citing and N cited works [default: all, paging to the end].")
@click.option("--input", "input_path", default=None, metavar="FILE",
              help="Read a saved answer of SOURCE (JSON; CSV for opencitations; '-' for stdin) instead of calling it.")
@out_options
@http_options
@click.pass_obj
@handle_errors
def fetch(ctx: Context, source: str, identifier: str | None, citations: bool, references: bool, limit: int | None,
          input_path: str | None, out: str, formats: str, base: str, no_validate: bool, name: str | None,
          **http: Any) -> None:
    """Fetch a work (and its citations) from a scholarly API into a validated graph.

    SOURCE is openalex, s2 (semanticscholar), crossref or opencitations; IDENTIFIER is what
    that API knows the work by: W2741809807, arXiv:2504.01805, a DOI, doi:10..., oci:...
    Everything is fetched before anything is written: a crawl that fails writes nothing.
    """
    from ..fetch import default_stem, fetch_and_build

    _check_stdout_formats(out, formats)
    name = check_name(name)
    result = fetch_and_build(
        source,
        identifier,
        citations=citations,
        references=references,
        limit=limit,
        input_path=input_path,
        http=http_settings(**http),
        progress=ctx.progress,
        out_dir=None if out == "-" else out,
        stem=name or default_stem(source, identifier, input_path),
        formats=formats,
        base=base,
        validate=not no_validate,
    )
    emit_build(ctx, result, out, formats)
