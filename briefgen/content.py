"""Load content/ into the model: the only place that validates articles and people.

Everything is read before anything is reported, so one run lists every problem with its file and
line. Warnings (an actor with no people file, an alias shared by several people) are collected
separately; `strict` turns them into errors.
"""

from __future__ import annotations

import datetime as dt
import difflib
import os
import re
import zoneinfo
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from .config import LANG_RE, SiteConfig, parse_bool, suggest
from .errors import BuildError, ContentError, Problem, Problems
from .files import DiskFiles, FilePolicy, Files, Listing, project_files
from .frontmatter import split
from .hashing import content_hash
from .model import (
    IMAGE_TYPES,
    Article,
    Content,
    Event,
    Image,
    Person,
    Role,
    Source,
    Term,
    Vocable,
    Zone,
    pick_with_lang,
)
from .parallel import processes_for, run_chunks
from .pickling import fast_pickle
from .slugs import fold, slugify
from .typography import typeset
from .yamlnodes import DEFAULT_LIMITS, Map, Node, Scalar, Seq, YamlLimits, kind_of, parse_yaml

PEOPLE_DIR = "people"
VOCABULARY_DIRS = ("topics", "places")  # content/<kind>/*.yaml, each optional
ARTICLE_KEYS = (
    "title",
    "date",
    "lang",
    "summary",
    "actors",
    "topics",
    "places",
    "events",
    "source",
    "image",
    "slug",
    "draft",
)
EVENT_KEYS = ("id", "date", "title", "actors", "topics", "places")
SOURCE_KEYS = ("name", "url", "published")
IMAGE_KEYS = ("src", "alt")
PERSON_KEYS = ("name", "aliases", "lang", "roles", "country", "description", "links")
ROLE_KEYS = ("title", "organisation", "from", "to")
VOCABLE_KEYS = {
    "topics": ("name", "aliases"),
    "places": ("name", "aliases", "country", "coordinates", "timezone"),
}
EVENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DATE_HINT = "use YYYY-MM-DD or an ISO datetime such as 2023-06-18T09:30:00+08:00"


def read_text(path: Path, files: Files) -> str:
    """A file's text; a byte that is not UTF-8 is an error naming the file and its line."""
    return decode(files.read(path), path)


def read_body(article: Article, files: Files | None = None) -> str:
    """The article's Markdown body, read again from its file.

    Bodies are not kept in memory between parsing and rendering: at 10,000 articles they would
    be the largest part of it, copied into every worker process. A file saved again since it was
    parsed is a BuildError (the preview server rebuilds on that save anyway).
    """
    path = article.path
    try:
        data = (files or _ANY_REGULAR_FILE).read(path)
        body = decode(data, path)[article.body_start :]
    except (OSError, ContentError):
        body = None
    if body is None or content_hash(body) != article.body_digest:
        raise BuildError(f"{path}: the file changed while the site was being built; build again")
    return body


_ANY_REGULAR_FILE = DiskFiles(FilePolicy(()))  # a body is read again from the file parsed already


def decode(data: bytes, path: Path) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise ContentError(
            path, line, f"not valid UTF-8 (byte 0x{data[error.start]:02x}); save the file as UTF-8"
        ) from None


