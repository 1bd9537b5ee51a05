"""What a newcomer sees in a real browser (Debian's Chromium through Playwright): the 404 page at
depth, the preview's error overlay, the people index on a phone, article lines beside their date."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import CHROMIUM, Project, article
from playwright.sync_api import Browser, Page, expect
from test_serve_browser import quiet, save

from briefgen.config import load_config
from briefgen.preview.building import SiteBuilder
from briefgen.preview.server import Preview
from briefgen.preview.watch import project_sources

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium"),
]

LONG_SOURCE = "Ministère des Affaires étrangères de la République populaire de Chine, service de presse"
ROLES = """
    name: {name}
    lang: en
    roles:
      - title: Minister of Foreign Affairs of the People's Republic of China
        organisation: State Council
        from: 2022-12-30
    """
FILES = {
    "briefgen.yaml": "title: Revue\nlanguage: fr\ndigest: {enabled: false}\n",
    **{
        f"content/people/person-{n}.yaml": ROLES.format(name=f"Alexandria Ocasio-Cortez {n}")
        for n in range(6)
    },
    "content/2023-06-20-source.md": article(
        "Un article dont la source porte un nom très long",
        "2023-06-20",
        actors="[person-0]",
        source=f'{{name: "{LONG_SOURCE}"}}',
    ),
}


def new_page(browser: Browser, width: int) -> Page:
    return browser.new_context(viewport={"width": width, "height": 800}).new_page()


@pytest.fixture
def preview(make_site) -> Iterator[tuple[Project, Preview]]:
    project = make_site(FILES)
    config = load_config(project.root)
    builder = SiteBuilder(project.root, lambda: load_config(project.root))
    running = Preview(builder, config.output_dir, sources=project_sources(config), port=0, log=quiet)
    running.start()
    yield project, running
    running.stop()
    builder.close()


def test_the_404_page_two_folders_deep_is_styled_and_every_link_leads_somewhere(preview, browser):
    _, running = preview
    page = new_page(browser, 1280)
    try:
        response = page.goto(running.url + "people/nobody/")
        assert response is not None and response.status == 404
        expect(page.locator("h1")).to_have_text("Page introuvable")
        expect(page.locator(".site-header")).to_have_css("border-bottom-width", "3px")  # style.css
        hrefs = page.eval_on_selector_all("a[href]:not([href^='#'])", "links => links.map(a => a.href)")
        assert len(hrefs) >= 9
        for href in hrefs:
            assert page.request.get(href).status == 200, href
    finally:
        page.context.close()


def test_with_a_base_url_path_the_preview_serves_the_site_under_it_and_its_404_works(make_site, browser):
    project = make_site(
        {**FILES, "briefgen.yaml": FILES["briefgen.yaml"] + "base_url: https://example.org/briefing/\n"}
    )
    config = load_config(project.root)
    builder = SiteBuilder(project.root, lambda: load_config(project.root))
    running = Preview(
        builder, config.output_dir, sources=project_sources(config), port=0, log=quiet, prefix="/briefing/"
    )
    running.start()
    page = new_page(browser, 1280)
    try:
        assert running.url.endswith("/briefing/")
        home = page.goto(running.url.removesuffix("briefing/"))  # the bare root leads to the site
        assert home is not None and home.status == 200 and page.url == running.url
        response = page.goto(running.url + "people/nobody/")
        assert response is not None and response.status == 404
        expect(page.locator(".site-header")).to_have_css("border-bottom-width", "3px")  # style.css
        hrefs = page.eval_on_selector_all("a[href]:not([href^='#'])", "links => links.map(a => a.href)")
        assert len(hrefs) >= 9 and all("/briefing/" in href for href in hrefs)
        for href in hrefs:
            assert page.request.get(href).status == 200, href
    finally:
        page.context.close()
        running.stop()
        builder.close()


def test_the_error_overlay_hides_the_page_underneath(preview, browser):
    project, running = preview
    page = new_page(browser, 800)
    try:
        page.goto(running.url + "people/")
        page.wait_for_function("document.readyState === 'complete'")
        save(project.root / "content/2023-06-20-source.md", '---\ntitle: "broken\n---\n')
        overlay = page.locator("#briefgen-overlay")
        expect(overlay).to_be_visible()
        color = overlay.evaluate("box => getComputedStyle(box).backgroundColor")
        assert color.startswith("rgb("), color  # rgba(...) would let the page show through
    finally:
        page.context.close()


def built_page(preview: tuple[Project, Preview], path: str) -> str:
    project, _ = preview
    return (Path(project.root) / "site" / path).as_uri()


def test_the_people_index_on_a_phone_is_one_column_with_roles_and_unwrapped_counts(preview, browser):
    page = new_page(browser, 390)
    try:
        page.goto(built_page(preview, "people/index.html"))
        items = page.locator(".index-list li")
        lefts = {round(box["x"]) for box in (items.nth(i).bounding_box() for i in range(items.count()))}
        assert len(lefts) == 1  # one column
        first = items.filter(has_text="Alexandria Ocasio-Cortez 0")
        expect(first.locator(".role")).to_have_text(
            "Minister of Foreign Affairs of the People’s Republic of China, State Council"  # typographic
        )
        for i in range(items.count()):
            count = items.nth(i).locator(".count")
            one_line = count.evaluate(  # a wrapped text has a box per line
                "c => { const r = document.createRange(); r.selectNodeContents(c);"
                " return new Set([...r.getClientRects()].map(b => Math.round(b.top))).size === 1; }"
            )
            assert one_line, count.inner_text()
            name = items.nth(i).locator("a.person")
            assert len(name.evaluate("a => [...a.getClientRects()]")) == 1  # the name is not broken up
    finally:
        page.context.close()


def test_a_long_source_wraps_beside_the_date_not_under_it(preview, browser):
    page = new_page(browser, 1280)
    try:
        page.goto(built_page(preview, "people/person-0/index.html"))
        line = page.locator(".article-line").first
        expect(line).to_contain_text(LONG_SOURCE)
        day = line.locator("a.day").bounding_box()
        text = line.locator(".line-text").bounding_box()
        assert day is not None and text is not None
        assert text["x"] >= day["x"] + day["width"]
    finally:
        page.context.close()
