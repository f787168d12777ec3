"""What a claim declares to be searched and certified, and where those declarations live.

A :class:`SearchSpace` is a claim's hypothesis space as a Hypothesis strategy of run
parameters, plus a violation score read from a run's observations; a
:class:`CertificateSpec` is the identity or inequality a run's instance must satisfy, as a
check evaluated in Arb from exactly representable inputs.

A claim declares both in its own file (``Claim.search``, ``Claim.certificate``); a
module of several claims may instead expose ``SEARCH_SPACES`` and ``CERTIFICATES``
(dicts keyed by claim id).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from proofs_check.claim import PROFILES, Claim

if TYPE_CHECKING:
    from lintheory.certify import Relation

Params = Mapping[str, Any]

DEFAULT_BUDGETS: Mapping[str, int] = {"quick": 0, "standard": 60, "full": 500}


@dataclass(frozen=True)
class SearchSpace:
    r"""A claim's hypothesis space and its violation score.

    * ``strategy`` — a Hypothesis strategy of run-parameter dicts, inside the claim's
      hypotheses (dimensions, depth, init scale, target spectrum, step size within the
      allowed range, data conditioning).
    * ``score(value) -> float`` — the violation score of one run's observations
      (``value`` is what ``evaluate`` returned): for a bound observed / predicted, for a
      per-step inequality the worst normalised margin along the run. The instance
      violates the claim when ``score > threshold + tolerance``; ``tolerance`` comes from
      the arithmetic of ``evaluate`` and ``score_meaning`` says so in words.
      ``score`` may return ``None`` for an instance outside the hypotheses (rejected).
    * ``evaluate(params, seed)`` — computes one instance; ``None`` means the claim's own
      ``run``.
    * ``seeded`` — whether the instance draws a seed (randomness in the run).
    * ``failure_score`` — the score of a run that raised (``None``: a failed run is
      recorded and is no violation; ``inf`` where a failure inside the hypotheses
      contradicts the claim, e.g. divergence of a run the claim says converges).
    * ``onset`` — for necessity claims: the numeric parameter along which the search
      maps where failure (score above threshold) sets in.
    * ``budgets`` — examples per profile for ``proofs-check run`` (the CLI's ``--budget``
      overrides it).
    """

    strategy: Any
    score: Callable[[Mapping[str, Any]], float | None]
    score_meaning: str
    threshold: float = 1.0
    tolerance: float = 0.0
    evaluate: Callable[[Params, int], Mapping[str, Any]] | None = None
    seeded: bool = True
    failure_score: float | None = None
    onset: str | None = None
    budgets: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_BUDGETS))

    def __post_init__(self) -> None:
        if not callable(self.score):
            raise ValueError("score must be a callable value -> float")
        if self.evaluate is not None and not callable(self.evaluate):
            raise ValueError("evaluate must be None or a callable (params, seed) -> mapping")
        if not self.tolerance >= 0.0:
            raise ValueError(f"tolerance must be >= 0, got {self.tolerance!r}")
        unknown = set(self.budgets) - set(PROFILES)
        if unknown:
            raise ValueError(f"budgets keys must be profiles {PROFILES}, got {sorted(unknown)}")

    def budget(self, profile: str) -> int:
        if profile not in PROFILES:
            raise ValueError(f"profile must be one of {PROFILES}, got {profile!r}")
        return int(self.budgets.get(profile, DEFAULT_BUDGETS[profile]))


@dataclass(frozen=True)
class CertificateSpec:
    r"""The check of one run's instance, for Arb certification.

    * ``inputs(params, seed) -> {name: dyadic number or float64 matrix}`` rebuilds the
      instance exactly (float64 values are exact dyadic rationals);
    * ``check(arith, inputs) -> (lhs, rhs)`` evaluates both sides with the Arb backend
      ``arith`` (see :func:`lintheory.certify.certify`);
    * ``relation`` is ``"<="``, ``"<"`` or ``"=="``; ``tolerance`` applies to identities;
    * ``statement`` says in words what a certificate proves;
    * ``applies(params)`` selects the runs the check is about (``None``: all), e.g. not the
      negative controls of a claim.
    """

    inputs: Callable[[Params, int], Mapping[str, Any]]
    check: Callable[[Any, Mapping[str, Any]], tuple[Any, Any]]
    relation: Relation
    statement: str
    prec: int = 200
    tolerance: float | None = None
    max_instances: int = 12
    applies: Callable[[Params], bool] | None = None


def _from_claim_module(claim: Claim, name: str) -> Any:
    module = sys.modules.get(getattr(claim.run, "__module__", ""), None)
    return getattr(module, name, {}).get(claim.id) if module is not None else None


def space_for(claim: Claim) -> SearchSpace | None:
    """The search space declared for ``claim`` (in its file), or ``None``."""
    return claim.search or _from_claim_module(claim, "SEARCH_SPACES")


def certificate_for(claim: Claim) -> CertificateSpec | None:
    """The certificate declared for ``claim`` (in its file), or ``None``."""
    return claim.certificate or _from_claim_module(claim, "CERTIFICATES")
