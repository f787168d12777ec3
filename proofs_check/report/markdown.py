"""``report.md``: summary table first, provenance, then one section per claim.

Every value from ``results.json`` is escaped (:func:`text`): ``<`` and ``&`` become
entities and Markdown specials are backslash-escaped, so a hostile summary shows
as the literal text it is and never as a tag, a link or emphasis. Formulas that
:func:`~proofs_check.report.safe_latex.admit_math` admits go in ```math blocks
(math on GitHub, literal code elsewhere); anything else is shown as escaped text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

from tabulate import tabulate

from proofs_check import results
from proofs_check.report.figures import Drawn
from proofs_check.report.safe_latex import admit_math
from proofs_check.report.tables import (CHECK_HEADERS, FAILURE_HEADERS, Row, check_rows, evidence_table,
                                        failure_rows, is_display_math, one_line, paper_links, paper_text,
                                        power_cell, provenance_rows, summary_line, verdict_label, verdict_rows)
from proofs_check.search.results import certification_cell, search_cell

_HTML = {"&": "&amp;", "<": "&lt;"}  # what can start a tag or an entity; ">" alone is inert mid-line
_MARKDOWN = set("\\`*_[]#!~")
_INTRAWORD = re.compile(r"(?<=[A-Za-z0-9])_(?=[A-Za-z0-9])")  # snake_case: no emphasis there, left readable


def text(value: Any) -> str:
    """Any value as inline Markdown showing exactly its text (whitespace folded to single spaces)."""
    folded = " ".join("".join(ch if ch.isprintable() else " " for ch in str(value)).split())
    plain = {m.start() for m in _INTRAWORD.finditer(folded)}
    return "".join(_HTML.get(ch) or ("\\" + ch if ch in _MARKDOWN and i not in plain else ch)
                   for i, ch in enumerate(folded))


def code(value: Any) -> str:
    """Any value as an inline code span (a fence longer than any run of backticks inside)."""
    body = " ".join(str(value).split())
    fence = "`" * (max((len(run) for run in re.findall(r"`+", body)), default=0) + 1)
    pad = " " if body.startswith("`") or body.endswith("`") else ""
    return f"{fence}{pad}{body}{pad}{fence}"


def _anchor(claim_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "-", claim_id)


def _cell(cell: str) -> str:
    return str(cell).replace("|", "\\|").replace("\n", " ")


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A pipe table of cells that are Markdown already (escape data with :func:`text` first)."""
    return tabulate([[_cell(c) for c in r] for r in rows], headers=[_cell(h) for h in headers],
                    tablefmt="pipe", disable_numparse=True)


def _math_block(latex: str, indent: str = "") -> str | None:
    """An admitted formula as a ```math block (rendered as math by GitHub, shown as code elsewhere:
    never parsed as Markdown or HTML); ``None`` when the allow-list rejects it."""
    admitted = admit_math(latex)
    if admitted is None:
        return None
    fence = "`" * max(3, max((len(run) for run in re.findall(r"`+", admitted)), default=0) + 1)
    return "\n".join(indent + line for line in [f"{fence}math", *admitted.splitlines(), fence])


def _code(value: str) -> str:
    """Inline code that survives any backticks inside it."""
    value = " ".join(str(value).split())
    longest = max((len(part) for part in re.findall(r"`+", value)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if value.startswith("`") or value.endswith("`") else ""
    return f"{fence}{pad}{value}{pad}{fence}"


def _row_text(row: Row) -> str:
    return _code(row.text) if row.style in ("formula", "command") else text(row.text)


def _statement(latex: str) -> str:
    block = _math_block(latex) if is_display_math(latex) else None
    if block is not None:
        return block
    # text with inline math, or LaTeX the allow-list rejects: shown as its literal source
    note = "" if admit_math(latex) is not None else \
        " *(not typeset: it uses LaTeX outside the allowed math commands)*"
    return "> " + text(latex) + note


def _claim_section(claim: Mapping[str, Any], drawn: Sequence[Drawn], seconds: float | None) -> list[str]:
    took = "" if seconds is None else f", {seconds:.1f} s"
    out = [f'<a id="{_anchor(claim["id"])}"></a>', "", f"## {text(claim['id'])}: {text(claim.get('title', ''))}",
           "", f"**{text(verdict_label(claim).upper())}** - {text(claim['summary'])}", "",
           f"Paper {code(claim['paper'])}, {text(claim['source'])}; kind: {text(claim['kind'])}; "
           f"{claim['runs']} runs ({claim['failed_runs']} failed){took}.", "",
           _statement(claim["statement_latex"]), "",
           _table(["", ""], [(f"**{text(r.label)}**", _row_text(r)) for r in verdict_rows(claim)]), ""]
    checks = check_rows(claim)
    if checks:
        out += ["Checks:", "", _table(CHECK_HEADERS, [[text(cell) for cell in row] for row in checks]), ""]
    if claim.get("symbolic"):
        out += ["Symbolic side (`lintheory.symbolic`):", ""]
        for name, latex in claim["symbolic"].items():
            out += [f"- {code(name)}:", "", _math_block(latex, "  ") or f"  {code(latex)}", ""]
    table = evidence_table((claim.get("evidence") or {}).get("table") or [])
    if table is not None:
        out += [_table([text(h) for h in table.headers], [[text(c) for c in row] for row in table.rows]), ""]
        if table.note:
            out += [f"*{text(table.note)}.*", ""]
    for fig in drawn:
        out += ([f"![{text(fig.caption)}]({fig.png})", "", f"*{text(fig.caption)}*", ""] if fig.error is None
                else [f"*Figure {code(fig.name)} could not be drawn: {text(fig.error)}*", ""])
    if claim.get("failures"):
        out += [f"Failed runs ({claim['failed_runs']}):", "",
                _table(FAILURE_HEADERS, [[text(c) for c in row] for row in failure_rows(claim)]), ""]
    for note in claim.get("notes") or []:
        out += [f"> **Note:** {text(note)}", ""]
    return out


def render(data: Mapping[str, Any], drawn: Mapping[str, Sequence[Drawn]]) -> str:
    """The Markdown report of a results document; ``drawn`` maps claim ids to their figures."""
    claims = sorted(data["claims"], key=lambda c: c["id"])
    prov = results.provenance_with_times(data)
    out = [f"# proofs-check report ({text(prov.get('profile', '?'))} profile)", "",
           f"**{text(summary_line(claims))}.**", "",
           _table(["Claim", "Paper", "Source", "Verdict", "Evidence", "Power", "Search", "Certification"],
                  [[f"[{text(c['id'])}](#{_anchor(c['id'])})", text(c["paper"]), text(c["source"]),
                    f"**{text(verdict_label(c))}**", text(one_line(c["summary"])), text(power_cell(c)),
                    text(search_cell(c)), text(certification_cell(c))] for c in claims]), "",
           "## Provenance", "",
           _table(["Field", "Value"], [(text(k), text(v)) for k, v in provenance_rows(prov)]), ""]
    for claim in claims:
        out += _claim_section(claim, drawn.get(claim["id"], ()), results.claim_seconds(data, claim))
    records = data.get("bibliography") or []
    if records:
        out += ["## References", ""]
        for rec in records:
            links = ", ".join(f"[{text(label)}]({quote(url, safe=':/')})" for label, url in paper_links(rec))
            out += [f'- <a id="paper-{_anchor(str(rec.get("key")))}"></a>**[{text(str(rec.get("key")))}]** '
                    f"{text(paper_text(rec))}" + (f" {links}" if links else ""), ""]
    return "\n".join(out).rstrip() + "\n"
