"""proofs_check.claims.arora2018: every claim runs on a small grid and is judged; judges refute
violating evidence (so a broken computation cannot pass silently)."""

import math

import pytest

from proofs_check.claim import RunRecord
from proofs_check.claims import arora2018 as A
from proofs_check.judging import jsonable

IDS = {
    "arora2018.whitening_reduction", "arora2018.gradient_formula", "arora2018.claim1_margin_sigma_min",
    "arora2018.procedure1_balanced_init", "arora2018.balance_drift_gd", "arora2018.end_to_end_preconditioner",
    "arora2018.lemma1_descent", "arora2018.theorem1_iterations", "arora2018.residual_corollary",
    "arora2018.claim4_unbalanced_divergence", "arora2018.claim5_negative_eigenvalue",
    "arora2018.claim2_gaussian_balance_probability", "arora2018.theorem2_scalar_regression",
    "arora2018.depth_sensitivity",
}


def claim(name):
    return next(c for c in A.CLAIMS if c.id == f"arora2018.{name}")


def records(c, params_list, seed=7):
    return [RunRecord(c.id, dict(p), seed + i, "ok", jsonable(c.run(p, seed + i))) for i, p in enumerate(params_list)]


def tampered(record, **changes):
    value = dict(record.value)
    value.update(changes)
    return RunRecord(record.claim_id, record.params, record.seed, "ok", value)


def test_all_issue_claims_are_registered_with_sources_and_every_profile_has_runs():
    assert {c.id for c in A.CLAIMS} == IDS
    for c in A.CLAIMS:
        assert c.source and c.statement_latex
        for profile in ("quick", "standard"):
            assert c.runs_for(profile), (c.id, profile)
    assert "reconstructed" in claim("theorem1_iterations").source


def test_failed_run_makes_a_claim_inconclusive():
    c = claim("gradient_formula")
    failed = RunRecord(c.id, {"widths": [2, 2]}, 0, "error", {}, "boom")
    assert c.judge([failed]).verdict == "inconclusive"


def test_whitening_reduction():
    c = claim("whitening_reduction")
    runs = records(c, c.runs_for("quick"))
    v = c.judge(runs)
    assert v.verdict == "confirmed", v.summary
    assert all(r.value["symbolic_residual_zero"] for r in runs)
    assert max(r.value["float64"]["rel_error"] for r in runs) < 1e-13
    broken = tampered(runs[0], **{"mpmath:dps=50": {**runs[0].value["mpmath:dps=50"], "rel_error": 1e-20}})
    assert c.judge([broken] + runs[1:]).verdict == "refuted"


def test_gradient_formula():
    c = claim("gradient_formula")
    runs = records(c, [{"widths": [2, 3, 3, 1]}])
    assert c.judge(runs).verdict == "confirmed"
    assert runs[0].value["fd_rel_error"] < 1e-28
    assert c.judge([tampered(runs[0], fd_rel_error=1e-12)]).verdict == "refuted"


def test_claim1_margin_sigma_min():
    c = claim("claim1_margin_sigma_min")
    runs = records(c, [{"d_N": 2, "d_0": 3, "c_over_sigma_min": 0.3, "samples": 300}])
    v = c.judge(runs)
    assert v.verdict == "confirmed"
    assert v.evidence["table"][0]["tight_point_sigma_over_c"] == pytest.approx(1.0, rel=1e-12)
    assert c.judge([tampered(runs[0], min_sigma=0.9 * runs[0].value["c"])]).verdict == "refuted"


def test_procedure1_balanced_init():
    c = claim("procedure1_balanced_init")
    params = [{"widths": [4, 3, 3, 1], "orthogonal_insertion": True, "arith": "float64"},
              {"widths": [2, 3, 4], "orthogonal_insertion": False, "arith": "mpmath:dps=40"}]
    runs = records(c, params)
    assert c.judge(runs).verdict == "confirmed"
    assert runs[1].value["imbalance_rel"] < 1e-35
    assert c.judge([tampered(runs[0], imbalance_rel=1e-6), runs[1]]).verdict == "refuted"


