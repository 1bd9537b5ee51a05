"""Full-text search in a real browser: Pagefind's index, made by the build, read by Chromium.

The site is served by Python's plain static server (search must work from any static server) and
by the preview server; from disk, the search page explains that it needs a server.
"""

from __future__ import annotations

import functools
import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import CHROMIUM, Project, article
from playwright.sync_api import Browser, Page, expect

from briefgen import search
from briefgen.build import build as run_build
from briefgen.build import update_search_index
from briefgen.config import load_config
from briefgen.preview.building import SiteBuilder
from briefgen.preview.server import Preview
from briefgen.preview.watch import project_sources

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium"),
]

expect.set_options(timeout=15_000)

SITE = {
    "briefgen.yaml": "title: Search test\nlanguage: en\ndigest: {enabled: false}\n",
    "content/people/wang-yi.yaml": "name: Wang Yi\ndescription: China's most senior diplomat.\n",
    "content/2023-06-19-wang.md": article(
        "Wang Yi receives the Secretary",
        "2023-06-19T10:00:00+08:00",
        "Wang Yi set out red lines on Taiwan during a three-hour meeting.",
        lang="en",
        actors="[Wang Yi, Antony Blinken]",
        topics="[Taiwan]",
    ),
    "content/2023-06-17-trade.md": article(
        "Trade figures for May",
        "2023-06-17",
        "Exports fell for a second month; no minister commented.",
        lang="en",
        topics="[Trade]",
    ),
    "content/2023-06-16-preview.md": article(
        "Les négociations de Pékin",
        "2023-06-16",
        "Une semaine de négociations attend Antony Blinken, qui espère une issue heureuse,"
        " sans rencontre prévue avec Wang Yi.",
        lang="fr",
        actors="[Antony Blinken]",
        topics="[Diplomacy]",
    ),
}


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1000, "height": 900})
    yield context.new_page()
    context.close()


@pytest.fixture
def static_server() -> Iterator[object]:
    """Serve a folder with Python's own static file server, as any host would."""
    servers: list[http.server.ThreadingHTTPServer] = []

    def start(folder: Path) -> str:
        handler = functools.partial(Quiet, directory=str(folder))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


LIST = "site/pagefind/shards.json"  # written last by an update of the index


def build(make_site, cli) -> Project:  # type: ignore[no-untyped-def]
    project = make_site(SITE)
    result = cli(project, "build", "-q")
    assert result.code == 0, result.err
    assert (project.root / LIST).is_file()
    return project


def indexed(project: Project) -> int:
    """Pages in the index, over all its shards and languages."""
    total = 0
    for shard in json.loads(project.read(LIST))["shards"]:
        entry = json.loads(project.read(f"site/pagefind/{shard['path']}pagefind-entry.json"))
        total += sum(language["page_count"] for language in entry["languages"].values())
    return total


def results(page: Page) -> list[str]:
    links = page.locator(".pagefind-ui__result-link")
    expect(links.first).to_be_visible()
    return [text.strip() for text in links.all_inner_texts()]


