"""Linked mentions: known people's names found in rendered article bodies, and linked to them.

A pass over the sanitized body HTML, after Markdown: names and aliases are matched whole-word,
ignoring case and accents, only in text outside links, code, preformatted text and headings.
"""

from __future__ import annotations

import bisect
import json
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import ahocorasick

from . import urls
from .errors import Problem
from .hashing import content_hash

if TYPE_CHECKING:  # a body splice uses the Linker only: the model does not load for it
    from .config import SiteConfig
    from .index import SiteIndex
    from .model import Article, Person

MODES = ("off", "first", "all")
SKIPPED = frozenset({"a", "code", "pre", "kbd", "h1", "h2", "h3", "h4", "h5", "h6"})
TAG = re.compile(r"""<(/?)([A-Za-z][A-Za-z0-9]*)[^>"']*(?:(?:"[^"]*"|'[^']*')[^>"']*)*>""")
_ASCII_BYTES = bytes(range(128))
# kana, CJK ideographs and their extensions: scripts written without spaces between words (ranges
# compared by hand: as a regular expression, this class took 3 ms to compile at every start)
CJK_RANGES = ((0x3040, 0x30FF), (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0x20000, 0x3134F))
# ASCII: letters and digits lowercase, everything else a space
_ASCII = str.maketrans({chr(c): (chr(c).lower() if chr(c).isalnum() else " ") for c in range(128)})


class _FoldTable(dict[int, str]):
    """Other characters: the lowercase base letter (é -> e), or a space if not a letter or digit."""

    def __missing__(self, code: int) -> str:
        char = chr(code)
        if not char.isalnum():
            found = " "
        else:
            base = "".join(c for c in unicodedata.normalize("NFD", char) if not unicodedata.combining(c))
            base = base.casefold()
            found = base if len(base) == 1 and base.isalnum() else char.lower()
            found = found if len(found) == 1 else char
        self[code] = found
        return found


_FOLD = _FoldTable()


def fold(text: str) -> str:
    """Letters and digits of `text` without case or accents, and a space for any other character.

    Position n of the result is character n of `text`; words are the runs between spaces, so
    `d’Antony&nbsp;Blinken’s` folds to `d antony nbsp blinken s`.
    """
    if not text.isascii():
        others = set(_other_characters(text))
        if len(others) > 32:  # many scripts: one pass, character by character
            return text.translate(_FOLD)
        # Each such character replaced everywhere at once, then translate takes its fast ASCII
        # path. A character folds to one that folds to itself, so the order of replacing is free.
        for char in others:
            text = text.replace(char, _FOLD[ord(char)])
    return text.translate(_ASCII)


def _other_characters(text: str) -> str:
    """The characters of `text` outside ASCII (in bytes, deleting ASCII is one C loop)."""
    encoded = text.encode("utf-8", "surrogatepass")
    return encoded.translate(None, _ASCII_BYTES).decode("utf-8", "surrogatepass")


def spellings(key: str) -> list[str]:
    """A folded name as it may be found: between spaces, with each space also `&nbsp;` folded."""
    if key and any(low <= ord(key[0]) <= high for low, high in CJK_RANGES):
        return [key]  # written without spaces around it
    found = [""]
    for word in key.split(" "):
        found = [f"{start} {word}" for start in found] + [f"{start} nbsp {word}" for start in found if start]
    return [f"{form} " for form in found]


@dataclass(frozen=True, slots=True)
class Mention:
    person: str  # id
    start: int  # where the name is in the HTML
    end: int
    text: str  # as written there (HTML)


