"""ProgressMeter: rate and ETA from the first update on, one line at most per interval."""

from __future__ import annotations

import pytest

from kgtool import progress as progress_module
from kgtool.progress import ProgressMeter


@pytest.fixture
def clock(monkeypatch):
    now = [100.0]
    monkeypatch.setattr(progress_module.time, "monotonic", lambda: now[0])
    return now


def test_waiting_before_the_first_update_is_not_counted_in_rate_or_eta(clock):
    lines: list[str] = []
    meter = ProgressMeter(lines.append, "writing x", 1000, unit="triples")
    clock[0] += 60  # a query's joins, before its first row
    meter.update(100, None, 100)
    assert lines == ["writing x: 100 triples, 10%"]  # no rate or ETA from one point
    clock[0] += 1
    meter.update(200, None, 200)
    assert lines[-1] == "writing x: 200 triples, 100 triples/s, 20%, ETA 0:00:08"
    clock[0] += 0.5
    meter.update(250, None, 250)  # within the interval: nothing
    assert len(lines) == 2
    clock[0] += 3.5
    meter.update(1000, None, 1000, force=True)
    assert lines[-1] == "writing x: 1,000 triples, 180 triples/s, 100%"


def test_without_a_total_there_is_a_rate_but_no_percent(clock):
    lines: list[str] = []
    meter = ProgressMeter(lines.append, "reading f", None)
    meter.update(0)
    clock[0] += 2
    meter.update(500, 4000)
    assert lines[-1] == "reading f: 500 records, 4,000 triples, 250 records/s"
