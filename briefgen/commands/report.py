"""How commands speak: exit codes, and problems, warnings and errors printed to stderr, each
written by `errors.shown` (`path:line: message`, the path relative to the current folder)."""

from __future__ import annotations

import sys
from collections.abc import Iterable
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
