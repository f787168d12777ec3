r"""SymPy derivations for Wu, Wang, Ma (NeurIPS 2019): ZAS initialization of deep linear residual nets.

The network is :math:`f(x) = W_{L+1}(I + W_L)\cdots(I + W_1)x` with :math:`L` residual blocks
(:math:`L` does **not** count the output layer :math:`W_{L+1}`), loss
:math:`R = \tfrac12\|W_{L+1}P - \Phi\|_F^2`, :math:`P = A_L\cdots A_1`, :math:`A_l = I + W_l`, and ZAS
initialization :math:`W_l(0) = 0`, :math:`W_{L+1}(0) = 0`.

Step-size rule and rate as restated by a later paper (the constants 4 and 144 and the form of
:math:`\xi` are that restatement's, not checked against the original PDF):

.. math:: \eta = \min\Big\{\frac{1}{4L^3\xi^6}, \frac{1}{144L^2\xi^4}\Big\},\quad
          \xi = \max\{2\|\Phi\|_F, 3L^{-1/2}, 1\},\quad R(t) \le (1 - \eta/2)^t R(0).

Two public views of the same mathematics:

* :data:`DERIVATIONS` — name -> steps ``[(caption, expr), ...]`` for ``proofs-check derive``;
* :data:`IDENTITIES` — name -> ``(derived, closed_form)``: two independently obtained
  expressions that must be equal (checked by the claim ``wu2019.symbolic``).

The conserved quantities, the PL equality at ZAS and the gradient-flow slope are reconstructed
(derived here), not quoted from the paper.
"""

from __future__ import annotations

from collections.abc import Callable

import sympy as sp

__all__ = [
    "DERIVATIONS",
    "IDENTITIES",
    "iterations_expr",
    "step_size_expr",
    "xi_expr",
]

L, xi, eta, R0, eps, phi = sp.symbols("L xi eta R_0 varepsilon Phi_F", positive=True)
y = sp.Symbol("y", real=True)
_LOG = sp.log(R0 / eps)

Steps = list[tuple[str, sp.Basic]]


def xi_expr() -> sp.Expr:
    r""":math:`\xi = \max\{2\|\Phi\|_F, 3L^{-1/2}, 1\}` (restated constants)."""
    return sp.Max(2 * phi, 3 / sp.sqrt(L), 1)


def step_size_expr() -> sp.Expr:
    r""":math:`\eta = \min\{1/(4L^3\xi^6), 1/(144L^2\xi^4)\}` in terms of the symbol :math:`\xi`."""
    return sp.Min(1 / (4 * L**3 * xi**6), 1 / (144 * L**2 * xi**4))


def iterations_expr() -> sp.Expr:
    r""":math:`T(\varepsilon) = \log(R_0/\varepsilon) / (-\log(1 - \eta/2))`: the least real :math:`t`
    with :math:`(1-\eta/2)^t R_0 \le \varepsilon` (the predicted count is its ceiling)."""
    return _LOG / (-sp.log(1 - eta / 2))


def _crossover() -> Steps:
    a, b = 1 / (4 * L**3 * xi**6), 1 / (144 * L**2 * xi**4)
    ratio = sp.simplify(b / a)
    root = sp.solve(sp.Eq(ratio, 1), xi)
    return [
        ("step-size rule (restated constants)", sp.Eq(sp.Symbol("eta"), step_size_expr())),
        ("xi", sp.Eq(sp.Symbol("xi"), xi_expr())),
        ("ratio of the two terms: the L^3 term is the smaller one iff this is >= 1", sp.Eq(sp.Symbol("rho"), ratio)),
        ("the terms are equal at", sp.Eq(L * xi**2, 36)),
        ("solved for xi", sp.Eq(xi, root[0])),
        ("always, since xi >= 3 L^{-1/2}", sp.Ge(L * xi**2, 9, evaluate=False)),
    ]


def _iterations_series() -> Steps:
    T = iterations_expr()
    series = sp.series(T, eta, 0, 2).removeO()
    return [
        ("predicted iterations (real, before the ceiling)", sp.Eq(sp.Symbol("T"), T)),
        ("series in eta", sp.Eq(sp.Symbol("T"), sp.expand(series, log=False) + sp.Order(eta**2))),
    ]


def _iterations_leading_order() -> Steps:
    T_thm = iterations_expr().subs(eta, 1 / (4 * L**3 * xi**6))
    ratio = T_thm / (8 * L**3 * xi**6 * _LOG)
    return [
        ("T at the L^3 step size eta = 1/(4 L^3 xi^6)", sp.Eq(sp.Symbol("T"), T_thm)),
        ("ratio to 8 L^3 xi^6 log(R0/eps), L -> oo", sp.Eq(sp.Limit(ratio, L, sp.oo), sp.limit(ratio, L, sp.oo))),
    ]


def _chain(k: int) -> tuple[list[sp.Symbol], sp.Expr, list[sp.Expr]]:
    """A 1-D chain of k factors: f = 1/2 (prod w - y)^2 and its gradient."""
    w = list(sp.symbols(f"w1:{k + 1}", real=True))
    f = (sp.prod(w) - y) ** 2 / 2
    return w, f, [sp.diff(f, wi) for wi in w]


