"""The run cache: every finished run, in SQLite, committed one run at a time.

A run is keyed by ``(claim_id, params, seed, code_version)`` where ``params`` is
canonical JSON (sorted keys) and ``code_version`` hashes the code that computed
it, so an edited theorem or trainer never reuses stale numbers. Failed runs are
stored too (status and error, for the record) but :meth:`RunCache.finished`
returns only successes, so a rerun recomputes them.

Only the parent process writes; WAL mode lets a reader (a progress monitor, a
test) look in while a sweep is running, and a kill at any moment leaves every
committed run intact.

A cache that SQLite cannot read (truncated, overwritten, a folder in its place,
a missing table) or cannot write raises :class:`CacheError`, whose one-line
message names the file and the remedy; :func:`move_aside` sets a damaged cache
aside so that a new one is built (``proofs-check run --reset-cache``).
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TypeVar

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    claim_id     TEXT NOT NULL,
    params       TEXT NOT NULL,
    seed         INTEGER NOT NULL,
    code_version TEXT NOT NULL,
    status       TEXT NOT NULL,
    value        TEXT NOT NULL,
    error        TEXT,
    seconds      REAL NOT NULL,
    computed_at  TEXT NOT NULL,
    PRIMARY KEY (claim_id, params, seed, code_version)
)
"""
_COLUMNS = ("claim_id", "params", "seed", "code_version", "status", "value", "error", "seconds", "computed_at")

FILENAME = "cache.sqlite"
RESET_FLAG = "--reset-cache"
_SIDE_FILES = ("-wal", "-shm")
# SQLite's words for a file it may not write (as opposed to one it cannot make sense of)
_UNWRITABLE = ("readonly", "read-only", "permission", "unable to open", "disk i/o", "locked", "disk is full")

T = TypeVar("T")


class CacheError(RuntimeError):
    """The run cache cannot be used; the message names the file and what to do."""


def _error(path: Path, exc: BaseException) -> CacheError:
    detail = " ".join(str(exc).split()) or type(exc).__name__
    if path.is_dir():
        return CacheError(f"the run cache {path} is a folder, not a file; move it away or rerun with {RESET_FLAG}")
    if isinstance(exc, OSError) or any(word in detail.lower() for word in _UNWRITABLE):
        return CacheError(f"cannot use the run cache {path} ({detail}); make it and its folder writable, "
                          "or choose another --out")
    return CacheError(f"the run cache {path} is damaged ({detail}); rerun with {RESET_FLAG} to move it aside "
                      "and rebuild it (its runs will be recomputed)")


def move_aside(path: str | Path) -> Path | None:
    """Rename a cache (file or whatever stands in its place) and its WAL files to
    ``<name>.bad-<UTC time>``; the new name, or ``None`` when there was nothing there."""
    path = Path(path)
    if not path.exists() and not path.is_symlink():
        return None
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    target = path.with_name(f"{path.name}.bad-{stamp}")
    try:
        os.replace(path, target)
        for suffix in _SIDE_FILES:
            side = path.with_name(path.name + suffix)
            if side.exists():
                os.replace(side, target.with_name(target.name + suffix))
    except OSError as exc:
        raise CacheError(f"cannot move the run cache {path} aside ({exc.strerror or exc}); "
                         "make its folder writable, or choose another --out") from None
    return target


class RunCache:
    """The SQLite file ``DIR/cache.sqlite``; use as a context manager."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._db: sqlite3.Connection | None = None
        try:
            self._db = sqlite3.connect(self.path, timeout=30.0)
            self._check()
            self._db.execute("PRAGMA journal_mode=WAL")
            # NORMAL is durable against a killed process (the WAL is on disk); only a
            # power loss could drop the last commits, which a rerun recomputes.
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute(_SCHEMA)
            self._db.commit()
        except (sqlite3.Error, OSError) as exc:
            self.close()
            raise _error(self.path, exc) from None

    def _check(self) -> None:
        """Fail now, with a clear message, on a file SQLite would choke on later."""
        assert self._db is not None
        (verdict,) = self._db.execute("PRAGMA quick_check").fetchone()
        if verdict != "ok":
            raise sqlite3.DatabaseError(f"integrity check: {verdict}")
        columns = tuple(row[1] for row in self._db.execute("PRAGMA table_info(runs)"))
        if columns and columns != _COLUMNS:
            raise sqlite3.DatabaseError(f"table 'runs' has columns {', '.join(columns)}")

    def __enter__(self) -> RunCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def _do(self, action: Callable[[sqlite3.Connection], T]) -> T:
        if self._db is None:
            raise CacheError(f"the run cache {self.path} is closed")
        try:
            return action(self._db)
        except (sqlite3.Error, OSError) as exc:
            raise _error(self.path, exc) from None

    def check_writable(self) -> None:
        """:class:`CacheError` now, before any run is computed, if results could not be stored."""
        def probe(db: sqlite3.Connection) -> None:
            db.execute("BEGIN IMMEDIATE")
            db.execute("DELETE FROM runs WHERE 0")
            db.rollback()
        self._do(probe)

    def finished(self, claim_id: str, code_version: str) -> dict[tuple[str, int], dict[str, Any]]:
        """Successful runs of a claim at a code version, keyed by ``(params_key, seed)``."""
        rows = self._do(lambda db: db.execute(
            "SELECT params, seed, value, seconds FROM runs "
            "WHERE claim_id = ? AND code_version = ? AND status = 'ok'", (claim_id, code_version)).fetchall())
        out = {}
        for p, s, v, sec in rows:
            try:
                out[p, s] = {"value": json.loads(v), "seconds": float(sec)}
            except (TypeError, ValueError) as exc:
                raise _error(self.path, ValueError(f"a stored run of {claim_id} is not JSON: {exc}")) from None
        return out

    def durations(self, claim_id: str) -> dict[str, float]:
        """Seconds the latest successful run of each parameter set took (any seed or code version)."""
        return dict(self._do(lambda db: db.execute(
            "SELECT params, seconds FROM runs WHERE claim_id = ? AND status = 'ok' ORDER BY computed_at",
            (claim_id,)).fetchall()))

    def store(self, claim_id: str, params_key: str, seed: int, code_version: str, *, status: str,
              value: dict[str, Any], error: str | None, seconds: float) -> None:
        """Record one run (replacing an earlier attempt) and commit it."""
        row = (claim_id, params_key, seed, code_version, status, json.dumps(value), error, seconds,
               datetime.now(timezone.utc).isoformat(timespec="microseconds"))

        def insert(db: sqlite3.Connection) -> None:
            db.execute("INSERT OR REPLACE INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", row)
            db.commit()
        self._do(insert)
