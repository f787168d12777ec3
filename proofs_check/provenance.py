"""Where a result came from: package versions, git commit, code version hashes."""

from __future__ import annotations

import hashlib
import importlib.metadata
import inspect
import platform
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

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


def _hash_files(paths: list[Path], root: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(set(paths)):
        h.update(str(path.relative_to(root) if path.is_relative_to(root) else path).encode())
        h.update(b"\0")
        h.update(path.read_bytes())
        h.update(b"\0")
    return h.hexdigest()[:16]


def code_version(run: Callable[..., object]) -> str:
    """Hash of the code that computes a claim's runs.

    Covers every source file of the ``lintheory`` package, the module defining
    ``run``, and the shared private helpers ``proofs_check/claims/_*.py`` that
    claim modules may import. The judge is not covered: verdicts are
    recomputed from cached runs on every invocation.
    """
    module_file = inspect.getsourcefile(sys.modules[run.__module__])
    if module_file is None:
        raise ValueError(f"run function {run.__qualname__} has no source file to version")
    lintheory_dir = Path(lintheory.__file__).resolve().parent
    claims_dir = Path(__file__).resolve().parent / "claims"
    files = [*lintheory_dir.rglob("*.py"), *claims_dir.glob("_*.py"), Path(module_file).resolve()]
    return _hash_files(files, _REPO)


def environment() -> dict[str, object]:
    """The static part of a report's provenance (no timing, no run settings)."""
    return {
        "lintheory": lintheory.__version__,
        "git_commit": git_commit(),
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
        "packages": package_versions(),
    }
