"""The page plan: plan_pages(index, config) lists every page as a PageSpec; pure, no rendering."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from operator import attrgetter
from types import MappingProxyType
from typing import Any, TypeVar

from . import urls
from .config import SiteConfig
from .errors import BuildError
from .feeds import FEED_ENTRIES
from .index import TAXONOMIES, Month, SiteIndex, Taxon, TaxonName
from .model import Article, ArticleLink, Event, Person, PersonName
from .network import Links, cooccurrence, ego_network, site_network, strongest_pairs

NETWORK = "network/"
ARTICLE_TEMPLATE = "article.html"  # an article's own page

# Templates whose names start with "@" are made by Python code, not Jinja (see render.GENERATORS).
CALENDAR = "@calendar.ics"
TIMELINE_JSON = "@timeline.json"

_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class PageSpec:
    """One page: its template, its URL (and so its output path), the context, and its sources.

    `inputs` names the content files a page shows (article and person files), so a problem on the
    page can point at them and a later rebuild can tell which pages a change touches.
    """

    template: str
    url: str
    context: Mapping[str, Any] = field(default_factory=dict)
    inputs: tuple[str, ...] = ()

    @property
    def output(self) -> str:
        return urls.output_path(self.url)

    @property
    def own_article(self) -> Article | None:
        """The article this is the page of (made with article.html), else None."""
        article = self.context.get("article")
        return article if isinstance(article, Article) and self.template == ARTICLE_TEMPLATE else None


def _spec(template: str, url: str, inputs: Iterable[str] = (), **context: Any) -> PageSpec:
    return PageSpec(template, url, MappingProxyType(context), tuple(inputs))


def _paths(articles: Iterable[Article]) -> list[str]:
    return [str(a.path) for a in articles]


def _links(index: SiteIndex, articles: Iterable[Article]) -> list[ArticleLink]:
    """Articles as the one-line lists of person, topic and place pages show them: as links, so
    that those pages are not made again when a person or a topic is added to one of them."""
    return index.links_of(a.slug for a in articles)


def plan_pages(index: SiteIndex, config: SiteConfig) -> list[PageSpec]:
    """Every page of the site, in a stable order; raises BuildError if two want one path."""
    links = cooccurrence(index)
    # the article pages are planned last, though listed second: they show related articles, which
    # may still be being ranked in another process (index.Related)
    others = [
        *_people(index, links, config.page_items),
        *_taxonomies(index, config.page_items),
        *_days(index),
        *_timeline(index, config.timeline_events),
        _network(index, links),
        _spec("search.html", urls.SEARCH, languages=sorted({a.lang for a in index.articles.values()})),
        _spec("404.html", urls.NOT_FOUND),
    ]
    specs = [*_home(index, config), *_articles(index), *others]
    specs += _ways_in(index, config, specs)
    check_collisions(specs)
    return specs


def check_collisions(specs: Iterable[PageSpec]) -> None:
    seen: dict[str, PageSpec] = {}
    for spec in specs:
        if spec.output in seen:
            other = seen[spec.output]
            names = " and ".join(s.inputs[0] if s.inputs else s.template for s in (other, spec))
            raise BuildError(f"two pages would be written to {spec.output}: {names}")
        seen[spec.output] = spec


def _home(index: SiteIndex, config: SiteConfig) -> list[PageSpec]:
    days = list(index.days.items())[: config.home_days]
    shown = [(day, index.articles_of(slugs)) for day, slugs in days]
    return [
        _spec(
            "home.html",
            urls.HOME,
            _paths(a for _, arts in shown for a in arts),
            days=shown,
            people=index.most_mentioned_people(12),
            topics=index.most_used("topics", 12),
            places=index.most_used("places", 8),
        )
    ]


def _articles(index: SiteIndex) -> list[PageSpec]:
    return [article_page(index, article, index.related[article.slug]) for article in index.articles.values()]


def article_page(index: SiteIndex, article: Article, related: Iterable[str]) -> PageSpec:
    """An article's page, listing the `related` articles (slugs) of the index."""
    return _spec(
        ARTICLE_TEMPLATE,
        urls.url_of(article),
        [str(article.path)],
        article=article,
        related=index.articles_of(related),
    )


def _people(index: SiteIndex, links: Links, limit: int) -> list[PageSpec]:
    specs = []
    for person in index.people.values():
        specs.append(person_page(index, links, person, limit))
        facts, own = index.facts[person.id], _own(person)
        specs += _year_pages(index, person.named(), "people", facts.articles, facts.events, limit, own)
    people = sorted(index.people.values(), key=lambda p: (p.name.casefold(), p.id))
    counted = [(p, len(index.facts[p.id].articles)) for p in people]
    specs.append(_spec("people.html", urls.PEOPLE, people=counted))
    return specs


