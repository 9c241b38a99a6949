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
from ..progress import ProgressMeter, Report, quiet
from ..read.dumpfile import open_dump, peek, sha256_file, spooled_stdin
from ..read.sources import openalex, opencitations
from ..serialize.export import graph_name
from ..serialize.ntlines import NTLineEncoder
from ..serialize.stream_writers import formatter_for, open_writer, parse_output
from . import iris
from .mapping import creation_literal, duration_literal, source_triples, work_terms, work_triples
from .model import SourceInfo, Work
from .plan import CitationPlan, LineTemplate, citation_plan, work_plan

ENGINES = ("duckdb", "spark")
#: DuckDB's memory limit by default: a 1M-citation conversion stays under 512 MB peak RSS.
DEFAULT_MEMORY_LIMIT = "256MB"
_BATCH = 50_000  # OpenAlex records handed to the engine at a time


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
    def rows(self, sql: str) -> list[tuple]: ...
    def batches(self, sql: str, size: int) -> Iterator[list]: ...
    def lines(self, sql: str) -> Iterator[bytes]: ...
    def sha256_hex(self, expr: str) -> str: ...
    def matches(self, expr: str, pattern: str) -> str: ...
    def first_by(self, expr: str, order: str) -> str: ...
    def explode(self, expr: str) -> str: ...
    def text(self, value: str) -> str: ...
    def close(self) -> None: ...

    range_rows: int | None  # citations written per query (each sorted on its own); None: one query


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
                spark_master: str | None) -> SqlEngine:
    if engine == "duckdb":
        from .convert_duckdb import DuckDBEngine

        return DuckDBEngine(scratch, memory_limit or DEFAULT_MEMORY_LIMIT, threads)
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
    progress: Report = quiet,
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
    if split is not None and split < 1:
        raise UsageError(f"--split must be a positive number of triples, got {split}")
    if engine not in ENGINES:
        raise UsageError(f"unknown engine {engine!r} (choose from: {', '.join(ENGINES)})")
    out = Path(out_dir)
    if out_stream is None:
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise UsageError(f"cannot create the output folder {out}: {e.strerror}") from None
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
                          spark_master=spark_master)
        stack.callback(eng.close)
        job = _Job(eng, name, source, base, progress)
        if fmt.name == "oc-csv":
            records = job.load_oc_csv(file, dump.compressed)
            label_source = opencitations.NAME
        else:
            records = job.load_openalex(dump.stream)
            label_source = openalex.NAME
        source = SourceInfo(source.name, source.sha256, job.media_type)
        plan = citation_plan(source, base, label_source)
        tail = f" <{graph_name(base, stem)}> .\n" if kind == "nq" else " .\n"
        head = [NTLineEncoder().line(*t) for t in source_triples(source, base)] + list(plan.constants)
        total = len(head) + job.count_lines(plan)
        writer = open_writer(None if out_stream is not None else out, stem, to, split, out_stream)
        formatter = formatter_for(kind, str(graph_name(base, stem)))
        meter = ProgressMeter(progress, f"writing {name}", total, unit="triples")
        try:
            writer.write(formatter.block(head).encode("utf-8"), len(head))
            for sql in [job.work_lines_sql(tail), *job.citation_lines_sql(plan, tail)]:
                for data in eng.lines(sql):
                    n = data.count(b"\n")
                    if kind == "ttl":
                        data = formatter.block([ln + "\n" for ln in data.decode("utf-8").splitlines()]).encode()
                    writer.write(data, n)
                    meter.update(writer.triples, None, writer.triples)
            meter.update(writer.triples, None, writer.triples, force=True)
            if writer.triples != total:
                raise KgtoolError(f"internal error: {writer.triples} lines written, {total} expected; please report it")
            files = writer.commit()
        except OSError as e:
            writer.abort()
            raise KgtoolError(f"cannot write to {out}: {e.strerror or e}") from None
        except BaseException:
            writer.abort()
            raise
        seconds = time.monotonic() - started
        progress(f"done: {records:,} records, {writer.triples:,} triples in {seconds:.1f} s")
        return ConvertResult(name, fmt.name, files, records, job.citations, writer.triples, seconds)


