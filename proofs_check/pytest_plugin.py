"""Claims as pytest items: ``pytest --claims 'arora2018.*' --claims-profile quick``.

Registered through the ``pytest11`` entry point, so it works in any project where the
package is installed. Each selected claim becomes one test item (marked ``claim``) that

* passes when the claim is ``confirmed``;
* fails when it is ``refuted``, with the summary and the violating instances (and the
  command that reruns a search counterexample) in the failure message;
* is reported as xfail, with the evidence as the reason, when it is ``not_reproduced`` (a
  reconstruction's prediction failed, which is not a refutation of the paper) or
  ``inconclusive`` (``--claims-inconclusive skip``: skipped).

The claims of the session are run together, once, by the sweep runner (process pool,
run cache in ``--claims-out``, by default pytest's cache folder, so a second session
reuses finished runs); ``-k`` and ``-m`` select among the items as usual. Claims outside
the package come from the plug-in routes of :mod:`proofs_check.plugins`.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

PROFILES = ("quick", "standard", "full")
MAX_LISTED = 5
_STATE = pytest.StashKey["_Session"]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("proofs-check", "theorem claims as test items (proofs_check)")
    group.addoption("--claims", action="append", default=[], metavar="GLOB",
                    help="collect the claims whose ids match GLOB as test items (repeatable)")
    group.addoption("--claims-profile", default="quick", choices=PROFILES,
                    help="profile of the claims' runs (default: quick)")
    group.addoption("--claims-seed", type=int, default=0, help="global seed of the runs (default: 0)")
    group.addoption("--claims-workers", type=int, default=None,
                    help="worker processes (default: the machine's cores)")
    group.addoption("--claims-out", default=None, metavar="DIR",
                    help="folder for results.json and the run cache (default: in pytest's cache)")
    group.addoption("--claims-certify", action="store_true",
                    help="also certify the claims' instances in Arb (a proven violation fails the item)")
    group.addoption("--claims-inconclusive", default="xfail", choices=("xfail", "skip"),
                    help="how an inconclusive claim is reported (default: xfail)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "claim: a proofs_check claim collected by --claims")


def pytest_report_header(config: pytest.Config) -> list[str]:
    """One header line: how many claims ``--claims`` selects, before anything runs."""
    patterns = config.getoption("claims")
    if not patterns:
        return []
    from proofs_check import registry

    try:
        n = len(registry.select(patterns))
    except registry.UnknownClaimError as exc:  # reported as a usage error at collection
        return [f"proofs-check: --claims {' '.join(patterns)}: {exc}"]
    return [f"proofs-check: {n} claim{'s' * (n != 1)} selected by --claims {' '.join(patterns)} "
            f"(profile {config.getoption('claims_profile')}, seed {config.getoption('claims_seed')})"]


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    patterns = config.getoption("claims")
    if not patterns:
        return
    from proofs_check import registry

    try:
        claims = registry.select(patterns)
    except registry.UnknownClaimError as exc:
        raise pytest.UsageError(f"--claims: {exc}") from None
    config.stash[_STATE] = _Session(config)
    added = []
    for claim in claims:
        item = ClaimItem.from_parent(session, name=claim.id, nodeid=f"claims::{claim.id}", claim=claim)
        item.add_marker("claim")
        added.append(item)
    items.extend(added)
    # the terminal's "collected N items" counts collection reports: report the claims as one
    # list(): a list[Item | Collector] for CollectReport (a list is invariant in its item type)
    config.hook.pytest_collectreport(report=pytest.CollectReport("claims", "passed", None, list(added)))


class _Session:
    """Runs the claims of the collected items together, the first time an item needs a verdict."""

    def __init__(self, config: pytest.Config):
        self.config = config
        self.entries: dict[str, Mapping[str, Any]] | None = None

    def _out_dir(self, profile: str) -> Path:
        given = self.config.getoption("claims_out")
        if given:
            return Path(given)
        cache = getattr(self.config, "cache", None)
        if cache is not None:
            return Path(cache.mkdir("proofs_check")) / profile
        scratch = tempfile.mkdtemp(prefix="proofs-check-")
        self.config.add_cleanup(lambda: shutil.rmtree(scratch, ignore_errors=True))
        return Path(scratch)

    def entry(self, session: pytest.Session, claim_id: str) -> Mapping[str, Any]:
        if self.entries is None:
            self.entries = self._run([i.claim for i in session.items if isinstance(i, ClaimItem)])
        return self.entries[claim_id]

    def _run(self, claims: Sequence[Any]) -> dict[str, Mapping[str, Any]]:
        from proofs_check.runner import run_claims

        opt = self.config.getoption
        profile, seed = opt("claims_profile"), opt("claims_seed")
        out = self._out_dir(profile)
        data = run_claims(claims, profile, out, workers=opt("claims_workers"), seed=seed, reports=False).data
        if opt("claims_certify"):
            from proofs_check.search.pipeline import with_certificates

            data = with_certificates(data, claims, profile, seed)
        return {c["id"]: c for c in data["claims"]}


class ClaimItem(pytest.Item):
    """One claim as a test item."""

    def __init__(self, *, claim: Any, **kwargs: Any):
        super().__init__(**kwargs)
        self.claim = claim

    def runtest(self) -> None:
        entry = self.config.stash[_STATE].entry(self.session, self.claim.id)
        verdict = entry["verdict"]
        if verdict == "confirmed":
            return
        if verdict == "refuted":
            pytest.fail(failure_message(entry), pytrace=False)
        reason = f"{self.claim.id} {verdict.replace('_', ' ')} ({entry.get('level', '?')}): {entry['summary']}"
        if verdict == "inconclusive" and self.config.getoption("claims_inconclusive") == "skip":
            pytest.skip(reason)
        pytest.xfail(reason)

    def reportinfo(self) -> tuple[Any, int | None, str]:
        module = sys.modules.get(getattr(self.claim.run, "__module__", ""), None)
        path = getattr(module, "__file__", None) or self.claim.id
        return path, None, f"claim {self.claim.id} ({self.claim.source})"


def failure_message(entry: Mapping[str, Any]) -> str:
    """The text of a refuted claim's failure: summary, what was compared, the evidence."""
    ev = entry.get("evidence") or {}
    lines = [f"{entry['id']} refuted ({entry.get('source', '?')}, {entry.get('kind', '?')}): {entry['summary']}",
             f"  predicted:  {entry.get('predicted')}", f"  observed:   {entry.get('observed')}",
             f"  tolerance:  {entry.get('tolerance')}", f"  arithmetic: {entry.get('arithmetic')}"]
    violations = ev.get("violations") or []
    if violations:
        lines.append(f"  violating instances ({len(violations)}): "
                     + "; ".join(json.dumps(v, sort_keys=True) for v in violations[:MAX_LISTED]))
    rows = [r for r in ev.get("table") or [] if r.get("params") in violations[:1]]
    if rows:
        lines.append(f"  worst row: {json.dumps(rows[0], sort_keys=True, default=str)}")
    counterexample = ev.get("counterexample")
    if counterexample:
        lines.append(f"  search counterexample: {json.dumps(counterexample.get('instance'), sort_keys=True)} "
                     f"({counterexample.get('score_meaning')} = {counterexample.get('score')})")
        lines.append(f"  rerun: {counterexample.get('command')}")
    certified = ev.get("certified_violation")
    if certified:
        lines.append(f"  Arb-certified violation: {certified['certificate']['summary']} "
                     f"at params {json.dumps(certified['params'], sort_keys=True)} seed {certified['seed']}")
    return "\n".join(lines)
