"""SiteIndex: everything the pages need, computed once from the content, without I/O.

Not a pure function in one respect: on a large site with `jobs` > 1, related articles are ranked
in a helper process (an Aside of parallel.py) while the index is built and then while the pages
are planned (`Related`, waited for on its first use); the result is the same either way.
"""

from __future__ import annotations

import bisect
import datetime as dt
import heapq
import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace

from .model import Article, ArticleLink, Content, Event, Person, Term, Vocable
from .parallel import Aside, worth_aside
from .pickling import fast_pickle

TAXONOMIES = ("topics", "places")
RELATED_WINDOW = 12  # neighbours in time looked at per shared person/topic when ranking related


@fast_pickle
@dataclass(frozen=True, slots=True)
class Taxon:
    """One topic or place with everything filed under it."""

    kind: str  # "topics" or "places"
    slug: str
    name: str
    articles: tuple[str, ...]  # slugs, newest first
    events: tuple[Event, ...]  # chronological: the events that carry the term
    entry: Vocable | None = None  # from the vocabulary, when it knows the term

    def named(self) -> TaxonName:
        return TaxonName(self.kind, self.slug, self.name)


@dataclass(frozen=True, slots=True)
class TaxonName:
    """A topic or place as a link to its page shows it, without what is filed under it: a page
    given these (a person's topics) is not rendered again each time the term gains an event."""

    kind: str
    slug: str
    name: str


@fast_pickle
@dataclass(frozen=True, slots=True)
class Month:
    year: int
    month: int

    @property
    def first_day(self) -> dt.date:
        return dt.date(self.year, self.month, 1)


@fast_pickle
@dataclass(frozen=True, slots=True)
class PersonFacts:
    """What the site knows about one person beyond their file."""

    articles: tuple[str, ...]  # slugs, newest first
    events: tuple[Event, ...]  # chronological
    co_actors: tuple[tuple[str, int], ...]  # (person id, shared articles), most first
    topics: tuple[tuple[str, int], ...]  # (topic slug, articles), most first


@fast_pickle
@dataclass(frozen=True, slots=True)
class SiteIndex:
    articles: dict[str, Article]
    newest: tuple[str, ...]  # every article slug, newest first
    people: dict[str, Person]
    facts: dict[str, PersonFacts]
    taxonomies: dict[str, dict[str, Taxon]]  # kind -> slug -> taxon, sorted by name
    days: dict[dt.date, tuple[str, ...]]  # days with articles, newest first; articles in time order
    day_events: dict[dt.date, tuple[Event, ...]]  # every day with an event, newest first
    months: dict[Month, tuple[dt.date, ...]]  # newest month first; days newest first
    events: tuple[Event, ...]  # every happening once (events sharing an id merged), chronological
    related: Mapping[str, tuple[str, ...]]  # article slug -> related slugs, best first (see Related)
    reported: dict[str, tuple[Event, ...]]  # article slug -> the happenings it reports, chronological
    links: dict[str, ArticleLink]  # article slug -> the article as a link to it shows it

    def also_reported(self, day: dt.date) -> tuple[Event, ...]:
        """Happenings of other days reported in the articles of `day`, chronological."""
        found = _once(e for slug in self.days.get(day, ()) for e in self.reported[slug] if e.day != day)
        return tuple(sorted(found, key=lambda e: e.sort_key))

    def all_days(self) -> list[dt.date]:
        """Every day with an article or an event, newest first: each has a day page."""
        return sorted(self.days.keys() | self.day_events.keys(), reverse=True)

    def articles_of(self, slugs: Iterable[str]) -> list[Article]:
        return [self.articles[s] for s in slugs]

    def links_of(self, slugs: Iterable[str]) -> list[ArticleLink]:
        return [self.links[s] for s in slugs]

    def term(self, kind: str, term: Term) -> Taxon:
        return self.taxonomies[kind][term.slug]

    def most_mentioned_people(self, limit: int) -> list[tuple[Person, int]]:
        ranked = sorted(self.facts.items(), key=lambda kv: (-len(kv[1].articles), kv[0]))
        return [(self.people[pid], len(f.articles)) for pid, f in ranked[:limit] if f.articles]

    def most_used(self, kind: str, limit: int) -> list[Taxon]:
        taxa = self.taxonomies[kind].values()
        return sorted(taxa, key=lambda t: (-len(t.articles), t.slug))[:limit]


