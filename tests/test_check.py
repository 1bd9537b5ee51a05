"""`briefgen check`: every mistake a user can make is one `path:line: message` line, all in one run."""

from __future__ import annotations

import pytest
from conftest import article


@pytest.fixture
def check(make_site, cli):  # type: ignore[no-untyped-def]
    """Write `files` over the sample project, run `briefgen check ARGS`; return (exit code, lines)."""

    def run(files: dict[str, str | bytes], *args: str) -> tuple[int, list[str]]:
        result = cli(make_site(files), "check", *args)
        assert "Traceback" not in result.err
        return result.code, reported(result.err)

    return run


def reported(err: str) -> list[str]:
    """The problem and warning lines on stderr, without the closing summary line."""
    return [line for line in err.splitlines() if not line.startswith(("briefgen: ", "checked "))]


def front(*lines: str) -> str:
    """An article whose front matter is exactly `lines` (file line 2 is the first of them)."""
    return "\n".join(["---", *lines, "---", "", "Body.", ""])


def has_link(html: str, slug: str, title: str) -> bool:
    """A person page lists an article: its title links to the article's page."""
    return f'href="../../articles/{slug}/index.html">{title}</a>' in html


OK = ("title: T", "date: 2023-06-20")
HINT = "use YYYY-MM-DD or an ISO datetime such as 2023-06-18T09:30:00+08:00"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(front("date: 2023-06-20"), "2: missing required field 'title'", id="no-title"),
        pytest.param(front("title: T"), "2: missing required field 'date'", id="no-date"),
        pytest.param(front('title: ""', "date: 2023-06-20"), "2: title must not be empty", id="empty-title"),
        pytest.param(
            front("title: [a, b]", "date: 2023-06-20"), "2: title must be text, not a list", id="title-list"
        ),
        pytest.param(
            front(*OK, "actors: Qin Gang"),
            "4: actors must be a list such as [a, b], not text",
            id="actors-text",
        ),
        pytest.param(front(*OK, "draft: maybe"), "4: draft must be true or false", id="draft-maybe"),
        pytest.param(
            front("title: T", "date: 2023-02-30"),
            "3: date: '2023-02-30' is not a valid date (day is out of range for month)",
            id="impossible-date",
        ),
        pytest.param(
            front("title: T", "date: yesterday"),
            f"3: date: 'yesterday' is not a valid date; {HINT}",
            id="nonsense",
        ),
        pytest.param(
            front("title: T", "date: 9999-12-31T23:00:00-05:00"),
            "3: date: '9999-12-31T23:00:00-05:00' is not a valid date (date value out of range)",
            id="beyond-year-9999",
        ),
        pytest.param(
            front(
                *OK,
                "events:",
                "  - {date: 2023-06-19, title: Fine}",
                "  - title: Talks",
                "    date: 2023-13-01",
            ),
            f"7: events[2].date: '2023-13-01' is not a valid date; {HINT}",
            id="event-date",
        ),
        pytest.param(
            front(*OK, "events:", "  - {date: 2023-06-19, titel: Talks}"),
            "5: unknown key 'events[1].titel'; did you mean 'title'?\n"
            "5: missing required field 'events[1].title'",
            id="event-typo",
        ),
        pytest.param(
            front(*OK, "actor: [Qin Gang]"), "4: unknown key 'actor'; did you mean 'actors'?", id="typo"
        ),
        pytest.param(
            "---\ntitle: T\ndate: 2023-06-20\n\nBody.\n",
            "1: front matter is not closed: add a '---' line after it",
            id="not-closed",
        ),
        pytest.param(
            front("- title: T", "- date: 2023-06-20"),
            "2: front matter must be a mapping of keys to values, not a list",
            id="list",
        ),
        pytest.param(
            "# Just Markdown\n",
            "1: missing front matter: the file must start with a '---' line",
            id="no-front-matter",
        ),
        pytest.param("", "1: missing front matter: the file must start with a '---' line", id="empty-file"),
        pytest.param(
            front(*OK, "topics: [Diplomacy, Taiwan", "places: [Beijing]"),
            "4: YAML syntax error: did not find expected ',' or ']'",
            id="unclosed-bracket",
        ),
        pytest.param(
            front(*OK, "summary: Talks", "  went: well"),
            "5: YAML syntax error: mapping values are not allowed in this context",
            id="bad-indentation",
        ),
        pytest.param(
            front(*OK, "actors:", "  - Qin Gang", " - Antony Blinken"),
            "6: YAML syntax error: did not find expected key",
            id="bad-list-indentation",
        ),
        pytest.param(
            front("title: T", "date: 2023-06-20", "title: U"),
            "4: duplicate key 'title' (first at line 2)",
            id="duplicate-key",
        ),
        pytest.param(
            front(*OK, "image: missing.jpg"),
            "4: image: 'missing.jpg' is not a file beside the article",
            id="image-missing",
        ),
        pytest.param(
            front(*OK, "image: http://example.org/a.jpg"),
            "4: image: 'http://example.org/a.jpg' must be an https:// address or a file beside the article",
            id="image-http",
        ),
        pytest.param(
            front(*OK, "image: ../../secret.jpg"),
            "4: image: '../../secret.jpg' must be a file inside the content folder, relative to the article",
            id="image-outside",
        ),
        pytest.param(
            front(*OK, "image: notes.txt"),
            "4: image: 'notes.txt' must be a picture: .jpg, .jpeg, .png, .gif, .webp, .avif",
            id="image-not-a-picture",
        ),
        pytest.param(
            front(*OK, "image: {alt: A harbour}"), "4: missing required field 'image.src'", id="image-no-src"
        ),
    ],
)
def test_a_broken_article_is_reported_at_its_line(check, text: str, expected: str) -> None:
    code, lines = check({"content/a.md": text})
    assert lines == [f"content/a.md:{line}" for line in expected.split("\n")]
    assert code == 1


