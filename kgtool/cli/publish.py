"""kgtool site and kgtool serve: a static linked-data site, and a preview server for it."""

from __future__ import annotations

import click

from .boundary import handle_errors
from .options import Context, command, input_format_option


@command("kgtool site exports/papers.ttl --out site --title 'My citations'")
@click.argument("files", nargs=-1, required=True)
@click.option("--out", required=True, help="Folder to write the site into (replaces an earlier kgtool site there).")
@click.option("--base", default=None,
              help="Base IRI the site is published at; must be the graph's base (default: the graph's own base).")
@click.option("--rebase", is_flag=True, help="Move the graph's IRIs under --base when it was built under another base.")
@click.option("--sparql-endpoint", default=None, help="URL of a SPARQL endpoint serving the data (named in void.ttl).")
@click.option("--license", "license_", default=None,
              help="IRI of the data's license for void.ttl and DCAT [default: CC0 1.0].")
@click.option("--title", default="Citation knowledge graph", show_default=True, help="The site's and dataset's title.")
@input_format_option
@click.pass_obj
@handle_errors
def site(ctx: Context, files: tuple[str, ...], out: str, base: str | None, rebase: bool, sparql_endpoint: str | None,
         license_: str | None, title: str, input_format: str | None) -> None:
    """Publish exported RDF FILES as a static linked-data site.

    Every work and citation gets a page (OUT/<path>/index.html) and its description as
    <path>.ttl, .jsonld and .nt; hubs get the citation report; plus void.ttl (VoID and DCAT),
    sitemap.xml, dumps and a searchable index of all works. Preview with 'kgtool serve OUT'.
    """
    from ..publish.site import build_site
    from ..publish.void import DEFAULT_LICENSE
    from ..read.rdfload import load_graph

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


@command("kgtool serve site --port 8000")
@click.argument("site_dir", metavar="SITE")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535), help="Port (0: any free port).")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.pass_obj
@handle_errors
def serve(ctx: Context, site_dir: str, port: int, host: str) -> None:
    """Preview a site written by 'kgtool site', with content negotiation at resource IRIs.

    Prints the site's URL, then serves until interrupted; request lines go to stderr (-q: none).
    """
    from ..publish.serve import make_server

    server, url = make_server(site_dir, host, port, log=None if ctx.quiet else lambda m: click.echo(m, err=True),
                              errors=lambda m: click.echo(f"kgtool: error: {m}", err=True))
    click.echo(f"serving {site_dir} at {url}")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
