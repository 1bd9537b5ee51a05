"""Our faster Python-Markdown (block and inline triggers) renders exactly what the stock one does."""

from __future__ import annotations

import random
import xml.etree.ElementTree as ElementTree
from collections.abc import Callable
from pathlib import Path
from typing import Any

import markdown as md
import pytest
from markdown.blockprocessors import BlockProcessor
from markdown.extensions.toc import TocExtension
from markdown.inlinepatterns import SimpleTagInlineProcessor

from briefgen.frontmatter import split
from briefgen.markdown import markdown_to_html, needs_extras, new_converter
from briefgen.markdown_triggers import PRE_IDLE, TREE_IDLE, add_triggers, class_name

ROOT = Path(__file__).resolve().parents[1]

# Character references, named, decimal and hexadecimal, with and without their `;`, and near misses.
CHARACTER_REFERENCES = [
    "&#169", "&#169;", "&#x41", "&#x41;", "&copy", "&copy;", "&#X4a;", "&amp", "&nbsp;", "&#", "&#;",
    "&#x;", "&&", "&#12345678;", "&#0;", "&notanentity;", "R&D", "&#233x", "&#xZZ", "&copy2024",
]  # fmt: skip
# Pieces chosen to start, end or break every inline pattern: code, escapes, links of each kind,
# images, footnotes, autolinks, raw HTML, entities, emphasis with * and _, hard line breaks; and
# what the preprocessors change: tabs, carriage returns, lines of spaces, control characters.
PIECES = [
    "word", "mot", "l'accord", '"quoted"', "`code`", "``a ` b``", "\\*", "\\`", "\\\\", "\\[",
    "*em*", "**strong**", "***both***", "_em_", "__strong__", "snake_case_name", "2 * 3 * 4", "* ",
    "[link](https://example.org/a_b)", "[ref][r1]", "[r1]", "[r3]", "[missing][nope]", "![img](x.png)",
    "![alt][r1]", "[^1]", "[^nope]", "<https://example.org/x*y*>", "<someone@example.org>",
    "<b>bold</b>", "<span class=\"x\">s</span>", "<!-- c -->", "&amp;", "&copy;", "&#233;", "AT&T",
    "a < b", "x > y", "  \n", "\n", "[", "]", "(", ")", "!", "*", "_", "`", "<", "&",
    "\t", "a\tb", "\r\n", "\r", "\n   \n", "\x02", "\x03", "[TOC]", "```", "~~~",
    *CHARACTER_REFERENCES, *[f"`{reference}`" for reference in CHARACTER_REFERENCES[:8]],
    "`<b>&amp;</b>`", "``&#x41 <i>``", "<span title=\"&#169\">&#169</span>", "<b>&copy</b>",
    "<i>&#x41;</i>", "&lt;b&gt;", "`a` &#169 `b`",
    "[a [b] c](x)", "[[x]](y)", "![a [b]](z.png)", "[a]]b](c)", "[[[", "]]", "[x](y [z])", "[a][[r1]]",
]  # fmt: skip
# Blocks that start, end or nearly match every block processor: headings of both kinds, rules,
# quotes, tables, lists, code, reference and footnote definitions, attribute lists, raw HTML,
# the toc marker, fences of both kinds.
BLOCKS = [
    "# Heading *x*", "## Sub | pipe", "Title\n=====", "Sub\n---", "---", "* * *", "___", "- - -",
    "> quoted *text*\n> more", "> a\nlazy line", "| a | b |\n|---|---|\n| 1 | 2 |",
    "a | b\n--|--\n1 | 2", "- item\n- item [link](x)", "1. one\n2. two", "* star\n+ plus",
    "    indented code", "```\nfenced * code\n```", "[r2]: https://example.org/r2 \"T\"",
    "[r3]:https://example.org/r3", "[^2]: second note\n    continued", "text with # hash", "a > b",
    "x = y", "a - b - c", "Term\n{: #anchor .cls }", "## Heading {: #custom }", "<div>raw *html*</div>",
    "a_b_c and 3*4", "#hashtag", "=", "-", ">", "|", "[TOC]", "~~~\nfenced _code_\n~~~",
    "```python\nx = 1\n```", "\tindented by a tab", "line\r\nwith CRLF", "  \n \n",
    "&#169 2024 Acme", "# Heading &#169 2024", "    indented &#169 &copy code", "```\n&#x41 &amp fenced\n```",
    "<div>&#x41 raw &copy;</div>", "<p>&#169</p>", "> quoted &#169; &#x41", "[TO\x02C]", "[T\x03OC]",
    "   ---", "    ---", "text\n  * * *", "text\n   _ _ _\nmore", "a\n=", "Title\n  ===", "x\n-y",
    "- a\n- b\n---",
    "-*-", "- * -", "  -  -  -  ", "***  ", "_ _ _ x", "text\n   -   -   -",
    "**bold** -- dash", "long-term -- and -- more", "\\{: .x}", "a {b} c",
    "Para {: title=\"a\\_b\" }", "[x](a\\_b \"t\\_t\")", "# H {: data-toc-label=\"L\\*\" }",
]  # fmt: skip
TAIL = "\n\n[r1]: https://example.org/ref\n\n[^1]: A note with *emphasis* and `code`.\n"


