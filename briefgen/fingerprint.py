"""Page fingerprints: a digest of everything a page shows, so a rebuild renders only pages that change.

A page shows its context, its templates, and names looked up while rendering (people and topic
names in links). Each goes into the digest: the context value by value (each article, event,
person or taxon digested once per build, together with the names of the people and terms it
links to), and the page template with everything it extends or includes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import fields

import jinja2
from jinja2 import meta

from .index import PersonFacts, SiteIndex, Taxon
from .model import Article, Event, Person, Source, Term
from .pages import PageSpec

ITEM_TEMPLATES = (
    "_article_item.html",
    "_article_line.html",
    "_event_item.html",
    "_feed_entry.xml",
)  # used through globals on any page


def _digest(*parts: object) -> bytes:
    return hashlib.blake2b(repr(parts).encode(), digest_size=16).digest()


def _terms(terms: tuple[Term, ...]) -> tuple[tuple[str, str], ...]:
    return tuple([(term.slug, term.name) for term in terms])


def _source(source: Source | None) -> tuple[str, str, object] | None:
    return (source.name, source.url, source.published) if source is not None else None


class Fingerprints:
    def __init__(self, env: jinja2.Environment, index: SiteIndex, body_salt: str = "") -> None:
        self.env = env
        self.index = index
        self.body_salt = body_salt  # what bodies depend on besides their text (linked mentions)
        self.memo: dict[int, bytes] = {}
        self.templates: dict[str, bytes] = {}

    def page(self, spec: PageSpec) -> str:
        h = hashlib.blake2b(digest_size=16)
        h.update(f"{spec.template}\0{spec.url}\0".encode())
        h.update(self.template(spec.template))
        for key in sorted(spec.context):
            h.update(key.encode())
            h.update(self.value(spec.context[key]))
        article = spec.context.get("article")
        if isinstance(article, Article):
            h.update(f"{article.body_digest}\0{self.body_salt}".encode())  # the one page showing the body
        return h.hexdigest()

    def template(self, name: str) -> bytes:
        found = self.templates.get(name)
        if found is None and name.startswith("@"):  # made by code (pages.CALENDAR): no template
            found = self.templates[name] = _digest(name)
        if found is None:
            sources = [self._source(n) for n in sorted(self._closure([name, *ITEM_TEMPLATES]))]
            found = self.templates[name] = _digest(sources)
        return found

    def _source(self, name: str) -> str:
        loader = self.env.loader
        assert loader is not None
        return loader.get_source(self.env, name)[0]

    def _closure(self, names: Iterable[str]) -> set[str]:
        seen: set[str] = set()
        todo = list(names)
        while todo:
            name = todo.pop()
            if name in seen:
                continue
            seen.add(name)
            try:
                tree = self.env.parse(self._source(name))
            except jinja2.TemplateError:
                continue  # rendering will report it with its line
            todo.extend(n for n in meta.find_referenced_templates(tree) if isinstance(n, str))
        return seen

    def people(self, ids: Iterable[str]) -> list[str]:
        """The names links to these people show."""
        return [self.index.people[pid].name for pid in ids]

    def terms(self, kind: str, terms: Iterable[Term]) -> list[str]:
        """The names links to these topics or places show (the most used spelling)."""
        return [self.index.term(kind, term).name for term in terms]

    def value(self, value: object) -> bytes:
        key = id(value)
        found = self.memo.get(key)
        if found is not None:
            return found
        match value:  # model objects by their fields, nested ones by their digests: no dataclass repr
            case Article():
                found = _digest(value.slug, value.title, value.day, value.moment, value.zone, value.lang,
                                value.summary, value.actors, _terms(value.topics), _terms(value.places),
                                _source(value.source), value.draft, str(value.path), self.value(value.events),
                                self.people(value.actors), self.terms("topics", value.topics),
                                self.terms("places", value.places))  # fmt: skip
            case Event():  # every field, and what its links show: reporting articles, names
                reports = [self.index.articles.get(slug) for slug in value.reports]
                shown = [(a.title, a.lang, _source(a.source)) for a in reports if a is not None]
                found = _digest(*(getattr(value, f.name) for f in fields(Event)), shown,
                                self.people(value.actors), self.terms("places", value.places),
                                self.terms("topics", value.topics))  # fmt: skip
            case PersonFacts():
                topics = [self.index.taxonomies["topics"][slug].name for slug, _ in value.topics]
                co_actors = self.people(pid for pid, _ in value.co_actors)
                found = _digest(value.articles, self.value(value.events), value.co_actors, value.topics,
                                co_actors, topics)  # fmt: skip
            case Taxon():
                found = _digest(
                    value.kind, value.slug, value.name, value.articles, self.value(value.events), value.entry
                )
            case Person():
                found = _digest(value)
            case list() | tuple():  # often thousands of articles or events, known already
                memo = self.memo
                parts = [memo.get(id(item)) or self.value(item) for item in value]
                found = hashlib.blake2b(b"list:" + b"".join(parts), digest_size=16).digest()
            case Mapping():
                found = _digest([(k, self.value(v)) for k, v in sorted(value.items())])
            case _:
                return _digest(value)  # small values (dates, numbers, text): not worth keeping
        if isinstance(value, (Article, Event, Person, Taxon, PersonFacts)):
            self.memo[key] = found
        return found
