"""Building a site: what a reader sees on its pages, and what a failed build leaves behind."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, article

from briefgen.manifest import MARKER


def page(project, url: str) -> str:  # type: ignore[no-untyped-def]
    return project.read(f"site/{url}index.html")


def text_of(html: str) -> str:
    """Visible text, tags dropped and whitespace folded: what a reader sees."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_person_page_lists_articles_newest_first_and_timeline_in_date_order(make_site, cli):
    project = make_site()
    assert cli(project, "build").code == 0
    html = page(project, "people/qin-gang/")
    text = text_of(html)
    assert "Qin Gang" in text and "Minister of Foreign Affairs" in text
    # articles, newest first
    text = text_of(html[html.index('class="person-articles"') :])
    assert text.index("Blinken meets Qin in Beijing") < text.index("Appel entre Qin Gang et Blinken")
    # timeline: the 14 June call (an event with no actors inherits the article's), then the talks
    timeline = html[html.index('class="timeline"') :]
    assert timeline.index("Appel téléphonique") < timeline.index("Talks at Diaoyutai")
    assert "Meeting with Xi" not in timeline  # Qin is not an actor of that event
    # appears with Blinken in two articles, and every name is a link
    assert re.search(
        r'href="../../people/antony-blinken/index.html">Antony Blinken</a> <span class="count">2', html
    )


def test_every_cross_reference_is_a_link(make_site, cli):
    project = make_site()
    cli(project, "build")
    html = page(project, "articles/2023-06-18-talks/")
    for href, label in [
        ("../../people/antony-blinken/index.html", "Antony Blinken"),
        ("../../people/qin-gang/index.html", "Qin Gang"),
        ("../../topics/diplomacy/index.html", "Diplomacy"),
        ("../../places/beijing/index.html", "Beijing"),
        ("../../days/2023-06-18/index.html", "Sunday, June 18, 2023"),
    ]:
        assert f'href="{href}"' in html, href
        assert label in html
    # "diplomacy" (lower case, other article) and "Diplomacy" are one topic
    topic = text_of(page(project, "topics/diplomacy/"))
    assert "Blinken meets Qin in Beijing" in topic and "Appel entre Qin Gang et Blinken" in topic


def test_dates_follow_the_site_language(make_site, cli):
    project = make_site({"briefgen.yaml": "language: fr\ndigest: {enabled: false}\n"})
    cli(project, "build")
    day = text_of(page(project, "days/2023-06-18/"))
    assert "dimanche 18 juin 2023" in day
    assert "Chronologie" in day  # interface strings in French too
    english = make_site({"briefgen.yaml": "language: en\ndigest: {enabled: false}\n"})
    cli(english, "build")
    assert "Sunday, June 18, 2023" in text_of(page(english, "days/2023-06-18/"))


def test_each_article_page_carries_its_own_language(make_site, cli):
    project = make_site({"briefgen.yaml": "language: en\ndigest: {enabled: false}\n"})
    cli(project, "build")
    html = page(project, "articles/2023-06-14-call/")
    # the page is French (search indexes it with French stemming); its frame stays in English
    assert '<html lang="fr">' in html
    assert '<header class="site-header" lang="en">' in html
    assert '<article lang="fr">' in html
    # French typographic quotes with no-break spaces, from the body's « appel »
    assert "«&nbsp;appel&nbsp;»" in html


def test_urls_are_lowercase_ascii_and_readable(make_site, cli):
    project = make_site(
        {"content/Été à Pékin.md": article("Été", "2023-06-20", topics="[Économie Verte]", places="[Pékin]")}
    )
    assert cli(project, "build").code == 0
    files = [p for p in project.snapshot() if p.endswith("index.html")]
    assert "articles/ete-a-pekin/index.html" in files
    assert "topics/economie-verte/index.html" in files
    assert "places/pekin/index.html" in files
    assert all(re.fullmatch(r"[a-z0-9/._-]+", f) for f in files)


