"""A local preview server for a site, answering resource IRIs with content negotiation.

At a resource IRI (e.g. /kg/work/doi/10.7554/elife.01567) it answers 303 See Other to the
representation the Accept header prefers: the page ({iri}/), {iri}.ttl, {iri}.jsonld or
{iri}.nt; 406 when none is acceptable. Representation URLs and other files are served
as they are. The site is mounted at the path of its base IRI, read from its void.ttl.

Hardened for being reachable by others: no file outside the site is served (symlinks out
are refused), overlong paths get 414, a deep listen backlog and a thread per connection, and
a connection that idles or sends its request head too slowly (slowloris) is closed.
"""

from __future__ import annotations

import io
import os
import posixpath
import shutil
import socket
import sys
import threading
import time
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
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
MAX_PATH = 2048  # bytes of a request target; longer ones get 414 (no site path comes near it)
IDLE_TIMEOUT = 15.0  # seconds a kept-alive connection may wait before its next request starts
HEADER_TIMEOUT = 10.0  # seconds from a request's first byte to the end of its head
IO_TIMEOUT = 30.0  # seconds any one read or write may block (a client that stops reading)
BACKLOG = 256  # connections the kernel queues before accept (the stdlib's default is 5)

#: media type -> suffix of the representation that carries it ('/' is the page).
SUFFIX_FOR = {"text/html": "/", **{m: s for s, m in RDF_SUFFIXES.items()}}


def site_base(site_dir: Path) -> str:
    """The base IRI a site was written for: the void:uriSpace in its void.ttl."""
    void = site_dir / "void.ttl"
    if not void.is_file():
        raise UsageError(f"{site_dir} has no void.ttl; is it a folder written by 'kgtool site'?")
    from ..read.rdfload import read_graph

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
    server: SiteServer  # make_server serves it with a SiteServer
    rfile: io.BufferedReader  # StreamRequestHandler buffers the socket's reads (rbufsize -1)

    timeout = IO_TIMEOUT  # StreamRequestHandler sets it on the socket
    idle_timeout = IDLE_TIMEOUT
    header_timeout = HEADER_TIMEOUT

    def handle_one_request(self) -> None:
        """Wait (at most idle_timeout) for a request to start, then read its head within
        header_timeout: a per-read timeout alone lets a client trickle a header for ever."""
        server = self.server
        try:
            server.expect(self.connection, self.idle_timeout)
            try:
                started = self.rfile.peek(1)
            except OSError:
                started = b""
            if not started:
                self.close_connection = True
                return
            server.expect(self.connection, self.header_timeout)
            super().handle_one_request()
        finally:
            server.expect(self.connection, None)

    def parse_request(self) -> bool:
        ok = super().parse_request()
        self.server.expect(self.connection, None)  # the head is in
        if ok and (self.headers.get("Content-Length", "0").strip() not in ("", "0")
                   or self.headers.get("Transfer-Encoding")):
            self.close_connection = True  # a body nobody reads must not be taken for the next request
        return ok

    def end_headers(self) -> None:
        said = b"".join(getattr(self, "_headers_buffer", [])).lower()
        if self.close_connection and b"\r\nconnection:" not in said:
            self.send_header("Connection", "close")  # tell a keep-alive client this answer is the last
        super().end_headers()

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        self._answer(body=True)

    def do_HEAD(self) -> None:  # noqa: N802
        self._answer(body=False)

    def log_message(self, format: str, *args) -> None:  # noqa: A002
        if self.log is not None:
            self.log(f"{self.address_string()} {format % args}")

    # -- routing

    def _answer(self, body: bool) -> None:
        if len(self.path) > MAX_PATH:
            return self._text(HTTPStatus.REQUEST_URI_TOO_LONG, "the path is too long\n", body)
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
        real = path.resolve()
        if not real.is_relative_to(self.site_dir) or not real.is_file():  # a symlink out of the site
            return self._text(HTTPStatus.NOT_FOUND, "not found\n", body)
        ctype = CONTENT_TYPES.get(path.suffix.lower(), "application/octet-stream")
        try:
            fh = real.open("rb")
        except OSError:
            return self._text(HTTPStatus.NOT_FOUND, "not found\n", body)
        with fh:
            size = os.fstat(fh.fileno()).st_size
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(size))
            self.send_header("X-Content-Type-Options", "nosniff")
            self.send_header("Access-Control-Allow-Origin", "*")
            self.send_header("Cache-Control", "no-cache")
            self.end_headers()
            if body:  # streamed: a dump of a large graph does not go through memory
                shutil.copyfileobj(fh, self.wfile, 1 << 16)

    def _text(self, status: HTTPStatus, text: str, body: bool, headers: dict | None = None) -> None:
        self._send(status, "text/plain; charset=utf-8", text.encode("utf-8"), body, headers)

    def _redirect(self, status: HTTPStatus, location: str, body: bool, headers: dict | None = None) -> None:
        text = f"{status.value} {status.phrase}: {location}\n"
        self._send(
            status, "text/plain; charset=utf-8", text.encode("utf-8"), body, {"Location": location, **(headers or {})}
        )


