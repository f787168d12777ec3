r"""Many independent gradient-descent runs of one network shape, advanced in one call.

Run :math:`b` is GD :math:`F^{(b)}_k \leftarrow F^{(b)}_k - \eta_b \nabla_{F_k}\ell_b` on its
own factors and target, with the stopping rules of :func:`lintheory.train.gd`; each run stops
on its own (its iteration count is exact and its factors are those at that iteration).

Implementation choice: the runs are done one after another inside one compiled loop
(:func:`lintheory.kernels.run_batch`) that shares the work buffers.  For the small widths the
claims use this beats advancing all runs in lock-step with batched NumPy products
(``np.matmul`` over a leading batch axis): a batched product of tiny matrices costs
microseconds of call overhead per factor and per step, finished runs keep paying for the
unfinished ones, and per-run stopping needs masking; the compiled loop pays none of that.
``benchmarks/README.md`` records the measured comparison.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from lintheory.kernels import BatchedResult, check_eta, run_batch

__all__ = ["BatchedResult", "gd_batched"]


def gd_batched(
    factors: Sequence[np.ndarray],
    target: np.ndarray,
    eta: float | Sequence[float] | np.ndarray,
    *,
    trainable: Sequence[bool] | None = None,
    X: np.ndarray | None = None,
    eps: float | None,
    max_iter: int,
    diverge_factor: float = 1e8,
    stall_window: int | None = None,
    stall_rtol: float = 0.0,
    history: int = 1000,
) -> BatchedResult:
    r"""``B`` independent GD runs: ``factors[k]`` is ``B x n_k x n_{k-1}``.

    ``target`` is ``B x n_K x n_0`` (:math:`\Phi_b`, whitened loss
    :math:`\frac12\|E_b - \Phi_b\|_F^2`) or, with ``X`` (``B x n_0 x m``), ``B x n_K x m``
    (data loss :math:`\frac{1}{2m}\|E_b X_b - Y_b\|_F^2`).  ``eta`` is one step for all runs
    or one per run (shape ``(B,)``).  ``trainable`` flags the factors (shared by all runs);
    the stopping arguments are those of :func:`lintheory.kernels.gd_float64`.
    """
    etas = check_eta(eta, 1, "a number or a 1-D array with one step size per run")
    return run_batch(factors, trainable, target, X, etas, eps=eps, max_iter=max_iter, diverge_factor=diverge_factor,
                     stall_window=stall_window, stall_rtol=stall_rtol, history=history)