def test_markdown_is_rendered_and_raw_html_is_sanitized(make_site, cli):
    body = (
        "## Points\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\nNote[^1].\n\n[^1]: A footnote.\n\n"
        '<script>alert("x")</script><a href="javascript:alert(1)" onclick="x()">bad</a>'
        '<img src="data:x" onerror="alert(1)">'
    )
    project = make_site(
        {"content/x.md": article("<b>Bold</b> & co", "2023-06-20", body, summary="'<i>s</i>'")}
    )
    assert cli(project, "build").code == 0
    html = page(project, "articles/x/")
    assert '<h2 id="points">Points</h2>' in html
    assert "<table>" in html and 'class="footnote"' in html
    assert "<script>alert" not in html and "onclick" not in html and "onerror" not in html
    assert "javascript:" not in html
    assert "&lt;b&gt;Bold&lt;/b&gt; &amp;" in html  # front matter is text, never markup
    assert "&lt;i&gt;s&lt;/i&gt;" in html


def test_a_site_template_overrides_the_shipped_one_by_name(make_site, cli):
    project = make_site(
        {
            "templates/article.html": """
                {% extends "base.html" %}
                {% block main %}<p class="custom">Custom: {{ article.title }}</p>{% endblock %}
                """
        }
    )
    assert cli(project, "build").code == 0
    html = page(project, "articles/2023-06-18-talks/")
    assert '<p class="custom">Custom: Blinken meets Qin in Beijing</p>' in html
    assert 'class="site-header"' in html  # the shipped base.html is still used
    assert 'class="custom"' not in page(project, "people/qin-gang/")


def test_failed_build_leaves_the_previous_site_byte_identical(make_site, cli):
    project = make_site()
    assert cli(project, "build").code == 0
    before = project.snapshot()
    project.write({"content/2023-06-18-talks.md": "---\ntitle: [unclosed\n---\n"})
    result = cli(project, "build")
    assert result.code == 1
    assert "content/2023-06-18-talks.md:2:" in result.err
    assert "Traceback" not in result.err
    assert project.snapshot() == before
    assert sorted(p.name for p in (project.root / "site").iterdir()) == sorted(
        {k.split("/")[0] for k in before}
    )


def test_template_error_names_the_template_and_line_and_keeps_the_site(make_site, cli):
    project = make_site()
    cli(project, "build")
    before = project.snapshot()
    project.write(
        {
            "templates/person.html": (
                '{% extends "base.html" %}\n{% block main %}\n{{ nope.x }}\n{% endblock %}\n'
            )
        }
    )
    result = cli(project, "build")
    assert result.code == 1
    assert re.search(r"templates/person.html:3: .*'nope' is undefined", result.err)
    assert project.snapshot() == before


def test_a_dead_internal_link_fails_the_build_naming_the_article(make_site, cli):
    project = make_site({"content/x.md": article("X", "2023-06-20", "See [this](../missing-page/).")})
    result = cli(project, "build")
    assert result.code == 1
    assert "content/x.md:6: dead link '../missing-page/' on page /articles/x/" in result.err
    assert not (project.root / "site").exists()


@pytest.mark.parametrize(
    "anchor",
    [
        "<a href='../no-such-page/'>x</a>",
        '<A HREF="../no-such-page/">x</A>',
        '<a\nhref="../no-such-page/">x</a>',
    ],
)
def test_a_dead_link_in_a_site_template_is_found_however_it_is_written(make_site, cli, anchor):
    template = '{% extends "base.html" %}\n{% block main %}\n' + anchor + "\n{% endblock %}\n"
    project = make_site({"templates/timeline.html": template})
    result = cli(project, "build")
    assert result.code == 1
    assert "dead link '../no-such-page/' on page /timeline/" in result.err


