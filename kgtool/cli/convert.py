"""kgtool convert: whole citation dumps to RDF with an engine, in bounded memory."""

from __future__ import annotations

import sys

import click

from ..map import iris
from .boundary import handle_errors
from .options import Context, check_name, command


@command("kgtool convert oc-index.csv.gz --to nt.gz --out exports --split 5000000")
@click.argument("inputs", nargs=-1, required=True)
@click.option("--to", "to", default="nt.gz", show_default=True,
              help="Output format: nt, nq or ttl, each optionally .gz (e.g. nt.gz).")
@click.option("--out", default="exports", show_default=True,
              help="Output folder (one set of files per input); '-' writes one input's RDF to stdout.")
@click.option("--split", type=click.IntRange(min=1), default=None,
              help="Write parts of this many triples (STEM-00001.nt.gz, ...), for bulk loaders.")
@click.option("--from", "dump_format", type=click.Choice(["oc-csv", "openalex-jsonl"]), default=None,
              help="The dump's format (default: recognised from its first bytes).")
@click.option("--name", default=None, help="Output file stem (one input only; default: the input's name).")
@click.option("--base", default=iris.DEFAULT_BASE, show_default=True, help="Base IRI for minted entity IRIs.")
@click.option("--engine", type=click.Choice(["duckdb", "spark"]), default="duckdb", show_default=True,
              help="DuckDB (embedded) or Spark (pip install 'kgtool[spark]'; local or a cluster).")
@click.option("--memory-limit", default=None, metavar="SIZE",
              help="Memory the engine may use before it spills to disk, e.g. 256MB, 4GB [DuckDB default: 256MB].")
@click.option("--jobs", type=click.IntRange(min=1), default=None,
              help="Threads (DuckDB) or local cores (Spark local[N]) [default: all CPUs].")
@click.option("--spark-master", default=None, metavar="URL",
              help="Spark master URL, e.g. spark://host:7077 (default: local[N]).")
@click.option("--tmp-dir", default=None, type=click.Path(file_okay=False),
              help="Where the engine spills (a folder removed at the end) [default: the system's].")
@click.pass_obj
@handle_errors
def convert(ctx: Context, inputs: tuple[str, ...], to: str, out: str, split: int | None, dump_format: str | None,
            name: str | None, base: str, engine: str, memory_limit: str | None, jobs: int | None,
            spark_master: str | None, tmp_dir: str | None) -> None:
    """Convert citation dumps to RDF with DuckDB (default) or Spark, in bounded memory.

    INPUT is an OpenCitations Index CSV (columns oci, citing, cited, creation, timespan,
    journal_sc, author_sc) or an OpenAlex works snapshot (JSON Lines), plain or gzip; '-' is
    stdin. Each input becomes OUT/STEM.<to> (or parts, with --split), written under temporary
    names and renamed at the end. Works named by several records are written once. The records
    are read as `kgtool fetch --input` reads them: the same triples.
    """
    from ..errors import UsageError
    from ..map.convert import convert_dump

    name = check_name(name)
    if name and len(inputs) > 1:
        raise UsageError("--name names one output; give one input, or leave it out")
    if out == "-" and len(inputs) > 1:
        raise UsageError("--out - writes one input to stdout; give one input")
    if spark_master and engine != "spark":
        raise UsageError("--spark-master needs --engine spark")
    for path in inputs:
        result = convert_dump(
            path, to=to, out_dir=out, split=split, base=base, dump_format=dump_format, stem=name,
            progress=ctx.progress, out_stream=sys.stdout.buffer if out == "-" else None, engine=engine,
            memory_limit=memory_limit, threads=jobs, spark_master=spark_master, tmp_dir=tmp_dir,
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
