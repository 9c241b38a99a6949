"""The one strict RDF reader: every command that reads RDF files reads them here.

pyoxigraph parses every format (Turtle, TriG, N-Triples, N-Quads, JSON-LD, RDF/XML): strictly
(invalid IRIs, bad escapes and relative IRIs without a base are errors), streaming, with the
line and column of an error, and without ever fetching anything. On top of it this module

* streams ``.gz`` (told by its first bytes) through a bounded buffer: a gzip bomb costs time,
  not memory;
* refuses remote JSON-LD contexts (``@context`` URLs, in arrays, ``@import``, scoped) without a
  request, and JSON nested deeper than rdfguards.MAX_JSON_DEPTH (pyoxigraph's JSON-LD processor
  overflows its stack near 4,000 levels);
* refuses RDF/XML entity declarations that could expand (nested, external or long ones;
  these two checks live in rdfguards.py);
* turns pyoxigraph's MemoryError for a term over its 16 MiB buffer into an input error;
* refuses RDF 1.2 triple terms and directional language tags with a "not supported" line
  (rdflib, which holds graphs in memory here, has no such terms).

Every refusal is an InputError naming the file, and the line and column when they are known.

API: ``iter_quads(path)`` streams pyoxigraph quads; ``read_dataset``/``read_graph`` (alias
``load_files``/``load_graph``) give rdflib objects; ``read_rdf`` gives an RdfSource (a file's
format and content digest, parsed on demand) for the embedded store and ``push``.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import logging
import re
import shutil
import sys
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Protocol

from rdflib import BNode, Dataset, Graph, Literal, URIRef

from ..errors import InputError
from .dumpfile import GZIP_MAGIC
from .rdfguards import check_json_depth, xml_head

if TYPE_CHECKING:  # pragma: no cover
    import pyoxigraph

#: file suffix -> format name (the names are rdflib's parser names, used across kgtool)
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
_ALIASES = {"ttl": "turtle", "jsonld": "json-ld", "nq": "nquads", "n-quads": "nquads", "ntriples": "nt",
            "n-triples": "nt", "rdfxml": "xml", "rdf/xml": "xml", "rdf": "xml"}

_CHUNK = 1 << 16

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANGSTRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"


def rdf_format(path: str | Path, explicit: str | None = None) -> str:
    """The format of a file, from --input-format or the file's suffix (a trailing .gz ignored)."""
    if explicit:
        fmt = _ALIASES.get(explicit.lower(), explicit.lower())
        if fmt not in set(PARSERS.values()):
            raise InputError(f"unknown RDF format {explicit!r} (choose from: ttl, jsonld, nt, nq, trig, xml)")
        return fmt
    name = str(path)
    if name == "-":
        return "turtle"
    p = Path(name[:-3] if name.lower().endswith(".gz") else name)
    try:
        return PARSERS[p.suffix.lower()]
    except KeyError:
        raise InputError(
            f"cannot tell the RDF format from the suffix {p.suffix or '(none)'!r}; "
            "use one of .ttl .jsonld .nt .nq .trig .rdf (optionally .gz), or --input-format",
            source=name,
        ) from None


def expand_inputs(paths: list[str | Path]) -> list[Path]:
    """Files named, and the RDF files inside folders named (sorted, hidden files skipped)."""
    out: list[Path] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            found = sorted(
                f for f in p.rglob("*")
                if f.is_file() and not any(part.startswith(".") for part in f.relative_to(p).parts)
                and f.name.lower().removesuffix(".gz").endswith(tuple(PARSERS))
            )
            if not found:
                raise InputError("no RDF files (.nt .nq .ttl ..., optionally .gz) in this folder", source=str(p))
            out.extend(found)
        elif p.is_file():
            out.append(p)
        else:
            raise InputError("no such file or folder", source=str(p))
    return out


