"""Rebuilds: they redo only what changed, and always end with the site a cold build would make."""

from __future__ import annotations

import marshal
import random
import re
import shutil
import signal
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import REPO, Project, article

from briefgen import parallel, render
from briefgen.engine import rebuild
from briefgen.hashing import spread
from briefgen.manifest import MARKER

PEOPLE = ["Antony Blinken", "Qin Gang", "Wang Yi", "Xi Jinping", "Janet Yellen", "Li Qiang"]
TOPICS = ["Diplomacy", "Taiwan", "Trade", "Climate"]
PLACES = ["Beijing", "Washington", "Paris"]


def site_files(rng: random.Random, count: int) -> dict[str, str | bytes]:
    files: dict[str, str | bytes] = {
        f"content/people/{name.lower().replace(' ', '-')}.yaml": f"name: {name}\n" for name in PEOPLE[2:]
    }
    for number in range(count):
        files[f"content/a{number:03d}.md"] = random_article(rng, number)
    return files


def random_article(rng: random.Random, number: int, extra: str = "") -> str:
    actors = rng.sample(PEOPLE, rng.randint(1, 3))
    day = rng.randint(10, 20)
    # events of even-numbered articles are one happening per day, reported by several, with topics
    shared = f"id: on-{day}, " if number % 2 == 0 else ""
    topics = f", topics: [{rng.choice(TOPICS)}]" if number % 2 == 0 else ""
    return article(
        f"Article {number} {rng.choice(['about', 'on'])} {rng.choice(TOPICS)}",
        f"2023-06-{day:02d}T{rng.randint(6, 20):02d}:00:00+02:00",
        f'Paragraph {rng.random():.6f} with "quotes" and a [link](https://example.org).{extra}',
        actors="[" + ", ".join(actors) + "]",
        topics="[" + ", ".join(rng.sample(TOPICS, 2)) + "]",
        places=f"[{rng.choice(PLACES)}]",
        events=f'\n  - {{{shared}date: 2023-06-{day:02d}, title: "Event {number}", '
        f"actors: [{actors[0]}]{topics}}}",
    )


def output(project: Project, folder: str) -> dict[str, bytes]:
    snapshot = project.snapshot(folder)
    snapshot.pop(MARKER)  # records file times, which differ between two builds by nature
    assert snapshot["pagefind/ (pages indexed by language)"] != b"{}"  # see Project.snapshot
    return snapshot


def rebuilt_after(project: Project, cli, name: str, old: str, new: str):  # type: ignore[no-untyped-def]
    """Replace `old` by `new` in one file of the project, then build: the build's run, succeeded."""
    path = project.root / name
    path.write_text(path.read_text("utf-8").replace(old, new), "utf-8")
    result = cli(project, "build")
    assert result.code == 0, result.err
    return result


def rendered(summary: str) -> int:
    """How many pages a build's closing line says it rendered."""
    found = re.search(r"\((\d+) rendered", summary)
    assert found is not None, summary
    return int(found.group(1))


def cold_build(project: Project, cli, tmp_path: Path) -> dict[str, bytes]:  # type: ignore[no-untyped-def]
    """Build the same content from scratch, in a copy with no cache and no output."""
    clone = Project(tmp_path / "cold")
    shutil.copytree(project.root / "content", clone.root / "content")
    for extra in ("templates", "briefgen.yaml"):
        source = project.root / extra
        if source.is_dir():
            shutil.copytree(source, clone.root / extra)
        elif source.exists():
            shutil.copy(source, clone.root / extra)
    assert cli(clone, "build", "-q").code == 0
    return output(clone, "site")


def test_random_edits_end_with_the_site_a_cold_build_makes(make_site, cli, tmp_path):
    rng = random.Random(20230618)
    project = make_site(site_files(rng, 12), basic=False)
    assert cli(project, "build", "-q").code == 0
    next_number = 12
    kinds = set()
    for step in range(14):
        paths = sorted((project.root / "content").glob("a*.md"))
        choices = ["body", "body", "meta", "add", "delete", "person", "template", "vocabulary", "config"]
        forced = {1: "template reading globals", 3: "add", 4: "body", 6: "config", 7: "meta", 9: "body"}
        forced[11], forced[13] = "config", "vocabulary"
        kind = forced.get(step) or rng.choice(choices)
        target = rng.choice(paths)
        if kind == "body":
            target.write_text(target.read_text("utf-8") + f"\nMore text {step}.\n", "utf-8")
        elif kind == "meta":
            number = int(target.stem[1:])
            target.write_text(random_article(rng, number, extra=f" Step {step}."), "utf-8")
        elif kind == "add":
            project.write({f"content/a{next_number:03d}.md": random_article(rng, next_number)})
            next_number += 1
        elif kind == "delete" and len(paths) > 3:
            target.unlink()
        elif kind == "person":
            project.write({"content/people/wang-yi.yaml": f"name: Wang Yi\ndescription: Step {step}\n"})
        elif kind == "vocabulary":  # names and zones of places and topics, known or not
            project.write(
                {
                    "content/places/beijing.yaml": f'name: {{fr: "Pékin {step}", en: Beijing}}\n'
                    f"timezone: {rng.choice(['Asia/Shanghai', 'Europe/Paris'])}\n",
                    f"content/topics/{rng.choice(TOPICS).lower()}.yaml": f"name: Topic {step}\n"
                    f"aliases: [x{step}]\n",
                }
            )
        elif kind == "template":
            project.write(
                {
                    "templates/_article_item.html": (
                        '<li class="article-item"><a href="{{ item | url }}">{{ item.title }}</a> '
                        f"<!-- step {step} --></li>\n"
                    )
                }
            )
        elif kind == "template reading globals":  # pages that read content beyond their context
            project.write(GLOBAL_READERS)
        elif kind == "config":
            project.write(
                {
                    "briefgen.yaml": f"title: Briefing {step}\nhome_days: {rng.randint(1, 9)}\n"
                    f"related_articles: {rng.randint(0, 4)}\nmail: {{to: [r{step}@example.org]}}\n"
                    f"timeline_events: {rng.choice([0, 1, 3, 1000])}\n"
                    f"page_items: {rng.choice([0, 1, 2, 200])}\n"
                }
            )
        assert cli(project, "build", "-q").code == 0, kind
        assert output(project, "site") == cold_build(project, cli, tmp_path / str(step)), (step, kind)
        kinds.add(kind)
    assert {"meta", "add", "person", "vocabulary", "config", "body"} <= kinds  # what matters most


