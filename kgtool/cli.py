"""The kgtool command line: thin click commands over the library API."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from pathlib import Path

import click

from . import __version__
from .errors import KgtoolError, ValidationFailed
from .map import iris

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
            from .validate.shacl import render_text

            click.echo(render_text(e.report), err=True, nl=False)
            click.echo(f"kgtool: error: {e}", err=True)
            sys.exit(EXIT_INVALID)
        except KgtoolError as e:
            _fail(str(e), e.exit_code)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException, SystemExit):
            raise
        except KeyboardInterrupt:
            _fail("interrupted", 130)
        except Exception as e:  # the boundary: no traceback reaches a user (KGTOOL_DEBUG=1 shows it)
            if os.environ.get("KGTOOL_DEBUG"):
                raise
            _fail(describe_unexpected(e), EXIT_ERROR)

    return wrapper


def _fail(message: str, code: int) -> None:
    """One line on stderr (every configured secret masked), then exit."""
    from .secrets import mask

    click.echo(f"kgtool: error: {mask(' '.join(message.split()))}", err=True)
    sys.exit(code)


def describe_unexpected(e: BaseException) -> str:
    """One line for an error the library did not turn into a KgtoolError."""
    import errno

    if isinstance(e, OSError):
        what = e.strerror or " ".join(str(e).split()) or type(e).__name__
        where = e.filename if e.filename is not None else None
        if e.errno == errno.ENOSPC:
            what = "no space left on the device (nothing was kept of the partial output)"
        elif e.errno == errno.EDQUOT:
            what = "disk quota exceeded (nothing was kept of the partial output)"
        return f"{where}: {what}" if where is not None else what
    if isinstance(e, MemoryError):
        return "out of memory"
    if isinstance(e, RecursionError):
        return "the input is nested too deeply to process"
    detail = " ".join(str(e).split())[:300]
    return (f"unexpected {type(e).__name__}{': ' + detail if detail else ''} "
            "(a kgtool bug; run again with KGTOOL_DEBUG=1 for the traceback and report it)")


def _check_name(name: str | None) -> str | None:
    """--name, if given, must name a file inside --out."""
    from .safenames import check_stem

    return None if name is None else check_stem(name)


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


def http_options(fn: Callable) -> Callable:
    """Options of commands that call scholarly APIs (see 'Fetching from scholarly APIs')."""
    fn = click.option("--retries", type=click.IntRange(min=0), default=None,
                      help="Extra attempts after a 429, 5xx, timeout or broken connection [default: 4].")(fn)
    fn = click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=None,
                      help="Seconds to wait for an answer [default: 30].")(fn)
    fn = click.option("--cache-dir", type=click.Path(file_okay=False), envvar="KGTOOL_CACHE_DIR", default=None,
                      help="Response cache folder [default: ~/.cache/kgtool/http].")(fn)
    fn = click.option("--no-cache", is_flag=True, help="Neither read nor write the response cache.")(fn)
    fn = click.option("--refresh", is_flag=True, help="Fetch again and overwrite what the cache holds.")(fn)
    fn = click.option("--offline", is_flag=True, help="Use only cached responses; a miss is an error.")(fn)
    fn = click.option("--mailto", envvar="KGTOOL_MAILTO", default=None,
                      help="Contact e-mail sent in the User-Agent (polite pools) [env: KGTOOL_MAILTO].")(fn)
    return fn


def http_settings(mailto: str | None, offline: bool, refresh: bool, no_cache: bool, cache_dir: str | None,
                  timeout: float | None, retries: int | None):
    from .errors import UsageError
    from .read.http import HttpSettings

    if sum((offline, refresh, no_cache)) > 1:
        raise UsageError("use at most one of --offline, --refresh and --no-cache")
    mode = "only" if offline else "refresh" if refresh else "off" if no_cache else "use"
    return HttpSettings.from_env(
        mailto=mailto, cache=mode, cache_dir=Path(cache_dir) if cache_dir else None, timeout=timeout, retries=retries
    )


def _quiet_here(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value:
        ctx.find_object(Context).quiet = True


class _Group(click.Group):
    """Every command also takes -q/--quiet after its name (``kgtool convert ... --quiet``)."""

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        cmd.params.append(click.Option(["-q", "--quiet"], is_flag=True, expose_value=False, callback=_quiet_here,
                                       help="No progress messages on stderr."))
        super().add_command(cmd, name)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="kgtool")
@click.option("-q", "--quiet", is_flag=True, help="No progress messages on stderr.")
@click.pass_context
def main(ctx: click.Context, quiet: bool) -> None:
    """Turn scholarly papers and their citations into a validated CiTO knowledge graph."""
    from .leftovers import sweep_common

    ctx.obj = Context(quiet)
    sweep_common()  # scratch folders of runs that were killed


def emit_build(ctx: Context, result, out: str, formats: str) -> None:
    """Print a build's notes and summary, or the graph itself for --out -."""
    from .serialize.export import graph_name, parse_formats

    for note in result.notes:
        click.echo(f"kgtool: note: {note}", err=True)
    if out == "-":
        (fmt,) = parse_formats(formats)
        buf = sys.stdout.buffer
        fmt.write(result.graph, graph_name(result.base, result.stem), buf)
        buf.flush()
        return
    from .validate.shacl import status_line

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
    from .errors import UsageError
    from .serialize.export import parse_formats

    if out == "-" and len(parse_formats(formats)) != 1:
        raise UsageError("--out - writes to stdout and takes exactly one --format")


