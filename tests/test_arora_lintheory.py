"""The paper-specific mathematics of Arora et al. (2019) in lintheory: arora, preconditioner,
balance, margin, necessity, whitening."""

import math
from fractions import Fraction

import mpmath
import numpy as np
import pytest

from lintheory.arith import MPMath, arithmetic
from lintheory.arora import certified_margin, float_at_most, theorem1_constants, theorem2_constants
from lintheory.balance import drift_prediction, gaussian_imbalances, imbalance_matrices, lemma10_samples
from lintheory.inits import balanced
from lintheory.margin import adversarial_points, ball_points, tight_point
from lintheory.necessity import balanced_split, negative_part_floor, symmetric_target, unbalanced_split
from lintheory.nets import Problem, deep_linear, gradient_step, loss_and_gradients
from lintheory.preconditioner import preconditioner, preconditioner_eigenvalues, predicted_eigenvalues, psd_power, unvec, vec
from lintheory.symbolic import arora2018 as S
from lintheory.whitening import whitened_data, whitening_sides


# --- lintheory.arora -----------------------------------------------------------------------
def test_theorem1_constants_are_the_formulas_rounded_down():
    k = theorem1_constants(0.869, 2, math.sqrt(2.0))
    eta = 0.869 ** 3 / (6144 * 8 * math.sqrt(2.0) ** 4)
    assert k.eta_max == pytest.approx(eta, rel=1e-15)
    exact = S.eta_max_expr().subs({S.c: Fraction(0.869), S.N: 2, S.phi: Fraction(math.sqrt(2.0))})
    assert Fraction(k.eta_max) <= Fraction(str(exact.evalf(40)))  # never above the exact bound
    assert k.delta == pytest.approx(0.869**2 / (256 * 8 * math.sqrt(2.0)), rel=1e-15)
    assert k.spectral_bound == pytest.approx((4 * math.sqrt(2.0)) ** 0.5)
    assert k.iterations(1.0, math.exp(-2)) == pytest.approx(2 / (k.eta_max * 0.869), rel=1e-13)
    assert k.iterations(1.0, 2.0) == 0.0


def test_float_at_most_is_the_floor_of_the_exact_value():
    x = float_at_most(S.c / 3, {S.c: 1})
    assert Fraction(x) <= Fraction(1, 3) < Fraction(math.nextafter(x, 1.0))


def test_certified_margin_is_a_lower_bound_to_50_digits():
    Phi = np.array([[1.0, 0.1], [0.2, 0.9]])
    E = np.eye(2)
    c = certified_margin(E, Phi)
    ctx = mpmath.MPContext()
    ctx.dps = 60
    exact = ctx.svd_r(ctx.matrix(Phi.tolist()), compute_uv=False)[1] - ctx.mnorm(ctx.matrix((E - Phi).tolist()), "f")
    assert ctx.mpf(c) <= exact and exact - ctx.mpf(c) < 1e-15


def test_theorem2_constants_reproduce_the_papers_example():
    k = theorem2_constants(1e-3, 100, 2, 1.0)
    assert k.a == pytest.approx(100.0)
    assert k.probability == pytest.approx(0.2762, abs=1e-4)
    assert k.c1 == pytest.approx(5e-5)
    assert k.eta_max <= (1e-4) ** 3 / (1e5 * 8)


@pytest.mark.parametrize("bad", [dict(c=0.0, N=2, phi_norm=1.0), dict(c=0.5, N=0, phi_norm=1.0),
                                 dict(c=0.5, N=2, phi_norm=math.inf)])
def test_theorem1_constants_refuse_bad_input(bad):
    with pytest.raises(ValueError, match=next(k for k, v in bad.items() if v in (0.0, 0, math.inf))):
        theorem1_constants(**bad)


# --- lintheory.preconditioner --------------------------------------------------------------
@pytest.mark.parametrize("shape,N", [((2, 3), 2), ((3, 2), 3), ((2, 2), 4)])
def test_preconditioner_spectrum_float64_and_mpmath(shape, N):
    W = np.random.default_rng(3).standard_normal(shape)
    for spec, tol in (("float64", 1e-12), ("mpmath:dps=40", 1e-35)):
        ar = arithmetic(spec)
        got = preconditioner_eigenvalues(preconditioner(W, N, ar), ar)
        want = predicted_eigenvalues(ar.singular_values(ar.matrix(W)), *shape, N, ar)
        assert max(float(abs(a - b)) for a, b in zip(got, want)) < tol * float(max(want))


def test_preconditioner_is_the_first_order_step_from_a_balanced_point():
    rng = np.random.default_rng(5)
    ar = MPMath(dps=40)
    net = balanced(rng.standard_normal((2, 3)), [3, 3, 3, 2], rng, ar)
    Phi = ar.matrix(rng.standard_normal((2, 3)))
    _, grads = loss_and_gradients(net, Problem.whitened(Phi, ar))
    E = net.end_to_end()
    direction = unvec(ar.matmul(preconditioner(E, 3, ar), vec(ar.sub(E, Phi), ar)), 2, 3)
    errors = []
    for eta in (1e-4, 1e-5):
        moved = gradient_step(net, grads, ar.number(eta)).end_to_end()
        errors.append(float(ar.frob(ar.sub(moved, ar.sub(E, ar.scale(eta, direction))))))
    assert errors[0] / errors[1] == pytest.approx(100, rel=1e-2)  # O(eta^2)


