"""Python-Markdown, skipping the work that cannot change its output: triggers on a built converter.

Each trigger belongs to a piece of Python-Markdown's own code (a regular expression, a processor
class), never to the name it is registered under: a piece an extension replaces or adds, or one
a future Python-Markdown changes, is simply run as stock runs it.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as etree
from collections.abc import Callable
from typing import Any

import markdown as md
from markdown import blockprocessors, inlinepatterns
from markdown import util as md_util
from markdown.extensions.footnotes import FootnoteBlockProcessor
from markdown.extensions.tables import TableProcessor
from markdown.extensions.toc import TocTreeprocessor
from markdown.preprocessors import NormalizeWhitespace, Preprocessor
from markdown.treeprocessors import InlineProcessor

# Regular expressions of inline patterns, and the text without one of which they cannot match: a
# pattern whose expression is not named here is always tried.
INLINE_TRIGGERS: dict[str, tuple[str, ...]] = {
    inlinepatterns.BACKTICK_RE: ("`",),  # a backtick, or backslashes before one
    inlinepatterns.ESCAPE_RE: ("\\",),
    inlinepatterns.LINK_RE: ("[",),  # also REFERENCE_RE
    inlinepatterns.IMAGE_LINK_RE: ("![",),  # also IMAGE_REFERENCE_RE
    inlinepatterns.AUTOLINK_RE: ("<",),
    inlinepatterns.AUTOMAIL_RE: ("<",),
    inlinepatterns.HTML_RE: ("<",),
    inlinepatterns.ENTITY_RE: ("&",),
    inlinepatterns.LINE_BREAK_RE: ("  \n",),
    r"\[\^([^\]]*)\]": ("[^",),  # the footnotes extension's reference
}
# InlineProcessor compiles every pattern so; another flag (VERBOSE...) could change what matches.
_INLINE_FLAGS = re.DOTALL | re.UNICODE

# Block processors (by class), and the text without one of which their test says no (for
# `footnote` and `reference`, whose test always says yes and whose run then puts the block back
# and says no, saying no at once has the same effect: the next processor is tried).
BLOCK_TRIGGERS: dict[type[blockprocessors.BlockProcessor], tuple[str, ...]] = {
    TableProcessor: ("|",),
    blockprocessors.HashHeaderProcessor: ("#",),
    blockprocessors.BlockQuoteProcessor: (">",),
    FootnoteBlockProcessor: ("[^",),
    blockprocessors.ReferenceProcessor: ("]:",),
}


def _setext_may_match(block: str) -> bool:
    # Its expression is matched at the start, and `.` stops at a line end: the second line must
    # begin with `=` or `-`.
    end = block.find("\n")
    return end >= 0 and block[end + 1 : end + 2] in ("=", "-")


def _hr_may_match(block: str) -> bool:
    # Its expression is searched for at each line start: a line of three spaces at most, then
    # nothing but one of `-`, `_` or `*`, and spaces.
    for line in block.split("\n") if "\n" in block else (block,):
        mark = line[:4].lstrip(" ")[:1]
        if mark in ("-", "_", "*") and not line.strip(mark + " "):
            return True
    return False


# Block processors (by class), and a quicker test of the block their own test needs to say yes.
BLOCK_SHAPES: dict[type[blockprocessors.BlockProcessor], Callable[[str], bool]] = {
    blockprocessors.SetextHeaderProcessor: _setext_may_match,
    blockprocessors.HRProcessor: _hr_may_match,
}


def _html_block_idle(_processor: Any, text: str) -> bool:
    # Python's HTML parser calls back for nothing but data in text without `<` or `&` (its
    # references, `&#169` or `&copy;`, are stored like tags), and the data is kept as it was.
    return "<" not in text and "&" not in text


def _fenced_code_idle(processor: Any, text: str) -> bool:
    # A fence is three backticks or tildes; the first run also looks for codehilite and attr_list.
    return bool(processor.checked_for_deps) and "```" not in text and "~~~" not in text


# Preprocessors (by class, named: see class_name), and when one would give back the document it is given.
PRE_IDLE: dict[str, Callable[[Any, str], bool]] = {
    "markdown.preprocessors.HtmlBlockPreprocessor": _html_block_idle,
    "markdown.extensions.fenced_code.FencedBlockPreprocessor": _fenced_code_idle,
}


def _holds(root: Any, needle: str, attributes: bool) -> bool:
    """Whether a text or tail in the tree at `root` (or with `attributes`, an attribute's value)
    contains `needle`."""
    for element in root.iter():
        text, tail = element.text, element.tail
        if (text and needle in text) or (tail and needle in tail):
            return True
        if attributes and element.attrib:
            for value in element.attrib.values():
                if value and needle in value:
                    return True
    return False


def _attr_list_idle(_processor: Any, root: Any) -> bool:
    # Each of its expressions needs a `{` in a text or a tail, and only a match changes the tree.
    return not _holds(root, "{", attributes=False)


def _unescape_idle(_processor: Any, root: Any) -> bool:
    # Its expression needs the placeholder's STX in a text, a tail or an attribute value.
    return not _holds(root, md_util.STX, attributes=True)


# Treeprocessors (by class, named: see class_name), and when one would leave the tree it is given as it is.
TREE_IDLE: dict[str, Callable[[Any, Any], bool]] = {
    "markdown.extensions.attr_list.AttrListTreeprocessor": _attr_list_idle,
    "markdown.treeprocessors.UnescapeTreeprocessor": _unescape_idle,
}


def class_name(kind: type) -> str:
    """A class by its full name: the tables above name classes of extensions that a converter
    without them never imports (a rebuild that converts one body loads less)."""
    return f"{kind.__module__}.{kind.__qualname__}"


def add_triggers(converter: md.Markdown) -> md.Markdown:
    """Makes a built converter skip the work that cannot change its output; returns it."""
    _trigger_preprocessors(converter)
    _trigger_blocks(converter)
    _trigger_treeprocessors(converter)
    if _is(converter.treeprocessors, "inline", InlineProcessor):
        converter.treeprocessors.register(_TriggeredInlineProcessor(converter), "inline", 20)
    _quick_link_text(converter)
    return converter


def _is(registry: md_util.Registry[Any], name: str, kind: type) -> bool:
    """Whether `registry` holds Python-Markdown's own `kind` (not a subclass) under `name`."""
    return name in registry and type(registry[name]) is kind


def _skip_when_idle(
    registry: md_util.Registry[Any],
    idle_of: dict[str, Any],
    looked_at: Callable[[Any], Any],
    skipped: Callable[[Any], Any],
) -> None:
    """Make each processor in `registry` whose class `idle_of` names skip a document its idle test
    finds nothing for: the test sees `looked_at(argument)`, and the run then returns
    `skipped(argument)` without doing anything."""
    for processor in registry:
        idle = idle_of.get(class_name(type(processor)))
        if idle is None:
            continue
        run = processor.run

        def triggered(argument: Any, run: Any = run, idle: Any = idle, processor: Any = processor) -> Any:
            return skipped(argument) if idle(processor, looked_at(argument)) else run(argument)

        processor.run = triggered


def _trigger_preprocessors(converter: md.Markdown) -> None:
    _skip_when_idle(converter.preprocessors, PRE_IDLE, "\n".join, lambda lines: lines)
    if not _is(converter.preprocessors, "normalize_whitespace", NormalizeWhitespace):
        return
    converter.preprocessors.register(_NormalizeWhitespace(converter), "normalize_whitespace", 30)
    if _is(converter.treeprocessors, "toc", TocTreeprocessor):
        # Right after the whitespace is normalised, before any preprocessor stashes text away.
        toc: Any = converter.treeprocessors["toc"]
        converter.preprocessors.register(_TocMarkerSwitch(converter, toc), "toc_marker_switch", 29.9)


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


def _has_heading(toc: TocTreeprocessor, doc: Any) -> bool:
    """Whether the tree holds an element the toc treeprocessor takes for a heading."""
    return any(isinstance(element.tag, str) and toc.header_rgx.match(element.tag) for element in doc.iter())


class _TocMarkerSwitch(Preprocessor):
    """Lets the toc extension look for its marker only in documents that contain it, and walk the
    tree for headings only when it holds one.

    The search walks the whole tree of every document; the marker is hardly ever used. The marker
    is the toc treeprocessor's own, read for each document. A paragraph that is the marker is text
    of the normalised document: only a marker spanning lines or holding a placeholder's control
    character could be put together otherwise, and such a marker is always looked for.
    """

    def __init__(self, converter: md.Markdown, toc: TocTreeprocessor) -> None:
        super().__init__(converter)
        self.toc = toc
        self.present = True
        replace_marker, run = toc.replace_marker, toc.run
        self.empty: tuple[tuple[object, ...], str] | None = None

        def replace_if_present(root: Any, elem: Any) -> None:
            if self.present:
                replace_marker(root, elem)

        def run_if_headed(doc: Any) -> None:
            if self.present or _has_heading(toc, doc):
                run(doc)
                return
            # Without a heading nor the marker, the tree is left as it is and the table is empty:
            # stock's own run on an empty document makes it, again whenever what it uses changes.
            uses = (
                converter.serializer, tuple(converter.postprocessors), tuple(converter.treeprocessors),
                toc.toc_class, toc.title, toc.title_class,
            )  # fmt: skip
            if self.empty is None or self.empty[0] != uses:
                run(etree.Element("div"))
                self.empty = (uses, converter.toc)  # type: ignore[attr-defined]
            converter.toc_tokens = []  # type: ignore[attr-defined]
            converter.toc = self.empty[1]  # type: ignore[attr-defined]

        toc.replace_marker = replace_if_present  # type: ignore[method-assign]
        toc.run = run_if_headed  # type: ignore[method-assign]

    def run(self, lines: list[str]) -> list[str]:
        marker = self.toc.marker
        odd = "\n" in marker or md_util.STX in marker or md_util.ETX in marker
        self.present = odd or marker in "\n".join(lines)
        return lines


def _trigger_treeprocessors(converter: md.Markdown) -> None:
    _skip_when_idle(converter.treeprocessors, TREE_IDLE, lambda root: root, lambda _root: None)


class _KeptOrderRegistry(md_util.Registry[Any]):
    """A registry that keeps its items in order from one change to the next.

    The parser goes through the block processors' registry for every block, and stock sorts it
    and lists its items anew each time. Changes go through `register` and `deregister` and make a
    new list: a walk under way goes on over the items it began with, as with stock.
    """

    _in_order: list[Any] | None = None

    def register(self, item: Any, name: str, priority: float) -> None:
        self._in_order = None
        super().register(item, name, priority)

    def deregister(self, name: str, strict: bool = True) -> None:
        self._in_order = None
        super().deregister(name, strict)

    def __iter__(self) -> Any:
        if self._in_order is None:
            self._in_order = list(super().__iter__())
        return iter(self._in_order)


def _trigger_blocks(converter: md.Markdown) -> None:
    registry = converter.parser.blockprocessors
    if type(registry) is md_util.Registry:
        registry.__class__ = _KeptOrderRegistry
    for processor in converter.parser.blockprocessors:
        test = processor.test
        shape = BLOCK_SHAPES.get(type(processor))
        if shape is not None:

            def shaped(parent: object, block: str, test: Any = test, shape: Any = shape) -> bool:
                return bool(test(parent, block)) if shape(block) else False

            processor.test = shaped  # type: ignore[method-assign]
            continue
        needs = BLOCK_TRIGGERS.get(type(processor))
        if needs is None:
            continue

        def triggered(parent: object, block: str, test: Any = test, needs: tuple[str, ...] = needs) -> bool:
            for needle in needs:
                if needle in block:
                    return bool(test(parent, block))
            return False

        processor.test = triggered  # type: ignore[method-assign]


def _inline_needs(pattern: inlinepatterns.Pattern) -> tuple[str, ...] | None:
    """What `pattern` cannot match without, as its regular expression says; None if unknown."""
    if type(pattern).getCompiledRegExp is not inlinepatterns.Pattern.getCompiledRegExp:
        return None  # searches with something else than its `compiled_re`
    compiled = pattern.compiled_re
    if compiled.flags != _INLINE_FLAGS:
        return None
    if type(pattern) is inlinepatterns.DelimiterProcessor:  # `*`, `_` and any delimiter added
        tokens = tuple(pattern.tokens)
        if tokens and compiled.pattern == "|".join(re.escape(token) for token in tokens):
            return tokens
        return None
    return INLINE_TRIGGERS.get(compiled.pattern)


class _TriggeredInlineProcessor(InlineProcessor):
    """Python-Markdown's inline pass, skipping each pattern on text that lacks its trigger.

    Python-Markdown tries each of its inline patterns on every piece of text, with a regular
    expression search each time; most text of a briefing holds no `[`, `<`, `*` or backtick at
    all. A search that finds nothing leaves the text and the pattern as they were, so skipping it
    where its expression cannot match changes nothing. The patterns are read from the converter's
    registry for each document, as stock does, so one registered later is tried too.
    """

    def __init__(self, converter: md.Markdown) -> None:
        super().__init__(converter)
        self._patterns: list[inlinepatterns.Pattern] = []
        self._expressions: list[object] = []
        self._triggers: list[tuple[str, ...] | None] = []
        self._keys: bytes | None = None

    def run(self, tree: Any, ancestors: list[str] | None = None) -> Any:
        registry: md_util.Registry[Any] = self.inlinePatterns  # the stubs name the wrong class
        patterns = list(registry)
        expressions = [getattr(pattern, "compiled_re", None) for pattern in patterns]
        # The triggers are worked out again whenever a pattern or its expression is not the last one's.
        if patterns != self._patterns or expressions != self._expressions:
            self._triggers = [_inline_needs(pattern) for pattern in patterns]
            self._patterns, self._expressions = patterns, expressions
            self._keys = _key_characters(self._triggers)
        return super().run(tree, ancestors)

    # Overrides InlineProcessor.__handleInline (name-mangled), the loop over the patterns.
    def _InlineProcessor__handleInline(self, data: str, patternIndex: int = 0) -> str:
        if isinstance(data, md_util.AtomicString):
            return data
        if patternIndex == 0 and self._keys is not None:
            encoded = data.encode("utf-8", "surrogatepass")
            if len(encoded.translate(None, self._keys)) == len(encoded):
                return data  # no trigger at all: every pattern would be skipped
        patterns, triggers = self._patterns, self._triggers
        apply = self._InlineProcessor__applyPattern  # type: ignore[attr-defined]
        start, count = 0, len(triggers)
        while patternIndex < count:
            needs = triggers[patternIndex]
            if needs is not None:
                for needle in needs:
                    if needle in data:
                        break
                else:
                    patternIndex, start = patternIndex + 1, 0  # as after a search that found nothing
                    continue
            data, matched, start = apply(patterns[patternIndex], data, patternIndex, start)
            if not matched:
                patternIndex += 1
        return data


def _key_characters(triggers: list[tuple[str, ...] | None]) -> bytes | None:
    """One ASCII character of each trigger, the last (`\\n` of a line break's `  \\n`, `[` of
    `![`): text without any of them holds no trigger. None if a pattern has no trigger or one
    that is not ASCII."""
    keys = set()
    for needs in triggers:
        if needs is None:
            return None
        for needle in needs:
            if not needle.isascii():
                return None
            keys.add(needle[-1])
    return "".join(sorted(keys)).encode("ascii")


_BRACKET = re.compile(r"[\[\]]")


def _quick_link_text(converter: md.Markdown) -> None:
    """Gives each link and image pattern a `getText` that finds the closing bracket from a table
    of the brackets alone.

    Stock finds it the same way (the `]` that brings the depth below the one just after the `[`)
    from a table of every character of the text, built in a Python loop over the whole paragraph
    (Python-Markdown 3.11): about 2 s of CPU in a cold build of 10,000 articles. The table here
    holds only the positions just past a `[`, where the link and image expressions end; any other
    position is left to stock.
    """
    stock = inlinepatterns.LinkInlineProcessor.getText
    for pattern in converter.inlinePatterns:
        if isinstance(pattern, inlinepatterns.LinkInlineProcessor) and type(pattern).getText is stock:
            pattern.getText = _BracketText(pattern).get_text  # type: ignore[method-assign]


class _BracketText:
    """The text between a `[` and its closing `]`, for one pattern, as `getText` gives it."""

    def __init__(self, pattern: inlinepatterns.LinkInlineProcessor) -> None:
        self.pattern = pattern
        self.data: str | None = None
        self.ends: dict[int, int] = {}

    def get_text(self, data: str, index: int) -> tuple[str, int, bool]:
        if data is not self.data:
            self.data, self.ends = data, _bracket_ends(data)
        if index == 0 or data[index - 1] != "[":
            return inlinepatterns.LinkInlineProcessor.getText(self.pattern, data, index)
        end = self.ends.get(index)
        if end is None:
            return data[index:], len(data), False
        return data[index : end - 1], end, True


def _bracket_ends(data: str) -> dict[int, int]:
    """For each position just past a `[` of `data` whose bracket closes, the position just past
    the `]` that closes it; a `]` with no `[` open is text."""
    ends: dict[int, int] = {}
    if "[" not in data:
        return ends
    open_at: list[int] = []
    for found in _BRACKET.finditer(data):
        at = found.start()
        if data[at] == "[":
            open_at.append(at + 1)
        elif open_at:
            ends[open_at.pop()] = at + 1
    return ends
