"""Validate a graph against kgtool's SHACL shapes and report the results readably."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, SH
from rdflib.term import Node

from ..errors import UsageError
from ..map.vocab import PREFIXES
from ..resources import shapes_file
from ..serialize.terms import TurtleTerms

SEVERITIES = ("Violation", "Warning", "Info")
EXAMPLES_PER_GROUP = 3
#: --fail-on: the lowest severity that makes validation fail (exit 1).
FAIL_ON = ("violation", "warning", "info")


def severity_rank(severity: str) -> int:
    """Violation, Warning, Info, then custom severities (SHACL allows any IRI)."""
    return SEVERITIES.index(severity) if severity in SEVERITIES else len(SEVERITIES)


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
    """The outcome of validation, whichever engine ran it.

    ``results`` and ``graph`` (the SHACL results graph) hold every result when the engine was
    asked to keep them; a large validation may instead bring only ``counts`` per severity and
    the ``grouped`` results (counts and first examples), computed where the data lives.
    """

    conforms: bool
    results: list[Result]
    graph: Graph | None = field(default=None, repr=False)
    counts: dict[str, int] | None = None
    grouped: list[dict] | None = None
    engine: str = "pyshacl"

    def count(self, severity: str) -> int:
        if self.counts is not None:
            return self.counts.get(severity, 0)
        return sum(1 for r in self.results if r.severity == severity)

    def severities(self) -> dict[str, int]:
        """Results per severity: the three of SHACL (also when 0), then any custom ones."""
        out = {s: self.count(s) for s in SEVERITIES}
        for sev in self.counts or {r.severity: 1 for r in self.results}:
            out.setdefault(sev, self.count(sev))
        return out

    @property
    def violations(self) -> int:
        return self.count("Violation")

    def fails(self, fail_on: str = "violation") -> bool:
        """True when a result is at least as severe as ``fail_on`` (custom severities count as
        Info: SHACL gives them no rank)."""
        worst = FAIL_ON.index(fail_on)
        return any(min(severity_rank(s), 2) <= worst for s, n in self.severities().items() if n)

    def groups(self) -> list[dict]:
        """Results grouped by severity, shape, path and constraint, each with a count."""
        if self.grouped is not None:
            return self.grouped
        groups: dict[tuple, list[Result]] = {}
        for r in self.results:
            groups.setdefault((r.severity, r.shape, r.path or "", r.component, r.message), []).append(r)
        out = []
        for (sev, shape, path, comp, msg), rs in sorted(
            groups.items(), key=lambda kv: (severity_rank(kv[0][0]), kv[0])
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
    from ..read.rdfload import read_graph

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


def severity_name(sev: Node | None, fmt: TurtleTerms) -> str:
    """'Violation', 'Warning', 'Info', or a custom severity's IRI (prefixed when possible)."""
    if sev is None:
        return "Violation"
    if str(sev).startswith(str(SH)) and str(sev)[len(str(SH)):] in SEVERITIES:
        return str(sev)[len(str(SH)):]
    return _short(sev, fmt) or str(sev)


def report_formatter() -> TurtleTerms:
    return TurtleTerms({**PREFIXES, "kgsh": "https://w3id.org/kgtool/shapes#", "sh": str(SH)})


def report_from_results(results: Graph) -> Report:
    """The Report of a SHACL results graph; sh:conforms is set to SHACL's meaning (no result at all)."""
    fmt = report_formatter()
    out: list[Result] = []
    for r in results.subjects(RDF.type, SH.ValidationResult):
        severity = severity_name(results.value(r, SH.resultSeverity), fmt)
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
    out.sort(key=lambda r: (severity_rank(r.severity), r.severity, r.shape, r.focus))
    conforms = not out
    for report in results.subjects(RDF.type, SH.ValidationReport):
        results.set((report, SH.conforms, Literal(conforms)))
    return Report(conforms=conforms, results=out, graph=results)


def _drop_noise(record: logging.LogRecord) -> bool:
    msg = record.getMessage()
    # rdflib logs a traceback for each ill-formed literal (the report names them anyway);
    # pySHACL warns about qualified parameters without a shape, which SHACL ignores too.
    return not (msg.startswith("Failed to convert Literal lexical form")
                or msg.startswith("ConstraintLoadWarning: QualifiedValueShapeConstraintComponent"))