class Related(Mapping[str, tuple[str, ...]]):
    """Each article's related articles (slugs, best first), as ranked by an Aside.

    `build_index` returns without waiting for the ranking: the first look-up does, so that the
    pages that show no related articles are planned meanwhile (see pages.plan_pages). Whoever
    builds an index and may not look related articles up calls `cancel()` when done.
    """

    __slots__ = ("_found", "_ordered", "_ranking")

    def __init__(self, ranking: Aside[list[tuple[int, ...]]], ordered: list[Article]) -> None:
        self._ranking = ranking
        self._ordered = ordered
        self._found: dict[str, tuple[str, ...]] | None = None

    def _all(self) -> dict[str, tuple[str, ...]]:
        if self._found is None:
            ranked, ordered = self._ranking.result(), self._ordered
            self._found = {a.slug: tuple(ordered[p].slug for p in ranked[i]) for i, a in enumerate(ordered)}
            self._ordered = []
        return self._found

    def __getitem__(self, slug: str) -> tuple[str, ...]:
        return self._all()[slug]

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())

    def __reduce__(self) -> tuple[type[dict[str, tuple[str, ...]]], tuple[dict[str, tuple[str, ...]]]]:
        return (dict, (self._all(),))  # pickled as the plain mapping it stands for

    def cancel(self) -> None:
        """Stop the ranking if nobody looked a related article up yet (a build that failed)."""
        if self._found is None:
            self._ranking.cancel()


def build_index(content: Content, related_limit: int = 5, jobs: int = 1) -> SiteIndex:
    """The index of `content`. With `jobs` > 1 and a large site, another process ranks related
    articles meanwhile: that is a third of the time, and otherwise a core would sit idle. It is
    still ranking when the index is returned (`Related`)."""
    ordered = sorted(content.articles, key=lambda a: a.sort_key)
    fork = related_limit > 0 and worth_aside(jobs, len(ordered))
    ranking = Aside(lambda: _related(ordered, related_limit), fork=fork)
    try:
        articles = {a.slug: a for a in reversed(ordered)}
        reported = _happenings(ordered)
        happenings = _once(e for found in reported.values() for e in found)
        events = tuple(sorted(happenings, key=lambda e: e.sort_key))
        people = {p.id: p for p in content.people}
        facts = _people_facts(people, ordered, events)
        entries = {(v.kind, v.id): v for v in content.vocabulary}
        taxonomies = {kind: _taxonomy(kind, ordered, events, entries) for kind in TAXONOMIES}
    except BaseException:
        ranking.cancel()
        raise
    return SiteIndex(
        articles=articles,
        newest=tuple(articles),
        people=people,
        facts=facts,
        taxonomies=taxonomies,
        days=_days(ordered),
        day_events=_day_events(events),
        months=_months(ordered),
        events=events,
        related=Related(ranking, ordered),
        reported=reported,
        links={slug: ArticleLink.of(article) for slug, article in articles.items()},
    )


def _happenings(ordered: list[Article]) -> dict[str, tuple[Event, ...]]:
    """Each article's events as happenings: events sharing an id become one, which keeps every
    article reporting it (in time order), everyone's people, topics and places, and a title per
    language (from a report giving a time first, else the earliest). Events without an id are
    never merged (content.check_events warns)."""
    by_id: dict[str, list[Event]] = defaultdict(list)
    for article in ordered:
        for event in article.events:
            if event.id:
                by_id[event.id].append(event)
    merged = {key: _merged(found) for key, found in by_id.items()}
    # an article naming one id twice reports one happening (one object); events without an id
    # differ at least by their line
    return {
        a.slug: tuple(sorted(_once(merged[e.id] if e.id else e for e in a.events), key=lambda e: e.sort_key))
        for a in ordered
    }


def _once(events: Iterable[Event]) -> Iterable[Event]:
    """Each event object once, in order. By identity: a happening is one object wherever it is
    reported (see _happenings), and an event's own hash goes through every field it holds."""
    return {id(e): e for e in events}.values()


