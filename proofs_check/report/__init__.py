"""Reports from ``results.json``: ``report.md``, ``report.html``, ``report.tex``, ``figures/`` and ``report.pdf``.

Everything is rebuilt from the results document alone (figures from each claim's
``Figure.draw`` on its stored evidence), so ``proofs-check report DIR`` needs no
rerun; every file is replaced atomically, and temporary files a killed build left
behind are removed. The folder holds each figure once, as PNG; the PDF versions
``report.pdf`` includes are drawn into pdflatex's build folder while it compiles
(see :mod:`proofs_check.report.figures`).

``report.tex`` only holds escaped text and allow-listed math
(:mod:`proofs_check.report.safe_latex`); pdflatex runs besides with shell escape
off and kpathsea's paranoid file access (``openin_any=p``, ``openout_any=p``: no
absolute paths, no parent folders, no dot files), so that even a LaTeX file
edited by hand cannot read or write outside the report folder.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from proofs_check.claim import Figure
from proofs_check.report import atomic, figures, html, latex, markdown

__all__ = ["Built", "build", "compile_pdf", "with_power"]

FigureSource = Callable[[str], Sequence[Figure]]
_BUILD_PREFIX = "latex-build-"  # no leading dot: paranoid mode refuses dot files
Notify = Callable[[str], None]
ReportFile = tuple[str, Callable[[Mapping[str, Any], Mapping[str, Sequence[figures.Drawn]], Path], str]]


def _ignore(message: str) -> None:
    pass


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


def compile_pdf(tex_path: Path, runs: int = 3, timeout: float = 180.0, build: Path | None = None,
                notify: Notify = _ignore) -> str | None:
    """Compile ``tex_path`` to a PDF beside it with pdflatex; ``None`` on success, else the first error.

    Auxiliary files go to ``build`` (default: a temporary directory), where
    pdflatex also finds the PDF figures drawn there before the PNGs beside the
    source. The PDF replaces the old one only when compilation succeeded. The
    log is kept as ``<name>.log`` next to the source when compilation failed or
    a line ran into the margin (:func:`overfull_boxes`).
    """
    exe = shutil.which("pdflatex")
    if exe is None:
        return "pdflatex not found on PATH; report.pdf not built"
    out_dir = tex_path.parent.resolve()
    if build is None:
        with tempfile.TemporaryDirectory(prefix=_BUILD_PREFIX, dir=out_dir) as tmp:
            return compile_pdf(tex_path, runs, timeout, Path(tmp), notify)
    build = build.resolve()
    # paranoid mode refuses absolute names: the build folder is named relative to out_dir, where pdflatex runs
    rel = os.path.relpath(build, out_dir)
    env = {**os.environ, "openin_any": "p", "openout_any": "p",
           "TEXINPUTS": rel + os.pathsep}  # trailing separator: then the default path
    log, kept = build / f"{tex_path.stem}.log", out_dir / f"{tex_path.stem}.log"
    for n in range(runs):  # later passes settle the table of contents and longtable column widths
        notify(f"compiling {tex_path.name} with pdflatex (pass {n + 1} of {runs})")
        try:
            proc = subprocess.run([exe, "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape",
                                   f"-output-directory={rel}", tex_path.name], cwd=out_dir, env=env,
                                  capture_output=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            return f"pdflatex took longer than {timeout:g} s on {tex_path.name}"
        if proc.returncode != 0:
            text = log.read_text(errors="replace") if log.exists() else proc.stdout.decode(errors="replace")
            if log.exists():
                shutil.copyfile(log, kept)
            first = next((ln for ln in text.splitlines() if ln.startswith("!")), "unknown error")
            return f"pdflatex failed on {tex_path.name}: {first} (log: {kept})"
    with atomic.replacing(out_dir / f"{tex_path.stem}.pdf") as tmp_pdf:
        shutil.copyfile(build / f"{tex_path.stem}.pdf", tmp_pdf)
    if overfull_boxes(log):
        shutil.copyfile(log, kept)
    else:
        kept.unlink(missing_ok=True)
    return None


def overfull_boxes(log_path: Path) -> list[str]:
    """The ``Overfull \\hbox`` warnings of a pdflatex log (each one is text running into the margin)."""
    text = log_path.read_text(errors="replace") if log_path.exists() else ""
    return [line for line in text.splitlines() if line.startswith("Overfull \\hbox")]


REPORTS: tuple[ReportFile, ...] = (
    ("report.md", lambda data, drawn, out: markdown.render(data, drawn)),
    ("report.html", html.render),
    ("report.tex", lambda data, drawn, out: latex.render(data, drawn)),
)


def _remove_leftovers(out_dir: Path) -> None:
    """Temporary files and pdflatex build folders of an earlier build that was killed."""
    for folder in (out_dir, out_dir / figures.DIRNAME):
        atomic.remove_stale(folder)
    for build in [*out_dir.glob(f"{_BUILD_PREFIX}*"), *out_dir.glob(".latex-*")]:  # the latter: older builds
        if build.is_dir():
            with contextlib.suppress(OSError):
                shutil.rmtree(build)


def build(out_dir: str | Path, data: Mapping[str, Any], figures_for: FigureSource | None = None, *,
          pdf: bool = True, notify: Notify = _ignore) -> Built:
    """Write the reports of ``data`` into ``out_dir``.

    ``figures_for(claim_id)`` gives a claim's figures (default: the registered
    claim's). ``pdf`` compiles ``report.pdf`` when pdflatex is available; its
    failure, like a figure's, is a warning, not an exception. ``notify`` hears
    each stage (figures drawn, files written, pdflatex passes).
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    _remove_leftovers(out_dir)
    with tempfile.TemporaryDirectory(prefix=_BUILD_PREFIX, dir=out_dir) as tmp:
        return _build(out_dir, with_power(data, out_dir), figures_for or _registered_figures,
                      Path(tmp) if pdf and shutil.which("pdflatex") else None, pdf, notify)


