"""Read the mixed inputs of ``kgtool build``: hub pages, saved API answers and small dumps.

An input is ``[SOURCE:]PATH``. SOURCE names the reader (hub, openalex, crossref,
opencitations, semanticscholar, or an alias such as s2 or oc); without it the reader is
recognised from the content:

* a JSON object with ``message-type``/``message``: a Crossref answer;
* a JSON object with ``paperId`` or ``externalIds``: a Semantic Scholar paper;
* a JSON object with an OpenAlex ``id``, or a ``results``/``meta`` page: OpenAlex;
* several JSON objects, one per line: an OpenAlex works snapshot (JSON Lines);
* a JSON list, or CSV whose header names ``citing`` and ``cited``: OpenCitations;
* anything else: a hub page.

Gzip is recognised by its first bytes. Every input is read whole (dumps too, up to
``MAX_BYTES``: bigger dumps belong to ``kgtool convert``), each with the existing parser of its
source, so that one resolution (resolve.py) sees them all together.
"""

from __future__ import annotations

import gzip
import io
import json
from pathlib import Path

from ..errors import InputError, UsageError
from ..map.model import Bundle
from .dumpfile import GZIP_MAGIC
from .readfile import read_bytes

#: Decompressed bytes an input may have to be built in memory.
MAX_BYTES = 512 * 1024 * 1024
HUB = "hub"
KINDS = ("hub", "openalex", "crossref", "opencitations", "semanticscholar")


def split_spec(spec: str) -> tuple[str | None, str]:
    """'openalex:answers/W1.json' -> ('openalex', 'answers/W1.json'); a path with no known
    source name before its first ':' is a plain path (reader sniffed from the content)."""
    from .sources.registry import ALIASES, source_names

    head, sep, rest = spec.partition(":")
    name = head.strip().lower()
    if sep and rest and (name == HUB or name in ALIASES or name in source_names()):
        return (HUB if name == HUB else ALIASES.get(name, name)), rest
    return None, spec


def _decompress(name: str, data: bytes) -> bytes:
    if data[:2] != GZIP_MAGIC:
        return data
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as fh:
            out = fh.read(MAX_BYTES + 1)
    except (OSError, EOFError) as e:
        raise InputError(f"not a valid gzip file ({e})", source=name) from None
    _check_size(name, len(out))
    return out


def _check_size(name: str, size: int) -> None:
    if size > MAX_BYTES:
        raise InputError(
            f"over {MAX_BYTES // (1024 * 1024)} MB: too large to build in memory; "
            "use 'kgtool convert' for dumps this size",
            source=name,
        )


def sniff(data: bytes) -> str:
    """The reader for an input's (decompressed) bytes; see the module docstring."""
    head = data[:65536].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"["):
        return "opencitations"
    if head.startswith(b"{"):
        first = head.split(b"\n", 1)[0]
        try:
            obj = json.loads(first)
            lines = True
        except ValueError:
            obj, lines = None, False
        if lines and data.strip().count(b"\n") >= 1:
            return "openalex-jsonl"
        if obj is None:
            try:
                obj = json.loads(data)
            except ValueError:
                return "openalex"  # its reader reports where the JSON breaks
        if isinstance(obj, dict):
            if "message-type" in obj or ("message" in obj and "status" in obj):
                return "crossref"
            if "paperId" in obj or "externalIds" in obj:
                return "semanticscholar"
        return "openalex"
    header = head.split(b"\n", 1)[0].decode("utf-8", "replace").lower()
    names = {n.strip().strip('"') for n in header.split(",")}
    if {"citing", "cited"} <= names:
        return "opencitations"
    return HUB


def _openalex_jsonl(data: bytes, name: str) -> Bundle:
    """An OpenAlex works snapshot (JSON Lines), read by the OpenAlex source's one parser."""
    from .sources.openalex import read_saved

    return read_saved(data, name)


def read_input(spec: str | Path) -> Bundle:
    """Read one input (``[SOURCE:]PATH``, '-' for stdin) into records."""
    kind, path = split_spec(str(spec))
    if path != "-" and Path(path).is_file():
        _check_size(path, Path(path).stat().st_size)  # before reading it
    name, raw = read_bytes(path)
    _check_size(name, len(raw))
    data = _decompress(name, raw)
    if kind is None:
        kind = sniff(data)
    elif kind == "openalex" and sniff(data) == "openalex-jsonl":
        kind = "openalex-jsonl"
    if kind == HUB:
        from .sources.hub import parse_hub_page

        return parse_hub_page(data, name)
    if kind == "openalex-jsonl":
        return _openalex_jsonl(data, name)
    from .sources.registry import get_source

    module = get_source(kind)
    if not hasattr(module, "read_saved"):
        raise UsageError(f"{name}: the {kind} source cannot read saved answers")
    return module.read_saved(data, name)


def read_inputs(specs: list[str | Path]) -> list[Bundle]:
    """Read every input, in order."""
    return [read_input(s) for s in specs]
