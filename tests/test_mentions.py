"""Linked mentions: known people named in article bodies link to their pages, on the site and in the PDF."""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil

from pypdf import PdfReader

from briefgen import pdf
from briefgen.config import load_config
from briefgen.manifest import MARKER
from briefgen.mentions import _FOLD, Names, fold, link
from briefgen.pipeline import load
from tests.conftest import REPO, article

BODY = """\
## Blinken in Beijing

Blinken landed at dawn. Later, BLINKEN met [Blinken's host](https://example.org/) and `Blinken`
went unmentioned in code. Blinkens and Qin Gangster are other words.

Wang Yi spoke; qin gang answered. Antony Blinken spoke again.
"""


def visit(body: str = BODY, actors: str = "[Antony Blinken]") -> dict[str, str]:
    return {
        "content/people/wang-yi.yaml": 'name: "Wang Yi"\naliases: ["王毅"]\n',
        "content/people/antony-blinken.yaml": 'name: "Antony Blinken"\naliases: ["Blinken"]\n',
        "content/2023-06-18-visit.md": article("Visit", "2023-06-18", body, actors=actors),
    }


def mention_links(html: str) -> list[tuple[str, str]]:
    return re.findall(r'<a class="mention" href="([^"]*)">(.*?)</a>', html)


def body_of(page: str) -> str:
    return page.split('class="body"', 1)[1].split("</article>", 1)[0]


def test_the_first_mention_links_to_the_person_and_the_second_does_not(make_site, cli):
    project = make_site(visit())
    assert cli(project, "build").code == 0
    page = project.read("site/articles/2023-06-18-visit/index.html")
    body = body_of(page)
    assert mention_links(body) == [
        ("../../people/antony-blinken/index.html", "Blinken"),
        ("../../people/wang-yi/index.html", "Wang Yi"),
        ("../../people/qin-gang/index.html", "qin gang"),
    ]
    # the first in running text is linked; the heading, the link and the code are left alone
    assert re.search(r"<h2[^>]*>Blinken in Beijing</h2>", body)
    assert '<a class="mention" href="../../people/antony-blinken/index.html">Blinken</a> landed' in body
    assert "Later, BLINKEN met" in body
    assert '<a href="https://example.org/">Blinken’s host</a>' in body
    assert "<code>Blinken</code>" in body
    assert "Blinkens and Qin Gangster" in body


def test_all_links_every_mention_and_off_links_none(make_site, cli):
    project = make_site({**visit(), "briefgen.yaml": "digest: {enabled: false}\nmentions: all\n"})
    assert cli(project, "build").code == 0
    links = mention_links(body_of(project.read("site/articles/2023-06-18-visit/index.html")))
    assert [text for _, text in links] == ["Blinken", "BLINKEN", "Wang Yi", "qin gang", "Antony Blinken"]
    project.write({"briefgen.yaml": "digest: {enabled: false}\nmentions: off\n"})
    assert cli(project, "build").code == 0
    assert mention_links(project.read("site/articles/2023-06-18-visit/index.html")) == []


def test_an_unknown_mode_is_a_setting_error(make_site, cli):
    project = make_site({"briefgen.yaml": "title: T\nmentions: sometimes\n"})
    run = cli(project, "check")
    assert run.code == 1
    assert "briefgen.yaml:2: mentions must be one of off, first, all, not 'sometimes'" in run.err


def test_names_match_without_case_or_accents_and_only_whole_words():
    names = Names([("Héloïse Le Drian", "hld"), ("Xi", "xi"), ("王毅", "wy"), ("Li", "a"), ("Li", "b")])
    html = (
        "<p>HELOISE LE DRIAN, héloïse&nbsp;le\nDrian and Xi’s aide met 王毅访华; "
        "Xia, Xiamen and Li are other words.</p>"
    )
    found = [(m.person, m.text) for m in names.find(html)]
    assert found == [
        ("hld", "HELOISE LE DRIAN"),
        ("hld", "héloïse&nbsp;le\nDrian"),
        ("xi", "Xi"),
        ("wy", "王毅"),
    ]  # "Li" is shared by two people: it names neither
    assert len(fold("Ǆ café ß")) == len("Ǆ café ß")


