"""Real servers for the tests: the Oxigraph SPARQL server, and a small auth-checking proxy."""

from __future__ import annotations

import base64
import http.client
import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import requests


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def oxigraph_binary() -> str:
    """The `oxigraph` server from the PyPI package, beside this Python or on PATH."""
    import sys

    here = Path(sys.executable).parent / "oxigraph"
    found = str(here) if here.exists() else shutil.which("oxigraph")
    if not found:
        raise RuntimeError("the oxigraph server is not installed (pip install oxigraph)")
    return found


class OxigraphServer:
    """`oxigraph serve` on 127.0.0.1 and a free port, persisting to ``location``."""

    def __init__(self, location: Path, *, union_default_graph: bool = True):
        self.location = location
        self.union = union_default_graph
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 20.0) -> OxigraphServer:
        cmd = [oxigraph_binary(), "serve", "--location", str(self.location), "--bind", f"127.0.0.1:{self.port}"]
        if self.union:
            cmd.append("--union-default-graph")
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                err = self.proc.stderr.read().decode(errors="replace") if self.proc.stderr else ""
                raise RuntimeError(f"oxigraph exited with {self.proc.returncode}: {err[-500:]}")
            try:
                r = requests.get(f"{self.url}/query", params={"query": "ASK {}"}, timeout=1)
                if r.status_code == 200:
                    return self
            except requests.ConnectionError:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"oxigraph did not answer on {self.url} within {timeout}s")

    def stop(self) -> None:
        """Kill the server (abruptly, as a crash would) and wait until it is gone."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        if self.proc is not None and self.proc.stderr:
            self.proc.stderr.close()
        self.proc = None

    def count(self, graph: str) -> int:
        q = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"
        r = requests.get(f"{self.url}/query", params={"query": q}, headers={"Accept": "application/sparql-results+json"}, timeout=10)
        r.raise_for_status()
        return int(r.json()["results"]["bindings"][0]["n"]["value"])

    def triples(self, graph: str) -> set[tuple[str, str, str]]:
        q = f"SELECT ?s ?p ?o WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"
        r = requests.get(f"{self.url}/query", params={"query": q}, headers={"Accept": "application/sparql-results+json"}, timeout=10)
        r.raise_for_status()
        return {
            (b["s"]["value"], b["p"]["value"], b["o"]["value"]) for b in r.json()["results"]["bindings"]
        }


BodyFilter = Callable[[str, str, bytes], bytes]


class AuthProxy:
    """A reverse proxy on 127.0.0.1 that checks Basic or Bearer credentials, then forwards
    (without credentials to check, it forwards the client's own, e.g. Digest for Virtuoso).

    ``body_filter(method, path, body)`` may rewrite request bodies on their way, to play a
    store that silently loses data.
    """

    def __init__(self, upstream: str, *, user: str | None = None, password: str | None = None,
                 token: str | None = None, body_filter: BodyFilter | None = None):
        expected = set()
        if user is not None:
            expected.add("Basic " + base64.b64encode(f"{user}:{password}".encode()).decode())
        if token is not None:
            expected.add(f"Bearer {token}")
        self.refused = 0
        proxy = self
        up = upstream.removeprefix("http://")
        host, port = up.split(":")

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # keep test output clean
                pass

            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                if expected and self.headers.get("Authorization") not in expected:
                    proxy.refused += 1
                    msg = b"401 Unauthorized: bad credentials\n"
                    self.send_response(401)
                    self.send_header("WWW-Authenticate", 'Basic realm="kgtool-test"')
                    self.send_header("Content-Type", "text/plain")
                    self.send_header("Content-Length", str(len(msg)))
                    self.end_headers()
                    self.wfile.write(msg)
                    return
                if body_filter is not None:
                    body = body_filter(self.command, self.path, body)
                drop = ("host", "content-length", "connection") + (("authorization",) if expected else ())
                headers = {k: v for k, v in self.headers.items() if k.lower() not in drop}
                conn = http.client.HTTPConnection(host, int(port), timeout=60)
                try:
                    conn.request(self.command, self.path, body=body, headers=headers)
                    r = conn.getresponse()
                    data = r.read()
                finally:
                    conn.close()
                self.send_response(r.status, r.reason)
                for k, v in r.getheaders():
                    if k.lower() not in ("content-length", "transfer-encoding", "connection"):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _forward

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> AuthProxy:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


def env_without_credentials() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("KGTOOL_ENDPOINT_")}


# --- Virtuoso (Debian's virtuoso-opensource) -----------------------------------------------------

#: Where Debian's package puts its default configuration.
VIRTUOSO_DEFAULT_INI = Path("/etc/virtuoso-opensource-7/virtuoso.ini")


def virtuoso_binary() -> str | None:
    return shutil.which("virtuoso-t")


def virtuoso_ini(installed: str, location: Path, sql_port: int, http_port: int) -> str:
    """The installed default virtuoso.ini with every path under ``location``, both ports on
    127.0.0.1, ``location`` readable by the bulk loader, and no plugins; all else as shipped."""
    db = location / "db"
    paths = {"DatabaseFile": "virtuoso.db", "ErrorLogFile": "virtuoso.log", "LockFile": "virtuoso.lck",
             "TransactionFile": "virtuoso.trx", "xa_persistent_file": "virtuoso.pxa"}
    out, section = [], ""
    for line in installed.splitlines():
        stripped = line.strip()
        if stripped.startswith("["):
            section = stripped.strip("[]")
            if section != "Plugins":
                out.append(line)
            continue
        key = stripped.split("=", 1)[0].strip() if "=" in stripped and not stripped.startswith(";") else ""
        if section == "Plugins":
            continue
        if key in paths and section in ("Database", "TempDatabase"):
            name = paths[key] if section == "Database" else paths[key].replace("virtuoso.", "virtuoso-temp.")
            line = f"{key} = {db / name}"
        elif key == "ServerPort":
            line = f"ServerPort = 127.0.0.1:{sql_port if section == 'Parameters' else http_port}"
        elif key == "DirsAllowed":
            line = f"{line.split(';')[0].rstrip()}, {location}"
        elif key == "DefaultHost":
            line = f"DefaultHost = 127.0.0.1:{http_port}"
        out.append(line)
    return "\n".join(out) + "\n"


MINIMAL_VIRTUOSO_INI = """[Database]
DatabaseFile = virtuoso.db
ErrorLogFile = virtuoso.log
LockFile = virtuoso.lck
TransactionFile = virtuoso.trx
xa_persistent_file = virtuoso.pxa
[TempDatabase]
DatabaseFile = virtuoso-temp.db
TransactionFile = virtuoso-temp.trx
[Parameters]
ServerPort = 1111
DisableUnixSocket = 1
DirsAllowed = .
[HTTPServer]
ServerPort = 8890
[SPARQL]
ResultSetMaxRows = 10000
"""


class VirtuosoServer:
    """`virtuoso-t +foreground` with a throwaway database and configuration under ``location``,
    on two free 127.0.0.1 ports (SQL and HTTP); the ``dba`` password is set to ``password``."""

    user = "dba"

    def __init__(self, location: Path, password: str = "kgtool-test-dba"):
        self.location = location
        self.password = password
        self.sql_port, self.http_port = free_port(), free_port()
        self.url = f"http://127.0.0.1:{self.http_port}"
        self.proc: subprocess.Popen | None = None
        self.ini = location / "virtuoso.ini"
        installed = VIRTUOSO_DEFAULT_INI.read_text() if VIRTUOSO_DEFAULT_INI.is_file() else MINIMAL_VIRTUOSO_INI
        (location / "db").mkdir(parents=True, exist_ok=True)
        self.ini.write_text(virtuoso_ini(installed, location, self.sql_port, self.http_port))
        self._password_set = False

    @property
    def env(self) -> dict[str, str]:
        return {"KGTOOL_ENDPOINT_USER": self.user, "KGTOOL_ENDPOINT_PASSWORD": self.password}

    def start(self, timeout: float = 120.0) -> VirtuosoServer:
        exe = virtuoso_binary()
        if not exe:
            raise RuntimeError("virtuoso-t is not installed")
        log = open(self.location / "stdout.log", "ab")
        self.proc = subprocess.Popen([exe, "+foreground", "+configfile", str(self.ini)], cwd=self.location,
                                     stdout=log, stderr=subprocess.STDOUT)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                tail = (self.location / "stdout.log").read_text(errors="replace")[-800:]
                raise RuntimeError(f"virtuoso-t exited with {self.proc.returncode}: {tail}")
            try:
                r = requests.get(f"{self.url}/sparql", params={"query": "ASK {}"}, timeout=2)
                if r.status_code == 200:
                    break
            except requests.RequestException:
                pass
            time.sleep(0.2)
        else:
            self.stop()
            raise RuntimeError(f"virtuoso did not answer on {self.url} within {timeout}s")
        if not self._password_set:
            self.isql(f"user_set_password('dba', '{self.password}');", password="dba")
            self._password_set = True
        return self

    def isql(self, sql: str, *, password: str | None = None, timeout: float = 600) -> str:
        """Run SQL through isql-vt as dba; raises on an error."""
        exe = shutil.which("isql-vt") or shutil.which("isql")
        if not exe:
            raise RuntimeError("isql-vt is not installed")
        r = subprocess.run([exe, f"127.0.0.1:{self.sql_port}", "dba", password or self.password, f"EXEC={sql}"],
                           capture_output=True, text=True, timeout=timeout)
        if r.returncode != 0 or "*** Error" in r.stdout + r.stderr:
            raise RuntimeError(f"isql failed: {(r.stdout + r.stderr)[-500:]}")
        return r.stdout

    def stop(self) -> None:
        """Kill the server (abruptly, as a crash would) and wait until it is gone."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=30)
        self.proc = None
        (self.location / "db" / "virtuoso.lck").unlink(missing_ok=True)

    def select(self, query: str) -> list[dict]:
        r = requests.post(f"{self.url}/sparql", data={"query": query},
                          headers={"Accept": "application/sparql-results+json"}, timeout=120)
        r.raise_for_status()
        return r.json()["results"]["bindings"]

    def count(self, graph: str) -> int:
        rows = self.select(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")
        return int(rows[0]["n"]["value"])

    def triples(self, graph: str, page: int = 10000) -> set[tuple[str, str, str]]:
        """The graph's triples as (s, p, o) strings, read in pages (the server caps result rows)."""
        out: set[tuple[str, str, str]] = set()
        offset = 0
        while True:
            rows = self.select(f"SELECT ?s ?p ?o WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }} "
                               f"ORDER BY ?s ?p ?o LIMIT {page} OFFSET {offset}")
            out |= {(b["s"]["value"], b["p"]["value"], b["o"]["value"]) for b in rows}
            if len(rows) < page:
                return out
            offset += page
