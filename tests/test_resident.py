"""The preview keeps the parse cache between its builds (engine/resident.py), and its site stays
byte for byte the one a cold build makes, whatever happens between two builds."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import Project
from test_incremental import cold_build, output, site_files

from briefgen.build import build
from briefgen.config import load_config
from briefgen.engine.resident import Resident
from briefgen.errors import Problems

PARSED = ".briefgen/parsed"  # the parse cache's shards


def retitle(project: Project, name: str, title: str) -> None:
    path = project.root / "content" / name
    lines = path.read_text("utf-8").splitlines(keepends=True)
    lines = [f'title: "{title}"\n' if line.startswith("title:") else line for line in lines]
    path.write_text("".join(lines), "utf-8")


def damage_in_place(folder: Path) -> None:
    """Garbage of the same size, written in place in every shard, with each file's time put back:
    only a process that holds the cache already can build as if nothing happened."""
    for path in folder.iterdir():
        before = path.stat()
        path.write_bytes(b"\x80\x04garbage".ljust(before.st_size, b"!"))
        os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))


def test_the_preview_uses_the_parse_cache_it_holds_and_a_command_reads_the_file(make_site, cli, tmp_path):
    import random

    project = make_site(site_files(random.Random(5), 12), basic=False)
    config = load_config(project.root)
    resident = Resident()
    build(config, resident=resident)
    damage_in_place(project.root / PARSED)
    retitle(project, "a003.md", "Renamed in the preview")
    kept = build(config, resident=resident)
    assert not [w for w in kept.warnings if "damaged" in w.message]
    pages = (project.root / "site/articles").rglob("index.html")
    assert any(b"Renamed in the preview" in page.read_bytes() for page in pages)
    # the file itself is still damaged: a build without what the preview holds says so
    damage_in_place(project.root / PARSED)
    retitle(project, "a004.md", "Renamed by a command")
    read = cli(project, "build", "-q")
    assert read.code == 0
    assert "ignoring the damaged build cache" in read.err
    assert output(project, "site") == cold_build(project, cli, tmp_path)


def test_builds_elsewhere_and_failed_builds_between_preview_builds(make_site, cli, tmp_path):
    import random

    project = make_site(site_files(random.Random(6), 12), basic=False)
    config = load_config(project.root)
    resident = Resident()
    build(config, resident=resident)
    retitle(project, "a001.md", "Edited, then built by a command")
    assert cli(project, "build", "-q").code == 0  # replaces the parse cache the preview holds
    retitle(project, "a002.md", "Edited in the preview")
    build(config, resident=resident)
    path = project.root / "content/a005.md"
    good = path.read_text("utf-8")
    path.write_text(good.replace("title:", "title: [unclosed", 1), "utf-8")
    with pytest.raises(Problems):
        build(config, resident=resident)
    path.write_text(good.replace("title:", "title: Fixed #", 1), "utf-8")
    retitle(project, "a006.md", "Edited after the failure")
    build(config, resident=resident)
    assert output(project, "site") == cold_build(project, cli, tmp_path)
