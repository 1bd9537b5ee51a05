"""Timelines that tell the story: one happening shown once with all its sources, at the hour and in
the zone where it happened, filed under the topics and places it carries."""

from __future__ import annotations

import datetime as dt
import html
import io
import re
import shutil
from pathlib import Path

import pytest
from conftest import REPO, Project, article
from pypdf import PdfReader

from briefgen.config import load_config
from briefgen.mail import prepare
from briefgen.pdf import render_digest
from briefgen.pipeline import load


def text_of(page: str) -> str:
    """What a reader sees: tags dropped, entities decoded, spaces collapsed (no-break ones kept)."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    return re.sub(r"[ \t\n]+", " ", html.unescape(re.sub(r"<[^>]+>", "", page)))


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped sample content and settings (French site, Paris time), built once."""
    root = tmp_path_factory.mktemp("sample")
    shutil.copytree(REPO / "content", root / "content")
    (root / "briefgen.yaml").write_text(
        (REPO / "briefgen.yaml").read_text("utf-8") + "digest:\n  enabled: false\n", "utf-8"
    )
    from briefgen.cli import main

    assert main(["-C", str(root), "build", "-q", "--strict"]) == 0
    return root


def page(root: Path, url: str) -> str:
    return (root / "site" / url / "index.html").read_text("utf-8")


def test_a_happening_reported_four_times_is_listed_once_with_its_four_sources(sample):
    text = text_of(page(sample, "people/qin-gang"))
    timeline = text[text.index("Chronologie") : text.index("Articles")]
    assert timeline.count("18 juin 2023") == 1
    sources = timeline[timeline.index("18 juin 2023") :]
    assert (
        "rapporté par U.S. Department of State, Ministry of Foreign Affairs of the People’s Republic"
        in sources
    )
    assert "Reuters, Le Monde" in sources
    # the global timeline too: the 18 June talks once, Xi's audience for Blinken once
    everything = text_of(page(sample, "timeline"))
    assert everything.count("Entretiens entre Antony Blinken et Qin Gang") == 1
    assert everything.count("Audience accordée par Xi Jinping") == 1
    assert "Xi Jinping receives Antony Blinken in Beijing" not in everything  # its English report
    # grouped by year and month, with headings
    grouped = page(sample, "timeline")
    assert re.search(r"<h2[^>]*>2022</h2>\s*<h3[^>]*><a [^>]*>Novembre 2022", grouped)
    assert grouped.index(">2023</h2>") < grouped.index(">Juin 2023</a> <")


def test_a_time_is_shown_as_written_with_its_zone_and_the_site_time_beside_it(sample):
    day = text_of(page(sample, "days/2023-06-19"))
    meeting = day[
        day.index("Wang Yi reçoit Antony Blinken") - 200 : day.index("Wang Yi reçoit Antony Blinken")
    ]
    assert "09:00 heure de Pékin (03:00 heure de Paris)" in meeting
    # its French title is shown on the French site, with a typographic apostrophe
    assert "résidence d’État de Diaoyutai" in day
    # a date without a time never shows one
    talks = text_of(page(sample, "people/qin-gang"))
    assert re.search(r"18 juin 2023 Entretiens", talks)


def test_an_evening_in_washington_stays_on_its_own_day(sample):
    assert "Blinken s’envole pour Pékin" in text_of(page(sample, "days/2023-06-16"))
    article_page = text_of(page(sample, "articles/2023-06-16-blinken-s-envole-pour-pekin"))
    assert "18:00 heure de Washington (00:00 heure de Paris)" in article_page


def test_topic_and_place_timelines_list_only_the_events_carrying_them(sample):
    taiwan = text_of(page(sample, "topics/taiwan"))
    assert "Taïwan" in taiwan  # the vocabulary's French name
    timeline = taiwan[taiwan.rindex("Chronologie") :]
    assert "Ukraine" not in timeline and "London" not in timeline and "Londres" not in timeline
    assert "Ukraine" in text_of(page(sample, "topics/ukraine"))
    # an event without `places` is at its article's places; `places: []` is nowhere
    beijing = text_of(page(sample, "places/beijing"))
    assert "Arrivée secrète de Henry Kissinger à Pékin" in beijing
    assert "Henry Kissinger fête ses cent ans" not in beijing
    assert "Chine · 39,9042°\u00a0N, 116,4074°\u00a0E" in beijing  # from the vocabulary


