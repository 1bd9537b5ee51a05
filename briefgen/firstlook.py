"""The first look: a saved article's own page, made against the site as last built, before the build.

In the preview, a save of front matter goes through the whole pipeline, seconds on a large site.
The page the analyst has open is the saved article's, and nearly all of it comes from that one
file: its title, summary, people, topics, places, events and body. So, before the build, the
preview reads the one file again and renders its page with the index of the last build: the names
of people and topics, and the articles to rank it against for its related ones, come from there.
The build that follows makes the exact page, and the preview tells the browser only if it differs.

A first look is made only when it can be right about everything the file shows: the file parses
without a problem, names only people, topics and places the last build knew, keeps its address,
and the settings are those of the last build. Otherwise there is none, and the page waits for the
build as before.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .config import SiteConfig
from .content import Report, load_registries, parse_file, resolve_article
from .files import project_files
from .index import SiteIndex, related_of
from .model import Article, Event
from .pages import article_page
from .render import make_environment, render


@dataclass(frozen=True, slots=True)
class FirstLook:
    """A page made before the build: its output path (`articles/x/index.html`) and its bytes."""

    output: str
    data: bytes


def first_look(config: SiteConfig, index: SiteIndex, path: Path) -> FirstLook | None:
    """The page of the article at `path` as saved, against `index` (the last build's, made with
    `config`); None when the file is not an article of that build or the page could be wrong."""
    known = _article_at(index, path)
    if known is None:
        return None
    parsed = parse_file(path, config)
    if parsed.problems or parsed.article is None:
        return None  # the build reports them
    report = Report()
    article = resolve_article(parsed, load_registries(config, project_files(config), report), report)
    if article is None or report.problems or report.warnings:
        return None
    if article.slug != known.slug or (article.draft and not config.drafts) or not _all_known(index, article):
        return None
    spec = article_page(index, article, related_of(index, article, config.related_articles))
    return FirstLook(spec.output, render(make_environment(config, index), spec).encode("utf-8"))


def _article_at(index: SiteIndex, path: Path) -> Article | None:
    return next((a for a in index.articles.values() if a.path == path), None)


def _all_known(index: SiteIndex, article: Article) -> bool:
    """Whether every person, topic and place the article names has its page in the last build."""
    items: list[Article | Event] = [article, *article.events]
    people = {pid for item in items for pid in item.actors}
    topics = {term.slug for item in items for term in item.topics}
    places = {term.slug for item in items for term in item.places}
    terms = index.taxonomies
    return (
        people <= index.facts.keys() and topics <= terms["topics"].keys() and places <= terms["places"].keys()
    )
