"""Reports from ``results.json``: ``report.md``, ``report.tex``, ``figures/`` and ``report.pdf``.

Everything is rebuilt from the results document alone (figures from each claim's
``Figure.draw`` on its stored evidence), so ``proofs-check report DIR`` needs no
rerun; every file is replaced atomically.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from proofs_check.claim import Figure
from proofs_check.report import atomic, figures, latex, markdown

__all__ = ["Built", "build", "compile_pdf"]

FigureSource = Callable[[str], Sequence[Figure]]


@dataclass(frozen=True)
class Built:
    """The files a build wrote and what went wrong on the way (figures, pdflatex)."""

    paths: tuple[Path, ...]
    warnings: tuple[str, ...]


def _registered_figures(claim_id: str) -> Sequence[Figure]:
    from proofs_check import registry
    from proofs_check.figures_default import figures_of

    try:
        return figures_of(registry.get(claim_id))
    except registry.UnknownClaimError:
        return ()


def with_power(data: Mapping[str, Any], out_dir: Path) -> Mapping[str, Any]:
    """``data`` with each claim's ``power`` from ``out_dir/mutants.json`` (``proofs-check mutate``), if any."""
    from proofs_check import mutate

    rows = mutate.read(out_dir)
    if rows is None:
        return data
    power = mutate.power_of(rows)
    return {**data, "claims": [{**c, "power": power[c["id"]]} if c.get("id") in power else c
                               for c in data["claims"]]}


def compile_pdf(tex_path: Path, runs: int = 2, timeout: float = 180.0) -> str | None:
    """Compile ``tex_path`` to a PDF beside it with pdflatex; ``None`` on success, else the first error.

    Auxiliary files go to a temporary directory; the PDF replaces the old one
    only when compilation succeeded. On failure the log is kept as
    ``<name>.log`` next to the source.
    """
    exe = shutil.which("pdflatex")
    if exe is None:
        return "pdflatex not found on PATH; report.pdf not built"
    out_dir = tex_path.parent.resolve()  # pdflatex runs in out_dir: a relative build path would not resolve
    with tempfile.TemporaryDirectory(prefix=".latex-", dir=out_dir) as build:
        for _ in range(runs):  # the second pass settles longtable column widths
            try:
                proc = subprocess.run([exe, "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape",
                                       f"-output-directory={build}", tex_path.name], cwd=out_dir,
                                      capture_output=True, timeout=timeout, check=False)
            except subprocess.TimeoutExpired:
                return f"pdflatex took longer than {timeout:g} s on {tex_path.name}"
            log = Path(build) / f"{tex_path.stem}.log"
            if proc.returncode != 0:
                text = log.read_text(errors="replace") if log.exists() else proc.stdout.decode(errors="replace")
                if log.exists():
                    shutil.copyfile(log, out_dir / log.name)
                first = next((ln for ln in text.splitlines() if ln.startswith("!")), "unknown error")
                return f"pdflatex failed on {tex_path.name}: {first} (log: {out_dir / log.name})"
        with atomic.replacing(out_dir / f"{tex_path.stem}.pdf") as tmp:
            shutil.copyfile(Path(build) / f"{tex_path.stem}.pdf", tmp)
    return None


def build(out_dir: str | Path, data: Mapping[str, Any], figures_for: FigureSource | None = None, *,
          pdf: bool = True) -> Built:
    """Write the reports of ``data`` into ``out_dir``.

    ``figures_for(claim_id)`` gives a claim's figures (default: the registered
    claim's). ``pdf`` compiles ``report.pdf`` when pdflatex is available; its
    failure, like a figure's, is a warning, not an exception.
    """
    out_dir = Path(out_dir)
    figures_for = figures_for or _registered_figures
    data = with_power(data, out_dir)
    warnings: list[str] = []
    drawn: dict[str, list[figures.Drawn]] = {}
    for claim in data["claims"]:
        specs = figures_for(claim["id"])
        if specs:
            drawn[claim["id"]] = figures.draw(out_dir, claim["id"], claim.get("evidence") or {}, specs)
        elif claim.get("figures"):  # e.g. rebuilding a report where the claim's module is not installed
            drawn[claim["id"]] = figures.earlier(out_dir, claim["id"], claim["figures"])
        warnings += [f"figure {claim['id']}/{d.name} not drawn: {d.error}" for d in drawn.get(claim["id"], ())
                     if d.error]
    paths = [out_dir / "report.md", out_dir / "report.tex"]
    atomic.write_text(paths[0], markdown.render(data, drawn))
    atomic.write_text(paths[1], latex.render(data, drawn))
    files = sorted({p for ds in drawn.values() for d in ds for p in (d.png, d.pdf) if p})
    figures.prune(out_dir, {Path(p).stem for p in files})
    paths += [out_dir / p for p in files]
    if pdf:
        problem = compile_pdf(paths[1])
        if problem is None:
            paths.append(out_dir / "report.pdf")
        else:
            warnings.append(problem)
    return Built(tuple(paths), tuple(warnings))
