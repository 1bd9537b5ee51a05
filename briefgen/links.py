"""Internal link checking: every href and src on every page must point at a file the build makes."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable
from html import unescape
from urllib.parse import unquote, urlsplit

LINK_RE = re.compile(r"""\s(?:href|src)\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.IGNORECASE)


def internal_links(html: str) -> set[str]:
    """The site-internal targets on a page (external, mail and data links are left out)."""
    found = set()
    for match in LINK_RE.finditer(html):
        raw = unescape(match.group(1) if match.group(1) is not None else match.group(2)).strip()
        parts = urlsplit(raw)
        if parts.scheme or parts.netloc or raw.startswith("#") or not parts.path:
            continue
        found.add(unquote(parts.path))
    return found


def resolve(link: str, page_output: str) -> str:
    """The output file a relative link on the page written to `page_output` points at."""
    if link.startswith("/"):
        target = link.lstrip("/")
    else:
        target = posixpath.normpath(posixpath.join(posixpath.dirname(page_output), link))
    if link.endswith("/") or target in (".", ""):
        target = posixpath.join("" if target == "." else target, "index.html")
    return target


def dead_links(page_output: str, links: Iterable[str], existing: set[str]) -> list[str]:
    dead = []
    for link in sorted(links):
        target = resolve(link, page_output)
        if target.startswith("../") or (
            target not in existing and posixpath.join(target, "index.html") not in existing
        ):
            dead.append(link)
    return dead