@dataclass(slots=True)
class Fields:
    """Typed reads from YAML nodes for one file, collecting problems instead of stopping."""

    path: Path
    problems: list[Problem] = field(default_factory=list)

    def error(self, line: int, message: str) -> None:
        self.problems.append(ContentError(self.path, line, message))

    def mapping(self, node: Node, where: str) -> Map | None:
        if isinstance(node, Map):
            return node
        self.error(node.line, f"{where} must be a mapping, not {kind_of(node)}")
        return None

    def keys(self, node: Map, allowed: tuple[str, ...], where: str = "") -> None:
        for key, _ in node.entries:
            if key.text not in allowed:
                name = f"{where}.{key.text}" if where else key.text
                self.error(key.line, f"unknown key '{name}'{suggest(key.text, allowed)}")

    def text(self, node: Map, key: str, where: str = "", required: bool = False) -> str | None:
        label = f"{where}.{key}" if where else key
        value = node.get(key)
        if value is None or (isinstance(value, Scalar) and value.is_null):
            if required:
                line = value.line if value is not None else node.line
                self.error(line, f"missing required field '{label}'")
            return None
        if not isinstance(value, Scalar):
            self.error(value.line, f"{label} must be text, not {kind_of(value)}")
            return None
        if required and not value.text.strip():
            self.error(value.line, f"{label} must not be empty")
            return None
        return value.text.strip()

    def texts(self, node: Map, key: str, where: str = "") -> list[Scalar]:
        label = f"{where}.{key}" if where else key
        value = node.get(key)
        if value is None or (isinstance(value, Scalar) and value.is_null):
            return []
        if not isinstance(value, Seq):
            self.error(value.line, f"{label} must be a list such as [a, b], not {kind_of(value)}")
            return []
        items: list[Scalar] = []
        for index, item in enumerate(value.items, 1):
            if isinstance(item, Scalar) and item.text.strip():
                items.append(item)
            else:
                what = "empty" if isinstance(item, Scalar) else kind_of(item)
                self.error(item.line, f"{label}[{index}] must be text, not {what}")
        return items

    def items(self, node: Map, key: str) -> list[tuple[int, Map]]:
        value = node.get(key)
        if value is None or (isinstance(value, Scalar) and value.is_null):
            return []
        if not isinstance(value, Seq):
            self.error(value.line, f"{key} must be a list, not {kind_of(value)}")
            return []
        found = []
        for index, item in enumerate(value.items, 1):
            mapping = self.mapping(item, f"{key}[{index}]")
            if mapping is not None:
                found.append((index, mapping))
        return found

    def when(
        self,
        node: Map,
        key: str,
        tz: dt.tzinfo,
        where: str = "",
        required: bool = False,
        site_day: bool = False,
    ) -> tuple[dt.date, dt.datetime | None] | None:
        label = f"{where}.{key}" if where else key
        text = self.text(node, key, where, required)
        if text is None:
            return None
        value = node.get(key)
        assert value is not None
        try:
            return parse_when(text, tz, site_day)
        except ValueError as error:
            reason = str(error)
            detail = f" ({reason})" if "out of range" in reason else f"; {DATE_HINT}"
            self.error(value.line, f"{label}: '{text}' is not a valid date{detail}")
            return None

    def localized(
        self, node: Map, key: str, lang: str, where: str = ""
    ) -> tuple[tuple[str, str], ...] | None:
        """Text, or a mapping of language tags to texts (`{fr: ..., en: ...}`): (language, text) pairs."""
        value = node.get(key)
        if not isinstance(value, Map):
            text = self.text(node, key, where, required=True)
            return ((lang, text),) if text is not None else None
        label = f"{where}.{key}" if where else key
        found = []
        for tag, item in value.entries:
            if not LANG_RE.match(tag.text):
                self.error(tag.line, f"{label}: '{tag.text}' is not a language tag such as fr or en-GB")
            elif not isinstance(item, Scalar) or item.is_null or not item.text.strip():
                self.error(item.line, f"{label}.{tag.text} must be text")
            else:
                found.append((tag.text, item.text.strip()))
        if not value.entries:
            self.error(value.line, f"{label} must give at least one language")
        return tuple(found) or None

    def date(self, node: Map, key: str, where: str = "") -> dt.date | None:
        found = self.when(node, key, dt.UTC, where)
        return found[0] if found else None

    def flag(self, node: Map, key: str) -> bool:
        value = node.get(key)
        if value is None or (isinstance(value, Scalar) and value.is_null):
            return False
        parsed = parse_bool(value)
        if parsed is None:
            self.error(value.line, f"{key} must be true or false")
            return False
        return parsed


def parse_when(text: str, tz: dt.tzinfo, site_day: bool = False) -> tuple[dt.date, dt.datetime | None]:
    """A date, or a datetime kept in the offset it is written with (naive ones take the site's
    timezone), and its day: its date there, or in the site's timezone with `site_day`."""
    if DATE_ONLY.match(text):
        return dt.date.fromisoformat(text), None
    moment = dt.datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    offset = moment.utcoffset()
    assert offset is not None
    try:
        moment = moment.astimezone(dt.timezone(offset))  # a fixed offset: no zone rules to apply later
        local = moment.astimezone(tz)
    except OverflowError:  # 9999-12-31T23:00-05:00 is past the last date Python can hold
        raise ValueError("date value out of range") from None
    return (local.date() if site_day else moment.date()), moment


