"""Where each published resource lives in the site, and how pages link to each other.

A resource IRI ``{base}{path}`` is published as three files beside a folder::

    {path}/index.html   the page for people (its URL ends in '/')
    {path}.ttl          its concise bounded description in Turtle
    {path}.jsonld       ... in JSON-LD
    {path}.nt           ... in N-Triples

File names are the *decoded* IRI path, because a web server decodes the request path before
it looks for a file: the IRI ``.../10.1002/%3Cx%3E`` is the file ``10.1002/<x>.ttl``. Links in
pages are written percent-encoded again, relative to the page, so a site works wherever it
is mounted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath
from urllib.parse import quote, unquote

from rdflib import URIRef

#: Representation suffixes and their media types, in the order pages list them.
RDF_SUFFIXES: dict[str, str] = {
    ".ttl": "text/turtle",
    ".jsonld": "application/ld+json",
    ".nt": "application/n-triples",
}
FORMAT_NAMES = {".ttl": "Turtle", ".jsonld": "JSON-LD", ".nt": "N-Triples"}

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_MAX_SEGMENT_BYTES = 200  # leaves room for a suffix under the usual 255-byte name limit


@dataclass(frozen=True)
class Resource:
    """A published IRI and the place of its files in the site."""

    iri: URIRef
    fs: PurePosixPath  # decoded path below the site root, e.g. work/doi/10.1002/<x>

    def file(self, suffix: str) -> PurePosixPath:
        """The file of one representation: '.ttl', '.jsonld', '.nt' or 'index.html'."""
        if suffix == "index.html":
            return self.fs / "index.html"
        return self.fs.with_name(self.fs.name + suffix)

    def files(self) -> list[PurePosixPath]:
        return [self.file("index.html")] + [self.file(s) for s in RDF_SUFFIXES]

    @property
    def page(self) -> str:
        """The page's URL path below the site root (percent-encoded, ends in '/')."""
        return url_path(self.fs) + "/"

    def representation(self, suffix: str) -> str:
        return url_path(self.fs) + suffix


def url_path(fs: PurePosixPath | str) -> str:
    """A decoded site path as a percent-encoded URL path."""
    return quote(str(fs), safe="/")


def site_path(iri: str, base: str) -> tuple[PurePosixPath | None, str]:
    """The decoded path of an IRI below base, or (None, why it cannot be a file)."""
    if not iri.startswith(base):
        return None, "not under the base"
    raw = iri[len(base):]
    if not raw:
        return None, "is the base itself"
    if "?" in raw or "#" in raw:
        return None, "has a query or fragment"
    try:
        decoded = unquote(raw, errors="strict")
    except UnicodeDecodeError:
        return None, "percent-encodes bytes that are not UTF-8"
    segments = decoded.split("/")
    for seg in segments:
        if seg in ("", ".", ".."):
            return None, "has an empty, '.' or '..' path segment"
        if _CONTROL.search(seg):
            return None, "has a control character in its path"
        if len(seg.encode("utf-8")) > _MAX_SEGMENT_BYTES:
            return None, f"has a path segment longer than {_MAX_SEGMENT_BYTES} bytes"
    return PurePosixPath(*segments), ""


def relative(from_dir: str, to: str) -> str:
    """A relative URL from a page folder ('' for the site root, else 'a/b/') to a URL path."""
    depth = from_dir.count("/")
    rel = "../" * depth + to
    if not rel or rel.startswith(("/", "?", "#")) or ":" in rel.split("/", 1)[0]:
        rel = "./" + rel  # never let a first segment with ':' read as a URL scheme
    return rel
