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


# --- SPARQL stores and endpoints ---------------------------------------------------------------

import citation_records  # noqa: E402  (tests/ is on sys.path)
from servers import OxigraphServer  # noqa: E402


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
