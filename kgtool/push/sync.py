"""Sync a named graph with an export by sending only the difference (diff.py).

``push --mode sync`` (a SPARQL endpoint) finds what the graph holds in one of two ways:

* the **manifest**: after each sync the pushed export is kept, sorted, beside it
  (``<export folder>/.kgtool-sync/``, one snapshot per endpoint and graph, listed in
  ``manifest.json``). It is used when the graph still holds as many triples as the snapshot;
* else it **asks the store** for the graph (Graph Store Protocol GET, or a CONSTRUCT query).

The difference goes as SPARQL Update ``DELETE DATA`` / ``INSERT DATA``. When it fits in one
request (``push.CHUNK_BYTES``) it is one request, which stores that run a request as one
transaction (Oxigraph, Fuseki, GraphDB) apply atomically. A larger one is applied to a copy of the
graph (``COPY``), checked, and moved into place (``MOVE``), so readers never see half of it
(into an empty graph the chunks go directly: there is nothing to protect). Virtuoso shows readers
a ``MOVE`` in progress (docs/stores.md): there the staged graph is switched in by one SQL
transaction (servers.py), with the ``MOVE`` only where that is refused.
Afterwards the graph's triple count must equal the export's. An unchanged export sends no update.

``load --sync`` does the same on the embedded store (store.py), reading the graph from the store
and applying the difference in one transaction.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from ..atomic import write_files_atomically
from ..errors import EndpointError, UsageError
from ..map.iris import parse_iri
from ..progress import Progress, quiet
from ..read.dumpfile import sha256_file
from ..serialize.terms import iri_ref
from .diff import _C, DEFAULT_CHUNK, changes, prepare, update_chunks, workspace
from .endpoint import Endpoint
from .servers import traits

STATE_DIR = ".kgtool-sync"
MANIFEST = "manifest.json"
MANIFEST_VERSION = 1


@dataclass(frozen=True)
class SyncResult:
    """What a sync did: the difference, how it was found and sent, and the count checked."""

    source: str
    graph: str
    removed: int
    added: int
    base: str  # "manifest", "store" or "empty"
    requests: int  # update requests sent
    bytes_sent: int  # bytes of update requests
    graph_triples: int

    @property
    def action(self) -> str:
        return "unchanged" if not (self.removed or self.added) else "synced"


def _count_lines(path: Path) -> int:
    r = subprocess.run(["wc", "-l", str(path)], env=_C, capture_output=True, check=True)
    return int(r.stdout.split()[0])


def count_matches(count: int, lines: int, sorted_nt: Path) -> bool:
    """Whether a store's count is right for the export: its lines, or (checked only when they
    differ) its distinct values, since a store keeps "0.50" and "0.5" as one decimal."""
    if count == lines:
        return True
    import pyoxigraph as ox

    store = ox.Store()
    store.bulk_load(path=str(sorted_nt), format=ox.RdfFormat.N_TRIPLES)
    return count == len(store)


class Manifest:
    """The last export synced into each (endpoint, graph), kept beside the exports."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.path = folder / MANIFEST
        self.doc: dict[str, Any] = {"version": MANIFEST_VERSION, "targets": {}}
        if self.path.is_file():
            try:
                doc = json.loads(self.path.read_text(encoding="utf-8"))
                if doc.get("version") == MANIFEST_VERSION and isinstance(doc.get("targets"), dict):
                    self.doc = doc
            except ValueError:
                pass  # unreadable: the store is asked instead, and the manifest rewritten

    @staticmethod
    def key(endpoint: str, graph: str) -> str:
        return hashlib.sha256(f"{endpoint} {graph}".encode()).hexdigest()[:24]

    def snapshot(self, endpoint: str, graph: str) -> tuple[Path, dict] | None:
        """The snapshot of what was last synced into the graph, if it is still intact."""
        entry = self.doc["targets"].get(self.key(endpoint, graph))
        if not isinstance(entry, dict):
            return None
        path = self.folder / f"{self.key(endpoint, graph)}.nt"
        if not path.is_file() or sha256_file(path) != entry.get("sha256"):
            return None
        return path, entry

    def record(self, endpoint: str, graph: str, sorted_nt: Path, source: str, triples: int) -> None:
        """Keep a copy of the synced export and list it (copy and manifest written atomically)."""
        k = self.key(endpoint, graph)
        self.doc["targets"][k] = {"endpoint": endpoint, "graph": graph, "source": source,
                                  "sha256": sha256_file(sorted_nt), "triples": triples}
        text = json.dumps(self.doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
        write_files_atomically({
            self.folder / f"{k}.nt": lambda fh: _copy_into(sorted_nt, fh),
            self.path: lambda fh: _write_bytes(fh, text.encode("utf-8")),
        })


def _write_bytes(fh: IO[bytes], data: bytes) -> None:
    fh.write(data)


def _copy_into(src: Path, fh: IO[bytes]) -> None:
    with open(src, "rb") as s:
        shutil.copyfileobj(s, fh, 1 << 20)


def default_state_dir(path: str | Path) -> Path:
    """Where the manifest of an export lives: .kgtool-sync/ in the export's folder."""
    return Path(path).resolve().parent / STATE_DIR


def fetch_graph(ep: Endpoint, graph: str, dest: Path) -> None:
    """Write what the store holds in ``graph`` as N-Triples (an absent graph is empty)."""
    accept = {"Accept": "application/n-triples"}
    if ep.store_url:
        try:
            r = ep.request("GET", ep.store_url, params={ep.graph_param: graph}, headers=accept)
        except EndpointError as e:
            if "HTTP 404" not in str(e):
                raise
            dest.write_bytes(b"")
            return
    else:
        query = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH {iri_ref(graph)} {{ ?s ?p ?o }} }}"
        r = ep.request("POST", ep.query_url, data={"query": query}, headers=accept)
    media = r.headers.get("Content-Type", "").split(";")[0].strip().lower()
    if media not in ("application/n-triples", "text/plain", ""):
        raise EndpointError(f"GET <{graph}>: the store answered {media}, not N-Triples")
    dest.write_bytes(r.content)


