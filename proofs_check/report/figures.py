"""Claim figures drawn from ``results.json`` evidence, saved as PNG (Markdown) and PDF (LaTeX)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from proofs_check.claim import Figure
from proofs_check.report import atomic
from proofs_check.worker import describe_exception

DIRNAME = "figures"


@dataclass(frozen=True)
class Drawn:
    """A figure file pair, paths relative to the report directory, or the error that stopped it."""

    name: str
    caption: str
    png: str | None
    pdf: str | None
    error: str | None = None


def stem(claim_id: str, name: str) -> str:
    """A file stem safe for LaTeX's ``\\includegraphics``: letters, digits and hyphens."""
    return re.sub(r"[^A-Za-z0-9]+", "-", f"{claim_id}-{name}").strip("-")


_FIGURE_FILE = re.compile(r"^[a-z]+[0-9]{4}-[A-Za-z0-9-]+\.(png|pdf)$")


def prune(out_dir: Path, keep: set[str]) -> list[Path]:
    """Remove figure files of this naming scheme whose stem is not in ``keep``.

    Without this a claim that was renamed or dropped would leave its old figure
    behind in a committed report folder. Files named otherwise are left alone.
    """
    folder = out_dir / DIRNAME
    stale = [p for p in folder.iterdir() if _FIGURE_FILE.match(p.name) and p.stem not in keep] \
        if folder.is_dir() else []
    for path in stale:
        path.unlink()
    return stale


def earlier(out_dir: Path, claim_id: str, listed: Sequence[Mapping[str, str]]) -> list[Drawn]:
    """The figures ``results.json`` lists for a claim, as drawn by an earlier build (if they exist)."""
    drawn = []
    for fig in listed:
        base = stem(claim_id, fig["name"])
        png, pdf = f"{DIRNAME}/{base}.png", f"{DIRNAME}/{base}.pdf"
        if (out_dir / png).exists() and (out_dir / pdf).exists():
            drawn.append(Drawn(fig["name"], fig["caption"], png, pdf))
        else:
            drawn.append(Drawn(fig["name"], fig["caption"], None, None,
                               "the claim is not registered here and no earlier drawing exists"))
    return drawn


def draw(out_dir: Path, claim_id: str, evidence: Mapping[str, Any], figures: Sequence[Figure]) -> list[Drawn]:
    """Draw each figure of a claim into ``out_dir/figures`` (atomically); failures become ``Drawn.error``."""
    from matplotlib.figure import Figure as MplFigure  # no pyplot: no global figure state

    folder = out_dir / DIRNAME
    folder.mkdir(exist_ok=True)
    drawn = []
    for fig_spec in figures:
        base = stem(claim_id, fig_spec.name)
        try:
            fig = MplFigure(figsize=(5.5, 3.6), layout="constrained")
            fig_spec.draw(evidence, fig.subplots())
            with atomic.replacing(folder / f"{base}.png") as tmp:
                fig.savefig(tmp, format="png", dpi=150)
            with atomic.replacing(folder / f"{base}.pdf") as tmp:
                fig.savefig(tmp, format="pdf", metadata={"CreationDate": None})  # byte-stable reruns
        except Exception as exc:  # a broken figure must not cost the report
            drawn.append(Drawn(fig_spec.name, fig_spec.caption, None, None, describe_exception(exc)))
            continue
        drawn.append(Drawn(fig_spec.name, fig_spec.caption, f"{DIRNAME}/{base}.png", f"{DIRNAME}/{base}.pdf"))
    return drawn
