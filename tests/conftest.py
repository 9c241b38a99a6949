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


# tests/planted.py (a generator of graphs with planted violations) is imported by tests and bench.
import sys  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
