"""Read exported RDF files (any of kgtool's formats, optionally gzipped): into rdflib, or as
bytes with their format for the embedded store and for publishing (parsed by pyoxigraph)."""

from __future__ import annotations

import gzip
import hashlib
import io
from dataclasses import dataclass
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


def oxigraph_format(parser: str):
    """The pyoxigraph RdfFormat for one of the parser names above."""
    import pyoxigraph as ox

    return {
        "turtle": ox.RdfFormat.TURTLE,
        "nt": ox.RdfFormat.N_TRIPLES,
        "nquads": ox.RdfFormat.N_QUADS,
        "trig": ox.RdfFormat.TRIG,
        "json-ld": ox.RdfFormat.JSON_LD,
        "xml": ox.RdfFormat.RDF_XML,
    }[parser]


@dataclass(frozen=True)
class RdfSource:
    """One RDF file read into memory (decompressed), with its format and digest."""

    name: str
    data: bytes
    parser: str  # one of PARSERS' values
    sha256: str

    @property
    def is_quads(self) -> bool:
        return self.parser in QUAD_FORMATS

    def triples(self):
        """Parse with pyoxigraph, yielding (s, p, o) pyoxigraph terms; graph names are dropped."""
        import pyoxigraph as ox

        try:
            for q in ox.parse(self.data, format=oxigraph_format(self.parser)):
                yield q.subject, q.predicate, q.object
        except SyntaxError as e:
            raise self.syntax_error(e) from None

    def syntax_error(self, e: Exception) -> InputError:
        """The one-line error for a parser's complaint about this file (it names the line)."""
        first = " ".join(str(e).split())[:300] or type(e).__name__
        return InputError(f"cannot parse as {self.parser}: {first}", source=self.name)


def read_rdf(path: str | Path, fmt: str | None = None) -> RdfSource:
    """Read an RDF file ('-' is stdin, '.gz' is decompressed) without parsing it yet."""
    name, data = read_bytes(path)
    parser = rdf_format(path, fmt)
    if name.endswith(".gz"):
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as e:
            raise InputError(f"not a valid gzip file ({e})", source=name) from None
    return RdfSource(name, data, parser, hashlib.sha256(data).hexdigest())


def parse_into(ds: Dataset, path: str | Path, fmt: str | None = None) -> None:
    """Parse one file into a dataset (triples into the default graph, quads into theirs)."""
    src = read_rdf(path, fmt)
    try:
        target = ds if src.is_quads else ds.default_graph
        target.parse(io.BytesIO(src.data), format=src.parser)
    except Exception as e:  # rdflib raises many unrelated types for bad syntax
        raise src.syntax_error(e) from None


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
