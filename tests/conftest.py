"""Shared fixtures. Tests that read ../shared skip cleanly when it is absent."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture
def shared_dir() -> Path:
    """The read-only ../shared folder; the test is skipped when it is not there."""
    if not SHARED.is_dir():
        pytest.skip("../shared is not present")
    return SHARED


@pytest.fixture
def shared_hub_sample(shared_dir: Path) -> Path:
    p = shared_dir / "samples" / "hub" / "spacer-hub.txt"
    if not p.is_file():
        pytest.skip("shared hub sample is not present")
    return p


@pytest.fixture
def data_dir() -> Path:
    return DATA


# --- scholarly APIs: a real local HTTP server, and an environment that cannot reach the internet

API_DATA = DATA / "api"
#: Each API's base URL env var and the path prefix its replay lives under on the local server.
API_ENV = {
    "KGTOOL_OPENALEX_URL": "/openalex",
    "KGTOOL_S2_URL": "/s2",
    "KGTOOL_CROSSREF_URL": "/crossref",
    "KGTOOL_OPENCITATIONS_URL": "/oc",
}


@pytest.fixture(scope="session")
def make_httpserver():
    """pytest-httpserver's server, threaded (a slow handler must not block the retry after it)."""
    from pytest_httpserver import HTTPServer

    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.start()
    yield server
    server.clear()
    if server.is_running():
        server.stop()


@pytest.fixture(autouse=True)
def _isolated_http_env(monkeypatch, tmp_path):
    """No test reaches a real API, writes the user's cache or waits long between retries."""
    for var in API_ENV:
        monkeypatch.setenv(var, "http://127.0.0.1:9")  # the discard port: nothing answers
    for var in ("KGTOOL_MAILTO", "KGTOOL_S2_API_KEY", "S2_API_KEY", "KGTOOL_OPENCITATIONS_TOKEN",
                "KGTOOL_HTTP_TIMEOUT", "KGTOOL_HTTP_RETRIES", "KGTOOL_HTTP_MAX_WAIT"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("KGTOOL_CACHE_DIR", str(tmp_path / "http-cache"))
    monkeypatch.setenv("KGTOOL_HTTP_BACKOFF", "0.001")
    monkeypatch.setenv("KGTOOL_RATE_LIMIT", "0")


@pytest.fixture
def api_server(httpserver, monkeypatch):
    """The local server, with every API's base URL env var pointing at its own prefix on it."""
    root = httpserver.url_for("/").rstrip("/")
    for var, prefix in API_ENV.items():
        monkeypatch.setenv(var, root + prefix)
    return httpserver


def api_fixture(relpath: str) -> bytes:
    """The bytes of one of our recorded-style payloads under tests/data/api/."""
    return (API_DATA / relpath).read_bytes()


# --- SPARQL stores and endpoints ---------------------------------------------------------------

import citation_records  # noqa: E402  (tests/ is on sys.path)
from servers import OxigraphServer, VirtuosoServer, virtuoso_binary  # noqa: E402


@pytest.fixture(autouse=True)
def _no_endpoint_credentials(monkeypatch):
    """Tests never inherit credentials from the developer's environment."""
    for k in ("KGTOOL_ENDPOINT_TOKEN", "KGTOOL_ENDPOINT_USER", "KGTOOL_ENDPOINT_PASSWORD"):
        monkeypatch.delenv(k, raising=False)


@pytest.fixture
def small_graph(tmp_path: Path) -> Path:
    """tests/citation_records.py written as kgtool Turtle."""
    return citation_records.write_ttl(tmp_path / "small.ttl")


@pytest.fixture(scope="session")
def oxigraph(tmp_path_factory) -> OxigraphServer:
    """One real Oxigraph server for the session (default graph = union of the named graphs).

    Tests that share it write to graphs of their own.
    """
    server = OxigraphServer(tmp_path_factory.mktemp("oxigraph")).start()
    yield server
    server.stop()


@pytest.fixture
def own_oxigraph(tmp_path: Path) -> OxigraphServer:
    """A real Oxigraph server for one test, which may kill and restart it."""
    server = OxigraphServer(tmp_path / "oxigraph-data").start()
    yield server
    server.stop()


def _need_virtuoso() -> None:
    if not virtuoso_binary():
        pytest.skip("virtuoso-t is not installed (Debian/Ubuntu: apt-get install virtuoso-opensource)")


@pytest.fixture(scope="session")
def virtuoso(tmp_path_factory) -> VirtuosoServer:
    """One real Virtuoso (Debian's virtuoso-t, its default virtuoso.ini with throwaway paths and
    ports) for the session; tests that share it write to graphs of their own."""
    _need_virtuoso()
    server = VirtuosoServer(tmp_path_factory.mktemp("virtuoso")).start()
    yield server
    server.stop()


@pytest.fixture
def own_virtuoso(tmp_path: Path) -> VirtuosoServer:
    """A real Virtuoso for one test, which may kill and restart it."""
    _need_virtuoso()
    server = VirtuosoServer(tmp_path / "virtuoso").start()
    yield server
    server.stop()


# tests/planted.py (a generator of graphs with planted violations) is imported by tests and bench.
import sys  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
