"""One paper, one node: identifiers, and resolve() merging works across sources."""

from __future__ import annotations

from kgtool.map.identifiers import arxiv_from_doi, normalize_doi, normalize_orcid, work_key
from kgtool.map.iris import work_iri
from kgtool.map.model import Bundle, Citation, SourceInfo, Work
from kgtool.map.resolve import resolve

A = SourceInfo("a", "a" * 64)
B = SourceInfo("b", "b" * 64)
C = SourceInfo("c", "c" * 64)


def test_identifier_helpers():
    assert normalize_doi("https://dx.doi.org/10.5555/(SICI)1:1<2::AID>3.0.CO;2-X") == "10.5555/(sici)1:1<2::aid>3.0.co;2-x"
    assert arxiv_from_doi("10.48550/arXiv.2504.01805") == "2504.01805"
    assert arxiv_from_doi("10.5555/arxiv.1") is None
    assert normalize_orcid("https://orcid.org/0000-0002-1694-233x") == "0000-0002-1694-233X"
    assert normalize_orcid("orcid 12") is None


def test_work_key_falls_back_to_another_sources_id():
    assert work_key(None, None, None, (("openalex", "W1"), ("mag", "1"))) == ("openalex", "W1")
    assert work_key(None, None, "T", (("openalex", "W1"),)) == ("openalex", "W1")  # not the title: titles repeat
    assert work_key(None, None, "T")[0] == "title"
    assert str(work_iri(Work(extra_ids=(("omid", "br/061"),)))).endswith("/work/omid/br/061")


def test_same_doi_from_two_sources_is_one_node_with_both_sources():
    oa = Work(title="Graphs", doi="10.5555/a", extra_ids=(("openalex", "W1"),), year=2024)
    s2 = Work(title="Graphs.", doi="10.5555/a", arxiv="2401.00001", extra_ids=(("s2", "p1"),))
    r = resolve([Bundle(A, works=(oa,)), Bundle(B, works=(s2,))])
    ((key, (w, srcs)),) = r.works.items()
    assert key == ("doi", "10.5555/a") and srcs == (A, B)
    assert (w.title, w.arxiv, w.year, w.extra_ids) == ("Graphs", "2401.00001", 2024, (("openalex", "W1"), ("s2", "p1")))


def test_arxiv_only_work_joins_the_doi_work_with_that_arxiv_id():
    published = Work(title="X", doi="10.5555/x", arxiv="2401.00001")
    preprint = Work(title="X (preprint)", arxiv="2401.00001")
    citer = Work(title="Citer", doi="10.5555/c")
    r = resolve([Bundle(A, works=(published,)), Bundle(B, citations=(Citation(citer, preprint),))])
    assert set(r.works) == {("doi", "10.5555/x"), ("doi", "10.5555/c")}
    ((ck, (c, _)),) = r.citations.items()
    assert ck == (("doi", "10.5555/c"), ("doi", "10.5555/x")) and c.cited.doi == "10.5555/x"


def test_works_sharing_an_openalex_id_merge_even_without_doi():
    a = Work(title="Untitled draft", extra_ids=(("openalex", "W9"),))
    b = Work(extra_ids=(("openalex", "W9"),))  # a reference known by id only
    r = resolve([Bundle(A, works=(a,)), Bundle(B, works=(b,))])
    assert len(r.works) == 1


def test_a_shared_id_never_joins_two_different_dois():
    a = Work(title="Journal version", doi="10.5555/j", extra_ids=(("openalex", "W5"),))
    b = Work(title="Other record", doi="10.5555/k", extra_ids=(("openalex", "W5"),))
    r = resolve([Bundle(A, works=(a,)), Bundle(B, works=(b,))])
    assert set(r.works) == {("doi", "10.5555/j"), ("doi", "10.5555/k")}
    assert r.notes == ("identifier openalex:W5 links works with different doi ids (10.5555/j, 10.5555/k); kept as separate nodes",)


def test_title_only_hub_work_adopts_the_identified_work_of_the_same_title():
    hub = Work(title="Évaluer les graphes : une étude")
    api = Work(title="evaluer les graphes une etude", doi="10.5555/e")
    r = resolve([Bundle(A, works=(hub,)), Bundle(B, works=(api,))])
    ((key, (w, _)),) = r.works.items()
    assert key == ("doi", "10.5555/e") and w.title == "Évaluer les graphes : une étude"


def test_title_matching_two_identified_works_stays_apart_and_is_reported():
    hub = Work(title="Attention")
    r = resolve([Bundle(A, works=(hub,)), Bundle(B, works=(Work(title="Attention", doi="10.5555/1"), Work(title="Attention", doi="10.5555/2")))])
    assert len(r.works) == 3
    assert r.notes == ("title 'Attention' matches 2 identified works; left unmerged",)


def test_citation_collapsing_onto_one_node_is_dropped_and_reported():
    published = Work(title="P", doi="10.5555/p", arxiv="2401.00005")
    preprint = Work(title="P preprint", arxiv="2401.00005")
    r = resolve([Bundle(A, works=(published,)), Bundle(C, citations=(Citation(published, preprint),))])
    assert r.citations == {} and len(r.works) == 1
    assert "joins one work to itself after merging; dropped" in r.notes[0]


def test_citation_facts_from_two_sources_merge_on_one_citation():
    citing, cited = Work(doi="10.5555/c"), Work(doi="10.5555/d")
    s2 = Citation(citing, cited, contexts=("ctx",), influential=True, label_source="semanticscholar")
    oc = Citation(Work(doi="10.5555/c"), cited, creation="2020", timespan="P1Y", author_self=True, oci="1-2")
    r = resolve([Bundle(A, citations=(s2,)), Bundle(B, citations=(oc,))])
    ((c, srcs),) = r.citations.values()
    assert (c.contexts, c.influential, c.creation, c.timespan, c.author_self, c.oci) == (("ctx",), True, "2020", "P1Y", True, "1-2")
    assert srcs == (A, B)
