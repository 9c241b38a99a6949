"""The hub report and the search box in a real headless Chromium (skipped where none is installed)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from html import unescape
from pathlib import Path

import pytest
from rdflib import Graph, Literal
from rdflib.namespace import DCTERMS
from serve_process import kgtool_serve
from site_fixtures import BASE, write_fixture_graph

from kgtool.publish import build_site

BROWSERS = ("chromium", "chromium-browser")
SAMPLE_TITLE = "SpaceR: Reinforcing MLLMs in Video Spatial Reasoning"


def browser() -> str:
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    pytest.skip("no Chromium installed (apt-get install chromium)")


def chromium(tmp_path: Path, url: str, *args: str) -> subprocess.CompletedProcess:
    profile = tmp_path / f"profile-{len(list(tmp_path.glob('profile-*')))}"
    profile.mkdir()
    cmd = [
        browser(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        f"--user-data-dir={profile}", *args, url,
    ]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def page_text(dom: str) -> str:
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", dom, flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", body)).split())


def test_shared_sample_hub_report_in_chromium(tmp_path, shared_hub_sample):
    browser()
    exports = tmp_path / "exports"
    r = subprocess.run([sys.executable, "-m", "kgtool", "-q", "build", str(shared_hub_sample), "--out", str(exports),
                        "--base", BASE], capture_output=True, text=True, timeout=180)
    assert r.returncode == 0, r.stderr
    site = tmp_path / "site"
    r = subprocess.run([sys.executable, "-m", "kgtool", "-q", "site", *map(str, sorted(exports.glob("*.ttl"))),
                        "--out", str(site), "--base", BASE], capture_output=True, text=True, timeout=180)
    assert r.returncode == 0, r.stderr
    with kgtool_serve(site) as url:
        # the hub's IRI, as a browser asks for it: 303 to the page
        g = Graph().parse(next(exports.glob("*.ttl")), format="turtle")
        (hub,) = g.subjects(DCTERMS.title, Literal(SAMPLE_TITLE))
        hub_url = url + str(hub)[len(BASE):]
        dom = chromium(tmp_path, hub_url, "--dump-dom")
        assert dom.returncode == 0, dom.stderr[-2000:]
        text = page_text(dom.stdout)
        for expected in (SAMPLE_TITLE, "Mixed", "background", "67%", "All citing works (29)",
                         "Representative citing papers (24)"):
            assert expected in text
        for name, size in (("hub-desktop.png", "1280,2600"), ("hub-phone.png", "390,2400")):
            shot = tmp_path / name
            r = chromium(tmp_path, hub_url, f"--screenshot={shot}", f"--window-size={size}", "--hide-scrollbars")
            assert r.returncode == 0 and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", r.stderr[-2000:]
            assert shot.stat().st_size > 20_000  # a rendered page, not a blank one


def test_search_box_finds_works_offline(tmp_path):
    browser()
    _, graph = write_fixture_graph(tmp_path)
    build_site(graph, tmp_path / "site", BASE)
    with kgtool_serve(tmp_path / "site") as url:
        r = chromium(tmp_path, url + "?q=citer", "--virtual-time-budget=10000", "--dump-dom")
        assert r.returncode == 0, r.stderr[-2000:]
        results = re.search(r'<ol id="search-results"[^>]*>(.*?)</ol>', r.stdout, re.S)
        assert results, r.stdout[:2000]
        found = page_text(results.group(1))
        assert "Another Citer" in found
        assert "Citing With Roles" not in found  # 'citer' is not in 'Citing'
        assert "1 work matches" in page_text(r.stdout)
        # the evil title is found and shown as text, not markup
        r = chromium(tmp_path, url + "works-by-title.html?q=alert", "--virtual-time-budget=10000", "--dump-dom")
        results = re.search(r'<ol id="search-results"[^>]*>(.*?)</ol>', r.stdout, re.S)
        assert "&lt;script&gt;alert" in results.group(1) and "<script>alert" not in results.group(1)
