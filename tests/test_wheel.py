"""The wheel carries the shipped queries (and the ontology and shapes they sit beside)."""

from __future__ import annotations

import zipfile
from pathlib import Path

from kgtool.resources import queries_dir

ROOT = Path(__file__).resolve().parents[1]


def test_the_wheel_ships_every_query(tmp_path):
    from hatchling.builders.wheel import WheelBuilder

    (wheel,) = WheelBuilder(str(ROOT)).build(directory=str(tmp_path), versions=["standard"])
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = sorted(p.name for p in queries_dir().glob("*.rq"))
    assert len(shipped) >= 7
    for name in shipped:
        assert f"kgtool/store/queries/{name}" in names
    assert "kgtool/_data/shapes/kgtool-shapes.ttl" in names
