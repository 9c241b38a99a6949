"""The one OpenCitations reader (API JSON, API CSV, dump CSV): ids, flags, dates, whole files."""

from __future__ import annotations

import io

import pytest

from kgtool.errors import InputError
from kgtool.map.model import Work
from kgtool.read.sources.opencitations import iter_csv, looks_like_csv, parse_ids, parse_row

ROW = {"oci": "oci:061-062", "citing": "omid:br/061", "cited": "omid:br/062", "creation": "2019-03",
       "timespan": "-P1Y2M", "journal_sc": "yes", "author_sc": "no"}


def read(path) -> list:
    with open(path, encoding="utf-8", newline="") as fh:
        return [c for c, _ in iter_csv(fh, str(path))]


def test_parse_ids_prefixed_and_several():
    w = parse_ids("omid:br/06101 doi:10.1000/ABC.1 pmid:123", "f", "citing")
    assert w == Work(doi="10.1000/abc.1", extra_ids=(("omid", "br/06101"), ("pmid", "123")))


def test_parse_ids_bare_doi_as_in_coci():
    assert parse_ids("10.1038/sj.cdd.4401289", "f", "citing") == Work(doi="10.1038/sj.cdd.4401289")


def test_parse_ids_arxiv_without_version_and_from_an_arxiv_doi():
    assert parse_ids("omid:br/1 arxiv:1706.03762v5", "f", "citing").arxiv == "1706.03762"
    w = parse_ids("omid:br/06101 doi:10.48550/arXiv.2504.01805", "f", "citing")
    assert (w.doi, w.arxiv) == ("10.48550/arxiv.2504.01805", "2504.01805")
    w = parse_ids("doi:10.1000/a doi:10.1000/b arxiv:2101.00001 arxiv:2101.00002v1", "f", "citing")
    assert w.extra_ids == (("doi", "10.1000/b"), ("arxiv", "2101.00002"))


@pytest.mark.parametrize("field, message", [
    ("doi:not-a-doi", "malformed DOI"),
    ("arxiv:nope", "malformed arXiv id"),
    ("", "names no identifier"),
    ("justaword", "malformed DOI"),
    ("omid:", "not an identifier"),
])
def test_parse_ids_errors_name_the_field(field, message):
    with pytest.raises(InputError, match=message) as e:
        parse_ids(field, "f.csv:3", "cited")
    assert str(e.value).startswith("f.csv:3: ") and "'cited'" in str(e.value)


@pytest.mark.parametrize("yes, no", [("yes", "no"), ("1", "0"), ("TRUE", "false"), ("Yes", "")])
def test_flags_in_every_spelling(yes, no):
    c, _ = parse_row({**ROW, "journal_sc": yes, "author_sc": no}, "f", "")
    assert (c.journal_self, c.author_self) == (True, False)


def test_parse_row_dates_oci_prefix_and_attribution():
    c, notes = parse_row(ROW, "f", "")
    assert (c.oci, c.creation, c.timespan, c.label_source) == ("061-062", "2019-03", "-P1Y2M", "opencitations")
    assert "negative time span" in notes[0]
    empty, _ = parse_row({**ROW, "oci": "061-062", "creation": "", "timespan": ""}, "f", "")
    assert empty.creation is None and empty.timespan is None and empty.oci == "061-062"


@pytest.mark.parametrize("field, value", [("creation", "2019-13-01"), ("timespan", "two years"),
                                          ("journal_sc", "maybe"), ("oci", "x")])
def test_parse_row_rejects_bad_fields(field, value):
    with pytest.raises(InputError, match=f"'{field}'"):
        parse_row({**ROW, field: value}, "f", "")


def test_sniffing():
    assert looks_like_csv(b'"oci","citing","cited","creation"\n')
    assert looks_like_csv(b"\xef\xbb\xbfid,citing,cited,creation\n")
    assert not looks_like_csv(b'{"id": "https://openalex.org/W1"}\n')


def test_reads_both_shared_dump_layouts(shared_dir):
    coci = read(shared_dir / "samples" / "opencitations" / "citations_data.csv")
    assert len(coci) == 6
    assert coci[0].citing.doi == "10.1038/sj.cdd.4401289"
    assert {c.creation for c in coci} >= {"2003-10-24", "2018-06"}
    index = read(shared_dir / "samples" / "opencitations" / "citations_sample.csv")
    assert len(index) == 10
    assert index[0].citing.extra_ids == (("omid", "br/06801597168"),)
    assert index[0].oci == "06801597168-062402843420"


def test_errors_name_file_and_line(data_dir):
    path = data_dir / "oc" / "bad-date.csv"
    with pytest.raises(InputError) as e:
        read(path)
    assert str(e.value).startswith(f"{path}:4: field 'creation'")


def test_bad_utf8_is_an_input_error():
    data = b"oci,citing,cited\nx,omid:br/1,omid:br/2\n" + b"y,omid:br/\xff,omid:br/3\n"
    with pytest.raises((InputError, UnicodeDecodeError)):
        list(iter_csv(io.TextIOWrapper(io.BytesIO(data), encoding="utf-8", newline=""), "x.csv"))
