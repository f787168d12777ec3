"""The files ``proofs-check new claim NAME`` writes: a commented, runnable claim in TOML (or Python)."""

from __future__ import annotations

__all__ = ["PYTHON", "TOML", "render"]

TOML = r'''# A claim of your own, checked by `proofs-check run --claims-path . --profile quick --out out`.
# Reference of every key, symbol and function: docs/toml.md of lintheory.
# Expressions are LaTeX (as in your paper) or plain math (log(l0/eps)/eta); they are parsed,
# never executed, and the report prints back what was understood.

id = "mine2026.{name}"         # <paper key: letters + year>.<snake_case name>
title = "GD from a balanced init near the target reaches eps within log(l0/eps)/(eta c^(2(N-1)/N)) steps, monotonically"
source = "my Theorem 1"         # where the statement comes from

[system]
network = "deep_linear"         # "deep_linear" or "residual" (linear residual network)
depth = "layers"                # a number, or an expression of grid parameters (here the parameter 'layers')
width = 3                       # hidden width; d_in and d_out default to it

[system.target]                 # whitened loss 1/2 ||W_N ... W_1 - Phi||_F^2
kind = "spectrum"               # "gaussian" (with norm), "spectrum" (singular_values) or "entries"
singular_values = [1.0, 0.8, 0.6]
seed = 0                        # omit to draw a new target for every run

[init]
kind = "balanced"               # Procedure 1 of Arora et al.: balanced layers with end-to-end matrix A
around = "target"               # A = Phi + std * Gaussian ("zero": A = std * Gaussian)
std = 0.05

[trainer]
method = "gd"                   # "gd" or "bcgd"
step = "0.05"                   # the step size eta: a number or an expression (may use c, l0, N, ...)
arithmetic = "float64"          # or "mpmath:dps=30", "arb:prec=128"

[trainer.stop]
eps = 1e-6                      # stop when the loss is <= eps: T(eps) is that iteration
max_iter = 100000

[grid.quick]                    # one run per combination of the listed values
layers = [2, 3]

[grid.standard]
layers = {range = [2, 6]}

[[statement]]                   # T(eps) <= bound
kind = "iterations"
bound = '\frac{\log(\ell_0/\varepsilon)}{\eta\, c^{2(N-1)/N}}'

[[statement]]                   # an inequality at every step of every run
kind = "inequality"
holds = '\ell(t+1) \le \ell(t)'

# [[mutant]]                    # a weaker claim you believe false: the check must catch it
# name = "bound_tenth"          # (without any, the bound halved is tried)
# factor = 0.1

[search]                        # counterexample search over the grid's ranges (instances per profile)
standard = 20
'''

PYTHON = r'''"""A claim of your own in Python: `proofs-check run --claims-path . --profile quick --out out`.

The module exposes CLAIM (and PAPER); run() does the mathematics through lintheory and
returns JSON-able observations, checks() states the theorem as typed checks of the runs.
"""

import math

import numpy as np

from lintheory.inits import balanced, deficiency_margin
from lintheory.nets import Problem
from lintheory.train import Stop, gd
from proofs_check.checks import Bound
from proofs_check.claim import Claim, Mutant, Paper

PAPER = Paper("mine2026", ("A. Researcher",), "My paper", "preprint", 2026)


def run(params, seed):
    rng = np.random.default_rng(0)
    U, _ = np.linalg.qr(rng.standard_normal((3, 3)))
    V, _ = np.linalg.qr(rng.standard_normal((3, 3)))
    Phi = (U * np.array([1.0, 0.8, 0.6])) @ V.T
    A = Phi + 0.05 * np.random.default_rng(seed).standard_normal((3, 3))
    N, eta, eps = params["layers"], 0.05, 1e-6
    net = balanced(A, [3] * (N + 1), seed)
    traj, _ = gd(net, Problem.whitened(Phi), eta, Stop(eps=eps, max_iter=100_000))
    c = float(deficiency_margin(net.end_to_end(), Phi))
    bound = math.log(float(traj.loss0) / eps) / (eta * c ** (2 * (N - 1) / N))
    return {"T": traj.iterations if traj.converged else math.inf, "bound": bound}


def checks(runs, k):
    return [Bound.of(runs, pred=lambda r: k["factor"] * r.value["bound"], obs="T", label="iterations",
                     predicted="log(l0/eps) / (eta c^(2(N-1)/N))", observed="first t with loss <= eps",
                     rtol=1e-12, reason="float64 evaluation of the bound; the count is exact")]


CLAIM = Claim(id="mine2026.{name}", paper="mine2026", source="my Theorem 1",
              title="GD from a balanced init near the target reaches eps within log(l0/eps)/(eta c^(2(N-1)/N)) steps",
              statement_latex=r"T(\varepsilon) \le \frac{\log(\ell_0/\varepsilon)}{\eta\, c^{2(N-1)/N}}",
              kind="bound", grid={"quick": [{"layers": 2}, {"layers": 3}]}, run=run, checks=checks,
              level="sourced", constants={"factor": 1.0},
              mutants=(Mutant("bound_tenth", "the bound divided by 10", {"factor": 0.1}),))
'''


def render(name: str, python: bool = False) -> str:
    """The template for the claim ``NAME`` (a snake_case name: the claim id is ``mine2026.NAME``)."""
    return (PYTHON if python else TOML).replace("{name}", name)
