"""Watching sources: each way an editor saves becomes one rebuild naming the real file, and nothing else does.

These run real watchdog on real folders with a fake builder that records what it was asked to do.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from briefgen.config import load_config
from briefgen.preview.watch import Sources, Watcher, is_editor_noise, project_sources


def wait_until(check: Callable[[], bool], what: str, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


class FakeBuilder:
    """Records each batch of changed paths, and what `reads` held when the rebuild ran."""

    def __init__(self, reads: Path | None = None, hold: threading.Event | None = None) -> None:
        self.reads = reads
        self.hold = hold
        self.batches: list[frozenset[Path]] = []
        self.seen: list[str] = []
        self.running = threading.Event()

    def __call__(self, paths: frozenset[Path]) -> None:
        self.running.set()
        if self.reads is not None:
            self.seen.append(self.reads.read_text("utf-8"))
        if self.hold is not None:
            self.hold.wait(5)
        self.batches.append(paths)
        self.running.clear()

    def changed(self) -> set[Path]:
        return {p for batch in self.batches for p in batch}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "content" / "people").mkdir(parents=True)
    (root / "content" / "a.md").write_text("first\n", "utf-8")
    (root / "templates").mkdir()
    (root / "static").mkdir()
    (root / "briefgen.yaml").write_text("title: Test\n", "utf-8")
    return root


@pytest.fixture
def watch(project: Path) -> Iterator[Callable[..., FakeBuilder]]:
    """Start a Watcher on the project's sources (as `briefgen serve` does) with a fake builder."""
    watchers: list[Watcher] = []

    def start(builder: FakeBuilder | None = None, sources: Sources | None = None) -> FakeBuilder:
        builder = builder or FakeBuilder()
        watcher = Watcher(sources or project_sources(load_config(project)), builder)
        watcher.start()
        watchers.append(watcher)
        return builder

    yield start
    for watcher in watchers:
        watcher.stop()


def save_by_rename(path: Path, text: str) -> None:
    """What most editors do: write a temporary file beside the real one, then rename it over."""
    temp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    temp.write_text(text, "utf-8")
    os.replace(temp, path)


def save_like_vim(path: Path, text: str) -> None:
    """vim with `backupcopy=no`: probe with 4913, move the original to a~, write anew, drop the backup."""
    probe = path.with_name("4913")
    probe.write_text("", "utf-8")
    probe.unlink()
    backup = path.with_name(path.name + "~")
    os.replace(path, backup)
    swap = path.with_name(f".{path.name}.swp")
    swap.write_bytes(b"\0" * 64)
    path.write_text(text, "utf-8")
    backup.unlink()
    swap.unlink()


def save_like_jetbrains(path: Path, text: str) -> None:
    """JetBrains "safe write": a ___jb_tmp___ file, the original renamed to ___jb_old___, then a rename."""
    temp = path.with_name(path.name + "___jb_tmp___")
    old = path.with_name(path.name + "___jb_old___")
    temp.write_text(text, "utf-8")
    os.replace(path, old)
    os.replace(temp, path)
    old.unlink()


def save_like_emacs(path: Path, text: str) -> None:
    """emacs: a `.#name` lock link and a `#name#` auto-save around a write in place."""
    lock = path.with_name(".#" + path.name)
    os.symlink("user@host.1234", lock)
    autosave = path.with_name(f"#{path.name}#")
    autosave.write_text(text, "utf-8")
    path.write_text(text, "utf-8")
    autosave.unlink()
    lock.unlink()


def save_in_place(path: Path, text: str) -> None:
    with path.open("w", encoding="utf-8") as handle:  # truncate, then write in two parts
        handle.write(text[:2])
        handle.flush()
        handle.write(text[2:])


@pytest.mark.parametrize(
    "save", [save_by_rename, save_like_vim, save_like_jetbrains, save_like_emacs, save_in_place]
)
def test_each_editor_save_is_one_rebuild_of_the_real_file_with_its_new_text(project, watch, save):
    article = project / "content" / "a.md"
    builder = watch(FakeBuilder(reads=article))
    save(article, "second\n")
    wait_until(lambda: builder.seen[-1:] == ["second\n"] and not builder.running.is_set(), "the rebuild")
    assert builder.changed() == {article}  # no temp, backup, swap, lock or probe file
    assert len(builder.batches) == 1


@pytest.mark.parametrize(
    "name",
    [
        "a.md~",
        "a.md.swp",
        ".a.md.swp",
        "a.md.swx",
        "4913",
        "a.md___jb_tmp___",
        "a.md___jb_old___",
        ".#a.md",
        "#a.md#",
        ".goutputstream-XJ3K1",
        ".DS_Store",
        "a.md.tmp",
        ".git/index",
        "__pycache__/x.pyc",
    ],
)
def test_editor_byproducts_are_noise(name):
    assert is_editor_noise(Path(name))


