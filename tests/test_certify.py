"""Arb certification of identities and inequalities (lintheory.certify)."""

from __future__ import annotations

from fractions import Fraction

import flint
import mpmath
import numpy as np
import pytest

from lintheory.certify import (
    certify,
    decide,
    exact,
    power_enclosure,
    sigma_min_enclosure,
    singular_values_enclosure,
)


def _frobenius_vs_singular_values(ar, inputs):
    r"""||A||_F^2 = sum_i sigma_i(A)^2, the right side through the certified eigensolver."""
    A = inputs["A"]
    sigmas = singular_values_enclosure(A, ar.prec)
    return ar.frob_sq(A), sum(s * s for s in sigmas)


def _cauchy_schwarz(ar, inputs):
    r"""<A, B>^2 <= ||A||_F^2 ||B||_F^2."""
    A, B = inputs["A"], inputs["B"]
    return ar.dot(A, B) ** 2, ar.frob_sq(A) * ar.frob_sq(B)


def test_true_identity_is_certified_with_tiny_radius_at_200_bits():
    A = np.random.default_rng(1).standard_normal((4, 3))
    cert = certify(_frobenius_vs_singular_values, {"A": A}, "==", prec=200)
    assert cert.status == "certified"
    assert 0.0 < cert.radius < 1e-40  # a non-trivial enclosure (eigenvalues), and a tight one
    assert cert.bound is not None and cert.bound <= cert.tolerance
    assert "certified at 200 bits" in cert.summary()


def test_identity_with_inexact_constants_is_certified():
    # (1/3)(A+B) . 3 = A + B: 1/3 is not dyadic, so every ball on the way has a radius.
    rng = np.random.default_rng(2)
    A, B = rng.standard_normal((3, 3)), rng.standard_normal((3, 3))

    def check(ar, inp):
        third = flint.arb(1) / 3
        S = ar.scale(3, ar.scale(third, ar.add(inp["A"], inp["B"])))
        return ar.frob_sq(S), ar.frob_sq(ar.add(inp["A"], inp["B"]))

    cert = certify(check, {"A": A, "B": B}, "==", prec=200)
    assert cert.status == "certified" and 0.0 < cert.radius < 1e-40


def test_false_identity_is_refuted_not_merely_uncertified():
    A = np.random.default_rng(3).standard_normal((3, 3))

    def check(ar, inp):
        return ar.frob_sq(inp["A"]), ar.frob_sq(inp["A"]) + flint.arb(2) ** -100

    cert = certify(check, {"A": A}, "==", prec=200)
    assert cert.status == "refuted"


def test_inequality_with_no_margin_is_not_certified():
    # Cauchy-Schwarz with B = A holds with equality: the balls overlap at every precision.
    A = np.random.default_rng(4).standard_normal((3, 4))
    for prec in (53, 200, 1000):
        cert = certify(_cauchy_schwarz, {"A": A, "B": A}, "<=", prec=prec)
        assert cert.status == "not_certified", cert.summary()
        assert f"not certified at prec {prec}" in cert.summary()
        assert cert.suggested_prec is None


def test_inequality_with_margin_is_certified():
    rng = np.random.default_rng(5)
    cert = certify(_cauchy_schwarz, {"A": rng.standard_normal((3, 4)), "B": rng.standard_normal((3, 4))},
                   "<=", prec=200)
    assert cert.status == "certified"
    assert cert.margin - cert.radius > 0


def test_violated_inequality_is_refuted():
    rng = np.random.default_rng(6)

    def reversed_cs(ar, inp):
        lhs, rhs = _cauchy_schwarz(ar, inp)
        return rhs, lhs

    cert = certify(reversed_cs, {"A": rng.standard_normal((2, 2)), "B": rng.standard_normal((2, 2))}, "<=")
    assert cert.status == "refuted"


