#!/usr/bin/env python3
"""What Markdown costs per article, with briefgen's pipeline and with Python-Markdown's smarty.

    .venv/bin/python bench/markdown_cost.py [--articles 300]

Generates a corpus with bench/corpus.py into a temporary folder and renders each
body several ways, printing milliseconds of CPU per article (best of three passes). The last
row adds what a build does next to each body: link the mentions of the corpus's people.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import markdown
import yaml

from briefgen.frontmatter import split
from briefgen.markdown import EXTENSIONS, markdown_to_html, new_converter
from briefgen.mentions import Linker, Names

GEN_CORPUS = Path(__file__).resolve().parent / "corpus.py"


def per_article_ms(bodies: list[tuple[str, str]], render: Callable[[str, str], object]) -> float:
    best = float("inf")
    for _ in range(3):
        started = time.process_time()
        for body, lang in bodies:
            render(body, lang)
        best = min(best, time.process_time() - started)
    return best / len(bodies) * 1000


def converting(converter: markdown.Markdown) -> Callable[[str, str], object]:
    def render(body: str, lang: str) -> object:
        converter.reset()
        return converter.convert(body)

    return render


def plain(extensions: list[str]) -> Callable[[str, str], object]:
    return converting(markdown.Markdown(extensions=extensions))


def markdown_it_rows() -> list[tuple[str, Callable[[str, str], object]]]:
    """markdown-it-py, if installed (it is not a dependency of briefgen): the issue's candidate."""
    try:
        from markdown_it import MarkdownIt
        from mdit_py_plugins.anchors import anchors_plugin
        from mdit_py_plugins.attrs import attrs_plugin
        from mdit_py_plugins.footnote import footnote_plugin
    except ImportError:
        print("markdown-it-py rows skipped: pip install markdown-it-py mdit-py-plugins to see them")
        return []
    bare = MarkdownIt("commonmark")
    full = (
        MarkdownIt("commonmark")
        .enable("table")
        .use(footnote_plugin)
        .use(anchors_plugin, max_level=6)
        .use(attrs_plugin)
    )
    return [
        ("markdown-it-py, CommonMark", lambda body, _lang: bare.render(body)),
        ("markdown-it-py, tables, footnotes, anchors, attrs", lambda body, _lang: full.render(body)),
    ]


def linked(folder: Path) -> Callable[[str, str], object]:
    """briefgen's pipeline, then mentions linked as article pages link them (`first`)."""
    named = []
    for path in sorted((folder / "people").glob("*.yaml")):
        person = yaml.safe_load(path.read_text("utf-8"))
        named.extend((name, path.stem) for name in (person["name"], *person.get("aliases", ())))
    names = Names(named)
    linker = Linker(
        names, "first", {pid: f"../../people/{pid}/" for pid in sorted(set(names.people.values()))}
    )
    return lambda body, lang: linker(markdown_to_html(body, lang))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        subprocess.run([sys.executable, str(GEN_CORPUS), folder, str(args.articles)], check=True)
        bodies = []
        for path in sorted(Path(folder).glob("*.md")):
            document = split(path.read_text("utf-8"), path)
            lang = document.meta.get("lang")
            bodies.append((document.body, getattr(lang, "text", "en")))
        with_mentions = linked(Path(folder))
    rows = [
        ("Python-Markdown, no extension", plain([])),
        ("Python-Markdown, briefgen's extensions", plain(EXTENSIONS)),
        ("Python-Markdown, briefgen's extensions + smarty", plain([*EXTENSIONS, "smarty"])),
        ("the same extensions, with briefgen's triggers", converting(new_converter())),
        ("briefgen: triggers + own typography + nh3", markdown_to_html),
        ("briefgen, then linked mentions", with_mentions),
    ]
    rows.extend(markdown_it_rows())
    print(f"{len(bodies)} articles, CPU ms per article (best of 3)")
    for label, render in rows:
        print(f"{label:50} {per_article_ms(bodies, render):6.2f}")


if __name__ == "__main__":
    main()
