"""Load exported RDF files (any of kgtool's formats, optionally gzipped) into rdflib."""

from __future__ import annotations

import gzip
import io
from pathlib import Path
from typing import Iterable

from rdflib import Dataset, Graph

from .errors import InputError
from .readfile import read_bytes

#: file suffix -> rdflib parser name
PARSERS = {
    ".ttl": "turtle",
    ".turtle": "turtle",
    ".jsonld": "json-ld",
    ".json": "json-ld",
    ".nt": "nt",
    ".nq": "nquads",
    ".trig": "trig",
    ".rdf": "xml",
    ".owl": "xml",
    ".xml": "xml",
}
QUAD_FORMATS = {"nquads", "trig"}


def rdf_format(path: str | Path, explicit: str | None = None) -> str:
    """The rdflib parser for a file, from --input-format or the file's suffix."""
    if explicit:
        fmt = {"ttl": "turtle", "jsonld": "json-ld", "nq": "nquads"}.get(explicit, explicit)
        if fmt not in set(PARSERS.values()):
            raise InputError(f"unknown RDF format {explicit!r} (choose from: ttl, jsonld, nt, nq, trig, xml)")
        return fmt
    name = str(path)
    if name == "-":
        return "turtle"
    p = Path(name[:-3] if name.endswith(".gz") else name)
    try:
        return PARSERS[p.suffix.lower()]
    except KeyError:
        raise InputError(
            f"cannot tell the RDF format from the suffix {p.suffix or '(none)'!r}; "
            "use one of .ttl .jsonld .nt .nq .trig .rdf, or --input-format",
            source=name,
        ) from None


def parse_into(ds: Dataset, path: str | Path, fmt: str | None = None) -> None:
    """Parse one file into a dataset (triples into the default graph, quads into theirs)."""
    name, data = read_bytes(path)
    if name.endswith(".gz"):
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as e:
            raise InputError(f"not a valid gzip file ({e})", source=name) from None
    parser = rdf_format(path, fmt)
    try:
        target = ds if parser in QUAD_FORMATS else ds.default_graph
        target.parse(io.BytesIO(data), format=parser)
    except Exception as e:  # rdflib raises many unrelated types for bad syntax
        first = " ".join(str(e).split())[:300] or type(e).__name__
        raise InputError(f"cannot parse as {parser}: {first}", source=name) from None


def load_files(paths: Iterable[str | Path], fmt: str | None = None) -> Dataset:
    """All files in one dataset whose default graph is the union of its graphs."""
    ds = Dataset(default_union=True)
    for p in paths:
        parse_into(ds, p, fmt)
    return ds


def load_graph(paths: Iterable[str | Path], fmt: str | None = None) -> Graph:
    """All triples of the files in one plain Graph (graph names dropped)."""
    g = Graph()
    ds = load_files(paths, fmt)
    for s, p, o, _ in ds.quads((None, None, None, None)):
        g.add((s, p, o))
    return g
