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
- Readers are not isolated from a running SPARQL update: polling a graph's triple count during a
  ``MOVE`` (10,000 citations, with or without ``DEFINE sql:log-enable 0``), a ``COPY`` or an
  ``ADD`` showed counts between the old and the new, and above both; the operations of one
  request commit one by one. SQL is isolated: one request ``SELECT (bif:log_enable(0, 1) ...)
  (bif:exec("DELETE ...") ...) (bif:exec("INSERT SOFT ... SELECT ...") ...) WHERE {}`` deletes the
  target's rows of ``DB.DBA.RDF_QUAD`` and copies the staging graph's rows in, as one unlogged
  transaction (``log_enable(0, 1)``: no log, no row autocommit). Readers polling every 50 ms saw
  the old count until the commit, then the new one: 130,417 -> 155,841 triples in 2.9 s with no
  count between; 1,221,800 -> 1,337,526 triples in 14-21 s, where the commit itself took 0.4-0.6 s
  and readers polling during it saw counts between the two (Virtuoso's read-committed readers
  see each row as its lock is released). A triple in both versions is deleted and re-inserted
  under one lock, so it is never missing; no reader sees a triple of neither version. Without
  ``log_enable(0, 1)`` the same two statements commit row by row (readers saw 417 triples).
  A user with the SPARQL_UPDATE role may run it, as dba may. Where the request fails with the
  server's answer (refused, or past the time limit below, which rolls it back), kgtool switches
  as before: the staged triples are added to the target (``ADD``) and the target's triples the
  file lacks deleted; triples in both versions are never missing, but readers see the two
  versions mixed for minutes.
- An HTTP request's transaction is killed after 100 s (SR171 "Transaction timed out", the
  ``lt_timeout`` Virtuoso gives a web request), and a large logged transaction fails with SR325
  ("log after image size went above the limit"). Whole-graph operations therefore run unlogged
  (``DEFINE sql:log-enable 0``, or ``log_enable(0, 1)`` in SQL): one transaction each, which
  Virtuoso writes at its next checkpoint, so kgtool asks for one. (With ``sql:log-enable 3``, row
  autocommit, an ``ADD`` of a million triples stalled for minutes; and the autocommit bit it
  sets outlives the request: later requests of any user ran with ``log_enable`` 3 until another
  request reset it. Dropping a staging graph of 1,337,526 triples took 8.6 s that way and 7.0 s
  unlogged, so every drop is unlogged now.)
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


def virtuoso_switch_query(target: str, staging: str) -> str:
    """A SPARQL query whose SQL replaces ``target``'s triples with a copy of ``staging``'s, in one
    unlogged transaction (``log_enable(0, 1)``): readers see the old graph until it commits. The
    statements run in the order written; ``INSERT SOFT`` skips a row another writer added meanwhile."""
    def iri(value: str) -> str:  # an IRI holds no '"' or '\\' (SPARQL), and "'" is doubled (SQL)
        return "iri_to_id('" + value.replace("'", "''") + "')"

    t, s = iri(target), iri(staging)
    return ('SELECT (bif:log_enable(0, 1) AS ?logging) '
            f'(bif:exec("DELETE FROM DB.DBA.RDF_QUAD WHERE G = {t}") AS ?deleted) '
            f'(bif:exec("INSERT SOFT DB.DBA.RDF_QUAD (G, S, P, O) SELECT {t}, S, P, O FROM DB.DBA.RDF_QUAD '
            f'WHERE G = {s}") AS ?copied) WHERE {{}}')


@dataclass(frozen=True)
class ServerTraits:
    """Limits and habits of one server kind that a push has to respect."""

    max_insert_triples: int | None = None  # larger INSERT DATA requests do not compile
    bulk_prologue: str = ""  # put before operations on whole graphs (DROP, MOVE, ADD, DELETE ... WHERE)
    checkpoint_query: str | None = None  # makes a change the prologue kept out of the log durable
    rewrite_line: Callable[[str], str] | None = None  # an N-Triples line in a form the server keeps
    staging_params: dict[str, str] = field(default_factory=dict)  # on the Graph Store PUT of the staging graph
    staging_part_triples: int | None = None  # upload the staging graph in POSTs of at most this many triples
    #: a query (target, staging) that replaces the target's triples with the staging graph's in one
    #: transaction, where no SPARQL update does (Virtuoso)
    switch_query: Callable[[str, str], str] | None = None
    #: no SPARQL update is atomic for readers: without switch_query, or where it fails, switch by
    #: adding the staged graph, then deleting what it lacks
    switch_by_difference: bool = False
    delete_piece_triples: int | None = None  # delete what the file lacks in requests of at most this many


VIRTUOSO = ServerTraits(
    max_insert_triples=1000,
    bulk_prologue="DEFINE sql:log-enable 0\n",
    switch_query=virtuoso_switch_query,
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