def test_every_problem_in_every_file_is_reported_in_one_run(check) -> None:
    code, lines = check(
        {
            "content/a.md": front("date: 2023-06-20"),
            "content/b.md": front("title: B", "date: 2023-02-30", "draft: maybe"),
            "content/c.md": "no front matter\n",
            "content/people/wang-yi.yaml": "name: Wang Yi\nalias: [Minister Wang]\n",
        }
    )
    assert lines == [
        "content/a.md:2: missing required field 'title'",
        "content/b.md:3: date: '2023-02-30' is not a valid date (day is out of range for month)",
        "content/b.md:4: draft must be true or false",
        "content/c.md:1: missing front matter: the file must start with a '---' line",
        "content/people/wang-yi.yaml:2: unknown key 'alias'; did you mean 'aliases'?",
    ]
    assert code == 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("name: Wang Yi\nalias: [Minister Wang]\n", "2: unknown key 'alias'; did you mean 'aliases'?"),
        ("- Wang Yi\n", "1: a person file must be a mapping, not a list"),
        ("", "1: empty person file: at least 'name' is required"),
        ("country: CN\n", "1: missing required field 'name'"),
        ("name: [Wang Yi\n", "1: YAML syntax error: did not find expected ',' or ']'"),
        (
            "name: Wang Yi\nroles:\n  - title: Minister\n    from: last year\n",
            f"4: roles[1].from: 'last year' is not a valid date; {HINT}",
        ),
    ],
)
def test_a_broken_person_file_is_reported_at_its_line(check, text: str, expected: str) -> None:
    code, lines = check({"content/people/wang-yi.yaml": text})
    assert lines == [f"content/people/wang-yi.yaml:{expected}"]
    assert code == 1


def test_two_articles_with_one_slug_name_both_files(check) -> None:
    code, lines = check(
        {
            "content/2023/talks.md": article("One", "2023-06-20"),
            "content/talks.md": article("Two", "2023-06-21"),
        }
    )
    assert lines == [
        "content/talks.md:1: slug 'talks' is already used by content/2023/talks.md; "
        "rename one file or set a different 'slug'"
    ]
    assert code == 1


def test_two_people_files_with_one_id_name_both_files(check) -> None:
    # the sample project already has content/people/qin-gang.yaml
    code, lines = check({"content/people/Qin-Gang.yaml": "name: Qin Gang\n"})
    assert lines == [
        "content/people/qin-gang.yaml:1: person id 'qin-gang' is already used by content/people/Qin-Gang.yaml"
    ]
    assert code == 1


@pytest.mark.parametrize("name", ["content/a.md", "content/people/wang-yi.yaml"])
def test_a_file_not_in_utf8_is_named_and_utf8_asked_for(check, name: str) -> None:
    code, lines = check({name: b"---\ntitle: caf\xe9\ndate: 2023-06-20\n---\n"})
    assert lines == [f"{name}:2: not valid UTF-8 (byte 0xe9); save the file as UTF-8"]
    assert code == 1


def test_yaml_1_1_guesses_never_reach_the_site(make_site, cli) -> None:
    project = make_site(
        {
            "content/people/ola-nordmann.yaml": "name: Ola Nordmann\ncountry: NO\n",
            "content/no.md": front(
                "title: NO", "date: 2023-06-20", "summary: 3.10", "topics: [yes]", "actors: [Ola Nordmann]"
            ),
        }
    )
    assert cli(project, "build").code == 0
    html = project.read("site/articles/no/index.html")
    assert "<h1>NO</h1>" in html
    assert '<p class="lead">3.10</p>' in html
    assert 'href="../../topics/yes/index.html">yes</a>' in html
    person = project.read("site/people/ola-nordmann/index.html")
    assert "<p>Norway</p>" in person  # the ISO code NO, shown by name
    for guess in ("False", "True", "3.1<"):
        assert guess not in html + person


