"""Identifier normalization and deterministic IRIs."""

from __future__ import annotations

import pytest
from rdflib import Graph, URIRef

from kgtool.errors import UsageError
from kgtool.map import iris
from kgtool.map.identifiers import normalize_arxiv, normalize_doi, normalize_title, title_hash
from kgtool.map.model import Work


@pytest.mark.parametrize(
    "raw, doi",
    [
        ("10.7554/eLife.01567", "10.7554/elife.01567"),
        ("https://doi.org/10.7554/ELIFE.01567", "10.7554/elife.01567"),
        ("http://dx.doi.org/10.1108/jd-12-2013-0166", "10.1108/jd-12-2013-0166"),
        ("doi:10.1108/JD-12-2013-0166", "10.1108/jd-12-2013-0166"),
        (" 10.1002/(SICI)1097-4571(199806)49:8<693::AID-ASI4>3.0.CO;2-0 ",
         "10.1002/(sici)1097-4571(199806)49:8<693::aid-asi4>3.0.co;2-0"),
        ("not a doi", None),
        ("11.1234/x", None),
    ],
)
def test_normalize_doi(raw, doi):
    assert normalize_doi(raw) == doi


@pytest.mark.parametrize(
    "raw, arxiv",
    [
        ("arXiv:2504.01805", "2504.01805"),
        ("2504.01805v3", "2504.01805"),
        ("https://arxiv.org/abs/2504.01805v1", "2504.01805"),
        ("hep-th/9901001v2", "hep-th/9901001"),
        ("math.GT/0309136", "math.gt/0309136"),
        ("1234", None),
    ],
)
def test_normalize_arxiv(raw, arxiv):
    assert normalize_arxiv(raw) == arxiv


def test_title_key_ignores_case_accents_punctuation_and_latex():
    assert normalize_title("SpaceR: Reinforcing  MLLMs!") == "spacer reinforcing mllms"
    assert title_hash("Évaluer les entrepôts") == title_hash("evaluer LES entrepots.")
    assert title_hash("$\\textbf{SpaceR}$ works") == title_hash("SpaceR works")
    assert title_hash("A") != title_hash("B")


def test_work_iris_prefer_doi_then_arxiv_then_title():
    base = "https://example.org/kg/"
    assert iris.work_iri(Work(title="T", doi="10.1/x", arxiv="2504.01805"), base) == URIRef(base + "work/doi/10.1/x")
    assert iris.work_iri(Work(title="T", arxiv="2504.01805"), base) == URIRef(base + "work/arxiv/2504.01805")
    assert iris.work_iri(Work(title="T"), base) == URIRef(base + "work/title/" + title_hash("T"))
    with pytest.raises(ValueError):
        iris.work_iri(Work(), base)


def test_sici_doi_iri_is_accepted_by_parsers():
    doi = normalize_doi("10.1002/(SICI)1097-4571(199806)49:8<693::AID-ASI4>3.0.CO;2-0")
    iri = iris.work_iri(Work(doi=doi), "https://example.org/")
    assert not any(c in iri for c in "<>; ")
    g = Graph().parse(data=f"<{iri}> <http://purl.org/dc/terms/title> \"x\" .", format="nt")
    assert len(g) == 1


def test_citation_iri_is_deterministic_and_directional():
    a, b = Work(doi="10.1/a"), Work(doi="10.1/b")
    base = "https://example.org/"
    assert iris.citation_iri(a, b, base) == iris.citation_iri(Work(doi="10.1/a", title="x"), b, base)
    assert iris.citation_iri(a, b, base) != iris.citation_iri(b, a, base)


@pytest.mark.parametrize("bad", ["example.org/kg/", "ftp://x/", "https://ex ample.org/"])
def test_bad_base_is_rejected(bad):
    with pytest.raises(UsageError):
        iris.check_base(bad)


def test_base_gets_a_trailing_slash():
    assert iris.check_base("https://example.org/kg") == "https://example.org/kg/"
