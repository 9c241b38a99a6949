"""Join OpenAlex works named by id with their own records in the same dump, as the build path does.

An OpenAlex work cites others by OpenAlex id only (``referenced_works``), so a cited work is
minted ``work/openalex/W100`` unless something says that W100 is the work keyed by its DOI. The
build path learns that by uniting every work that shares an identifier (resolve.py). A dump is
converted chunk by chunk in worker processes, so the convert command first reads the dump once
(``chunk_ids`` in the workers, ``AliasIndex`` in the parent) and stores, in an SQLite file in
the scratch folder, every identifier of every record keyed by a DOI or an arXiv id (its OpenAlex
id, PMID, PMCID, and its arXiv id beside a DOI) -> that key. Records keyed by their OpenAlex id
that carry a PMID or PMCID join a keyed record that shares one (a few rounds at the end of the
first pass, so that their OpenAlex ids are found too). As in the union-find, the first record in
file order keeps an identifier that two different keys claim.

The mapping pass (``AliasJoin``, one per worker) then rewrites each record before the mapping:
a record without a DOI whose identifier is in the index takes the key it joins; each cited work
found in the index becomes the work under that key (with its OpenAlex id); a citation that now
joins a work to itself is dropped and one that repeats a (citing, cited) pair within the record
is dropped, as the build path drops and merges them. Cited works not in the index stay
``work/openalex/W...``. Each chunk's ids are looked up together, a few hundred per query.
Memory stays bounded: the index is on disk, each worker keeps a small cache of cited works.
"""

from __future__ import annotations

import itertools
import shutil
import sqlite3
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Iterable, Iterator
from urllib.parse import quote

from . import leftovers
from .errors import InputError
from .identifiers import work_key
from .model import Citation, Work
from .sources.openalex_jsonl_stream import RecordError, iter_objects, work_identifiers

Record = tuple[Work, tuple[Citation, ...]]

#: How many cited works a worker remembers (resolved or not; a few hundred bytes each).
CITED_CACHE = 1 << 14
#: SQLite page cache of the index builder and of each worker (KiB, as SQLite's negative cache_size).
BUILD_CACHE_KIB = 16 << 10
LOOKUP_CACHE_KIB = 4 << 10
#: Cited ids looked up in one query (SQLite allows 32766 parameters).
LOOKUP_BATCH = 500
#: Rounds that let records without a DOI join through a shared PMID/PMCID (chains are rare).
LINK_ROUNDS = 8


def ident_text(scheme: str, value: str) -> str:
    """How an identifier is stored: an OpenAlex id as itself ('W100'), others as 'scheme:value'."""
    return value if scheme == "openalex" else f"{scheme}:{value}"


def key_text(scheme: str, value: str) -> str:
    """How a work key is stored: a DOI as itself ('10.1/x', never an identifier), else 'arxiv:...'."""
    return value if scheme == "doi" else f"{scheme}:{value}"


@dataclass
class ChunkIds:
    """What the first pass learns from one chunk of the dump."""

    records: int = 0
    aliases: list[tuple[str, str]] = field(default_factory=list)  # (identifier, key), in file order
    linked: list[tuple[str, ...]] = field(default_factory=list)  # identifiers of records without a key
    arxiv_keys: int = 0  # records keyed by an arXiv id (their aliases may lead on to a DOI)


def chunk_ids(text: str, name: str, first_line: int) -> ChunkIds:
    """Identifiers of the records in one chunk of JSON Lines (whole lines, the first being ``first_line``)."""
    out = ChunkIds()
    aliases, linked = out.aliases, out.linked
    for line_no, obj in iter_objects(text.split("\n"), name, first_line):
        out.records += 1
        try:
            doi, arxiv, extra = work_identifiers(obj)
        except RecordError as e:
            raise InputError(str(e), source=name, line=line_no) from None
        if doi is not None:
            key = doi
            if arxiv is not None:
                aliases.append((ident_text("arxiv", arxiv), key))
        elif arxiv is not None:
            key = key_text("arxiv", arxiv)
            out.arxiv_keys += 1
        else:
            if len(extra) > 1:  # the OpenAlex id and a PMID/PMCID: may join a keyed record
                linked.append(tuple(ident_text(s, v) for s, v in extra))
            continue
        aliases.extend((ident_text(s, v), key) for s, v in extra)
    return out


def _connect(path: Path | str, **kw) -> sqlite3.Connection:
    db = sqlite3.connect(path, **kw)
    db.execute("PRAGMA journal_mode = OFF")
    db.execute("PRAGMA synchronous = OFF")
    return db


