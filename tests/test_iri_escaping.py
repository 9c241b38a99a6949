"""SICI-style DOIs ('<', '>', ';', '(', ':') make IRIs every serializer, rdflib and a triple
store (pyoxigraph) accept, and that read back to the same graph."""

from __future__ import annotations

import io

import pyoxigraph
import pytest
from rdflib import Dataset, Graph, URIRef
from rdflib.compare import isomorphic

from kgtool.map.iris import DEFAULT_BASE, work_iri
from kgtool.map.model import Bundle, Citation, SourceInfo, Work
from kgtool.pipeline import build_graph
from kgtool.serialize.export import FORMATS, graph_name

SICI = "10.1002/(sici)1097-4571(198909)40:5<342::aid-asi7>3.0.co;2-u"
OXI = {"ttl": pyoxigraph.RdfFormat.TURTLE, "jsonld": pyoxigraph.RdfFormat.JSON_LD,
       "nt": pyoxigraph.RdfFormat.N_TRIPLES, "nq": pyoxigraph.RdfFormat.N_QUADS}
RDFLIB = {"ttl": "turtle", "jsonld": "json-ld", "nt": "nt", "nq": "nquads"}


@pytest.fixture(scope="module")
def graph() -> Graph:
    citing = Work(title="Citing", doi="10.5555/kg.2024.001")
    cited = Work(doi=SICI, extra_ids=(("openalex", "W1"),))
    odd = Work(title="Odd", doi="10.5555/a#b?c[d]%20e")
    b = Bundle(SourceInfo("s", "0" * 64), citations=(Citation(citing, cited), Citation(citing, odd)))
    return build_graph([b], out_dir=None).graph


def test_the_iri_is_percent_encoded():
    iri = str(work_iri(Work(doi=SICI)))
    assert iri == DEFAULT_BASE + "work/doi/10.1002/%28sici%291097-4571%28198909%2940%3A5%3C342%3A%3Aaid-asi7%3E3.0.co%3B2-u"
    assert not any(ch in iri[len("https:"):] for ch in "<>;()# ?[]")


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_every_serializer_round_trips_in_rdflib_and_loads_in_pyoxigraph(graph, fmt):
    buf = io.BytesIO()
    FORMATS[fmt].write(graph, graph_name(DEFAULT_BASE, "t"), buf)
    data = buf.getvalue()
    if fmt == "nq":
        ds = Dataset()
        ds.parse(data=data, format="nquads")
        back = Graph()
        for s, p, o, _ in ds.quads((None, None, None, None)):
            back.add((s, p, o))
    else:
        back = Graph().parse(data=data, format=RDFLIB[fmt])
    assert isomorphic(graph, back)
    store = pyoxigraph.Store()
    store.load(data, format=OXI[fmt], to_graph=None if fmt == "nq" else pyoxigraph.DefaultGraph())
    assert len(store) == len(graph)
    iri = pyoxigraph.NamedNode(str(work_iri(Work(doi=SICI))))
    assert list(store.quads_for_pattern(iri, None, None))


def test_the_doi_literal_keeps_its_characters(graph):
    subject = URIRef(str(work_iri(Work(doi=SICI))))
    assert str(graph.value(subject, URIRef("http://prismstandard.org/namespaces/basic/2.0/doi"))) == SICI
