"""Inline SVG pictures: distribution bar charts and the small citation graph of a hub.

Every text from the data goes through html.escape; pictures carry a <title> for screen
readers and use currentColor so they follow the page's light or dark scheme.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from html import escape

# Colour-blind-safe palette (Okabe–Ito), in the order bars are drawn.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
POLARITY_COLOURS = {"supportive": "#009E73", "mixed": "#E69F00", "critical": "#D55E00", "neutral": "#56B4E9"}
REST_COLOUR = "#9a9a9a"


def percent(share: Decimal | None) -> str:
    """0.67 -> '67%' (half up, so the same share always prints the same)."""
    if share is None:
        return ""
    return f"{(share * 100).quantize(Decimal('1'), rounding=ROUND_HALF_UP)}%"


@dataclass(frozen=True)
class Bar:
    label: str
    share: Decimal
    colour: str
    note: str = ""  # e.g. '3 citations'


def bar_chart(bars: list[Bar], title: str) -> str:
    """A horizontal bar chart; bar lengths are shares of the whole."""
    row, top, label_w, bar_w = 30, 6, 130, 150
    height = top * 2 + row * len(bars)
    desc = ", ".join(f"{b.label} {percent(b.share)}" for b in bars)
    parts = [
        f'<svg class="chart" viewBox="0 0 360 {height}" width="360" height="{height}" role="img" '
        f'aria-label="{escape(title)}: {escape(desc)}">',
        f"<title>{escape(title)}: {escape(desc)}</title>",
    ]
    for i, b in enumerate(bars):
        y = top + i * row
        w = max(1.0, float(b.share) * bar_w) if b.share > 0 else 0.0
        parts.append(
            f'<text x="{label_w - 8}" y="{y + 19}" text-anchor="end" fill="currentColor">'
            f"{escape(_clip(b.label, 18))}</text>"
            f'<rect x="{label_w}" y="{y + 5}" width="{bar_w}" height="18" rx="3" fill="currentColor" opacity="0.08"/>'
            f'<rect x="{label_w}" y="{y + 5}" width="{w:.1f}" height="18" rx="3" fill="{b.colour}"/>'
            f'<text x="{label_w + bar_w + 8}" y="{y + 19}" fill="currentColor">{escape(percent(b.share))}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


@dataclass(frozen=True)
class Node:
    """A neighbour of the hub in the citation picture."""

    number: str  # as in the page's lists
    title: str
    href: str | None
    incoming: bool  # True: it cites the hub; False: the hub cites it
    highlight: bool = False  # a representative citing paper


def citation_graph(hub_title: str, nodes: list[Node], shown_of: int) -> str:
    """The hub in the middle, its neighbours on a ring, an arrow for each citation."""
    size, c = 420, 210
    n = max(1, len(nodes))
    ring = 160 if n > 12 else 120
    label = escape(f"Citation graph of {hub_title}: {len(nodes)} of {shown_of} neighbouring works")
    parts = [
        f'<svg class="graph" viewBox="0 0 {size} {size}" width="{size}" height="{size}" '
        f'role="img" aria-label="{label}">',
        f"<title>{label}</title>",
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="currentColor" opacity="0.55"/></marker></defs>',
    ]
    hub_r, node_r = 30, 12
    for i, node in enumerate(nodes):
        a = -math.pi / 2 + 2 * math.pi * i / n
        x, y = c + ring * math.cos(a), c + ring * math.sin(a)
        dx, dy = math.cos(a), math.sin(a)
        # the edge runs between the two circles' rims, pointing from citing to cited
        x1, y1 = x - dx * (node_r + 2), y - dy * (node_r + 2)
        x2, y2 = c + dx * (hub_r + 3), c + dy * (hub_r + 3)
        if not node.incoming:
            x1, y1, x2, y2 = x2, y2, x1, y1
        parts.append(
            f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="currentColor" '
            f'stroke-opacity="0.4" marker-end="url(#arrow)"/>'
        )
        fill = PALETTE[0] if node.highlight else ("#56B4E9" if node.incoming else PALETTE[1])
        shape = (
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{node_r}" fill="{fill}"/>'
            if node.incoming
            else (
                f'<rect x="{x - node_r:.1f}" y="{y - node_r:.1f}" width="{2 * node_r}" height="{2 * node_r}" '
                f'rx="3" fill="{fill}"/>'
            )
        )
        text = (
            f'<text x="{x:.1f}" y="{y + 4:.1f}" text-anchor="middle" font-size="11" fill="#fff">'
            f"{escape(node.number)}</text>"
        )
        tip = f"<title>{escape(node.number)}. {escape(node.title)}</title>"
        if node.href:
            parts.append(f'<a href="{escape(node.href)}">{tip}{shape}{text}</a>')
        else:
            parts.append(f"<g>{tip}{shape}{text}</g>")
    parts.append(
        f'<circle cx="{c}" cy="{c}" r="{hub_r}" fill="#333" stroke="currentColor"/>'
        f'<text x="{c}" y="{c + 4}" text-anchor="middle" font-size="11" fill="#fff">'
        f"{escape(_clip(hub_title, 9))}</text>"
    )
    parts.append("</svg>")
    return "".join(parts)


def _clip(text: str, n: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1].rstrip() + "…"
