#!/usr/bin/env python3
"""Where a build's CPU goes: the share of py-spy's samples spent in each of a few named functions.

    pip install py-spy   # a sampling profiler; it reads the running process from outside
    cd PROJECT && py-spy record --subprocesses -r 200 -f raw -o build.raw -- \\
        /path/to/briefgen/.venv/bin/briefgen build -q --no-digests --no-search
    python3 /path/to/briefgen/bench/spy_shares.py build.raw

py-spy's raw format is one line per distinct stack, `frame;frame;...;frame COUNT`, each frame
`function (file:line)`, the build process and its forked helpers together. A function's share is
the samples of stacks that pass through it (once per stack, however deep), out of all samples:
what the build would save, at most, without that work. Shares of nested functions overlap.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

# (label, function as py-spy names it, file name): the parts of a build worth telling apart
PARTS: tuple[tuple[str, str, str], ...] = (
    ("rendering pages (templates, bodies, list items)", "render", "render.py"),
    ("article bodies (Markdown, mentions, typography, sanitizing)", "Bodies._render", "markdown.py"),
    ("Python-Markdown's conversion", "Markdown.convert", "core.py"),
    ("linked mentions", "Linker.__call__", "mentions.py"),
    ("list items (articles and events in lists)", "Fragments.item", "render.py"),
    ("parsing the articles", "parse_file", "content.py"),
    ("index and page plan", "plan", "pipeline.py"),
    ("fingerprints taken as pages come back (for the next build)", "Engine.rendered", "rebuild.py"),
    ("writing pages (both trees)", "Stager.write", "writer.py"),
    ("making page folders (both trees)", "_make_folder", "writer.py"),
    ("link checks", "LinkChecker.dead", "links.py"),
    ("the parse cache, written aside", "Cache.write_parsed", "cache.py"),
    ("related articles, ranked aside", "_related", "index.py"),
    ("calendars", "render_calendar", "calendars.py"),
)


def shares(raw: Path) -> tuple[int, Counter[str]]:
    """All samples, and the samples of stacks that pass through each of PARTS."""
    total = 0
    found: Counter[str] = Counter()
    for line in raw.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        samples = int(count)
        total += samples
        frames = {(f.split(" (")[0], f.rsplit("/", 1)[-1].split(":")[0]) for f in stack.split(";")}
        for label, function, file in PARTS:
            if (function, file) in frames:
                found[label] += samples
    return total, found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("raw", type=Path, help="py-spy record -f raw output")
    args = parser.parse_args()
    total, found = shares(args.raw)
    if not total:
        print(f"{args.raw}: no samples", file=sys.stderr)
        return 1
    print(f"| part of the build ({total:,} samples) | share of samples |")
    print("|---|---:|")
    for label, _, _ in PARTS:
        print(f"| {label} | {found[label] / total:.1%} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
