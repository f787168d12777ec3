"""Progress of a sweep: a rich bar with ETA on a terminal, throttled plain lines otherwise."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol, TextIO

if TYPE_CHECKING:  # rich is imported only when a bar is shown
    from rich.progress import TaskID


class Progress(Protocol):
    def start(self, total: int, cached: int) -> None: ...
    def advance(self, label: str, status: str, error: str | None) -> None: ...
    def close(self) -> None: ...


class Silent:
    """No output (library use, tests)."""

    def start(self, total: int, cached: int) -> None:
        pass

    def advance(self, label: str, status: str, error: str | None) -> None:
        pass

    def close(self) -> None:
        pass


class Lines:
    """One status line at most every ``every`` seconds, plus one line per failed run."""

    def __init__(self, stream: TextIO, every: float = 5.0):
        self._stream, self._every = stream, every
        self._total = self._cached = self._done = self._failed = 0
        self._t0 = self._last = 0.0

    def _say(self, text: str) -> None:
        print(f"proofs-check: {text}", file=self._stream, flush=True)

    def _status(self) -> str:
        elapsed = time.monotonic() - self._t0
        left = self._total - self._cached - self._done
        eta = f", ETA {elapsed / self._done * left:.0f}s" if self._done and left else ""
        return (f"{self._cached + self._done}/{self._total} runs ({self._cached} cached, {self._failed} failed), "
                f"{elapsed:.0f}s elapsed{eta}")

    def start(self, total: int, cached: int) -> None:
        self._total, self._cached = total, cached
        self._t0 = self._last = time.monotonic()
        self._say(f"{total} runs, {cached} from the cache, {total - cached} to compute")

    def advance(self, label: str, status: str, error: str | None) -> None:
        self._done += 1
        if status != "ok":
            self._failed += 1
            self._say(f"run {label} {status}: {error}")
        if time.monotonic() - self._last >= self._every:
            self._last = time.monotonic()
            self._say(self._status())

    def close(self) -> None:
        self._say(self._status())


class Bar:
    """A rich progress bar with elapsed time and ETA (on a terminal)."""

    def __init__(self, stream: TextIO):
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self._progress = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                                  TextColumn("{task.fields[failed]} failed"), TimeElapsedColumn(),
                                  TextColumn("ETA"), TimeRemainingColumn(), console=Console(file=stream))
        self._task: TaskID | None = None

    def start(self, total: int, cached: int) -> None:
        self._progress.start()
        self._task = self._progress.add_task("runs", total=total, completed=cached, failed=0)

    def advance(self, label: str, status: str, error: str | None) -> None:
        if self._task is None:
            raise RuntimeError("Bar.advance called before Bar.start")
        failed = self._progress.tasks[0].fields["failed"] + (status != "ok")
        if status != "ok":
            self._progress.console.print(f"run {label} {status}: {error}", markup=False, highlight=False)
        self._progress.update(self._task, advance=1, failed=failed)

    def close(self) -> None:
        self._progress.stop()


def make(show: bool, stream: TextIO | None = None) -> Progress:
    """A bar when ``stream`` (default: stderr) is a terminal, plain lines otherwise; nothing unless ``show``."""
    if not show:
        return Silent()
    stream = stream or sys.stderr
    return Bar(stream) if stream.isatty() else Lines(stream)


class Stages:
    """The stages of building the reports, one line each on ``stream``; repeated stages (one per claim's
    figures) at most one line every ``every`` seconds, so a long build is never silent and never noisy."""

    def __init__(self, stream: TextIO, every: float = 5.0):
        self._stream, self._every = stream, every
        self._t0 = time.monotonic()
        self._last = -every
        self._kind = ""

    def __call__(self, message: str) -> None:
        now = time.monotonic() - self._t0
        kind = message.split(" (", 1)[0].rsplit(" ", 1)[0]  # "drawing the figures of", "writing", ...
        if kind == self._kind and now - self._last < self._every:
            return
        self._kind, self._last = kind, now
        print(f"proofs-check: reports: {message} [{now:.0f}s]", file=self._stream, flush=True)


def stages(show: bool, stream: TextIO | None = None) -> Callable[[str], None]:
    """A report-building notifier: :class:`Stages` on ``stream`` (default: stderr), or one that says nothing."""
    if not show:
        return lambda message: None
    return Stages(stream or sys.stderr)
