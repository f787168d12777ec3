r"""Expressions as a paper writes them, parsed into SymPy without evaluating any text.

Two notations, told apart by the backslash:

* LaTeX (the text holds a ``\``): ``\frac{\log(\ell_0/\varepsilon)}{\eta\, c^{2(N-1)/N}}``.
  A letter is one symbol (``Nc`` is ``N c``), with an optional subscript (``d_{in}``,
  ``\ell_0``, ``\sigma_{\min}``); ``\mathrm{name}`` names a longer symbol;
* plain math (no backslash): ``log(l0/eps)/(eta*c^(2*(N-1)/N))``; identifiers are whole
  words (``phi_fro``), ``**`` is ``^``.

The text is tokenized and parsed by the recursive-descent parser below into a small tree of
SymPy constructors (``Add``, ``Mul``, ``Pow``, ``log``, ...): no ``eval``, ``exec``,
``sympify`` or ``parse_expr`` ever sees it. Only the names of the caller's vocabulary (its
symbols and their aliases) and the functions of :data:`FUNCTIONS` are accepted; anything else
is an :class:`ExprError` carrying the column where it starts. Numbers become exact rationals.

:func:`evaluate` computes a parsed expression in float64 (NumPy, element-wise over arrays)
by walking the same tree, again without generating code.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np
import sympy as sp

__all__ = ["ExprError", "FUNCTIONS", "RELATIONS", "Relation", "Vocabulary", "evaluate", "operations", "parse",
           "parse_relation"]

# name -> (SymPy constructor, arity: an int, or -2 for "two or more")
FUNCTIONS: Mapping[str, tuple[Callable[..., sp.Expr], int]] = {
    "log": (sp.log, 1), "ln": (sp.log, 1), "exp": (sp.exp, 1), "sqrt": (sp.sqrt, 1),
    "min": (sp.Min, -2), "max": (sp.Max, -2), "abs": (sp.Abs, 1), "ceil": (sp.ceiling, 1),
    "floor": (sp.floor, 1),
}
RELATIONS: Mapping[str, str] = {"<=": "<=", r"\le": "<=", r"\leq": "<=", r"\leqslant": "<=", "<": "<=",
                                ">=": ">=", r"\ge": ">=", r"\geq": ">=", r"\geqslant": ">=", ">": ">="}
# LaTeX commands that only space or size: dropped before parsing
_IGNORED = {r"\,", r"\;", r"\:", r"\!", "\\ ", r"\quad", r"\qquad", r"\left", r"\right", r"\big", r"\Big",
            r"\bigl", r"\bigr", r"\Bigl", r"\Bigr", r"\displaystyle"}
_OPEN = {"(": ")", "[": "]", r"\{": r"\}", "{": "}"}
_TIMES = {"*", r"\cdot", r"\times"}
_CLOSERS = {r"\}", r"\rVert", r"\rceil", r"\rfloor"}
_FRAC = {r"\frac", r"\dfrac", r"\tfrac"}
_NAME_WRAPPERS = {r"\mathrm", r"\operatorname", r"\text", r"\mathit"}
_GREEK = {"alpha", "beta", "gamma", "delta", "epsilon", "varepsilon", "zeta", "eta", "theta", "vartheta", "iota",
          "kappa", "lambda", "mu", "nu", "xi", "pi", "rho", "sigma", "tau", "upsilon", "phi", "varphi", "chi", "psi",
          "omega", "Gamma", "Delta", "Theta", "Lambda", "Xi", "Pi", "Sigma", "Phi", "Psi", "Omega", "ell", "nabla"}
_TOKENS = r"""
    (?P<num>\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)
  | (?P<cmd>\\[A-Za-z]+|\\.)
  | (?P<name>{name})
  | (?P<op><=|>=|\*\*|[-+*/^_(){{}}\[\],|<>!=])
  | (?P<space>\s+)
