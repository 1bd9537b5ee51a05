"""The digest fingerprint: a hash of everything the PDF of a day shows, so that a build renders
again only the days whose PDF would change.
"""

from __future__ import annotations

import datetime as dt
import functools
import importlib.metadata
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

from .. import __version__
from ..config import SiteConfig
from ..digest import make_digest
from ..hashing import hasher
from ..i18n import STRINGS, ui_language
from ..index import TAXONOMIES, SiteIndex
from ..mentions import names_in
from .fonts import font_state
from .print_html import print_bodies, theme_files
from .rendering import WRITE_OPTIONS


def digest_fingerprint(
    config: SiteConfig, index: SiteIndex, day: dt.date, *, assets: bytes | None = None
) -> str:
    """A hash of everything the PDF of `day` shows; equal fingerprints mean the PDF is the same.

    It covers the day's articles (fields and bodies), the people and terms named, the edition,
    the digest templates and stylesheet, the local images the bodies use, the settings the PDF
    depends on, the interface strings, the fonts installed, and the briefgen and WeasyPrint versions.

    Finding the images a body uses means rendering it for print; a build, which fingerprints
    every day at once, passes `assets` instead: a digest of every file that is not an article or
    a person, which changes whenever any image does.
    """
    digest = make_digest(index, day)
    h = hasher()

    def add(*parts: object) -> None:
        for part in parts:
            h.update(part if isinstance(part, bytes) else repr(part).encode())
            h.update(b"\x00")

    add("briefgen", __version__, _weasyprint_version(), font_state(), WRITE_OPTIONS)
    add(config.title, config.description, config.base_url, config.language, config.directory_urls)
    unlimited = replace(config.digest, timeout=0.0, memory_mb=0)  # the limits change no PDF
    add(unlimited, STRINGS[ui_language(config.language)], STRINGS["en"])
    add(config.mentions, names_in(index).digest)  # names the bodies link
    add(digest.day, digest.edition, digest.articles, digest.events, digest.also)
    for entry in digest.people:
        add(entry.person.id, entry.person.name, entry.mentions, entry.other_scripts)
    for article in digest.articles:
        for kind in TAXONOMIES:
            for term in getattr(article, kind):
                add(kind, index.term(kind, term).slug, index.term(kind, term).name)
    for event in (*digest.events, *digest.also):
        for place in event.places:
            add("event-place", index.term("places", place).name)
        for slug in event.reports:  # each shown by its source's name, linked to its page or article
            add(
                "report",
                slug,
                index.articles[slug].day,
                index.articles[slug].source,
                index.articles[slug].title,
            )
        add("event-people", [index.people[pid].name for pid in event.actors])
    for name, path in sorted(theme_files(config).items()):
        add(name, path.read_bytes())
    for article in digest.articles:  # the pictures shown at the top of articles
        if article.image is not None and not article.image.remote:
            picture = article.path.parent / article.image.src
            add("image", article.image.src, picture.read_bytes() if picture.is_file() else b"missing")
    if assets is not None:
        add(assets)
        return h.hexdigest()
    _, resources = print_bodies(config, index, digest)
    for url in sorted(resources.by_url):
        if url.startswith("file:"):
            path = Path(url2pathname(urlsplit(url).path))
            add(url, path.read_bytes() if path.is_file() else b"missing")
    return h.hexdigest()


@functools.cache
def _weasyprint_version() -> str:
    try:
        return importlib.metadata.version("weasyprint")
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover
        return "unknown"
