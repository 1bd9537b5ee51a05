#!/usr/bin/env python3
"""Time the PDF digest of a 30-article day: cold, warm, unchanged, and plain WeasyPrint beside it.

    .venv/bin/python bench/digest_bench.py [--articles 30] [--repeat 3]

The day is generated with bench/corpus.py (N articles, --days 1) into a temporary
project. Rows:

- cold: a new process renders the digest (imports WeasyPrint, loads fonts, parses the stylesheet);
- warm: the same process renders it again (fonts and stylesheet reused, as in a build's workers);
- unchanged: what a rebuild pays when nothing the digest shows changed (its fingerprint);
- plain WeasyPrint: `HTML(string=same_html).write_pdf()` on the digest's own HTML, with its
  stylesheet (parsed anew each time, as a one-off script would) and without it, so the digest's
  own overhead shows as the difference.

Each row gives wall-clock and CPU seconds (median of --repeat runs): on a busy machine the CPU
time is the steadier figure. Times exclude loading the content, which the site build does anyway.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
CORPUS = HERE / "corpus.py"
DAY = dt.date(2024, 1, 1)  # the corpus's first day

COLD = """
import datetime, sys, time
from pathlib import Path
from briefgen.pipeline import load
from briefgen.config import load_config
config = load_config(Path(sys.argv[1]))
_, index, _ = load(config)
wall, cpu = time.perf_counter(), time.process_time()
from briefgen.pdf import render_digest
render_digest(config, index, datetime.date.fromisoformat(sys.argv[2]), warn=lambda problem: None)
print(time.perf_counter() - wall, time.process_time() - cpu)
"""


def make_project(folder: Path, articles: int) -> Path:
    subprocess.run(
        [sys.executable, str(CORPUS), str(folder / "content"), str(articles), "--days", "1"],
        check=True,
        capture_output=True,
    )
    (folder / "briefgen.yaml").write_text('title: "Benchmark Briefing"\nlanguage: fr\n', "utf-8")
    return folder


def cold(project: Path) -> tuple[float, float]:
    """One render in a fresh process, timed inside it (interpreter start-up excluded)."""
    out = subprocess.run(
        [sys.executable, "-c", COLD, str(project), DAY.isoformat()],
        check=True,
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    wall, cpu = out.stdout.split()
    return float(wall), float(cpu)


def timed(action: Callable[[], object], repeat: int) -> tuple[float, float]:
    walls, cpus = [], []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        action()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--articles", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    sys.path.insert(0, str(REPO))
    from pypdf import PdfReader
    from weasyprint import CSS, HTML

    from briefgen import pdf
    from briefgen.config import load_config
    from briefgen.pipeline import load

    def quiet(problem: object) -> None:
        pass

    with tempfile.TemporaryDirectory() as tmp:
        project = make_project(Path(tmp), args.articles)
        config = load_config(project)
        _, index, _ = load(config)
        assert len(index.days[DAY]) == args.articles

        rows: list[tuple[str, tuple[float, float], str]] = []
        colds = [cold(project) for _ in range(args.repeat)]
        rows.append(
            (
                "digest, cold (new process)",
                (statistics.median(c[0] for c in colds), statistics.median(c[1] for c in colds)),
                "",
            )
        )
        data = pdf.render_digest(config, index, DAY, warn=quiet)
        warm = timed(lambda: pdf.render_digest(config, index, DAY, warn=quiet), args.repeat)
        rows.append(("digest, warm (same process)", warm, f"{len(data) / 1024:.0f} KiB"))
        previous = pdf.digest_fingerprint(config, index, DAY)
        unchanged = timed(lambda: pdf.digest_fingerprint(config, index, DAY) == previous, args.repeat)
        rows.append(("digest, unchanged (fingerprint hit)", unchanged, "nothing rendered"))
        jinja = timed(lambda: pdf.digest_html(config, index, DAY), args.repeat)
        rows.append(("  of which the digest HTML (Jinja)", jinja, ""))

        html = pdf.digest_html(config, index, DAY)
        _, css = pdf.stylesheet_text(config)
        styled = timed(lambda: HTML(string=html).write_pdf(stylesheets=[CSS(string=css)]), args.repeat)
        rows.append(("plain WeasyPrint, same HTML + CSS", styled, ""))
        bare = timed(lambda: HTML(string=html).write_pdf(), args.repeat)
        rows.append(("plain WeasyPrint, same HTML, no CSS", bare, "unstyled, for scale"))
        pages = len(PdfReader(io.BytesIO(data)).pages)

    print(f"{args.articles}-article day, {pages} pages, median of {args.repeat} runs")
    print(f"{'case':<38} {'wall s':>7} {'cpu s':>7}  note")
    for name, (wall, cpu), note in rows:
        print(f"{name:<38} {wall:>7.2f} {cpu:>7.2f}  {note}")


if __name__ == "__main__":
    main()
