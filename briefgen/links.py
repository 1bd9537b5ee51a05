"""Internal link checking: every href and src on every page must point at a file the build makes."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable
from html import unescape
from urllib.parse import unquote

LINK_RE = re.compile(r"""\s(?:href|src)\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.IGNORECASE)
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


# Links as briefgen writes them, and nh3 too: one space, the name, `="`. One pass finds both: a
# match cannot overlap another (a value holds no `"`), so it finds what two passes would.
_PLAIN = re.compile(r' (?:href|src)="([^"]*)"')
_UNUSUAL = (
    *("href='", "src='", "href =", "src =", "href= ", "src= ", "HREF", "SRC", "Href", "Src"),
    *(space + name for space in "\t\n\r\f\v" for name in ("href", "src")),
)


def plain_attributes(template_sources: Iterable[str]) -> bool:
    """True if no template writes href or src other than as `href="..."`.

    Then no page has such a form either: Markdown bodies come out of the sanitizer, which writes
    every attribute that way, and all the rest of a page comes from the templates.
    """
    return not any(form in source for source in template_sources for form in _UNUSUAL)


def raw_links(html: str, plain: bool = False) -> set[str]:
    """Every href and src value on a page, as written.

    With `plain`, the page is known to write links only as `href="..."` (see plain_attributes).
    """
    if not plain and any(form in html for form in _UNUSUAL):
        return {double or single for double, single in LINK_RE.findall(html)}
    return set(_PLAIN.findall(html))  # the common case, and much faster


def site_path(raw: str) -> str | None:
    """The site-internal path a link names (its fragment and query dropped, escapes undone), or
    None for an external, mail, data or same-page link."""
    if not raw or raw[0] == "#" or raw.startswith("//") or _SCHEME.match(raw):
        return None
    path = raw.split("#", 1)[0].split("?", 1)[0]
    if not path:
        return None
    return unquote(unescape(path)) if ("&" in path or "%" in path) else path


def line_of(link: str, source: str) -> int | None:
    """The 1-based line of `source` (Markdown as written) where `link` first appears, if it does.

    The link is searched as it comes out of the page and, failing that, with its `&` and `%`
    escapes undone, which covers how Markdown and raw HTML write an address.
    """
    for written in dict.fromkeys((link, unescape(link), unquote(unescape(link)))):
        at = source.find(written)
        if at >= 0:
            return source.count("\n", 0, at) + 1
    return None


def resolve(link: str, page_output: str, root: str = "/") -> str:
    """The output file a link on the page written to `page_output` points at.

    `root` is the path the site is served under (`/`, or `/briefing/` from base_url): a link that
    starts with `/` must start with it, as the 404 page's links do.
    """
    if link.startswith("/"):
        if not (link + "/").startswith(root):
            return "../" + link  # outside the site
        target = link[len(root) :].lstrip("/")
    else:
        target = posixpath.normpath(posixpath.join(posixpath.dirname(page_output), link))
    if link.endswith("/") or target in (".", ""):
        target = posixpath.join("" if target == "." else target, "index.html")
    return target


class LinkChecker:
    """Checks links against the set of files a build makes, remembering every answer.

    Most links climb to the site root first (`../../people/x/`); once a link has climbed as many
    levels as its page is deep, where it leads no longer depends on the page, so the answer is
    shared by every page at that depth. Links found good that way (and links out of the site) are
    kept per depth as written, so that on the next page only the links not seen yet are looked at.
    """

    def __init__(self, existing: set[str], *, plain: bool = False, root: str = "/") -> None:
        self.existing = existing
        self.plain = plain
        self.root = root
        self.targets: dict[str, str | None] = {}  # links as written, to what they name in the site
        self.settled: dict[int, set[str]] = {}  # by page depth: links as written, good on any page
        self.rooted: dict[str, bool] = {}  # links that have climbed to the root, without the climb
        self.local: dict[tuple[str, str], bool] = {}  # other links, by page folder

    def dead(self, page_output: str, html: str) -> list[str]:
        folder = posixpath.dirname(page_output)
        depth = folder.count("/") + 1 if folder else 0
        prefix = "../" * depth
        climb = len(prefix)
        settled = self.settled.setdefault(depth, set())
        dead = set()
        for raw in raw_links(html, self.plain) - settled:
            link = self.targets.get(raw, "")
            if link == "":
                link = self.targets[raw] = site_path(raw)
            if link is None:
                settled.add(raw)
            elif link.startswith(prefix):  # it climbs to the root (any link does from the home page)
                rest = link[climb:]
                ok = self.rooted.get(rest)
                if ok is None:
                    ok = self.rooted[rest] = self._leads_somewhere(link, page_output)
                if ok:
                    settled.add(raw)
                else:
                    dead.add(link)
            else:
                key = (folder, link)
                ok = self.local.get(key)
                if ok is None:
                    ok = self.local[key] = self._leads_somewhere(link, page_output)
                if not ok:
                    dead.add(link)
        return sorted(dead)

    def _leads_somewhere(self, link: str, page_output: str) -> bool:
        target = resolve(link, page_output, self.root)
        return not target.startswith("../") and (
            target in self.existing or posixpath.join(target, "index.html") in self.existing
        )
