r"""``report.tex``: a table of contents, a summary table that fits the page, one section per claim, references.

Only packages from Debian's texlive-latex-base and texlive-latex-recommended are
used. Everything from ``results.json`` is untrusted: free text is escaped
(:func:`~proofs_check.report.safe_latex.escape_text`) and statements and symbolic
formulas are typeset as math only when
:func:`~proofs_check.report.safe_latex.admit_math` admits them (else as escaped
fixed-width text). Tables never shrink: every column is a ``p`` column of a
``longtable`` whose widths add up to the line, and an evidence table with many
columns is split into several. Shell commands are set character by character in
the typewriter font's own glyphs (straight quotes, real underscores, no ``--``
ligature), so that they survive copy and paste from the PDF.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Mapping, Sequence
from typing import Any

from proofs_check import results
from proofs_check.report.figures import Drawn
from proofs_check.report.safe_latex import admit_math, escape_text, math_or_text
from proofs_check.report.tables import (CHECK_HEADERS, FAILURE_HEADERS, LEVEL_WORDS, Row, check_rows,
                                        evidence_table, failure_rows, is_display_math, one_line, paper_links,
                                        paper_text, power_cell, provenance_rows, summary_line, verdict_rows)
from proofs_check.search.results import certification_cell, search_cell

escape = escape_text
MAX_COLUMNS = 7  # an evidence table with more columns is split into several, the parameters repeated
_KEY_COLUMNS = 2  # parameter columns repeated in each part of a split table

# typewriter glyphs by character code (OT1 cmtt has a real underscore, braces, backslash, straight quotes)
_TT_CHARS = {"_": r"\char95{}", "'": r"\char13{}", "`": r"\char18{}", "\\": r"\char92{}", "{": r"\char123{}",
             "}": r"\char125{}", "~": r"\char126{}", "^": r"\char94{}", "<": r"\char60{}", ">": r"\char62{}",
             "|": r"\char124{}", '"': r"\char34{}", "-": "{-}", "$": r"\$", "%": r"\%", "#": r"\#", "&": r"\&"}
_BREAK_AFTER = set("/=,._")


def command(text: str) -> str:
    """A shell command in the typewriter font, glyph for glyph, with line breaks allowed after / = , . _"""
    out = []
    for ch in " ".join(str(text).split()):
        out.append(_TT_CHARS.get(ch, ch) if ch.isascii() and ch.isprintable() else escape_text(ch))
        if ch in _BREAK_AFTER:
            out.append(r"\allowbreak{}")
    return r"{\ttfamily " + "".join(out) + "}"


_BREAKS = re.compile(r"[^_/=,;:)\]}>|]*[_/=,;:)\]}>|]?")
LONG_WORD = 14  # a word longer than this may also break every LONG_WORD - 4 characters


def _pieces(word: str) -> list[str]:
    """A word cut after punctuation, and runs longer than ``LONG_WORD`` every ``LONG_WORD - 4`` characters."""
    step = LONG_WORD - 4
    return [run[i:i + (step if len(run) > LONG_WORD else len(run))] for run in _BREAKS.findall(word) if run
            for i in range(0, len(run), step if len(run) > LONG_WORD else len(run))]


def cell(text: str) -> str:
    """Escaped text that may break inside long words (identifiers, paths, markup) in narrow columns."""
    return " ".join(r"\allowbreak{}".join(escape_text(p) for p in _pieces(word)) for word in str(text).split())


def formula(text: str) -> str:
    """A short formula in plain words (``eta^2 G_j``), as fixed-width escaped text."""
    return r"\texttt{" + cell(text) + "}"


def _tt(claim_id: str) -> str:
    return r"\texttt{" + escape(claim_id).replace(r"\_", r"\_\allowbreak{}").replace(".", r".\allowbreak{}") + "}"


def _label(claim_id: str) -> str:
    return "claim:" + "".join(ch if ch.isalnum() else "-" for ch in claim_id)


def _col(fraction: float) -> str:
    return rf">{{\raggedright\arraybackslash}}p{{\dimexpr {fraction:.4f}\linewidth-2\tabcolsep\relax}}"


def _longtable(headers: Sequence[str] | None, rows: Sequence[Sequence[str]], fractions: Sequence[float],
               size: str = r"\footnotesize") -> list[str]:
    """A page-breaking table of ``p`` columns (cells already LaTeX) whose widths add up to the line."""
    spec = "".join(_col(f) for f in fractions)
    head = [] if headers is None else [" & ".join(rf"\textbf{{{h}}}" for h in headers) + r" \\", r"\midrule"]
    # "{}" first: a cell starting with "[" would be read as the optional argument of \\ or \midrule
    body = ["{}" + " & ".join(row) + r" \\" for row in rows]
    return [rf"{{{size}", rf"\begin{{longtable}}{{@{{}}{spec}@{{}}}}", r"\toprule", *head, r"\endhead",
            r"\bottomrule", r"\endfoot", *body, r"\end{longtable}}", ""]


def _even(n: int) -> list[float]:
    return [1.0 / n] * n


def _statement(latex: str) -> list[str]:
    admitted = admit_math(latex)
    if admitted is None:
        return [r"\begin{quote}\ttfamily\small", escape_text(latex), r"\end{quote}",
                r"\noindent\emph{(statement shown as text: it uses LaTeX outside the allowed math commands)}", ""]
    if is_display_math(admitted):
        return [r"\[\fitdisplay{", admitted, r"}\]"]
    return [r"\begin{quote}\itshape", admitted, r"\end{quote}"]


def _row_text(row: Row) -> str:
    if row.style == "command":
        return command(row.text)
    if row.style == "formula":
        return formula(row.text)
    return cell(row.text)


def _verdict_word(claim: Mapping[str, Any], sep: str = r" \newline ") -> str:
    """The verdict in bold with the claim's level beside it (``sep`` between them)."""
    level = claim.get("level")
    word = rf"\textbf{{{escape(str(claim['verdict']).replace('_', ' '))}}}"
    return word + (rf"{sep}({escape(LEVEL_WORDS.get(level, level))})" if level else "")