def test_psd_power_zero_is_identity_and_half_squares_back():
    S_ = np.array([[2.0, 1.0], [1.0, 2.0]])
    assert np.array_equal(psd_power(S_, Fraction(0)), np.eye(2))
    root = psd_power(S_, Fraction(1, 2))
    assert np.allclose(root @ root, S_, atol=1e-14)
    with pytest.raises(ValueError, match="square"):
        psd_power(np.ones((2, 3)), Fraction(1, 2))
    with pytest.raises(ValueError, match="ar must be"):
        preconditioner(S_, 2, "arb:prec=100")


# --- lintheory.balance ---------------------------------------------------------------------
def test_drift_prediction_is_exact_in_mpmath():
    rng = np.random.default_rng(2)
    ar = MPMath(dps=50)
    Ws = [ar.matrix(rng.standard_normal(s)) for s in ((3, 2), (4, 3), (1, 4))]
    net = deep_linear(Ws, ar)
    _, grads = loss_and_gradients(net, Problem.whitened(rng.standard_normal((1, 2)), ar))
    predicted = drift_prediction(Ws, grads, 0.3, ar)
    moved = gradient_step(net, grads, ar.number(0.3)).weights()
    for D, P in zip(imbalance_matrices(moved, ar), predicted):
        assert float(ar.frob(ar.sub(D, P))) < 1e-45


def test_gaussian_imbalance_second_moment_matches_lemma10():
    s, (a, d, b) = 0.3, (4, 3, 2)
    samples = lemma10_samples(a, d, b, s, 20000, 0)
    exact = float(S.lemma10_second_moment_expr().subs({S.da: a, S.dd: d, S.db: b, S.s: s}))
    assert abs(samples.mean() - exact) < 4 * samples.std() / math.sqrt(samples.size)
    worst = gaussian_imbalances([2, 3, 4], s, 20000, 0)[:, 0]
    assert abs(np.mean(worst**2) - exact) < 4 * np.std(worst**2) / math.sqrt(worst.size)


# --- lintheory.margin ----------------------------------------------------------------------
def test_margin_points_lie_in_the_ball_and_the_tight_point_attains_the_bound():
    rng = np.random.default_rng(4)
    Phi = rng.standard_normal((2, 3))
    s_min = np.linalg.svd(Phi, compute_uv=False)[-1]
    rho = 0.4 * s_min
    inner = ball_points(Phi, rho, 500, rng)
    sphere = ball_points(Phi, rho, 50, rng, boundary=True)
    assert np.all(np.linalg.norm((inner - Phi).reshape(500, -1), axis=1) <= rho * (1 + 1e-12))
    assert np.allclose(np.linalg.norm((sphere - Phi).reshape(50, -1), axis=1), rho)
    assert np.linalg.svd(tight_point(Phi, rho), compute_uv=False)[-1] == pytest.approx(s_min - rho, rel=1e-12)
    found = adversarial_points(Phi, rho, 2, rng)
    assert np.linalg.svd(found, compute_uv=False)[:, -1].min() == pytest.approx(s_min - rho, rel=1e-6)


# --- lintheory.necessity -------------------------------------------------------------------
def test_splits_have_product_c_and_the_floor_is_the_negative_part():
    ar = MPMath(dps=30)
    net = unbalanced_split(0.8, 4, 1e6, ar)
    assert abs(float(net.end_to_end()[0, 0]) - 0.8) < 1e-25
    assert float(balanced_split(0.8, 4).end_to_end()[0, 0]) == pytest.approx(0.8, rel=1e-15)
    Phi = symmetric_target([-0.5, 1.0, -2.0], 0)
    assert negative_part_floor(Phi) == pytest.approx(0.5 * (0.25 + 4.0))
    with pytest.raises(ValueError, match="symmetric"):
        negative_part_floor(np.array([[0.0, 1.0], [0.0, 0.0]]))


# --- lintheory.whitening -------------------------------------------------------------------
@pytest.mark.parametrize("spec,tol", [("float64", 1e-13), ("mpmath:dps=40", 1e-35)])
def test_whitened_data_is_whitened_and_the_identity_holds(spec, tol):
    data = whitened_data(3, 2, 7, 1, phi_norm=1.0, ar=spec)
    ar = data.arith
    XX = ar.matmul(data.X, ar.T(data.X))
    assert float(ar.frob(ar.sub(XX, ar.scale(7, ar.identity(3))))) < 10 * tol
    assert float(ar.frob(data.Phi)) == pytest.approx(1.0, abs=tol)
    lhs, rhs = whitening_sides(np.ones((2, 3)), data.X, data.Y, ar)
    assert abs(float(lhs - rhs)) < tol
    # the identity needs whitening: an unwhitened X breaks it
    lhs, rhs = whitening_sides(np.ones((2, 3)), 2 * ar.to_numpy(data.X), ar.to_numpy(data.Y))
    assert abs(lhs - rhs) > 1e-3


def test_whitened_data_refuses_too_few_samples():
    with pytest.raises(ValueError, match="m must be >= d_x"):
        whitened_data(5, 1, 3, 0)
