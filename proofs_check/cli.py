"""The ``proofs-check`` command line: list, run, search, mutate, report, diff, export, derive, new.

Usage errors (unknown claim ids, globs that match nothing, bad profiles,
unreachable schedulers, unreadable results, a damaged or unwritable run cache)
exit with status 2 and one line on stderr; ``run --strict`` exits 1 when a claim
is refuted. SIGTERM stops a run like Ctrl-C (the workers go with it).
"""

from __future__ import annotations

import argparse
import importlib
import json
import math
import os
import pkgutil
import re
import signal
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

from proofs_check.claim import PROFILES, VERDICTS

PROG = "proofs-check"
EXIT_REFUTED, EXIT_USAGE, EXIT_INTERRUPTED = 1, 2, 130
STRICT_LEVELS = ("refuted", "not_reproduced", "inconclusive")
REPORT_FILES = ("report.md", "report.html", "report.tex", "report.pdf")


def failing(verdicts: dict[str, str], level: str) -> list[str]:
    """Claim ids whose verdict is ``level`` or worse (refuted > not_reproduced > inconclusive)."""
    worse = STRICT_LEVELS[: STRICT_LEVELS.index(level) + 1]
    return [cid for cid, v in verdicts.items() if v in worse]


class UsageError(Exception):
    """Bad input from the user: reported in one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, not argparse's usage block
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


_INTEGER = re.compile(r"[+-]?[0-9]+")  # ASCII digits only: int() would also take "٣" or "1_000"


def _integer(text: str) -> int:
    if not _INTEGER.fullmatch(text):
        raise argparse.ArgumentTypeError(f"must be an integer, got {text!r}")
    return int(text)


def _positive_int(text: str) -> int:
    value = int(text) if _INTEGER.fullmatch(text) else 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text!r}")
    return value


def _seconds(text: str) -> float:
    from proofs_check.runner import MAX_RUN_TIMEOUT

    try:
        value = float(text) if text.isascii() else math.nan
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and 0 < value <= MAX_RUN_TIMEOUT):
        raise argparse.ArgumentTypeError(f"must be a number of seconds in (0, {MAX_RUN_TIMEOUT:g}], got {text!r}")
    return value


def _folder(text: str) -> str:
    if not text.strip():
        raise argparse.ArgumentTypeError("must name a folder, got an empty string")
    if "\0" in text:
        raise argparse.ArgumentTypeError(f"must name a folder, got {text!r}")
    return text


def _address(text: str) -> str:
    from proofs_check.runner import check_scheduler

    try:
        return check_scheduler(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _interrupt_on_sigterm() -> None:
    """Let SIGTERM unwind like Ctrl-C, so that the pool's workers are stopped before the process ends."""
    def handler(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, handler)


def _say(message: str) -> None:
    print(f"{PROG}: {message}", file=sys.stderr)


def cmd_list(args: argparse.Namespace) -> int:
    from tabulate import tabulate

    from proofs_check import registry

    if args.paper is not None and args.paper not in registry.papers():
        raise UsageError(f"--paper: unknown paper {args.paper!r}; known: {', '.join(registry.papers())}")
    claims = [c for c in registry.all_claims() if args.paper is None or c.paper == args.paper]
    last = _last_verdicts(args.out) if args.out else {}
    if args.json:
        print(json.dumps([{"id": c.id, "paper": c.paper, "level": c.level, "kind": c.kind, "source": c.source,
                           "title": c.title, **({"verdict": (last.get(c.id) or {}).get("verdict")} if args.out
                                                else {})} for c in claims], indent=2, ensure_ascii=False))
        return 0
    # sources and statements run long: wrap them so a row fits a terminal
    extra_headers: list[str] = ["verdict"] if args.out else []
    extra_widths: list[int | None] = [None] if args.out else []
    from proofs_check.report.tables import verdict_label

    print(tabulate([[c.id, c.paper, c.source, c.title] + ([verdict_label(last[c.id]) if c.id in last else "-"]
                                                          if args.out else [])
                    for c in claims],
                   headers=["claim", "paper", "source", "statement", *extra_headers], tablefmt="simple",
                   disable_numparse=True, maxcolwidths=[None, None, 36, 56, *extra_widths]))
    return 0


