r"""The symbols a TOML claim's expressions may use, besides its own grid parameters.

Each :class:`Quantity` has a plain name (``l0``), the LaTeX the report prints (``\ell_0``),
the other spellings accepted (``\ell(0)``, ``ell_0``, ...) and the *stage* at which its value
is known, which decides where it may appear:

* ``structure`` — fixed by the system and the trainer before anything is drawn (depth,
  widths, samples, target loss ``eps``); usable everywhere but in the system's own fields;
* ``step`` — the trainer's step size ``eta`` (it may depend on the initial quantities);
* ``initial`` — measured on the target and the initialization at ``t = 0``;
* ``along`` — measured at every step of the run (only in envelopes and inequalities);
* ``final`` — the outcome of the run (only in scaling laws).

docs/toml.md lists the same table; a test keeps the two in step.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache

import sympy as sp

from proofs_check.userclaims.expr import Vocabulary

__all__ = ["QUANTITIES", "RESERVED", "STAGES", "Quantity", "latex_names", "vocabulary"]

STAGES = ("structure", "step", "initial", "along", "final")


@dataclass(frozen=True)
class Quantity:
    name: str
    latex: str
    aliases: tuple[str, ...]
    stage: str
    meaning: str
    whitened_only: bool = False


QUANTITIES: tuple[Quantity, ...] = (
    Quantity("N", "N", ("L",), "structure", "depth: layers of a deep linear network, residual blocks of a residual "
                                            "network (its output layer not counted)"),
    Quantity("d_in", "d_{in}", ("d_0", "d_x"), "structure", "input dimension"),
    Quantity("d_out", "d_{out}", ("d_y",), "structure", "output dimension"),
    Quantity("n", "n", ("width",), "structure", "hidden width (the block dimension of a residual network)"),
    Quantity("m", "m", (), "structure", "samples (1 for a whitened target)"),
    Quantity("eps", r"\varepsilon", ("epsilon", "varepsilon"), "structure", "target loss of the stopping rule"),
    Quantity("eta", r"\eta", (), "step", "the trainer's step size"),
    Quantity("l0", r"\ell_0", ("ell0", "ell_0", "l_0", "loss0"), "initial", "initial loss"),
    Quantity("c", "c", ("c_0",), "initial", "deficiency margin of the initial end-to-end matrix: "
                                            "sigma_min(Phi) - ||E(0) - Phi||_F", whitened_only=True),
    Quantity("delta", r"\delta", ("delta_0",), "initial", "initial imbalance max_j ||W_{j+1}^T W_{j+1} - "
                                                          "W_j W_j^T||_F"),
    Quantity("phi_fro", r"\|\Phi\|_F", ("norm_phi",), "initial", "Frobenius norm of the target Phi",
             whitened_only=True),
    Quantity("phi_op", r"\|\Phi\|_2", (), "initial", "spectral norm of the target Phi", whitened_only=True),
    Quantity("sigma_min", r"\sigma_{\min}(\Phi)", (), "initial", "smallest singular value of the target Phi",
             whitened_only=True),
    Quantity("t", "t", (), "along", "iteration (GD step or BCGD sweep)"),
    Quantity("loss", r"\ell(t)", ("ell", "ell_t", "l_t"), "along", "loss at iteration t"),
    Quantity("loss_next", r"\ell(t+1)", ("ell_t+1", "l_t+1"), "along", "loss at iteration t + 1"),
    Quantity("delta_t", r"\delta_t", (), "along", "imbalance at iteration t"),
    Quantity("margin_t", "c_t", ("c_t",), "along", "deficiency margin at iteration t", whitened_only=True),
    Quantity("grad_norm", r"\|\nabla\ell\|_F", (), "along", "Frobenius norm of the gradient (all layers) at t"),
    Quantity("T", r"T(\varepsilon)", (), "final", "iterations until loss <= eps (the stopping rule's count)"),
)
_BY_NAME = {q.name: q for q in QUANTITIES}
# spellings as function calls and norms, in the parser's normalized form
CALLS: Mapping[tuple[str, str], str] = {
    **{(f, "0"): "l0" for f in ("ell", "l", "loss")},
    **{(f, "t"): "loss" for f in ("ell", "l", "loss")},
    **{(f, "t+1"): "loss_next" for f in ("ell", "l", "loss")},
    **{("T", e): "T" for e in ("varepsilon", "epsilon", "eps")},
    ("sigma_min", "Phi"): "sigma_min",
}
NORMS: Mapping[tuple[str, str], str] = {
    ("Phi", "F"): "phi_fro", ("Phi", "2"): "phi_op",
    **{(g, s): "grad_norm" for g in ("nablaell", "nablaell(t)") for s in ("", "F")},
}
# names the vocabulary or the parser own: a grid parameter may not take them
RESERVED: frozenset[str] = frozenset(
    {q.name for q in QUANTITIES} | {a for q in QUANTITIES for a in q.aliases} | {"e", "pi", "claim_file",
                                                                                "claim_hash"})


@cache
def _symbol(name: str) -> sp.Symbol:
    return sp.Symbol(name, real=True)


def vocabulary(params: Iterable[str], stages: Iterable[str], whitened: bool = True, where: str = "here"
               ) -> Vocabulary:
    """The names usable where ``stages`` are known, plus the grid parameters ``params``; the other
    quantities are recognized and refused with their meaning and ``where`` in the message."""
    allowed = set(stages)
    usable = [q for q in QUANTITIES if q.stage in allowed and (whitened or not q.whitened_only)]
    symbols = {q.name: _symbol(q.name) for q in usable}
    symbols.update({p: _symbol(p) for p in params})
    unavailable = {q.name: f"{q.meaning}; not available {where}" + (
        " (it needs a whitened target)" if q.stage in allowed else "")
        for q in QUANTITIES if q.name not in symbols}
    aliases = {a: q.name for q in QUANTITIES for a in q.aliases}
    return Vocabulary(symbols, aliases, CALLS, NORMS, unavailable)


def canonical(key: str) -> Quantity | None:
    """The quantity spelled ``key`` (a name or an alias), if any."""
    if key in _BY_NAME:
        return _BY_NAME[key]
    return next((q for q in QUANTITIES if key in q.aliases), None)


def latex_names(symbols: Iterable[sp.Symbol]) -> dict[sp.Symbol, str]:
    """How the report writes each symbol (quantities as in the table; parameters by SymPy)."""
    return {s: _BY_NAME[s.name].latex for s in symbols if s.name in _BY_NAME}


def symbol(name: str) -> sp.Symbol:
    return _symbol(name)