"""
# LaTeX: a name is letters (split into one symbol each) and '_' starts a subscript; plain: whole words
_TOKEN = {True: re.compile(_TOKENS.format(name=r"[A-Za-z]+"), re.VERBOSE),
          False: re.compile(_TOKENS.format(name=r"[A-Za-z_][A-Za-z0-9_]*"), re.VERBOSE)}


class ExprError(ValueError):
    """A text that is not an accepted expression; ``column`` is 1-based (0: the whole text)."""

    def __init__(self, message: str, column: int = 0):
        super().__init__(f"{message} at column {column}" if column else message)
        self.column = column


@dataclass(frozen=True)
class Relation:
    """``lhs <= rhs`` (``>=`` is stored swapped, so the bound is always ``rhs``)."""

    lhs: sp.Expr
    rhs: sp.Expr
    written: str  # "<=" or ">=", as the user wrote it


@dataclass(frozen=True)
class Vocabulary:
    r"""The names an expression may use.

    ``symbols``: canonical name -> SymPy symbol; ``aliases``: other spellings -> canonical name
    (LaTeX spellings are normalized: ``\ell_0`` is ``ell_0``, ``d_{in}`` is ``d_in``);
    ``calls``: ``(name, argument) -> canonical`` for quantities written as functions of
    time (``\ell(t)``, ``loss(t+1)``); ``norms``: ``(inside, subscript) -> canonical`` for
    ``\|\Phi\|_F`` and the like.
    """

    symbols: Mapping[str, sp.Symbol]
    aliases: Mapping[str, str] = field(default_factory=dict)
    calls: Mapping[tuple[str, str], str] = field(default_factory=dict)
    norms: Mapping[tuple[str, str], str] = field(default_factory=dict)
    unavailable: Mapping[str, str] = field(default_factory=dict)  # known names not usable here -> meaning

    def lookup(self, key: str, column: int) -> sp.Symbol | None:
        """The symbol spelled ``key``; ``None`` when unknown; an error when known but not usable here."""
        name = key if key in self.symbols or key in self.unavailable else self.aliases.get(key)
        return None if name is None else self.named(name, column, key)

    def named(self, name: str, column: int, spelled: str | None = None) -> sp.Symbol:
        if name in self.unavailable:
            raise ExprError(f"{spelled or name!r} ({self.unavailable[name]}) cannot be used here", column)
        return self.symbols[name]


@dataclass
class _Tok:
    kind: str  # num, cmd, op, name, end
    text: str
    col: int


def _tokenize(text: str, latex: bool) -> list[_Tok]:
    out: list[_Tok] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN[latex].match(text, pos)
        if m is None:
            ch = text[pos]
            if ch == "." and out and out[-1].kind in ("name", "op"):
                raise ExprError("attribute access ('.') is not allowed", pos + 1)
            raise ExprError(f"unexpected character {ch!r}", pos + 1)
        kind = m.lastgroup or ""
        tok = m.group()
        sized = re.match(r"\\(left|right)\s*\|", text[pos:]) if latex else None
        if sized:  # \left| and \right| say which side they are: nested absolute values parse unambiguously
            out.append(_Tok("op", r"\lvert" if sized.group(1) == "left" else r"\rvert", pos + 1))
            pos += sized.end()
            continue
        if kind == "cmd" and tok in (r"\lvert", r"\rvert"):
            kind = "op"
        if kind == "name" and latex and not text[m.end():].lstrip().startswith("("):
            # LaTeX: a letter is a symbol, a run of letters a product; a word before '(' is a function
            out += [_Tok("name", ch, pos + 1 + i) for i, ch in enumerate(tok)]
        elif kind == "cmd" and tok in _IGNORED:
            pass
        elif kind == "op" and tok == "**" and not latex:
            out.append(_Tok("op", "^", pos + 1))
        elif kind != "space":
            out.append(_Tok(kind, tok, pos + 1))
        pos = m.end()
    out.append(_Tok("end", "", len(text) + 1))
    return out


_MAX_DIGITS = 300  # exact rationals beyond this would only cost time: float64 ends at 1e308
_MAX_BITS = 20_000


def _bits(constant: sp.Expr) -> int:
    """Size of an exact constant (a non-rational constant counts as 64 bits)."""
    if constant.is_Rational:
        return max(1, int(constant.p).bit_length(), int(constant.q).bit_length())
    return 64


def _number(text: str, column: int = 0) -> sp.Rational:
    mantissa, _, exponent = text.lower().partition("e")
    if len(mantissa) > _MAX_DIGITS or (exponent and abs(int(exponent)) > _MAX_DIGITS):
        raise ExprError(f"the number {text[:20]!r} is out of range", column)
    value = Fraction(text)  # a decimal literal parsed exactly (Fraction reads digits, never code)
    return sp.Rational(value.numerator, value.denominator)


class _Parser:
    def __init__(self, text: str, vocab: Vocabulary):
        self.latex = "\\" in text
        self.toks = _tokenize(text, self.latex)
        self.i = 0
        self.vocab = vocab
        self.closers: list[str] = []  # what closes the groups we are in (a '|' only closes an abs)

    # --- token helpers ------------------------------------------------------------
    @property
    def tok(self) -> _Tok:
        return self.toks[self.i]

    def take(self) -> _Tok:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def at(self, *texts: str) -> bool:
        return self.tok.kind != "end" and self.tok.text in texts

    def expect(self, text: str, what: str) -> _Tok:
        if not self.at(text):
            raise ExprError(f"expected {what}, found {self._found()}", self.tok.col)
        return self.take()

    def _found(self) -> str:
        return "the end of the text" if self.tok.kind == "end" else repr(self.tok.text)

    # --- grammar ----------------------------------------------------------------------
    def relation(self) -> Relation:
        lhs = self.expr()
        if not (self.tok.kind in ("op", "cmd") and self.tok.text in RELATIONS):
            raise ExprError(f"expected a relation (<=, >=, \\le, \\ge), found {self._found()}", self.tok.col)
        op = RELATIONS[self.take().text]
        rhs = self.expr()
        return Relation(lhs, rhs, op) if op == "<=" else Relation(rhs, lhs, op)

    def expr(self) -> sp.Expr:
        out = self.term()
        while self.at("+", "-"):
            tok = self.take()
            op = tok.text
            rhs = self.term()
            out = _made(sp.Add(out, rhs) if op == "+" else sp.Add(out, sp.Mul(-1, rhs)), tok.col)
        return out

    def term(self) -> sp.Expr:
        out = self.unary()
        while True:
            if self.tok.text in _TIMES and self.tok.kind in ("op", "cmd"):
                self.take()
                out = sp.Mul(out, self.unary())
            elif self.at("/"):
                col = self.take().col
                out = _made(sp.Mul(out, sp.Pow(self.unary(), -1)), col)
            elif self._starts_atom():
                if self.tok.kind == "num" and self.toks[self.i - 1].kind == "num":
                    raise ExprError("two numbers in a row", self.tok.col)
                if self.tok.kind == "num" and self.toks[self.i - 1].kind == "name":
                    # 't00' or 'x2' is a name with digits, not a product: ask for the product explicitly
                    raise ExprError("a number right after a symbol: write the product explicitly (2x, x \\cdot 2)",
                                    self.tok.col)
                out = sp.Mul(out, self.power())
            else:
                return out

    def unary(self) -> sp.Expr:
        if self.at("-"):
            self.take()
            return sp.Mul(-1, self.unary())
        if self.at("+"):
            self.take()
            return self.unary()
        return self.power()

    def power(self) -> sp.Expr:
        base = self.atom()
        if self.at("^"):
            col = self.take().col
            if self.latex and not self.at("{", "(", "-"):
                exponent = self.single()
            else:
                exponent = self.unary()
            # SymPy raises constants to numeric powers exactly: 2^(10^10) would never finish
            if not base.free_symbols and exponent.is_Number and _bits(base) * abs(float(exponent)) > _MAX_BITS:
                raise ExprError("a power of numbers out of range", col)
            return _made(sp.Pow(base, exponent), col)
        return base

    def _starts_atom(self) -> bool:
        tok = self.tok
        if tok.kind in ("num", "name"):
            return True
        if tok.kind == "op":
            # '[' after a factor would read as indexing: it opens a group only after an operator
            return tok.text in ("(", "{", r"\lvert") or (tok.text == "|" and "|" not in self.closers)
        if tok.kind == "cmd":  # an unknown command starts an atom too, so that its error names it
            return tok.text not in _TIMES and tok.text not in RELATIONS and tok.text not in _CLOSERS
        return False

    def single(self) -> sp.Expr:
        """A LaTeX argument without braces: one digit, one letter or one command (``x^2``, ``\frac12``)."""
        tok = self.tok
        if tok.kind == "num" and len(tok.text) > 1:  # x^23 is x^2 * 3 in LaTeX: split the digits
            self.toks[self.i] = _Tok("num", tok.text[1:], tok.col + 1)
            return _number(tok.text[0])
        return self.atom()

    def group(self, closer: str) -> sp.Expr:
        self.closers.append(closer)
        inner = self.expr()
        self.closers.pop()
        self.expect(closer, f"{closer!r} to close the group")
        return inner

    def atom(self) -> sp.Expr:
        tok = self.tok
        if tok.kind == "num":
            self.take()
            if self.at("!"):
                raise ExprError("'!' (factorial) is not supported", self.tok.col)
            return _number(tok.text, tok.col)
        if tok.kind == "op" and tok.text in _OPEN:
            self.take()
            return self.group(_OPEN[tok.text])
        if tok.kind == "op" and tok.text in ("|", r"\lvert"):
            self.take()
            return sp.Abs(self.group("|" if tok.text == "|" else r"\rvert"))
        if tok.kind == "cmd":
            return self.command()
        if tok.kind == "name":
            return self.name()
        raise ExprError(f"expected a number, a symbol or '(', found {self._found()}", tok.col)

    def command(self) -> sp.Expr:
        tok = self.take()
        cmd = tok.text
        if cmd in _FRAC:
            num = self.braced_or_single()
            den = self.braced_or_single()
            return _made(sp.Mul(num, sp.Pow(den, -1)), tok.col)
        if cmd == r"\sqrt":
            index = None
            if self.at("["):
                self.take()
                index = self.group("]")
            radicand = self.braced_or_single()
            return sp.sqrt(radicand) if index is None else sp.Pow(radicand, sp.Pow(index, -1))
        if cmd == r"\lceil":
            return sp.ceiling(self.group(r"\rceil"))
        if cmd == r"\lfloor":
            return sp.floor(self.group(r"\rfloor"))
        if cmd in (r"\|", r"\lVert", r"\Vert"):
            return self.norm(tok)
        if cmd == r"\{":
            return self.group(r"\}")
        if cmd in _NAME_WRAPPERS:
            self.expect("{", "'{' after " + cmd)
            parts = []
            while not self.at("}"):
                part = self.take()
                if part.kind not in ("name", "num") and part.text not in ("_", r"\_"):
                    raise ExprError(f"{cmd}{{...}} holds a name (letters, digits, _), found {part.text!r}",
                                    part.col)
                parts.append("_" if part.text == r"\_" else part.text)
            self.take()
            return self.resolve("".join(parts), tok.col)
        name = cmd[1:]
        if name in FUNCTIONS:
            return self.function(name, tok)
        if name in _GREEK:
            return self.name(first=tok)
        raise ExprError(f"unknown or unsupported LaTeX command {cmd!r}", tok.col)

    def braced_or_single(self) -> sp.Expr:
        if self.at("{"):
            self.take()
            return self.group("}")
        return self.single()

    def function(self, name: str, tok: _Tok) -> sp.Expr:
        ctor, arity = FUNCTIONS[name]
        base = None
        if name == "log" and self.at("_"):  # \log_2 x, \log_{10}(x)
            self.take()
            base = self.braced_or_single()
        if self.at("(", "{", r"\{", "["):
            opener = self.take().text
            closer = _OPEN[opener]
            self.closers.append(closer)
            args = [self.expr()]
            while self.at(","):
                self.take()
                args.append(self.expr())
            self.closers.pop()
            self.expect(closer, f"{closer!r} to close the arguments of {name}")
        elif self.latex and arity == 1:  # \log x, \exp N: the next factor is the argument
            args = [self.power()]
        else:
            raise ExprError(f"expected '(' after the function {name!r}", self.tok.col)
        if arity == -2 and len(args) < 2:
            raise ExprError(f"{name} takes two or more arguments, got {len(args)}", tok.col)
        if arity > 0 and len(args) != arity:
            raise ExprError(f"{name} takes {arity} argument, got {len(args)}", tok.col)
        return _made(sp.log(args[0], base) if base is not None else ctor(*args), tok.col)

    def subscript(self) -> str:
        r"""A subscript as a normalized string: ``_0`` -> ``0``, ``_{t+1}`` -> ``t+1``, ``_{\min}`` -> ``min``."""
        self.take()
        if not self.at("{"):
            tok = self.take()
            if tok.kind == "num" and len(tok.text) > 1 and self.latex:
                self.i -= 1
                self.toks[self.i] = _Tok("num", tok.text[1:], tok.col + 1)
                return tok.text[0]
            if tok.kind == "end" or (tok.kind == "op" and tok.text not in ("+", "-")):
                raise ExprError("expected a subscript", tok.col)
            return tok.text.lstrip("\\")
        self.take()
        parts = []
        while not self.at("}"):
            if self.tok.kind == "end":
                raise ExprError("expected '}' to close the subscript", self.tok.col)
            parts.append(self.take().text.lstrip("\\"))
        self.take()
        return "".join(parts)

    def raw_until(self, closer: str, what: str) -> str:
        parts = []
        while not self.at(closer):
            if self.tok.kind == "end":
                raise ExprError(f"expected {closer!r} to close {what}", self.tok.col)
            parts.append(self.take().text.lstrip("\\"))
        self.take()
        return "".join(parts)

    def norm(self, opener: _Tok) -> sp.Expr:
        closer = {r"\|": r"\|", r"\lVert": r"\rVert", r"\Vert": r"\Vert"}[opener.text]
        inside = self.raw_until(closer, "the norm")
        sub = self.subscript() if self.at("_") else ""
        name = self.vocab.norms.get((inside, sub))
        if name is None:
            known = ", ".join(f"\\|{i}\\|_{s}" if s else f"\\|{i}\\|" for i, s in self.vocab.norms)
            raise ExprError(f"unknown norm \\|{inside}\\|{'_' + sub if sub else ''} (known: {known})", opener.col)
        return self.vocab.named(name, opener.col)

    def name(self, first: _Tok | None = None) -> sp.Expr:
        tok = first or self.take()
        key = tok.text.lstrip("\\")
        if self.latex and self.at("_"):
            key += "_" + self.subscript()
        elif key.endswith("_") and self.at("{"):  # plain d_{in}, as SymPy prints a subscripted name
            self.take()
            key += self.raw_until("}", "the subscript")
        if key in FUNCTIONS:
            return self.function(key, tok)
        if self.at("(") and any(k[0] == key for k in self.vocab.calls):
            start = self.i
            self.take()
            arg = self.raw_until(")", f"{key}(...)")
            if (key, arg) in self.vocab.calls:
                return self.vocab.named(self.vocab.calls[(key, arg)], tok.col, f"{key}({arg})")
            if self.vocab.lookup(key, tok.col) is None:
                forms = ", ".join(f"{k}({a})" for k, a in self.vocab.calls if k == key)
                raise ExprError(f"{key}(...) takes one of {forms}", self.toks[start].col)
            self.i = start  # a symbol times a parenthesis
        if self.tok.kind == "op" and self.tok.text == "(" and self.vocab.lookup(key, tok.col) is None \
                and key not in ("e", "pi"):
            raise ExprError(f"unknown function {key!r} (allowed: {', '.join(sorted(FUNCTIONS))})", tok.col)
        return self.resolve(key, tok.col)

    def resolve(self, key: str, col: int) -> sp.Expr:
        symbol = self.vocab.lookup(key, col)
        if symbol is not None:
            return symbol
        if key == "e":
            return sp.E
        if key == "pi":
            return sp.pi
        raise ExprError(f"unknown symbol {key!r}", col)

    def finish(self) -> None:
        if self.at("["):
            raise ExprError("indexing ('[...]') is not allowed", self.tok.col)
        if self.tok.kind != "end":
            if self.tok.text in RELATIONS:
                raise ExprError(f"a relation ({self.tok.text}) is not allowed here", self.tok.col)
            raise ExprError(f"unexpected {self._found()}", self.tok.col)


def _checked(text: str) -> str:
    if not isinstance(text, str):
        raise ExprError(f"an expression must be a string, got {type(text).__name__}")
    if not text.strip():
        raise ExprError("the expression is empty")
    return text


def parse(text: str, vocab: Vocabulary) -> sp.Expr:
    """``text`` (LaTeX or plain) as a SymPy expression over ``vocab``; :class:`ExprError` otherwise."""
    p = _Parser(_checked(text), vocab)
    out = p.expr()
    p.finish()
    return _finite(out)


def parse_relation(text: str, vocab: Vocabulary) -> Relation:
    """``a <= b`` or ``a >= b`` (also ``\\le``, ``\\ge``) as a :class:`Relation`."""
    p = _Parser(_checked(text), vocab)
    out = p.relation()
    p.finish()
    return Relation(_finite(out.lhs), _finite(out.rhs), out.written)


def _made(e: sp.Expr, column: int) -> sp.Expr:
    """A node just built, refused at ``column`` when SymPy evaluated it to something not finite or not real."""
    try:
        return _finite(e)
    except ExprError as exc:
        raise ExprError(str(exc), column) from None


def _finite(e: sp.Expr) -> sp.Expr:
    """Constant parts that SymPy already evaluated to infinity, NaN or a complex number are refused."""
    if e.has(sp.zoo, sp.nan, sp.oo, -sp.oo):
        raise ExprError("the expression is infinite or undefined (a division by zero?)")
    if e.has(sp.I):
        raise ExprError("the expression is complex (a log or fractional power of a negative number?)")
    return e


def operations(e: sp.Expr) -> int:
    """Floating-point operations of one evaluation of ``e`` (its tree's inner nodes, counting arguments)."""
    if not e.args:
        return 0
    return max(1, len(e.args) - 1) + sum(operations(a) for a in e.args)


_UNARY: Mapping[Any, Callable[[Any], Any]] = {
    sp.log: np.log, sp.exp: np.exp, sp.Abs: np.abs, sp.ceiling: np.ceil, sp.floor: np.floor,
}


def evaluate(e: sp.Expr, values: Mapping[sp.Symbol, Any]) -> Any:
    """``e`` in float64 at ``values`` (numbers or NumPy arrays, broadcast together).

    Walks the SymPy tree (only the node types the parser builds); NaN, infinities and the
    NaN of a complex intermediate (``log`` of a negative, a fractional power of a negative)
    are returned as they are, for the caller to reject.
    """
    with np.errstate(all="ignore"):
        return _eval(e, values)


def _eval(e: sp.Expr, values: Mapping[sp.Symbol, Any]) -> Any:
    if e.is_Symbol:
        if e not in values:
            raise ExprError(f"no value for {e}")
        return np.asarray(values[e], dtype=np.float64)
    if e.is_Number or e in (sp.E, sp.pi):
        return np.float64(float(e))
    args = [_eval(a, values) for a in e.args]
    if isinstance(e, sp.Add):
        return _fold(np.add, args)
    if isinstance(e, sp.Mul):
        return _fold(np.multiply, args)
    if isinstance(e, sp.Pow):
        return np.power(args[0], args[1])
    if isinstance(e, sp.Min):
        return _fold(np.minimum, args)
    if isinstance(e, sp.Max):
        return _fold(np.maximum, args)
    if isinstance(e, sp.log) and len(args) == 1:
        return np.log(args[0])
    for kind, fn in _UNARY.items():
        if isinstance(e, kind):
            return fn(args[0])
    raise ExprError(f"cannot evaluate {type(e).__name__}")


def _fold(fn: Callable[[Any, Any], Any], args: Sequence[Any]) -> Any:
    out = args[0]
    for a in args[1:]:
        out = fn(out, a)
    return out


def scalar(e: sp.Expr, values: Mapping[sp.Symbol, Any]) -> float:
    """``e`` as one float64 (``math.nan`` when not finite or real)."""
    value = float(evaluate(e, values))
    return value if math.isfinite(value) else math.nan
