"""Names the user gives for output files: one plain file name, never a path out of --out."""

from __future__ import annotations

from .errors import UsageError

MAX_STEM = 200  # bytes; leaves room for suffixes, part numbers and temp-name decorations under NAME_MAX (255)


def check_stem(stem: str, what: str = "--name") -> str:
    """``stem`` itself when it names a file inside the output folder, else a UsageError."""
    if not stem or stem in (".", ".."):
        raise UsageError(f"{what} must be a file name, got {stem!r}")
    bad = next((c for c in stem if c in "/\\\x00" or ord(c) < 0x20 or ord(c) == 0x7F), None)
    if bad is not None:
        raise UsageError(f"{what} must be a plain file name (no folder, no control character), got {stem!r}")
    if stem.startswith("."):
        raise UsageError(f"{what} may not start with '.' (hidden and temporary files start so), got {stem!r}")
    if len(stem.encode("utf-8", "surrogateescape")) > MAX_STEM:
        raise UsageError(f"{what} is longer than {MAX_STEM} bytes")
    return stem


def check_inside(stem: str, what: str = "output name") -> str:
    """``stem`` itself when files named after it stay in their folder (no separator, not '..')."""
    if not stem or stem in (".", "..") or any(c in stem for c in "/\\\x00"):
        raise UsageError(f"the {what} must be a plain file name, got {stem!r}")
    return stem
