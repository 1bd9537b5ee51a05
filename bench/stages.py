#!/usr/bin/env python3
"""Where one build's time goes, stage by stage, timed inside the process.

    cd PROJECT && /path/to/briefgen/.venv/bin/python /path/to/briefgen/bench/stages.py [build options]

Runs `briefgen build` (with the options given; `-q --no-digests --no-search` when none are) in this
process, with `time.perf_counter` around each stage of the full pipeline: loading the content,
the index and page plan, the pages' fingerprints (what to render), rendering, writing. A rebuild
the engine finishes on its own (nothing changed, only bodies) runs none of them. The rest of the
total is starting up, the scan of the inputs and the build state. Make the edit to time first,
then run this in the project. It also lists the pages that took longest to render (`SLOWEST`),
each timed alone, and how many of the pages rendered came out byte for byte as they were (work
that a finer fingerprint would have spared).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any

from briefgen import build, cli, content, pipeline, writer
from briefgen.engine import rebuild

STAGES: list[tuple[str, Any, str]] = [
    ("loading the content", content, "load_content"),
    ("index and page plan", pipeline, "plan"),
    ("fingerprints (what to render)", rebuild.Engine, "to_render"),
    ("rendering", build, "_render"),
    ("writing", writer.Writer, "commit"),
]
SLOWEST = 8
spent: dict[str, float] = {}
pages: list[tuple[float, str, bool]] = []  # (seconds, output path, came out as it was) of each page rendered


def timed(label: str, function: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            spent[label] = spent.get(label, 0.0) + time.perf_counter() - started

    return wrapper


def each_page_timed(render_batch: Callable[..., Any]) -> Callable[..., Any]:
    """build._render_batch, rendering its batch one page at a time, each timed."""

    def wrapper(job: Any, batch: list[int]) -> Any:
        done = []
        for i in batch:
            started = time.perf_counter()
            result = render_batch(job, [i])
            done += result
            same = job.stager is not None and all(r.staged is None for r in result)  # not written
            pages.append((time.perf_counter() - started, job.specs[i].output, same))
        return done

    return wrapper


def main() -> int:
    for label, owner, name in STAGES:
        setattr(owner, name, timed(label, getattr(owner, name)))
    build._render_batch = each_page_timed(build._render_batch)
    sys.argv = ["briefgen", "build", *(sys.argv[1:] or ["-q", "--no-digests", "--no-search"])]
    started = time.perf_counter()
    try:
        cli.main()
    except SystemExit as exit:
        if exit.code:
            return int(exit.code) if isinstance(exit.code, int) else 1
    total = time.perf_counter() - started
    for label, _, _ in STAGES:
        print(f"{label:<32} {spent.get(label, 0.0):6.2f} s", file=sys.stderr)
    print(f"{'the rest':<32} {total - sum(spent.values()):6.2f} s", file=sys.stderr)
    print(f"{'total':<32} {total:6.2f} s", file=sys.stderr)
    if pages:  # rendered in this process (helpers' pages, on a large first build, are not seen)
        pages.sort(reverse=True)
        same = [page for page in pages if page[2]]
        print(
            f"{len(pages)} pages rendered here in {sum(p[0] for p in pages):.2f} s; {len(same)} of them"
            f" came out as they were ({sum(p[0] for p in same):.2f} s). The slowest:",
            file=sys.stderr,
        )
        for seconds, output, unchanged in pages[:SLOWEST]:
            print(f"  {seconds:6.2f} s  {output}{'  (as it was)' if unchanged else ''}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
