"""Read RDF files (N-Triples, N-Quads, Turtle, ...; gzip or not) as canonical N-Triples lines.

A canonical line is ``<s> <p> o .\\n`` with single spaces, the graph name dropped, and each term
written as terms.nt_term writes it, so that the same term always has the same text and lines
can be compared, hashed and partitioned as strings. Lines as kgtool writes them take a fast
path (a split); anything else (escapes, other spacing, comments) is tokenized properly.
N-Triples and N-Quads are read in chunks of whole lines (``line_chunks``) so that several
processes can canonicalize them; each chunk is first checked by pyoxigraph's strict parser, as
rdfload (kgtool's one reader) checks every file. Other formats are read by rdfload.iter_quads.
"""

from __future__ import annotations

import gzip
import re
from pathlib import Path
from typing import IO, Iterator

from .errors import InputError
from .terms import escape_string

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
_ECHAR = {"t": "\t", "b": "\b", "n": "\n", "r": "\r", "f": "\f", '"': '"', "'": "'", "\\": "\\"}
_ESCAPE = re.compile(r"\\(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|(.))", re.DOTALL)


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


def _unescape(text: str) -> str:
    def one(m: re.Match[str]) -> str:
        if m.group(1) or m.group(2):
            return chr(int(m.group(1) or m.group(2), 16))
        return _ECHAR.get(m.group(3), m.group(3))

    return _ESCAPE.sub(one, text)


def canonical_term(text: str) -> str:
    """One N-Triples term in canonical form (escapes decoded and re-encoded as kgtool does)."""
    if "\\" not in text:
        return text
    if text.startswith("<"):
        return f"<{_unescape(text[1:-1])}>"
    if text.startswith('"'):
        end = text.rindex('"')
        body, suffix = text[1:end], text[end + 1:]
        if suffix.startswith("^^"):
            suffix = "^^" + canonical_term(suffix[2:])
        return f'"{escape_string(_unescape(body))}"{suffix}'
    return text


def _slow_line(line: str) -> str | None:
    m = _LINE.match(line)
    if m is None:
        return None
    s, p, o = (canonical_term(t) for t in m.group(1, 2, 3))
    return f"{s} {p} {o} .\n"


def _is_node(term: str) -> bool:
    return (term.startswith("<") and term.endswith(">")) or term.startswith("_:")


def _fast_line(line: str) -> str | None:
    """Canonical form of a line written like kgtool writes them (no escapes, single spaces)."""
    parts = line.split(" ", 2)
    if len(parts) != 3:
        return None
    s, p, rest = parts
    body = rest[:-2]  # the object, maybe followed by a graph name
    if not (_is_node(s) and p.startswith("<") and p.endswith(">") and body):
        return None
    if body[0] in "<_":
        obj, _, graph = body.partition(" ")
    elif body[0] == '"':
        close = body.find('"', 1)  # no backslash in the line: the next quote closes the string
        if close < 0:
            return None
        end = close + 1
        if body.startswith("@", end):
            space = body.find(" ", end)
            end = len(body) if space < 0 else space
        elif body.startswith("^^<", end):
            end = body.find(">", end) + 1
            if end == 0:
                return None
        obj = body[:end]
        if end == len(body):
            graph = ""
        elif body[end] == " ":
            graph = body[end + 1:]
        else:
            return None
    else:
        return None
    if graph and not (_is_node(graph) and " " not in graph):
        return None
    if obj[0] == "<" and not obj.endswith(">"):
        return None
    return f"{s} {p} {obj} .\n"


def canonical_line(line: str) -> str | None:
    """The canonical form of one N-Triples/N-Quads line; '' for a blank or comment line;
    None when it is not a valid statement."""
    if "\\" not in line and line.endswith(" .") and line[:1] in ("<", "_"):
        fast = _fast_line(line)
        if fast is not None:
            return fast
    stripped = line.strip()
    if not stripped or stripped.startswith("#"):
        return ""
    return _slow_line(line)


# A line exactly as terms.nt_term writes it (escapes included): already canonical.
_IRI_C = r'<[^<>"{}|^`\\\x00-\x20]*>'
_CANONICAL = re.compile(
    rf'(?:{_IRI_C}|_:[A-Za-z0-9_.\-]+) {_IRI_C} (?:{_IRI_C}|_:[A-Za-z0-9_.\-]+|'
    rf'"(?:[^"\\\n\r]|\\["\\nrtbf]|\\u00[01][0-9A-F]|\\u007F)*"(?:@[A-Za-z]+(?:-[A-Za-z0-9]+)*|\^\^{_IRI_C})?) \.'
)


