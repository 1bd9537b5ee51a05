#!/usr/bin/env python3
"""A save while the preview's background PDF pass runs, and stopping the preview during that pass.

    .venv/bin/python bench/serve_pdf_bench.py [--saves 5]

Copies the sample site (content/ and briefgen.yaml of this repository) into a temporary project
with no build and no cache, so that `briefgen serve`'s first background pass has every PDF digest
to make. It then runs `briefgen serve` as a process and, `--saves` times, waits until a digest
worker process is at work, saves an article and times the moment the server's event stream
announces the rebuilt page (what makes an open page reload). Last, it sends SIGTERM during a pass
and times until the server and every process it started have ended. Medians are reported.
"""

from __future__ import annotations

import argparse
import http.client
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def group(sid: int) -> set[int]:
    """Live processes of a session, from /proc: the server and all it started (its helpers lead
    process groups of their own inside the session)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if fields[0] != "Z" and int(fields[3]) == sid:
                found.add(int(entry.name))
    return found


def workers(pid: int) -> set[int]:
    """Processes forked by the server (its digest workers): same command line, other pid."""
    mine = Path(f"/proc/{pid}/cmdline").read_bytes()
    found = set()
    for other in group(pid) - {pid}:
        try:
            if Path(f"/proc/{other}/cmdline").read_bytes() == mine:
                found.add(other)
        except OSError:
            continue
    return found


def wait_for_workers(pid: int, timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if workers(pid):
            return True
        time.sleep(0.01)
    return False


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--saves", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="briefgen-pdf-bench-") as folder:
        root = Path(folder)
        shutil.copytree(REPO / "content", root / "content")
        shutil.copy(REPO / "briefgen.yaml", root / "briefgen.yaml")
        process = subprocess.Popen(
            [sys.executable, "-m", "briefgen", "-C", str(root), "serve", "--port", "0"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            start_new_session=True,
        )
        assert process.stdout is not None
        host, port = process.stdout.readline().split(" at http://", 1)[1].split("/")[0].rsplit(":", 1)
        events = http.client.HTTPConnection(host, int(port), timeout=60)
        events.request("GET", "/__briefgen__/events")
        stream = events.getresponse()
        articles = sorted((root / "content").glob("*.md"))
        latencies = []
        for n in range(args.saves):
            if not wait_for_workers(process.pid):
                print("no PDF pass started", file=sys.stderr)
                return 1
            path = articles[n % len(articles)]
            page = f"articles/{path.stem}/index.html"
            started = time.perf_counter()
            path.write_text(path.read_text("utf-8") + f"\nSaved {n}.\n", "utf-8")
            while page not in stream.readline().decode():
                pass
            latencies.append(time.perf_counter() - started)
            print(f"save {n + 1} during the PDF pass: announced after {latencies[-1]:.3f} s")
        wait_for_workers(process.pid)
        started = time.perf_counter()
        process.send_signal(signal.SIGTERM)
        while group(process.pid):
            time.sleep(0.005)
        stopped = time.perf_counter() - started
        process.wait()
        events.close()
    print(f"median save-to-event during the PDF pass: {statistics.median(latencies):.3f} s")
    print(f"SIGTERM during the PDF pass to every process gone: {stopped:.3f} s")
    return 0


if __name__ == "__main__":
    os.chdir(REPO)
    sys.exit(main())
