"""Reading citation-hub pages: the shared sample, tolerated variations, and clear errors."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kgtool.errors import InputError
from kgtool.read.sources.hub import parse_hub_page, read_hub_page

PAGE = """\
Summary of the first citing paper.
hub Mixed citations
A Hub Paper: On Things
Mixed citation behavior. Most common role is method (40%).
abstract
We study things. Code at https://github.com/acme/things.
hub tools
citation-role summary
citation-polarity summary
representative citing papers
Summary of the second citing paper.
citing papers explorer
-
First Citing Paper
Summary of the first citing paper.
-
Second Citing Paper
Summary of the second citing paper.
-
Third Citing Paper
Summary of the third citing paper.
"""


def parse(text: str, name: str = "page.txt"):
    return parse_hub_page(text.encode("utf-8"), name)


def test_shared_sample_gives_what_the_format_doc_lists(shared_hub_sample):
    b = read_hub_page(shared_hub_sample)
    hub = b.receptions[0].work
    assert hub.title == "SpaceR: Reinforcing MLLMs in Video Spatial Reasoning"
    assert hub.abstract and hub.abstract.startswith("Video spatial reasoning")
    assert hub.code_urls == ("https://github.com/OuyangKun10/SpaceR",)
    assert len(b.citations) == 29
    assert {c.cited for c in b.citations} == {hub}
    assert len({c.citing.title for c in b.citations}) == 29
    assert sum(1 for c in b.citations if c.citing.summary) == 28
    assert sum(1 for c in b.citations if c.representative) == 24
    # the line above the header plus the 23 representative lines are the first 24 records
    assert [c.representative for c in b.citations] == [True] * 24 + [False] * 5
    r = b.receptions[0]
    assert (r.polarity, r.top_role, r.top_role_share) == ("mixed", "background", Decimal("0.67"))
    assert b.citations[-1].citing.title.startswith("EgoMind")
    assert b.citations[-1].citing.summary is None
    assert b.notes == ()


def test_basic_page():
    b = parse(PAGE)
    assert [c.citing.title for c in b.citations] == ["First Citing Paper", "Second Citing Paper", "Third Citing Paper"]
    assert [c.representative for c in b.citations] == [True, True, False]
    assert [c.position for c in b.citations] == [1, 2, 3]
    assert b.receptions[0].top_role == "method"
    assert b.works[0].code_urls == ("https://github.com/acme/things",)
    assert b.source.name == "page.txt" and len(b.source.sha256) == 64


def test_crlf_blank_lines_and_whitespace_give_the_same_records():
    messy = "\r\n\r\n".join("  " + line + " \t" for line in PAGE.splitlines()) + "\r\n\r\n"
    a, b = parse(PAGE), parse(messy)
    assert a.works == b.works and a.citations == b.citations and a.receptions == b.receptions


def test_missing_optional_sections():
    text = "hub Neutral citations\nLonely Paper\nabstract\nJust an abstract.\n"
    b = parse(text)
    assert b.citations == () and b.receptions[0].polarity == "neutral"
    assert b.receptions[0].top_role is None
    b = parse("hub Supportive citations\nA Paper\nciting papers explorer\n-\nOther Paper\nIt cites.\n")
    assert b.works[0].abstract is None and len(b.citations) == 1


def test_cut_short_last_record_and_trailing_separator():
    b = parse(PAGE + "- Fourth Citing Paper, Cut Short")
    assert b.citations[-1].citing.title == "Fourth Citing Paper, Cut Short"
    assert b.citations[-1].citing.summary is None
    b = parse(PAGE + "-\n")
    assert len(b.citations) == 3 and "empty record" in b.notes[0]


def test_data_lines_under_summary_headings():
    text = PAGE.replace(
        "citation-role summary\ncitation-polarity summary\n",
        "citation-role summary\nmethod 40%\nbackground: 35%\nComparison (25%)\n"
        "citation-polarity summary\nsupportive 6\nneutral: 3\ncritical 1 citation\n",
    )
    r = parse(text).receptions[0]
    assert [(s.label, s.share, s.count) for s in r.roles] == [
        ("method", Decimal("0.4"), None),
        ("background", Decimal("0.35"), None),
        ("comparison", Decimal("0.25"), None),
    ]
    assert [(s.label, s.share, s.count) for s in r.polarities] == [
        ("supportive", Decimal("0.6"), 6),
        ("neutral", Decimal("0.3"), 3),
        ("critical", Decimal("0.1"), 1),
    ]


def test_representative_summary_without_record_is_reported_not_dropped_silently():
    b = parse(PAGE.replace("representative citing papers\n", "representative citing papers\nNo such summary.\n"))
    assert any("matches no citing-paper record" in n for n in b.notes)


def test_duplicate_titles_become_one_work():
    b = parse(PAGE + "-\nfirst citing paper\nAgain.\n")
    assert len(b.citations) == 3 and any("merged" in n for n in b.notes)


@pytest.mark.parametrize(
    "text, line, words",
    [
        ("", 1, "empty file"),
        ("\n  \n\r\n", 1, "empty file"),
        ("abstract\nno hub header here\n", 1, "no hub header"),
        ("hub Mixed citations\n", 1, "no hub title"),
        ("hub Mixed citations\nabstract\nText\n", 1, "no hub title"),
        ("hub Mixed citations\nT\ncitation-role summary\nfoo bar baz\n", 4, "expected '<label> <share>%'"),
        ("hub Mixed citations\nT\ncitation-role summary\nteleportation 50%\n", 4, "unknown citation role"),
        ("hub Groovy citations\nT\n", 1, "unknown citation polarity"),
        ("hub Mixed citations\nT\ncitation-role summary\nmethod 150%\n", 4, "outside 0..100%"),
        ("hub Mixed citations\nT\ncitation-role summary\nmethod 1.5\n", 4, "outside 0..100%"),
        ("hub Mixed citations\nT\nciting papers explorer\n-\n-\nTitle\n", 4, "record with no title"),
        ("hub Mixed citations\nT\nciting papers explorer\nTitle first\n", 4, "before the first '-'"),
        ("hub Mixed citations\nT\nSupportive citation behavior.\n", 3, "behaviour sentence says"),
        ("hub Mixed citations\nT\nabstract\nA\nabstract\nB\n", 5, "appears twice"),
        ("one\ntwo\nhub Mixed citations\nT\n", 1, "before the hub header"),
        ("hub Mixed citations\nT\nstray text\n", 3, "before any section heading"),
    ],
)
def test_bad_pages_raise_one_line_errors_with_file_and_line(text, line, words):
    with pytest.raises(InputError) as e:
        parse(text, "bad.txt")
    msg = str(e.value)
    assert msg.startswith(f"bad.txt:{line}: "), msg
    assert words in msg and "\n" not in msg


def test_undecodable_bytes_name_the_line():
    data = b"hub Mixed citations\nTitle\nabstract\nbad \xff byte\n"
    with pytest.raises(InputError) as e:
        parse_hub_page(data, "bin.txt")
    assert str(e.value).startswith("bin.txt:4: not valid UTF-8")


def test_utf8_bom_and_unicode_titles():
    b = parse_hub_page("\ufeffhub Mixed citations\nÉtude « $x^2$ »: – dash\n".encode("utf-8"), "p.txt")
    assert b.works[0].title == "Étude « $x^2$ »: – dash"
