"""Temporary files and folders that the next run cleans up when a run was killed.

Every scratch folder or temporary file kgtool makes is created through ``mkdtemp`` or
``mkstemp`` here: its creator holds an advisory lock (flock) on it for as long as it lives, and
the kernel drops the lock when the process ends, however it ends (kill -9 too). Before making
a new one, and at every start of the command line, ``sweep`` removes the entries of the same
kind whose lock nobody holds: the leftovers of runs that died.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

from .errors import UsageError

try:
    import fcntl
except ImportError:  # pragma: no cover (not POSIX: no sweeping)
    fcntl = None  # type: ignore[assignment]

PREFIX = ".kgtool-"
MARK = "@"  # in every name made here: entries without it (other programs, older kgtools) are never swept
GRACE = 1.0  # seconds: younger entries may be a creator's, between making and locking them
_held: list[tuple[str, int]] = []  # (path, fd) of the entries this process made and locks


def _hold(path: str, fd: int | None = None) -> None:
    global _held
    if fcntl is None:
        return
    kept = []
    for p, f in _held:  # forget removed ones
        if os.path.exists(p):
            kept.append((p, f))
        else:
            os.close(f)
    _held = kept
    if fd is None:
        fd = os.open(path, os.O_RDONLY)
        _held.append((path, fd))
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)


def mkdtemp(prefix: str, dir: str | Path | None = None) -> str:  # noqa: A002
    """tempfile.mkdtemp, locked while this process lives; sweeps dead ones of ``prefix`` first."""
    folder = dir if dir is not None else tempfile.gettempdir()
    sweep(folder, prefix)
    try:
        path = tempfile.mkdtemp(prefix=prefix + MARK, dir=dir)
    except OSError as e:
        raise UsageError(f"cannot make a scratch folder in {folder} ({e.strerror or e})") from None
    _hold(path)
    return path


def mkstemp(prefix: str, suffix: str, dir: str | Path, *, hold: bool = False) -> tuple[int, str]:  # noqa: A002
    """tempfile.mkstemp, the file locked while the returned descriptor is open (``hold``: while
    this process lives, for a file read again after it is closed); sweeps dead ones first."""
    sweep(dir, prefix, suffix)
    fd, path = tempfile.mkstemp(prefix=prefix + MARK, suffix=suffix, dir=dir)
    _hold(path, None if hold else fd)
    return fd, path


def sweep(folder: str | Path, prefix: str = PREFIX, suffix: str = "") -> list[str]:
    """Remove the entries of ``folder`` named prefix...@...suffix (made here) that no live process holds."""
    removed: list[str] = []
    if fcntl is None:
        return removed
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    now = time.time()
    for e in entries:
        if not (e.name.startswith(prefix) and e.name.endswith(suffix) and MARK in e.name[len(prefix):]):
            continue
        try:
            st = e.stat(follow_symlinks=False)
            if now - st.st_mtime < GRACE or e.is_symlink():
                continue
            fd = os.open(e.path, os.O_RDONLY)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:  # held: its run is alive
            os.close(fd)
            continue
        try:
            if e.is_dir(follow_symlinks=False):
                shutil.rmtree(e.path, ignore_errors=True)
            else:
                os.unlink(e.path)
            removed.append(e.path)
        except OSError:
            pass
        finally:
            os.close(fd)
    return removed


def sweep_common() -> None:
    """Sweep kgtool's scratch entries in /dev/shm and the system's temporary folder."""
    for folder in ("/dev/shm", tempfile.gettempdir()):
        sweep(folder, PREFIX)