@main.command()
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
          name: str | None, enrich: str | None, match_threshold: float | None, **http) -> None:
    """Build hub pages, saved API answers and small dumps into one validated graph.

    INPUT is [SOURCE:]FILE ('-' for stdin): SOURCE is hub, openalex, crossref, opencitations or
    semanticscholar (s2), else recognised from the content. A single RECIPE.toml input runs a
    recipe instead (sources, outputs and targets; see docs/keeping-fresh.md). All inputs are resolved together:
    one paper, one node. Writes OUT/NAME.<format> for each format; nothing is written when
    validation fails (or when an --enrich lookup fails).
    """
    from decimal import Decimal

    from .errors import UsageError
    from .pipeline import build_hub_pages, default_stem

    if len(inputs) == 1 and inputs[0].endswith(".toml"):
        _build_recipe(ctx, inputs[0])
        return
    _check_stdout_formats(out, formats)
    name = _check_name(name)
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
    from .errors import UsageError
    from .recipe import run_recipe

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


@main.command()
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
          **http) -> None:
    """Fetch a work (and its citations) from a scholarly API into a validated graph.

    SOURCE is openalex, s2 (semanticscholar), crossref or opencitations; IDENTIFIER is what
    that API knows the work by: W2741809807, arXiv:2504.01805, a DOI, doi:10..., oci:...
    Everything is fetched before anything is written: a crawl that fails writes nothing.
    """
    from .fetch import default_stem, fetch_and_build

    _check_stdout_formats(out, formats)
    name = _check_name(name)
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


@main.command()
@click.argument("files", nargs=-1, required=True)
@click.option("--shapes", "shapes_path", type=click.Path(exists=True), default=None,
              help="A shapes file or folder of .ttl files (default: kgtool's shapes).")
@click.option("--format", "output", type=click.Choice(["text", "ttl", "json"]), default="text", show_default=True,
              help="Report format.")
@click.option("--input-format", default=None, help="RDF format of the inputs when the suffix does not tell.")
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
    from .validate.shacl import RENDERERS
    from .validate.sql import validate_paths

    report = validate_paths(files, shapes_path, engine=engine, input_format=input_format,
                            collect=output == "ttl", progress=ctx.progress)
    click.echo(RENDERERS[output](report), nl=False)
    sys.exit(EXIT_INVALID if report.fails(fail_on) else 0)


