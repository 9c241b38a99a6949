"""Convert citation dumps (OpenCitations Index CSV, OpenAlex works JSON Lines) to RDF with an engine.

The records are read by the sources' own parsers (sources/opencitations.py, sources/openalex.py),
the ones ``fetch --input`` uses, so both give the same triples. A SQL engine (DuckDB by default,
embedded; Spark for clusters) does the bulk: it reads the CSV, joins each row to its works,
hashes the citation IRIs, writes the citation lines from templates derived from the mapping
(plan.py), deduplicates works and sorts. Python parses what needs the parser's rules once per
distinct value (an id field, a date, a flag), and an OpenAlex record once (its work's lines come
from the mapping itself); works cited by OpenAlex id join their records in the same dump in SQL.

Output order: the source's lines, then each work's lines (sorted by work IRI), then the
citations in input order; same input and options, same bytes, whatever the engine's threads.
"""

from __future__ import annotations

import csv
import gzip
import io
import os
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Protocol

from .. import leftovers
from ..errors import InputError, KgtoolError, UsageError
from ..progress import Progress, ProgressMeter, quiet
from ..read.dumpfile import open_dump, peek, sha256_file, spooled_stdin
from ..read.sources import openalex, opencitations
from ..serialize.export import graph_name
from ..serialize.ntlines import NTLineEncoder
from ..serialize.stream_writers import (
    LineFormatter,
    PartWriter,
    TurtleFormatter,
    formatter_for,
    open_writer,
    parse_output,
)
from . import iris
from .convert_openalex import load_openalex
from .mapping import creation_literal, duration_literal, source_triples, work_terms, work_triples
from .model import SourceInfo, Work
from .plan import (
    ARXIV_DOI_PREFIX,
    PLAIN_DOI,
    PLAIN_FIELD,
    CitationPlan,
    IdFieldPlan,
    LineTemplate,
    citation_plan,
    id_field_plan,
    work_plan,
)

ENGINES = ("duckdb", "spark")
#: DuckDB's memory limit by default: a 1M-citation conversion stays under 512 MB peak RSS.
DEFAULT_MEMORY_LIMIT = "256MB"
_BATCH = 50_000  # OpenAlex records handed to the engine at a time
VERBATIM = LineTemplate(("", "line", ""), frozenset())  # a work's line made by the mapping itself


@dataclass(frozen=True)
class DumpFormat:
    name: str
    media_type: str
    sniff: Callable[[bytes], bool]