def test_the_day_page_lists_the_days_events_then_those_of_other_days_its_articles_report(sample):
    day = text_of(page(sample, "days/2023-06-18"))
    events = day[day.index("Événements") : day.index("Également rapporté ce jour")]
    also = day[day.index("Également rapporté ce jour") :]
    assert "Entretiens entre Antony Blinken et Qin Gang" in events
    assert "Wang Yi reçoit Antony Blinken" not in events  # the 19th, announced on the 18th
    assert "Wang Yi reçoit Antony Blinken" in also


def build_places(make_site, cli, language: str) -> Project:  # type: ignore[no-untyped-def]
    project = make_site(
        {
            "briefgen.yaml": f"language: {language}\ndigest:\n  enabled: false\n",
            "content/places/beijing.yaml": 'name: {fr: "Pékin", en: "Beijing"}\naliases: ["北京"]\n'
            "country: CN\ncoordinates: [39.9, 116.4]\ntimezone: Asia/Shanghai\n",
            "content/2023-06-18-talks.md": article(
                "Talks", "2023-06-18T10:00:00+08:00", lang="en", places="[Beijing]"
            ),
            "content/2023-06-19-visite.md": article(
                "L'audience", "2023-06-19T10:00:00+08:00", lang="fr", places="[pekin]"
            ),
        },
        basic=False,
    )
    result = cli(project, "build", "--strict")
    assert result.code == 0, result.err
    return project


@pytest.mark.parametrize(("language", "title"), [("fr", "Pékin"), ("en", "Beijing")])
def test_two_spellings_of_a_place_reach_one_page_titled_in_the_site_language(make_site, cli, language, title):
    project = build_places(make_site, cli, language)
    assert sorted(p.name for p in (project.root / "site/places").iterdir()) == ["beijing", "index.html"]
    place = project.read("site/places/beijing/index.html")
    assert f"<h1>{title}</h1>" in place
    assert "Talks" in place and "L’audience" in place


def test_a_place_page_shows_its_other_names_under_its_title(make_site, cli):
    french = build_places(make_site, cli, "fr").read("site/places/beijing/index.html")
    assert '<p class="aliases"><span lang="en">Beijing</span> · <span>北京</span></p>' in french
    english = build_places(make_site, cli, "en").read("site/places/beijing/index.html")
    assert '<p class="aliases"><span lang="fr">Pékin</span> · <span>北京</span></p>' in english


def test_an_unknown_place_is_a_warning_with_a_suggestion_and_an_error_when_strict(make_site, cli):
    project = make_site(
        {
            "content/places/beijing.yaml": 'name: {fr: "Pékin", en: "Beijing"}\n',
            "content/2023-06-18-talks.md": article("Talks", "2023-06-18", places="[Beijing]"),
            "content/2023-06-19-visit.md": article("Visit", "2023-06-19", places="[Bejing]"),
        },
        basic=False,
    )
    warned = cli(project, "check")
    assert warned.code == 0
    assert (
        "content/2023-06-19-visit.md:4: warning: places[1]: unknown place 'Bejing'; did you mean"
        in warned.err
    )
    strict = cli(project, "check", "--strict")
    assert strict.code == 1 and "unknown place 'Bejing'" in strict.err


def test_check_names_both_lines_of_a_probable_duplicate_and_suggests_an_id(make_site, cli):
    events = "\n  - date: 2023-06-18\n    title: {title}\n    actors: [Antony Blinken, Qin Gang]\n"
    events += "    places: [Beijing]"
    project = make_site(
        {
            "content/a.md": article("A", "2023-06-18", events=events.format(title="Talks at Diaoyutai")),
            "content/b.md": article("B", "2023-06-19", events=events.format(title="Long talks in Beijing")),
        },
        basic=False,
    )
    result = cli(project, "check")
    assert result.code == 0
    assert (
        "content/b.md:5: warning: this event looks like the one at content/a.md:5 (same day, same people, "
        "same place or a similar title); if it is the same happening, give both "
        "'id: antony-blinken-qin-gang-2023-06-18'"
    ) in result.err
    # with the id, they are one happening and nothing is reported
    for name in ("a.md", "b.md"):
        path = project.root / "content" / name
        path.write_text(path.read_text("utf-8").replace("  - date:", "  - id: talks\n    date:"), "utf-8")
    assert "looks like" not in cli(project, "check").err


