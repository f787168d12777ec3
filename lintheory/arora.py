r"""The numbers of Theorems 1 and 2 of Arora, Cohen, Golowich, Hu (ICLR 2019), for runs.

The formulas live in :mod:`lintheory.symbolic.arora2018` (with their provenance: 6144 and
:math:`10^5` confirmed, 256, the exponents and the form of :math:`T` reconstructed); here they
are lambdified for float arguments. Thresholds that a run must satisfy (the step
:math:`\eta \le \eta_{\max}`, the balance :math:`\delta`, the margin :math:`c`) are rounded
*down* to the nearest float from a 40-digit evaluation, so that a run at "the theorem's step"
satisfies the hypothesis exactly and not only up to round-off.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from typing import Any

import mpmath
import sympy as sp

from lintheory.arith import MPMath
from lintheory.inits import deficiency_margin
from lintheory.symbolic import arora2018 as S

__all__ = [
    "Theorem1Constants",
    "Theorem2Constants",
    "certified_margin",
    "float_at_most",
    "theorem1_constants",
    "theorem2_constants",
]

_DIGITS = 40


def _check_positive(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not (math.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    return float(value)


def _check_depth(N: Any) -> int:
    if isinstance(N, bool) or not isinstance(N, int) or N < 1:
        raise ValueError(f"N must be an integer >= 1 (the depth), got {N!r}")
    return N


def float_at_most(expr: sp.Expr, values: dict[sp.Symbol, float | int]) -> float:
    """The largest float not above the exact value of ``expr`` at ``values`` (floats taken exactly)."""
    exact = expr.subs({k: sp.Rational(v) for k, v in values.items()}).evalf(_DIGITS)
    if not exact.is_real or not exact.is_finite:
        raise ValueError(f"expression is not a finite real at {values}: {exact}")
    x = float(exact)
    while sp.Rational(x) > exact:
        x = math.nextafter(x, -math.inf)
    return x


@cache
def _lambdified(name: str) -> Any:
    exprs = {
        "delta": (S.delta_expr(), (S.c, S.N, S.phi)),
        "eta_max": (S.eta_max_expr(), (S.c, S.N, S.phi)),
        "rate": (S.rate_exponent_expr(), (S.c, S.N)),
        "T": (S.iterations_expr(), (S.eta, S.c, S.N, S.ell0, S.eps)),
        "spectral_bound": (S.spectral_bound_expr(), (S.phi, S.N)),
        "t2_eta": (S.theorem2_eta_expr(), (S.s, S.d0, S.N, S.phi2)),
        "t2_margin": (S.theorem2_margin_expr(), (S.s, S.d0, S.phi2)),
        "t2_probability": (S.theorem2_probability_expr(), (S.d0, S.a)),
        "t2_T": (S.theorem2_iterations_expr(), (S.eta, S.s, S.d0, S.N, S.phi2, S.eps)),
    }
    expr, args = exprs[name]
    return sp.lambdify(args, expr, modules="math")


@dataclass(frozen=True)
class Theorem1Constants:
    r"""Theorem 1 at margin ``c``, depth ``N`` and :math:`\|\Phi\|_F` = ``phi_norm``.

    ``delta`` and ``eta_max`` are rounded down (the hypotheses hold exactly at them);
    ``rate`` is :math:`c^{2(N-1)/N}`, ``spectral_bound`` :math:`(4\|\Phi\|_F)^{1/N}` (Lemma 2 C).
    """

    c: float
    N: int
    phi_norm: float
    delta: float
    eta_max: float
    rate: float
    spectral_bound: float

    def iterations(self, ell0: float, eps: float, eta: float | None = None) -> float:
        r""":math:`T = \log(\ell(0)/\varepsilon)/(\eta\,c^{2(N-1)/N})` at ``eta`` (default
        :math:`\eta_{\max}`); 0 when :math:`\ell(0) \le \varepsilon`."""
        ell0, eps = _check_positive(ell0, "ell0"), _check_positive(eps, "eps")
        eta = self.eta_max if eta is None else _check_positive(eta, "eta")
        return max(0.0, _lambdified("T")(eta, self.c, self.N, ell0, eps))

    def loss_bound(self, ell0: float, t: int, eta: float | None = None) -> float:
        r""":math:`\ell(0)(1 - \eta c^{2(N-1)/N})^t` (Lemma 1 unrolled)."""
        eta = self.eta_max if eta is None else eta
        return ell0 * (1.0 - eta * self.rate) ** t


def theorem1_constants(c: float, N: int, phi_norm: float, *, C: float = 6144, depth_power: float = 3,
                       delta_C: float = 256) -> Theorem1Constants:
    r"""Theorem 1's :math:`\delta`, :math:`\eta_{\max}`, rate and Lemma 2's spectral bound.

    ``C``, ``depth_power`` and ``delta_C`` are the 6144, the 3 of :math:`N^3` and the 256 of the
    statement (changed only to evaluate a variant of the statement)."""
    c, N, phi_norm = _check_positive(c, "c"), _check_depth(N), _check_positive(phi_norm, "phi_norm")
    C, delta_C = _check_positive(C, "C"), _check_positive(delta_C, "delta_C")
    if isinstance(depth_power, bool) or not isinstance(depth_power, (int, float)) or not math.isfinite(depth_power):
        raise ValueError(f"depth_power must be a finite number, got {depth_power!r}")
    values = {S.c: c, S.N: N, S.phi: phi_norm}
    return Theorem1Constants(
        c=c, N=N, phi_norm=phi_norm,
        delta=float_at_most(S.delta_expr(delta_C, depth_power), values),
        eta_max=float_at_most(S.eta_max_expr(C, depth_power), values),
        rate=_lambdified("rate")(c, N),
        spectral_bound=_lambdified("spectral_bound")(phi_norm, N),
    )


def certified_margin(E: Any, Phi: Any, dps: int = 50) -> float:
    r"""The deficiency margin :math:`\sigma_{\min}(\Phi) - \|E - \Phi\|_F` of float64 matrices,
    computed in mpmath at ``dps`` digits and rounded down to a float, so that
    "``E`` has margin ``c``" holds for the returned ``c`` beyond float64 round-off."""
    mp = MPMath(dps=dps)
    exact = deficiency_margin(mp.matrix(E), mp.matrix(Phi), mp)
    x = float(exact)
    while mpmath.mpf(x) > exact:
        x = math.nextafter(x, -math.inf)
    return x


@dataclass(frozen=True)
class Theorem2Constants:
    r"""Theorem 2 (scalar regression, :math:`d_N = 1`) at init scale ``s``.

    ``a`` is the largest constant with :math:`s \le \|\Phi\|_2/\sqrt{a d_0^2}`; ``c1`` the phase-1
    margin :math:`s^2 d_0/(2\|\Phi\|_2)`; ``probability`` eq. (38) at that ``a`` (reconstructed);
    ``eta_max`` the Theorem 2 step (rounded down).
    """

    s: float
    d0: int
    N: int
    phi_norm: float
    a: float
    c1: float
    eta_max: float
    probability: float

    def iterations(self, eps: float, eta: float | None = None) -> float:
        """The two-phase bound on the iterations to reach ``eps`` (reconstructed)."""
        eta = self.eta_max if eta is None else _check_positive(eta, "eta")
        return _lambdified("t2_T")(eta, self.s, self.d0, self.N, self.phi_norm, _check_positive(eps, "eps"))


def theorem2_constants(s: float, d0: int, N: int, phi_norm: float) -> Theorem2Constants:
    """Theorem 2's constants for Gaussian end-to-end init of scale ``s`` (see :class:`Theorem2Constants`)."""
    s, N, phi_norm = _check_positive(s, "s"), _check_depth(N), _check_positive(phi_norm, "phi_norm")
    if isinstance(d0, bool) or not isinstance(d0, int) or d0 < 1:
        raise ValueError(f"d0 must be a positive integer, got {d0!r}")
    a = phi_norm**2 / (s**2 * d0**2)
    return Theorem2Constants(
        s=s, d0=d0, N=N, phi_norm=phi_norm, a=a,
        c1=_lambdified("t2_margin")(s, d0, phi_norm),
        eta_max=float_at_most(S.theorem2_eta_expr(), {S.s: s, S.d0: d0, S.N: N, S.phi2: phi_norm}),
        probability=_lambdified("t2_probability")(d0, a),
    )
