"""Build the static linked-data site: pages, per-resource RDF, dumps, VoID/DCAT, sitemap, search.

The site is written into a temporary folder beside --out and renamed into place at the end,
so a failed run leaves the previous site (or nothing) and never half a site.
"""

from __future__ import annotations

import gzip
import os
import re
import shutil
from dataclasses import dataclass, field
from importlib import resources as importlib_resources
from pathlib import Path, PurePosixPath

from rdflib import Graph, URIRef
from rdflib.namespace import RDF

from .. import leftovers
from ..errors import UsageError
from ..map import iris
from ..map.vocab import CITO, FABIO
from ..progress import Progress, quiet
from ..serialize.export import jsonld_text, ntriples_lines, turtle_text
from .data import SiteData, load_site_data
from .describe import as_graph, cbd
from .html import page
from .layout import Resource, site_path
from .pages import SORTS, Linker, home_page, resource_page, work_page, works_list_page
from .searchindex import search_index
from .sitemap import sitemaps
from .void import DEFAULT_LICENSE, Dump, description, graph_stats

MARKER = ".kgtool-site"
DUMP_STEM = "dumps/dataset"
#: Top-level names the site uses for itself; a resource whose files would land there is skipped.
RESERVED = {"index.html", "void.ttl", "search.json", "assets", "dumps", MARKER, "robots.txt"} | {
    p for p, _ in SORTS.values()
}
_SITEMAP = re.compile(r"^sitemap(-\d+)?\.xml$")
_WORK_IRI = re.compile(r"^(?P<base>.+?/)work/(?:doi|arxiv|title)/.")
_CITATION_IRI = re.compile(r"^(?P<base>.+/)citation/[0-9a-f]{20}$")


@dataclass
class SiteResult:
    """What `build_site` wrote."""

    out_dir: Path
    base: str
    resources: int
    works: int
    hubs: int
    files: int
    rebased_from: str | None = None
    notes: list[str] = field(default_factory=list)


def graph_bases(graph: Graph) -> set[str]:
    """The bases that the graph's kgtool-minted works and citations sit under."""
    bases: set[str] = set()
    for s in graph.subjects(RDF.type, FABIO.Expression):
        m = _WORK_IRI.match(str(s))
        if m:
            bases.add(m["base"])
    for s in graph.subjects(RDF.type, CITO.Citation):
        m = _CITATION_IRI.match(str(s))
        if m:
            bases.add(m["base"])
    return bases


def rebase(graph: Graph, old: str, new: str) -> Graph:
    """A copy of the graph with every IRI under ``old`` moved under ``new``."""

    def move(term):
        if isinstance(term, URIRef) and str(term).startswith(old):
            return URIRef(new + str(term)[len(old):])
        return term

    out = Graph()
    for s, p, o in graph:
        out.add((move(s), move(p), move(o)))
    return out


def resolve_base(graph: Graph, base: str | None, allow_rebase: bool) -> tuple[Graph, str, str | None]:
    """Check that the graph's IRIs sit under base; returns (graph, base, rebased-from).

    Without --base the graph's own base is used. A graph built under another base is an
    error naming both, unless allow_rebase, which moves its IRIs under the given base.
    """
    found = graph_bases(graph)
    if not found:
        raise UsageError(
            "the input has no kgtool works or citations (fabio:Expression / cito:Citation with IRIs "
            "minted by 'kgtool build'); nothing to publish"
        )
    if base is None:
        if len(found) > 1:
            raise UsageError(f"the input mixes several bases ({', '.join(sorted(found))}); choose one with --base")
        base = next(iter(found))
    base = iris.check_base(base)
    if not base.endswith("/"):
        raise UsageError(f"--base must end in '/' for a site (hash IRIs would all be one page): {base!r}")
    if found == {base}:
        return graph, base, None
    others = sorted(found - {base})
    if allow_rebase and len(found) == 1:
        return rebase(graph, others[0], base), base, others[0]
    if allow_rebase:
        raise UsageError(f"cannot --rebase a graph that mixes several bases ({', '.join(sorted(found))})")
    raise UsageError(
        f"the graph's IRIs are under {', '.join(others)}, not under --base {base}; "
        f"rebuild with 'kgtool build --base {base}' or add --rebase to move them"
    )