def _last_verdicts(out: str) -> dict[str, dict[str, Any]]:
    """The claims of ``out/results.json`` by id."""
    from proofs_check import results

    try:
        data = results.read(out)
    except results.ResultsError as exc:
        raise UsageError(f"--out: {exc}") from None
    return {c["id"]: c for c in data["claims"]}


def cmd_run(args: argparse.Namespace) -> int:
    from proofs_check import registry, report, runner
    from proofs_check.report.tables import summary_line

    try:
        claims = registry.select(args.claims)
    except registry.UnknownClaimError as exc:
        raise UsageError(str(exc)) from None
    from lintheory.arith import MAX_PREC, MIN_PREC

    if args.certify_prec is not None and not MIN_PREC <= args.certify_prec <= MAX_PREC:
        raise UsageError(f"--certify-prec must be in [{MIN_PREC}, {MAX_PREC}] bits, got {args.certify_prec}")
    from proofs_check.cache import CacheError

    out = Path(args.out if args.out is not None else Path("reports") / args.profile)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot create the output folder {str(out)!r}: {exc.strerror or exc}") from None
    _interrupt_on_sigterm()
    try:
        res = runner.run_claims(claims, args.profile, out, workers=args.workers, scheduler=args.scheduler,
                                seed=args.seed, fresh=args.fresh, show_progress=not args.quiet, reports=False,
                                run_timeout=args.run_timeout, reset_cache=args.reset_cache, merge=bool(args.claims))
        data = _search_and_certify(res.data, claims, args, out)
    except (runner.SchedulerUnreachable, CacheError) as exc:
        raise UsageError(str(exc)) from None
    except KeyboardInterrupt:
        _say(f"interrupted; finished runs are saved in {out / 'cache.sqlite'}: rerun the same command to resume")
        return EXIT_INTERRUPTED
    from proofs_check.progress import stages

    warnings = [*res.warnings, *report.build(out, data, notify=stages(not args.quiet)).warnings]
    if not args.quiet:
        for warning in warnings:
            _say(f"warning: {warning}")
    ran = {c.id for c in claims}
    entries = [c for c in data["claims"] if c["id"] in ran]  # a subset run keeps the folder's other claims
    refuted = [c["id"] for c in entries if c["verdict"] == "refuted"]
    kept = len(data["claims"]) - len(entries)
    reports = [str(out / f) for f in REPORT_FILES if (out / f).exists()]
    verdicts = {c["id"]: c["verdict"] for c in entries}
    runs = {"computed": res.computed, "cached": res.cached, "failed": res.failed}
    if args.json:
        from proofs_check.report.tables import counts

        print(json.dumps({"summary": summary_line(entries), "counts": counts(entries), "runs": runs,
                          "verdicts": verdicts, "levels": {c["id"]: c.get("level") for c in entries},
                          "kept": kept, "results": str(out / "results.json"), "reports": reports,
                          "warnings": list(warnings)}, indent=2))
    else:
        print(f"{summary_line(entries)} ({res.computed} runs computed, {res.cached} from the cache, "
              f"{res.failed} failed)" + (f"; {kept} other claims kept from earlier runs in {out}" if kept else ""))
        if refuted and not args.quiet:
            print("refuted: " + ", ".join(refuted))
        if not args.quiet:
            print(f"results: {out / 'results.json'}\nreports: {', '.join(reports)}")
    return EXIT_REFUTED if args.strict and failing(verdicts, args.strict) else 0