def test_a_dead_link_in_a_list_item_template_is_reported_on_every_page_that_lists_it(make_site, cli):
    item = (REPO / "templates/_article_item.html").read_text("utf-8")
    # one link through the url filter, dead everywhere; one written relative to the page, which
    # leads to /people/ from pages two levels down and outside the site from the home page
    extra = '<a href="{{ \'no-such-page/\' | url }}">x</a> <a href="../../people/">p</a>\n</li>'
    project = make_site({"templates/_article_item.html": item.replace("</li>", extra)})
    result = cli(project, "build")
    assert result.code == 1
    for page in ("/days/2023-06-18/", "/days/2023-06-14/", "/archive/2023-06/", "/articles/2023-06-14-call/"):
        assert f"dead link '../../no-such-page/index.html' on page {page}\n" in result.err
        assert f"dead link '../../people/' on page {page}\n" not in result.err
    assert "dead link 'no-such-page/index.html' on page /\n" in result.err
    assert "dead link '../../people/' on page /\n" in result.err
    assert not (project.root / "site").exists()


def test_deleted_article_disappears_with_every_mention(make_site, cli):
    project = make_site()
    cli(project, "build")
    (project.root / "content/2023-06-14-call.md").unlink()
    assert cli(project, "build").code == 0
    files = project.snapshot()
    assert "articles/2023-06-14-call/index.html" not in files
    assert "days/2023-06-14/index.html" not in files
    assert not (project.root / "site/articles/2023-06-14-call").exists()  # no empty folder left
    assert not (project.root / "site/days/2023-06-14").exists()
    assert (project.root / "site/days").is_dir()
    assert not any(b"Appel entre Qin Gang" in data for data in files.values())


def test_rebuild_with_nothing_changed_rewrites_nothing(make_site, cli):
    project = make_site()
    cli(project, "build")
    stamps = {p: p.stat().st_mtime_ns for p in (project.root / "site").rglob("*") if p.is_file()}
    result = cli(project, "build")
    assert "(0 rendered, 0 changed, 0 removed)" in result.out
    assert {p: p.stat().st_mtime_ns for p in stamps} == stamps


@pytest.mark.parametrize("out", [".", "content", ".."])
def test_refuses_an_output_folder_that_holds_the_project_or_content(make_site, cli, out):
    project = make_site()
    result = cli(project, "build", "--out", out)
    assert result.code == 1
    assert "refusing to write into" in result.err
    assert (project.root / "content/2023-06-18-talks.md").exists()


def test_refuses_a_non_empty_folder_not_made_by_briefgen(make_site, cli):
    project = make_site({"notes/keep.txt": "precious"})
    result = cli(project, "build", "--out", "notes")
    assert result.code == 1
    assert "not empty and was not made by briefgen" in result.err
    assert project.read("notes/keep.txt") == "precious"


def test_output_is_marked_and_stale_files_inside_it_are_removed(make_site, cli):
    project = make_site()
    cli(project, "build")
    assert (project.root / "site" / MARKER).is_file()
    (project.root / "site/old.html").write_text("stale")
    cli(project, "build")
    assert not (project.root / "site/old.html").exists()


def test_new_writes_an_article_that_builds_once_filled_in(make_site, cli):
    project = make_site()
    result = cli(project, "new", "Wang Yi reçoit Blinken", "--date", "2023-06-19T10:00:00+08:00")
    assert result.code == 0
    path = project.root / "content/2023-06-19-wang-yi-recoit-blinken.md"
    assert result.out.strip().endswith("2023-06-19-wang-yi-recoit-blinken.md")
    assert 'title: "Wang Yi reçoit Blinken"' in path.read_text("utf-8")
    assert cli(project, "check").code == 0  # a fresh article is valid (and a draft)
    assert cli(project, "build", "--drafts").code == 0
    assert "Wang Yi reçoit Blinken" in page(project, "articles/2023-06-19-wang-yi-recoit-blinken/")
    again = cli(project, "new", "Wang Yi reçoit Blinken", "--date", "2023-06-19T10:00:00+08:00")
    assert again.code == 1 and "already exists" in again.err


