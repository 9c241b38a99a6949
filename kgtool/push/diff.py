"""The difference between two exports: triples removed and added, as RDF Patch or SPARQL Update.

Both inputs become sorted, duplicate-free N-Triples files first; then one merge pass over the
two (coreutils ``comm``) yields the lines only in the old file (removed) and only in the new one
(added), in linear time and constant memory.

* N-Triples input (plain or gzip) is compared line by line as written: kgtool's exports are
  canonical (one ``s p o .`` line per triple, sorted by code point). An input that is not
  sorted is sorted by coreutils ``sort`` (external merge sort in bounded memory, spilling to
  the temporary folder), with ``LC_ALL=C`` so that the order is that of the bytes.
* Any other syntax (Turtle, JSON-LD, N-Quads, TriG, RDF/XML) is parsed by pyoxigraph and written
  as N-Triples first (graph names of quads are dropped: exports hold one graph).

Blank nodes are refused: their labels are local to a file, so no line-by-line difference can
say whether a blank node was changed or only renamed (kgtool's exports have none).

Outputs: RDF Patch (https://afs.github.io/rdf-delta/rdf-patch.html; one ``TX .`` ... ``TC .``
transaction of ``D`` and ``A`` rows, quads when a graph is named), or SPARQL 1.1 Update
(``DELETE DATA`` / ``INSERT DATA`` operations of at most ``chunk`` triples, joined by ``;``).
The removed and added sets are disjoint, so the order of the rows does not matter.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from .. import leftovers
from ..errors import InputError, UsageError
from ..map.iris import parse_iri
from ..progress import Progress, quiet
from ..read.dumpfile import is_gzip

FORMATS = ("patch", "update")
DEFAULT_CHUNK = 10_000
_C = {**os.environ, "LC_ALL": "C"}
# A blank node as subject, or as the object at the end of a line ('"' and '>' end literals).
_BNODE_GREP = r'^[[:space:]]*_:|[[:space:]]_:[^[:space:]">]*[[:space:]]*\.[[:space:]]*$'
_BNODE = re.compile(r'^\s*_:\S+|\s(_:[^\s">]*)\s*\.\s*$')


@dataclass(frozen=True)
class DiffCounts:
    """How many triples the difference removes and adds."""

    removed: int
    added: int


def _tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise UsageError(f"kgtool diff needs the '{name}' program (GNU coreutils) on PATH")
    return found


def _rdf_parser(name: str, explicit: str | None) -> str:
    from ..read.rdfload import rdf_format

    return rdf_format(name, explicit)


def _refuse_blank_node(name: str, line_no: int | None, line: str) -> None:
    m = _BNODE.search(line)
    label = (m.group(1) or m.group(0).strip()) if m else "_:"
    raise InputError(
        f"a blank node ({label}): kgtool diff compares ground triples only, and blank node labels "
        "are local to a file", source=name, line=line_no,
    )


def _check_no_blank_nodes(path: Path, name: str) -> None:
    """Refuse a file with a blank node, naming the first one (grep: one fast pass)."""
    r = subprocess.run([_tool("grep"), "-n", "-m1", "-E", _BNODE_GREP, str(path)], env=_C, capture_output=True)
    if r.returncode > 1:
        raise UsageError(f"{name}: grep failed ({' '.join(r.stderr.decode('utf-8', 'replace').split())[:200]})")
    if r.returncode == 0:
        no, _, line = r.stdout.decode("utf-8", "replace").partition(":")
        _refuse_blank_node(name, int(no), line)


def _sort(src: Path | None, dest: Path, tmp: Path, stdin: IO[bytes] | None = None) -> None:
    cmd = [_tool("sort"), "-u", "-S", "25%", "-T", str(tmp), "-o", str(dest)]
    if src is not None:
        cmd.append(str(src))
    r = subprocess.run(cmd, env=_C, stdin=stdin, stderr=subprocess.PIPE)
    if r.returncode != 0:
        err = " ".join(r.stderr.decode("utf-8", "replace").split())[:300]
        raise UsageError(f"sorting {src or 'the input'} failed ({err}); is the temporary folder full?")


def _is_sorted(path: Path) -> bool:
    return subprocess.run([_tool("sort"), "-c", "-u", str(path)], env=_C, stderr=subprocess.DEVNULL).returncode == 0


def _write_parsed(path: str | Path, parser: str, dest: Path, name: str | None = None) -> None:
    """Read any RDF syntax with the strict reader (rdfload) and write its triples as N-Triples
    lines; '-' is standard input; ``name`` is what errors call the input (default: its path)."""
    import pyoxigraph as ox

    from ..read.rdfload import iter_quads

    name = name or ("<stdin>" if str(path) == "-" else str(path))
    with open(dest, "w", encoding="utf-8") as out:
        for n, q in enumerate(iter_quads(path, parser, name=name), start=1):
            s, o = q.subject, q.object
            if isinstance(s, ox.BlankNode) or isinstance(o, ox.BlankNode):
                raise InputError(
                    f"a blank node ({s if isinstance(s, ox.BlankNode) else o}) in triple {n}: kgtool diff "
                    "compares ground triples only, and blank node labels are local to a file", source=name,
                )
            out.write(f"{s} {q.predicate} {o} .\n")


def _all_lines_simple(path: Path) -> bool:
    """Whether every line is one "S P O ." of the forms kgtool and pyoxigraph write (validate.sql's
    SIMPLE_IRI and SIMPLE_LITERAL: valid N-Triples, one text per term), gzip decompressed; one
    grep pass (PCRE in UTF-8 mode: a line that is not UTF-8 does not match)."""
    from ..validate.sql import SIMPLE_IRI, SIMPLE_LITERAL

    # (rdf:langString and rdf:dirLangString as a datatype are errors the simple form lets by)
    line = (r"^(?!.*\^\^<http://www\.w3\.org/1999/02/22-rdf-syntax-ns#(?:langString|dirLangString)>)"
            rf"{SIMPLE_IRI} {SIMPLE_IRI} (?:{SIMPLE_IRI}|{SIMPLE_LITERAL}) \.$")
    grep = [_tool("grep"), "-a", "-v", "-q", "-m1", "-P", line]
    env = {**_C, "LC_ALL": "C.UTF-8"}
    if is_gzip(path):
        gz = subprocess.Popen([_tool("gzip"), "-dc", str(path)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        r = subprocess.run(grep, env=env, stdin=gz.stdout, stderr=subprocess.PIPE)
        assert gz.stdout is not None
        gz.stdout.close()
        gz.wait()  # a broken gzip file ends its lines early: the sort that follows says so
    else:
        r = subprocess.run([*grep, str(path)], env=env, stderr=subprocess.PIPE)
    if r.returncode > 1:
        raise UsageError(f"grep failed ({' '.join(r.stderr.decode('utf-8', 'replace').split())[:200]})")
    return r.returncode == 1  # 1: no line outside the simple form


def _parsed_and_sorted(path: str | Path, parser: str, tmp: Path, label: str, dest: Path,
                       name: str | None = None) -> Path:
    flat = tmp / f"{label}.nt"
    _write_parsed(path, parser, flat, name)
    _sort(flat, dest, tmp)
    flat.unlink()
    return dest


def prepare(path: str | Path, tmp: Path, *, input_format: str | None = None, label: str = "input") -> Path:
    """A sorted, duplicate-free N-Triples file holding the input's triples (the input itself when
    it already is one). '-' is standard input."""
    import sys

    name = str(path)
    if name != "-" and not Path(path).is_file():
        raise InputError("no such file" if not Path(path).exists() else "is not a file", source=name)
    parser = _rdf_parser("-.nt" if name == "-" else name, input_format)
    dest = tmp / f"{label}.sorted.nt"
    if parser != "nt":
        return _parsed_and_sorted(path, parser, tmp, label, dest)
    if name == "-":
        src, name = tmp / f"{label}.stdin", "<stdin>"
        with open(src, "wb") as fh:
            shutil.copyfileobj(sys.stdin.buffer, fh, 1 << 20)
    else:
        src = Path(path)
    if not is_gzip(src):
        _check_no_blank_nodes(src, name)  # named by its line (a gzip file's: by its triple, below)
    if not _all_lines_simple(src):  # any other line is read strictly (and written in the simple form)
        return _parsed_and_sorted(src, "nt", tmp, label, dest, name)
    if is_gzip(src):
        gz = subprocess.Popen([_tool("gzip"), "-dc", str(src)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert gz.stdout is not None
        _sort(None, dest, tmp, stdin=gz.stdout)
        gz.stdout.close()
        if gz.wait() != 0:
            raise InputError("not a valid gzip file", source=name)
        return dest
    if _is_sorted(src):
        return src
    _sort(src, dest, tmp)
    return dest


def changes(old: Path, new: Path) -> Iterator[tuple[bool, bytes]]:
    """(added?, N-Triples line) for each triple only in ``old`` (False) or only in ``new`` (True)."""
    proc = subprocess.Popen([_tool("comm"), "-3", str(old), str(new)], env=_C, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, bufsize=1 << 20)
    assert proc.stdout is not None and proc.stderr is not None
    try:
        for line in proc.stdout:
            if line.startswith(b"\t"):
                yield True, line[1:]
            else:
                yield False, line
    finally:
        proc.stdout.close()
        err = proc.stderr.read()
        proc.stderr.close()
        if proc.wait() != 0:
            raise UsageError(f"comparing the inputs failed ({' '.join(err.decode('utf-8', 'replace').split())[:300]})")


def _ensure_nl(line: bytes) -> bytes:
    return line if line.endswith(b"\n") else line + b"\n"


def write_patch(rows: Iterator[tuple[bool, bytes]], out: IO[bytes], graph: str | None = None) -> DiffCounts:
    """RDF Patch: one transaction; rows 'D s p o [g] .' and 'A s p o [g] .'."""
    removed = added = 0
    tail = f" <{graph}> .\n".encode() if graph else b" .\n"
    out.write(b"TX .\n")
    for is_add, line in rows:
        body = _ensure_nl(line).rstrip()
        if body.endswith(b"."):
            body = body[:-1].rstrip()
        out.write((b"A " if is_add else b"D ") + body + tail)
        if is_add:
            added += 1
        else:
            removed += 1
    out.write(b"TC .\n")
    return DiffCounts(removed, added)


def update_chunks(rows: Iterable[tuple[bool, bytes]], graph: str | None = None,
                  chunk: int = DEFAULT_CHUNK) -> Iterator[tuple[str, int, bytes]]:
    """('DELETE'|'INSERT', triples, operation text) of at most ``chunk`` triples each."""
    if chunk < 1:
        raise UsageError("the chunk size must be at least 1")
    open_, close = (f"GRAPH <{graph}> {{\n".encode(), b"} ") if graph else (b"\n", b"")
    buffers: dict[bool, list[bytes]] = {False: [], True: []}

    def flush(is_add: bool) -> tuple[str, int, bytes]:
        lines = buffers[is_add]
        verb = "INSERT" if is_add else "DELETE"
        text = f"{verb} DATA {{ ".encode() + open_ + b"".join(lines) + close + b"}"
        buffers[is_add] = []
        return verb, len(lines), text

    for is_add, line in rows:
        buffers[is_add].append(_ensure_nl(line))
        if len(buffers[is_add]) >= chunk:
            yield flush(is_add)
    for is_add in (False, True):
        if buffers[is_add]:
            yield flush(is_add)


def write_update(rows: Iterator[tuple[bool, bytes]], out: IO[bytes], graph: str | None = None,
                 chunk: int = DEFAULT_CHUNK) -> DiffCounts:
    """SPARQL Update: DELETE DATA / INSERT DATA operations joined by ';' (one request)."""
    counts = {"DELETE": 0, "INSERT": 0}
    first = True
    for verb, n, text in update_chunks(rows, graph, chunk):
        if not first:
            out.write(b" ;\n")
        out.write(text)
        first = False
        counts[verb] += n
    if not first:
        out.write(b"\n")
    return DiffCounts(counts["DELETE"], counts["INSERT"])


@contextmanager
def workspace(tmp_dir: str | Path | None = None) -> Iterator[Path]:
    """A temporary folder for sorted copies, removed afterwards."""
    d = Path(leftovers.mkdtemp(".kgtool-diff-", tmp_dir))  # swept if we are killed
    try:
        yield d
    finally:
        shutil.rmtree(d, ignore_errors=True)


def diff_files(old: str | Path, new: str | Path, out: IO[bytes], *, fmt: str = "patch", graph: str | None = None,
               chunk: int = DEFAULT_CHUNK, input_format: str | None = None, tmp_dir: str | Path | None = None,
               progress: Progress = quiet) -> DiffCounts:
    """Write the difference from ``old`` to ``new`` to ``out``; see the module docstring."""
    if fmt not in FORMATS:
        raise UsageError(f"unknown diff format {fmt!r} (choose from: {', '.join(FORMATS)})")
    if str(old) == "-" and str(new) == "-":
        raise UsageError("only one of the two inputs can be '-'")
    g = str(parse_iri(graph, "--graph")) if graph else None
    with workspace(tmp_dir) as tmp:
        progress(f"preparing {old}")
        a = prepare(old, tmp, input_format=input_format, label="old")
        progress(f"preparing {new}")
        b = prepare(new, tmp, input_format=input_format, label="new")
        progress("comparing")
        rows = changes(a, b)
        if fmt == "patch":
            return write_patch(rows, out, g)
        return write_update(rows, out, g, chunk)