def before_last_endblock(name: str, extra: str) -> str:
    """A shipped template with `extra` at the end of its last block."""
    head, tail = (REPO / "templates" / name).read_text("utf-8").rsplit("{% endblock %}", 1)
    return head + extra + "{% endblock %}" + tail


GLOBAL_READERS = {
    # every article's title, through the index, on each person page
    "templates/person.html": before_last_endblock(
        "person.html",
        "<p>{{ index.articles|length }}: "
        "{% for a in index.articles.values() %}{{ a.title }}; {% endfor %}</p>",
    ),
    # the body of every article listed, on topic and place pages
    "templates/taxon.html": before_last_endblock(
        "taxon.html", "{% for a in articles %}{{ body(a) }}{% endfor %}"
    ),
}


def test_a_template_reading_the_index_shows_an_added_article(make_site, cli, tmp_path):
    project = make_site(
        {"templates/person.html": "{{ person.name }}: {{ index.articles|length }} articles\n"}
    )
    assert cli(project, "build", "-q").code == 0
    before = project.read("site/people/qin-gang/index.html")
    project.write({"content/2023-06-20-more.md": article("More", "2023-06-20", "Text.", actors="[Wang Yi]")})
    assert cli(project, "build", "-q").code == 0
    after = project.read("site/people/qin-gang/index.html")
    count = int(before.split(": ")[1].split()[0])
    assert after == f"Qin Gang: {count + 1} articles"
    assert output(project, "site") == cold_build(project, cli, tmp_path)


def test_template_edits_take_new_fingerprints_only_for_the_pages_they_make(make_site, cli, tmp_path):
    """When only templates changed, a page whose templates did not keeps its fingerprint from the
    last build; the others are made again. Each step ends with the site a cold build makes."""
    project = make_site()
    assert cli(project, "build", "-q").code == 0
    talks = project.root / "content/2023-06-18-talks.md"
    item = (REPO / "templates/_event_item.html").read_text("utf-8")
    steps = [
        # a body edit, spliced into its page: the pages' fingerprints are then the last full build's
        lambda: talks.write_text(talks.read_text("utf-8").replace("five hours", "six hours"), "utf-8"),
        lambda: project.write({"templates/person.html": before_last_endblock("person.html", "<p>one</p>")}),
        lambda: project.write({"templates/_event_item.html": item.replace("<li", "<li data-step='2'", 1)}),
        # a template and an article at once: not a template-only edit
        lambda: (
            project.write({"templates/person.html": before_last_endblock("person.html", "<p>two</p>")}),
            talks.write_text(talks.read_text("utf-8").replace("actors: [", "actors: [Xi, ", 1), "utf-8"),
        ),
        # a template that starts reading the index, then an article added: its pages change
        lambda: project.write(GLOBAL_READERS),
        lambda: project.write({"content/2023-06-20-more.md": article("More", "2023-06-20", "Text.")}),
    ]
    for number, step in enumerate(steps):
        step()
        assert cli(project, "build", "-q").code == 0, number
        assert output(project, "site") == cold_build(project, cli, tmp_path / str(number)), number
    assert "More;" in project.read("site/people/qin-gang/index.html")  # read through the index


def test_an_article_template_edit_renders_every_article_page_without_reading_its_file(
    make_site, cli, tmp_path, monkeypatch
):
    """Bodies rendered by the last build are found in the store by the digest of their text, which
    the parse cache holds: after an edit of the article template, every article page is made again
    with no article file read, and the site is the one a cold build makes."""
    from briefgen.content import articles

    project = make_site()
    assert cli(project, "build", "-q").code == 0
    read = articles.read_body
    opened: list[str] = []

    def reading(article, files=None):  # type: ignore[no-untyped-def]
        opened.append(article.slug)
        return read(article, files)

    monkeypatch.setattr(articles, "read_body", reading)
    project.write({"templates/article.html": before_last_endblock("article.html", "<p>edited</p>")})
    result = cli(project, "build")
    count = len(list((project.root / "content").glob("*.md")))
    assert f"({count} rendered" in result.out, result.out
    assert opened == []
    assert "<p>edited</p>" in project.read("site/articles/2023-06-18-talks/index.html")
    monkeypatch.setattr(articles, "read_body", read)
    assert output(project, "site") == cold_build(project, cli, tmp_path)


