"""A small graph for the publishing tests, built through kgtool's own reader and mapping.

It holds what the site must cope with: a hub page with role and polarity distributions
(examples/hub-example.txt), a DOI full of SICI characters ('<', '>', ';', ':', '(') that
IRIs percent-encode, a title and an author name holding HTML, per-citation role labels from
an API, a blank-node-free graph of works, citations, receptions, persons and sources.
"""

from __future__ import annotations

from pathlib import Path

from kgtool.map.model import Bundle, Citation, Person, RoleLabel, SourceInfo, Work
from kgtool.pipeline import graph_from_bundles
from kgtool.read.sources.hub import read_hub_page
from kgtool.serialize.export import turtle_text

ROOT = Path(__file__).resolve().parents[1]
BASE = "https://example.org/kg/"
SICI_DOI = "10.1002/(sici)1097-4571(199806)49:8<693::aid-asi4>3.0.co;2-o"
EVIL_TITLE = "Identifiers <script>alert('x')</script> & \"quotes\" in SICI DOIs"

HUB_TITLE = "Graph Stores for Scholarly Citations: A Benchmark"


def fixture_bundles() -> list[Bundle]:
    hub = read_hub_page(ROOT / "examples" / "hub-example.txt")
    sici = Work(
        title=EVIL_TITLE,
        doi=SICI_DOI,
        year=1998,
        venue="Journal of the American Society for Information Science",
        abstract="We study serial item identifiers.\nThe data are at https://example.org/data?x=1&y=2 for all.",
        authors=(Person("Ada Lovelace", "0000-0002-1825-0097"), Person("Bob <b>Bold</b>")),
        summary="SICI DOIs hold characters that IRIs must percent-encode.",
    )
    citer1 = Work(title="Citing With Roles", arxiv="2101.00001", year=2021, summary="Uses the method.")
    citer2 = Work(title="Another Citer", doi="10.5555/12345678", year=2022)
    target = Work(title=HUB_TITLE)  # merges with the hub of the hub page by its title
    src = SourceInfo(name="fixture-api.json", sha256="0" * 64, media_type="application/json")
    citations = (
        Citation(citing=citer1, cited=sici, roles=(RoleLabel("method", "semanticscholar"), RoleLabel("background", "semanticscholar")),
                 contexts=("as shown in [3] <em>before</em>",), influential=True, creation="2021-01",
                 label_source="semanticscholar"),
        Citation(citing=citer2, cited=sici, roles=(RoleLabel("method", "semanticscholar"),), label_source="semanticscholar"),
        Citation(citing=sici, cited=target),
    )
    return [hub, Bundle(source=src, works=(sici, citer1, citer2, target), citations=citations)]


def write_fixture_graph(folder: Path, base: str = BASE) -> tuple[Path, object]:
    """Write the fixture graph as Turtle into folder; returns (file, rdflib graph)."""
    graph, _ = graph_from_bundles(fixture_bundles(), base)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "fixture.ttl"
    path.write_text(turtle_text(graph), encoding="utf-8")
    return path, graph
