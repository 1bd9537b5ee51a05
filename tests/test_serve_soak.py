"""The preview under load, as `briefgen serve` runs beside an editor all day: saves while the PDF pass
runs and twenty pages listen, then SIGTERM or Ctrl-C. Nothing freezes, every save reaches every
page, and stopping ends the server and every process it started.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import platform
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import article, live_processes
from test_serve_http import EventStream, fetch

pytestmark = pytest.mark.slow

PAGES = 20  # pages held open on the event stream throughout
SOAK_SECONDS = 6.0
STOP_SECONDS = 1.0  # what the preview promises for SIGTERM and Ctrl-C
STOP_MARGIN = 0.5  # for a loaded test machine: the interpreter's own exit


def days_of_articles(count: int) -> dict[str, str | bytes]:
    """`count` articles, one a day from 2023-05-01: as many PDF digests for the background pass."""
    files: dict[str, str | bytes] = {"briefgen.yaml": "digest:\n  enabled: true\n"}
    for n in range(count):
        day = f"2023-05-{n + 1:02d}"
        body = "\n\n".join(f"Paragraph {k} of the report of day {n}." for k in range(30))
        files[f"content/{day}-report.md"] = article(f"Report {n}", day, body, actors="[Qin Gang]")
    return files


def start(root: Path) -> subprocess.Popen[str]:
    """`briefgen serve` in a process group of its own, as a terminal runs it."""
    return subprocess.Popen(
        [sys.executable, "-m", "briefgen", "-C", str(root), "serve", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def url_of(process: subprocess.Popen[str]) -> str:
    assert process.stdout is not None
    line = process.stdout.readline()
    assert " at http://" in line, line + (process.stderr.read() if process.stderr else "")
    return line.split(" at ", 1)[1].split()[0]


def group(sid: int) -> set[int]:
    """Every live process of the server's session: the server and all it started (its helpers
    lead process groups of their own, inside the session)."""
    return live_processes(session=sid)


def workers(process: subprocess.Popen[str]) -> set[int]:
    """Processes forked by the server (its PDF digest workers): its command line, another pid."""
    try:
        mine = Path(f"/proc/{process.pid}/cmdline").read_bytes()
    except OSError:
        return set()
    found = set()
    for other in group(process.pid) - {process.pid}:
        try:
            if Path(f"/proc/{other}/cmdline").read_bytes() == mine:
                found.add(other)
        except OSError:
            continue
    return found


def wait_for_workers(process: subprocess.Popen[str], timeout: float = 30.0) -> bool:
    """Wait until a PDF digest is being made."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if workers(process):
            return True
        time.sleep(0.02)
    return False


def stop_and_time(process: subprocess.Popen[str], how: str) -> float:
    """Send SIGTERM to the server, or Ctrl-C to its whole group as a terminal does (or nothing: it
    was sent already); the seconds until every process of the group has ended."""
    started = time.monotonic()
    if how == "ctrl-c":
        os.killpg(process.pid, signal.SIGINT)
    elif how == "sigterm":
        process.send_signal(signal.SIGTERM)
    elif how == "sigkill":
        process.send_signal(signal.SIGKILL)
    deadline = started + 30
    while group(process.pid) and time.monotonic() < deadline:
        time.sleep(0.01)
    return time.monotonic() - started


def kill_all(process: subprocess.Popen[str]) -> None:
    """Clean up after a failed test: every process of the session."""
    for pid in group(process.pid):
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    process.wait()


def built_with(stream: EventStream, page: str) -> dict[str, object]:
    """The next `built` event that names `page`, skipping the others."""
    while True:
        name, data = stream.next()
        assert name != "failed", data
        changed = data.get("changed", [])
        if name == "built" and isinstance(changed, list) and page in changed:
            return data