def test_a_body_shown_on_other_pages_is_not_spliced_into_its_own_page_only(make_site, cli, tmp_path):
    project = make_site({"templates/taxon.html": "{% for a in articles %}{{ body(a) }}{% endfor %}\n"})
    assert cli(project, "build", "-q").code == 0
    path = project.root / "content/2023-06-18-talks.md"
    path.write_text(path.read_text("utf-8").replace("five hours", "six hours"), "utf-8")
    assert cli(project, "build", "-q").code == 0
    shown = [name for name, data in output(project, "site").items() if b"six hours" in data]
    assert "articles/2023-06-18-talks/index.html" in shown and any(n.startswith("topics/") for n in shown)
    assert output(project, "site") == cold_build(project, cli, tmp_path)


# for each pair of topics an article has, one it has not
OTHER_TOPIC = {f"{a}, {b}": next(t for t in TOPICS if t not in (a, b)) for a in TOPICS for b in TOPICS}


@pytest.mark.parametrize(
    ("field", "pattern", "replacement"),
    [
        ("title", r'^title: "[^"]*"', 'title: "A title edited alone"'),
        ("time", r"^(date: 2023-06-\d\dT)\d\d", r"\g<1>23"),
        ("places", r"^places: \[\w+\]", "places: [Lyon]"),
        ("a new topic", r"^topics: \[([^\]]*)\]", r"topics: [\1, Energy]"),
        ("a topic others have", r"^topics: \[([^\]]*)\]", lambda m: f"topics: [{m[1]}, {OTHER_TOPIC[m[1]]}]"),
        ("event title", r'title: "Event 3"', 'title: "An event renamed"'),
        ("event day", r"\{date: 2023-06-\d\d,", "{date: 2023-06-29,"),
        ("event month", r"\{date: 2023-06-\d\d,", "{date: 2023-07-02,"),  # a new month page
        ("event place", r"actors: \[([^\]]*)\]\}$", r"actors: [\1], places: [Oslo]}"),
        ("event id", r"\{date: 2023-06-(\d\d),", r"{id: on-\1, date: 2023-06-\1,"),
        ("event topics", r"actors: \[([^\]]*)\]\}$", r"actors: [\1], topics: [Energy]}"),
        ("event title in two languages", r'title: "Event 3"', 'title: {en: "Event 3", fr: "Événement 3"}'),
    ],
)
def test_one_field_edited_alone_reaches_every_page_that_shows_it(
    make_site, cli, tmp_path, field, pattern, replacement
):
    project = make_site(site_files(random.Random(11), 10), basic=False)
    assert cli(project, "build", "-q").code == 0
    path = project.root / "content/a003.md"
    text = path.read_text("utf-8")
    edited = re.sub(pattern, replacement, text, count=1, flags=re.MULTILINE)
    assert edited != text, field
    path.write_text(edited, "utf-8")
    assert cli(project, "build", "-q").code == 0
    assert output(project, "site") == cold_build(project, cli, tmp_path), field


def test_a_deleted_article_vanishes_from_every_page(make_site, cli):
    project = make_site()
    cli(project, "build")
    (project.root / "content/2023-06-14-call.md").unlink()
    cli(project, "build")
    pages = output(project, "site")
    assert not [name for name, data in pages.items() if b"2023-06-14-call" in data]


def test_editing_a_body_rewrites_only_that_article_page(make_site, cli, tmp_path):
    project = make_site()
    cli(project, "build")
    path = project.root / "content/2023-06-18-talks.md"
    path.write_text(path.read_text("utf-8").replace("five hours", "six hours"), "utf-8")
    result = cli(project, "build")
    assert "(1 rendered, 1 changed, 0 removed)" in result.out
    page = project.read("site/articles/2023-06-18-talks/index.html")
    assert "<em>six hours</em>" in page and "five hours" not in page
    assert output(project, "site") == cold_build(project, cli, tmp_path)


def test_a_file_saved_as_a_first_build_ends_is_built_again_next_time(make_site, cli, tmp_path, monkeypatch):
    """The inputs' times and sizes are taken before any file is read: a save that lands after the
    build read the file (and checked it again while rendering its page), just before it records
    what it saw, is a change the next build sees."""
    from briefgen.engine import rebuild

    project = make_site()
    path = project.root / "content/2023-06-18-talks.md"
    record = rebuild.Engine.record

    def save_then_record(engine, **kwargs):  # type: ignore[no-untyped-def]
        path.write_text(path.read_text("utf-8").replace("five hours", "six long hours"), "utf-8")
        return record(engine, **kwargs)

    monkeypatch.setattr(rebuild.Engine, "record", save_then_record)
    assert cli(project, "build", "--no-search").code == 0
    assert "five hours" in project.read("site/articles/2023-06-18-talks/index.html")  # as it was read
    monkeypatch.setattr(rebuild.Engine, "record", record)
    assert cli(project, "build").code == 0
    assert "six long hours" in project.read("site/articles/2023-06-18-talks/index.html")
    assert output(project, "site") == cold_build(project, cli, tmp_path)


