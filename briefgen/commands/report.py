"""How commands speak: exit codes, and problems, warnings and errors printed to stderr, each
written by `errors.shown` (`path:line: message`, the path relative to the current folder)."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

from ..errors import BriefgenError, Problem, shown

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


def print_problem(problem: BriefgenError, kind: str = "") -> None:
    """`content/a.md:7: message`, or with `kind`: `content/a.md:7: warning: message`."""
    print(shown(problem, kind=kind), file=sys.stderr)


def print_problems(problems: Iterable[BriefgenError], kind: str = "") -> None:
    """Many problems at once, as `print_problem` prints each: a build of a large archive may
    repeat a thousand warnings, written in one go instead of a line at a time."""
    here = Path.cwd()
    text = "".join(shown(problem, here, kind=kind) + "\n" for problem in problems)
    if text:
        sys.stderr.write(text)
        sys.stderr.flush()


def print_warning(problem: Problem) -> None:
    """A warning as the command line prints it: `content/a.md: warning: message`."""
    print_problem(problem, "warning")


def print_error(message: str) -> None:
    """An error that is no problem in a file: `briefgen: error: message`."""
    print(f"briefgen: error: {message}", file=sys.stderr)


def print_note(message: str) -> None:
    """`briefgen: message`: what a command is waiting for or doing."""
    print(f"briefgen: {message}", file=sys.stderr)


class TerminalProgress:
    """A build's progress on one line of the terminal, rewritten in place: the stage under way,
    with a bar for the stages that count (pages, PDFs); cleared when the build ends."""

    WIDTH = 30

    def __init__(self) -> None:
        self.shown = False

    def __call__(self, stage: str, done: int = 0, total: int = 0) -> None:
        if total:
            filled = self.WIDTH * done // total
            line = f"{stage} [{'#' * filled}{'.' * (self.WIDTH - filled)}] {done:,}/{total:,}"
        else:
            line = f"{stage}…"
        sys.stderr.write(f"\r\x1b[K{line}")
        sys.stderr.flush()
        self.shown = True

    def clear(self) -> None:
        if self.shown:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()
            self.shown = False


def progress_line(quiet: bool) -> TerminalProgress | None:
    """A progress line when stderr is a terminal and the command is not quiet, else None."""
    return TerminalProgress() if sys.stderr.isatty() and not quiet else None


@contextlib.contextmanager
def terminal_progress(quiet: bool) -> Iterator[TerminalProgress | None]:
    """`progress_line`, cleared at the end."""
    progress = progress_line(quiet)
    try:
        yield progress
    finally:
        if progress is not None:
            progress.clear()
