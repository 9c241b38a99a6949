"""The shared HTTP client against a real local server: retries, Retry-After, timeouts, bad
bodies, the cache, offline mode, rate limits, the contact User-Agent and API-key hygiene."""

from __future__ import annotations

import json
import time
from email.utils import formatdate

import pytest
from werkzeug import Response

from kgtool.errors import ApiError, UsageError
from kgtool.read.http import Api, HttpClient, HttpSettings, build_url, redact, retry_after_seconds

API = Api("testapi", "http://127.0.0.1:9", "KGTOOL_TEST_API_URL", rate=0, key_env=("KGTOOL_TEST_KEY",), key_header="x-api-key")
SECRET = "s3cr3t-key-0123456789"


class Sleeps:
    """Records every wait the client asks for and sleeps a tiny fraction of it."""

    def __init__(self):
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        time.sleep(min(seconds, 0.01))


def drain(server, requests: int) -> None:
    """Wait until the server has answered ``requests`` requests, so that slow handlers a client
    gave up on do not finish during (and show up in the log of) the next test."""
    deadline = time.monotonic() + 5
    while len(server.log) < requests and time.monotonic() < deadline:
        time.sleep(0.02)


@pytest.fixture
def base(httpserver, monkeypatch):
    monkeypatch.setenv("KGTOOL_TEST_API_URL", httpserver.url_for("/api"))
    return httpserver


def client(tmp_path, sleeps=None, **kw) -> HttpClient:
    kw.setdefault("backoff", 0.001)
    kw.setdefault("cache_dir", tmp_path / "cache")
    return HttpClient(HttpSettings(sleep=sleeps or Sleeps(), **kw))


def test_get_json_parses_and_caches(base, tmp_path):
    base.expect_request("/api/things/1", query_string="a=1&b=x%20y").respond_with_json({"ok": [1, 2]})
    c = client(tmp_path)
    r = c.get_json(API, "/things/1", {"b": "x y", "a": 1})
    assert r.data == {"ok": [1, 2]} and not r.cached
    assert r.url.endswith("/api/things/1?a=1&b=x%20y")
    again = c.get_json(API, "/things/1", {"a": 1, "b": "x y"})
    assert again.cached and again.data == r.data and again.sha256 == r.sha256
    assert len(base.log) == 1  # the second answer came from the disk cache


def test_500_then_success_is_retried_with_backoff(base, tmp_path):
    base.expect_oneshot_request("/api/flaky").respond_with_data("oops", status=500)
    base.expect_oneshot_request("/api/flaky").respond_with_data("busy", status=503)
    base.expect_request("/api/flaky").respond_with_json({"fine": True})
    sleeps = Sleeps()
    messages: list[str] = []
    c = HttpClient(HttpSettings(sleep=sleeps, backoff=0.5, cache="off"), progress=messages.append)
    assert c.get_json(API, "/flaky").data == {"fine": True}
    assert sleeps.waits == [0.5, 1.0]  # exponential backoff
    assert len(base.log) == 3
    assert "HTTP 500" in messages[0] and "retry 1 of 4" in messages[0]


def test_429_honours_retry_after_seconds_and_http_date(base, tmp_path):
    base.expect_oneshot_request("/api/limited").respond_with_data("slow down", status=429, headers={"Retry-After": "3"})
    date = formatdate(time.time() + 30, usegmt=True)
    base.expect_oneshot_request("/api/limited").respond_with_data("slow down", status=429, headers={"Retry-After": date})
    base.expect_request("/api/limited").respond_with_json([])
    sleeps = Sleeps()
    assert client(tmp_path, sleeps, backoff=0.25).get_json(API, "/limited").data == []
    assert sleeps.waits[0] == 3.0
    assert 25 <= sleeps.waits[1] <= 30


def test_retry_after_longer_than_allowed_fails_at_once(base, tmp_path):
    base.expect_request("/api/limited").respond_with_data("", status=429, headers={"Retry-After": "3600"})
    with pytest.raises(ApiError, match=r"retry after 3600 s, longer than the 120 s allowed.*/api/limited"):
        client(tmp_path).get_json(API, "/limited")
    assert len(base.log) == 1


def test_gives_up_after_the_retries(base, tmp_path):
    base.expect_request("/api/down").respond_with_data("no", status=502)
    with pytest.raises(ApiError, match=r"HTTP 502; gave up after 3 attempts: http://127\.0\.0\.1:\d+/api/down$"):
        client(tmp_path, retries=2).get_json(API, "/down")
    assert len(base.log) == 3


def test_timeout_then_success(base, tmp_path):
    def slow(_request):
        time.sleep(1.0)
        return Response("{}", content_type="application/json")

    base.expect_oneshot_request("/api/slow").respond_with_handler(slow)
    base.expect_request("/api/slow").respond_with_json({"late": False})
    messages: list[str] = []
    c = HttpClient(HttpSettings(timeout=0.2, backoff=0.001, cache="off", sleep=Sleeps()), progress=messages.append)
    assert c.get_json(API, "/slow").data == {"late": False}
    assert "no answer within 0.2 s" in messages[0]
    drain(base, 2)