def oxigraph_format(parser: str):
    """The pyoxigraph RdfFormat for one of the format names above."""
    import pyoxigraph as ox

    return {
        "turtle": ox.RdfFormat.TURTLE,
        "nt": ox.RdfFormat.N_TRIPLES,
        "nquads": ox.RdfFormat.N_QUADS,
        "trig": ox.RdfFormat.TRIG,
        "json-ld": ox.RdfFormat.JSON_LD,
        "xml": ox.RdfFormat.RDF_XML,
    }[parser]


# --- opening files ---------------------------------------------------------------------------

class Readable(Protocol):
    """What pyoxigraph and the pre-checks read from: a binary stream's ``read``."""

    def read(self, size: int = -1, /) -> bytes: ...


class _Input:
    """A file (or spooled stdin) that can be opened, decompressed, several times."""

    def __init__(self, path: str | Path):
        self.name = "<stdin>" if str(path) == "-" else str(path)
        self._spool: IO[bytes] | None = None
        if str(path) == "-":
            self._spool = tempfile.TemporaryFile(prefix=".kgtool-stdin-")
            shutil.copyfileobj(sys.stdin.buffer, self._spool, 1 << 20)
            self.path = None
        else:
            self.path = Path(path)
            if self.path.is_dir():
                raise InputError("is a directory, expected a file", source=self.name)

    @contextmanager
    def open(self) -> Iterator[Readable]:
        """The decompressed content as a stream (gzip is told by its first bytes)."""
        try:
            if self._spool is not None:
                self._spool.seek(0)
                raw: IO[bytes] | _NoClose = _NoClose(self._spool)
            else:
                assert self.path is not None  # a file, unless stdin was spooled
                raw = open(self.path, "rb")
        except FileNotFoundError:
            raise InputError("no such file", source=self.name) from None
        except OSError as e:
            raise InputError(f"cannot read: {e.strerror}", source=self.name) from None
        try:
            gz = raw.read(2) == GZIP_MAGIC
            raw.seek(0)
            yield _Guarded(gzip.GzipFile(fileobj=raw, mode="rb") if gz else raw, self.name)
        finally:
            raw.close()

    def sha256(self) -> tuple[str, bool]:
        """Digest of the decompressed content, read in bounded chunks, and whether it may hold
        RDF 1.2 syntax (``<<``, ``--ltr``, ``--rtl`` anywhere; false positives are fine)."""
        h = hashlib.sha256()
        rdf12, tail = False, b""
        with self.open() as stream:
            while chunk := stream.read(1 << 20):
                h.update(chunk)
                if not rdf12:
                    seen = tail + chunk[:8]
                    rdf12 = any(m in chunk or m in seen for m in (b"<<", b"--ltr", b"--rtl"))
                    tail = chunk[-8:]
        return h.hexdigest(), rdf12

    @property
    def plain_file(self) -> Path | None:
        """The file itself when it needs no decompression (pyoxigraph reads it fastest)."""
        if self.path is None:
            return None
        with open(self.path, "rb") as fh:
            return None if fh.read(2) == GZIP_MAGIC else self.path


class _NoClose(io.RawIOBase):
    """A view of the stdin spool that leaves it open when closed."""

    def __init__(self, f: IO[bytes]):
        self._f = f

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, pos: int, whence: int = 0) -> int:
        return self._f.seek(pos, whence)

    def readinto(self, b) -> int:
        data = self._f.read(len(b))
        b[: len(data)] = data
        return len(data)


class _Guarded:
    """A read-only stream whose gzip and OS errors become InputError (pyoxigraph calls read())."""

    def __init__(self, stream: Readable, name: str, head: bytes = b""):
        self._s = stream
        self._name = name
        self._head = head

    def read(self, n: int = -1) -> bytes:
        if self._head:
            out, self._head = (self._head, b"") if n < 0 or n >= len(self._head) else (self._head[:n], self._head[n:])
            return out
        try:
            return self._s.read(n if n >= 0 else _CHUNK)
        except (OSError, EOFError, gzip.BadGzipFile) as e:
            raise InputError(f"cannot read: not a valid gzip file ({e})" if isinstance(e, (EOFError, gzip.BadGzipFile))
                             else f"cannot read: {e}", source=self._name) from None

    def readable(self) -> bool:
        return True


