"""The one OpenAlex reader (API JSON, JSON Lines snapshots, API pages)."""

from __future__ import annotations

import json

import pytest

from kgtool.errors import InputError
from kgtool.read.sources.openalex import abstract_text, iter_records, parse_record, read_saved


def records(path):
    return list(iter_records(path.read_bytes().decode("utf-8"), str(path)))


def test_one_shared_work(shared_dir):
    obj = json.loads((shared_dir / "samples" / "openalex" / "W2741809807.json").read_text())
    work, cits = parse_record(obj, "W.json")
    assert work.doi == "10.7717/peerj.4375"
    assert work.title.startswith("The state of OA")
    assert work.year == 2018
    assert ("openalex", "W2741809807") in work.extra_ids and ("pmid", "29456894") in work.extra_ids
    assert any(s == "mag" for s, _ in work.extra_ids)
    assert work.authors[0].name == "Heather Piwowar" and work.authors[0].orcid == "0000-0003-1613-5981"
    assert work.venue == "PeerJ"
    assert work.abstract.startswith("Despite growing interest in Open Access")
    assert len(cits) == len(obj["referenced_works"]) == 45
    assert all(c.citing is work and c.label_source == "openalex" for c in cits)
    assert cits[0].cited.extra_ids == (("openalex", "W1560783210"),)
    assert cits[0].creation == obj["publication_date"]


def test_an_api_page(shared_dir):
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
    bundle = read_saved((data_dir / "openalex" / "works.jsonl").read_bytes(), "works.jsonl")
    assert len(bundle.works) == 3 and bundle.source.media_type == "application/x-ndjson"


def test_tricky_fields(data_dir):
    (w1, c1), (w2, c2), (w3, _) = records(data_dir / "openalex" / "tricky.jsonl")
    assert (w1.doi, w1.arxiv) == ("10.48550/arxiv.2504.01805", "2504.01805")  # from ids.doi
    assert ("mag", "123456789") in w1.extra_ids and w1.title == "Spaced title"
    assert w1.abstract == "Graphs cite papers cite too."
    assert [a.name for a in w1.authors] == ["A. Author", "Raw Name"]
    assert len(c1) == 3 and c1[0].creation == "2025-04-02"
    assert w2.title == "No title, display name" and c2[0].creation is None  # not a date: no creation
    assert ("pmcid", "PMC888") in w2.extra_ids
    assert w3.arxiv == "2101.00001" and w3.venue == "arXiv"  # from a pdf_url, version dropped


def test_bad_json_names_the_line(data_dir):
    path = data_dir / "openalex" / "bad.jsonl"
    with pytest.raises(InputError) as e:
        records(path)
    assert str(e.value).startswith(f"{path}:2: not valid JSON")


def test_a_record_without_a_work_id():
    with pytest.raises(InputError, match="'id'"):
        parse_record({"title": "no id"}, "f")
    with pytest.raises(InputError, match="DOI"):
        parse_record({"id": "https://openalex.org/W1", "doi": "https://doi.org/nonsense"}, "f")


def test_abstract_from_inverted_index():
    assert abstract_text({"b": [1], "a": [0, 2]}) == "a b a"
    assert abstract_text(None) is None