def cmd_mutate(args: argparse.Namespace) -> int:
    from tabulate import tabulate

    from proofs_check import mutate, registry, report, results, runner

    claims = registry.select(args.claims)
    out = Path(args.out or Path("reports") / args.profile)
    workers = runner._check_args(args.profile, args.workers, args.seed)
    try:
        rows = mutate.mutate(claims, args.profile, out, workers=workers, seed=args.seed, fresh=args.fresh,
                             show_progress=True)
    except KeyboardInterrupt:
        _say(f"interrupted; finished runs are saved in {out / 'cache.sqlite'}: rerun the same command to resume")
        return EXIT_INTERRUPTED
    print(tabulate([[r["claim"], r["mutant"] or "-", {True: "caught", False: "SURVIVED", None: "-"}[r["caught"]],
                     r["verdict"] or "-", r["finding"] or (r["description"] if r["mutant"] is None else "")]
                    for r in rows], headers=["claim", "mutant", "caught", "verdict", "note"], tablefmt="simple",
                   disable_numparse=True, maxcolwidths=[None, None, None, None, 70]))
    declared = [r for r in rows if r["mutant"] is not None]
    print(f"{sum(1 for r in declared if r['caught'])} of {len(declared)} mutants caught; "
          f"{sum(1 for r in rows if r['mutant'] is None)} claims declare none; {out / mutate.FILENAME}")
    try:  # the report's Power column, when the folder holds a run's results
        data = results.read(out)
    except results.ResultsError:
        return 0
    from proofs_check.progress import stages

    report.build(out, data, pdf=not args.no_pdf, notify=stages(True))
    return 0


def _search_and_certify(data: dict[str, Any], claims: Sequence[Any], args: argparse.Namespace,
                        out: Path) -> dict[str, Any]:
    """Attach saved and new searches (``--no-search`` skips new ones) and, with ``--certify``,
    Arb certificates to ``data``; write ``results.json`` again."""
    from proofs_check import results
    from proofs_check.search import pipeline
    from proofs_check.search.results import apply_saved

    data = apply_saved(data, out)
    if not args.no_search:
        data = pipeline.with_searches(data, claims, args.profile, out, seed=args.seed,
                                      budget=args.search_budget, notify=_say)
    if args.certify:
        data = pipeline.with_certificates(data, claims, args.profile, seed=args.seed, prec=args.certify_prec,
                                          notify=_say)
    results.write(out, data)
    return data


def cmd_search(args: argparse.Namespace) -> int:
    from proofs_check.search.cli import command

    return command(args)


def cmd_report(args: argparse.Namespace) -> int:
    from proofs_check import report, results

    try:
        data = results.read(args.dir)
    except results.ResultsError as exc:
        raise UsageError(str(exc)) from None
    from proofs_check.progress import stages

    try:
        built = report.build(args.dir, data, pdf=not args.no_pdf, notify=stages(True))
    except OSError as exc:
        raise UsageError(f"cannot write the reports in {args.dir!r}: {exc.strerror or exc}") from None
    for warning in built.warnings:
        _say(f"warning: {warning}")
    print("wrote " + ", ".join(str(p) for p in built.paths if p.parent == Path(args.dir)))
    return 0


def cmd_diff(args: argparse.Namespace) -> int:
    from proofs_check import diff, results

    if args.slack_rtol < 0:
        raise UsageError(f"--slack-rtol must be >= 0, got {args.slack_rtol}")
    try:
        a, b = diff.load(args.a), diff.load(args.b)
    except results.ResultsError as exc:
        raise UsageError(str(exc)) from None
    found = diff.compare(a, b, slack_rtol=args.slack_rtol)
    print(diff.dumps(found) if args.json else diff.render(found, args.a, args.b))
    return EXIT_REFUTED if args.strict and found.worse else 0


def cmd_export(args: argparse.Namespace) -> int:
    from proofs_check import export, results

    formats = [f for f in export.FORMATS if getattr(args, f)] or list(export.FORMATS)
    try:
        data = results.read(args.results)
    except results.ResultsError as exc:
        raise UsageError(f"--from: {exc}") from None
    try:
        written = export.export(data, args.id, Path(args.results), Path(args.to), formats)
    except KeyError:
        raise UsageError(f"{args.id!r} is not in {Path(args.results) / results.FILENAME}; "
                         f"it holds: {', '.join(sorted(c['id'] for c in data['claims']))}") from None
    print("wrote " + (", ".join(str(p) for p in written) or "nothing (the claim has no figure to copy)"))
    return 0