_REMOTE_CONTEXT = re.compile(r'"@import"|"@context"\s*:\s*(?:"|\[[^\]]*")')
RDF12_SYNTAX = re.compile(
    r"<<|\"@[A-Za-z0-9-]+--(?:ltr|rtl)\b|@[A-Za-z]+(?:-[A-Za-z0-9]+)*--(?:ltr|rtl)|\"@direction\""
)


def _find_line(src: _Input, pattern: re.Pattern[str]) -> tuple[int | None, int | None]:
    """(line, column) of the first match of ``pattern`` in the file, for errors pyoxigraph gives
    no position for."""
    n, carry, budget = 1, b"", 64 << 20  # an error message is not worth more than this much reading
    with src.open() as stream:
        while budget > 0 and len(carry) < 4 << 20:
            data = stream.read(1 << 20)
            budget -= len(data)
            lines = (carry + data).split(b"\n")
            carry = lines.pop() if data else b""
            for line in lines:
                m = pattern.search(line.decode("utf-8", "replace"))
                if m:
                    return n, m.start() + 1
                n += 1
            if not data:
                break
    return None, None


#: pyoxigraph's parsers read a term of at most this many bytes at once; a longer one ends the
#: parse in a MemoryError ("Reached the buffer maximal size of 16777216"), not in lack of memory.
PARSER_BUFFER = 16 << 20


def parser_buffer_full(e: BaseException) -> bool:
    """Whether pyoxigraph stopped at a term longer than PARSER_BUFFER (its MemoryError)."""
    return isinstance(e, MemoryError) and "buffer maximal size" in str(e)


def _term_too_long(src: _Input) -> InputError:
    """The error for a term longer than the parser reads at once, on the first line that long."""
    return InputError(f"a term longer than {PARSER_BUFFER >> 20} MiB, more than the RDF parser (pyoxigraph) reads "
                      "at once", source=src.name, line=_first_long_line(src))


def _first_long_line(src: _Input, budget: int = 1 << 30) -> int | None:
    """The number of the first line longer than PARSER_BUFFER in the first ``budget`` bytes."""
    n, length = 1, 0
    with src.open() as stream:
        while budget > 0 and (data := stream.read(1 << 20)):
            budget -= len(data)
            start = 0
            while (i := data.find(b"\n", start)) >= 0:
                if length + i - start > PARSER_BUFFER:
                    return n
                n, length, start = n + 1, 0, i + 1
            length += len(data) - start
            if length > PARSER_BUFFER:
                return n
    return None


# --- parsing ---------------------------------------------------------------------------------

def _syntax_error(e: SyntaxError, fmt: str, name: str) -> InputError:
    msg = " ".join(str(e.msg if e.msg else e).split())
    msg = re.sub(r"^Parser error[^:]*: ", "", msg)[:300]
    return InputError(f"cannot parse as {fmt}: {msg or type(e).__name__}", source=name,
                      line=e.lineno, column=e.offset if e.lineno is not None else None)


def _parse_error(src: _Input, e: SyntaxError, fmt: str) -> InputError:
    if "LoadDocumentCallback" in str(e) or "remote context" in str(e).lower():
        line, col = _find_line(src, _REMOTE_CONTEXT)
        return InputError("remote JSON-LD contexts are not fetched (kgtool makes no network requests); "
                          "embed the context in the file", source=src.name, line=line, column=col)
    return _syntax_error(e, fmt, src.name)


def _rdf12_error(src: _Input, direction: bool) -> InputError:
    what = "directional language tags" if direction else "triple terms"
    line, col = _find_line(src, RDF12_SYNTAX)
    return InputError(f"RDF 1.2 {what} are not supported", source=src.name, line=line, column=col)


