#!/usr/bin/env python3
"""How each stage of a cold build grows with the archive: is any step worse than linear?

    .venv/bin/python bench/growth.py [--sizes 10000,100000] [--out bench/out/growth] [--keep]

For each size, writes a corpus with bench/corpus.py (kept and reused with `--keep`), then runs a
cold `briefgen build` (no PDF digests, no search index, as bench/run.py does) in a process of its
own, timing each stage from the build's own progress reports: reading the settings and registries,
parsing the articles, indexing, finding what to render (on a cold build: the first list page
rendered), rendering, writing. It prints each stage's seconds at each size and the ratio of the
largest size to the smallest: a stage growing linearly has a ratio near the ratio of the sizes.
Run it with the project's interpreter (the one that has briefgen installed).
"""

from __future__ import annotations

import argparse
import itertools
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent


def stage_times(project: Path) -> dict[str, float]:
    """Run a cold build of `project` here; the seconds from each stage's start to the next's."""
    from briefgen.build import build
    from briefgen.config import load_config

    started = time.perf_counter()
    marks: list[tuple[str, float]] = []

    def heard(stage: str, done: int = 0, total: int = 0) -> None:
        name = stage.split(" ")[0]  # "indexing 10,000 articles" -> "indexing"
        if not marks or marks[-1][0] != name:
            marks.append((name, time.perf_counter() - started))

    build(load_config(project), progress=heard, digests=False, search_index=False)
    marks.append(("end", time.perf_counter() - started))
    times = {"starting": marks[0][1]}
    times.update((name, later - at) for (name, at), (_, later) in itertools.pairwise(marks))
    times["total"] = marks[-1][1]
    return times


def measure(size: int, out: Path, keep: bool) -> dict[str, float]:
    project = out / f"n{size}"
    content = project / "content"
    if not (keep and content.is_dir()):
        shutil.rmtree(project, ignore_errors=True)
        corpus = [sys.executable, str(BENCH / "corpus.py"), str(content), str(size)]
        subprocess.run(corpus, check=True, stdout=sys.stderr)
    for leftover in (project / "site", project / ".briefgen"):  # cold: nothing from a last run
        shutil.rmtree(leftover, ignore_errors=True)
    child = subprocess.run(
        [sys.executable, __file__, "--child", str(project)], check=True, capture_output=True, text=True
    )
    return dict(json.loads(child.stdout.splitlines()[-1]))


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000", help="articles, comma-separated")
    parser.add_argument("--out", type=Path, default=BENCH / "out" / "growth", help="where the corpora go")
    parser.add_argument("--keep", action="store_true", help="keep the corpora, and reuse kept ones")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        print(json.dumps(stage_times(args.child)))
        return 0
    sizes = sorted(int(size) for size in args.sizes.split(","))
    results = {}
    for size in sizes:
        print(f"cold build of {size:,} articles...", file=sys.stderr)
        results[size] = measure(size, args.out, args.keep)
    if not args.keep:
        shutil.rmtree(args.out, ignore_errors=True)
    first, last = sizes[0], sizes[-1]
    columns = " | ".join(f"{size:,} articles, s" for size in sizes)
    print(f"| stage | {columns} | ratio ({last / first:.3g}× the articles) |")
    print("|---|" + "---:|" * (len(sizes) + 1))
    for stage in results[first]:
        cells = " | ".join(f"{results[size].get(stage, 0.0):.2f}" for size in sizes)
        small = results[first][stage]
        ratio = f"{results[last].get(stage, 0.0) / small:.1f}×" if small >= 0.05 else "n/a"
        print(f"| {stage} | {cells} | {ratio} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
