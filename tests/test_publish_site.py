"""The static site: links, representations, dataset description, sitemap, search, escaping."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import unquote

import pytest
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import RDF, XSD
from site_checks import html_files, parse_page, resolve_link
from site_fixtures import BASE, EVIL_TITLE, HUB_TITLE, SICI_DOI, write_fixture_graph

from kgtool.errors import KgtoolError, UsageError
from kgtool.publish import build_site
from kgtool.publish.site import MARKER

VOID = Namespace("http://rdfs.org/ns/void#")
DCAT = Namespace("http://www.w3.org/ns/dcat#")
DCTERMS = Namespace("http://purl.org/dc/terms/")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    folder = tmp_path_factory.mktemp("publish")
    ttl, graph = write_fixture_graph(folder)
    site = folder / "site"
    result = build_site(graph, site, BASE, sparql_endpoint="https://example.org/sparql")
    return site, graph, result


def resource_files(site: Path, suffix: str) -> list[Path]:
    """The per-resource representation files (not the dumps nor void.ttl)."""
    return sorted(p for p in site.rglob(f"*{suffix}") if p.parts[len(site.parts)] not in ("dumps", "void.ttl"))


def test_every_internal_link_resolves_to_a_file(built):
    site, _, _ = built
    checked = 0
    for page in html_files(site):
        for tag, href, _ in parse_page(page).refs:
            if href.startswith("#"):
                continue
            target = resolve_link(site, page, href)
            if target is None:
                continue
            assert target.is_file(), f"{page.relative_to(site)}: <{tag} href={href!r}> does not resolve"
            checked += 1
    assert checked > 500


def test_every_resource_has_page_and_three_representations_named_as_alternates(built):
    site, graph, result = built
    subjects = {s for s in graph.subjects() if isinstance(s, URIRef)}
    assert result.resources == len(subjects)
    for s in subjects:
        path = Path(*[p for p in unquote(str(s)[len(BASE):]).split("/")])
        page = site / path / "index.html"
        assert page.is_file(), s
        alternates = {a.get("type"): resolve_link(site, page, href) for tag, href, a in parse_page(page).refs
                      if tag == "link" and a.get("rel") == "alternate"}
        assert set(alternates) == {"text/turtle", "application/ld+json", "application/n-triples"}
        for media, target in alternates.items():
            assert target.is_file() and target.parent == (site / path).parent, (s, media)


@pytest.mark.parametrize("suffix, fmt", [(".ttl", "turtle"), (".jsonld", "json-ld"), (".nt", "nt")])
def test_representations_parse_and_together_are_the_graph(built, suffix, fmt):
    site, graph, _ = built
    union = Graph()
    files = resource_files(site, suffix)
    assert len(files) == built[2].resources
    for f in files:
        part = Graph().parse(f, format=fmt)
        assert len(part) > 0, f
        subjects = {s for s in part.subjects()}
        assert len(subjects) == 1, f"{f}: a concise bounded description has one subject here"
        union += part
    assert isomorphic(union, graph)


def test_dumps_are_the_whole_graph(built):
    site, graph, _ = built
    for name, fmt in (("dataset.ttl", "turtle"), ("dataset.nt", "nt"), ("dataset.jsonld", "json-ld")):
        assert isomorphic(Graph().parse(site / "dumps" / name, format=fmt), graph), name
    assert (site / "dumps/dataset.nt.gz").read_bytes()[:2] == b"\x1f\x8b"
    assert gzip.decompress((site / "dumps/dataset.nt.gz").read_bytes()) == (site / "dumps/dataset.nt").read_bytes()


def test_void_and_dcat_numbers_come_from_the_graph(built):
    site, graph, _ = built
    v = Graph().parse(site / "void.ttl", format="turtle")
    ds = URIRef(BASE + "void.ttl#dataset")
    assert (ds, RDF.type, VOID.Dataset) in v and (ds, RDF.type, DCAT.Dataset) in v

    def num(p, node=ds):
        (o,) = list(v.objects(node, p))
        return int(o)

    assert num(VOID.triples) == len(graph)
    assert num(VOID.distinctSubjects) == len(set(graph.subjects()))
    assert num(VOID.distinctObjects) == len(set(graph.objects()))
    assert num(VOID.entities) == len({s for s in graph.subjects() if str(s).startswith(BASE)})
    assert str(v.value(ds, VOID.uriSpace)) == BASE
    assert v.value(ds, VOID.sparqlEndpoint) == URIRef("https://example.org/sparql")
    assert v.value(ds, DCTERMS.license) == URIRef("https://creativecommons.org/publicdomain/zero/1.0/")
    classes = {v.value(p, VOID["class"]): int(v.value(p, VOID.entities)) for p in v.objects(ds, VOID.classPartition)}
    expected = {}
    for row in graph.query("SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?c } GROUP BY ?c"):
        expected[row.c] = int(row.n)
    assert classes == expected
    props = {v.value(p, VOID.property): int(v.value(p, VOID.triples)) for p in v.objects(ds, VOID.propertyPartition)}
    assert props == {p: len(list(graph.triples((None, p, None)))) for p in set(graph.predicates())}
    dumps = set(v.objects(ds, VOID.dataDump))
    assert len(dumps) == 4
    for dist in v.objects(ds, DCAT.distribution):
        url = v.value(dist, DCAT.downloadURL)
        assert url in dumps
        f = site / str(url)[len(BASE):]
        assert int(v.value(dist, DCAT.byteSize)) == f.stat().st_size
        assert v.value(dist, DCAT.byteSize).datatype == XSD.nonNegativeInteger
        assert str(v.value(dist, DCAT.mediaType)).startswith("https://www.iana.org/assignments/media-types/")
    service = URIRef(BASE + "void.ttl#sparql")
    assert v.value(service, DCAT.endpointURL) == URIRef("https://example.org/sparql")


def test_sitemap_lists_every_page(built):
    site, _, result = built
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    locs = [e.text for e in ET.parse(site / "sitemap.xml").getroot().findall("s:url/s:loc", ns)]
    assert len(locs) == len(set(locs)) == result.resources + 4
    for loc in locs:
        assert loc.startswith(BASE)
        rel = unquote(loc[len(BASE):])
        target = site / rel / "index.html" if rel == "" or rel.endswith("/") else site / rel
        assert target.is_file(), loc


def test_search_index_lists_every_work_with_a_resolving_url(built):
    site, graph, _ = built
    index = json.loads((site / "search.json").read_text(encoding="utf-8"))
    fields = index["fields"]
    rows = [dict(zip(fields, r)) for r in index["works"]]
    assert len(rows) == len(set(graph.subjects(RDF.type, URIRef("http://purl.org/spar/fabio/Expression"))))
    assert rows[0]["title"] == HUB_TITLE and rows[0]["citations"] == 5  # the most cited comes first
    assert EVIL_TITLE in {r["title"] for r in rows}
    for r in rows:
        assert (site / unquote(r["url"]) / "index.html").is_file()


def page_of(site: Path, graph: Graph, title: str) -> Path:
    (work,) = [s for s, _, o in graph.triples((None, DCTERMS.title, Literal(title)))]
    rel = unquote(str(work)[len(BASE):])
    return site / rel / "index.html"


def test_html_escapes_text_from_the_data(built):
    site, graph, _ = built
    page = page_of(site, graph, EVIL_TITLE)
    raw = page.read_text(encoding="utf-8")
    assert "<script>alert" not in raw and "<b>Bold" not in raw and "<em>before" not in "".join(
        p.read_text(encoding="utf-8") for p in html_files(site))
    parsed = parse_page(page)
    assert EVIL_TITLE in parsed.visible_text
    assert "Bob <b>Bold</b>" in parsed.visible_text
    assert "script" not in parsed.tags  # no page but the search pages has a script element
    for p in html_files(site):
        for tag, url, attrs in parse_page(p).refs:
            if tag in ("script", "link", "img") and attrs.get("rel") != "alternate":
                assert resolve_link(site, p, url) is not None, f"{p}: {tag} from another host: {url}"
    css = (site / "assets/kgtool.css").read_text()
    assert "@import" not in css and "url(" not in css and "@font-face" not in css


def test_hub_report_is_rebuilt_from_the_graph(built):
    site, graph, _ = built
    text = parse_page(page_of(site, graph, HUB_TITLE)).visible_text
    assert "Supportive citation behaviour" in text
    assert "Most common role: method (50% of citations)" in text
    for expected in ("method 50%", "background 25%", "comparison 25%", "Supportive 75%", "Neutral 25%"):
        assert expected in text  # the SVG charts' titles
    assert "Shares as reported by the source." in text
    assert "Representative citing papers (2)" in text
    assert "All citing works (5)" in text
    assert "Citation graph" in text
    # the work citing the hub from the second source is in the list, with a working link
    assert EVIL_TITLE in text
    raw = page_of(site, graph, HUB_TITLE).read_text(encoding="utf-8")
    assert raw.count('<svg class="chart"') == 2 and raw.count('<svg class="graph"') == 1


def test_roles_counted_from_citation_labels_when_no_distribution(built):
    site, graph, _ = built
    text = parse_page(page_of(site, graph, EVIL_TITLE)).visible_text
    assert "method 100%" in text and "background 50%" in text
    assert "Counted over 2 citations with a role label" in text
    assert "DOI " + SICI_DOI in text
    assert "Cites (1)" in text and "R1. " + HUB_TITLE in text
    # authors with an ORCID have no position in the graph: they come after the numbered ones
    assert "Bob <b>Bold</b>, Ada Lovelace" in text


def test_work_lists_sort_by_year_and_citations(built):
    site, graph, _ = built
    by_year = parse_page(site / "works-by-year.html").visible_text
    assert by_year.index("Another Citer") < by_year.index("Citing With Roles") < by_year.index(EVIL_TITLE)
    by_cites = parse_page(site / "works-by-citations.html").visible_text
    assert by_cites.index(HUB_TITLE) < by_cites.index(EVIL_TITLE) < by_cites.index("Another Citer")


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_same_input_gives_byte_identical_sites(tmp_path):
    ttl, _ = write_fixture_graph(tmp_path)
    outs = []
    for seed in ("1", "2"):
        out = tmp_path / f"site{seed}"
        env = {**os.environ, "PYTHONHASHSEED": seed}
        r = subprocess.run([sys.executable, "-m", "kgtool", "-q", "site", str(ttl), "--out", str(out), "--base", BASE],
                           capture_output=True, text=True, env=env, timeout=120)
        assert r.returncode == 0, r.stderr
        outs.append(tree(out))
    assert outs[0].keys() == outs[1].keys()
    assert [k for k in outs[0] if outs[0][k] != outs[1][k]] == []


def test_base_mismatch_is_an_error_naming_both(tmp_path):
    _, graph = write_fixture_graph(tmp_path, base="https://w3id.org/kgtool/data/")
    with pytest.raises(UsageError) as e:
        build_site(graph, tmp_path / "site", BASE)
    msg = str(e.value)
    assert "https://w3id.org/kgtool/data/" in msg and BASE in msg and "kgtool build --base" in msg
    assert not (tmp_path / "site").exists()


def test_rebase_moves_the_graph_under_the_base(tmp_path):
    _, graph = write_fixture_graph(tmp_path, base="https://w3id.org/kgtool/data/")
    _, expected = write_fixture_graph(tmp_path / "b", base=BASE)
    result = build_site(graph, tmp_path / "site", BASE, rebase=True)
    assert result.rebased_from == "https://w3id.org/kgtool/data/"
    assert isomorphic(Graph().parse(tmp_path / "site/dumps/dataset.nt", format="nt"), expected)


def test_without_base_the_graphs_own_base_is_used(tmp_path):
    _, graph = write_fixture_graph(tmp_path, base="https://example.com/data/")
    assert build_site(graph, tmp_path / "site").base == "https://example.com/data/"


def test_replaces_its_own_site_but_never_another_folder(tmp_path):
    _, graph = write_fixture_graph(tmp_path)
    other = tmp_path / "docs"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    with pytest.raises(UsageError, match="not empty and was not written by 'kgtool site'"):
        build_site(graph, other, BASE)
    assert (other / "notes.txt").read_text() == "mine"
    site = tmp_path / "site"
    build_site(graph, site, BASE)
    (site / "stale.html").write_text("old")
    build_site(graph, site, BASE)
    assert (site / MARKER).is_file() and not (site / "stale.html").exists()


def test_a_failed_build_leaves_the_previous_site_and_no_temporary_folder(tmp_path, monkeypatch):
    _, graph = write_fixture_graph(tmp_path)
    site = tmp_path / "site"
    build_site(graph, site, BASE)
    before = tree(site)

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("kgtool.publish.site.search_index", broken)
    with pytest.raises(KgtoolError, match=r"site: cannot write the site \(disk full\)"):
        build_site(graph, site, BASE)  # the OSError arrives as a KgtoolError naming --out
    assert tree(site) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fixture.ttl", "site"]
