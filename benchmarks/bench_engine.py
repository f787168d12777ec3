"""Speed of lintheory's GD engines against JAX, PyTorch, NumPy and plain mpmath, in interleaved rounds.

Run from the repository root::

    python benchmarks/bench_engine.py            # every table, with the targets of issue 16
    python benchmarks/bench_engine.py --quick    # tiny sizes, two rounds: checks the script runs
    python benchmarks/bench_engine.py --sweep    # only the width sweep that sets the kernel's switches
    python benchmarks/bench_engine.py --only precision   # only the Arb / mpmath tables

Every case runs the same gradient-descent steps (deep linear network of depth L and width d,
whitened loss 1/2 ||W_L ... W_1 - Phi||_F^2, constant step, the loss evaluated every step)
through each contender.  The contenders take turns inside every round (the order rotates
from round to round) and the ratio lintheory/other is formed from the times *of the same
round*, so on a shared machine a ratio compares two runs a fraction of a second apart; the
table gives the median over the rounds of each ratio (and the median time per step).
Before timing, every contender runs the same steps once and their residuals
||E - Phi||_F must agree to 1e-9 ||Phi||_F.

Contenders: ``lintheory`` (:func:`lintheory.kernels.gd_float64`, batched:
:func:`lintheory.batched.gd_batched`), ``jax`` (``jit`` + ``lax.fori_loop``, ``vmap`` for the
batch), ``torch`` (autograd on CPU), ``numpy`` (the same back-propagation written with
``@``); for high precision, lintheory's generic trainer on ``arb:prec=200`` and
``mpmath:dps=60`` and a plain ``mpmath.matrix`` loop.  JAX and PyTorch are the ``bench``
extra; a contender that is not installed gets ``-``.  BLAS threads (NumPy's, the kernel's),
torch threads and XLA's threads are set together by ``--threads`` (XLA's only at start-up,
so the 2-thread d = 256 row runs in a child process).
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.linalg.cython_blas  # noqa: F401  (the BLAS numba's np.dot calls: loaded now so thread limits reach it)
from tabulate import tabulate
from threadpoolctl import threadpool_limits

from lintheory import kernels
from lintheory.arith import arithmetic
from lintheory.batched import gd_batched
from lintheory.kernels import gd_float64
from lintheory.nets import Problem, deep_linear
from lintheory.train import Stop, gd

Runner = Callable[[int], float]  # steps -> final loss


@dataclass(frozen=True)
class Target:
    other: str
    at_least: float


def products_per_step(L: int) -> int:
    """Matrix products of one kernel step on the whitened loss: L-1 prefixes, L-1
    back-propagated B_k (none below the lowest factor), L-1 gradients B_k P_{k-1}^T (the
    lowest factor's gradient is B_1 itself)."""
    return 3 * L - 3


def problem(d: int, L: int, seed: int = 0, batch: int | None = None) -> tuple[list[np.ndarray], np.ndarray]:
    """Near-identity factors and target: GD neither converges nor diverges in the timed steps."""
    rng = np.random.default_rng(seed)
    shape = (d, d) if batch is None else (batch, d, d)
    factors = [np.eye(d) + 0.01 / math.sqrt(d) * rng.standard_normal(shape) for _ in range(L)]
    return factors, np.eye(d) + 0.1 / math.sqrt(d) * rng.standard_normal(shape)


# ---------------------------------------------------------------------------------------------
# contenders: each builder returns a function steps -> final loss, or None when not installed
# ---------------------------------------------------------------------------------------------
def lintheory_single(factors, Phi, eta) -> Runner:
    return lambda steps: gd_float64(factors, None, Phi, eta, eps=None, max_iter=steps).loss


def lintheory_batch(factors, Phi, eta) -> Runner:
    return lambda steps: float(np.sum(gd_batched(factors, Phi, eta, eps=None, max_iter=steps).loss))


def numpy_gd(factors, Phi, eta) -> Runner:
    """The same back-propagation with NumPy ``@`` (over a leading batch axis when there is one)."""

    def run(steps: int) -> float:
        Fs = [F.copy() for F in factors]
        T = (lambda M: M.swapaxes(-1, -2))
        for t in range(steps + 1):
            P = [Fs[0]]
            for F in Fs[1:]:
                P.append(F @ P[-1])
            R = P[-1] - Phi
            loss = 0.5 * float(np.sum(R * R))
            if t == steps:
                return loss
            Bk = R
            for k in range(len(Fs) - 1, -1, -1):
                below = T(Fs[k]) @ Bk if k else None
                Fs[k] -= eta * (Bk if k == 0 else Bk @ T(P[k - 1]))
                Bk = below
        raise AssertionError("unreachable")

    return run


def torch_gd(factors, Phi, eta, threads: int) -> Runner | None:
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(threads)
    target = torch.tensor(Phi, dtype=torch.float64)

    def run(steps: int) -> float:
        Ws = [torch.tensor(F, dtype=torch.float64, requires_grad=True) for F in factors]
        for t in range(steps + 1):
            E = Ws[0]
            for W in Ws[1:]:
                E = W @ E
            loss = 0.5 * ((E - target) ** 2).sum()
            if t == steps:
                return float(loss.item())
            loss.backward()
            with torch.no_grad():
                for W in Ws:
                    W -= eta * W.grad
                    W.grad = None
        raise AssertionError("unreachable")

    return run


def jax_gd(factors, Phi, eta) -> Runner | None:
    try:
        import jax
        import jax.numpy as jnp
    except ImportError:
        return None
    jax.config.update("jax_enable_x64", True)
    batched = Phi.ndim == 3

    def loss(Ws, target):
        E = Ws[0]
        for W in Ws[1:]:
            E = W @ E
        return 0.5 * jnp.sum((E - target) ** 2)

    def one(Ws, target, steps):
        grad = jax.grad(loss)

        def body(_, Ws):
            g = grad(Ws, target)
            return tuple(W - eta * gW for W, gW in zip(Ws, g))

        return loss(jax.lax.fori_loop(0, steps, body, Ws), target)

    fn = jax.jit(jax.vmap(one, in_axes=(0, 0, None)) if batched else one)
    Ws0 = tuple(jnp.asarray(F) for F in factors)
    target = jnp.asarray(Phi)
    return lambda steps: float(jnp.sum(fn(Ws0, target, steps).block_until_ready()))


def generic(factors, Phi, eta, spec: str) -> Runner:
    ar = arithmetic(spec)
    net, prob = deep_linear(factors, ar), Problem.whitened(Phi, ar)
    return lambda steps: ar.to_float(gd(net, prob, eta, Stop(eps=None, max_iter=steps))[0].loss)


def mpmath_matrix_gd(factors, Phi, eta, dps: int = 60) -> Runner:
    """The same GD written directly on ``mpmath.matrix`` (a private context at ``dps``)."""
    import mpmath

    ctx = mpmath.MPContext()
    ctx.dps = dps
    Fs0 = [ctx.matrix(F.tolist()) for F in factors]
    target, step = ctx.matrix(Phi.tolist()), ctx.mpf(eta)

    def run(steps: int) -> float:
        Fs = list(Fs0)
        for t in range(steps + 1):
            P = [Fs[0]]
            for F in Fs[1:]:
                P.append(F * P[-1])
            R = P[-1] - target
            loss = sum(x * x for x in R) / 2
            if t == steps:
                return float(loss)
            Bk = R
            for k in range(len(Fs) - 1, -1, -1):
                below = Fs[k].T * Bk if k else None
                Fs[k] = Fs[k] - step * (Bk if k == 0 else Bk * P[k - 1].T)
                Bk = below
        raise AssertionError("unreachable")

    return run


# ---------------------------------------------------------------------------------------------
# interleaved rounds
# ---------------------------------------------------------------------------------------------
def interleaved(runners: dict[str, Runner], steps: dict[str, int], rounds: int) -> dict[str, list[float]]:
    """Seconds per step of each contender in each round; the order rotates every round."""
    names = list(runners)
    for name in names:
        runners[name](min(2, steps[name]))  # compile / warm up, untimed
    per_step: dict[str, list[float]] = {name: [] for name in names}
    for r in range(rounds):
        for name in names[r % len(names):] + names[:r % len(names)]:
            start = time.perf_counter()
            runners[name](steps[name])
            per_step[name].append((time.perf_counter() - start) / steps[name])
    return per_step


def median_ratio(per_step: dict[str, list[float]], other: str, lead: str = "lintheory") -> float:
    return statistics.median(o / t for o, t in zip(per_step[other], per_step[lead]))


def agree(runners: dict[str, Runner], steps: int, scale: float) -> bool:
    residuals = [math.sqrt(2 * max(fn(steps), 0.0)) for fn in runners.values()]
    return max(abs(r - residuals[0]) for r in residuals) <= 1e-9 * max(1.0, scale)


def fmt_ratio(x: float) -> str:
    return "-" if not math.isfinite(x) else (f"{x:.0f}x" if x >= 20 else f"{x:.2f}x")


def fmt_rate(seconds: float) -> str:
    return f"{1 / seconds:,.0f}" if 1 / seconds >= 100 else f"{1 / seconds:,.2f}"


@dataclass(frozen=True)
class Case:
    label: str
    runners: dict[str, Runner]
    steps: dict[str, int]
    check_steps: int
    scale: float
    flops_per_step: float = math.nan


def table(cases: list[Case], others: list[str], targets: dict[str, Target], rounds: int) -> tuple[str, list[str]]:
    """The rows (steps per second, median ratios) and the list of targets missed."""
    rows, missed = [], []
    for case in cases:
        present = {k: v for k, v in case.runners.items() if v is not None}
        ok = agree(present, case.check_steps, case.scale)
        per_step = interleaved(present, {k: case.steps[k] for k in present}, rounds)
        lead = statistics.median(per_step["lintheory"])
        row = [case.label, fmt_rate(lead)]
        row += ["-" if o not in per_step else fmt_rate(statistics.median(per_step[o])) for o in others]
        row += ["-" if o not in per_step else fmt_ratio(median_ratio(per_step, o)) for o in others]
        if math.isfinite(case.flops_per_step):
            row.append(f"{case.flops_per_step / lead / 1e9:.2f}")
        target = targets.get(case.label)
        if target is None:
            row.append("")
        elif target.other not in per_step:
            row.append(f">= {target.at_least:g}x {target.other}: not run")
            missed.append(f"{case.label}: {target.other} not installed")
        else:
            got = median_ratio(per_step, target.other)
            met = got >= target.at_least
            row.append(f">= {target.at_least:g}x {target.other}: {'met' if met else 'MISSED'}")
            if not met:
                missed.append(f"{case.label}: {fmt_ratio(got)} {target.other} (target {target.at_least:g}x)")
        row.append("yes" if ok else "NO")
        rows.append(row)
    headers = ["case", "lintheory it/s"] + [f"{o} it/s" for o in others] + [f"lintheory/{o}" for o in others]
    if any(math.isfinite(c.flops_per_step) for c in cases):
        headers.append("lintheory GFLOP/s")
    headers += ["target", "residuals agree"]
    return tabulate(rows, headers=headers, tablefmt="github", disable_numparse=True), missed


def float_contenders(factors, Phi, eta, threads: int) -> dict[str, Runner | None]:
    batched = Phi.ndim == 3
    return {
        "lintheory": (lintheory_batch if batched else lintheory_single)(factors, Phi, eta),
        "jax": jax_gd(factors, Phi, eta),
        "torch": torch_gd(factors, Phi, eta, threads),
        "numpy": numpy_gd(factors, Phi, eta),
    }


def float_case(d: int, L: int, eta: float, budget: float, threads: int, batch: int | None = None) -> Case:
    """Steps per contender sized so that one timed run does about ``budget`` multiply-adds
    in the kernel (the slow contenders get a tenth as many steps, and at least 2)."""
    factors, Phi = problem(d, L, batch=batch)
    madds = products_per_step(L) * d**3 * (batch or 1)
    fast = max(2, int(budget / madds))
    slow = max(2, fast // 10)
    label = f"d={d}, L={L}" if batch is None else f"{batch} runs, d={d}, L={L}"
    if d >= 128:
        label += f", {threads} thread{'s' if threads > 1 else ''}"
    steps = {"lintheory": fast, "jax": fast, "torch": slow, "numpy": slow}
    return Case(label, float_contenders(factors, Phi, eta, threads), steps, slow,
                float(np.linalg.norm(Phi)), 2.0 * madds)


def precision_cases(cfg: list[tuple[int, int, int]]) -> list[Case]:
    cases = []
    for d, L, steps in cfg:
        factors, Phi = problem(d, L)
        runners = {"lintheory": generic(factors, Phi, 1e-3, "arb:prec=200"),
                   "mpmath": generic(factors, Phi, 1e-3, "mpmath:dps=60")}
        cases.append(Case(f"d={d}, L={L}", runners, {"lintheory": steps, "mpmath": steps}, steps,
                          float(np.linalg.norm(Phi))))
    return cases


def mpmath_path_cases(cfg: list[tuple[int, int, int]]) -> list[Case]:
    cases = []
    for d, L, steps in cfg:
        factors, Phi = problem(d, L)
        runners = {"lintheory": generic(factors, Phi, 1e-3, "mpmath:dps=60"),
                   "mpmath.matrix": mpmath_matrix_gd(factors, Phi, 1e-3)}
        cases.append(Case(f"d={d}, L={L}", runners, {"lintheory": steps, "mpmath.matrix": steps}, steps,
                          float(np.linalg.norm(Phi))))
    return cases


# ---------------------------------------------------------------------------------------------
# the width sweep that sets SPECIALISE_MAX and _BLAS_MIN
# ---------------------------------------------------------------------------------------------
def sweep_table(widths: list[int], L: int, budget: float, rounds: int) -> str:
    """Per-step time of the kernel at each width, as shipped and with each path forced:
    ``specialised`` (zero-padded D x D, unrolled; d <= SPECIALISE_MAX only), ``loops``
    (run-time bounds, never BLAS) and ``blas`` (every product to BLAS)."""

    def forced(factors, Phi, specialise: int, blas_min: int) -> Runner:
        def run(steps: int) -> float:
            saved = kernels.SPECIALISE_MAX, kernels._BLAS_MIN
            kernels.SPECIALISE_MAX, kernels._BLAS_MIN = specialise, blas_min
            try:
                return gd_float64(factors, None, Phi, 1e-3, eps=None, max_iter=steps).loss
            finally:
                kernels.SPECIALISE_MAX, kernels._BLAS_MIN = saved
        return run

    rows, previous = [], 0.0
    for d in widths:
        factors, Phi = problem(d, L)
        runners = {"lintheory": lintheory_single(factors, Phi, 1e-3),
                   "loops": forced(factors, Phi, 0, 2**62), "blas": forced(factors, Phi, 0, 1)}
        if d <= kernels.SPECIALISE_MAX:
            runners["specialised"] = forced(factors, Phi, kernels.SPECIALISE_MAX, kernels._BLAS_MIN)
        steps = max(2, int(budget / (products_per_step(L) * d**3)))
        per_step = interleaved(runners, dict.fromkeys(runners, steps), rounds)
        med = {k: statistics.median(v) for k, v in per_step.items()}
        best = min(("specialised", "loops", "blas"), key=lambda k: med.get(k, math.inf))
        rows.append([d, f"{med['lintheory'] * 1e6:.2f}",
                     "-" if "specialised" not in med else f"{med['specialised'] * 1e6:.2f}",
                     f"{med['loops'] * 1e6:.2f}", f"{med['blas'] * 1e6:.2f}", best,
                     f"{2 * products_per_step(L) * d**3 / med['lintheory'] / 1e9:.2f}",
                     "yes" if med["lintheory"] >= previous else "no"])
        previous = med["lintheory"]
    return tabulate(rows, headers=["d", "shipped us/step", "specialised", "loops", "blas", "fastest",
                                   "GFLOP/s", "no faster than d before"], tablefmt="github", disable_numparse=True)


def float_tables(quick: bool, budget: float, threads: int, rounds: int) -> list[str]:
    """Print the float64 tables (single runs, d = 256 on 2 threads, batched runs); the targets missed."""
    others = ["jax", "torch", "numpy"]
    targets = {f"d={d}, L={L}": Target("jax", 5.0) for d, L in [(4, 16), (2, 64), (8, 8)]}
    targets.update({"d=32, L=8": Target("jax", 1.0), "d=256, L=8, 1 thread": Target("jax", 1.0),
                    "1000 runs, d=4, L=8": Target("jax", 3.0)})
    if quick:  # tiny sizes measure overheads, not the cases the targets are about
        targets = {}
        single = [float_case(2, 3, 1e-3, budget, threads), float_case(3, 2, 1e-3, budget, threads)]
        batch = [float_case(2, 3, 1e-3, budget, threads, batch=10)]
    else:
        single = [float_case(4, 16, 1e-3, budget, threads), float_case(2, 64, 1e-3, budget, threads),
                  float_case(8, 8, 1e-3, budget, threads), float_case(32, 8, 1e-4, budget, threads),
                  float_case(256, 8, 1e-4, 2 * budget, threads)]
        batch = [float_case(4, 8, 1e-3, budget, threads, batch=1000)]
    print("\nSingle runs, steps per second (float64; products per step 3L-3):")
    tab, missed = table(single, others, targets, rounds)
    print(tab)
    if not quick:
        print("\nd = 256 with 2 threads (a child process: XLA takes its thread count at start-up):")
        child = subprocess.run([sys.executable, os.path.abspath(__file__), "--only-d256", "--threads", "2",
                                "--rounds", str(rounds)], capture_output=True, text=True, check=False)
        print(child.stdout.rstrip() or child.stderr.rstrip())
        missed += [ln[len("missed: "):] for ln in child.stdout.splitlines() if ln.startswith("missed: ")]
    print("\nMany independent runs, run-steps per second:")
    tab, miss = table(batch, others, targets, rounds)
    print(tab)
    return missed + miss


# ---------------------------------------------------------------------------------------------
def machine() -> str:
    model = platform.processor() or "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            model = next((ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")), model)
    except OSError:
        pass
    return (f"{os.cpu_count()} cores ({model}), python {platform.python_version()}, numpy {np.__version__}, "
            f"load average {', '.join(f'{x:.1f}' for x in os.getloadavg())}")


