"""Sweeps: expand claims into runs, compute what the cache lacks, judge, write ``results.json``.

The parent process owns the cache and the judging; runs go to a local process
pool (``spawn`` start method, one native thread per worker) or to a Dask
cluster. Each finished run is committed to ``DIR/cache.sqlite`` as it arrives,
so an interrupted sweep (Ctrl-C, ``kill -9``, a crashed worker) resumes where it
stopped. A run that raises is recorded with its error and never cached as a
success; a worker process that dies takes down only the run it was computing
(the pool is restarted and the runs that were in flight are retried one by
one to find it).

Each run's seed is derived from the global seed, the claim id and the run's
parameters (:func:`run_seed`), so results do not depend on the order or the
place in which runs are computed.

A run may have a time limit (``Claim.run_timeout``, or ``run_timeout`` for the
whole sweep): a pool worker that passes it is killed and the pool restarted (the
other runs in flight are queued again); on Dask the run goes to a child process of
the worker, killed at the limit. Such a run is recorded with status ``timeout``,
like a failed run. Pool workers and Dask tasks use one native thread each, and
the parent pins its own thread pools to one thread while a pool runs, so that
workers never oversubscribe the cores.

Running a subset of claims into a folder that already holds a ``results.json``
of the same profile and seed keeps the other claims' entries (each records the
``code_version`` it was computed with); the reports are rebuilt from the merged set.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import multiprocessing
import os
import signal
import socket
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from proofs_check import checks as checks_mod
from proofs_check import progress as progress_mod
from proofs_check import provenance, results
from proofs_check.cache import FILENAME as CACHE_FILENAME
from proofs_check.cache import RunCache, move_aside
from proofs_check.checks import Part
from proofs_check.claim import PROFILES, Claim, RunRecord, Verdict
from proofs_check.figures_default import figures_of
from proofs_check.judging import failures, jsonable
from proofs_check.worker import describe_exception, execute, execute_limited, init_worker, timed_out

__all__ = ["Job", "Results", "SchedulerUnreachable", "evaluate", "judge_claim", "params_key", "run_claims", "run_seed",
           "check_run_timeout", "check_scheduler"]

MAX_FAILURES_LISTED = 20
MAX_RUN_TIMEOUT = 7 * 24 * 3600.0  # a week: anything longer is a typo, not a limit
_POLL = 0.25  # seconds between looks at the runs in flight, when some have a time limit
_CRASHED = "the worker process died while computing this run (killed, out of memory, or a crash in native code)"


class SchedulerUnreachable(ConnectionError):
    """``--scheduler ADDRESS`` names no Dask scheduler that answers."""


@dataclass(frozen=True)
class _Task:
    job: str  # the claim id, or "<claim id>#<mutant>" when a mutant's statement is run
    claim_id: str
    index: int
    params: dict[str, Any]
    key: str
    seed: int
    version: str
    run: Callable[[Mapping[str, Any], int], Mapping[str, Any]]
    timeout: float | None = None

    @property
    def label(self) -> str:
        return f"{self.claim_id} {self.key}"


@dataclass(frozen=True)
class Results:
    """What a sweep produced: the ``results.json`` document and where it went."""

    data: dict[str, Any]
    out_dir: Path
    computed: int
    cached: int
    failed: int
    warnings: tuple[str, ...] = ()

    @property
    def verdicts(self) -> dict[str, str]:
        return {c["id"]: c["verdict"] for c in self.data["claims"]}

    @property
    def refuted(self) -> tuple[str, ...]:
        return tuple(cid for cid, v in self.verdicts.items() if v == "refuted")


def params_key(params: Mapping[str, Any]) -> str:
    """Canonical JSON of a parameter set (sorted keys): its identity in the cache."""
    try:
        return json.dumps(params, sort_keys=True, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"parameters must be JSON-able with finite numbers, got {params!r} ({exc})") from None


def run_seed(seed: int, claim_id: str, key: str) -> int:
    """Seed of one run: ``sha256(seed, claim_id, params_key)`` reduced to ``[0, 2^32)``."""
    digest = hashlib.sha256(f"{seed}\0{claim_id}\0{key}".encode()).digest()
    return int.from_bytes(digest[:4], "big")


def check_run_timeout(value: Any, name: str = "run_timeout") -> float | None:
    """``value`` as a time limit in seconds (``None``: no limit); ValueError/TypeError naming ``name``."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number of seconds or None, got {type(value).__name__} {value!r}")
    if not (math.isfinite(value) and 0 < value <= MAX_RUN_TIMEOUT):
        raise ValueError(f"{name} must be a number of seconds in (0, {MAX_RUN_TIMEOUT:g}], got {value!r}")
    return float(value)


