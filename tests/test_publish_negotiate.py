import pytest

from kgtool.publish.negotiate import choose, parse_accept

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"


@pytest.mark.parametrize(
    "accept, expected",
    [
        (None, "text/html"),
        ("", "text/html"),
        ("*/*", "text/html"),
        (BROWSER, "text/html"),
        ("text/turtle", "text/turtle"),
        ("application/ld+json", "application/ld+json"),
        ("application/n-triples", "application/n-triples"),
        ("text/turtle;q=0.5, application/ld+json;q=0.9", "application/ld+json"),
        ("text/html;q=0.1, text/turtle", "text/turtle"),
        ("text/turtle, application/ld+json", "text/turtle"),  # equal q: the one listed first
        ("application/ld+json, text/turtle", "application/ld+json"),
        ("*/*;q=0.1, application/n-triples", "application/n-triples"),
        ("text/*", "text/html"),  # equal q and specificity: the server's order
        ("text/*;q=0.3, text/turtle;q=0.4", "text/turtle"),
        ("text/turtle;q=0, */*", "text/html"),
        ("TEXT/Turtle ; Q=0.8", "text/turtle"),
        ("text/turtle;charset=utf-8;q=0.7, text/html;q=0.6", "text/turtle"),
        ("application/rdf+xml", None),
        ("image/png", None),
        ("text/turtle;q=0", None),
        ("text/turtle;q=abc, application/ld+json", "application/ld+json"),
    ],
)
def test_choose(accept, expected):
    assert choose(accept) == expected


def test_malformed_ranges_are_skipped():
    ranges = parse_accept("garbage, */html, text/turtle;q=2, application/ld+json;q=0.5")
    assert [(r.type, r.subtype, r.q) for r in ranges] == [("application", "ld+json", 0.5)]
