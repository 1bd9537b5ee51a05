"""Timelines as JSON in TimelineJS's format (a title slide and one slide per event)."""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Mapping
from typing import Any

from markupsafe import Markup, escape

from . import urls
from .calendars import event_uid
from .config import SiteConfig
from .feeds import moment
from .index import SiteIndex
from .model import Event


def _link(url: str, base_url: str) -> str:
    """Full addresses when base_url is set; otherwise paths from the site root, to be resolved by
    whoever embeds the data (TimelineJS itself does not resolve them)."""
    return urls.absolute(url, base_url) if base_url else url


def _slide(event: Event, config: SiteConfig, index: SiteIndex) -> str:
    """One event's slide, as JSON text on one line."""
    people = tuple((urls.url_of(index.people[pid]), index.people[pid].name) for pid in event.actors
                   if pid in index.people)  # fmt: skip
    article = index.articles.get(event.article)
    reported = (urls.url_of(article), article.title) if article is not None else None
    group = index.term("places", event.places[0]).name if event.places else ""
    local = moment(event, config.tz) if event.moment is not None else None  # as said where it happens
    return _slide_text(event, people, reported, group, local, config.base_url)


@functools.lru_cache(maxsize=65536)
def _slide_text(
    event: Event,
    people: tuple[tuple[str, str], ...],
    reported: tuple[str, str] | None,
    group: str,
    local: dt.datetime | None,
    base_url: str,
) -> str:
    start: dict[str, Any] = {"year": event.day.year, "month": event.day.month, "day": event.day.day}
    if local is not None:
        start.update(hour=local.hour, minute=local.minute)
    parts = []
    if people:
        names = [Markup('<a href="{}">{}</a>').format(_link(url, base_url), name) for url, name in people]
        parts.append(Markup("<p>{}</p>").format(Markup(", ").join(names)))
    if reported is not None:
        parts.append(Markup('<p><a href="{}">{}</a></p>').format(_link(reported[0], base_url), reported[1]))
    slide: dict[str, Any] = {
        "start_date": start,
        "text": {"headline": str(escape(event.title)), "text": "".join(parts)},
        "unique_id": event_uid(event, "t").split("@")[0],
    }
    if group:
        slide["group"] = group
    return json.dumps(slide, ensure_ascii=False, separators=(", ", ": "))


def render_timeline_json(context: Mapping[str, Any], config: SiteConfig, index: SiteIndex) -> str:
    """`context['events']` as a TimelineJS document; titled after `context['name']` or the site.

    One slide per line: each is made once per build, though an event is on several timelines.
    """
    events: tuple[Event, ...] = context["events"]
    name = context["name"]
    title = {
        "text": {
            "headline": str(escape(name or config.title)),
            "text": str(escape(config.description)) if not name else "",
        }
    }
    slides = ",\n  ".join(_slide(event, config, index) for event in events)
    head = json.dumps(title, ensure_ascii=False, separators=(", ", ": "))
    listed = f"[\n  {slides}\n ]" if events else "[]"
    return f'{{\n "title": {head},\n "events": {listed}\n}}\n'


def forget() -> None:
    """Drop the slides kept from the last build (a new build starts)."""
    _slide_text.cache_clear()
