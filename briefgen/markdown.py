"""Markdown to safe HTML: the only place Markdown is rendered and sanitized, then marked safe for templates
(the PDF's print_html re-serializes that sanitized HTML for print, and marks the result safe too)."""

from __future__ import annotations

import functools
import threading
from typing import TYPE_CHECKING, Protocol

import markdown as md
import nh3
from markdown.extensions.footnotes import FootnoteExtension
from markdown.extensions.sane_lists import SaneListExtension
from markdown.extensions.tables import TableExtension
from markdown.extensions.toc import TocExtension
from markupsafe import Markup

from . import __version__
from .hashing import content_hash
from .markdown_triggers import add_triggers
from .typography import smarten

if TYPE_CHECKING:  # the model, and reading it, load only when a whole build needs them
    from .files import Files
    from .model import Article

EXTENSIONS = ["tables", "footnotes", "toc", "sane_lists", "attr_list", "fenced_code"]

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "code", "col", "colgroup", "dd", "del", "details",
    "div", "dl", "dt", "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i",
    "img", "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "s", "small", "span", "strong", "sub",
    "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "time", "tr", "u", "ul",
}  # fmt: skip
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


def new_converter(*, fast: bool = True, extras: bool = True) -> md.Markdown:
    """A Markdown instance configured as briefgen renders bodies.

    Without `extras`, it lacks attribute lists and fenced code, which act only on text holding
    `{` or a fence: such a converter renders every other text the same, and a rebuild that
    converts one body then does not import them (with Pygments, which fenced code looks for).
    """
    # EXTENSIONS as objects: named by text, Python-Markdown first looks each name up among the entry
    # points of every installed package, which took a tenth of a second of every command's start
    extensions: list[md.Extension] = [
        TableExtension(),
        FootnoteExtension(BACKLINK_TITLE="↩"),
        TocExtension(permalink=False, slugify=_heading_id),
        SaneListExtension(),
    ]
    if extras:
        from markdown.extensions.attr_list import AttrListExtension
        from markdown.extensions.fenced_code import FencedCodeExtension

        extensions += [AttrListExtension(), FencedCodeExtension()]
    converter = md.Markdown(extensions=extensions)
    return add_triggers(converter) if fast else converter


def needs_extras(source: str) -> bool:
    """Whether a text may hold an attribute list or a fenced code block (see new_converter)."""
    return "{" in source or "```" in source or "~~~" in source


def _heading_id(title: str, _separator: str) -> str:
    from .slugs import slugify  # python-slugify loads for the first heading, not at every start

    return slugify(title)


def _converter(extras: bool) -> md.Markdown:
    """One configured Markdown instance of each kind per thread (and so per worker), reset between
    documents."""
    name = "converter" if extras else "lean_converter"
    converter: md.Markdown | None = getattr(_local, name, None)
    if converter is None:
        converter = new_converter(extras=extras)
        setattr(_local, name, converter)
    return converter


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


def markdown_to_html(source: str, lang: str) -> str:
    """Markdown -> typographically dressed HTML -> sanitized: no script, handler or javascript: URL."""
    converter = _converter(needs_extras(source))
    converter.reset()
    return str(_cleaner().clean(smarten(converter.convert(source), lang)))


@functools.lru_cache(maxsize=256)
def render_markdown(source: str, lang: str = "en") -> Markup:
    """An article body as HTML a template may insert as is (cached: pages and digests share it)."""
    return Markup(markdown_to_html(source, lang))


def body_key(body_digest: str, lang: str, salt: str = "") -> str:
    """Names a rendered body in a store, from the digest of its Markdown (`content_hash` of the
    text, as Article.body_digest holds it): the same text in the same language renders the same,
    and a body found in the store is found without reading its file.

    The key also names this briefgen and Python-Markdown, whose output may differ between versions,
    and `salt`, what else the body depends on (the names linked as mentions).
    """
    text = f"{__version__}\0{md.__version__}\0{lang}\0{salt}\0{body_digest}"
    return content_hash(text)


class BodyLookup(Protocol):
    def get(self, key: str) -> str | None: ...


class Finish(Protocol):
    """A last pass over each rendered body (mentions.Linker); `salt` names what it depends on."""

    salt: str

    def __call__(self, html: str) -> str: ...


class Bodies:
    """Article bodies as HTML, taken from a store of earlier renders when it has them.

    `fresh` collects what had to be rendered, for the caller to add to the store; `finish`, when
    given, is applied to each body rendered.
    """

    def __init__(
        self, store: BodyLookup | None = None, finish: Finish | None = None, files: Files | None = None
    ) -> None:
        self.store = store
        self.files = files  # where bodies are read from (None: the article files on disk)
        self.finish = finish
        self.salt = finish.salt if finish is not None else ""
        self.fresh: dict[str, str] = {}
        self.seen: dict[str, Markup] = {}
        self._last: tuple[Article, tuple[str, Markup]] | None = None

    def of(self, article: Article) -> tuple[str, Markup]:
        """The body of `article` as (store key, HTML): from the store if it holds it, else read
        from its file and rendered.

        The last answer is kept: a page asks for its body, then the build for its key.
        """
        from .content.articles import read_body

        if self._last is not None and self._last[0] is article:
            return self._last[1]
        key = body_key(article.body_digest, article.lang, self.salt)
        found = self.seen.get(key)
        if found is None:
            stored = self.store.get(key) if self.store is not None else None
            if stored is None:
                stored = self._render(read_body(article, self.files), article.lang)
                self.fresh[key] = stored
            found = Markup(stored)
            if len(self.seen) > 512:  # a body is needed by its page and by its day's digest
                self.seen.clear()
            self.seen[key] = found
        self._last = (article, (key, found))
        return key, found

    def _render(self, source: str, lang: str) -> str:
        html = markdown_to_html(source, lang)
        return self.finish(html) if self.finish is not None else html