def test_one_id_on_two_different_days_is_an_error_naming_both_lines(make_site, cli):
    project = make_site(
        {
            "content/a.md": article(
                "A", "2023-06-18", events='\n  - {id: talks, date: 2023-06-18, title: "T"}'
            ),
            "content/b.md": article(
                "B", "2023-06-19", events='\n  - {id: talks, date: 2023-06-19, title: "T"}'
            ),
        }
    )
    result = cli(project, "build")
    assert result.code == 1
    assert (
        "content/b.md:5: event 'talks': day 2023-06-19 differs from 2023-06-18 given at content/a.md:5 "
        "for the same id"
    ) in result.err
    assert "Traceback" not in result.err


def test_a_french_title_is_typographic_on_the_page_in_the_pdf_and_in_the_email(make_site, cli):
    project = make_site(
        {
            "briefgen.yaml": "language: fr\nbase_url: https://brief.example.org/\n",
            "content/2023-06-18-visite.md": article(
                "L'arrivée de Blinken : une visite attendue",
                "2023-06-18T10:00:00+08:00",
                lang="fr",
                summary='Il a dit "oui" à l\'État',
            ),
        },
        basic=False,
    )
    assert cli(project, "build", "--no-digests").code == 0
    title = "L’arrivée de Blinken\u00a0: une visite attendue"
    assert title in project.read("site/articles/2023-06-18-visite/index.html")
    config = load_config(project.root)
    _, index, _ = load(config)
    pdf_text = "".join(
        p.extract_text() for p in PdfReader(io.BytesIO(render_digest(config, index, DAY))).pages
    )
    assert "L’arrivée de Blinken" in pdf_text and "L'arrivée" not in pdf_text
    mail = prepare(config, index, DAY, b"%PDF-1.7\n", "")
    assert title in mail.text and "Il a dit «\u00a0oui\u00a0» à l’État" in mail.text


DAY = dt.date(2023, 6, 18)


def test_a_short_day_fits_on_two_pages_with_no_page_of_a_few_lines(make_site):
    project = make_site(
        {
            "briefgen.yaml": "language: en\n",
            "content/2023-06-18-one.md": article(
                "The only article of the day",
                "2023-06-18T10:00:00+08:00",
                "A short body.",
                actors="[Antony Blinken]",
                events='\n  - {date: 2023-06-18, title: "Talks"}\n  - {date: 2023-06-17, title: "Arrival"}',
            ),
        },
        basic=False,
    )
    config = load_config(project.root)
    _, index, _ = load(config)
    texts = [p.extract_text() for p in PdfReader(io.BytesIO(render_digest(config, index, DAY))).pages]
    assert len(texts) == 2
    assert "Contents" in texts[0]  # with the cover
    chronology = texts[1][texts[1].index("Timeline of the day") :]  # after the article, same page
    assert "Events of this day, whichever article reports them." in chronology
    assert chronology.index("Talks") < chronology.index("Also reported today") < chronology.index("Arrival")
    assert "Index of people" in texts[1]


def cli_build(project: Project) -> int:
    from briefgen.cli import main

    return main(["-C", str(project.root), "build", "-q", "--no-digests"])


def test_the_people_indexes_show_names_in_other_scripts(make_site):
    project = make_site({"briefgen.yaml": "language: en\n"})  # Qin Gang is also 秦刚; Blinken has none
    config = load_config(project.root)
    _, index, _ = load(config)
    texts = [p.extract_text() for p in PdfReader(io.BytesIO(render_digest(config, index, DAY))).pages]
    people = "".join(texts)[("".join(texts)).index("Index of people") :]
    assert re.search(r"Qin Gang 秦刚\s*\.", people)
    assert re.search(r"Antony Blinken\s*\.", people)  # "Tony Blinken" is the same script: not shown
    # and the site's people index
    assert cli_build(project) == 0
    assert '>Qin Gang</a> <span class="other-script">秦刚</span>' in project.read("site/people/index.html")