def person_page(index: SiteIndex, links: Links, person: Person, limit: int) -> PageSpec:
    """A person's page: their file, articles, timeline and the people they appear with (`links`,
    from network.cooccurrence); of their articles and events, the latest `limit` (see `_latest`)."""
    facts = index.facts[person.id]
    articles, events, years = _latest(index, facts.articles, facts.events, limit)
    return _spec(
        "person.html",
        urls.url_of(person),
        _own(person) + _paths(articles),
        person=person,
        facts=facts,
        articles=_links(index, articles),
        events=events,
        years=years,
        ego=ego_network(index, links, person.id),
        co_actors=[(index.people[pid].named(), n) for pid, n in facts.co_actors],
        topics=[(index.taxonomies["topics"][slug].named(), n) for slug, n in facts.topics],
    )


def _own(person: Person) -> list[str]:
    """A person's file among a page's inputs (none for a stub)."""
    return [str(person.path)] if person.path else []


def _taxonomies(index: SiteIndex, limit: int) -> list[PageSpec]:
    specs = []
    for kind in TAXONOMIES:
        for taxon in index.taxonomies[kind].values():
            specs.append(taxon_page(index, taxon, limit))
            specs += _year_pages(index, taxon.named(), kind, taxon.articles, taxon.events, limit)
        specs.append(
            _spec(
                "taxonomy.html",
                urls.taxonomy_url(kind),
                kind=kind,
                taxa=list(index.taxonomies[kind].values()),
            )
        )
    return specs


def taxon_page(index: SiteIndex, taxon: Taxon, limit: int) -> PageSpec:
    """A topic's or a place's page: what its vocabulary entry says, and the latest `limit` of the
    articles and events filed under it (see `_latest`)."""
    articles, events, years = _latest(index, taxon.articles, taxon.events, limit)
    return _spec(
        "taxon.html",
        urls.url_of(taxon),
        _paths(articles),
        taxon=taxon,
        articles=_links(index, articles),
        events=events,
        years=years,
    )


def _latest(
    index: SiteIndex, slugs: tuple[str, ...], events: tuple[Event, ...], limit: int
) -> tuple[list[Article], tuple[Event, ...], tuple[int, ...]]:
    """What the page of a person, topic or place lists of its articles (`slugs`, newest first) and
    events (in time order): the latest `limit` of each (0: all), and the years of its year pages,
    () when nothing was left out."""
    if not _leaves_out(slugs, events, limit):
        return index.articles_of(slugs), events, ()
    return index.articles_of(slugs[:limit]), events[-limit:], _years(index, slugs, events)


def _leaves_out(slugs: tuple[str, ...], events: tuple[Event, ...], limit: int) -> bool:
    """Whether listing the latest `limit` articles and events (0: all of them) leaves some out."""
    return bool(limit) and (len(slugs) > limit or len(events) > limit)


def _years(index: SiteIndex, slugs: tuple[str, ...], events: tuple[Event, ...]) -> tuple[int, ...]:
    found = {index.articles[slug].day.year for slug in slugs} | {event.day.year for event in events}
    return tuple(sorted(found))


def _year_pages(
    index: SiteIndex,
    subject: PersonName | TaxonName,
    kind: str,
    slugs: tuple[str, ...],
    events: tuple[Event, ...],
    limit: int,
    own: Iterable[str] = (),
) -> list[PageSpec]:
    """A page per year of a person, topic or place whose own page leaves some of its articles or
    events out (more than `limit` of either): that year's articles, newest first, and events."""
    if not _leaves_out(slugs, events, limit):
        return []
    years = _years(index, slugs, events)
    articles: dict[int, list[str]] = {}
    for slug in slugs:
        articles.setdefault(index.articles[slug].day.year, []).append(slug)
    happened: dict[int, list[Event]] = {}
    for event in events:
        happened.setdefault(event.day.year, []).append(event)
    specs = []
    for k, year in enumerate(years):
        shown = index.articles_of(articles.get(year, ()))
        specs.append(
            _spec(
                "subject_year.html",
                urls.year_url(subject, year),
                [*own, *_paths(shown)],
                subject=subject,
                kind=kind,
                year=year,
                articles=_links(index, shown),
                events=tuple(happened.get(year, ())),
                previous=years[k - 1] if k else None,
                next=years[k + 1] if k + 1 < len(years) else None,
            )
        )
    return specs


def _days(index: SiteIndex) -> list[PageSpec]:
    specs = []
    days = index.all_days()
    for position, day in enumerate(days):
        articles = index.articles_of(index.days.get(day, ()))
        month = Month(day.year, day.month)
        specs.append(
            _spec(
                "day.html",
                urls.url_of(day),
                _paths(articles),
                day=day,
                month=month if month in index.months else None,
                articles=articles,
                events=index.day_events.get(day, ()),
                also=index.also_reported(day),
                newer=days[position - 1] if position > 0 else None,
                older=days[position + 1] if position + 1 < len(days) else None,
            )
        )
    for month, month_days in index.months.items():
        specs.append(
            _spec(
                "month.html",
                urls.url_of(month),
                month=month,
                days=[(day, index.articles_of(index.days[day])) for day in month_days],
            )
        )
    months = [(m, [(day, len(index.days[day])) for day in days]) for m, days in index.months.items()]
    specs.append(_spec("archive.html", urls.ARCHIVE, months=months))
    return specs


