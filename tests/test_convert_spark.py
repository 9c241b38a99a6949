"""--engine spark runs the same plan as DuckDB and writes the same lines (local[2])."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path

import pytest

from kgtool.map.convert import convert_dump

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("pyspark") is None or shutil.which("java") is None,
    reason="PySpark (pip install 'kgtool[spark]') or Java is not installed",
)

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def dump_10k(tmp_path_factory) -> Path:
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        from gen_oc_csv import generate
    finally:
        sys.path.pop(0)
    path = tmp_path_factory.mktemp("spark") / "oc-10k.csv"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        generate(10_000, fh)
    return path


def test_spark_local2_gives_duckdbs_lines_at_10k_citations(tmp_path, dump_10k, data_dir):
    for path in (dump_10k, data_dir / "oc" / "tricky.csv", data_dir / "openalex" / "tricky.jsonl"):
        duck = convert_dump(path, out_dir=tmp_path / "duck" / path.stem, to="nt")
        spark = convert_dump(path, out_dir=tmp_path / "spark" / path.stem, to="nt", engine="spark", threads=2)
        assert spark.triples == duck.triples > 0
        assert spark.files[0].read_bytes() == duck.files[0].read_bytes(), path


def test_spark_bad_row_names_file_and_line(tmp_path, data_dir):
    with pytest.raises(Exception, match=r"bad-date.csv:4: field 'creation'"):
        convert_dump(data_dir / "oc" / "bad-date.csv", out_dir=tmp_path / "out", engine="spark", threads=2)
    assert list((tmp_path / "out").iterdir()) == []


def test_spark_sorted_lines_come_in_partitions_sized_by_the_lines_expected(tmp_path, dump_10k, monkeypatch):
    """The driver takes one partition at a time (toLocalIterator): the sort's partitions are sized
    by the lines expected, not by the core count, and their order is kept across them."""
    from kgtool.map import convert_spark

    seen: list[str] = []
    original = convert_spark.SparkEngine.lines

    def lines(self, sql, expected=0):
        for chunk in original(self, sql, expected):
            seen.append(self.spark.conf.get("spark.sql.shuffle.partitions"))
            yield chunk

    monkeypatch.setattr(convert_spark, "_PART_LINES", 5_000)  # ~100k lines: ~20 partitions
    monkeypatch.setattr(convert_spark.SparkEngine, "lines", lines)
    duck = convert_dump(dump_10k, out_dir=tmp_path / "duck", to="nt")
    spark = convert_dump(dump_10k, out_dir=tmp_path / "spark", to="nt", engine="spark", threads=1)
    assert spark.files[0].read_bytes() == duck.files[0].read_bytes()
    assert max(int(n) for n in seen) >= duck.triples // 5_000 - 1  # not the 2 of local[1]
