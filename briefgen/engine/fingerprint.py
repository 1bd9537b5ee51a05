"""Page fingerprints: a digest of everything a page can show, so a rebuild renders only pages that change.

What a page can show is found from its templates, not listed by hand:
- its context, value by value; a model object (any dataclass) by every one of its fields, nested
  ones by their own digests, each digested once per build (small ones, whose fields are all
  declared plain, shown in place by their field values), and a list of them by their digests
  joined;
- names that the link helpers look up (people and topic names, the articles reporting an event);
- its template with everything it extends, includes or imports (and the list item templates),
  kept apart as the template's key (`template_key`), which a page must match too;
- whatever those templates reach through a global: a template that names `index` or `term` can read
  any content, so its pages also cover the whole index; one that calls `body` covers the bodies it
  can reach (only its own article's, when it calls nothing but `body(article)`).
"""

from __future__ import annotations

import datetime as dt
import typing
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, fields, is_dataclass
from operator import attrgetter
from pathlib import PosixPath

import jinja2
from jinja2 import meta, nodes

from ..hashing import SIZE, hasher, value_digest
from ..index import PersonFacts, SiteIndex
from ..model import Article, ArticleLink, Event, Term
from ..pages import PageSpec

ITEM_TEMPLATES = (
    "_article_item.html",
    "_article_line.html",
    "_event_item.html",
    "_feed_entry.xml",
)  # used through globals on any page
CONTENT_GLOBALS = frozenset({"index", "term"})  # globals through which a template reaches any content
LEFT_OUT = {(Article, "body_digest")}  # shown only through body(), which templates_read tracks

_FIELDS: dict[type, tuple[str, ...]] = {}
_PLAIN = (str, int, float, bool, type(None))
_SIMPLE: frozenset[type] = frozenset({*_PLAIN, dt.date, dt.datetime, PosixPath})  # by far the most common


def field_names(cls: type) -> tuple[str, ...]:
    """The fields of a model class that a digest covers: all of them, but those in LEFT_OUT."""
    found = _FIELDS.get(cls)
    if found is None:
        found = _FIELDS[cls] = tuple(f.name for f in fields(cls) if (cls, f.name) not in LEFT_OUT)
    return found


# what `_plain` and `Fingerprints.value` found for each type (but tuples, and classes as values)
_PLAIN_TYPES: dict[type, bool] = dict.fromkeys(_SIMPLE, True)
_KINDS: dict[type, str] = {}


def _plain(value: object) -> bool:
    """Whether repr() shows all of a value: text, numbers, dates, paths, and tuples of those."""
    known = _PLAIN_TYPES.get(type(value))
    if known is not None:
        return known
    if isinstance(value, tuple):
        # items are by far most often of a known plain type: found without a call
        return all(_PLAIN_TYPES.get(type(item)) or _plain(item) for item in value)
    plain = isinstance(value, _PLAIN) or not (is_dataclass(value) or isinstance(value, (list, Mapping, set)))
    if not isinstance(value, type):  # a class as a value: is_dataclass looks at the class itself
        _PLAIN_TYPES[type(value)] = plain
    return plain


Shown = Callable[[object], tuple[object, ...]]
_LEAVES: dict[type, Shown | None] = {}
_UNION = type(int | None)


def _leaf(cls: type) -> Shown | None:
    """For a model class whose fields are all declared plain (text, numbers, dates, None): how a
    digest shows one of its objects, as its class name and field values. None for other classes.

    Such small objects (a topic as an article spells it, a time zone, an edge of the network) are
    four in five of the objects a build's pages hold; shown in place, each costs one C call
    instead of a digest of its own.
    """
    if cls in _LEAVES:
        return _LEAVES[cls]
    shown: Shown | None = None
    names = field_names(cls) if is_dataclass(cls) else ()
    try:
        hints = typing.get_type_hints(cls) if names else {}
    except (NameError, TypeError):  # a field declared with a type that cannot be looked up
        hints = {}
    if names and all(_declared_plain(hints.get(name)) for name in names):
        values = attrgetter(*names) if len(names) > 1 else (lambda value: (getattr(value, names[0]),))
        label = cls.__name__
        shown = lambda value: (label, values(value))  # noqa: E731
    _LEAVES[cls] = shown
    return shown