@pytest.mark.parametrize("title", ["", "   "])
def test_new_refuses_a_blank_title_and_writes_nothing(make_site, cli, capsys, title):
    project = make_site()
    before = sorted((project.root / "content").iterdir())
    with pytest.raises(SystemExit) as stopped:  # argparse's own exit, as for any usage error
        cli(project, "new", title)
    assert stopped.value.code == 2
    assert "argument title: the title must not be empty" in capsys.readouterr().err
    assert sorted((project.root / "content").iterdir()) == before


def test_python_dash_m_and_help(tmp_path: Path):
    result = subprocess.run(
        [sys.executable, "-m", "briefgen", "--help"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0
    for command in ("build", "check", "new"):
        assert command in result.stdout
    build_help = subprocess.run(
        [sys.executable, "-m", "briefgen", "build", "--help"], capture_output=True, text=True, check=False
    ).stdout
    for flag in ("--content", "--out", "--strict", "--drafts"):
        assert flag in build_help


def test_the_briefgen_command_reports_through_pipes_and_exits_with_its_code(make_site):
    """The real command (which leaves without tearing the interpreter down) loses no output."""
    project = make_site({"content/x.md": article("X", "2023-06-20", actors="[Nobody Known]")})

    def briefgen(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "briefgen", "-C", str(project.root), *args]
        buffered = {name: value for name, value in os.environ.items() if name != "PYTHONUNBUFFERED"}
        return subprocess.run(command, capture_output=True, text=True, check=False, env=buffered)

    built = briefgen("build")
    assert built.returncode == 0, built.stderr
    assert re.search(r"built \d+ pages .* in [\d.]+ s", built.stdout)
    assert "content/x.md:4: warning: actors[1]: unknown person 'Nobody Known'" in built.stderr
    assert (project.root / "site/articles/x/index.html").is_file()
    project.write({"content/y.md": "---\ntitle: [unclosed\n---\n"})
    checked = briefgen("check")
    assert checked.returncode == 1
    assert "content/y.md:2: YAML syntax error" in checked.stderr
    assert "Traceback" not in checked.stderr


def test_sample_content_builds_and_every_page_is_reachable_from_home(tmp_path: Path, cli, make_site):
    """The shipped sample: builds cleanly, and a crawl from index.html reaches every page."""
    project = make_site(basic=False)
    out = tmp_path / "sample-site"
    result = cli(project, "-C", str(REPO), "build", "--out", str(out), "--strict")
    assert result.code == 0, result.err
    pages = {p.relative_to(out).as_posix() for p in out.rglob("*.html")}
    seen, queue = set(), ["index.html"]
    while queue:
        current = queue.pop()
        if current in seen:
            continue
        seen.add(current)
        html = (out / current).read_text("utf-8")
        for link in re.findall(r'(?:href|action)="([^"#:]+)(?:#[^"]*)?"', html):  # the search form too
            target = (out / current).parent.joinpath(link).resolve()
            if target.is_dir():
                target = target / "index.html"
            assert target.exists(), f"{current}: {link}"
            relative = target.relative_to(out.resolve()).as_posix()
            if relative.endswith(".html"):
                queue.append(relative)
    assert pages - {"404.html"} <= seen
    assert len([p for p in pages if p.startswith("articles/")]) >= 15
    assert len([p for p in pages if p.startswith("people/") and p != "people/index.html"]) >= 12


def test_an_unwritable_output_is_a_message_not_a_traceback(make_site, cli):
    project = make_site({"site": b""})  # a file where the output folder should be
    result = cli(project, "build")
    assert result.code == 1
    assert "Traceback" not in result.err
    assert "site" in result.err


def test_an_unreadable_file_is_a_message_not_a_traceback(make_site, cli):
    project = make_site()
    (project.root / "content/people/ghost.yaml").symlink_to(project.root / "nowhere.yaml")
    result = cli(project, "check")
    assert result.code == 1
    assert "Traceback" not in result.err
    assert "ghost.yaml" in result.err


def test_directory_urls_make_links_end_in_a_slash(make_site, cli):
    project = make_site({"briefgen.yaml": "directory_urls: true\ndigest: {enabled: false}\n"})
    assert cli(project, "build").code == 0  # and every one of those links resolved
    html = page(project, "articles/2023-06-18-talks/")
    assert 'href="../../people/qin-gang/"' in html
    assert "index.html" not in html


def test_a_terminal_sees_each_stage_then_a_progress_bar_on_one_line(make_site, cli, monkeypatch):
    project = make_site({"briefgen.yaml": "digest:\n  enabled: true\n"})
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    result = cli(project, "build", "--no-search")
    assert result.code == 0, result.err
    # each stage rewrites the line ("\r" and erase), in the order the build goes through them; 20
    # HTML pages and 16 feeds, calendars, timeline data and the manifest; one PDF per day
    lines = result.err.split("\r\x1b[K")
    shown = [line for line in lines if line]
    stages = list(dict.fromkeys(re.sub(r" \[.*|…$", "", line) for line in shown))
    assert stages == [
        "reading the content",
        "parsing articles",
        "indexing 2 articles",
        "finding which of 37 pages changed",
        "rendering",
        "PDF digests",
        "writing",
    ]
    assert "parsing articles [" + "#" * 30 + "] 2/2" in shown
    assert "rendering [" + "#" * 30 + "] 37/37" in shown
    assert "PDF digests [" + "#" * 15 + "." * 15 + "] 1/2" in shown
    assert "PDF digests [" + "#" * 30 + "] 2/2" in shown
    assert lines[-1] == ""  # cleared: what comes next starts on a clean line
    assert "built 37 pages" in result.out


def test_a_failed_build_clears_its_progress_line_before_the_errors(make_site, cli, monkeypatch):
    project = make_site({"content/2023-06-20-bad.md": "---\ntitle: [unclosed\n---\n"})
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    result = cli(project, "build")
    assert result.code == 1
    progress, _, errors = result.err.rpartition("\r\x1b[K")
    assert progress.endswith("reading the content…\r\x1b[Kparsing articles [" + "#" * 30 + "] 3/3")
    assert errors.startswith("content/2023-06-20-bad.md:2: YAML syntax error")


def test_check_shows_its_stages_on_a_terminal_too(make_site, cli, monkeypatch):
    project = make_site()
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    result = cli(project, "check")
    assert result.code == 0
    assert "\r\x1b[Kindexing 2 articles…" in result.err
    assert "\r\x1b[Krendering [" + "#" * 30 + "] 37/37\r\x1b[K" in result.err
    assert result.err.endswith("pages they make, with every internal link: no errors\n")


def test_quiet_or_piped_builds_show_no_progress(make_site, cli, monkeypatch):
    project = make_site()
    assert "\r" not in cli(project, "build").err  # stderr is no terminal here
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    assert cli(project, "build", "-q").err == ""


def test_a_body_saved_again_during_the_build_stops_it_rather_than_mixing_versions(make_site):
    from briefgen.config import load_config
    from briefgen.content.articles import read_body
    from briefgen.content.load import load_content
    from briefgen.errors import BuildError

    project = make_site({"content/x.md": article("X", "2023-06-20", "First version.")})
    content = load_content(load_config(project.root))
    parsed = next(a for a in content.articles if a.slug == "x")
    assert read_body(parsed).strip() == "First version."
    (project.root / "content/x.md").write_text(article("X", "2023-06-20", "Second version."), "utf-8")
    with pytest.raises(BuildError, match=r"content/x.md: the file changed while the site was being built"):
        read_body(parsed)


def test_builds_in_one_process_do_not_pile_up_what_earlier_builds_made(make_site):
    """The preview server builds again and again: each build's objects must be freed after it."""
    import gc

    from briefgen.build import build
    from briefgen.config import load_config

    project = make_site()
    config = load_config(project.root)
    counts = []
    for _ in range(12):
        build(config, use_cache=False)  # the full path, which makes a Jinja environment each time
        counts.append(len(gc.get_objects()))
    # the collector frees a build's leftovers a build or two later; piled up, they would add some
    # 700 objects per build: 7,000 over the last ten
    assert max(counts[2:]) < counts[1] + 2500, counts


def test_the_garbage_collector_is_back_on_after_a_build_that_works_or_fails(make_site, cli):
    import gc

    project = make_site()
    assert cli(project, "build").code == 0
    assert gc.isenabled()  # the preview server builds again and again in one process
    (project.root / "content/broken.md").write_text("---\ntitle: [unclosed\n---\n", "utf-8")
    assert cli(project, "build").code == 1
    assert gc.isenabled()


def test_related_articles_share_the_rarest_people_and_topics_nearest_in_time_first(make_site, cli):
    def related_titles(project, slug: str) -> list[str]:
        html = project.read(f"site/articles/{slug}/index.html")
        section = html.split('<section class="related"', 1)[1] if 'class="related"' in html else ""
        return re.findall(r'class="article-title"[^>]*>([^<]+)<', section)

    files = {
        "content/a.md": article("A", "2023-06-10", actors="[Rare Person, Common Person]", topics="[Trade]"),
        "content/b.md": article("B", "2023-06-11", actors="[Common Person]", topics="[Trade]"),
        "content/c.md": article("C", "2023-06-20", actors="[Rare Person]"),
        "content/d.md": article("D", "2023-06-12", actors="[Common Person]"),
        "content/e.md": article("E", "2023-06-13", actors="[Common Person]", topics="[Trade]"),
        "content/lonely.md": article("Lonely", "2023-06-14"),
    }
    project = make_site(files, basic=False)
    assert cli(project, "build").code == 0
    # B and E share two keys with A (B is nearer in time), C the rarer person, D the common one
    assert related_titles(project, "a") == ["B", "E", "C", "D"]
    assert related_titles(project, "c") == ["A"]  # the one other article with Rare Person
    assert related_titles(project, "lonely") == []  # no people, no topics: nothing related


def test_related_articles_come_from_nearby_in_time_in_a_long_run(make_site, cli):
    files = {
        f"content/n{day:02d}.md": article(f"N{day:02d}", f"2023-05-{day:02d}", actors="[Someone]")
        for day in range(1, 31)
    }
    project = make_site(files, basic=False)
    assert cli(project, "build").code == 0
    html = project.read("site/articles/n30/index.html").split('<section class="related"', 1)[1]
    assert re.findall(r'class="article-title"[^>]*>([^<]+)<', html) == ["N29", "N28", "N27", "N26", "N25"]


@pytest.mark.parametrize(
    "encode",
    [
        lambda text: ("\ufeff" + text).encode("utf-8"),  # a byte order mark, as some editors write
        lambda text: text.replace("\n", "\r\n").encode("utf-8"),  # Windows line ends
        lambda text: ("\ufeff" + text.replace("\n", "\r\n")).encode("utf-8"),
    ],
)
def test_articles_saved_with_a_bom_or_windows_line_ends_build_like_any_other(make_site, cli, encode):
    text = article("Été à Genève", "2023-06-20", "Le *corps* de l'article.\n\nDeuxième paragraphe.")
    project = make_site({"content/x.md": encode(text)})
    assert cli(project, "build").code == 0
    html = project.read("site/articles/x/index.html")
    assert "<h1>Été à Genève</h1>" in html
    body = html.split('<div class="body">', 1)[1].split("</div>", 1)[0]
    assert "<em>corps</em>" in body and "Deuxième paragraphe." in body
    assert "---" not in body and "title:" not in body and "\ufeff" not in body
