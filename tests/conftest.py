"""Shared fixtures: tiny briefing projects written into tmp_path, and a way to run the CLI."""

from __future__ import annotations

import json
import os
import textwrap
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from briefgen.cli import main

REPO = Path(__file__).resolve().parent.parent


CHROMIUM = Path("/usr/bin/chromium")  # Debian's; tests never download a browser
FLAGS = [  # quiet on a machine without a network: no background fetches, updates or sync
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Chromium for the whole run; each test opens its own context in it."""
    if not CHROMIUM.exists():
        pytest.skip("needs Debian's chromium at /usr/bin/chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        yield launched
        launched.close()


def live_processes(parent: int | None = None, session: int | None = None) -> set[int]:
    """Live (not zombie) processes from /proc: those whose parent, or whose session, is given."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            state, ppid, _, sid = (entry / "stat").read_text().rsplit(")", 1)[1].split()[:4]
        except (OSError, ValueError):
            continue
        if state != "Z" and (int(ppid) == parent or int(sid) == session):
            found.add(int(entry.name))
    return found


def write_files(root: Path, files: dict[str, str | bytes]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")


def article(title: str, date: str, body: str = "Body text.", **fields: str) -> str:
    """A small article file; extra fields are written as raw YAML lines (`actors="[a, b]"`)."""
    lines = ["---", f'title: "{title}"', f"date: {date}"]
    lines += [f"{key}: {value}" for key, value in fields.items()]
    lines += ["---", "", body, ""]
    return "\n".join(lines)


BASIC = {
    "content/people/qin-gang.yaml": """
        name: Qin Gang
        aliases: ["秦刚"]
        roles:
          - title: Minister of Foreign Affairs
            organisation: People's Republic of China
            from: 2022-12-30
        country: "CN"
        """,
    "content/people/antony-blinken.yaml": """
        name: Antony Blinken
        aliases: [Tony Blinken]
        roles:
          - title: Secretary of State
            organisation: United States
        country: "US"
        """,
    "content/2023-06-18-talks.md": article(
        "Blinken meets Qin in Beijing",
        "2023-06-18T10:00:00+08:00",
        "The two ministers talked for *five hours*.",
        lang="en",
        summary='"Long talks."',
        actors="[Antony Blinken, qin gang]",
        topics="[Diplomacy, Taiwan]",
        places="[Beijing]",
        events='\n  - {date: 2023-06-18, title: "Talks at Diaoyutai", actors: [Antony Blinken, 秦刚]}'
        '\n  - {date: 2023-06-19, title: "Meeting with Xi", actors: [Antony Blinken]}',
    ),
    "content/2023-06-14-call.md": article(
        "Appel entre Qin Gang et Blinken",
        "2023-06-14",
        "Un « appel » téléphonique.",
        lang="fr",
        actors="[秦刚, antony-blinken]",
        topics="[diplomacy]",
        events='\n  - {date: 2023-06-14, title: "Appel téléphonique"}',
    ),
}


@dataclass
class Project:
    root: Path

    def write(self, files: dict[str, str | bytes]) -> None:
        write_files(self.root, files)

    def read(self, relative: str) -> str:
        return (self.root / relative).read_text(encoding="utf-8")

    def snapshot(self, folder: str = "site") -> dict[str, bytes]:
        base = self.root / folder
        files = {
            p.relative_to(base).as_posix(): p.read_bytes() for p in sorted(base.rglob("*")) if p.is_file()
        }
        return search_index_summarized(files)


def search_index_summarized(files: dict[str, bytes]) -> dict[str, bytes]:
    """The files, with Pagefind's index (pagefind/) replaced by the pages its shards indexed per language.

    Pagefind's index is not byte-reproducible (two runs on one site name its chunks differently),
    so snapshots compare what it indexed rather than its bytes.
    """
    kept = {name: data for name, data in files.items() if not name.startswith("pagefind/")}
    if len(kept) == len(files):
        return files
    counts: dict[str, int] = {}
    for name, data in files.items():
        if name.startswith("pagefind/") and name.endswith("/pagefind-entry.json"):  # one per shard
            for code, found in json.loads(data)["languages"].items():
                counts[code] = counts.get(code, 0) + found["page_count"]
    kept["pagefind/ (pages indexed by language)"] = json.dumps(counts, sort_keys=True).encode()
    return kept


@pytest.fixture
def make_site(tmp_path: Path) -> Callable[..., Project]:
    def make(files: dict[str, str | bytes] | None = None, *, basic: bool = True) -> Project:
        project = Project(tmp_path / "project")
        project.root.mkdir(exist_ok=True)
        files = {**(BASIC if basic else {}), **(files or {})}
        if "briefgen.yaml" not in files:  # PDFs are slow to make: tests about them turn them on
            files["briefgen.yaml"] = "digest:\n  enabled: false\n"
        project.write(files)
        return project

    return make


@dataclass
class Run:
    code: int
    out: str
    err: str


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Callable[..., Run]:
    """Run `briefgen ARGS` in a project folder, as a user would, and capture what it prints."""

    def run(project: Project, *args: str) -> Run:
        monkeypatch.chdir(project.root)
        code = main(list(args))
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return run


IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """In CI (CI=true) a skipped test is a failure: a missing tool must never pass unnoticed."""
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if IN_CI and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[-1] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        reason = reason.removeprefix("Skipped: ")
        report.outcome = "failed"
        report.longrepr = f"skipped in CI, where every test must run: {reason}"
