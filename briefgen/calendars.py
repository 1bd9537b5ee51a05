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
from .perbuild import PerBuild

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
    made = _made.of(config, index)
    vevents = [made.vevent(event) for event in events]
    parts = [text for text, _ in vevents]
    zones = sorted({zone for _, zone in vevents} - {""})
    if zones:
        first = min(e.day for e in events).year  # VTIMEZONEs cover whole years around the events
        last = max(e.day for e in events).year
        parts[:0] = [_vtimezone(zone, first - 1, last + 1) for zone in zones]
    head = str(calendar.to_ical().decode("utf-8"))
    assert head.endswith(_END)
    return head[: -len(_END)] + "".join(parts) + _END


class _Made:
    """What one build has made: each event's VEVENT, found by the event itself (the same object is
    on several calendars), and each value icalendar has encoded (days and names recur)."""

    def __init__(self, config: SiteConfig, index: SiteIndex) -> None:
        self.config = config
        self.index = index
        self.host = urls.host(config.base_url) or "briefgen"
        self.events: dict[int, tuple[Event, str, str]] = {}  # id -> (event, VEVENT, zone or "")
        self.texts: dict[str, str] = {}  # as icalendar encodes them
        self.times: dict[tuple[dt.date, object], str] = {}
        from icalendar import vDate, vDatetime, vText, vUri  # loaded only when a calendar is made

        self.vtext, self.vdate, self.vdatetime, self.vuri = vText, vDate, vDatetime, vUri

    def vevent(self, event: Event) -> tuple[str, str]:
        """The event's VEVENT, and the zone it needs a VTIMEZONE for ("" for none)."""
        found = self.events.get(id(event))
        if found is None:
            start = _start(event, self.config.tz)
            zone = _zone(start)
            zone = "" if zone == "UTC" else zone
            found = self.events[id(event)] = (event, self._vevent(event, start), zone)
        return found[1], found[2]

    def _vevent(self, event: Event, start: dt.date | dt.datetime) -> str:
        """One VEVENT. icalendar encodes each value; the lines are joined and folded here, because
        icalendar's own serializer costs a millisecond per event and a site has tens of thousands."""
        index, config = self.index, self.config
        report = index.links.get(event.article)  # the article reporting it, as a link shows it
        # DTSTAMP says when this description was made: the reporting article's date, not the clock
        stamp = moment(report if report is not None else event, config.tz).astimezone(dt.UTC)
        people = [index.people[pid].name for pid in event.actors if pid in index.people]
        places = [index.term("places", place).name for place in event.places]
        lines = [
            "BEGIN:VEVENT",
            f"SUMMARY:{self.text(event.title)}",
            f"DTSTART{_params(start)}:{self.time(start)}",
        ]
        if not isinstance(start, dt.datetime):  # an all-day event ends the next day
            lines.append(f"DTEND;VALUE=DATE:{self.time(start + dt.timedelta(days=1))}")
        lines.append(f"DTSTAMP:{self.time(stamp)}")
        lines.append(f"UID:{self.text(event_uid(event, self.host))}")
        description = [line for line in (", ".join(people), report.title if report else "") if line]
        if description:
            lines.append(f"DESCRIPTION:{self.text(chr(10).join(description))}")
        if places:
            lines.append(f"LOCATION:{self.text(', '.join(places))}")
        if config.base_url and report is not None:
            address = urls.absolute(urls.url_of(report), config.base_url)
            lines.append(f"URL:{_ical(self.vuri, address)}")
        lines.append("END:VEVENT")
        return "\r\n".join(map(fold, lines)) + "\r\n"

    def text(self, value: str) -> str:
        """A TEXT value as icalendar escapes it."""
        found = self.texts.get(value)
        if found is None:
            found = self.texts[value] = _ical(self.vtext, value)
        return found

    def time(self, value: dt.date | dt.datetime) -> str:
        """A DATE, or a DATE-TIME (with a Z in UTC), as icalendar writes it."""
        # keyed by the zone too: equal instants in two zones are written differently
        key = (value, value.tzinfo if isinstance(value, dt.datetime) else "date")
        found = self.times.get(key)
        if found is None:
            kind = self.vdatetime if isinstance(value, dt.datetime) else self.vdate
            found = self.times[key] = _ical(kind, value)
        return found


_made = PerBuild(_Made)  # the events made so far in the build of one index


def forget() -> None:
    """Drop the events kept from the last build (a new build starts)."""
    _made.forget()


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


def _ical(kind: Any, value: object) -> str:
    return str(kind(value).to_ical().decode("utf-8"))


def _params(start: dt.date | dt.datetime) -> str:
    if not isinstance(start, dt.datetime):
        return ";VALUE=DATE"
    zone = _zone(start)
    return f";TZID={zone}" if zone and zone != "UTC" else ""


def fold(line: str, limit: int = 75) -> str:
    """A content line folded as RFC 5545 (3.1) says: at most `limit` octets per line, never
    inside a UTF-8 sequence, continuation lines starting with a space."""
    if len(line) <= limit and line.isascii():  # one octet a character: short enough as it is
        return line
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
