"""A build recipe: one TOML file naming every source, the base, the outputs and the targets.

``kgtool build kgtool.toml`` reads the sources (files, API queries, dumps), resolves them into one
graph, writes the exports, then syncs each target (sync.py): the embedded store and SPARQL
endpoints receive only what changed, so a second run with unchanged inputs (and HTTP cache)
writes byte-identical files and sends no update. See docs/keeping-fresh.md for the keys.

Every key is checked before anything is read or written; a bad one is one line naming it
(``kgtool.toml: source[2].limit: ...``). Relative paths are relative to the recipe's folder.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, NoReturn, overload

from .errors import InputError
from .map import iris
from .progress import Progress, quiet
from .read.inputs import KINDS

_KIND_ALIASES = {"s2": "semanticscholar", "oc": "opencitations", "coci": "opencitations"}
_APIS = ("openalex", "crossref", "opencitations", "semanticscholar", "s2", "oc", "coci")


class RecipeError(InputError):
    """A recipe key that is missing, unknown or of the wrong kind."""


@dataclass(frozen=True)
class FileSource:
    path: Path
    kind: str | None  # None: recognised from the content (inputs.sniff)

    def spec(self) -> str:
        return f"{self.kind}:{self.path}" if self.kind else str(self.path)


@dataclass(frozen=True)
class ApiSource:
    api: str
    id: str
    citations: bool = False
    references: bool = False
    limit: int | None = None


@dataclass(frozen=True)
class StoreTarget:
    path: Path
    graph: str | None


@dataclass(frozen=True)
class EndpointTarget:
    url: str
    graph: str
    layout: str = "oxigraph"
    chunk_size: int = 10_000


@dataclass
class Recipe:
    path: Path
    sources: list[FileSource | ApiSource]
    base: str = iris.DEFAULT_BASE
    name: str = "graph"
    validate: bool = True
    out: Path = Path("exports")
    formats: tuple[str, ...] = ("ttl", "nt")
    enrich: tuple[str, ...] = ()
    match_threshold: Decimal | None = None
    http: dict[str, Any] = field(default_factory=dict)
    stores: list[StoreTarget] = field(default_factory=list)
    endpoints: list[EndpointTarget] = field(default_factory=list)


class _Reader:
    """Typed access to a table's keys; every error names the recipe and the key's path."""

    def __init__(self, recipe: str, table: Any, where: str):
        self.recipe, self.where = recipe, where
        if not isinstance(table, dict):
            self.fail("", f"should be a table, got {type(table).__name__}")
        self.table = table
        self.used: set[str] = set()

    def fail(self, key: str, message: str) -> NoReturn:
        name = f"{self.where}.{key}" if self.where and key else (key or self.where)
        raise RecipeError(f"{name}: {message}", source=self.recipe)

    def get(self, key: str, kind: type | tuple[type, ...], default: Any = None, *, required: bool = False) -> Any:
        self.used.add(key)
        if key not in self.table:
            if required:
                self.fail(key, "is missing")
            return default
        value = self.table[key]
        kinds = kind if isinstance(kind, tuple) else (kind,)
        if isinstance(value, bool) and bool not in kinds or not isinstance(value, kinds):
            names = " or ".join({str: "a string", bool: "true or false", int: "an integer", float: "a number",
                                 list: "a list", dict: "a table"}[k] for k in kinds)
            self.fail(key, f"should be {names}, got {value!r}")
        return value

    def strings(self, key: str, default: tuple[str, ...] = ()) -> tuple[str, ...]:
        value = self.get(key, (list, str), None)
        if value is None:
            return default
        items = value.split(",") if isinstance(value, str) else value
        if not all(isinstance(v, str) and v.strip() for v in items):
            self.fail(key, f"should be a list of names, got {value!r}")
        return tuple(v.strip() for v in items)

    def done(self) -> None:
        extra = sorted(set(self.table) - self.used)
        if extra:
            self.fail(extra[0], "is not a recipe key (see docs/keeping-fresh.md)")


def _tables(r: _Reader, key: str) -> list[tuple[str, Any]]:
    value = r.get(key, (list, dict), [])
    items = [value] if isinstance(value, dict) else value
    return [(f"{key}[{i + 1}]", t) for i, t in enumerate(items)]


def load_recipe(path: str | Path) -> Recipe:
    """Read and check a recipe (nothing else is read yet)."""
    p = Path(path)
    name = str(p)
    doc = _read_toml(p, name)
    here = p.resolve().parent
    top = _Reader(name, doc, "")
    recipe = Recipe(path=p, sources=[])

    base = top.get("base", str, iris.DEFAULT_BASE)
    try:
        recipe.base = iris.check_base(base)
    except Exception:
        top.fail("base", f"should be an absolute http(s) IRI, got {base!r}")
    recipe.name = top.get("name", str, "graph")
    if not recipe.name or "/" in recipe.name:
        top.fail("name", f"should be a file stem without '/', got {recipe.name!r}")
    recipe.validate = top.get("validate", bool, True)
    _read_output(_Reader(name, top.get("output", dict, {}), "output"), here, recipe)
    for where, table in _tables(top, "source"):
        recipe.sources.append(_read_source(_Reader(name, table, where), here))
    if not recipe.sources:
        top.fail("source", "the recipe names no [[source]]")
    _read_enrich(_Reader(name, top.get("enrich", dict, {}), "enrich"), recipe)
    _read_http(_Reader(name, top.get("http", dict, {}), "http"), here, recipe)
    for where, table in _tables(top, "store"):
        r = _Reader(name, table, where)
        graph = r.get("graph", str)
        recipe.stores.append(StoreTarget((here / r.get("path", str, required=True)).resolve(), _iri(r, "graph", graph)))
        r.done()
    for where, table in _tables(top, "endpoint"):
        recipe.endpoints.append(_read_endpoint(_Reader(name, table, where)))
    top.done()
    return recipe


def _read_toml(p: Path, name: str) -> dict[str, Any]:
    try:
        data = p.read_bytes()
    except FileNotFoundError:
        raise InputError("no such file", source=name) from None
    except OSError as e:
        raise InputError(f"cannot read: {e.strerror}", source=name) from None
    try:
        return tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise InputError("not valid UTF-8", source=name) from None
    except tomllib.TOMLDecodeError as e:
        raise InputError(f"not valid TOML ({e})", source=name) from None


def _read_output(out: _Reader, here: Path, recipe: Recipe) -> None:
    recipe.out = (here / out.get("folder", str, "exports")).resolve()
    recipe.formats = out.strings("formats", ("ttl", "nt"))
    from .serialize.export import parse_formats

    try:
        parse_formats(recipe.formats)
    except Exception as e:
        out.fail("formats", str(e))
    out.done()


def _read_source(r: _Reader, here: Path) -> FileSource | ApiSource:
    file, dump, api = r.get("file", str), r.get("dump", str), r.get("api", str)
    if sum(x is not None for x in (file, dump, api)) != 1:
        r.fail("", "needs exactly one of file, dump or api")
    source: FileSource | ApiSource
    if api is not None:
        if api.lower() not in _APIS:
            r.fail("api", f"should be one of {', '.join(_APIS)}, got {api!r}")
        ident = r.get("id", str, required=True)
        limit = r.get("limit", int)
        if limit is not None and limit < 1:
            r.fail("limit", f"should be at least 1, got {limit}")
        source = ApiSource(api.lower(), ident, r.get("citations", bool, False), r.get("references", bool, False), limit)
    else:
        kind = r.get("kind", str)
        if kind is not None:
            kind = _KIND_ALIASES.get(kind.lower(), kind.lower())
            if kind not in KINDS:
                r.fail("kind", f"should be one of {', '.join(KINDS)}, got {r.table['kind']!r}")
        source = FileSource((here / (file or dump)).resolve(), kind)
    r.done()
    return source


def _read_enrich(enrich: _Reader, recipe: Recipe) -> None:
    recipe.enrich = enrich.strings("sources")
    threshold = enrich.get("match_threshold", (int, float))
    if threshold is not None:
        if not 0 < threshold <= 1:
            enrich.fail("match_threshold", f"should be in (0, 1], got {threshold}")
        recipe.match_threshold = Decimal(str(threshold))
    enrich.done()


def _read_http(http: _Reader, here: Path, recipe: Recipe) -> None:
    mode = http.get("cache", str, "use")
    if mode not in ("use", "refresh", "off", "only"):
        http.fail("cache", f"should be use, refresh, off or only, got {mode!r}")
    recipe.http = {"cache": mode, "mailto": http.get("mailto", str), "timeout": http.get("timeout", (int, float)),
                   "retries": http.get("retries", int)}
    cache_dir = http.get("cache_dir", str)
    if cache_dir is not None:
        recipe.http["cache_dir"] = here / cache_dir
    http.done()


def _read_endpoint(r: _Reader) -> EndpointTarget:
    url = r.get("url", str, required=True)
    if not url.startswith(("http://", "https://")):
        r.fail("url", f"should be an http(s) URL, got {url!r}")
    from .push.endpoint import LAYOUTS

    layout = r.get("layout", str, "oxigraph")
    if layout not in LAYOUTS:
        r.fail("layout", f"should be one of {', '.join(LAYOUTS)}, got {layout!r}")
    chunk = r.get("chunk_size", int, 10_000)
    if chunk < 1:
        r.fail("chunk_size", f"should be at least 1, got {chunk}")
    target = EndpointTarget(url, _iri(r, "graph", r.get("graph", str, required=True)), layout, chunk)
    r.done()
    return target


@overload
def _iri(r: _Reader, key: str, value: str) -> str: ...
@overload
def _iri(r: _Reader, key: str, value: str | None) -> str | None: ...
def _iri(r: _Reader, key: str, value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return str(iris.parse_iri(value, key))
    except Exception:
        r.fail(key, f"should be an absolute IRI, got {value!r}")


@dataclass
class RecipeRun:
    """What running a recipe did."""

    build: Any  # pipeline.BuildResult
    targets: list[str]


def run_recipe(path: str | Path, *, progress: Progress = quiet) -> RecipeRun:
    """Read every source, build and write the exports, then sync every target."""
    from .fetch import fetch_bundle
    from .pipeline import build_graph
    from .read.http import HttpSettings
    from .read.inputs import read_input

    recipe = load_recipe(path)
    http = HttpSettings.from_env(**{k: v for k, v in recipe.http.items() if v is not None})
    bundles = []
    for src in recipe.sources:
        if isinstance(src, FileSource):
            progress(f"reading {src.path}")
            bundles.append(read_input(src.spec()))
        else:
            progress(f"fetching {src.api} {src.id}")
            bundles.append(fetch_bundle(src.api, src.id, citations=src.citations, references=src.references,
                                        limit=src.limit, http=http, progress=progress))
    notes: tuple[str, ...] = ()
    if recipe.enrich:
        from .map.enrich import DEFAULT_THRESHOLD, enrich

        found = enrich(bundles, recipe.enrich, threshold=recipe.match_threshold or DEFAULT_THRESHOLD, http=http,
                       progress=progress)
        bundles += found.bundles
        notes = tuple(found.notes)
    result = build_graph(bundles, out_dir=recipe.out, stem=recipe.name, formats=recipe.formats, base=recipe.base,
                         validate=recipe.validate, progress=progress)
    result.extra_notes = notes
    export = _export_to_sync(result.files)
    lines = []
    if recipe.stores:
        from .push.sync import sync_store
        from .store.embedded import open_store

        for st in recipe.stores:
            with open_store(st.path, create=True) as store:
                sr = sync_store(store, export, st.graph, progress=progress)
            lines.append(f"{sr.action} store {st.path} <{sr.graph}>: {sr.removed} removed, {sr.added} added, "
                         f"{sr.graph_triples} triples")
    for et in recipe.endpoints:
        from .push.endpoint import Endpoint
        from .push.sync import sync_push

        ep = Endpoint.from_base(et.url, et.layout)
        pr = sync_push(export, ep, et.graph, chunk_size=et.chunk_size, progress=progress)
        lines.append(f"{pr.action} endpoint {et.url} <{pr.graph}> (difference from the {pr.base}): {pr.removed} "
                     f"removed, {pr.added} added in {pr.requests} requests ({pr.bytes_sent} bytes); "
                     f"{pr.graph_triples} triples")
    return RecipeRun(result, lines)


def _export_to_sync(files: list[Path]) -> Path:
    """The export the targets are synced from: N-Triples when written, else the first file."""
    by_suffix = {f.suffix: f for f in files}
    return by_suffix.get(".nt") or by_suffix.get(".ttl") or files[0]
