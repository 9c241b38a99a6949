"""OpenCitations Index: REST API JSON (v1 and v2 shapes) and CSV."""

from __future__ import annotations

import json

import pytest
from conftest import api_fixture

from kgtool.errors import InputError, UsageError
from kgtool.read.http import HttpClient
from kgtool.read.sources import opencitations as oc


def test_v2_rows_ids_dates_spans_and_self_citations():
    cites, notes = oc.parse_json(json.loads(api_fixture("opencitations/citations_v2.json")), "src")
    a, b, c = cites
    assert a.oci == "06101801781-06180334099"
    assert a.citing.doi == "10.5555/kg.2025.020"
    assert a.citing.extra_ids == (("omid", "br/06101801781"), ("pmid", "39000020"))
    assert a.cited.doi == "10.5555/kg.2024.001"
    assert (a.creation, a.timespan, a.author_self, a.journal_self) == ("2025-03-10", "P1Y1M23D", True, False)
    assert (b.creation, b.journal_self, b.author_self) == ("2025-02", True, False)
    assert b.citing.doi == "10.5555/kg.2025.031" and ("doi", "10.5555/kg.2025.031.preprint") in b.citing.extra_ids
    assert (c.creation, c.timespan) == ("2023", "-P0Y7M")
    assert notes == ["src: citation 06102227629-06180334099 has a negative time span -P0Y7M "
                     "(the citing work is dated before the cited one); kept"]
    assert all(x.label_source == "opencitations" for x in cites)


def test_v1_rows_with_bare_dois():
    cites, _ = oc.parse_json(json.loads(api_fixture("opencitations/references_v1.json")), "src")
    assert cites[0].cited.doi == "10.5555/(sici)0000-0000(200001)1:1<1::aid-test1>3.0.co;2-x"
    assert cites[1].timespan is None and cites[1].creation == "2024-01-15"


def test_csv_dump():
    cites, notes = oc.parse_csv(api_fixture("opencitations/dump.csv").decode(), "dump.csv")
    assert [c.oci for c in cites] == ["06101801781-06180334099", "06102227629-06180334099", "0690972672-062101521863"]
    assert cites[2].creation is None and cites[2].timespan is None and cites[2].journal_self
    assert notes and notes[0].startswith("dump.csv:3: citation 06102227629-06180334099 has a negative time span")


def test_index_prefixed_values_of_the_v2_api():
    row = {"oci": "1-2", "citing": "coci => omid:br/1 doi:10.5555/a", "cited": "coci => doi:10.5555/b",
           "creation": "coci => 2020-01-02", "timespan": "coci => P1D", "journal_sc": "coci => no", "author_sc": "coci => yes"}
    c, _ = oc.parse_row(row, "s", "")
    assert (c.citing.doi, c.cited.doi, c.creation, c.timespan, c.author_self) == ("10.5555/a", "10.5555/b", "2020-01-02", "P1D", True)


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("creation", "2020-13", r"field '\[0\].creation' should be YYYY, YYYY-MM or YYYY-MM-DD, got '2020-13'"),
        ("creation", "10/03/2015", "field '.0..creation' should be YYYY"),
        ("timespan", "2 years", r"field '\[0\].timespan' is not an xsd:duration"),
        ("author_sc", "maybe", r"field '\[0\].author_sc' should be 'yes' or 'no', got 'maybe'"),
        ("cited", "", r"field '\[0\].cited' is missing"),
        ("cited", "doi:nonsense", r"field '\[0\].cited' has a malformed DOI 'nonsense'"),
        ("oci", "abc", r"field '\[0\].oci' is not an OCI"),
        ("citing", 42, r"field '\[0\].citing' should be a string, got int"),
    ],
)
def test_bad_rows_name_the_field(field, value, message):
    row = json.loads(api_fixture("opencitations/citations_v2.json"))[0]
    row[field] = value
    with pytest.raises(InputError, match=f"^https://x/citations: {message}"):
        oc.parse_json([row], "https://x/citations")


def test_bad_csv_names_the_line():
    with pytest.raises(InputError, match=r"^f.csv:1: the CSV header lacks cited"):
        oc.parse_csv("oci,citing\n1-2,10.5555/a\n", "f.csv")
    text = 'oci,citing,cited,creation,timespan,journal_sc,author_sc\n1-2,10.5555/a,10.5555/b,2020,P1Y,no,no\n3-4,10.5555/a,10.5555/c,2020-99,,no,no\n'
    with pytest.raises(InputError, match=r"^f.csv:3: field 'creation' should be YYYY"):
        oc.parse_csv(text, "f.csv")
    with pytest.raises(InputError, match="^f.csv:2: expected 3 fields, found 4"):
        oc.parse_csv("oci,citing,cited\n1-2,10.5555/a,10.5555/b,extra\n", "f.csv")


def test_fetch_citations_and_references(api_server):
    api_server.expect_request("/oc/index/v2/citations/doi:10.5555/kg.2024.001").respond_with_data(
        api_fixture("opencitations/citations_v2.json"), content_type="application/json"
    )
    api_server.expect_request("/oc/index/v2/references/doi:10.5555/kg.2024.001").respond_with_data(
        api_fixture("opencitations/references_v1.json"), content_type="application/json"
    )
    with HttpClient() as client:
        b = oc.fetch(client, "https://doi.org/10.5555/KG.2024.001", citations=True, references=True)
    assert len(b.citations) == 5 and len(api_server.log) == 2
    assert b.notes  # the negative span is reported


def test_fetch_one_citation_by_oci(api_server):
    api_server.expect_request("/oc/index/v2/citation/06101801781-06180334099").respond_with_data(
        json.dumps(json.loads(api_fixture("opencitations/citations_v2.json"))[:1]), content_type="application/json"
    )
    with HttpClient() as client:
        b = oc.fetch(client, "oci:06101801781-06180334099")
    assert [c.oci for c in b.citations] == ["06101801781-06180334099"]


def test_fetch_needs_a_direction():
    with pytest.raises(UsageError, match="give --citations and/or --references"):
        oc.fetch(HttpClient(), "doi:10.5555/x")
    with pytest.raises(UsageError, match="not a DOI, omid"):
        oc.fetch(HttpClient(), "W123", citations=True)
