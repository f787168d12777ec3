"""Speed of lintheory's GD engines against a plain PyTorch CPU autograd loop.

Run from the repository root::

    python benchmarks/bench_engine.py            # full table (about two minutes)
    python benchmarks/bench_engine.py --quick    # fewer steps and repeats

Every case runs the same gradient-descent steps (deep linear network of depth L and width d,
whitened loss 1/2 ||W_L ... W_1 - Phi||_F^2, constant step, the stopping check every step)
through

* ``fast``    — :func:`lintheory.kernels.gd_float64` (compiled float64 kernel),
* ``generic`` — :func:`lintheory.train.gd` on the float64 arithmetic (the reference trainer),
* ``torch``   — a PyTorch CPU autograd loop in float64 (``pip install torch``; the ``bench`` extra),

and reports steps per second, the best of a few repeats (the machine may be shared, so the
best repeat is the one least disturbed).  PyTorch is given the same number of threads as
NumPy's BLAS.  The final losses of the three are checked to agree, so the engines are timed
doing the same work.  Further tables: the fraction of the machine's own matrix-product rate
reached at d = 256; Arb balls at 200 bits against mpmath at 60 digits on the same steps; and
many small runs, batched, against NumPy products over a batch axis.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import sys
import time
from collections.abc import Callable

import numpy as np
import scipy.linalg.cython_blas  # noqa: F401  (the BLAS numba's np.dot calls: loaded now so thread limits reach it)
from tabulate import tabulate

from lintheory.arith import arithmetic
from lintheory.batched import gd_batched
from lintheory.kernels import gd_float64
from lintheory.nets import Problem, deep_linear
from lintheory.train import Stop, gd

try:
    import torch
except ImportError:  # torch is optional (the ``bench`` extra)
    torch = None

try:
    from threadpoolctl import threadpool_info, threadpool_limits
except ImportError:
    threadpool_info = threadpool_limits = None


def blas_threads() -> int:
    """Threads NumPy's BLAS uses (all cores when it cannot be asked)."""
    if threadpool_info is not None:
        counts = [info["num_threads"] for info in threadpool_info() if info.get("user_api") == "blas"]
        if counts:
            return max(counts)
    return os.cpu_count() or 1


def ratio(x: float) -> str:
    return "-" if not math.isfinite(x) else (f"{x:.0f}x" if x >= 10 else f"{x:.2f}x")


def best_time(fn: Callable[[], object], repeats: int) -> float:
    """Wall-clock seconds of the fastest of ``repeats`` calls (one untimed warm-up first)."""
    fn()
    best = math.inf
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def problem(d: int, L: int, seed: int = 0) -> tuple[list[np.ndarray], np.ndarray]:
    """Near-identity factors and a near-identity target: GD neither converges nor diverges
    within the timed steps."""
    rng = np.random.default_rng(seed)
    factors = [np.eye(d) + 0.01 / math.sqrt(d) * rng.standard_normal((d, d)) for _ in range(L)]
    return factors, np.eye(d) + 0.1 / math.sqrt(d) * rng.standard_normal((d, d))


def run_fast(factors, Phi, eta, steps):
    return gd_float64(factors, None, Phi, eta, eps=None, max_iter=steps).loss


def run_generic(factors, Phi, eta, steps, ar="float64"):
    traj, _ = gd(deep_linear(factors, ar), Problem.whitened(Phi, ar), eta, Stop(eps=None, max_iter=steps), compiled=False)
    return arithmetic(ar).to_float(traj.loss)


def run_torch(factors, Phi, eta, steps):
    """The same GD in PyTorch autograd: forward product, backward, in-place update."""
    Ws = [torch.tensor(F, dtype=torch.float64, requires_grad=True) for F in factors]
    target = torch.tensor(Phi, dtype=torch.float64)
    for _ in range(steps + 1):
        E = Ws[0]
        for W in Ws[1:]:
            E = W @ E
        loss = 0.5 * ((E - target) ** 2).sum()
        value = loss.item()
        if not math.isfinite(value):
            break
        if _ == steps:
            break
        loss.backward()
        with torch.no_grad():
            for W in Ws:
                W -= eta * W.grad
                W.grad = None
    return value


