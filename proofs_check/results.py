"""``results.json``: the contract between a run and its reports (schema ``proofs_check.results/2``).

Schema 2 adds each claim's provenance ``level`` (``sourced`` | ``reconstructed`` |
``observation``), its judged ``checks``, the verdict ``not_reproduced`` and a top-level
``bibliography``. Schema 1 files are still read (their claims have no level). :func:`read`
validates every field the reports read and names the first bad one (``claims[3].verdict: ...``).

Timing lives in one place, the top-level ``"timing"`` object, so that two runs with
the same seed and settings write byte-identical files apart from it::

    "timing": {"started": ISO-8601, "finished": ISO-8601, "wall_seconds": 12.3,
               "claims": {"<claim id>": {"runs": 4.5, "search": 1.2, "certification": 0.3}}}

``runs`` sums the compute time of the claim's runs (cached runs count the time they
took when computed), ``search`` and ``certification`` the time of its search and Arb
certification. Files written before this layout carried these numbers in
``provenance`` (``started``, ``finished``, ``wall_seconds``) and in each claim
(``seconds``, ``search.seconds``, ``certification.seconds``); :func:`split_timing`
moves them, and the report code reads either layout.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from proofs_check.report import atomic

SCHEMA = "proofs_check.results/2"
READABLE = ("proofs_check.results/1", SCHEMA)
FILENAME = "results.json"
VERDICTS = ("confirmed", "refuted", "not_reproduced", "inconclusive")
LEVELS = ("sourced", "reconstructed", "observation")
_PROVENANCE_TIMES = ("started", "finished", "wall_seconds")
_TIMED_PARTS = ("search", "certification")


class ResultsError(ValueError):
    """A results file that is missing, unreadable or not of a known schema; names the bad field."""


def strict(x: Any) -> Any:
    """``x`` with non-finite floats replaced by ``None`` (JSON has no NaN or infinity)."""
    if isinstance(x, float):
        return x if math.isfinite(x) else None
    if isinstance(x, dict):
        return {k: strict(v) for k, v in x.items()}
    if isinstance(x, list):
        return [strict(v) for v in x]
    return x


def split_timing(data: Mapping[str, Any]) -> dict[str, Any]:
    """``data`` with every timing moved into its top-level ``"timing"`` object (see the module docstring)."""
    timing = dict(data.get("timing") or {})
    prov = dict(data.get("provenance") or {})
    for key in _PROVENANCE_TIMES:
        if key in prov:
            timing[key] = prov.pop(key)
    per_claim = {cid: dict(t) for cid, t in (timing.get("claims") or {}).items()}
    claims = []
    for original in data["claims"]:
        entry, times = dict(original), per_claim.setdefault(original["id"], {})
        if "seconds" in entry:
            times["runs"] = entry.pop("seconds")
        for part in _TIMED_PARTS:
            if isinstance(entry.get(part), Mapping) and "seconds" in entry[part]:
                times[part] = entry[part]["seconds"]
                entry[part] = {k: v for k, v in entry[part].items() if k != "seconds"}
        claims.append(entry)
    timing["claims"] = {cid: per_claim[cid] for cid in sorted(per_claim) if per_claim[cid]}
    rest = {k: v for k, v in data.items() if k not in ("provenance", "claims", "timing")}
    return {**rest, "provenance": prov, "claims": claims, "timing": timing}


def claim_seconds(data: Mapping[str, Any], entry: Mapping[str, Any]) -> float | None:
    """Compute seconds of a claim's runs, from either layout (``None`` when not recorded)."""
    times = ((data.get("timing") or {}).get("claims") or {}).get(entry["id"]) or {}
    value = times.get("runs", entry.get("seconds"))
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def provenance_with_times(data: Mapping[str, Any]) -> dict[str, Any]:
    """The provenance with the run's start, end and wall time (either layout), for a report."""
    timing = data.get("timing") or {}
    return {**(data.get("provenance") or {}), **{k: timing[k] for k in _PROVENANCE_TIMES if k in timing}}


_LIFTED = ("table", "fit", "slack")


def _stored_once(entry: Mapping[str, Any]) -> Mapping[str, Any]:
    """``entry`` with the table, fit and slack that a check shares with the top of the evidence kept
    only at the top; the check lists them under ``"lifted"`` (:func:`_restored` undoes this)."""
    ev = entry.get("evidence")
    if not isinstance(ev, Mapping) or not isinstance(ev.get("checks"), Mapping):
        return entry
    checks = {}
    for label, own in ev["checks"].items():
        shared = [k for k in _LIFTED if isinstance(own, Mapping) and k in own and own[k] == ev.get(k)]
        checks[label] = ({**{k: v for k, v in own.items() if k not in shared}, "lifted": shared} if shared
                         else own)
    return {**entry, "evidence": {**ev, "checks": checks}}


def _restored(entry: dict[str, Any]) -> None:
    """Put a check's lifted table, fit and slack back in place (the inverse of :func:`_stored_once`)."""
    ev = entry.get("evidence") or {}
    for own in (ev.get("checks") or {}).values():
        for key in own.pop("lifted", None) or []:
            own[key] = ev.get(key)


