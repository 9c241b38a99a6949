"""Write files so that a reader never sees a half-written one."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Callable, IO


def write_files_atomically(targets: dict[Path, Callable[[IO[bytes]], None]]) -> None:
    """Write every target to a temporary file beside it, then rename them all into place.

    If any writer fails, no target is touched and the temporary files are removed.
    """
    temps: list[tuple[Path, Path]] = []
    try:
        for target, writer in targets.items():
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
            temps.append((Path(tmp), target))
            with os.fdopen(fd, "wb") as fh:
                writer(fh)
                fh.flush()
                os.fsync(fh.fileno())
        for tmp, target in temps:
            os.chmod(tmp, 0o644)
            os.replace(tmp, target)
        temps = []
    finally:
        for tmp, _ in temps:
            tmp.unlink(missing_ok=True)