def matmul_gflops(d: int, repeats: int) -> float:
    """The machine's float64 matrix-product rate through NumPy: 2 d^3 flops per product."""
    rng = np.random.default_rng(1)
    A, B, out = rng.standard_normal((d, d)), rng.standard_normal((d, d)), np.empty((d, d))
    inner = 10

    def products():
        for _ in range(inner):
            np.matmul(A, B, out=out)

    return inner * 2 * d**3 / best_time(products, repeats) / 1e9


def single_run_table(cases, peak):
    rows = []
    for d, L, eta, steps_fast, steps_slow, repeats in cases:
        factors, Phi = problem(d, L)
        t_fast = best_time(lambda: run_fast(factors, Phi, eta, steps_fast), repeats) / steps_fast
        t_gen = best_time(lambda: run_generic(factors, Phi, eta, steps_slow), repeats) / steps_slow
        losses = [run_fast(factors, Phi, eta, steps_slow), run_generic(factors, Phi, eta, steps_slow)]
        t_torch = math.nan
        if torch is not None:
            t_torch = best_time(lambda: run_torch(factors, Phi, eta, steps_slow), repeats) / steps_slow
            losses.append(run_torch(factors, Phi, eta, steps_slow))
        # ||E - Phi||_F = sqrt(2 loss) is 1-Lipschitz in E, so it agrees to round-off in E even
        # where the loss itself has converged to ~1e-19 and agrees only in absolute terms.
        residuals = [math.sqrt(2 * x) for x in losses]
        agree = max(abs(r - residuals[0]) for r in residuals) <= 1e-9 * max(1.0, float(np.linalg.norm(Phi)))
        # Products per step in the kernel: L-1 prefixes, L-1 back-propagated B_k, L gradients;
        # the brief's nominal count (generic prefix/suffix algorithm) is 4L-2.
        flops_done, flops_nominal = (3 * L - 2) * 2 * d**3, (4 * L - 2) * 2 * d**3
        rows.append([
            f"d={d}, L={L}", f"{1 / t_fast:,.0f}", f"{1 / t_gen:,.0f}",
            "-" if torch is None else f"{1 / t_torch:,.0f}",
            ratio(t_torch / t_fast), ratio(t_gen / t_fast),
            f"{flops_done / t_fast / 1e9:.1f} ({100 * flops_done / t_fast / 1e9 / peak:.0f}%)",
            f"{flops_nominal / t_fast / 1e9:.1f}",
            "yes" if agree else "NO",
        ])
    headers = ["case", "fast it/s", "generic it/s", "torch it/s", "fast/torch", "fast/generic",
               "fast GFLOP/s done (% of matmul)", "nominal GFLOP/s (4L-2)", "losses agree"]
    return tabulate(rows, headers=headers, tablefmt="github", disable_numparse=True)


def arb_table(cases, repeats):
    rows = []
    for d, L, steps in cases:
        factors, Phi = problem(d, L)
        eta = 1e-3
        t_arb = best_time(lambda: run_generic(factors, Phi, eta, steps, "arb:prec=200"), repeats) / steps
        t_mp = best_time(lambda: run_generic(factors, Phi, eta, steps, "mpmath:dps=60"), max(1, repeats - 1)) / steps
        rows.append([f"d={d}, L={L}", f"{1 / t_arb:,.1f}", f"{1 / t_mp:,.2f}", ratio(t_mp / t_arb)])
    return tabulate(rows, headers=["case", "arb:prec=200 it/s", "mpmath:dps=60 it/s", "arb/mpmath"],
                    tablefmt="github", disable_numparse=True)


