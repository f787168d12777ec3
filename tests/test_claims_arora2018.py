"""proofs_check.claims.arora2018: every claim runs on a small grid and is judged; the checks refute
violating evidence (so a broken computation cannot pass silently)."""

import importlib
import math
import pkgutil

import pytest
import sympy as sp

from lintheory.arora import theorem2_constants
from lintheory.symbolic import arora2018 as S
from proofs_check import checks as framework
from proofs_check.claim import RunRecord
from proofs_check.claims import arora2018 as package
from proofs_check.judging import jsonable

MODULES = {info.name: importlib.import_module(f"{package.__name__}.{info.name}")
           for info in pkgutil.iter_modules(package.__path__) if not info.name.startswith("_")}
CLAIMS = tuple(m.CLAIM for m in MODULES.values())

IDS = {
    "arora2018.whitening_reduction", "arora2018.gradient_formula", "arora2018.claim1_margin_sigma_min",
    "arora2018.procedure1_balanced_init", "arora2018.balance_drift_gd", "arora2018.end_to_end_preconditioner",
    "arora2018.lemma1_descent", "arora2018.theorem1_iterations", "arora2018.residual_corollary",
    "arora2018.claim4_unbalanced_divergence", "arora2018.claim5_negative_eigenvalue",
    "arora2018.claim2_gaussian_balance_probability", "arora2018.theorem2_scalar_regression",
    "arora2018.depth_sensitivity",
}


def claim(name):
    return MODULES[name].CLAIM


def verdict(c, runs, constants=None):
    return framework.judge(c, runs, constants)[0]


def records(c, params_list, seed=7):
    return [RunRecord(c.id, dict(p), seed + i, "ok", jsonable(c.run(p, seed + i))) for i, p in enumerate(params_list)]


def tampered(record, **changes):
    value = dict(record.value)
    value.update(changes)
    return RunRecord(record.claim_id, record.params, record.seed, "ok", value)


def test_all_issue_claims_are_registered_with_sources_and_every_profile_has_runs():
    assert {c.id for c in CLAIMS} == IDS
    assert package.PAPER.key == "arora2018" and package.PAPER.arxiv == "1810.02281"
    for c in CLAIMS:
        assert c.source and c.statement_latex and (c.mutants or c.no_mutants)
        assert "brief" not in c.source and "experiment" not in c.source.lower()
        for profile in ("quick", "standard"):
            assert c.runs_for(profile), (c.id, profile)
    assert "reconstructed" in claim("theorem1_iterations").source


def test_failed_run_makes_a_claim_inconclusive():
    c = claim("gradient_formula")
    failed = RunRecord(c.id, {"widths": [2, 2], "factor": 1.0}, 0, "error", {}, "boom")
    assert verdict(c, [failed]).verdict == "inconclusive"


def test_whitening_reduction():
    c = claim("whitening_reduction")
    runs = records(c, c.runs_for("quick"))
    v = verdict(c, runs)
    assert v.verdict == "confirmed", v.summary
    assert all(r.value["symbolic_residual_zero"] for r in runs)
    assert max(r.value["float64"]["residual_at"]["0.5"] for r in runs) < 1e-13
    mp = runs[0].value["mpmath:dps=50"]
    broken = tampered(runs[0], **{"mpmath:dps=50": {**mp, "residual_at": {**mp["residual_at"], "0.5": 1e-20}}})
    assert verdict(c, [broken] + runs[1:]).verdict == "not_reproduced"  # a reconstructed constant
    assert verdict(c, runs, {"lambda_coefficient": 1.0}).verdict == "not_reproduced"


def test_gradient_formula():
    c = claim("gradient_formula")
    runs = records(c, c.runs_for("quick")[:1])
    assert verdict(c, runs).verdict == "confirmed"
    assert runs[0].value["fd_rel_error"] < 1e-28
    assert verdict(c, [tampered(runs[0], fd_rel_error=1e-12)]).verdict == "refuted"  # eq. (14) is sourced


