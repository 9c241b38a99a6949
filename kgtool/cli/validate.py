"""kgtool validate: RDF files against the SHACL shapes, with a report."""

from __future__ import annotations

import sys

import click

from .boundary import EXIT_INVALID, handle_errors
from .options import Context, command, input_format_option, renamed

REPORTS = click.Choice(["text", "ttl", "json"])


@command("kgtool validate exports/papers.nt --report json --fail-on warning")
@click.argument("files", nargs=-1, required=True)
@click.option("--shapes", "shapes_path", type=click.Path(exists=True), default=None,
              help="A shapes file or folder of .ttl files (default: kgtool's shapes).")
@click.option("--report", "output", type=REPORTS, default="text", show_default=True, help="Report format.")
@renamed("--format", "--report", "output", type=REPORTS)
@input_format_option
@click.option("--engine", type=click.Choice(["auto", "pyshacl", "duckdb"]), default="auto", show_default=True,
              help="pySHACL on the whole graph in memory, or shapes compiled to SQL over DuckDB (same report, "
                   "bounded memory); auto uses DuckDB for folders and inputs over 256 KB.")
@click.option("--fail-on", type=click.Choice(["violation", "warning", "info"]), default="violation",
              show_default=True, help="The lowest severity that makes validation fail (exit 1).")
@click.pass_obj
@handle_errors
def validate(ctx: Context, files: tuple[str, ...], shapes_path: str | None, output: str, input_format: str | None,
             engine: str, fail_on: str) -> None:
    """Validate RDF files or folders of them (.nt .nq .ttl ..., optionally .gz) against the SHACL shapes.

    Exit 0 when there is no violation (no result at --fail-on or above), 1 when there is, 2 on bad
    input or shapes an engine cannot check exactly. The report's sh:conforms is SHACL's: false
    whenever there is a result of any severity.
    """
    from ..validate.shacl import RENDERERS
    from ..validate.sql import validate_paths

    report = validate_paths(files, shapes_path, engine=engine, input_format=input_format,
                            collect=output == "ttl", progress=ctx.progress)
    click.echo(RENDERERS[output](report), nl=False)
    sys.exit(EXIT_INVALID if report.fails(fail_on) else 0)
