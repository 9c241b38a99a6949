"""Publish an RDF file into a named graph of a SPARQL triple store.

Two protocols: the SPARQL 1.1 Graph Store HTTP Protocol (one PUT or POST of N-Triples) and,
for stores without it, SPARQL 1.1 Update (``INSERT DATA`` in bounded chunks).

``replace`` is atomic for readers: the data goes into a temporary graph first, its triple
count is checked, and one ``MOVE`` request swaps it in (on Virtuoso, where SPARQL updates commit
piecemeal, one SQL transaction: see ``servers.py``). A failure before the switch leaves the old
graph as it was. ``merge`` adds the file's triples to the graph. Either way the graph's triple
count is checked against the file afterwards. Servers with known limits (Virtuoso) get smaller
chunks, a staging graph uploaded in parts, unlogged bulk operations and literals in a form they
keep (``servers.py``).
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ..errors import EndpointError, UsageError
from ..map.iris import parse_iri
from ..progress import Progress, quiet
from ..read.rdfload import RdfSource, read_rdf
from ..serialize.terms import iri_ref
from .endpoint import Endpoint
from .servers import ServerTraits, traits

NTRIPLES = "application/n-triples"
CHUNK_BYTES = 4_000_000  # an INSERT DATA request never grows much past this
MIXED_SWITCH = "adding, then deleting"  # PushResult.switch where readers could see both versions
BULK_TRIPLES_PER_SECOND = 500  # the slowest DROP/MOVE rate to wait for before giving up


@dataclass(frozen=True)
class PushResult:
    """What a push did, and the counts that were checked."""

    source: str
    graph: str
    protocol: str
    mode: str
    file_triples: int
    graph_triples: int
    requests: int
    #: how a replace switched the graph: "MOVE", "one transaction", or MIXED_SWITCH (readers could
    #: see the two versions mixed); "" for a merge or an empty file
    switch: str = ""


@dataclass(frozen=True)
class Payload:
    """A file's distinct triples as N-Triples lines, in file order."""

    lines: list[str]
    has_blank_nodes: bool
    source: RdfSource

    def body(self) -> bytes:
        return "".join(self.lines).encode("utf-8")

    def counts(self) -> set[int]:
        """Triple counts a store may report for this data: as written, and after canonicalizing
        typed literals (Oxigraph stores "0.50"^^xsd:decimal as "0.5", so two spellings of one
        value become one triple)."""
        import pyoxigraph as ox

        store = ox.Store()
        store.load(self.body(), ox.RdfFormat.N_TRIPLES)
        return {len(self.lines), len(store)}


def payload(src: RdfSource, rewrite: Callable[[str], str] | None = None) -> Payload:
    """Parse the file (quads lose their graph names) into distinct N-Triples lines, each passed
    through ``rewrite`` when given."""
    import pyoxigraph as ox

    seen: dict[str, None] = {}
    bnodes = False
    for s, p, o in src.triples():
        if isinstance(s, ox.BlankNode) or isinstance(o, ox.BlankNode):
            bnodes = True
        line = f"{s} {p} {o} .\n"
        seen[rewrite(line) if rewrite else line] = None
    return Payload(list(seen), bnodes, src)


def temp_graph(graph: str) -> str:
    """The staging graph of a replace: one per target graph, so a failed push's leftovers are
    dropped by the next push (two concurrent pushes to one graph are not supported)."""
    return f"urn:kgtool:push:{hashlib.sha256(graph.encode('utf-8')).hexdigest()[:32]}"


def chunks(lines: list[str], size: int, max_bytes: int = CHUNK_BYTES) -> Iterator[list[str]]:
    """Consecutive runs of at most ``size`` lines and about ``max_bytes`` bytes."""
    chunk: list[str] = []
    nbytes = 0
    for line in lines:
        if chunk and (len(chunk) >= size or nbytes + len(line) > max_bytes):
            yield chunk
            chunk, nbytes = [], 0
        chunk.append(line)
        nbytes += len(line)
    if chunk:
        yield chunk


