"""Hugo's own server on the edits briefgen's rebuilds are timed on: the row beside each of ours.

`hugo server` is started once on the Hugo project of the benchmark (rendering to disk, as
`briefgen serve` does, and with `--disableFastRender`, so that every page an edit changes is made
again rather than only the pages a browser has open). Each edit is then written to the file, and
the figure is the one Hugo prints when that rebuild ends ("Total in N ms"): its own build time,
without the file watcher's delay before it starts. Standard library only, like run.py.
"""

from __future__ import annotations

import queue
import re
import socket
import subprocess
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

TOTAL = re.compile(r"Total in (?P<amount>[\d.]+) ?(?P<unit>ms|s)\b")
READY = re.compile("Web Server is available")
START_TIMEOUT_S = 900.0  # the first build of 10,000 articles, on a busy machine
REBUILD_TIMEOUT_S = 300.0
SETTLE_S = 1.0  # between edits, so that the watcher sees each one as its own change


@dataclass(frozen=True, slots=True)
class Edit:
    """One file written with `changed`, then with `original`, in turn: each write is one rebuild."""

    case: str  # the name of briefgen's case it stands beside
    path: Path
    original: bytes
    changed: bytes


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class HugoServer:
    """A running `hugo server`, its output read line by line into a queue."""

    def __init__(self, hugo: Path, folder: Path, log: Path) -> None:
        command = [
            str(hugo), "server", "--source", str(folder), "--bind", "127.0.0.1",
            "--port", str(free_port()), "--destination", "public-server",
            "--disableFastRender", "--disableLiveReload",
        ]  # fmt: skip
        self.log = log.open("w", encoding="utf-8")
        self.process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=folder
        )
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.log.write(line)
            self.log.flush()
            self.lines.put(line)
        self.lines.put("")  # the server ended

    def wait_for(self, pattern: re.Pattern[str], timeout: float) -> re.Match[str]:
        """The first line from now on that matches; RuntimeError if the server ends or time runs out."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise RuntimeError(f"hugo server: nothing matched {pattern.pattern!r} within {timeout:.0f} s")
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                continue
            if not line:
                raise RuntimeError("hugo server ended")
            if (found := pattern.search(line)) is not None:
                return found

    def drain(self) -> None:
        while not self.lines.empty():
            self.lines.get_nowait()

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


def rebuild_seconds(server: HugoServer, edit: Edit, runs: int) -> list[float]:
    seconds = []
    for index in range(runs):
        time.sleep(SETTLE_S)
        server.drain()
        edit.path.write_bytes(edit.changed if index % 2 == 0 else edit.original)
        found = server.wait_for(TOTAL, REBUILD_TIMEOUT_S)
        amount = float(found["amount"])
        seconds.append(amount / 1000 if found["unit"] == "ms" else amount)
    return seconds


def server_rebuilds(
    hugo: Path, folder: Path, edits: Sequence[Edit], runs: int, log: Path
) -> dict[str, list[float]]:
    """Seconds of each of Hugo's rebuilds, by case; every edited file is put back as it was."""
    server = HugoServer(hugo, folder, log)
    found: dict[str, list[float]] = {}
    try:
        server.wait_for(READY, START_TIMEOUT_S)
        for edit in edits:
            try:
                found[edit.case] = rebuild_seconds(server, edit, runs)
            finally:
                if edit.path.read_bytes() != edit.original:
                    edit.path.write_bytes(edit.original)
                    server.wait_for(TOTAL, REBUILD_TIMEOUT_S)
    finally:
        server.stop()
    return found