def test_mentions_in_attributes_and_across_tags_are_left_alone():
    names = Names([("Wang Yi", "wang-yi")])
    html = '<p><img alt="Wang Yi" src="a.png"> <em>Wang</em> Yi <abbr title="Wang Yi">WY</abbr></p>'
    assert names.find(html) == []
    assert link(html, names.find(html), lambda _: "x") == html


def test_check_suggests_listing_a_person_mentioned_in_the_body(make_site, cli):
    body = "Intro line.\n\nBlinken met Wang Yi.\n\nThen `Wang Yi` in code, and Wang Yi again.\n"
    project = make_site(visit(body))
    run = cli(project, "check")
    assert run.code == 0
    line = 1 + next(
        n for n, text in enumerate(project.read("content/2023-06-18-visit.md").splitlines()) if "met" in text
    )
    suggestions = [line for line in run.err.splitlines() if "suggestion" in line]
    assert suggestions == [
        f"content/2023-06-18-visit.md:{line}: suggestion: "
        "Wang Yi is mentioned in the body but not listed in actors"
    ]
    # once listed, nothing more to say
    project.write(
        {"content/2023-06-18-visit.md": article("Visit", "2023-06-18", body, actors="[Blinken, Wang Yi]")}
    )
    assert "suggestion" not in cli(project, "check").err


def test_a_new_alias_links_mentions_on_the_next_build_as_a_cold_build_would(make_site, cli, tmp_path):
    project = make_site(visit("Talks with Wang, then with Antony Blinken.\n"))
    assert cli(project, "build").code == 0
    page = "site/articles/2023-06-18-visit/index.html"
    assert [t for _, t in mention_links(project.read(page))] == ["Antony Blinken"]
    project.write({"content/people/wang-yi.yaml": 'name: "Wang Yi"\naliases: ["王毅", "Wang"]\n'})
    assert cli(project, "build").code == 0
    assert [t for _, t in mention_links(project.read(page))] == ["Wang", "Antony Blinken"]
    incremental = project.snapshot()
    shutil.rmtree(project.root / ".briefgen")
    assert cli(project, "build", "--out", str(tmp_path / "cold")).code == 0
    cold = project.snapshot(str(tmp_path / "cold"))
    assert {k: v for k, v in cold.items() if k != MARKER} == {
        k: v for k, v in incremental.items() if k != MARKER
    }


def test_a_body_edit_spliced_into_its_page_has_its_mentions_linked(make_site, cli):
    project = make_site(visit("Antony Blinken arrived.\n"))
    assert cli(project, "build").code == 0
    project.write(
        {"content/2023-06-18-visit.md": visit("Wang Yi welcomed Blinken.\n")["content/2023-06-18-visit.md"]}
    )
    run = cli(project, "build")
    assert "(1 rendered, 1 changed" in run.out  # the quick path: only the body was replaced
    links = mention_links(project.read("site/articles/2023-06-18-visit/index.html"))
    assert links == [
        ("../../people/wang-yi/index.html", "Wang Yi"),
        ("../../people/antony-blinken/index.html", "Blinken"),
    ]


def test_the_pdf_links_mentions_to_its_people_index(make_site):
    body = "Blinken met Wang Yi, who spoke of Xi Jinping.\n"
    files = {
        **visit(body, actors="[Antony Blinken, Wang Yi]"),
        "content/people/xi-jinping.yaml": 'name: "Xi Jinping"\n',
        "briefgen.yaml": "digest: {enabled: true}\n",
    }
    project = make_site(files)
    config = load_config(project.root)
    _, index, _ = load(config)
    day = dt.date(2023, 6, 18)
    html = pdf.digest_html(config, index, day)
    assert mention_links(html) == [
        ("#i.antony-blinken", "Blinken"),
        ("#i.wang-yi", "Wang Yi"),
        ("../people/xi-jinping/index.html", "Xi Jinping"),  # not in this day's index: their page
    ]
    reader = PdfReader(io.BytesIO(pdf.render_digest(config, index, day)))
    texts = [page.extract_text() for page in reader.pages]
    index_page = next(n for n in reversed(range(len(texts))) if "Index of people" in texts[n])
    targets = {}
    for number, page in enumerate(reader.pages):
        for annotation in page.get("/Annots") or []:
            dest = annotation.get_object().get("/Dest")
            if dest is not None and str(dest).startswith("i."):
                targets[str(dest)] = number
    assert set(targets) == {"i.antony-blinken", "i.wang-yi"}
    assert all(number < index_page for number in targets.values())  # from the article's page...
    named = reader.named_destinations
    for name in targets:  # ...to the people index
        assert reader.get_destination_page_number(named[name]) == index_page


