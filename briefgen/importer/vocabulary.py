"""What the content already knows: its people (read by content.py) and the topics and places its
articles use, with the French and English spellings that point at each."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..config import SiteConfig
from ..content import PEOPLE_DIR, _article_paths, _load_people, parse_file
from ..errors import Problem
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
class Known:
    people: tuple[Person, ...]
    topics: tuple[str, ...]  # as the content spells them most often
    places: tuple[str, ...]
    problems: tuple[Problem, ...] = ()  # in person files: the import goes on with the others


def load_known(config: SiteConfig) -> Known:
    """The registry and the vocabulary of the content folder; articles that do not parse are
    skipped (importing is no place to report them: `briefgen check` does)."""
    problems: list[Problem] = []
    people = _load_people(config.content_dir / PEOPLE_DIR, config.root, problems)
    topics: dict[str, dict[str, int]] = {}
    places: dict[str, dict[str, int]] = {}
    if config.content_dir.is_dir():
        for path in _article_paths(config.content_dir):
            article = parse_file(path, config).article
            if article is None:
                continue
            for term in article.topics:
                _count(topics, term.name)
            for term in (*article.places, *(p for e in article.events for p in e.places)):
                _count(places, term.name)
    return Known(tuple(people), _spellings(topics), _spellings(places), tuple(problems))


def _count(table: dict[str, dict[str, int]], name: str) -> None:
    spellings = table.setdefault(fold(name), {})
    spellings[name] = spellings.get(name, 0) + 1


def _spellings(table: dict[str, dict[str, int]]) -> tuple[str, ...]:
    return tuple(sorted(max(s, key=lambda n: (s[n], n)) for s in table.values()))


def find_terms(terms: tuple[str, ...], folded_text: str) -> list[tuple[str, str]]:
    """(term, the words that named it) for each term of the vocabulary the folded text mentions."""
    found = []
    for term in terms:
        for spelling in sorted({fold(term), *SPELLINGS.get(fold(term), ())}, key=len, reverse=True):
            if re.search(rf"(?<![\w-]){re.escape(spelling)}(?![\w-])", folded_text):
                found.append((term, spelling))
                break
    return found
