"""The first look: the pages open in the browser, made against the last build before the next one.

In the preview, a save of an article's front matter, a person's, topic's or place's file or a
template goes through the whole pipeline: seconds on a large site. The pages the analyst has
open, though, can be made from the one file saved and what the last build knew. So, before the
build, the preview makes them:
- a saved article: its own page, from the file read again, against the last build's index (for
  the names of people, topics and places, and the articles its related ones are ranked among);
- a saved person's, topic's or place's file: their own page, with the file read again and the
  rest of the index kept;
- a saved template: each open page again, from the last build's page plan, with the templates as
  they are now.
The build that follows makes the exact pages, and the preview reloads one only if it differs.

A page is made first only when it can be right about everything the saved file decides: an
article that parses without a problem, names only people, topics and places the last build had
pages for, and keeps its address; a person whose names (the name and aliases, which decide whose
articles are whose) changed only where no article uses them; a topic or place whose names and
timezone are kept, and whose aliases changed only where no article uses them; a template that
compiles. The settings must be those of the last build. Otherwise nothing is made first, and the
pages wait for the build as before.
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from .. import pipeline, urls
from ..config import SiteConfig
from ..content.articles import Parsed, parse_file
from ..content.fields import Report
from ..content.load import Registries, load_registries, resolve_article
from ..content.people import PEOPLE_DIR, person_keys
from ..content.vocabulary import VOCABULARY_DIRS, vocable_keys
from ..engine.cache import Cache
from ..engine.resident import LastSite
from ..files import project_files
from ..index import SiteIndex, Taxon, related_of
from ..model import Article, Event, Person
from ..network import cooccurrence
from ..pages import PageSpec, article_page, person_page, taxon_page
from ..render import make_environment, render
from ..slugs import fold

TEMPLATE_SUFFIXES = (".html", ".xml")  # what a saved template may be; its stylesheets are static files
MOST_PAGES = 8  # open pages made again after a template save, at most: each is a render before the build


@dataclass(frozen=True, slots=True)
class FirstLook:
    """A page made before the build: its output path (`articles/x/index.html`) and its bytes."""

    output: str
    data: bytes


def ready(config: SiteConfig) -> LastSite:
    """What a first look needs, made without a build: the content loaded (through the parse cache
    of the last build), indexed and planned. For a preview whose first build had nothing to do,
    and so made none of it; raises Problems when the content does not load."""
    parsed = Cache(config).parsed()
    _, index, specs = pipeline.load(config, parsed)
    return LastSite(config, index, specs, parsed)


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
    kind = next(
        (k for k in (PEOPLE_DIR, *VOCABULARY_DIRS) if saved.is_relative_to(config.content_dir / k)), None
    )
    if kind is not None:
        look = file_look(config, site.index, saved, kind, shown, site.parsed)
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
    if article is None or report.problems:
        return None  # warnings (a person with no file) are fine if the last build had their page
    if article.slug != known.slug or (article.draft and not config.drafts) or not _all_known(index, article):
        return None
    spec = article_page(index, article, related_of(index, article, config.related_articles))
    return FirstLook(spec.output, render(make_environment(config, index), spec).encode("utf-8"))


def file_look(
    config: SiteConfig,
    index: SiteIndex,
    path: Path,
    kind: str,
    only: Container[str] | None = None,
    parsed: Parsed | None = None,
) -> FirstLook | None:
    """The page of the person, topic or place (`kind`: the folder of `path`, PEOPLE_DIR or one
    of VOCABULARY_DIRS) whose file is at `path`, as saved, against `index`; None when the file is
    not one with a page in that build, that page is not among `only` (if given), or the save
    reaches other pages (see `_person` and `_term`). `parsed`: the articles as the last build
    parsed them, before their names were resolved."""
    report = Report()
    registries = load_registries(config, project_files(config), report)
    if report.problems:
        return None
    found: tuple[SiteIndex, Person | Taxon] | None
    if kind == PEOPLE_DIR:
        found = _person(index, registries, path, parsed)
    else:
        found = _term(kind, index, registries, path, parsed)
    if found is None or (only is not None and urls.output_path(urls.url_of(found[1])) not in only):
        return None
    site, subject = found
    if isinstance(subject, Person):
        spec = person_page(site, cooccurrence(site), subject, config.page_items)
    else:
        spec = taxon_page(site, subject, config.page_items)
    return FirstLook(spec.output, render(make_environment(config, site), spec).encode("utf-8"))


def _person(
    index: SiteIndex, registries: Registries, path: Path, parsed: Parsed | None
) -> tuple[SiteIndex, Person] | None:
    """The index with the person of the file at `path` as saved, and that person; None if whose
    articles are whose may have changed: they gained or lost a name (or alias) that an article
    writes as an actor."""
    person = next((p for p in registries.people.people.values() if p.path == path), None)
    known = index.people.get(person.id) if person is not None else None
    if person is None or known is None:
        return None
    moved = person_keys(known) ^ person_keys(person)
    if moved and (parsed is None or any(fold(name) in moved for name in _actors_written(parsed))):
        return None
    return replace(index, people={**index.people, person.id: person}), person


def _term(
    kind: str, index: SiteIndex, registries: Registries, path: Path, parsed: Parsed | None
) -> tuple[SiteIndex, Taxon] | None:
    """The index with the topic or place (`kind`) of the vocabulary file at `path` as saved, and
    its taxon; None if the save reaches other pages: its names (every page that shows the term
    shows them), its timezone (the zone of every time written there), or an alias gained or lost
    that an article writes."""
    vocabulary = registries.topics if kind == "topics" else registries.places
    entry = next((e for e in vocabulary.entries.values() if e.path == path), None)
    taxon = index.taxonomies[kind].get(entry.id) if entry is not None else None
    if entry is None or taxon is None or taxon.entry is None:
        return None
    known = taxon.entry
    if (known.names, known.timezone) != (entry.names, entry.timezone):
        return None
    moved = vocable_keys(known) ^ vocable_keys(entry)  # with the names the same: the aliases
    if moved and (parsed is None or any(fold(name) in moved for name in _terms_written(parsed, kind))):
        return None
    fresh = replace(taxon, entry=entry)
    terms = {**index.taxonomies[kind], fresh.slug: fresh}
    return replace(index, taxonomies={**index.taxonomies, kind: terms}), fresh


def _terms_written(parsed: Parsed, kind: str) -> Iterator[str]:
    """Every topic or place (`kind`) as written in an article, of the article or of its events."""
    for article in parsed.values():
        own, of_events = (
            (article.topics, article.event_topics)
            if kind == "topics"
            else (article.places, article.event_places)
        )
        yield from (written.text for written in own)
        for names in of_events:
            yield from (written.text for written in names or ())


def _actors_written(parsed: Parsed) -> Iterator[str]:
    """Every actor as written in an article, of the article or of one of its events."""
    for article in parsed.values():
        yield from (written.text for written in article.actors)
        for names in article.event_actors:
            yield from (written.text for written in names or ())


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
