"""``report.tex``: booktabs tables, statements as LaTeX, figures as PDF; compiles with plain pdflatex.

Only packages from Debian's texlive-latex-base and texlive-latex-recommended are
used. Free text (ids, summaries, tolerances) is escaped; claim statements and
symbolic formulas are LaTeX already and go in as written, with stray Unicode
symbols mapped to LaTeX commands (pdflatex stops on an unmapped character).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any

from proofs_check.report.figures import Drawn
from proofs_check.report.tables import (FAILURE_HEADERS, evidence_table, failure_rows, is_display_math, one_line,
                                        provenance_rows, summary_line, verdict_label, verdict_rows)
from proofs_check.search.results import certification_cell, search_cell

_ESCAPES = {
    "\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{",
    "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}", "<": r"\ensuremath{<}",
    ">": r"\ensuremath{>}", "|": r"\ensuremath{|}",
}
_MATH_SYMBOLS = {
    "α": r"\alpha", "β": r"\beta", "γ": r"\gamma", "δ": r"\delta", "ε": r"\varepsilon", "η": r"\eta",
    "θ": r"\theta", "κ": r"\kappa", "λ": r"\lambda", "μ": r"\mu", "ν": r"\nu", "ξ": r"\xi", "π": r"\pi",
    "ρ": r"\rho", "σ": r"\sigma", "τ": r"\tau", "φ": r"\phi", "ψ": r"\psi", "ω": r"\omega", "Γ": r"\Gamma",
    "Δ": r"\Delta", "Θ": r"\Theta", "Λ": r"\Lambda", "Σ": r"\Sigma", "Φ": r"\Phi", "Ψ": r"\Psi",
    "Ω": r"\Omega", "ℓ": r"\ell", "≤": r"\le", "≥": r"\ge", "≠": r"\ne", "≈": r"\approx", "×": r"\times",
    "·": r"\cdot", "−": "-", "→": r"\to", "∞": r"\infty", "±": r"\pm", "∈": r"\in", "‖": r"\|",
    "√": r"\surd", "∑": r"\sum", "∏": r"\prod", "∂": r"\partial", "∇": r"\nabla", "⊤": r"\top",
    "²": "^2", "³": "^3", "⁻": "^-", "¹": "^1",
}
_TEXT_SYMBOLS = {"—": "---", "–": "--", "‘": "`", "’": "'", "“": "``", "”": "''", "…": r"\ldots{}",
                 "\u00a0": "~", "§": r"\S{}", "¶": r"\P{}", "°": r"\ensuremath{^\circ}"}


def unicode_safe(latex: str) -> str:
    """``latex`` with non-ASCII characters replaced by LaTeX commands (``?`` when unknown)."""
    out = []
    for ch in latex:
        if ch.isascii():
            out.append(ch)
        elif ch in _MATH_SYMBOLS:
            out.append(rf"\ensuremath{{{_MATH_SYMBOLS[ch]}}}")
        elif ch in _TEXT_SYMBOLS:
            out.append(_TEXT_SYMBOLS[ch])
        else:  # an accented letter keeps its base letter; anything else becomes "?"
            out.append(unicodedata.normalize("NFKD", ch).encode("ascii", "ignore").decode() or "?")
    return "".join(out)


def escape(text: Any) -> str:
    """Free text as LaTeX text: special characters escaped, Unicode mapped."""
    return unicode_safe("".join(_ESCAPES.get(ch, ch) for ch in str(text)))


def _tt(claim_id: str) -> str:
    return r"\texttt{" + escape(claim_id).replace(r"\_", r"\_\allowbreak{}").replace(".", r".\allowbreak{}") + "}"


def _tabular(headers: Sequence[str], rows: Sequence[Sequence[str]], spec: str | None = None) -> list[str]:
    spec = spec or "l" * len(headers)
    out = [rf"\fitwidth{{\begin{{tabular}}{{{spec}}}", r"\toprule", " & ".join(escape(h) for h in headers) + r" \\",
           r"\midrule"]
    # "{}" first: a cell starting with "[" would be read as the optional argument of \\ or \midrule
    out += ["{}" + " & ".join(escape(c) for c in row) + r" \\" for row in rows]
    return out + [r"\bottomrule", r"\end{tabular}}", ""]


def _statement(latex: str) -> list[str]:
    latex = unicode_safe(latex)
    if is_display_math(latex):
        return [r"\[", latex, r"\]"]
    return [r"\begin{quote}\itshape", latex, r"\end{quote}"]


_PREAMBLE = r"""\documentclass[10pt]{article}
\usepackage[margin=2cm]{geometry}
\usepackage{amsmath,amssymb}
\usepackage{array,booktabs,longtable}
\usepackage{graphicx}
\usepackage[hidelinks]{hyperref}
\newsavebox{\fitbox}
% a table keeps its natural size unless it is wider than the text
\newcommand{\fitwidth}[1]{\sbox{\fitbox}{#1}\ifdim\wd\fitbox>\linewidth
  \resizebox{\linewidth}{!}{\usebox{\fitbox}}\else\usebox{\fitbox}\fi}
"""


def _claim_section(claim: Mapping[str, Any], drawn: Sequence[Drawn]) -> list[str]:
    heading = rf"\texorpdfstring{{{_tt(claim['id'])}}}{{{escape(claim['id'])}}}: {escape(claim.get('title', ''))}"
    out = [rf"\section{{{heading}}}",
           rf"\textbf{{{escape(verdict_label(claim).upper())}}} --- {escape(claim['summary'])}", "",
           rf"\noindent Paper \texttt{{{escape(claim['paper'])}}}, {escape(claim['source'])}; kind: "
           rf"{escape(claim['kind'])}; {claim['runs']} runs ({claim['failed_runs']} failed), "
           rf"{claim['seconds']:.1f}\,s.", ""]
    out += _statement(claim["statement_latex"])
    out += [r"\begin{center}", r"\begin{tabular}{>{\raggedright}p{0.2\linewidth}p{0.72\linewidth}}",
            r"\toprule"]
    out += [rf"{escape(label)} & {escape(value)} \\" for label, value in verdict_rows(claim)]
    out += [r"\bottomrule", r"\end{tabular}", r"\end{center}", ""]
    if claim.get("symbolic"):
        out += [r"\noindent Symbolic side (\texttt{lintheory.symbolic}):", r"\begin{itemize}"]
        for name, latex in claim["symbolic"].items():
            out += [rf"\item \texttt{{{escape(name)}}}: \[ {unicode_safe(latex)} \]"]
        out += [r"\end{itemize}", ""]
    table = evidence_table((claim.get("evidence") or {}).get("table") or [])
    if table is not None:
        out += [r"\begin{center}\footnotesize"] + _tabular(table.headers, table.rows)
        if table.note:
            out += [rf"\emph{{{escape(table.note)}.}}"]
        out += [r"\end{center}", ""]
    for fig in drawn:
        if fig.error is None:
            out += [r"\begin{center}", rf"\includegraphics[width=0.7\linewidth]{{{fig.pdf}}}\\[2pt]",
                    rf"{{\small {escape(fig.caption)}}}", r"\end{center}", ""]
        else:
            out += [rf"\emph{{Figure \texttt{{{escape(fig.name)}}} could not be drawn: {escape(fig.error)}}}", ""]
    if claim.get("failures"):
        out += [rf"\noindent Failed runs ({claim['failed_runs']}):", r"\begin{center}\footnotesize"]
        out += _tabular(FAILURE_HEADERS, failure_rows(claim), spec=r"p{0.3\linewidth}lp{0.5\linewidth}")
        out += [r"\end{center}", ""]
    for note in claim.get("notes") or []:
        out += [rf"\paragraph{{Note.}} {escape(note)}", ""]
    return out


def render(data: Mapping[str, Any], drawn: Mapping[str, Sequence[Drawn]]) -> str:
    """The LaTeX report of a results document; ``drawn`` maps claim ids to their figures."""
    claims = sorted(data["claims"], key=lambda c: c["id"])
    prov = data.get("provenance", {})
    out = [_PREAMBLE, rf"\title{{proofs-check report ({escape(prov.get('profile', '?'))} profile)}}",
           rf"\date{{{escape(prov.get('finished', ''))}}}", r"\begin{document}", r"\maketitle", "",
           rf"\noindent\textbf{{{escape(summary_line(claims))}.}}", "",
           r"{\footnotesize",
           r"\begin{longtable}{>{\raggedright}p{0.2\linewidth}l>{\raggedright}p{0.12\linewidth}l"
           r">{\raggedright}p{0.25\linewidth}>{\raggedright}p{0.1\linewidth}>{\raggedright\arraybackslash}p{0.08\linewidth}}",
           r"\toprule", r"Claim & Paper & Source & Verdict & Evidence & Search & Certification \\", r"\midrule",
           r"\endhead"]
    out += [rf"{_tt(c['id'])} & {escape(c['paper'])} & {escape(c['source'])} & \textbf{{{escape(verdict_label(c))}}} & "
            rf"{escape(one_line(c['summary']))} & {escape(search_cell(c))} & {escape(certification_cell(c))} \\"
            for c in claims]
    out += [r"\bottomrule", r"\end{longtable}}", "", r"\section*{Provenance}", r"{\footnotesize"]
    out += _tabular(["Field", "Value"], provenance_rows(prov), spec=r"l>{\raggedright\arraybackslash}p{0.75\linewidth}")
    out += ["}", ""]
    for claim in claims:
        out += _claim_section(claim, drawn.get(claim["id"], ()))
    out += [r"\end{document}"]
    return "\n".join(out) + "\n"
