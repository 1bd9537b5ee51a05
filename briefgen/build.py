"""build(): load -> index -> plan -> render -> check links -> write, as one short list of stages."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from .config import SiteConfig
from .content import load_content
from .errors import ContentError, Problem, Problems
from .index import SiteIndex, build_index
from .links import LinkChecker
from .model import Content
from .pages import PageSpec, page_errors_source, plan_pages
from .render import make_environment, render, template_dirs
from .writer import Writer, check_output_dir

Progress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class BuildResult:
    pages: int
    files: int
    changed: tuple[str, ...]  # output paths written, relative to the output folder
    removed: tuple[str, ...]  # output paths deleted because no page makes them any more
    seconds: float
    warnings: tuple[Problem, ...]

    def summary(self) -> str:
        noun = "page" if self.pages == 1 else "pages"
        return (
            f"built {self.pages:,} {noun} ({len(self.changed):,} files changed, "
            f"{len(self.removed):,} removed) in {self.seconds:.2f} s"
        )


def static_files(config: SiteConfig) -> dict[str, Path]:
    """Theme static files, overridden by name by the site's templates/static and static/."""
    found: dict[str, Path] = {}
    sources = [d / "static" for d in reversed(template_dirs(config))]
    sources.append(config.static_dir)
    for folder in sources:
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*")):
            relative = path.relative_to(folder)
            if path.is_file() and not any(p.startswith(".") for p in relative.parts):
                found["static/" + relative.as_posix()] = path
    return found


def load(config: SiteConfig) -> tuple[Content, SiteIndex, list[PageSpec]]:
    content = load_content(config)
    index = build_index(content, config.related_articles)
    return content, index, plan_pages(index, config)


def render_all(
    config: SiteConfig, index: SiteIndex, specs: list[PageSpec], progress: Progress | None
) -> Iterator[tuple[PageSpec, str]]:
    env = make_environment(config, index)
    total = len(specs)
    for done, spec in enumerate(specs, 1):
        yield spec, render(env, spec)
        if progress is not None and (done % 200 == 0 or done == total):
            progress(done, total)


def build(config: SiteConfig, *, write: bool = True, progress: Progress | None = None) -> BuildResult:
    """Build the site; with write=False, do everything but touch the output (`briefgen check`)."""
    started = time.perf_counter()
    out = config.output_dir
    if write:
        check_output_dir(out, config.root, config.content_dir)
    content, index, specs = load(config)
    statics = static_files(config)
    existing = {spec.output for spec in specs} | set(statics)
    writer = Writer(out) if write else None
    try:
        problems: list[Problem] = []
        checker = LinkChecker(existing)
        for spec, html in render_all(config, index, specs, progress):
            for link in checker.dead(spec.output, html):
                problems.append(
                    ContentError(page_errors_source(spec), None, f"dead link '{link}' on page /{spec.url}")
                )
            if writer is not None:
                writer.add(spec.output, html.encode("utf-8"))
        if problems:
            raise Problems(problems)
        removed: list[str] = []
        if writer is not None:
            for relative, path in statics.items():
                writer.add(relative, path.read_bytes())
            removed = writer.commit()
    except BaseException:
        if writer is not None:
            writer.abort()
        raise
    return BuildResult(
        pages=len(specs),
        files=len(existing),
        changed=tuple(writer.changed) if writer else (),
        removed=tuple(removed),
        seconds=time.perf_counter() - started,
        warnings=content.warnings,
    )