class _Pusher:
    def __init__(self, ep: Endpoint, data: Payload, protocol: str, chunk_size: int, progress: Progress,
                 server: ServerTraits, part_triples: int | None = None):
        self.ep = ep
        self.server = server
        self.part_triples = part_triples or server.staging_part_triples
        self.data = data
        self.protocol = protocol
        self.chunk_size = chunk_size
        self.progress = progress
        self.requests = 0
        self.switch = ""
        self._counts: set[int] | None = None

    def matches(self, count: int) -> bool:
        """Whether a store's count for the whole file is right (canonical forms are computed
        only when the plain count differs)."""
        if count == len(self.data.lines):
            return True
        if self._counts is None:
            self._counts = self.data.counts()
        return count in self._counts

    def update(self, text: str, *, idempotent: bool = True) -> None:
        self.requests += 1
        self.ep.update(text, idempotent=idempotent)

    def bulk(self, text: str, *, idempotent: bool = True) -> None:
        """A DROP, MOVE or PUT of whole graphs, with the server's prologue for large transactions.

        The answer may take long: Oxigraph moved 940,000 triples in about 10 minutes on a busy
        machine, so the wait grows with the file (a second per 500 triples) beyond --timeout."""
        self.requests += 1
        self.patient().update(self.server.bulk_prologue + text, idempotent=idempotent)

    def patient(self) -> Endpoint:
        """The endpoint, waiting for an answer at least a second per 500 triples of the file."""
        wait = max(self.ep.timeout, len(self.data.lines) / BULK_TRIPLES_PER_SECOND)
        return dataclasses.replace(self.ep, timeout=wait)


    def checkpoint(self) -> None:
        """Make a bulk change of the target graph durable where the prologue skipped the log."""
        if self.server.checkpoint_query:
            self.requests += 1
            try:
                res = self.ep.query(self.server.checkpoint_query)
                state = str(res.rows[0][0]) if res.rows and res.rows[0] and res.rows[0][0] is not None else "?"
            except EndpointError as e:
                state = str(e)
            if state != "0":
                raise EndpointError(
                    f"the graph was changed, but the server could not write a checkpoint ({state}); until "
                    "its next one a crash would undo the change: run `checkpoint;` in isql as dba"
                )

    def count(self, graph: str) -> int:
        self.requests += 1
        return self.ep.count(graph)

    def upload(self, graph: str, *, replace: bool) -> None:
        """Send every triple into ``graph`` (which is empty when replace is true)."""
        lines = self.data.lines
        if self.protocol == "gsp":
            self._send_graph(graph, replace=replace)
            return
        parts = list(chunks(lines, self.chunk_size))
        target = iri_ref(graph)
        sent = 0
        for i, part in enumerate(parts, start=1):
            self.update(
                f"INSERT DATA {{ GRAPH {target} {{\n{''.join(part)}}} }}", idempotent=not self.data.has_blank_nodes
            )
            sent += len(part)
            self.progress(f"sent chunk {i}/{len(parts)} ({sent}/{len(lines)} triples) to <{graph}>")

    def _send_graph(self, graph: str, *, replace: bool) -> None:
        """Graph Store Protocol: one PUT (replace) or POST (merge), or a replace in POSTs of
        ``part_triples`` triples where the server's loader stalls on one large request (not with
        blank nodes, which two requests would split into two nodes)."""
        lines = self.data.lines
        split = replace and self.part_triples and not self.data.has_blank_nodes
        parts = list(chunks(lines, self.part_triples, 1 << 62)) if split and self.part_triples else []
        if len(parts) > 1:
            sent = 0
            for i, part in enumerate(parts, start=1):
                self.requests += 1
                self.ep.post_graph(graph, "".join(part).encode("utf-8"), NTRIPLES,
                                   idempotent=not self.data.has_blank_nodes)
                sent += len(part)
                self.progress(f"sent part {i}/{len(parts)} ({sent}/{len(lines)} triples) to <{graph}>")
            return
        self.requests += 1
        body = self.data.body()
        self.progress(f"sending {len(lines)} triples ({len(body)} bytes) to <{graph}>")
        if replace:
            self.ep.put_graph(graph, body, NTRIPLES, self.server.staging_params)
        else:
            self.ep.post_graph(graph, body, NTRIPLES, idempotent=not self.data.has_blank_nodes)