@contextmanager
def _checked_stream(src: _Input, fmt: str) -> Iterator[Readable]:
    """The decompressed content, after the checks pyoxigraph does not make (JSON depth, RDF/XML
    entities)."""
    if fmt == "json-ld":
        with src.open() as stream:
            check_json_depth(stream, src.name)
    with src.open() as stream:
        head = xml_head(stream, src.name) if fmt == "xml" else b""
        yield _Guarded(stream, src.name, head) if head else stream


def _quads(src: _Input, fmt: str, base_iri: str | None) -> Iterator[pyoxigraph.Quad]:
    import pyoxigraph as ox

    Triple, Lit = ox.Triple, ox.Literal
    with _checked_stream(src, fmt) as feed:
        try:
            # pyoxigraph reads from any object with read(); its stub names only IO
            for q in ox.parse(feed, format=oxigraph_format(fmt), base_iri=base_iri):  # type: ignore[arg-type]
                o = q.object
                if type(o) is Triple or type(q.subject) is Triple or (type(o) is Lit and o.direction is not None):
                    raise _rdf12_error(src, type(o) is Lit)
                yield q
        except SyntaxError as e:
            raise _parse_error(src, e, fmt) from None
        except UnicodeDecodeError as e:
            raise InputError(f"not valid UTF-8 ({e.reason})", source=src.name) from None
        except MemoryError as e:
            if not parser_buffer_full(e):
                raise
            raise _term_too_long(src) from None


def iter_quads(path: str | Path, format: str | None = None, *, base_iri: str | None = None,
               name: str | None = None) -> Iterator[pyoxigraph.Quad]:
    """Stream the quads of one RDF file ('-' is stdin; gzip is decompressed as it is read).

    Triples come in the default graph. In Turtle, TriG, JSON-LD and RDF/XML relative IRIs
    resolve against ``base_iri``, by default the file's own file: URI (none for stdin); in
    N-Triples and N-Quads they are errors. Raises InputError naming the file (or ``name``, for a
    copy that stands for another input), line and column.
    """
    fmt = rdf_format(path, format)
    src = _Input(path)
    src.name = name or src.name
    yield from _quads(src, fmt, _base(path, fmt, base_iri))


def _base(path: str | Path, fmt: str, base_iri: str | None) -> str | None:
    if fmt in ("nt", "nquads"):
        return None
    if base_iri is None and str(path) != "-":
        return Path(path).resolve().as_uri()
    return base_iri


# --- into rdflib -----------------------------------------------------------------------------

class RdflibTerms:
    """Converts pyoxigraph terms to rdflib terms. Lexical forms are kept as written; blank
    nodes get labels b0, b1, ... in order of first appearance, per file (so two files never
    share a blank node, and the same input always gives the same labels)."""

    def __init__(self) -> None:
        import pyoxigraph as ox

        self._n = 0
        self._bnodes: dict[tuple[int, str], BNode] = {}
        self._cache: dict = {}
        self._types = (ox.NamedNode, ox.BlankNode, ox.Literal)
        self.file = 0

    def __call__(self, t):
        hit = self._cache.get(t)
        if hit is not None:
            return hit
        named, blank, literal = self._types
        kind = type(t)
        if kind is named:
            out = URIRef(t.value)
        elif kind is blank:
            key = (self.file, t.value)
            out = self._bnodes.get(key)
            if out is None:
                out = self._bnodes[key] = BNode(f"b{self._n}")
                self._n += 1
            return out
        elif kind is literal:
            if t.language:
                out = Literal(t.value, lang=t.language, normalize=False)
            else:
                dt = t.datatype.value
                out = Literal(t.value, datatype=None if dt == XSD_STRING else URIRef(dt), normalize=False)
        else:
            raise InputError(f"cannot hold {t!r} in an RDF 1.1 graph")
        if len(self._cache) > 1 << 17:
            self._cache.clear()
        self._cache[t] = out
        return out


def _drop_literal_warnings(record: logging.LogRecord) -> bool:
    return not record.getMessage().startswith("Failed to convert Literal lexical form")


