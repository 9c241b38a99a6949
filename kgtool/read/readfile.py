"""Read input files or stdin as bytes, with errors that name the file."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

from ..errors import InputError


def read_bytes(path: str | Path) -> tuple[str, bytes]:
    """Return (display name, content); '-' reads standard input."""
    if str(path) == "-":
        return "<stdin>", sys.stdin.buffer.read()
    p = Path(path)
    try:
        return str(p), p.read_bytes()
    except FileNotFoundError:
        raise InputError("no such file", source=str(p)) from None
    except IsADirectoryError:
        raise InputError("is a directory, expected a file", source=str(p)) from None
    except OSError as e:
        raise InputError(f"cannot read: {e.strerror}", source=str(p)) from None


def decode_utf8(name: str, data: bytes) -> str:
    """Decode UTF-8 (a BOM is dropped); undecodable bytes raise InputError with the line."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise InputError(
            f"not valid UTF-8 (byte 0x{data[e.start]:02x} at offset {e.start})", source=name, line=line
        ) from None


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
