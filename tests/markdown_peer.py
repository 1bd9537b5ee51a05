"""Runs Python-Markdown's own test suite and writes what became of each test, as JSON.

    python tests/markdown_peer.py FOLDER stock|triggers OUTPUT.json

FOLDER holds the suite's `tests` package (see test_markdown_peer.py). With `triggers`, every
Markdown instance is given briefgen's triggers as soon as it is built, as new_converter() does.
"""

from __future__ import annotations

import json
import re
import sys
import traceback
import unittest
from pathlib import Path
from types import TracebackType
from typing import Any

import markdown

Error = tuple[type[BaseException], BaseException, TracebackType | None] | tuple[None, None, None]


class Outcomes(unittest.TestResult):
    """What became of each test (and subtest): passed, failed with which message, skipped why."""

    def __init__(self) -> None:
        super().__init__()
        self.outcomes: dict[str, str] = {}

    def failed(self, test: unittest.TestCase, kind: str, error: Error) -> None:
        message = "".join(traceback.format_exception_only(error[0], error[1])).strip()
        # Addresses of objects differ from one run to the next.
        self.outcomes[test.id()] = f"{kind}: {re.sub(r'0x[0-9a-fA-F]+', '0x?', message)}"

    def addSuccess(self, test: unittest.TestCase) -> None:
        self.outcomes[test.id()] = "ok"

    def addFailure(self, test: unittest.TestCase, err: Any) -> None:
        self.failed(test, "failure", err)

    def addError(self, test: unittest.TestCase, err: Any) -> None:
        self.failed(test, "error", err)

    def addSubTest(self, test: unittest.TestCase, subtest: unittest.TestCase, err: Any) -> None:
        if err is None:
            self.outcomes[subtest.id()] = "ok"
        else:
            self.failed(subtest, "failure", err)

    def addSkip(self, test: unittest.TestCase, reason: str) -> None:
        self.outcomes[test.id()] = f"skipped: {reason}"

    def addExpectedFailure(self, test: unittest.TestCase, err: Any) -> None:
        self.outcomes[test.id()] = "expected failure"

    def addUnexpectedSuccess(self, test: unittest.TestCase) -> None:
        self.outcomes[test.id()] = "unexpected success"


def give_every_instance_triggers(counts: dict[str, int]) -> None:
    from briefgen.markdown_triggers import _TriggeredInlineProcessor, add_triggers

    built = markdown.Markdown.__init__

    def init(self: markdown.Markdown, *args: Any, **kwargs: Any) -> None:
        built(self, *args, **kwargs)
        add_triggers(self)
        counts["instances"] += 1
        triggered = any(isinstance(each, _TriggeredInlineProcessor) for each in self.treeprocessors)
        counts["triggered inline pass"] += triggered

    markdown.Markdown.__init__ = init  # type: ignore[method-assign]


def main() -> None:
    folder, mode, output = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
    counts = {"instances": 0, "triggered inline pass": 0}
    if mode == "triggers":
        give_every_instance_triggers(counts)
    elif mode != "stock":
        raise SystemExit(f"unknown mode {mode!r}: stock or triggers")
    suite = unittest.defaultTestLoader.discover(str(folder / "tests"), top_level_dir=str(folder))
    result = Outcomes()
    suite.run(result)
    report = {"markdown": markdown.__version__, "counts": counts, "outcomes": result.outcomes}
    output.write_text(json.dumps(report, indent=1, sort_keys=True), "utf-8")


if __name__ == "__main__":
    main()
