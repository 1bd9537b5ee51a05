"""The site pipeline's stages as functions: load (files to model), index, plan, render; no cache, no output.

Each stage takes its inputs as arguments and reads files only through `Files` (files.py): the
project on disk by default, or a site held in memory in tests. `build` (the orchestrator, with
the incremental engine deciding what to redo) and the commands that need the model without
building (`digest`, `mail`) all start here, so imports point one way: from the commands down to
the model.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from .config import SiteConfig
from .content.articles import Parsed
from .content.load import load_content
from .files import Files
from .index import Related, SiteIndex, build_index
from .model import Content
from .pages import PageSpec, plan_pages
from .parallel import worker_count


def load(
    config: SiteConfig,
    parsed: Parsed | None = None,
    trusted: frozenset[str] = frozenset(),
    files: Files | None = None,
) -> tuple[Content, SiteIndex, list[PageSpec]]:
    """Content, index and page plan: everything a renderer needs (also used by digest and mail).

    `trusted`: files known unchanged since `parsed` was made, which need not even be read.
    """
    content = load_content(config, parsed, jobs=worker_count(config), trusted=trusted, files=files)
    return (content, *plan(config, content))


def index(config: SiteConfig, content: Content) -> SiteIndex:
    """Articles by person, topic, place and day, timelines and related articles."""
    return build_index(content, config.related_articles, worker_count(config))


def plan(config: SiteConfig, content: Content) -> tuple[SiteIndex, list[PageSpec]]:
    """The index of the content, and every page of the site."""
    site_index = index(config, content)
    try:
        return site_index, plan_pages(site_index, config)
    except BaseException:
        if isinstance(site_index.related, Related):
            site_index.related.cancel()  # planning failed: the ranking, maybe still running, is not wanted
        raise


def render(
    config: SiteConfig, site_index: SiteIndex, specs: Iterable[PageSpec], files: Files | None = None
) -> Iterator[tuple[PageSpec, str]]:
    """Each page with its HTML, in this process: the plain form of what a build does in parallel."""
    from .markdown import Bodies
    from .mentions import site_linker
    from .render import make_environment
    from .render import render as render_page

    bodies = Bodies(finish=site_linker(config, site_index), files=files)
    env = make_environment(config, site_index, bodies, files)
    for spec in specs:
        yield spec, render_page(env, spec)
