"""The engines' line templates (plan.py) agree with the mapping on every record shape."""

from __future__ import annotations

import csv
import itertools
import re
from pathlib import Path

import pytest

from kgtool.map import iris
from kgtool.map.convert import _Job
from kgtool.map.convert_duckdb import DuckDBEngine
from kgtool.map.mapping import citation_terms, citation_triples, work_terms, work_triples
from kgtool.map.model import Citation, SourceInfo, Work
from kgtool.map.plan import CITATION_FLAGS, PLAIN_FIELD, citation_plan, work_plan
from kgtool.progress import quiet
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


# Id fields of every shape: plain ones (read in SQL by plans derived from the parser), and the
# ones that must go through the parser (arXiv versions, 10.48550 DOIs, repeated schemes, upper
# case DOIs, SICI characters, bare DOIs, index prefixes).
ID_FIELDS = [
    "omid:br/06101", "omid:br/06101 doi:10.1234/abc", "omid:br/06102 doi:10.1234/abc pmid:123",
    "doi:10.12345/a~b_c.d-e/f omid:br/9", "pmid:123 omid:br/1", "DOI:10.1234/abc", "Omid:br/1 PMID:7",
    "pmcid:PMC123 doi:10.1234/x", "wikidata:Q42", "https://doi.org/10.1234/x", "openalex:W2741809807",
    "doi:10.1234/ABC", "doi:10.1/short", "doi:10.48550/arxiv.2504.01805", "omid:br/0610101 doi:10.48550/arXiv.2504.01805",
    "arxiv:2101.00001v2", "omid:br/1 arxiv:2101.00001", "omid:br/1 omid:br/2", "doi:10.1234/a doi:10.1234/b",
    "omid:br/0610303 doi:10.1002/(SICI)1097-4636(199903)44:3<303::AID-JBM8>3.0.CO;2-F pmid:9999",
    "10.1234/bare", "omid:br/1  doi:10.1234/two-spaces", " omid:br/1", "[1] => omid:br/5", "omid:br/1; omid:br/2",
    "doi:10.1000/with,comma", "pmid:", ":x", "omid:br/ünï",
]


def test_plain_id_fields_read_in_sql_give_what_the_parser_gives(tmp_path):
    fields = ID_FIELDS + _tricky_fields()
    eng = DuckDBEngine(tmp_path, "256MB", 1)
    try:
        for base in BASES:
            job = _Job(eng, "t.csv", SOURCE, base, quiet)
            eng.load_rows("idf", {"f": ("VARCHAR", fields)})
            n = job._plain_fields()
            rows = eng.rows("SELECT f, path, work, doi, arxiv, extras FROM fields")
            assert n == len(rows) >= 10
            for f, *got in rows:  # each plain field read in SQL is read the same by the parser
                assert (*got[:4], list(got[4])) == job._read_field(f), f
            in_sql = {f for f, *_ in rows}
            for f in fields:  # and the parser's special cases are left to it
                if not re.fullmatch(PLAIN_FIELD.strip("^$"), f) or "arxiv" in f.lower() or "10.48550" in f:
                    assert f not in in_sql, f
            for f in ("DOI:10.1234/abc", "omid:br/06102 doi:10.1234/abc pmid:123", "https://doi.org/10.1234/x"):
                assert f in in_sql
            for t in ("idf", "idf_plain", "fields"):
                eng.con.execute(f"DROP TABLE {t}")
    finally:
        eng.close()


def _tricky_fields() -> list[str]:
    out = []
    for p in sorted((Path(__file__).parent / "data" / "oc").glob("*.csv")):
        with open(p, newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                out += [row.get("citing") or "", row.get("cited") or ""]
    return sorted(set(out) - set(ID_FIELDS))
