"""Arb certification of a claim's instances (``proofs-check run --certify``).

For a claim with a :class:`~proofs_check.search.space.CertificateSpec`, each instance
(run parameters and the run's seed, derived exactly as the runner derives it) is rebuilt
exactly in float64 and its identity or inequality is evaluated in Arb ball arithmetic by
:func:`lintheory.certify.certify`. The claim is *certified* when every instance is; one
proven violation makes the certification *refuted*; otherwise it is *not certified* with
the precision that would decide the undecided instances.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from lintheory.certify import Certificate, certify
from proofs_check.claim import Claim
from proofs_check.search.space import CertificateSpec, certificate_for
from proofs_check.worker import describe_exception

__all__ = ["ClaimCertification", "certify_claim", "grid_instances"]


@dataclass(frozen=True)
class ClaimCertification:
    """The certificates of a claim's instances, and what they add up to."""

    claim_id: str
    statement: str
    relation: str
    prec: int
    instances: tuple[dict[str, Any], ...]  # {"params", "seed", "certificate" | "error"}
    seconds: float

    @property
    def counts(self) -> dict[str, int]:
        out = {"certified": 0, "not_certified": 0, "refuted": 0, "error": 0}
        for row in self.instances:
            out[row["certificate"]["status"] if "certificate" in row else "error"] += 1
        return out

    @property
    def status(self) -> str:
        c = self.counts
        if c["refuted"]:
            return "refuted"
        if self.instances and c["certified"] == len(self.instances):
            return "certified"
        return "not certified"

    def summary(self) -> str:
        c, n = self.counts, len(self.instances)
        certs = [row["certificate"] for row in self.instances if "certificate" in row]
        if self.status == "certified":
            if self.relation == "==":
                worst = max(x["bound"] for x in certs)
                return (f"certified: {n}/{n} instances at {self.prec} bits, "
                        f"|lhs - rhs| <= {worst:.3g}, max radius {max(x['radius'] for x in certs):.3g}")
            return (f"certified: {n}/{n} instances at {self.prec} bits, min margin "
                    f"{min(x['margin'] for x in certs):.3g}, max radius {max(x['radius'] for x in certs):.3g}")
        if self.status == "refuted":
            row = next(r for r in self.instances if r.get("certificate", {}).get("status") == "refuted")
            return (f"refuted: proven violation in {c['refuted']}/{n} instances, e.g. params {row['params']} "
                    f"seed {row['seed']} ({row['certificate']['summary']})")
        undecided = [x for x in certs if x["status"] == "not_certified"]
        suggestions = [x["suggested_prec"] for x in undecided if x["suggested_prec"]]
        hint = (f"; prec {max(suggestions)} would decide them" if suggestions and len(suggestions) == len(undecided)
                else "; some hold with no margin, which no precision decides" if undecided else "")
        errors = f", {c['error']} could not be evaluated" if c["error"] else ""
        return (f"not certified at prec {self.prec}: {c['certified']}/{n} instances certified, "
                f"{c['not_certified']} undecided{errors}{hint}")

    def to_json(self) -> dict[str, Any]:
        return {"claim_id": self.claim_id, "status": self.status, "statement": self.statement,
                "relation": self.relation, "prec": self.prec, "counts": self.counts,
                "instances": list(self.instances), "seconds": self.seconds, "summary": self.summary()}


def grid_instances(claim: Claim, profile: str, seed: int) -> list[tuple[dict[str, Any], int]]:
    """The (params, run seed) of ``claim``'s runs in ``profile``, seeded as the runner seeds them."""
    from proofs_check.runner import params_key, run_seed

    return [(p, run_seed(seed, claim.id, params_key(p))) for p in claim.runs_for(profile)]


def certify_claim(claim: Claim, instances: Sequence[tuple[Mapping[str, Any], int]],
                  spec: CertificateSpec | None = None, prec: int | None = None,
                  max_prec: int | None = None) -> ClaimCertification:
    """Certify ``claim`` on up to ``spec.max_instances`` of the ``instances`` (params, seed) it applies to.

    An instance whose inputs or check raise is recorded with the error and counts as not
    certified (it is never dropped).
    """
    spec = spec or certificate_for(claim)
    if spec is None:
        raise ValueError(f"claim {claim.id!r} declares no certificate (Claim.certificate)")
    prec = spec.prec if prec is None else prec
    start = time.perf_counter()
    rows = []
    chosen = [(p, s) for p, s in instances if spec.applies is None or spec.applies(p)]
    for params, seed in chosen[: spec.max_instances]:
        row: dict[str, Any] = {"params": dict(params), "seed": int(seed)}
        try:
            cert: Certificate = certify(spec.check, spec.inputs(params, seed), spec.relation, prec=prec,
                                        tolerance=spec.tolerance, max_prec=max_prec)
            row["certificate"] = cert.to_json()
        except Exception as exc:  # an instance that cannot be evaluated is reported, not hidden
            row["error"] = describe_exception(exc)
        rows.append(row)
    return ClaimCertification(claim.id, spec.statement, spec.relation, prec, tuple(rows),
                              time.perf_counter() - start)