def day_start(day: dt.date, tz: dt.tzinfo) -> dt.datetime:
    """Where an event with a date and no time sorts among timed ones: its day's start on the site."""
    try:
        return dt.datetime.combine(day, dt.time.min, tz).astimezone(dt.UTC)
    except OverflowError:
        return dt.datetime.combine(day, dt.time.min, dt.UTC)


def person_keys(person: Person) -> set[str]:
    """What an actor may be written as to name `person` (id, name, aliases), folded (see fold)."""
    return {fold(key) for key in (person.id, person.name, *person.aliases)}


def vocable_keys(entry: Vocable) -> set[str]:
    """What a topic or place may be written as to name `entry` (id, names, aliases), folded."""
    return {fold(key) for key in (entry.id, *(name for _, name in entry.names), *entry.aliases)}


class Vocabulary:
    """Resolves a topic or place as written (id, a name in any language, alias; any case, any
    accents) to its vocabulary entry, the way Registry resolves people."""

    def __init__(self, kind: str, entries: Iterable[Vocable], language: str) -> None:
        self.kind = kind
        self.entries: dict[str, Vocable] = {}
        self.keys: dict[str, set[str]] = {}
        self.labels: dict[str, str] = {}
        for entry in entries:
            self.entries[entry.id] = entry
            self.labels[entry.id] = typeset(entry.name_in(language), language)
            for key in vocable_keys(entry):
                self.keys.setdefault(key, set()).add(entry.id)

    def resolve(self, written: Scalar, lang: str, path: Path, label: str, report: Report) -> Term:
        name = " ".join(written.text.split())
        ids = self.keys.get(fold(name))
        if ids is None and slugify(name) in self.entries:
            ids = {slugify(name)}
        if ids:
            if len(ids) > 1:
                candidates = ", ".join(sorted(ids))
                report.problems.append(
                    ContentError(
                        path,
                        written.line,
                        f"{label}: '{name}' could be several {self.kind}: {candidates}; write the id",
                    )
                )
            found = sorted(ids)[0]
            return Term(found, self.labels[found])
        if self.entries:  # a site without this vocabulary spells its terms freely
            names = sorted({n for e in self.entries.values() for _, n in e.names} | {*self.keys})
            close = difflib.get_close_matches(fold(name), [fold(n) for n in names], n=1, cutoff=0.75)
            shown = next((n for n in names if close and fold(n) == close[0]), "")
            hint = (
                f"; did you mean '{shown}'?"
                if shown
                else f"; add {self.kind}/{slugify(name)}.yaml to describe it"
            )
            report.warnings.append(
                ContentError(path, written.line, f"{label}: unknown {self.kind[:-1]} '{name}'{hint}")
            )
        return Term(slugify(name), typeset(name, lang))

    def zone(self, places: tuple[Term, ...], moment: dt.datetime | None, site: str) -> Zone:
        """The zone a time was written in: that of one of its places if it has the same offset
        then, else the site's if it has, else unknown (only the offset is shown)."""
        if moment is None:
            return Zone()
        for term in places:
            entry = self.entries.get(term.slug)
            if entry is not None and entry.timezone and _offset(entry.timezone, moment) == moment.utcoffset():
                return Zone(entry.timezone, self.labels[term.slug])
        return Zone(site) if _offset(site, moment) == moment.utcoffset() else Zone()


def _offset(zone: str, moment: dt.datetime) -> dt.timedelta | None:
    try:
        return moment.astimezone(zoneinfo.ZoneInfo(zone)).utcoffset()
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OverflowError):
        return None


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


@dataclass(slots=True)
class Report:
    """Problems (errors) and warnings found while loading, in the order found."""

    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)


