#!/usr/bin/env python3
"""Live preview latency: from saving an article to the open page showing the change, in a real browser.

    .venv/bin/python bench/serve_bench.py [--saves 20] [--articles 10000] [--skip-large]
                                          [--edit body|title] [--no-digests] [--json FILE]

For the sample site (content/ of this repository) and for a synthetic corpus made by
bench/corpus.py, the script copies the content into a temporary project, runs the
preview exactly as `briefgen serve` does (real watcher, real build, real server), opens an article
in headless Chromium (/usr/bin/chromium) and saves the article `--saves` times the way editors do
(temporary file renamed over the original). Each measurement runs from just before the rename to the
moment the new sentence is on the page, and the median is reported. Targets: under 0.3 s on the
sample site, under 1 s on 10,000 articles.

`--edit title` saves a new title in the front matter instead of a sentence in the body, and
`--edit actor` adds a person from the project's people files to the article's actors: front-matter
edits, which go through the whole pipeline (index, plan, fingerprints) where a body edit is spliced
into its page. The preview shows the saved article's page first, made against the last build (its
first look, see briefgen/preview/firstlook.py), and then builds the rest: the "rebuild" column is that
build, after which the next save is made. `--edit template` saves the article page's template
(a copy of the shipped one in the project's templates/) with a sentence more in the article: the
open page is then made again first, the same way. `--edit person` opens the page of the person
named first in the article instead, and saves their file with a new description; `--edit place`
opens the page of its first place and saves that place's vocabulary file with new coordinates
(bench/corpus.py writes one for each of its places): their page is made first too.

`--no-digests` turns PDF digests off in the projects, so that the first background pass (every
day's PDF, most of an hour at 10,000 articles on 2 cores) is not waited for; a save outranks that
pass anyway, so the figures are the same with it.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

from briefgen.config import load_config
from briefgen.i18n import Translator
from briefgen.preview.building import SiteBuilder
from briefgen.preview.server import Preview
from briefgen.theme import shipped_templates
from briefgen.preview.watch import project_sources

REPO = Path(__file__).resolve().parent.parent
GEN_CORPUS = REPO / "bench" / "corpus.py"
CHROMIUM = "/usr/bin/chromium"
BUILT = re.compile(r"built .* in ([0-9.]+) s")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@dataclass
class Result:
    site: str
    articles: int
    first_build_s: float
    saves: int
    median_s: float
    p90_s: float
    min_s: float
    max_s: float
    rebuilds: int
    build_median_s: float  # of the rebuilds alone, as the server logs them


def save(path: Path, text: str) -> None:
    temp = path.with_name(f".{path.name}.bench.tmp")
    temp.write_text(text, "utf-8")
    os.replace(temp, path)


def pick_article(content: Path) -> Path:
    """An article from the middle of the corpus, so its page has neighbours and related articles."""
    articles = sorted(p for p in content.glob("*.md"))
    return articles[len(articles) // 2]


def reloaded_with(page: Page, text: str, timeout: float = 60.0) -> float:
    """When the page finished loading a version that shows `text` (perf_counter time).

    The browser reports its `load` event at once, where polling the page for the text (Playwright's
    locator waits) would add up to half a second after a navigation.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        page.wait_for_event("load", timeout=(deadline - time.monotonic()) * 1000)
        loaded = time.perf_counter()
        if text in page.locator("main").inner_text():
            return loaded
    raise TimeoutError(f"the page did not show {text!r}")


TITLE = re.compile(r"^title: .*$", re.MULTILINE)
ACTORS = re.compile(r"^actors: \[", re.MULTILINE)
NAME = re.compile(r"^name: *(.+)$", re.MULTILINE)


def edited(original: str, marker: str, edit: str) -> str:
    """The article with `marker` as its title (front matter), as one more actor (a person's name),
    or as a sentence ending its body."""
    if edit == "title":
        return TITLE.sub(lambda _: f'title: "{marker}"', original, count=1)
    if edit == "actor":
        if not ACTORS.search(original):
            raise SystemExit("the article has no one-line `actors: [...]` list to add a person to")
        return ACTORS.sub(lambda _: f"actors: [{json.dumps(marker, ensure_ascii=False)}, ", original, count=1)
    return f"{original.rstrip()}\n\n{marker}\n"


def with_line(text: str, key: str, value: str) -> str:
    """A YAML file's text with `key: value` as its last line, in place of the one it had (if any)."""
    kept = re.sub(rf"^{key}: .*\n?", "", text, flags=re.MULTILINE).rstrip()
    return f"{kept}\n{key}: {value}\n"


def markers(content: Path, article: str, name: str, edit: str, saves: int) -> list[str]:
    """What each save shows: for `actor`, people of the project not named in the article."""
    if edit != "actor":
        return [f"Benchmark sentence number {n} for {name}." for n in range(saves)]
    names = []
    for path in sorted((content / "people").glob("*.yaml")):
        found = NAME.search(path.read_text("utf-8"))
        if found is not None:
            names.append(found[1].strip().strip("\"'"))
    unused = [n for n in names if n not in article]
    if len(unused) < saves:
        raise SystemExit(f"{name}: only {len(unused)} people to add, for {saves} saves")
    return unused[:saves]


ARTICLE_TAG = '<article lang="{{ article.lang }}">'


