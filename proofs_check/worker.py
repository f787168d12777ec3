"""What a worker process (local pool or Dask) does with one run.

Kept free of heavy imports at module level: with the ``spawn`` start method the
worker imports this module, and :func:`init_worker` must pin the native thread
pools to one thread before NumPy, SciPy or Numba are first imported, so that a
run computes the same bits whatever the number of workers.
"""

from __future__ import annotations

import os
import time
import traceback
from collections.abc import Callable, Mapping
from typing import Any

from proofs_check.claim import RunFailed

_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS")


def init_worker() -> None:
    """Initializer of pool workers: one native thread per process (workers are the parallelism)."""
    for var in _THREAD_VARS:
        os.environ[var] = "1"
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # the environment variables above still cover fresh imports
        return
    threadpool_limits(limits=1)


def describe_exception(exc: BaseException) -> str:
    """``Type: message (at file:line in function)``, one line, innermost frame."""
    message = " ".join(str(exc).split()) or "(no message)"
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" (at {os.path.basename(frames[-1].filename)}:{frames[-1].lineno} in {frames[-1].name})" if frames else ""
    return f"{type(exc).__name__}: {message}{where}"


def execute(run: Callable[[Mapping[str, Any], int], Mapping[str, Any]],
            params: Mapping[str, Any], seed: int) -> dict[str, Any]:
    """Call ``run(params, seed)``; return ``{"status", "value", "error", "seconds"}``.

    Exceptions are caught and described, never raised, so that one failing run
    cannot stop the sweep; ``RunFailed.status`` distinguishes divergence.
    """
    from proofs_check.judging import jsonable

    start = time.perf_counter()
    try:
        value = run(params, seed)
        if not isinstance(value, Mapping):
            raise TypeError(f"run() must return a mapping, got {type(value).__name__}")
        out = {"status": "ok", "value": jsonable(value), "error": None}
    except RunFailed as exc:
        out = {"status": exc.status, "value": {}, "error": describe_exception(exc)}
    except Exception as exc:  # a failing run is data for the verdict, not a crash of the sweep
        out = {"status": "error", "value": {}, "error": describe_exception(exc)}
    out["seconds"] = time.perf_counter() - start
    return out
