"""The OpenCitations Index CSV reader: one row's parsing, and streaming whole files."""

from __future__ import annotations

import io

import pytest

from kgtool.errors import InputError
from kgtool.model import Work
from kgtool.sources.oc_csv_stream import (
    Columns,
    RowError,
    iter_citations,
    looks_like_oc_csv,
    parse_ids,
    parse_row,
)

HEADER = ["oci", "citing", "cited", "creation", "timespan", "journal_sc", "author_sc"]


def read(path) -> list:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(iter_citations(fh, str(path)))


def test_parse_ids_prefixed_and_several():
    w = parse_ids("omid:br/06101 doi:10.1000/ABC.1 pmid:123")
    assert w == Work(doi="10.1000/abc.1", extra_ids=(("omid", "br/06101"), ("pmid", "123")))


def test_parse_ids_bare_doi_as_in_coci():
    assert parse_ids("10.1038/sj.cdd.4401289") == Work(doi="10.1038/sj.cdd.4401289")


def test_parse_ids_arxiv_without_version():
    assert parse_ids("omid:br/1 arxiv:1706.03762v5").arxiv == "1706.03762"


@pytest.mark.parametrize("field, message", [
    ("doi:not-a-doi", "not a DOI"),
    ("", "no identifier"),
    ("justaword", "not an identifier"),
])
def test_parse_ids_errors_name_the_column(field, message):
    with pytest.raises(RowError, match=message) as e:
        parse_ids(field, "cited")
    assert "'cited'" in str(e.value)


def test_parse_row_flags_dates_and_oci_prefix():
    cols = Columns.from_header(HEADER)
    c = parse_row(["oci:061-062", "omid:br/061", "omid:br/062", "2019-03", "-P1Y2M", "yes", "no"], cols)
    assert (c.oci, c.creation, c.timespan, c.journal_self, c.author_self) == ("061-062", "2019-03", "-P1Y2M", True, False)
    empty = parse_row(["061-062", "omid:br/061", "omid:br/062", "", "", "no", "no"], cols)
    assert empty.creation is None and empty.timespan is None


@pytest.mark.parametrize("row, column", [
    (["x", "omid:br/1", "omid:br/2", "2019-13-01", "", "no", "no"], "creation"),
    (["x", "omid:br/1", "omid:br/2", "", "two years", "no", "no"], "timespan"),
    (["x", "omid:br/1", "omid:br/2", "", "", "maybe", "no"], "journal_sc"),
    (["x", "omid:br/1", "omid:br/2"], "*"),
])
def test_parse_row_rejects_bad_fields(row, column):
    with pytest.raises(RowError) as e:
        parse_row(row, Columns.from_header(HEADER))
    assert e.value.column == column


def test_header_must_name_citing_and_cited():
    with pytest.raises(RowError, match="citing"):
        Columns.from_header(["oci", "source", "target"])


def test_sniffing():
    assert looks_like_oc_csv(b'"oci","citing","cited","creation"\n')
    assert looks_like_oc_csv(b"\xef\xbb\xbfid,citing,cited,creation\n")
    assert not looks_like_oc_csv(b'{"id": "https://openalex.org/W1"}\n')


def test_reads_both_shared_dump_layouts(shared_dir):
    coci = read(shared_dir / "samples" / "opencitations" / "citations_data.csv")
    assert len(coci) == 6
    assert coci[0].citing.doi == "10.1038/sj.cdd.4401289"
    assert {c.creation for c in coci} >= {"2003-10-24", "2018-06"}
    index = read(shared_dir / "samples" / "opencitations" / "citations_sample.csv")
    assert len(index) == 10
    assert index[0].citing.extra_ids == (("omid", "br/06801597168"),)
    assert index[0].oci == "06801597168-062402843420"


def test_same_field_gives_the_same_work_object(data_dir):
    cits = read(data_dir / "oc" / "index-sample.csv")
    assert cits[0].citing is cits[1].citing  # readers share Work objects (the writers rely on it)
    assert cits[0].cited.extra_ids == (("omid", "br/0610202"), ("pmid", "12345"))


def test_errors_name_file_and_line(data_dir):
    path = data_dir / "oc" / "bad-date.csv"
    with pytest.raises(InputError) as e:
        read(path)
    assert str(e.value).startswith(f"{path}:4: column 'creation'")


def test_bad_utf8_is_an_input_error():
    data = "oci,citing,cited\nx,omid:br/1,omid:br/2\n".encode() + b"y,omid:br/\xff,omid:br/3\n"
    with pytest.raises(InputError, match="UTF-8"):
        list(iter_citations(io.TextIOWrapper(io.BytesIO(data), encoding="utf-8", newline=""), "x.csv"))