@fast_pickle
@dataclass(frozen=True, slots=True)
class ParsedArticle:
    """One article file read and checked on its own, before actors are matched to people.

    It depends only on the file's bytes and the site's timezone and language, so a build can
    keep it in its cache and skip parsing a file that has not changed.
    """

    article: Article | None  # actors, topics and places not yet resolved: they are empty
    actors: tuple[Scalar, ...] = ()
    event_actors: tuple[tuple[Scalar, ...] | None, ...] = ()  # None: the event names nobody
    topics: tuple[Scalar, ...] = ()
    places: tuple[Scalar, ...] = ()
    event_topics: tuple[tuple[Scalar, ...] | None, ...] = ()  # None: the article's apply
    event_places: tuple[tuple[Scalar, ...] | None, ...] = ()
    problems: tuple[Problem, ...] = ()
    digest: str = ""  # of the file's bytes
    front: str = ""  # digest of the front matter text alone


def parse_file(path: Path, config: SiteConfig, files: Files | None = None) -> ParsedArticle:
    """Read and check one article file; every problem is kept in the result, nothing is raised."""
    try:
        data = (files or project_files(config)).read(path)
    except ContentError as error:
        return ParsedArticle(None, problems=(error,))
    digest = content_hash(data)
    fields = Fields(path)
    try:
        text = decode(data, path)
        parsed = parse_article(path, text, config, fields)
    except ContentError as error:
        return ParsedArticle(None, problems=(error,), digest=digest)
    return replace(parsed, problems=tuple(fields.problems), digest=digest)


@dataclass(frozen=True, slots=True)
class Registries:
    """Everything names in articles resolve through: people, topics and places."""

    people: Registry
    topics: Vocabulary
    places: Vocabulary
    site_zone: str


def resolve_article(parsed: ParsedArticle, registries: Registries, report: Report) -> Article | None:
    """Match the article's actors to people (making stubs for unknown ones), and its topics and
    places to the vocabulary; an event without `topics` or `places` takes the article's."""
    article = parsed.article
    if article is None:
        return None
    registry = registries.people

    def ids(written: tuple[Scalar, ...], label: str) -> tuple[str, ...]:
        found = (registry.resolve(w, article.path, f"{label}[{i}]", report) for i, w in enumerate(written, 1))
        return tuple(dict.fromkeys(found))

    def terms(vocabulary: Vocabulary, written: tuple[Scalar, ...], label: str) -> tuple[Term, ...]:
        found = (
            vocabulary.resolve(w, article.lang, article.path, f"{label}[{i}]", report)
            for i, w in enumerate(written, 1)
        )
        return tuple(dict.fromkeys(found))

    actors = ids(parsed.actors, "actors")
    topics = terms(registries.topics, parsed.topics, "topics")
    places = terms(registries.places, parsed.places, "places")
    events = []
    for i, (event, written, own_topics, own_places) in enumerate(
        zip(article.events, parsed.event_actors, parsed.event_topics, parsed.event_places, strict=True), 1
    ):
        where = f"events[{i}]"
        event_places = (
            places if own_places is None else terms(registries.places, own_places, f"{where}.places")
        )
        events.append(
            replace(
                event,
                actors=actors if written is None else ids(written, f"{where}.actors"),
                topics=topics
                if own_topics is None
                else terms(registries.topics, own_topics, f"{where}.topics"),
                places=event_places,
                zone=registries.places.zone(event_places, event.moment, registries.site_zone),
            )
        )
    zone = registries.places.zone(places, article.moment, registries.site_zone)
    return replace(article, actors=actors, topics=topics, places=places, events=tuple(events), zone=zone)


Parsed = dict[str, ParsedArticle]  # file path -> what parsing it gave, keyed with its digest


def load_registries(config: SiteConfig, files: Files, report: Report) -> Registries:
    """The people, topics and places files: what names in articles resolve through."""
    content_dir = config.content_dir
    vocabulary = {
        kind: _load_vocabulary(kind, content_dir / kind, config, files, report) for kind in VOCABULARY_DIRS
    }
    return Registries(
        Registry(_load_people(content_dir / PEOPLE_DIR, config, files, report)),
        Vocabulary("topics", vocabulary["topics"], config.language),
        Vocabulary("places", vocabulary["places"], config.language),
        config.timezone,
    )


