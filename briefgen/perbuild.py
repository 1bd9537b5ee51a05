"""What an output keeps for one build: made once though it appears in many files (an event is on
the site calendar and on each of its people's, topics' and places'), and made afresh when a build
of another index asks, as the preview server runs build after build in one process."""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

from .config import SiteConfig
from .index import SiteIndex

T = TypeVar("T")


class PerBuild(Generic[T]):
    """One `make(config, index)` kept for the build of that very config and index."""

    def __init__(self, make: Callable[[SiteConfig, SiteIndex], T]) -> None:
        self._make = make
        self._kept: tuple[SiteConfig, SiteIndex, T] | None = None

    def of(self, config: SiteConfig, index: SiteIndex) -> T:
        kept = self._kept
        if kept is None or kept[0] is not config or kept[1] is not index:
            kept = self._kept = (config, index, self._make(config, index))
        return kept[2]

    def forget(self) -> None:
        """Drop what was kept (a new build starts)."""
        self._kept = None
