"""Experiment protocol of the Zhang & Brand (2017) comparison: BCD against the six Caffe solvers.

Every method trains on the *fit* part of a replicate's stratified split, is tuned on the
*holdout* part and reported on the *test* part (:func:`proofs_check.data.split`; replicate k
uses the same split for every method, so comparisons are paired):

* BCD (:func:`run_bcd`): a formulation :class:`Variant`, weights from the same He
  initialisation as the baselines, lifted U from the forward pass of the initial weights,
  then sweeps; the forward-pass (ZB-4) errors are recorded at fixed checkpoints and the
  number of sweeps is chosen afterwards by holdout error;
* baselines (:func:`run_baseline`): each candidate learning rate trains ``tune_epochs``
  epochs, the one with the lowest holdout error is retrained from the same initialisation
  for ``epochs`` epochs (a two-stage tuning that keeps every run self-contained).
"""

from __future__ import annotations

import math
import statistics
import time
from dataclasses import asdict, dataclass, replace
from typing import Any, Literal

import numpy as np

from lintheory import sgd
from lintheory.lifted import (
    LiftedConfig, NNLSConfig, bcd, forward, forward_state, layer_input, lifted_scores, predict,
)
from lintheory.lifted.model import Loss, Output
from lintheory.lifted.threesplit import ThreeSplitConfig, three_split_bcd
from proofs_check import data

__all__ = ["HIDDEN", "LEARNING_RATES", "RIDGE_PENALTIES", "VARIANTS", "Variant", "run_baseline", "run_bcd",
           "run_ridge", "run_three_split"]

# Ridge penalties of the linear control, per sample (the Gram matrix grows with M).
RIDGE_PENALTIES: tuple[float, ...] = (1e-4, 1e-3, 1e-2, 3e-2, 1e-1)

HIDDEN: dict[str, tuple[int, ...]] = {
    "256x2": (256, 256), "256x4": (256, 256, 256, 256), "32x2": (32, 32), "32x4": (32, 32, 32, 32),
}

# Three learning rates per solver, a factor ~3 apart around the values of Caffe's MNIST examples.
LEARNING_RATES: dict[str, tuple[float, ...]] = {
    "sgd": (0.01, 0.03, 0.1), "nesterov": (0.01, 0.03, 0.1), "adagrad": (0.01, 0.03, 0.1),
    "adadelta": (0.3, 1.0, 3.0), "rmsprop": (3e-4, 1e-3, 3e-3), "adam": (3e-4, 1e-3, 3e-3),
}


@dataclass(frozen=True)
class Variant:
    """A formulation choice of the lifted BCD (penalties, schedule, loss, output, initialisation, solver).

    ``gamma`` is :math:`\\gamma_1`; layer n gets :math:`\\gamma_1\\rho^{n-1}` with
    ``gamma_layer_ratio`` :math:`\\rho`, and sweep t multiplies all by
    :math:`\\min(g^{t-1}, \\gamma_{max}/\\gamma_1)` with ``gamma_growth`` g (a continuation
    schedule). ``lam_per_sample`` is :math:`\\lambda_n / M` (the loss and coupling are sums
    over the M samples).
    """

    name: str
    description: str
    gamma: float = 1.0
    gamma_layer_ratio: float = 1.0
    gamma_growth: float = 1.0
    gamma_max: float = math.inf
    lam_per_sample: float = 3e-7
    eta: float = 1e-3
    loss: Loss = "squared"
    output: Output = "free"
    init: str = "he"
    inner: int = 10
    inner_method: Literal["pg", "apg", "exact"] = "pg"
    order: str = "forward"

    def config(self, layers: int, M: int, t: int = 1) -> LiftedConfig:
        k = layers - 1 if self.output == "none" else layers
        scale = min(self.gamma_growth ** (t - 1), self.gamma_max / self.gamma)
        gamma = tuple(self.gamma * scale * self.gamma_layer_ratio ** n for n in range(k))
        return LiftedConfig(gamma, (self.lam_per_sample * M,) * layers, eta=self.eta, loss=self.loss,
                            output=self.output, bias=True)

    @property
    def scheduled(self) -> bool:
        return self.gamma_growth != 1.0