@contextmanager
def _quiet_rdflib() -> Iterator[None]:
    """rdflib logs a traceback for every ill-typed literal ("abc"^^xsd:integer) it builds; such
    literals are legal RDF, so they are read without that noise."""
    log = logging.getLogger("rdflib.term")
    log.addFilter(_drop_literal_warnings)
    try:
        yield
    finally:
        log.removeFilter(_drop_literal_warnings)


def read_dataset(paths: Iterable[str | Path], format: str | None = None) -> Dataset:
    """All files in one dataset whose default graph is the union of its graphs (triples go to
    the default graph, quads to theirs)."""
    import pyoxigraph as ox

    ds = Dataset(default_union=True)
    conv = RdflibTerms()
    graphs: dict = {}
    default = ds.default_graph
    for i, p in enumerate(paths):
        conv.file = i

        def rows(p=p):
            for q in iter_quads(p, format):
                g = q.graph_name
                if type(g) is ox.DefaultGraph:
                    ctx = default
                else:
                    ctx = graphs.get(g) if type(g) is ox.NamedNode else None
                    if ctx is None:
                        ctx = ds.graph(conv(g))
                        if type(g) is ox.NamedNode:
                            graphs[g] = ctx
                yield conv(q.subject), conv(q.predicate), conv(q.object), ctx

        with _quiet_rdflib():
            ds.addN(rows())
    return ds


def read_graph(paths: Iterable[str | Path] | str | Path, format: str | None = None) -> Graph:
    """All triples of the files in one plain Graph (graph names dropped)."""
    if isinstance(paths, (str, Path)):
        paths = [paths]
    g = Graph()
    conv = RdflibTerms()
    for i, p in enumerate(paths):
        conv.file = i
        with _quiet_rdflib():
            g.addN((conv(q.subject), conv(q.predicate), conv(q.object), g) for q in iter_quads(p, format))
    return g


#: The names the commands have always called.
load_files = read_dataset
load_graph = read_graph


# --- for the store and push --------------------------------------------------------------------

class RdfSource:
    """One RDF file: its name, format and content digest; parsed (strictly) on demand."""

    def __init__(self, path: str | Path, fmt: str | None = None):
        self.parser = rdf_format(path, fmt)
        self._input = _Input(path)
        self._path = path
        self.name = self._input.name
        self.sha256, self.maybe_rdf12 = self._input.sha256()

    @property
    def is_quads(self) -> bool:
        return self.parser in QUAD_FORMATS

    def quads(self) -> Iterator[pyoxigraph.Quad]:
        return _quads(self._input, self.parser, _base(self._path, self.parser, None))

    def triples(self):
        """(s, p, o) pyoxigraph terms; graph names are dropped."""
        for q in self.quads():
            yield q.subject, q.predicate, q.object

    @property
    def base_iri(self) -> str | None:
        """What relative IRIs resolve against (see iter_quads)."""
        return _base(self._path, self.parser, None)

    def stream(self) -> AbstractContextManager[Readable]:
        """Context manager: the decompressed content, checked as iter_quads checks it before
        parsing, for pyoxigraph's own loaders. Their SyntaxError goes through syntax_error, and
        RDF 1.2 terms they accept through rdf12_error."""
        return _checked_stream(self._input, self.parser)

    @property
    def plain_file(self) -> Path | None:
        """The file itself when pyoxigraph can read it directly (not gzip, not stdin)."""
        return self._input.plain_file

    def rdf12_error(self, direction: bool) -> InputError:
        return _rdf12_error(self._input, direction)

    def syntax_error(self, e: Exception) -> InputError:
        if isinstance(e, SyntaxError):
            return _parse_error(self._input, e, self.parser)
        if parser_buffer_full(e):
            return _term_too_long(self._input)
        return InputError(f"cannot parse as {self.parser}: {' '.join(str(e).split())[:300]}", source=self.name)


def read_rdf(path: str | Path, fmt: str | None = None) -> RdfSource:
    """An RDF file ('-' is stdin, spooled; gzip is decompressed as it is read), not parsed yet."""
    return RdfSource(path, fmt)
