"""briefgen.yaml: every bad setting is reported with its line, and a project without one builds."""

from __future__ import annotations

import re

import pytest
from conftest import REPO, article

from briefgen.config import setting_names


@pytest.fixture
def check_config(make_site, cli):  # type: ignore[no-untyped-def]
    """Run `briefgen check` on the sample project with `settings` as its briefgen.yaml."""

    def run(settings: str | bytes) -> tuple[int, list[str]]:
        result = cli(make_site({"briefgen.yaml": settings}), "check")
        assert "Traceback" not in result.err
        lines = [line for line in result.err.splitlines() if not line.startswith(("briefgen: ", "checked "))]
        return result.code, lines

    return run


def day_page(project) -> str:  # type: ignore[no-untyped-def]
    """Visible text of the 18 June 2023 day page of the sample project."""
    return " ".join(re.sub(r"<[^>]+>", " ", project.read("site/days/2023-06-18/index.html")).split())


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ("title: Briefing\ntitel: Briefing\n", "2: unknown setting 'titel'; did you mean 'title'?"),
        ("paths:\n  contnet: articles\n", "2: unknown setting 'paths.contnet'; did you mean 'content'?"),
        ("timezone: Europe/Pariss\n", "1: unknown timezone 'Europe/Pariss'; did you mean 'Europe/Paris'?"),
        (
            "timezone: Mars/Olympus\n",
            "1: unknown timezone 'Mars/Olympus' (use an IANA name such as 'Europe/Paris')",
        ),
        ("language: english\n", "1: language 'english' is not a language tag such as en or fr-CA"),
        ("strict: maybe\n", "1: strict must be true or false, not 'maybe'"),
        ("home_days: a week\n", "1: home_days must be a number, not 'a week'"),
        ("- title\n", "1: settings must be a mapping of names to values, not a list"),
        ("title: [Briefing\nlanguage: fr\n", "1: YAML syntax error: did not find expected ',' or ']'"),
        ("title: A\ntitle: B\n", "2: duplicate key 'title' (first at line 1)"),
    ],
)
def test_a_bad_setting_is_reported_at_its_line(check_config, settings: str, expected: str) -> None:
    code, lines = check_config(settings)
    assert lines == [f"briefgen.yaml:{expected}"]
    assert code == 1


def test_every_bad_setting_is_reported_in_one_run(check_config) -> None:
    code, lines = check_config("titel: Briefing\nlanguage: english\ntimezone: Europe/Pariss\n")
    assert sorted(lines) == [
        "briefgen.yaml:1: unknown setting 'titel'; did you mean 'title'?",
        "briefgen.yaml:2: language 'english' is not a language tag such as en or fr-CA",
        "briefgen.yaml:3: unknown timezone 'Europe/Pariss'; did you mean 'Europe/Paris'?",
    ]
    assert code == 1


def test_a_settings_file_not_in_utf8_asks_for_utf8(check_config) -> None:
    code, lines = check_config(b"title: Caf\xe9\n")
    assert lines == ["briefgen.yaml: not valid UTF-8; save the file as UTF-8"]
    assert code == 1


def test_strict_in_settings_makes_warnings_errors(make_site, cli) -> None:
    unknown_actor = {"content/z.md": article("Z", "2023-06-20", actors="[Wang Yi]")}
    lenient = cli(make_site(unknown_actor), "check")
    assert lenient.code == 0
    assert "content/z.md:4: warning: actors[1]: unknown person 'Wang Yi'" in lenient.err
    strict = cli(make_site({**unknown_actor, "briefgen.yaml": "strict: true\n"}), "check")
    assert strict.code == 1
    assert "content/z.md:4: actors[1]: unknown person 'Wang Yi'" in strict.err
    assert "warning" not in strict.err


def test_a_project_without_settings_builds_with_the_defaults(make_site, cli) -> None:
    project = make_site()
    (project.root / "briefgen.yaml").unlink()  # the fixture's, which turns PDF digests off
    assert cli(project, "build").code == 0
    assert "Sunday, June 18, 2023" in day_page(project)
    assert '<html lang="en">' in project.read("site/index.html")
    assert (project.root / "site/digests/2023-06-18.pdf").read_bytes().startswith(b"%PDF")


def test_the_site_language_sets_the_dates(make_site, cli) -> None:
    project = make_site({"briefgen.yaml": "language: fr\ndigest: {enabled: false}\n"})
    assert cli(project, "build").code == 0
    assert "dimanche 18 juin 2023" in day_page(project)


@pytest.mark.skipif(not (REPO / "docs/config.md").exists(), reason="docs/config.md not written yet")
def test_every_setting_is_documented() -> None:
    doc = (REPO / "docs/config.md").read_text(encoding="utf-8")
    missing = [name for name in setting_names() if f"`{name}`" not in doc]
    assert not missing, f"settings missing from docs/config.md: {', '.join(missing)}"


def test_yaml_1_1_guesses_never_reach_the_settings(make_site, cli) -> None:
    project = make_site({"briefgen.yaml": "title: NO\nlanguage: no\ndigest: {enabled: no}\n"})  # Norwegian
    assert cli(project, "build").code == 0
    assert "søndag 18. juni 2023" in day_page(project)
    assert "<title>NO</title>" in project.read("site/index.html")
