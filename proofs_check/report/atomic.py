"""Atomic file replacement: a crash never leaves a half-written file in place of a good one."""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

# the names replacing() gives its temporary files: "." + target name + "." + mkstemp's 8 characters + ".tmp"
_TEMPORARY = re.compile(r"^\..+\.[A-Za-z0-9_]{8}\.tmp$")


@contextlib.contextmanager
def replacing(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success move it over ``path`` atomically.

    The temporary file is in the same directory so that :func:`os.replace` is a
    rename on one file system; on an exception it is removed and ``path`` is
    left untouched.
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)  # see _TEMPORARY
    os.close(fd)
    # mkstemp makes the file private; a report keeps the mode of the file it replaces
    os.chmod(tmp, path.stat().st_mode & 0o777 if path.exists() else 0o644)
    try:
        yield Path(tmp)
        with open(tmp, "rb+") as f:  # flush to disk before the rename makes it visible
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_text(path: str | Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    with replacing(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_bytes(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically."""
    with replacing(path) as tmp:
        tmp.write_bytes(data)


def remove_stale(folder: str | Path) -> list[Path]:
    """Remove temporary files :func:`replacing` left in ``folder`` when its process was killed.

    Call only while no other process writes into ``folder`` (a report build owns its folder).
    """
    folder = Path(folder)
    stale = [p for p in folder.iterdir() if _TEMPORARY.match(p.name) and p.is_file()] if folder.is_dir() else []
    for path in stale:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
    return stale