def numpy_lockstep(factors, Phi, eta, steps):
    """B runs advanced together with products over the batch axis (no per-run stopping)."""
    Fs = [F.copy() for F in factors]
    for _ in range(steps):
        P = [Fs[0]]
        for F in Fs[1:]:
            P.append(np.matmul(F, P[-1]))
        Bk = P[-1] - Phi
        for k in range(len(Fs) - 1, -1, -1):
            below = np.matmul(Fs[k].transpose(0, 2, 1), Bk) if k else None
            Fs[k] -= eta * (Bk if k == 0 else np.matmul(Bk, P[k - 1].transpose(0, 2, 1)))
            Bk = below
    return Fs


def batched_table(cases, repeats):
    rows = []
    for B, d, L, steps in cases:
        rng = np.random.default_rng(2)
        factors = [np.eye(d) + 0.01 * rng.standard_normal((B, d, d)) for _ in range(L)]
        Phi = np.eye(d) + 0.1 * rng.standard_normal((B, d, d))
        t_b = best_time(lambda: gd_batched(factors, Phi, 1e-3, eps=None, max_iter=steps), repeats)
        t_np = best_time(lambda: numpy_lockstep(factors, Phi, 1e-3, steps), repeats)
        rows.append([f"B={B}, d={d}, L={L}", f"{B * steps / t_b:,.0f}", f"{B * steps / t_np:,.0f}",
                     ratio(t_np / t_b)])
    return tabulate(rows, headers=["case", "gd_batched run-steps/s", "NumPy lock-step run-steps/s", "ratio"],
                    tablefmt="github", disable_numparse=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer steps and repeats")
    parser.add_argument("--repeats", type=int, default=None, help="timed repeats per measurement (best kept)")
    parser.add_argument("--threads", type=int, default=None,
                        help="BLAS and torch threads (default: what NumPy's BLAS uses)")
    args = parser.parse_args(argv)
    if args.threads is not None:
        if threadpool_limits is None or args.threads < 1:
            parser.error("--threads needs threadpoolctl and a count >= 1")
        threadpool_limits(args.threads, user_api="blas")
    repeats = args.repeats or (2 if args.quick else 5)
    scale = 0.2 if args.quick else 1.0

    threads = blas_threads()
    if torch is not None:
        torch.set_num_threads(threads)
    print(f"python {platform.python_version()}, numpy {np.__version__}, "
          f"torch {torch.__version__ if torch is not None else 'not installed'}; "
          f"{os.cpu_count()} cores, BLAS threads {threads}, torch threads "
          f"{torch.get_num_threads() if torch is not None else '-'}, load average "
          f"{', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    if torch is None:
        print("PyTorch is not installed (pip install torch, the 'bench' extra): its column is left out.")
    start = time.perf_counter()
    gd_float64([np.eye(4)] * 2, None, np.eye(4), 0.1, eps=None, max_iter=1)
    print(f"first kernel call (compile, or load from numba's cache): {time.perf_counter() - start:.1f} s")

    # Many short repeats: on a shared machine the best short window is the undisturbed one.
    peak = matmul_gflops(256, 10 * repeats)
    print(f"\nNumPy 256x256 float64 matmul: {peak:.1f} GFLOP/s\n")
    n = lambda k: max(2, int(k * scale))  # noqa: E731
    print("Single runs (steps per second; fast/torch target >= 50x for small nets, >= 1x at d=256):")
    print(single_run_table([
        (4, 16, 1e-3, n(200_000), n(500), repeats),
        (2, 64, 1e-3, n(100_000), n(300), repeats),
        (256, 8, 1e-4, 5, 5, 6 * repeats),
    ], peak))
    print("\nHigh precision, the same GD steps through lintheory.train.gd (target arb/mpmath >= 30x):")
    print(arb_table([(4, 16, n(20)), (2, 64, n(10)), (16, 8, n(5))], max(2, repeats - 2)))
    print("\nMany independent small runs:")
    print(batched_table([(64, 4, 16, n(2000)), (256, 2, 32, n(1000))], repeats))
    return 0


if __name__ == "__main__":
    sys.exit(main())