@pytest.mark.parametrize(
    "name", ["2023-06-18-talks.md", "people/qin-gang.yaml", "style.css", "base.html", "img/4913.png"]
)
def test_sources_are_not_noise(name):
    assert not is_editor_noise(Path(name))


def test_noise_alone_starts_no_rebuild(project, watch):
    builder = watch()
    content = project / "content"
    for name in ("a.md~", "a.md.swp", "4913", "a.md___jb_tmp___", "#a.md#", ".hidden.md"):
        (content / name).write_text("noise", "utf-8")
        (content / name).unlink()
    sentinel = project / "templates" / "base.html"  # a real change, made after all the noise
    sentinel.write_text("<html></html>", "utf-8")
    wait_until(lambda: builder.batches, "a rebuild for the template")
    assert builder.batches == [frozenset({sentinel})]


@pytest.mark.parametrize(
    "relative",
    [
        "content/b.md",
        "content/people/qin-gang.yaml",
        "templates/base.html",
        "static/style.css",
        "briefgen.yaml",
    ],
)
def test_every_kind_of_source_is_watched(project, watch, relative):
    builder = watch()
    path = project / relative
    save_by_rename(path, "changed\n")
    wait_until(lambda: builder.batches, f"a rebuild for {relative}")
    assert builder.changed() == {path}


def test_other_files_in_the_project_folder_are_not_sources(project, watch):
    builder = watch()
    (project / "README.md").write_text("notes", "utf-8")
    (project / "notes").mkdir()
    (project / "notes" / "todo.md").write_text("todo", "utf-8")
    sentinel = project / "content" / "b.md"
    sentinel.write_text("new", "utf-8")
    wait_until(lambda: builder.batches, "the rebuild")
    assert builder.changed() == {sentinel}


@pytest.mark.parametrize("output", ["site", "static/_site"])
def test_writing_the_output_and_cache_never_starts_another_rebuild(project, watch, output):
    """A builder that writes its output (even inside a watched folder) and its cache, as build() does."""
    (project / "briefgen.yaml").write_text(f"paths:\n  output: {output}\n", "utf-8")
    out = project / output

    class Writing(FakeBuilder):
        def __call__(self, paths: frozenset[Path]) -> None:
            for folder in (out / "articles" / "a", project / ".briefgen"):
                folder.mkdir(parents=True, exist_ok=True)
                temp = folder / "index.html.tmp"
                temp.write_text(str(len(self.batches)), "utf-8")
                os.replace(temp, folder / "index.html")
            super().__call__(paths)

    builder = watch(Writing())
    article = project / "content" / "a.md"
    save_by_rename(article, "second\n")
    wait_until(lambda: len(builder.batches) == 1, "the first rebuild")
    sentinel = project / "content" / "b.md"
    save_by_rename(sentinel, "third\n")  # if the output had started a rebuild, it would come before this
    wait_until(lambda: sentinel in builder.changed(), "the rebuild for b.md")
    assert builder.batches == [frozenset({article}), frozenset({sentinel})]


def test_a_burst_of_50_saves_is_a_few_rebuilds_ending_with_the_last_save(project, watch):
    article = project / "content" / "a.md"
    builder = watch(FakeBuilder(reads=article))
    for n in range(50):
        save_by_rename(article, f"save {n}\n")
    wait_until(lambda: builder.seen[-1:] == ["save 49\n"], "a rebuild showing the last save")
    assert len(builder.batches) <= 3


def test_a_save_during_a_rebuild_is_built_next(project, watch):
    article = project / "content" / "a.md"
    hold = threading.Event()
    builder = watch(FakeBuilder(reads=article, hold=hold))
    save_by_rename(article, "one\n")
    wait_until(builder.running.is_set, "the first rebuild to start")
    save_by_rename(article, "two\n")  # the builder is busy: this must not be lost
    time.sleep(0.1)  # let the second save's events arrive while the first rebuild still runs
    hold.set()
    wait_until(lambda: len(builder.seen) == 2, "a second rebuild")
    assert builder.seen == ["one\n", "two\n"]


def test_a_templates_folder_created_while_watching_is_watched_inside(project, watch, tmp_path):
    (project / "templates").rmdir()
    builder = watch()
    (project / "templates").mkdir()
    wait_until(lambda: builder.batches, "the rebuild for the new folder")
    template = project / "templates" / "article.html"
    template.write_text("{% extends 'base.html' %}", "utf-8")
    wait_until(lambda: template in builder.changed(), "a rebuild for a template in the new folder")
