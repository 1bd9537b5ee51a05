"""What Atom feeds need beyond their template: content timestamps, stable ids, absolute links."""

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo

from . import urls
from .model import Article, ArticleLink, Event

FEED_ENTRIES = 50  # newest articles in each feed


def moment(item: Article | Event | ArticleLink, tz: dt.tzinfo) -> dt.datetime:
    """When an article was published or an event happens, as an aware datetime.

    A time keeps its own zone: the named one when the content gives it (`Asia/Shanghai`), else
    the offset it was written with; a day without a time is taken at midnight in the site's zone.
    """
    if item.moment is None:
        return dt.datetime.combine(item.day, dt.time.min, tzinfo=tz)
    if item.zone.name:
        return item.moment.astimezone(zoneinfo.ZoneInfo(item.zone.name))
    return item.moment


def rfc3339(item: Article | Event, tz: dt.tzinfo) -> str:
    return moment(item, tz).isoformat()


def stable_id(url: str, base_url: str, title: str) -> str:
    """An id that never changes for a page: a name-based UUID of its address.

    Without a base_url the site title stands in for the host, so ids stay the same from build to
    build; they change only if the address (or, without base_url, the title) does.
    """
    address = urls.absolute(url, base_url) if base_url else f"briefgen:{title}/{url}"
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, address)}"