def test_adding_an_actor_adds_the_article_to_their_page(make_site, cli):
    project = make_site(
        {"content/people/wang-yi.yaml": "name: Wang Yi\n", "content/people/xi.yaml": "name: Xi Jinping\n"}
    )
    cli(project, "build")
    assert "Appel entre Qin Gang" not in project.read("site/people/wang-yi/index.html")
    call = "content/2023-06-14-call.md"
    result = rebuilt_after(project, cli, call, "actors: [秦刚,", "actors: [Wang Yi, 秦刚,")
    assert "Appel entre Qin Gang" in project.read("site/people/wang-yi/index.html")
    # the article, its day, its people, its topic, home, timeline..., and the feeds and calendars
    # of those people and that topic: not Xi's page nor the others (40 outputs in all)
    assert 0 < rendered(result.out) < 30, result.out


def people_with_an_article_each(count: int, meeting_day: Callable[[int], int]) -> dict[str, str | bytes]:
    """`count` people, each the one actor of an article of June 2023 (the nth on the nth + 1) filed
    under Energy, with a summary, reporting a meeting of theirs on June `meeting_day(n)`."""
    files: dict[str, str | bytes] = {}
    for n in range(count):
        files[f"content/people/p{n:02}.yaml"] = f"name: Person {n:02}\n"
        files[f"content/2023-06-{n + 1:02}-a{n:02}.md"] = article(
            f"Article {n:02}",
            f"2023-06-{n + 1:02}T10:00:00+02:00",
            actors=f"[Person {n:02}]",
            topics="[Energy]",
            summary=f"Summary {n:02}.",
            events=f"\n  - {{date: 2023-06-{meeting_day(n):02}, title: Meeting {n:02},"
            f" actors: [Person {n:02}]}}",
        )
    return files


def test_a_new_title_does_not_render_the_pages_of_people_who_only_share_a_topic(make_site, cli, tmp_path):
    """A person's page links their topics by name: another person's article filed under the same
    topic, renamed, leaves it as it was, and it is not rendered again."""
    project = make_site(people_with_an_article_each(12, meeting_day=lambda n: n + 1), basic=False)
    assert cli(project, "build", "-q").code == 0
    result = rebuilt_after(project, cli, "content/2023-06-01-a00.md", "Article 00", "Article zero")
    assert "Article zero" in project.read("site/people/p00/index.html")
    # the article, its person, day, month, topic, the home page, timelines, feeds and calendars:
    # not the eleven other people's pages, which show the topic only by name
    assert 0 < rendered(result.out) < 25, result.out
    assert output(project, "site") == cold_build(project, cli, tmp_path)


def test_a_new_summary_or_person_leaves_the_one_line_lists_and_the_happenings_alone(
    make_site, cli, tmp_path, monkeypatch
):
    """A happening shows its sources, and a topic's page its articles, as links (title, source,
    date: model.ArticleLink): a summary or a person added to an article changes neither the site's
    calendar, nor its TimelineJS data, nor the month of the timeline, nor the topic's page, so they
    are not rendered again (at 10,000 articles, half a second for the site's calendar alone)."""
    project = make_site(people_with_an_article_each(6, meeting_day=lambda n: n + 20), basic=False)
    assert cli(project, "build", "-q").code == 0
    made: list[str] = []
    render_page = render.render

    def recording(env, spec):  # type: ignore[no-untyped-def]
        made.append(spec.output)
        return render_page(env, spec)

    monkeypatch.setattr(render, "render", recording)
    path = "content/2023-06-01-a00.md"
    rebuilt_after(project, cli, path, "Summary 00.", "A new summary.")
    rebuilt_after(project, cli, path, "actors: [Person 00]\n", "actors: [Person 00, Person 05]\n")
    assert "A new summary." in project.read("site/articles/2023-06-01-a00/index.html")
    assert "Article 00" in project.read("site/people/p05/index.html")
    assert "articles/2023-06-01-a00/index.html" in made
    listings = ("timeline/events.ics", "timeline/timeline.json", "timeline/2023-06/index.html")
    for listing in (*listings, "topics/energy/index.html"):
        assert listing not in made, made
        assert "Meeting 00" in project.read(f"site/{listing}")
    assert "Article 00" in project.read("site/topics/energy/index.html")
    assert output(project, "site") == cold_build(project, cli, tmp_path)