def plan_resources(graph: Graph, base: str) -> tuple[dict[URIRef, Resource], list[str]]:
    """Every IRI subject under base that can be a set of files, and notes on those that cannot."""
    notes: list[str] = []
    candidates: list[Resource] = []
    outside = 0
    for s in sorted({s for s in graph.subjects() if isinstance(s, URIRef)}, key=str):
        fs, why = site_path(str(s), base)
        if fs is None:
            if why == "not under the base":
                outside += 1
            elif why != "is the base itself":
                notes.append(f"not published as its own page: <{s}> {why}")
            continue
        candidates.append(Resource(s, fs))
    if outside:
        notes.append(f"{outside} subject IRI(s) outside {base} are in the data dumps only")
    files: dict[PurePosixPath, URIRef] = {}
    for r in candidates:
        for f in r.files():
            files.setdefault(f, r.iri)
    dirs = {d for f in files for d in f.parents}
    chosen: dict[URIRef, Resource] = {}
    for r in candidates:
        clash = next((f for f in r.files() if f in dirs or files[f] != r.iri or f.parts[0] in RESERVED
                      or _SITEMAP.match(f.parts[0])), None)
        if clash is not None:
            notes.append(f"not published as its own page: <{r.iri}> (its file {clash} clashes with another)")
            continue
        chosen[r.iri] = r
    return chosen, notes


class _Writer:
    """Writes files below one root, making each folder once."""

    def __init__(self, root: Path):
        self.root = root
        self.made: set[Path] = set()

    def __call__(self, rel: PurePosixPath | str, data: str | bytes) -> int:
        p = self.root / str(rel)
        if p.parent not in self.made:
            p.parent.mkdir(parents=True, exist_ok=True)
            self.made.add(p.parent)
        b = data.encode("utf-8") if isinstance(data, str) else data
        p.write_bytes(b)
        return len(b)


def _assets() -> dict[str, bytes]:
    pkg = importlib_resources.files("kgtool.publish") / "assets"
    return {entry.name: entry.read_bytes() for entry in sorted(pkg.iterdir(), key=lambda e: e.name) if entry.is_file()}


def build_site(
    graph: Graph,
    out_dir: str | Path,
    base: str | None = None,
    *,
    rebase: bool = False,
    sparql_endpoint: str | None = None,
    license: str = DEFAULT_LICENSE,
    title: str = "Citation knowledge graph",
    progress: Progress = quiet,
) -> SiteResult:
    """Publish the graph as a static site in out_dir (replacing an earlier kgtool site there)."""
    out = Path(out_dir)
    _check_target(out)
    if sparql_endpoint is not None and not re.match(r"^https?://[^\s<>\"{}|\\^`]+$", sparql_endpoint):
        raise UsageError(f"--sparql-endpoint must be an absolute http(s) URL, got {sparql_endpoint!r}")
    if not re.match(r"^https?://[^\s<>\"{}|\\^`]+$", license):
        raise UsageError(f"--license must be the http(s) IRI of a license, got {license!r}")
    graph, base, rebased_from = resolve_base(graph, base, rebase)
    if rebased_from:
        progress(f"moved the graph's IRIs from {rebased_from} to {base}")
    resources, notes = plan_resources(graph, base)
    progress(f"querying the graph ({len(graph)} triples) for works, citations and receptions")
    data = load_site_data(graph)
    links = Linker(resources)

    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(leftovers.mkdtemp(f".{out.name}.tmp-", out.parent))
    except OSError as e:
        raise UsageError(f"--out {out}: cannot create the site folder ({e.strerror or type(e).__name__})") from None
    try:
        os.chmod(tmp, 0o755)
        count = _write_site(tmp, graph, base, data, resources, links, title, license, sparql_endpoint, progress)
        _swap_into_place(tmp, out)
    except OSError as e:
        shutil.rmtree(tmp, ignore_errors=True)
        raise UsageError(f"--out {out}: cannot write the site ({e.strerror or e or type(e).__name__})") from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    hubs = sum(1 for w in data.works.values() if w.is_hub and w.iri in resources)
    return SiteResult(out_dir=out, base=base, resources=len(resources), works=len(data.works), hubs=hubs,
                      files=count, rebased_from=rebased_from, notes=notes)