def same_values_cancelled(rows) -> list[tuple[bool, bytes]]:
    """The difference without the pairs that only spell one value two ways.

    A store keeps typed literals in canonical form ("P0Y" as "PT0S"), so what it gives back
    differs in spelling from the export; removing one spelling and adding the other changes
    nothing, and is dropped here (memory grows with the difference only).
    """
    import pyoxigraph as ox

    rows = list(rows)
    sides: dict[bool, ox.Store] = {}
    for is_add in (False, True):
        sides[is_add] = ox.Store()
        sides[is_add].load(b"".join(line for a, line in rows if a is is_add), ox.RdfFormat.N_TRIPLES)

    def kept(is_add: bool, line: bytes) -> bool:
        t = next(iter(ox.parse(line, ox.RdfFormat.N_TRIPLES)))
        return ox.Quad(t.subject, t.predicate, t.object) not in sides[not is_add]

    return [(a, line) for a, line in rows if kept(a, line)]


def _send(ep: Endpoint, graph: str, ops: list[tuple[str, int, bytes]], expected: int, empty: bool,
          progress: Progress) -> tuple[int, int]:
    """Apply the operations (atomically where the store allows); (requests, bytes sent)."""
    from .upload import CHUNK_BYTES, drop_quietly, switch_in_one_transaction, temp_graph

    server = traits(ep.layout)
    whole = b" ;\n".join(text for _, _, text in ops)
    fits = server.max_insert_triples is None or sum(n for _, n, _ in ops) <= server.max_insert_triples
    if len(whole) <= CHUNK_BYTES and fits:
        progress(f"sending the difference in one request ({len(whole)} bytes)")
        ep.update(whole.decode("utf-8"), idempotent=True)  # DELETE/INSERT DATA: repeating is harmless
        return 1, len(whole)
    if empty:  # nothing to protect from half an update; a failure part-way is repaired by the next sync
        sent = 0
        for i, (_, n, text) in enumerate(ops, start=1):
            progress(f"INSERT chunk {i}/{len(ops)} ({n} triples) into the empty graph <{graph}>")
            ep.update(text.decode("utf-8"), idempotent=True)
            sent += len(text)
        return len(ops), sent
    tmp = temp_graph(graph)
    g, t = iri_ref(graph), iri_ref(tmp)
    sent = requests = 0

    def update(text: str, idempotent: bool = True) -> None:
        nonlocal sent, requests
        body = text.encode("utf-8")
        ep.update(text, idempotent=idempotent)
        sent += len(body)
        requests += 1

    update(server.bulk_prologue + f"DROP SILENT GRAPH {t} ; COPY SILENT GRAPH {g} TO GRAPH {t}")
    try:
        for i, (verb, n, text) in enumerate(ops, start=1):
            progress(f"{verb} chunk {i}/{len(ops)} ({n} triples) into the staging graph")
            body = text.replace(f"GRAPH <{graph}> {{".encode(), f"GRAPH <{tmp}> {{".encode(), 1)
            update(body.decode("utf-8"))
        staged = ep.count(tmp)
    except EndpointError as e:
        drop_quietly(ep, server, tmp)
        raise EndpointError(f"{e}; <{graph}> was left as it was") from None
    if staged != expected:
        drop_quietly(ep, server, tmp)
        raise EndpointError(f"the staging graph <{tmp}> holds {staged} triples but the export has {expected}; "
                            f"<{graph}> was left as it was")
    switched = False
    if server.switch_query is not None:
        requests += 1
        switched = switch_in_one_transaction(ep, server.switch_query(graph, tmp), graph, progress,
                                             instead="moving the staged graph instead", again="sync again")
    if switched:
        update(server.bulk_prologue + f"DROP SILENT GRAPH {t}")
    else:
        progress(f"moving the staged graph into <{graph}>")
        update(server.bulk_prologue + f"MOVE GRAPH {t} TO GRAPH {g}", idempotent=False)
    if server.checkpoint_query:  # the prologue skipped the log: make the move durable
        ep.query(server.checkpoint_query)
        requests += 1
    return requests, sent