def test_claim1_margin_sigma_min():
    c = claim("claim1_margin_sigma_min")
    runs = records(c, [{"d_N": 2, "d_0": 3, "c_over_sigma_min": 0.3, "samples": 300}])
    v = verdict(c, runs)
    assert v.verdict == "confirmed"
    assert v.evidence["checks"]["sigma_min on the ball"]["tight_point_over_c"][0] == pytest.approx(1.0, rel=1e-12)
    assert verdict(c, [tampered(runs[0], min_sigma=0.9 * runs[0].value["c"])]).verdict == "refuted"
    assert verdict(c, runs, {"c_factor": 1.01}).verdict == "refuted"  # the tight point binds


def test_procedure1_balanced_init():
    c = claim("procedure1_balanced_init")
    params = [{"widths": [4, 3, 3, 1], "orthogonal_insertion": True, "arith": "float64", "root_shift": 0},
              {"widths": [2, 3, 4], "orthogonal_insertion": False, "arith": "mpmath:dps=40", "root_shift": 0}]
    runs = records(c, params)
    assert verdict(c, runs).verdict == "confirmed"
    assert runs[1].value["imbalance_rel"] < 1e-35
    assert verdict(c, [tampered(runs[0], max_error=1e-6), runs[1]]).verdict == "refuted"


def test_balance_drift_gd():
    c = claim("balance_drift_gd")
    runs = records(c, [{"widths": [2, 3, 3, 1], "steps": 3}])
    v = verdict(c, runs)
    assert v.verdict == "confirmed"
    assert v.evidence["fit"]["exponent"] == pytest.approx(2.0, abs=1e-6)
    linear = tampered(runs[0], drift=[x / eta for x, eta in zip(runs[0].value["drift"], runs[0].value["eta"])])
    assert verdict(c, [linear]).verdict == "not_reproduced"


def test_end_to_end_preconditioner():
    c = claim("end_to_end_preconditioner")
    runs = records(c, [{"d_N": 2, "d_0": 3, "N": 3}])
    v = verdict(c, runs)
    assert v.verdict == "confirmed"
    assert v.evidence["fit"]["exponent"] == pytest.approx(2.0, abs=0.02)
    # from an unbalanced point the first-order term is not P_W: the error is O(eta)
    assert v.evidence["checks"]["one-step error"]["unbalanced_contrast_fit"]["exponent"] < 1.5
    value = runs[0].value
    broken = tampered(runs[0], **{"mpmath:dps=50": {**value["mpmath:dps=50"],
                                                    "lambda_min": 0.5 * value["mpmath:dps=50"]["bound"]}})
    assert verdict(c, [broken]).verdict == "refuted"  # the lambda_min bound is sourced
    assert verdict(c, runs, {"lambda_factor": 2.0}).verdict == "refuted"  # attained for d_N != d_0


def test_lemma1_descent_along_the_whole_run():
    c = claim("lemma1_descent")
    runs = records(c, [{"instance": "tangent", "N": 2, "d": 2, "theta": 0.05, "eps_rel": 0.1, "samples": 6,
                        "certified": 2}])
    v = verdict(c, runs)
    assert v.verdict == "confirmed", v.summary
    value = runs[0].value
    assert value["steps"][-1]["t"] > 0.9 * value["iterations"]  # sampled to the end of the run
    assert all(cert["status"] == "certified" for cert in value["certificates"])
    assert 0 < value["steps"][0]["decrease"] / value["steps"][0]["loss"] < 1e-4  # why float64 is not enough
    # the flow's rate is attained in the tangent direction: the 1/2 of eq. (9) is needed
    assert verdict(c, runs, {"decrease_factor": 1.0, "exponent_scale": 1.0}).verdict == "not_reproduced"
    halved = tampered(runs[0], steps=[{**s, "decrease": 0.3 * s["decrease"]} for s in value["steps"]])
    assert verdict(c, [halved]).verdict == "not_reproduced"