def dumps(data: Mapping[str, Any]) -> str:
    """Deterministic text of a results document: claims sorted by id, one claim per line (the file of a
    standard run stays a few MB and a diff shows which claims changed), each evidence table stored once,
    timing last."""
    data = split_timing(data)
    data = strict({**data, "claims": [_stored_once(c) for c in sorted(data["claims"], key=lambda c: c["id"])]})

    def dump(x: Any, **kw: Any) -> str:
        return json.dumps(x, allow_nan=False, ensure_ascii=False, **kw)

    fields = []
    for key, value in data.items():
        if key == "claims" and value:
            lines = ",\n".join("    " + dump(c, separators=(",", ":")) for c in value)
            text = f"[\n{lines}\n  ]"
        else:
            text = dump(value, indent=2).replace("\n", "\n  ")
        fields.append(f"  {dump(key)}: {text}")
    return "{\n" + ",\n".join(fields) + "\n}\n"


def write(out_dir: str | Path, data: Mapping[str, Any]) -> Path:
    """Write ``out_dir/results.json`` atomically; return its path."""
    path = Path(out_dir) / FILENAME
    atomic.write_text(path, dumps(data))
    return path


def read(out_dir: str | Path) -> dict[str, Any]:
    """Load and validate ``out_dir/results.json``; :class:`ResultsError` naming the problem."""
    path = Path(out_dir) / FILENAME
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ResultsError(f"no {FILENAME} in {str(out_dir)!r} (run 'proofs-check run --out DIR' first)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ResultsError(f"cannot read {path}: {exc}") from None
    try:
        data = json.loads(text, parse_constant=_no_constant)
    except (ValueError, RecursionError) as exc:
        raise ResultsError(f"{path} is not JSON: {' '.join(str(exc).split())}") from None
    try:
        validate(data)
    except ResultsError as exc:
        raise ResultsError(f"{path}: {exc}") from None
    for entry in data["claims"]:
        _restored(entry)
    return data


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


# --- validation ---------------------------------------------------------------------------

def _kind(x: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(x), "a number" if isinstance(x, (int, float)) else type(x).__name__)


def _bad(where: str, expected: str, got: Any) -> ResultsError:
    shown = json.dumps(got, ensure_ascii=True, default=repr)
    return ResultsError(f"{where}: expected {expected}, got {_kind(got)}"
                        + (f" {shown}" if len(shown) <= 40 else ""))


def _object(x: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(x, dict):
        raise _bad(where, "an object", x)
    return x


def _list(x: Any, where: str) -> list[Any]:
    if not isinstance(x, list):
        raise _bad(where, "a list", x)
    return x


def _text(x: Any, where: str, *, optional: bool = False) -> None:
    if not (isinstance(x, str) or (optional and x is None)):
        raise _bad(where, "a string" + (" or null" if optional else ""), x)


def _number(x: Any, where: str, *, optional: bool = False, minimum: float | None = None) -> None:
    if x is None and optional:
        return
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        raise _bad(where, "a number" + (" or null" if optional else ""), x)
    if minimum is not None and x < minimum:
        raise _bad(where, f"a number >= {minimum:g}", x)


def _count(x: Any, where: str) -> None:
    if isinstance(x, bool) or not isinstance(x, int) or x < 0:
        raise _bad(where, "a non-negative integer", x)


def _choice(x: Any, where: str, choices: tuple[str, ...]) -> None:
    if x not in choices or not isinstance(x, str):
        raise _bad(where, "one of " + ", ".join(choices), x)


_REQUIRED_TEXT = ("id", "paper", "source", "statement_latex", "kind", "summary", "predicted", "observed",
                  "tolerance", "arithmetic")


def _evidence(ev: Any, where: str) -> None:
    if ev is None:
        return
    ev = _object(ev, where)
    for i, row in enumerate(_list(ev["table"], f"{where}.table") if ev.get("table") is not None else []):
        row = _object(row, f"{where}.table[{i}]")
        if row.get("params") is not None:
            _object(row["params"], f"{where}.table[{i}].params")
    if ev.get("slack") is not None:
        _object(ev["slack"], f"{where}.slack")
    if ev.get("fit") is not None:
        fit = _object(ev["fit"], f"{where}.fit")
        if fit.get("ci95") is not None:
            ci = _list(fit["ci95"], f"{where}.fit.ci95")
            if len(ci) != 2:
                raise _bad(f"{where}.fit.ci95", "a list of 2 numbers", ci)
            for j, bound in enumerate(ci):
                _number(bound, f"{where}.fit.ci95[{j}]", optional=True)
    for label, own in _object(ev.get("checks") or {}, f"{where}.checks").items():
        lifted = _object(own, f"{where}.checks.{label}").get("lifted")
        if lifted is not None and not (isinstance(lifted, list) and set(lifted) <= set(_LIFTED)):
            raise _bad(f"{where}.checks.{label}.lifted", f"a list of names among {list(_LIFTED)}", lifted)
    violations = _list(ev["violations"], f"{where}.violations") if ev.get("violations") is not None else []
    for i, params in enumerate(violations):
        _object(params, f"{where}.violations[{i}]")


def _search(result: Any, where: str) -> None:
    result = _object(result, where)
    _text(result.get("summary"), f"{where}.summary")
    if result.get("violated") is not None and not isinstance(result["violated"], bool):
        raise _bad(f"{where}.violated", "a boolean", result["violated"])
    if result.get("violated"):
        _number(result.get("threshold"), f"{where}.threshold", optional=True)
    else:
        _count(result.get("examples"), f"{where}.examples")
    for key in ("best_score", "shrunk_score", "seconds"):
        _number(result.get(key), f"{where}.{key}", optional=True)
    _text(result.get("command"), f"{where}.command", optional=True)


def _certification(cert: Any, where: str) -> None:
    cert = _object(cert, where)
    for key in ("status", "summary", "statement"):
        _text(cert.get(key), f"{where}.{key}")
    if cert.get("status") == "refuted":
        for i, row in enumerate(_list(cert.get("instances"), f"{where}.instances")):
            _object(row, f"{where}.instances[{i}]")


def _claim(entry: Any, where: str, schema: str) -> None:
    entry = _object(entry, where)
    for key in _REQUIRED_TEXT:
        _text(entry.get(key), f"{where}.{key}")
    if not entry["id"]:
        raise ResultsError(f"{where}.id: expected a claim id, got an empty string")
    _text(entry.get("title", ""), f"{where}.title")
    _choice(entry.get("verdict"), f"{where}.verdict", VERDICTS)
    if "level" in entry or schema != READABLE[0]:  # schema 1 had no levels
        _choice(entry.get("level"), f"{where}.level", LEVELS)
    _count(entry.get("runs"), f"{where}.runs")
    _count(entry.get("failed_runs"), f"{where}.failed_runs")
    if "seconds" in entry:
        _number(entry["seconds"], f"{where}.seconds", minimum=0)
    _text(entry.get("code_version", ""), f"{where}.code_version")
    _evidence(entry.get("evidence"), f"{where}.evidence")
    for i, failure in enumerate(_list(entry.get("failures", []), f"{where}.failures")):
        failure = _object(failure, f"{where}.failures[{i}]")
        _object(failure.get("params"), f"{where}.failures[{i}].params")
        _text(failure.get("status"), f"{where}.failures[{i}].status")
        _text(failure.get("error"), f"{where}.failures[{i}].error", optional=True)
    symbolic = entry.get("symbolic")
    for name, latex in (_object(symbolic, f"{where}.symbolic") if symbolic is not None else {}).items():
        _text(latex, f"{where}.symbolic.{name}")
    for i, fig in enumerate(_list(entry.get("figures", []), f"{where}.figures")):
        fig = _object(fig, f"{where}.figures[{i}]")
        _text(fig.get("name"), f"{where}.figures[{i}].name")
        _text(fig.get("caption"), f"{where}.figures[{i}].caption")
    for i, note in enumerate(_list(entry.get("notes", []), f"{where}.notes")):
        _text(note, f"{where}.notes[{i}]")
    for i, check in enumerate(_list(entry.get("checks", []), f"{where}.checks")):
        _object(check, f"{where}.checks[{i}]")
    if entry.get("search"):
        _search(entry["search"], f"{where}.search")
    if entry.get("certification"):
        _certification(entry["certification"], f"{where}.certification")


def _timing(timing: Any) -> None:
    timing = _object(timing, "timing")
    for key in ("started", "finished"):
        if key in timing:
            _text(timing[key], f"timing.{key}")
    if "wall_seconds" in timing:
        _number(timing["wall_seconds"], "timing.wall_seconds", minimum=0)
    for cid, times in _object(timing.get("claims", {}), "timing.claims").items():
        for part, value in _object(times, f"timing.claims.{cid}").items():
            _number(value, f"timing.claims.{cid}.{part}", optional=True, minimum=0)


def validate(data: Any) -> None:
    """:class:`ResultsError` naming the first field of ``data`` the reports could not use."""
    data = _object(data, "the document")
    if data.get("schema") not in READABLE:
        raise _bad("schema", " or ".join(repr(s) for s in READABLE), data.get("schema"))
    prov = _object(data.get("provenance", {}), "provenance")
    if "wall_seconds" in prov:
        _number(prov["wall_seconds"], "provenance.wall_seconds", minimum=0)
    if "packages" in prov:
        _object(prov["packages"], "provenance.packages")
    if "runs" in prov:
        _object(prov["runs"], "provenance.runs")
    seen: set[str] = set()
    for i, entry in enumerate(_list(data.get("claims"), "claims")):
        _claim(entry, f"claims[{i}]", data["schema"])
        if entry["id"] in seen:
            raise ResultsError(f"claims[{i}].id: {entry['id']!r} appears twice")
        seen.add(entry["id"])
    for i, record in enumerate(_list(data.get("bibliography", []), "bibliography")):
        _object(record, f"bibliography[{i}]")
    if "timing" in data:
        _timing(data["timing"])
