r"""SymPy derivations for layer-wise training by block coordinate gradient descent (BCGD).

Shin (2019), *Effects of Depth, Width, and Initialization: A Convergence Analysis of
Layer-wise Training for Deep Linear Neural Networks*, arXiv:1910.05874.  The paper's body
was not available: every formula here is **reconstructed** from first principles, not
quoted.

Block :math:`j` of :math:`x \mapsto W_L\cdots W_1 x` sees the loss
:math:`\ell(W_j) = \frac{1}{2m}\|A W_j B - Y\|_F^2` with :math:`A = W_{L:j+1}` and
:math:`B = W_{j-1:1}X`; its gradient is :math:`G = \frac1m A^\top R B^\top`,
:math:`R = A W_j B - Y`.  Along :math:`-G` the loss is a quadratic in the step
(exact step), and with the normalised step
:math:`\eta\, m / (\|A\|_2^2\|B\|_2^2)` it decreases by at least
:math:`\frac{\eta(2-\eta)}{2}\, m\|G\|_F^2/(\|A\|_2^2\|B\|_2^2)` (normalised step); lower-bounding
:math:`\|G\|_F` by the gap gives the per-block contraction (per block and per sweep).

Public views:

* :data:`DERIVATIONS` — name -> steps ``[(caption, expr), ...]`` for ``proofs-check derive``;
* :func:`exact_step`, :func:`normalised_decrease`, :func:`contraction_factor` — the derived
  expressions, which the claims lambdify for their predictions (so a prediction is the
  derivation's output, not a retyped formula).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

import sympy as sp
from sympy.printing.pretty.stringpict import prettyForm

__all__ = [
    "DERIVATIONS",
    "Steps",
    "Quantity",
    "block_quadratic",
    "contraction_factor",
    "exact_step",
    "inner_product_identity",
    "normalised_decrease",
]

Steps = list[tuple[str, sp.Basic]]
_PHI = sp.Function("phi")

# name -> (LaTeX, pretty) of the matrix quantities that appear as scalars in the derivations.
_FORMS: Mapping[str, tuple[str, str]] = MappingProxyType({
    "ell": (r"\mathcal{L}", "ℒ"),
    "ell_new": (r"\mathcal{L}^{+}", "ℒ⁺"),
    "ell_star": (r"\mathcal{L}^{*}", "ℒ*"),
    "gap": (r"\left(\mathcal{L} - \mathcal{L}^{*}\right)", "(ℒ - ℒ*)"),
    "ell_n": (r"\mathcal{L}_{n}", "ℒₙ"),
    "eta_star": (r"\eta^{*}", "η*"),
    "WS2": (r"\|(W - W^{*}) S\|_F^{2}", "‖(W - W*)S‖²"),
    "R2": (r"\|R\|_F^{2}", "‖R‖²"),
    "RAGB": (r"\langle R, A G B\rangle", "⟨R,AGB⟩"),
    "G2": (r"\|G\|_F^{2}", "‖G‖²"),
    "AGB2": (r"\|A G B\|_F^{2}", "‖AGB‖²"),
    "A2": (r"\|A\|_2^{2}", "‖A‖₂²"),
    "B2": (r"\|B\|_2^{2}", "‖B‖₂²"),
    "sA2": (r"\sigma_{d_y}(A)^{2}", "σ_dy(A)²"),
    "sB2": (r"\sigma_{r}(B)^{2}", "σ_r(B)²"),
    "RPX2": (r"\|R P_X\|_F^{2}", "‖R P_X‖²"),
    "kappa_j": (r"\kappa_j", "κⱼ"),
})


class Quantity(sp.Symbol):
    """A positive (or real) scalar symbol that prints as the matrix quantity it stands for.

    The printed forms are a fixed function of the name (:data:`_FORMS`), so SymPy's symbol
    cache cannot mix two different forms under one name.
    """

    def __new__(cls, name: str, **assumptions: bool) -> Quantity:
        if name not in _FORMS:
            raise ValueError(f"name must be one of {sorted(_FORMS)}, got {name!r}")
        return super().__new__(cls, name, **assumptions)

    def _latex(self, printer: object) -> str:
        return _FORMS[self.name][0]

    def _pretty(self, printer: object) -> prettyForm:
        return prettyForm(_FORMS[self.name][1])


m = sp.Symbol("m", positive=True)
eta = sp.Symbol("eta", real=True)
ell, ell_new, ell_star, ell_n = (Quantity(n, real=True) for n in ("ell", "ell_new", "ell_star", "ell_n"))
eta_star = Quantity("eta_star", positive=True)
gap, R2, G2, AGB2, A2, B2, sA2, sB2, RPX2, WS2, kappa_j = (
    Quantity(n, positive=True)
    for n in ("gap", "R2", "G2", "AGB2", "A2", "B2", "sA2", "sB2", "RPX2", "WS2", "kappa_j")
)
RAGB = Quantity("RAGB", real=True)


@dataclass(frozen=True)
class ExactStep:
    r"""The exact line search on one block: :math:`\eta^*` and the decrease it guarantees."""

    eta_star: sp.Expr
    decrease: sp.Expr
    curvature: sp.Expr


def _phi_raw() -> sp.Expr:
    r""":math:`\varphi(\eta) = \frac{1}{2m}\|R - \eta AGB\|_F^2` expanded by bilinearity."""
    return R2 / (2 * m) - eta * RAGB / m + eta**2 * AGB2 / (2 * m)


def block_quadratic() -> sp.Expr:
    r"""The block quadratic after :math:`\langle R, AGB\rangle = m\|G\|_F^2` and :math:`\|R\|^2 = 2m\mathcal L`."""
    return _phi_raw().subs({RAGB: m * G2, R2: 2 * m * ell})


def inner_product_identity(d_y: int = 2, n_j: int = 3, n_below: int = 2, samples: int = 4) -> sp.Expr:
    r""":math:`\langle R, AGB\rangle/m - \|G\|_F^2` on generic symbolic matrices, simplified.

    :math:`A` is ``d_y x n_j``, :math:`B` is ``n_below x samples`` and :math:`R` is
    ``d_y x samples``, all with independent symbolic entries, and :math:`G = A^\top R B^\top/m`.
    The result is 0 exactly when the identity holds for these shapes.
    """
    for name, value in (("d_y", d_y), ("n_j", n_j), ("n_below", n_below), ("samples", samples)):
        if not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    A = sp.Matrix(d_y, n_j, lambda i, k: sp.Symbol(f"a_{i}{k}"))
    B = sp.Matrix(n_below, samples, lambda i, k: sp.Symbol(f"b_{i}{k}"))
    R = sp.Matrix(d_y, samples, lambda i, k: sp.Symbol(f"r_{i}{k}"))
    G = A.T * R * B.T / m
    inner = sum(R.multiply_elementwise(A * G * B))
    return sp.simplify(sp.expand(inner / m - sum(G.multiply_elementwise(G))))


def exact_step() -> ExactStep:
    r"""Minimise :math:`\varphi(\eta) = \mathcal L - \eta\|G\|^2 + \frac{\eta^2}{2m}\|AGB\|^2` (exact step).

    :math:`\eta^* = m\|G\|_F^2/\|AGB\|_F^2`, decrease :math:`m\|G\|_F^4/(2\|AGB\|_F^2)`,
    curvature :math:`\varphi'' = \|AGB\|_F^2/m`.
    """
    phi = block_quadratic()
    (eta_star,) = sp.solve(sp.diff(phi, eta), eta)
    return ExactStep(
        eta_star=sp.simplify(eta_star),
        decrease=sp.factor(sp.simplify(ell - phi.subs(eta, eta_star))),
        curvature=sp.diff(phi, eta, 2),
    )


def _normalised_bound() -> sp.Expr:
    r"""Upper bound on :math:`\varphi` at the step :math:`\eta m/(\|A\|_2^2\|B\|_2^2)`, using
    :math:`\|AGB\|_F^2 \le \|A\|_2^2\|B\|_2^2\|G\|_F^2`."""
    return block_quadratic().subs(AGB2, A2 * B2 * G2).subs(eta, eta * m / (A2 * B2))


def normalised_decrease() -> sp.Expr:
    r"""Guaranteed decrease of the normalised step (normalised step):
    :math:`\frac{\eta(2-\eta)}{2}\, m\|G\|_F^2/(\|A\|_2^2\|B\|_2^2)`."""
    return sp.factor(sp.expand(ell - _normalised_bound()))


def contraction_factor() -> sp.Expr:
    r"""Per-block bound on :math:`(\mathcal L^+ - \mathcal L^*)/(\mathcal L - \mathcal L^*)` (per block):
    :math:`1 - \eta(2-\eta)/\kappa_j`.

    From :math:`m\|G\|_F^2 = \|A^\top (R P_X) B^\top\|_F^2/m \ge \sigma_{d_y}(A)^2\sigma_r(B)^2
    \|RP_X\|_F^2/m = 2\sigma_{d_y}(A)^2\sigma_r(B)^2(\mathcal L - \mathcal L^*)` and
    :math:`\kappa_j = \|A\|_2^2\|B\|_2^2/(\sigma_{d_y}(A)^2\sigma_r(B)^2)`.
    """
    lower = normalised_decrease().subs(G2, 2 * sA2 * sB2 * gap / m)
    ratio = sp.simplify((gap - lower) / gap)
    return sp.apart(sp.simplify(ratio.subs(sA2, A2 * B2 / (kappa_j * sB2))), kappa_j)


def _exact_step_steps() -> Steps:
    step = exact_step()
    phi = block_quadratic()
    return [
        ("block loss along -G, expanded: phi(eta) = (1/2m)||R - eta A G B||_F^2",
         sp.Eq(_PHI(eta), _phi_raw())),
        ("<R, AGB>/m - ||G||_F^2 on generic symbolic A (2x3), B (2x4), R (2x4), G = A^T R B^T / m",
         inner_product_identity()),
        ("so <R, AGB> = m||G||_F^2 and ||R||_F^2 = 2m L: the block quadratic",
         sp.Eq(_PHI(eta), phi)),
        ("its derivative", sp.Eq(sp.Derivative(_PHI(eta), eta), sp.diff(phi, eta))),
        ("second derivative ||AGB||_F^2 / m > 0: the quadratic is strictly convex",
         sp.Eq(sp.Derivative(_PHI(eta), (eta, 2)), step.curvature)),
        ("minimiser (exact step, exact step)", sp.Eq(eta_star, step.eta_star)),
        ("loss after the exact step", sp.Eq(ell_new, sp.expand(phi.subs(eta, step.eta_star)))),
        ("guaranteed decrease", sp.Eq(ell - ell_new, step.decrease)),
    ]


def _normalised_step_steps() -> Steps:
    dec = normalised_decrease()
    (argmax,) = sp.solve(sp.diff(dec, eta), eta)
    positive = sp.solveset(dec > 0, eta, sp.S.Reals)
    return [
        ("block quadratic with ||AGB||_F^2 <= ||A||_2^2 ||B||_2^2 ||G||_F^2 (an upper bound on phi)",
         sp.Le(_PHI(eta), block_quadratic().subs(AGB2, A2 * B2 * G2))),
        ("at the normalised step eta m / (||A||_2^2 ||B||_2^2)",
         sp.Le(ell_new, sp.expand(_normalised_bound()))),
        ("guaranteed decrease (normalised step)", sp.Ge(ell - ell_new, dec)),
        ("its derivative in eta", sp.factor(sp.diff(dec, eta))),
        ("argmax: the optimal normalised rate", sp.Eq(eta, argmax)),
        ("the guarantee is a decrease exactly for eta in", positive),
        ("best guaranteed decrease (eta = 1)", sp.simplify(dec.subs(eta, argmax))),
    ]


def _contraction_steps() -> Steps:
    dec = normalised_decrease()
    factor = contraction_factor()
    sweep_j = sp.Symbol("j", integer=True, positive=True)
    L = sp.Symbol("L", integer=True, positive=True)
    kappa_indexed = sp.IndexedBase("kappa")[sweep_j]
    return [
        ("gap without cancellation (P_X projects onto the row space of X)", sp.Eq(gap, RPX2 / (2 * m))),
        ("rowspace(B) = rowspace(X), A of full row rank: m||G||_F^2 >= sigma_dy(A)^2 sigma_r(B)^2 ||R P_X||_F^2 / m",
         sp.Ge(m * G2, 2 * sA2 * sB2 * gap)),
        ("normalised decrease with this lower bound",
         sp.Ge(ell - ell_new, sp.factor(dec.subs(G2, 2 * sA2 * sB2 * gap / m)))),
        ("block condition number", sp.Eq(kappa_j, A2 * B2 / (sA2 * sB2))),
        ("per-block contraction (per block)", sp.Le((ell_new - ell_star) / gap, factor)),
        ("one sweep multiplies the bound (per sweep)",
         sp.Product(factor.subs(kappa_j, kappa_indexed), (sweep_j, 1, L))),
        ("at eta = 1 (also a bound for the exact step, which does at least as well)", factor.subs(eta, 1)),
    ]


def _rank_limited_steps() -> Steps:
    n, i, d = sp.symbols("n i d", integer=True, positive=True)
    sigma = sp.IndexedBase("sigma")
    return [
        ("loss split at the least-squares solution W* = Y X^+, with S = (X X^T / m)^{1/2} "
         "(the residual W* X - Y is orthogonal to the row space of X)", sp.Eq(ell, ell_star + WS2 / 2)),
        ("Eckart-Young over rank(W) <= n (S invertible): the rank-limited optimum, "
         "sigma_i the singular values of W* S, d = min(d_x, d_y)",
         sp.Eq(ell_n, ell_star + sp.Sum(sigma[i] ** 2, (i, n + 1, d)) / 2)),
    ]


DERIVATIONS: dict[str, Callable[[], Steps]] = {
    "shin2019.exact_step": _exact_step_steps,
    "shin2019.normalised_step": _normalised_step_steps,
    "shin2019.block_contraction": _contraction_steps,
    "shin2019.rank_limited_optimum": _rank_limited_steps,
}