def test_timeout_every_time_is_an_error_naming_the_url(base, tmp_path):
    def slow(_request):
        time.sleep(0.5)
        return Response("{}", content_type="application/json")

    base.expect_request("/api/slow").respond_with_handler(slow)
    with pytest.raises(ApiError, match=r"no answer within 0\.1 s; gave up after 2 attempts: .*/api/slow"):
        client(tmp_path, timeout=0.1, retries=1).get_json(API, "/slow")
    drain(base, 2)


@pytest.mark.parametrize(
    "body, content_type, message",
    [
        ("<html><body>Service temporarily unavailable</body></html>", "text/html", r"not valid JSON \(Expecting value, line 1 column 1\)"),
        ('{"results": [{"id": "W1"}, {"id": "W2', "application/json", r"truncated JSON \(Unterminated string"),
        ('{"results": [', "application/json", r"truncated JSON"),
        ("", "application/json", r"empty response body"),
    ],
)
def test_malformed_bodies_are_clear_errors(base, tmp_path, body, content_type, message):
    base.expect_request("/api/bad").respond_with_data(body, content_type=content_type)
    with pytest.raises(ApiError, match=message + r".*: http://127\.0\.0\.1:\d+/api/bad"):
        client(tmp_path).get_json(API, "/bad")
    assert not (tmp_path / "cache").exists() or not any((tmp_path / "cache").rglob("*.json"))


@pytest.fixture
def cutting_server(monkeypatch):
    """A raw TCP server that announces 100 bytes of JSON, sends 12 and hangs up."""
    import socket
    import threading

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(5)
    hits: list[bytes] = []

    def serve():
        while True:
            try:
                conn, _ = sock.accept()
            except OSError:
                return
            with conn:
                hits.append(conn.recv(65536))
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                             b"Content-Length: 100\r\nConnection: close\r\n\r\n{\"results\": ")

    threading.Thread(target=serve, daemon=True).start()
    monkeypatch.setenv("KGTOOL_TEST_API_URL", f"http://127.0.0.1:{sock.getsockname()[1]}/api")
    yield hits
    sock.close()


def test_body_cut_short_is_retried_then_reported(cutting_server, tmp_path):
    with pytest.raises(ApiError, match=r"the response was cut short; gave up after 2 attempts: .*/api/cut$"):
        client(tmp_path, retries=1).get_json(API, "/cut")
    assert len(cutting_server) == 2


def test_404_and_other_4xx_are_not_retried(base, tmp_path):
    base.expect_request("/api/missing").respond_with_json({"error": "Paper with id X not found"}, status=404)
    base.expect_request("/api/forbidden").respond_with_data("nope", status=403)
    c = client(tmp_path)
    with pytest.raises(ApiError, match=r"not found \(HTTP 404\): Paper with id X not found: .*/api/missing"):
        c.get_json(API, "/missing")
    with pytest.raises(ApiError, match=r"HTTP 403 FORBIDDEN: .*/api/forbidden"):
        c.get_json(API, "/forbidden")
    assert len(base.log) == 2


def test_offline_uses_only_the_cache_and_fails_clearly_on_a_miss(base, tmp_path):
    base.expect_request("/api/a").respond_with_json({"a": 1})
    client(tmp_path).get_json(API, "/a")
    offline = client(tmp_path, cache="only")
    assert offline.get_json(API, "/a").data == {"a": 1}
    with pytest.raises(ApiError, match=r"offline, and no cached response for .*/api/b \(run once without --offline"):
        offline.get_json(API, "/b")
    assert len(base.log) == 1


def test_refresh_refetches_and_off_neither_reads_nor_writes(base, tmp_path):
    base.expect_oneshot_request("/api/v").respond_with_json({"v": 1})
    base.expect_oneshot_request("/api/v").respond_with_json({"v": 2})
    base.expect_oneshot_request("/api/v").respond_with_json({"v": 3})
    assert client(tmp_path).get_json(API, "/v").data == {"v": 1}
    assert client(tmp_path, cache="refresh").get_json(API, "/v").data == {"v": 2}
    assert client(tmp_path).get_json(API, "/v").data == {"v": 2}  # refreshed entry
    assert client(tmp_path, cache="off").get_json(API, "/v").data == {"v": 3}
    assert client(tmp_path).get_json(API, "/v").data == {"v": 2}  # 'off' did not write