def load_content(
    config: SiteConfig,
    cache: Parsed | None = None,
    jobs: int = 1,
    trusted: frozenset[str] = frozenset(),
    files: Files | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Content:
    """Read and validate every person and article; raise Problems listing everything wrong.

    Files are read through `files` only (the project on disk by default). `cache` maps article
    paths to earlier parse results: a file whose bytes have the same digest is not parsed again.
    It is updated in place. With `jobs` > 1, many files parse in parallel. `progress` hears how
    many of the files to parse are parsed, of how many.
    """
    content_dir = config.content_dir
    files = files or project_files(config)
    if not files.is_dir(content_dir):
        raise Problems([ContentError(content_dir, None, "content folder not found")])
    report = Report()
    registries = load_registries(config, files, report)
    registry = registries.people
    people = list(registry.people.values())
    for key, holders in registry.shared():
        ids = ", ".join(p.id for p in holders)
        first = holders[0]
        written = _as_written(key, holders)
        report.warnings.append(
            ContentError(
                first.path,
                first.line,
                f"'{written}' names several people ({ids}); an actor written only as '{written}' is an error",
            )
        )
    articles: list[Article] = []
    seen: dict[str, Path] = {}
    listing = _article_paths(content_dir, files)
    report.warnings.extend(listing.skipped)
    report.problems.extend(listing.errors)
    for parsed in _parse_all(listing.files, config, cache, jobs, trusted, files, progress):
        report.problems.extend(parsed.problems)
        article = resolve_article(parsed, registries, report)
        if article is None:
            continue
        if article.slug in seen:
            report.problems.append(
                ContentError(
                    article.path,
                    1,
                    f"slug '{article.slug}' is already used by {_shown(seen[article.slug], config.root)}; "
                    "rename one file or set a different 'slug'",
                )
            )
            continue
        seen[article.slug] = article.path
        if config.drafts or not article.draft:
            articles.append(article)
    check_events(articles, config.root, report)
    warnings = report.warnings
    if config.strict:
        report.problems.extend(ContentError(w.path, w.line, f"{w.message} [strict]") for w in warnings)
        warnings = []
    if report.problems:
        raise Problems(sorted(report.problems, key=_place), warnings=sorted(warnings, key=_place))
    articles.sort(key=lambda a: a.sort_key)
    all_people = sorted([*people, *registry.stubs.values()], key=lambda p: p.id)
    return Content(
        tuple(articles),
        tuple(all_people),
        tuple(sorted(warnings, key=_place)),
        (*registries.topics.entries.values(), *registries.places.entries.values()),
    )


SIMILAR_TITLES = 0.6  # difflib ratio of two folded titles in one language, from which they look alike


def check_events(articles: list[Article], root: Path, report: Report) -> None:
    """Events sharing an id must agree on their day and time (an error naming both places);
    events without a shared id that look like one happening get a warning suggesting an id.

    Two events look like one happening when they are reported by different articles, fall on the
    same day, involve the same people (the same non-empty set), and share a place or have titles
    in one language that are alike (SIMILAR_TITLES); and not both carry (different) ids.
    """
    first: dict[str, tuple[Article, Event]] = {}
    by_day: dict[dt.date, list[tuple[Article, Event]]] = {}
    for article in sorted(articles, key=lambda a: str(a.path)):
        for event in article.events:
            if event.id:
                known = first.get(event.id)
                if known is None:
                    first[event.id] = (article, event)
                else:
                    _agree(known, (article, event), root, report)
            if event.actors:
                by_day.setdefault(event.day, []).append((article, event))
    for day in sorted(by_day):
        found = by_day[day]
        for position, (article, event) in enumerate(found):
            for other_article, other in found[position + 1 :]:
                if (
                    other_article is article
                    or (event.id and other.id)
                    or set(event.actors) != set(other.actors)
                ):
                    continue
                if {p.slug for p in event.places} & {p.slug for p in other.places} or _alike(event, other):
                    suggested = (
                        event.id or other.id or slugify(" ".join([*sorted(event.actors), day.isoformat()]))
                    )
                    report.warnings.append(
                        ContentError(
                            other_article.path,
                            other.line,
                            f"this event looks like the one at {_shown(article.path, root)}:{event.line} "
                            f"(same day, same people, same place or a similar title); if it is the same "
                            f"happening, give both 'id: {suggested}'",
                        )
                    )


def _alike(one: Event, other: Event) -> bool:
    for lang, title in one.titles:
        for other_lang, other_title in other.titles:
            same_language = lang.split("-")[0] == other_lang.split("-")[0]
            if (
                same_language
                and difflib.SequenceMatcher(None, fold(title), fold(other_title)).ratio() >= SIMILAR_TITLES
            ):
                return True
    return False


def _agree(known: tuple[Article, Event], found: tuple[Article, Event], root: Path, report: Report) -> None:
    (first_article, first), (article, event) = known, found
    place = f"{_shown(first_article.path, root)}:{first.line}"
    if event.day != first.day:
        message = f"day {event.day.isoformat()} differs from {first.day.isoformat()}"
    elif event.moment is not None and first.moment is not None and event.moment != first.moment:
        message = f"time {event.moment.isoformat()} differs from {first.moment.isoformat()}"
    else:
        return
    report.problems.append(
        ContentError(
            article.path, event.line, f"event '{event.id}': {message} given at {place} for the same id"
        )
    )


def _as_written(key: str, holders: list[Person]) -> str:
    """The folded key of a shared alias, shown the way a person file spells it."""
    for person in holders:
        for written in (person.name, *person.aliases):
            if fold(written) == key:
                return written
    return key


def _parse_all(
    paths: list[Path],
    config: SiteConfig,
    cache: Parsed | None,
    jobs: int,
    trusted: frozenset[str],
    files: Files,
    progress: Callable[[int, int], None] | None = None,
) -> list[ParsedArticle]:
    """Parse the files the cache cannot answer for, in parallel when there are many.

    A cached result is used if the file's bytes have its digest, or without reading the file if
    its path is `trusted` (known unchanged since the cache was written).
    """
    results: dict[Path, ParsedArticle] = {}
    todo = []
    for path in paths:
        known = cache.get(str(path)) if cache is not None else None
        if known is not None and str(path) in trusted:
            results[path] = known
            continue
        data = _read(path, files) if known is not None else None
        if known is not None and data is not None and known.digest == content_hash(data):
            results[path] = known
        else:
            todo.append(path)
    step = 64
    chunks = [todo[start : start + step] for start in range(0, len(todo), step)]

    def parse_chunk(k: int) -> list[ParsedArticle]:
        return [parse_file(p, config, files) for p in chunks[k]]

    done: dict[int, list[ParsedArticle]] = {}
    count = 0
    for k, batch in run_chunks(parse_chunk, len(chunks), processes_for("parse", jobs, len(todo))):
        done[k] = batch
        count += len(batch)
        if progress is not None:
            progress(count, len(todo))
    parsed = [result for k in range(len(chunks)) for result in done[k]]
    for path, result in zip(todo, parsed, strict=True):
        results[path] = result
        if cache is not None:
            cache[str(path)] = result
    if cache is not None:
        for stale in set(cache) - {str(p) for p in paths}:
            del cache[stale]
    return [results[p] for p in paths]


def _read(path: Path, files: Files) -> bytes | None:
    try:
        return files.read(path)
    except ContentError:
        return None


def _place(problem: Problem) -> tuple[str, int]:
    return (str(problem.path or ""), problem.line or 0)


def _shown(path: Path, root: Path) -> str:
    """A file named inside a message, relative to the project folder like the `path:line:` before it."""
    return path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)