def set_threads(n: int) -> None:
    """BLAS (NumPy's and the kernel's) and XLA threads to ``n`` (torch's are set where torch
    is used); XLA reads its flags when JAX first starts, so this runs before any JAX import."""
    threadpool_limits(n, user_api="blas")
    if n == 1:
        os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "")
                                   + " --xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes and two rounds (a smoke test)")
    parser.add_argument("--sweep", action="store_true", help="only the width sweep at L = 4")
    parser.add_argument("--rounds", type=int, default=None, help="interleaved rounds per case (default 7)")
    parser.add_argument("--threads", type=int, default=1, help="BLAS, torch and XLA threads (default 1)")
    parser.add_argument("--only", choices=["precision"], default=None,
                        help="only the high-precision tables (Arb against mpmath, lintheory's mpmath path)")
    parser.add_argument("--only-d256", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.threads < 1:
        parser.error("--threads must be >= 1")
    if args.only and args.sweep:
        parser.error("--only and --sweep each select tables; give one of them")
    if args.rounds is not None and args.rounds < 1:
        parser.error("--rounds must be >= 1")
    rounds = args.rounds or (2 if args.quick else 7)
    set_threads(args.threads)
    budget = 2e5 if args.quick else 4e7  # multiply-adds per timed kernel run

    if args.only_d256:
        tab, missed = table([float_case(256, 8, 1e-4, 2 * budget, args.threads)], ["jax", "torch", "numpy"],
                            {f"d=256, L=8, {args.threads} threads": Target("jax", 1.0)}, rounds)
        print(tab)
        for m in missed:
            print(f"missed: {m}")
        return 0

    print(f"machine: {machine()}; BLAS/torch/XLA threads {args.threads}; {rounds} interleaved rounds")
    if args.only != "precision":
        start = time.perf_counter()
        gd_float64([np.eye(2)] * 2, None, np.eye(2), 0.1, eps=None, max_iter=1)
        print(f"first kernel call (compile, or load from numba's cache): {time.perf_counter() - start:.1f} s\n")
        sweep_widths = [2, 3] if args.quick else list(range(2, 25)) + [28, 32, 40, 48, 56, 64]
        print("Width sweep, L = 4, microseconds per step (the measurement behind SPECIALISE_MAX and _BLAS_MIN):")
        print(sweep_table(sweep_widths, 4, budget, rounds))
    if args.sweep:
        return 0

    missed = [] if args.only == "precision" else float_tables(args.quick, budget, args.threads, rounds)
    if args.quick:
        prec, mpm = [(2, 3, 2)], [(3, 2, 2)]
    else:
        prec, mpm = [(2, 64, 20), (4, 16, 20), (16, 4, 10)], [(16, 4, 10)]
    mpmath_targets = {f"d={d}, L={L}": Target("mpmath.matrix", 1.0) for d, L, _ in mpm}
    arb_targets = {"d=2, L=64": Target("mpmath", 30.0)}
    if args.quick:
        mpmath_targets, arb_targets = {}, {}

    print("\nHigh precision, lintheory.train.gd: Arb at 200 bits (the lintheory column) against mpmath at 60 digits:")
    tab, miss = table(precision_cases(prec), ["mpmath"], arb_targets, rounds)
    print(tab)
    missed += miss

    print("\nlintheory's mpmath path (mpmath:dps=60, the lintheory column) against a plain mpmath.matrix loop:")
    tab, miss = table(mpmath_path_cases(mpm), ["mpmath.matrix"], mpmath_targets, rounds)
    print(tab)
    missed += miss

    print("\ntargets: " + ("all met" if not missed else "missed: " + "; ".join(missed)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