def test_theorem1_iterations_reports_slack_and_over_budget_cells():
    c = claim("theorem1_iterations")
    k = {"C": 6144, "depth_power": 3}
    params = [{"instance": "scalar", "N": 2, "e0": 0.9, "eps_rel": 0.3, "budget": 400_000, **k},
              {"instance": "scalar", "N": 5, "e0": 0.9, "eps_rel": 1e-3, "budget": 400_000, **k},
              {"instance": "tangent", "N": 2, "d": 2, "theta": 0.3, "scale": 0.1, "eps_rel": 0.3, "budget": 400_000, **k}]
    runs = records(c, params)
    v = verdict(c, runs)
    assert v.verdict == "confirmed", v.summary
    ran, over = runs[0].value, runs[1].value
    assert ran["status"] == "converged" and ran["iterations"] <= math.ceil(ran["T_statement"])
    assert ran["max_imbalance"] <= 2 * ran["delta"] and ran["max_spectral_norm"] <= ran["spectral_bound"]
    assert ran["eta_ratio"] > 100  # the theorem's step is very conservative
    assert over["status"] == "over budget" and over["T_statement"] > 400_000
    assert v.evidence["checks"]["iterations"]["over_budget"][0]["params"]["N"] == 5
    late = tampered(runs[0], iterations=math.ceil(ran["T_statement"]) + 5)
    assert verdict(c, [late]).verdict == "not_reproduced"
    # at scale 0.1 the margin is below 1 in absolute terms: the rate c^{2(N-1)/N} binds
    assert verdict(c, runs, {"rate_power": 0}).verdict == "not_reproduced"


def test_residual_corollary():
    c = claim("residual_corollary")
    params = [{"d": 2, "N": 2, "E_norm": e, "direction": d, "budget": 100_000, "prefix": 2000}
              for e, d in ((0.1, "random"), (0.45, "tight"), (0.8, "random"), (0.55, "tight"))]
    runs = records(c, params)
    v = verdict(c, runs)
    assert v.verdict == "confirmed", v.summary
    assert runs[1].value["margin"] == pytest.approx(1 - 2 * 0.45, abs=1e-15)  # the tight target attains the bound
    assert v.evidence["checks"]["rate at eta_max"]["outside_hypothesis"][0]["params"]["E_norm"] == 0.8
    assert verdict(c, [tampered(runs[0], margin=-0.1)]).verdict == "refuted"  # the radius 1/2 is sourced
    assert verdict(c, runs, {"factor": 1.8, "radius": 0.5}).verdict == "not_reproduced"
    assert verdict(c, runs, {"factor": 2.0, "radius": 0.6}).verdict == "refuted"


def test_claim4_unbalanced_divergence():
    c = claim("claim4_unbalanced_divergence")
    runs = records(c, [{"N": 2, "eta": 0.1, "c": 0.8, "steps": 6}, {"N": 4, "eta": 1.0, "c": 0.8, "steps": 6}])
    v = verdict(c, runs)
    assert v.verdict == "confirmed", v.summary
    assert all(r.value["growth_decades"] > 1000 and r.value["alternating_sign"] for r in runs)
    assert runs[0].value["balanced_control"]["status"] == "converged"
    calm = tampered(runs[0], growth_decades=2.0)
    assert verdict(c, [calm, runs[1]]).verdict == "not_reproduced"  # the substitute failed, not the paper
    stuck = tampered(runs[0], balanced_control={"status": "max_iter", "iterations": 300_000})
    assert verdict(c, [stuck, runs[1]]).verdict == "inconclusive"  # a failed control decides nothing


def test_claim5_negative_eigenvalue():
    c = claim("claim5_negative_eigenvalue")
    runs = records(c, [{"N": 2, "target": "diag(-1,1)", "etas": [0.1, 0.5]},
                       {"N": 3, "target": "diag(-1,1)", "etas": [0.5]}])
    v = verdict(c, runs)
    assert v.verdict == "confirmed", v.summary
    even = runs[0].value
    assert all(x["min_loss"] >= even["floor"] * (1 - 1e-12) and x["min_eig"] >= -1e-12 for x in even["runs"])
    assert len(v.evidence["checks"]["negative-part floor"]["odd_N_contrast"]) == 1
    dipped = tampered(runs[0], runs=[{**even["runs"][0], "min_loss": 0.4 * even["floor"]}])
    assert verdict(c, [dipped]).verdict == "refuted"  # below lambda^2/2, which is sourced


