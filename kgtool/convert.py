"""Convert citation dumps (OpenCitations Index CSV, OpenAlex works JSON Lines) to RDF, streaming.

The dump is read in chunks of whole lines; worker processes map each chunk's records through the
shared mapping and format them (dump_chunks.py); this process writes the results in input order
and spills the lines that may recur (works, cito:cites) to dedupe buckets, which are drained at
the end, each subject once, sorted. Memory does not grow with the input, and the output does not
depend on the number of workers: same input and options, byte-identical files.

There is no whole-graph resolution step, so works are merged only when they have the same key
(their lines are united, as the build path unites merged works), except in an OpenAlex dump,
which is read twice: a first pass indexes which OpenAlex ids (and PMIDs, ...) belong to a record
keyed by a DOI, so that works cited by OpenAlex id join their records (openalex_aliases.py). A
work known here only by title is not matched to an identified work of the same title; two rows
naming the same (citing, cited) pair both add their facts to the one citation node.
"""

from __future__ import annotations

import json
import os
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Callable, Iterator

from . import handover, iris
from .dedupe import SpillFiles
from .dump_chunks import ChunkJob, ChunkMapper, call, init_worker
from .dumpfile import DumpInput, open_dump, peek, sha256_file, spooled_stdin
from .errors import InputError, KgtoolError, UsageError
from .export import graph_name
from .mapping import source_triples
from .model import SourceInfo
from .ntlines import NTLineEncoder
from .openalex_aliases import AliasIndex
from .progress import ProgressMeter, Report, quiet
from .sources import oc_csv_stream, openalex_jsonl_stream
from .stream_writers import formatter_for, open_writer, parse_output
from .workers import OrderedPool

CHUNK_BYTES = 1 << 18


@dataclass(frozen=True)
class DumpFormat:
    name: str
    media_type: str
    sniff: Callable[[bytes], bool]
    quoted_newlines: bool  # may a record span lines (CSV quoting)?


DUMP_FORMATS: dict[str, DumpFormat] = {
    f.name: f
    for f in (
        DumpFormat("oc-csv", oc_csv_stream.MEDIA_TYPE, oc_csv_stream.looks_like_oc_csv, True),
        DumpFormat("openalex-jsonl", openalex_jsonl_stream.MEDIA_TYPE, openalex_jsonl_stream.looks_like_openalex,
                   False),
    )
}


@dataclass
class ConvertResult:
    """What one conversion read and wrote."""

    input: str
    dump_format: str
    files: list[Path]
    records: int
    citations: int
    triples: int
    seconds: float


def default_stem(path: str | Path) -> str:
    """'opencitations-index.csv.gz' -> 'opencitations-index'; stdin -> 'graph'."""
    if str(path) == "-":
        return "graph"
    name = Path(path).name
    for suffix in (".gz", ".csv", ".jsonl", ".ndjson", ".json", ".txt"):
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
    return name or "graph"


def detect_format(dump: DumpInput, name: str | None = None) -> DumpFormat:
    """The dump format named by --from, else recognised from the first bytes."""
    if name is not None:
        try:
            return DUMP_FORMATS[name]
        except KeyError:
            raise UsageError(f"unknown dump format {name!r} (choose from: {', '.join(DUMP_FORMATS)})") from None
    head = peek(dump)
    for fmt in DUMP_FORMATS.values():
        if fmt.sniff(head):
            return fmt
    raise InputError(
        "cannot tell the dump format (neither an OpenCitations Index CSV header nor OpenAlex JSON); "
        f"use --from ({', '.join(DUMP_FORMATS)})",
        source=dump.name,
    )