def test_balance_drift_gd():
    c = claim("balance_drift_gd")
    runs = records(c, [{"widths": [2, 3, 3, 1], "steps": 3}])
    v = c.judge(runs)
    assert v.verdict == "confirmed"
    assert v.evidence["fit"]["exponent"] == pytest.approx(2.0, abs=1e-6)
    linear = tampered(runs[0], drift=[x / A._DRIFT_ETAS[i] for i, x in enumerate(runs[0].value["drift"])])
    assert c.judge([linear]).verdict == "refuted"


def test_end_to_end_preconditioner():
    c = claim("end_to_end_preconditioner")
    runs = records(c, [{"d_N": 2, "d_0": 3, "N": 3}])
    v = c.judge(runs)
    assert v.verdict == "confirmed"
    assert v.evidence["fit"]["exponent"] == pytest.approx(2.0, abs=0.02)
    # from an unbalanced point the first-order term is not P_W: the error is O(eta)
    assert v.evidence["one-step error"]["unbalanced_contrast_fit"]["exponent"] < 1.5
    value = runs[0].value
    broken = tampered(runs[0], **{"mpmath:dps=50": {**value["mpmath:dps=50"],
                                                    "lambda_min": 0.5 * value["mpmath:dps=50"]["bound"]}})
    assert c.judge([broken]).verdict == "refuted"


def test_lemma1_descent():
    c = claim("lemma1_descent")
    runs = records(c, [{"instance": "near_identity", "N": 2, "d": 2, "init": "identity", "steps": 25,
                        "certified_steps": 2}])
    v = c.judge(runs)
    assert v.verdict == "confirmed", v.summary
    assert runs[0].value["min_ratio"] > 1
    assert all(cert["status"] == "certified" for cert in runs[0].value["certificates"])
    assert 0 < runs[0].value["relative_decrease_step0"] < 1e-4  # why float64 is not enough
    assert c.judge([tampered(runs[0], min_ratio=0.99)]).verdict == "refuted"


def test_theorem1_iterations_reports_slack_and_over_budget_cells():
    c = claim("theorem1_iterations")
    params = [{"instance": "scalar", "N": 2, "e0": 0.9, "eps_rel": 0.3, "budget": 400_000},
              {"instance": "scalar", "N": 5, "e0": 0.9, "eps_rel": 1e-3, "budget": 400_000}]
    runs = records(c, params)
    v = c.judge(runs)
    assert v.verdict == "confirmed", v.summary
    ran, over = runs[0].value, runs[1].value
    assert ran["status"] == "converged" and ran["iterations"] <= math.ceil(ran["T_predicted"])
    assert ran["max_imbalance"] <= ran["two_delta"] and ran["max_spectral_norm"] <= ran["spectral_bound"]
    assert ran["eta_ratio"] > 100  # the theorem's step is very conservative
    assert over["status"] == "over budget" and over["T_predicted"] > 400_000
    assert any(row["status"] == "over budget" for row in v.evidence["table"])
    late = tampered(runs[0], iterations=math.ceil(ran["T_predicted"]) + 5)
    assert c.judge([late]).verdict == "refuted"


def test_residual_corollary():
    c = claim("residual_corollary")
    params = [{"d": 2, "N": 2, "E_norm": e, "budget": 100_000, "prefix": 2000} for e in (0.1, 0.45, 0.8)]
    runs = records(c, params)
    v = c.judge(runs)
    assert v.verdict == "confirmed", v.summary
    assert runs[1].value["margin"] >= runs[1].value["margin_lower_bound"] > 0
    assert v.evidence["outside_hypothesis"][0]["params"]["E_norm"] == 0.8
    assert c.judge([tampered(runs[0], margin=0.5 * runs[0].value["margin_lower_bound"])]).verdict == "refuted"