def measure(name: str, project: Path, saves: int, page: Page, edit: str = "body") -> Result:
    config = load_config(project)
    template = project / "templates" / "article.html"
    if edit == "template":  # the site's own copy, before the preview starts watching templates/
        template.parent.mkdir(exist_ok=True)
        shutil.copyfile(shipped_templates() / "article.html", template)
    builder = SiteBuilder(project, lambda: load_config(project))
    logged: list[str] = []
    preview = Preview(
        builder,
        config.output_dir,
        sources=project_sources(config),
        port=0,
        log=logged.append,
        first_look=builder.first_look,
    )
    started = time.perf_counter()
    preview.start()  # the first (full) build
    first_build = time.perf_counter() - started
    try:
        article = pick_article(config.content_dir)
        page.goto(f"{preview.url}articles/{article.stem}/")
        own_file = None  # for `person` and `place`: the file saved; `original` is the article still
        if edit in ("person", "place"):
            folder = "people" if edit == "person" else "places"
            page.wait_for_function("document.readyState === 'complete'")
            link = page.locator(f'.meta-panel a[href*="{folder}/"]').first  # the first, by its link
            page.goto(link.evaluate("a => a.href"))
            parts = page.url.split("/")
            own_file = config.content_dir / folder / f"{parts[parts.index(folder) + 1]}.yaml"
        original = article.read_text("utf-8")
        page.wait_for_function("document.readyState === 'complete'")
        if page.locator("main").count() == 0:
            raise SystemExit(f"{name}: no <main> on {page.url}; is the URL scheme different?")
        builder.wait_background(3600)  # the first background pass (PDF digests): 14 min at 10,000
        rebuilds_before = preview.live.builds
        logged.clear()
        times = []
        layout = template.read_text("utf-8") if edit == "template" else ""
        own = own_file.read_text("utf-8") if own_file is not None else ""
        for n, marker in enumerate(markers(config.content_dir, original, name, edit, saves)):
            started = time.perf_counter()
            if edit == "template":
                save(template, layout.replace(ARTICLE_TAG, f"{ARTICLE_TAG}<p>{marker}</p>", 1))
            elif own_file is not None and edit == "person":
                save(own_file, with_line(own, "description", json.dumps(marker)))
            elif own_file is not None:  # a place: the marker is its coordinates as the page writes them
                where = (10 + n / 100, 20 + n / 100)
                marker = Translator(config.language, config.timezone).coordinates(where)
                save(own_file, with_line(own, "coordinates", f"[{where[0]}, {where[1]}]"))
            else:
                save(article, edited(original, marker, edit))
            times.append(reloaded_with(page, marker) - started)
            # An analyst reads before saving again: by then the build (when the page was shown
            # first) and the background pass that follows it (after a 1 s pause) are done. A save
            # during that pass would wait for it.
            time.sleep(0.1)  # the watcher has passed the save on: the build has begun
            preview.live.wait_for_build(600)
            builder.wait_background(600)
        builds = [float(m.group(1)) for line in logged if (m := BUILT.search(line))]
        save(article, original)
        if own_file is not None:
            save(own_file, own)
        times.sort()
        return Result(
            site=name,
            articles=len(list(config.content_dir.glob("*.md"))),
            first_build_s=round(first_build, 3),
            saves=saves,
            median_s=round(statistics.median(times), 3),
            p90_s=round(times[int(0.9 * (len(times) - 1))], 3),
            min_s=round(times[0], 3),
            max_s=round(times[-1], 3),
            rebuilds=preview.live.builds - rebuilds_before,
            build_median_s=round(statistics.median(builds), 3) if builds else float("nan"),
        )
    finally:
        preview.stop()
        builder.close()


NO_DIGESTS = "\ndigest:\n  enabled: false\n"


def sample_project(work: Path, no_digests: bool = False) -> Path:
    project = work / "sample"
    shutil.copytree(REPO / "content", project / "content")
    config = (REPO / "briefgen.yaml").read_text("utf-8")
    (project / "briefgen.yaml").write_text(config + (NO_DIGESTS if no_digests else ""), "utf-8")
    return project


def corpus_project(work: Path, articles: int, no_digests: bool = False) -> Path:
    project = work / f"corpus-{articles}"
    subprocess.run(
        [sys.executable, str(GEN_CORPUS), str(project / "content"), str(articles)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    config = "title: Benchmark corpus\n" + (NO_DIGESTS if no_digests else "")
    (project / "briefgen.yaml").write_text(config, "utf-8")
    return project


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--saves", type=int, default=20)
    parser.add_argument("--articles", type=int, default=10_000, help="size of the synthetic corpus")
    parser.add_argument("--skip-large", action="store_true", help="only the sample site")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument(
        "--edit",
        choices=("body", "title", "actor", "template", "person", "place"),
        default="body",
        help="what each save changes",
    )
    parser.add_argument("--no-digests", action="store_true", help="projects with PDF digests off")
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory(prefix="briefgen-serve-bench-") as tmp, sync_playwright() as pw:
        work = Path(tmp)
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            page = browser.new_page()
            results.append(
                measure("sample site", sample_project(work, args.no_digests), args.saves, page, args.edit)
            )
            print(json.dumps(asdict(results[-1])), flush=True)
            if not args.skip_large:
                project = corpus_project(work, args.articles, args.no_digests)
                name = f"{args.articles:,} articles"
                results.append(measure(name, project, args.saves, page, args.edit))
                print(json.dumps(asdict(results[-1])), flush=True)
        finally:
            browser.close()
    print()
    print(f"save ({args.edit} edited) -> page shows the change, in seconds")
    print(f"{'site':<18} {'first build':>11} {'median':>7} {'p90':>7} {'min':>7} {'max':>7} {'rebuild':>8}")
    for r in results:
        print(
            f"{r.site:<18} {r.first_build_s:>11.2f} {r.median_s:>7.3f} {r.p90_s:>7.3f} "
            f"{r.min_s:>7.3f} {r.max_s:>7.3f} {r.build_median_s:>8.3f}"
        )
    print("(rebuild: median time of the rebuild alone; the rest is the watcher, the 50 ms quiet")
    print(" period, the event to the page, its reload and the browser drawing it)")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps([asdict(r) for r in results], indent=2), "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