def _flow_invariant_derivative() -> sp.Expr:
    """d/dt (w_2^2 - w_1^2) along the gradient flow w' = -grad f of a 3-factor chain."""
    w, _, g = _chain(3)
    return sp.expand(2 * w[1] * (-g[1]) - 2 * w[0] * (-g[0]))


def _gd_invariant_change() -> tuple[sp.Expr, sp.Expr]:
    """(one-step GD change of w_2^2 - w_1^2, eta^2 (g_2^2 - g_1^2)) for a 3-factor chain."""
    w, _, g = _chain(3)
    after = (w[1] - eta * g[1]) ** 2 - (w[0] - eta * g[0]) ** 2
    return sp.expand(after - (w[1] ** 2 - w[0] ** 2)), sp.expand(eta**2 * (g[1] ** 2 - g[0] ** 2))


def _flow_invariants() -> Steps:
    w, f, g = _chain(3)
    change, closed = _gd_invariant_change()
    return [
        ("1-D chain (3 factors)", sp.Eq(sp.Symbol("f"), f)),
        ("d/dt (w_2^2 - w_1^2) under w' = -grad f", sp.Eq(sp.Symbol("dC/dt"), sp.simplify(_flow_invariant_derivative()))),
        ("one GD step changes it by exactly", sp.Eq(sp.Symbol("Delta C"), sp.factor(closed))),
        ("difference of the two (must vanish)", sp.simplify(change - closed)),
    ]


def _residual_scalar(L_blocks: int) -> tuple[list[sp.Symbol], sp.Symbol, sp.Expr]:
    """1-D residual net: R = 1/2 (w_out prod (1 + w_l) - y)^2 with L_blocks residual blocks."""
    w = list(sp.symbols(f"v1:{L_blocks + 1}", real=True))
    w_out = sp.Symbol("w_out", real=True)
    R = (w_out * sp.prod([1 + wi for wi in w]) - y) ** 2 / 2
    return w, w_out, R


def _zas_balance_derivative() -> sp.Expr:
    """d/dt (w_out^2 - (1 + w_L)^2) under the flow of the 1-D residual net with 3 blocks."""
    w, w_out, R = _residual_scalar(3)
    return sp.expand(2 * w_out * (-sp.diff(R, w_out)) - 2 * (1 + w[-1]) * (-sp.diff(R, w[-1])))


def _zas_balance() -> Steps:
    w, w_out, R = _residual_scalar(3)
    at_zas = {w_out: 0, **{wi: 0 for wi in w}}
    return [
        ("1-D residual net (3 blocks)", sp.Eq(sp.Symbol("R"), R)),
        ("d/dt (w_out^2 - (1 + w_L)^2) under the flow", sp.simplify(_zas_balance_derivative())),
        ("value at ZAS, hence along the flow", sp.Eq(sp.Symbol("C_L"), (w_out**2 - (1 + w[-1]) ** 2).subs(at_zas))),
        ("so (1 + w_L)^2 = 1 + w_out^2 >= 1 along the flow", sp.Ge((1 + w[-1]) ** 2, 1)),
    ]


def _zas_gradient_identity() -> tuple[sp.Expr, sp.Expr, list[sp.Expr]]:
    """At ZAS for a 2x2 symbolic Phi and L = 3 blocks: (||grad R||^2, 2 R, residual-block gradients)."""
    Phi = sp.Matrix(2, 2, sp.symbols("phi11 phi12 phi21 phi22", real=True))
    I2 = sp.eye(2)
    W_out = sp.zeros(2, 2)
    A = [I2, I2, I2]
    P = A[2] * A[1] * A[0]
    E = W_out * P - Phi
    grad_out = E * P.T
    grad_blocks = [
        (W_out * A[2] * A[1]).T * E,
        (W_out * A[2]).T * E * A[0].T,
        W_out.T * E * (A[1] * A[0]).T,
    ]
    sq = sum((g.norm() ** 2 for g in [grad_out, *grad_blocks]), sp.Integer(0))
    return sp.expand(sq), sp.expand(E.norm() ** 2), [sp.simplify(g.norm()) for g in grad_blocks]


def _zas_pl_equality() -> Steps:
    sq, two_R, blocks = _zas_gradient_identity()
    return [
        ("residual-block gradient norms at ZAS (2x2 Phi, L = 3)", sp.Tuple(*blocks)),
        ("||grad R||^2 at ZAS", sp.Eq(sp.Symbol("|grad R|^2"), sq)),
        ("2 R(0) at ZAS", sp.Eq(sp.Symbol("2R"), two_R)),
        ("difference (must vanish)", sp.simplify(sq - two_R)),
    ]


def _flow_initial_slope() -> sp.Expr:
    """d log R / d tau at ZAS for the 1-D residual net with 3 blocks (tau = eta t, flow)."""
    w, w_out, R = _residual_scalar(3)
    grad_sq = sum((sp.diff(R, v) ** 2 for v in [*w, w_out]), sp.Integer(0))
    at_zas = {w_out: 0, **{wi: 0 for wi in w}}
    return sp.simplify((-grad_sq / R).subs(at_zas))