def test_claim4_unbalanced_divergence():
    c = claim("claim4_unbalanced_divergence")
    runs = records(c, [{"N": 2, "eta": 0.1, "c": 0.8, "steps": 6}, {"N": 4, "eta": 1.0, "c": 0.8, "steps": 6}])
    v = c.judge(runs)
    assert v.verdict == "confirmed", v.summary
    assert all(r.value["growth_decades"] > 1000 and r.value["alternating_sign"] for r in runs)
    assert runs[0].value["balanced_control"]["status"] == "converged"
    calm = tampered(runs[0], growth_decades=2.0)
    assert c.judge([calm, runs[1]]).verdict == "inconclusive"  # a failed substitute does not refute the claim


def test_claim5_negative_eigenvalue():
    c = claim("claim5_negative_eigenvalue")
    runs = records(c, [{"N": 2, "target": "diag(-1,1)", "etas": [0.1, 0.5]},
                       {"N": 3, "target": "diag(-1,1)", "etas": [0.5]}])
    v = c.judge(runs)
    assert v.verdict == "confirmed", v.summary
    even = runs[0].value
    assert all(x["min_loss"] >= even["floor"] * (1 - 1e-12) and x["min_eig"] >= -1e-12 for x in even["runs"])
    assert len(v.evidence["odd_N_contrast"]) == 1
    dipped = tampered(runs[0], runs=[{**even["runs"][0], "min_loss": 0.4 * even["floor"]}])
    assert c.judge([dipped]).verdict == "refuted"


def test_claim2_gaussian_balance_probability():
    c = claim("claim2_gaussian_balance_probability")
    runs = records(c, [{"widths": [6, 4, 3, 5], "s": 0.1, "samples": 3000}])
    v = c.judge(runs)
    assert v.verdict == "confirmed", v.summary
    assert all(cell["frequency"] >= cell["bound"] for cell in runs[0].value["cells"])
    moment = runs[0].value["moment"]
    broken = tampered(runs[0], moment={**moment, "exact": moment["exact"] * 1.5})
    assert c.judge([broken]).verdict == "refuted"


def test_theorem2_scalar_regression():
    c = claim("theorem2_scalar_regression")
    runs = records(c, [{"N": 2, "d0": 100, "a": 100.0, "hidden": 8, "samples": 2000, "train_seeds": 2,
                        "max_iter": 3000}])
    v = c.judge(runs)
    assert v.verdict == "confirmed", v.summary
    value = runs[0].value
    assert value["frac_margin_c1"] >= value["probability"] - 0.05
    assert 0.3 < value["frac_margin_positive"] < 0.7  # about 1/2 for small s
    assert value["T_theorem"] > 1e15  # over budget at the theorem's step
    assert c.judge([tampered(runs[0], frac_margin_c1=0.1, frac_margin_positive=0.1)]).verdict == "refuted"


def test_depth_sensitivity_run_and_verdict_rule():
    c = claim("depth_sensitivity")
    good = A.depth_run({"N": 3, "init": "balanced", "std": 0.05, "etas": [0.5], "cap": 300}, 1)
    bad = A.depth_run({"N": 3, "init": "layerwise gaussian", "std": 1.0, "etas": [0.5], "cap": 300}, 1)
    assert good["best"] is not None and good["best"]["iterations"] < 300
    assert bad["best"] is None  # exploding product at std 1: diverges

    def fake(N, init, converged):
        best = {"eta": 0.1, "iterations": 10} if converged else None
        return RunRecord(c.id, {"N": N, "init": init, "std": 0.1, "etas": [0.1], "cap": 10}, 0, "ok",
                         {"best": best, "tried": [], "loss0": 1.0})

    paper_like = [fake(3, "layerwise gaussian", True), fake(8, "layerwise gaussian", False),
                  fake(3, "balanced", True), fake(8, "balanced", True)]
    assert c.judge(paper_like).verdict == "confirmed"
    opposite = [fake(3, "layerwise gaussian", True), fake(8, "layerwise gaussian", True),
                fake(3, "balanced", False), fake(8, "balanced", False)]
    assert c.judge(opposite).verdict == "refuted"
