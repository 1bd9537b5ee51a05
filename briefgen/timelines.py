"""Timelines as JSON in TimelineJS's format (a title slide and one slide per event)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from markupsafe import escape

from . import urls
from .calendars import event_uid
from .config import SiteConfig
from .feeds import moment
from .index import SiteIndex
from .model import Event
from .perbuild import PerBuild

_JSON = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": "))  # made once: dumps() makes one a call


def _link(url: str, base_url: str) -> str:
    """Full addresses when base_url is set; otherwise paths from the site root, to be resolved by
    whoever embeds the data (TimelineJS itself does not resolve them)."""
    return urls.absolute(url, base_url) if base_url else url


class _Made:
    """The slides one build has made, found by the event itself (the same object is on several
    timelines), and the links they show (a person is on many slides)."""

    def __init__(self, config: SiteConfig, index: SiteIndex) -> None:
        self.config = config
        self.index = index
        self.slides: dict[int, tuple[Event, str]] = {}  # id -> (event, its slide)
        self.links: dict[str, str] = {}  # person id -> link

    def slide(self, event: Event) -> str:
        found = self.slides.get(id(event))
        if found is None:
            found = self.slides[id(event)] = (event, self._slide(event))
        return found[1]

    def _slide(self, event: Event) -> str:
        """One event's slide, as JSON text on one line."""
        index, config = self.index, self.config
        start: dict[str, Any] = {"year": event.day.year, "month": event.day.month, "day": event.day.day}
        if event.moment is not None:
            local = moment(event, config.tz)  # as said where it happens
            start.update(hour=local.hour, minute=local.minute)
        parts = []
        names = [self.person(pid) for pid in event.actors if pid in index.people]
        if names:
            parts.append(f"<p>{', '.join(names)}</p>")
        report = index.links.get(event.article)  # the article reporting it, as a link shows it
        if report is not None:
            href = _link(urls.url_of(report), config.base_url)
            parts.append(f'<p><a href="{escape(href)}">{escape(report.title)}</a></p>')
        slide: dict[str, Any] = {
            "start_date": start,
            "text": {"headline": str(escape(event.title)), "text": "".join(parts)},
            "unique_id": event_uid(event, "t").split("@")[0],
        }
        if event.places:
            slide["group"] = index.term("places", event.places[0]).name
        return _JSON.encode(slide)

    def person(self, pid: str) -> str:
        found = self.links.get(pid)
        if found is None:
            person = self.index.people[pid]
            href = _link(urls.url_of(person), self.config.base_url)
            found = self.links[pid] = f'<a href="{escape(href)}">{escape(person.name)}</a>'
        return found


_made = PerBuild(_Made)  # the slides made so far in the build of one index


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
    made = _made.of(config, index)
    slides = ",\n  ".join([made.slide(event) for event in events])
    head = _JSON.encode(title)
    listed = f"[\n  {slides}\n ]" if events else "[]"
    return f'{{\n "title": {head},\n "events": {listed}\n}}\n'


def forget() -> None:
    """Drop the slides kept from the last build (a new build starts)."""
    _made.forget()