def random_document(rng: random.Random) -> str:
    # Each document draws on a few pieces only, so that many lack one trigger or another.
    pieces, blocks = rng.sample(PIECES, rng.randint(2, 12)), rng.sample(BLOCKS, rng.randint(1, 6))
    paragraphs = []
    for _ in range(rng.randint(1, 6)):
        if rng.random() < 0.5:
            paragraphs.append(rng.choice(blocks))
        else:
            words = [rng.choice(pieces) for _ in range(rng.randint(1, 14))]
            paragraphs.append(" ".join(words))
    prefix = rng.choice(["", "# ", "- ", "> ", "| a | b |\n|---|---|\n| "])
    return prefix + rng.choice(["\n\n", "\n"]).join(paragraphs) + (TAIL if rng.random() < 0.7 else "")


@pytest.mark.parametrize("seed", range(4))
def test_fast_inline_pass_renders_like_stock_python_markdown(seed: int) -> None:
    rng = random.Random(seed)
    fast, stock = new_converter(), new_converter(fast=False)
    for _ in range(500):
        source = random_document(rng)
        fast.reset()
        stock.reset()
        assert fast.convert(source) == stock.convert(source), source
        assert (fast.toc, fast.toc_tokens) == (stock.toc, stock.toc_tokens), source  # type: ignore[attr-defined]


@pytest.mark.parametrize("seed", range(2))
def test_a_converter_without_attribute_lists_and_fences_renders_other_texts_the_same(seed: int) -> None:
    rng = random.Random(seed)
    full, lean = new_converter(), new_converter(extras=False)
    plain = [doc for doc in (random_document(rng) for _ in range(1500)) if not needs_extras(doc)]
    assert len(plain) > 100  # the random documents hold the markers only now and then
    for source in plain:
        full.reset()
        lean.reset()
        assert lean.convert(source) == full.convert(source), source


def test_bodies_with_and_without_fences_and_attribute_lists_each_render_them() -> None:
    before = markdown_to_html("Plain words first.", "en")
    fenced = markdown_to_html("```\nx = 1\n```\n\nPara\n{: .lead }", "en")
    after = markdown_to_html("Plain words first.", "en")
    assert before == after == "<p>Plain words first.</p>"
    assert "<pre><code>x = 1\n</code></pre>" in fenced
    assert '<p class="lead">Para</p>' in fenced


def test_every_processor_the_triggers_name_is_one_a_full_converter_has() -> None:
    # named, not imported: a misspelt name would silently turn its trigger off
    converter = new_converter(fast=False)
    present = {class_name(type(p)) for p in (*converter.preprocessors, *converter.treeprocessors)}
    assert PRE_IDLE.keys() | TREE_IDLE.keys() <= present


def test_the_table_of_contents_follows_its_settings_from_one_document_to_the_next() -> None:
    def convert_then_retitle(converter: md.Markdown) -> None:
        converter.convert("A first document, without a heading.")
        toc: Any = converter.treeprocessors["toc"]
        toc.title, toc.toc_class = "Contents", "summary"
        converter.reset()

    stock, fast = render_both("No heading here either.", convert_then_retitle, extensions=["toc"])
    assert fast == stock
    converters = [md.Markdown(extensions=["toc"]), add_triggers(md.Markdown(extensions=["toc"]))]
    for source in ("Plain.", "# Heading", "Plain again.", "[TOC]\n\nno heading"):
        tocs = []
        for converter in converters:
            converter.reset()
            html = converter.convert(source)
            tocs.append((html, converter.toc, converter.toc_tokens))  # type: ignore[attr-defined]
        assert tocs[0] == tocs[1], source
        assert '<div class="toc">' in tocs[1][1]


def test_fast_inline_pass_renders_the_sample_content_like_stock() -> None:
    fast, stock = new_converter(), new_converter(fast=False)
    articles = sorted((ROOT / "content").glob("*.md"))
    assert articles
    for path in articles:
        body = split(path.read_text("utf-8"), path).body
        fast.reset()
        stock.reset()
        assert fast.convert(body) == stock.convert(body), path


