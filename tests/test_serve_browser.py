"""Live preview in a real browser: Debian's headless Chromium, driven by Playwright, watching real saves.

Each test edits files the way editors do (a temporary file renamed over the original) while a page
is open, and checks what the page shows: the new text, the overlay for a broken file, a restyle.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import CHROMIUM, Project, article
from playwright.sync_api import Browser, Page, expect

from briefgen.build import build
from briefgen.config import load_config
from briefgen.preview.building import SiteBuilder
from briefgen.preview.livereload import RebuildReport
from briefgen.preview.server import Preview
from briefgen.preview.watch import project_sources
from briefgen.theme import shipped_templates

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="needs Debian's chromium at /usr/bin/chromium (apt-get install chromium; .ci/run installs it)",
    ),
]

expect.set_options(timeout=10_000)  # generous for a loaded CI machine; a pass takes well under 1 s

TALKS = "content/2023-06-18-talks.md"
TALKS_URL = "articles/2023-06-18-talks/"
PARAGRAPHS = "\n\n".join(f"Paragraph {n} of a long report on the talks." for n in range(60))


def talks(body: str = PARAGRAPHS, actors: str = "[Antony Blinken, qin gang]") -> str:
    return article(
        "Blinken meets Qin in Beijing",
        "2023-06-18T10:00:00+08:00",
        body,
        lang="en",
        actors=actors,
        topics="[Diplomacy]",
    )


def save(path: Path, text: str) -> None:
    """Save as most editors do: write a temporary file, then rename it over the original."""
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temp.write_text(text, "utf-8")
    os.replace(temp, path)


def quiet(line: str) -> None:
    """Keep the server's terminal lines out of the test output."""


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 800, "height": 400})
    yield context.new_page()
    context.close()


@dataclass
class Live:
    project: Project
    preview: Preview

    def url(self, path: str = "") -> str:
        return self.preview.url + path

    def save(self, relative: str, text: str) -> None:
        save(self.project.root / relative, text)


@pytest.fixture
def live(make_site) -> Iterator[Live]:
    """`briefgen serve` on a small site: the real build, the real watcher, a free port."""
    project = make_site(
        {
            "briefgen.yaml": "title: Live preview test\nlanguage: en\ndigest: {enabled: false}\n",
            TALKS: talks(),
            "content/people/wang-yi.yaml": "name: Wang Yi\n",
            "static/style.css": "h1 { color: rgb(0, 0, 255); }\n",
        }
    )
    config = load_config(project.root)
    builder = SiteBuilder(project.root, lambda: load_config(project.root))
    preview = Preview(builder, config.output_dir, sources=project_sources(config), port=0, log=quiet)
    preview.start()
    yield Live(project, preview)
    preview.stop()
    builder.close()


def open_page(page: Page, url: str) -> None:
    page.goto(url)
    page.wait_for_function("document.readyState === 'complete'")
    page.evaluate("window.openedOnce = true")  # a full reload forgets this; a stylesheet swap keeps it


def test_saving_an_article_updates_it_in_place_and_leaves_other_pages_alone(live, page, browser):
    open_page(page, live.url(TALKS_URL))
    page.evaluate("window.scrollTo(0, 600)")
    other = browser.new_page()
    try:
        open_page(other, live.url("people/antony-blinken/"))  # lists the article's title, not its body
        live.save(TALKS, talks(PARAGRAPHS.replace("Paragraph 0 of", "Edited first paragraph of")))
        expect(page.locator("article")).to_contain_text("Edited first paragraph")
        page.wait_for_function("window.scrollY === 600", timeout=5000)  # the reader stays put
        assert not page.evaluate("window.openedOnce === true")  # it did reload
        assert other.evaluate("window.openedOnce === true")  # that page's output did not change
    finally:
        other.close()


def test_adding_an_actor_adds_the_article_to_their_page(live, page):
    open_page(page, live.url("people/wang-yi/"))
    articles = page.locator(".person-articles")
    expect(articles).not_to_contain_text("Blinken meets Qin in Beijing")
    live.save(TALKS, talks(actors="[Antony Blinken, qin gang, Wang Yi]"))
    expect(articles).to_contain_text("Blinken meets Qin in Beijing")


class HeldBuilds(SiteBuilder):
    """The real builder, each build held back `delay` seconds first: as slow as a large archive's."""

    delay = 0.0

    def __call__(self, sources: frozenset[Path]) -> RebuildReport:
        time.sleep(self.delay)
        return super().__call__(sources)