def endpoint_options(required: bool, services: tuple[str, ...] = ("query", "update", "store")) -> Callable:
    """--endpoint and the options that locate and reach its services."""
    opts = [
        click.option("--endpoint", required=required, default=None, metavar="URL",
                     help="The SPARQL server's base URL (see --layout)."),
        click.option("--layout", default="oxigraph", show_default=True, metavar="SERVER",
                     help="Service paths under --endpoint: oxigraph, fuseki, graphdb, virtuoso, qlever."),
    ]
    what = {"query": "SPARQL query", "update": "SPARQL update", "store": "Graph Store Protocol"}
    opts += [click.option(f"--{svc}-url", default=None, metavar="URL", help=f"Override the {what[svc]} service URL.")
             for svc in services]
    opts += [
        click.option("--retries", default=3, show_default=True, type=click.IntRange(0, 10),
                     help="Retries of a transient failure (connection refused, timeout, HTTP 429/502/503/504)."),
        click.option("--timeout", default=120.0, show_default=True, type=click.FloatRange(min=1),
                     help="Seconds to wait for each answer."),
    ]

    def decorate(fn: Callable) -> Callable:
        for opt in reversed(opts):
            fn = opt(fn)
        return fn

    return decorate


@main.command()
@click.argument("files", nargs=-1)
@click.option(
    "--sparql", "sparql", default=None, help="The query text, or @FILE to read it from a file ('@-' for stdin)."
)
@click.option("--name", "query_name", default=None, help="Run a shipped query by name (see --list).")
@click.option("--param", "params", multiple=True, metavar="NAME=VALUE",
              help="A parameter of the shipped query, bound as an RDF term; repeatable.")
@click.option("--list", "list_queries", is_flag=True, help="List the shipped queries and their parameters, then exit.")
@click.option(
    "--store", "store_path", default=None, metavar="DIR", help="Query the embedded store (see 'kgtool load')."
)
@endpoint_options(required=False, services=("query",))
@click.option("--default-graph", "default_graphs", multiple=True, metavar="IRI",
              help="With --endpoint: query the merge of these graphs (default: the server's default graph).")
@click.option(
    "--format", "output", type=click.Choice(["table", "csv", "tsv", "json"]), default="table", show_default=True
)
@click.option("--input-format", default=None, help="RDF format of the inputs when the suffix does not tell.")
@click.pass_obj
@handle_errors
def query(ctx: Context, files: tuple[str, ...], sparql: str | None, query_name: str | None, params: tuple[str, ...],
          list_queries: bool, store_path: str | None, endpoint: str | None, layout: str, query_url: str | None,
          retries: int, timeout: float, default_graphs: tuple[str, ...], output: str, input_format: str | None) -> None:
    """Run SPARQL over exported files (any format), the embedded store, or an endpoint.

    Give the query with --sparql, or run a shipped one with --name and --param NAME=VALUE.
    """
    from .errors import UsageError
    from .store.named_queries import describe_queries, parse_param_options, run_named
    from .store.query import render_result

    if list_queries:
        click.echo(describe_queries(), nl=False)
        return
    if (sparql is None) == (query_name is None):
        raise UsageError(
            "give a query with --sparql 'SELECT ...' or --sparql @query.rq, or a shipped one with --name (see --list)"
        )
    if params and not query_name:
        raise UsageError("--param goes with --name (a shipped query declares its parameters)")
    if sum(map(bool, (files, store_path, endpoint))) != 1:
        raise UsageError("give RDF files to query, or --store DIR, or --endpoint URL (exactly one of them)")
    if default_graphs and not endpoint:
        raise UsageError("--default-graph goes with --endpoint")
    values = parse_param_options(params)
    text = _read_query(sparql) if sparql is not None else None

    def run(engine) -> None:
        result = run_named(engine, query_name, values) if query_name else engine.query(text)
        click.echo(render_result(result, output), nl=False)

    if store_path:
        from .store.embedded import open_store

        with open_store(store_path, read_only=True) as store:
            run(store.engine())
    elif endpoint:
        from .push.endpoint import Endpoint
        from .store.engines import EndpointEngine

        ep = Endpoint.from_base(endpoint, layout, query_url=query_url, retries=retries, timeout=timeout)
        run(EndpointEngine(ep, default_graphs))
    else:
        from .read.rdfload import load_files
        from .store.engines import GraphEngine

        run(GraphEngine(load_files(files, input_format)))


def _read_query(spec: str) -> str:
    from .read.readfile import decode_utf8, read_bytes

    if spec.startswith("@"):
        name, data = read_bytes(spec[1:])
        return decode_utf8(name, data)
    return spec


