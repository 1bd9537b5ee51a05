"""Small hostile sites: special files, links leading out of the project, oversized and explosive input.

Commands that could hang on a regression run in a subprocess with a timeout, so that a hang fails
the test instead of stalling the suite.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import Project, article

TIMEOUT = 60


def briefgen(project: Project, *args: str, timeout: float = TIMEOUT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "briefgen", *args],
        cwd=project.root,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture
def fresh(make_site) -> Project:
    """The basic site, built once so that every file looks recently changed to the cache."""
    return make_site()


def test_a_named_pipe_in_content_is_skipped_with_a_warning_and_never_opened(fresh):
    os.mkfifo(fresh.root / "content/2023-06-20-pipe.md")
    os.mkfifo(fresh.root / "content/people/pipe.yaml")
    for command in ("check", "build", "build"):  # the second build goes through the cache
        result = briefgen(fresh, command)
        assert result.returncode == 0, result.stderr
        assert "content/2023-06-20-pipe.md: warning: skipped: is a named pipe" in result.stderr
        assert "content/people/pipe.yaml: warning: skipped: is a named pipe" in result.stderr
    assert not (fresh.root / "site/articles/2023-06-20-pipe/index.html").exists()


def test_a_named_pipe_is_an_error_with_strict(fresh):
    os.mkfifo(fresh.root / "content/2023-06-20-pipe.md")
    result = briefgen(fresh, "check", "--strict")
    assert result.returncode == 1
    expected = "content/2023-06-20-pipe.md: skipped: is a named pipe, not a regular file; it is not read"
    expected += " [strict]"
    assert expected in result.stderr


def test_a_pipe_in_static_files_is_skipped(fresh):
    (fresh.root / "static").mkdir()
    os.mkfifo(fresh.root / "static/feed.css")
    (fresh.root / "static/extra.css").write_text("p { color: red }", "utf-8")
    result = briefgen(fresh, "build")
    assert result.returncode == 0, result.stderr
    assert "static/feed.css: warning: skipped: is a named pipe" in result.stderr
    assert (fresh.root / "site/static/extra.css").read_text("utf-8") == "p { color: red }"
    assert not (fresh.root / "site/static/feed.css").exists()


def test_a_pipe_among_templates_stops_the_build_before_anything_renders(fresh):
    (fresh.root / "templates").mkdir()
    os.mkfifo(fresh.root / "templates/article.html")
    result = briefgen(fresh, "build")
    assert result.returncode == 1
    assert "templates/article.html: is a named pipe, not a regular file; it is not read" in result.stderr
    assert not (fresh.root / "site").exists()


def test_a_socket_and_a_device_in_content_are_skipped(fresh, tmp_path):
    # a socket's path is limited to about 100 bytes: bind it short, then move it into place
    short = Path("/tmp") / f"bg-{os.getpid()}.sock"
    listener = socket.socket(socket.AF_UNIX)
    try:
        listener.bind(str(short))
        os.rename(short, fresh.root / "content/socket.md")
        (fresh.root / "content/zero.md").symlink_to("/dev/zero")  # outside the project anyway
        device = fresh.root / "content/null.md"
        try:
            os.mknod(device, 0o600 | 0o020000, os.makedev(1, 3))  # /dev/null's numbers; needs root
        except PermissionError:
            device = None
        result = briefgen(fresh, "build")
    finally:
        listener.close()
    assert result.returncode == 0, result.stderr
    assert "content/socket.md: warning: skipped: is a socket, not a regular file" in result.stderr
    assert "content/zero.md: warning: skipped: is a symbolic link to /dev/zero, outside the project" in (
        result.stderr
    )
    if device is not None:
        assert "content/null.md: warning: skipped: is a character device" in result.stderr


def test_links_out_of_the_project_are_never_read(fresh, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.md").write_text(article("Secret memo", "2023-06-19", "TOP SECRET"), "utf-8")
    (outside / "spy.yaml").write_text("name: Spy Master\n", "utf-8")
    (fresh.root / "content/secret.md").symlink_to(outside / "secret.md")
    (fresh.root / "content/passwd.md").symlink_to("/etc/passwd")
    (fresh.root / "content/people/spy.yaml").symlink_to(outside / "spy.yaml")
    (fresh.root / "content/elsewhere").symlink_to(outside, target_is_directory=True)
    result = briefgen(fresh, "build")
    assert result.returncode == 0, result.stderr
    err = result.stderr
    skipped = "warning: skipped: is a symbolic link to"
    assert f"content/secret.md: {skipped} {outside / 'secret.md'}, outside the project" in err
    assert f"content/passwd.md: {skipped} /etc/passwd, outside the project" in err
    assert f"content/people/spy.yaml: {skipped} {outside / 'spy.yaml'}, outside the project" in err
    assert f"content/elsewhere: {skipped} {outside}, outside the project" in err
    assert "missing front matter" not in err
    site = fresh.snapshot()
    leaked = (b"TOP SECRET", b"Spy Master", b"root:")
    assert not any(secret in data for secret in leaked for data in site.values())
    strict = briefgen(fresh, "build", "--strict")
    assert strict.returncode == 1
    expected = "content/passwd.md: skipped: is a symbolic link to /etc/passwd, outside the project; "
    assert expected in strict.stderr
    assert fresh.snapshot() == site  # the failed build left the site as it was


def test_links_inside_the_project_are_followed_unless_turned_off(fresh):
    (fresh.root / "drafts").mkdir()
    (fresh.root / "drafts/2023-06-20-linked.md").write_text(article("Linked in", "2023-06-20"), "utf-8")
    (fresh.root / "content/2023-06-20-linked.md").symlink_to(fresh.root / "drafts/2023-06-20-linked.md")
    result = briefgen(fresh, "build")
    assert result.returncode == 0, result.stderr
    assert "warning" not in result.stderr
    assert "Linked in" in fresh.read("site/articles/2023-06-20-linked/index.html")
    fresh.write({"briefgen.yaml": "follow_symlinks: false\ndigest: {enabled: false}\n"})
    result = briefgen(fresh, "build")
    assert result.returncode == 0, result.stderr
    assert "content/2023-06-20-linked.md: warning: skipped: is a symbolic link; links are not followed" in (
        result.stderr
    )
    assert not (fresh.root / "site/articles/2023-06-20-linked/index.html").exists()


def test_symlink_loops_end(fresh):
    content = fresh.root / "content"
    (content / "a.md").symlink_to(content / "b.md")
    (content / "b.md").symlink_to(content / "a.md")
    (content / "again").symlink_to(content, target_is_directory=True)
    (content / "x").mkdir()
    (content / "y").mkdir()
    (content / "x/to-y").symlink_to(content / "y", target_is_directory=True)
    (content / "y/to-x").symlink_to(content / "x", target_is_directory=True)
    for command in ("check", "build", "build"):
        result = briefgen(fresh, command)
        assert result.returncode == 0, result.stderr
        assert "content/a.md: warning: skipped: is a symbolic link loop" in result.stderr
        assert "content/again: warning: skipped: is a symbolic link to a folder already read" in result.stderr
    assert "Blinken meets Qin" in fresh.read("site/articles/2023-06-18-talks/index.html")


def test_a_linked_folder_inside_content_is_read_once(fresh):
    fresh.write({"content/zz/2023-06-20-deep.md": article("Deep", "2023-06-20")})
    (fresh.root / "content/aa").symlink_to(fresh.root / "content/zz", target_is_directory=True)
    result = briefgen(fresh, "check")
    assert result.returncode == 0, result.stderr  # not "slug already used": the file is read once
    assert "content/aa: warning: skipped: is a symbolic link to a folder already read" in result.stderr


def test_a_40_mb_article_fails_check_quickly_with_its_size(fresh):
    big = fresh.root / "content/2023-06-21-huge.md"
    with big.open("w", encoding="utf-8") as handle:
        handle.write(article("Huge", "2023-06-21", ""))
        line = "Pasted web page text that goes on and on. " * 20 + "\n"
        handle.write(line * (40 * 1024 * 1024 // len(line)))
    started = time.monotonic()
    result = briefgen(fresh, "check")
    assert time.monotonic() - started < 20
    assert result.returncode == 1
    assert (
        "content/2023-06-21-huge.md:1: the file is 40.0 MB, over the limit of 2.0 MB "
        "(limits.file_mb in briefgen.yaml); split it or raise the limit"
    ) in result.stderr
    assert "Traceback" not in result.stderr


def test_a_body_grown_past_the_limit_is_caught_by_an_incremental_build_too(make_site, cli):
    project = make_site()
    assert cli(project, "build").code == 0
    path = project.root / "content/2023-06-18-talks.md"
    path.write_text(path.read_text("utf-8") + "More words. " * 200_000, "utf-8")  # front matter as it was
    result = cli(project, "build")
    assert result.code == 1
    assert "content/2023-06-18-talks.md:1: the file is 2.3 MB, over the limit of 2.0 MB" in result.err


def test_the_size_limits_can_be_raised(make_site, cli):
    body = "word " * 300_000  # 1.5 MB
    project = make_site(
        {
            "content/2023-06-21-long.md": article("Long", "2023-06-21", body),
            "briefgen.yaml": "limits:\n  file_mb: 1\ndigest: {enabled: false}\n",
        }
    )
    assert "over the limit of 1.0 MB" in cli(project, "check").err
    project.write({"briefgen.yaml": "limits:\n  file_mb: 3\ndigest: {enabled: false}\n"})
    assert cli(project, "check").code == 0


def test_a_big_front_matter_and_a_long_list_are_errors_with_their_line(make_site, cli):
    summary = "x" * 70_000
    actors = ", ".join(f"Person {n}" for n in range(1500))
    project = make_site(
        {
            "content/2023-06-21-front.md": article("Front", "2023-06-21", summary=f'"{summary}"'),
            "content/2023-06-22-list.md": article("List", "2023-06-22", topics=f"[{actors}]"),
        }
    )
    result = cli(project, "check")
    assert result.code == 1
    assert (
        "content/2023-06-21-front.md:1: the front matter (lines 2-4) is over the limit of 64 KB "
        "(limits.front_matter_kb in briefgen.yaml)"
    ) in result.err
    assert (
        "content/2023-06-22-list.md:4: a list or mapping of 1,500 entries is over the limit of 1,000 "
        "(limits.list_items in briefgen.yaml)"
    ) in result.err


ALIAS_BOMB = """\
---
title: "Laughs"
date: 2023-06-21
a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]
i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]
---
Body.
"""


def test_a_yaml_alias_bomb_fails_fast_with_its_line(fresh):
    anchors = ALIAS_BOMB.split("\n")[3:12]
    person = "\n".join(["name: Laughs", *anchors]) + "\n"
    fresh.write({"content/2023-06-21-bomb.md": ALIAS_BOMB, "content/people/bomb.yaml": person})
    started = time.monotonic()
    result = briefgen(fresh, "check")
    assert time.monotonic() - started < 20
    assert result.returncode == 1
    message = "the YAML expands to more than 20,000 values (an alias such as *a repeats everything its anchor"
    assert f"content/2023-06-21-bomb.md:8: {message}" in result.stderr  # e: 9**5 values
    assert f"content/people/bomb.yaml:6: {message}" in result.stderr
    assert "MemoryError" not in result.stderr and "Traceback" not in result.stderr


def test_small_aliases_still_work(make_site, cli):
    project = make_site(
        {
            "content/2023-06-21-alias.md": article(
                "Alias", "2023-06-21", topics="&t [Trade, Tariffs]", places="[Geneva]"
            ),
        }
    )
    assert cli(project, "build").code == 0
    assert "Tariffs" in project.read("site/articles/2023-06-21-alias/index.html")


def test_limits_are_checked_settings(make_site, cli):
    project = make_site({"briefgen.yaml": "limits:\n  file_md: 3\n  list_items: -1\n"})
    result = cli(project, "check")
    assert result.code == 1
    assert "briefgen.yaml:2: unknown setting 'limits.file_md'; did you mean 'file_mb'?" in result.err
    assert "briefgen.yaml:3: limits.list_items must not be negative" in result.err


def test_a_dead_link_from_a_body_names_the_line_that_writes_it(make_site, cli):
    body = "First paragraph.\n\nA picture: <img src=x>\n\nAnd [a link](../gone/).\n"
    project = make_site({"content/2023-06-21-pasted.md": article("Pasted", "2023-06-21", body)})
    result = cli(project, "build")
    assert result.code == 1
    lines = result.err.splitlines()
    page = "on page /articles/2023-06-21-pasted/"
    assert f"content/2023-06-21-pasted.md:8: dead link 'x' {page}" in lines
    assert f"content/2023-06-21-pasted.md:10: dead link '../gone/' {page}" in lines
    assert not (project.root / "site").exists()


def test_check_says_what_it_checked(make_site, cli):
    project = make_site()
    result = cli(project, "check")
    assert result.code == 0
    pages = re.match(r"built (\d+) pages", cli(project, "build").out)
    assert pages is not None and int(pages[1]) > 10
    assert result.err.splitlines()[-1] == (
        f"checked 2 articles, 2 people and the {pages[1]} pages they make, with every internal link: "
        "no errors"
    )
