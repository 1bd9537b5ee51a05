"""Markdown to safe HTML: the only place rendered HTML is marked safe for templates."""

from __future__ import annotations

import functools
import hashlib
import re
import threading
from typing import Any, Protocol

import markdown as md
import nh3
from markdown import util as md_util
from markdown.preprocessors import Preprocessor
from markdown.treeprocessors import InlineProcessor
from markupsafe import Markup

from . import __version__
from .content import read_body
from .model import Article
from .slugs import slugify
from .typography import smarten

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

# Text an inline pattern of Python-Markdown cannot match without: a pattern is tried on a piece of
# text only if one of these occurs in it. Patterns not named here are always tried.
INLINE_TRIGGERS: dict[str, tuple[str, ...]] = {
    "backtick": ("`",),
    "escape": ("\\",),
    "footnote": ("[^",),
    "reference": ("[",),
    "link": ("[",),
    "short_reference": ("[",),
    "image_link": ("![",),
    "image_reference": ("![",),
    "short_image_ref": ("![",),
    "autolink": ("<",),
    "automail": ("<",),
    "html": ("<",),
    "entity": ("&",),
    "linebreak": ("  \n",),
    "em_strong": ("*", "_"),
    "em_strong2": ("_",),
    "not_strong": ("*", "_"),
    "strong": ("*",),
    "emphasis": ("*",),
}


# The same for Python-Markdown's block processors: one is tried on a block only if one of these
# occurs in the block. (For `footnote` and `reference`, whose test always says yes and whose run
# then finds nothing, saying no at once has the same effect: the next processor is tried.)
BLOCK_TRIGGERS: dict[str, tuple[str, ...]] = {
    "table": ("|",),
    "hashheader": ("#",),
    "setextheader": ("=", "-"),
    "hr": ("-", "*", "_"),
    "quote": (">",),
    "footnote": ("[^",),
    "reference": ("]:",),
}


# And for its preprocessors, which each join the whole document, work on it and split it again.
PRE_TRIGGERS: dict[str, tuple[str, ...]] = {
    "fenced_code_block": ("```", "~~~"),
    "html_block": ("<",),
}
TOC_MARKER = "[TOC]"  # the toc extension's default marker


def _trigger_preprocessors(converter: md.Markdown) -> None:
    for name, needs in PRE_TRIGGERS.items():
        if name not in converter.preprocessors:
            continue
        processor = converter.preprocessors[name]
        run = processor.run

        def triggered(lines: list[str], run: Any = run, needs: tuple[str, ...] = needs) -> list[str]:
            text = "\n".join(lines)
            for needle in needs:
                if needle in text:
                    return list(run(lines))
            return lines

        processor.run = triggered  # type: ignore[method-assign]
    converter.preprocessors.register(_NormalizeWhitespace(converter), "normalize_whitespace", 30)
    if "toc" in converter.treeprocessors:
        converter.preprocessors.register(_TocMarkerSwitch(converter), "toc_marker_switch", 40)


_SPACES_ONLY_LINE = re.compile(r"(?<=\n) +\n")


class _NormalizeWhitespace(Preprocessor):
    """The first step of Python-Markdown, done the same way, skipping the steps with nothing to do.

    Control characters Python-Markdown uses for its placeholders are removed, line ends become
    `\n`, tabs are expanded and lines of spaces emptied; the last is a slow regular expression,
    and few documents have such a line.
    """

    def run(self, lines: list[str]) -> list[str]:
        text = "\n".join(lines)
        if md_util.STX in text or md_util.ETX in text:
            text = text.replace(md_util.STX, "").replace(md_util.ETX, "")
        if "\r" in text:
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        text += "\n\n"
        if "\t" in text:
            text = text.expandtabs(self.md.tab_length)
        if " \n" in text:
            text = _SPACES_ONLY_LINE.sub("\n", text)
        return text.split("\n")


class _TocMarkerSwitch(Preprocessor):
    """Lets the toc extension look for its `[TOC]` marker only in documents that contain it.

    The search walks the whole tree of every document; the marker is hardly ever used.
    """

    def run(self, lines: list[str]) -> list[str]:
        toc = self.md.treeprocessors["toc"]
        toc.marker = TOC_MARKER if TOC_MARKER in "\n".join(lines) else ""  # type: ignore[attr-defined]
        return lines


def _trigger_blocks(converter: md.Markdown) -> None:
    for name, needs in BLOCK_TRIGGERS.items():
        if name not in converter.parser.blockprocessors:
            continue
        processor = converter.parser.blockprocessors[name]
        test = processor.test

        def triggered(parent: object, block: str, test: Any = test, needs: tuple[str, ...] = needs) -> bool:
            for needle in needs:
                if needle in block:
                    return bool(test(parent, block))
            return False

        processor.test = triggered  # type: ignore[method-assign]


