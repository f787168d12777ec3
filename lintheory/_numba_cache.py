"""Numba's compiled kernels in one cache per user, shared by every checkout with the same source.

With ``cache=True`` numba stores machine code in ``__pycache__`` beside the source file, so a fresh
clone, a second checkout or a CI workspace starts empty and compiles every kernel class again
(3-5 s each on an idle core).  :class:`ContentCacheLocator` keeps it instead in
``$LINTHEORY_NUMBA_CACHE`` (default ``$XDG_CACHE_HOME/lintheory/numba``, else
``~/.cache/lintheory/numba``), in a folder named by the SHA-256 of the source file: checkouts with
the same source share it, an edited file gets a folder of its own.  Inside, numba's index still
keys every entry by the source's hash, numba's version, the function's bytecode and the CPU, so
code compiled for other source or another machine is never loaded.

A ``NUMBA_CACHE_DIR`` set by the user wins, and an unwritable folder falls back to numba's own
locators (``__pycache__``, then numba's user-wide folder).  The locator plugs into numba's list of
locators, which has no public registration call; should a numba release rename it, numba's own
locators take over (``tests/test_kernels.py`` then fails, so it does not go unnoticed).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

from numba.core import caching, config

__all__ = ["ContentCacheLocator", "cache_root", "install"]

_PACKAGE = Path(__file__).resolve().parent


def cache_root() -> Path:
    """The folder that holds one sub-folder per compiled source file."""
    explicit = os.environ.get("LINTHEORY_NUMBA_CACHE")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "lintheory" / "numba"


class ContentCacheLocator(caching._SourceFileBackedLocatorMixin, caching._CacheLocator):  # type: ignore[misc]
    """Locates the cache of a function of this package by the content of its source file."""

    def __init__(self, py_func: Any, py_file: str) -> None:
        self._py_file = py_file
        self._lineno = py_func.__code__.co_firstlineno
        digest = hashlib.sha256(Path(py_file).read_bytes()).hexdigest()[:24]
        self._cache_path = str(cache_root() / f"{Path(py_file).stem}-{digest}")

    def get_cache_path(self) -> str:
        return self._cache_path

    @classmethod
    def from_function(cls, py_func: Any, py_file: str) -> ContentCacheLocator | None:
        if config.CACHE_DIR or not os.path.exists(py_file) or Path(py_file).resolve().parent != _PACKAGE:
            return None
        return super().from_function(py_func, py_file)  # type: ignore[no-any-return]


def install() -> None:
    """Put :class:`ContentCacheLocator` first in numba's locators (idempotent)."""
    impl = getattr(caching, "CacheImpl", None) or getattr(caching, "_CacheImpl", None)  # renamed in numba 0.6x
    locators = getattr(impl, "_locator_classes", None)
    if isinstance(locators, list) and ContentCacheLocator not in locators:
        locators.insert(0, ContentCacheLocator)


install()
