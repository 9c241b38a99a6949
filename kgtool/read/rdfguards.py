"""Checks on RDF input that pyoxigraph does not make, run before it parses (rdfload.py): JSON
nested too deeply for its JSON-LD processor, and RDF/XML entity declarations that could expand
(parameter, external, recursive or long entities)."""

from __future__ import annotations

import re
from itertools import accumulate
from typing import TYPE_CHECKING

from ..errors import InputError

if TYPE_CHECKING:
    from .rdfload import Readable

#: JSON deeper than this is refused before pyoxigraph sees it.
MAX_JSON_DEPTH = 1000
#: An RDF/XML entity longer than this (or referring to another) is refused: bounded expansion.
MAX_ENTITY_CHARS = 128
_MAX_DTD_BYTES = 1 << 20

_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_JSON_KEEP = bytes(range(256)).translate(None, b"[]{}")
_DEPTH = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}


def check_json_depth(stream: Readable, name: str) -> None:
    """Refuse JSON nested deeper than MAX_JSON_DEPTH (a streaming scan, strings skipped)."""
    depth, carry, line = 0, b"", 1
    while True:
        data = stream.read(1 << 20)
        buf = carry + data
        if not buf:
            return
        # JSON strings hold no raw newline: cut after the last one, or before a string still open
        cut = (buf.rfind(b"\n") + 1 or _open_string_start(buf)) if data else len(buf)
        part = buf[:cut]
        body = _JSON_STRING.sub(b"", part).translate(None, _JSON_KEEP)
        if body:
            deepest = max(accumulate((_DEPTH[c] for c in body), initial=depth))
            if deepest > MAX_JSON_DEPTH:
                raise InputError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels is refused", source=name,
                                 line=line)
            depth = max(0, depth + sum(_DEPTH[c] for c in body))
        line += part.count(b"\n")
        carry = buf[cut:]
        if not data:
            return


def _open_string_start(buf: bytes) -> int:
    """Offset of the string that is still open at the end of ``buf``."""
    pos, start = 0, len(buf)
    while True:
        q = buf.find(b'"', pos)
        if q < 0:
            return start
        m = _JSON_STRING.match(buf, q)
        if m is None:
            return q
        pos = m.end()


_DOCTYPE = re.compile(rb"<!DOCTYPE\b", re.IGNORECASE)
_ROOT = re.compile(rb"<[A-Za-z_]")
_DOCTYPE_END = re.compile(rb"""[^\[>]*(?:\[(?:[^\]"']|"[^"]*"|'[^']*')*\]\s*)?>""")
_ENTITY = re.compile(rb"<!ENTITY\s+(%\s+)?([^\s]+)\s+(?:(SYSTEM|PUBLIC)\b|\"([^\"]*)\"|'([^']*)')")


def xml_head(stream: Readable, name: str) -> bytes:
    """Read an RDF/XML file's prolog and refuse entity declarations that could expand; return
    the bytes read (they go to the parser first)."""
    head = b""
    while True:
        data = stream.read(1 << 16)
        head += data
        doctype = _DOCTYPE.search(head)
        root = _ROOT.search(head)
        if doctype is None or (root is not None and root.start() < doctype.start()):
            if root is not None or not data:
                return head
        else:
            end = _DOCTYPE_END.match(head, doctype.end())
            line = head[:doctype.start()].count(b"\n") + 1
            if end is not None:
                _check_entities(head[doctype.start():end.end()], line, name)
                return head
            if not data:
                raise InputError("the DTD is not terminated", source=name, line=line)
        if len(head) > _MAX_DTD_BYTES:
            raise InputError("no root element in the first 1 MB (a DTD that large is refused)", source=name)


def _check_entities(dtd: bytes, first_line: int, name: str) -> None:
    for m in _ENTITY.finditer(dtd):
        value = m.group(4) if m.group(4) is not None else m.group(5)
        why = None
        if m.group(1):
            why = "parameter entities are not expanded"
        elif m.group(3):
            why = "external entities are not loaded"
        elif value is not None and (b"&" in value or b"%" in value):
            why = "entities referring to other entities are not expanded (entity expansion attack)"
        elif value is not None and len(value) > MAX_ENTITY_CHARS:
            why = f"entities longer than {MAX_ENTITY_CHARS} characters are not expanded"
        if why:
            ent = m.group(2).decode("utf-8", "replace")
            raise InputError(f"RDF/XML entity {ent!r} refused: {why}", source=name,
                             line=first_line + dtd[:m.start()].count(b"\n"))
    if b"<!ENTITY" in dtd.upper() and len(_ENTITY.findall(dtd)) != dtd.upper().count(b"<!ENTITY"):
        raise InputError("RDF/XML entity declaration refused: not a plain quoted value", source=name,
                         line=first_line)
