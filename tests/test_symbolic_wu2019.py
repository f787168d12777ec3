"""The SymPy side of Wu, Wang, Ma (2019): derivations print, identities hold, and the symbolic
formulas agree with the numeric ones in :mod:`lintheory.zas`."""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
import sympy as sp

from lintheory import zas as Z
from lintheory.symbolic import wu2019 as S


@pytest.mark.parametrize("name", sorted(S.DERIVATIONS))
def test_derivations_are_captioned_sympy_steps(name):
    steps = S.DERIVATIONS[name]()
    assert steps
    for caption, expr in steps:
        assert isinstance(caption, str) and caption
        assert isinstance(expr, sp.Basic)
        assert sp.latex(expr)


@pytest.mark.parametrize("name", sorted(S.IDENTITIES))
def test_identities_simplify_to_zero(name):
    derived, closed = S.IDENTITIES[name]()
    assert sp.simplify(derived - closed) == 0


def test_identities_would_catch_a_wrong_closed_form():
    derived, closed = S.IDENTITIES["crossover: ratio of the step-size terms = L xi^2 / 36"]()
    assert sp.simplify(derived - closed * 2) != 0


@pytest.mark.parametrize("L, phi", [(2, 0.5), (9, 1.0), (16, 1.0), (4, 2.0), (64, 0.5)])
def test_symbolic_step_size_matches_numeric(L, phi):
    xi_value = S.xi_expr().subs({S.L: L, S.phi: phi})
    assert float(xi_value) == pytest.approx(Z.xi(phi, L), rel=1e-15)
    eta = S.step_size_expr().subs({S.L: L, S.xi: xi_value})
    assert float(eta) == pytest.approx(Z.step_size(L, phi), rel=1e-14)


def test_crossover_is_where_the_two_terms_are_equal():
    # ||Phi||_F = 1 and L = 9: xi = 2, L xi^2 = 36
    L, x = 9, Z.xi(1.0, 9)
    assert L * x**2 == 36
    assert 1 / (4 * L**3 * x**6) == pytest.approx(1 / (144 * L**2 * x**4), rel=1e-15)
    assert Z.binding_term(9, 1.0) == "L^3" and Z.binding_term(8, 1.0) == "L^2"


def test_series_matches_exact_count_to_second_order():
    T = sp.lambdify((S.eta, S.R0, S.eps), S.iterations_expr(), "mpmath")
    series = sp.lambdify((S.eta, S.R0, S.eps), S.IDENTITIES[
        "T(eps) = 2 log(R0/eps)/eta - log(R0/eps)/2 - eta log(R0/eps)/24 + O(eta^2)"]()[1], "mpmath")
    mpmath.mp.dps = 40
    try:
        errors = [abs(T(mpmath.mpf(e), mpmath.mpf("0.5"), mpmath.mpf("1e-4"))
                      - series(mpmath.mpf(e), mpmath.mpf("0.5"), mpmath.mpf("1e-4"))) for e in ("1e-2", "1e-3")]
    finally:
        mpmath.mp.dps = 15
    # the remainder is O(eta^2): a tenfold smaller eta shrinks it a hundredfold
    assert 80 < errors[0] / errors[1] < 120


def test_predicted_count_is_the_ceiling_of_the_symbolic_T():
    T = sp.lambdify((S.eta, S.R0, S.eps), S.iterations_expr())
    for eta, R0, eps in [(8.57e-5, 0.5, 1e-4), (1e-7, 2.0, 1e-10), (0.3, 1.0, 0.5)]:
        assert Z.predicted_iterations(R0, eps, eta) == math.ceil(T(eta, R0, eps))
        t = Z.predicted_iterations(R0, eps, eta)
        assert (1 - eta / 2) ** t * R0 <= eps * (1 + 1e-12) < (1 - eta / 2) ** (t - 1) * R0


def test_gd_invariant_change_matches_float_arithmetic():
    change, closed = S.IDENTITIES["GD: one-step change of w_2^2 - w_1^2 = eta^2 (g_2^2 - g_1^2)"]()
    rng = np.random.default_rng(3)
    w = rng.standard_normal(3)
    y, eta = 0.7, 0.05
    g = (np.prod(w) - y) * np.array([w[1] * w[2], w[0] * w[2], w[0] * w[1]])
    after = w - eta * g
    numeric = (after[1] ** 2 - after[0] ** 2) - (w[1] ** 2 - w[0] ** 2)
    symbols = {s.name: s for s in closed.free_symbols}
    value = closed.subs({symbols["w1"]: w[0], symbols["w2"]: w[1], symbols["w3"]: w[2],
                         symbols["y"]: y, symbols["eta"]: eta})
    assert float(value) == pytest.approx(numeric, rel=1e-10)


def test_bad_input_is_refused_by_the_numeric_formulas():
    with pytest.raises(ValueError, match="L"):
        Z.step_size(0, 1.0)
    with pytest.raises(ValueError, match="phi_fro"):
        Z.xi(-1.0, 4)
    with pytest.raises(ValueError, match="eta"):
        Z.predicted_iterations(1.0, 0.1, 2.5)
    with pytest.raises(ValueError, match="eps"):
        Z.predicted_iterations(1.0, 0.0, 0.1)