def test_fingerprints_shared_out_between_processes_pick_the_same_pages(cli, tmp_path, monkeypatch):
    """On a large site a rebuild takes its pages' fingerprints in several processes (parallel.py's
    FINGERPRINT_MIN): they pick exactly the pages one process picks, and the site ends as a cold
    build makes it. Here every few objects and pages make a share, so both processes take some."""
    monkeypatch.setattr(parallel, "FINGERPRINT_MIN", 1)
    monkeypatch.setattr(rebuild, "OBJECT_CHUNK", 3)
    monkeypatch.setattr(rebuild, "PAGE_CHUNK", 5)
    render_page = render.render
    edits = [
        ("content/2023-06-01-a00.md", "actors: [Person 00]\n", "actors: [Person 00, Person 05]\n"),
        ("content/2023-06-04-a03.md", "Meeting 03", "Talks"),
    ]
    made: dict[str, list[str]] = {}
    for jobs in ("1", "2"):
        project = Project(tmp_path / f"jobs-{jobs}")
        project.write({
            **people_with_an_article_each(8, meeting_day=lambda n: n + 20),
            "briefgen.yaml": "digest:\n  enabled: false\n",
        })  # fmt: skip
        assert cli(project, "build", "-q", "--jobs", jobs).code == 0
        pages = made[jobs] = []

        def recording(env, spec, pages=pages):  # type: ignore[no-untyped-def]
            pages.append(spec.output)
            return render_page(env, spec)

        monkeypatch.setattr(render, "render", recording)
        for path, old, new in edits:
            (project.root / path).write_text(project.read(path).replace(old, new), "utf-8")
            assert cli(project, "build", "-q", "--jobs", jobs).code == 0
        monkeypatch.setattr(render, "render", render_page)
        assert "Article 00" in project.read("site/people/p05/index.html")
        assert "Talks" in project.read("site/people/p03/index.html")
        assert output(project, "site") == cold_build(project, cli, tmp_path / f"cold-{jobs}")
    assert made["2"] and sorted(made["2"]) == sorted(made["1"])


def test_a_new_description_renders_only_that_persons_pages(make_site, cli, tmp_path):
    """Other people's pages list a person among their co-actors by name only: a description
    added to that person's file leaves them as they were, and they are not rendered again."""
    files: dict[str, str | bytes] = {"content/people/hub.yaml": "name: Hub Person\n"}
    for n in range(12):
        files[f"content/people/p{n:02}.yaml"] = f"name: Person {n:02}\n"
        files[f"content/2023-06-{n + 1:02}-a{n:02}.md"] = article(
            f"Article {n:02}", f"2023-06-{n + 1:02}T10:00:00+02:00", actors=f"[Hub Person, Person {n:02}]"
        )
    project = make_site(files, basic=False)
    assert cli(project, "build", "-q").code == 0
    assert "Hub Person" in project.read("site/people/p05/index.html")  # among the co-actors
    result = rebuilt_after(project, cli, "content/people/hub.yaml", "\n", '\ndescription: "Mediator."\n')
    assert "Mediator." in project.read("site/people/hub/index.html")
    # the hub's page, the people index and the home page (which show roles, or may): not the
    # twelve others, nor the network, which shows names
    assert 0 < rendered(result.out) <= 3, result.out
    assert output(project, "site") == cold_build(project, cli, tmp_path)


def _garbage(cache: Path) -> None:
    for path in (cache / "build-state.marshal", *(cache / "parsed").iterdir()):
        path.write_bytes(b"\x80\x04garbage")


def parse_shards(cache: Path) -> dict[str, bytes]:
    """The parse cache's files, by name (with any left half-written: their names start with '.')."""
    return {path.name: path.read_bytes() for path in (cache / "parsed").iterdir()}


