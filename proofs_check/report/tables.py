"""Report content shared by the Markdown, LaTeX and HTML writers: cells, rows, capped evidence tables.

Every function here returns plain text; each writer escapes it for its own format.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

MAX_ROWS = 24
MAX_LISTED = 6  # a longer list in a cell is summarised by its length and range
_FIRST_COLUMNS = ("predicted", "observed", "slack", "error", "allowed", "status")


def fmt(x: Any) -> str:
    """A cell: 4 significant digits for floats, ``-`` for missing; lists as ``(a, b)`` (long numeric ones
    as their count and range) and mappings as ``k=v``, never raw JSON."""
    if x is None:
        return "-"
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, float):
        return f"{x:.4g}"
    if isinstance(x, Mapping):
        return ", ".join(f"{k}={fmt(v)}" for k, v in x.items())
    if isinstance(x, (list, tuple)):
        numbers = [v for v in x if isinstance(v, (int, float)) and not isinstance(v, bool)]
        if len(x) > MAX_LISTED and len(numbers) == len(x):
            return f"{len(x)} values in [{fmt(min(numbers))}, {fmt(max(numbers))}]"
        if len(x) > MAX_LISTED:
            return "(" + ", ".join(fmt(v) for v in x[:MAX_LISTED]) + f", ... {len(x) - MAX_LISTED} more)"
        return "(" + ", ".join(fmt(v) for v in x) + ")"
    return str(x)


def params_text(params: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={fmt(v)}" for k, v in params.items())


@dataclass(frozen=True)
class Table:
    """An evidence table as text cells, with a note when rows were left out."""

    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    note: str | None


def evidence_table(rows: Sequence[Mapping[str, Any]], max_rows: int = MAX_ROWS) -> Table | None:
    """Rows ``{"params": {...}, "predicted", "observed", ...}`` as a table: parameters first.

    Longer tables keep their first and last ``max_rows // 2`` rows (``results.json``
    keeps them all).
    """
    if not rows:
        return None
    params = list(dict.fromkeys(k for r in rows for k in (r.get("params") or {})))
    others = list(dict.fromkeys(k for r in rows for k in r if k != "params"))
    columns = [c for c in _FIRST_COLUMNS if c in others] + [c for c in others if c not in _FIRST_COLUMNS]
    def cells(r: Mapping[str, Any]) -> tuple[str, ...]:
        return tuple(fmt((r.get("params") or {}).get(p)) for p in params) + tuple(fmt(r.get(c)) for c in columns)

    if len(rows) <= max_rows:
        return Table(tuple(params + columns), tuple(cells(r) for r in rows), None)
    half = max_rows // 2
    gap = ("...",) * (len(params) + len(columns))
    shown = (*(cells(r) for r in rows[:half]), gap, *(cells(r) for r in rows[-half:]))
    return Table(tuple(params + columns), shown,
                 f"{len(rows)} rows; the first {half} and last {half} are shown, all are in results.json")


FAILURE_HEADERS = ("Parameters", "Status", "Error")


def failure_rows(claim: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """The claim's failed runs as (parameters, status, error) cells."""
    return [(params_text(f["params"]), f["status"], f["error"] or "") for f in claim.get("failures") or []]


VERDICT_ORDER = ("confirmed", "refuted", "not_reproduced", "inconclusive")
LEVEL_WORDS = {"sourced": "sourced", "reconstructed": "reconstruction", "observation": "toolkit observation"}