def _evidence(table_rows: Sequence[Mapping[str, Any]]) -> list[str]:
    table = evidence_table(table_rows)
    if table is None:
        return []
    n_params = len(dict.fromkeys(k for r in table_rows for k in (r.get("params") or {})))
    key = list(range(min(_KEY_COLUMNS, n_params))) if len(table.headers) > MAX_COLUMNS else []
    rest = [i for i in range(len(table.headers)) if i not in key]
    width = MAX_COLUMNS - len(key)
    out: list[str] = []
    for start in range(0, len(rest), width):
        cols = key + rest[start:start + width]
        out += _longtable([cell(table.headers[i]) for i in cols],
                          [[cell(row[i]) for i in cols] for row in table.rows], _even(len(cols)))
    if table.note:
        out += [rf"\noindent\emph{{{cell(table.note)}.}}", ""]
    return out


_PREAMBLE = r"""\documentclass[10pt]{article}
\usepackage[margin=2cm]{geometry}
\usepackage{cmap}
\usepackage{amsmath,amssymb}
\usepackage{array,booktabs,longtable}
\usepackage{graphicx}
\usepackage{xcolor}
\usepackage[colorlinks,linkcolor=blue!50!black,urlcolor=blue!50!black,citecolor=blue!50!black,
  bookmarksnumbered]{hyperref}
\input{glyphtounicode}\pdfgentounicode=1
\setcounter{tocdepth}{1}
\setlength{\tabcolsep}{4pt}
\setlength{\emergencystretch}{3em}
\setlength{\LTpre}{4pt}\setlength{\LTpost}{6pt}
\newsavebox{\fitbox}
% a displayed formula wider than the line is scaled to the line rather than run into the margin
\newcommand{\fitdisplay}[1]{\sbox{\fitbox}{$\displaystyle #1$}\ifdim\wd\fitbox>\linewidth
  \resizebox{\linewidth}{!}{\usebox{\fitbox}}\else\usebox{\fitbox}\fi}
"""


def _heading(claim: Mapping[str, Any]) -> str:
    return rf"\texorpdfstring{{{_tt(claim['id'])}}}{{{escape(claim['id'])}}}"


