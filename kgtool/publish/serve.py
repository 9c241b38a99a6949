"""A local preview server for a site, answering resource IRIs with content negotiation.

At a resource IRI (e.g. /kg/work/doi/10.7554/elife.01567) it answers 303 See Other to the
representation the Accept header prefers: the page ({iri}/), {iri}.ttl, {iri}.jsonld or
{iri}.nt; 406 when none is acceptable. Representation URLs and other files are served
as they are. The site is mounted at the path of its base IRI, read from its void.ttl.
"""

from __future__ import annotations

import posixpath
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable
from urllib.parse import quote, unquote, urlsplit

from ..errors import UsageError
from .layout import RDF_SUFFIXES
from .negotiate import OFFERS, choose
from .void import VOID

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".ttl": "text/turtle; charset=utf-8",
    ".jsonld": "application/ld+json",
    ".nt": "application/n-triples",
    ".gz": "application/gzip",
    ".json": "application/json",
    ".xml": "application/xml",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
    ".txt": "text/plain; charset=utf-8",
}
#: media type -> suffix of the representation that carries it ('/' is the page).
SUFFIX_FOR = {"text/html": "/", **{m: s for s, m in RDF_SUFFIXES.items()}}


def site_base(site_dir: Path) -> str:
    """The base IRI a site was written for: the void:uriSpace in its void.ttl."""
    void = site_dir / "void.ttl"
    if not void.is_file():
        raise UsageError(f"{site_dir} has no void.ttl; is it a folder written by 'kgtool site'?")
    from ..rdfload import read_graph

    g = read_graph([void], "turtle")
    spaces = sorted(str(o) for o in g.objects(None, VOID.uriSpace))
    if not spaces:
        raise UsageError(f"{void} names no void:uriSpace; rebuild the site with 'kgtool site'")
    return spaces[0]


class SiteHandler(BaseHTTPRequestHandler):
    """Serves one site folder under one mount path."""

    server_version = "kgtool-serve"
    protocol_version = "HTTP/1.1"  # every answer has a Content-Length
    site_dir: Path
    mount: str
    log: Callable[[str], None] | None

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        self._answer(body=True)

    def do_HEAD(self) -> None:  # noqa: N802
        self._answer(body=False)

    def log_message(self, format: str, *args) -> None:  # noqa: A002
        if self.log is not None:
            self.log(f"{self.address_string()} {format % args}")

    # -- routing

    def _answer(self, body: bool) -> None:
        raw_path = urlsplit(self.path).path
        try:
            path = unquote(raw_path, errors="strict")
        except UnicodeDecodeError:
            return self._text(HTTPStatus.BAD_REQUEST, "the path percent-encodes bytes that are not UTF-8\n", body)
        if "\x00" in path:
            return self._text(HTTPStatus.BAD_REQUEST, "bad path\n", body)
        if path in ("/", self.mount.rstrip("/")) and path != self.mount:
            return self._redirect(HTTPStatus.FOUND, self.mount, body)
        if not path.startswith(self.mount):
            return self._text(HTTPStatus.NOT_FOUND, f"not found; the site is at {self.mount}\n", body)
        rel = path[len(self.mount):]
        parts = [p for p in rel.split("/")]
        if any(p in (".", "..") for p in parts) or any(p.startswith(".") for p in parts if p):
            return self._text(HTTPStatus.NOT_FOUND, "not found\n", body)
        target = self.site_dir.joinpath(*[p for p in parts if p])
        if rel == "" or rel.endswith("/"):
            index = target / "index.html"
            if index.is_file():
                return self._file(index, body)
            return self._text(HTTPStatus.NOT_FOUND, "not found\n", body)
        if target.is_file():
            return self._file(target, body)
        if target.with_name(target.name + ".ttl").is_file():
            return self._negotiate(rel, body)
        if target.is_dir():
            return self._redirect(HTTPStatus.MOVED_PERMANENTLY, self.mount + quote(rel, safe="/") + "/", body)
        return self._text(HTTPStatus.NOT_FOUND, "not found\n", body)

    def _negotiate(self, rel: str, body: bool) -> None:
        here = self.mount + quote(rel, safe="/")
        links = ", ".join(
            [f'<{here}/>; rel="alternate"; type="text/html"']
            + [f'<{here}{s}>; rel="alternate"; type="{m}"' for s, m in RDF_SUFFIXES.items()]
        )
        chosen = choose(self.headers.get("Accept"))
        if chosen is None:
            names = ", ".join(OFFERS)
            msg = f"406 Not Acceptable: this resource is available as {names}\n"
            return self._text(HTTPStatus.NOT_ACCEPTABLE, msg, body, {"Vary": "Accept", "Link": links})
        location = here + SUFFIX_FOR[chosen]
        self._redirect(HTTPStatus.SEE_OTHER, location, body, {"Vary": "Accept", "Link": links})

    # -- responses

    def _send(self, status: HTTPStatus, ctype: str, data: bytes, body: bool, headers: dict | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Cache-Control", "no-cache")
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if body:
            self.wfile.write(data)

    def _file(self, path: Path, body: bool) -> None:
        ctype = CONTENT_TYPES.get(path.suffix.lower(), "application/octet-stream")
        self._send(HTTPStatus.OK, ctype, path.read_bytes(), body)

    def _text(self, status: HTTPStatus, text: str, body: bool, headers: dict | None = None) -> None:
        self._send(status, "text/plain; charset=utf-8", text.encode("utf-8"), body, headers)

    def _redirect(self, status: HTTPStatus, location: str, body: bool, headers: dict | None = None) -> None:
        text = f"{status.value} {status.phrase}: {location}\n"
        self._send(status, "text/plain; charset=utf-8", text.encode("utf-8"), body, {"Location": location, **(headers or {})})


def make_server(
    site_dir: str | Path, host: str = "127.0.0.1", port: int = 8000, log: Callable[[str], None] | None = None
) -> tuple[ThreadingHTTPServer, str]:
    """A server for the site (not yet serving) and the URL of the site's root on it."""
    site = Path(site_dir)
    if not site.is_dir():
        raise UsageError(f"{site} is not a folder")
    base = site_base(site)
    mount = posixpath.normpath(unquote(urlsplit(base).path) or "/")
    mount = mount if mount.endswith("/") else mount + "/"
    handler = type("BoundSiteHandler", (SiteHandler,), {"site_dir": site.resolve(), "mount": mount, "log": staticmethod(log) if log else None})
    try:
        server = ThreadingHTTPServer((host, port), handler)
    except OSError as e:
        raise UsageError(f"cannot listen on {host}:{port}: {e.strerror}") from None
    server.daemon_threads = True
    h, p = server.server_address[:2]
    shown = f"[{h}]" if ":" in str(h) else h
    return server, f"http://{shown}:{p}{quote(mount, safe='/')}"

