"""sitemap.xml for crawlers (a sitemap index when there are more URLs than one file may hold)."""

from __future__ import annotations

from html import escape

MAX_URLS = 50_000  # the sitemap protocol's limit per file

_HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n'
_NS = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'


def sitemaps(urls: list[str], base: str) -> dict[str, str]:
    """File name -> XML text: 'sitemap.xml' alone, or an index plus 'sitemap-N.xml' files."""
    if len(urls) <= MAX_URLS:
        return {"sitemap.xml": _urlset(urls)}
    files: dict[str, str] = {}
    chunks = [urls[i : i + MAX_URLS] for i in range(0, len(urls), MAX_URLS)]
    for n, chunk in enumerate(chunks, start=1):
        files[f"sitemap-{n}.xml"] = _urlset(chunk)
    entries = "".join(f"<sitemap><loc>{escape(base + name)}</loc></sitemap>\n" for name in files)
    files["sitemap.xml"] = f"{_HEAD}<sitemapindex {_NS}>\n{entries}</sitemapindex>\n"
    return files


def _urlset(urls: list[str]) -> str:
    body = "".join(f"<url><loc>{escape(u)}</loc></url>\n" for u in urls)
    return f"{_HEAD}<urlset {_NS}>\n{body}</urlset>\n"