@main.command()
@click.argument("files", nargs=-1)
@click.option(
    "--store", "store_path", default=None, metavar="DIR", help="Compute from the embedded store instead of files."
)
@click.option("--format", "output", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--input-format", default=None, help="RDF format of the inputs when the suffix does not tell.")
@click.pass_obj
@handle_errors
def stats(ctx: Context, files: tuple[str, ...], store_path: str | None, output: str, input_format: str | None) -> None:
    """Works, citations, triples and each hub's reception, computed from the graph."""
    from .errors import UsageError
    from .store.stats import compute_stats, render_stats_json, render_stats_text

    if bool(files) == bool(store_path):
        raise UsageError("give RDF files, or --store DIR (one of them)")
    if store_path:
        from .store.embedded import open_store

        with open_store(store_path, read_only=True) as store:
            s = compute_stats(store.engine())
    else:
        from .read.rdfload import load_graph

        s = compute_stats(load_graph(files, input_format))
    click.echo(render_stats_json(s) if output == "json" else render_stats_text(s), nl=False)



@main.command()
@click.argument("files", nargs=-1, required=True)
@click.option("--out", required=True, help="Folder to write the site into (replaces an earlier kgtool site there).")
@click.option("--base", default=None,
              help="Base IRI the site is published at; must be the graph's base (default: the graph's own base).")
@click.option("--rebase", is_flag=True, help="Move the graph's IRIs under --base when it was built under another base.")
@click.option("--sparql-endpoint", default=None, help="URL of a SPARQL endpoint serving the data (named in void.ttl).")
@click.option("--license", "license_", default=None,
              help="IRI of the data's license for void.ttl and DCAT [default: CC0 1.0].")
@click.option("--title", default="Citation knowledge graph", show_default=True, help="The site's and dataset's title.")
@click.option("--input-format", default=None, help="RDF format of the inputs when the suffix does not tell.")
@click.pass_obj
@handle_errors
def site(ctx: Context, files: tuple[str, ...], out: str, base: str | None, rebase: bool, sparql_endpoint: str | None,
         license_: str | None, title: str, input_format: str | None) -> None:
    """Publish exported RDF FILES as a static linked-data site.

    Every work and citation gets a page (OUT/<path>/index.html) and its description as
    <path>.ttl, .jsonld and .nt; hubs get the citation report; plus void.ttl (VoID and DCAT),
    sitemap.xml, dumps and a searchable index of all works. Preview with 'kgtool serve OUT'.
    """
    from .publish.site import build_site
    from .publish.void import DEFAULT_LICENSE
    from .read.rdfload import load_graph

    ctx.progress(f"loading {len(files)} file(s)")
    graph = load_graph(files, input_format)
    result = build_site(graph, out, base, rebase=rebase, sparql_endpoint=sparql_endpoint,
                        license=license_ or DEFAULT_LICENSE, title=title, progress=ctx.progress)
    if license_ is None:
        ctx.progress(f"no --license given: void.ttl declares {DEFAULT_LICENSE}")
    for note in result.notes:
        click.echo(f"kgtool: note: {note}", err=True)
    click.echo(
        f"{result.works} works ({result.hubs} hubs), {result.resources} resources published under {result.base}; "
        f"wrote {result.files} files to {result.out_dir}"
    )


@main.command()
@click.argument("site_dir", metavar="SITE")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535), help="Port (0: any free port).")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.pass_obj
@handle_errors
def serve(ctx: Context, site_dir: str, port: int, host: str) -> None:
    """Preview a site written by 'kgtool site', with content negotiation at resource IRIs.

    Prints the site's URL, then serves until interrupted; request lines go to stderr (-q: none).
    """
    from .publish.serve import make_server

    server, url = make_server(site_dir, host, port, log=None if ctx.quiet else lambda m: click.echo(m, err=True))
    click.echo(f"serving {site_dir} at {url}")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


@main.command()
@click.argument("files", nargs=-1, required=True)
@click.option("--store", "store_path", required=True, metavar="DIR", help="The store folder (created when missing).")
@click.option("--graph", default=None, metavar="IRI",
              help="The graph to load one file into (default: the file's absolute file: URI).")