class _Job:
    """One dump's tables in the engine: ``works`` (path, line) and ``cit`` (one row per citation)."""

    def __init__(self, eng: SqlEngine, name: str, source: SourceInfo, base: str, progress: Report):
        self.eng, self.name, self.source, self.base, self.progress = eng, name, source, base, progress
        self.encoder = NTLineEncoder()
        self.citations = 0
        self.media_type = source.media_type

    def _work(self, w: Work) -> tuple[str, str, list[str]]:
        """(path, IRI text, lines) of a work: its lines are the mapping's."""
        lines = [ln[:-3] for ln in self.encoder.lines(work_triples(w, (self.source,), self.base))]
        return iris.work_path(w), self.encoder.term(iris.work_iri(w, self.base)), lines

    # -- OpenCitations CSV ---------------------------------------------------------------------

    def load_oc_csv(self, file: Path, compressed: bool) -> int:
        eng, name = self.eng, self.name
        names = _csv_names(file, compressed, name)
        self.progress(f"reading {name}")
        eng.load_csv("raw", file, names, compressed, name)
        col = {f: (f if f in names else None) for f in opencitations.FIELDS}
        if col["oci"] is None and "id" in names:
            col["oci"] = "id"

        def c(field: str) -> str:
            return f"coalesce({col[field]}, '')" if col[field] else "''"

        records = eng.rows("SELECT count(*) FROM raw")[0][0]
        self.citations = records
        eng.create("idf", f"SELECT DISTINCT {c('citing')} AS f FROM raw UNION SELECT DISTINCT {c('cited')} FROM raw")
        total = eng.rows("SELECT count(*) FROM idf")[0][0]
        self.progress(f"parsing {total:,} distinct id fields of {records:,} rows")
        meter = ProgressMeter(self.progress, "parsing id fields", total, unit="fields")
        term, base, bad, done = self.encoder.term, self.base, None, 0
        eng.load_rows("fields", {"f": ("VARCHAR", []), "path": ("VARCHAR", []), "work": ("VARCHAR", []),
                                 "doi": ("VARCHAR", []), "arxiv": ("VARCHAR", []), "extras": ("VARCHAR[]", [])})
        for fields in eng.batches("SELECT f FROM idf", _BATCH):  # in batches: Python's memory stays small
            paths, iri_texts, dois, arxivs, extras = [], [], [], [], []
            for f in fields:
                try:
                    v = f.strip() if "=>" not in f and "; " not in f else opencitations._value(f, name, "citing")
                    w = opencitations.parse_ids(v, name, "citing") if v else None
                except InputError:
                    w = None
                if w is None:
                    bad = f if bad is None else bad
                    paths.append(None), iri_texts.append(None), dois.append(None), arxivs.append(None)
                    extras.append([])
                    continue
                t = work_terms(w, base)  # the mapping's terms; its lines come from work_plan's templates
                paths.append(iris.work_path(w))
                iri_texts.append(term(t.iri))
                dois.append(term(t.doi) if t.doi is not None else None)
                arxivs.append(term(t.arxiv) if t.arxiv is not None else None)
                extras.append([term(x) for x in t.extra_ids])
            if bad is not None:
                self._raise_row(f"{c('citing')} = {eng.text(bad)} OR {c('cited')} = {eng.text(bad)}", col)
            eng.load_rows("fields", {"f": ("VARCHAR", fields), "path": ("VARCHAR", paths),
                                     "work": ("VARCHAR", iri_texts), "doi": ("VARCHAR", dois),
                                     "arxiv": ("VARCHAR", arxivs), "extras": ("VARCHAR[]", extras)})
            done += len(fields)
            meter.update(done, None, done)
        for field, literal, parse in (("creation", creation_literal, opencitations.parse_creation),
                                      ("timespan", duration_literal, opencitations.parse_timespan)):
            raw, values = self._parse_distinct(f"SELECT DISTINCT {c(field)} FROM raw", field, parse,
                                               lambda v, f=field: f"{c(f)} = {eng.text(v)}", col)
            texts = [self.encoder.term(literal(v)) if v else None for v in values]
            eng.load_rows(f"lk_{field}", {"raw": ("VARCHAR", raw), "t": ("VARCHAR", texts)})
        flags, values = self._parse_distinct(
            f"SELECT DISTINCT {c('journal_sc')} FROM raw UNION SELECT DISTINCT {c('author_sc')} FROM raw",
            "flag", opencitations.parse_flag,
            lambda v: f"{c('journal_sc')} = {eng.text(v)} OR {c('author_sc')} = {eng.text(v)}", col)
        eng.load_rows("lk_flag", {"raw": ("VARCHAR", flags), "v": ("BOOLEAN", values)})
        # An OCI as the parser's pattern reads it; any other non-empty value goes through the parser.
        pattern = eng.text("(?i)" + opencitations.OCI.pattern)
        odd, fixed = self._parse_distinct(
            f"SELECT DISTINCT {c('oci')} FROM raw WHERE {c('oci')} <> '' AND NOT {eng.matches(c('oci'), pattern)}",
            "oci", opencitations.parse_oci, lambda v: f"{c('oci')} = {eng.text(v)}", col)
        eng.load_rows("lk_oci", {"raw": ("VARCHAR", odd), "oci": ("VARCHAR", fixed)})
        self.progress("joining rows to their works")
        selects = []
        for t in work_plan(self.source, self.base):
            expr = _concat_sql(eng, t)
            if "extra" in t.when:
                selects.append(f"SELECT path, {expr} AS line FROM "
                               f"(SELECT path, work, {eng.explode('extras')} AS extra FROM fields)")
            else:
                cond = " AND ".join(f"{f} IS NOT NULL" for f in sorted(t.when)) or "true"
                selects.append(f"SELECT path, {expr} AS line FROM fields WHERE {cond}")
        # Each line's subject is its work: deduplicating (path, line) pairs is enough.
        eng.create("works", f"SELECT DISTINCT path, line FROM ({' UNION ALL '.join(selects)})")
        eng.create("cit", f"""
            SELECT r.rn, a.path AS citing_path, b.path AS cited_path, a.work AS citing, b.work AS cited,
                   cr.t AS creation, ts.t AS timespan,
                   CASE WHEN {c('oci')} = '' THEN NULL
                        WHEN {eng.matches(c('oci'), pattern)} THEN regexp_extract({c('oci')}, {pattern}, 1)
                        ELSE (SELECT o.oci FROM lk_oci o WHERE o.raw = {c('oci')}) END AS oci,
                   fa.v AS author_self, fj.v AS journal_self
            FROM raw r
            JOIN fields a ON a.f = {c('citing')} JOIN fields b ON b.f = {c('cited')}
            JOIN lk_creation cr ON cr.raw = {c('creation')} JOIN lk_timespan ts ON ts.raw = {c('timespan')}
            JOIN lk_flag fa ON fa.raw = {c('author_sc')} JOIN lk_flag fj ON fj.raw = {c('journal_sc')}""")
        return records

    def _parse_distinct(self, sql: str, field: str, parse: Callable[[str, str, str], Any],
                        where: Callable[[str], str], col: dict[str, str | None]) -> tuple[list[str], list[Any]]:
        """The distinct values ``sql`` selects, each read by the source's own parser; a value it
        refuses is reported through its first row (``where`` selects the rows holding it)."""
        raw = [v for (v,) in self.eng.rows(sql)]
        parsed = []
        for v in raw:
            try:
                parsed.append(parse(opencitations._value(v, self.name, field), self.name, field))
            except InputError:
                self._raise_row(where(v), col)
        return raw, parsed

    def _raise_row(self, where: str, col: dict[str, str | None]) -> None:
        """Re-read the first row matching ``where`` through the parser, which names the problem."""
        names = [f for f in opencitations.FIELDS if col[f]]
        sel = ", ".join(f"coalesce({col[f]}, '')" for f in names)
        rn, *values = self.eng.rows(f"SELECT rn, {sel} FROM raw WHERE {where} ORDER BY rn LIMIT 1")[0]
        row = dict(zip(names, values))
        # The header is line 1, then one line per row (a quoted newline would shift this).
        line = 2 + self.eng.rows(f"SELECT count(*) FROM raw WHERE rn < {rn}")[0][0]
        opencitations.parse_row(row, f"{self.name}:{line}", "")
        raise InputError("cannot read this row", source=self.name, line=line)  # pragma: no cover

    # -- OpenAlex JSON Lines ------------------------------------------------------------------

    def load_openalex(self, stream: IO[bytes]) -> int:
        eng, name = self.eng, self.name
        cols: dict[str, list] = {
            k: [] for k in ("path", "line", "oa", "opath", "rn", "cpath", "ciri", "created", "ref")
        }
        records = 0
        meter = ProgressMeter(self.progress, f"reading {name}", None)

        def flush() -> None:
            eng.load_rows("rec_lines", {"path": ("VARCHAR", cols["path"]), "line": ("VARCHAR", cols["line"])})
            eng.load_rows("rec_ids", {"oa": ("VARCHAR", cols["oa"]), "path": ("VARCHAR", cols["opath"])})
            eng.load_rows("rec_cites", {"rn": ("BIGINT", cols["rn"]), "citing_path": ("VARCHAR", cols["cpath"]),
                                        "citing": ("VARCHAR", cols["ciri"]), "creation": ("VARCHAR", cols["created"]),
                                        "ref": ("VARCHAR", cols["ref"])})
            for v in cols.values():
                v.clear()

        seen_lines: list[int] = []
        for work, cites in _openalex_records(stream, name, seen_lines):
            path, iri_text, lines = self._work(work)
            cols["path"] += [path] * len(lines)
            cols["line"] += lines
            cols["oa"].append(dict(work.extra_ids)["openalex"])
            cols["opath"].append(path)
            for i, c in enumerate(cites):
                cols["rn"].append((records << 20) + i)
                cols["cpath"].append(path)
                cols["ciri"].append(iri_text)
                cols["created"].append(self.encoder.term(creation_literal(c.creation)) if c.creation else None)
                cols["ref"].append(dict(c.cited.extra_ids)["openalex"])
            records += 1
            self.citations += len(cites)
            if records % _BATCH == 0:
                flush()
            meter.update(records)
        flush()
        if len(seen_lines) < 2:  # one JSON document, as fetch --input names it too
            self.media_type = "application/json"
        if not records:
            raise InputError("empty file: expected OpenAlex works as JSON Lines", source=name, line=1)
        # A work cited by OpenAlex id is the record of that id in this dump, else known by the id alone.
        eng.create("ids", "SELECT oa, min(path) AS path FROM rec_ids GROUP BY oa")
        missing = [r for (r,) in eng.rows("SELECT DISTINCT c.ref FROM rec_cites c LEFT JOIN ids ON ids.oa = c.ref "
                                          "WHERE ids.path IS NULL")]
        self.progress(f"{len(missing):,} cited works are not in the dump: known by OpenAlex id only")
        paths, texts, byid_lines = [], [], []
        for r in missing:
            p, t, ls = self._work(openalex.cited_by_id(r))
            paths.append(p), texts.append(t), byid_lines.append(ls)
        eng.load_rows("byid", {"oa": ("VARCHAR", missing), "path": ("VARCHAR", paths), "iri": ("VARCHAR", texts),
                               "lines": ("VARCHAR[]", byid_lines)})
        # A line shared by two works (an author known by ORCID) is written once, with the first.
        eng.create("works", "SELECT path, line FROM (SELECT path, line, row_number() OVER "
                            "(PARTITION BY line ORDER BY path) AS k FROM (SELECT DISTINCT path, line FROM "
                            "(SELECT path, line FROM rec_lines "
                            f"UNION ALL SELECT path, {eng.explode('lines')} AS line FROM byid))) WHERE k = 1")
        cited_iri = f"{eng.text('<' + self.base)} || ids.path || '>'"
        eng.create("cit", f"""
            SELECT c.rn, c.citing_path, coalesce(ids.path, b.path) AS cited_path, c.citing,
                   coalesce({cited_iri}, b.iri) AS cited, c.creation, CAST(NULL AS STRING) AS timespan,
                   CAST(NULL AS STRING) AS oci, false AS author_self, false AS journal_self
            FROM rec_cites c LEFT JOIN ids ON ids.oa = c.ref LEFT JOIN byid b ON b.oa = c.ref""")
        return records

    # -- the output -----------------------------------------------------------------------------

    def count_lines(self, plan: CitationPlan) -> int:
        """Merge the citations of each (citing, cited) pair and count the lines to be written."""
        eng = self.eng
        pair = eng.sha256_hex("citing_path || ' ' || cited_path")
        node = f"{eng.text('<' + iris.citation_prefix(self.base))} || substr({pair}, 1, 20) || '>'"
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
        # Where the engine writes range by range, the citations are stored once in input order
        # (a sort of the table, which spills) and read by storage position: no sort of the lines.
        order = " ORDER BY prn" if eng.range_rows else ""
        eng.create("c", f"""
            SELECT *, {node} AS node FROM (
              SELECT citing_path, cited_path, citing, cited, rn AS prn, creation, timespan, oci,
                     author_self, journal_self
              FROM cit WHERE citing_path <> cited_path AND NOT {in_dup}
              UNION ALL
              SELECT citing_path, cited_path, min(citing) AS citing, min(cited) AS cited, min(rn) AS prn,
                     {first['creation']}, {first['timespan']}, {first['oci']},
                     bool_or(author_self) AS author_self, bool_or(journal_self) AS journal_self
              FROM cit WHERE {in_dup} GROUP BY citing_path, cited_path){order}""", ordered=bool(order))
        sums = " + ".join(f"count(*) FILTER (WHERE {_condition(t.when)})" for t in plan.templates)
        works = eng.rows("SELECT count(*) FROM works")[0][0]
        self.citations = eng.rows("SELECT count(*) FROM c")[0][0]
        return works + (eng.rows(f"SELECT {sums} FROM c")[0][0] or 0)

    def work_lines_sql(self, tail: str) -> str:
        return f"SELECT line || {self.eng.text(tail)} AS line FROM works ORDER BY path, line"

    def citation_lines_sql(self, plan: CitationPlan, tail: str) -> list[str]:
        """Queries giving one row per citation (its lines, in template order), in input order:
        range by range where the engine sorts each range in memory (bounded), else one sort."""
        eng = self.eng
        parts = [f"CASE WHEN {_condition(t.when)} THEN {_concat_sql(eng, t)} || {eng.text(tail)} ELSE '' END"
                 for t in plan.templates]
        if not eng.range_rows:
            return [f"SELECT {' || '.join(parts)} AS line FROM c ORDER BY prn"]
        step = eng.range_rows
        return [f"SELECT {' || '.join(parts)} AS line FROM c WHERE rowid >= {a} AND rowid < {a + step}"
                for a in range(0, self.citations, step)]


def _concat_sql(eng: SqlEngine, t: LineTemplate) -> str:
    """A template as a SQL expression: its constant parts as literals, its slots as columns."""
    return " || ".join(eng.text(p) if i % 2 == 0 else p for i, p in enumerate(t.parts) if p or i % 2)


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


def _openalex_records(stream: IO[bytes], name: str, lines: list[int]) -> Iterator[tuple]:
    """The records of an OpenAlex file through the one parser, streaming JSON Lines.
    ``lines`` gets the number of JSON Lines lines read (0 for one JSON document)."""
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="\n")
    try:
        first = text.readline()
        skipped = 0
        while first and not first.strip():
            first, skipped = text.readline(), skipped + 1
        if not openalex.is_json_value(first):
            yield from openalex.iter_records(first + text.read(), name)
            return
        n = skipped + 1
        lines.append(1)
        yield from openalex.iter_line(first, name, n)
        for line in text:
            n += 1
            if line.strip():
                lines.append(1)
            yield from openalex.iter_line(line, name, n)
    except UnicodeDecodeError as e:
        raise InputError(f"not valid UTF-8 ({e.reason})", source=name) from None
    except (OSError, EOFError) as e:
        raise InputError(f"truncated or corrupt compressed data ({e})", source=name) from None