_PLAIN = Variant("plain", "gamma 1, lambda 3e-7 per sample, eta 1e-3, squared loss, free lifted output, He init, "
                       "forward order, 10 projected-gradient steps per hidden block")
VARIANTS: dict[str, Variant] = {v.name: v for v in (
    _PLAIN,
    replace(_PLAIN, name="ridge", description="lambda 0.01 per sample (stronger ridge)", lam_per_sample=0.01),
    replace(_PLAIN, name="gamma10", description="gamma 10 (tighter coupling)", gamma=10.0),
    replace(_PLAIN, name="gamma_continuation", description="gamma 0.1 x 1.3 per sweep up to 100",
            gamma=0.1, gamma_growth=1.3, gamma_max=100.0),
    replace(_PLAIN, name="gamma_by_layer", description="gamma 0.1, x10 per layer (deep layers tighter)",
            gamma=0.1, gamma_layer_ratio=10.0),
    replace(_PLAIN, name="hinge", description="squared hinge loss (one-vs-all)", loss="squared_hinge"),
    replace(_PLAIN, name="output_relu", description="lifted output constrained U_N >= 0", output="relu"),
    replace(_PLAIN, name="output_none", description="no lifted output: loss on W_N U_{N-1}", output="none"),
    replace(_PLAIN, name="xavier", description="Xavier (Caffe) initialisation", init="xavier"),
    replace(_PLAIN, name="prox", description="proximal weight eta 1 (damped updates)", eta=1.0),
    replace(_PLAIN, name="tuned", description="output none + lambda 0.01 per sample (best holdout in development)",
            output="none", lam_per_sample=0.01),
    replace(_PLAIN, name="backward", description="output none + lambda 0.01 per sample, backward layer order",
            output="none", lam_per_sample=0.01, order="backward"),
    replace(_PLAIN, name="backward_prox1", description="backward, output none, lambda 0.01, eta 1",
            output="none", lam_per_sample=0.01, order="backward", eta=1.0),
    replace(_PLAIN, name="backward_gamma10", description="backward, output none, lambda 0.01, gamma 10",
            output="none", lam_per_sample=0.01, order="backward", gamma=10.0),
    replace(_PLAIN, name="backward_continuation", description="backward, output none, lambda 0.01, gamma 1 x 1.1 "
            "per sweep up to 30", output="none", lam_per_sample=0.01, order="backward", gamma_growth=1.1,
            gamma_max=30.0),
    replace(_PLAIN, name="backward_hinge", description="backward, squared hinge, free output, lambda 0.01",
            loss="squared_hinge", lam_per_sample=0.01, order="backward"),
    replace(_PLAIN, name="backward_weak_ridge", description="backward, output none, lambda 3e-7 per sample",
            output="none", order="backward"))}


@dataclass(frozen=True)
class _Data:
    X: dict[str, np.ndarray]
    y: dict[str, np.ndarray]
    widths: tuple[int, ...]


def _prepare(dataset: str, hidden: str, replicate: int) -> _Data:
    if hidden not in HIDDEN:
        raise ValueError(f"hidden must be one of {tuple(HIDDEN)}, got {hidden!r}")
    ds, sp = data.split(dataset, replicate)
    parts = {"fit": sp.fit, "holdout": sp.holdout, "test": sp.test}
    X = {k: np.ascontiguousarray(ds.X[idx].T) for k, idx in parts.items()}
    y = {k: ds.y[idx] for k, idx in parts.items()}
    return _Data(X, y, (ds.X.shape[1], *HIDDEN[hidden], 10))


def _error(W, X: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean(predict(W, X, True) != y))


def negative_fraction(W, X: np.ndarray) -> list[float]:
    """Per hidden layer, the share of negative pre-activations of the forward pass on X: 0 means the
    ReLUs act as the identity everywhere, i.e. the network computes a linear map on these inputs."""
    h, out = X, []
    for w in W[:-1]:
        z = w @ layer_input(h, True)
        out.append(float(np.mean(z < 0)))
        h = np.maximum(z, 0.0)
    return out


