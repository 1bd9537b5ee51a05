"""The preview's first look: open pages made against the last build after a save, before the build.

What it promises is checked against the build itself: whenever it makes a page, the build that
follows writes that page byte for byte; and it makes none where it could be wrong.
"""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import pytest
from conftest import article
from test_incremental import GLOBAL_READERS
from test_incremental_fields import ARTICLE, PEOPLE, PERSON, TERMS, VOCABULARY, Site

from briefgen import pipeline
from briefgen.config import load_config
from briefgen.content.articles import Parsed
from briefgen.engine.resident import LastSite
from briefgen.index import build_index, related_of
from briefgen.model import Article, Content, Person, Term
from briefgen.preview.firstlook import first_look, first_looks, is_template, pages_again
from briefgen.theme import shipped_templates

# The only edits of an article's front matter that may leave it without a first look: those
# that can name people, topics or places no build has seen yet, give the page a new address,
# or take it off the site (a draft).
MAY_GO_WITHOUT = {
    "actors",
    "topics",
    "places",
    "events.actors",
    "events.topics",
    "events.places",
    "slug",
    "draft",
}


def test_whenever_a_first_look_is_made_the_build_then_writes_that_very_page(make_site, cli):
    rng = random.Random(20261207)
    project = make_site(Site().files(), basic=False)
    looked: set[str] = set()
    for key in ARTICLE:  # each from the same site, so that no earlier edit stands in its way
        site = Site()
        project.write(site.files())
        assert cli(project, "build", "-q").code == 0
        config = load_config(project.root)
        _, index, _ = pipeline.load(config)  # what the last build knew
        number = rng.choice(list(site.articles))
        values = site.articles[number]
        values[key] = rng.choice(ARTICLE[key][1:])
        project.write(site.files())
        look = first_look(config, index, project.root / f"content/a{number}.md")
        result = cli(project, "build", "-q")
        assert result.code == 0, (key, result.err)
        if look is not None:
            assert (project.root / "site" / look.output).read_bytes() == look.data, key
            looked.add(key)
    assert set(ARTICLE) - looked <= MAY_GO_WITHOUT


def test_a_persons_page_made_first_is_the_page_the_build_then_writes(make_site, cli):
    rng = random.Random(7)
    project = make_site(Site().files(), basic=False)
    looked: set[str] = set()
    for key in PERSON:
        site = Site()
        project.write(site.files())
        assert cli(project, "build", "-q").code == 0
        config = load_config(project.root)
        parsed: Parsed = {}  # filled by loading, as a build fills its parse cache
        _, index, specs = pipeline.load(config, parsed)
        last = LastSite(config, index, specs, parsed)
        pid = rng.choice(list(PEOPLE))
        site.people[pid][key] = rng.choice(PERSON[key][1:])
        project.write(site.files())
        page = f"people/{pid}/index.html"
        saved = project.root / f"content/people/{pid}.yaml"
        assert first_looks(config, last, saved, frozenset({"index.html"})) == ()  # their page is not open
        looks = first_looks(config, last, saved, frozenset({page, "index.html"}))
        assert cli(project, "build", "-q").code == 0
        for look in looks:
            assert look.output == page
            assert (project.root / "site" / page).read_bytes() == look.data, key
            looked.add(key)
    # names decide whose articles are whose: a look only when no article writes a name gained or
    # lost (the articles write every person by name; a new alias is written nowhere)
    assert set(PERSON) - looked == {"name"}


def test_no_first_look_where_the_last_build_cannot_show_the_page(make_site, cli):
    project = make_site()
    assert cli(project, "build", "-q").code == 0
    config = load_config(project.root)
    _, index, _ = pipeline.load(config)
    path = project.root / "content/2023-06-18-talks.md"
    original = path.read_text("utf-8")
    assert first_look(config, index, path) is not None  # as it was: the page it has
    for changed in (
        original.replace("actors: [Antony Blinken, qin gang]", "actors: [Antony Blinken, Xi Jinping]"),
        original.replace("topics: [Diplomacy, Taiwan]", "topics: [Diplomacy, Fisheries]"),
        original.replace('title: "Blinken meets Qin in Beijing"', 'title: "Blinken meets Qin'),
        original.replace("lang: en", "lang: en\nslug: another-address"),
        original.replace("lang: en", "lang: en\ndraft: true"),
    ):
        assert changed != original
        path.write_text(changed, "utf-8")
        assert first_look(config, index, path) is None, changed
    path.write_text(original, "utf-8")
    (project.root / "content/2023-06-20-new.md").write_text(original.replace("Blinken meets", "Now"), "utf-8")
    assert first_look(config, index, project.root / "content/2023-06-20-new.md") is None  # no page yet