def test_saves_during_the_pdf_pass_reach_twenty_pages_and_sigterm_ends_everything(make_site):
    project = make_site(days_of_articles(12))
    process = start(project.root)
    streams: list[EventStream] = []
    try:
        url = url_of(process)
        streams = [EventStream(url) for _ in range(PAGES)]
        for stream in streams:
            assert stream.next()[0] == "hello"
        saves = during_pass = 0
        started = time.monotonic()
        while time.monotonic() - started < SOAK_SECONDS or not during_pass:
            if saves % 2 == 0:  # every other save waits for the PDF pass to be at work
                assert wait_for_workers(process), "no PDF pass started"
            during_pass += bool(workers(process))
            n = saves % 12
            path = project.root / f"content/2023-05-{n + 1:02d}-report.md"
            path.write_text(path.read_text("utf-8") + f"\nSaved {saves}.\n", "utf-8")
            page = f"articles/2023-05-{n + 1:02d}-report/index.html"
            for stream in streams:  # every page hears of every save, in the order made
                built_with(stream, page)
            assert f"Saved {saves}." in fetch(url, "/" + page.removesuffix("index.html")).text
            saves += 1
        assert during_pass >= 1
        assert fetch(url, "/").status == 200  # still answering
        seconds = stop_and_time(process, "sigterm")
        out, err = process.communicate(timeout=10)
    finally:
        for stream in streams:
            stream.close()
        if process.poll() is None:
            kill_all(process)
    assert not group(process.pid), "a process of the preview outlived it"
    assert seconds < STOP_SECONDS + STOP_MARGIN, f"stopping took {seconds:.2f} s"
    assert process.returncode == 0, err
    assert "Traceback" not in err and "stopped" in out


@pytest.mark.parametrize("how", ["ctrl-c", "sigterm"])
def test_stopping_while_digests_are_made_ends_the_server_and_every_worker(make_site, how):
    project = make_site(days_of_articles(6))
    process = start(project.root)
    try:
        url = url_of(process)
        assert wait_for_workers(process)
        assert fetch(url, "/").status == 200  # answering while the PDF pass runs
        seconds = stop_and_time(process, how)
        out, err = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            kill_all(process)
    assert not group(process.pid), "a process of the preview outlived it"
    assert seconds < STOP_SECONDS + STOP_MARGIN, f"stopping took {seconds:.2f} s"
    assert process.returncode == 0, err
    assert "Traceback" not in err and "stopped" in out


def test_a_server_killed_outright_takes_its_pdf_workers_with_it(make_site):
    """SIGKILL leaves no handler to run: the workers must notice their parent's death themselves."""
    project = make_site(days_of_articles(6))
    process = start(project.root)
    try:
        url_of(process)
        assert wait_for_workers(process)
        seconds = stop_and_time(process, "sigkill")
        process.communicate(timeout=10)
    finally:
        if process.poll() is None or group(process.pid):
            kill_all(process)
    assert not group(process.pid), "a PDF worker outlived the server"
    assert seconds < STOP_SECONDS + STOP_MARGIN, f"the workers took {seconds:.2f} s to end"


def test_a_signal_the_kernel_hands_to_another_thread_still_stops_it_at_once(make_site):
    """The kernel delivers a process's signal to any of its threads: here, on purpose, not the main one."""
    libc = ctypes.CDLL(None, use_errno=True)
    tgkill = 234  # the x86-64 system call number
    if platform.machine() != "x86_64":
        pytest.skip("tgkill's number is known here for x86-64 only")
    project = make_site()
    process = start(project.root)
    try:
        url_of(process)
        others = [
            int(t.name) for t in Path(f"/proc/{process.pid}/task").iterdir() if int(t.name) != process.pid
        ]
        assert others, "the server runs threads"
        assert libc.syscall(tgkill, process.pid, others[-1], signal.SIGTERM) == 0
        seconds = stop_and_time(process, "none")
        out, err = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            kill_all(process)
    assert seconds < STOP_SECONDS + STOP_MARGIN, f"stopping took {seconds:.2f} s"
    assert process.returncode == 0 and "stopped" in out, err
