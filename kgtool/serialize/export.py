"""Serialize a graph deterministically: Turtle, JSON-LD, N-Triples and N-Quads.

The same triples always give the same bytes, whatever PYTHONHASHSEED: every writer sorts.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from rdflib import BNode, Graph, URIRef
from rdflib.namespace import RDF
from rdflib.term import IdentifiedNode

from ..atomic import write_files_atomically
from ..errors import UsageError
from ..map.vocab import PREFIXES
from ..resources import jsonld_context
from .terms import TurtleTerms, bnode_label, nt_term, sort_key

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


def _canonical_json(value, *, ordered: bool = False):
    """Sort node arrays by @id and value arrays by their JSON text (RDF has no order there),
    but never an @list, whose order is the list's."""
    if isinstance(value, dict):
        return {k: _canonical_json(v, ordered=k == "@list") for k, v in value.items()}
    if isinstance(value, list):
        items = [_canonical_json(v) for v in value]
        if ordered:
            return items
        return sorted(items, key=lambda v: json.dumps(v, sort_keys=True, ensure_ascii=False))
    return value


_XSD = "http://www.w3.org/2001/XMLSchema#"
_CANONICAL_INT = re.compile(r"^(?:0|-?[1-9][0-9]*)$")
#: Typed values JSON-LD may write as native JSON: a reader turns the native value back into
#: exactly this literal only when the lexical form is the canonical one checked here.
_NATIVE = {
    "xsd:integer": lambda lex: int(lex) if _CANONICAL_INT.match(lex) else None,
    "xsd:boolean": lambda lex: {"true": True, "false": False}.get(lex),
    "xsd:string": lambda lex: lex,
}


def _natives(value):
    """Typed values as native JSON where that reads back as the same literal (rdflib's own
    native mode also turns "01" into 1 and "1E0"^^xsd:double into 1.0, which change the term)."""
    if isinstance(value, dict):
        if set(value) == {"@type", "@value"} and isinstance(value["@value"], str):
            kind = value["@type"].replace(_XSD, "xsd:")
            native = _NATIVE[kind](value["@value"]) if kind in _NATIVE else None
            if native is not None:
                return native
        return {k: _natives(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_natives(v) for v in value]
    return value


def _legal_bnodes(graph: Graph) -> Graph:
    """The graph with every blank node label legal (see terms.bnode_label); usually itself."""
    def fix(t):
        return BNode(bnode_label(str(t))) if isinstance(t, BNode) else t

    if all(bnode_label(str(t)) == str(t) for tr in graph for t in tr if isinstance(t, BNode)):
        return graph
    out = Graph()
    for tr in graph:
        out.add(tuple(fix(t) for t in tr))
    return out


def _jsonld_nodes(graph: Graph, context: dict):
    """rdflib's JSON-LD conversion, minus two of its faults: it writes every integer, double and
    boolean as native JSON even when asked not to (its native mode is always on with a context),
    and it drops blank nodes that only a cycle of blank nodes leads to."""
    from rdflib.plugins.serializers.jsonld import Context, Converter

    class _Converter(Converter):
        def from_graph(self, graph: Graph):
            nodemap: dict = {}
            subjects = {s for s in graph.subjects() if isinstance(s, IdentifiedNode)}  # RDF syntax has no other
            roots: list[IdentifiedNode] = [s for s in subjects if isinstance(s, URIRef)
                     or (isinstance(s, BNode) and not any(graph.subjects(None, s)))]
            reached: set = set()
            while True:
                for s in sorted(roots, key=sort_key):
                    self.process_subject(graph, s, nodemap)
                stack = list(roots)
                reached.update(roots)
                while stack:
                    for o in graph.objects(stack.pop()):
                        if isinstance(o, BNode) and o not in reached:
                            reached.add(o)
                            stack.append(o)
                rest = sorted(subjects - reached, key=sort_key)
                if not rest:
                    return list(nodemap.values())
                roots = rest[:1]  # a blank node only other blank nodes in a cycle refer to

    ctx = Context(context)
    converter = _Converter(ctx, False, False)
    converter.use_native_types = False
    result = converter.convert(graph)
    if isinstance(result, list):
        result = {ctx.get_key("@graph"): result}
    result["@context"] = context  # as rdflib's from_rdf does
    return result


def jsonld_text(graph: Graph) -> str:
    """JSON-LD compacted with kgtool's context, embedded so that no reader fetches it."""
    context = jsonld_context()
    data = _natives(_jsonld_nodes(_legal_bnodes(graph), context))
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
FORMAT_ALIASES = {
    "turtle": "ttl",
    "json-ld": "jsonld",
    "ntriples": "nt",
    "n-triples": "nt",
    "nquads": "nq",
    "n-quads": "nq",
}


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


_NOT_IN_IRI_SEGMENT = re.compile(r'[\x00-\x20<>"{}|^`\\%#?/\x7f]')


def graph_name(base: str, stem: str) -> URIRef:
    """The named graph an export of ``stem`` goes into (used by N-Quads); characters an IRI
    path segment cannot hold (a space in 'my dump.csv') are percent-encoded, others (é) kept."""
    segment = _NOT_IN_IRI_SEGMENT.sub(lambda m: "".join(f"%{b:02X}" for b in m.group().encode("utf-8")), stem)
    return URIRef(f"{base}graph/{segment}")


def write_exports(graph: Graph, out_dir: Path, stem: str, formats: list[Format], base: str) -> list[Path]:
    """Write one file per format, all or none."""
    name = graph_name(base, stem)
    targets = {
        out_dir / f"{stem}{f.suffix}": (lambda fh, f=f: f.write(graph, name, fh)) for f in formats
    }
    write_files_atomically(targets)
    return list(targets)