def _declared_plain(hint: object) -> bool:
    """Whether a field's declared type holds only plain values (`str`, `dt.date | None`...)."""
    if isinstance(hint, type):
        return hint in _SIMPLE
    union = typing.get_origin(hint) in (typing.Union, _UNION)
    return union and all(_declared_plain(arg) for arg in typing.get_args(hint))


def _kind(value: object) -> str:
    """How `Fingerprints.value` digests a value: "sequence", "mapping", "leaf", "model" or "small"."""
    kind = _KINDS.get(type(value))
    if kind is None:
        if isinstance(value, (list, tuple)):
            kind = "sequence"
        elif isinstance(value, Mapping):
            kind = "mapping"
        elif is_dataclass(value) and not isinstance(value, type):
            kind = "leaf" if _leaf(type(value)) is not None else "model"
        else:
            kind = "small"
        if not isinstance(value, type):
            _KINDS[type(value)] = kind
    return kind


@dataclass(frozen=True, slots=True)
class Reads:
    """What a template (with everything it uses) can read beyond its context."""

    content: bool  # any content, through `index` or `term`
    bodies: str  # "none", "own" (only body(article)), or "any"

    def __or__(self, other: Reads) -> Reads:
        order = ("none", "own", "any")
        bodies = max(self.bodies, other.bodies, key=order.index)
        return Reads(self.content or other.content, bodies)


NOTHING = Reads(False, "none")
EVERYTHING = Reads(True, "any")


def template_reads(tree: nodes.Template) -> Reads:
    """What one parsed template reads through the globals that hold content."""
    names = meta.find_undeclared_variables(tree)
    content = bool(names & CONTENT_GLOBALS)
    if "body" not in names:
        return Reads(content, "none")
    calls = list(tree.find_all(nodes.Call))
    own = [
        call
        for call in calls
        if isinstance(call.node, nodes.Name)
        and call.node.name == "body"
        and len(call.args) == 1
        and isinstance(call.args[0], nodes.Name)
        and call.args[0].name == "article"
    ]
    uses = [n for n in tree.find_all(nodes.Name) if n.name == "body" and n.ctx == "load"]
    shadowed = any(n.name == "article" and n.ctx == "store" for n in tree.find_all(nodes.Name))
    return Reads(content, "own" if len(own) == len(uses) and not shadowed else "any")


