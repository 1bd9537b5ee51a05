"""Resident: what a long-lived process (the preview) keeps between its builds, so a save does not
read again what the last build of the same process already held.

It also keeps the last full build's settings, index and page plan (`site`), which the preview's
first look renders pages against before the next build (see preview/firstlook.py).

It holds the parse cache as objects: unpickling it is most of a second at 10,000 articles, on
every save. The objects are used only while the files on disk are the ones this process last saw
(the settings stamp, and each shard's inode, time and size): a build elsewhere (`make build` in a
terminal) replaces a shard, and the next build here reads them again. Each build gets a copy to
add its parses to, and only a build whose cache was saved hands its own back (`saved`): after a
failed build, the objects kept and the files on disk are both still the last saved build's, so
the two never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .cache import Cache

if TYPE_CHECKING:
    from ..config import SiteConfig
    from ..content.articles import Parsed
    from ..index import SiteIndex
    from ..pages import PageSpec

# the settings stamp, then each shard of the parse cache as (name, inode, time in ns, size)
Mark = tuple[str, tuple[tuple[str, int, int, int], ...]]


@dataclass(frozen=True, slots=True)
class LastSite:
    """What the last full build of this process made its pages from."""

    config: SiteConfig
    index: SiteIndex
    specs: list[PageSpec]
    parsed: Parsed | None = None  # every article as parsed, before its names were resolved


class Resident:
    def __init__(self) -> None:
        self._parsed: Parsed | None = None
        self._mark: Mark | None = None
        self.site: LastSite | None = None  # of the last full build saved

    def parsed(self, cache: Cache) -> Parsed:
        """The parse cache: the objects kept, if the file is still the one they match, else read."""
        mark = _mark(cache)
        if self._parsed is not None and mark is not None and mark == self._mark:
            return dict(self._parsed)  # a copy: the build adds its parses to it, kept only if it ends well
        self._parsed = self._mark = None
        return cache.parsed()

    def saved(self, cache: Cache, site: LastSite) -> None:
        """The build ended and saved the cache: `site` is what its pages were made from, and its
        parses what the cache file now holds."""
        self._parsed, self._mark = site.parsed, _mark(cache)
        self.site = site


def _mark(cache: Cache) -> Mark | None:
    found = cache.parsed_mark()
    return None if found is None else (cache.stamp, found)