def _derivations() -> dict[str, Callable[[], Sequence[tuple[str, Any]]]]:
    """``"<paper>.<name>" -> steps`` from every ``lintheory.symbolic.<paper>`` module's ``DERIVATIONS``.

    Names are prefixed with the module's name unless they already carry it.
    """
    import lintheory.symbolic as symbolic_pkg

    found = {}
    for info in sorted(pkgutil.iter_modules(symbolic_pkg.__path__), key=lambda m: m.name):
        try:
            module = importlib.import_module(f"{symbolic_pkg.__name__}.{info.name}")
        except Exception as exc:  # one broken module must not hide the others
            _say(f"warning: cannot import lintheory.symbolic.{info.name}: {type(exc).__name__}: {exc}")
            continue
        for name, steps in getattr(module, "DERIVATIONS", {}).items():
            found[name if name.startswith(f"{info.name}.") else f"{info.name}.{name}"] = steps
    return found


def cmd_derive(args: argparse.Namespace) -> int:
    import sympy

    available = _derivations()
    if args.name is None:
        chosen = list(available)
    else:
        chosen = [k for k in available
                  if args.name in (k, k.split(".", 1)[0], k.split(".", 1)[1])]
        if not chosen:
            raise UsageError(f"unknown derivation {args.name!r}; known: {', '.join(available) or 'none'}")
    for key in chosen:
        print(f"== {key} ==")
        for caption, expr in available[key]():
            print(f"-- {caption}")
            print(sympy.pretty(expr, use_unicode=True) if isinstance(expr, sympy.Basic) else str(expr))
            print(f"LaTeX: {sympy.latex(expr) if isinstance(expr, sympy.Basic) else expr}")
        print()
    return 0


def cmd_new(args: argparse.Namespace) -> int:
    import re

    from proofs_check.userclaims import template

    if not re.fullmatch(r"[a-z][a-z0-9_]*", args.name):
        raise UsageError(f"NAME must be snake_case (letters, digits, '_'), got {args.name!r}")
    path = Path.cwd() / f"{args.name}.{'py' if args.python else 'toml'}"
    if path.exists() and not args.force:
        raise UsageError(f"{path.name} exists; use --force to overwrite it")
    path.write_text(template.render(args.name, python=args.python), encoding="utf-8")
    print(f"wrote {path.name} (claim mine2026.{args.name}); check it with\n"
          f"  {PROG} run --claims-path . --profile quick --out out")
    return 0


def _claims_path_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--claims-path", action="append", default=[], metavar="DIR",
                   help="also load the claim files (*.py, *.toml) in DIR (repeatable); they run as code, so "
                        "load only files you trust")


def _sweep_options(p: argparse.ArgumentParser, out_help: str) -> None:
    """The claims, profile, output folder, workers, seed and --fresh of a sweep (run and mutate)."""
    p.add_argument("claims", nargs="*", metavar="IDS_OR_GLOBS", help="claim ids or globs (default: all)")
    p.add_argument("--profile", choices=PROFILES, default="quick", help="parameter grids to run (default: quick)")
    p.add_argument("--out", type=_folder, metavar="DIR", help=out_help)
    p.add_argument("--workers", type=_positive_int, metavar="N",
                   help="local worker processes (default: the machine's cores)")
    p.add_argument("--seed", type=_integer, default=0, metavar="S", help="global seed (default: 0)")
    p.add_argument("--fresh", action="store_true", help="recompute runs found in the cache")