def _plan(job: str, claim: Claim, profile: str, seed: int, constants: Mapping[str, Any] | None = None,
          run_timeout: float | None = None) -> tuple[list[_Task], list[str]]:
    """The runs of ``claim`` in ``profile`` (under the statement ``constants``), or no runs and a
    note saying why not."""
    try:
        grid = claim.runs_for(profile, constants)
        version = provenance.code_version(claim.run)
        keys = [params_key(p) for p in grid]
        limit = run_timeout if run_timeout is not None else \
            check_run_timeout(getattr(claim, "run_timeout", None), f"claim {claim.id}: run_timeout")
    except Exception as exc:  # a broken claim is reported on, not allowed to stop the others
        return [], [f"cannot expand the {profile!r} grid: {describe_exception(exc)}"]
    repeated = sorted(k for k, n in Counter(keys).items() if n > 1)
    if repeated:
        return [], [f"the {profile!r} grid repeats the parameter set {repeated[0]}; add a repetition "
                    "parameter (e.g. 'rep') to repeat a run"]
    return [_Task(job, claim.id, i, p, k, run_seed(seed, claim.id, k), version, claim.run, limit)
            for i, (p, k) in enumerate(zip(grid, keys, strict=True))], []


def _longest_first(tasks: Sequence[_Task], cache: RunCache) -> list[_Task]:
    """Order runs to shorten the sweep's tail: the slowest first.

    A run's cost is how long the same parameters took before (any seed or code
    version). Runs never timed go first, in reverse grid order, because grids
    conventionally grow their sizes towards the end.
    """
    timed = {cid: cache.durations(cid) for cid in {t.claim_id for t in tasks}}
    known = [t for t in tasks if t.key in timed[t.claim_id]]
    unknown = [t for t in tasks if t.key not in timed[t.claim_id]]
    return unknown[::-1] + sorted(known, key=lambda t: -timed[t.claim_id][t.key])


def _failed(error: str) -> dict[str, Any]:
    return {"status": "error", "value": {}, "error": error, "seconds": 0.0}


def _kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, signal.SIGKILL)


def _run_pool(queue: deque[_Task], workers: int, on_done: Callable[[_Task, dict[str, Any]], None]) -> list[_Task]:
    """Drain ``queue`` through a fresh pool; if a worker dies, return the runs that were in flight.

    A run past its time limit is recorded as ``timeout`` and its worker killed;
    the runs in flight with it go back to the front of ``queue`` for a new pool.
    On an interruption (Ctrl-C) the workers are terminated at once rather than
    left to finish runs whose results nobody would store.
    """
    context = multiprocessing.get_context("spawn")
    started = context.SimpleQueue()  # (token, pid, monotonic start) from each worker as it starts a run
    executor = ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=init_worker,
                                   initargs=(os.getpid(), started))
    in_flight: dict[Any, _Task] = {}
    running: dict[tuple[str, int], tuple[int, float]] = {}
    suspects: list[_Task] = []
    finished = killed = False
    try:
        while (queue or in_flight) and not suspects and not killed:
            # a short queue per worker keeps workers busy while bounding the runs a crash can implicate
            while queue and len(in_flight) < 2 * workers:
                task = queue.popleft()
                try:
                    future = executor.submit(execute, task.run, task.params, task.seed, (task.job, task.index))
                except BrokenProcessPool:
                    queue.appendleft(task)
                    break
                in_flight[future] = task
            if not in_flight:  # the pool broke before taking any run: the caller starts another
                break
            limited = any(t.timeout is not None for t in in_flight.values())
            done, _ = wait(in_flight, timeout=_POLL if limited else None, return_when=FIRST_COMPLETED)
            for future in done:
                task = in_flight.pop(future)
                try:
                    out = future.result()
                except BrokenProcessPool:
                    suspects.append(task)
                except Exception as exc:  # e.g. the run function could not be pickled
                    on_done(task, _failed(f"could not run in a worker: {describe_exception(exc)}"))
                else:
                    on_done(task, out)
            while not started.empty():
                token, pid, since = started.get()
                running[token] = (pid, since)
            for future, task in list(in_flight.items()):
                pid, since = running.get((task.job, task.index), (0, math.inf))
                if task.timeout is not None and time.monotonic() - since > task.timeout and not future.done():
                    _kill(pid)  # the pool breaks: the runs in flight with it are queued again below
                    del in_flight[future]
                    on_done(task, timed_out(task.timeout, time.monotonic() - since))
                    killed = True
        if killed:
            queue.extendleft(reversed(list(in_flight.values())))
            in_flight.clear()
        finished = True
        return suspects + list(in_flight.values())
    finally:
        if not finished or killed:
            # ProcessPoolExecutor has no public way to stop running calls before Python 3.14
            for process in list(getattr(executor, "_processes", {}).values()):
                process.terminate()
        executor.shutdown(wait=finished and not suspects and not killed, cancel_futures=True)
        started.close()


