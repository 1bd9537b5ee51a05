"""Typography and link extraction: the small text passes every page goes through."""

from __future__ import annotations

import random
import re

import pytest

from briefgen.links import LinkChecker
from briefgen.markdown import markdown_to_html
from briefgen.typography import french_spacing


@pytest.mark.parametrize(
    ("source", "lang", "expected"),
    [
        ('He said "no" -- twice...', "en", "He said \u201cno\u201d \u2013 twice\u2026"),
        ("It's the ministers' view", "en", "It\u2019s the ministers\u2019 view"),
        (
            'Il a dit "non" : c\'est clair !',
            "fr",
            "Il a dit «&nbsp;non&nbsp;»&nbsp;: c\u2019est clair\u202f!",
        ),
        ("« Franc et constructif »", "fr", "«&nbsp;Franc et constructif&nbsp;»"),
        ('Er sagte "nein"', "de", "Er sagte \u201enein\u201c"),
    ],
)
def test_quotes_dashes_and_spacing_follow_the_language(source: str, lang: str, expected: str) -> None:
    assert markdown_to_html(source, lang) == f"<p>{expected}</p>"


def test_code_and_attributes_are_left_alone() -> None:
    html = markdown_to_html('Run `print("x")` and see [the "docs"](https://example.org/a--b).', "en")
    assert '<code>print("x")</code>' in html
    assert 'href="https://example.org/a--b"' in html
    assert "\u201cdocs\u201d" in html


@pytest.mark.parametrize(
    "html",
    [
        '<a href="../../people/x/">x</a> <img src="../../static/a.png"> it\'s',
        "<a href='../../people/x/'>x</a> <img src='../../static/a.png'>",
        '<A HREF="../../people/x/">x</A> <IMG SRC="../../static/a.png">',
        '<a\nhref="../../people/x/">x</a> <img\tsrc="../../static/a.png">',
    ],
)
def test_links_are_found_however_the_attributes_are_written(html: str) -> None:
    nothing = LinkChecker(set())  # a site of no files: every internal link found is dead
    assert sorted(nothing.dead("articles/a/index.html", html)) == ["../../people/x/", "../../static/a.png"]


def test_external_mail_fragment_and_data_links_are_not_checked() -> None:
    html = '<a href="https://x.org/">a</a><a href="mailto:a@b.c">m</a><a href="#top">t</a><img src="data:,x">'
    assert LinkChecker(set()).dead("articles/a/index.html", html) == []


def test_dead_links_are_reported_and_live_ones_are_not() -> None:
    checker = LinkChecker({"index.html", "people/x/index.html", "static/a.png"})
    page = "articles/a/index.html"
    html = '<a href="../../people/x/">x</a><a href="../../people/y/">y</a><img src="../../static/a.png">'
    assert checker.dead(page, html) == ["../../people/y/"]
    assert checker.dead(page, '<a href="../../../escape/">e</a>') == ["../../../escape/"]


def test_french_text_keeps_guillemets_and_punctuation_with_their_words() -> None:
    assert french_spacing("un « appel » : oui ?") == "un «\u00a0appel\u00a0»\u00a0: oui\u202f?"
    assert french_spacing("«appel»") == "«\u00a0appel\u00a0»"
    assert french_spacing("à 10:30") == "à 10:30"


def test_an_apostrophe_after_an_opening_quote_in_another_element_adds_no_stray_space() -> None:
    html = markdown_to_html('Il cite "*l\'Europe*".', "fr")
    assert html == "<p>Il cite «&nbsp;<em>l’Europe</em>&nbsp;».</p>"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("l'accord d'hier", "l’accord d’hier"),
        ("'single' and \"double\"", "‘single’ and “double”"),
        ('("in brackets") -"dash"', "(“in brackets”) -“dash”"),
        ("rock 'n' roll", "rock ‘n’ roll"),
        ("''", "‘’"),
    ],
)
def test_quotes_open_after_space_bracket_or_dash_and_close_otherwise(source: str, expected: str) -> None:
    assert markdown_to_html(source, "en") == f"<p>{expected}</p>"


@pytest.mark.parametrize(("directory_urls", "home"), [(True, "./"), (False, "index.html")])
def test_a_shared_list_item_links_home_correctly_from_the_site_root(directory_urls: bool, home: str) -> None:
    from briefgen import urls

    link = urls.relative(urls.HOME, urls.ANY_PAGE, directory_urls)
    assert link.replace(urls.ROOT, urls.root_prefix(urls.HOME)) == home
    assert link.replace(urls.ROOT, urls.root_prefix("people/x/")) == "../../" + home


def test_french_spacing_is_its_four_rules_wherever_the_spaces_and_marks_fall() -> None:
    # The rules as first written, one expression each, applied in order.
    space = "[ \t\n\u00a0\u202f]"
    rules = [
        (re.compile(f"\u00ab{space}*"), "\u00ab\u00a0"),
        (re.compile(f"{space}*\u00bb"), "\u00a0\u00bb"),
        (re.compile(r"[ \t\n\u00a0]+([;!?])"), "\u202f\\1"),
        (re.compile(r"[ \t\n\u202f]+:"), "\u00a0:"),
    ]
    rng = random.Random(7)
    alphabet = [
        "a",
        "é",
        " ",
        "  ",
        "\t",
        "\n",
        "\u00a0",
        "\u202f",
        "\u00ab",
        "\u00bb",
        ";",
        "!",
        "?",
        ":",
        "10:30",
    ]
    for _ in range(5000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
        expected = text
        for expression, replacement in rules:
            expected = expression.sub(replacement, expected)
        assert french_spacing(text) == expected, repr(text)
