"""Every field of every content file, every setting that shows on pages, edited between builds:
each rebuild ends with the site a cold build makes, byte for byte.

The fields are not listed by hand: the test takes them from the keys briefgen/content/ accepts and from
the settings' dataclass, and fails when one has no edit here, so a new field is tested the day it
is added.
"""

from __future__ import annotations

import random
from dataclasses import fields

from test_incremental import GLOBAL_READERS, cold_build, output

from briefgen.config import SiteConfig
from briefgen.content import articles, people, vocabulary

# For each key a content file may hold, values it takes in turn ({n}: the file's number).
ARTICLE = {
    "title": ['"Talks {n}"', '"Talks {n}, again"', '"Переговоры {n}"'],
    "date": ["2023-06-1{n}T09:30:00+08:00", "2023-06-2{n}", "2023-07-0{n}T22:00:00-04:00"],
    "lang": ["en", "fr"],
    "summary": ['"Short {n}."', '"A longer summary {n}: more."'],
    "actors": ["[Qin Gang, Antony Blinken]", "[Wang Yi]", "[person 0, Li Qiang]"],
    "topics": ["[Diplomacy]", "[Trade, Taiwan]"],
    "places": ["[Beijing]", "[Paris, Washington]"],
    "slug": ["talks-{n}", "meeting-{n}"],
    "draft": ["false", "true"],
    "events.id": ["ev-{n}", "ev-{n}-b"],
    "events.date": ["2023-06-1{n}", "2023-06-1{n}T15:00:00+02:00"],
    "events.title": ['"Event {n}"', '{{en: "Event {n}", fr: "Événement {n}"}}'],
    "events.actors": ["[Wang Yi]", "[Qin Gang, Antony Blinken]", "[]"],
    "events.topics": ["[Trade]", "[Climate]"],
    "events.places": ["[Paris]", "[Beijing]"],
    "source.name": ["Reuters", "AFP"],
    "source.url": ["https://example.org/{n}", "https://example.com/a/{n}"],
    "source.published": ["2023-06-1{n}", "2023-06-0{n}"],
    "image.src": ["https://example.org/{n}.jpg", "pic{n}.png"],
    "image.alt": ['"A picture {n}"', '"Another picture {n}"'],
}
PERSON = {
    "name": ["{name}", "{name} Jr"],
    "aliases": ["[Person {n}]", "[P{n}, Person {n}]"],
    "lang": ["en", "zh"],
    "country": ["CN", "US"],
    "description": ['"A diplomat."', '"Formerly an ambassador."'],
    "links": ["{{wikipedia: https://example.org/{n}}}", "{{site: https://example.com/{n}}}"],
    "roles.title": ["Minister", "Foreign Minister"],
    "roles.organisation": ["State Council", "Party"],
    "roles.from": ["2022-12-30", "2021-01-01"],
    "roles.to": ["2023-07-25", "2024-01-01"],
}
VOCABULARY = {
    "topics": {
        "name": ["{name}", "{{en: {name}, fr: {name} (fr)}}"],
        "aliases": ["[x{n}]", "[]"],
    },
    "places": {
        "name": ["{name}", "{{en: {name}, fr: {name} (fr)}}"],
        "aliases": ["[y{n}]", "[]"],
        "country": ["CN", "FR"],
        "coordinates": ["[39.9, 116.4]", "[48.9, 2.35]"],
        "timezone": ["Asia/Shanghai", "Europe/Paris"],
    },
}
# Settings that show on pages, with values they take; the others change no page, or where pages go.
SETTINGS = {
    "title": ["Briefing", "Morning brief"],
    "description": ['""', '"What happened."'],
    "base_url": ['""', "https://example.org/brief/"],
    "language": ["en", "fr"],
    "timezone": ["UTC", "Asia/Shanghai"],
    "day_zone": ["source", "site"],
    "drafts": ["false", "true"],
    "directory_urls": ["false", "true"],
    "home_days": ["7", "2"],
    "related_articles": ["5", "0"],
    "timeline_events": ["1000", "1"],
    "page_items": ["200", "1"],
    "mentions": ["first", "all", "off"],
}
NOT_ON_PAGES = {"root", "strict", "jobs", "follow_symlinks", "paths", "digest", "mail", "limits"}
PEOPLE = {"qin-gang": "Qin Gang", "antony-blinken": "Antony Blinken", "wang-yi": "Wang Yi"}
TERMS = {
    "topics": {"diplomacy": "Diplomacy", "trade": "Trade"},
    "places": {"beijing": "Beijing", "paris": "Paris"},
}


def nested(keys: tuple[str, ...], prefix: str) -> set[str]:
    return {f"{prefix}.{key}" for key in keys}