def _run_local(tasks: Sequence[_Task], workers: int, on_done: Callable[[_Task, dict[str, Any]], None]) -> None:
    from threadpoolctl import threadpool_limits

    queue = deque(tasks)
    # the workers are the parallelism: the waiting parent must not add BLAS threads to theirs
    with threadpool_limits(limits=1):
        while queue:
            for suspect in _run_pool(queue, workers, on_done):
                # alone in a pool, a run that kills its worker is identified and recorded as failed
                if _run_pool(deque([suspect]), 1, on_done):
                    on_done(suspect, _failed(_CRASHED))


_SCHEMES = ("tcp", "tls", "ws", "wss", "ucx")


def check_scheduler(address: Any) -> str:
    """``address`` if it reads as a Dask scheduler address (``tcp://host:port``...); ValueError otherwise."""
    if not isinstance(address, str) or not address.strip():
        raise ValueError(f"scheduler must be an address like tcp://host:port, got {address!r}")
    scheme, sep, location = address.partition("://")
    if not sep:
        scheme, location = "tcp", address
    if scheme not in _SCHEMES:
        raise ValueError(f"scheduler {address!r} has protocol {scheme!r}; Dask schedulers speak "
                         f"{', '.join(s + '://' for s in _SCHEMES)}")
    host, colon, port = location.rpartition(":")
    if not (colon and host.strip("[]") and port.isascii() and port.isdigit() and 0 < int(port) < 65536):
        raise ValueError(f"scheduler {address!r} must name a host and a port (e.g. tcp://10.0.0.1:8786)")
    return address


def _connect(address: str, timeout: float) -> Any:
    try:
        from distributed import Client
        from distributed.comm import parse_address, parse_host_port
    except ImportError:
        raise SchedulerUnreachable("--scheduler needs the 'distributed' package (pip install 'dask[distributed]')") \
            from None
    client = None
    try:
        scheme, location = parse_address(address)
        if scheme != "ucx":  # a refused port fails at once instead of after the client's retries
            socket.create_connection(parse_host_port(location), timeout=timeout).close()
        # built in two steps so that a failed connection can be disarmed: Client.__del__ would
        # otherwise wait twice the timeout on a loop that never connected, then print a traceback
        client = Client.__new__(Client)
        client.__init__(address, timeout=timeout, set_as_default=False)  # type: ignore[misc]
        return client
    except Exception as exc:
        if client is not None:
            with contextlib.suppress(Exception):
                client._loop_runner.stop()
            client.status = "closed"
        raise SchedulerUnreachable(f"cannot reach a Dask scheduler at {address!r} "
                                   f"({type(exc).__name__}: {' '.join(str(exc).split())})") from None


