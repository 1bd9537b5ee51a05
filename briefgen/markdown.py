"""Markdown to safe HTML: the only place rendered HTML is marked safe for templates."""

from __future__ import annotations

import functools
import hashlib
import threading
from typing import Any

import markdown as md
import nh3
from markupsafe import Markup

EXTENSIONS = ["tables", "footnotes", "toc", "smarty", "sane_lists", "attr_list", "fenced_code"]

# Typographic quotes by language; French puts a no-break space inside « guillemets ».
_QUOTES = {
    "fr": ("&laquo;&#160;", "&#160;&raquo;", "&lsquo;", "&rsquo;"),
    "de": ("&bdquo;", "&ldquo;", "&sbquo;", "&lsquo;"),
}

ALLOWED_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "caption",
    "code",
    "col",
    "colgroup",
    "dd",
    "del",
    "details",
    "div",
    "dl",
    "dt",
    "em",
    "figcaption",
    "figure",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "ins",
    "kbd",
    "li",
    "mark",
    "ol",
    "p",
    "pre",
    "q",
    "s",
    "small",
    "span",
    "strong",
    "sub",
    "summary",
    "sup",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "time",
    "tr",
    "u",
    "ul",
}
ALLOWED_ATTRIBUTES = {
    "*": {"id", "class", "title", "lang", "dir"},
    "a": {"href", "hreflang"},
    "img": {"src", "alt", "width", "height", "loading"},
    "td": {"colspan", "rowspan", "align", "style"},
    "th": {"colspan", "rowspan", "align", "style", "scope"},
    "ol": {"start", "reversed", "type"},
    "time": {"datetime"},
    "q": {"cite"},
    "blockquote": {"cite"},
}
URL_SCHEMES = {"http", "https", "mailto"}

_local = threading.local()


def _converter(lang: str) -> md.Markdown:
    """One configured Markdown instance per language and thread, reset between documents."""
    cache: dict[str, md.Markdown] = _local.__dict__.setdefault("converters", {})
    base = lang.split("-")[0].lower()
    if base not in cache:
        quotes = _QUOTES.get(base)
        config: dict[str, dict[str, Any]] = {
            "toc": {"permalink": False, "slugify": _heading_id},
            "footnotes": {"BACKLINK_TITLE": "↩"},
        }
        if quotes:
            left, right, left_single, right_single = quotes
            config["smarty"] = {
                "substitutions": {
                    "left-double-quote": left,
                    "right-double-quote": right,
                    "left-single-quote": left_single,
                    "right-single-quote": right_single,
                }
            }
        cache[base] = md.Markdown(extensions=EXTENSIONS, extension_configs=config)
    return cache[base]


def _heading_id(value: str, separator: str) -> str:
    from .slugs import slugify

    return slugify(value)


@functools.lru_cache(maxsize=4096)
def _render(source: str, lang: str) -> str:
    converter = _converter(lang)
    converter.reset()
    html = converter.convert(source)
    return str(_cleaner().clean(html))


@functools.cache
def _cleaner() -> nh3.Cleaner:
    return nh3.Cleaner(
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel=None,
        strip_comments=True,
        filter_style_properties={"text-align"},
    )


def render_markdown(source: str, lang: str = "en") -> Markup:
    """Render an article body to sanitized HTML: no scripts, no event handlers, no javascript: URLs."""
    return Markup(_render(source, lang))


def digest_of(source: str, lang: str) -> str:
    """A key for caching a rendered body."""
    return hashlib.sha1(f"{lang}\0{source}".encode()).hexdigest()
