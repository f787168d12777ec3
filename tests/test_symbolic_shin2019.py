"""SymPy derivations of Shin (2019) against independent closed forms and high-precision numerics."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
import sympy as sp

from lintheory.symbolic import shin2019 as sym


def test_every_derivation_prints_in_pretty_and_latex():
    assert set(sym.DERIVATIONS) == {"shin2019.exact_step", "shin2019.normalised_step",
                                    "shin2019.block_contraction", "shin2019.rank_limited_optimum"}
    for name, derive in sym.DERIVATIONS.items():
        steps = derive()
        assert len(steps) >= 2, name
        for caption, expr in steps:
            assert isinstance(caption, str) and caption
            assert isinstance(expr, sp.Basic)
            assert sp.pretty(expr) and sp.latex(expr)


def test_quantities_print_as_the_matrix_norms_they_stand_for():
    assert sp.latex(sym.G2) == r"\|G\|_F^{2}"
    assert sp.latex(sym.A2 * sym.B2) == r"\|A\|_2^{2} \|B\|_2^{2}"
    assert "‖AGB‖²" in sp.pretty(sym.AGB2 / sym.m)
    with pytest.raises(ValueError, match="name must be one of"):
        sym.Quantity("not_a_quantity")


def test_exact_step_matches_the_closed_forms():
    step = sym.exact_step()
    assert sp.simplify(step.eta_star - sym.m * sym.G2 / sym.AGB2) == 0
    assert sp.simplify(step.decrease - sym.m * sym.G2**2 / (2 * sym.AGB2)) == 0
    assert step.curvature.is_positive


@pytest.mark.parametrize("shape", [(1, 1, 1, 1), (2, 3, 2, 4), (3, 1, 2, 2)])
def test_inner_product_identity_vanishes_on_generic_matrices(shape):
    assert sym.inner_product_identity(*shape) == 0


def test_inner_product_identity_rejects_bad_shapes():
    with pytest.raises(ValueError, match="d_y must be a positive integer"):
        sym.inner_product_identity(0, 2, 2, 2)


def test_block_quadratic_agrees_with_direct_evaluation_at_60_digits():
    """phi(eta) from the derivation against (1/2m)||A (W - eta G) B - Y||^2 computed entrywise."""
    ctx = mpmath.MPContext()
    ctx.dps = 60
    rng = np.random.default_rng(0)
    d_y, n_j, n_below, m = 2, 3, 4, 7
    A, W, B, Y = (ctx.matrix(rng.standard_normal(s).tolist())
                  for s in ((d_y, n_j), (n_j, n_below), (n_below, m), (d_y, m)))
    R = A * W * B - Y
    G = A.T * R * B.T / m
    frob = lambda M: ctx.fsum(x**2 for x in M)  # noqa: E731
    loss = frob(R) / (2 * m)
    AGB = A * G * B
    step = sym.exact_step()
    values = {sym.m: m, sym.G2: frob(G), sym.AGB2: frob(AGB), sym.ell: loss}
    phi = sp.lambdify((sym.eta, *values), sym.block_quadratic(), modules=[{"mpf": ctx.mpf}, "mpmath"])
    for eta in (ctx.mpf("0.1"), ctx.mpf("0.7"), ctx.mpf(2)):
        direct = frob(A * (W - eta * G) * B - Y) / (2 * m)
        assert abs(phi(eta, *values.values()) - direct) <= ctx.mpf(10) ** -55 * loss
    eta_star = sp.lambdify(tuple(values)[:3], step.eta_star, modules="mpmath")(m, frob(G), frob(AGB))
    # the derivative of the directly evaluated loss vanishes at eta*
    slope = ctx.diff(lambda t: frob(A * (W - t * G) * B - Y) / (2 * m), eta_star)
    assert abs(slope) <= ctx.mpf(10) ** -40 * loss


def test_normalised_step_bound_argmax_and_admissible_interval():
    dec = sym.normalised_decrease()
    stated = sym.eta * (2 - sym.eta) / 2 * sym.m * sym.G2 / (sym.A2 * sym.B2)
    assert sp.simplify(dec - stated) == 0
    assert sp.solve(sp.diff(dec, sym.eta), sym.eta) == [1]
    assert sp.solveset(dec > 0, sym.eta, sp.S.Reals) == sp.Interval.open(0, 2)


def test_contraction_factor_and_its_complement():
    factor = sym.contraction_factor()
    assert sp.simplify(factor - (1 - sym.eta * (2 - sym.eta) / sym.kappa_j)) == 0
    assert sp.simplify(factor.subs(sym.eta, 1) - (1 - 1 / sym.kappa_j)) == 0


def test_derivation_steps_contain_the_results_they_claim():
    exact = dict(sym.DERIVATIONS["shin2019.exact_step"]())
    identity = next(e for c, e in exact.items() if c.startswith("<R, AGB>/m"))
    assert identity == 0
    normalised = sym.DERIVATIONS["shin2019.normalised_step"]()
    assert sp.Eq(sym.eta, 1) in [e for _, e in normalised]
    assert sp.Interval.open(0, 2) in [e for _, e in normalised]
