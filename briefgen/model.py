"""The content model: frozen, slotted records holding tuples; no I/O, no behaviour beyond sorting."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TypeVar

from .errors import Problem

T = TypeVar("T")


def fast_pickle(cls: type[T]) -> type[T]:
    """Pickle a slotted dataclass as its class and a tuple of its fields.

    The default for slotted dataclasses calls `fields()` for every object, which made saving and
    loading the build cache, and sending parsed articles between processes, several times slower.
    """
    names = tuple(f.name for f in fields(cls))  # type: ignore[arg-type]

    def __reduce__(self: object) -> tuple[type[T], tuple[object, ...]]:
        return (cls, tuple(getattr(self, name) for name in names))

    cls.__reduce__ = __reduce__  # type: ignore[method-assign]
    return cls


@fast_pickle
@dataclass(frozen=True, slots=True)
class Term:
    """A topic or a place as one article spells it; `slug` is what makes two spellings the same."""

    slug: str
    name: str


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


@fast_pickle
@dataclass(frozen=True, slots=True)
class Source:
    name: str
    url: str = ""
    published: dt.date | None = None


@fast_pickle
@dataclass(frozen=True, slots=True)
class Event:
    day: dt.date
    time: dt.time | None  # local time in the site's timezone, when the event gives one
    title: str
    actors: tuple[str, ...]  # person ids
    places: tuple[Term, ...]
    article: str  # slug of the article that reports it
    lang: str

    @property
    def sort_key(self) -> tuple[dt.date, dt.time, str, str]:
        return (self.day, self.time or dt.time.min, self.title.casefold(), self.article)


@fast_pickle
@dataclass(frozen=True, slots=True)
class Article:
    slug: str
    path: Path
    title: str
    day: dt.date
    time: dt.time | None  # local time in the site's timezone, when `date` gives one
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

    @property
    def sort_key(self) -> tuple[dt.date, dt.time, str]:
        return (self.day, self.time or dt.time.min, self.slug)


@fast_pickle
@dataclass(frozen=True, slots=True)
class Content:
    """Everything read from the content folder, validated and resolved."""

    articles: tuple[Article, ...]
    people: tuple[Person, ...]
    warnings: tuple[Problem, ...] = field(default=())
