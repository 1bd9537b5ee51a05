#!/usr/bin/env python3
"""Two versions of briefgen on one archive, timed in turns: is a change faster, slower, or noise?

    python3 bench/ab.py OLD NEW [--size 10000] [--cold 4] [--edits 3] [--edit actor|event] [--keep DIR]

OLD and NEW are commits (or branches) of this repository. Each is checked out in a worktree of its
own, with a copy of one synthetic archive (`bench/corpus.py`), and run with this checkout's
`.venv` (`PYTHONPATH` pointing at the worktree). Then, alternating which goes first:
- `--cold` cold builds of each (the output and the build state removed before each one);
- `--edits` rounds of one edit made then undone, each followed by a build: `--edit actor` (the
  default) adds an actor to one article, the edit `bench/run.py` makes; `--edit event` adds a
  word to the title of that article's first event, which its day, its people's and places' pages
  and the timeline show.
Every build is `briefgen build -q --no-digests --no-search`, timed as a whole command. It prints
each time as it comes and the medians at the end. The machine's speed drifts by a fifth or more
within minutes, so only builds taken in turns like these are compared; a difference smaller than
the spread of either side is noise.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
PYTHON = REPO / ".venv" / "bin" / "python"  # runs either version, through PYTHONPATH
sys.path.insert(0, str(HERE))

from run import pick_article, with_actor_added  # noqa: E402

EVENT_TITLE = re.compile(r'^(    title: ")(.*)"$', re.MULTILINE)  # an event's, in bench/corpus.py's files


def article_for(kind: str, content: Path) -> Path:
    """The article the edit `kind` changes: the one `bench/run.py` edits, or for an event edit the
    first from there on that has an event."""
    chosen = pick_article(content)
    if kind == "actor":
        return chosen
    articles = sorted(content.glob("*.md"))
    for article in articles[articles.index(chosen) :]:
        if EVENT_TITLE.search(article.read_text("utf-8")):
            return article
    sys.exit("no article with an event to edit")


def edited(kind: str, text: str, content: Path) -> str:
    """The article's text with the edit `kind` made."""
    if kind == "actor":
        return with_actor_added(text, content)
    found = EVENT_TITLE.search(text)
    assert found is not None  # article_for chose an article with an event
    return text[: found.end(2)] + " (edited)" + text[found.end(2) :]


def build(code: Path, project: Path) -> float:
    """One `briefgen build` of `project` with the briefgen in `code`, in seconds."""
    env = dict(os.environ, PYTHONPATH=str(code))
    command = [str(PYTHON), "-m", "briefgen", "build", "-q", "--no-digests", "--no-search"]
    start = time.perf_counter()
    done = subprocess.run(command, cwd=project, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"build failed in {project}:\n{done.stderr[-2000:]}")
    return seconds


Times = dict[tuple[str, str], list[float]]  # (case, "old" or "new") -> seconds


def timed(times: Times, case: str, name: str, code: Path, project: Path) -> float:
    """Build, and keep the time under (case, version)."""
    seconds = build(code, project)
    times.setdefault((case, name), []).append(seconds)
    return seconds


def git(*args: str, check: bool = True) -> None:
    subprocess.run(["git", "-C", str(REPO), *args], check=check, capture_output=True)


def in_turns(index: int) -> tuple[str, str]:
    """Which version builds first in round `index`: each, every other round."""
    return ("old", "new") if index % 2 == 0 else ("new", "old")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("old")
    parser.add_argument("new")
    parser.add_argument("--size", type=int, default=10000, help="articles in the archive (default 10000)")
    parser.add_argument("--cold", type=int, default=4, help="cold builds of each version (default 4)")
    parser.add_argument("--edits", type=int, default=3, help="rounds of an edit made and undone (default 3)")
    parser.add_argument("--edit", choices=("actor", "event"), default="actor", help="what the edits change")
    parser.add_argument("--keep", type=Path, help="work in this folder and leave it there")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="briefgen-ab-"))
    work.mkdir(parents=True, exist_ok=True)
    code = {name: work / f"{name}-code" for name in ("old", "new")}
    project = {name: work / f"{name}-site" for name in ("old", "new")}
    try:
        for name, commit in (("old", args.old), ("new", args.new)):
            if not code[name].exists():
                git("worktree", "add", "-f", "--detach", str(code[name]), commit)
        if not (project["old"] / "content").exists():
            content = str(project["old"] / "content")
            subprocess.run([sys.executable, str(HERE / "corpus.py"), content, str(args.size)], check=True)
        if not (project["new"] / "content").exists():
            shutil.copytree(project["old"] / "content", project["new"] / "content")
        times: Times = {}
        for k in range(args.cold):
            for name in in_turns(k):
                for made in ("site", ".briefgen"):
                    shutil.rmtree(project[name] / made, ignore_errors=True)
                seconds = timed(times, "cold", name, code[name], project[name])
                print(f"cold {name}: {seconds:.2f} s", flush=True)
        for name in ("old", "new"):
            if args.edits and not (project[name] / "site").exists():
                build(code[name], project[name])  # untimed: the edits need a site to rebuild
        for k in range(args.edits):
            for name in in_turns(k):
                article = article_for(args.edit, project[name] / "content")
                original = article.read_text("utf-8")
                try:
                    article.write_text(edited(args.edit, original, project[name] / "content"), "utf-8")
                    added = timed(times, f"{args.edit} edited", name, code[name], project[name])
                finally:
                    article.write_text(original, "utf-8")
                back = timed(times, f"{args.edit} undone", name, code[name], project[name])
                print(f"edits {name}: {added:.2f} s, {back:.2f} s", flush=True)
        print(f"\nmedians, {args.size:,} articles ({args.old} -> {args.new}):")
        for case in ("cold", f"{args.edit} edited", f"{args.edit} undone"):
            if (case, "old") in times:
                old, new = statistics.median(times[case, "old"]), statistics.median(times[case, "new"])
                print(f"  {case:17} old {old:6.2f} s   new {new:6.2f} s   new/old {new / old:.2f}")
    finally:
        if args.keep is None:
            for name in ("old", "new"):
                git("worktree", "remove", "--force", str(code[name]), check=False)
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