def _one_byte_inside_the_state(cache: Path) -> None:
    """The state's large mappings are decoded piece by piece, late in a build: damage inside one
    must be found when the file is read, not halfway through."""
    data = bytearray((cache / "build-state.marshal").read_bytes())
    data[len(data) // 2] ^= 0x55
    (cache / "build-state.marshal").write_bytes(bytes(data))


@pytest.mark.parametrize("damage", [_garbage, _one_byte_inside_the_state])
def test_a_damaged_cache_is_discarded_with_a_warning_and_the_site_is_right(make_site, cli, tmp_path, damage):
    project = make_site()
    cli(project, "build")
    damage(project.root / ".briefgen")
    path = project.root / "content/2023-06-18-talks.md"
    path.write_text(path.read_text("utf-8").replace("five hours", "six hours"), "utf-8")
    result = cli(project, "build")
    assert result.code == 0
    assert "warning: ignoring the damaged build cache" in result.err
    assert output(project, "site") == cold_build(project, cli, tmp_path)


def test_a_damaged_shard_of_the_parse_cache_is_parsed_again_and_written_whole(make_site, cli, tmp_path):
    project = make_site(site_files(random.Random(8), 40), basic=False)
    assert cli(project, "build", "-q").code == 0
    shards = project.root / ".briefgen/parsed"
    damaged = max(shards.iterdir(), key=lambda path: path.stat().st_size)  # one holding articles
    damaged.write_bytes(b"\x80\x04garbage")
    path = project.root / "content/a003.md"
    path.write_text(path.read_text("utf-8").replace('title: "', 'title: "Retitled ', 1), "utf-8")
    result = cli(project, "build")
    assert result.code == 0
    assert f"warning: ignoring the damaged build cache {damaged}" in result.err
    assert "Retitled" in project.read("site/articles/a003/index.html")
    assert output(project, "site") == cold_build(project, cli, tmp_path)
    # written whole again: the next build reads it without a word
    path.write_text(path.read_text("utf-8").replace("Retitled ", "Renamed ", 1), "utf-8")
    result = cli(project, "build")
    assert result.code == 0 and "damaged" not in result.err
    assert output(project, "site") == cold_build(project, cli, tmp_path / "again")


def test_a_stale_body_store_never_reaches_the_site(make_site, cli, tmp_path):
    """Rendered bodies are looked up by their text, so an entry for old text is never reused."""
    project = make_site()
    cli(project, "build")
    shutil.rmtree(project.root / ".briefgen")
    path = project.root / "content/2023-06-18-talks.md"
    path.write_text(path.read_text("utf-8").replace("five hours", "ten hours"), "utf-8")
    cli(project, "build")
    assert "<em>ten hours</em>" in project.read("site/articles/2023-06-18-talks/index.html")
    assert output(project, "site") == cold_build(project, cli, tmp_path)


def test_a_page_edited_by_hand_in_the_output_is_put_back(make_site, cli):
    project = make_site()
    cli(project, "build")
    page = project.root / "site/people/qin-gang/index.html"
    original = page.read_bytes()
    page.write_bytes(b"vandalised")
    cli(project, "build")
    assert page.read_bytes() == original


def test_worker_processes_build_the_same_site_as_one_process(make_site, cli, tmp_path, monkeypatch):
    rng = random.Random(7)
    files = site_files(rng, 30)
    serial = make_site(files, basic=False)
    assert cli(serial, "build", "-q", "--jobs", "1").code == 0
    monkeypatch.setattr("briefgen.parallel.RENDER_MIN", 1)
    monkeypatch.setattr("briefgen.parallel.PARSE_MIN", 1)
    monkeypatch.setattr("briefgen.parallel.ASIDE_MIN", 1)  # related ranked, parse cache written aside
    parallel = Project(tmp_path / "parallel")
    shutil.copytree(serial.root / "content", parallel.root / "content")
    shutil.copy(serial.root / "briefgen.yaml", parallel.root / "briefgen.yaml")
    assert cli(parallel, "build", "-q", "--jobs", "2").code == 0
    assert output(parallel, "site") == output(serial, "site")
    cache = parallel.root / ".briefgen"
    parse_cache = parse_shards(cache)
    assert len(parse_cache) == 64 and not [name for name in parse_cache if name.startswith(".")]
    assert sorted(p.name for p in cache.iterdir()) == [
        "bodies.sqlite",
        "build-state.marshal",
        "lock",
        "parsed",
        "previous-site",  # the site's previous generation, for the atomic swap
    ]
    # and a dead link found by a worker is reported like any other; the parse cache stays as it was
    parallel.write({"content/a000.md": random_article(rng, 0, extra=" [x](../nowhere/)")})
    result = cli(parallel, "build", "--jobs", "2")
    assert result.code == 1 and "dead link '../nowhere/'" in result.err
    assert parse_shards(cache) == parse_cache  # nothing half-written left either
    # the helper staged its pages, and linked them into the second tree that became the previous
    # generation: a rebuild swaps with that tree, so it ends as a one-process build of the same
    # (new actors: the whole pipeline); two edits, so the second rebuild trusts what the first
    # one recorded
    for number in (0, 1):
        path = f"content/a{number:03d}.md"
        edited = random_article(rng, number, extra=" An edit.")
        assert edited.partition("---\n\n")[0] != (parallel.root / path).read_text().partition("---\n\n")[0]
        parallel.write({path: edited})
        assert cli(parallel, "build", "-q", "--jobs", "2").code == 0
    cold = Project(tmp_path / "cold")
    shutil.copytree(parallel.root / "content", cold.root / "content")
    shutil.copy(parallel.root / "briefgen.yaml", cold.root / "briefgen.yaml")
    assert cli(cold, "build", "-q", "--jobs", "1").code == 0
    assert output(parallel, "site") == output(cold, "site")


def age(path: Path, seconds: float) -> None:
    """Give `path` a modification time `seconds` in the past, out of the racy window."""
    import os
    import time

    moment = time.time() - seconds
    os.utime(path, (moment, moment))


def test_files_unchanged_since_the_last_build_are_not_parsed_again_unless_spliced(make_site, cli, tmp_path):
    rng = random.Random(7)
    project = make_site(site_files(rng, 6))
    for path in (project.root / "content").rglob("*"):
        if path.is_file():
            age(path, 600)
    assert cli(project, "build", "-q").code == 0
    # a body edit is spliced into its page without parsing the file again...
    spliced = project.root / "content/a001.md"
    spliced.write_text(spliced.read_text("utf-8").replace("Paragraph", "Edited paragraph"), "utf-8")
    age(spliced, 300)
    assert cli(project, "build").out.count("1 changed") == 1
    # ...so a later build that renders every article page must read it again, though its size
    # and time have not moved since
    item = (REPO / "templates/_article_item.html").read_text("utf-8")
    project.write({"templates/_article_item.html": item.replace('"article-item"', '"article-item x"')})
    result = cli(project, "build", "-q")
    assert result.code == 0, result.err
    assert output(project, "site") == cold_build(project, cli, tmp_path)


def test_a_rebuild_with_nothing_to_render_loads_no_template_or_markdown_library(make_site, cli):
    import subprocess
    import sys

    project = make_site(site_files(random.Random(3), 3))
    assert cli(project, "build", "-q").code == 0
    script = (
        "import sys\nfrom briefgen.cli import main\ncode = main(['build', '-q'])\n"
        "print(code, sorted(m for m in ('jinja2', 'babel', 'markdown') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=project.root, capture_output=True, text=True)
    assert done.stdout.split("\n")[-2] == "0 []", done.stdout + done.stderr


def test_the_parse_cache_is_written_again_only_where_a_file_was_parsed_again(make_site, cli, tmp_path):
    project = make_site(site_files(random.Random(5), 6), basic=False)
    assert cli(project, "build", "-q").code == 0
    cache = project.root / ".briefgen"

    def written() -> dict[str, int]:
        return {path.name: path.stat().st_mtime_ns for path in (cache / "parsed").iterdir()}

    first = written()
    item = (REPO / "templates/_article_item.html").read_text("utf-8")
    project.write({"templates/_article_item.html": item.replace('"article-item"', '"article-item x"')})
    assert cli(project, "build", "-q").code == 0
    assert written() == first  # a template edit parses nothing
    path = project.root / "content/a002.md"
    path.write_text(path.read_text("utf-8").replace('title: "', 'title: "Edited ', 1), "utf-8")
    assert cli(project, "build", "-q").code == 0
    again = written()
    # one shard, the one holding that article, and no other
    assert again.keys() == first.keys()
    assert [name for name in first if again[name] != first[name]] == [f"{spread(str(path), 64):02d}.pickle"]
    path.write_text(path.read_text("utf-8").replace("Edited ", "Edited twice ", 1), "utf-8")
    assert cli(project, "build", "-q").code == 0  # and the cache written then serves the next build
    assert "Edited twice Article 2" in project.read("site/articles/a002/index.html")
    assert output(project, "site") == cold_build(project, cli, tmp_path)


def test_settings_that_change_no_page_keep_the_cache(make_site, cli):
    project = make_site({"briefgen.yaml": "title: Briefing\n"})
    assert cli(project, "build", "-q").code == 0
    project.write(
        {
            "briefgen.yaml": "title: Briefing\njobs: 1\ndigest: {timeout: 60, memory_mb: 512}\n"
            "mail: {from: desk@example.org, to: [reader@example.org], smtp: {host: mail.example.org}}\n"
        }
    )
    assert "(0 rendered, 0 changed, 0 removed)" in cli(project, "build").out
    project.write({"briefgen.yaml": "title: Another title\njobs: 1\n"})  # this one shows on every page
    result = cli(project, "build")
    assert "(0 rendered" not in result.out and "Another title" in project.read("site/index.html")


def test_folders_named_on_the_command_line_keep_the_cache_of_the_same_folders(make_site, cli):
    """`--content content --out site` names the folders the settings name: a build with them, and
    one with the output folder written in full, render nothing after a build without them."""
    project = make_site()
    assert cli(project, "build", "-q").code == 0
    nothing = "(0 rendered, 0 changed, 0 removed)"
    assert nothing in cli(project, "build", "--content", "content", "--out", "site").out
    assert nothing in cli(project, "build", "--out", str(project.root / "site")).out
    assert nothing in cli(project, "build").out
    # a different output folder is a different site: built in full there, the first one kept
    assert "(0 rendered" not in cli(project, "build", "--out", "elsewhere").out
    assert project.read("elsewhere/index.html") == project.read("site/index.html")


def test_a_strict_build_keeps_the_cache_and_still_fails_on_the_last_builds_warnings(make_site, cli):
    """`--strict` changes no page, only whether warnings fail the build: it shares the cache of a
    build without it. A strict build after one that warned fails on those warnings, as a cold one
    would, leaving the site and the cache as they were."""
    project = make_site()
    assert cli(project, "build", "-q").code == 0
    nothing = "(0 rendered, 0 changed, 0 removed)"
    assert nothing in cli(project, "build", "--strict").out
    assert nothing in cli(project, "build").out
    project.write({"content/z.md": article("Z", "2023-06-20", actors="[Someone Unknown]")})
    warned = cli(project, "build")
    assert warned.code == 0 and "content/z.md:4: warning: actors[1]: unknown person" in warned.err
    site = output(project, "site")
    for _ in range(2):  # the second time, with nothing changed since the strict build that failed
        strict = cli(project, "build", "--strict")
        assert strict.code == 1 and "content/z.md:4: actors[1]: unknown person" in strict.err, strict.err
        assert output(project, "site") == site
    assert nothing in cli(project, "build").out


def test_a_build_after_the_preview_renders_nothing(make_site, cli):
    from test_serve_http import start_command, url_printed_by

    project = make_site()
    with start_command(project.root) as process:
        url_printed_by(process)
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert "(0 rendered, 0 changed, 0 removed)" in cli(project, "build").out


def test_a_build_after_the_digest_command_keeps_its_pdf_and_renders_nothing(make_site, cli):
    project = make_site({"briefgen.yaml": "digest: {enabled: true}\njobs: 1\n"})
    assert cli(project, "build", "-q").code == 0
    assert cli(project, "digest", "--date", "2023-06-18").code == 0
    pdf = project.root / "site/digests/2023-06-18.pdf"
    written = pdf.stat().st_mtime_ns
    assert "(0 rendered, 0 changed, 0 removed)" in cli(project, "build").out
    assert pdf.stat().st_mtime_ns == written  # the command's PDF is the build's: kept, not made again
    assert "(0 rendered, 0 changed, 0 removed)" in cli(project, "build").out


def test_rebuilds_that_read_nothing_again_repeat_the_last_builds_warnings(make_site, cli):
    """A no-op rebuild and a body-only edit take their warnings from the saved state: same text,
    same file and line as the build that found them."""
    project = make_site()
    path = project.root / "content/2023-06-18-talks.md"
    path.write_text(path.read_text("utf-8").replace("qin gang]", "qin gang, Wang Yi]"), "utf-8")
    first = cli(project, "build")
    assert first.code == 0
    warnings = warnings_in(first.err)
    assert any(line.startswith("content/2023-06-18-talks.md:6:") and "Wang Yi" in line for line in warnings)
    again = cli(project, "build")
    assert "(0 rendered" in again.out and warnings_in(again.err) == warnings
    path.write_text(path.read_text("utf-8").replace("five hours", "six hours"), "utf-8")
    spliced = cli(project, "build")
    assert "(1 rendered" in spliced.out, spliced.out
    assert warnings_in(spliced.err) == warnings
    assert "<em>six hours</em>" in project.read("site/articles/2023-06-18-talks/index.html")


def warnings_in(err: str) -> list[str]:
    return [line for line in err.splitlines() if "warning:" in line]


def test_rebuilds_of_a_large_site_scan_their_inputs_in_a_child_and_end_as_a_cold_build(
    make_site, cli, tmp_path
):
    """On a large site (here: any, by lowering the bar) the scan runs in child processes, one per
    job, each taking its share of the files, while the state and manifest are read: a body edit is
    spliced and a front-matter edit rebuilt from it. Built by a new interpreter each time: threads
    other tests leave in this one would keep the engine from forking."""
    import subprocess
    import sys

    script = (
        "import os\nfrom briefgen import parallel\nfrom briefgen.engine import rebuild\n"
        "rebuild.STATE_BYTES_PER_FILE = 1\nparallel.SCAN_MIN = 1\n"
        "forks = []\nfork = os.fork\nos.fork = lambda: forks.append(1) or fork()\n"
        "from briefgen.cli import main\ncode = main(['build'])\nprint(code, len(forks))\n"
    )

    def build() -> list[str]:
        done = subprocess.run(
            [sys.executable, "-c", script], cwd=project.root, capture_output=True, text=True
        )
        return done.stdout.strip().splitlines()

    rng = random.Random(7)
    project = make_site({**site_files(rng, 6), "briefgen.yaml": "jobs: 2\ndigest: {enabled: false}\n"})
    assert build()[-1] == "0 0"  # a first build: there is no state to judge the site's size by
    body = project.root / "content/a001.md"
    body.write_text(body.read_text("utf-8") + "\nOne more sentence.\n", "utf-8")
    said = build()
    assert "(1 rendered, 1 changed, 0 removed)" in said[-2] and said[-1] == "0 2"  # two shares
    project.write({"content/a002.md": random_article(rng, 2, " Front matter and body both new.")})
    assert build()[-1].startswith("0 ")
    assert output(project, "site") == cold_build(project, cli, tmp_path)


def test_beside_other_threads_a_large_sites_scan_is_one_walk_in_this_process(make_site, cli, monkeypatch):
    """The preview builds beside its server's threads, where no bare fork is safe: a large site's
    scan is then not shared out (each share would walk every folder again, here, one after another)."""
    import threading
    import time

    from briefgen import parallel
    from briefgen.config import load_config
    from briefgen.engine import rebuild
    from briefgen.engine.cache import Cache

    project = make_site()
    assert cli(project, "build", "-q", "--no-search").code == 0
    monkeypatch.setattr(rebuild, "STATE_BYTES_PER_FILE", 1)  # any site counts as large
    monkeypatch.setattr(parallel, "SCAN_MIN", 1)
    config = load_config(project.root)
    alone = rebuild._start_scan(config, Cache(config), time.time_ns())
    for scan in alone:
        scan.result()  # the children are waited for
    assert len(alone) == (2 if threading.active_count() == 1 and parallel.worker_count(config) > 1 else 1)
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        scans = rebuild._start_scan(config, Cache(config), time.time_ns())
        assert len(scans) == 1 and not scans[0].running
        inputs = {path for run in scans[0].result() for path in marshal.loads(run[1])}
    finally:
        stop.set()
        thread.join()
    assert str(project.root / "content/2023-06-18-talks.md") in inputs
