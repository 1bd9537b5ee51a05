"""The one URL scheme: what each object's URL is, where its file goes, and links between pages."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from .index import Month
    from .model import Article

HOME = ""
TIMELINE = "timeline/"
ARCHIVE = "archive/"
PEOPLE = "people/"
NOT_FOUND = "404.html"


def url_of(target: object) -> str:
    """Site-relative URL of a page object: `people/qin-gang/`; a plain str is taken as a URL."""
    make = _URL_MAKERS.get(type(target)) or _url_maker(type(target))
    return make(target)


_URL_MAKERS: dict[type, Callable[[Any], str]] = {}  # by the type of the page object, filled as met


def _url_maker(kind: type) -> Callable[[Any], str]:
    """How URLs of objects of `kind` are made. The model loads here, on first use, not with this
    module: a rebuild that only splices article bodies needs none of it."""
    from .index import Month, Taxon, TaxonName
    from .model import Article, ArticleLink, Person, PersonName

    # a person or a term, and its name as pages that only link it hold it, have the same URL
    makers: tuple[tuple[type | tuple[type, ...], Callable[[Any], str]], ...] = (
        ((Article, ArticleLink), lambda article: f"articles/{article.slug}/"),
        ((Person, PersonName), lambda person: f"people/{person.id}/"),
        ((Taxon, TaxonName), lambda taxon: f"{taxon.kind}/{taxon.slug}/"),
        (Month, lambda month: f"archive/{month.year:04d}-{month.month:02d}/"),
        (dt.date, lambda day: f"days/{day.isoformat()}/"),
        (str, lambda url: url),
    )
    for cls, make in makers:
        if issubclass(kind, cls):
            _URL_MAKERS[kind] = make
            return make
    raise TypeError(f"no URL for {kind.__name__}")


def image_url(article: Article) -> str:
    """An article's picture: its https address, or the site-relative URL of the copy beside its page."""
    if article.image is None:
        return ""
    if article.image.remote:
        return article.image.src
    return url_of(article) + "image" + os.path.splitext(article.image.src)[1].lower()


def taxonomy_url(kind: str) -> str:
    return f"{kind}/"


def digest_url(day: dt.date) -> str:
    return f"digests/{day.isoformat()}.pdf"


SITE_FEED = "feed.xml"
SITE_CALENDAR = "timeline/events.ics"
SITE_TIMELINE_JSON = "timeline/timeline.json"
SEARCH = "search/"
SITEMAP = "sitemap.xml"
ROBOTS = "robots.txt"
MANIFEST = "manifest.webmanifest"
FAVICON = "static/favicon.svg"


def feed_url(target: object) -> str:
    """The Atom feed of a person, topic or place (beside its page), or of the whole site."""
    return SITE_FEED if target is None else url_of(target) + "feed.xml"


def calendar_url(target: object) -> str:
    """The iCalendar file of a person's, topic's or place's events, or of every event."""
    return SITE_CALENDAR if target is None else url_of(target) + "events.ics"


def timeline_json_url(target: object) -> str:
    """A timeline in TimelineJS's JSON format: a person's, or the whole site's."""
    return SITE_TIMELINE_JSON if target is None else url_of(target) + "timeline.json"


def timeline_url(month: Month | None) -> str:
    """The page of one month of the site's timeline (`timeline/2023-06/`: the events whose day falls
    in it); None: the timeline's own page."""
    return TIMELINE if month is None else f"{TIMELINE}{month.year:04d}-{month.month:02d}/"


def year_url(subject: object, year: int) -> str:
    """One year of a person's, topic's or place's page: `people/qin-gang/2023/`."""
    return f"{url_of(subject)}{year:04d}/"


def output_path(url: str) -> str:
    """The file a URL is written to, relative to the output folder."""
    if url == "" or url.endswith("/"):
        return url + "index.html"
    return url


def relative(target: str, current: str, directory_urls: bool) -> str:
    """A link from the page at `current` to `target`, both site-relative URLs.

    Links climb to the site root and back down (`../../people/qin-gang/`), so the site works under
    any base path; without `directory_urls` they name index.html so it also works from disk.
    """
    if not directory_urls:
        target = output_path(target)
    link = root_prefix(current) + target
    if link == ROOT:  # the home page, from a page of any depth
        return ROOT + "./"
    return link or "./"


def base_path(base_url: str) -> str:
    """The path the site is served under: `/briefing/` for `https://example.org/briefing`, else `/`."""
    path = urlsplit(base_url).path if base_url else ""
    return path.rstrip("/") + "/"


def rooted(target: str, base_url: str, directory_urls: bool) -> str:
    """A root-relative link (`/people/`), for the 404 page: a server shows it at any depth."""
    if not directory_urls:
        target = output_path(target)
    return base_path(base_url) + target


def root_prefix(current: str) -> str:
    """`../` once per folder between the page at `current` and the site root."""
    if current == ANY_PAGE:
        return ROOT
    return "../" * output_path(current).count("/")


# List items are rendered once and shared by pages of every depth: they are rendered as if on
# ANY_PAGE, whose links start with ROOT, and each page replaces ROOT by its own `../../`. ROOT is a
# character YAML does not allow in text, so it can only come from here.
ANY_PAGE = "\x00page"
ROOT = "\x00"


def absolute(url: str, base_url: str) -> str:
    """A full address under `base_url` (for feeds, canonical links and email)."""
    return base_url.rstrip("/") + "/" + url


def host(base_url: str) -> str:
    """The host name in `base_url` (empty when there is none)."""
    return urlsplit(base_url).hostname or ""
