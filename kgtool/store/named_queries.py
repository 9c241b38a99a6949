"""The SPARQL queries shipped in kgtool/store/queries/*.rq, and binding their parameters safely.

Each file opens with a comment block: the first line is a one-line description, and each
parameter is declared on a line ``# @param NAME TYPE[=DEFAULT]  description``. A parameter
value from the user becomes an RDF term of the declared type after validation (an IRI
that could close itself and add a clause is refused here), and engines bind that term;
it is never pasted into the query text.

A query projects its parameters (Oxigraph binds only projected variables, as SEP-0007
proposes) and uses them in its outer group, not only inside a subquery; run_named() drops
those constant columns from the answer.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from rdflib import Literal
from rdflib.namespace import XSD
from rdflib.term import Node

from ..errors import UsageError
from ..map.iris import parse_iri
from ..resources import queries_dir
from .engines import Engine, QueryResult

_INTEGER = re.compile(r"^[+-]?\d+$")
_YEAR = re.compile(r"^-?\d{4,}$")
_PARAM_LINE = re.compile(r"^#\s*@param\s+(?P<name>[A-Za-z_]\w*)\s+(?P<type>\w+)(?:=(?P<default>\S+))?\s*(?P<doc>.*)$")


def _integer(value: str, what: str) -> Literal:
    if not _INTEGER.match(value.strip()):
        raise UsageError(f"{what} must be an integer, got {value!r}")
    return Literal(str(int(value)), datatype=XSD.integer)


def _year(value: str, what: str) -> Literal:
    if not _YEAR.match(value.strip()):
        raise UsageError(f"{what} must be a year (YYYY), got {value!r}")
    return Literal(value.strip(), datatype=XSD.gYear)


def _string(value: str, what: str) -> Literal:
    return Literal(value)


#: parameter type -> (how to write it in --param, converter to an RDF term)
PARAM_TYPES: dict[str, tuple[str, Callable[[str, str], Node]]] = {
    "iri": ("IRI", parse_iri),
    "integer": ("N", _integer),
    "year": ("YYYY", _year),
    "string": ("TEXT", _string),
}


@dataclass(frozen=True)
class Param:
    """A declared query parameter."""

    name: str
    type: str
    default: str | None
    doc: str

    def term(self, value: str) -> Node:
        return PARAM_TYPES[self.type][1](value, f"--param {self.name}")


@dataclass(frozen=True)
class NamedQuery:
    """A shipped query: its name (the file stem), description, parameters and text."""

    name: str
    description: str
    params: tuple[Param, ...]
    text: str

    def bind(self, values: Mapping[str, str]) -> dict[str, Node]:
        """RDF terms for every parameter: the given values, else the defaults."""
        declared = {p.name: p for p in self.params}
        unknown = sorted(set(values) - set(declared))
        if unknown:
            known = ", ".join(declared) or "none"
            raise UsageError(f"query {self.name!r} has no parameter {unknown[0]!r} (its parameters: {known})")
        out: dict[str, Node] = {}
        for p in self.params:
            raw = values.get(p.name, p.default)
            if raw is None:
                raise UsageError(
                    f"query {self.name!r} needs --param {p.name}={PARAM_TYPES[p.type][0]} ({p.doc})"
                )
            out[p.name] = p.term(raw)
        return out


def parse_header(name: str, text: str) -> NamedQuery:
    """Read the description and @param lines of a query file's leading comment block."""
    description = ""
    params: list[Param] = []
    for line in text.splitlines():
        s = line.strip()
        if not s.startswith("#"):
            break
        m = _PARAM_LINE.match(s)
        if m:
            if m["type"] not in PARAM_TYPES:
                raise ValueError(f"{name}.rq: unknown parameter type {m['type']!r}")
            params.append(Param(m["name"], m["type"], m["default"], m["doc"].strip()))
        elif not description and s.lstrip("# ").strip():
            description = s.lstrip("# ").strip()
    return NamedQuery(name, description, tuple(params), text)


@lru_cache(maxsize=1)
def shipped_queries() -> dict[str, NamedQuery]:
    """Every shipped query by name, sorted."""
    files: Iterable[Path] = sorted(queries_dir().glob("*.rq"))
    return {p.stem: parse_header(p.stem, p.read_text(encoding="utf-8")) for p in files}


def get_query(name: str) -> NamedQuery:
    queries = shipped_queries()
    if name not in queries:
        raise UsageError(f"no shipped query named {name!r} (choose from: {', '.join(queries)})")
    return queries[name]


def parse_param_options(items: Iterable[str]) -> dict[str, str]:
    """['work=https://…', 'min=3'] -> {'work': 'https://…', 'min': '3'}."""
    out: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise UsageError(f"--param takes NAME=VALUE, got {item!r}")
        if name.strip() in out:
            raise UsageError(f"--param {name.strip()} is given twice")
        out[name.strip()] = value
    return out


def run_named(engine: Engine, name: str, values: Mapping[str, str] | None = None) -> QueryResult:
    """Run a shipped query with its parameters bound as RDF terms."""
    q = get_query(name)
    bindings = q.bind(values or {})
    result = engine.query(q.text, bindings)
    keep = [i for i, n in enumerate(result.names) if n not in bindings]
    if len(keep) < len(result.names):
        result.names = [result.names[i] for i in keep]
        result.rows = [[row[i] for i in keep] for row in result.rows]
    return result


def describe_queries() -> str:
    """The shipped queries with their parameters, for ``kgtool query --list``."""
    lines = []
    for q in shipped_queries().values():
        lines.append(f"{q.name}\n    {q.description}")
        for p in q.params:
            default = f" (default {p.default})" if p.default is not None else " (required)"
            lines.append(f"    --param {p.name}={PARAM_TYPES[p.type][0]}  {p.doc}{default}")
    return "\n".join(lines) + "\n"
