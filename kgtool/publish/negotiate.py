"""HTTP content negotiation on the Accept header (RFC 9110, section 12.5.1), with q-values."""

from __future__ import annotations

from dataclasses import dataclass

#: What a resource IRI offers, in the server's order of preference for ties.
OFFERS: tuple[str, ...] = ("text/html", "text/turtle", "application/ld+json", "application/n-triples")


@dataclass(frozen=True)
class MediaRange:
    type: str
    subtype: str
    q: float
    position: int


def parse_accept(header: str | None) -> list[MediaRange]:
    """The media ranges of an Accept header; malformed entries are skipped, as RFC 9110 allows."""
    if header is None:
        return [MediaRange("*", "*", 1.0, 0)]
    out: list[MediaRange] = []
    for pos, item in enumerate(header.split(",")):
        parts = [p.strip() for p in item.split(";")]
        if "/" not in parts[0]:
            continue
        t, _, s = parts[0].lower().partition("/")
        if not t or not s or (t == "*" and s != "*"):
            continue
        q = 1.0
        for param in parts[1:]:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value.strip())
                except ValueError:
                    q = -1.0
                break  # parameters after q are accept-extensions
        if not 0.0 <= q <= 1.0:
            continue
        out.append(MediaRange(t, s, q, pos))
    return out


def _match(offer: str, ranges: list[MediaRange]) -> tuple[float, int, int] | None:
    """(q, specificity, position) of the most specific range matching the offer."""
    t, _, s = offer.partition("/")
    best = None
    for r in ranges:
        if r.type == t and r.subtype == s:
            spec = 2
        elif r.type == t and r.subtype == "*":
            spec = 1
        elif r.type == "*":
            spec = 0
        else:
            continue
        if best is None or spec > best[1]:
            best = (r.q, spec, r.position)
    return best


def choose(header: str | None, offers: tuple[str, ...] = OFFERS) -> str | None:
    """The offered media type the client prefers, or None when it accepts none of them.

    Highest q wins; on equal q the more specific range, then the one listed first, then the
    server's order (so '*/*' alone, or no Accept header, gives the first offer: HTML).
    """
    ranges = parse_accept(header)
    if header is not None and not header.strip():
        ranges = [MediaRange("*", "*", 1.0, 0)]
    scored = []
    for i, offer in enumerate(offers):
        m = _match(offer, ranges)
        if m is None or m[0] <= 0:
            continue
        q, spec, pos = m
        scored.append((-q, -spec, pos, i, offer))
    return min(scored)[-1] if scored else None


#: The representation each offer is published as, relative to the resource IRI.
SUFFIXES = {"text/html": "/", "text/turtle": ".ttl", "application/ld+json": ".jsonld", "application/n-triples": ".nt"}


def main() -> None:  # pragma: no cover - exercised through Apache's RewriteMap in the docs
    """An Apache 'prg:' RewriteMap: one Accept header per line in, one suffix (or 406) per line out.

    Each line starts with one extra character (Apache never looks up an empty key), which is
    dropped. See docs/publishing.md.
    """
    import sys

    for line in sys.stdin:
        chosen = choose(line.rstrip("\r\n")[1:] or None)
        sys.stdout.write((SUFFIXES[chosen] if chosen else "406") + "\n")
        sys.stdout.flush()


if __name__ == "__main__":  # pragma: no cover
    main()
