"""The exception tree: every error a user can cause is a BriefgenError with a place; and `shown`,
the one way a problem is written for a reader (the commands print it, the preview displays it)."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path


class BriefgenError(Exception):
    """Base of every error briefgen reports to a user (never shown as a traceback)."""


class Problem(BriefgenError):
    """One problem at a place in a file: printed as `path:line: message`."""

    def __init__(self, path: Path | str | None, line: int | None, message: str) -> None:
        self.path = Path(path) if path is not None else None
        self.line = line
        self.message = message
        super().__init__(self.format())

    def __reduce__(self) -> tuple[type[Problem], tuple[Path | None, int | None, str]]:
        return (type(self), (self.path, self.line, self.message))  # picklable for worker processes

    def format(self) -> str:
        if self.path is None:
            return self.message
        where = str(self.path) if self.line is None else f"{self.path}:{self.line}"
        return f"{where}: {self.message}"


class ConfigError(Problem):
    """A problem in briefgen.yaml or in command-line settings."""


class ContentError(Problem):
    """A problem in a content file (article or person)."""


class Problems(BriefgenError):
    """Every problem found in one pass (config, content, links), reported together."""

    def __init__(self, problems: Iterable[Problem], warnings: Iterable[Problem] = ()) -> None:
        self.problems = tuple(problems)
        self.warnings = tuple(warnings)  # shown too: they often explain the errors
        count = len(self.problems)
        super().__init__(f"{count} problem{'s' if count != 1 else ''} found")


class BuildError(BriefgenError):
    """The build could not complete (templates, links, output folder)."""


class DigestError(BriefgenError):
    """A PDF digest was asked for a day that cannot have one (malformed date, no articles)."""


class DeliveryError(BriefgenError):
    """Sending the digest failed for at least one recipient."""


def shown(problem: BriefgenError, base: Path | None = None, kind: str = "") -> str:
    """`path:line: message`, the path relative to `base` (the current folder if None) when it is
    inside it; with `kind`, `path:line: kind: message` (or `kind: message` without a path)."""
    text = problem.format() if isinstance(problem, Problem) else str(problem)
    path = problem.path if isinstance(problem, Problem) else None
    if path is not None and (base is None or path.is_absolute()):
        try:
            relative = os.path.relpath(path, base)
            if not relative.startswith(".."):
                text = text.replace(str(path), relative, 1)
        except ValueError:
            pass
    if kind:
        head, sep, tail = text.partition(": ")
        text = f"{head}: {kind}: {tail}" if sep and path is not None else f"{kind}: {text}"
    return text
