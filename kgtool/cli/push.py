"""kgtool push and kgtool diff: an export into a remote SPARQL store, or only what changed."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import IO, Any

import click

from .boundary import handle_errors
from .options import Context, command, endpoint_options, input_format_option, renamed

DIFF_FORMATS = click.Choice(["patch", "update"])


@command("kgtool push exports/papers.nt --endpoint http://localhost:7878 --graph https://example.org/g/papers")
@click.argument("file")
@click.option("--graph", required=True, metavar="IRI", help="The named graph to publish into.")
@click.option("--protocol", type=click.Choice(["gsp", "update"]), default="gsp", show_default=True,
              help="gsp: SPARQL 1.1 Graph Store HTTP Protocol; update: SPARQL 1.1 Update only (INSERT DATA).")
@click.option("--mode", type=click.Choice(["replace", "merge", "sync"]), default="replace", show_default=True,
              help="replace the graph (atomically), merge the file's triples into it, or sync: send only "
                   "the difference (SPARQL Update; see docs/keeping-fresh.md).")
@click.option("--sync-state", default=None, metavar="DIR",
              help="--mode sync: where the last pushed export is kept [default: .kgtool-sync/ beside FILE].")
@click.option("--from-store", is_flag=True, help="--mode sync: ask the store what the graph holds, not the manifest.")
@click.option("--chunk-size", default=10000, show_default=True, type=click.IntRange(1),
              help="Triples per INSERT DATA request (--protocol update).")
@input_format_option
@endpoint_options(required=True)
@click.pass_obj
@handle_errors
def push(ctx: Context, file: str, graph: str, protocol: str, mode: str, chunk_size: int, input_format: str | None,
         endpoint: str, layout: str, query_url: str | None, update_url: str | None, store_url: str | None,
         retries: int, timeout: float, sync_state: str | None = None, from_store: bool = False) -> None:
    """Publish an RDF file into a named graph of a SPARQL triple store.

    Credentials come from KGTOOL_ENDPOINT_TOKEN (bearer) or KGTOOL_ENDPOINT_USER and
    KGTOOL_ENDPOINT_PASSWORD (basic). After the push the graph's triple count is checked
    against the file.
    """
    from ..push.endpoint import Endpoint
    from ..push.upload import MIXED_SWITCH, push_file

    ep = Endpoint.from_base(endpoint, layout, query_url=query_url, update_url=update_url, store_url=store_url,
                            retries=retries, timeout=timeout)
    if mode != "sync" and (sync_state or from_store):
        from ..errors import UsageError

        raise UsageError("--sync-state and --from-store go with --mode sync")
    if mode == "sync":
        from ..push.sync import sync_push

        sr = sync_push(file, ep, graph, state_dir=sync_state, chunk_size=chunk_size, fmt=input_format,
                       from_store=from_store, progress=ctx.progress)
        click.echo(
            f"{sr.action} {sr.source} -> <{sr.graph}> (difference from the {sr.base}): {sr.removed} removed, "
            f"{sr.added} added in {sr.requests} requests ({sr.bytes_sent} bytes); {sr.graph_triples} in the graph"
        )
        return
    r = push_file(file, ep, graph, protocol=protocol, mode=mode, chunk_size=chunk_size,
                  fmt=input_format, progress=ctx.progress)
    click.echo(
        f"pushed {r.source} -> <{r.graph}> ({r.protocol}, {r.mode}): {r.file_triples} triples in the file, "
        f"{r.graph_triples} in the graph"
        + ("; switched by adding, then deleting: readers could see both versions mixed meanwhile"
           if r.switch == MIXED_SWITCH else "")
    )


@command("kgtool diff old/papers.nt exports/papers.nt --to update --output changes.ru")
@click.argument("old")
@click.argument("new")
@click.option("--to", "fmt", type=DIFF_FORMATS, default="patch", show_default=True,
              help="Output format: patch, RDF Patch (TX/D/A/TC rows); update, SPARQL Update "
                   "(DELETE DATA / INSERT DATA).")
@renamed("--format", "--to", "fmt", type=DIFF_FORMATS)
@click.option("--graph", default=None, metavar="IRI",
              help="Name the graph the changes apply to (quads in the patch, GRAPH in the update).")
@click.option("--chunk-size", default=10000, show_default=True, type=click.IntRange(1),
              help="Triples per DELETE DATA / INSERT DATA operation (--to update).")
@click.option("--output", "-o", "output", default="-", show_default=True, metavar="FILE",
              help="Write the difference to this file ('-': stdout).")
@renamed("--out", "--output", "output")
@input_format_option
@click.pass_obj
@handle_errors
def diff(ctx: Context, old: str, new: str, fmt: str, graph: str | None, chunk_size: int, output: str,
         input_format: str | None) -> None:
    """The triples removed from OLD and added in NEW (any two exports; '-' is stdin).

    Streams sorted N-Triples (other inputs are sorted first, in bounded memory); blank nodes
    are refused. Exit 0 whether or not they differ; the counts go to stderr.
    """
    from ..push.diff import diff_files

    def write(fh: IO[bytes]) -> Any:
        return diff_files(old, new, fh, fmt=fmt, graph=graph, chunk=chunk_size, input_format=input_format,
                          progress=ctx.progress)

    if output == "-":
        counts = write(sys.stdout.buffer)
        sys.stdout.buffer.flush()
    else:
        from ..atomic import write_files_atomically

        found = []
        write_files_atomically({Path(output): lambda fh: found.append(write(fh))})
        counts = found[0]
    ctx.progress(f"{counts.removed} triples removed, {counts.added} added")
