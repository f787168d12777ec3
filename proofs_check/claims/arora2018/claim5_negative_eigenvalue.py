r"""Claim 5 of Arora, Cohen, Golowich, Hu (ICLR 2019, Appendix C, proof in D.7): without a deficiency
margin, balance does not suffice.

For even :math:`N`, equal widths :math:`d`, a symmetric target :math:`\Phi` with an eigenvalue
:math:`-\lambda < 0` and identity initialization :math:`W_j(0) = I` (0-balanced, not stationary),
gradient descent with any step keeps

.. math::

    \ell(t) \ge \tfrac12\lambda^2 \quad\text{and, more precisely,}\quad
    \ell(t) \ge \tfrac12 \sum_{\lambda_i(\Phi) < 0} \lambda_i(\Phi)^2 \quad \text{for every } t .

Sourced: the statement and the bound :math:`\lambda^2/2` (the mechanism is the paper's Lemma 18,
from Bartlett, Helmbold, Long 2018: with :math:`\Phi = UDU^\top` every iterate is :math:`W_j(t) =
U\tilde D(t)U^\top`, so :math:`W_{1:N}(t) = U\tilde D(t)^N U^\top \succeq 0` for even :math:`N`).
Reconstructed: the sum over all negative eigenvalues, derived here: the distance from :math:`\Phi` to
the positive semidefinite cone in Frobenius norm is the norm of its negative part, so
:math:`\tfrac12\|W_{1:N} - \Phi\|_F^2 \ge \tfrac12\sum_{\lambda_i < 0}\lambda_i^2`. The floor is attained
in the limit (the positive part is fitted exactly), so a floor 10% higher (the mutant) fails. Odd
:math:`N` is a contrast (reported, not judged): :math:`\tilde D^N` can be negative there.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from hypothesis import strategies as st

from lintheory.arith import MPMath
from lintheory.kernels import gd_float64
from lintheory.necessity import negative_part_floor, symmetric_target
from lintheory.nets import Problem, deep_linear
from lintheory.train import Stop, gd
from proofs_check.checks import Bound, Check
from proofs_check.claim import Claim, Figure, Mutant, RunRecord
from proofs_check.claims.arora2018._common import pick
from proofs_check.search.space import SearchSpace

_TARGETS = {"diag(-1,1)": ([-1.0, 1.0], False), "rotated(-0.5,1,2)": ([-0.5, 1.0, 2.0], True)}
_MP_STEPS = 3000
_DEVIATION = 1e-8


def grid(profile: str) -> list[dict[str, Any]]:
    depths = pick(profile, [2, 4, 3], [2, 4, 6, 3, 5])
    etas = pick(profile, [0.01, 0.1, 0.5, 1.0], [0.01, 0.05, 0.1, 0.3, 0.5, 1.0, 2.0])
    return [{"N": N, "target": name, "etas": etas} for N in depths for name in _TARGETS]


def run(params: Mapping[str, Any], seed: int) -> dict[str, Any]:
    """GD from the identity for each eta; the loss and the PSD-ness of W_{1:N} at every step."""
    N = params["N"]
    eigenvalues, rotate = _TARGETS[params["target"]]
    Phi = symmetric_target(eigenvalues, seed if rotate else None)
    out = []
    for eta in params["etas"]:
        def psd(t: int, net: Any, v: Any, g: Any) -> list[float]:
            E = net.end_to_end()
            return [float(np.linalg.eigvalsh((E + E.T) / 2)[0]), float(np.linalg.norm(E - E.T))]

        traj, _ = gd(deep_linear([np.eye(Phi.shape[0])] * N), Problem.whitened(Phi), eta,
                     Stop(max_iter=max(300, math.ceil(20 / eta))), observers={"loss": lambda t, n, v, g: v, "psd": psd})
        losses = [v for _, v in traj.observations["loss"]]
        idx = np.unique(np.geomspace(1, len(losses), 40).astype(int) - 1)
        out.append({"eta": eta, "steps": traj.iterations, "status": traj.status, "min_loss": min(losses),
                    "min_eig": min(p[0] for _, p in traj.observations["psd"]),
                    "max_asymmetry": max(p[1] for _, p in traj.observations["psd"]),
                    "curve_t": idx.tolist(), "curve": [losses[i] for i in idx]})
    return {"floor": negative_part_floor(Phi), "largest_negative_sq_half": 0.5 * min(eigenvalues) ** 2, "runs": out}


def checks(runs: Sequence[RunRecord], k: Mapping[str, Any]) -> list[Check]:
    h = k["half"]
    rows: list[dict[str, Any]] = []
    contrast: list[dict[str, Any]] = []
    for r in runs:
        for x in r.value["runs"]:
            row = {"params": {"N": r.params["N"], "target": r.params["target"], "eta": x["eta"]},
                   "observed": x["min_loss"], "status": x["status"], "min_eig_E": x["min_eig"],
                   "asymmetry_E": x["max_asymmetry"], "floor": r.value["floor"], "lambda_sq_half": r.value["largest_negative_sq_half"]}
            (rows if r.params["N"] % 2 == 0 else contrast).append(row)

    def bound(key: str) -> list[dict[str, Any]]:
        return [{**row, "predicted": 2 * h * row[key], "slack": row["observed"] / (2 * h * row[key])} for row in rows]

    series = {"curves": [{"label": f"N={r.params['N']} {r.params['target']} eta={x['eta']:g}", "t": x["curve_t"],
                          "loss_over_floor": [v / r.value["floor"] for v in x["curve"]]}
                         for r in runs for x in r.value["runs"] if x["eta"] == 0.1]}
    return [
        Bound(label="negative-part floor", rows=bound("floor"), sense="lower", rtol=1e-12,
              predicted=f"even N, identity init: l(t) >= {h:g} sum_(lambda_i(Phi) < 0) lambda_i^2 for every t and eta",
              observed="min over every step of l(t) (float64)", reason="float64 round-off of the loss",
              evidence={"odd_N_contrast": contrast, "series": series}),
        Bound(label="lambda^2/2", rows=bound("lambda_sq_half"), sense="lower", rtol=1e-12, level="sourced",
              predicted=f"l(t) >= {h:g} lambda^2, -lambda the most negative eigenvalue",
              observed="min over every step of l(t) (float64)", reason="float64 round-off of the loss"),
    ]


def _draw(evidence: Mapping[str, Any], ax: Any) -> None:
    for s in evidence.get("series", {}).get("curves", []):
        ax.semilogx(np.array(s["t"]) + 1, s["loss_over_floor"], "-", label=s["label"])
    ax.axhline(1.0, color="k", lw=0.8, ls="--")
    ax.set_xlabel("step t + 1")
    ax.set_ylabel("l(t) / floor (eta = 0.1)")
    ax.legend(fontsize=5)


def _off_manifold(factors: Sequence[np.ndarray], Phi: np.ndarray) -> float:
    r"""Relative distance of the layers from the invariant set of exact GD from identity init: all
    :math:`W_j` equal, symmetric and commuting with :math:`\Phi`."""
    W1 = factors[0]
    scale, phi = max(float(np.linalg.norm(W1)), 1e-300), float(np.linalg.norm(Phi)) or 1.0
    return max(float(np.linalg.norm(W - W1) + np.linalg.norm(W - W.T) + np.linalg.norm(W @ Phi - Phi @ W) / phi)
               for W in factors) / scale


def _minimum(params: Mapping[str, Any], seed: int) -> dict[str, Any]:
    r"""Min loss of GD from identity init on a symmetric target with a negative eigenvalue. Round-off
    pushes float64 GD off the invariant set, growing like :math:`(1 + \eta|\lambda|)^t` near the saddle: a
    float64 run that ends off the set (relative deviation above 1e-8) is no trajectory of exact GD, so it
    is rerun at 60 digits (up to 3000 steps), else left undecided."""
    N, eta = params["N"], params["eta"]
    Phi = symmetric_target(params["eigenvalues"], seed if params["rotate"] else None)
    Phi = (Phi + Phi.T) / 2  # exactly symmetric (U diag U^T in float64 is not), as the claim assumes
    steps = max(300, math.ceil(20 / eta))
    res = gd_float64([np.eye(Phi.shape[0])] * N, None, Phi, eta, eps=None, max_iter=steps, history=steps + 1)
    out: dict[str, Any] = {"floor": negative_part_floor(Phi), "min_loss": float(np.min(res.history_loss)), "status": res.status,
           "arithmetic": "float64", "deviation": _off_manifold(res.factors, Phi)}
    if out["deviation"] <= _DEVIATION or res.status == "diverged":
        return out
    if steps > _MP_STEPS:
        return {**out, "min_loss": None}
    ar = MPMath(dps=60)
    traj, net = gd(deep_linear([np.eye(Phi.shape[0])] * N, ar), Problem.whitened(Phi, ar), ar.number(eta),
                   Stop(max_iter=steps), observers={"loss": lambda t, n, v, g: v})
    return {**out, "arithmetic": "mpmath:dps=60", "min_loss": float(min(v for _, v in traj.observations["loss"])),
            "deviation": _off_manifold([ar.to_numpy(F) for F in net.factors], Phi)}


def _score(value: Mapping[str, Any]) -> float | None:
    if value["min_loss"] is None or value["deviation"] > _DEVIATION:
        return None  # the computed trajectory is not one of exact GD: undecided
    return value["floor"] / value["min_loss"] if value["min_loss"] > 0 else math.inf


CLAIM = Claim(
    id="arora2018.claim5_negative_eigenvalue", paper="arora2018",
    source="Claim 5 (Appendix C, proof in D.7, Lemma 18): the statement and the floor lambda^2/2 are the paper's; the "
           "floor summed over all negative eigenvalues is derived here (distance to the PSD cone)",
    title="Even N, identity init, symmetric Phi with a negative eigenvalue: loss stays >= lambda^2/2 for every eta",
    statement_latex=r"N\ \text{even},\ W_j(0) = I,\ \Phi = \Phi^\top,\ \lambda_{\min}(\Phi) = -\lambda < 0 "
                    r"\Rightarrow \ell(t) \ge \tfrac12 \sum_{\lambda_i(\Phi) < 0}\lambda_i^2 \ge \lambda^2/2",
    kind="necessity", level="reconstructed", grid=grid, run=run, checks=checks, constants={"half": 0.5},
    mutants=(Mutant("floor_1.1", "the floor 1/2 sum lambda_i^2 raised by 10%", {"half": 0.55}),),
    figures=(Figure("claim5_floor", "Loss over the floor at eta = 0.1 (even N stay above 1; odd N contrast).", _draw),),
    search=SearchSpace(
        st.fixed_dictionaries({
            "N": st.sampled_from([2, 4, 6, 8]),
            "eigenvalues": st.lists(st.floats(-2.0, 2.0).filter(lambda x: abs(x) > 1e-3), min_size=1, max_size=4)
            .filter(lambda lam: min(lam) < 0),
            "rotate": st.booleans(), "eta": st.floats(-3.0, math.log10(2.0)).map(lambda x: float(10.0**x))}),
        _score, "floor / min loss", evaluate=_minimum, tolerance=1e-12, onset="eta"),
)
