"""The site pipeline's stages as functions: load (files to model), index, plan; no cache, no output.

`build` (the orchestrator) and the commands that need the model without building (`digest`,
`mail`) all start here, so imports point one way: from the commands down to the model.
"""

from __future__ import annotations

import os

from .config import SiteConfig
from .content import Parsed, load_content
from .index import SiteIndex, build_index
from .model import Content
from .pages import PageSpec, plan_pages


def load(
    config: SiteConfig, parsed: Parsed | None = None, trusted: frozenset[str] = frozenset()
) -> tuple[Content, SiteIndex, list[PageSpec]]:
    """Content, index and page plan: everything a renderer needs (also used by digest and mail).

    `trusted`: files known unchanged since `parsed` was made, which need not even be read.
    """
    content = load_content(config, parsed, jobs=worker_count(config), trusted=trusted)
    return (content, *plan(config, content))


def plan(config: SiteConfig, content: Content) -> tuple[SiteIndex, list[PageSpec]]:
    """The index of the content, and every page of the site."""
    index = build_index(content, config.related_articles, worker_count(config))
    return index, plan_pages(index, config)


def worker_count(config: SiteConfig) -> int:
    """Processes that parse and render, this one included: `jobs`, else one per core."""
    return config.jobs or os.cpu_count() or 1
