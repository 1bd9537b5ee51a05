"""The daily digest as data: one day's articles, events and people index, built from the SiteIndex; pure."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .errors import DigestError
from .index import SiteIndex
from .model import Article, Event, Person
from .slugs import other_scripts


@dataclass(frozen=True, slots=True)
class Mention:
    """Where a person's name is printed in one article of the digest: the element id to point at."""

    article: str  # slug
    anchor: str


@dataclass(frozen=True, slots=True)
class PersonEntry:
    """One line of the people index: a person and each article of the day that names them."""

    person: Person
    mentions: tuple[Mention, ...]  # in digest order, one per article
    other_scripts: tuple[str, ...] = ()  # aliases written in another script than the name: 王毅


@dataclass(frozen=True, slots=True)
class Digest:
    day: dt.date
    edition: int  # 1 for the first day with articles, counting chronologically
    articles: tuple[Article, ...]  # in time order
    events: tuple[Event, ...]  # the happenings of the day, whichever article reports them, chronological
    also: tuple[Event, ...]  # happenings of other days reported in the day's articles, chronological
    people: tuple[PersonEntry, ...]  # sorted by name


def article_anchor(slug: str) -> str:
    return f"art.{slug}"


def actor_anchor(slug: str, person: str) -> str:
    """The id of a name in an article's list of people."""
    return f"p.{slug}.{person}"


def event_anchor(slug: str, position: int, person: str) -> str:
    """The id of a name in the `position`-th (1-based) event listed under an article."""
    return f"e.{slug}.{position}.{person}"


def index_anchor(person: str) -> str:
    """The id of a person's entry in the people index (where body mentions point)."""
    return f"i.{person}"


def body_anchor(slug: str, anchor: str) -> str:
    """An id from an article body, made unique in a document holding several bodies."""
    return f"b.{slug}.{anchor}"


def _named_by(article: Article) -> tuple[str, ...]:
    named = dict.fromkeys(article.actors)
    for event in article.events:
        named.update(dict.fromkeys(event.actors))
    return tuple(named)


def _first_mention(article: Article, person: str) -> Mention:
    """The first place the name is printed in the article: its people list, else its first event."""
    if person in article.actors:
        return Mention(article.slug, actor_anchor(article.slug, person))
    position = next(n for n, e in enumerate(article.events, 1) if person in e.actors)
    return Mention(article.slug, event_anchor(article.slug, position, person))


def parse_day(text: str) -> dt.date:
    """A day written YYYY-MM-DD; DigestError naming the text otherwise."""
    try:
        if len(text) != 10:
            raise ValueError(text)
        return dt.date.fromisoformat(text)
    except ValueError:
        raise DigestError(f"'{text}' is not a date: write the day as YYYY-MM-DD, e.g. 2023-06-18") from None


def digest_days(index: SiteIndex) -> list[dt.date]:
    """Every day that gets a digest (it has articles), oldest first."""
    return sorted(index.days)


def make_digest(index: SiteIndex, day: dt.date) -> Digest:
    """The digest of `day`; DigestError naming the day if it has no articles."""
    slugs = index.days.get(day)
    if not slugs:
        raise DigestError(f"no articles on {day.isoformat()}: there is no digest for that day")
    articles = tuple(index.articles_of(slugs))
    mentions: dict[str, list[Mention]] = {}
    for article in articles:
        for person in _named_by(article):
            mentions.setdefault(person, []).append(_first_mention(article, person))
    people = sorted(
        (
            PersonEntry(
                index.people[pid],
                tuple(found),
                other_scripts(index.people[pid].name, index.people[pid].aliases),
            )
            for pid, found in mentions.items()
        ),
        key=lambda entry: (entry.person.name.casefold(), entry.person.id),
    )
    return Digest(
        day=day,
        edition=digest_days(index).index(day) + 1,
        articles=articles,
        events=index.day_events.get(day, ()),
        also=index.also_reported(day),
        people=tuple(people),
    )


__all__ = [
    "Digest",
    "DigestError",
    "Mention",
    "PersonEntry",
    "actor_anchor",
    "article_anchor",
    "body_anchor",
    "digest_days",
    "event_anchor",
    "index_anchor",
    "make_digest",
    "parse_day",
]
