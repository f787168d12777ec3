"""The run cache: every finished run, in SQLite, committed one run at a time.

A run is keyed by ``(claim_id, params, seed, code_version)`` where ``params`` is
canonical JSON (sorted keys) and ``code_version`` hashes the code that computed
it, so an edited theorem or trainer never reuses stale numbers. Failed runs are
stored too (status and error, for the record) but :meth:`RunCache.finished`
returns only successes, so a rerun recomputes them.

Only the parent process writes; WAL mode lets a reader (a progress monitor, a
test) look in while a sweep is running, and a kill at any moment leaves every
committed run intact.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

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

FILENAME = "cache.sqlite"


class RunCache:
    """The SQLite file ``DIR/cache.sqlite``; use as a context manager."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._db = sqlite3.connect(self.path, timeout=30.0)
        self._db.execute("PRAGMA journal_mode=WAL")
        # NORMAL is durable against a killed process (the WAL is on disk); only a
        # power loss could drop the last commits, which a rerun recomputes.
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(_SCHEMA)
        self._db.commit()

    def __enter__(self) -> RunCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._db.close()

    def finished(self, claim_id: str, code_version: str) -> dict[tuple[str, int], dict[str, Any]]:
        """Successful runs of a claim at a code version, keyed by ``(params_key, seed)``."""
        rows = self._db.execute(
            "SELECT params, seed, value, seconds FROM runs "
            "WHERE claim_id = ? AND code_version = ? AND status = 'ok'", (claim_id, code_version))
        return {(p, s): {"value": json.loads(v), "seconds": sec} for p, s, v, sec in rows}

    def durations(self, claim_id: str) -> dict[str, float]:
        """Seconds the latest successful run of each parameter set took (any seed or code version)."""
        rows = self._db.execute(
            "SELECT params, seconds FROM runs WHERE claim_id = ? AND status = 'ok' ORDER BY computed_at",
            (claim_id,))
        return dict(rows.fetchall())

    def store(self, claim_id: str, params_key: str, seed: int, code_version: str, *, status: str,
              value: dict[str, Any], error: str | None, seconds: float) -> None:
        """Record one run (replacing an earlier attempt) and commit it."""
        self._db.execute(
            "INSERT OR REPLACE INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (claim_id, params_key, seed, code_version, status, json.dumps(value), error, seconds,
             datetime.now(timezone.utc).isoformat(timespec="microseconds")))
        self._db.commit()
