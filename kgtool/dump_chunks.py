"""Map one chunk of a dump (whole lines of the file) to formatted RDF; runs in worker processes.

A chunk's records go through the shared mapping (mapping.work_triples, citation_triples). A
citation's own lines (its node and the nodes minted below its IRI) are unique to its record and
come back formatted, in input order. Every other line (works, the citing work's cito:cites,
authors with an ORCID, agents) may recur across records and comes back sorted into dedupe
buckets by subject (see dedupe.py). Nothing here depends on which process maps which chunk.
"""

from __future__ import annotations

import gc
import io
import signal
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from . import iris
from .dedupe import FANOUT, BucketRouter, Expand, drain_bucket, drain_bucket_lines
from .errors import InputError
from .handover import Sender
from .iris import citation_prefix
from .model import Citation, SourceInfo, Work
from .ntlines import NTLineEncoder
from .oc_id_fields import IdFieldWorks
from .oc_rows import OcRowLines
from .openalex_aliases import AliasJoin, ChunkIds, chunk_ids
from .record_templates import RecordLines
from .sources import oc_csv_stream, openalex_jsonl_stream
from .stream_writers import LineFormatter, formatter_for
from .workers import return_large_blocks

Item = Citation | tuple[Work, tuple[Citation, ...]]

#: How many recently mapped works a worker remembers (about 120 bytes each).
MAPPED_WORKS = 1 << 17
SEEN_OBJECTS = 1 << 14


@dataclass(frozen=True)
class ChunkJob:
    """What every chunk of one conversion shares (sent once to each worker)."""

    dump_format: str  # "oc-csv" | "openalex-jsonl"
    name: str  # the input as the user named it, for error messages
    source: SourceInfo
    base: str
    kind: str  # "nt" | "nq" | "ttl"
    graph: str | None = None  # the named graph, for N-Quads
    header: str | None = None  # the CSV header line
    fanout: int = FANOUT
    templates: bool = True  # reuse the mapping's output per citation shape (record_templates.py)
    handover: str | None = None  # a tmpfs folder for the output (handover.py), None: through the pipe
    aliases: str | None = None  # OpenAlex: the work-id index (openalex_aliases.py), built before mapping


@dataclass
class ChunkOutput:
    text: bytes | str  # the records' own lines, formatted (or the hand-over file holding them)
    triples: int  # how many triples ``text`` holds
    buckets: list[bytes]  # lines that may recur, one N-Triples bytes object per dedupe bucket
    bucket_lines: int  # how many lines ``buckets`` holds
    records: int
    citations: int