class SiteServer(ThreadingHTTPServer):
    """A thread per connection, a deep backlog, and a reaper that closes connections whose
    idle or header deadline has passed."""

    request_queue_size = BACKLOG
    daemon_threads = True
    block_on_close = False
    report_error: Callable[[str], None] | None = None  # where a failed request is told (the CLI: stderr)

    def __init__(self, *args, **kwargs) -> None:
        self._deadlines: dict[socket.socket, float] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        super().__init__(*args, **kwargs)
        threading.Thread(target=self._reap, name="kgtool-serve-reaper", daemon=True).start()

    def expect(self, conn: socket.socket, seconds: float | None) -> None:
        """Close ``conn`` unless the next stage ends within ``seconds`` (None: no deadline)."""
        with self._lock:
            if seconds is None:
                self._deadlines.pop(conn, None)
            else:
                self._deadlines[conn] = time.monotonic() + seconds

    def _reap(self) -> None:
        while not self._stop.wait(0.25):
            now = time.monotonic()
            with self._lock:
                late = [c for c, t in self._deadlines.items() if t < now]
                for c in late:
                    del self._deadlines[c]
            for c in late:
                try:
                    c.shutdown(socket.SHUT_RDWR)  # wakes the handler's blocked read with end-of-file
                except OSError:
                    pass

    def server_close(self) -> None:
        self._stop.set()
        super().server_close()

    def handle_error(self, request, client_address) -> None:
        """A client that goes away is normal; anything else is one line (KGTOOL_DEBUG=1: the traceback)."""
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError)):
            return
        if os.environ.get("KGTOOL_DEBUG"):
            return super().handle_error(request, client_address)
        detail = " ".join(str(exc).split())[:200]
        if self.report_error is not None:
            self.report_error(f"serving {client_address[0]}: unexpected {type(exc).__name__}: {detail}")


def make_server(
    site_dir: str | Path, host: str = "127.0.0.1", port: int = 8000, log: Callable[[str], None] | None = None,
    *, idle_timeout: float = IDLE_TIMEOUT, header_timeout: float = HEADER_TIMEOUT,
    errors: Callable[[str], None] | None = None,
) -> tuple[SiteServer, str]:
    """A server for the site (not yet serving) and the URL of the site's root on it.

    ``log`` receives request lines, ``errors`` a line per request that failed unexpectedly.
    """
    site = Path(site_dir)
    if not site.is_dir():
        raise UsageError(f"{site} is not a folder")
    base = site_base(site)
    mount = posixpath.normpath(unquote(urlsplit(base).path) or "/")
    mount = mount if mount.endswith("/") else mount + "/"
    handler = type("BoundSiteHandler", (SiteHandler,), {
        "site_dir": site.resolve(), "mount": mount, "log": staticmethod(log) if log else None,
        "idle_timeout": idle_timeout, "header_timeout": header_timeout,
    })
    try:
        server = SiteServer((host, port), handler)
    except OSError as e:
        raise UsageError(f"cannot listen on {host}:{port}: {e.strerror}") from None
    server.report_error = errors
    h, p = server.socket.getsockname()[:2]  # what server_address holds, typed as an address
    shown = f"[{h}]" if ":" in str(h) else h
    return server, f"http://{shown}:{p}{quote(mount, safe='/')}"
