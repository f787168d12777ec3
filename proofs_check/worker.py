"""What a worker process (local pool or Dask) does with one run.

Kept free of heavy imports at module level: with the ``spawn`` start method the
worker imports this module, and :func:`init_worker` must pin the native thread
pools to one thread before NumPy, SciPy or Numba are first imported, so that a
run computes the same bits whatever the number of workers.

A pool worker never outlives the process that started it: on Linux the kernel
kills it when its parent dies (``PR_SET_PDEATHSIG``), and everywhere a daemon
thread ends it once its parent process is gone (it has been re-parented), so a
``kill -9`` of ``proofs-check`` leaves no idle workers behind.
"""

from __future__ import annotations

import ctypes
import os
import pickle
import signal
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable, Mapping
from typing import Any

from proofs_check.claim import RunFailed

_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS")
_PR_SET_PDEATHSIG = 1
_WATCH_EVERY = 0.5  # seconds between checks that the parent is alive
_STARTUP_LIMIT = 120.0  # seconds a Dask run's child process may take to import the run before it starts

Run = Callable[[Mapping[str, Any], int], Mapping[str, Any]]

# Set once per pool worker by init_worker (a worker process serves one pool): where the
# worker announces which run it starts, so that the parent can time it out.
_started: Any = None


def pin_threads() -> None:
    """One native thread per process (workers are the parallelism)."""
    for var in _THREAD_VARS:
        os.environ[var] = "1"
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # the environment variables above still cover fresh imports
        return
    threadpool_limits(limits=1)


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(_WATCH_EVERY)
    os._exit(1)


def die_with_parent(parent: int) -> None:
    """End this process as soon as process ``parent`` (its parent) dies, however it dies."""
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):  # no prctl: the watcher thread below still ends us
            pass
    if os.getppid() != parent:  # the parent died before the signal was armed
        os._exit(1)
    threading.Thread(target=_watch_parent, args=(parent,), name="parent-watch", daemon=True).start()


def init_worker(parent: int | None = None, started: Any = None) -> None:
    """Initializer of pool workers: pinned threads, tied to the life of ``parent``; ``started``
    (a queue) receives ``(token, pid, monotonic time)`` as each run starts."""
    global _started
    pin_threads()
    if parent is not None:
        die_with_parent(parent)
    _started = started


def describe_exception(exc: BaseException) -> str:
    """``Type: message (at file:line in function)``, one line, innermost frame."""
    message = " ".join(str(exc).split()) or "(no message)"
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" (at {os.path.basename(frames[-1].filename)}:{frames[-1].lineno} in {frames[-1].name})" if frames else ""
    return f"{type(exc).__name__}: {message}{where}"


def timed_out(limit: float, seconds: float) -> dict[str, Any]:
    """The record of a run stopped at its time limit."""
    return {"status": "timeout", "value": {}, "seconds": seconds,
            "error": f"the run took longer than its time limit of {limit:g} s and was stopped"}


def execute(run: Run, params: Mapping[str, Any], seed: int, token: Any = None) -> dict[str, Any]:
    """Call ``run(params, seed)``; return ``{"status", "value", "error", "seconds"}``.

    Exceptions are caught and described, never raised, so that one failing run
    cannot stop the sweep; ``RunFailed.status`` distinguishes divergence.
    """
    from proofs_check.judging import jsonable

    start = time.perf_counter()
    if token is not None and _started is not None:
        _started.put((token, os.getpid(), time.monotonic()))
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


def execute_limited(run: Run, params: Mapping[str, Any], seed: int, limit: float | None) -> dict[str, Any]:
    """:func:`execute` for a Dask task: one native thread, and at most ``limit`` seconds.

    A thread cannot be stopped, so a limited run goes to a child process of the
    Dask worker, killed at the limit (the clock starts when the child starts
    the run, not while it imports).
    """
    if limit is None:
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1):
            return execute(run, params, seed)
    payload = pickle.dumps((run, dict(params), seed))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p), **{v: "1" for v in _THREAD_VARS}}
    proc = subprocess.Popen([sys.executable, "-m", "proofs_check.worker", str(os.getpid())], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    assert proc.stdin is not None and proc.stdout is not None
    try:
        proc.stdin.write(payload)
        proc.stdin.close()
        ready = _read_within(proc.stdout, 1, _STARTUP_LIMIT)
        start = time.perf_counter()
        if ready != b"S":
            problem = "exited before starting the run (it could not import it?)" if ready == b"" else \
                f"did not start the run within {_STARTUP_LIMIT:g} s"
            return {"status": "error", "value": {}, "seconds": 0.0, "error": f"the run's child process {problem}"}
        data = _read_within(proc.stdout, None, limit)
        if data is None:
            return timed_out(limit, time.perf_counter() - start)
        return pickle.loads(data) if data else {
            "status": "error", "value": {}, "seconds": time.perf_counter() - start,
            "error": "the worker process died while computing this run (killed, out of memory, or a crash)"}
    finally:
        proc.kill()
        proc.wait()
        proc.stdout.close()


def _read_within(stream: Any, size: int | None, seconds: float) -> bytes | None:
    """``size`` bytes (or everything up to EOF) of ``stream`` if they come within ``seconds``; else None."""
    box: list[bytes] = []
    reader = threading.Thread(target=lambda: box.append(stream.read(size) if size else stream.read()), daemon=True)
    reader.start()
    reader.join(seconds)
    return box[0] if box else None


def _child_main(parent: int) -> None:
    """``python -m proofs_check.worker PARENT``: one run from stdin, its record to stdout."""
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(os.open(os.devnull, os.O_WRONLY), 1)  # whatever the run prints must not corrupt the record
    init_worker(parent)
    run, params, seed = pickle.load(sys.stdin.buffer)
    out.write(b"S")
    out.flush()
    out.write(pickle.dumps(execute(run, params, seed)))
    out.close()


if __name__ == "__main__":
    _child_main(int(sys.argv[1]))
