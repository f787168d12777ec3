"""``proofs-check export ID``: one claim's table and figures, ready to go into a paper.

Written from a run's ``results.json`` (no rerun): ``<stem>-table.tex``, a booktabs
``table`` environment of the claim's evidence (every row, parameters first, text
escaped) with its verdict in the caption, and each figure as ``<stem>-<figure>.png``
and/or ``.pdf`` (drawn again from the stored evidence when the claim is
registered here; else the PNG of the report folder is copied).
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from proofs_check.report import atomic, figures
from proofs_check.report.safe_latex import escape_text
from proofs_check.report.tables import evidence_table, verdict_label

__all__ = ["FORMATS", "export", "latex_table"]

FORMATS = ("latex", "png", "pdf")


def latex_table(claim: Mapping[str, Any]) -> str:
    """The claim's evidence as a ``table`` environment (booktabs); every row of ``results.json``."""
    rows = (claim.get("evidence") or {}).get("table") or []
    table = evidence_table(rows, max_rows=max(len(rows), 1))
    caption = (f"{claim['id']} ({claim['source']}): {verdict_label(claim)}. {claim['summary']}")
    label = "tab:" + figures.stem(claim["id"], "evidence")
    out = ["% exported by proofs-check; needs \\usepackage{booktabs}", r"\begin{table}[ht]", r"\centering",
           rf"\caption{{{escape_text(caption)}}}", rf"\label{{{label}}}"]
    if table is None:
        out += [r"\emph{(this claim's evidence has no table)}"]
    else:
        out += [rf"\begin{{tabular}}{{{'l' * len(table.headers)}}}", r"\toprule",
                " & ".join(escape_text(h) for h in table.headers) + r" \\", r"\midrule"]
        # "{}" first: a cell starting with "[" would be read as the optional argument of \\
        out += ["{}" + " & ".join(escape_text(c) for c in row) + r" \\" for row in table.rows]
        out += [r"\bottomrule", r"\end{tabular}"]
    return "\n".join(out + [r"\end{table}"]) + "\n"


def export(data: Mapping[str, Any], claim_id: str, results_dir: Path, to: Path, formats: Sequence[str]) -> list[Path]:
    """Write the files of ``claim_id`` in ``formats`` (of :data:`FORMATS`) into ``to``; return their paths.

    Raises ``KeyError`` for a claim the results do not hold, ``ValueError`` for an unknown format.
    """
    bad = sorted(set(formats) - set(FORMATS))
    if bad:
        raise ValueError(f"formats must be among {FORMATS}, got {bad}")
    claim = next((c for c in data["claims"] if c["id"] == claim_id), None)
    if claim is None:
        raise KeyError(claim_id)
    to.mkdir(parents=True, exist_ok=True)
    base = figures.stem(claim_id, "")
    written = []
    if "latex" in formats:
        written.append(to / f"{base}-table.tex")
        atomic.write_text(written[-1], latex_table(claim))
    images = [f for f in formats if f in figures.FORMATS]
    if images:
        written += _figures(claim, results_dir, to, images)
    return written


def _figures(claim: Mapping[str, Any], results_dir: Path, to: Path, formats: Sequence[str]) -> list[Path]:
    from proofs_check import registry
    from proofs_check.figures_default import figures_of

    try:
        specs = figures_of(registry.get(claim["id"]))
    except registry.UnknownClaimError:
        specs = ()
    written = []
    if specs:
        for spec in specs:
            targets = {fmt: to / f"{figures.stem(claim['id'], spec.name)}.{fmt}" for fmt in formats}
            figures.render(spec, claim.get("evidence") or {}, targets)
            written += list(targets.values())
        return written
    for listed in claim.get("figures") or []:  # not registered here: the report's own PNG, if any
        source = results_dir / figures.DIRNAME / f"{figures.stem(claim['id'], listed['name'])}.png"
        if "png" in formats and source.exists():
            written.append(to / source.name)
            shutil.copyfile(source, written[-1])
    return written