def push_file(
    path: str | Path,
    endpoint: Endpoint,
    graph: str,
    *,
    protocol: str = "gsp",
    mode: str = "replace",
    chunk_size: int = 10_000,
    fmt: str | None = None,
    progress: Progress = quiet,
    part_triples: int | None = None,
) -> PushResult:
    """Publish one RDF file into ``graph``; raises EndpointError when the store disagrees.

    ``part_triples``: where the server takes a staging graph in parts (Virtuoso), at most this
    many triples per Graph Store request instead of the server's default."""
    if protocol not in ("gsp", "update"):
        raise UsageError(f"unknown protocol {protocol!r} (choose from: gsp, update)")
    if mode not in ("replace", "merge"):
        raise UsageError(f"unknown mode {mode!r} (choose from: replace, merge)")
    graph = str(parse_iri(graph, "--graph"))
    server = traits(endpoint.layout)
    if protocol == "update" and server.max_insert_triples and chunk_size > server.max_insert_triples:
        progress(f"{endpoint.layout} compiles INSERT DATA of at most {server.max_insert_triples} triples: "
                 f"--chunk-size {chunk_size} lowered to that")
        chunk_size = server.max_insert_triples
    src = read_rdf(path, fmt)
    data = payload(src, server.rewrite_line)
    progress(f"{src.name}: {len(data.lines)} triples")
    if protocol == "update" and data.has_blank_nodes:
        n_chunks = sum(1 for _ in chunks(data.lines, chunk_size))
        if n_chunks > 1:
            raise UsageError(
                f"{src.name}: has blank nodes and needs {n_chunks} INSERT DATA requests, which would split each "
                "blank node into several; use --protocol gsp or a larger --chunk-size"
            )
    p = _Pusher(endpoint, data, protocol, chunk_size, progress, server, part_triples)
    if mode == "replace":
        after = _replace(p, graph)
    else:
        after = _merge(p, graph)
    return PushResult(src.name, graph, protocol, mode, len(data.lines), after, p.requests, p.switch)


def _replace(p: _Pusher, graph: str) -> int:
    if not p.data.lines:
        p.bulk(f"DROP SILENT GRAPH {iri_ref(graph)}")
        p.checkpoint()
        return p.count(graph)
    _stage_and_move(p, graph)
    p.checkpoint()
    after = p.count(graph)
    if not p.matches(after):
        raise EndpointError(f"after the push <{graph}> holds {after} triples but the file has {len(p.data.lines)}")
    return after


def _stage_and_move(p: _Pusher, graph: str) -> None:
    """Upload into the staging graph, check its count, then switch: one MOVE (one transaction), or
    where no SPARQL update is one for readers (Virtuoso) the server's switch_query, else adding and
    deleting."""
    tmp = temp_graph(graph)
    p.bulk(f"DROP SILENT GRAPH {iri_ref(tmp)}")  # a failed push's leftovers
    try:
        p.upload(tmp, replace=True)
        staged = p.count(tmp)
    except EndpointError as e:
        _drop_quietly(p, tmp)
        raise EndpointError(f"{e}; <{graph}> was left as it was") from None
    if not p.matches(staged):
        _drop_quietly(p, tmp)
        raise EndpointError(
            f"the staging graph <{tmp}> holds {staged} triples but the file has {len(p.data.lines)}; "
            f"<{graph}> was left as it was"
        )
    if p.server.switch_query is not None and _switched(p, graph, tmp):
        p.switch = "one transaction"
        try:
            p.bulk(f"DROP SILENT GRAPH {iri_ref(tmp)}")
        except EndpointError as e:
            raise EndpointError(f"{e}; <{graph}> holds the file's triples, but the staging graph <{tmp}> is "
                                "still there: the next push removes it") from None
        return
    if p.server.switch_by_difference:
        p.switch = MIXED_SWITCH
        _switch_by_difference(p, graph, tmp, staged)
        return
    p.progress(f"moving the staged graph into <{graph}>")
    p.switch = "MOVE"
    try:
        p.bulk(f"MOVE GRAPH {iri_ref(tmp)} TO GRAPH {iri_ref(graph)}", idempotent=False)
    except EndpointError as e:
        _drop_quietly(p, tmp)
        if e.maybe_applied:
            raise EndpointError(f"{e}; the MOVE into <{graph}> may or may not have happened: push again") from None
        raise EndpointError(f"{e}; <{graph}> was left as it was") from None


def _switched(p: _Pusher, graph: str, tmp: str) -> bool:
    assert p.server.switch_query is not None
    p.requests += 1
    return switch_in_one_transaction(p.patient(), p.server.switch_query(graph, tmp), graph, p.progress,
                                     instead="adding the staged graph, then deleting what the file lacks: "
                                             "readers may see the two versions mixed meanwhile")