def _flow_rate() -> Steps:
    w, w_out, R = _residual_scalar(3)
    grad_sq = sum((sp.diff(R, v) ** 2 for v in [*w, w_out]), sp.Integer(0))
    a = sp.symbols("a1:4", positive=True)  # the factors a_l = 1 + w_l
    slope = sp.expand(sp.cancel(-grad_sq / R).subs({wi: ai - 1 for wi, ai in zip(w, a)}))
    return [
        ("d log R / d tau = -||grad R||^2 / R under the flow (1-D residual net, 3 blocks, a_l = 1 + w_l)",
         sp.Eq(sp.Symbol("dlogR/dtau"), sp.collect(slope, w_out))),
        ("at ZAS (1-D residual net, 3 blocks, any y != 0)", sp.Eq(sp.Symbol("dlogR/dtau(0)"), _flow_initial_slope())),
    ]


def _equal_block_gradients() -> sp.Expr:
    """Spread of the residual-block gradients of the 1-D net when all blocks are equal (must vanish)."""
    w, w_out, R = _residual_scalar(3)
    a = sp.Symbol("a", real=True)
    g = [sp.diff(R, wi).subs({wj: a - 1 for wj in w}) for wi in w]
    return sp.simplify(g[0] - g[1]) + sp.simplify(g[1] - g[2])


def _scalar_reduction() -> Steps:
    a, w_out, s = sp.symbols("a w_out sigma", real=True)
    Lsym = sp.Symbol("L", positive=True, integer=True)
    r = w_out * a**Lsym - s
    return [
        ("equal blocks receive equal gradients (1-D, 3 blocks): spread", _equal_block_gradients()),
        ("so under ZAS every singular direction sigma of Phi follows the 2-variable GD", sp.Eq(sp.Symbol("r"), r)),
        ("block update", sp.Eq(sp.Symbol("a'"), a - eta * r * w_out * a ** (Lsym - 1))),
        ("output update", sp.Eq(sp.Symbol("w_out'"), w_out - eta * r * a**Lsym)),
    ]


DERIVATIONS: dict[str, Callable[[], Steps]] = {
    "wu2019.crossover": _crossover,
    "wu2019.iterations_series": _iterations_series,
    "wu2019.iterations_leading_order": _iterations_leading_order,
    "wu2019.flow_invariants": _flow_invariants,
    "wu2019.zas_balance": _zas_balance,
    "wu2019.zas_pl_equality": _zas_pl_equality,
    "wu2019.flow_rate": _flow_rate,
    "wu2019.scalar_reduction": _scalar_reduction,
}


def _id_crossover() -> tuple[sp.Expr, sp.Expr]:
    a, b = 1 / (4 * L**3 * xi**6), 1 / (144 * L**2 * xi**4)
    return sp.simplify(b / a), L * xi**2 / 36


def _id_series() -> tuple[sp.Expr, sp.Expr]:
    derived = sp.series(iterations_expr(), eta, 0, 2).removeO()
    return sp.expand(derived, log=False), 2 * _LOG / eta - _LOG / 2 - eta * _LOG / 24


def _id_leading() -> tuple[sp.Expr, sp.Expr]:
    T_thm = iterations_expr().subs(eta, 1 / (4 * L**3 * xi**6))
    return sp.limit(T_thm / (8 * L**3 * xi**6 * _LOG), L, sp.oo), sp.Integer(1)


IDENTITIES: dict[str, Callable[[], tuple[sp.Expr, sp.Expr]]] = {
    "crossover: ratio of the step-size terms = L xi^2 / 36": _id_crossover,
    "T(eps) = 2 log(R0/eps)/eta - log(R0/eps)/2 - eta log(R0/eps)/24 + O(eta^2)": _id_series,
    "T / (8 L^3 xi^6 log(R0/eps)) -> 1 at eta = 1/(4 L^3 xi^6)": _id_leading,
    "flow: d/dt (w_2^2 - w_1^2) = 0": lambda: (_flow_invariant_derivative(), sp.Integer(0)),
    "GD: one-step change of w_2^2 - w_1^2 = eta^2 (g_2^2 - g_1^2)": _gd_invariant_change,
    "1-D ZAS flow: d/dt (w_out^2 - (1 + w_L)^2) = 0": lambda: (_zas_balance_derivative(), sp.Integer(0)),
    "ZAS: ||grad R||^2 = 2 R (2x2 Phi, L = 3)": lambda: _zas_gradient_identity()[:2],
    "ZAS: residual-block gradients vanish": lambda: (sum(_zas_gradient_identity()[2]), sp.Integer(0)),
    "ZAS flow: d log R / d tau at t = 0 equals -2": lambda: (_flow_initial_slope(), sp.Integer(-2)),
    "equal residual blocks receive equal gradients": lambda: (_equal_block_gradients(), sp.Integer(0)),
}