def parser() -> argparse.ArgumentParser:
    p = _Parser(prog=PROG, description="Check theorems about deep linear networks against computation.")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    ls = sub.add_parser("list", help="list the claims: id, paper, source, statement",
                        description="List the registered claims.")
    ls.add_argument("--paper", metavar="P", help="only this paper's claims (e.g. arora2018)")
    ls.add_argument("--out", metavar="DIR", help="also show each claim's last verdict from DIR/results.json")
    ls.add_argument("--json", action="store_true", help="print the claims as JSON (with --out: their verdicts)")
    _claims_path_option(ls)
    ls.set_defaults(func=cmd_list)

    run = sub.add_parser("run", help="run claims and write results.json and the reports",
                         description="Run claims (all, or those matching the ids and shell globs given), judge "
                                     "them and write DIR/results.json, DIR/report.md, DIR/report.tex, "
                                     "DIR/report.pdf (when pdflatex is available), DIR/figures/ and the run "
                                     "cache DIR/cache.sqlite. An interrupted run resumes from the cache.")
    _sweep_options(run, out_help="output folder (default: reports/<profile>); a subset of claims run into a folder "
                                 "with results of the same profile and seed is merged")
    run.add_argument("--scheduler", type=_address, metavar="ADDRESS",
                     help="run on the Dask cluster at ADDRESS (tcp://host:port)")
    run.add_argument("--reset-cache", action="store_true",
                     help="move DIR/cache.sqlite aside (e.g. a damaged one) and start a new cache")
    run.add_argument("--run-timeout", type=_seconds, metavar="SECONDS",
                     help="stop any run after SECONDS and record it as 'timeout' (default: each claim's "
                          "run_timeout, usually no limit)")
    run.add_argument("--strict", nargs="?", const="refuted", choices=STRICT_LEVELS, metavar="LEVEL",
                     help="exit 1 when a claim's verdict is LEVEL or worse: 'refuted' (the default when "
                          "LEVEL is omitted), 'not_reproduced' (also a failed reconstruction) or "
                          "'inconclusive' (anything but confirmed)")
    run.add_argument("--no-search", action="store_true",
                     help="skip the counterexample searches (run by default at the profile's budget; "
                          "saved searches in DIR/search/ are kept either way)")
    run.add_argument("--search-budget", type=_positive_int, metavar="N",
                     help="instances per search (default: each claim's budget for the profile)")
    run.add_argument("--certify", action="store_true",
                     help="certify the claims' instances in Arb ball arithmetic where a claim declares how")
    run.add_argument("--certify-prec", type=_positive_int, metavar="BITS",
                     help="Arb precision of --certify (default: each claim's, usually 200)")
    run.add_argument("--quiet", action="store_true",
                     help="no progress and no warnings on stderr; print only the summary line")
    run.add_argument("--json", action="store_true",
                     help="print the outcome as JSON (counts, verdicts, levels, runs, files) instead of text")
    _claims_path_option(run)
    run.set_defaults(func=cmd_run)

    from proofs_check.search.cli import add_arguments as add_search_arguments

    srch = sub.add_parser("search", help="search a claim's hypotheses for the instance closest to breaking it",
                          description="Search each claim's hypothesis space with Hypothesis (target() on the "
                                      "claim's violation score), shrink the worst instance, print it with its "
                                      "score and the command that reruns it; save it in DIR/search/ and "
                                      "DIR/results.json. Deterministic for a seed and budget; resumable.")
    add_search_arguments(srch)
    _claims_path_option(srch)
    srch.set_defaults(func=cmd_search)

    mut = sub.add_parser("mutate", help="run each claim against its mutants (is each check able to fail?)",
                         description="Judge each claim under its own statement and under each of its declared "
                                     "mutants (a constant scaled, an exponent changed, an inequality tightened); "
                                     "write DIR/mutants.json and print which mutants the checks catch. A survivor "
                                     "is a finding: a weak check, or a bound that could be tightened.")
    _sweep_options(mut, out_help="output folder (default: reports/<profile>)")
    mut.add_argument("--no-pdf", action="store_true", help="do not recompile report.pdf")
    _claims_path_option(mut)
    mut.set_defaults(func=cmd_mutate)

    rep = sub.add_parser("report", help="rebuild the reports from DIR/results.json without rerunning",
                         description="Rebuild report.md, report.tex, report.pdf and figures/ from DIR/results.json.")
    rep.add_argument("dir", type=_folder, metavar="DIR", help="folder holding results.json")
    rep.add_argument("--no-pdf", action="store_true", help="do not compile report.pdf")
    rep.set_defaults(func=cmd_report)

    dif = sub.add_parser("diff", help="compare two runs: verdict, level and slack changes, new and removed claims",
                         description="Compare the results of two runs (output folders or results.json files): "
                                     "verdict changes (marked WORSE when a verdict moved down confirmed < "
                                     "inconclusive < not reproduced < refuted), level changes, slack changes "
                                     "beyond --slack-rtol, claims that are new in B or gone from A.")
    dif.add_argument("a", metavar="A", help="the earlier run: an output folder or its results.json")
    dif.add_argument("b", metavar="B", help="the later run: an output folder or its results.json")
    dif.add_argument("--strict", action="store_true", help="exit 1 when a verdict got worse")
    dif.add_argument("--slack-rtol", type=float, default=0.01, metavar="R",
                     help="relative change of a slack (min, median, max) reported as a change (default: 0.01)")
    dif.add_argument("--json", action="store_true", help="print the changes as JSON")
    dif.set_defaults(func=cmd_diff)

    exp = sub.add_parser("export", help="write one claim's evidence table (LaTeX) and figures (PNG, PDF) for a paper",
                         description="Write one claim's evidence table as a LaTeX table (booktabs) and its figures "
                                     "as PNG and/or PDF, from a run's results.json (no rerun). Without --latex, "
                                     "--png or --pdf, all three.")
    exp.add_argument("id", metavar="ID", help="the claim id, e.g. wu2019.zas_iteration_bound")
    exp.add_argument("--from", dest="results", default=str(Path("reports") / "standard"), metavar="DIR",
                     help="the run's output folder (default: reports/standard)")
    exp.add_argument("--to", default="export", metavar="DIR", help="where to write the files (default: export)")
    exp.add_argument("--latex", action="store_true", help="the evidence table as <id>-table.tex")
    exp.add_argument("--png", action="store_true", help="the figures as PNG")
    exp.add_argument("--pdf", action="store_true", help="the figures as PDF")
    _claims_path_option(exp)
    exp.set_defaults(func=cmd_export)

    der = sub.add_parser("derive", help="print the symbolic derivations (pretty and LaTeX)",
                         description="Print the derivations of lintheory.symbolic, step by step.")
    der.add_argument("name", nargs="?", metavar="NAME",
                     help="a derivation ('<paper>.<name>' or '<name>') or a paper's module (default: all)")
    der.set_defaults(func=cmd_derive)

    new = sub.add_parser("new", help="write a runnable template of your own claim (new claim NAME)",
                         description="Write NAME.toml (or NAME.py with --python) into the current folder: a "
                                     "commented claim that runs as it is, to edit into your own theorem.")
    new.add_argument("what", choices=["claim"], help="what to create")
    new.add_argument("name", metavar="NAME", help="snake_case name; the claim id is mine2026.NAME")
    new.add_argument("--python", action="store_true", help="write the Python variant NAME.py")
    new.add_argument("--force", action="store_true", help="overwrite an existing file")
    new.set_defaults(func=cmd_new)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    from proofs_check.registry import ClaimModuleError, UnknownClaimError

    args = parser().parse_args(argv)
    try:
        from proofs_check.plugins import add_claim_paths

        try:
            add_claim_paths(getattr(args, "claims_path", []))
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        return args.func(args)
    except (UsageError, ClaimModuleError, UnknownClaimError) as exc:
        print(f"{PROG} {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:  # output piped into e.g. `head`, which stopped reading
        # point stdout at devnull so the interpreter's final flush does not raise again
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
