"""The embedded, persistent store: an Oxigraph database with one named graph per loaded file.

A store is a folder that kgtool owns::

    kg.db/
      oxigraph/      the database (RocksDB, written by pyoxigraph)
      catalog.json   which file each graph came from: path, SHA-256, triple count

Loading a file replaces its graph (never duplicates it); a file whose bytes have not changed
since it was loaded is skipped. Queries see the union of all graphs as their default graph.

The store rewrites typed literals to canonical form ("0.50" becomes "0.5"): never write
exports from what the store gives back.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

from .atomic import write_files_atomically
from .engines import StoreEngine
from .errors import InputError, UsageError
from .iris import parse_iri
from .rdfload import RdfSource, oxigraph_format, read_rdf

DATA_DIR = "oxigraph"
NEW_DIR = "oxigraph.new"  # a rebuilt database, until it replaces DATA_DIR
OLD_DIR = "oxigraph.old"  # the database it replaced, until deleted
CATALOG = "catalog.json"
CATALOG_VERSION = 1

Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    pass


def file_graph_iri(path: str | Path) -> str:
    """The graph a file is loaded into: its absolute file: URI."""
    return Path(path).resolve().as_uri()


@dataclass(frozen=True)
class LoadReport:
    """What loading one file did."""

    source: str
    graph: str
    triples: int  # triples in the graph after loading
    action: str  # "loaded", "replaced" or "unchanged"


class KgStore:
    """An open kgtool store. Use as a context manager; closing releases the database lock."""

    def __init__(self, path: str | Path, *, create: bool = False, read_only: bool = False):
        import pyoxigraph as ox

        self.path = Path(path)
        self.read_only = read_only
        data = self.path / DATA_DIR
        self._made_here = create and not self.path.exists()  # removed again if nothing gets loaded
        if not read_only:
            self._finish_swap()
        if self.path.exists() and not self.path.is_dir():
            raise UsageError(f"{self.path}: is a file, not a kgtool store folder")
        if not data.is_dir():
            if not create:
                raise UsageError(f"{self.path}: no kgtool store here; create one with 'kgtool load FILE... --store {self.path}'")
            if self.path.is_dir() and any(self.path.iterdir()):
                raise UsageError(f"{self.path}: the folder is not empty and is not a kgtool store")
            try:
                self.path.mkdir(parents=True, exist_ok=True)
            except OSError as e:
                raise UsageError(f"{self.path}: cannot create the store folder ({e.strerror})") from None
        try:
            self._store = ox.Store.read_only(str(data)) if read_only else ox.Store(str(data))
        except OSError as e:
            msg = " ".join(str(e).split())
            if "lock" in msg.lower():
                raise UsageError(f"{self.path}: the store is in use by another kgtool process") from None
            raise UsageError(f"{self.path}: cannot open the store ({msg[:200]})") from None
        self._catalog = self._read_catalog()

    # --- lifecycle ---------------------------------------------------------------------------

    def _finish_swap(self) -> None:
        """Complete or undo a rebuild that a crash interrupted (see _rebuild)."""
        data, new, old = self.path / DATA_DIR, self.path / NEW_DIR, self.path / OLD_DIR
        if not data.exists() and new.is_dir() and old.is_dir():
            new.rename(data)  # the crash fell between the two renames: the new copy is complete
        for leftover in (new, old):
            if leftover.exists() and data.exists():
                shutil.rmtree(leftover)

    def close(self) -> None:
        if getattr(self, "_store", None) is not None:
            if not self.read_only:
                self._store.flush()
            self._store = None  # pyoxigraph closes the database when the Store is dropped

    def __enter__(self) -> "KgStore":
        return self

    def __exit__(self, exc_type, *exc) -> None:
        self.close()
        if exc_type is not None and self._made_here and not self._catalog["graphs"]:
            shutil.rmtree(self.path, ignore_errors=True)  # a failed first load leaves no empty store

    @property
    def store(self):
        if self._store is None:
            raise UsageError(f"{self.path}: the store is closed")
        return self._store

    def engine(self) -> StoreEngine:
        return StoreEngine(self.store)

    # --- catalog -----------------------------------------------------------------------------

    def _read_catalog(self) -> dict:
        p = self.path / CATALOG
        if not p.is_file():
            return {"version": CATALOG_VERSION, "graphs": {}}
        try:
            doc = json.loads(p.read_text(encoding="utf-8"))
            if doc.get("version") != CATALOG_VERSION or not isinstance(doc.get("graphs"), dict):
                raise ValueError("unknown catalog version")
            return doc
        except ValueError as e:
            raise UsageError(f"{p}: unreadable store catalog ({e})") from None

    def _write_catalog(self) -> None:
        text = json.dumps(self._catalog, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
        write_files_atomically({self.path / CATALOG: lambda fh: fh.write(text.encode("utf-8"))})

    def graphs(self) -> dict[str, dict]:
        """Graph IRI -> {'source', 'sha256', 'triples'} for every loaded file."""
        return dict(self._catalog["graphs"])

    # --- loading -----------------------------------------------------------------------------

    def load(self, path: str | Path, graph: str | None = None, fmt: str | None = None, *, force: bool = False) -> LoadReport:
        """Load one file into its own named graph, replacing what that graph held.

        A file that replaces a graph is parsed completely before the old graph is touched (or,
        when the graph is at least half the store, the store is rebuilt beside the old one and
        swapped in); a new graph whose file fails to parse part-way is removed again. Either
        way a syntax error leaves the store as it was.
        """
        import pyoxigraph as ox

        if self.read_only:
            raise UsageError(f"{self.path}: the store is open read-only")
        if graph is None:
            if str(path) == "-":
                raise UsageError("give --graph IRI when loading from stdin")
            graph = file_graph_iri(path)
        else:
            graph = str(parse_iri(graph, "--graph"))
        src = read_rdf(path, fmt)
        g = ox.NamedNode(graph)
        entries = self._catalog["graphs"]
        old = entries.get(graph)
        exists = self.store.contains_named_graph(g)
        if not force and old and old.get("sha256") == src.sha256 and exists:
            return LoadReport(src.name, graph, old.get("triples", 0), "unchanged")

        total = sum(e.get("triples", 0) for e in entries.values())
        rebuild = exists and old is not None and old.get("triples", 0) * 2 >= total
        if exists and not rebuild:  # parse it all first: a file that does not parse must not cost the old graph
            for _ in src.triples():
                pass
        if old is not None:  # forget the old state before changing the graph
            del entries[graph]
            self._write_catalog()
        if rebuild:
            # Deleting a large graph quad by quad is slow in RocksDB (~40 s for a million
            # triples here); copying the rest into a fresh database is quicker, and atomic.
            try:
                self._rebuild(g, src)
            except BaseException:
                entries[graph] = old  # the old database, and so the old graph, is still there
                self._write_catalog()
                raise
        else:
            if exists:
                self.store.remove_graph(g)
            try:
                self._bulk_load(self.store, g, src)
            except InputError:
                self.store.remove_graph(g)  # a new graph: drop what was loaded before the error
                raise
        self.store.optimize()  # compacts what the bulk load wrote: faster lookups afterwards
        n = self.count_graph(graph)
        entries[graph] = {"source": src.name if src.name == "<stdin>" else str(Path(src.name).resolve()),
                          "sha256": src.sha256, "triples": n}
        self._write_catalog()
        return LoadReport(src.name, graph, n, "replaced" if exists else "loaded")

    @staticmethod
    def _bulk_load(store, g, src: RdfSource) -> None:
        import pyoxigraph as ox

        if src.parser not in ("turtle", "nt"):  # quads (and JSON-LD's graphs) all go into g
            store.bulk_extend(ox.Quad(s, p, o, g) for s, p, o in src.triples())
            return
        # pyoxigraph's own loader is ~1.4x quicker than quads through Python and as strict as
        # rdfload, but for RDF 1.2 terms, which are looked for afterwards when the text may hold
        # them (a failed load's graph is dropped by the caller).
        fmt, plain = oxigraph_format(src.parser), src.plain_file
        try:
            if plain is not None:
                store.bulk_load(path=str(plain), format=fmt, base_iri=src.base_iri, to_graph=g)
            else:
                with src.stream() as data:
                    store.bulk_load(data, fmt, base_iri=src.base_iri, to_graph=g)
        except SyntaxError as e:
            raise src.syntax_error(e) from None
        if src.maybe_rdf12:
            for row in store.query(f"SELECT ?o WHERE {{ GRAPH <{g.value}> {{ ?s ?p ?o "
                                   "FILTER(isTRIPLE(?o) || hasLANGDIR(?o)) } } LIMIT 1"):
                raise src.rdf12_error(isinstance(row["o"], ox.Literal))

    def _rebuild(self, g, src: RdfSource) -> None:
        """Swap in a fresh database holding every graph but ``g``, plus ``src`` as ``g``.

        Readers of the old database and a failure part-way both see the old store whole.
        """
        import pyoxigraph as ox

        data, new, old = self.path / DATA_DIR, self.path / NEW_DIR, self.path / OLD_DIR
        shutil.rmtree(new, ignore_errors=True)
        fresh = ox.Store(str(new))
        try:
            fresh.bulk_extend(q for q in self.store.quads_for_pattern(None, None, None, None) if q.graph_name != g)
            self._bulk_load(fresh, g, src)
            fresh.flush()
        except BaseException:
            fresh = None  # closes the new database
            shutil.rmtree(new, ignore_errors=True)
            raise
        fresh = None
        self._store = None  # release the old database before moving it aside
        data.rename(old)
        new.rename(data)
        shutil.rmtree(old)
        self._store = ox.Store(str(data))

    def load_files(
        self,
        paths: Iterable[str | Path],
        graph: str | None = None,
        fmt: str | None = None,
        *,
        force: bool = False,
        progress: Progress = _quiet,
    ) -> list[LoadReport]:
        """Load several files, one graph each (``graph`` names the graph of a single file)."""
        paths = list(paths)
        if graph is not None and len(paths) != 1:
            raise UsageError("--graph names the graph of one file; give exactly one file with it")
        if len(set(map(str, paths))) != len(paths) or ("-" in map(str, paths) and len(paths) > 1):
            raise UsageError("each file may be given once, and '-' only on its own")
        reports = []
        for p in paths:
            progress(f"loading {p}")
            reports.append(self.load(p, graph, fmt, force=force))
        return reports

    def count_graph(self, graph: str) -> int:
        from .terms import iri_ref

        res = self.engine().query(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH {iri_ref(graph)} {{ ?s ?p ?o }} }}")
        return int(res.rows[0][0])

    def remove(self, graph: str) -> None:
        """Drop a graph and its catalog entry."""
        import pyoxigraph as ox

        self.store.remove_graph(ox.NamedNode(graph))
        if self._catalog["graphs"].pop(graph, None) is not None:
            self._write_catalog()


def open_store(path: str | Path, *, create: bool = False, read_only: bool = False) -> KgStore:
    return KgStore(path, create=create, read_only=read_only)
