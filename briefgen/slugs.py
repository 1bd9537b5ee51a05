"""Slugs and name folding: the one place that decides when two spellings are the same."""

from __future__ import annotations

import functools
import hashlib
import unicodedata

from slugify import slugify as _slugify


@functools.lru_cache(maxsize=65536)  # the same names and topics recur in thousands of articles
def slugify(text: str) -> str:
    """Lowercase ASCII slug (`Qin Gang` -> `qin-gang`, `秦刚` -> `qin-gang`); never empty."""
    slug = _slugify(text, lowercase=True, max_length=80, word_boundary=True)
    if slug:
        return slug
    return "x-" + hashlib.sha1(text.encode("utf-8")).hexdigest()[:8]


@functools.lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Case-, accent- and spacing-insensitive key for matching names (`Élysée` ~ `elysee`)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(stripped.split())