def check_chunk(data: bytes, name: str, first_line: int) -> None:
    """Parse a chunk of whole N-Triples/N-Quads lines strictly (pyoxigraph, as rdfload does);
    InputError names the file, line and column of the first error."""
    import pyoxigraph as ox

    nt = name.lower().removesuffix(".gz").endswith(".nt")
    fmt = ox.RdfFormat.N_TRIPLES if nt else ox.RdfFormat.N_QUADS
    rdf12 = b"<<" in data or b"--ltr" in data or b"--rtl" in data
    try:
        for q in ox.parse(data, format=fmt):
            if rdf12 and (type(q.object) is ox.Triple or (type(q.object) is ox.Literal and q.object.direction)):
                raise _rdf12_error(data, name, first_line, type(q.object) is ox.Literal)
    except SyntaxError as e:
        msg = re.sub(r"^Parser error[^:]*: ", "",
                     " ".join(str(e.msg or e).split()))[:300]
        line = None if e.lineno is None else first_line + e.lineno - 1
        raise InputError(f"cannot parse as {'nt' if nt else 'nquads'}: {msg}", source=name, line=line,
                         column=e.offset if line is not None else None) from None


def _rdf12_error(data: bytes, name: str, first_line: int, direction: bool) -> InputError:
    """The error rdfload gives for RDF 1.2 terms, with the line and column of the first one."""
    from .rdfload import RDF12_SYNTAX

    what = "directional language tags" if direction else "triple terms"
    for i, line in enumerate(data.decode("utf-8", "replace").split("\n")):
        m = RDF12_SYNTAX.search(line)
        if m:
            return InputError(f"RDF 1.2 {what} are not supported", source=name, line=first_line + i,
                              column=m.start() + 1)
    return InputError(f"RDF 1.2 {what} are not supported", source=name)


def canonical_chunk(data: bytes, name: str, first_line: int) -> list[str]:
    """The canonical lines of a chunk of whole lines (each ending in a newline); InputError
    names the first bad line."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise InputError("not valid UTF-8", source=name, line=first_line + data.count(b"\n", 0, e.start)) from None
    check_chunk(data, name, first_line)
    out = []
    fullmatch = _CANONICAL.fullmatch
    for i, line in enumerate(text.split("\n")):
        if fullmatch(line):
            out.append(line + "\n")
            continue
        if line.endswith("\r"):
            line = line[:-1]
        c = canonical_line(line)
        if c is None:
            raise InputError(f"not an N-Triples/N-Quads statement: {line[:120]!r}", source=name,
                             line=first_line + i)
        if c:
            out.append(c)
    return out


def line_chunks(path: Path, size: int = 1 << 20) -> Iterator[tuple[int, bytes]]:
    """(first line number, bytes) runs of whole lines of a line-based file."""
    name = str(path)
    try:
        with open(path, "rb") as raw:
            gz = raw.read(2) == b"\x1f\x8b"
            raw.seek(0)
            stream: IO[bytes] = gzip.GzipFile(fileobj=raw, mode="rb") if gz else raw
            carry, line = b"", 1
            while True:
                data = stream.read(size)
                if not data:
                    break
                buf = carry + data
                cut = buf.rfind(b"\n") + 1
                if cut == 0:
                    carry = buf
                    continue
                chunk, carry = buf[:cut], buf[cut:]
                yield line, chunk
                line += chunk.count(b"\n")
            if carry:
                yield line, carry
    except FileNotFoundError:
        raise InputError("no such file", source=name) from None
    except (OSError, EOFError) as e:
        raise InputError(f"cannot read ({e})", source=name) from None


def parsed_lines(path: Path, kind: str) -> Iterator[str]:
    """Canonical lines of a file in a syntax that needs a real parser (Turtle, JSON-LD, ...),
    read by rdfload.iter_quads (strict, gzip streamed, no remote contexts)."""
    import pyoxigraph as ox

    from .rdfload import iter_quads

    formats = {"ttl": "turtle", "trig": "trig", "jsonld": "json-ld", "xml": "xml", "nt": "nt", "nq": "nquads"}
    cache: dict = {}

    def term(t) -> str:
        text = cache.get(t)
        if text is None:
            if isinstance(t, ox.NamedNode):
                text = f"<{t.value}>"
            elif isinstance(t, ox.BlankNode):
                text = f"_:{t.value}"
            else:
                text = f'"{escape_string(t.value)}"'
                if t.language:
                    text += f"@{t.language}"
                elif t.datatype.value != "http://www.w3.org/2001/XMLSchema#string":
                    text += f"^^<{t.datatype.value}>"
            if len(cache) > 1 << 16:
                cache.clear()
            cache[t] = text
        return text

    for q in iter_quads(path, formats[kind]):
        yield f"{term(q.subject)} {term(q.predicate)} {term(q.object)} .\n"
