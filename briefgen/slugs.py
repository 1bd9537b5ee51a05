"""Slugs and name folding: the one place that decides when two spellings are the same."""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Iterable

from slugify import slugify as _slugify

from .hashing import slug_hash

# Apostrophes separate words (`d'État` -> `d-etat`, `s’est` -> `s-est`), typographic ones too.
_APOSTROPHES = [[mark, "-"] for mark in ("'", "\u2019", "\u2018", "\u02bc", "\u2032")]

# The part of a file name `briefgen new` takes from the title: whole words, at most this long.
TITLE_SLUG_LENGTH = 60


@functools.lru_cache(maxsize=65536)  # the same names and topics recur in thousands of articles
def slugify(text: str) -> str:
    """Lowercase ASCII slug (`Qin Gang` -> `qin-gang`, `秦刚` -> `qin-gang`); never empty, never cut.

    A slug is its own slug, so a file named with one keeps that name in its URL.
    """
    slug = _slugify(text, lowercase=True, replacements=_APOSTROPHES)
    if slug:
        return slug
    return "x-" + slug_hash(text)


def title_slug(title: str, limit: int = TITLE_SLUG_LENGTH) -> str:
    """The slug of a title cut to its first whole words within `limit` characters (a longer first
    word is cut at `limit`)."""
    slug = slugify(title)
    if len(slug) <= limit:
        return slug
    kept = slug[: limit + 1].rsplit("-", 1)[0] if "-" in slug[:limit] else slug[:limit]
    return kept.rstrip("-")


@functools.lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Case-, accent- and spacing-insensitive key for matching names (`Élysée` ~ `elysee`)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(stripped.split())


def other_scripts(name: str, aliases: Iterable[str]) -> tuple[str, ...]:
    """The aliases written in a script the name does not use: 秦刚 for Qin Gang, not "Qin"."""
    own = _scripts(name)
    return tuple(alias for alias in aliases if _scripts(alias) and not _scripts(alias) & own)


def _scripts(text: str) -> set[str]:
    """The scripts of the letters of `text`, from their Unicode names (LATIN, CJK, CYRILLIC...)."""
    return {unicodedata.name(c, "?").split()[0] for c in text if c.isalpha()}
