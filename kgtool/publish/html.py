"""The HTML page frame shared by every page; all data text is escaped here or by callers.

Pages load one stylesheet (and the index one script) from the site itself: no script or
font from another host.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from html import escape

from .layout import FORMAT_NAMES, RDF_SUFFIXES, relative

_URL = re.compile(r"https?://[^\s<>\"'{}|\\^`\]\)]+")


def esc(text: object) -> str:
    """Escape text for an HTML text node or a double-quoted attribute."""
    return escape(str(text), quote=True)


def link(href: str | None, text: str, cls: str = "") -> str:
    """An <a>, or the escaped text alone when there is nowhere to link to."""
    if not href:
        return esc(text)
    c = f' class="{cls}"' if cls else ""
    return f'<a href="{esc(href)}"{c}>{esc(text)}</a>'


def external(url: str, text: str | None = None) -> str:
    """A link to another host (only http/https; anything else is shown as text)."""
    if not url.startswith(("http://", "https://")):
        return esc(text or url)
    return f'<a href="{esc(url)}" rel="external noopener">{esc(text or url)}</a>'


def linkify(text: str) -> str:
    """Escape text and turn the http(s) URLs in it into links."""
    out, last = [], 0
    for m in _URL.finditer(text):
        url = m.group(0).rstrip(".,;:")
        out.append(esc(text[last : m.start()]))
        out.append(external(url))
        last = m.start() + len(url)
    out.append(esc(text[last:]))
    return "".join(out)


_TEX_STYLE = re.compile(r"\$?\\(textbf|textit|emph|texttt)\{([^{}$\\]*)\}\$?")
_TEX_TAGS = {"textbf": "strong", "textit": "em", "emph": "em", "texttt": "code"}
_TEX_SIMPLE = re.compile(r"\$([^$\\]*)\\times([^$\\]*)\$")


def _tex_lite(text: str) -> str:
    """Escaped HTML for text with the few LaTeX bits abstracts carry ($\\textbf{X}$, \\%, $10\\times$)."""
    text = text.replace("\\%", "%").replace("\\&", "&").replace("\\_", "_")
    text = _TEX_SIMPLE.sub(lambda m: f"{m.group(1)}×{m.group(2)}", text)
    out, last = [], 0
    for m in _TEX_STYLE.finditer(text):
        tag = _TEX_TAGS[m.group(1)]
        out.append(linkify(text[last : m.start()]))
        out.append(f"<{tag}>{esc(m.group(2))}</{tag}>")
        last = m.end()
    out.append(linkify(text[last:]))
    return "".join(out)


def paragraphs(text: str, cls: str = "") -> str:
    """Paragraphs of an abstract: escaped, URLs linked, simple LaTeX styling rendered."""
    c = f' class="{cls}"' if cls else ""
    return "".join(f"<p{c}>{_tex_lite(p)}</p>" for p in text.split("\n") if p.strip())


def page(
    *,
    title: str,
    body: str,
    here: str,
    site_name: str,
    resource_url: str | None = None,
    description: str | None = None,
    scripts: tuple[str, ...] = (),
) -> str:
    """A whole HTML document.

    ``here`` is the page's folder below the site root ('' or 'a/b/'); ``resource_url`` is the
    resource's URL path below the root (without suffix) when the page describes a resource:
    the page then names its RDF representations as alternates.
    """

    def rel(to: str) -> str:
        return relative(here, to)

    head = _head(title, site_name, rel, resource_url, description, scripts)
    nav = (
        '<a class="skip" href="#content">Skip to content</a>\n'
        '<header class="site"><nav aria-label="Site">'
        f'<a class="home" href="{esc(rel("index.html"))}">{esc(site_name)}</a>'
        f'<a href="{esc(rel("works-by-title.html"))}">All works</a>'
        f'<a href="{esc(rel("void.ttl"))}" type="text/turtle">Dataset description</a>'
        "</nav></header>"
    )
    return (
        "\n".join(head)
        + "\n<body>\n"
        + nav
        + '\n<main id="content" tabindex="-1">\n'
        + body
        + "\n</main>\n"
        + _foot(rel, resource_url)
        + "\n</body>\n</html>\n"
    )


def _head(
    title: str,
    site_name: str,
    rel: Callable[[str], str],
    resource_url: str | None,
    description: str | None,
    scripts: tuple[str, ...],
) -> list[str]:
    """The document's start up to </head>: title, description, stylesheet, alternates, scripts."""
    head = [
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{esc(title)} · {esc(site_name)}</title>",
        '<meta name="generator" content="kgtool">',
    ]
    if description:
        head.append(f'<meta name="description" content="{esc(_clip(description, 300))}">')
    head.append(f'<link rel="stylesheet" href="{esc(rel("assets/kgtool.css"))}">')
    if resource_url is not None:
        for suffix, media in RDF_SUFFIXES.items():
            head.append(f'<link rel="alternate" type="{media}" href="{esc(rel(resource_url + suffix))}">')
    head.append(f'<link rel="describedby" type="text/turtle" href="{esc(rel("void.ttl"))}">')
    for s in scripts:
        head.append(f'<script src="{esc(rel(s))}" defer></script>')
    head.append("</head>")
    return head


def _foot(rel: Callable[[str], str], resource_url: str | None) -> str:
    """The site footer; a resource's page links its RDF representations there."""
    foot = ['<footer class="site">']
    if resource_url is not None:
        alt_links = " · ".join(
            f'<a href="{esc(rel(resource_url + s))}" type="{m}">{FORMAT_NAMES[s]}</a>'
            for s, m in RDF_SUFFIXES.items()
        )
        if alt_links:
            foot.append(f"<p>This resource as data: {alt_links}</p>")
    foot.append(
        f'<p>Generated by kgtool from the knowledge graph · '
        f'<a href="{esc(rel("void.ttl"))}" type="text/turtle">VoID and DCAT</a> · '
        f'<a href="{esc(rel("sitemap.xml"))}">sitemap</a></p></footer>'
    )
    return "\n".join(foot)


def _clip(text: str, n: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1].rstrip() + "…"
