"""Faults: builds killed at every stage, a full disk, two commands at once, a mail run killed mid-send.

Each kill is real: the command runs in a subprocess with BRIEFGEN_CRASH_AT naming the point where
it sends itself SIGKILL (briefgen/faults.py), so nothing gets to clean up.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import Project, article
from smtp_servers import Mailbox, free_port, smtp_server
from test_mail import DAY, PDF, settings

from briefgen import manifest, writer
from briefgen.ledger import ledger_path
from briefgen.lock import project_lock
from briefgen.manifest import MARKER

TIMEOUT = 120


def briefgen(
    project: Project, *args: str, crash_at: str = "", timeout: float = TIMEOUT
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BRIEFGEN_", "SSL_CERT"))}
    if crash_at:
        env["BRIEFGEN_CRASH_AT"] = crash_at
    return subprocess.run(
        [sys.executable, "-m", "briefgen", *args],
        cwd=project.root,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )


def pages(project: Project, folder: str = "site", search: bool = True) -> dict[str, bytes]:
    """What a reader of the site sees: every file but briefgen's own bookkeeping.

    Without `search`, leave out the search index: it is made after the pages are swapped in, so a
    build killed in between leaves it to the next build (which the tests check too).
    """
    return {
        name: data
        for name, data in project.snapshot(folder).items()
        if not name.startswith((".briefgen-", "digests/")) and (search or not name.startswith("pagefind/"))
    }


def edit(project: Project) -> None:
    """A change that rewrites, adds and removes pages."""
    talks = project.root / "content/2023-06-18-talks.md"
    talks.write_text(talks.read_text("utf-8").replace("five hours", "six hours"), "utf-8")
    (project.root / "content/2023-06-14-call.md").unlink()
    project.write({"content/2023-06-20-new.md": article("A new article", "2023-06-20", "Fresh text.")})


def clean_build(project: Project, tmp_path: Path, search: bool = True) -> dict[str, bytes]:
    """The site a build from scratch makes of the project as it is now."""
    copy = Project(tmp_path / "clean")
    shutil.rmtree(copy.root, ignore_errors=True)
    shutil.copytree(project.root, copy.root, ignore=shutil.ignore_patterns("site", ".briefgen"))
    result = briefgen(copy, "build", "-q")
    assert result.returncode == 0, result.stderr
    return pages(copy, search=search)


BEFORE_SWAP = ["render", "stage", "generation", "journal"]
AFTER_SWAP = ["swap", "manifest", "cache:parsed", "cache:parsed-commit", "cache:build-state.marshal"]


@pytest.mark.parametrize("point", BEFORE_SWAP + AFTER_SWAP)
def test_a_build_killed_at_any_point_loses_nothing(make_site, tmp_path, point):
    project = make_site()
    assert briefgen(project, "build", "-q").returncode == 0
    old = pages(project)
    edit(project)
    killed = briefgen(project, "build", "-q", "-j", "1", crash_at=point)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    # the site a reader sees is the old one whole, or the new one whole: never a mix
    if point in BEFORE_SWAP:
        assert pages(project) == old
    else:
        assert pages(project, search=False) == clean_build(project, tmp_path, search=False)
    # in every case the next build succeeds and makes exactly what a build from scratch makes
    after = briefgen(project, "build")
    assert after.returncode == 0, after.stderr
    assert "Traceback" not in after.stderr
    assert pages(project) == clean_build(project, tmp_path)
    assert not (project.root / "site" / writer.STAGING).exists()
    assert not (project.root / "site" / writer.JOURNAL).exists()
    # and the cache it left is sound: an edit after it is picked up by an incremental build
    talks = project.root / "content/2023-06-18-talks.md"
    talks.write_text(talks.read_text("utf-8").replace("six hours", "seven hours"), "utf-8")
    assert briefgen(project, "build", "-q").returncode == 0
    assert "seven hours" in project.read("site/articles/2023-06-18-talks/index.html")


def test_the_previous_generation_shares_every_unchanged_file(make_site):
    """The atomic swap keeps a second tree in .briefgen/: hard links, so it costs only what changed."""
    project = make_site()
    assert briefgen(project, "build", "-q", "--no-search").returncode == 0
    site = project.root / "site"
    (previous,) = (project.root / ".briefgen/previous-site").iterdir()
    files = [p.relative_to(site) for p in site.rglob("*") if p.is_file() and p.name != MARKER]
    assert len(files) > 20
    assert all((site / f).stat().st_ino == (previous / f).stat().st_ino for f in files)
    talks = project.root / "content/2023-06-18-talks.md"
    talks.write_text(talks.read_text("utf-8").replace("five hours", "six hours"), "utf-8")
    assert briefgen(project, "build", "-q", "--no-search").returncode == 0
    page = Path("articles/2023-06-18-talks/index.html")
    assert "six hours" in (site / page).read_text("utf-8")
    assert "five hours" in (previous / page).read_text("utf-8")  # the generation before
    different = [f for f in files if (site / f).stat().st_ino != (previous / f).stat().st_ino]
    assert page in different and len(different) <= 3


def test_a_first_build_killed_while_staging_leaves_no_second_tree_behind(make_site, tmp_path):
    """A new site's second tree is linked as its files are staged, beside the previous generation;
    a first build killed meanwhile leaves it half made, and the next build starts it afresh."""
    project = make_site()
    killed = briefgen(project, "build", "-q", "--no-search", "-j", "1", crash_at="stage")
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    (twin,) = (project.root / ".briefgen/previous-site").iterdir()  # the half-made second tree
    assert twin.name.endswith(writer.TWIN_SUFFIX) and any(p.is_file() for p in twin.rglob("*"))
    assert briefgen(project, "build", "-q", "--no-search").returncode == 0
    site = project.root / "site"
    (previous,) = (project.root / ".briefgen/previous-site").iterdir()
    assert not previous.name.endswith(writer.TWIN_SUFFIX)
    files = [p.relative_to(site) for p in site.rglob("*") if p.is_file() and p.name != MARKER]
    assert all((site / f).stat().st_ino == (previous / f).stat().st_ino for f in files)
    assert pages(project) == clean_build(project, tmp_path, search=False)


def test_the_previous_generation_is_the_site_before_edit_after_edit(make_site, tmp_path):
    """A commit brings the previous generation up to date by what the live manifest says differs
    between the two trees (without reading that folder's manifest); after every kind of edit, and
    after a build killed with the second tree half brought up to date, it holds the site as it was
    before the build, and the site is what a cold build makes."""
    project = make_site()
    site = project.root / "site"

    def build(crash_at: str = "") -> None:
        result = briefgen(project, "build", "-q", "--no-search", crash_at=crash_at)
        assert result.returncode == (-signal.SIGKILL if crash_at else 0), result.stderr

    def generation() -> dict[str, bytes]:
        (folder,) = (project.root / ".briefgen/previous-site").iterdir()
        return pages(Project(folder.parent), folder.name)

    talks = project.root / "content/2023-06-18-talks.md"
    edits = [
        lambda: talks.write_text(talks.read_text("utf-8").replace("five", "six"), "utf-8"),  # a body
        lambda: talks.write_text(talks.read_text("utf-8").replace("Long talks", "Talks"), "utf-8"),
        lambda: project.write({"content/2023-06-20-new.md": article("New", "2023-06-20", "Fresh.")}),
        lambda: (project.root / "content/2023-06-14-call.md").unlink(),
        lambda: talks.write_text(talks.read_text("utf-8").replace("six", "seven"), "utf-8"),
        lambda: (project.root / "content/2023-06-20-new.md").unlink(),
    ]
    build()
    for number, change in enumerate(edits):
        before = pages(project)
        change()
        if number == 3:  # killed with the second tree half brought up to date: its claim is void
            build(crash_at="generation")
            assert pages(project) == before
        build()
        assert generation() == before
        assert pages(project) == clean_build(project, tmp_path / str(number), search=False)
        claim = manifest.decode((site / MARKER).read_bytes())[1]
        assert claim is not None and claim[1]  # where the second tree differs


def test_a_digest_made_by_hand_stays_through_later_builds(make_site):
    """`briefgen digest` writes into the site outside a build; the swaps that follow keep it."""
    project = make_site()
    assert briefgen(project, "build", "-q", "--no-search").returncode == 0
    made = briefgen(project, "digest", "--date", "2023-06-18")
    assert made.returncode == 0, made.stderr
    pdf = project.root / "site/digests/2023-06-18.pdf"
    data = pdf.read_bytes()
    talks = project.root / "content/2023-06-18-talks.md"
    for before, after in (("five", "six"), ("six", "seven")):  # body edits: a few pages swapped in
        talks.write_text(talks.read_text("utf-8").replace(before, after), "utf-8")
        assert briefgen(project, "build", "-q", "--no-search").returncode == 0
        assert after in project.read("site/articles/2023-06-18-talks/index.html")
        assert pdf.read_bytes() == data


@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a tmpfs for the output folder needs root")
def test_on_another_file_system_a_swap_killed_halfway_is_finished_before_anything_else(make_site, tmp_path):
    """An output folder on another file system than the project cannot be exchanged in one step:
    the swap moves files one by one, journaled, and the next command finishes it."""
    disk = tmp_path / "disk"
    disk.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(disk)], check=True)
    try:
        project = make_site()
        out = disk / "site"
        assert briefgen(project, "build", "-q", "--out", str(out)).returncode == 0
        edit(project)
        killed = briefgen(project, "build", "-q", "-j", "1", "--out", str(out), crash_at="swap")
        assert killed.returncode == -signal.SIGKILL
        journal = out / writer.JOURNAL
        assert journal.is_file()  # the swap was under way
        writer.recover(out)  # what the next build does first
        assert pages(Project(disk), search=False) == clean_build(project, tmp_path, search=False)
        assert not journal.exists()
        assert not (project.root / ".briefgen/previous-site").exists()
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


@pytest.mark.parametrize("where", ["here", "in a helper"])
def test_a_full_disk_is_a_clear_error_and_the_site_stays(make_site, cli, monkeypatch, where):
    project = make_site()
    assert cli(project, "build").code == 0
    old = project.snapshot()
    edit(project)
    here, stage = os.getpid(), writer.stage

    def full(path: str, data: bytes) -> tuple[int, int]:
        if where == "here" or os.getpid() != here:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), path)
        return stage(path, data)

    monkeypatch.setattr(writer, "stage", full)
    # with two jobs a forked helper renders the article pages while this process renders the
    # lists, and stages them itself: the disk fills up in the helper, whose error reaches the command
    monkeypatch.setattr("briefgen.parallel.RENDER_MIN", 1)
    result = cli(project, "build", "--jobs", "1" if where == "here" else "2")
    assert result.code == 1
    assert "No space left on device); nothing was changed in" in result.err
    assert "Traceback" not in result.err
    assert project.snapshot() == old
    monkeypatch.undo()
    assert cli(project, "build").code == 0
    assert "six hours" in project.read("site/articles/2023-06-18-talks/index.html")


@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a small tmpfs needs root")
def test_a_really_full_disk(make_site, tmp_path):
    disk = tmp_path / "disk"
    disk.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(disk)], check=True)
    try:
        seed = make_site()
        project = Project(disk / "project")
        shutil.copytree(seed.root, project.root)
        assert briefgen(project, "build", "-q").returncode == 0
        old = project.snapshot()
        free = shutil.disk_usage(disk).free
        (project.root / "static").mkdir()
        # fits on the disk once, not twice: the staged copy is what runs out of room
        (project.root / "static/big.bin").write_bytes(os.urandom(free * 2 // 3))
        full = briefgen(project, "build")
        assert full.returncode == 1
        assert "static/big.bin (No space left on device); nothing was changed in" in full.stderr
        assert "Traceback" not in full.stderr
        assert project.snapshot() == old
        assert not (project.root / "site" / writer.STAGING).exists()
        (project.root / "static/big.bin").unlink()
        project.write({"static/small.css": "p { margin: 0 }"})
        again = briefgen(project, "build", "-q")
        assert again.returncode == 0, again.stderr
        assert project.read("site/static/small.css") == "p { margin: 0 }"
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


def test_a_second_command_waits_for_the_first(make_site):
    project = make_site()
    with project_lock(project.root, "test"):
        waiting = subprocess.Popen(
            [sys.executable, "-m", "briefgen", "build", "-q"],
            cwd=project.root,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert waiting.stderr is not None
        line = waiting.stderr.readline()
        assert line.startswith(f"briefgen: waiting for briefgen test (process {os.getpid()}) to finish")
        time.sleep(0.5)
        assert waiting.poll() is None  # still waiting
        assert not (project.root / "site").exists()
    _, err = waiting.communicate(timeout=TIMEOUT)
    assert waiting.returncode == 0, err
    assert (project.root / "site/index.html").is_file()


def test_two_builds_at_once_do_not_interleave(make_site, tmp_path):
    project = make_site(
        {
            f"content/2023-06-{day:02d}-a.md": article(f"Day {day}", f"2023-06-{day:02d}")
            for day in range(1, 28)
        }
    )
    first = briefgen(project, "build", "-q")
    assert first.returncode == 0
    edit(project)
    runs = [
        subprocess.Popen(
            [sys.executable, "-m", "briefgen", "build", "-q"],
            cwd=project.root,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    for run in runs:
        _, err = run.communicate(timeout=TIMEOUT)
        assert run.returncode == 0, err
    assert pages(project) == clean_build(project, tmp_path)


def test_mail_killed_between_sending_and_recording(make_site):
    """The documented gap (docs/mail.md): a message accepted but not yet recorded goes out again,
    with the same Message-ID; nobody recorded is sent to twice, and the ledger stays readable."""
    port = free_port()
    project = make_site({"briefgen.yaml": settings(port), f"site/digests/{DAY}.pdf": PDF})
    with smtp_server(Mailbox(), port=port) as server:
        killed = briefgen(project, "mail", "--date", DAY, crash_at="ledger#2")
        assert killed.returncode == -signal.SIGKILL
        ledger = json.loads(ledger_path(project.root).read_text("utf-8"))["sent"]
        assert [entry["recipient"] for entry in ledger] == ["alice@example.org"]
        again = briefgen(project, "mail", "--date", DAY)
        assert again.returncode == 0, again.stderr
        assert again.stdout.strip() == "sent 2, skipped 1 already sent, failed 0"
        served = server.mailbox.recipients
    assert sorted(served) == ["alice@example.org", "bob@example.org", "bob@example.org", "carol@example.net"]
    ids = [r.message["Message-ID"] for r in server.mailbox.received if "bob@example.org" in r.rcpt_tos]
    assert len(ids) == 2 and ids[0] == ids[1]


def test_mail_killed_while_writing_the_ledger_keeps_the_old_ledger(make_site):
    port = free_port()
    project = make_site({"briefgen.yaml": settings(port), f"site/digests/{DAY}.pdf": PDF})
    with smtp_server(Mailbox(), port=port) as server:
        killed = briefgen(project, "mail", "--date", DAY, crash_at="replace:mail-ledger.json#2")
        assert killed.returncode == -signal.SIGKILL
        ledger = json.loads(ledger_path(project.root).read_text("utf-8"))["sent"]
        assert [entry["recipient"] for entry in ledger] == ["alice@example.org"]
        assert briefgen(project, "mail", "--date", DAY).returncode == 0
        assert len(json.loads(ledger_path(project.root).read_text("utf-8"))["sent"]) == 3
        assert sorted(server.mailbox.recipients).count("alice@example.org") == 1
