"""The preview's background PDF pass: it yields to every save, makes the edited days first, and
resumes where it stopped.

A pass plans (which digests are out of date), renders them in worker processes with a lower CPU
priority, and puts the finished ones in place every second or so. It holds the output folder's
lock only for those short commits, so a save is never built after a PDF: the save sets `stop`,
the pass ends its workers at once and keeps what it finished, and the next pass, started after
the save's build, makes the day just edited first and skips every digest already up to date.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..config import SiteConfig
from ..engine.digests import DigestPlan, commit_digests, plan_digests
from ..errors import Problem, shown
from ..parallel import worker_count

COMMIT_SECONDS = 1.0  # finished digests are put in place at least this often
NICE = 10  # digest workers yield the CPU to the build of a save

Log = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class Pass:
    """One background pass: the settings, what was saved since the last complete pass, the event a
    save sets to stop it, and the lock of the output folder."""

    config: SiteConfig
    urgent: frozenset[Path]  # sources saved since the last complete pass: their days come first
    stop: threading.Event
    lock: threading.Lock
    log: Log
    failed: dict[str, str] = field(default_factory=dict)  # digest -> fingerprint it failed with


def edited_days(plan: DigestPlan, urgent: frozenset[Path]) -> set[str]:
    """The digests to make whose day has an article in `urgent`."""
    return {
        output
        for output in plan.todo
        if any(plan.index.articles[slug].path in urgent for slug in plan.index.days[plan.days[output]])
    }


def order(plan: DigestPlan, urgent: frozenset[Path]) -> list[str]:
    """The digests to make, those of days with an article in `urgent` first, then newest first."""
    first = edited_days(plan, urgent)
    newest = sorted(plan.todo, key=lambda output: plan.days[output], reverse=True)
    return [o for o in newest if o in first] + [o for o in newest if o not in first]


def make_digests(job: Pass) -> bool:
    """Bring the PDF digests up to date; True when done, False when stopped by a save."""
    from ..pdf import NotMade, render_digests

    started = time.perf_counter()
    plan = plan_digests(job.config)
    if plan is None:
        return True
    todo = [o for o in order(plan, job.urgent) if job.failed.get(o) != plan.prints[o]]
    edited = edited_days(plan, job.urgent)
    if not todo or job.stop.is_set():
        return not job.stop.is_set()
    made: dict[str, bytes] = {}
    written = 0
    last = time.monotonic()

    def commit() -> None:
        nonlocal written, last
        if made:
            with job.lock:
                written += len(commit_digests(job.config, plan, made))
            made.clear()
        last = time.monotonic()

    def warn(problem: Problem) -> None:
        job.log(f"warning: {shown(problem, job.config.root)}")  # as the preview shows a build's warnings

    outputs = {day: output for output, day in plan.days.items()}
    days = [plan.days[o] for o in todo]
    try:
        for day, result in render_digests(
            job.config, plan.index, days, worker_count(job.config), warn=warn, stop=job.stop, nice=NICE
        ):
            output = outputs[day]
            if isinstance(result, NotMade):
                if result.lasting and not job.stop.is_set():  # not tried again until the day changes
                    job.failed[output] = plan.prints[output]
                    job.log(f"warning: {result}")
                continue
            job.failed.pop(output, None)
            made[output] = result
            if output in edited or time.monotonic() - last >= COMMIT_SECONDS:
                commit()  # the day just edited is put in place at once
    finally:
        commit()  # stopped or not, what is finished is kept
    stopped = job.stop.is_set()
    if written:
        noun = "digest" if written == 1 else "digests"
        tail = f"; stopped with {len(todo) - written} to go" if stopped else ""
        job.log(
            f"{time.strftime('%H:%M:%S')} background: {written} PDF {noun} made in "
            f"{time.perf_counter() - started:.2f} s{tail}"
        )
    return not stopped


__all__ = ["Pass", "make_digests", "order"]
