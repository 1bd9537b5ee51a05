"""The site pipeline without a disk: load -> index -> plan -> render over a site held in memory."""

from __future__ import annotations

import multiprocessing
import os
import re
import time
from pathlib import Path

import pytest
from conftest import article

from briefgen import pipeline
from briefgen.config import SiteConfig
from briefgen.errors import BuildError, Problems
from briefgen.files import MemoryFiles

ROOT = Path("/nowhere/briefing")  # never created: every file is in memory

SITE = {
    "content/people/qin-gang.yaml": "name: Qin Gang\naliases: [秦刚]\n",
    "content/people/antony-blinken.yaml": "name: Antony Blinken\n",
    "content/places/beijing.yaml": "name: Beijing\ntimezone: Asia/Shanghai\n",
    "content/2023-06-18-talks.md": article(
        "Blinken and Qin hold talks",
        "2023-06-18T09:30:00+08:00",
        "The two ministers spoke for *five hours*.",
        actors="[Antony Blinken, Qin Gang]",
        topics="[Diplomacy]",
        places="[Beijing]",
    ),
}


def memory_site(files: dict[str, str], **settings: object) -> tuple[SiteConfig, MemoryFiles]:
    config = SiteConfig(root=ROOT, **settings)  # type: ignore[arg-type]
    return config, MemoryFiles({ROOT / name: text for name, text in files.items()})


def pages(config: SiteConfig, files: MemoryFiles) -> dict[str, str]:
    content = pipeline.load(config, files=files)[0]
    index = pipeline.index(config, content)
    _, specs = pipeline.plan(config, content)
    return {spec.output: html for spec, html in pipeline.render(config, index, specs, files)}


def links(html: str) -> list[str]:
    return re.findall(r'href="([^"]+)"', html)


def test_an_article_page_links_its_people_and_a_person_page_lists_the_article():
    site = pages(*memory_site(SITE))
    talks = site["articles/2023-06-18-talks/index.html"]
    assert "<em>five hours</em>" in talks
    people = ["../../people/antony-blinken/index.html", "../../people/qin-gang/index.html"]
    assert set(people) <= set(links(talks))
    qin = site["people/qin-gang/index.html"]
    assert "Blinken and Qin hold talks" in qin
    assert "../../articles/2023-06-18-talks/index.html" in links(qin)
    assert "Blinken and Qin hold talks" in site["places/beijing/index.html"]


def test_the_site_own_templates_come_from_the_same_files():
    files = {**SITE, "templates/person.html": "{{ person.name }}: {{ index.articles|length }} article(s)\n"}
    site = pages(*memory_site(files))
    assert site["people/qin-gang/index.html"] == "Qin Gang: 1 article(s)"


def test_a_load_error_carries_the_file_and_line():
    broken = {**SITE, "content/bad.md": article("Bad", "2023-06-18", actors="[Qin Gang]", speaker="Qin")}
    config, files = memory_site(broken)
    with pytest.raises(Problems) as raised:
        pipeline.load(config, files=files)
    [problem] = raised.value.problems
    assert str(problem).startswith(f"{ROOT}/content/bad.md:5: unknown key 'speaker' (known: actors, ")


def test_an_unknown_person_is_a_warning_with_its_line_and_still_gets_a_page():
    files = {**SITE, "content/more.md": article("More", "2023-06-19", actors="[Wang Yi]")}
    config, memory = memory_site(files)
    content = pipeline.load(config, files=memory)[0]
    assert [str(w) for w in content.warnings] == [
        f"{ROOT}/content/more.md:4: actors[1]: unknown person 'Wang Yi'; "
        "add people/wang-yi.yaml to describe them"
    ]
    assert "More" in pages(config, memory)["people/wang-yi/index.html"]


def test_pages_rendered_after_the_list_caches_are_dropped_are_the_same():
    """The build drops what only list pages use once they are rendered (to keep its memory down):
    pages rendered afterwards, from the items kept or made again, are byte-equal."""
    from briefgen.markdown import Bodies
    from briefgen.mentions import site_linker
    from briefgen.render import ARTICLE_ITEM, lists_rendered, make_environment, render

    config, files = memory_site(SITE)
    content = pipeline.load(config, files=files)[0]
    index, specs = pipeline.plan(config, content)
    env = make_environment(config, index, Bodies(finish=site_linker(config, index), files=files), files)
    before = [render(env, spec) for spec in specs]
    fragments = env.fragments  # type: ignore[attr-defined]
    kept = len(fragments.items)
    assert {key[0] for key in fragments.items} - {ARTICLE_ITEM}  # events, feed entries...
    lists_rendered(env)
    assert len(fragments.items) < kept
    assert all(key[0] == ARTICLE_ITEM and key[2] is True for key in fragments.items)
    assert [render(env, spec) for spec in specs] == before