def _build(out_dir: Path, data: Mapping[str, Any], figures_for: FigureSource, latex_build: Path | None,
           pdf: bool, notify: Notify) -> Built:
    warnings: list[str] = []
    drawn: dict[str, list[figures.Drawn]] = {}
    claims = data["claims"]
    for i, claim in enumerate(claims):
        notify(f"drawing the figures of {claim['id']} ({i + 1} of {len(claims)} claims)")
        specs = figures_for(claim["id"])
        if specs:
            drawn[claim["id"]] = figures.draw(out_dir, claim["id"], claim.get("evidence") or {}, specs, latex_build)
        elif claim.get("figures"):  # e.g. rebuilding a report where the claim's module is not installed
            drawn[claim["id"]] = figures.earlier(out_dir, claim["id"], claim["figures"])
        warnings += [f"figure {claim['id']}/{d.name} not drawn: {d.error}" for d in drawn.get(claim["id"], ())
                     if d.error]
    paths = []
    for name, render in REPORTS:
        notify(f"writing {name}")
        paths.append(out_dir / name)
        atomic.write_text(paths[-1], render(data, drawn, out_dir))
    files = sorted({d.png for ds in drawn.values() for d in ds if d.png})
    figures.prune(out_dir, {Path(p).name for p in files})
    paths += [out_dir / p for p in files]
    if pdf:
        problem = compile_pdf(out_dir / "report.tex", build=latex_build, notify=notify)
        overfull = overfull_boxes(out_dir / "report.log")
        if problem is not None:
            warnings.append(problem)
        else:
            paths.append(out_dir / "report.pdf")
            if overfull:
                warnings.append(f"report.pdf: {len(overfull)} overfull boxes (text running into the margin; "
                                f"see report.log), the first: {overfull[0]}")
    return Built(tuple(paths), tuple(warnings))