def counts(claims: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    """Claims per verdict, in the order confirmed, refuted, not reproduced, inconclusive."""
    out = dict.fromkeys(VERDICT_ORDER, 0)
    for c in claims:
        out[c["verdict"]] = out.get(c["verdict"], 0) + 1
    return out


def verdict_label(claim: Mapping[str, Any]) -> str:
    """The verdict with the claim's provenance level beside it, e.g. "confirmed (reconstruction)"."""
    word = str(claim["verdict"]).replace("_", " ")
    level = claim.get("level")
    return f"{word} ({LEVEL_WORDS.get(level, level)})" if level else word


def summary_line(claims: Sequence[Mapping[str, Any]]) -> str:
    """"N claims: a confirmed (x sourced, y reconstruction, ...), ..." with counts split by level."""
    parts = []
    for verdict, n in counts(claims).items():
        if not n and verdict not in ("confirmed", "refuted"):
            continue
        levels: dict[str, int] = {}
        for c in claims:
            if c["verdict"] == verdict and c.get("level"):
                levels[c["level"]] = levels.get(c["level"], 0) + 1
        split = ", ".join(f"{k} {LEVEL_WORDS.get(lv, lv)}" for lv, k in sorted(levels.items()))
        parts.append(f"{n} {verdict.replace('_', ' ')}" + (f" ({split})" if split and n else ""))
    return f"{len(claims)} claims: " + ", ".join(parts)


def power_cell(claim: Mapping[str, Any], brief: bool = False) -> str:
    """Which of the claim's mutants its checks catch (from ``proofs-check mutate``), or why it has none;
    ``brief`` leaves the reasons and findings to the claim's own section (a narrow summary column)."""
    power = claim.get("power")
    if not isinstance(power, Mapping):
        return "-"
    if power.get("mutants", 0) == 0:
        return "no mutants (why: see the claim)" if brief else "no mutants: " + str(power.get("reason") or
                                                                                    "none declared")
    cell = f"{power.get('caught', 0)}/{power.get('mutants')} mutants caught"
    survivors = power.get("survivors") or []
    if brief:
        return cell + (f"; {', '.join(str(s.get('mutant')) for s in survivors)} survived" if survivors else "")
    return cell + "".join(f"; {s.get('mutant')} survived: {s.get('finding')}" for s in survivors)


Style = Literal["text", "formula", "command"]


@dataclass(frozen=True)
class Row:
    """One row of a claim's verdict table. ``style``: ``formula`` (a short formula in plain words,
    typeset in a fixed-width font), ``command`` (a shell command, to be copied verbatim) or ``text``."""

    label: str
    text: str
    style: Style = "text"


def verdict_rows(claim: Mapping[str, Any]) -> list[Row]:
    """What was compared, how, and the headline numbers of the evidence."""
    stated = [Row(label, str(claim[key]), "formula" if key in ("predicted", "observed") else "text")
              for label, key in (("Predicted", "predicted"), ("Observed", "observed"), ("Tolerance", "tolerance"),
                                 ("Arithmetic", "arithmetic"))]
    return stated + _highlights(claim)


def slack_text(slack: Any) -> str | None:
    if not isinstance(slack, Mapping):
        return None
    return f"min {fmt(slack.get('min'))}, median {fmt(slack.get('median'))}, max {fmt(slack.get('max'))}"


def fit_text(fit: Any) -> tuple[str, str] | None:
    """``("Fitted exponent", "0.87, 95% CI [...], claimed ...")`` for a fit, or ``None``."""
    if not isinstance(fit, Mapping):
        return None
    name = next((k for k in ("exponent", "slope", "rate", "factor") if k in fit), None)
    if name is None:
        return None
    ci = fit.get("ci95") or [None, None]
    text = f"{fmt(fit[name])}, 95% CI [{fmt(ci[0])}, {fmt(ci[1])}]"
    if "expected" in fit:
        text += f", claimed {str(fit.get('sense', 'equal')).replace('_', ' ')} {fmt(fit['expected'])}"
    if "n" in fit:
        text += f", n = {fit['n']}"
    return f"Fitted {name}", text


def _highlights(claim: Mapping[str, Any]) -> list[Row]:
    """The headline numbers of a claim's evidence: slack range, fitted exponent, max error, search, Arb."""
    ev = claim.get("evidence") or {}
    out = []
    slack = slack_text(ev.get("slack"))
    if slack:
        out.append(Row("Slack (observed / predicted)", slack))
    fit = fit_text(ev.get("fit"))
    if fit:
        out.append(Row(*fit))
    if "max_error" in ev:
        out.append(Row("Max error", fmt(ev["max_error"])))
    if ev.get("violations"):
        out.append(Row("Violating instances", "; ".join(params_text(p) for p in ev["violations"][:5])
                       + (f" (and {len(ev['violations']) - 5} more)" if len(ev["violations"]) > 5 else "")))
    search = claim.get("search") or {}
    if search:
        out.append(Row("Counterexample search", str(search.get("summary", ""))))
        if search.get("command"):
            out.append(Row("Rerun the search's instance", str(search["command"]), "command"))
    from proofs_check.search.results import certification_detail

    cert = certification_detail(claim)
    if cert:
        out.append(Row("Arb certification", cert))
    return out


CHECK_HEADERS = ("Check", "Level", "Role", "Verdict", "Predicted", "Observed", "Tolerance", "Slack / fit")


def check_rows(claim: Mapping[str, Any]) -> list[tuple[str, ...]]:
    """The claim's judged checks (schema 2), one row each, as text cells."""
    rows = []
    for c in claim.get("checks") or []:
        fit = fit_text(c.get("fit"))
        headline = slack_text(c.get("slack")) or (fit[1] if fit else "-")
        rows.append((str(c.get("label", "")), LEVEL_WORDS.get(c.get("level"), str(c.get("level", "-"))),
                     str(c.get("role", "-")), str(c.get("verdict", "-")).replace("_", " "),
                     str(c.get("predicted", "")), str(c.get("observed", "")), str(c.get("tolerance", "")), headline))
    return rows


def paper_text(record: Mapping[str, Any]) -> str:
    """A bibliography entry in one line: authors, title, venue, year, arXiv id, DOI."""
    authors = list(record.get("authors") or [])
    names = ", ".join(authors[:-1]) + f" and {authors[-1]}" if len(authors) > 1 else "".join(authors)
    parts = [f"{names}." if names else "", f"{record.get('title', '')}.",
             f"{record.get('venue', '')}, {record.get('year', '')}."]
    if record.get("arxiv"):
        parts.append(f"arXiv:{record['arxiv']}.")
    if record.get("doi"):
        parts.append(f"doi:{record['doi']}.")
    if record.get("note"):
        parts.append(str(record["note"]))
    return " ".join(p for p in parts if p)


def paper_links(record: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(text, URL) of a paper's arXiv page and DOI."""
    out = []
    if record.get("arxiv"):
        out.append((f"arXiv:{record['arxiv']}", f"https://arxiv.org/abs/{record['arxiv']}"))
    if record.get("doi"):
        out.append((f"doi:{record['doi']}", f"https://doi.org/{record['doi']}"))
    return out


def provenance_rows(prov: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Provenance as (field, value) pairs, packages flattened."""
    rows = []
    for key, value in prov.items():
        if key == "packages" and isinstance(value, Mapping):
            rows.append(("packages", ", ".join(f"{k} {v}" for k, v in value.items())))
        elif key == "runs" and isinstance(value, Mapping):
            rows.append(("runs", ", ".join(f"{v} {k}" for k, v in value.items())))
        elif key == "arithmetic" and isinstance(value, list):
            rows.append(("arithmetic", ", ".join(value) or "-"))
        elif key == "wall_seconds" and isinstance(value, (int, float)):
            rows.append(("wall time", f"{value:.1f} s"))
        else:
            rows.append((key, fmt(value)))
    return rows


def one_line(text: str, limit: int = 160) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def is_display_math(statement: str) -> bool:
    """A statement with no text-mode math delimiters is a formula to display."""
    return not any(d in statement for d in ("$", "\\(", "\\[", "\\begin"))
