"""Progress lines for long runs (records, triples, rate, ETA), through a callback.

The library never prints: it hands lines to a ``Progress`` callback (the CLI writes them to
stderr, or drops them under --quiet). This is the one progress type; every stage imports it
from here. A ``ProgressMeter`` sends a line at most once per ``interval`` seconds.
"""

from __future__ import annotations

import time
from collections.abc import Callable

Progress = Callable[[str], None]
"""Receives one-line progress messages."""


def quiet(_: str) -> None:
    """The Progress that says nothing."""


def _clock(seconds: float) -> str:
    s = int(seconds + 0.5)
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}"


class ProgressMeter:
    """Reports counts, rates and (when the total size is known) percent done and ETA.

    Rate and ETA are measured from the first update on: work before it (a query's joins before
    its first row, say) is not progress, and counting it made the first ETAs hours long."""

    def __init__(self, report: Progress, label: str, total_bytes: int | None = None, interval: float = 1.0,
                 unit: str = "records"):
        self.report = report
        self.label = label
        self.unit = unit
        self.total = total_bytes or None
        self.interval = interval
        self.start = time.monotonic()
        self._next = self.start + interval
        self._base: tuple[float, int, int] | None = None  # time, records, position at the first update

    def update(self, records: int, triples: int | None = None, position: int | None = None, *,
               force: bool = False) -> None:
        """``records`` (of ``unit``) and ``triples`` so far; ``position`` in the total (bytes)."""
        now = time.monotonic()
        if self._base is None:
            self._base = (now, records, position or 0)
        if not force and now < self._next:
            return
        self._next = now + self.interval
        t0, r0, p0 = self._base
        span = now - t0
        parts = [f"{records:,} {self.unit}"]
        if triples is not None:
            parts.append(f"{triples:,} triples")
        if span > 0 and records > r0:
            parts.append(f"{(records - r0) / span:,.0f} {self.unit}/s")
        if self.total and position:
            frac = min(position / self.total, 1.0)
            parts.append(f"{frac:.0%}")
            if 0 < frac < 1 and span > 0 and position > p0:
                parts.append(f"ETA {_clock((self.total - position) * span / (position - p0))}")
        self.report(f"{self.label}: " + ", ".join(parts))

    def elapsed(self) -> float:
        return time.monotonic() - self.start