def test_claim2_gaussian_balance_probability():
    c = claim("claim2_gaussian_balance_probability")
    runs = records(c, [{"widths": [1, 1, 1], "s": 0.1, "samples": 3000}, {"widths": [6, 4, 3, 5], "s": 0.1, "samples": 3000}])
    v = verdict(c, runs)
    assert v.verdict == "confirmed", v.summary
    assert min(cell["frequency"] for cell in runs[0].value["cells"]) < 0.95  # scalar layers: visibly below 1
    m = runs[1].value["moment"]
    exact = sp.N(S.lemma10_second_moment_expr().subs({S.da: m["a"], S.dd: m["d"], S.db: m["b"], S.s: 0.1}))
    assert MODULES["claim2_gaussian_balance_probability"]._moment(m, 0.1, 1) == pytest.approx(float(exact), rel=1e-12)
    assert verdict(c, runs, {"C": 0.5, "moment_cross": 1}).verdict == "not_reproduced"
    broken = tampered(runs[1], moment={**m, "mean": m["mean"] * 1.5})
    assert verdict(c, [runs[0], broken]).verdict == "not_reproduced"


def test_theorem2_scalar_regression():
    c = claim("theorem2_scalar_regression")
    runs = records(c, [{"N": 2, "d0": 100, "a": 100.0, "hidden": 8, "samples": 2000, "train_seeds": 4,
                        "max_iter": 20_000, "margin_scale": 1}])
    v = verdict(c, runs)
    assert v.verdict == "confirmed", v.summary
    value = runs[0].value
    assert value["frac_margin_c1"] >= value["probability_times_2"] / 2 - 0.05
    assert 0.3 < value["frac_margin_positive"] < 0.7  # about 1/2 for small s
    assert value["T_theorem"] > 1e15  # out of reach at the theorem's step
    k = theorem2_constants(value["s"], 100, 2, 1.0)
    assert (value["phase1_time"] + value["phase2_time"]) / value["eta"] == pytest.approx(k.iterations(1e-8, value["eta"]))
    assert verdict(c, [tampered(runs[0], frac_margin_c1=0.1, frac_margin_positive=0.1)]).verdict == "not_reproduced"
    slow = tampered(runs[0], trained=[{**x, "iterations": 10**9} for x in value["trained"]])
    if any(x["margin0"] >= value["c1"] for x in value["trained"]):
        assert verdict(c, [slow]).verdict == "not_reproduced"


def test_depth_sensitivity_run_and_verdict_rule():
    c = claim("depth_sensitivity")
    good = c.run({"N": 3, "init": "balanced", "std": 0.05, "etas": [0.5], "cap": 300}, 1)
    bad = c.run({"N": 3, "init": "layerwise gaussian", "std": 1.0, "etas": [0.5], "cap": 300}, 1)
    assert good["best"] is not None and good["best"]["iterations"] < 300
    assert bad["best"] is None  # exploding product at std 1: diverges

    def fake(N, init, converged):
        best = {"eta": 0.1, "iterations": 10} if converged else None
        return RunRecord(c.id, {"N": N, "init": init, "std": 0.1, "etas": [0.1], "cap": 10}, 0, "ok",
                         {"best": best, "tried": [], "loss0": 1.0})

    paper_like = [fake(3, "layerwise gaussian", True), fake(8, "layerwise gaussian", False),
                  fake(3, "balanced", True), fake(8, "balanced", True)]
    assert verdict(c, paper_like).verdict == "confirmed"
    opposite = [fake(3, "layerwise gaussian", True), fake(8, "layerwise gaussian", True),
                fake(3, "balanced", False), fake(8, "balanced", False)]
    assert verdict(c, opposite).verdict == "not_reproduced"  # a reconstruction on synthetic data
