"""The content model: frozen, slotted records holding tuples; no I/O, no behaviour beyond sorting."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from .errors import Problem
from .pickling import fast_pickle


@fast_pickle
@dataclass(frozen=True, slots=True)
class Term:
    """A topic or a place as one article spells it; `slug` is what makes two spellings the same.

    When the vocabulary (content/places, content/topics) knows the term, `slug` is its entry's id
    and `name` its label in the site's language.
    """

    slug: str
    name: str


@fast_pickle
@dataclass(frozen=True, slots=True)
class Vocable:
    """One entry of the places or topics vocabulary: content/<kind>/<id>.yaml."""

    kind: str  # "topics" or "places"
    id: str
    names: tuple[tuple[str, str], ...]  # (language, name), as written
    aliases: tuple[str, ...] = ()
    country: str = ""
    coordinates: tuple[float, float] | None = None  # latitude, longitude
    timezone: str = ""  # IANA name, for places: names the zone of times written there
    path: Path | None = None
    line: int = 1

    def name_in(self, language: str) -> str:
        """The name in `language` (`fr-CA`, then `fr`), else English, else the first given."""
        return pick(self.names, language)

    def other_names(self, shown: str) -> tuple[tuple[str, str], ...]:
        """Its other names as (language, name), the language "" for aliases: every name in another
        language, then every alias, each once and none equal to `shown` (the page's title)."""
        seen = {shown.casefold()}
        found: list[tuple[str, str]] = []
        for lang, name in (*self.names, *(("", alias) for alias in self.aliases)):
            if name.casefold() not in seen:
                seen.add(name.casefold())
                found.append((lang, name))
        return tuple(found)


def pick(texts: tuple[tuple[str, str], ...], language: str) -> str:
    """The text for `language` among (language, text) pairs: exact tag, base language, English, first."""
    return pick_with_lang(texts, language)[0]


def pick_with_lang(texts: tuple[tuple[str, str], ...], language: str) -> tuple[str, str]:
    """`pick`, with the language of the text chosen."""
    base = language.split("-")[0].lower()
    for wanted in (language.lower(), base, "en"):
        for lang, text in texts:
            if lang.lower() == wanted:
                return text, lang
    for lang, text in texts:
        if lang.split("-")[0].lower() == base:
            return text, lang
    return (texts[0][1], texts[0][0]) if texts else ("", language)


@fast_pickle
@dataclass(frozen=True, slots=True)
class Role:
    title: str
    organisation: str = ""
    start: dt.date | None = None
    end: dt.date | None = None


@fast_pickle
@dataclass(frozen=True, slots=True)
class Person:
    id: str
    name: str
    aliases: tuple[str, ...] = ()
    roles: tuple[Role, ...] = ()
    country: str = ""
    description: str = ""
    links: tuple[tuple[str, str], ...] = ()
    path: Path | None = None  # None for a stub: an actor named in an article with no people file
    line: int = 1
    lang: str = ""  # of the description and role titles; "" for the site language

    @property
    def is_stub(self) -> bool:
        return self.path is None

    @property
    def latest_role(self) -> Role | None:
        """The current role (the first without an end), else the one that ended last."""
        for role in self.roles:
            if role.end is None:
                return role
        return max(self.roles, key=lambda role: role.end or dt.date.min, default=None)

    def named(self) -> PersonName:
        return PersonName(self.id, self.name)


@dataclass(frozen=True, slots=True)
class PersonName:
    """A person as a link to their page shows them, without their roles or description: a page
    given these (another person's co-actors) is not rendered again when those change."""

    id: str
    name: str


@fast_pickle
@dataclass(frozen=True, slots=True)
class Source:
    name: str
    url: str = ""
    published: dt.date | None = None


IMAGE_TYPES = (".jpg", ".jpeg", ".png", ".gif", ".webp", ".avif")  # an article's `image:` file


@fast_pickle
@dataclass(frozen=True, slots=True)
class Image:
    """An article's picture: a file beside the article (`src` relative to it) or an https address."""

    src: str
    alt: str = ""
    line: int = 1  # of `image:` in the article

    @property
    def remote(self) -> bool:
        return self.src.startswith("https://")


@fast_pickle
@dataclass(frozen=True, slots=True)
class Zone:
    """The timezone a time was written in: its IANA name and the place that names it, when known."""

    name: str = ""  # "Asia/Shanghai"; "" when only the offset is known
    place: str = ""  # "Pékin": the label of the place of the event or article in that zone


@fast_pickle
@dataclass(frozen=True, slots=True)
class Event:
    """A happening, as one article reports it; the index merges those sharing an `id` into one.

    `moment` keeps the time with the offset it was written with; `day` is its date in that offset
    (or in the site's timezone, with `day_zone: site`). `start` is the instant that orders
    timelines: the moment, else the start of the day in the site's timezone.
    """

    day: dt.date
    moment: dt.datetime | None  # aware, in the offset written, when the event gives a time
    title: str  # in `lang`
    actors: tuple[str, ...]  # person ids
    places: tuple[Term, ...]  # its own, else the article's
    article: str  # slug of the (first) article that reports it
    lang: str
    start: dt.datetime
    id: str = ""  # as written; "" when the event has none
    titles: tuple[tuple[str, str], ...] = ()  # (language, title), every title given
    topics: tuple[Term, ...] = ()  # its own, else the article's
    reports: tuple[str, ...] = ()  # slugs of every article that reports it, in time order
    zone: Zone = Zone()
    line: int = 1  # of the event in its article

    @property
    def time(self) -> dt.time | None:
        """The clock time as the source wrote it, in its own zone."""
        return self.moment.time() if self.moment is not None else None

    @property
    def sort_key(self) -> tuple[dt.datetime, dt.date, str, str]:
        return (self.start, self.day, self.title.casefold(), self.article)

    def title_in(self, language: str) -> tuple[str, str]:
        """The title to show on a page in `language`, and the language it is written in."""
        return pick_with_lang(self.titles, language) if self.titles else (self.title, self.lang)


@fast_pickle
@dataclass(frozen=True, slots=True)
class Article:
    slug: str
    path: Path
    title: str
    day: dt.date
    moment: dt.datetime | None  # aware, in the offset written, when `date` gives a time
    lang: str
    summary: str = ""
    actors: tuple[str, ...] = ()  # person ids, in the order written
    topics: tuple[Term, ...] = ()
    places: tuple[Term, ...] = ()
    events: tuple[Event, ...] = ()
    source: Source | None = None
    body_digest: str = ""  # of the Markdown body; the text itself is read when needed (read_body)
    body_line: int = 1
    body_start: int = 0  # where the body starts in the file's text
    draft: bool = False
    zone: Zone = Zone()
    image: Image | None = None

    @property
    def time(self) -> dt.time | None:
        """The clock time as the source wrote it, in its own zone."""
        return self.moment.time() if self.moment is not None else None

    @property
    def sort_key(self) -> tuple[dt.date, dt.datetime, str]:
        return (self.day, self.moment or _EPOCH, self.slug)


_EPOCH = dt.datetime(1, 1, 2, tzinfo=dt.UTC)  # sorts a day's untimed articles first


@fast_pickle
@dataclass(frozen=True, slots=True)
class ArticleLink:
    """An article as a link to it shows it: its title, language, date, zone and source, nothing
    else. A happening's sources (`reports_of`, calendars, TimelineJS slides) and the long lists of
    person, topic and place pages (one line per article) read articles only through these, and
    those pages' fingerprints cover only these: adding a person or a topic to an article, or
    rewording its summary, does not make every page that lists it or its happenings again."""

    slug: str
    title: str
    lang: str
    day: dt.date
    moment: dt.datetime | None
    zone: Zone
    source: Source | None

    @classmethod
    def of(cls, article: Article) -> ArticleLink:
        a = article
        return cls(a.slug, a.title, a.lang, a.day, a.moment, a.zone, a.source)


@fast_pickle
@dataclass(frozen=True, slots=True)
class Content:
    """Everything read from the content folder, validated and resolved."""

    articles: tuple[Article, ...]
    people: tuple[Person, ...]
    warnings: tuple[Problem, ...] = field(default=())
    vocabulary: tuple[Vocable, ...] = ()