def sync_push(path: str | Path, ep: Endpoint, graph: str, *, state_dir: str | Path | None = None,
              chunk_size: int = DEFAULT_CHUNK, fmt: str | None = None, from_store: bool = False,
              progress: Progress = quiet) -> SyncResult:
    """Make ``graph`` hold exactly the export's triples, sending only the difference."""
    graph = str(parse_iri(graph, "--graph"))
    if str(path) == "-":
        raise UsageError("push --mode sync needs a file, not stdin (it keeps a copy of what it pushed)")
    manifest = Manifest(Path(state_dir) if state_dir else default_state_dir(path))
    target = ep.update_url or ep.query_url
    with workspace() as tmp:
        new = prepare(path, tmp, input_format=fmt, label="new")
        server = traits(ep.layout)
        if server.rewrite_line is not None:  # the lines as the server keeps them (Virtuoso: durations)
            kept = tmp / "new.server.nt"
            with (
                open(new, encoding="utf-8", newline="\n") as src,
                open(kept, "w", encoding="utf-8", newline="\n") as dst,
            ):
                dst.writelines(map(server.rewrite_line, src))
            new = prepare(kept, tmp, input_format="nt", label="server")
        if server.max_insert_triples is not None:
            chunk_size = min(chunk_size, server.max_insert_triples)
        n_new = _count_lines(new)
        before = ep.count(graph)
        snap = None if from_store else manifest.snapshot(target, graph)
        if snap is not None and snap[1].get("triples") == before:
            base, how = snap[0], "manifest"
        else:
            progress(f"reading <{graph}> from the store")
            raw = tmp / "store.nt"
            fetch_graph(ep, graph, raw)
            base, how = prepare(raw, tmp, input_format="nt", label="store"), "store"
        progress(f"comparing {path} with what <{graph}> holds (from the {how})")
        rows = changes(base, new)
        ops = list(update_chunks(same_values_cancelled(rows) if how == "store" else rows, graph, chunk_size))
        removed = sum(n for verb, n, _ in ops if verb == "DELETE")
        added = sum(n for verb, n, _ in ops if verb == "INSERT")
        requests = sent = 0
        if ops:
            expected = before - removed + added
            requests, sent = _send(ep, graph, ops, expected, before == 0, progress)
        after = ep.count(graph)
        if not count_matches(after, n_new, new):
            raise EndpointError(f"after the sync <{graph}> holds {after} triples but {path} has {n_new}; "
                                "push again with --mode replace")
        manifest.record(target, graph, new, str(Path(path).resolve()), after)  # what the store counts
    return SyncResult(str(path), graph, removed, added, how, requests, sent, after)


def sync_store(store, path: str | Path, graph: str | None = None, *, fmt: str | None = None,
               progress: Progress = quiet) -> SyncResult:
    """``load --sync``: make a graph of the embedded store hold the file's triples, changing only
    the difference, in one transaction."""
    import pyoxigraph as ox

    from ..store.embedded import file_graph_iri

    if str(path) == "-":
        raise UsageError("load --sync needs a file, not stdin")
    graph = str(parse_iri(graph, "--graph")) if graph else file_graph_iri(path)
    with workspace() as tmp:
        new = prepare(path, tmp, input_format=fmt, label="new")
        n_new = _count_lines(new)
        raw = tmp / "store.nt"
        g = ox.NamedNode(graph)
        if store.store.contains_named_graph(g):
            store.store.dump(str(raw), ox.RdfFormat.N_TRIPLES, from_graph=g)
        else:
            raw.write_bytes(b"")
        base = prepare(raw, tmp, input_format="nt", label="store")
        ops = list(update_chunks(same_values_cancelled(changes(base, new)), graph, DEFAULT_CHUNK))
        removed = sum(n for verb, n, _ in ops if verb == "DELETE")
        added = sum(n for verb, n, _ in ops if verb == "INSERT")
        if ops:
            progress(f"{path}: removing {removed} and adding {added} triples in <{graph}>")
            store.apply_update(b" ;\n".join(text for _, _, text in ops).decode("utf-8"))
        after = store.count_graph(graph)
        if not count_matches(after, n_new, new):
            raise UsageError(f"after the sync <{graph}> holds {after} triples but {path} has {n_new}")
        store.record_graph(graph, str(Path(path).resolve()), sha256_file(Path(path)), after)
    return SyncResult(str(path), graph, removed, added, "store", 0, 0, after)