def _claim_section(claim: Mapping[str, Any], drawn: Sequence[Drawn], papers: set[str],
                   seconds: float | None) -> list[str]:
    paper = escape(claim["paper"])
    cite = rf"\hyperlink{{paper:{paper}}}{{[{paper}]}}" if claim["paper"] in papers else rf"\texttt{{{paper}}}"
    out = [rf"\section{{{_heading(claim)}}}\label{{{_label(claim['id'])}}}",
           rf"\noindent\emph{{{cell(claim.get('title', ''))}}}", "",
           rf"\noindent {_verdict_word(claim, ' ')} --- {cell(claim['summary'])}", "",
           rf"\noindent Paper {cite}, {cell(claim['source'])}; kind: {cell(claim['kind'])}; "
           rf"{int(claim['runs'])} runs ({int(claim['failed_runs'])} failed)"
           + ("" if seconds is None else rf", {seconds:.1f}\,s") + "; "
           rf"power: {cell(power_cell(claim))}.", ""]
    out += _statement(claim["statement_latex"])
    out += _longtable(None, [[cell(r.label), _row_text(r)] for r in verdict_rows(claim)], [0.24, 0.76],
                      size=r"\small")
    checks = check_rows(claim)
    if checks:
        out += [r"\noindent Checks:", ""]
        cells = [[cell(c[0]), cell(f"{c[1]}, {c[2]}"), cell(c[3]),
                  rf"{formula(c[4])} \newline vs {formula(c[5])}", cell(c[6]), cell(c[7])] for c in checks]
        out += _longtable([CHECK_HEADERS[0], "Level, role", CHECK_HEADERS[3], "Predicted vs observed",
                           CHECK_HEADERS[6], CHECK_HEADERS[7]], cells, [0.16, 0.15, 0.11, 0.26, 0.16, 0.16])
    if claim.get("symbolic"):
        out += [r"\noindent Symbolic side (\texttt{lintheory.symbolic}):", r"\begin{itemize}"]
        for name, latex in claim["symbolic"].items():
            out += [rf"\item \texttt{{{escape(name)}}}: {math_or_text(latex)}"]
        out += [r"\end{itemize}", ""]
    out += _evidence((claim.get("evidence") or {}).get("table") or [])
    for fig in drawn:
        if fig.error is None:
            out += [r"\begin{center}", rf"\includegraphics[width=0.8\linewidth,height=0.4\textheight,"
                                       rf"keepaspectratio]{{{fig.stem}}}\\[2pt]",
                    rf"\parbox{{0.9\linewidth}}{{\small {cell(fig.caption)}}}", r"\end{center}", ""]
        else:
            out += [rf"\noindent\emph{{Figure \texttt{{{escape(fig.name)}}} could not be drawn: "
                    rf"{cell(fig.error)}}}", ""]
    if claim.get("failures"):
        out += [rf"\noindent Failed runs ({int(claim['failed_runs'])}):", ""]
        out += _longtable([escape(h) for h in FAILURE_HEADERS],
                          [[cell(c) for c in row] for row in failure_rows(claim)], [0.35, 0.12, 0.53])
    for note in claim.get("notes") or []:
        out += [rf"\paragraph{{Note.}} {cell(note)}", ""]
    return out


def _href(url: str, text: str) -> str:
    safe = urllib.parse.quote(url, safe=":/?=&.-_~").replace("%", r"\%").replace("#", r"\#").replace("&", r"\&")
    return rf"\href{{{safe}}}{{{escape(text)}}}"


def _bibliography(records: Sequence[Mapping[str, Any]]) -> list[str]:
    if not records:
        return []
    out = [r"\section*{References}", r"\addcontentsline{toc}{section}{References}", r"\begin{description}"]
    for rec in records:
        key = escape(rec.get("key", "?"))
        links = ", ".join(_href(url, text) for text, url in paper_links(rec))
        out += [rf"\item[\hypertarget{{paper:{key}}}{{[{key}]}}] {cell(paper_text(rec))}"
                + (f" {links}." if links else "")]
    return out + [r"\end{description}", ""]


def _summary(claims: Sequence[Mapping[str, Any]]) -> list[str]:
    searched = any(c.get("search") or c.get("certification") for c in claims)
    headers = ["Claim", "Verdict", "Power", "Evidence"] + (["Search; Arb"] if searched else [])
    fractions = [0.25, 0.16, 0.1, 0.49] if not searched else [0.24, 0.16, 0.09, 0.36, 0.15]
    rows = []
    for c in claims:
        row = [rf"\hyperref[{_label(c['id'])}]{{{_tt(c['id'])}}}", _verdict_word(c), cell(power_cell(c, brief=True)),
               cell(one_line(c["summary"]))]
        if searched:
            row.append(cell(f"{search_cell(c)}; {certification_cell(c)}"))
        rows.append(row)
    return _longtable(headers, rows, fractions)


def render(data: Mapping[str, Any], drawn: Mapping[str, Sequence[Drawn]]) -> str:
    """The LaTeX report of a results document; ``drawn`` maps claim ids to their figures."""
    claims = sorted(data["claims"], key=lambda c: c["id"])
    prov = results.provenance_with_times(data)
    records = list(data.get("bibliography") or [])
    papers = {str(r.get("key")) for r in records}
    out = [_PREAMBLE, rf"\title{{proofs-check report ({escape(prov.get('profile', '?'))} profile)}}",
           rf"\date{{{escape(prov.get('finished', ''))}}}", r"\begin{document}", r"\maketitle", r"\tableofcontents",
           "", r"\section{Summary}", rf"\noindent\textbf{{{escape(summary_line(claims))}.}}", ""]
    out += _summary(claims)
    out += [r"\section{Provenance}"]
    out += _longtable(["Field", "Value"], [[cell(k), cell(v)] for k, v in provenance_rows(prov)], [0.2, 0.8])
    for claim in claims:
        out += _claim_section(claim, drawn.get(claim["id"], ()), papers, results.claim_seconds(data, claim))
    out += _bibliography(records)
    out += [r"\end{document}"]
    return "\n".join(out) + "\n"
