"""Serialize a graph deterministically: Turtle, JSON-LD, N-Triples and N-Quads.

The same triples always give the same bytes, whatever PYTHONHASHSEED: every writer sorts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Callable, Iterable

from rdflib import Graph, URIRef
from rdflib.namespace import RDF

from .atomic import write_files_atomically
from .errors import UsageError
from .resources import jsonld_context
from .terms import TurtleTerms, nt_term, sort_key
from .vocab import PREFIXES

Triple = tuple


def turtle_text(triples: Iterable[Triple], prefixes: dict[str, str] = PREFIXES) -> str:
    """Turtle grouped by subject, subjects/predicates/objects sorted, rdf:type first."""
    by_subject: dict = {}
    for s, p, o in triples:
        by_subject.setdefault(s, {}).setdefault(p, set()).add(o)
    fmt = TurtleTerms(prefixes)
    blocks = []
    for s in sorted(by_subject, key=sort_key):
        preds = by_subject[s]
        order = sorted(preds, key=lambda p: (p != RDF.type, sort_key(p)))
        lines = []
        for p in order:
            objs = ", ".join(fmt.term(o) for o in sorted(preds[p], key=sort_key))
            lines.append(f"{fmt.term(p, predicate=True)} {objs}")
        blocks.append(fmt.term(s) + " " + " ;\n    ".join(lines) + " .\n")
    head = "".join(f"@prefix {k}: <{prefixes[k]}> .\n" for k in sorted(fmt.used))
    return head + ("\n" if head and blocks else "") + "\n".join(blocks)


def ntriples_lines(triples: Iterable[Triple]) -> list[str]:
    return sorted({f"{nt_term(s)} {nt_term(p)} {nt_term(o)} .\n" for s, p, o in triples})


def nquads_lines(triples: Iterable[Triple], graph: URIRef) -> list[str]:
    g = nt_term(graph)
    return sorted({f"{nt_term(s)} {nt_term(p)} {nt_term(o)} {g} .\n" for s, p, o in triples})


def _canonical_json(value):
    """Sort node arrays by @id and value arrays by their JSON text; RDF has no order there."""
    if isinstance(value, dict):
        return {k: _canonical_json(v) for k, v in value.items()}
    if isinstance(value, list):
        items = [_canonical_json(v) for v in value]
        return sorted(items, key=lambda v: json.dumps(v, sort_keys=True, ensure_ascii=False))
    return value


def jsonld_text(graph: Graph) -> str:
    """JSON-LD compacted with kgtool's context, embedded so that no reader fetches it."""
    context = jsonld_context()
    data = json.loads(graph.serialize(format="json-ld", context=context, auto_compact=False))
    nodes = data.get("@graph", []) if isinstance(data, dict) else data
    if isinstance(data, dict) and "@graph" not in data:
        nodes = [{k: v for k, v in data.items() if k != "@context"}] if len(data) > 1 else []
    doc = {"@context": context, "@graph": _canonical_json(nodes)}
    return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


@dataclass(frozen=True)
class Format:
    """An export format: a file suffix and how to write a graph in it."""

    name: str
    suffix: str
    media_type: str
    write: Callable[[Graph, URIRef, IO[bytes]], None]


def _write_ttl(g: Graph, _name: URIRef, fh: IO[bytes]) -> None:
    fh.write(turtle_text(g).encode("utf-8"))


def _write_jsonld(g: Graph, _name: URIRef, fh: IO[bytes]) -> None:
    fh.write(jsonld_text(g).encode("utf-8"))


def _write_nt(g: Graph, _name: URIRef, fh: IO[bytes]) -> None:
    fh.write("".join(ntriples_lines(g)).encode("utf-8"))


def _write_nq(g: Graph, name: URIRef, fh: IO[bytes]) -> None:
    fh.write("".join(nquads_lines(g, name)).encode("utf-8"))


FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format("ttl", ".ttl", "text/turtle", _write_ttl),
        Format("jsonld", ".jsonld", "application/ld+json", _write_jsonld),
        Format("nt", ".nt", "application/n-triples", _write_nt),
        Format("nq", ".nq", "application/n-quads", _write_nq),
    )
}
FORMAT_ALIASES = {"turtle": "ttl", "json-ld": "jsonld", "ntriples": "nt", "n-triples": "nt", "nquads": "nq", "n-quads": "nq"}


def parse_formats(spec: str | Iterable[str]) -> list[Format]:
    """'ttl,jsonld' -> [Format, Format]; an unknown name lists the valid ones."""
    names = spec.split(",") if isinstance(spec, str) else list(spec)
    out = []
    for raw in names:
        n = raw.strip().lower()
        n = FORMAT_ALIASES.get(n, n)
        if n not in FORMATS:
            raise UsageError(f"unknown format {raw.strip()!r} (choose from: {', '.join(FORMATS)})")
        if FORMATS[n] not in out:
            out.append(FORMATS[n])
    if not out:
        raise UsageError("no output format given")
    return out


def graph_name(base: str, stem: str) -> URIRef:
    """The named graph an export of ``stem`` goes into (used by N-Quads); the stem is
    percent-encoded, so that any file name ('my dump') gives a valid IRI."""
    from .iris import quote_segment

    return URIRef(f"{base}graph/{quote_segment(stem)}")


def write_exports(graph: Graph, out_dir: Path, stem: str, formats: list[Format], base: str) -> list[Path]:
    """Write one file per format, all or none."""
    name = graph_name(base, stem)
    targets = {
        out_dir / f"{stem}{f.suffix}": (lambda fh, f=f: f.write(graph, name, fh)) for f in formats
    }
    write_files_atomically(targets)
    return list(targets)