def _article_paths(content_dir: Path, files: Files) -> Listing:
    """Every `*.md` under the content folder but people/, hidden files and folders, and `_*`."""

    def keep_dir(parts: tuple[str, ...]) -> bool:
        # editor leftovers and the people folder
        return not parts[-1].startswith((".", "_")) and parts != (PEOPLE_DIR,)

    def keep_file(name: str) -> bool:
        return name.endswith(".md") and not name.startswith((".", "_"))

    return files.listing(content_dir, keep_dir, keep_file)


def _load_vocabulary(
    kind: str, folder: Path, config: SiteConfig, files: Files, report: Report
) -> list[Vocable]:
    """content/topics/*.yaml or content/places/*.yaml; the file name is the id."""
    problems = report.problems
    listing = files.listing(folder, lambda parts: False, _is_yaml)
    report.warnings.extend(listing.skipped)
    problems.extend(listing.errors)
    entries = []
    for path in listing.files:
        fields = Fields(path)
        try:
            entry = parse_vocable(kind, path, read_text(path, files), fields, config.limits.yaml)
        except ContentError as error:
            problems.append(error)
            continue
        problems.extend(fields.problems)
        if entry is not None:
            entries.append(entry)
    return entries


def parse_vocable(
    kind: str, path: Path, text: str, fields: Fields, limits: YamlLimits = DEFAULT_LIMITS
) -> Vocable | None:
    node = parse_yaml(text, path, limits=limits)
    if node is None:
        fields.error(1, f"empty {kind[:-1]} file: at least 'name' is required")
        return None
    root = fields.mapping(node, f"a {kind[:-1]} file")
    if root is None:
        return None
    fields.keys(root, VOCABLE_KEYS[kind])
    names = fields.localized(root, "name", "")
    coordinates = None
    found = root.get("coordinates")
    if found is not None and not (isinstance(found, Scalar) and found.is_null):
        items = fields.texts(root, "coordinates")
        try:
            lat, lon = (float(item.text) for item in items)
            if not (-90 <= lat <= 90 and -180 <= lon <= 180):
                raise ValueError
            coordinates = (lat, lon)
        except ValueError:
            fields.error(
                found.line, "coordinates must be [latitude, longitude] in degrees, such as [39.9, 116.4]"
            )
    timezone = fields.text(root, "timezone") or ""
    if timezone and _offset(timezone, dt.datetime(2000, 1, 1, tzinfo=dt.UTC)) is None:
        zone = root.get("timezone")
        fields.error(
            zone.line if zone else root.line,
            f"timezone: unknown timezone '{timezone}'; use an IANA name such as 'Asia/Shanghai'",
        )
    if names is None:
        return None
    return Vocable(
        kind=kind,
        id=slugify(path.stem),
        names=names,
        aliases=tuple(a.text.strip() for a in fields.texts(root, "aliases")),
        country=fields.text(root, "country") or "",
        coordinates=coordinates,
        timezone=timezone,
        path=path,
        line=root.line,
    )


