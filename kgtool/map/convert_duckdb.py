"""The DuckDB engine of ``kgtool convert``: embedded, bounded memory, spills to a scratch folder."""

from __future__ import annotations

import itertools
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import InputError, KgtoolError, UsageError
from ..progress import Progress, quiet
from ..read.dumpfile import last_line_length

_BATCH_ROWS = 1 << 11  # rows of lines per Arrow batch: ~3 MB (8,192 rows took 140 MB more peak RSS, no faster)
_LINE = re.compile(r"\bLine: (\d+)|\bline (\d+)", re.IGNORECASE)


#: The longest CSV row read (an OpenCitations row is well under 1 KB). DuckDB's read buffer is 16
#: times this, twice (32 MB here; 8 MB rows took 256 MB, the whole default --memory-limit, and
#: a 5M-citation file ran out of it), and DuckDB 2.0 silently drops a last row longer than that
#: buffer instead of failing: load_csv checks the last line first.
MAX_LINE = 1 << 20
WATCH = 5.0  # seconds between progress lines while one long statement runs

class DuckDBEngine:
    stored_order = True  # with preserve_insertion_order, a table is read back as it was written

    def __init__(self, scratch: Path, memory_limit: str, threads: int | None, progress: Progress = quiet):
        self.progress = progress
        self._csv: set[str] = set()  # tables read by load_csv: a view over the table <name>_t
        # An in-memory database: its tables spill to temp_directory when the buffer pool is full.
        # (A database file in the scratch folder wrote every table to its log and checkpointed
        # it: 1M citations took 26.7 s against 16.2 s, the same bytes.)
        self.con = duckdb.connect(":memory:")
        try:
            self.con.execute(f"SET memory_limit = '{_size(memory_limit)}'")
            self.con.execute(f"SET temp_directory = '{_quote(str(scratch))}'")
            if threads:
                self.con.execute(f"SET threads = {int(threads)}")
            # Progress is tracked (for query_progress) but never printed by DuckDB itself.
            self.con.execute("SET enable_progress_bar = true")
            self.con.execute("SET enable_progress_bar_print = false")
            # Order comes from ORDER BY where it matters (ordered=True); elsewhere DuckDB may spill freely.
            self.con.execute("SET preserve_insertion_order = false")
        except duckdb.Error as e:
            self.con.close()
            raise UsageError(f"cannot set up DuckDB: {_first_line(e)}") from None

    def load_csv(self, table: str, path: Path, names: list[str], compressed: bool, source: str) -> None:
        columns = ", ".join(f"'{n}': 'VARCHAR'" for n in names)
        sql = (
            f"CREATE TABLE {table}_t AS SELECT * FROM read_csv('{_quote(str(path))}', header = true, "
            f"auto_detect = false, columns = {{{columns}}}, delim = ',', quote = '\"', escape = '\"', "
            f"strict_mode = true, null_padding = false, max_line_size = {MAX_LINE}, "
            f"compression = '{'gzip' if compressed else 'none'}')"
        )
        if last_line_length(path, MAX_LINE) > MAX_LINE:
            raise InputError(f"the last line is longer than {MAX_LINE:,} bytes (a CSV row may be at most that)",
                             source=source)
        try:
            self._ordered(True)  # the file's row order becomes rowid
            self.con.execute(sql)
            self._ordered(False)
        except duckdb.OutOfMemoryException as e:
            raise _out_of_memory(e) from None
        except duckdb.Error as e:
            msg = _csv_reason(e)
            m = _LINE.search(str(e))
            line = int(next(g for g in m.groups() if g)) if m else None
            raise InputError(f"bad CSV: {msg}", source=source, line=line) from None
        self.con.execute(f"CREATE VIEW {table} AS SELECT rowid AS rn, * FROM {table}_t")
        self._csv.add(table)

    def load_rows(self, table: str, columns: dict[str, tuple[str, list]]) -> None:
        types = {"VARCHAR": pa.string(), "VARCHAR[]": pa.list_(pa.string()), "BOOLEAN": pa.bool_(),
                 "BIGINT": pa.int64()}
        data = pa.table({k: pa.array(v, type=types[t]) for k, (t, v) in columns.items()})
        self.con.register("_incoming", data)
        try:
            exists = self.con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [table]).fetchone()
            if exists and exists[0]:
                self.con.execute(f"INSERT INTO {table} SELECT * FROM _incoming")
            else:
                self.con.execute(f"CREATE TABLE {table} AS SELECT * FROM _incoming")
        finally:
            self.con.unregister("_incoming")

    def create(self, table: str, sql: str, ordered: bool = False) -> None:
        self._ordered(ordered)
        try:
            self._run(f"CREATE TABLE {table} AS {sql}")
        finally:
            self._ordered(False)

    def compact(self, table: str, column: str) -> None:
        """Store a text column of few distinct values as an ENUM: the tables made from it carry a
        small integer per row instead of the text (at 1M citations, the literals of the dates and
        spans made storing the citations in input order take 1.7-1.9 s against 1.2-1.3 s)."""
        if not self.rows(f"SELECT count({column}) FROM {table}")[0][0]:
            return  # an ENUM needs a value
        kind = f"{table}_{column}_values"
        self.con.execute(f"CREATE TYPE {kind} AS ENUM (SELECT DISTINCT {column} FROM {table} "
                         f"WHERE {column} IS NOT NULL)")
        self.con.execute(f"ALTER TABLE {table} ALTER {column} TYPE {kind}")

    def drop(self, tables: list[str]) -> None:
        """Free tables that are not needed again (their memory, or their spilled blocks)."""
        for table in tables:
            if table in self._csv:  # load_csv's view, then its table
                self.con.execute(f"DROP VIEW {table}")
                self._csv.discard(table)
                table += "_t"
            self.con.execute(f"DROP TABLE IF EXISTS {table}")

    def _ordered(self, on: bool) -> None:
        self.con.execute(f"SET preserve_insertion_order = {'true' if on else 'false'}")

    def rows(self, sql: str) -> list[tuple]:
        return self._run(sql).fetchall()

    def batches(self, sql: str, size: int) -> Iterator[list]:
        """The first column of a query's rows, ``size`` at a time (from a second connection, so that
        tables can be written meanwhile)."""
        cur = self.con.cursor()
        try:
            cur.execute(sql)
            while rows := cur.fetchmany(size):
                yield [r[0] for r in rows]
        finally:
            cur.close()

    def lines(self, sql: str, expected: int = 0) -> Iterator[tuple[memoryview, int]]:
        """The query's text column, as its values one after another (in the order of an ORDER BY,
        else of the table's storage), with the sum of its second column (each row's lines), a
        batch at a time. The text is a view of the batch's buffer, not a copy."""
        self._ordered(True)
        try:
            with self._watched():  # the joins and sorts run before the first batch comes
                reader = self.con.sql(sql).to_arrow_reader(_BATCH_ROWS)
                first = next(iter(reader), None)
        except duckdb.OutOfMemoryException as e:
            raise _out_of_memory(e) from None
        if first is None:
            return
        for batch in itertools.chain((first,), reader):
            # Counting the newlines instead took 0.9 s of Python per 1.5 GB (bytes.count).
            yield _concat(batch.column(0)), pc.sum(batch.column(1)).as_py() or 0

    def sha256_hex(self, expr: str) -> str:
        return f"sha256({expr})"

    def explode(self, expr: str) -> str:
        return f"unnest({expr})"

    def first_by(self, expr: str, order: str) -> str:
        return f"arg_min({expr}, {order})"

    def matches(self, expr: str, pattern: str) -> str:
        return f"regexp_matches({expr}, {pattern})"

    def concat(self, exprs: list[str]) -> str:
        return f"concat({', '.join(exprs)})"  # NULLs count as ''

    def array(self, exprs: list[str]) -> str:
        return f"CAST([{', '.join(exprs)}] AS VARCHAR[])"

    def replace_all(self, expr: str, pattern: str, replacement: str) -> str:
        return f"regexp_replace({expr}, {self.text(pattern)}, {self.text(replacement)}, 'g')"

    def text(self, value: str) -> str:
        return "'" + value.replace("'", "''") + "'"

    def close(self) -> None:
        self.con.close()

    @contextmanager
    def _watched(self) -> Iterator[None]:
        """While a statement runs for more than WATCH seconds, report how far DuckDB says it is."""
        if self.progress is quiet:
            yield
            return
        stop = threading.Event()

        def watch() -> None:
            while not stop.wait(WATCH):
                done = self.con.query_progress()
                if done >= 0:
                    self.progress(f"working: the current DuckDB statement is {done:.0f}% done")

        thread = threading.Thread(target=watch, name="kgtool-duckdb-progress", daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join()

    def _run(self, sql: str) -> duckdb.DuckDBPyConnection:
        try:
            with self._watched():
                return self.con.execute(sql)
        except duckdb.OutOfMemoryException as e:
            raise _out_of_memory(e) from None
        except duckdb.IOException as e:
            raise KgtoolError(f"DuckDB could not read or spill: {_first_line(e)}") from None


def _concat(arr: pa.Array) -> memoryview:
    """The values of a string array, concatenated: a view of its data buffer between the first
    and last offset (which keeps the buffer alive)."""
    if arr.type not in (pa.string(), pa.large_string()):
        arr = arr.cast(pa.large_string())
    _, offsets, data = arr.buffers()
    offs = memoryview(offsets).cast("i") if arr.type == pa.string() else memoryview(offsets).cast("q")
    if data is None:
        return memoryview(b"")
    return memoryview(data)[offs[arr.offset]:offs[arr.offset + len(arr)]]


def _size(limit: str) -> str:
    if not re.fullmatch(r"\s*\d+(\.\d+)?\s*([KMGT]i?B|B)?\s*", limit, re.IGNORECASE):
        raise UsageError(f"--memory-limit takes a size such as 512MB or 2GB, got {limit!r}")
    return limit.strip()


def _quote(value: str) -> str:
    return value.replace("'", "''")


_COLUMNS = re.compile(r"^Expected Number of Columns: (\d+) Found: (\d+)")


def _csv_reason(e: Exception) -> str:
    """Why DuckDB refused a CSV row, in a few words: the last line of its explanation before its
    "Possible fixes" or "Possible Solution" (the row itself, which comes before, is not repeated)."""
    text = str(e)
    if "\nPossible " not in text or "CSV Error on Line" not in text:
        return _first_line(e)
    reason = next((ln.strip() for ln in reversed(text.split("\nPossible ")[0].splitlines()) if ln.strip()), "")
    if m := _COLUMNS.match(reason):
        return f"{m.group(2)} fields where the header has {m.group(1)}"
    if not reason or reason.startswith("Original Line:"):
        return _first_line(e)
    return reason.rstrip(".")[:200]


def _out_of_memory(e: Exception) -> KgtoolError:
    return KgtoolError(f"DuckDB ran out of memory ({_first_line(e)}); raise --memory-limit")


def _first_line(e: Exception) -> str:
    return str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
