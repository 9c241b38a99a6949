"""Helpers for the publishing tests: read a site's pages and links like a crawler would."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit


class PageParser(HTMLParser):
    """Collects links, scripts, stylesheets, alternates, ids and the visible text of a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.refs: list[tuple[str, str, dict]] = []  # (tag, url, attrs)
        self.ids: set[str] = set()
        self.text: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append(tag)
        if "id" in a:
            self.ids.add(a["id"])
        for name in ("href", "src"):
            if a.get(name) is not None:
                self.refs.append((tag, a[name], a))

    def handle_data(self, data):
        self.text.append(data)

    @property
    def visible_text(self) -> str:
        return " ".join(" ".join(self.text).split())


def parse_page(path: Path) -> PageParser:
    p = PageParser()
    p.feed(path.read_text(encoding="utf-8"))
    return p


def page_url(site: Path, file: Path) -> str:
    """The URL of a site file below a pretend root, as a browser would see it."""
    rel = file.relative_to(site).as_posix()
    if rel.endswith("/index.html") or rel == "index.html":
        rel = rel[: -len("index.html")]
    return "http://site.test/" + rel


def resolve_link(site: Path, page_file: Path, href: str) -> Path | None:
    """The file an internal link points at (None for links to other hosts)."""
    url = urljoin(page_url(site, page_file), href)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or parts.netloc != "site.test":
        return None
    path = unquote(parts.path)[1:]
    target = site / path
    if path == "" or path.endswith("/"):
        target = target / "index.html"
    return target


def html_files(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))