def test_suggested_precision_decides_an_overlapping_inequality():
    # (1/3)*3 - 1 <= h: the left side is 0 with a radius ~2^-53 at 53 bits; h = 2^-80.
    def check(ar, inp):
        return (flint.arb(1) / 3) * 3 - 1, inp["h"]

    inputs = {"h": Fraction(1, 2**80)}
    low = certify(check, inputs, "<=", prec=53)
    assert low.status == "not_certified"
    assert low.suggested_prec is not None and low.suggested_prec > 53
    high = certify(check, inputs, "<=", prec=low.suggested_prec)
    assert high.status == "certified"
    auto = certify(check, inputs, "<=", prec=53, max_prec=400)
    assert auto.status == "certified" and auto.prec == low.suggested_prec


def test_escalation_reaches_a_margin_hidden_below_the_midpoint_noise():
    # At 53 bits 1 + 2^-80 rounds, so the midpoint says nothing about the margin;
    # escalation still finds the precision that separates the balls.
    def check(ar, inp):
        return (flint.arb(1) / 3) * 3, flint.arb(1) + inp["h"]

    inputs = {"h": Fraction(1, 2**80)}
    assert certify(check, inputs, "<=", prec=53).status == "not_certified"
    auto = certify(check, inputs, "<=", prec=53, max_prec=400)
    assert auto.status == "certified" and 80 < auto.prec <= 400


def test_strict_inequality_with_exact_tie_is_refuted():
    cert = decide(flint.arb(1), flint.arb(1), "<", 64)
    assert cert.status == "refuted"
    assert decide(flint.arb(1), flint.arb(1), "<=", 64).status == "not_certified"


def test_singular_value_enclosures_contain_high_precision_values():
    rng = np.random.default_rng(7)
    for shape in ((3, 5), (5, 3), (4, 4)):
        A = rng.standard_normal(shape)
        balls = singular_values_enclosure(exact(A, 128), 128)
        mp = mpmath.MPContext()
        mp.dps = 60
        reference = sorted(mp.svd_r(mp.matrix(A.tolist()), compute_uv=False), reverse=True)
        assert len(balls) == min(shape)
        for ball, value in zip(balls, reference):
            assert ball.contains(flint.arb(mpmath.nstr(value, 55))) or ball.overlaps(
                flint.arb(mpmath.nstr(value, 55)))
            assert float(ball.rad()) < 1e-30


def test_singular_values_with_clusters_and_zeros():
    eye = singular_values_enclosure(exact(np.eye(3), 100), 100)
    assert all(b.contains(1) for b in eye)
    rank1 = np.outer([1.0, 2.0, 3.0], [1.0, -1.0])
    smin = sigma_min_enclosure(exact(rank1, 100), 100)
    assert smin.contains(0) and float(smin.upper()) < 1e-10


def test_power_enclosure_is_rigorous_at_zero():
    assert power_enclosure(flint.arb(0), Fraction(2, 3), 80).contains(0)
    with flint.ctx.workprec(80):
        ball = power_enclosure(flint.arb(8), Fraction(2, 3), 80)
        assert ball.contains(4)


def test_exact_conversion_and_input_validation():
    assert exact(0.1, 200).is_exact()  # the float64 nearest 0.1, exactly
    assert exact(np.array([[0.5, -3.0]]), 64).entries()[0].is_exact()
    with pytest.raises(ValueError, match="dyadic"):
        exact(Fraction(1, 3), 64)
    with pytest.raises(ValueError, match="float, int"):
        exact("0.1", 64)
    with pytest.raises(ValueError, match="finite"):
        exact(float("nan"), 64)
    with pytest.raises(ValueError, match="relation"):
        certify(_cauchy_schwarz, {}, ">=")
    with pytest.raises(ValueError, match="prec"):
        certify(_cauchy_schwarz, {}, "<=", prec=10)
    with pytest.raises(ValueError, match="inputs\\['A'\\]"):
        certify(_cauchy_schwarz, {"A": "0.1"}, "<=")
    with pytest.raises(ValueError, match="check"):
        certify(None, {}, "<=")  # type: ignore[arg-type]


def test_certificate_json_is_plain():
    import json

    cert = certify(_cauchy_schwarz, {"A": np.eye(2), "B": np.ones((2, 2))}, "<=", prec=80)
    data = cert.to_json()
    assert json.loads(json.dumps(data)) == data
    assert data["status"] == "certified"