@pytest.fixture(params=["new site", "site built before"])
def held(make_site, request) -> Iterator[tuple[Project, HeldBuilds, Preview]]:
    """`briefgen serve` on a small site with the site's own person template, builds held at will:
    on a new site (its first build makes every page), or on a site built before (its first build
    has nothing to do, and what the first look needs is made in the background)."""
    project = make_site(
        {
            "briefgen.yaml": "title: Live preview test\nlanguage: en\ndigest: {enabled: false}\n",
            TALKS: talks(),
            "templates/person.html": (shipped_templates() / "person.html").read_text("utf-8"),
        }
    )
    config = load_config(project.root)
    if request.param == "site built before":
        build(config, digests=False)
    builder = HeldBuilds(project.root, lambda: load_config(project.root))
    preview = Preview(
        builder,
        config.output_dir,
        sources=project_sources(config),
        port=0,
        log=quiet,
        first_look=builder.first_look,
    )
    preview.start()
    assert builder.wait_background(30)  # the search index, and what the first look needs if not made
    yield project, builder, preview
    preview.stop()
    builder.close()


def test_a_front_matter_save_shows_the_saved_page_before_the_build_which_then_leaves_it_be(
    held, page, browser
):
    project, builder, preview = held
    other = browser.new_page()
    try:
        open_page(page, preview.url + TALKS_URL)
        open_page(other, preview.url + "people/antony-blinken/")  # lists the article by its title
        builds = preview.live.builds
        builder.delay = 4.0
        save(
            project.root / TALKS,
            talks().replace("Blinken meets Qin in Beijing", "Blinken and Qin meet again"),
        )
        expect(page.locator("h1")).to_contain_text("meet again", timeout=3000)  # the build is still held
        assert preview.live.builds == builds
        page.evaluate("window.shownEarly = true")
        expect(other.locator("main")).to_contain_text("meet again", timeout=20_000)  # after the build
        assert preview.live.builds == builds + 1
        page.wait_for_timeout(500)  # time enough for a reload, were one asked for
        assert page.evaluate("window.shownEarly === true")  # the build made the same page: kept
    finally:
        other.close()


def test_a_template_save_shows_the_open_page_made_again_before_the_build(held, page):
    project, builder, preview = held
    open_page(page, preview.url + "people/antony-blinken/")
    template = project.root / "templates/person.html"
    builds = preview.live.builds
    builder.delay = 4.0
    save(
        template,
        template.read_text("utf-8").replace("{% block main %}", "{% block main %}<p id=new>Edited</p>", 1),
    )
    expect(page.locator("#new")).to_have_text("Edited", timeout=3000)  # the build is still held
    assert preview.live.builds == builds
    page.evaluate("window.shownEarly = true")
    preview.live.wait_for_build(20)
    assert preview.live.builds == builds + 1
    page.wait_for_timeout(500)  # time enough for a reload, were one asked for
    assert page.evaluate("window.shownEarly === true")


def test_a_broken_file_shows_an_overlay_with_file_and_line_until_it_is_fixed(live, page, browser):
    open_page(page, live.url(TALKS_URL))
    live.save(TALKS, talks().replace('title: "Blinken meets Qin in Beijing"', 'title: "Blinken meets Qin'))
    overlay = page.locator("#briefgen-overlay")
    expect(overlay).to_be_visible()
    expect(overlay).to_contain_text(f"{TALKS}:2: YAML syntax error")
    expect(page.locator("article")).to_contain_text("Paragraph 1 of")  # the last good page, underneath
    later = browser.new_page()  # a page opened while the site is broken shows the overlay too
    try:
        later.goto(live.url())
        expect(later.locator("#briefgen-overlay")).to_contain_text(f"{TALKS}:2")
        live.save(TALKS, talks())
        expect(overlay).to_have_count(0)
        expect(later.locator("#briefgen-overlay")).to_have_count(0)
    finally:
        later.close()


def test_a_stylesheet_change_restyles_the_page_without_reloading_it(live, page):
    open_page(page, live.url(TALKS_URL))
    heading = page.locator("h1").first
    expect(heading).to_have_css("color", "rgb(0, 0, 255)")
    live.save("static/style.css", "h1 { color: rgb(200, 0, 0); }\n")
    expect(heading).to_have_css("color", "rgb(200, 0, 0)")
    assert page.evaluate("window.openedOnce === true")  # same document: no navigation happened


def test_a_burst_of_50_saves_rebuilds_a_few_times_and_shows_the_last(live, page):
    open_page(page, live.url(TALKS_URL))
    before = live.preview.live.builds
    for n in range(50):
        live.save(TALKS, talks(f"Save number {n:02d}."))
    body = page.locator("article")
    expect(body).to_contain_text("Save number 49")
    expect(body).not_to_contain_text("Save number 48")
    assert live.preview.live.builds - before <= 3


def test_a_page_reconnects_by_itself_after_the_server_restarts(live, page):
    open_page(page, live.url(TALKS_URL))
    host, port = live.preview.server.server_address[:2]
    live.preview.stop()
    config = load_config(live.project.root)
    builder = SiteBuilder(live.project.root, lambda: load_config(live.project.root))
    restarted = Preview(
        builder, config.output_dir, sources=project_sources(config), host=str(host), port=port, log=quiet
    )
    live.preview = restarted  # the fixture stops this one
    restarted.start()
    live.save(TALKS, talks("Written after the restart."))
    expect(page.locator("article")).to_contain_text("Written after the restart.")
