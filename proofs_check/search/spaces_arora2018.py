r"""Search spaces and Arb certificates for the claims of Arora, Cohen, Golowich, Hu (ICLR 2019).

Search spaces (violation score > 1 + tolerance is a violation inside the hypotheses):

* ``claim1_margin_sigma_min`` — shapes, margin fraction :math:`c/\sigma_{\min}(\Phi)`, seed;
  score :math:`c / (\min\sigma_{\min}(W') + \tau)` with the claim's SVD tolerance
  :math:`\tau = 10^{-13}(1 + \|\Phi\|_2)`.
* ``lemma1_descent`` — instance family, depth, width, target offset, steps; score
  ``1 / min_ratio`` (actual over guaranteed decrease, worst step; mpmath 50 digits).
* ``theorem1_iterations`` — instance family, depth, width, init, :math:`\epsilon`; score the
  worst of iterations / :math:`T`, imbalance / :math:`2\delta`, spectral norm / bound and the
  rate bound (Lemma 2 A, C); a run that does not reach :math:`\epsilon` by :math:`T` scores inf.
* ``residual_corollary`` — width, target distance :math:`r = \|\Phi - I\|_F < 1/2`; score
  :math:`(1 - 2r)/\text{margin}` (the corollary's margin bound).
* ``claim5_negative_eigenvalue`` — even depth, spectrum with a negative eigenvalue,
  rotation, step size; score floor / min loss, mapped along ``eta``.
* ``procedure1_balanced_init`` — widths without a bottleneck, orthogonal insertion; score
  the largest relative error over :math:`10^{-12}`.
* ``claim4_unbalanced_divergence`` — depth, step size, margin; score
  :math:`100 / \text{decades of growth}` (not diverging is the violation), mapped along ``eta``.
* ``whitening_reduction``, ``gradient_formula``, ``balance_drift_gd`` — identities; score
  error / the claim's tolerance.

Certificates (Arb, exact float64 inputs rebuilt from the run's seed):

* ``claim1_margin_sigma_min`` — :math:`\sigma_{\min}(W') \ge \sigma_{\min}(\Phi) - \|W'-\Phi\|_F`
  at the run's worst sampled sphere point and worst adversarial point;
* ``lemma1_descent`` — eq. (9) for the exact GD step from the run's initial weights;
* ``balance_drift_gd`` — the one-step drift identity from the run's initial weights;
* ``whitening_reduction`` — the data loss minus the whitened form equals
  :math:`\mathrm{tr}(W(XX^\top - mI)W^\top)/(2m)` on the run's float64 data (so the float64
  whitening error is accounted for exactly).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any

import numpy as np
from hypothesis import strategies as st

from lintheory.arora import theorem1_constants
from lintheory.balance import drift_prediction, imbalance_matrices
from lintheory.certify import power_enclosure, sigma_min_enclosure
from lintheory.kernels import gd_float64
from lintheory.margin import adversarial_points, ball_points, tight_point
from lintheory.necessity import negative_part_floor, symmetric_target
from lintheory.arith import MPMath
from lintheory.nets import Problem, deep_linear, gradient_step, loss_and_gradients
from lintheory.train import Stop, gd
from lintheory.whitening import whitened_data
from proofs_check.claims import arora2018 as paper
from proofs_check.search.space import CertificateSpec, SearchSpace

P = "arora2018."
_F64_TOL = 1e-12

# ----------------------------------------------------------------------------------------
# search: scores of the claims' own runs
# ----------------------------------------------------------------------------------------


def claim1_score(value: Mapping[str, Any]) -> float:
    return value["c"] / (value["min_sigma"] + 1e-13 * (1 + value["phi_norm2"]))


def lemma1_score(value: Mapping[str, Any]) -> float:
    return 1.0 / value["min_ratio"] if value["min_ratio"] > 0 else math.inf


def theorem1_score(value: Mapping[str, Any]) -> float | None:
    if value["status"] == "over budget":
        return None  # T beyond the run budget: the instance cannot be decided, not a violation
    if value["status"] != "converged":
        return math.inf
    return max(value["iterations"] / value["T_predicted"], value["max_imbalance"] / value["two_delta"],
               value["max_spectral_norm"] / value["spectral_bound"], value["max_rate_ratio"])


def claim4_score(value: Mapping[str, Any]) -> float:
    if not value["never_below_initial"]:
        return math.inf
    return 100.0 / value["growth_decades"] if value["growth_decades"] > 0 else math.inf


def whitening_score(value: Mapping[str, Any]) -> float:
    return value["float64"]["rel_error"] / _F64_TOL


def gradient_score(value: Mapping[str, Any]) -> float:
    return value["fd_rel_error"] / 1e-25


def drift_score(value: Mapping[str, Any]) -> float:
    return value["identity_error"]["float64"] / 1e-13


def procedure1_score(value: Mapping[str, Any]) -> float:
    return max(value["product_rel_error"], value["imbalance_rel"], value["singular_value_rel_error"]) / 1e-12


# ----------------------------------------------------------------------------------------
# search: evaluations of their own, where the claim's run does not expose the space
# ----------------------------------------------------------------------------------------


def residual_margin(params: Mapping[str, Any], seed: int) -> dict[str, Any]:
    r"""Margin of identity init for :math:`\Phi = I + r\,G/\|G\|_F` (the residual corollary)."""
    from lintheory.arora import certified_margin

    d, r = params["d"], params["E_norm"]
    G = np.random.default_rng(seed).standard_normal((d, d))
    Phi = np.eye(d) + r * G / np.linalg.norm(G)
    return {"margin": certified_margin(np.eye(d), Phi), "margin_lower_bound": 1 - 2 * r}


def residual_score(value: Mapping[str, Any]) -> float:
    return value["margin_lower_bound"] / value["margin"] if value["margin"] > 0 else math.inf


CLAIM5_MP_STEPS = 3000
CLAIM5_DEVIATION = 1e-8


def _off_manifold(factors: Sequence[np.ndarray], Phi: np.ndarray) -> float:
    r"""Relative distance of the layers from the invariant set of exact GD from identity init:
    all :math:`W_j` equal, symmetric and commuting with :math:`\Phi` (so
    :math:`W_j = U\tilde DU^\top` and, for even :math:`N`, :math:`W_{1:N} \succeq 0`)."""
    W1 = factors[0]
    scale = max(float(np.linalg.norm(W1)), 1e-300)
    phi = float(np.linalg.norm(Phi)) or 1.0
    return max(float(np.linalg.norm(W - W1) + np.linalg.norm(W - W.T) + np.linalg.norm(W @ Phi - Phi @ W) / phi)
               for W in factors) / scale


def claim5_minimum(params: Mapping[str, Any], seed: int) -> dict[str, Any]:
    r"""Min loss of GD from identity init on a symmetric target with a negative eigenvalue.

    Round-off pushes float64 GD off the invariant set, and near the saddle the push grows
    like :math:`(1 + \eta|\lambda|)^t`: a float64 run that ends off the set (relative
    deviation above ``CLAIM5_DEVIATION``) is no longer a trajectory of exact GD, so it is rerun
    in mpmath at 60 digits (up to ``CLAIM5_MP_STEPS`` steps), else left undecided."""
    N, eta = params["N"], params["eta"]
    Phi = symmetric_target(params["eigenvalues"], seed if params["rotate"] else None)
    Phi = (Phi + Phi.T) / 2  # exactly symmetric (U diag U^T in float64 is not), as the claim assumes
    steps = max(300, math.ceil(20 / eta))
    res = gd_float64([np.eye(Phi.shape[0])] * N, None, Phi, eta, eps=None, max_iter=steps, history=steps + 1)
    out = {"floor": negative_part_floor(Phi), "min_loss": float(np.min(res.history_loss)), "status": res.status,
           "arithmetic": "float64", "deviation": _off_manifold(res.factors, Phi)}
    if out["deviation"] <= CLAIM5_DEVIATION or res.status == "diverged":
        return out
    if steps > CLAIM5_MP_STEPS:
        return {**out, "min_loss": None}
    ar = MPMath(dps=60)
    traj, net = gd(deep_linear([np.eye(Phi.shape[0])] * N, ar), Problem.whitened(Phi, ar), ar.number(eta),
                   Stop(max_iter=steps), observers={"loss": lambda t, n, v, g: v})
    return {**out, "arithmetic": "mpmath:dps=60", "min_loss": float(min(v for _, v in traj.observations["loss"])),
            "deviation": _off_manifold([ar.to_numpy(F) for F in net.factors], Phi)}


def claim5_score(value: Mapping[str, Any]) -> float | None:
    if value["min_loss"] is None or value["deviation"] > CLAIM5_DEVIATION:
        return None  # the computed trajectory is not one of exact GD: undecided
    return value["floor"] / value["min_loss"] if value["min_loss"] > 0 else math.inf


_LOG_ETA = st.floats(-3.0, math.log10(2.0)).map(lambda x: float(10.0**x))
def _instances(max_N: int, offset: float, e0_margin: float) -> Any:
    """Theorem 1 instances (see ``arora2018._theorem1_instance``) with margin bounded below."""
    return st.one_of(
        st.fixed_dictionaries({"instance": st.just("near_identity"), "N": st.integers(2, max_N),
                               "d": st.integers(2, 4), "init": st.sampled_from(["identity", "delta_perturbed"]),
                               "offset": st.floats(0.01, offset)}),
        st.fixed_dictionaries({"instance": st.just("vector"), "N": st.integers(2, min(max_N, 4)),
                               "d": st.integers(2, 4), "init": st.just("balanced"), "offset": st.floats(0.01, offset)}),
        # e0 = 1 starts at the optimum, where the guaranteed and actual decrease are both 0
        st.fixed_dictionaries({"instance": st.just("scalar"), "N": st.integers(2, max_N),
                               "e0": st.floats(e0_margin, 2.0 - e0_margin).filter(lambda e: abs(e - 1) > 1e-3)}),
    )


def _no_bottleneck(widths: list[int]) -> bool:
    """Procedure 1 (used by the drift run's slope part) needs hidden widths >= min(d_0, d_N)."""
    return min(widths[1:-1]) >= min(widths[0], widths[-1])


def _with(strategy: Any, **fixed: Any) -> Any:
    return st.builds(lambda base, extra: {**base, **extra}, strategy, st.fixed_dictionaries(fixed))


SPACES = {
    P + "claim1_margin_sigma_min": SearchSpace(
        st.fixed_dictionaries({"d_N": st.integers(1, 6), "d_0": st.integers(1, 6),
                               "c_over_sigma_min": st.floats(0.02, 0.98), "samples": st.sampled_from([50, 200])}),
        claim1_score, "c / min sigma_min(W')", tolerance=0.0),
    P + "lemma1_descent": SearchSpace(
        _with(_instances(5, 0.45, 0.05), steps=st.integers(5, 40), certified_steps=st.just(0)),
        lemma1_score, "guaranteed / actual decrease (worst step)", tolerance=1e-30,
        budgets={"quick": 0, "standard": 30, "full": 200}),
    P + "theorem1_iterations": SearchSpace(
        # T grows like N^3 / c^4 log(l0/eps): larger margins and shallower nets keep it in budget
        _with(_instances(4, 0.25, 0.5), eps_rel=st.floats(1e-3, 0.5), budget=st.just(2_000_000)),
        theorem1_score, "max(iterations / T, imbalance / 2 delta, ||W_j|| / bound, loss / rate bound)",
        tolerance=1e-9, budgets={"quick": 0, "standard": 20, "full": 150}),
    P + "residual_corollary": SearchSpace(
        st.fixed_dictionaries({"d": st.integers(1, 6), "E_norm": st.floats(0.0, 0.4999)}),
        residual_score, "(1 - 2||Phi - I||_F) / margin", evaluate=residual_margin, tolerance=1e-12),
    P + "claim5_negative_eigenvalue": SearchSpace(
        st.fixed_dictionaries({
            "N": st.sampled_from([2, 4, 6, 8]),
            "eigenvalues": st.lists(st.floats(-2.0, 2.0).filter(lambda x: abs(x) > 1e-3), min_size=1, max_size=4)
            .filter(lambda lam: min(lam) < 0),
            "rotate": st.booleans(), "eta": _LOG_ETA}),
        claim5_score, "floor / min loss", evaluate=claim5_minimum, tolerance=1e-12, onset="eta"),
    P + "claim4_unbalanced_divergence": SearchSpace(
        st.fixed_dictionaries({"N": st.sampled_from([2, 4, 6]), "eta": st.floats(-4.0, 1.0).map(lambda x: 10.0**x),
                               "c": st.floats(0.05, 0.99), "steps": st.integers(4, 12)}),
        claim4_score, "100 decades / observed decades of growth", seeded=False, onset="eta",
        budgets={"quick": 0, "standard": 40, "full": 300}),
    P + "procedure1_balanced_init": SearchSpace(
        st.fixed_dictionaries({"widths": st.lists(st.integers(1, 9), min_size=2, max_size=7).filter(
            lambda w: len(w) == 2 or _no_bottleneck(w)), "orthogonal_insertion": st.booleans(),
            "arith": st.just("float64")}),
        procedure1_score, "max relative error of product, balance, singular values / 1e-12 (float64)"),
    P + "whitening_reduction": SearchSpace(
        st.fixed_dictionaries({"d_y": st.integers(1, 6), "d_x": st.integers(1, 8), "m": st.integers(8, 64)})
        .filter(lambda p: p["d_x"] <= p["m"]),
        whitening_score, "relative error / 1e-12 (float64)"),
    P + "gradient_formula": SearchSpace(
        st.fixed_dictionaries({"widths": st.lists(st.integers(1, 5), min_size=2, max_size=5)}),
        gradient_score, "finite-difference error / 1e-25 (mpmath)", budgets={"quick": 0, "standard": 30, "full": 200}),
    P + "balance_drift_gd": SearchSpace(
        st.fixed_dictionaries({"widths": st.lists(st.integers(1, 6), min_size=3, max_size=6)
                               .filter(_no_bottleneck), "steps": st.integers(1, 10)}),
        drift_score, "identity residual / 1e-13 (float64)", budgets={"quick": 0, "standard": 30, "full": 200}),
}


# ----------------------------------------------------------------------------------------
# certificates
# ----------------------------------------------------------------------------------------


def claim1_inputs(params: Mapping[str, Any], seed: int) -> dict[str, Any]:
    """The run's target and its worst sampled sphere point and adversarial point (same draws)."""
    rng = np.random.default_rng(seed)
    Phi = rng.standard_normal((params["d_N"], params["d_0"]))
    s_min = float(np.linalg.svd(Phi, compute_uv=False)[-1])
    rho = s_min - params["c_over_sigma_min"] * s_min
    n = params["samples"]
    ball_points(Phi, rho, n, rng)  # the run draws the interior points first
    sphere = ball_points(Phi, rho, n, rng, boundary=True)
    tight_point(Phi, rho)
    adversarial = adversarial_points(Phi, rho, 4, rng)

    def worst(points: np.ndarray) -> np.ndarray:
        return points[int(np.argmin(np.linalg.svd(points, compute_uv=False)[:, -1]))]

    return {"Phi": Phi, "W_sphere": worst(sphere), "W_adversarial": worst(adversarial)}


def claim1_check(ar: Any, x: Mapping[str, Any]) -> tuple[Any, Any]:
    r"""min over the points of :math:`\sigma_{\min}(W') - \sigma_{\min}(\Phi) + \|W' - \Phi\|_F \ge 0`."""
    floor = sigma_min_enclosure(x["Phi"], ar.prec)
    gaps = [sigma_min_enclosure(x[k], ar.prec) - floor + ar.frob(ar.sub(x[k], x["Phi"]))
            for k in ("W_sphere", "W_adversarial")]
    return 0, gaps[0].min(gaps[1])


def lemma1_inputs(params: Mapping[str, Any], seed: int) -> dict[str, Any]:
    """The run's Theorem 1 instance at t = 0 and its step size eta_max (float64, exact)."""
    from lintheory.arora import certified_margin

    Ws, Phi = paper._theorem1_instance(params, np.random.default_rng(seed))
    E0 = np.linalg.multi_dot(Ws[::-1]) if len(Ws) > 1 else Ws[0]
    eta = theorem1_constants(certified_margin(E0, Phi), params["N"], float(np.linalg.norm(Phi))).eta_max
    return {**{f"W{j}": W for j, W in enumerate(Ws)}, "Phi": Phi, "eta": Fraction(eta)}


def _weights(x: Mapping[str, Any]) -> list[Any]:
    return [x[f"W{j}"] for j in range(sum(1 for k in x if k.startswith("W")))]


def lemma1_check(ar: Any, x: Mapping[str, Any]) -> tuple[Any, Any]:
    r"""Eq. (9): :math:`\ell(t+1) \le \ell(t) - \frac\eta2\sigma_{\min}(W_{1:N})^{2(N-1)/N}\|W_{1:N} - \Phi\|_F^2`."""
    Ws = _weights(x)
    N = len(Ws)
    net = deep_linear(Ws, ar)
    prob = Problem.whitened(x["Phi"], ar)
    value, grads = loss_and_gradients(net, prob)
    after = prob.loss_of(gradient_step(net, grads, x["eta"]).end_to_end())
    E = net.end_to_end()
    sigma = sigma_min_enclosure(E, ar.prec)
    guaranteed = x["eta"] / 2 * power_enclosure(sigma, Fraction(2 * (N - 1), N), ar.prec) * ar.frob_sq(ar.sub(E, x["Phi"]))
    return after, value - guaranteed


def drift_inputs(params: Mapping[str, Any], seed: int) -> dict[str, Any]:
    """The run's random initial weights and target (``_drift_errors``' first draws), eta = 0.05."""
    rng = np.random.default_rng(seed)
    Ws = paper._random_weights(params["widths"], rng)
    Phi = rng.standard_normal((params["widths"][-1], params["widths"][0]))
    return {**{f"W{j}": W for j, W in enumerate(Ws)}, "Phi": Phi, "eta": 0.05}


def drift_check(ar: Any, x: Mapping[str, Any]) -> tuple[Any, Any]:
    r""":math:`\sum_j \|D_j(t+1) - D_j(t) - \eta^2(G_{j+1}^\top G_{j+1} - G_jG_j^\top)\|_F^2 = 0`."""
    net = deep_linear(_weights(x), ar)
    _, grads = loss_and_gradients(net, Problem.whitened(x["Phi"], ar))
    predicted = drift_prediction(net.weights(), grads, x["eta"], ar)
    moved = gradient_step(net, grads, x["eta"])
    residual = sum((ar.frob_sq(ar.sub(D, Q)) for D, Q in zip(imbalance_matrices(moved.weights(), ar), predicted)),
                   ar.number(0))
    return residual, ar.number(0)


def whitening_inputs(params: Mapping[str, Any], seed: int) -> dict[str, Any]:
    """The run's W and float64 whitened data."""
    data = whitened_data(params["d_x"], params["d_y"], params["m"], seed, ar="float64")
    W = np.random.default_rng(seed).standard_normal((params["d_y"], params["d_x"]))
    return {"W": W, "X": data.X, "Y": data.Y}


def whitening_check(ar: Any, x: Mapping[str, Any]) -> tuple[Any, Any]:
    r"""Appendix A with the whitening error kept: data loss - whitened form =
    :math:`\mathrm{tr}(W(XX^\top - mI)W^\top)/(2m)`."""
    W, X, Y = x["W"], x["X"], x["Y"]
    m = ar.shape(X)[1]
    Lyx = ar.scale(ar.number(1) / m, ar.matmul(Y, ar.T(X)))
    data_loss = ar.frob_sq(ar.sub(ar.matmul(W, X), Y)) / (2 * m)
    whitened = ar.frob_sq(ar.sub(W, Lyx)) / 2 + ar.frob_sq(Y) / (2 * m) - ar.frob_sq(Lyx) / 2
    gram_error = ar.sub(ar.matmul(X, ar.T(X)), ar.scale(m, ar.identity(ar.shape(X)[0])))
    return data_loss - whitened, ar.dot(ar.matmul(W, gram_error), W) / (2 * m)


CERTIFICATES = {
    P + "claim1_margin_sigma_min": CertificateSpec(
        claim1_inputs, claim1_check, "<=",
        "sigma_min(W') >= sigma_min(Phi) - ||W' - Phi||_F at the worst sampled sphere and adversarial points"),
    P + "lemma1_descent": CertificateSpec(
        lemma1_inputs, lemma1_check, "<=", "eq. (9) for the exact GD step at eta_max from the initial weights"),
    P + "balance_drift_gd": CertificateSpec(
        drift_inputs, drift_check, "==", "D(1) = D(0) + eta^2 (G_{j+1}^T G_{j+1} - G_j G_j^T) for the first GD step",
        tolerance=1e-40),
    P + "whitening_reduction": CertificateSpec(
        whitening_inputs, whitening_check, "==",
        "data loss - whitened form = tr(W (XX^T - mI) W^T)/(2m) for the float64 data", tolerance=1e-40),
}