def _merged(reports: list[Event]) -> Event:
    if len(reports) == 1:
        return reports[0]
    first = reports[0]
    timed = next((e for e in reports if e.moment is not None), first)
    titles: dict[str, str] = {}
    for event in sorted(reports, key=lambda e: e.moment is None):  # the precise reports' titles first
        for lang, title in event.titles:
            titles.setdefault(lang, title)

    def union(name: str) -> tuple[object, ...]:
        return tuple(dict.fromkeys(item for e in reports for item in getattr(e, name)))

    return replace(
        first,
        moment=timed.moment,
        start=timed.start,
        zone=timed.zone,
        titles=tuple(titles.items()),
        actors=union("actors"),  # type: ignore[arg-type]
        places=union("places"),  # type: ignore[arg-type]
        topics=union("topics"),  # type: ignore[arg-type]
        reports=tuple(dict.fromkeys(e.article for e in reports)),
    )


def _people_facts(
    people: dict[str, Person], ordered: list[Article], events: tuple[Event, ...]
) -> dict[str, PersonFacts]:
    by_person: dict[str, list[str]] = defaultdict(list)
    co: dict[str, Counter[str]] = defaultdict(Counter)
    topics: dict[str, Counter[str]] = defaultdict(Counter)
    for article in reversed(ordered):  # newest first
        mentioned = dict.fromkeys(article.actors)
        for event in article.events:
            mentioned.update(dict.fromkeys(event.actors))
        for pid in mentioned:
            by_person[pid].append(article.slug)
            topics[pid].update(t.slug for t in article.topics)
        for pid in article.actors:
            co[pid].update(other for other in article.actors if other != pid)
    timeline: dict[str, list[Event]] = defaultdict(list)
    for event in events:
        for pid in event.actors:
            timeline[pid].append(event)
    return {
        pid: PersonFacts(
            articles=tuple(by_person[pid]),
            events=tuple(timeline[pid]),
            co_actors=_ranked(co[pid]),
            topics=_ranked(topics[pid]),
        )
        for pid in people
    }


