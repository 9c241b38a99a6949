"""Validate a graph against kgtool's SHACL shapes and report the results readably."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, SH
from rdflib.term import Node

from .resources import shapes_file
from .terms import TurtleTerms
from .vocab import PREFIXES

SEVERITIES = ("Violation", "Warning", "Info")
EXAMPLES_PER_GROUP = 3


@dataclass(frozen=True)
class Result:
    """One SHACL validation result."""

    severity: str  # Violation | Warning | Info
    focus: str
    path: str | None
    value: str | None
    shape: str
    component: str
    message: str


@dataclass
class Report:
    """The outcome of validation: results plus the raw SHACL results graph."""

    conforms: bool
    results: list[Result]
    graph: Graph = field(repr=False)

    def count(self, severity: str) -> int:
        return sum(1 for r in self.results if r.severity == severity)

    @property
    def violations(self) -> int:
        return self.count("Violation")

    def groups(self) -> list[dict]:
        """Results grouped by severity, shape, path and constraint, each with a count."""
        groups: dict[tuple, list[Result]] = {}
        for r in self.results:
            groups.setdefault((r.severity, r.shape, r.path or "", r.component, r.message), []).append(r)
        out = []
        for (sev, shape, path, comp, msg), rs in sorted(
            groups.items(), key=lambda kv: (SEVERITIES.index(kv[0][0]), kv[0][1:])
        ):
            rs = sorted(rs, key=lambda r: (r.focus, r.value or ""))
            out.append(
                {
                    "severity": sev,
                    "shape": shape,
                    "path": path or None,
                    "constraint": comp,
                    "message": msg,
                    "count": len(rs),
                    "examples": [
                        {"focus": r.focus, "value": r.value} for r in rs[:EXAMPLES_PER_GROUP]
                    ],
                }
            )
        return out


def load_shapes(path: str | Path | None = None) -> Graph:
    """The shapes graph: kgtool's own unless another file or folder of .ttl files is given."""
    from .rdfload import read_graph

    p = Path(path) if path else shapes_file()
    files = sorted(p.glob("*.ttl")) if p.is_dir() else [p]
    return read_graph(files, "turtle")


def _short(node: Node | None, fmt: TurtleTerms) -> str | None:
    if node is None:
        return None
    if isinstance(node, URIRef):
        return fmt.iri(str(node))
    if isinstance(node, Literal):
        return fmt.term(node)
    return str(node)


def _path_text(results: Graph, path: Node | None, fmt: TurtleTerms) -> str | None:
    if path is None:
        return None
    if isinstance(path, URIRef):
        return fmt.iri(str(path))
    alt = results.value(path, SH.alternativePath)
    if alt is not None:
        items = list(results.items(alt))
        return " | ".join(_short(i, fmt) or "" for i in items)
    inv = results.value(path, SH.inversePath)
    if inv is not None:
        return "^" + (_short(inv, fmt) or "")
    return "(complex path)"


def report_from_results(conforms: bool, results: Graph) -> Report:
    fmt = TurtleTerms({**PREFIXES, "kgsh": "https://w3id.org/kgtool/shapes#", "sh": str(SH)})
    out: list[Result] = []
    for r in results.subjects(RDF.type, SH.ValidationResult):
        sev = results.value(r, SH.resultSeverity)
        severity = str(sev).rsplit("#", 1)[-1] if sev is not None else "Violation"
        shape = results.value(r, SH.sourceShape)
        shape_text = _short(shape, fmt) if isinstance(shape, URIRef) else "(anonymous shape)"
        comp = results.value(r, SH.sourceConstraintComponent)
        msgs = sorted(str(m) for m in results.objects(r, SH.resultMessage))
        out.append(
            Result(
                severity=severity,
                focus=str(results.value(r, SH.focusNode)),
                path=_path_text(results, results.value(r, SH.resultPath), fmt),
                value=_short(results.value(r, SH.value), fmt),
                shape=shape_text or "",
                component=str(comp).rsplit("#", 1)[-1].removesuffix("ConstraintComponent") if comp else "",
                message=msgs[0] if msgs else "",
            )
        )
    out.sort(key=lambda r: (SEVERITIES.index(r.severity) if r.severity in SEVERITIES else 9, r.shape, r.focus))
    return Report(conforms=conforms, results=out, graph=results)


def validate_graph(data: Graph, shapes: Graph | None = None) -> Report:
    """Run pySHACL; non-conformance is a result, not an exception."""
    import pyshacl  # imported here: it costs 0.2 s and 20 MB, and most commands never validate

    conforms, results, _ = pyshacl.validate(
        data,
        shacl_graph=shapes if shapes is not None else load_shapes(),
        inference="none",
        advanced=True,
        allow_warnings=True,
    )
    return report_from_results(bool(conforms), results)


def render_text(report: Report) -> str:
    """A readable report: a status line, then groups with counts and examples."""
    v, w, i = report.count("Violation"), report.count("Warning"), report.count("Info")
    status = "conforms" if report.conforms else "does NOT conform"
    lines = [f"Validation: {status} ({v} violations, {w} warnings, {i} infos)"]
    for g in report.groups():
        where = f" on {g['path']}" if g["path"] else ""
        lines.append(f"\n{g['severity']}: {g['shape']}{where} [{g['constraint']}] x{g['count']}")
        if g["message"]:
            lines.append(f"  {g['message']}")
        for ex in g["examples"]:
            value = f"  (value {ex['value']})" if ex["value"] else ""
            lines.append(f"  - {ex['focus']}{value}")
        if g["count"] > len(g["examples"]):
            lines.append(f"  ... and {g['count'] - len(g['examples'])} more")
    return "\n".join(lines) + "\n"


def render_json(report: Report) -> str:
    doc = {
        "conforms": report.conforms,
        "counts": {s.lower(): report.count(s) for s in SEVERITIES},
        "groups": report.groups(),
    }
    return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def render_ttl(report: Report) -> str:
    # Results are blank nodes; Turtle of them is stable enough for reading, sorted by subject.
    return report.graph.serialize(format="turtle")


RENDERERS = {"text": render_text, "json": render_json, "ttl": render_ttl}
