"""Read citation-hub pages (format: docs/hub-page-format.md in the shared docs)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from ...errors import InputError
from ...map.identifiers import normalize_title
from ...map.model import Bundle, Citation, Reception, Share, SourceInfo, Work
from ...map.vocab import polarity_key, role_key
from ..readfile import decode_utf8, read_bytes, sha256_hex

MEDIA_TYPE = "text/x-citation-hub"

ABSTRACT = "abstract"
TOOLS = "hub tools"
ROLE_SUMMARY = "citation-role summary"
POLARITY_SUMMARY = "citation-polarity summary"
REPRESENTATIVE = "representative citing papers"
EXPLORER = "citing papers explorer"
HEADINGS = (ABSTRACT, TOOLS, ROLE_SUMMARY, POLARITY_SUMMARY, REPRESENTATIVE, EXPLORER)

_HUB = re.compile(r"^hub\s+(?P<label>.+?)\s+citations$")
_BEHAVIOUR = re.compile(
    r"^(?P<polarity>.+?)\s+citation\s+behaviou?r\.?"
    r"(?:\s+most\s+common\s+role\s+is\s+(?P<role>.+?)\s*\(\s*(?P<pct>\d+(?:\.\d+)?)\s*%\s*\)\.?)?$",
    re.IGNORECASE,
)
_SHARE_LINE = re.compile(
    r"^(?P<label>[^\d:()%]+?)\s*[:=\-–—]?\s*\(?\s*(?P<num>\d+(?:\.\d+)?)\s*(?P<pct>%)?\s*\)?"
    r"(?:\s+citations?)?\.?$",
    re.IGNORECASE,
)
_URL = re.compile(r"https?://[^\s<>\"'{}|\\^`\]\)]+")
_CODE_HOSTS = ("github.com", "gitlab.com", "bitbucket.org", "codeberg.org", "sourceforge.net")


@dataclass(frozen=True)
class _Line:
    no: int
    text: str


def read_hub_page(path: str | Path) -> Bundle:
    """Read one hub page from a file, or from stdin when path is '-'."""
    name, data = read_bytes(path)
    return parse_hub_page(data, name)


def parse_hub_page(data: bytes, name: str = "<input>") -> Bundle:
    """Parse the bytes of a hub page into records; errors name the file and line."""
    text = decode_utf8(name, data)
    lines = [_Line(i, raw.strip()) for i, raw in enumerate(text.splitlines(), start=1)]
    content = [ln for ln in lines if ln.text]
    if not content:
        raise InputError("empty file: no hub page here", source=name, line=1)
    return _Parser(name, content, sha256_hex(data)).parse()


class _Parser:
    def __init__(self, name: str, lines: list[_Line], sha256: str):
        self.name = name
        self.lines = lines
        self.sha256 = sha256
        self.notes: list[str] = []

    def error(self, message: str, line: int) -> InputError:
        return InputError(message, source=self.name, line=line)

    def parse(self) -> Bundle:
        header_at, polarity = self._header()
        before = self.lines[:header_at]
        rest = self.lines[header_at + 1 :]
        if not rest or rest[0].text in HEADINGS:
            raise self.error("no hub title after the hub header", self.lines[header_at].no)
        top_role, top_share, pos = self._behaviour(rest, polarity)
        sections = self._sections(rest[pos:])
        hub = _hub_work(rest[0].text, sections)

        roles = tuple(self._shares(sections.get(ROLE_SUMMARY, []), role_key))
        polarities = tuple(self._shares(sections.get(POLARITY_SUMMARY, []), polarity_key))
        rep_summaries = ([before[0]] if before else []) + sections.get(REPRESENTATIVE, [])
        records = self._records(sections.get(EXPLORER, []))
        citations = self._citations(hub, records, rep_summaries)
        reception = Reception(
            work=hub,
            polarity=polarity,
            top_role=top_role,
            top_role_share=top_share,
            roles=roles,
            polarities=polarities,
        )
        works = (hub,) + tuple(c.citing for c in citations)
        return Bundle(
            source=SourceInfo(name=Path(self.name).name, sha256=self.sha256, media_type=MEDIA_TYPE),
            works=works,
            citations=citations,
            receptions=(reception,),
            notes=tuple(self.notes),
        )

    def _header(self) -> tuple[int, str]:
        """Where the hub header line is, and the polarity it names (at most a summary line before it)."""
        found = next(((i, m) for i, ln in enumerate(self.lines) if (m := _HUB.match(ln.text)) is not None), None)
        if found is None:
            raise self.error("no hub header: expected a line 'hub <Polarity> citations'", self.lines[0].no)
        header_at, m = found
        before = self.lines[:header_at]
        if len(before) > 1:
            raise self.error(
                "unexpected text before the hub header (only one summary line may stand there)",
                before[0].no,
            )
        if before and before[0].text in HEADINGS:
            raise self.error(f"heading {before[0].text!r} before the hub header", before[0].no)
        return header_at, polarity_key(m["label"], source=self.name, line=self.lines[header_at].no)

    def _behaviour(self, rest: list[_Line], polarity: str) -> tuple[str | None, Decimal | None, int]:
        """The most common role and its share from the behaviour sentence after the title, if there
        is one, and where the sections start."""
        pos = 1
        top_role, top_share = None, None
        if pos < len(rest) and rest[pos].text not in HEADINGS:
            m = _BEHAVIOUR.match(rest[pos].text)
            if m:
                ln = rest[pos]
                said = polarity_key(m["polarity"], source=self.name, line=ln.no)
                if said != polarity:
                    raise self.error(
                        f"behaviour sentence says {said!r} but the hub header says {polarity!r}", ln.no
                    )
                if m["role"]:
                    top_role = role_key(m["role"], source=self.name, line=ln.no)
                    top_share = _share(Decimal(m["pct"]) / 100, self, ln.no)
                pos += 1
        return top_role, top_share, pos

    def _sections(self, lines: list[_Line]) -> dict[str, list[_Line]]:
        sections: dict[str, list[_Line]] = {}
        current: str | None = None
        for ln in lines:
            if ln.text in HEADINGS:
                if ln.text in sections:
                    raise self.error(f"heading {ln.text!r} appears twice", ln.no)
                current = ln.text
                sections[current] = []
            elif current is None:
                raise self.error(f"unexpected line before any section heading: {ln.text[:60]!r}", ln.no)
            else:
                sections[current].append(ln)
        return sections

    def _shares(self, lines: list[_Line], to_key) -> list[Share]:
        rows: list[tuple[str, Decimal | None, int | None]] = []
        for ln in lines:
            m = _SHARE_LINE.match(ln.text)
            if not m:
                raise self.error(f"expected '<label> <share>%' or '<label> <count>', got {ln.text[:60]!r}", ln.no)
            key = to_key(m["label"], source=self.name, line=ln.no)
            num = Decimal(m["num"])
            if m["pct"]:
                rows.append((key, _share(num / 100, self, ln.no), None))
            elif num == num.to_integral_value() and "." not in m["num"]:
                rows.append((key, None, int(num)))
            else:
                rows.append((key, _share(num, self, ln.no), None))
        total = sum(c for _, _, c in rows if c is not None)
        out = []
        for key, share, count in rows:
            if share is None and count is not None and total:
                share = (Decimal(count) / total).quantize(Decimal("0.0001"))
            out.append(Share(label=key, share=share, count=count))
        return out

    def _records(self, lines: list[_Line]) -> list[tuple[_Line, str | None]]:
        """Explorer records as (title line, summary)."""
        records: list[tuple[_Line, list[str]]] = []
        expecting_title: _Line | None = None
        for ln in lines:
            if ln.text == "-" or ln.text.startswith("- "):
                if expecting_title is not None:
                    raise self.error("citing-paper record with no title", expecting_title.no)
                inline = ln.text[2:].strip()
                if inline:
                    records.append((_Line(ln.no, inline), []))
                else:
                    expecting_title = ln
            elif expecting_title is not None:
                records.append((ln, []))
                expecting_title = None
            elif records:
                records[-1][1].append(ln.text)
            else:
                raise self.error("citing-paper line before the first '-' separator", ln.no)
        if expecting_title is not None:
            self.notes.append(f"{self.name}:{expecting_title.no}: page ends with an empty record; ignored")
        return [(t, " ".join(s) or None) for t, s in records]

    def _citations(
        self, hub: Work, records: list[tuple[_Line, str | None]], rep: list[_Line]
    ) -> tuple[Citation, ...]:
        by_summary: dict[str, int] = {}
        for i, (_, summary) in enumerate(records):
            if summary:
                by_summary.setdefault(" ".join(summary.split()), i)
        representative: set[int] = set()
        for ln in rep:
            at = by_summary.get(" ".join(ln.text.split()))
            if at is None:
                self.notes.append(
                    f"{self.name}:{ln.no}: representative summary matches no citing-paper record; skipped"
                )
            else:
                representative.add(at)
        hub_key = normalize_title(hub.title or "")
        seen: dict[str, int] = {}
        citations: list[Citation] = []
        for i, (title_line, summary) in enumerate(records):
            key = normalize_title(title_line.text)
            if not key:
                raise self.error("citing-paper title has no letters or digits", title_line.no)
            if key == hub_key:
                self.notes.append(f"{self.name}:{title_line.no}: the hub paper listed as citing itself; skipped")
                continue
            if key in seen:
                self.notes.append(
                    f"{self.name}:{title_line.no}: same title as the record at line {seen[key]}; merged"
                )
                continue
            seen[key] = title_line.no
            work = Work(title=title_line.text, summary=summary)
            citations.append(
                Citation(citing=work, cited=hub, representative=i in representative, position=len(citations) + 1)
            )
        return tuple(citations)


def _hub_work(title: str, sections: dict[str, list[_Line]]) -> Work:
    """The hub paper: its title, and its abstract with the URLs in it (code hosts apart)."""
    abstract_lines = [ln.text for ln in sections.get(ABSTRACT, [])]
    abstract = "\n".join(abstract_lines) or None
    urls = tuple(dict.fromkeys(u.rstrip(".,;:") for u in _URL.findall(abstract or "")))
    code_urls = tuple(u for u in urls if any(f"//{h}/" in u or f".{h}/" in u for h in _CODE_HOSTS))
    return Work(title=title, abstract=abstract, urls=urls, code_urls=code_urls)


def _share(value: Decimal, parser: _Parser, line: int) -> Decimal:
    if not (0 <= value <= 1):
        raise parser.error(f"share {value} is outside 0..100%", line)
    return value.normalize() if value != 0 else Decimal(0)