def test_list_pages_rendered_stage_by_stage_with_caches_dropped_are_the_same() -> None:
    """The build renders list pages stage by stage (render.LIST_STAGES) and drops each stage's
    caches when it ends: every page, list or article, is byte-equal to one rendered with all caches."""
    from briefgen import calendars, timelines
    from briefgen.markdown import Bodies
    from briefgen.mentions import site_linker
    from briefgen.render import (
        LIST_STAGES,
        list_stage,
        lists_rendered,
        make_environment,
        render,
        stage_rendered,
    )

    config, files = memory_site(SITE)
    content = pipeline.load(config, files=files)[0]
    index, specs = pipeline.plan(config, content)

    def environment() -> object:
        return make_environment(config, index, Bodies(finish=site_linker(config, index), files=files), files)

    env = environment()
    expected = {spec.output: render(env, spec) for spec in specs}  # type: ignore[arg-type]
    env = environment()
    lists = sorted((s for s in specs if s.template != "article.html"), key=list_stage)
    assert {list_stage(s) for s in lists} == set(range(len(LIST_STAGES) + 1))  # every stage has pages
    got = {}
    for position, spec in enumerate(lists):
        got[spec.output] = render(env, spec)  # type: ignore[arg-type]
        stage = list_stage(spec)
        if position + 1 < len(lists) and list_stage(lists[position + 1]) != stage:
            stage_rendered(env, stage)  # type: ignore[arg-type]
            kept = {(key[0], key[2]) for key in env.fragments.items}  # type: ignore[attr-defined]
            for cache, flag in LIST_STAGES[stage][1]:
                assert not any(t == cache and flag in (None, f) for t, f in kept)
    assert calendars._made._kept is None and timelines._made._kept is None
    lists_rendered(env)  # type: ignore[arg-type]
    got |= {s.output: render(env, s) for s in specs if s.template == "article.html"}  # type: ignore[arg-type]
    assert got == expected


RELATED_SITE = {
    "content/people/qin-gang.yaml": "name: Qin Gang\n",
    "content/people/antony-blinken.yaml": "name: Antony Blinken\n",
    **{
        f"content/2023-06-{day:02}-talks-{day}.md": article(
            f"Talks, day {day}",
            f"2023-06-{day:02}T09:30:00+08:00",
            actors="[Antony Blinken, Qin Gang]" if day % 2 else "[Qin Gang]",
            topics="[Diplomacy]" if day % 3 else "[Trade]",
        )
        for day in range(1, 13)
    },
}


def related_shown(config: SiteConfig, files: MemoryFiles) -> dict[str, list[str]]:
    content = pipeline.load(config, files=files)[0]
    _, specs = pipeline.plan(config, content)
    return {s.output: [a.slug for a in s.context["related"]] for s in specs if "related" in s.context}


def test_related_articles_ranked_in_a_helper_while_pages_are_planned_are_those_ranked_here(
    monkeypatch, tmp_path
):
    """On a large site the related articles are ranked in another process while the index is built
    and the other pages are planned (index.Related): the article pages show the same ones."""
    from briefgen import index, parallel

    rank = index._related
    ranked_by = tmp_path / "ranked-by"

    def ranking(ordered, limit):  # type: ignore[no-untyped-def]
        ranked_by.write_text(str(os.getpid()))
        return rank(ordered, limit)

    monkeypatch.setattr(index, "_related", ranking)
    here = related_shown(*memory_site(RELATED_SITE, jobs=1))
    assert ranked_by.read_text() == str(os.getpid())
    monkeypatch.setattr(parallel, "ASIDE_MIN", 1)
    aside = related_shown(*memory_site(RELATED_SITE, jobs=2))
    assert ranked_by.read_text() != str(os.getpid())
    assert len(here) == 12 and all(here.values())
    assert aside == here


def test_a_plan_that_fails_stops_the_ranking_of_related_articles(monkeypatch):
    """Pages that cannot be planned end the build: the process ranking related articles ends too,
    at once, though its ranking would take a minute."""
    from briefgen import index, pages, parallel

    def slow_ranking(ordered, limit):  # type: ignore[no-untyped-def]
        time.sleep(60)
        return [()] * len(ordered)

    config, files = memory_site(RELATED_SITE, jobs=2)
    content = pipeline.load(config, files=files)[0]
    monkeypatch.setattr(index, "_related", slow_ranking)
    monkeypatch.setattr(parallel, "ASIDE_MIN", 1)

    def failing(*args):  # type: ignore[no-untyped-def]
        raise BuildError("two pages would be written to people/index.html")

    monkeypatch.setattr(pages, "_people", failing)
    started = time.monotonic()
    with pytest.raises(BuildError):
        pipeline.plan(config, content)
    assert multiprocessing.active_children() == []
    assert time.monotonic() - started < 30