def _run_dask(client: Any, tasks: Sequence[_Task], on_done: Callable[[_Task, dict[str, Any]], None]) -> None:
    from distributed import as_completed

    futures = {client.submit(execute_limited, t.run, t.params, t.seed, t.timeout, pure=False): t for t in tasks}
    try:
        for future in as_completed(list(futures), loop=client.loop):
            task = futures.pop(future)
            try:
                out = future.result()
            except Exception as exc:  # KilledWorker, a lost worker, an unpicklable function
                out = _failed(f"the Dask cluster could not compute this run: {describe_exception(exc)}")
            on_done(task, out)
    finally:
        client.cancel(list(futures))


def _verdict(claim: Claim, records: Sequence[RunRecord], notes: list[str], constants: Mapping[str, Any] | None
             ) -> tuple[Verdict, list[Part]]:
    if notes and not records:
        return Verdict("inconclusive", notes[0], "(no runs)", "(no runs)", "(none)", "(none)"), []
    try:
        return checks_mod.judge(claim, records, constants)
    except Exception as exc:  # the runs stay valid (and cached); only the judging failed
        problem = f"checks() failed: {describe_exception(exc)}"
        notes.append(problem)
        return Verdict("inconclusive", f"{problem}; its {len(records)} finished runs are cached",
                       "(checks failed)", "(checks failed)", "(none)", "(unknown)"), []


