"""A helper for the word lists the importer matches against."""

from __future__ import annotations


def words(text: str) -> frozenset[str]:
    """The whitespace-separated words of `text`, as a set: long lists read better as prose."""
    return frozenset(text.split())
