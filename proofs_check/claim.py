"""The claim contract: what a theorem must declare to be checked by computation.

A :class:`Claim` is data plus module-level functions (so that runs can be shipped to
worker processes and Dask workers):

* ``grid`` — the parameter sets of the runs, per profile: a mapping
  ``{"quick": [...], "standard": [...]}`` or a function ``grid(profile)``;
* ``run(params, seed)`` — one run, mathematics only (calls into :mod:`lintheory`);
  returns JSON-able observations, or raises :class:`RunFailed` (or anything: the
  runner records the failure and goes on);
* ``checks(runs, k)`` — the statement, as typed checks (:mod:`proofs_check.checks`)
  of the finished runs against the statement's constants ``k``. The framework,
  not the claim, turns checks into a :class:`Verdict`.

A claim declares its provenance ``level`` (``sourced`` | ``reconstructed`` |
``observation``), the constants of its statement (``constants``; those the runs
need, e.g. a step size's constant, are named in ``run_constants`` and passed to
``run`` inside ``params``) and its :class:`Mutant` s: the same statement with a
constant changed, which its author believes false, so that ``proofs-check mutate``
measures whether the checks can fail.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from proofs_check.checks import Check
    from proofs_check.search.space import CertificateSpec, SearchSpace

Kind = Literal["identity", "bound", "scaling", "invariant", "necessity"]
Level = Literal["sourced", "reconstructed", "observation"]
VerdictName = Literal["confirmed", "refuted", "not_reproduced", "inconclusive"]
RunStatus = Literal["ok", "error", "diverged", "timeout"]

KINDS: tuple[str, ...] = ("identity", "bound", "scaling", "invariant", "necessity")
LEVELS: tuple[str, ...] = ("sourced", "reconstructed", "observation")
VERDICTS: tuple[str, ...] = ("confirmed", "refuted", "not_reproduced", "inconclusive")
PROFILES: tuple[str, ...] = ("quick", "standard", "full")

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
    """The outcome of a claim (or of one of its checks), with the evidence it rests on.

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
class Paper:
    """A paper's bibliographic record; each paper package exposes one as ``PAPER``."""

    key: str
    authors: tuple[str, ...]
    title: str
    venue: str
    year: int
    arxiv: str | None = None
    doi: str | None = None
    note: str = ""

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[a-z]+[0-9]{4}", self.key):
            raise ValueError(f"paper key must look like '<name><year>', got {self.key!r}")

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.key, "authors": list(self.authors), "title": self.title, "venue": self.venue,
                "year": self.year, "arxiv": self.arxiv, "doi": self.doi, "note": self.note}


@dataclass(frozen=True)
class Mutant:
    """The statement with some of its constants changed, believed false by the claim's author.

    ``constants`` overrides entries of ``Claim.constants``; a check with power turns
    the verdict from confirmed into refuted or not reproduced.
    """

    name: str
    description: str
    constants: Mapping[str, Any]


Grid = Callable[[str], Sequence[Params]] | Mapping[str, Sequence[Params]]
Checks = Callable[[Sequence[RunRecord], Mapping[str, Any]], "Sequence[Check]"]


@dataclass(frozen=True)
class Claim:
    """A theorem (or lemma, or necessity statement) as an executable check.

    ``source`` cites the paper's theorem or equation and says what is
    reconstructed; ``title`` is the statement in one line of words;
    ``statement_latex`` the statement as the paper writes it.
    ``no_mutants`` says why a claim declares no mutant (e.g. a construction that
    must blow up cannot be falsified by changing a constant).
    """

    id: str
    paper: str
    source: str
    title: str
    statement_latex: str
    kind: Kind
    grid: Grid
    run: Callable[[Params, int], Mapping[str, Any]]
    checks: Checks
    level: Level
    constants: Mapping[str, Any] = field(default_factory=dict)
    run_constants: tuple[str, ...] = ()
    mutants: tuple[Mutant, ...] = ()
    no_mutants: str = ""
    tolerate_failed_runs: bool = False
    symbolic: Callable[[], Mapping[str, str]] | None = None
    figures: tuple[Figure, ...] = ()
    search: SearchSpace | None = None
    certificate: CertificateSpec | None = None
    run_timeout: float | None = None  # seconds one run may take (None: no limit); `run --run-timeout` overrides

    def __post_init__(self) -> None:
        match = _ID.match(self.id)
        if match is None:
            raise ValueError(f"claim id must look like '<paper><year>.<snake_case_name>', got {self.id!r}")
        if match.group(1) != self.paper:
            raise ValueError(f"claim {self.id!r}: paper must be its id prefix, got {self.paper!r}")
        if self.kind not in KINDS:
            raise ValueError(f"claim {self.id!r}: kind must be one of {KINDS}, got {self.kind!r}")
        if self.level not in LEVELS:
            raise ValueError(f"claim {self.id!r}: level must be one of {LEVELS}, got {self.level!r}")
        unknown = [n for n in self.run_constants if n not in self.constants]
        if unknown:
            raise ValueError(f"claim {self.id!r}: run_constants {unknown} are not in constants")
        names = [m.name for m in self.mutants]
        if len(set(names)) != len(names):
            raise ValueError(f"claim {self.id!r}: mutant names repeat: {names}")
        for m in self.mutants:
            bad = sorted(set(m.constants) - set(self.constants))
            if bad:
                raise ValueError(f"claim {self.id!r}: mutant {m.name!r} changes unknown constants {bad}")

    def runs_for(self, profile: str, constants: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        """The parameter sets of ``profile``, as dicts, with the ``run_constants`` added."""
        if profile not in PROFILES:
            raise ValueError(f"profile must be one of {PROFILES}, got {profile!r}")
        if isinstance(self.grid, Mapping):  # a profile a claim does not list runs the standard grid
            grid = self.grid.get(profile, self.grid.get("standard", ()))
        else:
            grid = self.grid(profile)
        k = self.statement_constants(constants)
        return [{**dict(p), **{n: k[n] for n in self.run_constants}} for p in grid]

    def statement_constants(self, overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The statement's constants, with ``overrides`` (a mutant's) applied."""
        return {**self.constants, **(overrides or {})}