class Names:
    """The names and aliases of known people, and how to find them in a body's HTML.

    All names are looked for at once, in one pass over the text (an Aho-Corasick automaton). An
    alias two people share names neither of them (briefgen never guesses).
    """

    def __init__(self, named: Iterable[tuple[str, str]]) -> None:
        owners: dict[str, set[str]] = {}
        for name, pid in named:
            key = _key(name)
            if len(key) > 1:
                owners.setdefault(key, set()).add(pid)
        self.people = {key: next(iter(pids)) for key, pids in sorted(owners.items()) if len(pids) == 1}
        self._automaton: ahocorasick.Automaton | None = None
        text = json.dumps(sorted(self.people.items()), ensure_ascii=False)
        self.digest = content_hash(text)

    @property
    def automaton(self) -> ahocorasick.Automaton:
        """Made when first needed: a fingerprint needs only the digest.

        Names are looked for with a space on each side, in the folded text with a space on each
        side: so only whole words match, and the automaton reports nothing else.
        """
        if self._automaton is None:
            self._automaton = ahocorasick.Automaton()
            for key, pid in self.people.items():
                for form in spellings(key):
                    # a match ending at `last` of the padded text is html[last - back : last - ahead]:
                    # the padded text has one more character in front, a form spaces around it
                    padded = form.startswith(" ")
                    back, ahead = (len(form) - 1, 1) if padded else (len(form), 0)
                    self._automaton.add_word(form, (back, ahead, pid))
            self._automaton.make_automaton()
        return self._automaton

    def find(self, html: str, first: bool = False) -> list[Mention]:
        """Every mention in text where a link may go, in order; the longest name wins a tie.

        With `first`, only each person's first such mention.
        """
        if not self.people:
            return []
        # (start, -end, person): sorted, by start and the longest first
        hits = [
            (last - back, ahead - last, pid)
            for last, (back, ahead, pid) in self.automaton.iter(f" {fold(html)} ")
        ]
        if not hits:
            return []
        hits.sort()
        spans = _text_spans(html)
        starts = [start for start, _ in spans]
        mentions: list[Mention] = []
        seen: set[str] = set()
        last_end = 0
        for start, minus_end, pid in hits:
            end = -minus_end
            if start < last_end:
                continue
            if first and pid in seen:
                last_end = end  # a later mention: it still hides shorter names within it
                continue
            place = bisect.bisect_right(starts, start) - 1
            if place < 0 or end > spans[place][1]:
                continue  # in a tag, or in text where links do not go
            mentions.append(Mention(pid, start, end, html[start:end]))
            seen.add(pid)
            last_end = end
        return mentions


def _key(name: str) -> str:
    """A name as it is looked for: folded, words apart by single spaces."""
    return " ".join(fold(name).replace(" nbsp ", " ").split())


def _text_spans(html: str) -> list[tuple[int, int]]:
    """(start, end) of each run of text outside tags and outside SKIPPED elements."""
    spans = []
    depth = 0
    at = 0
    for tag in TAG.finditer(html):
        if depth == 0 and tag.start() > at:
            spans.append((at, tag.start()))
        name = tag.group(2).lower()
        if name in SKIPPED:
            if tag.group(1):
                depth = max(0, depth - 1)
            elif not tag.group(0).endswith("/>"):
                depth += 1
        at = tag.end()
    if depth == 0 and at < len(html):
        spans.append((at, len(html)))
    return spans


def names_of(people: Iterable[Person]) -> Names:
    """The names of people who have a file (a stub's name is only a spelling in one article)."""
    return Names((name, p.id) for p in people if not p.is_stub for name in (p.name, *p.aliases))


_known: list[tuple[SiteIndex, Names]] = []


def names_in(index: SiteIndex) -> Names:
    """names_of the index's people, made once per index (each day's digest asks again)."""
    if not _known or _known[0][0] is not index:
        _known[:] = [(index, names_of(index.people.values()))]
    return _known[0][1]


