"""Article files read and checked one at a time (`parse_file`), before their names are resolved;
and an article's body, read again when a page needs it."""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass, replace
from pathlib import Path

from ..config import LANG_RE, SiteConfig
from ..errors import BuildError, ContentError, Problem
from ..files import DiskFiles, FilePolicy, Files, Listing, project_files
from ..frontmatter import split
from ..hashing import content_hash
from ..model import IMAGE_TYPES, Article, Event, Image, Source, pick_with_lang
from ..pickling import fast_pickle
from ..slugs import slugify
from ..typography import typeset
from ..yamlnodes import Map, Scalar
from .fields import Fields, day_start, decode, given
from .people import PEOPLE_DIR

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
EVENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


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


Parsed = dict[str, ParsedArticle]  # file path -> what parsing it gave, keyed with its digest


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


def article_paths(content_dir: Path, files: Files) -> Listing:
    """Every `*.md` under the content folder but people/, hidden files and folders, and `_*`."""

    def keep_dir(parts: tuple[str, ...]) -> bool:
        # editor leftovers and the people folder
        return not parts[-1].startswith((".", "_")) and parts != (PEOPLE_DIR,)

    def keep_file(name: str) -> bool:
        return name.endswith(".md") and not name.startswith((".", "_"))

    return files.listing(content_dir, keep_dir, keep_file)


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
    source_node = given(meta, "source")
    if source_node is not None:
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
    node = given(meta, "image")
    if node is None:
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
