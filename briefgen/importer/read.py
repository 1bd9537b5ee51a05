"""Read a raw article: decode its bytes, then split it into a title, Markdown blocks and page metadata.

A saved web page goes through trafilatura when it is installed (main text and metadata), and
through a small standard-library reader otherwise; pasted text is split into paragraphs. Page
debris (share buttons, "Read more" links, cookie notices, captions, bylines) is dropped in both
cases and kept aside so the review comment can say what went.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from ..errors import ContentError
from ..slugs import fold
from . import engines
from .wordlists import words

HTML_SUFFIXES = (".html", ".htm", ".xhtml", ".shtml")
# Browsers read these labels as windows-1252, and so do we: pages saved as "latin-1" use its quotes.
AS_CP1252 = frozenset({"iso-8859-1", "iso8859-1", "latin1", "latin-1", "us-ascii", "ascii", "l1"})

# A block whose start matches is page furniture, not article text (compared without accents).
DEBRIS_START = re.compile(
    r"^(?:en savoir plus|lire aussi|a lire aussi|lire la suite|voir aussi|a voir aussi|sur le meme sujet"
    r"|read more|read also|see also|related\b|more on this|recommended|you may also like|most read"
    r"|publicite|advertisement|sponsored|partager|partagez|share\b|tweet\b|suivez[- ]nous|follow us"
    r"|abonnez[- ]vous|subscribe|newsletter|inscrivez[- ]vous|sign up|s'inscrire|nous utilisons des cookies"
    r"|ce site utilise des cookies|we use cookies|this (?:web)?site uses cookies|cookies?\b|accepter|accept"
    r"|tous droits reserves|all rights reserved|©|copyright|photo\s*:|credit\s*:|credits?\s+photo|image\s*:"
    r"|legende\s*:|caption\s*:|imprimer|print this|envoyer par|email this|commentaires?\b|comments?\b"
    r"|telecharger l'application|download the app|ecouter l'article|listen to this article"
    r"|temps de lecture|reading time|\d+\s*min(?:utes?)? (?:de lecture|read)|mis a jour le|updated\b"
    r"|publie le|published\b|le \d{1,2}/\d{1,2}/\d{4}|par [\w .'-]{2,40}$|by [\w .'-]{2,40}$"
    r"|(?:additional )?reporting by|editing by|writing by|our standards|watch\s*:|topics\s*:|tags$|regarder"
    r"|reecouter|retour en haut|back to top|most read|les plus lus|more on this story)",
    re.IGNORECASE,
)
SHARE_WORDS = words(
    "facebook twitter x linkedin whatsapp telegram email e-mail mail messenger reddit pinterest copier "
    "copy le lien link partager share imprimer print tweet envoyer send bluesky threads mastodon"
)
CAPTION = re.compile(r"\((?:photo|image|credit|crédit)\b|©|\b(?:getty images|afp photo)\b", re.IGNORECASE)
PUBLISHED_LINE = re.compile(
    r"^(?:publi[ée] le|mis à jour le|updated|published|posted)\s*:?\s*(?P<when>.{6,60})$", re.IGNORECASE
)
# "PÉKIN, 18 juin (AFP) - " or "BEIJING (Reuters) — " at the start of the first paragraph.
DATELINE = re.compile(
    r"^(?P<city>[A-ZÀ-Ý][A-ZÀ-Ý'’ .-]{2,40})(?:,\s*(?P<when>[^()\n]{3,40}?))?\s*"
    r"\((?P<agency>[^()\n]{2,30})\)\s*[-–—]+\s*"
)
LIST_ITEM = re.compile(r"^\s*(?:[-*•·▪◦]|\d+[.)])\s+")


@dataclass(frozen=True, slots=True)
class Source:
    """What a raw article holds, before anything is inferred from it."""

    name: str  # the file name as given, or "-" for standard input
    title: str
    blocks: tuple[str, ...]  # Markdown: paragraphs, "## " headings, "- " list items, "> " quotes
    is_html: bool = False
    published: str = ""  # an ISO date or datetime from the page's metadata
    published_text: str = ""  # a publication line or dateline found in the text ("Publié le 18 juin")
    site_name: str = ""
    url: str = ""
    declared_lang: str = ""  # <html lang>
    agency: str = ""  # the agency of a dateline: "AFP" in "PÉKIN (AFP) -"
    removed: tuple[str, ...] = ()  # blocks dropped as page debris
    notes: tuple[str, ...] = field(default=())


def read_source(data: bytes, name: str, use_libraries: bool = True) -> Source:
    """Decode and split one raw article; undecodable bytes are a ContentError naming the file."""
    path = Path(name)
    text, is_html = decode_source(data, path)
    if is_html:
        return _read_html(text, name, use_libraries)
    return _read_text(text, name)


def decode_source(data: bytes, path: Path) -> tuple[str, bool]:
    """The text of a raw article and whether it is HTML: UTF-8 with or without a byte order mark,
    UTF-16 with one, or for HTML the charset the page declares; line ends become \\n."""
    is_html = path.suffix.lower() in HTML_SUFFIXES or _looks_like_html(data)
    encoding = "utf-8"
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    elif is_html:
        encoding = _declared_charset(data, path) or "utf-8"
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        shown = "UTF-8" if encoding == "utf-8" else encoding
        hint = "save the file as UTF-8" + (" or declare its charset" if is_html else "")
        raise ContentError(
            path, line, f"not valid {shown} (byte 0x{data[error.start]:02x}); {hint}"
        ) from None
    return text.replace("\r\n", "\n").replace("\r", "\n"), is_html


def _looks_like_html(data: bytes) -> bool:
    head = data[:2048].lstrip().lower()
    return (
        head.startswith((b"<!doctype html", b"<html", b"\xef\xbb\xbf<"))
        or b"<body" in head
        or b"<head" in head
    )


def _declared_charset(data: bytes, path: Path) -> str | None:
    head = data[:4096].decode("ascii", errors="replace")
    found = re.search(r"<meta[^>]+charset\s*=\s*[\"']?\s*([\w:.-]+)", head, re.IGNORECASE) or re.search(
        r"<\?xml[^>]+encoding\s*=\s*[\"']([\w.-]+)", head, re.IGNORECASE
    )
    if not found:
        return None
    label = found.group(1).lower()
    if label in AS_CP1252:
        return "cp1252"
    try:
        return codecs.lookup(label).name
    except LookupError:
        raise ContentError(path, None, f"the page declares an unknown charset '{found.group(1)}'") from None


# -- pasted text ----------------------------------------------------------------------------------


def _read_text(text: str, name: str) -> Source:
    paragraphs = _paragraphs(text)
    kept, removed, published_text = _sift(paragraphs)
    if not kept:
        raise ContentError(Path(name), None, "no article text found")
    title = kept[0]
    body = list(kept[1:])
    agency = ""
    if body:
        body[0], agency, dateline_when = _strip_dateline(body[0])
        published_text = published_text or dateline_when
    return Source(
        name=name,
        title=title,
        blocks=tuple(_as_markdown(body)),
        published_text=published_text,
        agency=agency,
        removed=tuple(removed),
    )


def _paragraphs(text: str) -> list[str]:
    """Blank lines separate paragraphs; so does a line break after a sentence's end. A line broken
    in the middle of a sentence (hard-wrapped text) is joined to the next one."""
    found: list[str] = []
    current: list[str] = []
    for raw in text.split("\n"):
        line = " ".join(raw.split())
        if not line:
            if current:
                found.append(" ".join(current))
                current = []
            continue
        if current and (
            LIST_ITEM.match(line)
            or current[-1][-1] in '.!?»"”:;)'
            or not line[0].islower()
            or LIST_ITEM.match(current[-1])
        ):
            found.append(" ".join(current))
            current = []
        current.append(line)
    if current:
        found.append(" ".join(current))
    return found


def _sift(blocks: list[str]) -> tuple[list[str], list[str], str]:
    """(article blocks, debris blocks, the publication line's date text if one was found)."""
    kept: list[str] = []
    removed: list[str] = []
    published = ""
    for block in blocks:
        plain = _plain(block)
        folded = _unaccent(plain).casefold()
        line = PUBLISHED_LINE.match(plain)
        if line and not published:
            published = line.group("when")
        if is_debris(plain, folded):
            removed.append(plain)
        else:
            kept.append(block)
    return kept, removed, published


def is_debris(plain: str, folded: str | None = None) -> bool:
    folded = folded if folded is not None else _unaccent(plain).casefold()
    words = re.findall(r"[\w@.-]+", folded)
    if words and all(w in SHARE_WORDS for w in words):
        return True
    if DEBRIS_START.match(folded):
        return True
    return bool(CAPTION.search(plain)) and len(plain) < 300


def _strip_dateline(block: str) -> tuple[str, str, str]:
    found = DATELINE.match(block)
    if not found:
        return block, "", ""
    return block[found.end() :], found.group("agency").strip(), (found.group("when") or "").strip()


def _as_markdown(blocks: list[str]) -> list[str]:
    """List items, quotes and short headings of pasted text as Markdown; other text escaped where a
    character at a line's start would change its meaning."""
    out: list[str] = []
    for index, block in enumerate(blocks):
        if LIST_ITEM.match(block):
            out.append("- " + _escape(LIST_ITEM.sub("", block, count=1)))
        elif _is_heading(block, blocks[index + 1] if index + 1 < len(blocks) else ""):
            out.append("## " + _escape(block))
        else:
            out.append(_escape(block))
    return out


def _is_heading(block: str, following: str) -> bool:
    words = block.split()
    return (
        0 < len(words) <= 8
        and block[-1] not in '.!?:;,»"”)'
        and block[0].isupper()
        and len(following.split()) > len(words) * 2
    )


def _escape(text: str) -> str:
    """Pasted text is not Markdown: a leading '#', '>', '1.' or '-' and inline markup stay literal."""
    text = re.sub(r"([\\`*_\[\]>|])", r"\\\1", text).replace("<", "&lt;")  # Markdown has no \<
    return re.sub(r"^(#|\d+(?=[.)]\s)|[-+=](?=\s))", r"\\\1", text)


def _plain(block: str) -> str:
    """A Markdown block's text without its leading markers."""
    text = re.sub(r"^(?:#{1,6}\s+|>\s*|[-*]\s+)", "", block.strip())
    return re.sub(r"\\([\\`*_\[\]<>|#+=-])", r"\1", text).replace("&lt;", "<").strip()


def _unaccent(text: str) -> str:
    import unicodedata

    decomposed = unicodedata.normalize("NFKD", text.replace("’", "'"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


# -- saved web pages ------------------------------------------------------------------------------

SKIP_TAGS = words(
    "nav header footer aside form button script style noscript svg iframe select template figure "
    "figcaption dialog menu"
)
BLOCK_TAGS = words("p h1 h2 h3 h4 h5 h6 li blockquote pre td dd dt")
SKIP_MARKS = re.compile(
    r"cookie|consent|gdpr|share|sharing|social|nav|menu|banner|newsletter|promo|related|comment|advert"
    r"|sidebar|breadcrumb|subscribe|popup|modal|footer|header|byline|author|caption|credit|tags|toolbar",
    re.IGNORECASE,
)
VOID_TAGS = words("area base br col embed hr img input link meta source track wbr")


class _PageReader(HTMLParser):
    """Metadata and readable blocks of a page, skipping navigation, banners and share widgets."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.meta: dict[str, str] = {}
        self.lang = ""
        self.title_tag = ""
        self.blocks: list[tuple[str, str, bool]] = []  # (tag, text, inside <article>/<main>)
        self._stack: list[tuple[str, bool]] = []  # (tag, skipped)
        self._text: list[str] = []
        self._block: str | None = None
        self._in_title = False
        self._article_depth = 0
        self._time: str = ""

    @property
    def _skipping(self) -> bool:
        return any(skipped for _, skipped in self._stack)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "html":
            self.lang = values.get("lang", "")
        elif tag == "meta":
            key = (values.get("property") or values.get("name") or values.get("itemprop") or "").lower()
            if key and "content" in values:
                self.meta.setdefault(key, values["content"].strip())
        elif tag == "link" and "canonical" in values.get("rel", "").lower():
            self.meta.setdefault("canonical", values.get("href", ""))
        elif tag == "time" and values.get("datetime") and not self._time:
            self._time = values["datetime"]
        elif tag == "title":
            self._in_title = True
        if tag in VOID_TAGS:
            if tag == "br" and self._block is not None:
                self._text.append(" ")
            return
        marks = " ".join((values.get("class", ""), values.get("id", ""), values.get("role", "")))
        skipped = tag in SKIP_TAGS or bool(SKIP_MARKS.search(marks)) or "hidden" in values
        self._stack.append((tag, skipped))
        if tag in ("article", "main"):
            self._article_depth += 1
        if tag in BLOCK_TAGS and not self._skipping and self._block is None:
            self._block = tag
            self._text = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        if tag in VOID_TAGS or not any(t == tag for t, _ in self._stack):
            return
        while self._stack:
            open_tag, _ = self._stack.pop()
            if open_tag in ("article", "main"):
                self._article_depth -= 1
            if open_tag == self._block:
                text = " ".join("".join(self._text).split())
                if text:
                    self.blocks.append((open_tag, text, self._article_depth > 0))
                self._block = None
            if open_tag == tag:
                break

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title_tag += data
        elif self._block is not None and not self._skipping:
            self._text.append(data)

    @property
    def published(self) -> str:
        for key in (
            "article:published_time",
            "datepublished",
            "date",
            "dc.date",
            "pubdate",
            "og:updated_time",
        ):
            if self.meta.get(key):
                return self.meta[key]
        return self._time


def _read_html(text: str, name: str, use_libraries: bool) -> Source:
    reader = _PageReader()
    reader.feed(text)
    reader.close()
    inside = [b for b in reader.blocks if b[2]] or reader.blocks
    h1 = next((t for tag, t, _ in inside if tag == "h1"), "")
    site = reader.meta.get("og:site_name", "")
    title = h1 or reader.meta.get("og:title", "") or _drop_site(reader.title_tag.strip(), site)
    markdown: list[str] | None = None
    notes: list[str] = []
    extracted = engines.html_main_text(text) if use_libraries else None
    if extracted is not None:
        markdown = [b.strip() for b in re.split(r"\n\s*\n", extracted) if b.strip()]
        quotes = {fold(t) for tag, t, _ in inside if tag == "blockquote"}
        markdown = [_unwrap(b) for b in markdown]
        # trafilatura drops the quote marks of <blockquote>: put them back
        markdown = [f"> {b}" if fold(_plain(b)) in quotes else b for b in markdown]
    else:
        why = "is not installed" if not use_libraries or "trafilatura" in engines.missing() else "found none"
        notes.append(f"main text: briefgen's own HTML reader (trafilatura {why})")
        markdown = [_block_markdown(tag, t) for tag, t, _ in inside if tag != "h1"]
    if markdown and markdown[0].startswith("# ") and _plain(markdown[0]) == title:
        markdown = markdown[1:]
    kept, removed, published_text = _sift(markdown)
    if not title and kept:
        title, kept = _plain(kept[0]), kept[1:]
    if not title:
        raise ContentError(Path(name), None, "no article title or text found in the page")
    agency = ""
    if kept:
        first, agency, when = _strip_dateline(kept[0])
        kept[0] = first
        published_text = published_text or when
    url = reader.meta.get("og:url") or reader.meta.get("canonical", "")
    return Source(
        name=name,
        title=" ".join(title.split()),
        blocks=tuple(b for b in kept if b.strip()),
        is_html=True,
        published=reader.published,
        published_text=published_text,
        site_name=site,
        url=url if re.match(r"^https?://\S+$", url) else "",
        declared_lang=reader.lang.split("-")[0].lower(),
        agency=agency,
        removed=tuple(removed),
        notes=tuple(notes),
    )


def _unwrap(block: str) -> str:
    """trafilatura keeps the page's line breaks inside a paragraph; a list keeps one item per line."""
    lines = [line.strip() for line in block.split("\n") if line.strip()]
    if len(lines) > 1 and all(LIST_ITEM.match(line) for line in lines):
        return "\n".join("- " + LIST_ITEM.sub("", line, count=1) for line in lines)
    return " ".join(lines)


def _block_markdown(tag: str, text: str) -> str:
    if tag in ("h2", "h3", "h4", "h5", "h6"):
        return "## " + _escape(text)
    if tag == "li":
        return "- " + _escape(text)
    if tag == "blockquote":
        return "> " + _escape(text)
    return _escape(text)


def _drop_site(title: str, site: str) -> str:
    """`Blinken lands in Beijing | The Daily` -> `Blinken lands in Beijing`."""
    parts = re.split(r"\s+[|–—-]\s+", title)
    if len(parts) > 1:
        if site and site.casefold() in parts[-1].casefold():
            return " - ".join(parts[:-1])
        return max(parts, key=len)
    return title