def _timeline(index: SiteIndex, limit: int) -> list[PageSpec]:
    """The site's timeline: every happening once, on the page of its month (by the day it falls
    on), and on timeline/ the list of every month, then the latest months, grouped by year and
    month, as many as hold at most `limit` events together (at least one; 0: every month)."""
    by_month: dict[Month, list[Event]] = {}
    for event in index.events:
        by_month.setdefault(Month(event.day.year, event.day.month), []).append(event)
    months = sorted(by_month, key=attrgetter("first_day"))
    shown: list[Month] = []
    held = 0
    for month in reversed(months):
        held += len(by_month[month])
        if shown and limit and held > limit:
            break
        shown.insert(0, month)
    specs = [
        _spec(
            "timeline.html",
            urls.TIMELINE,
            years=_by_year([(month, tuple(by_month[month])) for month in shown]),
            contents=_by_year([(month, len(by_month[month])) for month in months]),
            count=len(index.events),
            shown=sum(len(by_month[month]) for month in shown),
            month=None,
        )
    ]
    for k, month in enumerate(months):
        specs.append(
            _spec(
                "timeline.html",
                urls.timeline_url(month),
                month=month,
                events=tuple(by_month[month]),
                previous=months[k - 1] if k else None,
                next=months[k + 1] if k + 1 < len(months) else None,
            )
        )
    return specs


def _by_year(months: list[tuple[Month, _T]]) -> list[tuple[int, list[tuple[Month, _T]]]]:
    """(month, value) pairs in order, grouped by year."""
    years: dict[int, list[tuple[Month, _T]]] = {}
    for month, value in months:
        years.setdefault(month.year, []).append((month, value))
    return list(years.items())


def _network(index: SiteIndex, links: Links) -> PageSpec:
    graph = site_network(index, links)
    people = {node.id: index.people[node.id].named() for node in graph.nodes}  # the pairs link to them
    return _spec("network.html", NETWORK, graph=graph, pairs=strongest_pairs(graph), people=people)


def _ways_in(index: SiteIndex, config: SiteConfig, pages: list[PageSpec]) -> list[PageSpec]:
    """Feeds, calendars, timeline data, and (with a base_url) the sitemap and robots.txt.

    A person, topic or place gets a feed only if it has articles, and a calendar only if it has
    events: templates link them on the same conditions.
    """
    specs = [
        *_feed(None, "", index.articles_of(index.newest[:FEED_ENTRIES])),
        *_calendar(index, None, "", index.events),
        _spec(TIMELINE_JSON, urls.timeline_json_url(None), name="", events=index.events),
        _spec("manifest.webmanifest", urls.MANIFEST),
    ]
    for person in index.people.values():
        facts = index.facts[person.id]
        specs += _feed(person, person.name, index.articles_of(facts.articles[:FEED_ENTRIES]))
        specs += _calendar(index, person, person.name, facts.events)
        if facts.events:
            specs.append(
                _spec(TIMELINE_JSON, urls.timeline_json_url(person), name=person.name, events=facts.events)
            )
    for kind in TAXONOMIES:
        for taxon in index.taxonomies[kind].values():
            specs += _feed(taxon, taxon.name, index.articles_of(taxon.articles[:FEED_ENTRIES]))
            specs += _calendar(index, taxon, taxon.name, taxon.events)
    if config.base_url:
        listed = [spec for spec in pages if spec.template not in ("404.html", "search.html")]
        specs.append(_spec("sitemap.xml", urls.SITEMAP, pages=[_sitemap_entry(spec) for spec in listed]))
        specs.append(_spec("robots.txt", urls.ROBOTS))
    return specs


def _feed(subject: object, name: str, articles: list[Article]) -> list[PageSpec]:
    """The Atom feed of `subject` (None: the whole site, which has one even when empty)."""
    if not articles and subject is not None:
        return []
    url = urls.feed_url(subject)
    page = urls.url_of(subject) if subject is not None else urls.HOME
    return [_spec("feed.xml", url, _paths(articles), page=page, name=name, articles=articles)]


def _calendar(index: SiteIndex, subject: object, name: str, events: tuple[Event, ...]) -> list[PageSpec]:
    if not events and subject is not None:
        return []
    # an event's DTSTAMP is its article's date: fingerprints cover it as one of the event's reports
    return [_spec(CALENDAR, urls.calendar_url(subject), name=name, events=events)]


def _sitemap_entry(spec: PageSpec) -> tuple[str, object]:
    """A page's URL and, for an article, its date (the only page whose content has one date)."""
    article = spec.context.get("article")
    return (spec.url, article.day if isinstance(article, Article) else None)


def page_errors_source(spec: PageSpec) -> str:
    """The file to name when a page has a problem: its first content input, else its template."""
    if spec.inputs:
        return spec.inputs[0]
    return f"templates/{spec.template}"


__all__ = ["BuildError", "PageSpec", "check_collisions", "page_errors_source", "plan_pages"]
