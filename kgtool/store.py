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

import gzip
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

from .atomic import write_files_atomically
from .engines import StoreEngine
from .errors import InputError, UsageError
from .rdfload import QUAD_FORMATS, rdf_format
from .readfile import read_bytes

DATA_DIR = "oxigraph"
CATALOG = "catalog.json"
CATALOG_VERSION = 1

Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    pass


def oxigraph_format(parser: str):
    """The pyoxigraph RdfFormat for one of rdfload's parser names."""
    import pyoxigraph as ox

    return {
        "turtle": ox.RdfFormat.TURTLE,
        "nt": ox.RdfFormat.N_TRIPLES,
        "nquads": ox.RdfFormat.N_QUADS,
        "trig": ox.RdfFormat.TRIG,
        "json-ld": ox.RdfFormat.JSON_LD,
        "xml": ox.RdfFormat.RDF_XML,
    }[parser]


def file_graph_iri(path: str | Path) -> str:
    """The graph a file is loaded into: its absolute file: URI."""
    return Path(path).resolve().as_uri()


@dataclass(frozen=True)
class RdfSource:
    """One RDF file read into memory (decompressed), with its format and digest."""

    name: str
    data: bytes
    parser: str  # an rdfload parser name
    sha256: str

    @property
    def is_quads(self) -> bool:
        return self.parser in QUAD_FORMATS

    def triples(self):
        """Parse with pyoxigraph, yielding (s, p, o) pyoxigraph terms; graph names are dropped."""
        import pyoxigraph as ox

        try:
            for q in ox.parse(self.data, format=oxigraph_format(self.parser)):
                yield q.subject, q.predicate, q.object
        except SyntaxError as e:
            raise InputError(f"cannot parse as {self.parser}: {' '.join(str(e).split())[:300]}", source=self.name) from None


def read_rdf(path: str | Path, fmt: str | None = None) -> RdfSource:
    """Read an RDF file ('-' is stdin, '.gz' is decompressed) without parsing it yet."""
    name, data = read_bytes(path)
    parser = rdf_format(path, fmt)
    if name.endswith(".gz"):
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as e:
            raise InputError(f"not a valid gzip file ({e})", source=name) from None
    return RdfSource(name, data, parser, hashlib.sha256(data).hexdigest())


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

    def close(self) -> None:
        if getattr(self, "_store", None) is not None:
            if not self.read_only:
                self._store.flush()
            self._store = None  # pyoxigraph closes the database when the Store is dropped

    def __enter__(self) -> "KgStore":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

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

        The file is parsed completely before the old graph is touched, so a syntax error
        leaves the store as it was.
        """
        import pyoxigraph as ox

        if self.read_only:
            raise UsageError(f"{self.path}: the store is open read-only")
        if graph is None:
            if str(path) == "-":
                raise UsageError("give --graph IRI when loading from stdin")
            graph = file_graph_iri(path)
        src = read_rdf(path, fmt)
        g = ox.NamedNode(graph)
        entries = self._catalog["graphs"]
        old = entries.get(graph)
        exists = self.store.contains_named_graph(g)
        if not force and old and old.get("sha256") == src.sha256 and exists:
            return LoadReport(src.name, graph, old.get("triples", 0), "unchanged")

        # Validate first: a file that does not parse must not cost the old graph.
        for _ in src.triples():
            pass
        if old is not None:  # forget the old state before changing the graph
            del entries[graph]
            self._write_catalog()
        if exists:
            self.store.remove_graph(g)
        if src.is_quads:
            self.store.bulk_extend(ox.Quad(s, p, o, g) for s, p, o in src.triples())
        else:
            self.store.bulk_load(src.data, oxigraph_format(src.parser), to_graph=g)
        n = self.count_graph(graph)
        entries[graph] = {"source": src.name if src.name == "<stdin>" else str(Path(src.name).resolve()),
                          "sha256": src.sha256, "triples": n}
        self._write_catalog()
        return LoadReport(src.name, graph, n, "replaced" if exists else "loaded")

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
