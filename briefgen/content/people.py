"""People files (content/people/*.yaml) read into Person records, and the Registry that
resolves an actor as an article writes it to one of them."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator
from pathlib import Path

from ..config import LANG_RE, SiteConfig
from ..errors import ContentError
from ..files import Files
from ..model import Person, Role
from ..slugs import fold, slugify
from ..typography import typeset
from ..yamlnodes import DEFAULT_LIMITS, Scalar, YamlLimits, parse_yaml
from .fields import Fields, Report, given, is_yaml, read_text, shown_path

PEOPLE_DIR = "people"

PERSON_KEYS = ("name", "aliases", "lang", "roles", "country", "description", "links")
ROLE_KEYS = ("title", "organisation", "from", "to")


def person_keys(person: Person) -> set[str]:
    """What an actor may be written as to name `person` (id, name, aliases), folded (see fold)."""
    return {fold(key) for key in (person.id, person.name, *person.aliases)}


class Registry:
    """Resolves an actor as written (id, name or alias; any case, any accents) to a person id."""

    def __init__(self, people: Iterable[Person]) -> None:
        self.people: dict[str, Person] = {}
        self.keys: dict[str, set[str]] = {}
        self.stubs: dict[str, Person] = {}
        for person in people:
            self.people[person.id] = person
            for key in person_keys(person):
                self.keys.setdefault(key, set()).add(person.id)

    def shared(self) -> Iterator[tuple[str, list[Person]]]:
        """Each name or alias that several people hold, with those people."""
        for key, ids in sorted(self.keys.items()):
            if len(ids) > 1:
                yield key, [self.people[i] for i in sorted(ids)]

    def resolve(self, written: Scalar, path: Path, label: str, report: Report) -> str:
        ids = self.keys.get(fold(written.text))
        if ids is None and slugify(written.text) in self.people:
            ids = {slugify(written.text)}
        if ids is not None and len(ids) == 1:
            return next(iter(ids))
        if ids:
            candidates = ", ".join(f"{self.people[i].name} ({i})" for i in sorted(ids))
            report.problems.append(
                ContentError(
                    path,
                    written.line,
                    f"{label}: '{written.text}' could be several people: {candidates}; "
                    "write the full name or id",
                )
            )
            return sorted(ids)[0]
        stub_id = slugify(written.text)
        if stub_id not in self.stubs:
            self.stubs[stub_id] = Person(id=stub_id, name=written.text.strip())
        names = [p.name for p in self.people.values()]
        close = difflib.get_close_matches(written.text, names, n=1, cutoff=0.75)
        hint = f"; did you mean '{close[0]}'?" if close else f"; add people/{stub_id}.yaml to describe them"
        report.warnings.append(
            ContentError(path, written.line, f"{label}: unknown person '{written.text}'{hint}")
        )
        return stub_id


def load_people(people_dir: Path, config: SiteConfig, files: Files, report: Report) -> list[Person]:
    problems = report.problems
    listing = files.listing(people_dir, lambda parts: not parts[-1].startswith("."), is_yaml)
    report.warnings.extend(listing.skipped)
    problems.extend(listing.errors)
    people: dict[str, Person] = {}
    for path in listing.files:
        fields = Fields(path)
        try:
            person = parse_person(path, read_text(path, files), fields, config.language, config.limits.yaml)
        except ContentError as error:
            problems.append(error)
            continue
        problems.extend(fields.problems)
        if person is None:
            continue
        if person.id in people:
            other = people[person.id].path
            assert other is not None  # people read from files always have one
            problems.append(
                ContentError(
                    path, 1, f"person id '{person.id}' is already used by {shown_path(other, config.root)}"
                )
            )
            continue
        people[person.id] = person
    return list(people.values())


def parse_person(
    path: Path, text: str, fields: Fields, language: str = "en", limits: YamlLimits = DEFAULT_LIMITS
) -> Person | None:
    node = parse_yaml(text, path, limits=limits)
    if node is None:
        fields.error(1, "empty person file: at least 'name' is required")
        return None
    root = fields.mapping(node, "a person file")
    if root is None:
        return None
    fields.keys(root, PERSON_KEYS)
    name = fields.text(root, "name", required=True)
    lang = fields.text(root, "lang") or ""
    if lang and not LANG_RE.match(lang):
        line = (root.get("lang") or root).line
        fields.error(line, f"lang: '{lang}' is not a language tag such as fr or en-GB")
    language = lang or language  # the typography of the file's own language
    roles = []
    for index, item in fields.items(root, "roles"):
        where = f"roles[{index}]"
        fields.keys(item, ROLE_KEYS, where)
        title = fields.text(item, "title", where, required=True)
        if title is not None:
            roles.append(
                Role(
                    title=typeset(title, language),
                    organisation=typeset(fields.text(item, "organisation", where) or "", language),
                    start=fields.date(item, "from", where),
                    end=fields.date(item, "to", where),
                )
            )
    links: list[tuple[str, str]] = []
    links_node = given(root, "links")
    if links_node is not None:
        mapping = fields.mapping(links_node, "links")
        if mapping is not None:
            for key, _ in mapping.entries:
                value = fields.text(mapping, key.text, "links")
                if value:
                    links.append((key.text, value))
    if name is None:
        return None
    return Person(
        id=slugify(path.stem),
        name=name,
        aliases=tuple(a.text.strip() for a in fields.texts(root, "aliases")),
        roles=tuple(roles),
        country=fields.text(root, "country") or "",
        description=typeset(fields.text(root, "description") or "", language),
        links=tuple(links),
        path=path,
        line=root.line,
        lang=lang,
    )