@pytest.mark.parametrize("per_shard", [search.PAGES_PER_SHARD, 2], ids=["per language", "many shards"])
def test_a_persons_name_finds_their_page_first_and_the_person_filter_narrows(
    make_site, cli, static_server, page, monkeypatch, per_shard
):
    monkeypatch.setattr(search, "PAGES_PER_SHARD", per_shard)
    project = build(make_site, cli)
    shards = len(json.loads(project.read(LIST))["shards"])
    # English and French articles, and the person, topic and place pages; or more, of 2 pages at most
    assert shards == 3 if per_shard > 2 else shards > 4
    base = static_server(project.root / "site")
    page.goto(base + "search/index.html?q=Wang%20Yi")
    found = results(page)
    # his own page first; in shards of two pages, each scored on its own statistics, the order
    # of the first two is not meaningful (real shards hold hundreds of pages)
    assert found[0] == "Wang Yi" if per_shard > 2 else "Wang Yi" in found[:2]
    assert "Wang Yi receives the Secretary" in found
    assert "Les négociations de Pékin" in found  # French pages are searched too, merged in
    assert "Trade figures for May" not in found
    # filter by person: the French preview names him in its body only, not among its people
    page.locator(".pagefind-ui__filter-name", has_text="Person").click()
    page.locator('input[name="Person"][value="Wang Yi"]').check()
    expect(page.locator(".pagefind-ui__result-link")).to_have_count(2)
    narrowed = results(page)
    assert set(narrowed) == {"Wang Yi", "Wang Yi receives the Secretary"}
    # and by kind of page
    page.locator(".pagefind-ui__filter-name", has_text="Kind of page").click()
    page.locator('input[name="Kind of page"][value="Article"]').check()
    expect(page.locator(".pagefind-ui__result-link")).to_have_count(1)
    assert results(page) == ["Wang Yi receives the Secretary"]


@pytest.mark.parametrize("per_shard", [search.PAGES_PER_SHARD, 2], ids=["per language", "many shards"])
def test_french_pages_are_stemmed_in_french_and_the_header_box_searches(
    make_site, cli, static_server, page, monkeypatch, per_shard
):
    monkeypatch.setattr(search, "PAGES_PER_SHARD", per_shard)
    project = build(make_site, cli)
    base = static_server(project.root / "site")
    page.goto(base + "articles/2023-06-17-trade/index.html")
    # French stemming: "heureux" and "heureuse" share a French stem (an English one would not)
    page.get_by_role("searchbox").fill("heureux")
    page.get_by_role("searchbox").press("Enter")
    expect(page).to_have_url(base + "search/index.html?q=heureux")
    assert results(page) == ["Les négociations de Pékin"]
    page.goto(base + "search/index.html?q=n%C3%A9gociation")
    assert results(page)[0] == "Les négociations de Pékin"


def test_search_works_from_the_preview_server(make_site, page):
    project = make_site(SITE)
    config = load_config(project.root)
    builder = SiteBuilder(project.root, lambda: load_config(project.root))
    preview = Preview(builder, config.output_dir, sources=project_sources(config), port=0, log=lambda _: None)
    preview.start()
    try:
        # the preview indexes in its background pass, after the pages (as it makes PDF digests)
        assert builder.wait_background(60)
        assert (project.root / LIST).is_file()
        page.goto(preview.url + "search/index.html?q=exports")
        assert results(page) == ["Trade figures for May"]
    finally:
        preview.stop()
        builder.close()


def test_from_disk_the_search_page_says_it_needs_a_server(make_site, cli, page):
    project = build(make_site, cli)
    page.goto((project.root / "site/search/index.html").as_uri())
    expect(page.locator("#search-needs-server")).to_be_visible()


def test_without_pagefind_the_build_warns_once_and_search_says_it_is_unavailable(
    make_site, cli, static_server, page, monkeypatch
):
    project = build(make_site, cli)  # an index from an earlier build, with Pagefind
    monkeypatch.setattr(search, "pagefind_binary", lambda: None)  # as on a machine without it
    project.write({"content/2023-06-17-trade.md": SITE["content/2023-06-17-trade.md"] + "\nMore.\n"})
    result = cli(project, "build")
    assert result.code == 0
    assert result.err.count("Pagefind is not installed") == 1
    assert not (project.root / "site/pagefind").exists()  # the old index no longer matches the pages
    page.goto(static_server(project.root / "site") + "search/index.html?q=Wang")
    notice = page.locator("#search-unavailable")
    expect(notice).to_be_visible()
    expect(notice).to_have_text("Search is unavailable on this copy of the site.")


