"""lintheory.symbolic.arora2018: the SymPy expressions against independent evaluations."""

import math

import pytest
import sympy as sp
from scipy import stats

from lintheory.symbolic import arora2018 as S


def _at(expr, **values):
    subs = {getattr(S, k): v for k, v in values.items()}
    return float(expr.subs(subs))


def test_delta_eta_and_iterations_match_the_formulas_written_out():
    c, N, phi = 0.869, 2, math.sqrt(2.0)
    assert _at(S.delta_expr(), c=c, N=N, phi=phi) == pytest.approx(c**2 / (256 * N**3 * phi ** (2 * (N - 1) / N)), rel=1e-14)
    eta = c ** ((4 * N - 2) / N) / (6144 * N**3 * phi ** ((6 * N - 4) / N))
    assert _at(S.eta_max_expr(), c=c, N=N, phi=phi) == pytest.approx(eta, rel=1e-14)
    T = math.log(1e3) / (eta * c ** (2 * (N - 1) / N))
    assert _at(S.iterations_expr(), eta=eta, c=c, N=N, ell0=1.0, eps=1e-3) == pytest.approx(T, rel=1e-13)


def test_iterations_at_eta_max_is_the_substitution():
    diff = S.iterations_expr().subs(S.eta, S.eta_max_expr()) - S.iterations_at_eta_max_expr()
    assert sp.simplify(sp.expand_log(diff, force=True)) == 0
    for N in (2, 3, 7):
        value = _at(S.iterations_at_eta_max_expr(), c=0.5, N=N, phi=1.0, ell0=1.0, eps=math.exp(-1))
        assert value == pytest.approx(6144 * N**3 * 2.0 ** (6 - 4 / N), rel=1e-13)


def test_growth_in_n_limits():
    r = S.iterations_at_eta_max_expr() / (S.N**3 * sp.log(S.ell0 / S.eps))
    assert sp.simplify(sp.limit(r, S.N, sp.oo) - 6144 * S.phi**6 / S.c**6) == 0
    assert sp.simplify(sp.limit(S.delta_expr() * S.N**3, S.N, sp.oo) - S.c**2 / (256 * S.phi**2)) == 0


def test_preconditioner_eigenvalue_sum_equals_closed_form():
    for N, sr, sq in ((2, 1.3, 0.4), (3, 2.0, 0.7), (5, 0.9, 1.1)):
        total = float(S.preconditioner_eigenvalue_expr().subs({S.N: N, S.sigma_r: sr, S.sigma_q: sq}).doit())
        closed = float(S.preconditioner_eigenvalue_expr(closed=True).subs({S.N: N, S.sigma_r: sr, S.sigma_q: sq}))
        direct = sum(sr ** (2 * (j - 1) / N) * sq ** (2 * (N - j) / N) for j in range(1, N + 1))
        assert total == pytest.approx(direct, rel=1e-13) and closed == pytest.approx(direct, rel=1e-12)


@pytest.mark.parametrize("sizes", [(1, 2, 3), (2, 3, 4), (3, 2, 2)])
def test_whitening_residual_vanishes_for_every_x(sizes):
    gap, residual = S.whitening_gap(*sizes)
    assert residual == 0
    assert sp.expand(gap) != 0  # without whitening the two sides differ


def test_whitening_gap_zero_for_whitened_rotation():
    theta = sp.Symbol("theta", real=True)
    X = sp.sqrt(2) * sp.Matrix([[sp.cos(theta), -sp.sin(theta)], [sp.sin(theta), sp.cos(theta)]])
    W = sp.Matrix([[sp.Rational(3, 7), -2]])
    Y = sp.Matrix([[1, sp.Rational(5, 3)]])
    assert sp.simplify(S.whitening_gap_of(W, X, Y)) == 0


@pytest.mark.parametrize("widths", [(2, 2, 1), (1, 2, 2, 1)])
def test_balance_drift_residual_is_exactly_zero(widths):
    for M in S.balance_drift_residual(widths):
        assert M == sp.zeros(*M.shape)


@pytest.mark.parametrize("sizes", [(1, 2, 3), (2, 2, 2), (3, 1, 2)])
def test_lemma10_closed_form_matches_exact_gaussian_moments(sizes):
    a, d, b = sizes
    exact = S.lemma10_second_moment_by_moments(a, d, b)
    closed = S.lemma10_second_moment_expr().subs({S.da: a, S.dd: d, S.db: b})
    assert sp.simplify(exact - closed) == 0


def test_theorem2_step_is_below_eq7_at_c1_for_every_depth():
    c1 = S.theorem2_margin_expr()
    eta_c1 = S.eta_max_expr().subs({S.c: c1, S.phi: S.phi2})
    for N in range(2, 12):
        ratio = float((S.theorem2_eta_expr() / eta_c1).subs({S.N: N, S.s: 0.01, S.d0: 50, S.phi2: 1.3}))
        assert ratio == pytest.approx(2 ** (4 - 2 / N) * 6144 / 1e5, rel=1e-12) and ratio < 1


def test_theorem2_probability_matches_scipy_normal_cdf():
    value = _at(S.theorem2_probability_expr(), d0=100, a=100)
    expected = (1 - 2 * math.exp(-100 / 16)) * (3 - 4 * stats.norm.cdf(2 * math.sqrt(2 / 100))) / 2
    assert value == pytest.approx(expected, rel=1e-12)
    assert value > 0.25


def test_claim2_bound_clips_at_zero():
    assert _at(S.claim2_bound_expr(), N=3, s=0.1, d_max=8, delta_sym=1e-3) == 0.0
    assert _at(S.claim2_bound_expr(), N=3, s=0.1, d_max=8, delta_sym=10.0) == pytest.approx(1 - 20 * 1e-4 * 512 / 100)


def test_bad_sizes_are_refused():
    with pytest.raises(ValueError, match="dx"):
        S.whitening_gap(1, 0, 2)
    with pytest.raises(ValueError, match="widths"):
        S.balance_drift_residual((2, 2))
    with pytest.raises(ValueError, match="a_rows"):
        S.lemma10_second_moment_by_moments(0, 1, 1)


def test_every_derivation_yields_captioned_sympy_steps():
    assert all(name.startswith("arora2018.") for name in S.DERIVATIONS)
    for name, steps_of in S.DERIVATIONS.items():
        steps = steps_of()
        assert steps, name
        for caption, expr in steps:
            assert isinstance(caption, str) and caption
            assert isinstance(expr, sp.Basic)
            sp.latex(expr)