@click.option("--force", is_flag=True, help="Reload files even when their bytes have not changed.")
@click.option("--sync", "sync_", is_flag=True,
              help="Change only the difference between the graph and the file (one transaction).")
@click.option("--input-format", default=None, help="RDF format of the inputs when the suffix does not tell.")
@click.pass_obj
@handle_errors
def load(ctx: Context, files: tuple[str, ...], store_path: str, graph: str | None, force: bool, sync_: bool,
         input_format: str | None) -> None:
    """Load RDF files into the embedded store, one named graph per file.

    Loading a file again replaces its graph (--sync: changes only what differs); an unchanged
    file is skipped.
    """
    from .store.embedded import open_store

    if sync_:
        from .errors import UsageError
        from .push.sync import sync_store

        if graph is not None and len(files) != 1:
            raise UsageError("--graph names the graph of one file; give exactly one file with it")
        with open_store(store_path, create=True) as store:
            for f in files:
                r = sync_store(store, f, graph, fmt=input_format, progress=ctx.progress)
                click.echo(f"{r.action} {r.source} -> <{r.graph}>: {r.removed} removed, {r.added} added, "
                           f"{r.graph_triples} triples")
        return
    with open_store(store_path, create=True) as store:
        for r in store.load_files(files, graph, input_format, force=force, progress=ctx.progress):
            click.echo(f"{r.action} {r.source} -> <{r.graph}>: {r.triples} triples")


@main.command()
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
@click.option("--input-format", default=None, help="RDF format of the input when the suffix does not tell.")
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
    from .push.endpoint import Endpoint
    from .push.upload import push_file

    ep = Endpoint.from_base(endpoint, layout, query_url=query_url, update_url=update_url, store_url=store_url,
                            retries=retries, timeout=timeout)
    if mode != "sync" and (sync_state or from_store):
        from .errors import UsageError

        raise UsageError("--sync-state and --from-store go with --mode sync")
    if mode == "sync":
        from .push.sync import sync_push

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
    )


@main.command()
@click.argument("old")
@click.argument("new")
@click.option("--format", "fmt", type=click.Choice(["patch", "update"]), default="patch", show_default=True,
              help="patch: RDF Patch (TX/D/A/TC rows); update: SPARQL Update (DELETE DATA / INSERT DATA).")
@click.option("--graph", default=None, metavar="IRI",
              help="Name the graph the changes apply to (quads in the patch, GRAPH in the update).")
@click.option("--chunk-size", default=10000, show_default=True, type=click.IntRange(1),
              help="Triples per DELETE DATA / INSERT DATA operation (--format update).")
@click.option("--out", "-o", "out", default="-", show_default=True, help="Write the difference here ('-': stdout).")
@click.option("--input-format", default=None, help="RDF format of the inputs when the suffix does not tell.")
@click.pass_obj
@handle_errors
def diff(ctx: Context, old: str, new: str, fmt: str, graph: str | None, chunk_size: int, out: str,
         input_format: str | None) -> None:
    """The triples removed from OLD and added in NEW (any two exports; '-' is stdin).

    Streams sorted N-Triples (other inputs are sorted first, in bounded memory); blank nodes
    are refused. Exit 0 whether or not they differ; the counts go to stderr.
    """
    from .push.diff import diff_files

    if out == "-":
        counts = diff_files(old, new, sys.stdout.buffer, fmt=fmt, graph=graph, chunk=chunk_size,
                            input_format=input_format, progress=ctx.progress)
        sys.stdout.buffer.flush()
    else:
        from .atomic import write_files_atomically

        found = []

        def write(fh) -> None:
            found.append(diff_files(old, new, fh, fmt=fmt, graph=graph, chunk=chunk_size,
                                    input_format=input_format, progress=ctx.progress))

        write_files_atomically({Path(out): write})
        counts = found[0]
    ctx.progress(f"{counts.removed} triples removed, {counts.added} added")


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
    from .errors import UsageError
    from .map.convert import convert_dump

    name = _check_name(name)
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


if __name__ == "__main__":  # pragma: no cover
    main()
