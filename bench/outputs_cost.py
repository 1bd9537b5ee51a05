"""What the ways in cost: feeds, calendars, timeline data, sitemap, the network page, linked
mentions and the search index, at one corpus size, cold and on one-article edits.

    .venv/bin/python bench/outputs_cost.py --size 1000            # about 3 minutes on 2 cores
    .venv/bin/python bench/outputs_cost.py --size 10000 --runs 3  # the README's 10,000 figures

It needs the project's .venv (it imports briefgen for the breakdown). The corpus is
bench/corpus.py's, with a `base_url` so that the sitemap is made too. Three kinds of figures:

- real builds, each `briefgen build --no-digests` in a new process, measured as bench/run.py does
  (wall, CPU of the process and its children, peak resident set): the pages alone
  (`--no-search`), then the search index made from them, then one-article edits, each with
  the search index made again (the build's summary says what Pagefind read and its peak memory);
- a breakdown of one cold build's page work, in this process: the CPU seconds of rendering
  each kind of output, laying out the network graphs, and linking mentions (the article pages
  rendered again without them);
- what the search page costs a reader is not measured here (see docs/search.md).

Results are printed as Markdown tables; the corpus and site go to bench/out/outputs-N/, deleted
at the end unless --keep is given.
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from run import BRIEFGEN, Measurement, measure, pick_article, with_actor_added  # noqa: E402

SUMMARY = re.compile(
    r"built [\d,]+ pages? \([\d,]+ rendered, (?P<changed>[\d,]+) changed, [\d,]+ removed\) in (?P<html>[\d.]+) s"
    r"(?:; search index: (?P<shards>\d+) shards? \((?P<pages>[\d,]+) pages?\) made again in (?P<search>[\d.]+) s,"
    r" Pagefind peaking at (?P<peak>\d+) MiB)?"
)
CATEGORIES = {
    "feed.xml": "Atom feeds",
    "@calendar.ics": "iCalendar files",
    "@timeline.json": "timeline data (TimelineJS JSON)",
    "sitemap.xml": "sitemap, robots.txt, web app manifest",
    "robots.txt": "sitemap, robots.txt, web app manifest",
    "manifest.webmanifest": "sitemap, robots.txt, web app manifest",
    "network.html": "network page (drawing the SVG)",
}


def build(project: Path, log: Path, *extra: str) -> tuple[Measurement, dict[str, str]]:
    command = (str(BRIEFGEN), "build", "--no-digests", *extra)
    result = measure(command, project, log, timeout=3600)
    if result.failure:
        raise RuntimeError(f"{' '.join(command)}: {result.failure}\n{log.read_text('utf-8')[-2000:]}")
    found = SUMMARY.search(log.read_text("utf-8"))
    return result, ({k: v or "" for k, v in found.groupdict().items()} if found else {})


def breakdown(project: Path) -> list[tuple[str, float]]:
    """CPU seconds of each new output's share of one cold build's page work, in this process."""
    from briefgen.config import load_config
    from briefgen.markdown import Bodies
    from briefgen.network import cooccurrence, ego_network, site_network
    from briefgen.pipeline import load
    from briefgen.render import make_environment, render

    config = load_config(project)
    _, index, specs = load(config)
    seconds: dict[str, float] = {}

    def timed(label: str, work: Callable[[], object]) -> None:
        start = time.process_time()
        work()
        seconds[label] = seconds.get(label, 0.0) + time.process_time() - start

    links: dict[str, dict[str, int]] = {}
    timed("network graphs (co-occurrence, site and per-person layout)", lambda: links.update(cooccurrence(index)))
    timed("network graphs (co-occurrence, site and per-person layout)", lambda: site_network(index, links))
    for pid in index.people:
        timed("network graphs (co-occurrence, site and per-person layout)", lambda: ego_network(index, links, pid))
    env = make_environment(config, index)
    for spec in specs:
        timed(CATEGORIES.get(spec.template, "every other page"), lambda: render(env, spec))
    articles = [spec for spec in specs if spec.template == "article.html"]
    plain = make_environment(config, index, Bodies())  # the same bodies, no mentions linked
    start = time.process_time()
    for spec in articles:
        render(plain, spec)
    without = time.process_time() - start
    env = make_environment(config, index)
    start = time.process_time()
    for spec in articles:
        render(env, spec)
    seconds["linked mentions (article pages with them, less without)"] = time.process_time() - start - without
    return sorted(seconds.items(), key=lambda item: item[0] == "every other page")


def edit_runs(
    project: Path, logs: Path, label: str, change: Callable[[str, int], str], runs: int
) -> tuple[str, list[tuple[Measurement, dict[str, str]]]]:
    article = pick_article(project / "content")
    original = article.read_text("utf-8")
    results = []
    for run in range(runs):
        article.write_text(change(original, run), "utf-8")
        results.append(build(project, logs / f"{label}-{run}.log"))
    article.write_text(original, "utf-8")
    build(project, logs / f"{label}-restore.log")
    return label, results


def median(values: list[float]) -> float:
    return statistics.median(values) if values else 0.0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=1000, help="articles in the corpus")
    parser.add_argument("--runs", type=int, default=1, help="runs of each edit (medians)")
    parser.add_argument("--keep", action="store_true", help="keep bench/out/outputs-N/")
    args = parser.parse_args(argv)
    project = BENCH / "out" / f"outputs-{args.size}"
    logs = project / "logs"
    shutil.rmtree(project, ignore_errors=True)
    logs.mkdir(parents=True)
    subprocess.run([sys.executable, str(BENCH / "corpus.py"), str(project / "content"), str(args.size)], check=True)
    (project / "briefgen.yaml").write_text("base_url: https://briefs.example.org/\n", "utf-8")
    try:
        cold, said = build(project, logs / "cold.log", "--no-search")
        indexed, index_said = build(project, logs / "index.log")
        # each run changes the article again: a sentence more, or the actor added then taken out
        body = edit_runs(
            project, logs, "one article's body edited", lambda text, n: text + f"\nA sentence {n} added.\n", args.runs
        )
        actor = edit_runs(
            project,
            logs,
            "one actor added to one article",
            lambda text, n: with_actor_added(text, project / "content") if n % 2 == 0 else text,
            args.runs,
        )
        parts = breakdown(project)
    finally:
        if not args.keep:
            shutil.rmtree(project, ignore_errors=True)

    print(f"## The ways in at {args.size:,} articles\n")
    print("| build | wall s | CPU s | peak MiB (one process / all) | pages part s | search index |")
    print("|---|---:|---:|---:|---:|---|")

    def index_cell(found: dict[str, str]) -> str:
        if not found.get("shards"):
            return "not made"
        return (
            f"{found['shards']} shard(s), {found['pages']} pages, {found['search']} s,"
            f" Pagefind peak {found['peak']} MiB"
        )

    print(
        f"| cold, pages only (`--no-search`) | {cold.wall_s:.2f} | {cold.cpu_s:.2f} |"
        f" {cold.peak_mib:.0f} / {cold.tree_mib:.0f} | {said.get('html', '')} | not made |"
    )
    print(
        f"| then the search index, cold | {indexed.wall_s:.2f} | {indexed.cpu_s:.2f} |"
        f" {indexed.peak_mib:.0f} / {indexed.tree_mib:.0f} | {index_said.get('html', '')} | {index_cell(index_said)} |"
    )
    for label, results in (body, actor):
        wall = median([m.wall_s for m, _ in results])
        cpu = median([m.cpu_s for m, _ in results])
        peak = max(m.peak_mib for m, _ in results)
        tree = max(m.tree_mib for m, _ in results)
        html = median([float(found.get("html") or 0) for _, found in results])
        last = results[len(results) // 2][1]
        print(
            f"| {label} | {wall:.2f} | {cpu:.2f} | {peak:.0f} / {tree:.0f} | {html:.2f} | {index_cell(last)};"
            f" {last.get('changed', '?')} files changed |"
        )
    print(f"\nOne cold build's page work by output, CPU s ({args.size:,} articles, in one process):\n")
    print("| output | CPU s |")
    print("|---|---:|")
    for label, value in parts:
        print(f"| {label} | {value:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