def _is_yaml(name: str) -> bool:
    return name.endswith((".yaml", ".yml")) and not name.startswith(".")


def _load_people(people_dir: Path, config: SiteConfig, files: Files, report: Report) -> list[Person]:
    problems = report.problems
    listing = files.listing(people_dir, lambda parts: not parts[-1].startswith("."), _is_yaml)
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
                    path, 1, f"person id '{person.id}' is already used by {_shown(other, config.root)}"
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
    links_node = root.get("links")
    if links_node is not None and not (isinstance(links_node, Scalar) and links_node.is_null):
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


def parse_article(path: Path, text: str, config: SiteConfig, fields: Fields) -> ParsedArticle:
    doc = split(text, path, config.limits.yaml, config.limits.front_matter_bytes)
    meta = doc.meta
    tz = config.tz
    fields.keys(meta, ARTICLE_KEYS)
    site_day = config.day_zone == "site"
    title = fields.text(meta, "title", required=True)
    when = fields.when(meta, "date", tz, required=True, site_day=site_day)
    lang = fields.text(meta, "lang") or config.language
    if not LANG_RE.match(lang):
        line = meta.get("lang")
        fields.error(line.line if line else 1, f"lang: '{lang}' is not a language tag such as fr or en-GB")
    slug = slugify(fields.text(meta, "slug") or path.stem)
    actors = tuple(fields.texts(meta, "actors"))
    event_actors: list[tuple[Scalar, ...] | None] = []
    event_topics: list[tuple[Scalar, ...] | None] = []
    event_places: list[tuple[Scalar, ...] | None] = []
    events = []
    for index, item in fields.items(meta, "events"):
        where = f"events[{index}]"
        fields.keys(item, EVENT_KEYS, where)
        event_when = fields.when(item, "date", tz, where, required=True, site_day=site_day)
        titles = fields.localized(item, "title", lang, where)
        event_id = fields.text(item, "id", where) or ""
        if event_id and not EVENT_ID.match(event_id):
            id_node = item.get("id")
            fields.error(
                id_node.line if id_node else item.line,
                f"{where}.id: '{event_id}' must be letters, digits, '.', '_' or '-' (blinken-qin-talks)",
            )
        # an event without `actors` involves the article's actors (None); `actors: []`, nobody
        written = None if item.get("actors") is None else tuple(fields.texts(item, "actors", where))
        if event_when is not None and titles is not None:
            event_actors.append(written)
            # like actors: without the key, the article's apply; `places: []`, none
            event_topics.append(
                None if item.get("topics") is None else tuple(fields.texts(item, "topics", where))
            )
            event_places.append(
                None if item.get("places") is None else tuple(fields.texts(item, "places", where))
            )
            titles = tuple((tag, typeset(text, tag)) for tag, text in titles)
            shown, shown_lang = pick_with_lang(titles, lang)
            day, moment = event_when
            events.append(
                Event(
                    day=day,
                    moment=moment,
                    title=shown,
                    actors=(),
                    places=(),
                    article=slug,
                    lang=shown_lang,
                    start=moment.astimezone(dt.UTC) if moment is not None else day_start(day, tz),
                    id=event_id,
                    titles=titles,
                    reports=(slug,),
                    line=item.line,
                )
            )
    source = None
    source_node = meta.get("source")
    if source_node is not None and not (isinstance(source_node, Scalar) and source_node.is_null):
        mapping = fields.mapping(source_node, "source")
        if mapping is not None:
            fields.keys(mapping, SOURCE_KEYS, "source")
            url = fields.text(mapping, "url", "source") or ""
            if url and not re.match(r"^https?://\S+$", url):
                url_node = mapping.get("url")
                fields.error(
                    url_node.line if url_node else mapping.line,
                    f"source.url: '{url}' must be an http:// or https:// address",
                )
            source = Source(
                name=typeset(fields.text(mapping, "name", "source") or "", lang) or url,
                url=url,
                published=fields.date(mapping, "published", "source"),
            )
    image = _image(meta, path, config, fields)
    draft = fields.flag(meta, "draft")
    summary = typeset(fields.text(meta, "summary") or "", lang)
    topics = tuple(fields.texts(meta, "topics"))
    places = tuple(fields.texts(meta, "places"))
    if title is None or when is None:
        return ParsedArticle(None)
    article = Article(
        slug=slug,
        path=path,
        title=typeset(title, lang),
        day=when[0],
        moment=when[1],
        lang=lang,
        summary=summary,
        actors=(),
        topics=(),
        places=(),
        events=tuple(events),
        source=source,
        body_digest=content_hash(doc.body),
        body_line=doc.body_line,
        body_start=doc.body_start,
        draft=draft,
        image=image,
    )
    front = content_hash(doc.front)
    return ParsedArticle(
        article,
        actors,
        tuple(event_actors),
        topics,
        places,
        tuple(event_topics),
        tuple(event_places),
        front=front,
    )


