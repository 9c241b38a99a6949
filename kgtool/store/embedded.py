"""The embedded, persistent store: an Oxigraph database with one named graph per loaded file.

A store is a folder that kgtool owns::

    kg.db/
      oxigraph/      the database (RocksDB, written by pyoxigraph)
      catalog.json   which file each graph came from: path, SHA-256, triple count

Loading a file replaces its graph (never duplicates it); a file whose bytes have not changed
since it was loaded is skipped. Queries see the union of all graphs as their default graph.

Crash safety: the catalog is the commit record. A load first writes the new graph where no
reader looks (a staging graph, or a whole new database beside the old one), then commits by
writing the catalog with the new entry and a ``pending`` note of what is left to do (move the
staged graph into place, or swap the databases). Killed before that write, the old graph and
its entry are intact and the next writable open drops the staged data; killed after it, the
next open rolls the change forward. Either way catalog and data agree again.

The store rewrites typed literals to canonical form ("0.50" becomes "0.5"): never write
exports from what the store gives back.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..atomic import write_files_atomically
from ..errors import UsageError
from ..map.iris import parse_iri
from ..progress import Progress, quiet
from ..read.rdfload import RdfSource, oxigraph_format, parser_buffer_full, read_rdf
from .engines import StoreEngine

if TYPE_CHECKING:  # pragma: no cover
    import pyoxigraph

DATA_DIR = "oxigraph"
NEW_DIR = "oxigraph.new"  # a rebuilt database, until it replaces DATA_DIR
OLD_DIR = "oxigraph.old"  # the database it replaced, until deleted
CATALOG = "catalog.json"
CATALOG_VERSION = 1
STAGING = "urn:kgtool:staging:"  # graphs a load writes before it commits; never user data


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
        self.path = Path(path)
        self.read_only = read_only
        data = self.path / DATA_DIR
        self._made_here = create and not self.path.exists()  # removed again if nothing gets loaded
        self._lock_fd: int | None = None
        self._store: pyoxigraph.Store | None = None
        if self.path.exists() and not self.path.is_dir():
            raise UsageError(f"{self.path}: is a file, not a kgtool store folder")
        try:
            self._open(data, create, read_only)
        except BaseException:
            self._unlock()
            raise

    def _open(self, data: Path, create: bool, read_only: bool) -> None:
        import pyoxigraph as ox

        if read_only:
            if self.path.is_dir() and (self._read_catalog().get("pending") or (self.path / NEW_DIR).exists()
                                       or (self.path / OLD_DIR).exists()):
                try:
                    KgStore(self.path).close()  # an interrupted load: finish or undo it first
                except UsageError:
                    pass  # a writer has it open: the leftovers are its work in progress
        elif self.path.is_dir():
            self._lock()
            self._finish_swap()
        if not data.is_dir():
            if not create:
                raise UsageError(
                    f"{self.path}: no kgtool store here; create one with 'kgtool load FILE... --store {self.path}'"
                )
            if self.path.is_dir() and any(self.path.iterdir()):
                raise UsageError(f"{self.path}: the folder is not empty and is not a kgtool store")
            try:
                self.path.mkdir(parents=True, exist_ok=True)
            except OSError as e:
                raise UsageError(f"{self.path}: cannot create the store folder ({e.strerror})") from None
            if not read_only and self._lock_fd is None:
                self._lock()
        try:
            self._store = ox.Store.read_only(str(data)) if read_only else ox.Store(str(data))
        except OSError as e:
            msg = " ".join(str(e).split())
            if "lock" in msg.lower():
                raise UsageError(f"{self.path}: the store is in use by another kgtool process") from None
            raise UsageError(f"{self.path}: cannot open the store ({msg[:200]})") from None
        self._catalog = self._read_catalog()
        if not read_only:
            self._recover()

    # --- lifecycle ---------------------------------------------------------------------------

    def _finish_swap(self) -> None:
        """Complete a committed database swap a crash interrupted, or drop an uncommitted one
        (see _rebuild); also remove temporary catalog files of a crashed write."""
        data, new, old = self.path / DATA_DIR, self.path / NEW_DIR, self.path / OLD_DIR
        if not self.path.is_dir():
            return
        for part in self.path.glob(f".{CATALOG}.*.part"):
            part.unlink(missing_ok=True)
        pending = self._read_catalog().get("pending") or {}
        if pending.get("kind") == "rebuild":  # committed: roll forward
            if new.is_dir():
                if data.exists():
                    if old.exists():
                        shutil.rmtree(old)
                    data.rename(old)
                new.rename(data)
        elif not data.exists() and old.is_dir():  # only a committed swap moves data aside
            old.rename(data)
        for leftover in (new, old):
            if leftover.exists() and data.exists():
                shutil.rmtree(leftover)

    def _recover(self) -> None:
        """Finish or undo what an interrupted load left pending; drop stray staging graphs."""
        import pyoxigraph as ox

        pending = self._catalog.get("pending")
        if pending:
            kind = pending.get("kind")
            if kind == "new":  # not committed: the graph is partial
                self.store.remove_graph(ox.NamedNode(pending["graph"]))
            elif kind == "swap":  # committed: move the staged graph into place
                self._move_staged(ox.NamedNode(pending["graph"]), ox.NamedNode(pending["staging"]))
            elif kind == "drop":  # committed and moved: only the staged copy is left to drop
                self.store.remove_graph(ox.NamedNode(pending["staging"]))
            self._set_pending(None)
        for g in list(self.store.named_graphs()):
            if isinstance(g, ox.NamedNode) and g.value.startswith(STAGING):
                self.store.remove_graph(g)
        self.store.flush()

    def _set_pending(self, pending: dict | None) -> None:
        if pending is None:
            self._catalog.pop("pending", None)
        else:
            self._catalog["pending"] = pending
        self._write_catalog()

    def _lock(self) -> None:
        """Hold the store folder's lock while open for writing: recovery must never touch the
        work in progress of another writer (the database's own lock comes later)."""
        import fcntl

        fd = os.open(self.path, os.O_RDONLY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise UsageError(f"{self.path}: the store is in use by another kgtool process") from None
        self._lock_fd = fd

    def _unlock(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    def close(self) -> None:
        try:
            if getattr(self, "_store", None) is not None:  # absent when __init__ failed early
                if not self.read_only:
                    self.store.flush()
                self._store = None  # pyoxigraph closes the database when the Store is dropped
        finally:
            self._store = None
            self._unlock()

    def __enter__(self) -> KgStore:
        return self

    def __exit__(self, exc_type, *exc) -> None:
        try:
            self.close()
        except OSError:
            if exc_type is None:
                raise
            self._store = None  # the first error (a full disk, say) is the one to report
        if exc_type is not None and self._made_here and not self._catalog["graphs"]:
            shutil.rmtree(self.path, ignore_errors=True)  # a failed first load leaves no empty store

    @property
    def store(self) -> pyoxigraph.Store:
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

    def load(
        self, path: str | Path, graph: str | None = None, fmt: str | None = None, *, force: bool = False
    ) -> LoadReport:
        """Load one file into its own named graph, replacing what that graph held.

        A file that replaces a graph is loaded into a staging graph first (or, when the graph
        is at least half the store, the store is rebuilt beside the old one and swapped in);
        the old graph and its catalog entry stay whole until the catalog commits the new one.
        A syntax error, or a crash at any moment, leaves the store as it was (or, after the
        commit, as it is meant to be once the next open has rolled the change forward).
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
        if graph.startswith(STAGING):
            raise UsageError(f"--graph: IRIs under {STAGING} are kgtool's own")
        src = read_rdf(path, fmt)
        g = ox.NamedNode(graph)
        entries = self._catalog["graphs"]
        old = entries.get(graph)
        exists = self.store.contains_named_graph(g)
        if not force and old and old.get("sha256") == src.sha256 and exists:
            return LoadReport(src.name, graph, old.get("triples", 0), "unchanged")

        total = sum(e.get("triples", 0) for e in entries.values())
        rebuild = exists and old is not None and old.get("triples", 0) * 2 >= total
        source = src.name if src.name == "<stdin>" else str(Path(src.name).resolve())
        entry = {"source": source, "sha256": src.sha256}
        if rebuild:
            # Deleting a large graph quad by quad is slow in RocksDB (~40 s for a million
            # triples here); copying the rest into a fresh database is quicker, and atomic.
            n = self._rebuild(g, src, graph, entry)
        elif exists:
            n = self._replace_staged(g, src, graph, entry)
        else:
            n = self._load_new(g, src, graph, entry)
        self.store.optimize()  # compacts what the bulk load wrote: faster lookups afterwards
        return LoadReport(src.name, graph, n, "replaced" if exists else "loaded")

    def _load_new(self, g, src: RdfSource, graph: str, entry: dict) -> int:
        """Load a graph the store does not hold; until the catalog names it, it is dropped on recovery."""
        self._set_pending({"kind": "new", "graph": graph})
        try:
            self._bulk_load(self.store, g, src)
        except BaseException:
            self.store.remove_graph(g)  # drop what was loaded before the error
            self._set_pending(None)
            raise
        self.store.flush()
        n = self.count_graph(graph)
        self._catalog["graphs"][graph] = {**entry, "triples": n}
        self._set_pending(None)  # the commit
        return n

    def _replace_staged(self, g, src: RdfSource, graph: str, entry: dict) -> int:
        """Load into a staging graph, commit in the catalog, then move it into place."""
        import pyoxigraph as ox

        staging = ox.NamedNode(f"{STAGING}{uuid.uuid4().hex}")
        self._set_pending({"kind": "staging", "staging": staging.value})  # recovery drops it
        try:
            self._bulk_load(self.store, staging, src)
        except BaseException:
            self.store.remove_graph(staging)
            self._set_pending(None)
            raise
        self.store.flush()
        n = self.count_graph(staging.value)
        self._catalog["graphs"][graph] = {**entry, "triples": n}
        self._set_pending({"kind": "swap", "graph": graph, "staging": staging.value})  # the commit
        self._move_staged(g, staging)
        self._set_pending(None)
        return n

    def _move_staged(self, g, staging) -> None:
        """Replace ``g`` by the staged graph; repeatable until it returns (recovery redoes it)."""
        import pyoxigraph as ox

        self.store.remove_graph(g)
        self.store.bulk_extend(ox.Quad(q.subject, q.predicate, q.object, g)
                               for q in self.store.quads_for_pattern(None, None, None, staging))
        self.store.flush()
        self._set_pending({"kind": "drop", "staging": staging.value})
        self.store.remove_graph(staging)
        self.store.flush()

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
        except MemoryError as e:  # pyoxigraph's parser buffer, not the machine's memory
            if not parser_buffer_full(e):
                raise
            raise src.syntax_error(e) from None
        if src.maybe_rdf12:
            for row in store.query(f"SELECT ?o WHERE {{ GRAPH <{g.value}> {{ ?s ?p ?o "
                                   "FILTER(isTRIPLE(?o) || hasLANGDIR(?o)) } } LIMIT 1"):
                raise src.rdf12_error(isinstance(row["o"], ox.Literal))

    def _rebuild(self, g, src: RdfSource, graph: str, entry: dict) -> int:
        """Swap in a fresh database holding every graph but ``g``, plus ``src`` as ``g``.

        The catalog write that names the new entry is the commit; a crash before it leaves
        the old database (and graph) whole, one after it is rolled forward by _finish_swap.
        """
        import pyoxigraph as ox

        from ..serialize.terms import iri_ref

        data, new, old = self.path / DATA_DIR, self.path / NEW_DIR, self.path / OLD_DIR
        shutil.rmtree(new, ignore_errors=True)
        fresh = ox.Store(str(new))
        try:
            fresh.bulk_extend(q for q in self.store.quads_for_pattern(None, None, None, None)
                              if q.graph_name != g and not str(q.graph_name).startswith(f"<{STAGING}"))
            self._bulk_load(fresh, g, src)
            fresh.flush()
            res = StoreEngine(fresh).query(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH {iri_ref(graph)} {{ ?s ?p ?o }} }}")
            n = res.count()
        except BaseException:
            del fresh  # closes the new database
            shutil.rmtree(new, ignore_errors=True)
            raise
        del fresh
        self._catalog["graphs"][graph] = {**entry, "triples": n}
        self._set_pending({"kind": "rebuild"})  # the commit
        self._store = None  # release the old database before moving it aside
        data.rename(old)
        new.rename(data)
        shutil.rmtree(old)
        self._store = ox.Store(str(data))
        self._set_pending(None)
        return n

    def load_files(
        self,
        paths: Iterable[str | Path],
        graph: str | None = None,
        fmt: str | None = None,
        *,
        force: bool = False,
        progress: Progress = quiet,
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

    def apply_update(self, text: str) -> None:
        """Run SPARQL Update text (one transaction), e.g. a difference from sync.py."""
        if self.read_only:
            raise UsageError(f"{self.path}: the store is open read-only")
        self.store.update(text)

    def record_graph(self, graph: str, source: str, sha256: str, triples: int) -> None:
        """Note in the catalog which file a graph now holds (after a sync)."""
        self._catalog["graphs"][graph] = {"source": source, "sha256": sha256, "triples": triples}
        self._write_catalog()

    def count_graph(self, graph: str) -> int:
        from ..serialize.terms import iri_ref

        res = self.engine().query(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH {iri_ref(graph)} {{ ?s ?p ?o }} }}")
        return res.count()

    def remove(self, graph: str) -> None:
        """Drop a graph and its catalog entry."""
        import pyoxigraph as ox

        self.store.remove_graph(ox.NamedNode(graph))
        if self._catalog["graphs"].pop(graph, None) is not None:
            self._write_catalog()


def open_store(path: str | Path, *, create: bool = False, read_only: bool = False) -> KgStore:
    return KgStore(path, create=create, read_only=read_only)
