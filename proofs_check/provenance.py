"""Where a result came from: package versions, git commit, code version hashes."""

from __future__ import annotations

import hashlib
import importlib.metadata
import inspect
import json
import platform
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import lintheory

PACKAGES: tuple[str, ...] = ("numpy", "scipy", "sympy", "mpmath", "python-flint", "numba", "matplotlib",
                             "dask", "distributed")

_REPO = Path(lintheory.__file__).resolve().parent.parent


def package_versions() -> dict[str, str]:
    """Installed versions of the numerical packages (``"not installed"`` when absent)."""
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def git_commit(repo: Path = _REPO) -> str:
    """``HEAD``'s commit, with ``+dirty`` when tracked files differ from it; ``"unknown"`` outside git."""
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, timeout=30,
                              check=True).stdout.strip()
    try:
        commit = git("rev-parse", "HEAD")
        dirty = git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return commit + ("+dirty" if dirty else "")


SOURCE_ROOTS: tuple[Path, ...] = (Path(lintheory.__file__).resolve().parent, Path(__file__).resolve().parent)
"""The packages whose every file is code a run may execute: ``lintheory/`` and ``proofs_check/``."""

_NOT_SOURCE = ("__pycache__",)


def source_files(roots: tuple[Path, ...] | None = None) -> list[Path]:
    """Every file of the packages under ``roots`` (default :data:`SOURCE_ROOTS`): modules and data.

    Byte-code caches are left out: they follow from the sources.
    """
    found = []
    for root in SOURCE_ROOTS if roots is None else roots:
        found += [p for p in root.rglob("*") if p.is_file() and not any(part in _NOT_SOURCE for part in p.parts)
                  and p.suffix not in (".pyc", ".pyo")]
    return sorted(found)


def _hash_files(paths: list[Path], h: Any) -> None:
    for path in sorted(set(paths)):
        h.update(str(path.relative_to(_REPO) if path.is_relative_to(_REPO) else path).encode())
        h.update(b"\0")
        h.update(path.read_bytes())
        h.update(b"\0")


def code_version(run: Callable[..., object]) -> str:
    """Hash of everything that computes a claim's runs.

    Covers every file of ``lintheory/`` and ``proofs_check/`` (:data:`SOURCE_ROOTS`:
    claims, their private helpers, the data loaders, the runner), the module defining
    ``run`` when it lives elsewhere (a plug-in), and the Python and numerical library
    versions (:func:`package_versions`), so that no edit anywhere, nor an upgraded NumPy,
    can serve a run computed by other code. The judge is covered too, although verdicts
    are recomputed from cached runs on every invocation anyway.
    """
    module = sys.modules.get(run.__module__)
    module_file = inspect.getsourcefile(module) if module is not None else None
    if module_file is None:
        raise ValueError(f"run function {run.__qualname__} has no source file to version")
    files = source_files()
    module_path = Path(module_file).resolve()
    if not any(module_path.is_relative_to(root) for root in SOURCE_ROOTS):
        files.append(module_path)
    h = hashlib.sha256()
    _hash_files(files, h)
    h.update(json.dumps({"python": platform.python_version(), **package_versions()}, sort_keys=True).encode())
    return h.hexdigest()[:16]


def environment() -> dict[str, object]:
    """The static part of a report's provenance (no timing, no run settings)."""
    return {
        "lintheory": lintheory.__version__,
        "git_commit": git_commit(),
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
        "packages": package_versions(),
    }
