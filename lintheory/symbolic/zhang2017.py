r"""SymPy derivations for the lifted ReLU network of Zhang & Brand (NeurIPS 2017).

The paper's body was not available; these are the **reconstructed** identities (labels as in
:mod:`lintheory.lifted.model`: ZB-1, ZB-3, ZB-6, ZB-7), derived here from first principles:

* ReLU as a projection (ZB-1): :math:`\max(0,v) = \arg\min_{u\ge0}(u-v)^2` with optimal
  value :math:`\min(v,0)^2`, as a ``Piecewise`` from the KKT case split, and the proof of
  each case (equality with ``Max``/``Min``, the KKT conditions, and optimality
  :math:`(u-v)^2 - (u^*-v)^2 \ge 0` for every :math:`u \ge 0`);
* the Tikhonov matrix (ZB-3) for two scalar layers: :math:`\sum_n\gamma_n(u_n-w_nu_{n-1})^2 = u^TQu`;
* the closed-form output update (ZB-6) for the squared and the squared-hinge loss;
* the ridge W-update (ZB-7) for a scalar weight.

:data:`DERIVATIONS` maps names to steps ``[(caption, expr), ...]`` for ``proofs-check derive``.
"""

from __future__ import annotations

from collections.abc import Callable

import sympy as sp

__all__ = [
    "DERIVATIONS",
    "Steps",
    "output_update",
    "relu_projection",
    "relu_projection_proofs",
    "ridge_update",
    "tikhonov_identity",
]

Steps = list[tuple[str, sp.Basic]]


def relu_projection() -> dict[str, sp.Basic]:
    r"""(ZB-1) solved by its KKT case split, for a real symbol :math:`v`.

    The objective :math:`f(u) = (u - v)^2` is stationary at :math:`u = v`; that point is
    feasible iff :math:`v \ge 0`, otherwise the minimiser is the boundary :math:`u = 0`.
    Returns the symbols, the objective, the ``Piecewise`` argmin and optimal value, and
    the closed forms they must equal (:math:`\max(0, v)`, :math:`\min(v, 0)^2`).
    """
    u, v = sp.symbols("u v", real=True)
    f = (u - v) ** 2
    stationary = sp.solve(sp.Eq(sp.diff(f, u), 0), u)[0]
    argmin = sp.Piecewise((stationary, v >= 0), (sp.Integer(0), True))
    value = sp.Piecewise((f.subs(u, stationary), v >= 0), (f.subs(u, 0), True))
    return {"u": u, "v": v, "objective": f, "argmin": argmin, "value": value,
            "relu": sp.Max(0, v), "neg_sq": sp.Min(v, 0) ** 2}


def relu_projection_proofs() -> dict[str, bool]:
    r"""Each case of (ZB-1), proved with sign-restricted symbols.

    Case :math:`v \ge 0` is :math:`v = p` with :math:`p \ge 0`; case :math:`v < 0` is
    :math:`v = -q` with :math:`q > 0`; :math:`u \ge 0` is a non-negative symbol. In each
    case SymPy must show: argmin = Max(0, v), value = Min(v, 0)^2, the KKT conditions
    :math:`u^* \ge 0`, :math:`u^* - v \ge 0`, :math:`u^*(u^* - v) = 0`, and
    :math:`f(u) - f(u^*) \ge 0`. A ``False`` entry means SymPy could not prove it.
    """
    r = relu_projection()
    v, f = r["v"], r["objective"]
    p = sp.Symbol("p", nonnegative=True)
    q = sp.Symbol("q", positive=True)
    w = sp.Symbol("w", nonnegative=True)
    out: dict[str, bool] = {}
    for case, val in (("v>=0", p), ("v<0", -q)):
        star = r["argmin"].subs(v, val)
        out[f"{case}: argmin == Max(0,v)"] = sp.simplify(star - r["relu"].subs(v, val)) == 0
        out[f"{case}: value == Min(v,0)^2"] = sp.simplify(r["value"].subs(v, val) - r["neg_sq"].subs(v, val)) == 0
        out[f"{case}: u* >= 0"] = sp.Ge(star, 0) is sp.true
        out[f"{case}: u* - v >= 0"] = sp.Ge(sp.simplify(star - val), 0) is sp.true
        out[f"{case}: u*(u* - v) == 0"] = sp.simplify(star * (star - val)) == 0
        gap = sp.factor(f.subs({r["u"]: w, v: val}) - f.subs({r["u"]: star, v: val}))
        out[f"{case}: f(u) - f(u*) >= 0 for u >= 0"] = gap.is_nonnegative is True
    return out


def tikhonov_identity() -> dict[str, sp.Basic]:
    r"""(ZB-3) for two scalar layers: :math:`\gamma_1(u_1-w_1u_0)^2 + \gamma_2(u_2-w_2u_1)^2 = u^TQu`.

    :math:`Q = \begin{pmatrix}\gamma_1w_1^2 & -\gamma_1w_1 & 0\\ -\gamma_1w_1 & \gamma_1+\gamma_2w_2^2 & -\gamma_2w_2\\
    0 & -\gamma_2w_2 & \gamma_2\end{pmatrix}`; ``difference`` must expand to 0.
    """
    u0, u1, u2, w1, w2 = sp.symbols("u_0 u_1 u_2 w_1 w_2", real=True)
    g1, g2 = sp.symbols("gamma_1 gamma_2", positive=True)
    coupling = g1 * (u1 - w1 * u0) ** 2 + g2 * (u2 - w2 * u1) ** 2
    Q = sp.ImmutableMatrix([[g1 * w1 ** 2, -g1 * w1, 0],
                   [-g1 * w1, g1 + g2 * w2 ** 2, -g2 * w2],
                   [0, -g2 * w2, g2]])
    u = sp.Matrix([u0, u1, u2])
    quad = (u.T * Q * u)[0, 0]
    return {"coupling": coupling, "Q": Q, "quadratic_form": quad,
            "difference": sp.expand(coupling - quad), "Q_UU_det": sp.factor(Q[1:, 1:].det())}


