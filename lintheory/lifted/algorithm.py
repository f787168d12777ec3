"""Block coordinate descent on the lifted objective (ZB-2): reconstructed Algorithm 1.

One sweep updates, in Gauss-Seidel order, the lifted blocks :math:`U_1, .., U_K` and then
the weights :math:`W_1, .., W_N`. Each block update minimises :math:`F` plus the proximal
term :math:`\\tfrac\\eta2\\lVert Z - Z^{t-1}\\rVert_F^2` over that block:

* hidden :math:`U_n` (ZB-5): the NNLS QP with
  :math:`A = (\\gamma_n+\\eta)I + c\\,\\bar W_{n+1}^T\\bar W_{n+1}`,
  :math:`B = \\gamma_n W_nH_n + c\\,\\bar W_{n+1}^T(T_{n+1} - b_{n+1}\\mathbf 1^T) + \\eta U_n^{t-1}`,
  where :math:`(c, T_{n+1}) = (\\gamma_{n+1}, U_{n+1})`, or :math:`(1, Y)` when the
  output is not lifted and :math:`n = N-1`;
* lifted output :math:`U_N` (ZB-6): closed form per entry (squared loss:
  :math:`(Y + \\gamma_N W_NH_N + \\eta U_N^{t-1})/(1+\\gamma_N+\\eta)`), then
  :math:`\\max(0,\\cdot)` for the ``"relu"`` output (exact: the problem is separable);
* :math:`W_n` (ZB-7): the ridge regression
  :math:`W_n = (c\\,T_nH_n^T + \\eta W_n^{t-1})(c\\,H_nH_n^T + (\\lambda_n+\\eta)I)^{-1}`.

With :math:`\\eta > 0` every update gives :math:`F^{old} - F^{new} \\ge \\tfrac\\eta2\\lVert\\Delta\\rVert^2`
(L1), also for inexact NNLS started from :math:`U_n^{t-1}`, since the inner solvers
never increase the proximal block objective.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.linalg

from lintheory.lifted import nnls
from lintheory.lifted.model import LiftedConfig, LiftedState, layer_input, objective

__all__ = ["BCDTrace", "BlockEvent", "SweepRecord", "bcd", "sweep", "sweep_flop_terms", "sweep_flops",
           "next_target", "u_hidden_qp", "update_output", "update_u_hidden", "update_w"]

ConfigOrSchedule = LiftedConfig | Callable[[int], LiftedConfig]
ORDERS: tuple[str, ...] = ("forward", "backward")


@dataclass(frozen=True)
class BlockEvent:
    """One block update inside sweep ``sweep`` (1-based): F before and after, squared step."""

    sweep: int
    block: str
    F_before: float
    F_after: float
    step_sq: float
    inner_iterations: int


@dataclass(frozen=True)
class SweepRecord:
    """After sweep ``sweep``: :math:`F(x^t)`, :math:`\\lVert x^t - x^{t-1}\\rVert`, optional KKT residual."""

    sweep: int
    F: float
    step: float
    kkt: float | None
    observed: Mapping[str, Any]


@dataclass(frozen=True)
class BCDTrace:
    F0: float
    records: tuple[SweepRecord, ...]

    def column(self, name: str) -> list[Any]:
        return [getattr(r, name) for r in self.records]


def next_target(n: int, Y: np.ndarray, state: LiftedState, cfg: LiftedConfig) -> tuple[float, np.ndarray]:
    """(weight, target) of the term in which layer n+1 (0-based index n+1) consumes U_{n+1}."""
    if n + 1 < cfg.lifted_layers:
        return cfg.gamma[n + 1], state.U[n + 1]
    return 1.0, Y


def update_w(n: int, H: np.ndarray, Y: np.ndarray, state: LiftedState, cfg: LiftedConfig,
             gram: np.ndarray | None = None) -> np.ndarray:
    """(ZB-7) for ``W[n]`` (0-based) given its input ``H``; ``gram`` = :math:`HH^T` if cached."""
    c, T = (cfg.gamma[n], state.U[n]) if n < cfg.lifted_layers else (1.0, Y)
    G = H @ H.T if gram is None else gram
    lhs = c * G + (cfg.lam[n] + cfg.eta) * np.eye(G.shape[0])
    rhs = c * (H @ T.T) + cfg.eta * state.W[n].T
    return scipy.linalg.solve(lhs, rhs, assume_a="pos").T


def u_hidden_qp(n: int, H: np.ndarray, Y: np.ndarray, state: LiftedState,
                cfg: LiftedConfig) -> tuple[np.ndarray, np.ndarray]:
    """The QP data (A, B) of (ZB-5) for the hidden block ``U[n]`` (0-based, so :math:`U_{n+1}`)."""
    c, T = next_target(n, Y, state, cfg)
    W_next = state.W[n + 1]
    Wa = W_next[:, :W_next.shape[1] - int(cfg.bias)]
    if cfg.bias:
        T = T - W_next[:, -1:]
    A = c * (Wa.T @ Wa)
    A[np.diag_indices_from(A)] += cfg.gamma[n] + cfg.eta
    B = cfg.gamma[n] * (state.W[n] @ H) + c * (Wa.T @ T) + cfg.eta * state.U[n]
    return A, B


def update_u_hidden(n: int, H: np.ndarray, Y: np.ndarray, state: LiftedState, cfg: LiftedConfig,
                    inner: nnls.NNLSConfig) -> nnls.NNLSResult:
    """(ZB-5) for the hidden block ``U[n]`` given its input ``H``, warm-started at ``U[n]``."""
    A, B = u_hidden_qp(n, H, Y, state, cfg)
    return nnls.solve(A, B, state.U[n], inner)


def update_output(H: np.ndarray, Y: np.ndarray, state: LiftedState, cfg: LiftedConfig) -> np.ndarray:
    """(ZB-6): the lifted output :math:`U_N`, exact per entry for both losses."""
    g, eta = cfg.gamma[-1], cfg.eta
    V = state.W[-1] @ H
    if cfg.loss == "squared":
        U = (Y + g * V + eta * state.U[-1]) / (1.0 + g + eta)
    else:
        # min 1/2 max(0, 1 - y u)^2 + kappa/2 (u - c)^2: c itself if y c >= 1, else the
        # stationary point of the active quadratic.
        kappa = g + eta
        C = (g * V + eta * state.U[-1]) / kappa
        Yt = 2.0 * Y - 1.0
        U = np.where(Yt * C >= 1.0, C, (kappa * C + Yt) / (kappa + 1.0))
    return np.maximum(U, 0.0) if cfg.output == "relu" else U


def _sq(a: np.ndarray, b: np.ndarray) -> float:
    d = a - b
    return float(np.sum(d * d))


def sweep(X: np.ndarray, Y: np.ndarray, state: LiftedState, cfg: LiftedConfig,
          inner: nnls.NNLSConfig = nnls.NNLSConfig(), *, t: int = 1,
          on_block: Callable[[BlockEvent], None] | None = None,
          input_gram: np.ndarray | None = None, order: str = "forward") -> LiftedState:
    """One Gauss-Seidel sweep; ``on_block`` sees every update.

    ``order="forward"``: :math:`U_1, .., U_K`, then :math:`W_1, .., W_N`. ``order="backward"``:
    layer by layer from the top, :math:`U_n` then :math:`W_n` for n = N..1, so that the targets
    reach every layer within one sweep. ``input_gram`` caches :math:`H_1H_1^T` (fixed, since
    :math:`H_1` is built from X).
    """
    if order not in ORDERS:
        raise ValueError(f"order must be one of {ORDERS}, got {order!r}")
    F = objective(X, Y, state, cfg) if on_block is not None else float("nan")

    def record(name: str, old: np.ndarray, new: np.ndarray, state: LiftedState, iters: int) -> None:
        nonlocal F
        if on_block is not None:
            F_new = objective(X, Y, state, cfg)
            on_block(BlockEvent(t, name, F, F_new, _sq(new, old), iters))
            F = F_new

    def update_u(n: int, state: LiftedState) -> LiftedState:
        H = layer_input(X if n == 0 else state.U[n - 1], cfg.bias)
        if n < cfg.layers - 1:
            res = update_u_hidden(n, H, Y, state, cfg, inner)
            U_new, iters = res.U, res.iterations
        else:
            U_new, iters = update_output(H, Y, state, cfg), 0
        old, state = state.U[n], state.replace(U=state.U[:n] + (U_new,) + state.U[n + 1:])
        record(f"U{n + 1}", old, U_new, state, iters)
        return state

    def update_weights(n: int, state: LiftedState) -> LiftedState:
        H = layer_input(X if n == 0 else state.U[n - 1], cfg.bias)
        W_new = update_w(n, H, Y, state, cfg, input_gram if n == 0 else None)
        old, state = state.W[n], state.replace(W=state.W[:n] + (W_new,) + state.W[n + 1:])
        record(f"W{n + 1}", old, W_new, state, 0)
        return state

    if order == "forward":
        for n in range(cfg.lifted_layers):
            state = update_u(n, state)
        for n in range(cfg.layers):
            state = update_weights(n, state)
    else:
        for n in range(cfg.layers - 1, -1, -1):
            if n < cfg.lifted_layers:
                state = update_u(n, state)
            state = update_weights(n, state)
    return state


def bcd(X: np.ndarray, Y: np.ndarray, state: LiftedState, cfg: ConfigOrSchedule, sweeps: int,
        inner: nnls.NNLSConfig = nnls.NNLSConfig(), *,
        on_block: Callable[[BlockEvent], None] | None = None,
        observers: Mapping[str, Callable[[int, LiftedState], Any]] | None = None,
        kkt: Callable[[LiftedState, LiftedConfig], float] | None = None,
        order: str = "forward") -> tuple[BCDTrace, LiftedState]:
    """Run ``sweeps`` BCD sweeps from ``state``.

    ``cfg`` is a fixed :class:`LiftedConfig` or a schedule ``t -> LiftedConfig`` (t = 1..sweeps;
    F is then only monotone within stretches of equal config). ``observers`` are called after
    every sweep with ``(t, state)``; ``kkt(state, cfg)`` (e.g. a partial of
    :func:`~lintheory.lifted.model.kkt_residual`) is recorded when given; ``order`` as in :func:`sweep`.
    """
    if not (isinstance(sweeps, int) and sweeps >= 0):
        raise ValueError(f"sweeps must be a non-negative integer, got {sweeps!r}")
    schedule = cfg if callable(cfg) else (lambda t: cfg)
    first = schedule(1)
    if not isinstance(first, LiftedConfig):
        raise ValueError("cfg must be a LiftedConfig or a callable t -> LiftedConfig")
    H0 = layer_input(X, first.bias)
    gram = H0 @ H0.T
    F0 = objective(X, Y, state, first)
    records = []
    for t in range(1, sweeps + 1):
        c = schedule(t)
        new = sweep(X, Y, state, c, inner, t=t, on_block=on_block, input_gram=gram, order=order)
        step = float(np.sqrt(sum(_sq(a, b) for a, b in zip(new.blocks(), state.blocks()))))
        state = new
        seen = {k: f(t, state) for k, f in (observers or {}).items()}
        records.append(SweepRecord(t, objective(X, Y, state, c), step,
                                   None if kkt is None else float(kkt(state, c)), seen))
    return BCDTrace(F0, tuple(records)), state


def sweep_flop_terms(widths: tuple[int, ...] | list[int], M: int, inner_iterations: int | Sequence[int],
                     cfg: LiftedConfig) -> tuple[float, float]:
    """Floating-point operations of one :func:`sweep` plus the objective it records, as
    ``(M-free part, part proportional to M)`` (an operation count of the executed updates).

    ``inner_iterations`` is the number of NNLS iterations, one count for every hidden block or
    one per hidden block (as recorded by :class:`BlockEvent`). With :math:`e_n = d_{n-1} +
    [\\text{bias}]` and multiply-adds counted as 2: hidden :math:`U_n` costs
    :math:`2M d_n(e_n + d_{n+1}) + 2T_nMd_n^2` plus the M-free :math:`2d_{n+1}d_n^2 + \\tfrac43 d_n^3`
    (Hessian, top eigenvalue); the lifted output :math:`2Md_Ne_N`; :math:`W_n` costs
    :math:`2Me_n^2` (Gram, cached for n = 1) + :math:`2Me_nd_n` + :math:`\\tfrac13e_n^3 + 2e_n^2d_n`
    (Cholesky solve); the objective :math:`2M\\sum_n d_ne_n`.
    """
    if len(widths) != cfg.layers + 1:
        raise ValueError(f"widths must have N + 1 = {cfg.layers + 1} entries, got {len(widths)}")
    iters = [inner_iterations] * (cfg.layers - 1) if isinstance(inner_iterations, int) else list(inner_iterations)
    if not (M >= 1 and len(iters) == cfg.layers - 1 and all(i >= 0 for i in iters)):
        raise ValueError(f"M must be >= 1 and inner_iterations >= 0 (one count or one per hidden block, "
                         f"{cfg.layers - 1}), got {M}, {inner_iterations}")
    d, b, N = list(widths), int(cfg.bias), cfg.layers
    e = [d[n - 1] + b for n in range(1, N + 1)]
    fixed = per_sample = 0.0
    for n in range(1, N + 1):
        dn, en = d[n], e[n - 1]
        if n < N:
            dnext = d[n + 1]
            per_sample += 2.0 * dn * (en + dnext) + 2.0 * iters[n - 1] * dn * dn
            fixed += 2.0 * dnext * dn * dn + 4.0 / 3.0 * dn ** 3
        elif cfg.output != "none":
            per_sample += 2.0 * dn * en
        per_sample += (2.0 * en * en if n > 1 else 0.0) + 2.0 * en * dn + 2.0 * dn * en
        fixed += en ** 3 / 3.0 + 2.0 * en * en * dn
    return fixed, per_sample * M


def sweep_flops(widths: tuple[int, ...] | list[int], M: int, inner_iterations: int | Sequence[int],
                cfg: LiftedConfig) -> float:
    """Total floating-point operations of one sweep (:func:`sweep_flop_terms` summed): linear in M
    with an M-free offset when the inner iteration counts do not depend on M."""
    return sum(sweep_flop_terms(widths, M, inner_iterations, cfg))
