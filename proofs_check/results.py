"""``results.json``: the contract between a run and its reports (schema ``proofs_check.results/2``).

Schema 2 adds each claim's provenance ``level`` (``sourced`` | ``reconstructed`` |
``observation``), its judged ``checks``, the verdict ``not_reproduced`` and a top-level
``bibliography``. Schema 1 files are still read (their claims have no level).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from proofs_check.report import atomic

SCHEMA = "proofs_check.results/2"
READABLE = ("proofs_check.results/1", SCHEMA)
FILENAME = "results.json"


class ResultsError(ValueError):
    """A results file that is missing or not of this schema."""


def strict(x: Any) -> Any:
    """``x`` with non-finite floats replaced by ``None`` (JSON has no NaN or infinity)."""
    if isinstance(x, float):
        return x if math.isfinite(x) else None
    if isinstance(x, dict):
        return {k: strict(v) for k, v in x.items()}
    if isinstance(x, list):
        return [strict(v) for v in x]
    return x


def dumps(data: dict[str, Any]) -> str:
    """Deterministic text of a results document (claims sorted by id, 2-space indent)."""
    data = {**data, "claims": sorted(data["claims"], key=lambda c: c["id"])}
    return json.dumps(strict(data), indent=2, allow_nan=False, ensure_ascii=False) + "\n"


def write(out_dir: str | Path, data: dict[str, Any]) -> Path:
    """Write ``out_dir/results.json`` atomically; return its path."""
    path = Path(out_dir) / FILENAME
    atomic.write_text(path, dumps(data))
    return path


def read(out_dir: str | Path) -> dict[str, Any]:
    """Load ``out_dir/results.json``; :class:`ResultsError` if it is missing or malformed."""
    path = Path(out_dir) / FILENAME
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ResultsError(f"no {FILENAME} in {str(out_dir)!r} (run 'proofs-check run --out DIR' first)") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ResultsError(f"cannot read {path}: {exc}") from None
    if not isinstance(data, dict) or data.get("schema") not in READABLE or not isinstance(data.get("claims"), list):
        raise ResultsError(f"{path} is not a results file of schema {' or '.join(READABLE)}")
    return data
