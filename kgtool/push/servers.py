"""What ``kgtool push`` does differently for one kind of server (its ``--layout``).

Oxigraph: the staging graph is uploaded through its bulk loader (``?no_transaction``), then
moved in with one ``MOVE`` (one transaction). A Graph Store ``PUT`` straight into the target is
one transaction too, but no cheaper at scale (1,039,120 triples over a full graph: 1,013 s and
4.6 GB, docs/stores.md) and it would lose the count check before the switch.

Measured on Debian's Virtuoso 7.2.5 with its default ``virtuoso.ini``:

- The Graph Store loader (``DB.DBA.TTLP_V``) is non-transactional, three threads; one ``PUT`` of
  a million triples into a staging graph stalled for 15 minutes in lock waits next to a full
  target graph. The staging graph is therefore uploaded in ``POST`` parts of at most
  ``staging_part_triples`` triples (100,000: a million triples in 93-250 s, by the load).
- ``INSERT DATA`` requests of 5,000 or more triples do not compile (SP030 "memory exhausted";
  the issue reported SP031 "generated SQL text has exceeded 10000 lines" at 2,000): chunks are
  capped at 1,000 triples.
- One ``DELETE ... WHERE`` of a million triples fails ("FRVEC: array in for vectored over max
  vector length 1038566 > 1000000"): the triples the file lacks are deleted 100,000 at a time
  (200,000 took 27-47 s a request on a loaded machine, too close to the 100 s limit below).
- Readers are not isolated from a running update: polling a graph's triple count during a
  ``MOVE`` (10,000 citations, with or without ``DEFINE sql:log-enable 0``), a ``COPY`` or an
  ``ADD`` showed counts between the old and the new, and above both; the operations of one
  request commit one by one. So no request replaces a graph atomically for readers. What kgtool
  can do is keep the switch small and make clear what readers see: the staged graph is checked,
  then its triples are added to the target (``ADD``: triples already there are kept) and the
  target's triples the file lacks are deleted; triples in both versions are never missing.
- An HTTP request's transaction is killed after 100 s (SR171 "Transaction timed out", the
  ``lt_timeout`` Virtuoso gives a web request), and a large logged transaction fails with SR325
  ("log after image size went above the limit"). The ``ADD`` and the ``DELETE`` run with ``DEFINE
  sql:log-enable 0``: one unlogged transaction each, which Virtuoso writes at its next checkpoint,
  so kgtool asks for one. (With ``sql:log-enable 3``, row autocommit, an ``ADD`` of a million
  triples stalled for minutes.) The staging graph, which no one reads, is dropped with
  ``sql:log-enable 3``: no transaction at all (a million triples in 10 s).
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
    bulk_prologue: str = ""  # put before operations on whole graphs (DROP, MOVE, ADD, DELETE ... WHERE)
    staging_prologue: str = ""  # put before dropping a staging graph, which no one reads
    checkpoint_query: str | None = None  # makes a change the prologue kept out of the log durable
    rewrite_line: Callable[[str], str] | None = None  # an N-Triples line in a form the server keeps
    staging_params: dict[str, str] = field(default_factory=dict)  # on the Graph Store PUT of the staging graph
    staging_part_triples: int | None = None  # upload the staging graph in POSTs of at most this many triples
    #: no request is atomic for readers: switch by adding the staged graph, then deleting what it lacks
    switch_by_difference: bool = False
    delete_piece_triples: int | None = None  # delete what the file lacks in requests of at most this many


VIRTUOSO = ServerTraits(
    max_insert_triples=1000,
    bulk_prologue="DEFINE sql:log-enable 0\n",
    staging_prologue="DEFINE sql:log-enable 3\n",
    checkpoint_query='SELECT (bif:exec("checkpoint") AS ?state) WHERE {}',
    staging_part_triples=100_000,
    switch_by_difference=True,
    delete_piece_triples=100_000,
    rewrite_line=duration_with_time,
)

#: Oxigraph loads a Graph Store PUT in one in-memory transaction (14 s for 94,000 triples here,
#: against 2 s through its bulk loader); the staging graph needs no transaction of its own.
OXIGRAPH = ServerTraits(staging_params={"no_transaction": ""})

_TRAITS: dict[str, ServerTraits] = {"virtuoso": VIRTUOSO, "oxigraph": OXIGRAPH}


def traits(layout: str | None) -> ServerTraits:
    """The traits of a server kind (none for servers that follow the standards plainly)."""
    return _TRAITS.get(layout or "", ServerTraits())