def test_a_build_that_skips_indexing_leaves_it_to_the_next_build(make_site, cli):
    """The preview builds pages without indexing, then indexes in its background pass."""
    project = build(make_site, cli)
    config = load_config(project.root)
    before = indexed(project)
    project.write({"content/2023-06-20-new.md": article("New", "2023-06-20", lang="en")})
    result = run_build(config, digests=False, search_index=False)
    assert "articles/2023-06-20-new/index.html" in result.changed
    assert indexed(project) == before
    again = run_build(config)  # no page changes now, but the index is out of date
    assert again.changed == ()
    assert indexed(project) == before + 1
    made = (project.root / LIST).stat().st_mtime_ns
    assert run_build(config).changed == ()  # and once made, it is left alone
    assert (project.root / LIST).stat().st_mtime_ns == made


def test_a_site_with_nothing_to_index_yet_builds_and_indexes_its_first_article(
    make_site, cli, static_server, page
):
    project = make_site({"briefgen.yaml": SITE["briefgen.yaml"], "content/.keep": ""}, basic=False)
    result = cli(project, "build", "-q")
    assert result.code == 0, result.err
    assert result.err == ""
    assert json.loads(project.read(LIST))["shards"] == []
    page.goto(static_server(project.root / "site") + "search/index.html?q=Trade")
    expect(page.locator("#search-empty")).to_have_text(
        "There is nothing to search yet: the site has no articles."
    )
    expect(page.locator("#search-unavailable")).to_be_hidden()
    project.write({"content/2023-06-17-trade.md": SITE["content/2023-06-17-trade.md"]})
    assert cli(project, "build", "-q").code == 0
    assert indexed(project) == 2  # the article and its topic's page


def test_build_no_search_skips_the_index_until_a_build_without_it(make_site, cli):
    project = make_site(SITE)
    assert cli(project, "build", "-q", "--no-search").code == 0
    assert (project.root / "site/search/index.html").is_file()
    assert not (project.root / "site/pagefind").exists()
    result = cli(project, "build", "-q")
    assert result.code == 0
    assert result.out == "" and result.err == ""
    assert (project.root / LIST).is_file()


def test_a_save_stops_indexing_and_the_next_pass_indexes_the_new_pages(make_site, cli):
    """In the preview a save sets the pass's stop event: Pagefind is ended, never waited for."""
    project = build(make_site, cli)
    config = load_config(project.root)
    entry = project.root / LIST
    made = entry.stat().st_mtime_ns
    project.write({"content/2023-06-20-new.md": article("New", "2023-06-20", lang="en")})
    run_build(config, digests=False, search_index=False)
    stop = threading.Event()
    stop.set()  # the save came before Pagefind could finish
    assert update_search_index(config, stop) is None  # no warning: nothing went wrong
    assert entry.stat().st_mtime_ns == made  # the old index is kept whole...
    leftovers = {p.name for p in (project.root / "site/pagefind").iterdir() if p.name.startswith(".")}
    assert leftovers <= {search.RECORD_FILE}  # no half-made shard
    assert update_search_index(config) is None  # ...and the next pass makes it from the new pages
    assert entry.stat().st_mtime_ns != made


def shard_files(project: Project) -> dict[str, dict[str, tuple[int, bytes]]]:
    """Each shard's files, with their modification time and bytes."""
    folder = project.root / "site/pagefind"
    return {
        shard["path"]: {
            p.relative_to(folder).as_posix(): (p.stat().st_mtime_ns, p.read_bytes())
            for p in sorted((folder / shard["path"]).rglob("*"))
            if p.is_file()
        }
        for shard in json.loads(project.read(LIST))["shards"]
    }


