r"""LaTeX from untrusted text: escaped free text, and math admitted through an allow-list.

A ``results.json`` may come from anywhere, and TeX is a programming language
that can read files (``\input``, ``\openin``, ``\read``), write them
(``\write``, ``\openout``) and redefine itself (``\def``, ``\catcode``,
``\csname``, ``^^`` character codes). So:

* :func:`escape_text` turns any text into LaTeX that typesets exactly that text;
* :func:`admit_math` returns a formula unchanged (Unicode mapped) only if every
  control sequence is on :data:`COMMANDS`, every environment on
  :data:`ENVIRONMENTS`, braces and math delimiters balance and no character
  TeX could use to build another command (``^^``, ``#``, ``%``, control
  characters) occurs; otherwise ``None``, and the caller prints the text
  escaped instead (:func:`math_or_text`).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

__all__ = ["COMMANDS", "ENVIRONMENTS", "admit_math", "escape_text", "math_or_text", "unicode_safe"]

MAX_LENGTH = 20_000
MAX_DEPTH = 64  # brace / environment nesting (TeX's own limits are a few hundred)

COMMANDS: frozenset[str] = frozenset("""
alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu nu xi pi varpi rho
varrho sigma varsigma tau upsilon phi varphi chi psi omega Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi
Psi Omega ell hbar imath jmath Re Im aleph
frac dfrac tfrac binom sqrt left right middle big Big bigg Bigg bigl bigr Bigl Bigr biggl biggr Biggl Biggr
sum prod coprod int iint oint lim limsup liminf sup inf max min arg det exp log ln lg sin cos tan sinh cosh
tanh arcsin arccos arctan dim ker deg gcd hom Pr mod bmod pmod limits nolimits operatorname
le leq ge geq ne neq approx sim simeq cong equiv propto in notin ni subset subseteq supset supseteq succ
succeq prec preceq ll gg mid nmid parallel perp asymp doteq models vdash
to mapsto rightarrow leftarrow leftrightarrow Rightarrow Leftarrow Leftrightarrow longrightarrow
longmapsto implies iff uparrow downarrow Uparrow Downarrow nearrow searrow
cdot cdots ldots dots vdots ddots times div circ otimes oplus odot pm mp ast star bullet wedge vee land lor
neg lnot cap cup setminus emptyset varnothing forall exists nexists partial nabla infty top bot intercal
prime dagger angle triangle square Box
langle rangle lfloor rfloor lceil rceil lvert rvert lVert rVert vert Vert lbrace rbrace backslash
hat widehat tilde widetilde bar overline underline vec dot ddot check breve acute grave overbrace
underbrace overset underset stackrel substack
mathbb mathcal mathrm mathbf mathit mathsf mathtt mathfrak boldsymbol text textrm textit textbf texttt
emph mbox
quad qquad displaystyle textstyle scriptstyle colon
""".split())

ENVIRONMENTS: frozenset[str] = frozenset(
    "matrix pmatrix bmatrix Bmatrix vmatrix Vmatrix smallmatrix cases aligned gathered split array".split())

# control symbols: spacing, escaped specials, line break, math delimiters
_SYMBOLS = frozenset(",;:! {}|\\%#$&_()[]")
_PAIRS = {"(": ")", "[": "]"}
_NAME = re.compile(r"[A-Za-z]+")
_ENV_ARG = re.compile(r"\{([A-Za-z]+\*?)\}")

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
            base = unicodedata.normalize("NFKD", ch).encode("ascii", "ignore").decode()
            # only letters and digits: a fullwidth "\" or "{" decomposes to the TeX special itself
            out.append(base if base.isalnum() else "?")
    return "".join(out)


def escape_text(text: Any) -> str:
    """Any text as LaTeX that typesets it literally: specials escaped, whitespace (and
    control characters) folded to single spaces, Unicode mapped."""
    folded = " ".join("".join(ch if ch.isprintable() else " " for ch in str(text)).split())
    return unicode_safe("".join(_ESCAPES.get(ch, ch) for ch in folded))


def _scan(latex: str) -> bool:
    """True when ``latex`` uses only allowed commands and environments and is balanced."""
    groups: list[str] = []  # "{" or an environment name, innermost last
    math: list[str] = []  # open math delimiters: "$", "(" or "["
    i, n = 0, len(latex)
    while i < n:
        ch = latex[i]
        if ch == "\\":
            word = _NAME.match(latex, i + 1)
            if word is None:
                if i + 1 >= n or latex[i + 1] not in _SYMBOLS:
                    return False
                sym = latex[i + 1]
                if sym in _PAIRS:
                    if math:
                        return False
                    math.append(sym)
                elif sym in ")]":
                    if not math or _PAIRS.get(math[-1]) != sym:
                        return False
                    math.pop()
                i += 2
                continue
            name = word.group()
            i = word.end()
            if name in ("begin", "end"):
                env = _ENV_ARG.match(latex, i)
                if env is None or env.group(1) not in ENVIRONMENTS:
                    return False
                if name == "begin":
                    groups.append(env.group(1))
                elif not groups or groups.pop() != env.group(1):
                    return False
                i = env.end()
            elif name not in COMMANDS:
                return False
            continue
        if ch == "{":
            groups.append("{")
        elif ch == "}":
            if not groups or groups.pop() != "{":
                return False
        elif ch == "$":
            if math and math[-1] != "$":
                return False
            if math:
                math.pop()
            else:
                math.append("$")
        elif ch == "&":
            if not any(g != "{" for g in groups):
                return False
        elif ch in "#%" or (ch == "^" and latex.startswith("^^", i)) or not (ch.isprintable() or ch in "\n\t"):
            return False
        if len(groups) > MAX_DEPTH:
            return False
        i += 1
    return not groups and not math


def admit_math(latex: str) -> str | None:
    """``latex`` made pdflatex-safe if it passes the allow-list (see the module docstring), else ``None``."""
    if not isinstance(latex, str) or len(latex) > MAX_LENGTH or re.search(r"\n[ \t]*\n", latex):
        return None  # a blank line would end the paragraph inside the formula
    return unicode_safe(latex) if _scan(latex) else None


def math_or_text(latex: str, wrap: tuple[str, str] = (r"\[", r"\]")) -> str:
    """The admitted formula inside ``wrap``, or the text escaped when it is not admitted."""
    admitted = admit_math(latex)
    return f"{wrap[0]} {admitted} {wrap[1]}" if admitted is not None else r"\texttt{" + escape_text(latex) + "}"
