"""Run SPARQL over exported files and print the results as a table, CSV, TSV or JSON."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from typing import TYPE_CHECKING

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.query import Result

from ..errors import UsageError
from ..map.vocab import PREFIXES
from ..serialize.terms import TurtleTerms, nt_term

if TYPE_CHECKING:  # pragma: no cover
    from .engines import QueryResult

OUTPUT_FORMATS = ("table", "csv", "tsv", "json")


def prologue(query: str) -> str:
    """Prefix declarations for kgtool's prefixes that the query does not declare itself."""
    declared = {line.split()[1].rstrip(":").lower() for line in query.splitlines()
                if line.strip().upper().startswith("PREFIX") and len(line.split()) > 1}
    return "".join(f"PREFIX {k}: <{v}>\n" for k, v in PREFIXES.items() if k not in declared)


def run_query(graph: Graph, query: str, bindings: dict | None = None) -> Result:
    """Run a SPARQL query; kgtool's prefixes are predeclared."""
    try:
        return graph.query(prologue(query) + query, initBindings=bindings or {})
    except Exception as e:  # pyparsing / rdflib errors carry the position in their text
        raise UsageError(f"SPARQL error: {' '.join(str(e).split())[:300]}") from None


def _cell(term, fmt: TurtleTerms) -> str:
    if term is None:
        return ""
    if isinstance(term, URIRef):
        return fmt.iri(str(term))
    if isinstance(term, Literal):
        return str(term)
    if isinstance(term, BNode):
        return f"_:{term}"
    return str(term)


def render_table(names: list[str], rows: list[list]) -> str:
    fmt = TurtleTerms(PREFIXES)
    cells = [[_cell(t, fmt) for t in row] for row in rows]
    widths = [max([len(n)] + [len(r[i]) for r in cells]) for i, n in enumerate(names)]
    widths = [min(w, 80) for w in widths]

    def line(values: Iterable[str]) -> str:
        return " | ".join(
            (v if len(v) <= w else v[: w - 1] + "…").ljust(w) for v, w in zip(values, widths, strict=False)
        ).rstrip()

    out = [line(names), "-+-".join("-" * w for w in widths)]
    out += [line(r) for r in cells]
    out.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(out) + "\n"


def render_csv(names: list[str], rows: list[list]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(names)
    for row in rows:
        w.writerow(["" if t is None else str(t) for t in row])
    return buf.getvalue()


def render_tsv(names: list[str], rows: list[list]) -> str:
    out = ["\t".join(f"?{n}" for n in names)]
    for row in rows:
        out.append("\t".join("" if t is None else nt_term(t) for t in row))
    return "\n".join(out) + "\n"


def _json_term(t) -> dict:
    if isinstance(t, URIRef):
        return {"type": "uri", "value": str(t)}
    if isinstance(t, BNode):
        return {"type": "bnode", "value": str(t)}
    d = {"type": "literal", "value": str(t)}
    if t.language:
        d["xml:lang"] = t.language
    elif t.datatype:
        d["datatype"] = str(t.datatype)
    return d


def render_json(names: list[str], rows: list[list]) -> str:
    bindings = [{n: _json_term(t) for n, t in zip(names, row, strict=False) if t is not None} for row in rows]
    doc = {"head": {"vars": names}, "results": {"bindings": bindings}}
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


RENDERERS = {"table": render_table, "csv": render_csv, "tsv": render_tsv, "json": render_json}


def render_result(result: Result | QueryResult, output: str) -> str:
    """Text for a SELECT (rows), ASK (true/false) or CONSTRUCT/DESCRIBE (Turtle) result.

    Takes an rdflib Result or an engines.QueryResult (from the store or an endpoint).
    """
    from .engines import QueryResult

    if output not in RENDERERS:
        raise UsageError(f"unknown output format {output!r} (choose from: {', '.join(OUTPUT_FORMATS)})")
    if isinstance(result, Result):
        result = QueryResult.from_rdflib(result)
    if result.kind == "ASK":
        if output == "json":
            return json.dumps({"head": {}, "boolean": bool(result.boolean)}) + "\n"
        return ("true" if result.boolean else "false") + "\n"
    if result.kind == "CONSTRUCT":
        from ..serialize.export import turtle_text

        return turtle_text(result.triples)
    return RENDERERS[output](result.names, result.rows)