def test_an_edit_makes_again_only_its_shard_and_search_finds_the_new_text(
    make_site, cli, static_server, page, monkeypatch
):
    monkeypatch.setattr(search, "PAGES_PER_SHARD", 2)  # this small site in shards of at most 2 pages
    project = build(make_site, cli)
    before = shard_files(project)
    assert len(before) > 3
    trade = "content/2023-06-17-trade.md"
    project.write({trade: SITE[trade].replace("no minister commented", "the zanzibar clause held")})
    result = run_build(load_config(project.root))
    assert result.changed == ("articles/2023-06-17-trade/index.html",)
    after = shard_files(project)
    assert after.keys() == before.keys()
    remade = [shard for shard in before if after[shard] != before[shard]]
    assert len(remade) == 1  # the shard of the edited page; every file of the three others untouched
    made = result.indexing
    entry = json.loads(project.read(f"site/pagefind/{remade[0]}pagefind-entry.json"))
    in_shard = sum(language["page_count"] for language in entry["languages"].values())
    assert made.shards == 1 and made.pages == in_shard < indexed(project)  # that shard's pages only
    noun = "page" if made.pages == 1 else "pages"
    said = (
        f"; search index: 1 shard ({made.pages} {noun}) made again in {made.seconds:.2f} s, Pagefind peaking"
    )
    assert said in result.summary() and 1 < made.peak_mib < 400
    base = static_server(project.root / "site")
    page.goto(base + "search/index.html?q=zanzibar")
    assert results(page) == ["Trade figures for May"]
    page.goto(base + "search/index.html?q=commented")  # the word the edit took out
    expect(page.locator(".pagefind-ui__message")).to_contain_text("No results")
    expect(page.locator(".pagefind-ui__result-link")).to_have_count(0)


def test_shards_follow_language_section_and_page_path_and_double_as_the_site_grows() -> None:
    def site(articles: int, edited: str = "") -> dict[str, tuple[str, str]]:
        pages = {f"articles/a{n}/index.html": (edited if n == 7 else str(n), "fr") for n in range(articles)}
        return {**pages, "people/wang-yi/index.html": ("p", "en")}

    four = search.plan(site(1200), {})
    assert sorted({name.rsplit("-", 1)[0] for name in four}) == ["en-entries-1", "fr-articles-4"]  # <= 500
    edited = search.plan(site(1200, edited="new"), {"fr-articles": 4, "en-entries": 1})
    assert [sorted(s) for s in edited.values()] == [sorted(s) for s in four.values()]  # an edit moves nothing
    # a few pages more or fewer keep the count; past 500 a shard, each shard splits in two
    kept = {"en-entries-1", "fr-articles-4"}
    assert {name.rsplit("-", 1)[0] for name in search.plan(site(1201), {"fr-articles": 4})} == kept
    assert {name.rsplit("-", 1)[0] for name in search.plan(site(600), {"fr-articles": 4})} == kept
    grown = search.plan(site(2100), {"fr-articles": 4, "en-entries": 1})
    assert len([name for name in grown if name.startswith("fr-articles-8-")]) == 8
    huge = search.plan(site(20_000), {})  # past MOST_SHARDS of 500 pages, shards grow instead
    assert len([name for name in huge if name.startswith("fr-articles-")]) == search.MOST_SHARDS
    for name, members in four.items():  # shard k of 4 becomes shards k and k+4 of 8
        if name.startswith("fr-"):
            number = int(name.rsplit("-", 1)[1])
            split = set(grown[f"fr-articles-8-{number}"]) | set(grown[f"fr-articles-8-{number + 4}"])
            assert set(members) <= split


def test_a_change_only_where_pagefind_does_not_read_leaves_the_digest_alone() -> None:
    page = (
        '<html lang="fr"><body data-pagefind-body><h1>Wang Yi</h1><p>Text.</p>'
        '<section class="related" data-pagefind-ignore><section><a href="a/">{}</a></section>'
        "<img src=x.png></section><p>After.</p></body></html>"
    )
    same = search.search_digest(page.format("One").encode())
    assert search.search_digest(page.format("Another").encode()) == same  # related articles only
    assert search.search_digest(page.format("One").replace("After", "Later").encode()) != same
    unclosed = b"<body><div data-pagefind-ignore><p>Text</p></body>"
    assert search.search_digest(unclosed) != search.search_digest(unclosed.replace(b"Text", b"More"))
