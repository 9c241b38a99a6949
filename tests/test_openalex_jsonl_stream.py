"""The OpenAlex works reader: one work's parsing, JSON Lines snapshots and API pages."""

from __future__ import annotations

import gzip
import io
import json

import pytest

from kgtool.errors import InputError
from kgtool.sources.openalex_jsonl_stream import RecordError, abstract_text, iter_records, parse_openalex_work


def records(path):
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    return list(iter_records(io.StringIO(raw.decode("utf-8")), str(path)))


def test_one_shared_work(shared_dir):
    obj = json.loads((shared_dir / "samples" / "openalex" / "W2741809807.json").read_text())
    work, cits = parse_openalex_work(obj)
    assert work.doi == "10.7717/peerj.4375"
    assert work.title.startswith("The state of OA")
    assert work.year == 2018
    assert ("openalex", "W2741809807") in work.extra_ids and ("pmid", "29456894") in work.extra_ids
    assert work.authors[0].name == "Heather Piwowar" and work.authors[0].orcid == "0000-0003-1613-5981"
    assert work.venue == "PeerJ"
    assert work.abstract.startswith("Despite growing interest in Open Access")
    assert len(cits) == len(obj["referenced_works"]) == 45
    assert all(c.citing is work for c in cits)
    assert cits[0].cited.extra_ids == (("openalex", "W1560783210"),)
    assert cits[0].creation == obj["publication_date"]


def test_an_api_page_on_one_line(shared_dir):
    got = records(shared_dir / "samples" / "openalex" / "works_sample5.json")
    assert len(got) == 5
    assert sum(len(c) for _, c in got) == 34
    assert [w.doi for w, _ in got].count(None) == 3


def test_json_lines_snapshot(data_dir):
    got = records(data_dir / "openalex" / "works.jsonl")
    assert [w.extra_ids[0][1] for w, _ in got] == ["W100", "W200", "W400"]
    first, cits = got[0]
    assert first.title == 'A study of "quoted" things with a newline'
    assert first.abstract == "We test and test"
    assert first.authors[1].orcid is None
    assert [c.cited.extra_ids for c in cits] == [(("openalex", "W200"),), (("openalex", "W300"),)]
    assert len(got[2][1]) == 2  # a repeated reference counts once


def test_gzip_snapshot(tmp_path, data_dir):
    gz = tmp_path / "part_000.gz"
    gz.write_bytes(gzip.compress((data_dir / "openalex" / "works.jsonl").read_bytes()))
    assert len(records(gz)) == 3


def test_bad_json_names_the_line(data_dir):
    path = data_dir / "openalex" / "bad.jsonl"
    with pytest.raises(InputError) as e:
        records(path)
    assert str(e.value).startswith(f"{path}:2: not valid JSON")


def test_a_record_without_a_work_id():
    with pytest.raises(RecordError, match="'id'"):
        parse_openalex_work({"title": "no id"})
    with pytest.raises(RecordError, match="DOI"):
        parse_openalex_work({"id": "https://openalex.org/W1", "doi": "https://doi.org/nonsense"})


def test_abstract_from_inverted_index():
    assert abstract_text({"b": [1], "a": [0, 2]}) == "a b a"
    assert abstract_text(None) is None
