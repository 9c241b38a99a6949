"""kgtool load, query and stats: the embedded store, SPARQL over files, stores or endpoints."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click

from .boundary import handle_errors
from .options import Context, command, endpoint_options, input_format_option, renamed

RESULTS = click.Choice(["table", "csv", "tsv", "json"])
STATS_REPORTS = click.Choice(["text", "json"])


@command("kgtool load exports/papers.nt --store kgstore")
@click.argument("files", nargs=-1, required=True)
@click.option("--store", "store_path", required=True, metavar="DIR", help="The store folder (created when missing).")
@click.option("--graph", default=None, metavar="IRI",
              help="The graph to load one file into (default: the file's absolute file: URI).")
@click.option("--force", is_flag=True, help="Reload files even when their bytes have not changed.")
@click.option("--sync", "sync_", is_flag=True,
              help="Change only the difference between the graph and the file (one transaction).")
@input_format_option
@click.pass_obj
@handle_errors
def load(ctx: Context, files: tuple[str, ...], store_path: str, graph: str | None, force: bool, sync_: bool,
         input_format: str | None) -> None:
    """Load RDF files into the embedded store, one named graph per file.

    Loading a file again replaces its graph (--sync: changes only what differs); an unchanged
    file is skipped.
    """
    from ..store.embedded import open_store

    if sync_:
        from ..errors import UsageError
        from ..push.sync import sync_store

        if graph is not None and len(files) != 1:
            raise UsageError("--graph names the graph of one file; give exactly one file with it")
        with open_store(store_path, create=True) as store:
            for f in files:
                sr = sync_store(store, f, graph, fmt=input_format, progress=ctx.progress)
                click.echo(f"{sr.action} {sr.source} -> <{sr.graph}>: {sr.removed} removed, {sr.added} added, "
                           f"{sr.graph_triples} triples")
        return
    with open_store(store_path, create=True) as store:
        for r in store.load_files(files, graph, input_format, force=force, progress=ctx.progress):
            click.echo(f"{r.action} {r.source} -> <{r.graph}>: {r.triples} triples")


@command("kgtool query exports/papers.ttl --query co-citation --param min=3 --results csv")
@click.argument("files", nargs=-1)
@click.option(
    "--sparql", "sparql", default=None, help="The query text, or @FILE to read it from a file ('@-' for stdin)."
)
@click.option("--query", "query_name", default=None, metavar="NAME", help="Run a shipped query by name (see --list).")
@renamed("--name", "--query", "query_name")
@click.option("--param", "params", multiple=True, metavar="NAME=VALUE",
              help="A parameter of the shipped query, bound as an RDF term; repeatable.")
@click.option("--list", "list_queries", is_flag=True, help="List the shipped queries and their parameters, then exit.")
@click.option(
    "--store", "store_path", default=None, metavar="DIR", help="Query the embedded store (see 'kgtool load')."
)
@endpoint_options(required=False, services=("query",))
@click.option("--default-graph", "default_graphs", multiple=True, metavar="IRI",
              help="With --endpoint: query the merge of these graphs (default: the server's default graph).")
@click.option("--results", "output", type=RESULTS, default="table", show_default=True,
              help="How SELECT results are printed (CONSTRUCT results are Turtle).")
@renamed("--format", "--results", "output", type=RESULTS)
@input_format_option
@click.pass_obj
@handle_errors
def query(ctx: Context, files: tuple[str, ...], sparql: str | None, query_name: str | None, params: tuple[str, ...],
          list_queries: bool, store_path: str | None, endpoint: str | None, layout: str, query_url: str | None,
          retries: int, timeout: float, default_graphs: tuple[str, ...], output: str, input_format: str | None) -> None:
    """Run SPARQL over exported files (any format), the embedded store, or an endpoint.

    Give the query with --sparql, or run a shipped one with --query NAME and --param NAME=VALUE.
    """
    from ..store.named_queries import describe_queries, parse_param_options, run_named
    from ..store.query import render_result

    if list_queries:
        click.echo(describe_queries(), nl=False)
        return
    _check_query_args(files, sparql, query_name, params, store_path, endpoint, default_graphs)
    values = parse_param_options(params)
    text = _read_query(sparql) if sparql is not None else None
    with _engine(files, input_format, store_path, endpoint, layout, query_url, retries, timeout,
                 default_graphs) as engine:
        result = run_named(engine, query_name, values) if query_name else engine.query(text)
        click.echo(render_result(result, output), nl=False)


def _check_query_args(files: tuple[str, ...], sparql: str | None, query_name: str | None, params: tuple[str, ...],
                      store_path: str | None, endpoint: str | None, default_graphs: tuple[str, ...]) -> None:
    from ..errors import UsageError

    if (sparql is None) == (query_name is None):
        raise UsageError(
            "give a query with --sparql 'SELECT ...' or --sparql @query.rq, or a shipped one with --query NAME "
            "(see --list)"
        )
    if params and not query_name:
        raise UsageError("--param goes with --query (a shipped query declares its parameters)")
    if sum(map(bool, (files, store_path, endpoint))) != 1:
        raise UsageError("give RDF files to query, or --store DIR, or --endpoint URL (exactly one of them)")
    if default_graphs and not endpoint:
        raise UsageError("--default-graph goes with --endpoint")


@contextmanager
def _engine(files: tuple[str, ...], input_format: str | None, store_path: str | None, endpoint: str | None,
            layout: str, query_url: str | None, retries: int, timeout: float,
            default_graphs: tuple[str, ...]) -> Iterator[Any]:
    """The engine that answers the query: the store, an endpoint, or the files loaded in memory."""
    if store_path:
        from ..store.embedded import open_store

        with open_store(store_path, read_only=True) as store:
            yield store.engine()
    elif endpoint:
        from ..push.endpoint import Endpoint
        from ..store.engines import EndpointEngine

        ep = Endpoint.from_base(endpoint, layout, query_url=query_url, retries=retries, timeout=timeout)
        yield EndpointEngine(ep, default_graphs)
    else:
        from ..read.rdfload import load_files
        from ..store.engines import GraphEngine

        yield GraphEngine(load_files(files, input_format))


def _read_query(spec: str) -> str:
    from ..read.readfile import decode_utf8, read_bytes

    if spec.startswith("@"):
        name, data = read_bytes(spec[1:])
        return decode_utf8(name, data)
    return spec


@command("kgtool stats --store kgstore --report json")
@click.argument("files", nargs=-1)
@click.option(
    "--store", "store_path", default=None, metavar="DIR", help="Compute from the embedded store instead of files."
)
@click.option("--report", "output", type=STATS_REPORTS, default="text", show_default=True, help="Report format.")
@renamed("--format", "--report", "output", type=STATS_REPORTS)
@input_format_option
@click.pass_obj
@handle_errors
def stats(ctx: Context, files: tuple[str, ...], store_path: str | None, output: str, input_format: str | None) -> None:
    """Works, citations, triples and each hub's reception, computed from the graph."""
    from ..errors import UsageError
    from ..store.stats import compute_stats, render_stats_json, render_stats_text

    if bool(files) == bool(store_path):
        raise UsageError("give RDF files, or --store DIR (one of them)")
    if store_path:
        from ..store.embedded import open_store

        with open_store(store_path, read_only=True) as store:
            s = compute_stats(store.engine())
    else:
        from ..read.rdfload import load_graph

        s = compute_stats(load_graph(files, input_format))
    click.echo(render_stats_json(s) if output == "json" else render_stats_text(s), nl=False)
