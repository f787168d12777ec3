"""``report.md``: summary table first, provenance, then one section per claim."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from tabulate import tabulate

from proofs_check.report.figures import Drawn
from proofs_check.report.tables import (CHECK_HEADERS, FAILURE_HEADERS, Row, check_rows, evidence_table,
                                        failure_rows, is_display_math, one_line, paper_links, paper_text,
                                        power_cell, provenance_rows, summary_line, verdict_label, verdict_rows)
from proofs_check.search.results import certification_cell, search_cell


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    return tabulate([[_cell(c) for c in r] for r in rows], headers=[_cell(h) for h in headers],
                    tablefmt="pipe", disable_numparse=True)


def _code(text: str) -> str:
    """Inline code that survives any backticks inside it."""
    text = " ".join(str(text).split())
    longest = max((len(part) for part in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _row_text(row: Row) -> str:
    return _code(row.text) if row.style in ("formula", "command") else row.text


def _statement(latex: str) -> str:
    return f"$$\n{latex}\n$$" if is_display_math(latex) else "> " + latex.replace("\n", "\n> ")


def _claim_section(claim: Mapping[str, Any], drawn: Sequence[Drawn]) -> list[str]:
    out = [f'<a id="{claim["id"]}"></a>', "", f"## {claim['id']}: {claim.get('title', '')}", "",
           f"**{verdict_label(claim).upper()}** - {claim['summary']}", "",
           f"Paper `{claim['paper']}`, {claim['source']}; kind: {claim['kind']}; "
           f"{claim['runs']} runs ({claim['failed_runs']} failed), {claim['seconds']:.1f} s.", "",
           _statement(claim["statement_latex"]), "",
           _table(["", ""], [(f"**{r.label}**", _row_text(r)) for r in verdict_rows(claim)]), ""]
    checks = check_rows(claim)
    if checks:
        out += ["Checks:", "", _table(CHECK_HEADERS, checks), ""]
    if claim.get("symbolic"):
        out += ["Symbolic side (`lintheory.symbolic`):", ""]
        for name, latex in claim["symbolic"].items():
            out += [f"- `{name}`:", "", f"  $$ {latex} $$", ""]
    table = evidence_table((claim.get("evidence") or {}).get("table") or [])
    if table is not None:
        out += [_table(table.headers, table.rows), ""]
        if table.note:
            out += [f"*{table.note}.*", ""]
    for fig in drawn:
        out += ([f"![{fig.caption}]({fig.png})", "", f"*{fig.caption}*", ""] if fig.error is None
                else [f"*Figure `{fig.name}` could not be drawn: {fig.error}*", ""])
    if claim.get("failures"):
        out += [f"Failed runs ({claim['failed_runs']}):", "",
                _table(FAILURE_HEADERS, failure_rows(claim)), ""]
    for note in claim.get("notes") or []:
        out += [f"> **Note:** {note}", ""]
    return out


def render(data: Mapping[str, Any], drawn: Mapping[str, Sequence[Drawn]]) -> str:
    """The Markdown report of a results document; ``drawn`` maps claim ids to their figures."""
    claims = sorted(data["claims"], key=lambda c: c["id"])
    prov = data.get("provenance", {})
    out = [f"# proofs-check report ({prov.get('profile', '?')} profile)", "",
           f"**{summary_line(claims)}.**", "",
           _table(["Claim", "Paper", "Source", "Verdict", "Evidence", "Power", "Search", "Certification"],
                  [[f"[{c['id']}](#{c['id']})", c["paper"], c["source"], f"**{verdict_label(c)}**",
                    one_line(c["summary"]), power_cell(c), search_cell(c), certification_cell(c)]
                   for c in claims]), "",
           "## Provenance", "",
           _table(["Field", "Value"], provenance_rows(prov)), ""]
    for claim in claims:
        out += _claim_section(claim, drawn.get(claim["id"], ()))
    records = data.get("bibliography") or []
    if records:
        out += ["## References", ""]
        for rec in records:
            links = ", ".join(f"[{text}]({url})" for text, url in paper_links(rec))
            out += [f'- <a id="paper-{rec.get("key")}"></a>**[{rec.get("key")}]** {paper_text(rec)}'
                    + (f" {links}" if links else ""), ""]
    return "\n".join(out).rstrip() + "\n"
