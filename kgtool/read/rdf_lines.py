"""RDF input files by kind, and the shape of one N-Triples/N-Quads line.

The validator's DuckDB engine loads N-Triples/N-Quads lines itself and splits them with
``_LINE``, after rdfload (kgtool's one strict reader) has checked the file.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..errors import InputError

#: file suffix -> how to read it
LINE_FORMATS = {".nt": "nt", ".nq": "nq"}
PARSED_FORMATS = {".ttl": "ttl", ".turtle": "ttl", ".trig": "trig", ".jsonld": "jsonld", ".json": "jsonld",
                  ".rdf": "xml", ".owl": "xml", ".xml": "xml"}
RDF_SUFFIXES = tuple(LINE_FORMATS) + tuple(PARSED_FORMATS)

_IRI = r"<[^<>\"{}|^`\\\x00-\x20]*(?:\\[uU][0-9A-Fa-f]{4,8}[^<>\"{}|^`\\\x00-\x20]*)*>"
_BNODE = r"_:[A-Za-z0-9_](?:[A-Za-z0-9_.\-]*[A-Za-z0-9_\-])?"
_LITERAL = r'"(?:[^"\\\n\r]|\\.)*"(?:@[A-Za-z]+(?:-[A-Za-z0-9]+)*|\^\^' + _IRI + ")?"
_LINE = re.compile(
    rf"^[ \t]*({_IRI}|{_BNODE})[ \t]+({_IRI})[ \t]+({_IRI}|{_BNODE}|{_LITERAL})"
    rf"(?:[ \t]+({_IRI}|{_BNODE}))?[ \t]*\.[ \t]*(?:#.*)?$"
)

_EXPLICIT = {"nt": "nt", "ntriples": "nt", "nq": "nq", "nquads": "nq", "ttl": "ttl", "turtle": "ttl",
             "trig": "trig", "jsonld": "jsonld", "json-ld": "jsonld", "xml": "xml", "rdfxml": "xml"}


def file_kind(path: Path, explicit: str | None = None) -> str:
    """'nt', 'nq', or a parsed format name: ``explicit`` (--input-format), else from the suffix
    (a trailing .gz is ignored)."""
    if explicit:
        try:
            return _EXPLICIT[explicit.lower()]
        except KeyError:
            raise InputError(f"unknown RDF format {explicit!r} (choose from: nt, nq, ttl, trig, jsonld, xml)") from None
    name = path.name.lower()
    if name.endswith(".gz"):
        name = name[:-3]
    suffix = Path(name).suffix
    if suffix in LINE_FORMATS:
        return LINE_FORMATS[suffix]
    if suffix in PARSED_FORMATS:
        return PARSED_FORMATS[suffix]
    raise InputError(
        f"cannot tell the RDF format from the suffix {suffix or '(none)'!r}; use .nt .nq .ttl .trig .jsonld .rdf",
        source=str(path),
    )


def expand_inputs(paths: list[str | Path]) -> list[Path]:
    """Files named, and the RDF files inside folders named (sorted, hidden files skipped)."""
    out: list[Path] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            found = sorted(
                f for f in p.rglob("*")
                if f.is_file() and not any(part.startswith(".") for part in f.relative_to(p).parts)
                and f.name.lower().removesuffix(".gz").endswith(RDF_SUFFIXES)
            )
            if not found:
                raise InputError("no RDF files (.nt .nq .ttl ..., optionally .gz) in this folder", source=str(p))
            out.extend(found)
        elif p.is_file():
            out.append(p)
        else:
            raise InputError("no such file or folder", source=str(p))
    return out
