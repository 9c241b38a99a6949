"""Secrets and fetch limits against real local servers: keys never follow a redirect to
another origin, echoed keys are masked, a trickling answer hits the deadline, big answers and
endless crawls hit their caps."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from click.testing import CliRunner

from kgtool.cli import main
from kgtool.errors import ApiError, EndpointError
from kgtool.push.endpoint import Endpoint
from kgtool.read.http import HttpClient, HttpSettings
from kgtool.read.sources import opencitations, semanticscholar

KEY = "s2-k3y-ABCDEFGHIJ0123456789"
TOKEN = "oc-t0ken-ZYXWVUTSRQ9876543210"


class Server:
    """A real HTTP server on 127.0.0.1 whose answers a test scripts; records every request."""

    def __init__(self, answer):
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _any(self):
                n = int(self.headers.get("Content-Length") or 0)
                if n:
                    self.rfile.read(n)
                outer.requests.append((self.command, self.path, {k.lower(): v for k, v in self.headers.items()}))
                answer(self)

            do_GET = do_POST = _any

            def log_message(self, *a):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def servers():
    made: list[Server] = []

    def make(answer) -> Server:
        made.append(Server(answer))
        return made[-1]

    yield make
    for s in made:
        s.close()


def send(h: BaseHTTPRequestHandler, status: int, body: bytes = b"", ctype: str = "application/json", **headers):
    h.send_response(status)
    h.send_header("Content-Type", ctype)
    h.send_header("Content-Length", str(len(body)))
    for k, v in headers.items():
        h.send_header(k.replace("_", "-"), v)
    h.end_headers()
    h.wfile.write(body)


def client(tmp_path, **kw) -> HttpClient:
    kw.setdefault("retries", 0)
    return HttpClient(HttpSettings(cache="off", cache_dir=tmp_path / "cache", sleep=lambda s: None, **kw))


@pytest.mark.parametrize("api,env,secret,header", [
    (semanticscholar.API, "KGTOOL_S2_API_KEY", KEY, "x-api-key"),
    (opencitations.API, "KGTOOL_OPENCITATIONS_TOKEN", TOKEN, "authorization"),
])
def test_no_key_follows_a_redirect_to_another_origin(servers, tmp_path, monkeypatch, api, env, secret, header):
    other = servers(lambda h: send(h, 200, b'{"ok": true}'))
    first = servers(lambda h: send(h, 302, b"", Location=f"{other.url}/elsewhere")
                    if h.path.startswith("/away") else
                    send(h, 302, b"", Location="/away-same-origin") if h.path.startswith("/hop") else None)
    monkeypatch.setenv(api.url_env, first.url)
    monkeypatch.setenv(env, secret)
    with client(tmp_path) as c:
        r = c.get_json(api, "/hop")
    assert r.data == {"ok": True}
    # the same origin got the key on both hops; the other port never did
    assert [p for _, p, _ in first.requests] == ["/hop", "/away-same-origin"]
    assert all(hd.get(header) == secret for _, _, hd in first.requests)
    assert len(other.requests) == 1 and header not in other.requests[0][2]
    assert secret not in json.dumps(other.requests)


def test_endpoint_credentials_do_not_follow_a_redirect_to_another_origin(servers, monkeypatch):
    results = json.dumps({"head": {"vars": ["n"]}, "results": {"bindings": [
        {"n": {"type": "literal", "value": "1"}}]}}).encode()
    other = servers(lambda h: send(h, 200, results, ctype="application/sparql-results+json"))
    first = servers(lambda h: send(h, 307, b"", Location=f"{other.url}/query"))
    ep = Endpoint.from_base(first.url, env={"KGTOOL_ENDPOINT_TOKEN": TOKEN}, retries=0)
    assert ep.query("SELECT ?n {}").rows
    assert first.requests[0][2].get("authorization") == f"Bearer {TOKEN}"
    assert other.requests and all("authorization" not in hd for _, _, hd in other.requests)


def test_a_key_echoed_in_an_error_body_is_masked(servers, tmp_path, monkeypatch):
    def echo(h):
        got = h.headers.get("x-api-key", "")
        send(h, 401, json.dumps({"message": f"key {got} is not valid (encoded: {got.replace('-', '%2D')})"}).encode(),
             ctype="application/json")

    s = servers(echo)
    monkeypatch.setenv("KGTOOL_S2_URL", s.url)
    monkeypatch.setenv("KGTOOL_S2_API_KEY", KEY)
    with client(tmp_path) as c, pytest.raises(ApiError) as e:
        c.get_json(semanticscholar.API, "/graph/v1/paper/x")
    assert KEY not in str(e.value) and "***" in str(e.value) and "HTTP 401" in str(e.value)
    # and through the command line, one line, exit 2
    r = CliRunner().invoke(main, ["fetch", "s2", "arXiv:2504.01805", "--no-cache", "--retries", "0",
                                  "--out", str(tmp_path / "o")])
    assert r.exit_code == 2 and KEY not in r.output and KEY not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and "***" in r.stderr


def test_an_endpoint_answer_echoing_the_token_is_masked(servers, monkeypatch):
    s = servers(lambda h: send(h, 400, f"bad request from token {TOKEN}".encode(), ctype="text/plain"))
    monkeypatch.setenv("KGTOOL_ENDPOINT_TOKEN", TOKEN)
    ep = Endpoint.from_base(s.url, retries=0)
    with pytest.raises(EndpointError) as e:
        ep.query("ASK {}")
    assert s.requests[0][2]["authorization"] == f"Bearer {TOKEN}"
    assert TOKEN not in str(e.value) and "bad request from token ***" in str(e.value)


def trickle(headers_slowly: bool = False, gap: float = 0.05):
    def answer(h):
        head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n"
        try:
            if headers_slowly:
                for b in head:
                    h.wfile.write(bytes([b]))
                    h.wfile.flush()
                    time.sleep(gap)
            else:
                h.wfile.write(head)
            for _ in range(100000):
                h.wfile.write(b" ")
                h.wfile.flush()
                time.sleep(gap)
        except OSError:
            pass
        h.close_connection = True
    return answer


@pytest.mark.parametrize("headers_slowly", [False, True], ids=["body", "headers"])
def test_a_trickling_answer_hits_the_total_deadline(servers, tmp_path, monkeypatch, headers_slowly):
    s = servers(trickle(headers_slowly))
    monkeypatch.setenv("KGTOOL_OPENALEX_URL", s.url)
    from kgtool.read.sources import openalex

    t0 = time.monotonic()
    with client(tmp_path, timeout=5, deadline=1.0) as c, pytest.raises(ApiError) as e:
        c.get_json(openalex.API, "/works/W1")
    took = time.monotonic() - t0
    assert "did not complete within 1 s" in str(e.value) and "KGTOOL_HTTP_DEADLINE" in str(e.value)
    assert took < 3, took  # each byte came well within the 5 s read timeout


def test_the_deadline_is_read_from_the_environment_and_the_cli(servers, tmp_path, monkeypatch):
    s = servers(trickle())
    monkeypatch.setenv("KGTOOL_OPENALEX_URL", s.url)
    monkeypatch.setenv("KGTOOL_HTTP_DEADLINE", "0.5")
    t0 = time.monotonic()
    r = CliRunner().invoke(main, ["fetch", "openalex", "W1", "--no-cache", "--retries", "0", "--out", str(tmp_path / "o")])
    assert r.exit_code == 2 and "did not complete within 0.5 s" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and time.monotonic() - t0 < 5
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("chunked", [False, True])
def test_an_answer_over_the_byte_cap_is_refused(servers, tmp_path, monkeypatch, chunked):
    body = b'{"pad": "' + b"x" * (3 << 20) + b'"}'

    def big(h):
        if not chunked:
            return send(h, 200, body)
        h.send_response(200)
        h.send_header("Content-Type", "application/json")
        h.send_header("Transfer-Encoding", "chunked")
        h.end_headers()
        try:
            for i in range(0, len(body), 65536):
                part = body[i:i + 65536]
                h.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
            h.wfile.write(b"0\r\n\r\n")
        except OSError:
            pass

    s = servers(big)
    monkeypatch.setenv("KGTOOL_OPENALEX_URL", s.url)
    from kgtool.read.sources import openalex

    with client(tmp_path, max_bytes=1 << 20) as c, pytest.raises(ApiError) as e:
        c.get_json(openalex.API, "/works/W1")
    assert "larger than 1,048,576 bytes" in str(e.value) and "KGTOOL_HTTP_MAX_BYTES" in str(e.value)
    with client(tmp_path, max_bytes=4 << 20) as c:  # under the cap it is read whole
        assert len(c.get_json(openalex.API, "/works/W1").data["pad"]) == 3 << 20


def endless_cursor(h):
    """An OpenAlex /works page whose cursor never ends (a new one every time)."""
    n = len(h.server.seen) if hasattr(h.server, "seen") else 0
    h.server.seen = getattr(h.server, "seen", []) + [h.path]
    if "/works/W1" in h.path:
        return send(h, 200, json.dumps({"id": "https://openalex.org/W1", "title": "Root", "doi": None,
                                        "referenced_works": []}).encode())
    works = [{"id": f"https://openalex.org/W{1000 + n * 5 + i}", "title": "x" * 2000} for i in range(5)]
    send(h, 200, json.dumps({"meta": {"count": None, "next_cursor": f"c{n + 1}"}, "results": works}).encode())


def test_an_endless_cursor_stops_at_the_crawl_byte_cap(servers, tmp_path, monkeypatch):
    s = servers(endless_cursor)
    monkeypatch.setenv("KGTOOL_OPENALEX_URL", s.url)
    monkeypatch.setenv("KGTOOL_HTTP_MAX_CRAWL_BYTES", "100000")
    monkeypatch.setenv("KGTOOL_RATE_LIMIT", "0")
    r = CliRunner().invoke(main, ["fetch", "openalex", "W1", "--citations", "--no-cache", "--out", str(tmp_path / "o")])
    assert r.exit_code == 2, r.output
    line = r.stderr.strip().splitlines()[-1]
    assert "KGTOOL_HTTP_MAX_CRAWL_BYTES" in line and "more than the 100,000 allowed" in line
    assert len(s.requests) < 20 and not (tmp_path / "o").exists()


def test_an_endless_cursor_stops_at_the_page_cap(servers, tmp_path, monkeypatch):
    s = servers(endless_cursor)
    monkeypatch.setenv("KGTOOL_OPENALEX_URL", s.url)
    monkeypatch.setenv("KGTOOL_HTTP_MAX_PAGES", "3")
    monkeypatch.setenv("KGTOOL_RATE_LIMIT", "0")
    r = CliRunner().invoke(main, ["fetch", "openalex", "W1", "--citations", "--no-cache", "--out", str(tmp_path / "o")])
    assert r.exit_code == 2 and "did not end after 3 pages (KGTOOL_HTTP_MAX_PAGES)" in r.stderr
    assert len(s.requests) == 1 + 3