def test_fast_inline_pass_still_applies_every_pattern() -> None:
    html = new_converter().convert("a *b* [x](y) `c` \\* &amp; <b>x</b>[^1]  \nz\n\n[^1]: n")
    for expected in ("<em>b</em>", '<a href="y">x</a>', "<code>c</code>", "&amp;", "<b>x</b>", "<br />"):
        assert expected in html
    assert 'class="footnote-ref"' in html


def render_both(source: str, setup: Callable[[md.Markdown], object], **options: Any) -> tuple[str, str]:
    """`source` rendered by a stock converter and by one with briefgen's triggers, both set up alike."""
    stock, fast = md.Markdown(**options), add_triggers(md.Markdown(**options))
    setup(stock)
    setup(fast)
    return stock.convert(source), fast.convert(source)


def add_mark(converter: md.Markdown) -> None:
    converter.inlinePatterns.register(SimpleTagInlineProcessor(r"()%%(.+?)%%", "mark"), "mark", 75)


def add_strike(converter: md.Markdown) -> None:
    converter.delimiters.add("~", "del", double=True)  # one more token for the `em_strong` pattern


@pytest.mark.parametrize(
    ("change", "html"),
    [(add_mark, "<p>a <mark>b</mark> c ~~d~~ e</p>"), (add_strike, "<p>a %%b%% c <del>d</del> e</p>")],
)
def test_inline_patterns_changed_after_a_document_apply_to_the_next(
    change: Callable[[md.Markdown], None], html: str
) -> None:
    def convert_then_change(converter: md.Markdown) -> None:
        assert converter.convert("A *first* document.") == "<p>A <em>first</em> document.</p>"
        change(converter)

    stock, fast = render_both("a %%b%% c ~~d~~ e", convert_then_change)
    assert fast == stock == html


@pytest.mark.parametrize(
    ("marker", "source", "table"),
    [
        ("{{toc}}", "# Title\n\n{{toc}}", True),
        ("{{toc}}", "# Title\n\n[TOC]", False),
        ("", "# Title\n\n[TOC]", False),
        ("[TOC]", "# Title\n\n[TO\x02C]", True),  # placeholder characters are dropped first
        ("\x0291\x03TOC]", "# Title\n\n\\[TOC]", True),  # an escaped `[` is a placeholder then
        ("a\nb", "# Title\n\n> a\n> b", True),  # a quote's lines lose their `>`
    ],
)
def test_the_toc_marker_is_the_extensions_setting(marker: str, source: str, table: bool) -> None:
    stock, fast = render_both(source, lambda _converter: None, extensions=[TocExtension(marker=marker)])
    assert fast == stock
    assert ('<div class="toc">' in fast) is table


def test_fenced_code_looks_for_codehilite_on_its_first_document_as_stock_does() -> None:
    def convert_then_add_codehilite(converter: md.Markdown) -> None:
        converter.convert("A first document, without a fence.")
        converter.registerExtensions(["codehilite"], {})
        converter.reset()

    stock, fast = render_both(
        "```python\nx = 1\n```", convert_then_add_codehilite, extensions=["fenced_code"]
    )
    assert fast == stock


class Aside(BlockProcessor):
    """`!! text` becomes an aside; `!! stop` takes this processor out of the parser."""

    def test(self, parent: Any, block: str) -> bool:
        return block.startswith("!! ")

    def run(self, parent: Any, blocks: list[str]) -> None:
        block = blocks.pop(0)
        if block == "!! stop":
            self.parser.blockprocessors.deregister("aside")
        else:
            ElementTree.SubElement(parent, "aside").text = block[3:]


class Switch(BlockProcessor):
    """A block `SWITCH` adds (or replaces) the aside processor, in the middle of a document."""

    def test(self, parent: Any, block: str) -> bool:
        return block == "SWITCH"

    def run(self, parent: Any, blocks: list[str]) -> None:
        blocks.pop(0)
        self.parser.blockprocessors.register(Aside(self.parser), "aside", 95)


def test_block_processors_added_or_removed_while_a_document_is_parsed_apply_from_the_next_block() -> None:
    def add_switch(converter: md.Markdown) -> None:
        converter.parser.blockprocessors.register(Switch(converter.parser), "switch", 96)

    source = "!! before\n\nSWITCH\n\n!! after\n\nSWITCH\n\n!! again\n\n!! stop\n\n!! gone\n\n- !! in a list"
    stock, fast = render_both(source, add_switch)
    assert fast == stock
    assert "<p>!! before</p>" in fast and "<aside>after</aside>" in fast and "<aside>again</aside>" in fast
    assert "<p>!! gone</p>" in fast
