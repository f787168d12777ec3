"""Claim figures drawn from ``results.json`` evidence.

The report folder keeps one format per figure: PNG (``figures/<stem>.png``, read by
``report.md`` and embedded in ``report.html``). The vector PDFs that ``report.pdf``
includes are drawn only when it is compiled, into pdflatex's build folder (:func:`draw`),
so a committed report holds every figure once; ``report.tex`` names figures without
an extension and falls back to the PNG when compiled by hand.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from proofs_check.claim import Figure
from proofs_check.report import atomic
from proofs_check.worker import describe_exception

DIRNAME = "figures"
FORMATS = ("png", "pdf")
LEGEND_INSIDE = 6  # more entries than this go outside the axes, in a smaller font
LEGEND_COLUMNS = 14  # ... and in two columns beyond this


@dataclass(frozen=True)
class Drawn:
    """A drawn figure, ``png`` relative to the report directory, or the error that stopped it."""

    name: str
    caption: str
    png: str | None
    error: str | None = None

    @property
    def stem(self) -> str | None:
        """The figure's path without extension (what ``report.tex`` includes)."""
        return self.png[: -len(".png")] if self.png else None


def stem(claim_id: str, name: str) -> str:
    """A file stem safe for LaTeX's ``\\includegraphics``: letters, digits and hyphens."""
    return re.sub(r"[^A-Za-z0-9]+", "-", f"{claim_id}-{name}").strip("-")


_FIGURE_FILE = re.compile(r"^[a-z]+[0-9]{4}-[A-Za-z0-9-]+\.(png|pdf)$")


def prune(out_dir: Path, keep: set[str]) -> list[Path]:
    """Remove figure files of this naming scheme that are not ``keep`` (file names).

    Without this a claim that was renamed or dropped would leave its old figure
    behind in a committed report folder, and so would the PDF copies of earlier
    versions, which drew both formats. Files named otherwise are left alone.
    """
    folder = out_dir / DIRNAME
    stale = [p for p in folder.iterdir() if _FIGURE_FILE.match(p.name) and p.name not in keep] \
        if folder.is_dir() else []
    for path in stale:
        path.unlink()
    return stale


def earlier(out_dir: Path, claim_id: str, listed: Sequence[Mapping[str, str]]) -> list[Drawn]:
    """The figures ``results.json`` lists for a claim, as drawn by an earlier build (if they exist)."""
    drawn = []
    for fig in listed:
        png = f"{DIRNAME}/{stem(claim_id, fig['name'])}.png"
        if (out_dir / png).exists():
            drawn.append(Drawn(fig["name"], fig["caption"], png))
        else:
            drawn.append(Drawn(fig["name"], fig["caption"], None,
                               "the claim is not registered here and no earlier drawing exists"))
    return drawn


def _readable_legends(fig: Any) -> None:
    """Long legends move outside the axes (constrained layout makes room), smaller, in columns."""
    for ax in fig.axes:
        legend = ax.get_legend()
        if legend is None:
            continue
        handles, labels = ax.get_legend_handles_labels()
        if len(handles) <= LEGEND_INSIDE:
            continue
        legend.remove()
        ax.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0, fontsize=6.5,
                  ncol=2 if len(handles) > LEGEND_COLUMNS else 1, frameon=False)


def render(spec: Figure, evidence: Mapping[str, Any], targets: Mapping[str, Path]) -> None:
    """Draw one figure once and save it (atomically) to each ``{format: path}`` of ``targets``."""
    from matplotlib.figure import Figure as MplFigure  # no pyplot: no global figure state

    bad = sorted(set(targets) - set(FORMATS))
    if bad:
        raise ValueError(f"targets: formats must be among {FORMATS}, got {bad}")
    fig = MplFigure(figsize=(5.5, 3.6), layout="constrained")
    spec.draw(evidence, fig.subplots())
    _readable_legends(fig)
    for fmt, path in targets.items():
        with atomic.replacing(path) as tmp:
            # bbox "tight": no label or outside legend is ever cut at the figure's edge
            if fmt == "png":
                _save_png(fig, tmp)
            else:
                fig.savefig(tmp, format=fmt, bbox_inches="tight", pad_inches=0.04, metadata={"CreationDate": None})


def _save_png(fig: Any, path: Path) -> None:
    """PNG at 150 dpi with a 256-colour palette: a line plot uses far fewer colours, and the file is
    about a third of the full-colour one (the committed standard report stays small)."""
    from PIL import Image  # matplotlib's own dependency

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=150, bbox_inches="tight", pad_inches=0.04)
    buffer.seek(0)
    with Image.open(buffer) as image:
        image.convert("RGB").quantize(256, method=Image.Quantize.MEDIANCUT).save(path, format="png", optimize=True)


def draw(out_dir: Path, claim_id: str, evidence: Mapping[str, Any], figures: Sequence[Figure],
         pdf_dir: Path | None = None) -> list[Drawn]:
    """Draw each figure of a claim as PNG into ``out_dir/figures`` and, given ``pdf_dir``, as PDF into
    ``pdf_dir/figures``; failures become ``Drawn.error``."""
    folders = [out_dir] + ([pdf_dir] if pdf_dir is not None else [])
    for folder in folders:
        (folder / DIRNAME).mkdir(parents=True, exist_ok=True)
    drawn = []
    for spec in figures:
        base = f"{DIRNAME}/{stem(claim_id, spec.name)}"
        targets = {"png": out_dir / f"{base}.png", **({"pdf": pdf_dir / f"{base}.pdf"} if pdf_dir else {})}
        try:
            render(spec, evidence, targets)
        except Exception as exc:  # a broken figure must not cost the report
            drawn.append(Drawn(spec.name, spec.caption, None, describe_exception(exc)))
            continue
        drawn.append(Drawn(spec.name, spec.caption, f"{base}.png"))
    return drawn