def test_user_agent_carries_the_contact_and_the_key_stays_secret(base, tmp_path, monkeypatch):
    monkeypatch.setenv("KGTOOL_TEST_KEY", SECRET)
    base.expect_request("/api/ok", headers={"x-api-key": SECRET}).respond_with_json({"ok": 1})
    base.expect_request("/api/fail").respond_with_data("server error", status=500)
    messages: list[str] = []
    c = HttpClient(HttpSettings(mailto="team@example.org", cache_dir=tmp_path / "cache", backoff=0.001,
                                retries=1, sleep=Sleeps()), progress=messages.append)
    c.get_json(API, "/ok")
    ua = base.log[0][0].headers["User-Agent"]
    assert ua.startswith("kgtool/") and "mailto:team@example.org" in ua
    with pytest.raises(ApiError) as e:
        c.get_json(API, "/fail")
    assert SECRET not in str(e.value) and all(SECRET not in m for m in messages)
    cached = "".join(p.read_text() for p in (tmp_path / "cache").rglob("*.json"))
    assert cached and SECRET not in cached


def test_rate_limit_spaces_requests(base, tmp_path):
    base.expect_request("/api/r").respond_with_json({})
    c = HttpClient(HttpSettings(rate=20, cache="off"))
    start = time.monotonic()
    for _ in range(5):
        c.get_json(API, "/r")
    assert time.monotonic() - start >= 4 / 20 - 0.01


def test_cached_answers_are_not_rate_limited(base, tmp_path):
    base.expect_request("/api/r").respond_with_json({})
    sleeps = Sleeps()
    c = HttpClient(HttpSettings(rate=1, cache_dir=tmp_path / "cache", sleep=sleeps))
    for _ in range(5):
        c.get_json(API, "/r")
    assert sleeps.waits == [] and len(base.log) == 1


def test_pager_stops_a_cursor_that_never_advances(tmp_path):
    pager = HttpClient(HttpSettings(max_pages=3)).pager(API, "/things", {"filter": "x"})
    pager.advance("*")
    with pytest.raises(ApiError, match=r"paging does not advance.*'\*'"):
        pager.advance("*")
    pager.advance("a")
    pager.advance("b")
    with pytest.raises(ApiError, match="paging did not end after 3 pages"):
        pager.advance("c")


def test_a_password_in_the_base_url_stays_out_of_messages_and_cache(httpserver, monkeypatch, tmp_path):
    root = httpserver.url_for("/api").replace("http://", "http://user:pa55word@")
    monkeypatch.setenv("KGTOOL_TEST_API_URL", root)
    httpserver.expect_request("/api/p").respond_with_json({"p": 1})
    httpserver.expect_request("/api/q").respond_with_data("no", status=500)
    c = client(tmp_path, retries=0)
    assert c.get_json(API, "/p").data == {"p": 1}
    assert httpserver.log[0][0].authorization.password == "pa55word"  # it was sent...
    with pytest.raises(ApiError) as e:
        c.get_json(API, "/q")
    assert "pa55word" not in str(e.value) and "***@" in str(e.value)  # ...but never shown
    assert all("pa55word" not in p.read_text() for p in (tmp_path / "cache").rglob("*.json"))


def test_base_url_env_override_and_redaction(monkeypatch):
    monkeypatch.setenv("KGTOOL_TEST_API_URL", "https://user:pw@mirror.example.org/oa/")
    url = build_url(API, "/works", {"filter": "cites:W1", "api_key": "k"})
    assert url == "https://user:pw@mirror.example.org/oa/works?api_key=k&filter=cites:W1"
    assert redact(url) == "https://***@mirror.example.org/oa/works?api_key=***&filter=cites:W1"
    monkeypatch.setenv("KGTOOL_TEST_API_URL", "ftp://x")
    with pytest.raises(UsageError, match="KGTOOL_TEST_API_URL must be an http"):
        build_url(API, "/works")


def test_retry_after_forms():
    assert retry_after_seconds("7") == 7.0
    assert retry_after_seconds(None) is None and retry_after_seconds("soon") is None
    assert retry_after_seconds(formatdate(1000.0, usegmt=True), now=990.0) == pytest.approx(10.0)
    assert retry_after_seconds(formatdate(1000.0, usegmt=True), now=2000.0) == 0.0


def test_settings_from_env(monkeypatch):
    monkeypatch.setenv("KGTOOL_HTTP_TIMEOUT", "7.5")
    monkeypatch.setenv("KGTOOL_MAILTO", "me@example.org")
    s = HttpSettings.from_env(retries=2)
    assert (s.timeout, s.retries, s.mailto, s.backoff, s.rate) == (7.5, 2, "me@example.org", 0.001, 0.0)
    monkeypatch.setenv("KGTOOL_HTTP_BACKOFF", "fast")
    with pytest.raises(UsageError, match="KGTOOL_HTTP_BACKOFF must be a number"):
        HttpSettings.from_env()


def test_cache_survives_a_corrupt_entry(base, tmp_path):
    base.expect_request("/api/c").respond_with_json({"c": 1})
    c = client(tmp_path)
    c.get_json(API, "/c")
    (entry,) = (tmp_path / "cache").rglob("*.json")
    entry.write_text("{not json")
    assert client(tmp_path).get_json(API, "/c").data == {"c": 1}
    assert json.loads(json.loads(entry.read_text())["body"]) == {"c": 1}