def _image(meta: Map, path: Path, config: SiteConfig, fields: Fields) -> Image | None:
    """`image: photo.jpg` (beside the article) or `image: {src: https://..., alt: "..."}`.

    A local file must stay inside the content folder and be a picture type; whether it exists is
    checked when the site is built (build.article_images), since a parse may come from the cache.
    """
    node = meta.get("image")
    if node is None or (isinstance(node, Scalar) and node.is_null):
        return None
    if isinstance(node, Map):
        fields.keys(node, IMAGE_KEYS, "image")
        src = fields.text(node, "src", "image", required=True)
        alt = fields.text(node, "alt", "image") or ""
    else:
        src, alt = fields.text(meta, "image"), ""
    if not src:
        return None
    line = node.line
    if re.match(r"^[a-z][a-z0-9+.-]*:", src, re.IGNORECASE):
        if not re.match(r"^https://\S+$", src):
            fields.error(line, f"image: '{src}' must be an https:// address or a file beside the article")
            return None
        return Image(src, alt, line)
    folder = Path(os.path.normpath(path.parent / src))
    inside = Path(os.path.normpath(config.content_dir))
    if src.startswith(("/", "\\")) or not folder.is_relative_to(inside):
        fields.error(
            line, f"image: '{src}' must be a file inside the content folder, relative to the article"
        )
        return None
    if os.path.splitext(src)[1].lower() not in IMAGE_TYPES:
        fields.error(line, f"image: '{src}' must be a picture: {', '.join(IMAGE_TYPES)}")
        return None
    return Image(src, alt, line)
