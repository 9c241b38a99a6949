"""The first sight of an OpenCitations id field: its work's path and lines from the field's text.

A dump of N citations names most works only a few times, so a worker meets a new id field
(``omid:br/061 doi:10.1/x pmid:9``) about every other row. The full way (``parse_ids``, a Work,
``RecordLines.work``, ``iris.work_path``) costs some 30 µs a field; this costs a fraction.

A field's *shape* is its run of scheme prefixes (``omid doi pmid``). Once the full way has
mapped a field of a shape, the shape's lane knows which token becomes the DOI, which become the
extra ids (in order) and which names the work's path, and it fills RecordLines' checked template
of a lean work's lines (``RecordLines.lean_lane``) with texts made from the tokens. A token the
lane cannot vouch for (a DOI that needs normalizing, an empty value) sends the field the full
way. The first field of each shape and every ``CHECK_EVERY``-th first sight go the full way too,
and there the lane's path and texts must equal the full way's, or the run stops with an internal
error rather than write different lines.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import iris
from .dedupe import BucketRouter
from .errors import KgtoolError
from .identifiers import _DOI_SHAPE, work_key
from .ntlines import format_term
from .record_templates import RecordLines, plain_text
from .sources.oc_csv_stream import parse_ids

#: How often the first sight of a field whose shape has a lane still goes the full way, as a check.
CHECK_EVERY = 4096
#: At most this many field shapes get a lane (a dump has a handful).
MAX_LANES = 256


@dataclass(frozen=True)
class _Lane:
    skips: tuple[int, ...]  # per token: the characters before its value ("doi:"; 0 for a bare DOI)
    doi: int  # the DOI's token, or -1
    extras: tuple[tuple[int, str], ...]  # (token, lower-cased scheme) of each extra id, in order
    key: int  # the token whose value names the work
    key_scheme: str
    lines: str  # the work's lines with holes (RecordLines.lean_lane)
    count: int


def _shape(tokens: list[str]) -> tuple[str, ...]:
    # As parse_ids reads a token: a bare DOI first, else the part before the first colon.
    return tuple(["10." if t.startswith("10.") else t.partition(":")[0] for t in tokens])


class IdFieldWorks:
    """Routes the lines of the works that id fields name; one per worker process."""

    def __init__(self, records: RecordLines, router: BucketRouter, base: str):
        self.records, self.router, self.base = records, router, base
        self._iri_start = "<" + base
        self._lanes: dict[tuple[str, ...], _Lane | None] = {}
        self._countdown = 0

    def first_sight(self, field: str, column: str) -> str:
        """Route the lines of the work ``field`` names (in column ``column``); its path."""
        tokens = field.split()
        shape = _shape(tokens)
        lane = self._lanes.get(shape)
        self._countdown -= 1
        if lane is not None and self._countdown > 0:
            filled = self._fill(lane, tokens)
            if filled is not None:
                path, texts = filled
                self.router.add_block(texts[0], lane.lines.format(*texts), lane.count)
                return path
        self._countdown = CHECK_EVERY
        return self._full(field, column, tokens, shape, lane)

    def _fill(self, lane: _Lane, tokens: list[str]) -> tuple[str, list[str]] | None:
        """The work's path and the texts of its template's holes (as RecordLines.lean_texts)."""
        values = [t[k:] for t, k in zip(tokens, lane.skips)]
        doi_text = ""
        if lane.doi >= 0:
            low = values[lane.doi].lower()
            if not _DOI_SHAPE.match(low):  # parse_ids would normalize it: the full way
                return None
            values[lane.doi] = low
            doi_text = plain_text(low)
        extras = []
        for i, scheme in lane.extras:
            if not values[i]:  # parse_ids refuses it, naming the column
                return None
            extras.append(plain_text(f"{scheme}:{values[i]}"))
        path = iris.key_path(lane.key_scheme, values[lane.key])
        return path, [f"{self._iri_start}{path}>", "", "", "", doi_text, "", "", "", *extras]

    def _full(self, field: str, column: str, tokens: list[str], shape: tuple[str, ...], lane: _Lane | None) -> str:
        w = parse_ids(field, column)
        self.records.work(w)
        path = iris.work_path(w)
        iri_text = format_term(iris.work_iri(w, self.base))
        if iri_text != f"{self._iri_start}{path}>":  # paths are percent-encoded, the base checked
            raise KgtoolError(f"internal error: the IRI of {field!r} is not written as its path says ({iri_text})")
        if lane is None and shape not in self._lanes:
            lane = self._learn(w, tokens, shape)
        if lane is not None:
            filled = self._fill(lane, tokens)
            if filled is not None and filled != (path, self.records.lean_texts(w)):
                raise KgtoolError(f"internal error: the id field lane disagrees with the mapping on {field!r} "
                                  f"({filled!r}); please report it")
        return path

    def _learn(self, w, tokens: list[str], shape: tuple[str, ...]) -> _Lane | None:
        lean = self.records.lean_lane(w)
        if lean is None:  # RecordLines has not checked a template for such works yet: next time
            return None
        lane = None
        schemes = ["doi" if s == "10." else s.lower() for s in shape]
        key_scheme, _ = work_key(w.doi, w.arxiv, w.title, w.extra_ids)
        # One token per scheme, no arXiv id (normalize_arxiv rewrites it): otherwise, always the full way.
        if len(set(schemes)) == len(schemes) and "arxiv" not in schemes and key_scheme in schemes:
            lane = _Lane(skips=tuple(0 if s == "10." else len(s) + 1 for s in shape),
                         doi=schemes.index("doi") if "doi" in schemes else -1,
                         extras=tuple((i, s) for i, s in enumerate(schemes) if s != "doi"),
                         key=schemes.index(key_scheme), key_scheme=key_scheme, lines=lean[0], count=lean[1])
        if len(self._lanes) < MAX_LANES:
            self._lanes[shape] = lane
        return lane
