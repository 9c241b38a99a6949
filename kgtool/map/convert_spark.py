"""The Spark engine of ``kgtool convert``: the same plan and SQL as DuckDB, on local[N] or a cluster.

Needs the extra ``pip install 'kgtool[spark]'`` (PySpark) and Java 17+. The driver (this
process) reads the dump's header, hashes it and parses the distinct id fields, as with DuckDB;
the executors read the CSV, join, hash and sort. The sorted lines come back to the driver, which
writes the output files (so --split, gzip and the atomic rename behave as with DuckDB).
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..errors import InputError, KgtoolError, UsageError

_FETCH = 20_000  # lines joined into one chunk of output
#: Lines per partition of a sorted output (~35 MB of N-Triples): toLocalIterator brings one
#: partition at a time into the driver's memory. (With 2 x cores partitions, 100k citations in
#: local[1] made the driver's JVM run out of its heap, and the job then hung.)
_PART_LINES = 200_000


def _spark():
    try:
        from pyspark.sql import SparkSession, types
    except ImportError:
        raise UsageError("--engine spark needs PySpark: pip install 'kgtool[spark]' (and Java 17 or later)") from None
    if not (shutil.which("java") or os.environ.get("JAVA_HOME")):
        raise UsageError("--engine spark needs Java 17 or later (java on PATH, or JAVA_HOME)")
    return SparkSession, types


class SparkEngine:
    stored_order = False  # one distributed sort

    def __init__(self, scratch: Path, memory_limit: str | None, threads: int | None, master: str | None):
        SparkSession, self.types = _spark()
        self.scratch = scratch
        builder = (SparkSession.builder.appName("kgtool convert")
                   .master(master or f"local[{threads or os.cpu_count() or 1}]")
                   .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
                   .config("spark.log.level", "ERROR")
                   .config("spark.sql.shuffle.partitions", str(max(2, (threads or os.cpu_count() or 1) * 2)))
                   .config("spark.sql.session.timeZone", "UTC"))
        if memory_limit:
            builder = builder.config("spark.driver.memory", _jvm_size(memory_limit))
        try:
            self.spark = builder.getOrCreate()
        except Exception as e:  # Py4J / JVM start-up errors
            raise KgtoolError(f"cannot start Spark: {_first_line(e)}") from None
        self.spark.sparkContext.setLogLevel("ERROR")
        # Spark spills to its own spark.local.dir (default: the system's temporary folder), which it
        # removes at shutdown; pointing it into kgtool's scratch folder made the JVM recreate that
        # folder after kgtool had removed it.
        self._frames: dict[str, Any] = {}

    def load_csv(self, table: str, path: Path, names: list[str], compressed: bool, source: str) -> None:
        from pyspark.sql.functions import monotonically_increasing_id

        t = self.types
        schema = t.StructType([t.StructField(n, t.StringType(), True) for n in names])
        target = str(path)
        if compressed and not target.endswith(".gz"):  # Hadoop tells gzip by the name
            link = self.scratch / "input.csv.gz"
            link.symlink_to(Path(path).resolve())
            target = str(link)
        df = (self.spark.read.option("header", True).option("quote", '"').option("escape", '"')
              .option("multiLine", True).option("mode", "FAILFAST").schema(schema).csv(target))
        # Increasing in file order (not contiguous): orders the citations; errors count rows for lines.
        df = df.withColumn("rn", monotonically_increasing_id())
        try:
            df = df.persist()
            df.count()
        except Exception as e:
            raise InputError(f"bad CSV: {_first_line(e)}", source=source) from None
        self._view(table, df)

    def load_rows(self, table: str, columns: dict[str, tuple[str, list]]) -> None:
        t = self.types
        kinds = {"VARCHAR": t.StringType(), "VARCHAR[]": t.ArrayType(t.StringType()), "BOOLEAN": t.BooleanType(),
                 "BIGINT": t.LongType()}
        schema = t.StructType([t.StructField(k, kinds[v[0]], True) for k, v in columns.items()])
        rows = list(zip(*(v for _, v in columns.values())))
        df = self.spark.createDataFrame(rows, schema)
        if table in self._frames:
            df = self._frames[table].unionByName(df)
        self._view(table, df.persist())

    def create(self, table: str, sql: str, ordered: bool = False) -> None:
        self._view(table, self._sql(sql).persist())

    def compact(self, table: str, column: str) -> None:
        """Nothing: Spark has no ENUM type (its shuffles compress the repeated texts)."""

    def drop(self, tables: list[str]) -> None:
        """Nothing: a frame built on these may not be computed yet (Spark is lazy), and Spark
        evicts persisted blocks itself when it needs the room."""

    def rows(self, sql: str) -> list[tuple]:
        return [tuple(r) for r in self._sql(sql).collect()]

    def batches(self, sql: str, size: int) -> Iterator[list]:
        chunk: list = []
        for row in self._sql(sql).toLocalIterator():
            chunk.append(row[0])
            if len(chunk) >= size:
                yield chunk
                chunk = []
        if chunk:
            yield chunk

    def lines(self, sql: str, expected: int = 0) -> Iterator[tuple[bytes, int]]:
        """The query's text column, values one after another, with the sum of its second column;
        its sort in partitions of about _PART_LINES of the ``expected`` lines (not coalesced)."""
        conf = self.spark.conf
        keys = ("spark.sql.shuffle.partitions", "spark.sql.adaptive.coalescePartitions.enabled")
        before = {k: conf.get(k) for k in keys}
        conf.set(keys[0], str(max(int(before[keys[0]]), -(-expected // _PART_LINES))))
        conf.set(keys[1], "false")
        try:
            chunk: list[str] = []
            n = 0
            for row in self._sql(sql).toLocalIterator():
                chunk.append(row[0])
                n += row[1]
                if len(chunk) >= _FETCH:
                    yield "".join(chunk).encode("utf-8"), n
                    chunk, n = [], 0
            if chunk:
                yield "".join(chunk).encode("utf-8"), n
        finally:  # as they were, for the statements that follow
            for k, v in before.items():
                conf.set(k, v)

    def sha256_hex(self, expr: str) -> str:
        return f"sha2({expr}, 256)"

    def matches(self, expr: str, pattern: str) -> str:
        return f"({expr} RLIKE {pattern})"

    def first_by(self, expr: str, order: str) -> str:
        return f"min_by({expr}, {order})"

    def explode(self, expr: str) -> str:
        return f"explode({expr})"

    def concat(self, exprs: list[str]) -> str:
        return f"concat_ws('', {', '.join(exprs)})"  # skips NULLs (Spark's concat would give NULL)

    def array(self, exprs: list[str]) -> str:
        return f"CAST(array({', '.join(exprs)}) AS ARRAY<STRING>)"

    def replace_all(self, expr: str, pattern: str, replacement: str) -> str:
        return f"regexp_replace({expr}, {self.text(pattern)}, {self.text(replacement)})"

    def text(self, value: str) -> str:
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"

    def close(self) -> None:
        self.spark.stop()

    def _view(self, table: str, df) -> None:
        self._frames[table] = df
        df.createOrReplaceTempView(table)

    def _sql(self, sql: str):
        try:
            return self.spark.sql(sql)
        except Exception as e:
            raise KgtoolError(f"Spark refused a query: {_first_line(e)}") from None


def _jvm_size(limit: str) -> str:
    m = re.fullmatch(r"\s*(\d+)\s*([KMGT])i?B\s*", limit, re.IGNORECASE)
    if not m:
        raise UsageError(f"--memory-limit takes a size such as 512MB or 2GB, got {limit!r}")
    return f"{m.group(1)}{m.group(2).lower()}"


def _first_line(e: Exception) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__