DUMP_FORMATS: dict[str, DumpFormat] = {
    f.name: f
    for f in (
        DumpFormat("oc-csv", "text/csv", opencitations.looks_like_csv),
        DumpFormat("openalex-jsonl", "application/x-ndjson", openalex.looks_like_json),
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


class SqlEngine(Protocol):
    """What the conversion asks of an engine (convert_duckdb.py, convert_spark.py)."""

    def load_csv(self, table: str, path: Path, names: list[str], compressed: bool, source: str) -> None: ...
    def load_rows(self, table: str, columns: dict[str, tuple[str, list]]) -> None: ...
    def create(self, table: str, sql: str, ordered: bool = False) -> None: ...
    def compact(self, table: str, column: str) -> None: ...
    def drop(self, tables: list[str]) -> None: ...
    def rows(self, sql: str) -> list[tuple]: ...
    def batches(self, sql: str, size: int) -> Iterator[list]: ...
    def lines(self, sql: str, expected: int = 0) -> Iterator[tuple[bytes | memoryview, int]]: ...
    def sha256_hex(self, expr: str) -> str: ...
    def matches(self, expr: str, pattern: str) -> str: ...
    def first_by(self, expr: str, order: str) -> str: ...
    def explode(self, expr: str) -> str: ...
    def concat(self, exprs: list[str]) -> str: ...
    def array(self, exprs: list[str]) -> str: ...
    def replace_all(self, expr: str, pattern: str, replacement: str) -> str: ...
    def text(self, value: str) -> str: ...
    def close(self) -> None: ...

    stored_order: bool  # a table created with ordered=True is read back in that order (else: ORDER BY)


def default_stem(path: str | Path) -> str:
    """'opencitations-index.csv.gz' -> 'opencitations-index'; stdin -> 'graph'."""
    if str(path) == "-":
        return "graph"
    name = Path(path).name
    for suffix in (".gz", ".csv", ".jsonl", ".ndjson", ".json", ".txt"):
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
    return name or "graph"


def detect_format(head: bytes, name: str, fmt: str | None = None) -> DumpFormat:
    """The dump format named by --from, else recognised from the first bytes."""
    if fmt is not None:
        try:
            return DUMP_FORMATS[fmt]
        except KeyError:
            raise UsageError(f"unknown dump format {fmt!r} (choose from: {', '.join(DUMP_FORMATS)})") from None
    for f in DUMP_FORMATS.values():
        if f.sniff(head):
            return f
    raise InputError(
        "cannot tell the dump format (neither an OpenCitations Index CSV header nor OpenAlex JSON); "
        f"use --from ({', '.join(DUMP_FORMATS)})",
        source=name,
    )


def available_cpus() -> int:
    """CPUs this process may run on (the streaming validator imports this, too)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def open_engine(engine: str, *, scratch: Path, memory_limit: str | None, threads: int | None,
                spark_master: str | None, progress: Progress = quiet) -> SqlEngine:
    if engine == "duckdb":
        from .convert_duckdb import DuckDBEngine

        return DuckDBEngine(scratch, memory_limit or DEFAULT_MEMORY_LIMIT, threads, progress)
    if engine == "spark":
        from .convert_spark import SparkEngine

        return SparkEngine(scratch, memory_limit, threads, spark_master)
    raise UsageError(f"unknown engine {engine!r} (choose from: {', '.join(ENGINES)})")


def convert_dump(
    path: str | Path,
    *,
    to: str = "nt",
    out_dir: str | Path = "exports",
    split: int | None = None,
    base: str = iris.DEFAULT_BASE,
    dump_format: str | None = None,
    stem: str | None = None,
    progress: Progress = quiet,
    tmp_dir: str | Path | None = None,
    out_stream: IO[bytes] | None = None,
    engine: str = "duckdb",
    memory_limit: str | None = None,
    threads: int | None = None,
    spark_master: str | None = None,
) -> ConvertResult:
    """Convert one dump ('-' is stdin) into out_dir/STEM[-NNNNN].<to>: all files or none.

    With ``out_stream`` the RDF goes to that binary stream instead (no parts). The engine
    spills to a temporary folder under ``tmp_dir`` (default: the system's), removed at the end,
    also after a failure.
    """
    base = iris.check_base(base)
    _, _, kind = parse_output(to)
    out = _check_options(split, engine, Path(out_dir), out_stream is None)
    stem = stem or default_stem(path)
    name = "<stdin>" if str(path) == "-" else str(path)
    started = time.monotonic()
    with ExitStack() as stack:
        file = stack.enter_context(spooled_stdin(tmp_dir)) if name == "<stdin>" else Path(path)
        dump = stack.enter_context(open_dump(file, name))
        fmt = detect_format(peek(dump), name, dump_format)
        progress(f"hashing {name}")
        source = SourceInfo(name=name, sha256=sha256_file(file), media_type=fmt.media_type)  # as fetch --input names it
        scratch = Path(leftovers.mkdtemp(".kgtool-convert-", tmp_dir))  # swept if we are killed
        stack.callback(shutil.rmtree, scratch, True)
        eng = open_engine(engine, scratch=scratch, memory_limit=memory_limit, threads=threads,
                          spark_master=spark_master, progress=progress)
        stack.callback(eng.close)
        job = _Job(eng, name, source, base, progress)
        if fmt.name == "oc-csv":
            records = job.load_oc_csv(file, dump.compressed)
            label_source = opencitations.NAME
        else:
            records = load_openalex(job, dump.stream)
            label_source = openalex.NAME
        source = SourceInfo(source.name, source.sha256, job.media_type)
        plan = citation_plan(source, base, label_source)
        tail = f" <{graph_name(base, stem)}> .\n" if kind == "nq" else " .\n"
        head = [NTLineEncoder().line(*t) for t in source_triples(source, base)] + list(plan.constants)
        total = len(head) + job.count_lines(plan)
        writer = open_writer(None if out_stream is not None else out, stem, to, split, out_stream)
        formatter = formatter_for(kind, str(graph_name(base, stem)))
        meter = ProgressMeter(progress, f"writing {name}", total, unit="triples")
        files = _write(writer, formatter, meter, head, total, job.line_chunks(plan, tail), out)
        seconds = time.monotonic() - started
        progress(f"done: {records:,} records, {writer.triples:,} triples in {seconds:.1f} s")
        return ConvertResult(name, fmt.name, files, records, job.citations, writer.triples, seconds)


def _check_options(split: int | None, engine: str, out: Path, make_out: bool) -> Path:
    if split is not None and split < 1:
        raise UsageError(f"--split must be a positive number of triples, got {split}")
    if engine not in ENGINES:
        raise UsageError(f"unknown engine {engine!r} (choose from: {', '.join(ENGINES)})")
    if make_out:
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise UsageError(f"cannot create the output folder {out}: {e.strerror}") from None
    return out


def _write(writer: PartWriter, formatter: LineFormatter | TurtleFormatter, meter: ProgressMeter, head: list[str],
           total: int, chunks: Iterator[tuple[bytes | memoryview, int]], out: Path) -> list[Path]:
    """The head lines, then the engine's chunks of lines, into the output: all of it or nothing."""
    try:
        writer.write(formatter.block(head).encode("utf-8"), len(head))
        for data, n in chunks:
            if isinstance(formatter, TurtleFormatter):
                data = formatter.block([ln + "\n" for ln in bytes(data).decode("utf-8").splitlines()]).encode()
            writer.write(data, n)
            meter.update(writer.triples, None, writer.triples)
        meter.update(writer.triples, None, writer.triples, force=True)
        if writer.triples != total:
            raise KgtoolError(f"internal error: {writer.triples} lines written, {total} expected; please report it")
        return writer.commit()
    except OSError as e:
        writer.abort()
        raise KgtoolError(f"cannot write to {out}: {e.strerror or e}") from None
    except BaseException:
        writer.abort()
        raise


class _Job:
    """One dump's tables in the engine: ``works`` (path, t, v: a line by its template) and ``cit``
    (one row per citation)."""

    def __init__(self, eng: SqlEngine, name: str, source: SourceInfo, base: str, progress: Progress):
        self.eng, self.name, self.source, self.base, self.progress = eng, name, source, base, progress
        self.encoder = NTLineEncoder()
        self.citations = 0
        self.work_lines = self.citation_lines = 0
        self.media_type = source.media_type
        self.col: dict[str, str | None] = {}
        # Table works holds (path, t, v): the line of template t with v in its slot (VERBATIM: v is the line).
        self.work_templates: tuple[LineTemplate, ...] = (VERBATIM,)

    def _work(self, w: Work) -> tuple[str, list[str]]:
        """(path, lines) of a work: its lines are the mapping's."""
        lines = [ln[:-3] for ln in self.encoder.lines(work_triples(w, (self.source,), self.base))]
        return iris.work_path(w), lines

    # -- OpenCitations CSV ---------------------------------------------------------------------

    def load_oc_csv(self, file: Path, compressed: bool) -> int:
        eng, name = self.eng, self.name
        names = _csv_names(file, compressed, name)
        self.progress(f"reading {name}")
        eng.load_csv("raw", file, names, compressed, name)
        col = {f: (f if f in names else None) for f in opencitations.FIELDS}
        if col["oci"] is None and "id" in names:
            col["oci"] = "id"
        self.col = col
        records = eng.rows("SELECT count(*) FROM raw")[0][0]
        self.citations = records
        self._load_id_fields(records)
        self._load_lookups()
        self.progress("joining rows to their works")
        self._create_oc_tables()
        return records

    def _c(self, field: str) -> str:
        """A CSV field as SQL ('' where the column is missing or the value NULL)."""
        column = self.col[field]
        return f"coalesce({column}, '')" if column else "''"

    def _read_field(self, f: str) -> tuple[str, str, str | None, str | None, list[str]]:
        """An id field read by the parser: its work's path, IRI text, and DOI, arXiv and extra
        identifiers as term texts (the mapping's terms; the lines come from work_plan's templates)."""
        v = f.strip() if "=>" not in f and "; " not in f else opencitations._value(f, self.name, "citing")
        if not v:
            raise InputError("no identifier", source=self.name)
        w = opencitations.parse_ids(v, self.name, "citing")
        t, term = work_terms(w, self.base), self.encoder.term
        return (iris.work_path(w), term(t.iri), term(t.doi) if t.doi is not None else None,
                term(t.arxiv) if t.arxiv is not None else None, [term(x) for x in t.extra_ids])

    def _load_id_fields(self, records: int) -> None:
        """Table ``fields``: each distinct id field with its work (path, IRI, identifier terms).
        Plain fields are read in SQL by plans derived from the parser; the rest by the parser."""
        eng, c = self.eng, self._c
        eng.create("idf", f"SELECT DISTINCT {c('citing')} AS f FROM raw UNION SELECT DISTINCT {c('cited')} FROM raw")
        total = eng.rows("SELECT count(*) FROM idf")[0][0]
        plain = self._plain_fields()
        eng.create("idf_rest", "SELECT f FROM idf WHERE NOT EXISTS (SELECT 1 FROM fields x WHERE x.f = idf.f)")
        self.progress(f"{total:,} distinct id fields of {records:,} rows: {plain:,} read in SQL, "
                      f"{total - plain:,} by the parser")
        meter = ProgressMeter(self.progress, "parsing id fields", total - plain, unit="fields")
        done = 0
        for fields in eng.batches("SELECT f FROM idf_rest", _BATCH):  # in batches: Python's memory stays small
            cols: list[list] = [[], [], [], [], []]
            for f in fields:
                try:
                    read: tuple = self._read_field(f)
                except InputError:
                    self._raise_row(f"{c('citing')} = {eng.text(f)} OR {c('cited')} = {eng.text(f)}")
                for column, value in zip(cols, read):
                    column.append(value)
            eng.load_rows("fields", {"f": ("VARCHAR", fields), **_field_columns(*cols)})
            done += len(fields)
            meter.update(done, None, done)

    def _plain_fields(self) -> int:
        """Create ``fields`` with the plain id fields (plan.PLAIN_FIELD) read in SQL, one
        id_field_plan per combination of schemes; a sample is checked against the parser."""
        eng = self.eng
        sig = eng.replace_all("f", ":[^ ]*", "")
        eng.create("idf_plain", f"SELECT f, {sig} AS sig FROM idf WHERE {eng.matches('f', eng.text(PLAIN_FIELD))}")
        plans = [p for (s,) in eng.rows("SELECT sig FROM idf_plain GROUP BY sig ORDER BY count(*) DESC, sig LIMIT 64")
                 if (p := id_field_plan(tuple(s.split(" ")), self._read_field)) is not None]
        selects = [_plain_select(eng, p) for p in plans]
        if not selects:
            eng.load_rows("fields", {"f": ("VARCHAR", []), **_field_columns([], [], [], [], [])})
            return 0
        eng.create("fields", " UNION ALL ".join(selects))
        for f, *got in eng.rows("SELECT f, path, work, doi, arxiv, extras FROM fields LIMIT 1000"):
            if tuple(got[:4]) + (list(got[4]),) != self._read_field(f):
                raise KgtoolError(f"internal error: the id field {f!r} read in SQL as {got}, by the parser "
                                  f"as {self._read_field(f)}; please report it")
        return eng.rows("SELECT count(*) FROM fields")[0][0]

    def _load_lookups(self) -> None:
        """Tables lk_creation, lk_timespan, lk_flag, lk_oci: each distinct value read by the parser."""
        eng, c = self.eng, self._c
        for field, literal, parse in (("creation", creation_literal, opencitations.parse_creation),
                                      ("timespan", duration_literal, opencitations.parse_timespan)):
            raw, values = self._parse_distinct(f"SELECT DISTINCT {c(field)} FROM raw", field, parse, (field,))
            texts = [self.encoder.term(literal(v)) if v else None for v in values]
            eng.load_rows(f"lk_{field}", {"raw": ("VARCHAR", raw), "t": ("VARCHAR", texts)})
            eng.compact(f"lk_{field}", "t")  # a few thousand literals, repeated in every citation
        flags, values = self._parse_distinct(
            f"SELECT DISTINCT {c('journal_sc')} FROM raw UNION SELECT DISTINCT {c('author_sc')} FROM raw",
            "flag", opencitations.parse_flag, ("journal_sc", "author_sc"))
        eng.load_rows("lk_flag", {"raw": ("VARCHAR", flags), "v": ("BOOLEAN", values)})
        # An OCI as the parser's pattern reads it; any other non-empty value goes through the parser.
        odd, fixed = self._parse_distinct(
            f"SELECT DISTINCT {c('oci')} FROM raw WHERE {c('oci')} <> '' AND NOT {eng.matches(c('oci'), self._oci)}",
            "oci", opencitations.parse_oci, ("oci",))
        eng.load_rows("lk_oci", {"raw": ("VARCHAR", odd), "oci": ("VARCHAR", fixed)})

    @property
    def _oci(self) -> str:
        return self.eng.text("(?i)" + opencitations.OCI.pattern)

    def _create_oc_tables(self) -> None:
        """Tables ``works`` (each identifier-only work's lines by template, deduplicated) and
        ``cit`` (one row per CSV row: its works and facts)."""
        eng, c, pattern = self.eng, self._c, self._oci
        # A row per line: its template and the value of its one slot besides the work's IRI (made
        # from the path when written). Rows of a few bytes, not lines: at 1M citations this took
        # 0.3 s against 1.2 s, and the sorted read 1.7 s against 2.5 s. The templates are ranked by
        # their text after the subject, so that each work's lines come in the order of their text.
        self.work_templates = tuple(sorted(work_plan(self.source, self.base), key=lambda t: t.parts[2:]))
        selects = []
        for i, t in enumerate(self.work_templates):
            slots = {p for p in t.parts[1::2] if p != "work"}
            if len(slots) > 1:
                raise KgtoolError(f"internal error: a work's line with the slots {sorted(slots)}; please report it")
            value = next(iter(slots), "CAST(NULL AS STRING)")
            rows = f"(SELECT path, doi, arxiv, {eng.explode('extras')} AS extra FROM fields)" if "extra" in t.when \
                else "fields"
            cond = " AND ".join(f"{f} IS NOT NULL" for f in sorted(t.when)) or "true"
            selects.append(f"SELECT path, {i} AS t, {value} AS v FROM {rows} WHERE {cond}")
        # Each line's subject is its work: deduplicating (path, t, v) rows is enough.
        eng.create("works", f"SELECT DISTINCT path, t, v FROM ({' UNION ALL '.join(selects)})")
        eng.create("cit", f"""
            SELECT r.rn, a.path AS citing_path, b.path AS cited_path,
                   cr.t AS creation, ts.t AS timespan,
                   CASE WHEN {c('oci')} = '' THEN NULL
                        WHEN {eng.matches(c('oci'), pattern)} THEN regexp_extract({c('oci')}, {pattern}, 1)
                        ELSE (SELECT o.oci FROM lk_oci o WHERE o.raw = {c('oci')}) END AS oci,
                   fa.v AS author_self, fj.v AS journal_self
            FROM raw r
            JOIN fields a ON a.f = {c('citing')} JOIN fields b ON b.f = {c('cited')}
            JOIN lk_creation cr ON cr.raw = {c('creation')} JOIN lk_timespan ts ON ts.raw = {c('timespan')}
            JOIN lk_flag fa ON fa.raw = {c('author_sc')} JOIN lk_flag fj ON fj.raw = {c('journal_sc')}""")
        # What cit was made from is not needed again: at 5M citations, dropping it instead of letting
        # it spill took 102.6 and 106.5 s against 120.5 and 114.2 s (the same bytes).
        eng.drop(["raw", "idf", "idf_plain", "idf_rest", "fields", "lk_creation", "lk_timespan", "lk_flag", "lk_oci"])

    def _parse_distinct(self, sql: str, field: str, parse: Callable[[str, str, str], Any],
                        fields: tuple[str, ...]) -> tuple[list[str], list[Any]]:
        """The distinct values ``sql`` selects, each read by the source's own parser; a value it
        refuses is reported through the first row holding it in one of ``fields``."""
        raw = [v for (v,) in self.eng.rows(sql)]
        parsed = []
        for v in raw:
            try:
                parsed.append(parse(opencitations._value(v, self.name, field), self.name, field))
            except InputError:
                self._raise_row(" OR ".join(f"{self._c(f)} = {self.eng.text(v)}" for f in fields))
        return raw, parsed

    def _raise_row(self, where: str) -> None:
        """Re-read the first row matching ``where`` through the parser, which names the problem."""
        col = self.col
        names = [f for f in opencitations.FIELDS if col[f]]
        sel = ", ".join(f"coalesce({col[f]}, '')" for f in names)
        rn, *values = self.eng.rows(f"SELECT rn, {sel} FROM raw WHERE {where} ORDER BY rn LIMIT 1")[0]
        row = dict(zip(names, values))
        # The header is line 1, then one line per row (a quoted newline would shift this).
        line = 2 + self.eng.rows(f"SELECT count(*) FROM raw WHERE rn < {rn}")[0][0]
        opencitations.parse_row(row, f"{self.name}:{line}", "")
        raise InputError("cannot read this row", source=self.name, line=line)  # pragma: no cover

    # -- the output -----------------------------------------------------------------------------

    def count_lines(self, plan: CitationPlan) -> int:
        """Merge the citations of each (citing, cited) pair and count the lines to be written."""
        eng = self.eng
        pair = eng.sha256_hex("citing_path || ' ' || cited_path")
        first = {f: f"{eng.first_by(f, 'rn')} FILTER (WHERE {f} IS NOT NULL) AS {f}"
                 for f in ("creation", "timespan", "oci")}
        # As the build path merges them (resolve.merge_citations): the pair's first row's values,
        # filled from later rows where empty; a flag set by any row; a work citing itself dropped.
        # Only pairs cited more than once are aggregated (aggregates of strings are slow; most
        # pairs occur once and pass through as they are).
        eng.create("dup", "SELECT citing_path, cited_path FROM cit WHERE citing_path <> cited_path "
                          "GROUP BY citing_path, cited_path HAVING count(*) > 1")
        in_dup = ("EXISTS (SELECT 1 FROM dup d WHERE d.citing_path = cit.citing_path "
                  "AND d.cited_path = cit.cited_path)")
        # Where the engine keeps a table's order, the citations are stored once in input order
        # (a sort of the table, which spills) and read back as stored: no sort of the lines.
        order = " ORDER BY prn" if eng.stored_order else ""
        eng.create("c", f"""
            SELECT *, substr({pair}, 1, 20) AS pair FROM (
              SELECT citing_path, cited_path, rn AS prn, creation, timespan, oci,
                     author_self, journal_self
              FROM cit WHERE citing_path <> cited_path AND NOT {in_dup}
              UNION ALL
              SELECT citing_path, cited_path, min(rn) AS prn,
                     {first['creation']}, {first['timespan']}, {first['oci']},
                     bool_or(author_self) AS author_self, bool_or(journal_self) AS journal_self
              FROM cit WHERE {in_dup} GROUP BY citing_path, cited_path){order}""", ordered=bool(order))
        eng.drop(["cit", "dup"])
        self.work_lines = eng.rows("SELECT count(*) FROM works")[0][0]
        self.citations = eng.rows("SELECT count(*) FROM c")[0][0]
        self.citation_lines = eng.rows(f"SELECT sum({_lines_per_row(plan)}) FROM c")[0][0] or 0
        return self.work_lines + self.citation_lines

    def line_chunks(self, plan: CitationPlan, tail: str) -> Iterator[tuple[bytes | memoryview, int]]:
        """The works' lines, then the citations' lines: chunks of lines with their number."""
        yield from self.eng.lines(self.work_lines_sql(tail), self.work_lines)
        yield from self.eng.lines(self.citation_lines_sql(plan, tail), self.citation_lines)

    def work_lines_sql(self, tail: str) -> str:
        """The works' lines, each work's together (by path), then by template and value."""
        eng = self.eng
        iri = eng.concat([eng.text(f"<{self.base}"), "path", eng.text(">")])
        cases = []
        for i, t in enumerate(self.work_templates):
            slots = {p: iri if p == "work" else "v" for p in t.parts[1::2]}  # the other slot holds v
            cases.append(f"WHEN {i} THEN {eng.concat([*_template_args(eng, t, slots), eng.text(tail)])}")
        return f"SELECT CASE t {' '.join(cases)} END AS line, 1 AS n FROM works ORDER BY path, t, v"

    def citation_lines_sql(self, plan: CitationPlan, tail: str) -> str:
        """A query giving one row per citation (its lines, in template order), in input order."""
        eng = self.eng
        # One concat per citation (DuckDB's || makes a string per operator, ~3x slower); a line
        # whose facts are missing is NULL, which concat skips.
        parts: list[str] = []
        for t in plan.templates:
            line = [*_template_args(eng, t), eng.text(tail)]
            cond = _condition(t.when)
            parts += line if cond == "true" else [f"CASE WHEN {cond} THEN {eng.concat(line)} END"]
        # The IRIs are made here, not stored: c stays narrow, so that its sort into input order is cheap.
        iri = {k: eng.concat([eng.text(f"<{prefix}"), col, eng.text(">")]) for k, prefix, col in (
            ("citing", self.base, "citing_path"), ("cited", self.base, "cited_path"),
            ("node", iris.citation_prefix(self.base), "pair"))}
        terms = ", ".join(f"{v} AS {k}" for k, v in iri.items())
        return (f"SELECT {eng.concat(parts)} AS line, {_lines_per_row(plan)} AS n FROM (SELECT *, {terms} FROM c)"
                + ("" if eng.stored_order else " ORDER BY prn"))


def _template_args(eng: SqlEngine, t: LineTemplate, exprs: dict[str, str] | None = None) -> list[str]:
    """A template's parts as SQL: its constant parts as literals, its slots as ``exprs`` gives
    them, else as the columns of their names."""
    exprs = exprs or {}
    return [eng.text(p) if i % 2 == 0 else exprs.get(p, p) for i, p in enumerate(t.parts) if p or i % 2]


def _field_columns(paths: list, works: list, dois: list, arxivs: list, extras: list) -> dict[str, tuple[str, list]]:
    return {"path": ("VARCHAR", paths), "work": ("VARCHAR", works), "doi": ("VARCHAR", dois),
            "arxiv": ("VARCHAR", arxivs), "extras": ("VARCHAR[]", extras)}


def _plain_select(eng: SqlEngine, p: IdFieldPlan) -> str:
    """The SQL reading the plain fields of one combination of schemes by their plan."""
    values = [f"split_part(split_part(f, ' ', {i + 1}), ':', 2)" for i in range(len(p.schemes))]

    def text(parts: tuple[str, ...] | None) -> str:
        if parts is None:
            return "CAST(NULL AS STRING)"
        return eng.concat([eng.text(x) if i % 2 == 0 else values[int(x)] for i, x in enumerate(parts) if x or i % 2])

    where = [f"sig = {eng.text(' '.join(p.schemes))}"]
    for i in p.doi_tokens():
        where += [eng.matches(values[i], eng.text(PLAIN_DOI)),
                  f"substr({values[i]}, 1, {len(ARXIV_DOI_PREFIX)}) <> {eng.text(ARXIV_DOI_PREFIX)}"]
    return (f"SELECT f, {text(p.path)} AS path, {text(p.work)} AS work, {text(p.doi)} AS doi, "
            f"{text(p.arxiv)} AS arxiv, {eng.array([text(x) for x in p.extras])} AS extras "
            f"FROM idf_plain WHERE {' AND '.join(where)}")


def _lines_per_row(plan: CitationPlan) -> str:
    """A citation's number of lines, as SQL over the columns of table c."""
    return " + ".join("1" if (cond := _condition(t.when)) == "true" else f"CASE WHEN {cond} THEN 1 ELSE 0 END"
                      for t in plan.templates)


def _condition(when: frozenset[str]) -> str:
    tests = {"author_self": "author_self", "journal_self": "journal_self", "creation": "creation IS NOT NULL",
             "timespan": "timespan IS NOT NULL", "oci": "oci IS NOT NULL"}
    return " AND ".join(tests[f] for f in sorted(when)) or "true"


def _csv_names(file: Path, compressed: bool, name: str) -> list[str]:
    """The header's column names, checked by the parser (citing and cited must be there)."""
    try:
        with (gzip.open(file, "rb") if compressed else open(file, "rb")) as fh:
            first = fh.readline()
    except (OSError, EOFError) as e:
        raise InputError(f"cannot read ({e})", source=name) from None
    try:
        text = first.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError("not valid UTF-8", source=name, line=1) from None
    try:
        header = next(csv.reader(io.StringIO(text)), None)
    except csv.Error as e:
        raise InputError(f"bad CSV header: {e}", source=name, line=1) from None
    names = opencitations.csv_header(header, name)
    seen: set[str] = set()
    out = []
    for i, n in enumerate(names):  # SQL needs distinct, plain column names
        n = n if n.isidentifier() and n not in seen else f"col{i}"
        seen.add(n)
        out.append(n)
    return out
