"""`kgtool serve` against hostile clients, over real sockets: symlinks out of the site,
overlong paths, keep-alive, idle connections and slowloris heads."""

from __future__ import annotations

import http.client
import socket
import threading
import time
from pathlib import Path

import pytest

from kgtool.publish.serve import make_server

VOID = """@prefix void: <http://rdfs.org/ns/void#> .
<https://example.org/kg/void> void:uriSpace "https://example.org/kg/" .
"""


@pytest.fixture
def site(tmp_path) -> Path:
    site = tmp_path / "site"
    site.mkdir()
    (site / "void.ttl").write_text(VOID)
    (site / "index.html").write_text("<p>home</p>")
    (site / "real.txt").write_text("inside")
    (site / "alias.txt").symlink_to(site / "real.txt")  # a link within the site is fine
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("SECRET")
    (site / "leak.txt").symlink_to(outside / "secret.txt")
    (site / "leakdir").symlink_to(outside)
    return site


@pytest.fixture
def serve(site):
    running = []

    def start(**kw) -> tuple[str, int]:
        server, _ = make_server(site, "127.0.0.1", 0, **kw)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        running.append(server)
        return server.server_address[:2]

    yield start
    for s in running:
        s.shutdown()
        s.server_close()


def get(addr, path: str, **headers) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection(*addr, timeout=10)
    conn.request("GET", path, headers=headers)
    r = conn.getresponse()
    body = r.read()
    conn.close()
    return r.status, body


def test_symlinks_out_of_the_site_are_not_followed(serve):
    addr = serve()
    assert get(addr, "/kg/real.txt") == (200, b"inside")
    assert get(addr, "/kg/alias.txt") == (200, b"inside")
    for path in ("/kg/leak.txt", "/kg/leakdir/secret.txt", "/kg/leakdir/../real.txt", "/kg/%2e%2e/outside/secret.txt"):
        status, body = get(addr, path)
        assert status == 404 and b"SECRET" not in body, path


def test_overlong_paths_get_414(serve):
    addr = serve()
    assert get(addr, "/kg/" + "a" * 5000)[0] == 414
    assert get(addr, "/kg/" + "a" * 70000)[0] == 414  # longer than a request line may be at all
    assert get(addr, "/kg/real.txt")[0] == 200  # and the server is still fine


def test_keep_alive_serves_several_requests_on_one_connection(serve):
    addr = serve()
    conn = http.client.HTTPConnection(*addr, timeout=10)
    socks = set()
    for path in ("/kg/real.txt", "/kg/", "/kg/missing", "/kg/real.txt"):
        conn.request("GET", path)
        r = conn.getresponse()
        r.read()
        assert r.status in (200, 404) and not r.will_close
        socks.add(id(conn.sock))
    assert len(socks) == 1
    conn.request("GET", "/kg/real.txt", headers={"Connection": "close"})
    r = conn.getresponse()
    assert r.read() == b"inside" and r.will_close
    conn.close()


def raw(addr, data: bytes, timeout: float = 10) -> socket.socket:
    s = socket.create_connection(addr, timeout=timeout)
    s.sendall(data)
    return s


def read_all(s: socket.socket) -> bytes:
    out = b""
    while chunk := s.recv(65536):
        out += chunk
    return out


def test_a_request_body_is_not_taken_for_the_next_request(serve):
    addr = serve()
    smuggled = b"GET /kg/real.txt HTTP/1.1\r\nHost: x\r\n\r\n"
    s = raw(addr, b"GET /kg/ HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(smuggled) + smuggled)
    answer = read_all(s)  # the server closes after the one answer
    s.close()
    assert answer.count(b"HTTP/1.1 ") == 1 and b"home" in answer


def test_an_idle_connection_is_closed(serve):
    addr = serve(idle_timeout=0.5)
    s = raw(addr, b"")
    t0 = time.monotonic()
    assert read_all(s) == b""
    assert time.monotonic() - t0 < 3
    s.close()
    # between kept-alive requests too
    s = raw(addr, b"GET /kg/real.txt HTTP/1.1\r\nHost: x\r\n\r\n")
    t0 = time.monotonic()
    assert read_all(s).endswith(b"inside") and time.monotonic() - t0 < 3
    s.close()


def test_a_slowloris_head_is_cut_and_others_are_served_meanwhile(serve):
    addr = serve(header_timeout=1.0)
    s = raw(addr, b"GET /kg/real.txt HTTP/1.1\r\n")
    t0 = time.monotonic()
    closed = None
    for i in range(100):  # a header byte every 0.05 s: each read is quick, the head never ends
        if i == 5:
            assert get(addr, "/kg/real.txt") == (200, b"inside")
        try:
            s.sendall(b"X")
            s.settimeout(0.05)
            if s.recv(1) == b"":
                closed = time.monotonic() - t0
                break
        except TimeoutError:
            continue
        except OSError:
            closed = time.monotonic() - t0
            break
    s.close()
    assert closed is not None and closed < 3, closed


def test_the_listen_backlog_is_deep(site):
    server, _ = make_server(site, "127.0.0.1", 0)
    try:
        assert server.request_queue_size >= 128
        # connections beyond the stdlib's backlog of 5 are all queued while nothing accepts
        socks = [socket.create_connection(server.server_address[:2], timeout=2) for _ in range(60)]
        threading.Thread(target=server.serve_forever, daemon=True).start()
        t0 = time.monotonic()
        for s in socks:
            s.sendall(b"GET /kg/real.txt HTTP/1.0\r\n\r\n")
        answers = []
        for s in socks:
            s.settimeout(max(0.01, t0 + 5 - time.monotonic()))
            try:
                answers.append(read_all(s))
            except OSError:
                answers.append(b"")
            s.close()
        assert all(a.endswith(b"inside") for a in answers) and time.monotonic() - t0 < 5
    finally:
        server.shutdown()
        server.server_close()


def test_a_client_that_goes_away_leaves_no_traceback(site, serve, capfd):
    import struct

    (site / "big.nt").write_bytes(b"x" * (8 << 20))
    addr = serve()
    for _ in range(5):
        s = raw(addr, b"GET /kg/big.nt HTTP/1.1\r\nHost: x\r\n\r\n")
        s.recv(10)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # reset, not close
        s.close()
    time.sleep(0.5)
    assert get(addr, "/kg/real.txt") == (200, b"inside")
    assert "Traceback" not in capfd.readouterr().err