class Fingerprints:
    def __init__(self, env: jinja2.Environment, index: SiteIndex, body_salt: str = "") -> None:
        self.env = env
        self.body_salt = body_salt  # what bodies depend on besides their text (linked mentions)
        # templates are analysed as parsed by an environment without the site's globals, which
        # jinja2.meta would otherwise not count as variables the template reads
        self.bare = jinja2.Environment(trim_blocks=env.trim_blocks, lstrip_blocks=env.lstrip_blocks)
        self.bare.filters, self.bare.tests = env.filters, env.tests
        self.index = index
        # digests by id; the object is kept alongside so that its id is not reused during the build
        self.memo: dict[int, tuple[object, bytes]] = {}
        self.templates: dict[str, tuple[bytes, Reads]] = {}
        self.files: dict[str, tuple[Reads, tuple[str | None, ...]]] = {}  # and the templates each names
        self._index_digest: bytes | None = None

    def page(self, spec: PageSpec) -> str:
        """What the page shows through its templates: its context and what they read beyond it.

        The templates' own sources are not in it: a page is made again when its fingerprint or
        its template's key (`template_key`) changed, so that after a template edit alone the
        fingerprints of the last build still hold, for the pages it makes too.
        """
        h = hasher()
        h.update(f"{spec.template}\0{spec.url}\0".encode())
        reads = self.template(spec.template)[1]
        h.update(f"{int(reads.content)}:{reads.bodies}\0".encode())
        for key in sorted(spec.context):
            h.update(key.encode())
            h.update(self.value(spec.context[key]))
        if reads.content:
            h.update(self.whole_index(with_bodies=reads.bodies == "any"))
        if reads.bodies == "own":
            article = spec.context.get("article")
            if isinstance(article, Article):
                h.update(f"{article.body_digest}\0{self.body_salt}".encode())
        elif reads.bodies == "any":
            h.update(
                value_digest(sorted(_bodies(spec.context.values(), self.index.articles)), self.body_salt)
            )
        return h.hexdigest()

    def template_key(self, name: str) -> str:
        """The key of template `name` for the pages it makes: what they read beyond their context
        (as `reads:` and `bodies`), then a digest of its sources and of everything they use."""
        source, reads = self.template(name)
        return f"{int(reads.content)}:{reads.bodies}:{source.hex()}"

    def reads(self, name: str) -> Reads:
        """What pages made with template `name` can read beyond their context."""
        return self.template(name)[1]

    def template(self, name: str) -> tuple[bytes, Reads]:
        found = self.templates.get(name)
        if found is None and name.startswith("@"):  # made by code (pages.CALENDAR): no template
            found = self.templates[name] = (value_digest(name), NOTHING)
        if found is None:
            closure, reads = self._closure([name, *ITEM_TEMPLATES])
            sources = [self._source(n) for n in sorted(closure)]
            found = self.templates[name] = (value_digest(sources), reads)
        return found

    def _source(self, name: str) -> str:
        loader = self.env.loader
        assert loader is not None
        return loader.get_source(self.env, name)[0]

    def _closure(self, names: Iterable[str]) -> tuple[set[str], Reads]:
        seen: set[str] = set()
        reads = NOTHING
        todo = list(names)
        while todo:
            name = todo.pop()
            if name in seen:
                continue
            seen.add(name)
            found = self.files.get(name)
            if found is None:  # each file parsed once, though every page kind includes the items
                try:
                    tree = self.bare.parse(self._source(name))
                except jinja2.TemplateError:
                    continue  # rendering will report it with its line
                found = self.files[name] = (template_reads(tree), tuple(meta.find_referenced_templates(tree)))
            reads |= found[0]
            for used in found[1]:
                if isinstance(used, str):
                    todo.append(used)
                else:
                    reads = EVERYTHING  # a template named at render time: it could be any
        return seen, reads

    def shared(self) -> list[list[object]]:
        """The objects that pages of every kind hold, digested first, so that processes forked to
        take page fingerprints each find them digested: in layers, each digested once the layers
        before it are known everywhere. A happening's digest holds the links to its sources, and
        an article's its happenings': digested in that order, no process makes a digest another
        process has made already."""
        index = self.index
        return [[*index.links.values()], [*index.events], [*index.articles.values()]]

    def learn(self, objects: list[object], digests: list[bytes]) -> None:
        """Take the digests of `objects` made by another process (of the same index)."""
        memo = self.memo
        for value, digest in zip(objects, digests, strict=True):
            memo[id(value)] = (value, digest)

    def whole_index(self, with_bodies: bool) -> bytes:
        """A digest of everything in the index: for pages whose templates read it directly."""
        if self._index_digest is None:
            self._index_digest = self.value(self.index)
        if not with_bodies:
            return self._index_digest
        bodies = [a.body_digest for a in self.index.articles.values()]
        return value_digest(self._index_digest, bodies, self.body_salt)

    def people(self, ids: Iterable[str]) -> list[str]:
        """The names links to these people show."""
        return [self.index.people[pid].name for pid in ids]

    def terms(self, kind: str, terms: Iterable[Term]) -> list[str]:
        """The names links to these topics or places show (the most used spelling)."""
        return [self.index.term(kind, term).name for term in terms]

    def _shown(self, value: object) -> list[object]:
        """What the link helpers show for a model object beyond its fields: looked-up names."""
        match value:
            case Article():
                return [self.people(value.actors), self.terms("topics", value.topics),
                        self.terms("places", value.places)]  # fmt: skip
            case Event():
                # its sources as reports_of shows them: links, each digested once (index.links)
                links = self.index.links
                sources = [self.value(links[slug]) for slug in value.reports if slug in links]
                return [sources, self.people(value.actors),
                        self.terms("places", value.places), self.terms("topics", value.topics)]  # fmt: skip
            case PersonFacts():
                topics = [self.index.taxonomies["topics"][slug].name for slug, _ in value.topics]
                return [self.people(pid for pid, _ in value.co_actors), topics]
        return []

    def part(self, value: object) -> object:
        """A field's value as a digest shows it: plain values and small model objects as they are
        (see _leaf), anything else by its digest."""
        cls = type(value)
        plain = _PLAIN_TYPES
        if plain.get(cls):
            return value
        if cls is tuple:  # most often of text (names, slugs): kept as it is
            items: tuple[object, ...] = value  # type: ignore[assignment]
            if all(plain.get(type(item)) for item in items):
                return items
            return self._items(items)
        shown = _LEAVES[cls] if cls in _LEAVES else _leaf(cls)
        if shown is not None:
            return shown(value)
        return value if _plain(value) else self.value(value)

    def _items(self, items: Iterable[object]) -> object:
        """A sequence's items as a digest shows them (see `_sequence`): plain values as they are,
        model objects by their digests, taken from the memo when made already (most often)."""
        memo, part, plain = self.memo, self.part, _PLAIN_TYPES
        return _sequence(
            [
                item if plain.get(type(item)) else known[1] if (known := memo.get(id(item))) else part(item)
                for item in items
            ]
        )

    def value(self, value: object) -> bytes:
        key = id(value)
        known = self.memo.get(key)
        if known is not None:
            return known[1]
        kind = _kind(value)
        if kind == "sequence":  # often thousands of articles or events, known already
            assert isinstance(value, (list, tuple))
            if _plain(value):
                return value_digest(value)
            found = self._items(value)
            return found if type(found) is bytes else value_digest(found)
        if kind == "mapping":
            assert isinstance(value, Mapping)
            return value_digest([(self.value(k), self.value(v)) for k, v in value.items()])
        if kind == "small":
            return value_digest(value)  # small values (dates, numbers, text): not worth keeping
        if kind == "leaf":
            return value_digest(self.part(value))
        parts = [getattr(value, name) for name in field_names(type(value))]
        plain = _PLAIN_TYPES
        shown = [p if plain.get(type(p)) else self.part(p) for p in parts]
        found = value_digest(type(value).__name__, shown, self._shown(value))
        self.memo[key] = (value, found)
        return found


def _sequence(shown: list[object]) -> object:
    """A sequence's items as a digest shows them: when all are digests (of articles, events...),
    one digest of them joined, which is many times cheaper than the repr of each; else a tuple."""
    try:
        joined = b"".join(shown)  # type: ignore[arg-type]
    except TypeError:  # not all bytes
        return tuple(shown)
    if not shown or set(map(len, shown)) != {SIZE}:  # type: ignore[arg-type]
        return tuple(shown)
    h = hasher()
    h.update(b"\0digests\0")  # never the start of a repr, so never the input of another digest
    h.update(joined)  # each item of SIZE bytes: read one way only
    return h.digest()


def _bodies(values: Iterable[object], articles: Mapping[str, Article]) -> set[str]:
    """The body digests of the articles among `values` (and in lists, tuples and mappings of them),
    given as themselves or as links (`body()` takes either)."""
    found: set[str] = set()
    for value in values:
        if isinstance(value, Article):
            found.add(value.body_digest)
        elif isinstance(value, ArticleLink) and value.slug in articles:
            found.add(articles[value.slug].body_digest)
        elif isinstance(value, (list, tuple)):
            found |= _bodies(value, articles)
        elif isinstance(value, Mapping):
            found |= _bodies(value.values(), articles)
    return found