def test_pages_made_again_after_a_template_save_are_the_pages_the_build_then_writes(make_site, cli):
    project = make_site()
    assert cli(project, "build", "-q").code == 0
    config = load_config(project.root)
    _, index, specs = pipeline.load(config)
    edits = {
        **GLOBAL_READERS,  # person and topic pages that read the whole index or bodies
        "templates/base.html": (shipped_templates() / "base.html")
        .read_text("utf-8")
        .replace("</footer>", "<p>Every page, edited.</p></footer>"),
    }
    project.write(edits)
    assert all(is_template(config, project.root / name) for name in edits)
    assert not is_template(config, project.root / "templates/static/style.css")
    shown = {"people/antony-blinken/index.html", "topics/diplomacy/index.html", "index.html", "nowhere.html"}
    looks = pages_again(config, index, specs, shown)
    assert {look.output for look in looks} == shown - {"nowhere.html"}  # a page the plan lacks: none
    assert cli(project, "build", "-q").code == 0
    for look in looks:
        assert (project.root / "site" / look.output).read_bytes() == look.data, look.output
        assert b"Every page, edited." in look.data


def test_an_article_naming_a_person_with_no_file_gets_a_first_look_once_their_page_exists(make_site, cli):
    project = make_site(
        {"content/2023-06-20-xi.md": article("Xi receives Blinken", "2023-06-19", actors="[Xi Jinping]")}
    )
    assert cli(project, "build", "-q").code == 0  # Xi Jinping has no file: a warning, and a page
    config = load_config(project.root)
    _, index, _ = pipeline.load(config)
    path = project.root / "content/2023-06-18-talks.md"
    path.write_text(
        path.read_text("utf-8").replace(
            "actors: [Antony Blinken, qin gang]", "actors: [Antony Blinken, qin gang, Xi Jinping]"
        ),
        "utf-8",
    )
    look = first_look(config, index, path)
    assert look is not None and b"people/xi-jinping/" in look.data
    assert cli(project, "build", "-q").code == 0
    assert (project.root / "site" / look.output).read_bytes() == look.data


@pytest.mark.parametrize("kind", sorted(VOCABULARY))
def test_a_topics_or_places_page_made_first_is_the_page_the_build_then_writes(make_site, cli, kind):
    rng = random.Random(11)
    project = make_site(Site().files(), basic=False)
    looked: set[str] = set()
    for key in VOCABULARY[kind]:
        site = Site()
        project.write(site.files())
        assert cli(project, "build", "-q").code == 0
        config = load_config(project.root)
        parsed: Parsed = {}
        _, index, specs = pipeline.load(config, parsed)
        slug = rng.choice(list(TERMS[kind]))
        site.terms[(kind, slug)][key] = rng.choice(VOCABULARY[kind][key][1:])
        project.write(site.files())
        page = f"{kind}/{slug}/index.html"
        looks = first_looks(
            config,
            LastSite(config, index, specs, parsed),
            project.root / f"content/{kind}/{slug}.yaml",
            frozenset({page}),
        )
        assert cli(project, "build", "-q").code == 0
        for look in looks:
            assert look.output == page
            assert (project.root / "site" / page).read_bytes() == look.data, key
            looked.add(key)
    # names show wherever the term does, and a place's timezone is that of the times written there
    assert set(VOCABULARY[kind]) - looked == {"name", "timezone"} & set(VOCABULARY[kind])