def test_in_the_pdf_every_mention_of_a_name_is_kept_from_hyphenation(make_site):
    body = "Blinken met Wang Yi. Later, Blinken and Wang Yi dined; Xi Jinping was absent.\n"
    files = {
        **visit(body, actors="[Antony Blinken, Wang Yi]"),
        "content/people/xi-jinping.yaml": 'name: "Xi Jinping"\n',
        "briefgen.yaml": "digest: {enabled: true}\nmentions: first\n",
    }
    project = make_site(files)
    config = load_config(project.root)
    _, index, _ = load(config)
    html = pdf.digest_html(config, index, dt.date(2023, 6, 18))
    kept = re.findall(r'<span class="mention">([^<]+)</span>', html)
    assert kept == ["Blinken", "Wang Yi"]  # the later mentions, not linked, are still marked
    assert len(mention_links(html)) == 3  # the first of each are links, as before
    css = (REPO / "templates" / "digest" / "digest.css").read_text(encoding="utf-8")
    rule = next(line for line in css.splitlines() if "hyphens: none" in line)
    assert ".mention" in rule


def test_folding_a_text_folds_each_of_its_characters_in_place():
    # fold() replaces each distinct character everywhere at once, or translates character by
    # character when a text has many: both must give each character's own fold, at its place.
    known = dict(_FOLD)
    try:
        _fold_each_character_in_place()
    finally:  # fold() keeps what it learns: give back the memory, later tests measure processes
        _FOLD.clear()
        _FOLD.update(known)


def _fold_each_character_in_place() -> None:
    every = [chr(code) for code in range(0x30000) if not 0xD800 <= code < 0xE000]  # planes 0 to 2
    one_by_one = {char: fold(char) for char in every}
    assert all(len(folded) == 1 for folded in one_by_one.values())
    assert all(fold(folded) == folded for folded in one_by_one.values())  # a fold folds to itself
    for size in (5, 40):  # few distinct characters, then many
        for start in range(0, len(every), size * 7):
            text = "".join(every[start : start + size]) + " Ab, " + "".join(every[start : start + size])
            assert fold(text) == "".join(one_by_one[char] for char in text), text


def test_names_match_whatever_the_script_and_the_number_of_distinct_letters():
    names = Names([("Éloïse Palmer", "ep"), ("Ζωή Παππά", "zp")])
    greek = "αβγδεζηθικλμνξοπρστυφχψω" * 2
    for filler in ("", greek, greek.upper() + "ÀÉÎÕÜ" + "абвгдежзийклмнопрстуф"):
        html = f"<p>{filler} ÉLOÏSE PALMER et Ζωή Παππά, {filler} eloise palmer.</p>"
        assert [(m.person, m.text) for m in names.find(html)] == [
            ("ep", "ÉLOÏSE PALMER"),
            ("zp", "Ζωή Παππά"),
            ("ep", "eloise palmer"),
        ], filler


def test_the_longest_name_wins_where_names_overlap_and_first_skips_what_a_later_mention_covers():
    names = Names(
        [
            ("Antony Blinken", "ab"),
            ("Blinken", "ab"),
            ("Xi", "xi"),
            ("Xi Jinping", "xj"),
            ("Jinping Road", "jr"),
        ]
    )
    html = "<p>Xi Jinping Road, Antony Blinken; later <em>Antony Blinken</em> and Blinken.</p>"
    every = [(m.person, m.text) for m in names.find(html)]
    assert every == [
        ("xj", "Xi Jinping"),
        ("ab", "Antony Blinken"),
        ("ab", "Antony Blinken"),
        ("ab", "Blinken"),
    ]
    assert [(m.person, m.text) for m in names.find(html, first=True)] == every[:2]
    positions = [(m.start, m.end) for m in names.find(html)]
    assert [html[start:end] for start, end in positions] == [text for _, text in every]
