"""Checks across articles' events: one id, one happening (same day and time); and events that
look like one happening without sharing an id, reported with the id to give them."""

from __future__ import annotations

import datetime as dt
import difflib
from pathlib import Path

from ..errors import ContentError
from ..model import Article, Event
from ..slugs import fold, slugify
from .fields import Report, shown_path

SIMILAR_TITLES = 0.6  # difflib ratio of two folded titles in one language, from which they look alike


def check_events(articles: list[Article], root: Path, report: Report) -> None:
    """Events sharing an id must agree on their day and time (an error naming both places);
    events without a shared id that look like one happening get a warning suggesting an id.

    Two events look like one happening when they are reported by different articles, fall on the
    same day, involve the same people (the same non-empty set), and share a place or have titles
    in one language that are alike (SIMILAR_TITLES); and not both carry (different) ids.
    """
    first: dict[str, tuple[Article, Event]] = {}
    by_day: dict[dt.date, list[tuple[Article, Event]]] = {}
    for article in sorted(articles, key=lambda a: str(a.path)):
        for event in article.events:
            if event.id:
                known = first.get(event.id)
                if known is None:
                    first[event.id] = (article, event)
                else:
                    _agree(known, (article, event), root, report)
            if event.actors:
                by_day.setdefault(event.day, []).append((article, event))
    for day in sorted(by_day):
        found = by_day[day]
        for position, (article, event) in enumerate(found):
            for other_article, other in found[position + 1 :]:
                if (
                    other_article is article
                    or (event.id and other.id)
                    or set(event.actors) != set(other.actors)
                ):
                    continue
                if {p.slug for p in event.places} & {p.slug for p in other.places} or _alike(event, other):
                    suggested = (
                        event.id or other.id or slugify(" ".join([*sorted(event.actors), day.isoformat()]))
                    )
                    report.warnings.append(
                        ContentError(
                            other_article.path,
                            other.line,
                            f"this event looks like the one at {shown_path(article.path, root)}:{event.line} "
                            f"(same day, same people, same place or a similar title); if it is the same "
                            f"happening, give both 'id: {suggested}'",
                        )
                    )


def _alike(one: Event, other: Event) -> bool:
    for lang, title in one.titles:
        for other_lang, other_title in other.titles:
            same_language = lang.split("-")[0] == other_lang.split("-")[0]
            if (
                same_language
                and difflib.SequenceMatcher(None, fold(title), fold(other_title)).ratio() >= SIMILAR_TITLES
            ):
                return True
    return False


def _agree(known: tuple[Article, Event], found: tuple[Article, Event], root: Path, report: Report) -> None:
    (first_article, first), (article, event) = known, found
    place = f"{shown_path(first_article.path, root)}:{first.line}"
    if event.day != first.day:
        message = f"day {event.day.isoformat()} differs from {first.day.isoformat()}"
    elif event.moment is not None and first.moment is not None and event.moment != first.moment:
        message = f"time {event.moment.isoformat()} differs from {first.moment.isoformat()}"
    else:
        return
    report.problems.append(
        ContentError(
            article.path, event.line, f"event '{event.id}': {message} given at {place} for the same id"
        )
    )