def switch_in_one_transaction(ep: Endpoint, query: str, graph: str, progress: Progress, *, instead: str,
                              again: str = "push again") -> bool:
    """Run a server's switch_query (servers.py: the target's triples replaced by the staged ones
    in one SQL transaction). False where the server answered with an error (the transaction was
    rolled back, or is repaired by what the caller does ``instead``, which this says on stderr)."""
    progress(f"switching <{graph}> to the staged graph in one transaction")
    try:
        ep.query(query)
        return True
    except EndpointError as e:
        if e.maybe_applied:  # the server may still be running it: leave the staging graph alone
            raise EndpointError(f"{e}; <{graph}> holds either its old or its new triples (the switch is one "
                                f"transaction): {again}") from None
        why = str(e).splitlines()[0].split(" SPARQL query:")[0]
        progress(f"the switch in one transaction failed ({why}); {instead}")
        return False


def _switch_by_difference(p: _Pusher, graph: str, tmp: str, staged: int) -> None:
    """Add the staged triples to the target, delete the target's triples the staged graph lacks,
    drop the staging graph: for servers where no request is atomic for readers (Virtuoso), so
    triples in both versions are never missing. Every step can be repeated."""
    g, t = iri_ref(graph), iri_ref(tmp)
    p.progress(f"adding the staged graph to <{graph}>")
    try:
        p.bulk(f"ADD SILENT GRAPH {t} TO GRAPH {g}")
    except EndpointError as e:
        _drop_quietly(p, tmp)
        if e.maybe_applied:
            raise EndpointError(f"{e}; <{graph}> may hold triples of both versions: push again") from None
        raise EndpointError(f"{e}; <{graph}> was left as it was") from None
    try:
        _delete_what_the_file_lacks(p, graph, tmp, staged)
    except EndpointError as e:
        raise EndpointError(f"{e}; <{graph}> holds the file's triples and maybe some of the old ones: "
                            "push again") from None
    p.bulk(f"DROP SILENT GRAPH {t}")


def _delete_what_the_file_lacks(p: _Pusher, graph: str, tmp: str, staged: int) -> None:
    """Delete the target's triples that the staging graph lacks, at most ``delete_piece_triples``
    per request (Virtuoso refuses one DELETE of a million: "FRVEC ... max vector length"),
    until the target holds as many triples as the staging graph."""
    g, t = iri_ref(graph), iri_ref(tmp)
    where = f"GRAPH {g} {{ ?s ?p ?o }} FILTER NOT EXISTS {{ GRAPH {t} {{ ?s ?p ?o }} }}"
    piece = p.server.delete_piece_triples
    if piece is None:
        p.progress(f"deleting from <{graph}> the triples the file lacks")
        p.bulk(f"DELETE {{ GRAPH {g} {{ ?s ?p ?o }} }} WHERE {{ {where} }}")
        return
    held = p.count(graph)
    while held > staged:
        p.progress(f"deleting from <{graph}> the triples the file lacks ({held - staged} left)")
        p.bulk(f"DELETE {{ GRAPH {g} {{ ?s ?p ?o }} }} WHERE {{ SELECT ?s ?p ?o WHERE {{ {where} }} LIMIT {piece} }}")
        before, held = held, p.count(graph)
        if held >= before:
            raise EndpointError(f"deleting what the file lacks from <{graph}> left it at {held} triples")


def _merge(p: _Pusher, graph: str) -> int:
    before = p.count(graph)
    p.upload(graph, replace=False)
    after = p.count(graph)
    n = len(p.data.lines)
    least = max(before, n if after >= n else min(p.data.counts()))
    if not least <= after <= before + n:
        raise EndpointError(
            f"after merging {n} triples into <{graph}> (which held {before}) it holds {after}; "
            f"expected between {least} and {before + n}"
        )
    return after


def _drop_quietly(p: _Pusher, graph: str) -> None:
    """Best effort: remove a staging graph after a failure (the server may be gone)."""
    drop_quietly(p.ep, p.server, graph)


def drop_quietly(ep: Endpoint, server: ServerTraits, graph: str) -> None:
    """Best effort: remove a staging graph after a failure (the server may be gone)."""
    quick = dataclasses.replace(ep, retries=0, timeout=30.0)
    try:
        quick.update(server.bulk_prologue + f"DROP SILENT GRAPH {iri_ref(graph)}")
    except Exception:  # the original error is the one to report
        pass