def output_update() -> dict[str, sp.Basic]:
    r"""(ZB-6): the minimiser of :math:`\ell(u) + \tfrac\gamma2(u-v)^2 + \tfrac\eta2(u-u')^2` per entry.

    Squared loss :math:`\tfrac12(u-y)^2`: :math:`u = (y + \gamma v + \eta u')/(1+\gamma+\eta)`.
    Squared hinge :math:`\tfrac12\max(0, 1-\tilde yu)^2` with :math:`\tilde y = \pm1`: with
    :math:`\kappa = \gamma+\eta`, :math:`c = (\gamma v + \eta u')/\kappa`, the minimiser is
    :math:`c` when :math:`\tilde yc \ge 1`, else :math:`(\kappa c + \tilde y)/(\kappa + 1)`.
    """
    u, y, v, up, c = sp.symbols("u y v u' c", real=True)
    g, eta, kappa = sp.symbols("gamma eta kappa", positive=True)
    yt = sp.Symbol("ytilde", real=True)
    phi = sp.Rational(1, 2) * (u - y) ** 2 + g / 2 * (u - v) ** 2 + eta / 2 * (u - up) ** 2
    squared = sp.solve(sp.diff(phi, u), u)[0]
    # On the active side (yt*u < 1) the hinge is 1/2 (1 - yt u)^2 and yt^2 = 1.
    active = sp.Rational(1, 2) * (1 - yt * u) ** 2 + kappa / 2 * (u - c) ** 2
    hinge_active = sp.solve(sp.diff(active, u), u)[0].subs(yt ** 2, 1)
    hinge = sp.Piecewise((c, yt * c >= 1), (hinge_active, True))
    return {"objective_squared": phi, "squared": sp.simplify(squared),
            "objective_hinge_active": active, "hinge": hinge}


def ridge_update() -> dict[str, sp.Basic]:
    r"""(ZB-7) for a scalar weight on :math:`M` samples: the stationary point of
    :math:`\tfrac\gamma2\sum_i(t_i - wh_i)^2 + \tfrac\lambda2w^2 + \tfrac\eta2(w-w')^2`, written with
    :math:`S_{th} = \sum_it_ih_i`, :math:`S_{hh} = \sum_ih_i^2`:
    :math:`w = (\gamma S_{th} + \eta w')/(\gamma S_{hh} + \lambda + \eta)`.
    """
    w, wp, s_th = sp.symbols("w w' S_th", real=True)
    s_hh = sp.Symbol("S_hh", nonnegative=True)
    g, lam, eta = sp.symbols("gamma lambda eta", positive=True)
    # d/dw of the objective, with the sums over samples collected into S_th, S_hh.
    grad = -g * (s_th - w * s_hh) + lam * w + eta * (w - wp)
    return {"gradient": grad, "update": sp.solve(grad, w)[0]}


def _relu_steps() -> Steps:
    r = relu_projection()
    u, v = r["u"], r["v"]
    proofs = relu_projection_proofs()
    return [
        ("objective f(u) = (u - v)^2 over u >= 0", r["objective"]),
        ("stationarity f'(u) = 0", sp.Eq(sp.diff(r["objective"], u), 0)),
        ("argmin (KKT case split)", sp.Eq(sp.Symbol("u^*"), r["argmin"])),
        ("equals Max(0, v)", sp.Eq(r["argmin"], r["relu"])),
        ("optimal value", sp.Eq(sp.Symbol("f^*"), r["value"])),
        ("equals Min(v, 0)^2", sp.Eq(r["value"], r["neg_sq"])),
        ("all case proofs hold", sp.true if all(proofs.values()) else sp.false),
        ("evaluated at v = -3, 0, 2 (argmin)", sp.Tuple(*(r["argmin"].subs(v, x) for x in (-3, 0, 2)))),
    ]


def _tikhonov_steps() -> Steps:
    t = tikhonov_identity()
    return [
        ("coupling sum_n gamma_n (u_n - w_n u_{n-1})^2", t["coupling"]),
        ("block-tridiagonal Q", t["Q"]),
        ("u^T Q u", sp.expand(t["quadratic_form"])),
        ("difference (expands to 0)", t["difference"]),
        ("det Q_UU (> 0: Q_UU positive definite)", t["Q_UU_det"]),
    ]


def _output_steps() -> Steps:
    o = output_update()
    return [
        ("squared loss + coupling + prox", o["objective_squared"]),
        ("closed form (ZB-6)", o["squared"]),
        ("squared hinge, active side", o["objective_hinge_active"]),
        ("closed form per entry", o["hinge"]),
    ]


def _ridge_steps() -> Steps:
    r = ridge_update()
    return [("gradient in w", r["gradient"]), ("ridge update (ZB-7)", r["update"])]


DERIVATIONS: dict[str, Callable[[], Steps]] = {
    "zhang2017.relu_projection": _relu_steps,
    "zhang2017.tikhonov_matrix": _tikhonov_steps,
    "zhang2017.output_update": _output_steps,
    "zhang2017.ridge_update": _ridge_steps,
}