class ChunkMapper:
    """Per-process state: term and work caches that carry over from chunk to chunk."""

    def __init__(self, job: ChunkJob):
        self.job = job
        self.sources = (job.source,)
        self.encoder = NTLineEncoder()
        self.router = BucketRouter(job.fanout)
        self.formatter = formatter_for(job.kind, job.graph)
        self.sender = Sender(job.handover)
        self.own = "<" + citation_prefix(job.base)
        # Turtle groups everything about a work in one paragraph, so the citing work's
        # cito:cites lines go through dedupe with its other lines; line formats, where order
        # is free, write them with the citation (they are as unique as the citation node).
        self.cites_inline = job.kind != "ttl"
        self.records = self._record_lines(self.router, self.encoder)
        # work path -> hash of the Work last mapped under it (see map_work)
        self._mapped: dict[str, int] = {}
        self._seen_objects: dict[int, Work] = {}  # id -> the Work (held, so the id stays its own)
        self._works_by_field: dict[str, Work] = {}
        self._columns = oc_csv_stream.read_header(job.header, job.name) if job.header is not None else None
        self._oc_rows: OcRowLines | None = None
        self._expand: Expand | None = None  # makes the lines of works whose id field stood in for them
        if self._columns is not None and job.templates:
            works = IdFieldWorks(self.records, self.router, job.base,
                                 lambda router: self._record_lines(router, NTLineEncoder()))
            self._oc_rows = OcRowLines(self._columns, job.name, self.records, works, self.encoder, job.base,
                                       self.map_work)
            self._expand = works.expand
        self._join: AliasJoin | None = None  # opened at the first chunk: the index is built after the fork

    def _record_lines(self, router, encoder: NTLineEncoder) -> RecordLines:
        return RecordLines(self.sources, self.job.base, encoder, router, self.formatter, self.own, self.cites_inline,
                           templates=self.job.templates)

    def _text(self, first_line: int, data: bytes) -> str:
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as e:
            line = first_line + data.count(b"\n", 0, e.start)
            raise InputError(f"not valid UTF-8 (byte 0x{data[e.start]:02x})", source=self.job.name, line=line) from None

    def _records(self, first_line: int, data: bytes) -> Iterator[Item]:
        text = self._text(first_line, data)
        if self._columns is not None:
            return oc_csv_stream.iter_rows(io.StringIO(text, newline=""), self._columns, self.job.name,
                                           first_line, self._works_by_field)
        records = openalex_jsonl_stream.iter_lines(text.split("\n"), self.job.name, first_line)
        if self.job.aliases is None:
            return records
        if self._join is None:  # it marks the cited works it joined as mapped: their record maps them
            self._join = AliasJoin(self.job.aliases, self._seen_objects)
        return self._join.join(records)

    def index_chunk(self, first_line: int, data: bytes) -> ChunkIds:
        """The first pass over an OpenAlex dump: the work ids in ``data`` (see openalex_aliases.py)."""
        return chunk_ids(self._text(first_line, data), self.job.name, first_line)

    def map_work(self, w: Work) -> None:
        """Route a work's lines to the dedupe buckets, unless it was just mapped.

        A work recurs in many records; mapping it again only costs time (the dedupe step makes
        the output exact), so a work just mapped is skipped: first by object identity (readers
        hand out the same Work for the same identifiers), then by path and hash, so that a
        different record under the same key (say, more identifiers for the same DOI) is still
        mapped and its extra lines kept.
        """
        seen_objects = self._seen_objects
        if id(w) in seen_objects:
            return
        if len(seen_objects) >= SEEN_OBJECTS:
            seen_objects.clear()
        seen_objects[id(w)] = w
        path, h = iris.work_path(w), hash(w)
        mapped = self._mapped
        if mapped.get(path) == h:
            return
        if len(mapped) >= MAPPED_WORKS:
            mapped.clear()
        mapped[path] = h
        self.records.work(w)

    def map_chunk(self, first_line: int, data: bytes) -> ChunkOutput:
        """Map the records in ``data`` (whole lines, the first being line ``first_line``)."""
        out: list[str] = []
        triples = records = citations = 0
        last_citing = None
        map_work = self.map_work
        if self._oc_rows is not None:
            records, citations, triples = self._oc_rows.rows(self._text(first_line, data), first_line, out)
            buckets, bucket_lines = self.router.take()
            return ChunkOutput(self.sender.put("".join(out).encode("utf-8")), triples, buckets, bucket_lines,
                               records, citations)
        add_citation = self.records.citation
        for item in self._records(first_line, data):
            records += 1
            if isinstance(item, Citation):
                cits: tuple[Citation, ...] = (item,)
            else:
                work, cits = item
                map_work(work)
            for c in cits:
                triples += add_citation(c, out)
                if c.citing is not last_citing:  # dumps list a work's references together
                    map_work(c.citing)
                    last_citing = c.citing
                map_work(c.cited)
            citations += len(cits)
        buckets, bucket_lines = self.router.take()
        return ChunkOutput(self.sender.put("".join(out).encode("utf-8")), triples, buckets, bucket_lines, records,
                           citations)

    def drain(self, path: Path) -> tuple[bytes | str, int]:
        """One dedupe bucket: its distinct lines, grouped by subject, formatted."""
        fmt = self.formatter
        parts, triples = [], 0
        if isinstance(fmt, LineFormatter):  # sorted lines are already grouped by subject
            for lines in drain_bucket_lines(path, self.job.fanout, expand=self._expand):
                parts.append("".join(fmt.lines(lines)))
                triples += len(lines)
        else:
            for _, lines in drain_bucket(path, self.job.fanout, expand=self._expand):
                parts.append(fmt.block(lines))
                triples += len(lines)
        return self.sender.put("".join(parts).encode("utf-8")), triples


# Process-pool glue: one ChunkMapper per worker process.
_mapper: ChunkMapper | None = None


def init_worker(job: ChunkJob) -> None:
    global _mapper
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and stops the pool
    gc.disable()  # millions of short-lived objects, no reference cycles: GC passes only cost time
    return_large_blocks()
    _mapper = ChunkMapper(job)


def call(method: str, *args):
    """Run one task in this worker process (see workers.OrderedPool)."""
    assert _mapper is not None
    return getattr(_mapper, method)(*args)
