"""Ways in besides the pages: Atom feeds, iCalendar files, TimelineJS data, sitemap and meta tags."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import zoneinfo
from pathlib import Path

import feedparser
import icalendar
from conftest import Project, article

BASE = 'base_url: "https://brief.example.org/"\ntimezone: Europe/Paris\ndigest:\n  enabled: false\n'
TIMED = {
    "content/places/beijing.yaml": "name: Beijing\ntimezone: Asia/Shanghai\n",
    "content/places/great-hall.yaml": "name: Great Hall of the People\ntimezone: Asia/Shanghai\n",
    "content/2023-06-19-xi.md": article(
        "Xi receives Blinken",
        "2023-06-19T17:00:00+08:00",
        "A short meeting.",
        lang="en",
        summary="Thirty-five minutes in the Great Hall.",
        actors="[Antony Blinken, Xi Jinping]",
        places="[Beijing]",
        events='\n  - {date: "2023-06-19T16:30:00+08:00", title: "Xi meets Blinken",'
        " actors: [Xi Jinping, Antony Blinken], places: [Great Hall of the People]}",
    ),
}


def built(make_site, cli, files=None, config: str = BASE) -> Project:  # type: ignore[no-untyped-def]
    project = make_site({**TIMED, **(files or {}), "briefgen.yaml": config})
    result = cli(project, "build", "-q")
    assert result.code == 0, result.err
    return project


def parse_feed(project: Project, relative: str) -> feedparser.FeedParserDict:
    parsed = feedparser.parse((project.root / "site" / relative).read_bytes())
    assert not parsed.bozo, parsed.get("bozo_exception")
    return parsed


def test_the_site_feed_lists_articles_newest_first_with_content_dates(make_site, cli):
    project = built(make_site, cli)
    feed = parse_feed(project, "feed.xml")
    assert feed.version == "atom10"
    titles = [entry.title for entry in feed.entries]
    assert titles == [
        "Xi receives Blinken",
        "Blinken meets Qin in Beijing",
        "Appel entre Qin Gang et Blinken",
    ]
    newest = feed.entries[0]
    assert newest.link == "https://brief.example.org/articles/2023-06-19-xi/"
    assert newest.summary == "Thirty-five minutes in the Great Hall."
    # the article's date as written, with its offset; the feed's date is its newest article's
    assert newest.updated == "2023-06-19T17:00:00+08:00"
    assert feed.feed.updated == newest.updated
    assert {tag.term for tag in newest.tags} >= {"antony-blinken", "xi-jinping", "beijing"}


def test_each_person_topic_and_place_has_a_feed_linked_from_its_page(make_site, cli):
    project = built(make_site, cli)
    feed = parse_feed(project, "people/qin-gang/feed.xml")
    assert [e.title for e in feed.entries] == [
        "Blinken meets Qin in Beijing",
        "Appel entre Qin Gang et Blinken",
    ]
    assert "Qin Gang" in feed.feed.title
    assert [e.title for e in parse_feed(project, "topics/taiwan/feed.xml").entries] == [
        "Blinken meets Qin in Beijing"
    ]
    assert [e.title for e in parse_feed(project, "places/beijing/feed.xml").entries] == [
        "Xi receives Blinken",
        "Blinken meets Qin in Beijing",
    ]
    page = project.read("site/people/qin-gang/index.html")
    assert '<link rel="alternate" type="application/atom+xml" title="Qin Gang: new articles"' in page
    assert 'href="../../people/qin-gang/feed.xml"' in page
    assert 'href="../../feed.xml"' in page  # the whole site's, on every page
    # a place named only by an event has no articles, so no feed, and its page links none
    assert not (project.root / "site/places/great-hall/feed.xml").exists()
    assert "feed.xml" not in project.read("site/places/great-hall/index.html").replace(
        'href="../../feed.xml"', ""
    )


def test_entry_ids_stay_the_same_when_other_articles_change(make_site, cli):
    project = built(make_site, cli)
    before = {e.title: e.id for e in parse_feed(project, "feed.xml").entries}
    project.write({"content/2023-06-20-new.md": article("Another day", "2023-06-20", lang="en")})
    assert cli(project, "build", "-q").code == 0
    after = {e.title: e.id for e in parse_feed(project, "feed.xml").entries}
    assert after["Another day"] not in before.values()
    assert {title: after[title] for title in before} == before
    assert len(set(after.values())) == len(after)


def test_without_base_url_feeds_link_relatively_and_there_is_no_sitemap(make_site, cli):
    project = built(make_site, cli, config="digest:\n  enabled: false\n")
    feed = parse_feed(project, "people/qin-gang/feed.xml")
    assert feed.entries[0].link == "../../articles/2023-06-18-talks/index.html"
    assert feed.entries[0].id.startswith("urn:uuid:")
    assert not (project.root / "site/sitemap.xml").exists()
    assert not (project.root / "site/robots.txt").exists()
    assert 'rel="canonical"' not in project.read("site/index.html")


def test_calendars_hold_each_event_in_its_zone_and_days_as_all_day_events(make_site, cli):
    project = built(make_site, cli)
    calendar = icalendar.Calendar.from_ical((project.root / "site/timeline/events.ics").read_bytes())
    events = {str(e["SUMMARY"]): e for e in calendar.walk("VEVENT")}
    assert set(events) == {"Talks at Diaoyutai", "Meeting with Xi", "Appel téléphonique", "Xi meets Blinken"}
    talks = events["Talks at Diaoyutai"]
    assert talks.decoded("DTSTART") == dt.date(2023, 6, 18)  # a date without a time: all day
    assert talks.decoded("DTEND") == dt.date(2023, 6, 19)
    start = events["Xi meets Blinken"].decoded("DTSTART")
    assert start == dt.datetime(2023, 6, 19, 16, 30, tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai"))
    assert isinstance(start.tzinfo, zoneinfo.ZoneInfo)  # named after the event's place, with its rules
    assert start.tzinfo.key == "Asia/Shanghai"
    assert {str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")} == {"Asia/Shanghai"}
    assert events["Xi meets Blinken"]["LOCATION"] == "Great Hall of the People"
    assert events["Xi meets Blinken"]["URL"] == "https://brief.example.org/articles/2023-06-19-xi/"
    # DTSTAMP comes from the reporting article, not from the clock
    assert events["Xi meets Blinken"].decoded("DTSTAMP") == dt.datetime(2023, 6, 19, 9, 0, tzinfo=dt.UTC)
    mine = icalendar.Calendar.from_ical((project.root / "site/people/qin-gang/events.ics").read_bytes())
    assert sorted(str(e["SUMMARY"]) for e in mine.walk("VEVENT")) == [
        "Appel téléphonique",
        "Talks at Diaoyutai",
    ]
    assert "Qin Gang" in str(mine["X-WR-CALNAME"])
    page = project.read("site/people/qin-gang/index.html")
    assert 'href="../../people/qin-gang/events.ics" type="text/calendar"' in page
    assert 'href="../timeline/events.ics"' in project.read("site/timeline/index.html")


def test_timeline_data_is_in_timelinejs_format(make_site, cli):
    project = built(make_site, cli)
    data = json.loads(project.read("site/people/antony-blinken/timeline.json"))
    assert data["title"]["text"]["headline"] == "Antony Blinken"
    slides = data["events"]
    assert [s["text"]["headline"] for s in slides] == [
        "Appel téléphonique",
        "Talks at Diaoyutai",
        "Meeting with Xi",
        "Xi meets Blinken",
    ]
    xi = slides[3]
    # the time as said where the event happens (16:30 in Beijing), not in the site's zone (10:30)
    assert xi["start_date"] == {"year": 2023, "month": 6, "day": 19, "hour": 16, "minute": 30}
    assert 'href="https://brief.example.org/articles/2023-06-19-xi/"' in xi["text"]["text"]
    assert len({s["unique_id"] for s in slides}) == 4
    everything = json.loads(project.read("site/timeline/timeline.json"))
    assert len(everything["events"]) == 4


def test_sitemap_robots_canonical_and_social_meta(make_site, cli):
    project = built(make_site, cli)
    sitemap = project.read("site/sitemap.xml")
    assert (
        "<loc>https://brief.example.org/articles/2023-06-19-xi/</loc><lastmod>2023-06-19</lastmod>" in sitemap
    )
    assert "<loc>https://brief.example.org/people/qin-gang/</loc>" in sitemap
    assert "404.html" not in sitemap and "search/" not in sitemap
    assert "Sitemap: https://brief.example.org/sitemap.xml" in project.read("site/robots.txt")
    page = project.read("site/articles/2023-06-19-xi/index.html")
    assert '<html lang="en">' in page
    assert '<link rel="canonical" href="https://brief.example.org/articles/2023-06-19-xi/">' in page
    assert '<meta property="og:title" content="Xi receives Blinken">' in page
    assert '<meta property="og:type" content="article">' in page
    assert '<meta property="og:description" content="Thirty-five minutes in the Great Hall.">' in page
    assert '<meta name="twitter:description" content="Thirty-five minutes in the Great Hall.">' in page
    assert '<meta property="og:url" content="https://brief.example.org/articles/2023-06-19-xi/">' in page
    assert '<link rel="icon" href="../../static/favicon.svg" type="image/svg+xml">' in page
    assert '<link rel="manifest" href="../../manifest.webmanifest">' in page
    manifest = json.loads(project.read("site/manifest.webmanifest"))
    assert manifest["icons"][0]["src"] == "static/favicon.svg"
    assert (project.root / "site/static/favicon.svg").read_text().startswith("<svg")


def test_two_builds_of_the_same_content_give_the_same_bytes(make_site, cli, tmp_path: Path):
    first = built(make_site, cli)
    outputs = ["feed.xml", "people/qin-gang/feed.xml", "timeline/events.ics",
               "people/antony-blinken/events.ics", "timeline/timeline.json", "sitemap.xml", "robots.txt",
               "manifest.webmanifest"]  # fmt: skip
    before = {name: (first.root / "site" / name).read_bytes() for name in outputs}
    for name in outputs:
        (first.root / "site" / name).unlink()
    other = Project(tmp_path / "again")
    shutil.copytree(first.root / "content", other.root / "content")
    shutil.copy(first.root / "briefgen.yaml", other.root / "briefgen.yaml")
    assert cli(other, "build", "-q").code == 0
    assert cli(first, "build", "-q").code == 0  # rebuilds the deleted files
    for name in outputs:
        assert (other.root / "site" / name).read_bytes() == before[name], name
        assert (first.root / "site" / name).read_bytes() == before[name], name


def test_long_accented_lines_are_folded_as_rfc_5545_says_and_read_back_whole(make_site, cli):
    title = "Entretien à Diaoyutai sur la coopération, la compétition et les lignes rouges à Taïwan. " * 3
    project = built(
        make_site,
        cli,
        {
            "content/2023-06-20-long.md": article(
                "Long",
                "2023-06-20",
                lang="fr",
                events=f'\n  - {{date: 2023-06-20, title: "{title.strip()}"}}',
            )
        },
    )
    data = (project.root / "site/timeline/events.ics").read_bytes()
    assert all(len(line) <= 75 for line in data.split(b"\r\n"))
    calendar = icalendar.Calendar.from_ical(data)
    assert title.strip() in [str(e["SUMMARY"]) for e in calendar.walk("VEVENT")]


def picture(colour: tuple[int, int, int]) -> bytes:
    """A real JPEG picture, as an article would have beside it."""
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (120, 63), colour).save(buffer, "JPEG")
    return buffer.getvalue()


PICTURED = {
    "content/2023-06-19-xi.md": TIMED["content/2023-06-19-xi.md"].replace(
        "lang: en", 'lang: en\nimage: {src: great-hall.JPG, alt: "The Great Hall of the People"}'
    ),
    "content/great-hall.JPG": picture((150, 40, 30)),
    "content/2023-06-18-remote.md": article(
        "A picture from elsewhere", "2023-06-18", lang="en", image="https://images.example.net/beijing.jpg"
    ),
}


def test_an_articles_picture_is_copied_shown_at_the_top_and_given_to_social_cards(make_site, cli):
    project = built(make_site, cli, PICTURED)
    assert (project.root / "site/articles/2023-06-19-xi/image.jpg").read_bytes() == PICTURED[
        "content/great-hall.JPG"
    ]
    page = project.read("site/articles/2023-06-19-xi/index.html")
    address = "https://brief.example.org/articles/2023-06-19-xi/image.jpg"
    assert f'<meta property="og:image" content="{address}">' in page
    assert '<meta property="og:image:alt" content="The Great Hall of the People">' in page
    assert f'<meta name="twitter:image" content="{address}">' in page
    assert '<meta name="twitter:card" content="summary_large_image">' in page
    top = page.index('<figure class="article-image"><img src="../../articles/2023-06-19-xi/image.jpg"')
    assert page.index("<h1>") < top < page.index('class="meta-panel"')  # under the title, above the rest
    assert 'alt="The Great Hall of the People"' in page
    remote = project.read("site/articles/2023-06-18-remote/index.html")
    assert '<meta property="og:image" content="https://images.example.net/beijing.jpg">' in remote
    assert '<img src="https://images.example.net/beijing.jpg" alt="">' in remote
    plain = (
        project.read("site/articles/2023-06-19-qin/index.html")
        if (project.root / "site/articles/2023-06-19-qin/index.html").exists()
        else project.read("site/people/qin-gang/index.html")
    )
    assert "og:image" not in plain and '<meta name="twitter:card" content="summary">' in plain


def test_without_base_url_a_picture_file_gets_no_social_card_but_is_still_shown(make_site, cli):
    project = built(make_site, cli, PICTURED, config="digest: {enabled: false}\n")
    page = project.read("site/articles/2023-06-19-xi/index.html")
    assert "og:image" not in page and '<meta name="twitter:card" content="summary">' in page
    assert '<img src="../../articles/2023-06-19-xi/image.jpg"' in page


def test_a_changed_picture_is_copied_again_and_a_removed_one_fails_the_build_at_its_line(make_site, cli):
    project = built(make_site, cli, PICTURED)
    copy = project.root / "site/articles/2023-06-19-xi/image.jpg"
    project.write({"content/great-hall.JPG": picture((20, 90, 160))})
    assert cli(project, "build", "-q").code == 0
    assert copy.read_bytes() == picture((20, 90, 160))
    before = project.snapshot()
    (project.root / "content/great-hall.JPG").unlink()
    result = cli(project, "build", "-q")
    assert result.code == 1 and "Traceback" not in result.err
    line = (
        PICTURED["content/2023-06-19-xi.md"]
        .splitlines()
        .index('image: {src: great-hall.JPG, alt: "The Great Hall of the People"}')
        + 1
    )
    assert (
        f"content/2023-06-19-xi.md:{line}: image: 'great-hall.JPG' is not a file beside the article"
        in result.err
    )
    assert project.snapshot() == before  # the previous site is untouched
