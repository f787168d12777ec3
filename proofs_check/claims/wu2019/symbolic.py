r"""SymPy derivations behind the wu2019 claims (each a pair of independently obtained expressions
that must be equal; the derivations live in :mod:`lintheory.symbolic.wu2019`).

.. math:: L\xi^2 = 36;\quad T = \tfrac{2}{\eta}\log\tfrac{R_0}{\varepsilon} - \tfrac12\log\tfrac{R_0}{\varepsilon}
          + O(\eta);\quad \tfrac{T}{8L^3\xi^6\log(R_0/\varepsilon)} \to 1;\quad
          \tfrac{d}{dt}(w_{l+1}^2 - w_l^2) = 0,\ \Delta_{GD} = \eta^2(g_{l+1}^2 - g_l^2);\quad \|\nabla R(0)\|^2 = 2R(0).

Derived here (reconstructed): the crossover where the two terms of the step-size rule are equal
(:math:`1/(4L^3\xi^6) = 1/(144L^2\xi^4) \iff L\xi^2 = 36`); the series of
:math:`T = \log(R_0/\varepsilon)/(-\log(1 - \eta/2))` in :math:`\eta`; its leading order at
:math:`\eta = 1/(4L^3\xi^6)`; the conservation of :math:`w_{l+1}^2 - w_l^2` along the scalar flow of
:math:`\tfrac12(\prod w - y)^2` and its exact one-step change under GD; the PL equality at ZAS.
Each identity is checked by ``sympy.simplify`` of the difference and at random rational points to 50
digits; a difference SymPy cannot simplify but that vanishes numerically is undecided, not refuted.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import sympy as sp

from lintheory.symbolic import wu2019 as S
from proofs_check.checks import Identity
from proofs_check.claim import Claim, RunFailed, RunRecord
from proofs_check.claims.wu2019._common import symbolic


def grid(profile: str) -> list[dict[str, Any]]:
    return [{"identity": name} for name in S.IDENTITIES]


def _random_point(symbols: Sequence[sp.Symbol], rng: np.random.Generator) -> dict[sp.Symbol, sp.Rational]:
    """Exact rationals for the free symbols: positive ones in (1/2, 3), eta in (1/100, 1/2), others in (-2, 2)."""
    point = {}
    for s in symbols:
        lo, hi = (0.01, 0.5) if s.name == "eta" else (0.5, 3.0) if s.is_positive else (-2.0, 2.0)
        point[s] = sp.Rational(int(rng.integers(int(lo * 1000), int(hi * 1000))), 1000)
    return point


def run(params: Mapping[str, Any], seed: int) -> dict[str, Any]:
    name = params["identity"]
    if name not in S.IDENTITIES:
        raise RunFailed(f"unknown identity {name!r}")
    derived, closed = S.IDENTITIES[name]()
    difference = sp.simplify(derived - closed)
    rng = np.random.default_rng(seed)
    symbols = sorted(derived.free_symbols | closed.free_symbols, key=lambda s: s.name)
    errors = [float(abs(sp.N((derived - closed).subs(_random_point(symbols, rng)), 50))) for _ in range(5)]
    return {"symbolic_difference": str(difference), "symbolically_zero": difference == 0,
            "numeric_max_error": max(errors), "derived": str(derived), "closed_form": str(closed)}


def checks(runs: Sequence[RunRecord], k: Mapping[str, Any]) -> list[Any]:
    # a difference SymPy cannot simplify to 0 but that vanishes numerically is undecided (NaN), not refuted
    rows = [{"params": {"identity": r.params["identity"]}, "predicted": 0.0, "observed": r.value["numeric_max_error"],
             "error": r.value["numeric_max_error"] if r.value["symbolically_zero"]
             else (math.nan if r.value["numeric_max_error"] <= 1e-40 else math.inf),
             "symbolic_difference": r.value["symbolic_difference"]} for r in runs]
    return [Identity(label="identities", rows=rows, atol=1e-40, arithmetic="sympy (exact) + 50-digit evalf",
                     predicted="each derived expression equals its closed form",
                     observed="sympy.simplify(derived - closed) and |derived - closed| at 5 random rational points",
                     reason="the exact SymPy difference must be 0; 50-digit evaluation at random rationals")]


CLAIM = Claim(
    id="wu2019.symbolic",
    paper="wu2019",
    level="reconstructed",
    source=("Derived here (reconstructed) from the step-size rule and rate of Wu, Wang, Ma (NeurIPS 2019) as a later "
            "paper restates them: step-size crossover, T(eps) series, flow invariants, PL equality at ZAS "
            "(module docstring)"),
    title="SymPy: crossover L xi^2 = 36, T(eps) series in eta, T/(8 L^3 xi^6 log(R0/eps)) -> 1, flow invariants "
          "and their eta^2 GD drift, ||grad R||^2 = 2R at ZAS",
    statement_latex=(r"L\xi^2 = 36;\ T = \tfrac{2}{\eta}\log\tfrac{R_0}{\varepsilon} - \tfrac12\log\tfrac{R_0}"
                     r"{\varepsilon} + O(\eta);\ \tfrac{T}{8L^3\xi^6\log(R_0/\varepsilon)} \to 1;\ "
                     r"\tfrac{d}{dt}(w_{l+1}^2 - w_l^2) = 0,\ \Delta_{GD} = \eta^2(g_{l+1}^2 - g_l^2);\ "
                     r"\|\nabla R(0)\|^2 = 2R(0)"),
    kind="identity",
    grid=grid,
    run=run,
    checks=checks,
    no_mutants=("exact symbolic identities with no free constant: changing one would change the derivations in "
                "lintheory.symbolic.wu2019 themselves, which the identity check compares exactly"),
    symbolic=symbolic(*S.DERIVATIONS),
)