@contextmanager
def quiet_logs() -> Iterator[None]:
    """Silence rdflib's and pySHACL's log lines that the report already covers."""
    names = ("rdflib.term", "pyshacl", "pyshacl.shape", "pyshacl.validator", "pyshacl.shapes_graph",
             "pyshacl.entrypoints", "pyshacl-validate")
    handlers = [h for n in names for h in logging.getLogger(n).handlers]
    loggers = [logging.getLogger(n) for n in names]
    for x in loggers + handlers:
        x.addFilter(_drop_noise)
    try:
        yield
    finally:
        for x in loggers + handlers:
            x.removeFilter(_drop_noise)


def validate_graph(data: Graph, shapes: Graph | None = None) -> Report:
    """Run pySHACL; non-conformance is a result, not an exception.

    Shapes pySHACL warns about (it would skip or misread a constraint) are refused, so that
    nothing is left unchecked without a word.
    """
    import warnings

    import pyshacl  # imported here: it costs 0.2 s and 20 MB, and most commands never validate

    shapes = shapes if shapes is not None else load_shapes()
    for shape in shapes.subjects(SH.qualifiedValueShape, None):
        if shapes.value(shape, SH.path) is None:
            # pySHACL would skip it with a warning; SHACL defines it on property shapes only
            raise UsageError(f"pySHACL does not support sh:qualifiedValueShape on a node shape (shape {shape})")
    with warnings.catch_warnings(), quiet_logs():
        warnings.simplefilter("ignore")  # rdflib on ill-formed literals; the results name them
        try:
            _, results, _ = pyshacl.validate(
                data,
                shacl_graph=shapes,
                inference="none",
                advanced=True,
                allow_warnings=True,
            )
        except (pyshacl.errors.ShapeLoadError, pyshacl.errors.ConstraintLoadError) as e:
            raise UsageError(f"pySHACL does not support these shapes: {' '.join(str(e).split())[:300]}") from None
    return report_from_results(results)


def render_text(report: Report) -> str:
    """A readable report: a status line, then groups with counts and examples."""
    lines = [f"Validation: {status_line(report)}"]
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


def status_line(report: Report) -> str:
    """'conforms (0 violations, ...)' or 'does NOT conform (...)', custom severities counted too."""
    counts = report.severities()
    parts = [
        f"{counts.pop('Violation')} violations",
        f"{counts.pop('Warning')} warnings",
        f"{counts.pop('Info')} infos",
    ]
    parts += [f"{n} {s}" for s, n in counts.items()]
    return f"{'conforms' if report.conforms else 'does NOT conform'} ({', '.join(parts)})"


def render_json(report: Report) -> str:
    doc = {
        "conforms": report.conforms,
        "counts": {s if s not in SEVERITIES else s.lower(): n for s, n in report.severities().items()},
        "groups": report.groups(),
    }
    return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def render_ttl(report: Report) -> str:
    # Results are blank nodes; Turtle of them is stable enough for reading, sorted by subject.
    if report.graph is None:
        raise UsageError("this report holds counts only; ask for --report ttl before validating")
    # Written by pyoxigraph from N-Triples: rdflib's Turtle writer rewrites literals by their
    # value (an ill-formed "none"^^xsd:boolean comes out as a bare, unparseable none).
    import pyoxigraph as ox

    quads = ox.parse(report.graph.serialize(format="nt", encoding="utf-8"), format=ox.RdfFormat.N_TRIPLES)
    prefixes = {"sh": str(SH), "xsd": "http://www.w3.org/2001/XMLSchema#", "kgsh": "https://w3id.org/kgtool/shapes#",
                **{k: v for k, v in PREFIXES.items() if k not in ("sh", "xsd")}}
    return bytes(ox.serialize(quads, format=ox.RdfFormat.TURTLE, prefixes=prefixes) or b"").decode("utf-8")


RENDERERS = {"text": render_text, "json": render_json, "ttl": render_ttl}