def test_day_zone_site_files_a_datetime_under_its_day_on_the_site(make_site, cli):
    files = {
        "content/evening.md": article("An evening in Washington", "2023-06-16T18:00:00-04:00", lang="en"),
    }
    project = make_site({**files, "briefgen.yaml": "timezone: Europe/Paris\ndigest:\n  enabled: false\n"})
    assert cli(project, "build").code == 0
    assert "An evening in Washington" in project.read("site/days/2023-06-16/index.html")
    project.write({"briefgen.yaml": "timezone: Europe/Paris\nday_zone: site\ndigest:\n  enabled: false\n"})
    assert cli(project, "build").code == 0
    assert "An evening in Washington" in project.read("site/days/2023-06-17/index.html")
    assert not (project.root / "site/days/2023-06-16").exists()


def test_each_page_shows_the_title_in_its_language_and_merges_the_reports(make_site, cli):
    files = {
        "content/a.md": article(
            "A", "2023-06-19", lang="fr", events='\n  - {id: talks, date: 2023-06-19, title: "Entretiens"}'
        ),
        "content/b.md": article(
            "B",
            "2023-06-19",
            lang="en",
            events='\n  - {id: talks, date: "2023-06-19T09:00:00+08:00", title: {en: Talks, de: Gespräche}}',
        ),
    }
    for language, title in (("fr", "Entretiens"), ("en", "Talks"), ("de", "Gespräche")):
        settings = f"language: {language}\ndigest:\n  enabled: false\n"
        project = make_site({**files, "briefgen.yaml": settings}, basic=False)
        assert cli(project, "build").code == 0
        timeline = text_of(project.read("site/timeline/index.html"))
        shown = [t for t in ("Entretiens", "Talks", "Gespräche") if t in timeline]
        assert shown == [title], language
        assert "+08:00 (" in timeline and "UTC)" in timeline  # the time one report gives, in its zone
        if language == "fr":
            assert "09:00 UTC+08:00 (01:00 UTC)" in timeline


def test_one_id_at_two_different_times_is_an_error(make_site, cli):
    events = '\n  - {{id: talks, date: "2023-06-19T{}:00:00+08:00", title: T}}'
    project = make_site(
        {
            "content/a.md": article("A", "2023-06-19", events=events.format("09")),
            "content/b.md": article("B", "2023-06-19", events=events.format("10")),
        }
    )
    result = cli(project, "check")
    assert result.code == 1
    assert "content/b.md:5: event 'talks': time 2023-06-19T10:00:00+08:00 differs from" in result.err


def _months_site(make_site, settings: str = ""):
    """Six happenings over four months (two in January, one in February, two in April, one in May)."""
    days = ["2024-01-05", "2024-01-20", "2024-02-11", "2024-04-02", "2024-04-30", "2025-05-09"]
    files = {
        f"content/a{n}.md": article(
            f"Article {n}", day, lang="en", events=f'\n  - {{date: {day}, title: "Happening {n}"}}'
        )
        for n, day in enumerate(days)
    }
    return make_site({**files, "briefgen.yaml": settings + "digest:\n  enabled: false\n"}, basic=False)


def _happenings(page: str) -> list[str]:
    return re.findall(r"Happening \d", text_of(page))


def test_each_month_of_the_timeline_has_a_page_holding_its_happenings_once(make_site, cli):
    project = _months_site(make_site)
    assert cli(project, "build").code == 0
    months = {
        "2024-01": ["Happening 0", "Happening 1"],
        "2024-02": ["Happening 2"],
        "2024-04": ["Happening 3", "Happening 4"],
        "2025-05": ["Happening 5"],
    }
    for month, expected in months.items():
        assert _happenings(project.read(f"site/timeline/{month}/index.html")) == expected, month
    assert sorted(p.name for p in (project.root / "site/timeline").iterdir() if p.is_dir()) == list(months)
    february = project.read("site/timeline/2024-02/index.html")
    assert "<h1>February 2024" in february
    assert 'rel="prev" href="../../timeline/2024-01/index.html"' in february  # March has no events
    assert 'rel="next" href="../../timeline/2024-04/index.html"' in february
    # a small timeline shows everything on its own page too, with every month listed and linked
    timeline = project.read("site/timeline/index.html")
    assert _happenings(timeline) == [f"Happening {n}" for n in range(6)]
    assert 'href="../timeline/2024-04/index.html">Apr <span class="count">2</span>' in timeline
    assert "latest" not in text_of(timeline)