def _ranked(counts: Counter[str]) -> tuple[tuple[str, int], ...]:
    return tuple(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def _terms_of(kind: str) -> Callable[[Article | Event], tuple[Term, ...]]:
    if kind == "topics":
        return lambda item: item.topics
    return lambda item: item.places


def _taxonomy(
    kind: str, ordered: list[Article], events: tuple[Event, ...], entries: dict[tuple[str, str], Vocable]
) -> dict[str, Taxon]:
    """One function for every taxonomy: articles tagged with a term, and the events carrying it
    (an event carries its own topics and places, or its article's when it gives none).

    A term's display name is its most frequent spelling (ties: the earliest): the vocabulary's
    label in the site's language when it knows the term.
    """
    terms_of = _terms_of(kind)
    spellings: dict[str, Counter[str]] = defaultdict(Counter)
    tagged: dict[str, list[str]] = defaultdict(list)
    for article in reversed(ordered):
        for term in terms_of(article):
            spellings[term.slug][term.name] += 1
            tagged[term.slug].append(article.slug)
    timeline: dict[str, list[Event]] = defaultdict(list)
    for event in events:
        for term in terms_of(event):
            spellings[term.slug][term.name] += 0  # known spelling, even if no article uses it
            timeline[term.slug].append(event)
    taxa = [
        Taxon(
            kind,
            slug,
            _display_name(spellings[slug]),
            tuple(tagged[slug]),
            tuple(timeline[slug]),
            entries.get((kind, slug)),
        )
        for slug in spellings
    ]
    return {t.slug: t for t in sorted(taxa, key=lambda t: (t.name.casefold(), t.slug))}


def _display_name(spellings: Counter[str]) -> str:
    best = max(spellings.values())
    return next(name for name, count in spellings.items() if count == best)


def _days(ordered: list[Article]) -> dict[dt.date, tuple[str, ...]]:
    days: dict[dt.date, list[str]] = defaultdict(list)
    for article in ordered:
        days[article.day].append(article.slug)
    return {day: tuple(days[day]) for day in sorted(days, reverse=True)}


def _day_events(events: tuple[Event, ...]) -> dict[dt.date, tuple[Event, ...]]:
    by_day: dict[dt.date, list[Event]] = defaultdict(list)
    for event in events:
        by_day[event.day].append(event)
    return {day: tuple(by_day[day]) for day in sorted(by_day, reverse=True)}


def _months(ordered: list[Article]) -> dict[Month, tuple[dt.date, ...]]:
    months: dict[Month, set[dt.date]] = defaultdict(set)
    for article in ordered:
        months[Month(article.day.year, article.day.month)].add(article.day)
    return {
        m: tuple(sorted(months[m], reverse=True))
        for m in sorted(months, key=lambda m: m.first_day, reverse=True)
    }


def _related(ordered: list[Article], limit: int) -> list[tuple[int, ...]]:
    """Articles sharing people or topics, rarer ones weighing more, nearer in time first.

    For each article in `ordered`, the positions in `ordered` of its related articles, best first
    (positions, not slugs: they travel cheaply between processes). Only the RELATED_WINDOW nearest
    articles in time per shared key are considered, which keeps the cost linear in the number of
    articles even for people named in thousands of them.
    """
    if limit <= 0:
        return [()] * len(ordered)
    postings: dict[str, list[int]] = defaultdict(list)
    keys_of: list[tuple[str, ...]] = []
    for position, article in enumerate(ordered):
        keys = _related_keys(article)
        keys_of.append(keys)
        for key in keys:
            postings[key].append(position)
    weight = {key: _weight(len(found)) for key, found in postings.items()}
    rank: dict[str, int] = defaultdict(int)  # per key, earlier articles with it: our place in postings
    related: list[tuple[int, ...]] = []
    for position in range(len(ordered)):
        shared = []
        for key in keys_of[position]:
            shared.append((postings[key], rank[key], weight[key]))
            rank[key] += 1
        related.append(_best_related(position, shared, limit))
    return related


def related_of(index: SiteIndex, article: Article, limit: int) -> tuple[str, ...]:
    """The slugs of the articles related to `article`, as `build_index` would rank them were
    `article` in the content in place of the one of the same slug (or added, if there is none).

    The preview's first look uses it: its cost is that of one article's keys, not of the site.
    """
    if limit <= 0:
        return ()
    ordered = [s for s in reversed(index.newest) if s != article.slug]  # as build_index orders them
    keys = [index.articles[s].sort_key for s in ordered]
    position = bisect.bisect_right(keys, article.sort_key)
    ordered.insert(position, article.slug)
    place = {slug: at for at, slug in enumerate(ordered)}
    shared = []
    for key in _related_keys(article):
        kind, _, name = key.partition(":")
        if kind == "p":
            facts = index.facts.get(name)
            holders = [s for s in facts.articles if name in index.articles[s].actors] if facts else []
        else:
            taxon = index.taxonomies["topics"].get(name)
            holders = list(taxon.articles) if taxon else []
        found = sorted({place[s] for s in holders if s != article.slug} | {position})
        shared.append((found, bisect.bisect_left(found, position), _weight(len(found))))
    return tuple(ordered[at] for at in _best_related(position, shared, limit))


def _related_keys(article: Article) -> tuple[str, ...]:
    """What related articles share: people (`p:` and the id) and topics (`t:` and the slug)."""
    people = (f"p:{p}" for p in article.actors)
    return tuple(dict.fromkeys([*people, *(f"t:{t.slug}" for t in article.topics)]))


def _weight(holders: int) -> float:
    """A shared key weighs less the more articles hold it."""
    return 1.0 / math.log2(2 + holders)


def _best_related(position: int, shared: list[tuple[list[int], int, float]], limit: int) -> tuple[int, ...]:
    """The `limit` best positions related to the article at `position`: `shared` holds, for each of
    its keys, the positions of the articles holding the key (in order), the article's own place
    among them, and the key's weight."""
    scores: dict[int, float] = {}
    score_of = scores.get
    for found, at, share in shared:
        for other in found[max(0, at - RELATED_WINDOW) : at + RELATED_WINDOW + 1]:
            scores[other] = score_of(other, 0.0) + share
    scores.pop(position, None)  # an article is not related to itself
    ranked = [(-score, abs(other - position), other) for other, score in scores.items()]
    return tuple(other for _, _, other in heapq.nsmallest(limit, ranked))
