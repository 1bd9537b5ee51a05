"""The first look: the pages open in the browser, made against the last build before the next one.

In the preview, a save of an article's front matter, a person's file or a template goes through
the whole pipeline: seconds on a large site. The pages the analyst has open, though, can be made
from the one file saved and what the last build knew. So, before the build, the preview makes them:
- a saved article: its own page, from the file read again, against the last build's index (for
  the names of people, topics and places, and the articles its related ones are ranked among);
- a saved person's file: their own page, with the person read again and the rest of the index
  kept;
- a saved template: each open page again, from the last build's page plan, with the templates as
  they are now.
The build that follows makes the exact pages, and the preview reloads one only if it differs.

A page is made first only when it can be right about everything the saved file decides: an
article that parses without a problem, names only people, topics and places the last build had
pages for, and keeps its address; a person who keeps their name and aliases (which decide whose
articles are whose); a template that compiles. The settings must be those of the last build.
Otherwise nothing is made first, and the pages wait for the build as before.
"""

from __future__ import annotations

from collections.abc import Container, Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from . import urls
from .config import SiteConfig
from .content import PEOPLE_DIR, Report, load_registries, parse_file, resolve_article
from .engine.resident import LastSite
from .files import project_files
from .index import SiteIndex, related_of
from .model import Article, Event
from .network import cooccurrence
from .pages import PageSpec, article_page, person_page
from .render import make_environment, render

TEMPLATE_SUFFIXES = (".html", ".xml")  # what a saved template may be; its stylesheets are static files
MOST_PAGES = 8  # open pages made again after a template save, at most: each is a render before the build


@dataclass(frozen=True, slots=True)
class FirstLook:
    """A page made before the build: its output path (`articles/x/index.html`) and its bytes."""

    output: str
    data: bytes


def first_looks(
    config: SiteConfig, site: LastSite, saved: Path, shown: frozenset[str]
) -> tuple[FirstLook, ...]:
    """The pages among `shown` (output paths) that can be made before the build after `saved`
    (an absolute path) was saved, against `site` (the last build's); often none. A template or a
    page that fails raises BuildError (the build then says what is wrong)."""
    if config != site.config or not shown:
        return ()
    if is_template(config, saved):
        return pages_again(config, site.index, site.specs, shown)
    if saved.is_relative_to(config.content_dir / PEOPLE_DIR):
        look = person_look(config, site.index, saved, shown)
    else:
        look = first_look(config, site.index, saved, shown)
    return (look,) if look is not None else ()


def first_look(
    config: SiteConfig, index: SiteIndex, path: Path, only: Container[str] | None = None
) -> FirstLook | None:
    """The page of the article at `path` as saved, against `index` (the last build's, made with
    `config`); None when the file is not an article of that build, its page is not among the
    output paths `only` (if given), or the page could be wrong."""
    known = _article_at(index, path)
    if known is None or (only is not None and urls.output_path(urls.url_of(known)) not in only):
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


def person_look(
    config: SiteConfig, index: SiteIndex, path: Path, only: Container[str] | None = None
) -> FirstLook | None:
    """The page of the person whose file is at `path`, as saved, against `index`; None when the
    file is not a person of that build, their page is not among `only` (if given), or their name
    or aliases changed (whose articles are whose may then have changed too)."""
    report = Report()
    registries = load_registries(config, project_files(config), report)
    person = next((p for p in registries.people.people.values() if p.path == path), None)
    if person is None or report.problems:
        return None
    known = index.people.get(person.id)
    if known is None or (known.name, known.aliases) != (person.name, person.aliases):
        return None
    if only is not None and urls.output_path(urls.url_of(person)) not in only:
        return None
    site = replace(index, people={**index.people, person.id: person})
    spec = person_page(site, cooccurrence(site), person)
    return FirstLook(spec.output, render(make_environment(config, site), spec).encode("utf-8"))


def is_template(config: SiteConfig, path: Path) -> bool:
    """Whether `path` is one of the site's templates (not a file of its templates/static/)."""
    folder = config.templates_dir
    return (
        path.suffix in TEMPLATE_SUFFIXES
        and path.is_relative_to(folder)
        and not path.is_relative_to(folder / "static")
    )


def pages_again(
    config: SiteConfig, index: SiteIndex, specs: Iterable[PageSpec], outputs: Iterable[str]
) -> tuple[FirstLook, ...]:
    """The pages at `outputs` (at most MOST_PAGES of them) made again from `specs`, the last
    build's page plan, with the templates as they are now. A template that fails raises
    BuildError: the build then says what is wrong."""
    wanted = set(outputs)
    found = [spec for spec in specs if spec.output in wanted][:MOST_PAGES]
    if not found:
        return ()
    env = make_environment(config, index)
    return tuple(FirstLook(spec.output, render(env, spec).encode("utf-8")) for spec in found)


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
