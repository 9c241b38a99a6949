"""The build pipeline: read sources, resolve, map, validate, export."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from rdflib import Graph

from .errors import ValidationFailed
from .map import iris
from .map.mapping import triples
from .map.model import Bundle
from .map.resolve import Resolved, resolve
from .progress import Progress, quiet
from .safenames import check_inside
from .serialize.export import parse_formats, write_exports
from .validate.shacl import Report

if TYPE_CHECKING:
    from .read.http import HttpSettings


@dataclass
class BuildResult:
    """What a build made: the graph, its validation report and the files written."""

    graph: Graph
    resolved: Resolved
    report: Report | None
    files: list[Path]
    base: str = iris.DEFAULT_BASE
    stem: str = "graph"
    extra_notes: tuple[str, ...] = ()  # e.g. works enrichment left as they were

    @property
    def notes(self) -> tuple[str, ...]:
        return self.resolved.notes + self.extra_notes


def graph_from_bundles(bundles: Iterable[Bundle], base: str = iris.DEFAULT_BASE) -> tuple[Graph, Resolved]:
    """Resolve the bundles into one set of records and map them into an rdflib Graph."""
    base = iris.check_base(base)
    resolved = resolve(bundles)
    g = Graph()
    for t in triples(resolved, base):
        g.add(t)
    return g, resolved


def build_graph(
    bundles: Iterable[Bundle],
    *,
    out_dir: str | Path | None = "exports",
    stem: str = "graph",
    formats: str | Iterable[str] = ("ttl", "jsonld"),
    base: str = iris.DEFAULT_BASE,
    validate: bool = True,
    progress: Progress = quiet,
) -> BuildResult:
    """Map, validate and (unless out_dir is None) write the exports.

    Raises ValidationFailed (nothing written) when the graph has violations.
    """
    base = iris.check_base(base)
    fmts = parse_formats(formats)
    if out_dir is not None:
        check_inside(stem)  # a stem like '../../x' would write outside out_dir
    graph, resolved = graph_from_bundles(bundles, base)
    progress(f"mapped {len(resolved.works)} works, {len(resolved.citations)} citations, {len(graph)} triples")
    report = None
    if validate:
        from .validate.sql import validate_built_graph

        report = validate_built_graph(graph, progress=progress)
        if report.fails("violation"):
            raise ValidationFailed(report, f"the graph has {report.violations} SHACL violations; nothing written")
    files: list[Path] = []
    if out_dir is not None:
        files = write_exports(graph, Path(out_dir), stem, fmts, base)
    return BuildResult(graph=graph, resolved=resolved, report=report, files=files, base=base, stem=stem)


def build_hub_pages(
    paths: Iterable[str | Path],
    *,
    enrich: str | Iterable[str] = (),
    match_threshold: Decimal | None = None,
    http: HttpSettings | None = None,
    **kwargs,
) -> BuildResult:
    """Read hub pages, saved API answers and small dumps ('-' is stdin; see inputs.py) and
    build them into one graph: one resolution over all of them.

    ``enrich`` names scholarly APIs (e.g. "openalex,s2") to look up works known only by
    title in (see enrich.py); nothing is written if a lookup fails.
    """
    from .read.inputs import read_inputs

    paths = list(paths)
    bundles = read_inputs(paths)
    kwargs.setdefault("stem", default_stem(paths))
    notes: tuple[str, ...] = ()
    if enrich:
        from .map.enrich import DEFAULT_THRESHOLD
        from .map.enrich import enrich as enrich_bundles

        found = enrich_bundles(
            bundles, enrich, threshold=match_threshold or DEFAULT_THRESHOLD, http=http,
            progress=kwargs.get("progress", quiet),
        )
        bundles += found.bundles
        notes = tuple(found.notes)
    result = build_graph(bundles, **kwargs)
    result.extra_notes = notes
    return result


def default_stem(paths: list[str | Path]) -> str:
    """Output file stem: the input's stem for one file, else 'graph'."""
    if len(paths) == 1 and str(paths[0]) != "-":
        from .read.inputs import split_spec

        name = Path(split_spec(str(paths[0]))[1]).name
        return Path(name.removesuffix(".gz")).stem
    return "graph"