class Linker:
    """Links mentions in a body's HTML: `first` (each person once) or `all`; `off` links none.

    `salt` names what the result depends on besides the body: a store keys linked bodies with it.
    """

    def __init__(self, names: Names, mode: str, hrefs: dict[str, str], *, keep_whole: bool = False) -> None:
        self.names = names
        self.mode = mode
        self.hrefs = hrefs
        self.keep_whole = keep_whole  # every other mention in a span the PDF never hyphenates
        text = f"{names.digest}\0{mode}\0{json.dumps(sorted(hrefs.items()))}"
        self.salt = "" if mode == "off" else content_hash(text)

    def __call__(self, html: str) -> str:
        if self.keep_whole:
            hrefs = {} if self.mode == "off" else self.hrefs
            mentions = self.names.find(html)
            return link(html, mentions, hrefs.get, self.mode == "first", keep_whole=True)
        if self.mode == "off":
            return html
        first = self.mode == "first"
        return link(html, self.names.find(html, first), lambda pid: self.hrefs.get(pid), first)

    def to_text(self) -> str:
        """For the body store: a later build that only splices bodies needs no index to link them."""
        return json.dumps(
            {"names": sorted(self.names.people.items()), "mode": self.mode, "hrefs": self.hrefs},
            ensure_ascii=False,
        )

    @classmethod
    def from_text(cls, text: str) -> Linker:
        data = json.loads(text)
        names = Names((key, pid) for key, pid in data["names"])
        return cls(names, data["mode"], data["hrefs"])


def link(
    html: str,
    mentions: list[Mention],
    href: Callable[[str], str | None],
    first: bool = True,
    *,
    keep_whole: bool = False,
) -> str:
    """`html` with each mention (with `first`, each person's first) made a link to `href(person)`;
    with `keep_whole`, the mentions not linked are wrapped in `<span class="mention">`."""
    parts = []
    at = 0
    seen: set[str] = set()
    for mention in mentions:
        target = href(mention.person)
        if target is None or (first and mention.person in seen):
            if not keep_whole:
                continue
            wrapped = f'<span class="mention">{mention.text}</span>'
        else:
            wrapped = f'<a class="mention" href="{target}">{mention.text}</a>'
        seen.add(mention.person)
        parts.append(html[at : mention.start])
        parts.append(wrapped)
        at = mention.end
    if not parts:
        return html
    parts.append(html[at:])
    return "".join(parts)


STORE_KEY = "mentions-linker"  # where the body store keeps the linker of the last full build


def site_linker(config: SiteConfig, index: SiteIndex) -> Linker:
    """Mentions as article pages link them: to each person's page, from /articles/<slug>/."""
    names = names_in(index)
    page = "articles/a/"  # the depth of every article page: links climb from there
    hrefs = {
        pid: urls.relative(urls.url_of(index.people[pid]), page, config.directory_urls)
        for pid in sorted(set(names.people.values()))
    }
    return Linker(names, config.mentions, hrefs)


def unlisted(article: Article, source: str, names: Names, people: dict[str, Person]) -> list[Problem]:
    """Suggestions for people named in the body of `article` but not among its actors.

    Each points at the line of the first such mention in the file.
    """
    listed = set(article.actors)
    if all(m.person in listed for m in names.find(source)):  # a quick look at the Markdown
        return []
    from .markdown import markdown_to_html

    problems: list[Problem] = []
    padded = f" {fold(source)} "
    seen: set[str] = set()
    for mention in names.find(markdown_to_html(source, article.lang)):
        if mention.person in listed or mention.person in seen:
            continue
        seen.add(mention.person)
        at = min(_position(padded, form) for form in spellings(_key(mention.text)))
        if at >= len(source):  # written differently in the Markdown
            at = 0
        line = article.body_line + source.count("\n", 0, at)
        name = people[mention.person].name
        problems.append(
            Problem(article.path, line, f"{name} is mentioned in the body but not listed in actors")
        )
    return problems


def _position(padded: str, form: str) -> int:
    """Where `form` (a spelling of a name) first occurs in the folded text with a space added in
    front, as a position in the text (its end if it does not occur)."""
    at = padded.find(form)
    return len(padded) if at < 0 else max(0, at + (1 if form.startswith(" ") else 0) - 1)


def suggestions(index: SiteIndex) -> tuple[Problem, ...]:
    """For `check`: every article's mentions of known people who are not among its actors."""
    from .content.articles import read_body

    names = names_in(index)
    found: list[Problem] = []
    for article in index.articles.values():
        found.extend(unlisted(article, read_body(article), names, index.people))
    return tuple(sorted(found, key=lambda p: (str(p.path), p.line or 0, p.message)))
