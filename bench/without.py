#!/usr/bin/env python3
"""What a cold build would take without parts of its work: an upper bound on what cutting them could gain.

    cd PROJECT && /path/to/briefgen/.venv/bin/python /path/to/briefgen/bench/without.py [--runs 3]

Each variant is one cold `briefgen build -q --no-digests --no-search` in a new process, in which
some of the work is switched off by replacing functions before the build starts. That is a
measurement, never a way to build: the site such a build writes lacks what was switched off.

| part | what is switched off |
|---|---|
| `twin` | the second tree of a new site, linked as pages are staged (the atomic swap's previous generation) |
| `fingerprints` | each page's fingerprint, taken for the next build as pages come back |
| `bodies` | the store of rendered bodies, kept for the next build's splicing |
| `parses` | the parse cache, written aside while the index is built |
| `links` | the check of every link on every page rendered |
| `markdown` | Markdown: a body becomes its text, escaped, in one paragraph (no typography, no sanitizing) |

The first four are work a cold build does only so that the next build can be quick. Variants take
turns (run 1 of each, then run 2...), each after `site/` and `.briefgen/` were moved aside (not
deleted: see `retire` in run.py), and the medians are printed as a Markdown table with the
command line. Needs a project whose content is there (bench/corpus.py makes one); it moves its
`site/` and `.briefgen/` aside and deletes them at the end; each build's output is in `.without-logs/`.
"""

from __future__ import annotations

import argparse
import html
import statistics
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from run import BRIEFGEN, Measurement, measure, remove, retire, say  # noqa: E402

PARTS = ("twin", "fingerprints", "bodies", "parses", "links", "markdown")
REBUILDS_ONLY = ("twin", "fingerprints", "bodies", "parses")
VARIANTS: dict[str, tuple[str, ...]] = {
    "as it is": (),
    "without what only the next build uses": REBUILDS_ONLY,
    "without link checks": ("links",),
    "without Markdown": ("markdown",),
    "without all six": PARTS,
}
BUILD = ["build", "-q", "--no-digests", "--no-search"]


def switch_off(parts: set[str]) -> None:
    """In this process: replace what does each part's work with something that does none."""
    from briefgen import links, writer
    from briefgen.engine import cache, rebuild

    if "twin" in parts:
        made = writer.Writer.__init__

        def without_twin(self: writer.Writer, *args: object, **kwargs: object) -> None:
            made(self, *args, **kwargs)  # type: ignore[arg-type]
            if self._twin is not None:  # left empty: nothing is linked into it as pages are staged
                self.stager = writer.Stager(self.out, None)

        writer.Writer.__init__ = without_twin  # type: ignore[method-assign]
    if parts & {"fingerprints", "bodies"}:
        noted = rebuild.Engine.rendered

        def rendered(self: rebuild.Engine, spec: object, result: object) -> None:
            if "fingerprints" in parts:
                self._late = False
            if "bodies" in parts:
                self._store = None
            noted(self, spec, result)  # type: ignore[arg-type]

        rebuild.Engine.rendered = rendered  # type: ignore[method-assign]
    if "parses" in parts:

        class NotWritten:
            def commit(self) -> None: ...

            def cancel(self) -> None: ...

        cache.Cache.write_parsed = lambda self, *given: NotWritten()  # type: ignore[assignment,method-assign]
    if "links" in parts:
        links.LinkChecker.dead = lambda self, page_output, html: []  # type: ignore[method-assign]
    if "markdown" in parts:
        from briefgen import markdown

        markdown.markdown_to_html = lambda source, lang: f"<p>{html.escape(source)}</p>"


def child(parts: str) -> int:
    from briefgen import cli

    switch_off(set(filter(None, parts.split(","))))
    sys.argv = ["briefgen", *BUILD]
    try:
        cli.main()
    except SystemExit as exit:
        return int(exit.code) if isinstance(exit.code, int) else 1
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="runs of each variant (default 3)")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds before a build is killed")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        return child(args.child)
    project = Path.cwd()
    if not (project / "content").is_dir():
        print("run this in a project folder (with content/)", file=sys.stderr)
        return 2
    trash = project / ".without-retired"
    logs = project / ".without-logs"
    logs.mkdir(exist_ok=True)
    runs: dict[str, list[Measurement]] = {name: [] for name in VARIANTS}
    try:
        for number in range(1, args.runs + 1):
            for name, parts in VARIANTS.items():
                for folder in (project / "site", project / ".briefgen"):
                    retire(folder, trash)  # beside the project: the same file system
                command = [sys.executable, __file__, "--child", ",".join(parts)]
                log = logs / f"{number}-{'-'.join(parts) or 'as-it-is'}.log"
                run = measure(command, project, log, args.timeout)
                if run.failure:
                    say(f"{name}: FAILED ({run.failure}); see {log}")
                    return 1
                runs[name].append(run)
                say(f"run {number}, {name}: {run.wall_s:.2f} s wall, {run.cpu_s:.2f} s CPU")
    finally:
        remove(trash)
    base = statistics.median(run.wall_s for run in runs["as it is"])
    called = " ".join(["bench/without.py", *sys.argv[1:]])
    print(f"`{called}` in {project.name}, {args.runs} run(s) each, medians:\n")
    print("| cold build | wall s | CPU s | wall, against as it is |")
    print("|---|---:|---:|---:|")
    for name, done in runs.items():
        wall = statistics.median(run.wall_s for run in done)
        cpu = statistics.median(run.cpu_s for run in done)
        print(f"| {name} | {wall:.2f} | {cpu:.2f} | {wall / base:.2f} |")
    return 0


if __name__ == "__main__":
    if not BRIEFGEN.exists():
        print(f"{BRIEFGEN} is missing: run `make build` first", file=sys.stderr)
        sys.exit(2)
    sys.exit(main())