class _TriggeredInlineProcessor(InlineProcessor):
    """Python-Markdown's inline pass, skipping each pattern on text that lacks its trigger.

    Python-Markdown tries each of its ~15 inline patterns on every piece of text, with a regular
    expression search each time; most text of a briefing holds no `[`, `<`, `*` or backtick at
    all. Skipping a pattern whose regular expression needs a character that is absent cannot
    change the result (a test renders a corpus both ways), and saves a third of the Markdown time.
    """

    def __init__(self, converter: md.Markdown) -> None:
        super().__init__(converter)
        patterns = converter.inlinePatterns
        self._triggers: list[tuple[str, ...] | None] = [None] * len(patterns)
        for name, triggers in INLINE_TRIGGERS.items():
            if name in patterns:
                self._triggers[patterns.get_index_for_name(name)] = triggers

    # Overrides InlineProcessor.__handleInline (name-mangled), the loop over the patterns.
    def _InlineProcessor__handleInline(self, data: str, patternIndex: int = 0) -> str:
        if isinstance(data, md_util.AtomicString):
            return data
        patterns, triggers = self.inlinePatterns, self._triggers
        apply = self._InlineProcessor__applyPattern  # type: ignore[attr-defined]
        start, count = 0, len(triggers)
        while patternIndex < count:
            needs = triggers[patternIndex]
            if needs is not None and needs[0] not in data and (len(needs) == 1 or needs[1] not in data):
                patternIndex, start = patternIndex + 1, 0  # as after a pattern that did not match
                continue
            data, matched, start = apply(patterns[patternIndex], data, patternIndex, start)
            if not matched:
                patternIndex += 1
        return data


def new_converter(*, fast: bool = True) -> md.Markdown:
    """A Markdown instance configured as briefgen renders bodies."""
    converter = md.Markdown(
        extensions=EXTENSIONS,
        extension_configs={
            "toc": {"permalink": False, "slugify": lambda value, _sep: slugify(value)},
            "footnotes": {"BACKLINK_TITLE": "↩"},
        },
    )
    if fast:
        converter.treeprocessors.register(_TriggeredInlineProcessor(converter), "inline", 20)
        _trigger_blocks(converter)
        _trigger_preprocessors(converter)
    return converter


def _converter() -> md.Markdown:
    """One configured Markdown instance per thread (and so per worker), reset between documents."""
    converter: md.Markdown | None = getattr(_local, "converter", None)
    if converter is None:
        converter = _local.converter = new_converter()
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
    converter = _converter()
    converter.reset()
    return str(_cleaner().clean(smarten(converter.convert(source), lang)))


@functools.lru_cache(maxsize=256)
def render_markdown(source: str, lang: str = "en") -> Markup:
    """An article body as HTML a template may insert as is (cached: pages and digests share it)."""
    return Markup(markdown_to_html(source, lang))


def body_key(source: str, lang: str) -> str:
    """Names a rendered body in a store: the same text in the same language renders the same.

    The key also names this briefgen and Python-Markdown, whose output may differ between versions.
    """
    text = f"{__version__}\0{md.__version__}\0{lang}\0{source}"
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


class BodyLookup(Protocol):
    def get(self, key: str) -> str | None: ...


class Bodies:
    """Article bodies as HTML, taken from a store of earlier renders when it has them.

    `fresh` collects what had to be rendered, for the caller to add to the store.
    """

    def __init__(self, store: BodyLookup | None = None) -> None:
        self.store = store
        self.fresh: dict[str, str] = {}
        self.seen: dict[str, Markup] = {}
        self._last: tuple[Article, tuple[str, Markup]] | None = None

    def of(self, article: Article) -> tuple[str, Markup]:
        """The body of `article` (read from its file) as (store key, HTML).

        The last answer is kept: a page asks for its body, then the build for its key.
        """
        if self._last is not None and self._last[0] is article:
            return self._last[1]
        found = self.html(read_body(article), article.lang)
        self._last = (article, found)
        return found

    def html(self, source: str, lang: str) -> tuple[str, Markup]:
        key = body_key(source, lang)
        found = self.seen.get(key)
        if found is None:
            stored = self.store.get(key) if self.store is not None else None
            if stored is None:
                stored = self.fresh[key] = markdown_to_html(source, lang)
            found = Markup(stored)
            if len(self.seen) > 512:  # a body is needed by its page and by its day's digest
                self.seen.clear()
            self.seen[key] = found
        return key, found