def run_bcd(dataset: str, hidden: str, variant: str, replicate: int, seed: int, sweeps: int,
            checkpoints: tuple[int, ...]) -> dict[str, Any]:
    """Train with BCD; forward-pass errors at ``checkpoints``, F/M after every sweep."""
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {tuple(VARIANTS)}, got {variant!r}")
    v = VARIANTS[variant]
    d = _prepare(dataset, hidden, replicate)
    Xf, M = d.X["fit"], d.X["fit"].shape[1]
    Yf = data.one_hot(d.y["fit"])
    layers = len(d.widths) - 1
    W0 = sgd.init_weights(d.widths, np.random.default_rng(seed), v.init, bias=True)
    schedule = (lambda t: v.config(layers, M, t)) if v.scheduled else v.config(layers, M)
    state = forward_state(W0, Xf, v.config(layers, M))
    marks = set(checkpoints)

    def errors(t: int, s) -> dict[str, float] | None:
        if t not in marks:
            return None
        return {k: _error(s.W, d.X[k], d.y[k]) for k in ("fit", "holdout", "test")}

    start = time.perf_counter()
    inner = NNLSConfig("active_set") if v.inner_method == "exact" else NNLSConfig(v.inner_method, v.inner)
    trace, state = bcd(Xf, Yf, state, schedule, sweeps, inner, observers={"err": errors}, order=v.order)
    seconds = time.perf_counter() - start
    seen = [r.observed["err"] for r in trace.records if r.observed["err"] is not None]
    F = [trace.F0] + trace.column("F")
    scores = lifted_scores(state, v.config(layers, M, sweeps))
    return {
        "checkpoints": [t for t in sorted(marks) if t <= sweeps],
        "fit_error": [e["fit"] for e in seen], "holdout_error": [e["holdout"] for e in seen],
        "test_error": [e["test"] for e in seen],
        "objective_per_sample": [f / M for f in F],
        "monotone": (not v.scheduled) and all(b <= a * (1 + 1e-12) for a, b in zip(F, F[1:])),
        "lifted_fit_error": float(np.mean(np.argmax(scores, axis=0) != d.y["fit"])),
        "forward_mismatch": _mismatch(state, Xf),
        "negative_fraction": negative_fraction(state.W, Xf), "negative_fraction_init": negative_fraction(W0, Xf),
        "seconds_per_sweep": seconds / max(sweeps, 1), "variant": asdict(v) | {"gamma_max": str(v.gamma_max)},
    }


def _mismatch(state, X: np.ndarray) -> list[float]:
    """Relative distance of each hidden lifted block from the forward pass of the weights."""
    h = forward(state.W, X, True)
    return [float(np.linalg.norm(u - f)) / max(float(np.linalg.norm(f)), 1e-300)
            for u, f in zip(state.U, h[:len(state.W) - 1])]


def run_baseline(dataset: str, hidden: str, solver: str, replicate: int, seed: int, tune_epochs: int,
                 epochs: int, batch: int = 64, weight_decay: float = 5e-4) -> dict[str, Any]:
    """Tune the learning rate on the holdout part, retrain the best for ``epochs`` epochs."""
    if solver not in LEARNING_RATES:
        raise ValueError(f"solver must be one of {tuple(LEARNING_RATES)}, got {solver!r}")
    d = _prepare(dataset, hidden, replicate)
    init_rng, *rngs = np.random.default_rng(seed).spawn(len(LEARNING_RATES[solver]) + 2)
    W0 = sgd.init_weights(d.widths, init_rng, "he", bias=True)
    start = time.perf_counter()
    tuning = []
    for lr, rng in zip(LEARNING_RATES[solver], rngs):
        r = sgd.train(W0, d.X["fit"], d.y["fit"], sgd.caffe_solver(solver, lr), tune_epochs, batch,
                      weight_decay, rng)
        tuning.append(1.0 if r.diverged else _error(r.W, d.X["holdout"], d.y["holdout"]))
    best = int(np.argmin(tuning))
    lr = LEARNING_RATES[solver][best]
    r = sgd.train(W0, d.X["fit"], d.y["fit"], sgd.caffe_solver(solver, lr), epochs, batch, weight_decay,
                  rngs[-1])
    out = {"lr": lr, "tuning_holdout_error": dict(zip(map(str, LEARNING_RATES[solver]), tuning)),
           "train_loss": list(r.epoch_loss), "diverged": r.diverged,
           "negative_fraction": negative_fraction(r.W, d.X["fit"]),
           "seconds": time.perf_counter() - start}
    out.update({f"{k}_error": (1.0 if r.diverged else _error(r.W, d.X[k], d.y[k]))
                for k in ("fit", "holdout", "test")})
    return out


