"""`load_content`: the content folder read into the model, its names resolved, and checked.

Everything is read before anything is reported, so one run lists every problem with its file and
line. Warnings (an actor with no people file, an alias shared by several people) are collected
separately; `strict` turns them into errors.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from ..config import SiteConfig
from ..errors import ContentError, Problem, Problems
from ..files import Files, project_files
from ..hashing import content_hash
from ..model import Article, Content, Person, Term
from ..parallel import processes_for, run_chunks
from ..slugs import fold
from ..yamlnodes import Scalar
from .articles import Parsed, ParsedArticle, article_paths, parse_file
from .events import check_events
from .fields import Report, shown_path
from .people import PEOPLE_DIR, Registry, load_people
from .vocabulary import VOCABULARY_DIRS, Vocabulary, load_vocabulary


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


def load_registries(config: SiteConfig, files: Files, report: Report) -> Registries:
    """The people, topics and places files: what names in articles resolve through."""
    content_dir = config.content_dir
    vocabulary = {
        kind: load_vocabulary(kind, content_dir / kind, config, files, report) for kind in VOCABULARY_DIRS
    }
    return Registries(
        Registry(load_people(content_dir / PEOPLE_DIR, config, files, report)),
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
    listing = article_paths(content_dir, files)
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
                    f"slug '{article.slug}' is already used by "
                    f"{shown_path(seen[article.slug], config.root)}; "
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