class AliasIndex:
    """Builds the index in a private folder under ``tmp_dir`` (removed by close()).

    ``add`` takes each chunk's identifiers in file order; ``finish`` makes ``path`` a read-only
    SQLite table alias(ident PRIMARY KEY, key): the first key given for each identifier.
    """

    def __init__(self, tmp_dir: str | Path | None = None):
        self.dir = Path(leftovers.mkdtemp(".kgtool-aliases-", tmp_dir))
        self.path = self.dir / "aliases.sqlite"
        self.records = 0
        self.aliases = 0
        self._arxiv_keys = 0
        self._db = _connect(self.dir / "pairs.sqlite")
        self._db.execute(f"PRAGMA cache_size = -{BUILD_CACHE_KIB}")
        self._db.execute("CREATE TABLE pairs (ident TEXT NOT NULL, key TEXT NOT NULL)")
        self._db.execute("CREATE TABLE linked (rec INTEGER NOT NULL, pos INTEGER NOT NULL, ident TEXT NOT NULL)")
        self._linked = 0

    def add(self, ids: ChunkIds) -> None:
        self.records += ids.records
        self._arxiv_keys += ids.arxiv_keys
        self._db.executemany("INSERT INTO pairs VALUES (?, ?)", ids.aliases)
        rows = []
        for idents in ids.linked:
            self._linked += 1
            rows.extend((self._linked, pos, ident) for pos, ident in enumerate(idents))
        self._db.executemany("INSERT INTO linked VALUES (?, ?, ?)", rows)

    def finish(self) -> int:
        """Write the lookup table; the number of identifiers it holds."""
        db = self._db
        db.execute("ATTACH DATABASE ? AS final", (str(self.path),))
        db.execute("CREATE TABLE final.alias (ident TEXT PRIMARY KEY, key TEXT NOT NULL) WITHOUT ROWID")
        # Sorted inserts fill the B-tree page by page; with the rowid, the first claim comes first.
        # The sorter's temporary files go to our folder (a process-wide setting: put back after).
        before = db.execute("PRAGMA temp_store_directory").fetchone()
        db.execute("PRAGMA temp_store_directory = " + _sql_text(str(self.dir)))
        try:
            db.execute("INSERT OR IGNORE INTO final.alias SELECT ident, key FROM pairs ORDER BY ident, rowid")
        finally:
            db.execute("PRAGMA temp_store_directory = " + _sql_text(before[0] if before else ""))
        db.execute("DROP TABLE pairs")
        if self._arxiv_keys:  # 'W1' -> 'arxiv:X' and 'arxiv:X' -> '10.1/y': W1 joins the DOI
            db.execute("UPDATE final.alias SET key = (SELECT a.key FROM final.alias a WHERE a.ident = alias.key) "
                       "WHERE key LIKE 'arxiv:%' AND key IN (SELECT ident FROM final.alias)")
        if self._linked:
            self._link_rounds()
        self.aliases = db.execute("SELECT count(*) FROM final.alias").fetchone()[0]
        db.commit()
        db.execute("DETACH DATABASE final")
        db.close()
        (self.dir / "pairs.sqlite").unlink(missing_ok=True)
        return self.aliases

    def _link_rounds(self) -> None:
        # A record without a key joins the key of its first identifier found; all its identifiers
        # then lead there, so a later round may join another record through them. The records
        # not joined yet go on to the next round.
        db = self._db
        for _ in range(LINK_ROUNDS):
            db.execute("CREATE TABLE rest (rec INTEGER NOT NULL, pos INTEGER NOT NULL, ident TEXT NOT NULL)")
            rows = db.execute("SELECT rec, pos, ident FROM linked ORDER BY rec, pos")
            joined = 0
            for _rec, group in itertools.groupby(rows, key=lambda row: row[0]):
                ids = list(group)
                for _, _, ident in ids:
                    hit = db.execute("SELECT key FROM final.alias WHERE ident = ?", (ident,)).fetchone()
                    if hit is not None:
                        db.executemany("INSERT OR IGNORE INTO final.alias VALUES (?, ?)",
                                       ((i, hit[0]) for _, _, i in ids))
                        joined += 1
                        break
                else:
                    db.executemany("INSERT INTO rest VALUES (?, ?, ?)", ids)
            db.execute("DROP TABLE linked")
            db.execute("ALTER TABLE rest RENAME TO linked")
            if not joined:
                return

    def close(self) -> None:
        try:
            self._db.close()
        except sqlite3.Error:
            pass
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> "AliasIndex":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


