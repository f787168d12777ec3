r"""Shamir, "Exponential Convergence Time of Gradient Descent for One-Dimensional Deep Linear Neural
Networks" (COLT 2019, arXiv:1809.08587), as an executable claim, with the 1-D ZAS contrast of
Wu, Wang, Ma (2019).

Provenance (brief ``shared/theory/wu2019_zas.md`` §3.1-3.2, §5 C9): the setting
:math:`F(w) = f(\prod_i w_i)` and the headline claim (iterations exponential in the depth under
standard initializations) are from the abstract; the exact theorem (assumptions on :math:`f`,
initialization distributions, step-size range, probability) was **not retrieved**.  The
initializations and constants below are the brief's reconstruction: near-identity
:math:`w_i = 1 + \mathcal N(0, 0.01/k)` with target :math:`y = -1`, Xavier-type
:math:`w_i \sim \mathcal N(0, 1)` with :math:`y = 1`, step :math:`\eta = 0.01`, stop at
:math:`F \le 0.005`.  Products and gradients are computed in log space
(:mod:`lintheory.product1d`), so no depth leaves float64's range.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from lintheory import fit
from lintheory.product1d import near_identity_1d, product_gd, xavier_1d, zas_1d
from proofs_check import judging
from proofs_check.claim import Claim, Figure, RunRecord, Verdict

PAPER = "shamir2018"
ETA, EPS = 1e-2, 5e-3
TARGET = {"near_identity": -1.0, "xavier": 1.0, "zas": -1.0}


def _pick(profile: str, quick: Any, standard: Any) -> Any:
    return {"quick": quick, "standard": standard, "full": standard}[profile]


def _cells(profile: str) -> list[dict[str, Any]]:
    near = _pick(profile, (2, 3, 4, 5, 6), (2, 3, 4, 5, 6, 7, 8, 9))
    xavier = _pick(profile, (2, 5, 8, 11, 14), (2, 4, 6, 8, 10, 12, 14, 16, 18))
    zas = _pick(profile, (2, 4, 8, 16), (2, 4, 8, 16, 24, 32))
    cap = _pick(profile, 30_000, 400_000)
    cells = ([{"init": "near_identity", "k": k, "seeds": _pick(profile, 10, 20), "max_iter": cap} for k in near]
             + [{"init": "xavier", "k": k, "seeds": _pick(profile, 50, 60), "max_iter": cap} for k in xavier]
             + [{"init": "zas", "k": L + 1, "seeds": 1, "max_iter": cap} for L in zas])
    return sorted(cells, key=lambda c: -c["k"] * c["seeds"])


def run(params: Mapping[str, Any], seed: int) -> dict[str, Any]:
    init, k, seeds = params["init"], params["k"], params["seeds"]
    rng = np.random.default_rng(seed)
    if init == "near_identity":
        w0 = near_identity_1d(k, seeds, 0.01 / k, rng)
    elif init == "xavier":
        w0 = xavier_1d(k, seeds, rng)
    else:
        w0 = zas_1d(k - 1)
    out = product_gd(w0, TARGET[init], ETA, eps=EPS, max_iter=params["max_iter"])
    return {"iterations": out.iterations.tolist(), "converged": out.converged.tolist(),
            "log10_abs_product0": np.log10(np.abs(np.prod(w0, axis=1)) + 1e-300).tolist()}


def _summary(run: RunRecord) -> dict[str, Any]:
    it = np.array(run.value["iterations"], dtype=float)
    done = np.array(run.value["converged"], dtype=bool)
    n = it.size
    # capped runs sort above every finished one, so the median is exact while the finished runs
    # include the middle order statistic(s)
    determined = int(done.sum()) >= n // 2 + 1
    return {"params": {"init": run.params["init"], "k": run.params["k"]},
            "depth": run.params["k"] if run.params["init"] != "zas" else run.params["k"] - 1,
            "depth_counts": "k factors" if run.params["init"] != "zas" else "L blocks (output layer not counted)",
            "observed": float(np.median(it)), "median_determined": determined,
            "q25": float(np.quantile(it, 0.25)), "q75": float(np.quantile(it, 0.75)),
            "finished": f"{int(done.sum())}/{n}", "cap": run.params["max_iter"],
            "status": "converged" if done.all() else ("over budget" if not done.any() else "partly over budget")}


def judge(runs: Sequence[RunRecord]) -> Verdict:
    texts = dict(predicted="median iterations exp(b k) with b > 0 for near-identity (y < 0) and Xavier-type inits; "
                           "1-D ZAS flat or decreasing in L",
                 observed="median iterations to F <= 0.005 over seeds (eta = 0.01); fits log(median) = a + b k over "
                          "the depths whose median is determined within the cap, and log T = a + p log L for ZAS",
                 arithmetic="float64 (products and gradients in log space)")
    tol_text = "b's 95% interval above 0; ZAS exponent p's 95% interval at or below 0"
    failed = judging.missing_runs_inconclusive(runs, tolerance=tol_text, **texts)
    if failed is not None:
        return failed
    rows = sorted((_summary(r) for r in runs), key=lambda r: (r["params"]["init"], r["depth"]))
    parts, fits, series = [], {}, {}
    for init in ("near_identity", "xavier", "zas"):
        group = [r for r in rows if r["params"]["init"] == init]
        series[init] = {"depth": [r["depth"] for r in group], "median": [r["observed"] for r in group],
                        "q25": [r["q25"] for r in group], "q75": [r["q75"] for r in group],
                        "determined": [r["median_determined"] for r in group], "cap": group[0]["cap"] if group else None}
        usable = [r for r in group if r["median_determined"]]
        if len(usable) < 3:
            parts.append((init, Verdict("inconclusive", f"only {len(usable)} depth(s) with a determined median; "
                                        "a larger cap would decide", tolerance=tol_text, **texts)))
            continue
        depths, medians = [r["depth"] for r in usable], [r["observed"] for r in usable]
        if init == "zas":
            f = fit.power_law(depths, medians)
            v = judging.scaling_verdict(f, 0.0, tol=0.0, sense="at_most", reason="flat or decreasing in L", **texts)
        else:
            f = fit.exponential_rate(depths, medians)
            v = judging.scaling_verdict(f, 0.0, tol=0.0, sense="at_least", reason="exponential growth in depth",
                                        **texts)
        fits[init] = {**f.as_dict(), "depths_used": depths,
                      "depths_over_budget": [r["depth"] for r in group if not r["median_determined"]]}
        parts.append((init, v))
    evidence = {"table": rows, "fits": fits, "series": series,
                "fit": {"exponent": fits.get("near_identity", {}).get("rate"),
                        "ci95": fits.get("near_identity", {}).get("ci95"), "of": "near-identity growth rate b"}}
    return replace(judging.combine(parts, evidence), tolerance=tol_text, **texts)


def _draw(evidence: Mapping[str, Any], ax: Any) -> None:
    labels = {"near_identity": "near-identity, y = -1 (depth k)", "xavier": "Xavier N(0,1), y = 1 (depth k)",
              "zas": "1-D ZAS, y = -1 (depth L)"}
    for i, (init, s) in enumerate(sorted(evidence.get("series", {}).items())):
        if not s["depth"]:
            continue
        color = f"C{i}"
        err = [[m - lo for m, lo in zip(s["median"], s["q25"])], [hi - m for m, hi in zip(s["median"], s["q75"])]]
        ax.errorbar(s["depth"], s["median"], yerr=err, fmt="o-", ms=4, color=color, capsize=2, label=labels[init])
        open_pts = [(x, m) for x, m, d in zip(s["depth"], s["median"], s["determined"]) if not d]
        if open_pts:
            ax.plot(*zip(*open_pts), "x", color=color, ms=8)
        ax.axhline(s["cap"], color="grey", ls="--", lw=0.6)
    ax.set_yscale("log")
    ax.set_xlabel("depth (k factors; L residual blocks for ZAS)")
    ax.set_ylabel("median iterations to F <= 0.005")
    ax.legend(fontsize=6)


EXPONENTIAL_IN_DEPTH = Claim(
    id="shamir2018.exponential_in_depth",
    paper=PAPER,
    source="Shamir 2018/COLT 2019, main result (theorem text not retrieved; setting from the abstract, "
           "initializations and constants reconstructed in the brief wu2019_zas.md §5 C9)",
    title="1-D deep linear nets: GD iterations grow exponentially in depth from near-identity (y < 0) and "
          "Xavier-type inits; 1-D ZAS does not",
    statement_latex=(r"F(w) = \tfrac12\Big(\prod_{i=1}^k w_i - y\Big)^2:\quad "
                     r"T_{\mathrm{median}}(k) \ge e^{\Omega(k)}\ \text{(near-identity, } y<0\text{; Xavier)},\quad "
                     r"T_{\mathrm{ZAS}}(L)\ \text{non-increasing}"),
    kind="scaling",
    grid=_cells,
    run=run,
    judge=judge,
    figures=(Figure("growth", "Median iterations (quartile bars) to F <= 0.005 at eta = 0.01 against depth: "
                    "near-identity and Xavier-type inits grow exponentially, 1-D ZAS does not; x marks a median "
                    "at the cap (dashed).", _draw),),
)

CLAIMS: tuple[Claim, ...] = (EXPONENTIAL_IN_DEPTH,)
