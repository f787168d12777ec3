"""report.tex / report.pdf: fits the page (no overfull box), contents, links, copyable commands, references;
figures: one format in the report folder, readable legends."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from report_docs import COMMAND, document

from proofs_check import report
from proofs_check.claim import Figure
from proofs_check.report import figures, latex


def test_the_tex_has_contents_links_levels_power_references_and_no_raw_json(tmp_path: Path) -> None:
    doc = document(8)
    report.build(tmp_path, doc, lambda cid: (), pdf=False)
    tex = (tmp_path / "report.tex").read_text()
    assert r"\tableofcontents" in tex and r"\usepackage[colorlinks" in tex and r"\hyperref[claim:" in tex
    assert r"\section*{References}" in tex and r"\hypertarget{paper:toy0000}" in tex
    assert r"\textbf{Power}" in tex and "mutants caught" in tex
    for verdict, level in (("confirmed", "sourced"), ("refuted", "reconstruction"), ("inconclusive", "sourced")):
        assert re.search(rf"\\textbf{{{verdict}}} \\newline \({level}\)", tex), (verdict, level)
    assert '{"' not in tex and '":' not in tex  # containers in cells are words, not JSON
    assert r"\resizebox{\linewidth}{!}{\usebox{\fitbox}}" in tex  # only inside \fitdisplay, never for tables
    assert tex.count(r"\resizebox") == 1
    # the 13-column evidence table is split into parts that repeat the first parameter columns
    section = tex.split(r"\label{claim:toy0000-claim-00-with-a-long-name}")[1].split(r"\section")[0]
    assert section.count(r"\textbf{widths} & \textbf{eta}") >= 2


def test_commands_are_set_glyph_for_glyph() -> None:
    out = latex.command(COMMAND)
    assert r"\char13{}" in out and "'" not in out  # straight single quotes, no curly ones
    assert "{-}{-}" in out and r"\char95{}" in out  # no en dash ligature, a real underscore
    assert latex.command("a\\b{c}$%#&~^") .count(r"\char") == 5


@pytest.mark.usefixtures("needs_pdflatex")
def test_forty_four_claims_compile_without_a_single_overfull_box(tmp_path: Path) -> None:
    built = report.build(tmp_path, document(44), lambda cid: (), pdf=True)
    assert built.warnings == (), built.warnings  # an overfull box would be a warning (see report.overfull_boxes)
    assert (tmp_path / "report.pdf").read_bytes().startswith(b"%PDF")
    assert not (tmp_path / "report.log").exists()  # kept only when something ran into the margin


def _many_lines(evidence: object, ax: object) -> None:
    for i in range(21):
        ax.plot([0, 1], [i, i + 1], label=f"a rather long series label {i}")  # type: ignore[attr-defined]
    ax.set_ylabel("a y label long enough to be cut by a careless layout " * 2)  # type: ignore[attr-defined]
    ax.legend()  # type: ignore[attr-defined]


def test_one_format_per_figure_in_the_folder_and_pdf_figures_while_compiling(tmp_path: Path, pdflatex: bool
                                                                              ) -> None:
    spec = Figure("lines", "many lines", _many_lines)
    built = report.build(tmp_path, document(1), lambda cid: (spec,), pdf=pdflatex)
    assert built.warnings == ()
    assert sorted(p.name for p in (tmp_path / "figures").iterdir()) == ["toy0000-claim-00-with-a-long-name-lines.png"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".latex-")]  # the build folder is gone
    tex = (tmp_path / "report.tex").read_text()
    assert "{figures/toy0000-claim-00-with-a-long-name-lines}" in tex  # no extension: PDF while compiling


def test_long_legends_move_outside_the_axes(tmp_path: Path) -> None:
    seen = []

    def draw(evidence: object, ax: object) -> None:
        _many_lines(evidence, ax)
        seen.append(ax)

    figures.render(Figure("x", "x", draw), {}, {"png": tmp_path / "x.png"})
    ax = seen[0]
    legend = ax.get_legend()
    renderer = ax.figure._get_renderer()
    assert legend.get_window_extent(renderer).x0 >= ax.get_window_extent(renderer).x1  # beside, not over the data
    assert len(legend.get_texts()) == 21 and legend._ncols == 2
