"""What ``kgtool push`` does differently for one kind of server (its ``--layout``).

Oxigraph: the staging graph is uploaded through its bulk loader (``?no_transaction``).

Measured on Debian's Virtuoso 7.2.5 (see docs/stores.md):

- ``INSERT DATA`` requests of 5,000 or more triples do not compile (SP030 "memory exhausted";
  the issue reported SP031 "generated SQL text has exceeded 10000 lines" at 2,000): chunks are
  capped at 1,000 triples.
- ``MOVE`` of a large graph fails with SR325 (the transaction's log after-image grows past
  ``TransactionAfterImageLimit``) or times out: drops and moves run with ``DEFINE
  sql:log-enable 0``, still one transaction (readers see the old graph or the new one), but not
  written to the transaction log; the server writes it at its next checkpoint.
- ``xsd:duration`` literals without a time part are parsed into a number (``"P1Y10M10D"`` reads
  back as ``"22"``, months only; ``"P6D"`` as ``"518400.0"``; in ``INSERT DATA`` they fail with
  SR553/SQ200). The same value with a zero time part (``"P1Y10M10DT0S"``) is kept as written.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

_DATE_ONLY_DURATION = re.compile(
    r' "(-?P(?=\d)(?:\d+Y)?(?:\d+M)?(?:\d+D)?)"\^\^<http://www\.w3\.org/2001/XMLSchema#duration> \.\n$'
)


def duration_with_time(line: str) -> str:
    """An N-Triples line whose object is a date-only xsd:duration, with ``T0S`` added (same value)."""
    if not line.endswith("duration> .\n"):
        return line
    return _DATE_ONLY_DURATION.sub(
        lambda m: f' "{m.group(1)}T0S"^^<http://www.w3.org/2001/XMLSchema#duration> .\n', line
    )


@dataclass(frozen=True)
class ServerTraits:
    """Limits and habits of one server kind that a push has to respect."""

    max_insert_triples: int | None = None  # larger INSERT DATA requests do not compile
    bulk_prologue: str = ""  # put before DROP and MOVE of whole graphs
    checkpoint_query: str | None = None  # makes a DROP or MOVE of the target graph durable
    rewrite_line: Callable[[str], str] | None = None  # an N-Triples line in a form the server keeps
    staging_params: dict[str, str] = field(default_factory=dict)  # on the Graph Store PUT of the staging graph


VIRTUOSO = ServerTraits(
    max_insert_triples=1000,
    bulk_prologue="DEFINE sql:log-enable 0\n",
    checkpoint_query='SELECT (bif:exec("checkpoint") AS ?state) WHERE {}',
    rewrite_line=duration_with_time,
)

#: Oxigraph loads a Graph Store PUT in one in-memory transaction (14 s for 94,000 triples here,
#: against 2 s through its bulk loader); the staging graph needs no transaction of its own.
OXIGRAPH = ServerTraits(staging_params={"no_transaction": ""})

_TRAITS: dict[str, ServerTraits] = {"virtuoso": VIRTUOSO, "oxigraph": OXIGRAPH}


def traits(layout: str | None) -> ServerTraits:
    """The traits of a server kind (none for servers that follow the standards plainly)."""
    return _TRAITS.get(layout or "", ServerTraits())
