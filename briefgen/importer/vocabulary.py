"""What the content already knows: its people (read by content/people.py) and the topics and places its
articles use, with the French and English spellings that point at each."""

from __future__ import annotations

import datetime as dt
import difflib
import re
from dataclasses import dataclass, field

from ..config import SiteConfig
from ..content.articles import article_paths, parse_file
from ..content.events import SIMILAR_TITLES
from ..content.fields import Report
from ..content.load import load_registries, resolve_article
from ..errors import Problem
from ..files import project_files
from ..model import Person
from ..slugs import fold

# Other ways articles write a term of the vocabulary (folded). A term is only ever proposed if the
# content already uses it: this table adds spellings, never terms.
SPELLINGS = {
    "beijing": ("pekin", "beijing"),
    "washington": ("washington",),
    "taiwan": ("taiwan", "taiwanais", "taiwanaise", "taipei"),
    "taiwan strait": ("detroit de taiwan", "taiwan strait"),
    "london": ("londres", "london"),
    "singapore": ("singapour", "singapore"),
    "california": ("californie", "california"),
    "moscow": ("moscou", "moscow"),
    "brussels": ("bruxelles", "brussels"),
    "diplomacy": ("diplomatie", "diplomatique", "diplomatic", "diplomacy", "diplomat", "diplomate"),
    "us-china relations": (
        "relations sino-americaines",
        "relation sino-americaine",
        "relations entre la chine et les etats-unis",
        "relations bilaterales",
        "us-china relations",
        "u.s.-china relations",
        "china-us relations",
        "relations between the united states and china",
        "ties between washington and beijing",
    ),
    "trade": ("commerce", "commercial", "commerciale", "commerciaux", "trade", "tariffs", "droits de douane"),
    "technology": (
        "technologie",
        "technologies",
        "technology",
        "semi-conducteurs",
        "semiconductors",
        "chips",
    ),
    "military": ("militaire", "militaires", "military", "armee", "army"),
    "climate": ("climat", "climatique", "climate"),
    "human rights": ("droits de l'homme", "droits humains", "human rights"),
    "counternarcotics": ("fentanyl", "stupefiants", "drogue", "narcotics", "counternarcotics"),
    "global health": ("sante mondiale", "global health", "pandemie", "pandemic"),
    "europe-china relations": ("relations sino-europeennes", "europe-china relations", "eu-china relations"),
}


@dataclass(frozen=True, slots=True)
class KnownEvent:
    """An event some article of the content already reports, as the importer compares them."""

    day: dt.date
    actors: frozenset[str]  # person ids (or names as written, for people the registry lacks)
    places: frozenset[str]  # folded labels
    titles: tuple[tuple[str, str], ...]  # (language, folded title)
    id: str
    where: str  # path:line, for the review comment


@dataclass(frozen=True, slots=True)
class Known:
    people: tuple[Person, ...]
    topics: tuple[str, ...]  # as the content spells them most often
    places: tuple[str, ...]
    problems: tuple[Problem, ...] = ()  # in person files: the import goes on with the others
    # folded term -> every folded way of writing it: the vocabulary files' names in each language
    # and aliases, and the cue words of SPELLINGS
    spellings: dict[str, tuple[str, ...]] = field(default_factory=dict)
    events: tuple[KnownEvent, ...] = ()


def load_known(config: SiteConfig) -> Known:
    """The registry and the vocabulary of the content folder; articles that do not parse are
    skipped (importing is no place to report them: `briefgen check` does)."""
    report = Report()
    files = project_files(config)
    registries = load_registries(config, files, report)
    people = list(registries.people.people.values())
    topics: dict[str, dict[str, int]] = {}
    places: dict[str, dict[str, int]] = {}
    spellings: dict[str, tuple[str, ...]] = {}
    for kind, table in (("topics", topics), ("places", places)):
        vocabulary = registries.topics if kind == "topics" else registries.places
        for entry in vocabulary.entries.values():
            label = entry.name_in(config.language)
            written = {fold(name) for _, name in entry.names} | {fold(alias) for alias in entry.aliases}
            written |= {extra for _, name in entry.names for extra in SPELLINGS.get(fold(name), ())}
            spellings[fold(label)] = tuple(sorted(written))
            table.setdefault(fold(label), {})[label] = 1
    events: list[KnownEvent] = []
    if config.content_dir.is_dir():
        for path in article_paths(config.content_dir, files).files:
            article = resolve_article(parse_file(path, config, files), registries, Report())
            if article is None:
                continue
            for term in article.topics:
                _count(topics, term.name)
            for term in (*article.places, *(p for e in article.events for p in e.places)):
                _count(places, term.name)
            for event in article.events:
                events.append(
                    KnownEvent(
                        event.day,
                        frozenset(event.actors),
                        frozenset(fold(p.name) for p in event.places),
                        tuple((lang.split("-")[0], fold(title)) for lang, title in event.titles),
                        event.id,
                        f"{path.relative_to(config.root).as_posix()}:{event.line}",
                    )
                )
    problems = tuple(report.problems)
    return Known(tuple(people), _spellings(topics), _spellings(places), problems, spellings, tuple(events))


def same_happening(
    known: Known, day: dt.date, actors: tuple[str, ...], places: tuple[str, ...], lang: str, title: str
) -> KnownEvent | None:
    """The event of the content that an imported one most likely is, by `briefgen check`'s rule:
    the same day, the same people, and a shared place or a title alike in the same language."""
    folded_places = {fold(place) for place in places}
    for event in sorted(known.events, key=lambda e: not e.id):  # one with an id to share, first
        if event.day != day or not actors or event.actors != frozenset(actors):
            continue
        alike = any(
            event_lang == lang.split("-")[0]
            and difflib.SequenceMatcher(None, fold(title), event_title).ratio() >= SIMILAR_TITLES
            for event_lang, event_title in event.titles
        )
        if event.places & folded_places or alike:
            return event
    return None


def _count(table: dict[str, dict[str, int]], name: str) -> None:
    spellings = table.setdefault(fold(name), {})
    spellings[name] = spellings.get(name, 0) + 1


def _spellings(table: dict[str, dict[str, int]]) -> tuple[str, ...]:
    return tuple(sorted(max(s, key=lambda n: (s[n], n)) for s in table.values()))


def find_terms(
    terms: tuple[str, ...], folded_text: str, spellings: dict[str, tuple[str, ...]] | None = None
) -> list[tuple[str, str]]:
    """(term, the words that named it) for each term of the vocabulary the folded text mentions."""
    found = []
    for term in terms:
        ways = (spellings or {}).get(fold(term)) or SPELLINGS.get(fold(term), ())
        for spelling in sorted({fold(term), *ways}, key=len, reverse=True):
            if re.search(rf"(?<![\w-]){re.escape(spelling)}(?![\w-])", folded_text):
                found.append((term, spelling))
                break
    return found
