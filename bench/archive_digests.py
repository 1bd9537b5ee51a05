#!/usr/bin/env python3
"""Time the PDF digests of a whole archive against plain WeasyPrint spread over every core.

    .venv/bin/python bench/archive_digests.py [--articles 10000] [--project DIR] [--every 1]

What the speed issue asks: the first build that makes the digests of a whole archive takes at
most 1.15 times what plain WeasyPrint needs for the same documents, divided by the cores.

1. A project of --articles articles (bench/corpus.py, twenty a day) is made in a temporary folder,
   or --project names one; its pages are built first with `--no-digests`, untimed.
2. briefgen: `briefgen build --no-search` with digests on, timed as a whole command (wall clock,
   and the CPU of every process it started). The pages are unchanged by then, so this is the
   digests: every day's PDF, made in helper processes on every core.
3. plain WeasyPrint: in one process, for each of the same days, the digest's own HTML (made by
   briefgen beforehand, not timed) rendered with `HTML(string=...).write_pdf(...)`, with the same
   stylesheet text and the same write options (a tagged PDF), the stylesheet parsed anew for each
   document as a one-off script would. Summed, then divided by the number of cores.

--every K renders only every K-th day in step 3 and scales its sum by the days left out: an
estimate for a quick look, said as such in the output. Nothing here is timed inside briefgen.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
CORPUS = HERE / "corpus.py"
BRIEFGEN = REPO / ".venv" / "bin" / "briefgen"


def make_project(folder: Path, articles: int) -> Path:
    subprocess.run([sys.executable, str(CORPUS), str(folder / "content"), str(articles)], check=True)
    (folder / "briefgen.yaml").write_text('title: "Benchmark Briefing"\nlanguage: fr\n', "utf-8")
    return folder


def command(project: Path, *args: str) -> tuple[float, float]:
    """Run briefgen in `project`; its wall-clock seconds and the CPU seconds of all its processes."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(
        [str(BRIEFGEN), *args], cwd=project, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def plain_weasyprint(project: Path, every: int) -> tuple[float, int, int]:
    """Seconds plain WeasyPrint takes for the digests' HTML, one after another in this process;
    the days rendered, and the days in the archive."""
    sys.path.insert(0, str(REPO))
    from weasyprint import CSS, HTML

    from briefgen.config import load_config
    from briefgen.pdf import digest_html, stylesheet_text
    from briefgen.pdf.rendering import WRITE_OPTIONS
    from briefgen.pipeline import load

    config = load_config(project)
    _, index, _ = load(config)
    days = sorted(index.days)
    chosen = days[::every]
    _, css = stylesheet_text(config)
    spent = 0.0
    for number, day in enumerate(chosen, 1):
        html = digest_html(config, index, day)
        started = time.perf_counter()
        HTML(string=html).write_pdf(stylesheets=[CSS(string=css)], **WRITE_OPTIONS)
        spent += time.perf_counter() - started
        if number % 25 == 0:
            print(
                f"  plain WeasyPrint: {number}/{len(chosen)} days, {spent:.0f} s", file=sys.stderr, flush=True
            )
    return spent, len(chosen), len(days)


def pdfs_in(site: Path) -> int:
    return sum(1 for _ in site.rglob("*.pdf"))


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--articles", type=int, default=10_000, help="articles in the generated archive")
    parser.add_argument(
        "--project", type=Path, help="an existing project to use instead (its site/ is rebuilt)"
    )
    parser.add_argument(
        "--every", type=int, default=1, help="plain WeasyPrint on every K-th day only (an estimate)"
    )
    args = parser.parse_args()
    if args.every < 1 or args.articles < 1:
        parser.error("--every and --articles must be at least 1")
    if not BRIEFGEN.exists():
        print(f"{BRIEFGEN} not found: run `make build` first", file=sys.stderr)
        return 1
    cores = os.cpu_count() or 1
    with tempfile.TemporaryDirectory() as tmp:
        project = args.project.resolve() if args.project else make_project(Path(tmp), args.articles)
        if pdfs_in(project / "site"):
            print(f"{project / 'site'} already holds PDF digests: use a project never built with them")
            return 1
        print("building the pages (not timed)", file=sys.stderr, flush=True)
        command(project, "build", "-q", "--no-digests", "--no-search")
        print("briefgen: the first build with digests", file=sys.stderr, flush=True)
        wall, cpu = command(project, "build", "-q", "--no-search")
        made = pdfs_in(project / "site")
        print("plain WeasyPrint: the same documents in one process", file=sys.stderr, flush=True)
        plain, rendered, days = plain_weasyprint(project, args.every)
    estimated = plain * days / rendered
    per_core = estimated / cores
    note = "" if rendered == days else f" (estimated from {rendered} of {days} days)"
    print(f"{days} days, {made} PDFs made, {cores} cores")
    print(f"briefgen build with digests: {wall:.1f} s wall, {cpu:.1f} CPU s")
    print(
        f"plain WeasyPrint, one process: {estimated:.1f} s{note}; divided by {cores} cores: {per_core:.1f} s"
    )
    print(f"briefgen / (plain WeasyPrint / cores): {wall / per_core:.2f} (target at most 1.15)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
