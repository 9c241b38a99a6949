"""Start the real `kgtool serve` as a subprocess on a free 127.0.0.1 port."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def kgtool_serve(site: Path, timeout: float = 20.0) -> Iterator[str]:
    """Yield the site's root URL while `kgtool serve SITE --port 0` runs; stop it afterwards."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "kgtool", "-q", "serve", str(site), "--port", "0", "--host", "127.0.0.1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    first: list[str] = []
    reader = threading.Thread(target=lambda: first.append(proc.stdout.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    try:
        if not first or not first[0].startswith("serving "):
            proc.kill()
            _, err = proc.communicate(timeout=10)
            raise RuntimeError(f"kgtool serve did not start: {first!r} {err}")
        yield first[0].split()[-1]
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for stream in (proc.stdout, proc.stderr):
            if stream:
                stream.close()
