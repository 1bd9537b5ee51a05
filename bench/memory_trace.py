#!/usr/bin/env python3
"""Memory of a command and every process it forks, over time: where a build's peak comes from.

    python3 bench/memory_trace.py [--every 0.2] [--pss] [--out trace.tsv] -- COMMAND...

Runs COMMAND (its output is discarded) and, every `--every` seconds, sums the resident set of it
and of all its descendants, read from /proc (Linux only). Each sample is a line of `--out`:
seconds since the start, MiB over all processes, MiB of the command's own process, and how many
processes there were. At the end it prints the wall time and the peaks. With `--pss`, proportional
set sizes are summed instead (/proc/PID/smaps_rollup): a page shared by several processes, as a
forked helper shares its parent's memory until either writes to it, counts once in all, split
between them, where resident sets count it in each. Standard library only.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path


def children() -> dict[int, list[int]]:
    """Every process's children, by parent id."""
    found: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            stat = Path(f"/proc/{name}/stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        found.setdefault(parent, []).append(int(name))
    return found


def size(pid: int, pss: bool) -> int:
    """Bytes of one process: its resident set, or its proportional set size."""
    try:
        if pss:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
            return 0
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:  # the process ended meanwhile
        return 0


def sample(root: int, pss: bool) -> tuple[int, int, int]:
    """(bytes over all processes, bytes of `root`, number of processes) now."""
    tree = children()
    todo, total, own, count = [root], 0, 0, 0
    while todo:
        pid = todo.pop()
        todo += tree.get(pid, [])
        used = size(pid, pss)
        total += used
        count += 1
        if pid == root:
            own = used
    return total, own, count


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--every", type=float, default=0.2, help="seconds between samples")
    parser.add_argument("--pss", action="store_true", help="proportional set sizes, not resident sets")
    parser.add_argument("--out", type=Path, default=Path("memory-trace.tsv"), help="where the samples go")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="the command, after --")
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("give the command to trace after --")
    mib = 1024 * 1024
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak, peak_own = (0, 0, 0), 0
    with args.out.open("w") as out:
        out.write("seconds\tall_mib\tmain_mib\tprocesses\n")
        while process.poll() is None:
            total, own, count = sample(process.pid, args.pss)
            out.write(f"{time.perf_counter() - started:.1f}\t{total // mib}\t{own // mib}\t{count}\n")
            peak, peak_own = max(peak, (total, own, count)), max(peak_own, own)
            time.sleep(args.every)
    kind = "proportional set sizes" if args.pss else "resident sets"
    print(
        f"{time.perf_counter() - started:.1f} s, exit code {process.returncode}; {kind}: "
        f"peak over all processes {peak[0] // mib} MiB (the command's own then {peak[1] // mib} MiB, "
        f"{peak[2]} processes), the command's own peak {peak_own // mib} MiB; samples in {args.out}"
    )
    return process.returncode


if __name__ == "__main__":
    sys.exit(main())
