"""Load test of `kgtool serve`: many clients, a new connection per request, on 127.0.0.1 only.

    python bench/bench_serve.py [--clients 50] [--requests 40] [--runs 3]

Builds a small site from examples/hub-example.txt, starts the real `kgtool serve` and, as the
reference in the same run, Python's stock `python -m http.server` (ThreadingHTTPServer, listen
backlog 5) on the same folder, then lets CLIENTS threads each make REQUESTS requests, every
one on a fresh connection (no keep-alive). Prints p50/p99/max latency per server, the median
over RUNS runs, and the ratio. Bounded: clients, requests and a 60 s cap per run are fixed;
nothing but 127.0.0.1 is contacted. Target: p99 under 100 ms for 50 clients.
"""

from __future__ import annotations

import argparse
import http.client
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
RUN_CAP = 60.0  # seconds: a run that takes longer stops its clients


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def build_site(work: Path) -> Path:
    kg = [sys.executable, "-m", "kgtool", "-q"]
    subprocess.run(kg + ["build", str(ROOT / "examples" / "hub-example.txt"), "--out", str(work), "--name", "g",
                         "--to", "ttl"], check=True, capture_output=True)
    subprocess.run(kg + ["site", str(work / "g.ttl"), "--out", str(work / "site")], check=True, capture_output=True)
    return work / "site"


def mount_of(site: Path) -> str:
    """The path the site is served at: that of its base IRI."""
    from kgtool.publish.serve import site_base

    return urlsplit(site_base(site)).path


def start(cmd: list[str], port: int) -> subprocess.Popen:
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return p
        except OSError:
            time.sleep(0.05)
    p.kill()
    raise SystemExit(f"server did not start: {cmd}")


def one_run(port: int, paths: list[str], clients: int, requests: int) -> tuple[list[float], int]:
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    stop_at = time.monotonic() + RUN_CAP
    barrier = threading.Barrier(clients)

    def client(i: int) -> None:
        nonlocal errors
        mine, bad = [], 0
        barrier.wait()
        for k in range(requests):
            if time.monotonic() > stop_at:
                break
            t0 = time.perf_counter()
            try:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=RUN_CAP)
                c.request("GET", paths[(i + k) % len(paths)], headers={"Connection": "close"})
                r = c.getresponse()
                r.read()
                c.close()
                ok = r.status in (200, 303)
            except OSError:
                ok = False
            mine.append(time.perf_counter() - t0)
            bad += not ok
        with lock:
            latencies.extend(mine)
            errors += bad

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, errors


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))] if s else float("nan")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--requests", type=int, default=40)
    ap.add_argument("--runs", type=int, default=3)
    a = ap.parse_args()
    if not (1 <= a.clients <= 200 and 1 <= a.requests <= 1000):
        raise SystemExit("keep it bounded: 1-200 clients, 1-1000 requests each")
    with tempfile.TemporaryDirectory(prefix="kgtool-bench-serve-") as tmp:
        site = build_site(Path(tmp))
        kg_port, ref_port = free_port(), free_port()
        servers = {
            "kgtool serve": (start([sys.executable, "-m", "kgtool", "-q", "serve", str(site), "--port", str(kg_port)],
                                   kg_port), kg_port, mount_of(site)),
            "http.server (stock)": (start([sys.executable, "-m", "http.server", str(ref_port), "--bind", "127.0.0.1",
                                           "--directory", str(site)], ref_port), ref_port, "/"),
        }
        files = ["", "index.html", "void.ttl", "sitemap.xml"]
        results: dict[str, list[tuple[float, float, float, int]]] = {n: [] for n in servers}
        try:
            for run in range(a.runs):
                for name, (_, port, mount) in servers.items():  # alternate: both see the same noise
                    lat, errors = one_run(port, [mount + f for f in files], a.clients, a.requests)
                    results[name].append((pct(lat, 0.5), pct(lat, 0.99), max(lat), errors))
                    print(f"run {run + 1} {name:20s} n={len(lat)} p50={pct(lat, .5) * 1e3:7.1f} ms "
                          f"p99={pct(lat, .99) * 1e3:7.1f} ms max={max(lat) * 1e3:7.1f} ms errors={errors}")
        finally:
            for p, _, _ in servers.values():
                p.terminate()
                p.wait(timeout=10)
    print(f"\n{a.clients} clients x {a.requests} requests, new connection each, median of {a.runs} runs "
          f"({os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}):")
    med = {n: tuple(statistics.median(r[i] for r in rs) for i in range(3)) for n, rs in results.items()}
    for n, (p50, p99, mx) in med.items():
        print(f"  {n:20s} p50 {p50 * 1e3:7.1f} ms   p99 {p99 * 1e3:7.1f} ms   max {mx * 1e3:7.1f} ms   "
              f"errors {sum(r[3] for r in results[n])}")
    kg, ref = med["kgtool serve"], med["http.server (stock)"]
    print(f"  p99 ratio stock/kgtool: {ref[1] / kg[1]:.1f}x; target p99 < 100 ms: "
          f"{'met' if kg[1] < 0.1 else 'NOT met'}")


if __name__ == "__main__":
    main()
