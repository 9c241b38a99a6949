"""OpenAlex works (JSON Lines, or one JSON document) as the tables of a ``kgtool convert`` job.

Each record is read by the one OpenAlex parser (sources/openalex.py) and its work's lines are
made by the mapping itself (titles, authors and abstracts vary too much for templates); its
references go to the engine, where the OpenAlex id join is a SQL join of the cited ids to the
dump's records.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import IO, TYPE_CHECKING

from ..errors import InputError
from ..progress import ProgressMeter
from ..read.sources import openalex
from .mapping import creation_literal

if TYPE_CHECKING:
    from .convert import _Job

_BATCH = 50_000  # records handed to the engine at a time


def load_openalex(job: _Job, stream: IO[bytes]) -> int:
    """Read the records into the engine (rec_lines, rec_ids, rec_cites), then join them."""
    eng, name = job.eng, job.name
    cols: dict[str, list] = {
        k: [] for k in ("path", "line", "oa", "opath", "rn", "cpath", "created", "ref")
    }
    records = 0
    meter = ProgressMeter(job.progress, f"reading {name}", None)

    def flush() -> None:
        eng.load_rows("rec_lines", {"path": ("VARCHAR", cols["path"]), "line": ("VARCHAR", cols["line"])})
        eng.load_rows("rec_ids", {"oa": ("VARCHAR", cols["oa"]), "path": ("VARCHAR", cols["opath"])})
        eng.load_rows("rec_cites", {"rn": ("BIGINT", cols["rn"]), "citing_path": ("VARCHAR", cols["cpath"]),
                                    "creation": ("VARCHAR", cols["created"]),
                                    "ref": ("VARCHAR", cols["ref"])})
        for v in cols.values():
            v.clear()

    seen_lines: list[int] = []
    for work, cites in _openalex_records(stream, name, seen_lines):
        path, lines = job._work(work)
        cols["path"] += [path] * len(lines)
        cols["line"] += lines
        cols["oa"].append(dict(work.extra_ids)["openalex"])
        cols["opath"].append(path)
        for i, c in enumerate(cites):
            cols["rn"].append((records << 20) + i)
            cols["cpath"].append(path)
            cols["created"].append(job.encoder.term(creation_literal(c.creation)) if c.creation else None)
            cols["ref"].append(dict(c.cited.extra_ids)["openalex"])
        records += 1
        job.citations += len(cites)
        if records % _BATCH == 0:
            flush()
        meter.update(records)
    flush()
    if len(seen_lines) < 2:  # one JSON document, as fetch --input names it too
        job.media_type = "application/json"
    if not records:
        raise InputError("empty file: expected OpenAlex works as JSON Lines", source=name, line=1)
    _join_cited(job)
    return records


def _join_cited(job: _Job) -> None:
    """Tables ``works`` and ``cit`` from the records: a work cited by OpenAlex id is the record of
    that id in this dump (a SQL join), else a work known by the id alone."""
    eng = job.eng
    # A work cited by OpenAlex id is the record of that id in this dump, else known by the id alone.
    eng.create("ids", "SELECT oa, min(path) AS path FROM rec_ids GROUP BY oa")
    missing = [r for (r,) in eng.rows("SELECT DISTINCT c.ref FROM rec_cites c LEFT JOIN ids ON ids.oa = c.ref "
                                      "WHERE ids.path IS NULL")]
    job.progress(f"{len(missing):,} cited works are not in the dump: known by OpenAlex id only")
    paths, byid_lines = [], []
    for r in missing:
        p, ls = job._work(openalex.cited_by_id(r))
        paths.append(p)
        byid_lines.append(ls)
    eng.load_rows("byid", {"oa": ("VARCHAR", missing), "path": ("VARCHAR", paths),
                           "lines": ("VARCHAR[]", byid_lines)})
    # A line shared by two works (an author known by ORCID) is written once, with the first.
    eng.create("works", "SELECT path, 0 AS t, line AS v FROM (SELECT path, line, row_number() OVER "
                        "(PARTITION BY line ORDER BY path) AS k FROM (SELECT DISTINCT path, line FROM "
                        "(SELECT path, line FROM rec_lines "
                        f"UNION ALL SELECT path, {eng.explode('lines')} AS line FROM byid))) WHERE k = 1")
    eng.create("cit", """
        SELECT c.rn, c.citing_path, coalesce(ids.path, b.path) AS cited_path, c.creation,
               CAST(NULL AS STRING) AS timespan,
               CAST(NULL AS STRING) AS oci, false AS author_self, false AS journal_self
        FROM rec_cites c LEFT JOIN ids ON ids.oa = c.ref LEFT JOIN byid b ON b.oa = c.ref""")
    eng.drop(["rec_lines", "rec_ids", "rec_cites", "ids", "byid"])


def _openalex_records(stream: IO[bytes], name: str, lines: list[int]) -> Iterator[tuple]:
    """The records of an OpenAlex file through the one parser, streaming JSON Lines.
    ``lines`` gets the number of JSON Lines lines read (0 for one JSON document)."""
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="\n")
    try:
        first = text.readline()
        skipped = 0
        while first and not first.strip():
            first, skipped = text.readline(), skipped + 1
        if not openalex.is_json_value(first):
            yield from openalex.iter_records(first + text.read(), name)
            return
        n = skipped + 1
        lines.append(1)
        yield from openalex.iter_line(first, name, n)
        for line in text:
            n += 1
            if line.strip():
                lines.append(1)
            yield from openalex.iter_line(line, name, n)
    except UnicodeDecodeError as e:
        raise InputError(f"not valid UTF-8 ({e.reason})", source=name) from None
    except (OSError, EOFError) as e:
        raise InputError(f"truncated or corrupt compressed data ({e})", source=name) from None
