"""lintheory.fit: exact recovery on noiseless data, interval coverage on noisy data, input checks."""

import math

import numpy as np
import pytest

from lintheory import fit


def test_power_law_recovers_exact_exponent_and_prefactor():
    x = np.array([2.0, 4.0, 8.0, 16.0, 32.0])
    f = fit.power_law(x, 3.0 * x**1.5)
    assert f.exponent == pytest.approx(1.5, abs=1e-12)
    assert math.exp(f.log_prefactor) == pytest.approx(3.0, rel=1e-12)
    assert f.ci95[0] == pytest.approx(1.5, abs=1e-9) and f.ci95[1] == pytest.approx(1.5, abs=1e-9)
    assert f.r2 == pytest.approx(1.0) and f.n == 5
    assert f.predict(64.0) == pytest.approx(3.0 * 64**1.5, rel=1e-10)


def test_linear_matches_numpy_polyfit_and_scipy_interval():
    from scipy import stats

    rng = np.random.default_rng(1)
    x = np.linspace(0, 10, 25)
    y = 2.0 - 0.5 * x + rng.normal(0, 0.3, x.size)
    f = fit.linear(x, y)
    slope, intercept = np.polyfit(x, y, 1)
    assert f.slope == pytest.approx(slope, rel=1e-12) and f.intercept == pytest.approx(intercept, rel=1e-12)
    ref = stats.linregress(x, y)
    half = stats.t.ppf(0.975, x.size - 2) * ref.stderr
    assert f.ci95 == pytest.approx((ref.slope - half, ref.slope + half), rel=1e-10)
    assert f.r2 == pytest.approx(ref.rvalue**2, rel=1e-12)


def test_power_law_interval_covers_true_exponent_about_95_percent():
    rng = np.random.default_rng(7)
    x = np.arange(2.0, 12.0)
    hits = 0
    trials = 400
    for _ in range(trials):
        y = 5.0 * x**-0.75 * np.exp(rng.normal(0, 0.1, x.size))
        lo, hi = fit.power_law(x, y).ci95
        hits += lo <= -0.75 <= hi
    # binomial(400, 0.95): sd ~ 4.4 hits; 0.90 is > 10 sd below the nominal level
    assert 0.90 * trials <= hits <= trials


def test_exponential_rate_and_linear_rate_on_a_geometric_curve():
    t = np.arange(10.0)
    losses = 7.0 * 0.8**t
    e = fit.exponential_rate(t, losses)
    assert e.rate == pytest.approx(math.log(0.8), rel=1e-12)
    assert math.exp(e.log_prefactor) == pytest.approx(7.0, rel=1e-12)
    r = fit.linear_rate(losses)
    assert r.factor == pytest.approx(0.8, rel=1e-12) and r.ci95 == pytest.approx((0.8, 0.8), rel=1e-9)
    decimated = fit.linear_rate(losses[::3], t=t[::3])
    assert decimated.factor == pytest.approx(0.8, rel=1e-12)


def test_log_eps_slope_of_a_linearly_convergent_count():
    q = 0.9
    eps = np.array([1e-2, 1e-4, 1e-6, 1e-8])
    iterations = np.log(1 / eps) / math.log(1 / q) + 3.0
    f = fit.log_eps_slope(eps, iterations)
    assert f.slope == pytest.approx(1 / math.log(1 / q), rel=1e-12)
    assert f.intercept == pytest.approx(3.0, rel=1e-9)


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: fit.power_law([1, 2], [1, 2]), "x"),
        (lambda: fit.power_law([1, 2, 3], [1, -2, 3]), "y"),
        (lambda: fit.power_law([0, 2, 3], [1, 2, 3]), "x"),
        (lambda: fit.linear([1, 2, float("nan")], [1, 2, 3]), "x"),
        (lambda: fit.linear([1, 2, 3], [1, 2, 4, 5]), "x and y"),
        (lambda: fit.linear([2, 2, 2], [1, 2, 3]), "x"),
        (lambda: fit.linear([[1, 2, 3]], [1, 2, 3]), "x"),
        (lambda: fit.linear(["a", "b", "c"], [1, 2, 3]), "x"),
        (lambda: fit.linear_rate([1.0, 0.5, 0.0]), "losses"),
        (lambda: fit.exponential_rate([0, 1, 2], [1, 0, 1]), "y"),
        (lambda: fit.log_eps_slope([1e-2, 0, 1e-4], [1, 2, 3]), "eps"),
    ],
)
def test_bad_input_names_the_argument(call, name):
    with pytest.raises(ValueError, match=rf"^{name} must"):
        call()


def test_fits_are_frozen_and_serialise():
    f = fit.linear([1, 2, 3], [2, 4, 6.5])
    with pytest.raises(AttributeError):
        f.slope = 0.0  # type: ignore[misc]
    d = f.as_dict()
    assert d["n"] == 3 and isinstance(d["ci95"], list)