def run_ridge(dataset: str, hidden: str, replicate: int) -> dict[str, Any]:
    """The linear control: a ridge least-squares classifier on the raw pixels (with a bias), one-hot
    targets, the penalty chosen by holdout error from :data:`RIDGE_PENALTIES` (times M)."""
    d = _prepare(dataset, hidden, replicate)
    H = {k: np.vstack([x, np.ones((1, x.shape[1]))]) for k, x in d.X.items()}
    M = H["fit"].shape[1]
    gram, rhs = H["fit"] @ H["fit"].T, H["fit"] @ data.one_hot(d.y["fit"]).T
    best: dict[str, Any] = {}
    for lam in RIDGE_PENALTIES:
        W = np.linalg.solve(gram + lam * M * np.eye(gram.shape[0]), rhs).T
        errs = {f"{k}_error": float(np.mean(np.argmax(W @ h, axis=0) != d.y[k])) for k, h in H.items()}
        if not best or errs["holdout_error"] < best["holdout_error"]:
            best = {**errs, "penalty_per_sample": lam}
    return best


def run_three_split(dataset: str, hidden: str, replicate: int, seed: int, sweeps: int,
                    checkpoints: tuple[int, ...], cfg: ThreeSplitConfig) -> dict[str, Any]:
    """The independent lifted reference: proximal BCD on the three-splitting, from the same He
    initialisation as the Tikhonov BCD; forward-pass errors at ``checkpoints``. ``cfg.lam`` is the
    weight decay per sample (multiplied by M, as the objective sums over samples)."""
    d = _prepare(dataset, hidden, replicate)
    cfg = replace(cfg, lam=cfg.lam * d.X["fit"].shape[1])
    W0 = sgd.init_weights(d.widths, np.random.default_rng(seed), "he", bias=True)
    seen: list[dict[str, float]] = []
    marks = set(checkpoints)

    def observe(t: int, s) -> None:
        if t in marks:
            seen.append({k: _error(s.W, d.X[k], d.y[k]) for k in ("fit", "holdout", "test")})

    values, final = three_split_bcd(d.X["fit"], data.one_hot(d.y["fit"]), W0, cfg, sweeps, observe)
    M = d.X["fit"].shape[1]
    return {"checkpoints": [t for t in sorted(marks) if t <= sweeps],
            **{f"{k}_error": [e[k] for e in seen] for k in ("fit", "holdout", "test")},
            "objective_per_sample": [v / M for v in values],
            "monotone": all(b <= a * (1 + 1e-12) for a, b in zip(values, values[1:])),
            "negative_fraction": negative_fraction(final.W, d.X["fit"]), "config": asdict(cfg)}


def paired_difference(a: dict[int, float], b: dict[int, float]) -> tuple[float, float, int]:
    """Mean and standard error of a - b over the replicates both have (paired by split)."""
    common = sorted(set(a) & set(b))
    diffs = [a[k] - b[k] for k in common]
    mean = statistics.fmean(diffs) if diffs else math.nan
    sem = statistics.stdev(diffs) / math.sqrt(len(diffs)) if len(diffs) > 1 else math.inf
    return mean, sem, len(common)