def test_no_persons_page_first_when_an_article_names_them_by_a_name_they_lose(make_site, cli):
    project = make_site()
    assert cli(project, "build", "-q").code == 0
    config = load_config(project.root)
    parsed: Parsed = {}
    _, index, specs = pipeline.load(config, parsed)
    last = LastSite(config, index, specs, parsed)
    shown = frozenset({"people/qin-gang/index.html"})
    person = project.root / "content/people/qin-gang.yaml"
    original = person.read_text("utf-8")
    person.write_text(original.replace('aliases: ["秦刚"]', 'aliases: ["秦刚", "Comrade Qin"]'), "utf-8")
    assert len(first_looks(config, last, person, shown)) == 1  # an alias no article writes
    person.write_text(original.replace('aliases: ["秦刚"]', "aliases: []"), "utf-8")
    assert first_looks(config, last, person, shown) == ()  # the talks name an event's actor 秦刚


def _article(n: int, rng: random.Random, people: list[str], topics: list[str]) -> Article:
    day = dt.date(2024, 1, 1) + dt.timedelta(days=rng.randrange(40))
    moment = dt.datetime(day.year, day.month, day.day, rng.randrange(24), tzinfo=dt.UTC) if n % 3 else None
    return Article(
        slug=f"a{n:03d}",
        path=Path(f"a{n:03d}.md"),
        title=f"Article {n}",
        day=day,
        moment=moment,
        lang="en",
        actors=tuple(rng.sample(people, rng.randint(1, 3))),
        topics=tuple(Term(slug, slug.title()) for slug in rng.sample(topics, rng.randint(0, 2))),
    )


def test_related_articles_of_one_edited_article_are_ranked_as_the_whole_index_ranks_them():
    rng = random.Random(7)
    people = [f"p{n}" for n in range(8)]
    topics = [f"t{n}" for n in range(5)]
    articles = [_article(n, rng, people, topics) for n in range(120)]
    persons = tuple(Person(pid, pid.upper()) for pid in people)
    before = build_index(Content(tuple(articles), persons), related_limit=5)
    for _ in range(40):
        at = rng.randrange(len(articles))
        edited = _article(at, rng, people, topics)  # same slug, other people, topics and time
        after = [*articles[:at], edited, *articles[at + 1 :]]
        expected = build_index(Content(tuple(after), persons), related_limit=5).related[edited.slug]
        assert related_of(before, edited, 5) == expected
    added = _article(500, rng, people, topics)
    expected = build_index(Content((*articles, added), persons), related_limit=5).related[added.slug]
    assert related_of(before, added, 5) == expected
    assert related_of(before, added, 0) == ()


def test_the_preview_collects_a_builds_garbage_while_idle_and_never_while_it_makes_a_page_first(
    make_site, monkeypatch
):
    """After a build the collector's pass over the build's objects (0.3 s at 10,000 articles) came
    with the next allocations: most often while the next save's page was made first, which it
    made twice as slow to show. The preview runs that pass once nothing happens for a
    moment, and keeps the collector off while it makes a page first."""
    import gc
    import time

    from briefgen.preview import building

    project = make_site()
    builder = building.SiteBuilder(project.root, lambda: load_config(project.root), after_html=None)
    monkeypatch.setattr(builder._tidy, "after", 0.2)
    passes = []  # full collections that started, and whether a page was being made first then
    making_first: list[bool] = [False]
    looks = building.first_looks

    def looking(*args, **kwargs):  # type: ignore[no-untyped-def]
        making_first[0] = True
        try:
            return looks(*args, **kwargs)
        finally:
            making_first[0] = False

    def heard(phase: str, info: dict[str, int]) -> None:
        if phase == "start" and info["generation"] == 2:
            passes.append(making_first[0])

    monkeypatch.setattr(building, "first_looks", looking)
    gc.callbacks.append(heard)
    try:
        assert builder(frozenset()).ok
        time.sleep(1.0)  # idle: the pass runs
        assert passes and not any(passes)
        path = project.root / "content/2023-06-18-talks.md"
        path.write_text(path.read_text("utf-8").replace("five hours", "six hours"), "utf-8")
        before = len(passes)
        threshold = gc.get_threshold()
        gc.set_threshold(1, 1, 1)  # any allocation starts a pass, if the collector is on
        try:
            shown = builder.first_look(frozenset({path}), frozenset({"articles/2023-06-18-talks/index.html"}))
        finally:
            gc.set_threshold(*threshold)
        assert shown and b"six hours" in shown[0].data
        assert passes[before:] == []  # none while the page was made first
    finally:
        gc.callbacks.remove(heard)
        builder.close()
