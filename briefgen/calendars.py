"""iCalendar (RFC 5545) files of events, made with the `icalendar` library; deterministic bytes.

An event is in the calendar of the site and in those of each of its people, topics and places,
so each VEVENT (and each zone's VTIMEZONE) is made once per build and its text reused.
"""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo
from collections.abc import Mapping
from typing import Any

from . import urls
from .config import SiteConfig
from .feeds import moment
from .hashing import uid_hash
from .index import SiteIndex
from .model import Event

_END = "END:VCALENDAR\r\n"


def event_uid(event: Event, host: str) -> str:
    """The same event (article, day, time, title) keeps its UID from build to build."""
    key = f"{event.article}\0{event.day}\0{event.moment}\0{event.title}".encode()
    return f"{event.article}-{uid_hash(key)}@{host}"


def render_calendar(context: Mapping[str, Any], config: SiteConfig, index: SiteIndex) -> str:
    """A VCALENDAR of `context['events']`, named after `context['name']` (or the site)."""
    import icalendar  # loaded only when a calendar is rendered

    events: tuple[Event, ...] = context["events"]
    name = context["name"]
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//briefgen//briefing events//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", f"{config.title} — {name}" if name else config.title)
    calendar.add("x-wr-timezone", config.timezone)
    host = urls.host(config.base_url) or "briefgen"
    starts = [_start(event, config.tz) for event in events]
    parts = [
        _vevent(event, start, *_facts(event, config, index), host)
        for event, start in zip(events, starts, strict=True)
    ]
    zones = sorted({_zone(start) for start in starts} - {"", "UTC"})
    if zones:
        first = min(e.day for e in events).year  # VTIMEZONEs cover whole years around the events
        last = max(e.day for e in events).year
        parts[:0] = [_vtimezone(zone, first - 1, last + 1) for zone in zones]
    head = str(calendar.to_ical().decode("utf-8"))
    assert head.endswith(_END)
    return head[: -len(_END)] + "".join(parts) + _END


def forget() -> None:
    """Drop the events kept from the last build (a new build starts)."""
    _vevent.cache_clear()


def _start(event: Event, tz: dt.tzinfo) -> dt.date | dt.datetime:
    """A date for an event without a time; else an aware datetime in a named zone, or in UTC."""
    if event.moment is None:
        return event.day
    start = moment(event, tz)
    if isinstance(start.tzinfo, zoneinfo.ZoneInfo):
        return start
    return start.astimezone(zoneinfo.ZoneInfo("UTC"))  # a bare offset has no VTIMEZONE


def _zone(start: dt.date | dt.datetime) -> str:
    tz = start.tzinfo if isinstance(start, dt.datetime) else None
    return tz.key if isinstance(tz, zoneinfo.ZoneInfo) else ""


def _facts(event: Event, config: SiteConfig, index: SiteIndex) -> tuple[Any, ...]:
    """What a VEVENT shows besides the event, as hashable values (the cache key of _vevent)."""
    article = index.articles.get(event.article)
    stamp = moment(article if article is not None else event, config.tz).astimezone(dt.UTC)
    people = tuple(index.people[pid].name for pid in event.actors if pid in index.people)
    places = tuple(index.term("places", place).name for place in event.places)
    title = article.title if article is not None else ""
    address = urls.absolute(urls.url_of(article), config.base_url) if config.base_url and article else ""
    return stamp, people, places, title, address


@functools.lru_cache(maxsize=65536)
def _vevent(
    event: Event,
    start: dt.date | dt.datetime,
    stamp: dt.datetime,
    people: tuple[str, ...],
    places: tuple[str, ...],
    title: str,
    address: str,
    host: str,
) -> str:
    """One VEVENT. icalendar encodes each value; the lines are joined and folded here, because
    icalendar's own serializer costs a millisecond per event and a site has tens of thousands."""
    from icalendar import vDDDTypes, vText, vUri

    lines = [
        "BEGIN:VEVENT",
        f"SUMMARY:{_text(vText, event.title)}",
        f"DTSTART{_params(start)}:{_text(vDDDTypes, start)}",
    ]
    if not isinstance(start, dt.datetime):  # an all-day event ends the next day
        lines.append(f"DTEND;VALUE=DATE:{_text(vDDDTypes, start + dt.timedelta(days=1))}")
    # DTSTAMP says when this description was made: the reporting article's date, not the clock
    lines.append(f"DTSTAMP:{_text(vDDDTypes, stamp)}")
    lines.append(f"UID:{_text(vText, event_uid(event, host))}")
    description = [line for line in (", ".join(people), title) if line]
    if description:
        lines.append(f"DESCRIPTION:{_text(vText, chr(10).join(description))}")
    if places:
        lines.append(f"LOCATION:{_text(vText, ', '.join(places))}")
    if address:
        lines.append(f"URL:{_text(vUri, address)}")
    lines.append("END:VEVENT")
    return "".join(fold(line) + "\r\n" for line in lines)


def _text(kind: Any, value: object) -> str:
    return str(kind(value).to_ical().decode("utf-8"))


def _params(start: dt.date | dt.datetime) -> str:
    if not isinstance(start, dt.datetime):
        return ";VALUE=DATE"
    zone = _zone(start)
    return f";TZID={zone}" if zone and zone != "UTC" else ""


def fold(line: str, limit: int = 75) -> str:
    """A content line folded as RFC 5545 (3.1) says: at most `limit` octets per line, never
    inside a UTF-8 sequence, continuation lines starting with a space."""
    data = line.encode("utf-8")
    if len(data) <= limit:
        return line
    pieces = []
    width = limit
    while len(data) > width:
        cut = width
        while cut > 0 and (data[cut] & 0xC0) == 0x80:  # a continuation byte: cut before its start
            cut -= 1
        pieces.append(data[:cut].decode("utf-8"))
        data = data[cut:]
        width = limit - 1  # the leading space counts
    pieces.append(data.decode("utf-8"))
    return "\r\n ".join(pieces)


@functools.lru_cache(maxsize=256)
def _vtimezone(zone: str, first_year: int, last_year: int) -> str:
    import icalendar

    timezone = icalendar.Timezone.from_tzinfo(
        zoneinfo.ZoneInfo(zone), first_date=dt.date(first_year, 1, 1), last_date=dt.date(last_year, 12, 31)
    )
    return str(timezone.to_ical().decode("utf-8"))
