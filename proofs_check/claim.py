"""The claim contract: what a theorem must declare to be checked by computation.

A :class:`Claim` is pure data plus three module-level functions:

* ``grid(profile)`` expands a profile name into the parameter sets of its runs;
* ``run(params, seed)`` computes one run and returns JSON-able observations
  (it may raise :class:`RunFailed` or any exception: the runner records the
  failure and goes on);
* ``judge(runs)`` turns the finished runs into a :class:`Verdict` with an
  explicit tolerance and the evidence a reader needs.

``run`` and ``judge`` must be importable module-level functions so that runs can
be shipped to worker processes and Dask workers.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

Kind = Literal["identity", "bound", "scaling", "invariant", "necessity"]
VerdictName = Literal["confirmed", "refuted", "inconclusive"]
RunStatus = Literal["ok", "error", "diverged"]

KINDS: tuple[str, ...] = ("identity", "bound", "scaling", "invariant", "necessity")
VERDICTS: tuple[str, ...] = ("confirmed", "refuted", "inconclusive")
PROFILES: tuple[str, ...] = ("quick", "standard", "full")
PAPERS: tuple[str, ...] = ("arora2018", "shin2019", "wu2019", "shamir2018", "zhang2017", "toy0000")

Params = Mapping[str, Any]
_ID = re.compile(r"^([a-z]+[0-9]{4})\.([a-z0-9_]+)$")


class RunFailed(RuntimeError):
    """Raised by ``Claim.run`` when a run could not produce an observation.

    ``status`` is ``"diverged"`` for a training run that blew up where the claim
    needs it to converge, ``"error"`` otherwise.
    """

    def __init__(self, message: str, status: RunStatus = "error"):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class RunRecord:
    """One finished run: its parameters, seed, status and observations."""

    claim_id: str
    params: dict[str, Any]
    seed: int
    status: RunStatus
    value: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status == "ok"


@dataclass(frozen=True)
class Verdict:
    """The outcome of a claim, with the evidence it rests on.

    ``evidence`` is JSON-able. By convention it holds ``table`` (a list of rows
    ``{"params", "predicted", "observed", "status", ...}``), optionally ``fit``
    (``{"exponent", "ci95", ...}``) and ``series`` (data the claim's figures draw).
    """

    verdict: VerdictName
    summary: str
    predicted: str
    observed: str
    tolerance: str
    arithmetic: str
    evidence: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.verdict not in VERDICTS:
            raise ValueError(f"verdict must be one of {VERDICTS}, got {self.verdict!r}")


@dataclass(frozen=True)
class Figure:
    """A figure drawn from a claim's evidence (so reports rebuild without rerunning).

    ``draw(evidence, ax)`` draws on a matplotlib Axes from ``Verdict.evidence``.
    """

    name: str
    caption: str
    draw: Callable[[Mapping[str, Any], Any], None]


@dataclass(frozen=True)
class Claim:
    """A theorem (or lemma, or necessity statement) as an executable check."""

    id: str
    paper: str
    source: str
    title: str
    statement_latex: str
    kind: Kind
    grid: Callable[[str], Sequence[Params]]
    run: Callable[[Params, int], Mapping[str, Any]]
    judge: Callable[[Sequence[RunRecord]], Verdict]
    symbolic: Callable[[], Mapping[str, str]] | None = None
    figures: tuple[Figure, ...] = ()
    run_timeout: float | None = None  # seconds one run may take (None: no limit); `run --run-timeout` overrides

    def __post_init__(self) -> None:
        match = _ID.match(self.id)
        if match is None:
            raise ValueError(f"claim id must look like '<paper>.<snake_case_name>', got {self.id!r}")
        if match.group(1) != self.paper or self.paper not in PAPERS:
            raise ValueError(f"claim {self.id!r}: paper must be its id prefix and one of {PAPERS}")
        if self.kind not in KINDS:
            raise ValueError(f"claim {self.id!r}: kind must be one of {KINDS}, got {self.kind!r}")

    def runs_for(self, profile: str) -> list[dict[str, Any]]:
        """The parameter sets of ``profile``, validated as JSON-able dicts."""
        if profile not in PROFILES:
            raise ValueError(f"profile must be one of {PROFILES}, got {profile!r}")
        return [dict(p) for p in self.grid(profile)]