def test_every_key_a_content_file_takes_and_every_setting_has_an_edit():
    article_keys = set(articles.ARTICLE_KEYS) - {"events", "source", "image"}
    article_keys |= nested(articles.EVENT_KEYS, "events") | nested(articles.SOURCE_KEYS, "source")
    article_keys |= nested(articles.IMAGE_KEYS, "image")
    assert set(ARTICLE) == article_keys
    assert set(PERSON) == (set(people.PERSON_KEYS) - {"roles"}) | nested(people.ROLE_KEYS, "roles")
    assert {kind: set(keys) for kind, keys in VOCABULARY.items()} == {
        kind: set(keys) for kind, keys in vocabulary.VOCABLE_KEYS.items()
    }
    assert set(SETTINGS) | NOT_ON_PAGES == {f.name for f in fields(SiteConfig)}


def article_text(n: int, values: dict[str, str]) -> str:
    def v(key: str) -> str:
        return values[key].format(n=n)

    event = ", ".join(f"{key}: {v('events.' + key)}" for key in articles.EVENT_KEYS)
    source = ", ".join(f"{key}: {v('source.' + key)}" for key in articles.SOURCE_KEYS)
    image = ", ".join(f"{key}: {v('image.' + key)}" for key in articles.IMAGE_KEYS)
    lines = [f"{key}: {v(key)}" for key in ARTICLE if "." not in key]
    return "\n".join(
        [
            "---",
            *lines,
            f"events:\n  - {{{event}}}",
            f"source: {{{source}}}",
            f"image: {{{image}}}",
            "---",
            "",
            f"Body {n}.",
            "",
        ]
    )


def person_text(n: int, name: str, values: dict[str, str]) -> str:
    def v(key: str) -> str:
        return values[key].format(n=n, name=name)

    role = ", ".join(f"{key}: {v('roles.' + key)}" for key in people.ROLE_KEYS)
    lines = [f"{key}: {v(key)}" for key in PERSON if "." not in key]
    return "\n".join([*lines, f"roles:\n  - {{{role}}}", ""])


def vocable_text(kind: str, n: int, name: str, values: dict[str, str]) -> str:
    return "".join(f"{key}: {value.format(n=n, name=name)}\n" for key, value in values.items())


class Site:
    """The content files as choices of one value per key; `files()` writes them out."""

    def __init__(self) -> None:
        self.articles = {n: {key: values[0] for key, values in ARTICLE.items()} for n in range(1, 5)}
        self.people = {pid: {key: values[0] for key, values in PERSON.items()} for pid in PEOPLE}
        self.terms = {
            (kind, slug): {key: values[0] for key, values in VOCABULARY[kind].items()}
            for kind, entries in TERMS.items()
            for slug in entries
        }
        self.settings = {key: values[0] for key, values in SETTINGS.items()}

    def files(self) -> dict[str, str | bytes]:
        found: dict[str, str | bytes] = {}
        for n, values in self.articles.items():
            found[f"content/a{n}.md"] = article_text(n, values)
            found[f"content/pic{n}.png"] = b"\x89PNG\r\n\x1a\n" + bytes([n])  # copied beside the page
        for n, (pid, values) in enumerate(self.people.items()):
            found[f"content/people/{pid}.yaml"] = person_text(n, PEOPLE[pid], values)
        for n, ((kind, slug), values) in enumerate(self.terms.items()):
            found[f"content/{kind}/{slug}.yaml"] = vocable_text(kind, n, TERMS[kind][slug], values)
        settings = "".join(f"{key}: {value}\n" for key, value in self.settings.items())
        found["briefgen.yaml"] = settings + "digest: {enabled: false}\n"
        return found

    def edit(self, rng: random.Random, where: str, key: str) -> None:
        """Give `key` another value in one file of kind `where` chosen at random."""
        if where == "article":
            choices, table = self.articles[rng.choice(list(self.articles))], ARTICLE
        elif where == "person":
            choices, table = self.people[rng.choice(list(self.people))], PERSON
        elif where == "settings":
            choices, table = self.settings, SETTINGS
        else:
            choices = self.terms[(where, rng.choice(list(TERMS[where])))]
            table = VOCABULARY[where]
        choices[key] = rng.choice([value for value in table[key] if value != choices[key]])


def every_edit() -> list[tuple[str, str]]:
    edits = [("article", key) for key in ARTICLE] + [("person", key) for key in PERSON]
    edits += [(kind, key) for kind, keys in VOCABULARY.items() for key in keys]
    return edits + [("settings", key) for key in SETTINGS]


def test_edits_of_every_field_end_with_the_site_a_cold_build_makes(make_site, cli, tmp_path):
    rng = random.Random(20230618)
    site = Site()
    project = make_site(site.files(), basic=False)
    assert cli(project, "build", "-q").code == 0
    # one field at a time: an edit made with others could hide behind a page they re-render anyway
    steps = [[edit] for edit in every_edit()]
    rng.shuffle(steps)
    steps.insert(rng.randrange(len(steps)), [("templates", "reading globals")])
    for number, step in enumerate(steps):
        for where, key in step:
            if where == "templates":
                project.write(GLOBAL_READERS)
            else:
                site.edit(rng, where, key)
        project.write(site.files())
        result = cli(project, "build", "-q")
        assert result.code == 0, (step, result.err)
        assert output(project, "site") == cold_build(project, cli, tmp_path / str(number)), step