def test_a_long_timeline_shows_its_latest_months_and_lists_every_month(make_site, cli):
    project = _months_site(make_site, "timeline_events: 3\n")
    assert cli(project, "build").code == 0
    timeline = project.read("site/timeline/index.html")
    # the latest months that hold at most three happenings together: April and May
    assert _happenings(timeline) == ["Happening 3", "Happening 4", "Happening 5"]
    assert "Below, the latest 3 of 6 events" in text_of(timeline)
    for month in ("2024-01", "2024-02", "2024-04", "2025-05"):
        assert f'href="../timeline/{month}/index.html"' in timeline
    # a month larger than the limit is still shown, alone
    project.write({"briefgen.yaml": "timeline_events: 1\ndigest:\n  enabled: false\n"})
    assert cli(project, "build").code == 0
    timeline = project.read("site/timeline/index.html")
    assert _happenings(timeline) == ["Happening 5"]
    # a year links to its heading below only when it is shown there
    assert '<a href="#y2025" class="year">2025</a>' in timeline and 'id="y2025"' in timeline
    assert '<span class="year">2024</span>' in timeline and "#y2024" not in timeline
    project.write({"briefgen.yaml": "timeline_events: 0\ndigest:\n  enabled: false\n"})
    assert cli(project, "build").code == 0
    assert len(_happenings(project.read("site/timeline/index.html"))) == 6


def _listed(page: str) -> list[str]:
    """The titles of the articles a page lists (not those its events name as their sources)."""
    return re.findall(r'<li class="article-line".*?(Article \d)', page, flags=re.S)


def test_a_person_or_topic_with_more_than_page_items_lists_the_latest_and_has_year_pages(make_site, cli):
    days = ["2024-01-05", "2024-01-20", "2024-02-11", "2024-04-02", "2024-04-30", "2025-05-09"]
    files = {
        f"content/a{n}.md": article(
            f"Article {n}",
            day,
            lang="en",
            actors="[Qin Gang]",
            topics="[Diplomacy]",
            events=f'\n  - {{date: {day}, title: "Happening {n}"}}',
        )
        for n, day in enumerate(days)
    }
    files["content/people/qin-gang.yaml"] = "name: Qin Gang\n"
    project = make_site({**files, "briefgen.yaml": "page_items: 2\ndigest:\n  enabled: false\n"}, basic=False)
    assert cli(project, "build").code == 0
    for url in ("people/qin-gang", "topics/diplomacy"):
        page = project.read(f"site/{url}/index.html")
        text = text_of(page)
        assert "The latest 2 of 6 events. By year: 2024 2025" in text, url
        assert "The latest 2 of 6 articles. By year: 2024 2025" in text, url
        assert _happenings(page) == ["Happening 4", "Happening 5"], url  # the latest two, in time order
        assert _listed(page) == ["Article 5", "Article 4"], url  # newest first
        assert f'href="../../{url}/2024/index.html">2024</a>' in page
        year = project.read(f"site/{url}/2024/index.html")
        assert "<h1>" + ("Qin Gang" if "people" in url else "Diplomacy") + " in 2024</h1>" in year
        assert _happenings(year) == [f"Happening {n}" for n in range(5)], url
        assert _listed(year) == [f"Article {n}" for n in (4, 3, 2, 1, 0)], url
        assert f'rel="next" href="../../../{url}/2025/index.html"' in year
        assert _happenings(project.read(f"site/{url}/2025/index.html")) == ["Happening 5"], url
    # in French, with its spaces before the colon and the semicolon
    french = "language: fr\npage_items: 2\ntimeline_events: 3\ndigest:\n  enabled: false\n"
    project.write({"briefgen.yaml": french})
    assert cli(project, "build").code == 0
    person = text_of(project.read("site/people/qin-gang/index.html"))
    timeline = text_of(project.read("site/timeline/index.html"))
    assert "Les 2 derniers des 6 événements. Par année\u00a0: 2024 2025" in person
    assert "les 3 derniers des 6 événements\u202f; chaque mois" in timeline
    # with room for everything, the pages list it all and the year pages are gone
    project.write({"briefgen.yaml": "page_items: 6\ndigest:\n  enabled: false\n"})
    assert cli(project, "build").code == 0
    assert len(_happenings(project.read("site/people/qin-gang/index.html"))) == 6
    assert not (project.root / "site/people/qin-gang/2024").exists()
    assert "latest" not in text_of(project.read("site/topics/diplomacy/index.html"))