def test_an_unknown_actor_is_a_warning_and_gets_a_stub_page(make_site, cli) -> None:
    project = make_site({"content/z.md": article("Z", "2023-06-20", actors="[Wang Yi]")})
    result = cli(project, "build")
    assert result.code == 0
    assert reported(result.err) == [
        "content/z.md:4: warning: actors[1]: unknown person 'Wang Yi'; "
        "add people/wang-yi.yaml to describe them"
    ]
    assert has_link(project.read("site/people/wang-yi/index.html"), "z", "Z")


def test_an_actor_close_to_a_known_name_gets_a_suggestion(check) -> None:
    code, lines = check({"content/z.md": article("Z", "2023-06-20", actors="[Qin Gan]")})
    assert lines == ["content/z.md:4: warning: actors[1]: unknown person 'Qin Gan'; did you mean 'Qin Gang'?"]
    assert code == 0


def test_strict_makes_an_unknown_actor_an_error(check) -> None:
    code, lines = check({"content/z.md": article("Z", "2023-06-20", actors="[Wang Yi]")}, "--strict")
    assert lines == [
        "content/z.md:4: actors[1]: unknown person 'Wang Yi'; "
        "add people/wang-yi.yaml to describe them [strict]"
    ]
    assert code == 1


SHARED_ALIAS = {
    "content/people/qin-yi.yaml": "name: Qin Yi\naliases: [Minister Qin]\n",
    "content/people/qin-gang.yaml": "name: Qin Gang\naliases: [Minister Qin, 秦刚]\n",
}


def test_an_alias_held_by_several_people_is_a_warning(check) -> None:
    code, lines = check(SHARED_ALIAS)
    assert lines == [
        "content/people/qin-gang.yaml:1: warning: 'Minister Qin' names several people (qin-gang, qin-yi); "
        "an actor written only as 'Minister Qin' is an error"
    ]
    assert code == 0


def test_an_actor_written_only_as_a_shared_alias_is_an_error_listing_the_candidates(check) -> None:
    code, lines = check({**SHARED_ALIAS, "content/z.md": article("Z", "2023-06-20", actors="[minister qin]")})
    assert lines == [
        "content/people/qin-gang.yaml:1: warning: 'Minister Qin' names several people (qin-gang, qin-yi); "
        "an actor written only as 'Minister Qin' is an error",  # warnings are shown beside errors
        "content/z.md:4: actors[1]: 'minister qin' could be several people: Qin Gang (qin-gang), "
        "Qin Yi (qin-yi); write the full name or id",
    ]
    assert code == 1


@pytest.mark.parametrize("written", ["qin gang", "QIN GANG", "Qín Gāng", "秦刚", "qin-gang"])
def test_actors_match_people_whatever_the_case_accents_or_alias(make_site, cli, written: str) -> None:
    project = make_site({"content/z.md": article("Z", "2023-06-20", actors=f"[{written}]")})
    result = cli(project, "build")
    assert result.code == 0
    assert "warning" not in result.err
    assert has_link(project.read("site/people/qin-gang/index.html"), "z", "Z")


def test_drafts_are_built_only_with_the_drafts_option(make_site, cli) -> None:
    project = make_site({"content/z.md": article("Draft", "2023-06-20", draft="true")})
    assert cli(project, "build").code == 0
    assert not (project.root / "site/articles/z").exists()
    assert cli(project, "build", "--drafts").code == 0
    assert "<h1>Draft</h1>" in project.read("site/articles/z/index.html")


def test_content_option_points_check_at_another_folder(check) -> None:
    code, lines = check({"drafts/a.md": front("title: T")}, "--content", "drafts")
    assert lines == ["drafts/a.md:2: missing required field 'date'"]
    assert code == 1
    code, lines = check({"drafts/a.md": article("T", "2023-06-20")}, "--content", "drafts")
    assert (code, lines) == (0, [])


def test_a_missing_content_folder_is_a_message_not_a_traceback(check) -> None:
    assert check({}, "--content", "nowhere") == (1, ["nowhere: content folder not found"])


def test_check_writes_nothing(make_site, cli) -> None:
    project = make_site()
    result = cli(project, "check")
    assert (result.code, reported(result.err)) == (0, [])
    assert not (project.root / "site").exists()


def test_people_files_may_sit_in_sub_folders(make_site, cli) -> None:
    project = make_site(
        {
            "content/people/cn/wang-yi.yaml": "name: Wang Yi\naliases: [王毅]\n",
            "content/z.md": article("Z", "2023-06-20", actors="[王毅]"),
        }
    )
    result = cli(project, "build", "--strict")
    assert result.code == 0, result.err
    assert has_link(project.read("site/people/wang-yi/index.html"), "z", "Z")
