"""``report.tex``: booktabs tables, statements as LaTeX, figures as PDF; compiles with plain pdflatex.

Only packages from Debian's texlive-latex-base and texlive-latex-recommended are
used. Everything from ``results.json`` is untrusted: free text (ids, summaries,
tolerances) is escaped, and claim statements and symbolic formulas go in as LaTeX
only when :func:`~proofs_check.report.safe_latex.admit_math` admits them (else as
escaped literal text), with stray Unicode symbols mapped to LaTeX commands.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from proofs_check import results
from proofs_check.report.figures import Drawn
from proofs_check.report.safe_latex import admit_math, escape_text, math_or_text
from proofs_check.report.tables import (FAILURE_HEADERS, evidence_table, failure_rows, is_display_math, one_line,
                                        provenance_rows, summary_line, verdict_label, verdict_rows)
from proofs_check.search.results import certification_cell, search_cell

escape = escape_text


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
    admitted = admit_math(latex)
    if admitted is None:
        return [r"\begin{quote}\ttfamily", escape_text(latex), r"\end{quote}",
                r"\noindent\emph{(statement not typeset: it uses LaTeX outside the allowed math commands)}", ""]
    if is_display_math(admitted):
        return [r"\[", admitted, r"\]"]
    return [r"\begin{quote}\itshape", admitted, r"\end{quote}"]


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


def _claim_section(claim: Mapping[str, Any], drawn: Sequence[Drawn], seconds: float | None) -> list[str]:
    heading = rf"\texorpdfstring{{{_tt(claim['id'])}}}{{{escape(claim['id'])}}}: {escape(claim.get('title', ''))}"
    out = [rf"\section{{{heading}}}",
           rf"\textbf{{{escape(verdict_label(claim).upper())}}} --- {escape(claim['summary'])}", "",
           rf"\noindent Paper \texttt{{{escape(claim['paper'])}}}, {escape(claim['source'])}; kind: "
           rf"{escape(claim['kind'])}; {int(claim['runs'])} runs ({int(claim['failed_runs'])} failed)"
           + ("" if seconds is None else rf", {seconds:.1f}\,s") + ".", ""]
    out += _statement(claim["statement_latex"])
    out += [r"\begin{center}", r"\begin{tabular}{>{\raggedright}p{0.2\linewidth}p{0.72\linewidth}}",
            r"\toprule"]
    out += [rf"{escape(label)} & {escape(value)} \\" for label, value in verdict_rows(claim)]
    out += [r"\bottomrule", r"\end{tabular}", r"\end{center}", ""]
    if claim.get("symbolic"):
        out += [r"\noindent Symbolic side (\texttt{lintheory.symbolic}):", r"\begin{itemize}"]
        for name, latex in claim["symbolic"].items():
            out += [rf"\item \texttt{{{escape(name)}}}: {math_or_text(latex)}"]
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
    prov = results.provenance_with_times(data)
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
        out += _claim_section(claim, drawn.get(claim["id"], ()), results.claim_seconds(data, claim))
    out += [r"\end{document}"]
    return "\n".join(out) + "\n"
