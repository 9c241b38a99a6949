"""Write files so that a reader never sees a half-written one."""

from __future__ import annotations

import errno
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO

from . import leftovers
from .errors import UsageError


def _reason(e: OSError) -> str:
    if e.errno == errno.ENOSPC:
        return "no space left on the device"
    return e.strerror or type(e).__name__


def _make_folder(folder: Path) -> None:
    """Create an output folder, or say in one line why it cannot be one."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise UsageError(f"{folder}: exists and is not a folder (the output goes into a folder)") from None
    except OSError as e:
        raise UsageError(f"{folder}: cannot create the output folder ({_reason(e)})") from None


def write_files_atomically(targets: Mapping[Path, Callable[[IO[bytes]], object]]) -> None:
    """Write every target to a temporary file beside it, then rename them all into place.

    If any writer fails, no target is touched and the temporary files are removed.
    """
    temps: list[tuple[Path, Path]] = []
    try:
        for target, writer in targets.items():
            _make_folder(target.parent)
            try:
                fd, tmp_name = leftovers.mkstemp(f".{target.name}.", ".part", target.parent)
                temps.append((Path(tmp_name), target))
                with os.fdopen(fd, "wb") as fh:
                    writer(fh)
                    fh.flush()
                    os.fsync(fh.fileno())
            except OSError as e:
                raise UsageError(f"{target}: cannot write ({_reason(e)}); nothing was written") from None
        for tmp, target in temps:
            os.chmod(tmp, 0o644)
            try:
                os.replace(tmp, target)
            except OSError as e:
                raise UsageError(f"{target}: cannot write ({_reason(e)})") from None
        temps = []
    finally:
        for tmp, _ in temps:
            tmp.unlink(missing_ok=True)