def available_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def convert_dump(
    path: str | Path,
    *,
    to: str = "nt",
    out_dir: str | Path = "exports",
    split: int | None = None,
    base: str = iris.DEFAULT_BASE,
    dump_format: str | None = None,
    stem: str | None = None,
    jobs: int | None = None,
    progress: Report = quiet,
    tmp_dir: str | Path | None = None,
    out_stream: IO[bytes] | None = None,
    templates: bool = True,
) -> ConvertResult:
    """Stream one dump ('-' is stdin) into out_dir/STEM[-NNNNN].<to>: all files or none.

    With ``out_stream`` the RDF goes to that binary stream instead (no parts; temporary files
    go to ``tmp_dir``, else the system's). ``jobs`` worker processes map the records (default:
    one per CPU when the dump is larger than a few MB; 1 maps in this process). ``templates=False``
    maps every record through the mapping, skipping the checked templates of its output
    (record_templates.py) and the OpenCitations fast lane (oc_rows.py): same bytes, slower.
    """
    base = iris.check_base(base)
    _, _, kind = parse_output(to)
    if split is not None and split < 1:
        raise UsageError(f"--split must be a positive number of triples, got {split}")
    out = Path(out_dir)
    if out_stream is None:
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise UsageError(f"cannot create the output folder {out}: {e.strerror}") from None
    scratch = tmp_dir if tmp_dir is not None else (None if out_stream is not None else out)
    stem = stem or default_stem(path)
    name = "<stdin>" if str(path) == "-" else str(path)
    with ExitStack() as stack:
        file = stack.enter_context(spooled_stdin(scratch)) if name == "<stdin>" else Path(path)
        dump = stack.enter_context(open_dump(file, name))
        fmt = detect_format(dump, dump_format)
        progress(f"hashing {name}")
        source = SourceInfo(name=Path(name).name, sha256=sha256_file(file), media_type=fmt.media_type)
        header = _read_header(dump) if fmt.name == "oc-csv" else None
        if header is not None:
            oc_csv_stream.read_header(header, name)  # here, not in the workers: a bad header stops at once
        index = stack.enter_context(AliasIndex(scratch)) if fmt.name == "openalex-jsonl" else None
        if jobs is None:
            jobs = available_cpus() if dump.size > 2 * CHUNK_BYTES else 1
        folder = handover.make_folder() if jobs > 1 else None
        stack.callback(handover.remove_folder, folder)
        job = ChunkJob(fmt.name, name, source, base, kind, str(graph_name(base, stem)), header,
                       aliases=str(index.path) if index is not None else None, templates=templates,
                       handover=folder)
        workers = stack.enter_context(  # before the writer thread starts: forks first
            OrderedPool(jobs, lambda: ChunkMapper(job), call, init_worker, (job,)))
        started = time.monotonic()
        if index is not None:
            _index_work_ids(dump, fmt, workers, index, progress)
            dump = stack.enter_context(open_dump(file, name))  # the second pass reads from the start
        chunks = _chunks(dump, fmt, first_line=2 if header is not None else 1)
        spill = stack.enter_context(SpillFiles(scratch, job.fanout))
        writer = open_writer(None if out_stream is not None else out, stem, to, split, out_stream)
        meter = ProgressMeter(progress, f"converting {name}", dump.size)
        records = citations = 0
        try:
            src_lines = [NTLineEncoder().line(*t) for t in source_triples(source, base)]
            writer.write(formatter_for(kind, job.graph).block(src_lines).encode("utf-8"), len(src_lines))
            for result in workers.map("map_chunk", chunks):
                writer.write(result.text, result.triples)
                spill.append(result.buckets, result.bucket_lines)
                records += result.records
                citations += result.citations
                meter.update(records, writer.triples + spill.lines, dump.position())
            meter.update(records, writer.triples + spill.lines, dump.size, force=True)
            progress(f"writing the works: {spill.lines:,} lines to deduplicate")
            for data, triples in workers.map("drain", ((p,) for p in spill.finish())):
                writer.write(data, triples)
            files = writer.commit()
        except OSError as e:
            writer.abort()
            raise KgtoolError(f"cannot write to {out}: {e.strerror or e}") from None
        except BaseException:
            writer.abort()
            raise
        seconds = time.monotonic() - started
        progress(f"done: {records:,} records, {writer.triples:,} triples in {seconds:.1f} s")
        return ConvertResult(name, fmt.name, files, records, citations, writer.triples, seconds)


def _index_work_ids(dump: DumpInput, fmt: DumpFormat, workers: OrderedPool, index: AliasIndex,
                    progress: Report) -> None:
    """The first pass over an OpenAlex dump: which OpenAlex ids (and PMIDs, ...) join which DOI."""
    meter = ProgressMeter(progress, f"indexing work ids in {dump.name}", dump.size)
    for ids in workers.map("index_chunk", _chunks(dump, fmt, first_line=1)):
        index.add(ids)
        meter.update(index.records, None, dump.position())
    meter.update(index.records, None, dump.size, force=True)
    aliases = index.finish()
    progress(f"indexed {aliases:,} work ids that lead to a DOI or arXiv id in {meter.elapsed():.1f} s")


def _read_header(dump: DumpInput) -> str:
    try:
        line = dump.stream.readline()
    except (OSError, EOFError) as e:
        raise InputError(f"cannot read ({e})", source=dump.name) from None
    try:
        return line.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError("not valid UTF-8", source=dump.name, line=1) from None


def _chunks(dump: DumpInput, fmt: DumpFormat, first_line: int) -> Iterator[tuple[int, bytes]]:
    """(first line number, bytes) of consecutive runs of whole records, about CHUNK_BYTES each."""
    stream = dump.stream
    if fmt.name == "openalex-jsonl":
        first = stream.readline()
        if not openalex_jsonl_stream.is_json_lines(first.decode("utf-8-sig", "replace")) and first.strip():
            yield 1, _document_as_json_lines(first + stream.read(), dump.name)
            return
        carry = first[3:] if first.startswith(b"\xef\xbb\xbf") else first
    else:
        carry = b""
    line = first_line
    while True:
        try:
            data = stream.read(CHUNK_BYTES)
        except (OSError, EOFError) as e:
            raise InputError(f"truncated or corrupt compressed data ({e})", source=dump.name) from None
        if not data:
            break
        buf = carry + data
        cut = _cut(buf, fmt.quoted_newlines)
        if cut <= 0:
            carry = buf
            continue
        chunk, carry = buf[:cut], buf[cut:]
        yield line, chunk
        line += chunk.count(b"\n")
    if carry:
        if not carry.endswith(b"\n"):
            carry += b"\n"
        yield line, carry


def _cut(buf: bytes, quoted_newlines: bool) -> int:
    """Where to end a chunk: after the last newline that is not inside a quoted CSV field."""
    end = buf.rfind(b"\n")
    if not quoted_newlines:
        return end + 1
    while end >= 0:
        # A newline ends a record when the quotes before it are balanced ("" escapes count two).
        if buf.count(b'"', 0, end) % 2 == 0:
            return end + 1
        end = buf.rfind(b"\n", 0, end)
    return 0


def _document_as_json_lines(data: bytes, name: str) -> bytes:
    """A single pretty-printed work or an API list page, as JSON Lines (checked first)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError("not valid UTF-8", source=name) from None
    for _ in openalex_jsonl_stream.whole_document(text, name):
        pass  # errors name the work's position in the document
    doc = json.loads(text)
    works = doc["results"] if isinstance(doc, dict) and "results" in doc else [doc]
    return "".join(json.dumps(w, ensure_ascii=False) + "\n" for w in works).encode("utf-8")