class AliasJoin:
    """Rewrites records through the index (see the module's docstring); one per worker process."""

    def __init__(self, path: str | Path | None, mapped: dict[int, Work] | None = None):
        """``mapped``: the mapper's works already mapped, by id(); the cited works joined here are
        put in it, since their lines (key, OpenAlex id, type, source) are among those of the
        record they joined, which is mapped in its turn."""
        self._mapped = mapped if mapped is not None else {}
        self._db: sqlite3.Connection | None = None
        if path is not None:
            db = sqlite3.connect(f"file:{quote(str(path))}?immutable=1", uri=True, check_same_thread=False)
            db.execute(f"PRAGMA cache_size = -{LOOKUP_CACHE_KIB}")
            if db.execute("SELECT 1 FROM alias LIMIT 1").fetchone() is not None:
                self._db = db
            else:
                db.close()
        # OpenAlex id -> (the cited Work as joined, or as read; its key): one object for every
        # record citing it, which the mapping's identity caches reward.
        self._cited: dict[str, tuple[Work, tuple[str, str]]] = {}

    def _lookup(self, idents: list[str]) -> dict[str, str]:
        """identifier -> key, for those of ``idents`` in the index (a few hundred per query)."""
        found: dict[str, str] = {}
        if self._db is None:
            return found
        for start in range(0, len(idents), LOOKUP_BATCH):
            batch = idents[start:start + LOOKUP_BATCH]
            found.update(self._db.execute(
                f"SELECT ident, key FROM alias WHERE ident IN ({','.join('?' * len(batch))})", batch))
        return found

    def _prefetch(self, chunk: list[Record]) -> dict[str, str]:
        """Look up, together, the chunk's cited ids not in the cache and the ids of its records
        without a DOI; returns the latter's keys."""
        if self._db is None:
            return {}
        cache = self._cited
        cited: dict[str, Work] = {}
        own: list[str] = []
        for work, cits in chunk:
            if work.doi is None:
                own.extend(ident_text(s, v) for s, v in _record_ids(work))
            for c in cits:
                oa = _cited_id(c.cited)
                if oa is not None and oa not in cache:
                    cited[oa] = c.cited
        found = self._lookup(own + list(cited))
        if len(cache) + len(cited) > CITED_CACHE:
            cache.clear()
        for oa, w in cited.items():
            cache[oa] = _joined(w, oa, found.get(oa))
        return found

    def _record(self, w: Work, found: dict[str, str]) -> Work:
        """The record as joined: the key its first identifier in the index leads to."""
        if w.doi is not None:
            return w
        for scheme, value in _record_ids(w):
            key = found.get(ident_text(scheme, value))
            if key is None:
                continue
            if not key.startswith("arxiv:"):
                return replace(w, doi=key)
            if w.arxiv is None:
                return replace(w, arxiv=key[6:])
        return w

    def _cited_work(self, w: Work) -> tuple[Work, tuple[str, str]]:
        """The cited work as joined, and its key."""
        oa = _cited_id(w)
        if oa is None:
            return w, _key(w)
        hit = self._cited.get(oa)
        if hit is None:  # not prefetched (the cache was full)
            hit = _joined(w, oa, self._lookup([oa]).get(oa))
            if len(self._cited) >= CITED_CACHE:
                self._cited.clear()
            self._cited[oa] = hit
        return hit

    def join(self, records: Iterable[Record]) -> Iterator[Record]:
        """Each (work, citations) with the work joined and its citations re-pointed."""
        chunk = list(records)  # one chunk: its ids are looked up together
        found = self._prefetch(chunk)
        cited_work, mapped = self._cited_work, self._mapped
        for work, cits in chunk:
            joined = self._record(work, found)
            if not cits:
                yield joined, cits
                continue
            citing_key = _key(joined)
            seen: set[tuple[str, str]] = set()
            out: list[Citation] = []
            changed = joined is not work
            for c in cits:
                cited, cited_key = cited_work(c.cited)
                if cited_key == citing_key or cited_key in seen:  # the build path drops / merges these
                    changed = True
                    continue
                seen.add(cited_key)
                if cited is not c.cited and cited_key[0] != "openalex":  # joined a record of the dump
                    mapped[id(cited)] = cited
                    changed = True
                    c = _repointed(c, joined, cited)
                elif joined is not work:
                    changed = True
                    c = _repointed(c, joined, c.cited)
                out.append(c)
            yield joined, (tuple(out) if changed else cits)


def _record_ids(w: Work) -> tuple[tuple[str, str], ...]:
    """The identifiers by which a record without a DOI may join a keyed record, in order."""
    return ((("arxiv", w.arxiv),) if w.arxiv else ()) + w.extra_ids


def _cited_id(w: Work) -> str | None:
    """The OpenAlex id of a work known only by it (as ``referenced_works`` name them)."""
    if w.doi is None and w.arxiv is None and len(w.extra_ids) == 1 and w.extra_ids[0][0] == "openalex":
        return w.extra_ids[0][1]
    return None


def _joined(w: Work, oa: str, key: str | None) -> tuple[Work, tuple[str, str]]:
    """A work cited by OpenAlex id, as the work keyed ``key`` (if any), and its key."""
    if key is None:
        return w, ("openalex", oa)
    if key.startswith("arxiv:"):
        return Work(arxiv=key[6:], extra_ids=w.extra_ids), ("arxiv", key[6:])
    return Work(doi=key, extra_ids=w.extra_ids), ("doi", key)


def _repointed(c: Citation, citing: Work, cited: Work) -> Citation:
    # dataclasses.replace with its checks costs ~10x this copy, and runs once per citation.
    new = object.__new__(Citation)
    new.__dict__.update(c.__dict__, citing=citing, cited=cited)
    return new


def _key(w: Work) -> tuple[str, str]:
    return work_key(w.doi, w.arxiv, w.title, w.extra_ids)
