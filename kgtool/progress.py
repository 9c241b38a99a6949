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
    """Reports counts, rates and (when the total size is known) percent done and ETA."""

    def __init__(self, report: Progress, label: str, total_bytes: int | None = None, interval: float = 1.0,
                 unit: str = "records"):
        self.report = report
        self.label = label
        self.unit = unit
        self.total = total_bytes or None
        self.interval = interval
        self.start = time.monotonic()
        self._next = self.start + interval

    def update(self, records: int, triples: int | None = None, position: int | None = None, *,
               force: bool = False) -> None:
        """``records`` (of ``unit``) and ``triples`` so far; ``position`` in the total (bytes)."""
        now = time.monotonic()
        if not force and now < self._next:
            return
        self._next = now + self.interval
        elapsed = max(now - self.start, 1e-9)
        parts = [f"{records:,} {self.unit}"]
        if triples is not None:
            parts.append(f"{triples:,} triples")
        parts.append(f"{records / elapsed:,.0f} {self.unit}/s")
        if self.total and position:
            frac = min(position / self.total, 1.0)
            parts.append(f"{frac:.0%}")
            if 0 < frac < 1:
                parts.append(f"ETA {_clock(elapsed * (1 - frac) / frac)}")
        self.report(f"{self.label}: " + ", ".join(parts))

    def elapsed(self) -> float:
        return time.monotonic() - self.start