def _write_site(tmp: Path, graph: Graph, base: str, data: SiteData, resources: dict[URIRef, Resource],
                links: Linker, title: str, license: str, sparql_endpoint: str | None, progress: Progress) -> int:
    write = _Writer(tmp)
    ordered = sorted(resources.values(), key=lambda r: str(r.iri))
    progress(f"writing {len(ordered)} resources (page, Turtle, JSON-LD, N-Triples each)")
    for i, r in enumerate(ordered, start=1):
        _write_resource(write, r, graph, data, links, title)
        if i % 5000 == 0:
            progress(f"  {i}/{len(ordered)} resources")

    progress("writing dumps, indexes, VoID/DCAT and the sitemap")
    dumps = _write_dumps(write, graph, base)
    _write_indexes(write, graph, base, data, links, title, dumps)
    write("search.json", search_index(data, resources))
    for name, content in _assets().items():
        write(f"assets/{name}", content)

    hubs = [w for w in data.works.values() if w.is_hub and w.iri in resources]
    examples = tuple(w.iri for w in sorted(hubs, key=lambda w: (-len(w.citing), str(w.iri)))[:3])
    write("void.ttl", description(graph_stats(graph, base), base, dumps, title=title, license=license,
                                  sparql_endpoint=sparql_endpoint, examples=examples))
    urls = [base] + [base + name for name, _ in SORTS.values()] + [base + r.page for r in ordered]
    for name, text in sitemaps(urls, base).items():
        write(name, text)
    write(MARKER, "This folder is a site written by 'kgtool site'; kgtool replaces it on the next run.\n")
    return sum(len(files) for _, _, files in os.walk(tmp))


def _write_resource(write: _Writer, r: Resource, graph: Graph, data: SiteData, links: Linker, title: str) -> None:
    """A resource's description as Turtle, N-Triples and JSON-LD, and its page."""
    triples = cbd(graph, r.iri)
    write(r.file(".ttl"), turtle_text(triples))
    write(r.file(".nt"), "".join(ntriples_lines(triples)))
    write(r.file(".jsonld"), jsonld_text(as_graph(triples)))
    here = r.page
    work = data.works.get(r.iri)
    if work is not None:
        heading, body, desc = work_page(work, data, links, here)
    else:
        heading, body = resource_page(graph, r.iri, data, links, here)
        desc = None
    write(r.file("index.html"), page(title=heading, body=body, here=here, site_name=title,
                                     resource_url=r.representation(""), description=desc))


def _write_dumps(write: _Writer, graph: Graph, base: str) -> list[Dump]:
    """The whole graph as Turtle, N-Triples (plain and gzip) and JSON-LD."""
    dumps: list[Dump] = []
    nt = "".join(ntriples_lines(graph)).encode("utf-8")
    for rel, content, media, comp in (
        (f"{DUMP_STEM}.ttl", turtle_text(graph).encode("utf-8"), "text/turtle", None),
        (f"{DUMP_STEM}.nt", nt, "application/n-triples", None),
        (
            f"{DUMP_STEM}.nt.gz",
            gzip.compress(nt, compresslevel=9, mtime=0),
            "application/n-triples",
            "application/gzip",
        ),
        (f"{DUMP_STEM}.jsonld", jsonld_text(graph).encode("utf-8"), "application/ld+json", None),
    ):
        size = write(rel, content)
        dumps.append(Dump(base + rel, media, size, comp))
    return dumps


def _write_indexes(write: _Writer, graph: Graph, base: str, data: SiteData, links: Linker, title: str,
                   dumps: list[Dump]) -> None:
    """The home page and the lists of all works (by title, year, citations)."""
    counts = {
        "works": len(data.works),
        "citations": len(set(graph.subjects(RDF.type, CITO.Citation))),
        "triples": len(graph),
    }
    dump_links = [
        (d.url[len(base) :], f"Whole graph: {d.url.rsplit('/', 1)[-1]} ({d.byte_size:,} bytes)") for d in dumps
    ]
    write("index.html", page(title=title, body=home_page(data, links, counts, dump_links, title), here="",
                             site_name=title, scripts=("assets/search.js",)))
    for key, (name, _) in SORTS.items():
        heading, body = works_list_page(data, key, links)
        write(name, page(title=heading, body=body, here="", site_name=title, scripts=("assets/search.js",)))


def _check_target(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out} exists and is not a folder")
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER).is_file():
        raise UsageError(
            f"--out {out} is a folder that is not empty and was not written by 'kgtool site'; "
            "choose a new or empty folder (kgtool replaces only its own sites)"
        )


def _swap_into_place(tmp: Path, out: Path) -> None:
    if not out.exists():
        os.replace(tmp, out)
        return
    old = Path(leftovers.mkdtemp(f".{out.name}.old-", out.parent))
    os.rmdir(old)
    os.replace(out, old)
    try:
        os.replace(tmp, out)
    except BaseException:
        os.replace(old, out)
        raise
    shutil.rmtree(old, ignore_errors=True)
