"""The engines' line templates (plan.py) agree with the mapping on every record shape."""

from __future__ import annotations

import itertools

import pytest

from kgtool.map import iris
from kgtool.map.mapping import citation_terms, citation_triples, work_terms, work_triples
from kgtool.map.model import Citation, SourceInfo, Work
from kgtool.map.plan import CITATION_FLAGS, citation_plan, work_plan
from kgtool.serialize.ntlines import NTLineEncoder

SOURCE = SourceInfo("dump.csv", "ab" * 32, "text/csv")
BASES = (iris.DEFAULT_BASE, "http://example.org/kg#")


def filled(templates, values: dict[str, str], when: set[str]) -> list[str]:
    return [t.fill(values) for t in templates if t.when <= when]


@pytest.mark.parametrize("base", BASES)
@pytest.mark.parametrize("label_source", ["opencitations", "openalex", None])
def test_citation_templates_give_the_mappings_lines_for_every_shape(base, label_source):
    plan = citation_plan(SOURCE, base, label_source)
    enc = NTLineEncoder()
    citing = Work(doi='10.1000/"quoted"<sici>;2-1', extra_ids=(("omid", "br/1"),))
    cited = Work(arxiv="2101.00001", extra_ids=(("pmid", "9"),))
    for bits in itertools.product((False, True), repeat=len(CITATION_FLAGS)):
        shape = {f for f, on in zip(CITATION_FLAGS, bits) if on}
        c = Citation(citing=citing, cited=cited, author_self="author_self" in shape,
                     journal_self="journal_self" in shape, creation="2019-03" if "creation" in shape else None,
                     timespan="-P1Y2M" if "timespan" in shape else None,
                     oci="0610101-0610202" if "oci" in shape else None, label_source=label_source)
        expected = enc.lines(citation_triples(c, (SOURCE,), base))
        t = citation_terms(c, base)
        values = {"citing": enc.term(t.citing), "cited": enc.term(t.cited), "node": enc.term(t.node),
                  "creation": enc.term(t.creation) if t.creation else "", "oci": c.oci or "",
                  "timespan": enc.term(t.timespan) if t.timespan else ""}
        got = filled(plan.templates, values, shape)
        assert sorted(set(got) | set(plan.constants)) == sorted(set(expected)), shape
        assert len(got) == len(set(got))


@pytest.mark.parametrize("base", BASES)
def test_work_templates_give_the_mappings_lines_for_every_identifier_only_work(base):
    templates = work_plan(SOURCE, base)
    enc = NTLineEncoder()
    works = [Work(doi=d, arxiv=a, extra_ids=x)
             for d in (None, "10.1002/(sici)1097<3::aid>;2-f")
             for a in (None, "hep-th/9901001")
             for x in ((), (("omid", "br/1"),), (("omid", "br/1"), ("doi", "10.1/second"), ("pmid", "3")))
             if d or a or x]
    for w in works:
        expected = enc.lines(work_triples(w, (SOURCE,), base))
        t = work_terms(w, base)
        shape = {f for f, v in (("doi", t.doi), ("arxiv", t.arxiv)) if v is not None}
        values = {"work": enc.term(t.iri), "doi": enc.term(t.doi) if t.doi else "",
                  "arxiv": enc.term(t.arxiv) if t.arxiv else ""}
        got = [tp.fill(values) for tp in templates if "extra" not in tp.when and tp.when <= shape]
        got += [tp.fill({**values, "extra": enc.term(x)}) for x in t.extra_ids for tp in templates if "extra" in tp.when]
        assert sorted(got) == sorted(expected), w
