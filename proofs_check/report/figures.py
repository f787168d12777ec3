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