def judge_claim(claim: Claim, records: Sequence[RunRecord], *, code_version: str = "",
                notes: Iterable[str] = (), constants: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The ``results.json`` entry of ``claim`` judged on ``records`` (in grid order).

    ``claim.checks`` raising (or returning something else than checks) makes
    the claim inconclusive with the error in its summary; the runs are kept.
    """
    notes = list(notes)
    verdict, parts = _verdict(claim, records, notes, constants)
    symbolic: dict[str, str] = {}
    if claim.symbolic is not None:
        try:
            symbolic = {str(k): str(v) for k, v in claim.symbolic().items()}
        except Exception as exc:
            notes.append(f"symbolic() failed: {describe_exception(exc)}")
    failed = failures(records)
    return {
        "id": claim.id, "paper": claim.paper, "source": claim.source, "title": claim.title,
        "statement_latex": claim.statement_latex, "kind": claim.kind, "level": claim.level,
        "verdict": verdict.verdict, "summary": verdict.summary, "predicted": verdict.predicted,
        "observed": verdict.observed, "tolerance": verdict.tolerance, "arithmetic": verdict.arithmetic,
        "checks": [p.as_dict() for p in parts], "evidence": jsonable(verdict.evidence),
        "runs": len(records), "failed_runs": len(failed), "failures": failed[:MAX_FAILURES_LISTED],
        "seconds": sum(r.seconds for r in records), "code_version": code_version,
        "symbolic": symbolic, "figures": [{"name": f.name, "caption": f.caption} for f in figures_of(claim)],
        "notes": notes,
    }


def _arithmetics(entries: Sequence[Mapping[str, Any]]) -> list[str]:
    """The distinct arithmetics of the claims (a claim may state several, joined by "+")."""
    names = {a.strip() for e in entries for a in e["arithmetic"].split(" + ")}
    return sorted(a for a in names if a and not a.startswith("("))


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _cores() -> int:
    """Cores this process may run on (a container's or taskset's share, not the host's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _check_args(profile: str, workers: int | None, seed: int) -> int:
    if profile not in PROFILES:
        raise ValueError(f"profile must be one of {', '.join(PROFILES)}, got {profile!r}")
    workers = _cores() if workers is None else workers
    if not isinstance(workers, int) or isinstance(workers, bool) or workers < 1:
        raise ValueError(f"workers must be a positive integer, got {workers!r}")
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise ValueError(f"seed must be an integer, got {seed!r}")
    return workers


def _sweep(plans: Mapping[str, tuple[list[_Task], list[str]]], cache: RunCache, *, fresh: bool,
           compute: Callable[[Sequence[_Task], Callable[[_Task, dict[str, Any]], None]], None],
           show_progress: bool) -> tuple[dict[tuple[str, int], RunRecord], int]:
    """Records of every planned run, from the cache or computed (and committed as each arrives).

    Jobs that plan the same run (a mutant whose constants do not reach the runs) share it:
    it is computed once.
    """
    records: dict[tuple[str, int], RunRecord] = {}
    todo: dict[tuple[str, str, int], list[_Task]] = {}
    for tasks, _ in plans.values():
        hits = {} if fresh or not tasks else cache.finished(tasks[0].claim_id, tasks[0].version)
        for task in tasks:
            hit = hits.get((task.key, task.seed))
            if hit is None:
                todo.setdefault((task.claim_id, task.key, task.seed), []).append(task)
            else:
                records[task.job, task.index] = RunRecord(task.claim_id, task.params, task.seed, "ok",
                                                          hit["value"], None, hit["seconds"])
    cached = len(records)
    bar = progress_mod.make(show_progress)

    def on_done(task: _Task, out: dict[str, Any]) -> None:
        cache.store(task.claim_id, task.key, task.seed, task.version, status=out["status"], value=out["value"],
                    error=out["error"], seconds=out["seconds"])
        for same in todo[task.claim_id, task.key, task.seed]:
            records[same.job, same.index] = RunRecord(task.claim_id, task.params, task.seed, out["status"],
                                                      out["value"], out["error"], out["seconds"])
        bar.advance(task.label, out["status"], out["error"])

    if todo:
        cache.check_writable()  # before any work: results that cannot be stored would be lost
    bar.start(cached + len(todo), cached)
    try:
        compute(_longest_first([group[0] for group in todo.values()], cache), on_done)
    finally:
        bar.close()
    return records, cached


@dataclass(frozen=True)
class Job:
    """A claim to run and judge, under its own statement or a mutant's constants."""

    name: str
    claim: Claim
    constants: Mapping[str, Any] | None = None


def evaluate(jobs: Sequence[Job], profile: str, cache_path: Path, *, workers: int, seed: int,
             scheduler: str | None, fresh: bool, show_progress: bool, connect_timeout: float,
             run_timeout: float | None = None) -> tuple[dict[str, dict[str, Any]], dict[tuple[str, int], RunRecord], int]:
    """Run and judge ``jobs``: their ``results.json`` entries by job name, the records, the cache hits.

    ``run_timeout`` (seconds) limits every run, overriding each claim's ``run_timeout``.
    """
    if scheduler is not None:
        check_scheduler(scheduler)
    client = _connect(scheduler, connect_timeout) if scheduler else None
    plans = {j.name: _plan(j.name, j.claim, profile, seed, j.constants, run_timeout) for j in jobs}
    try:
        def compute(tasks: Sequence[_Task], on_done: Callable[[_Task, dict[str, Any]], None]) -> None:
            if client is not None:
                _run_dask(client, tasks, on_done)
            else:
                _run_local(tasks, workers, on_done)

        with RunCache(cache_path) as cache:
            records, cached = _sweep(plans, cache, fresh=fresh, compute=compute, show_progress=show_progress)
    finally:
        if client is not None:
            client.close()
    entries = {}
    for job in jobs:
        tasks, notes = plans[job.name]
        entries[job.name] = judge_claim(job.claim, [records[t.job, t.index] for t in tasks],
                                        code_version=tasks[0].version if tasks else "", notes=notes,
                                        constants=job.constants)
    return entries, records, cached


def bibliography(claims: Sequence[Claim]) -> list[dict[str, Any]]:
    """The records of the papers the claims come from (those the registry knows), by key."""
    from proofs_check import registry

    found = {c.paper: registry.paper_of(c) for c in sorted(claims, key=lambda c: c.id)}
    return [paper.as_dict() for key in sorted(found) if (paper := found[key]) is not None]


def _earlier(out_dir: Path, profile: str, seed: int) -> tuple[dict[str, Any] | None, str | None]:
    """The folder's earlier results if a subset run may merge into them, else a warning saying why not."""
    if not (out_dir / results.FILENAME).exists():
        return None, None
    try:
        earlier = results.read(out_dir)
    except results.ResultsError as exc:
        return None, f"the earlier results are not kept: {exc}"
    prov = earlier.get("provenance") or {}
    if (prov.get("profile"), prov.get("seed")) != (profile, seed):
        return None, (f"the earlier results (profile {prov.get('profile')!r}, seed {prov.get('seed')!r}) are "
                      f"replaced: they are not of profile {profile!r}, seed {seed}")
    return earlier, None


def _merged_bibliography(new: list[dict[str, Any]], earlier: list[Any]) -> list[dict[str, Any]]:
    """``new`` and the records of ``earlier`` whose key it lacks (papers of kept claims), by key."""
    keys = {b.get("key") for b in new}
    kept = [b for b in earlier if isinstance(b, dict) and b.get("key") not in keys]
    return sorted([*new, *kept], key=lambda b: str(b.get("key")))


def run_claims(claims: Sequence[Claim], profile: str, out_dir: str | Path, *, workers: int | None = None,
               scheduler: str | None = None, seed: int = 0, fresh: bool = False, show_progress: bool = False,
               reports: bool = True, pdf: bool = True, connect_timeout: float = 10.0,
               run_timeout: float | None = None, reset_cache: bool = False, merge: bool = True) -> Results:
    """Run ``claims`` in ``profile``; write ``out_dir/results.json`` and (``reports``) the reports.

    ``workers`` processes (default: the machine's cores) or the Dask scheduler
    at ``scheduler``; ``fresh`` recomputes runs found in the cache (and replaces
    them there); ``run_timeout`` (seconds) limits every run, overriding each
    claim's ``run_timeout``; ``reset_cache`` moves an existing (e.g. damaged)
    cache aside first; ``merge`` keeps the entries of claims not run from an
    earlier ``results.json`` of the same profile and seed. Raises
    ``ValueError``/``TypeError`` for bad arguments,
    :class:`SchedulerUnreachable` before any work is done and
    :class:`proofs_check.cache.CacheError` for a cache that cannot be used.
    """
    workers = _check_args(profile, workers, seed)
    run_timeout = check_run_timeout(run_timeout)
    if scheduler is not None:
        check_scheduler(scheduler)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    warnings: list[str] = []
    if reset_cache and (moved := move_aside(out_dir / CACHE_FILENAME)) is not None:
        warnings.append(f"the earlier run cache was moved to {moved}")
    started, t0 = _now(), time.perf_counter()
    claims = sorted(claims, key=lambda c: c.id)
    by_job, records, cached = evaluate([Job(c.id, c) for c in claims], profile, out_dir / CACHE_FILENAME,
                                       workers=workers, seed=seed, scheduler=scheduler, fresh=fresh,
                                       show_progress=show_progress, connect_timeout=connect_timeout,
                                       run_timeout=run_timeout)
    entries = [by_job[c.id] for c in claims]
    earlier, problem = _earlier(out_dir, profile, seed) if merge else (None, None)
    warnings += [problem] if problem else []
    ran = {c.id for c in claims}
    kept = [c for c in earlier["claims"] if c["id"] not in ran] if earlier else []
    earlier_bibliography = (earlier or {}).get("bibliography") or [] if kept else []
    n_failed = sum(1 for r in records.values() if not r.ok)
    data = {
        "schema": results.SCHEMA,
        "provenance": {
            **provenance.environment(), "profile": profile, "seed": seed,
            "arithmetic": _arithmetics(entries + kept),
            "workers": None if scheduler else workers, "scheduler": scheduler,
            "runs": {"total": len(records), "computed": len(records) - cached, "cached": cached, "failed": n_failed},
            **({"kept": sorted(c["id"] for c in kept)} if kept else {}),
        },
        "bibliography": _merged_bibliography(bibliography(claims), earlier_bibliography),
        "claims": entries + kept,
        "timing": {"started": started, "finished": _now(), "wall_seconds": time.perf_counter() - t0,
                   "claims": {cid: t for cid, t in ((earlier or {}).get("timing") or {}).get("claims", {}).items()
                              if cid not in ran}},
    }
    data = results.split_timing(data)
    results.write(out_dir, data)
    if reports:
        from proofs_check import report

        figures = {c.id: figures_of(c) for c in claims}
        warnings += report.build(out_dir, data, lambda cid: figures.get(cid, ()), pdf=pdf).warnings
    return Results(data, out_dir, len(records) - cached, cached, n_failed, tuple(warnings))
