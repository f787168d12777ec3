"""``proofs-check search`` (also ``python -m proofs_check.search``).

``proofs-check search CLAIM_ID... [--budget N] [--seed S] [--out DIR] [--fresh] [--strict]``
searches each claim's hypothesis space and prints the worst instance, shrunk, its score
and the command that reruns it; the result goes to ``DIR/search/<id>.json`` and, when
``DIR/results.json`` exists, into it and its reports.
``proofs-check search CLAIM_ID --instance JSON`` recomputes exactly one instance.

Exit status: 0 when the searches ran, 1 with ``--strict`` when one found a violation,
2 for usage errors.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["add_arguments", "command", "main"]

DEFAULT_OUT = "reports/standard"
FALLBACK_BUDGET = 60


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The arguments of ``search``, for a subparser of the main CLI."""
    parser.add_argument("claims", nargs="+", metavar="CLAIM_ID", help="claim ids or shell globs")
    parser.add_argument("--budget", type=_count, default=None,
                        help="instances to try (default: the claim's standard-profile budget)")
    parser.add_argument("--seed", type=_count, default=0, help="Hypothesis seed (default 0)")
    parser.add_argument("--out", type=_folder, default=DEFAULT_OUT,
                        help=f"folder of the evaluation cache and results (default {DEFAULT_OUT})")
    parser.add_argument("--fresh", action="store_true", help="discard cached evaluations")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a violation is found")
    parser.add_argument("--instance", default=None, metavar="JSON",
                        help='recompute one instance {"params": {...}, "seed": S} instead of searching')


def _count(text: str) -> int:
    if not (text.isascii() and text.isdigit()):
        raise argparse.ArgumentTypeError(f"must be a non-negative integer, got {text!r}")
    return int(text)


def _folder(text: str) -> str:
    if not text.strip() or "\0" in text:
        raise argparse.ArgumentTypeError(f"must name a folder, got {text!r}")
    if Path(text).exists() and not Path(text).is_dir():
        raise argparse.ArgumentTypeError(f"must name a folder, but {text!r} is a file")
    return text


def _usage(message: str) -> int:
    print(f"proofs-check search: error: {message}", file=sys.stderr)
    return 2


def command(args: argparse.Namespace) -> int:
    """Run ``search`` for parsed ``args``; the exit status."""
    from proofs_check.results import ResultsError

    try:
        return _command(args)
    except ResultsError as exc:
        return _usage(str(exc))
    except OSError as exc:
        return _usage(f"cannot write in {args.out!r}: {exc.strerror or exc}")


def _command(args: argparse.Namespace) -> int:
    from proofs_check import registry
    from proofs_check.search.engine import search
    from proofs_check.search.results import save_search
    from proofs_check.search.space import space_for

    try:
        claims = registry.select(args.claims)
    except registry.UnknownClaimError as exc:
        return _usage(str(exc))
    if args.instance is not None:
        return _replay(claims, args)
    searchable = [c for c in claims if space_for(c) is not None]
    for pattern in args.claims:
        if pattern in {c.id for c in claims} and pattern not in {c.id for c in searchable}:
            return _usage(f"claim {pattern!r} declares no search space")
    if not searchable:
        return _usage("none of the selected claims declares a search space")
    out = Path(args.out)
    violated = False
    for claim in searchable:
        space = space_for(claim)
        budget = args.budget if args.budget is not None or space is None else \
            space.budget("standard") or FALLBACK_BUDGET
        result = search(claim, budget, args.seed, out_dir=out, fresh=args.fresh)
        save_search(out, result.to_json())
        violated |= result.violated
        print(f"{claim.id}: {result.summary()}")
        if result.best is not None:
            print(f"  worst instance found: {json.dumps(result.best.to_json(), sort_keys=True)} "
                  f"(score {result.best_score:.6g})")
        if result.shrunk is not None:
            print(f"  shrunk to: {json.dumps(result.shrunk.to_json(), sort_keys=True)} "
                  f"(score {result.shrunk_score:.6g})")
            print(f"  rerun: {result.command}")
        if result.onset:
            print(f"  failure onset along {result.onset['parameter']}: last pass {result.onset['last_pass']}, "
                  f"first fail {result.onset['first_fail']}")
        print(f"  {result.examples} instances ({result.evaluations} computed, {result.cached} from cache, "
              f"{result.failed} failed) in {result.seconds:.1f} s")
    _update_results(out, searchable)
    return 1 if violated and args.strict else 0


def _replay(claims: Sequence, args: argparse.Namespace) -> int:
    from proofs_check.search.engine import Instance, NoSearchSpace, replay
    from proofs_check.search.space import space_for

    if len(claims) != 1:
        return _usage("--instance needs exactly one claim id")
    space = space_for(claims[0])
    if space is None:
        return _usage(f"--instance: claim {claims[0].id!r} declares no search space")
    try:
        instance = Instance.from_json(json.loads(args.instance))
        _check_names(instance.params, space)
        evaluation, violated = replay(claims[0], instance)
    except (ValueError, NoSearchSpace) as exc:
        return _usage(f"--instance: {' '.join(str(exc).split())}")
    if evaluation.status == "error":
        return _usage(f"--instance: the run failed on these parameters: {evaluation.error}")
    if evaluation.rejected:
        return _usage("--instance: the parameters are outside the claim's hypotheses (the score rejects them)")
    print(json.dumps({"claim_id": claims[0].id, **instance.to_json(), "score": evaluation.score,
                      "score_meaning": space.score_meaning, "threshold": space.threshold,
                      "status": evaluation.status, "error": evaluation.error, "violated": violated},
                     sort_keys=True))
    return 1 if violated and args.strict else 0


def _check_names(params: dict, space: Any) -> None:
    """The parameter names of ``params`` are those of the search space's instances."""
    from hypothesis import find, settings

    example = find(space.strategy, lambda _: True, settings=settings(database=None, max_examples=10))
    missing, unknown = sorted(set(example) - set(params)), sorted(set(params) - set(example))
    if missing or unknown:
        raise ValueError("parameters must be exactly " + ", ".join(sorted(example))
                         + (f"; missing {', '.join(missing)}" if missing else "")
                         + (f"; unknown {', '.join(unknown)}" if unknown else ""))


def _update_results(out: Path, claims: Sequence) -> None:
    """Attach the new searches to ``out/results.json`` and rebuild its reports, if there is one."""
    from proofs_check import report, results
    from proofs_check.search.results import attach_search, load_searches

    if not (out / results.FILENAME).exists():
        return
    data = results.read(out)
    saved = load_searches(out)
    ids = {c.id for c in claims}
    data = {**data, "claims": [attach_search(c, saved[c["id"]]) if c["id"] in ids and c["id"] in saved else c
                               for c in data["claims"]]}
    results.write(out, data)
    built = report.build(out, data, pdf=False)
    for warning in built.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(f"updated {out / results.FILENAME} and its reports")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m proofs_check.search", description=__doc__.split("\n\n")[0])
    add_arguments(parser)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse's own exits (--help, a bad argument): a status, like command()
        return int(exc.code or 0)
    return command(args)
