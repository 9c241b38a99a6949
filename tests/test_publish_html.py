from decimal import Decimal

from kgtool.publish.charts import percent
from kgtool.publish.html import external, paragraphs


def test_abstract_text_is_escaped_linked_and_its_latex_styling_rendered():
    html = paragraphs("We present $\\textbf{SpaceR <x>}$, 11.6\\% better and $10\\times$ faster.\n"
                      "Code: https://github.com/a/b. <script>alert(1)</script>")
    assert "<strong>SpaceR &lt;x&gt;</strong>" in html
    assert "11.6% better and 10× faster" in html
    assert '<a href="https://github.com/a/b" rel="external noopener">https://github.com/a/b</a>.' in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>" not in html
    assert html.count("<p>") == 2


def test_only_http_links_are_links():
    assert external("javascript:alert(1)") == "javascript:alert(1)"
    assert external('https://x.org/"><b>') == '<a href="https://x.org/&quot;&gt;&lt;b&gt;" rel="external noopener">https://x.org/&quot;&gt;&lt;b&gt;</a>'


def test_percent_rounds_half_up():
    assert [percent(Decimal(v)) for v in ("0.67", "0.125", "0.6667", "1", "0")] == ["67%", "13%", "67%", "100%", "0%"]
