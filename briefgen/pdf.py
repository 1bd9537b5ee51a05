"""The PDF digest at the I/O edge: digest HTML from the theme, WeasyPrint, fonts, fetching, writing.

WeasyPrint is imported only when a PDF is rendered, so commands that make no PDF stay quick. Each
process keeps one FontConfiguration and parses the print stylesheet once; `render_digests` forks
worker processes that inherit them (and the index) instead of rebuilding them, and that run under
the time and memory limits of `digest:` in briefgen.yaml.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import ctypes.util
import datetime as dt
import functools
import html
import importlib.metadata
import mimetypes
import os
import posixpath
import re
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

import jinja2
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup

from . import __version__, urls
from .config import SiteConfig
from .content import read_body
from .digest import (
    Digest,
    actor_anchor,
    article_anchor,
    body_anchor,
    event_anchor,
    index_anchor,
    make_digest,
    parse_day,
)
from .errors import BriefgenError, BuildError, ContentError, DigestError, Problem
from .hashing import hasher
from .i18n import STRINGS, Translator, ui_language
from .index import TAXONOMIES, SiteIndex
from .links import line_of
from .markdown import render_markdown
from .mentions import Linker, names_in
from .model import Article
from .pages import PageSpec
from .parallel import Failed, Limits, run_isolated
from .render import make_environment, render
from .theme import template_dirs
from .typography import french_spacing, is_french

TEMPLATE = "digest/digest.html"
STYLESHEET = "digest/digest.css"
PDFA_VARIANT = "pdf/a-3u"
WRITE_OPTIONS = {"pdf_tags": True}  # a structure tree, so screen readers follow headings and lists

# The families digest.css names, by what they are for, and the Debian packages that bring them.
TEXT_FONTS = ("Noto Serif", "Noto Sans")
CJK_FONTS = ("Noto Serif CJK SC", "Noto Sans CJK SC", "WenQuanYi Micro Hei", "WenQuanYi Zen Hei")
TEXT_PACKAGE = "fonts-noto-core"
CJK_PACKAGE = "fonts-wqy-microhei"
SUBSET_PACKAGE = "libharfbuzz-subset0"

Warn = Callable[[Problem], None]


# --- Warnings -----------------------------------------------------------------------------------


def print_warning(problem: Problem) -> None:
    """Print a warning as the command line does: `content/a.md: warning: message`."""
    text = problem.format()
    if problem.path is not None:
        with contextlib.suppress(ValueError):
            shown = os.path.relpath(problem.path)
            if not shown.startswith(".."):
                text = text.replace(str(problem.path), shown, 1)
        head, _, tail = text.partition(": ")
        text = f"{head}: warning: {tail}"
    else:
        text = f"warning: {text}"
    print(text, file=sys.stderr)


# --- Fonts ----------------------------------------------------------------------------------------


@functools.cache
def installed_families() -> frozenset[str] | None:
    """Every font family fontconfig knows, or None when fontconfig cannot be asked."""

    class FontSet(ctypes.Structure):
        _fields_ = [
            ("nfont", ctypes.c_int),
            ("sfont", ctypes.c_int),
            ("fonts", ctypes.POINTER(ctypes.c_void_p)),
        ]

    try:
        lib = ctypes.CDLL(ctypes.util.find_library("fontconfig") or "libfontconfig.so.1")
    except OSError:
        return None
    lib.FcInitLoadConfigAndFonts.restype = ctypes.c_void_p
    lib.FcConfigGetFonts.restype = ctypes.POINTER(FontSet)
    lib.FcConfigGetFonts.argtypes = [ctypes.c_void_p, ctypes.c_int]
    lib.FcPatternGetString.restype = ctypes.c_int
    lib.FcPatternGetString.argtypes = [
        ctypes.c_void_p,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.POINTER(ctypes.c_char_p),
    ]
    lib.FcConfigDestroy.argtypes = [ctypes.c_void_p]
    config = lib.FcInitLoadConfigAndFonts()
    if not config:
        return None
    families: set[str] = set()
    try:
        fonts = lib.FcConfigGetFonts(config, 0)  # FcSetSystem
        if fonts:
            value = ctypes.c_char_p()
            for i in range(fonts.contents.nfont):
                n = 0
                while lib.FcPatternGetString(fonts.contents.fonts[i], b"family", n, ctypes.byref(value)) == 0:
                    families.add((value.value or b"").decode("utf-8", "replace"))
                    n += 1
    finally:
        lib.FcConfigDestroy(config)
    return frozenset(families)


@functools.cache
def has_harfbuzz_subset() -> bool:
    """Without libharfbuzz-subset WeasyPrint subsets fonts with fontTools: CJK PDFs ~20x slower."""
    for name in (ctypes.util.find_library("harfbuzz-subset"), "libharfbuzz-subset.so.0"):
        if name:
            try:
                ctypes.CDLL(name)
                return True
            except OSError:
                continue
    return False


def font_advice(families: frozenset[str] | None, subset: bool) -> str | None:
    """One message saying what the digest lacks and the command that installs it; None if nothing."""
    if families is None:
        return None
    gaps: list[str] = []
    packages: list[str] = []
    if not any(f in families for f in TEXT_FONTS):
        gaps.append(f"the text fonts {' and '.join(TEXT_FONTS)} (DejaVu is used instead)")
        packages.append(TEXT_PACKAGE)
    if not any(f in families for f in CJK_FONTS):
        gaps.append("a font for Chinese, Japanese and Korean names (秦刚 would print as empty boxes)")
        packages.append(CJK_PACKAGE)
    if not subset:
        gaps.append(f"{SUBSET_PACKAGE} (fonts are subset with fontTools, about 20x slower for CJK)")
        packages.append(SUBSET_PACKAGE)
    if not gaps:
        return None
    sudo = "" if hasattr(os, "geteuid") and os.geteuid() == 0 else "sudo "
    return (
        f"PDF digests are missing {'; '.join(gaps)}. Install with: "
        f"{sudo}apt-get install --no-install-recommends {' '.join(packages)} "
        "(or run scripts/ensure-fonts.sh)"
    )


_fonts_checked = False


def check_fonts(warn: Warn) -> None:
    """Warn once per process (forked workers inherit the flag) if a font the digest names is missing."""
    global _fonts_checked
    if _fonts_checked:
        return
    _fonts_checked = True
    advice = font_advice(installed_families(), has_harfbuzz_subset())
    if advice:
        warn(Problem(None, None, advice))


def _font_state() -> tuple[str, ...]:
    """The families the stylesheet names that are installed: installing a font changes the PDFs."""
    families = installed_families() or frozenset()
    return tuple(f for f in (*TEXT_FONTS, *CJK_FONTS) if f in families)


# --- What may be read -------------------------------------------------------------------------


class Refused(Exception):
    """A resource the digest may not read, with the reason shown to the user."""


def _has_scheme(url: str) -> bool:
    return re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", url) is not None


@dataclass(frozen=True, slots=True)
class FetchPolicy:
    """Which URLs a digest may read: files under `roots`, data: URLs, and the network if allowed."""

    roots: tuple[Path, ...]
    allow_network: bool = False

    def local_path(self, url: str) -> Path | None:
        """The file a URL names if it may be read; None for a network URL that is allowed.

        Raises Refused for everything else, with the reason.
        """
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme in ("http", "https"):
            if self.allow_network:
                return None
            raise Refused("network access is off for digests (set digest.allow_network: true to allow it)")
        if scheme != "file" or parts.netloc not in ("", "localhost"):
            raise Refused(f"'{scheme}:' addresses are not read")
        path = Path(url2pathname(unquote(parts.path))).resolve()
        if not any(path.is_relative_to(root) for root in self.roots):
            raise Refused("outside the project: only the content folder and the theme's files are read")
        if not path.is_file():
            raise Refused("file not found")
        return path


def fetch_policy(config: SiteConfig) -> FetchPolicy:
    folders = [config.content_dir, config.static_dir]
    for theme in template_dirs(config):
        folders += [theme / "static", theme / "digest"]
    return FetchPolicy(tuple(dict.fromkeys(f.resolve() for f in folders)), config.digest.allow_network)


@functools.cache
def _fetcher_class() -> type:
    """A WeasyPrint URLFetcher that follows a FetchPolicy and remembers every refusal."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class PolicyFetcher(URLFetcher):  # type: ignore[misc]
        def __init__(self, policy: FetchPolicy) -> None:
            super().__init__(timeout=10)
            self.policy = policy
            self.failures: list[tuple[str, str]] = []

        def fetch(self, url: str, headers: Any = None) -> Any:
            try:
                if url.startswith("data:"):
                    return super().fetch(url, headers)
                path = self.policy.local_path(url)
                if path is None:
                    return super().fetch(url, headers)
                kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": kind})
            except Refused as refusal:
                self.failures.append((url, str(refusal)))
                raise
            except Exception as error:
                self.failures.append((url, f"{type(error).__name__}: {error}"))
                raise

    return PolicyFetcher


# --- The digest's HTML ------------------------------------------------------------------------


def typography(text: str, lang: str) -> str:
    return french_spacing(text) if is_french(lang) else text


@dataclass(slots=True)
class Resources:
    """Files and addresses the article bodies ask for: fetch URL -> (article, as written)."""

    by_url: dict[str, tuple[Article, str]] = field(default_factory=dict)

    def add(self, url: str, article: Article, written: str) -> None:
        self.by_url.setdefault(unquote(url), (article, written))

    def find(self, url: str) -> tuple[Article, str] | None:
        return self.by_url.get(unquote(url))


class _BodyRewriter(HTMLParser):
    """Re-serializes a sanitized article body for print: ids made unique per article, links
    pointed at the site from the PDF's place, images made absolute, French spacing applied."""

    def __init__(self, fix: Callable[[str, str, str], str], french: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.fix = fix
        self.french = french
        self.out: list[str] = []
        self.verbatim = 0  # inside <pre> or <code>, where spacing is left alone

    def _tag(self, tag: str, attrs: list[tuple[str, str | None]]) -> str:
        parts = [tag]
        for name, value in attrs:
            if value is None:
                parts.append(name)
            else:
                parts.append(f'{name}="{html.escape(self.fix(tag, name, value), quote=True)}"')
        return "<" + " ".join(parts) + ">"

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("pre", "code"):
            self.verbatim += 1
        self.out.append(self._tag(tag, attrs))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.out.append(self._tag(tag, attrs))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("pre", "code") and self.verbatim:
            self.verbatim -= 1
        self.out.append(f"</{tag}>")

    def handle_data(self, data: str) -> None:
        if self.french and not self.verbatim:
            data = french_spacing(data)
        self.out.append(html.escape(data, quote=False))


def _static_sources(config: SiteConfig) -> list[Path]:
    """Folders served as site/static/, the one that wins first (as build.static_files orders them)."""
    return [config.static_dir, *(d / "static" for d in template_dirs(config))]


class _Linker:
    """Links and resource URLs as seen from the PDF at digests/DAY.pdf."""

    def __init__(self, config: SiteConfig, page_url: str) -> None:
        self.config = config
        self.page_url = page_url

    def site(self, target: str) -> str:
        """A link to a site page: absolute under base_url, else relative to the PDF's folder."""
        if self.config.base_url:
            return urls.absolute(target, self.config.base_url)
        return urls.relative(target, self.page_url, self.config.directory_urls)

    def body_href(self, article: Article, href: str) -> str:
        """A link in an article body: its own anchors made unique, relative links resolved
        from the article's page on the site, addresses with a scheme left alone."""
        if href.startswith("#"):
            return "#" + body_anchor(article.slug, href[1:])
        if _has_scheme(href) or href.startswith("//"):
            return href
        path, tail = re.match(r"([^?#]*)(.*)", href, re.DOTALL).groups()  # type: ignore[union-attr]
        target = urls.url_of(article)
        if path:
            joined = posixpath.normpath(posixpath.join(target, path))
            if joined.startswith(".."):
                return href
            target = "" if joined == "." else joined + ("/" if path.endswith("/") else "")
        return self.site(target) + tail

    def image(self, article: Article, src: str) -> str:
        if _has_scheme(src) or src.startswith("//"):
            return src
        relative = unquote(src.split("#")[0].split("?")[0])
        if relative.startswith("/"):
            relative = relative.lstrip("/")
            if relative.startswith("static/"):
                name = relative[len("static/") :]
                for folder in _static_sources(self.config):
                    if (folder / name).is_file():
                        return (folder / name).resolve().as_uri()
            return (self.config.content_dir / relative).resolve().as_uri()
        return (article.path.parent / relative).resolve().as_uri()


def print_body(
    article: Article, linker: _Linker, resources: Resources, mentions: Linker | None = None
) -> Markup:
    """The article body as the PDF shows it (see _BodyRewriter), with `mentions` linked."""

    def fix(tag: str, name: str, value: str) -> str:
        if name == "id":
            return body_anchor(article.slug, value)
        if name == "href":
            return linker.body_href(article, value)
        if tag == "img" and name == "src":
            url = linker.image(article, value)
            resources.add(url, article, value)
            return url
        return value

    rewriter = _BodyRewriter(fix, is_french(article.lang))
    rewriter.feed(str(render_markdown(read_body(article), article.lang)))
    rewriter.close()
    printed = "".join(rewriter.out)
    return Markup(mentions(printed) if mentions is not None else printed)


def _footer_parts(t: Translator) -> tuple[str, str, str]:
    """`page {page} / {pages}` split around its numbers, for the @page footer's counters."""
    text = t("digest_page", page="\x00", pages="\x01")
    before, _, rest = text.partition("\x00")
    middle, _, after = rest.partition("\x01")
    return before, middle, after


_environments: dict[int, tuple[SiteConfig, SiteIndex, jinja2.Environment]] = {}


def _environment(config: SiteConfig, index: SiteIndex) -> jinja2.Environment:
    """The site's Jinja environment with the digest's filters: made once per config and index."""
    key = id(index)
    cached = _environments.get(key)
    if cached and cached[0] is config and cached[1] is index:
        return cached[2]
    env = make_environment(config, index)

    @pass_context
    def url(context: Context, target: object) -> str:
        return _Linker(config, context["page_url"]).site(urls.url_of(target))

    env.filters.update(url=url, typo=typography)
    env.globals.update(
        article_anchor=article_anchor,
        actor_anchor=actor_anchor,
        event_anchor=event_anchor,
        index_anchor=index_anchor,
        version=__version__,
        footer=_footer_parts(Translator(config.language)),
        picture=lambda article: _picture(config, article),
    )
    _environments.clear()
    _environments[key] = (config, index, env)
    return env


def _picture(config: SiteConfig, article: Article) -> str:
    """The address the PDF reads an article's picture from: its file, or (when digests may use
    the network) its https address; "" for none."""
    if article.image is None:
        return ""
    if article.image.remote:
        return article.image.src if config.digest.allow_network else ""
    return (article.path.parent / article.image.src).resolve().as_uri()


def _mentions(config: SiteConfig, index: SiteIndex, digest: Digest, linker: _Linker) -> Linker:
    """Mentions as the PDF links them: to the person's entry in its people index, else to their page."""
    names = names_in(index)
    listed = {entry.person.id for entry in digest.people}
    hrefs = {
        pid: "#" + index_anchor(pid) if pid in listed else linker.site(urls.url_of(index.people[pid]))
        for pid in sorted(set(names.people.values()))
    }
    return Linker(names, config.mentions, hrefs, keep_whole=True)  # names are never hyphenated


def _bodies(config: SiteConfig, index: SiteIndex, digest: Digest) -> tuple[dict[str, Markup], Resources]:
    linker = _Linker(config, urls.digest_url(digest.day))
    resources = Resources()
    mentions = _mentions(config, index, digest, linker)
    return {a.slug: print_body(a, linker, resources, mentions) for a in digest.articles}, resources


def _html(config: SiteConfig, index: SiteIndex, digest: Digest) -> tuple[str, Resources]:
    env = _environment(config, index)
    bodies, resources = _bodies(config, index, digest)
    spec = PageSpec(TEMPLATE, urls.digest_url(digest.day), {"digest": digest, "bodies": bodies})
    text = render(env, spec)  # template mistakes become BuildErrors naming the template and line
    return text, resources


def digest_html(config: SiteConfig, index: SiteIndex, day: dt.date) -> str:
    """The HTML handed to WeasyPrint for `day` (without the stylesheet, which is passed apart)."""
    return _html(config, index, make_digest(index, day))[0]


# --- Stylesheet and fonts, once per process -----------------------------------------------------


def theme_files(config: SiteConfig) -> dict[str, Path]:
    """Every file under digest/ in the theme, a site's own file winning over the shipped one."""
    found: dict[str, Path] = {}
    for folder in template_dirs(config):
        base = folder / "digest"
        if base.is_dir():
            for path in sorted(base.rglob("*")):
                if path.is_file():
                    found.setdefault(path.relative_to(folder).as_posix(), path)
    return found


def stylesheet_text(config: SiteConfig) -> tuple[Path, str]:
    """The print stylesheet and the paper size rule that follows it."""
    path = theme_files(config).get(STYLESHEET)
    if path is None:
        raise BuildError(f"the digest stylesheet {STYLESHEET} is missing from the theme")
    paper = config.digest.paper.lower()
    return path, path.read_text("utf-8") + f"\n@page {{ size: {paper}; }}\n"


_font_config: Any = None
_stylesheets: dict[tuple[str, str, FetchPolicy], Any] = {}


def _shared_font_config() -> Any:
    global _font_config
    if _font_config is None:
        from weasyprint.text.fonts import FontConfiguration

        _font_config = FontConfiguration()
    return _font_config


def _stylesheet(config: SiteConfig, policy: FetchPolicy, warn: Callable[[Problem], None]) -> Any:
    from weasyprint import CSS

    path, text = stylesheet_text(config)
    key = (str(path), text, policy)
    if key not in _stylesheets:
        fetcher = _fetcher_class()(policy)
        _stylesheets[key] = CSS(
            string=text, base_url=str(path), url_fetcher=fetcher, font_config=_shared_font_config()
        )
        for url, reason in fetcher.failures:
            warn(Problem(path, None, f"'{url}' is left out of PDF digests: {reason}"))
    return _stylesheets[key]


# --- Rendering ----------------------------------------------------------------------------------

Note = tuple[str | None, int | None, str]  # (path, line, message): a warning crossing processes


def _render(config: SiteConfig, index: SiteIndex, day: dt.date) -> tuple[bytes, list[Note]]:
    from weasyprint import HTML

    notes: list[Note] = []

    def note(problem: Problem) -> None:
        notes.append((str(problem.path) if problem.path else None, problem.line, problem.message))

    digest = make_digest(index, day)
    text, resources = _html(config, index, digest)
    policy = fetch_policy(config)
    stylesheet = _stylesheet(config, policy, note)
    fetcher = _fetcher_class()(policy)
    options: dict[str, Any] = {**WRITE_OPTIONS}
    if config.digest.pdfa:
        options["pdf_variant"] = PDFA_VARIANT
    data = HTML(string=text, url_fetcher=fetcher).write_pdf(
        stylesheets=[stylesheet], font_config=_shared_font_config(), **options
    )
    for url, reason in dict(fetcher.failures).items():
        found = resources.find(url)
        if found is not None:
            article, written = found
            note(
                ContentError(
                    article.path,
                    _line_in_body(article, written),
                    f"image '{written}' is left out of the PDF digest: {reason}",
                )
            )
        else:
            note(Problem(None, None, f"digest {day}: '{url}' is left out: {reason}"))
    return bytes(data), notes


def _line_in_body(article: Article, written: str) -> int | None:
    """The file line where an article's body writes `written`, if it can be found."""
    try:
        line = line_of(written, read_body(article))
    except BuildError:
        return None
    return None if line is None else article.body_line + line - 1


def _report(notes: Iterable[Note], warn: Warn) -> None:
    for path, line, message in notes:
        warn(ContentError(path, line, message) if path else Problem(None, None, message))


def render_digest(config: SiteConfig, index: SiteIndex, day: dt.date, *, warn: Warn | None = None) -> bytes:
    """The PDF of `day`; DigestError if the day has no articles or its PDF could not be made
    within the limits. Warnings go to `warn` (stderr)."""
    for _, made in render_digests(config, index, [day], 1, warn=warn):
        if isinstance(made, NotMade):
            raise made
        return made
    raise DigestError(f"digest {day}: not made")  # pragma: no cover: one day in, one result out


def render_digests(
    config: SiteConfig,
    index: SiteIndex,
    days: Iterable[dt.date],
    jobs: int,
    *,
    warn: Warn | None = None,
    stop: threading.Event | None = None,
    nice: int = 0,
) -> Iterator[tuple[dt.date, bytes | NotMade]]:
    """Render several days in `jobs` forked processes that inherit the index; yield each day's PDF,
    or the NotMade error that says why it was not made, in the order they finish.

    Each day is rendered in a worker under `digest.timeout` and `digest.memory_mb`, so one
    pathological day fails alone. The font configuration, the stylesheet and the compiled template
    are made here first, so workers share them. Setting `stop` ends the workers at once.
    """
    warn = warn or print_warning
    days = list(dict.fromkeys(days))
    for day in days:
        make_digest(index, day)  # a day without articles fails here, before any work
    check_fonts(warn)
    _stylesheet(config, fetch_policy(config), warn)
    _environment(config, index).get_template(TEMPLATE)
    limits = Limits(config.digest.timeout, config.digest.memory_mb, nice)
    finished = run_isolated(lambda k: _render(config, index, days[k]), range(len(days)), jobs, limits, stop)
    return _made(config, index, days, finished, warn)


def _made(
    config: SiteConfig,
    index: SiteIndex,
    days: list[dt.date],
    finished: Iterator[tuple[int, tuple[bytes, list[Note]] | Failed]],
    warn: Warn,
) -> Iterator[tuple[dt.date, bytes | NotMade]]:
    for k, made in finished:
        day = days[k]
        if isinstance(made, Failed):
            yield day, _not_made(config, index, day, made)
            continue
        data, notes = made
        _report(notes, warn)
        yield day, data


class NotMade(DigestError):
    """A day's PDF could not be made. `lasting`: trying again with the same inputs fails again
    (a limit was reached, the renderer crashed), as opposed to a file saved during the build."""

    def __init__(self, message: str, lasting: bool) -> None:
        super().__init__(message)
        self.lasting = lasting


def _not_made(config: SiteConfig, index: SiteIndex, day: dt.date, failure: Failed) -> NotMade:
    """Why the digest of `day` is missing, naming the day, the limit to raise and the day's articles."""
    if isinstance(failure.error, BriefgenError) or failure.interrupted:
        return NotMade(f"digest {day} was not made: {failure.reason}", lasting=False)
    reason = failure.reason
    if reason.startswith("it took longer"):
        reason += " (digest.timeout in briefgen.yaml)"
    elif reason.startswith("it needed more"):
        reason += " (digest.memory_mb in briefgen.yaml)"
    elif failure.error is not None:
        reason = f"{type(failure.error).__name__}: {reason}"
    names = []
    for article in make_digest(index, day).articles:
        try:
            names.append(article.path.relative_to(config.root).as_posix())
        except ValueError:
            names.append(str(article.path))
    return NotMade(f"digest {day} was not made: {reason}; its articles: {', '.join(names)}", lasting=True)


# --- Fingerprint --------------------------------------------------------------------------------


def digest_fingerprint(
    config: SiteConfig, index: SiteIndex, day: dt.date, *, assets: bytes | None = None
) -> str:
    """A hash of everything the PDF of `day` shows; equal fingerprints mean the PDF is the same.

    It covers the day's articles (fields and bodies), the people and terms named, the edition,
    the digest templates and stylesheet, the local images the bodies use, the settings the PDF
    depends on, the interface strings, the fonts installed, and the briefgen and WeasyPrint versions.

    Finding the images a body uses means rendering it for print; a build, which fingerprints
    every day at once, passes `assets` instead: a digest of every file that is not an article or
    a person, which changes whenever any image does.
    """
    digest = make_digest(index, day)
    h = hasher()

    def add(*parts: object) -> None:
        for part in parts:
            h.update(part if isinstance(part, bytes) else repr(part).encode())
            h.update(b"\x00")

    add("briefgen", __version__, _weasyprint_version(), _font_state(), WRITE_OPTIONS)
    add(config.title, config.description, config.base_url, config.language, config.directory_urls)
    unlimited = replace(config.digest, timeout=0.0, memory_mb=0)  # the limits change no PDF
    add(unlimited, STRINGS[ui_language(config.language)], STRINGS["en"])
    add(config.mentions, names_in(index).digest)  # names the bodies link
    add(digest.day, digest.edition, digest.articles, digest.events, digest.also)
    for entry in digest.people:
        add(entry.person.id, entry.person.name, entry.mentions, entry.other_scripts)
    for article in digest.articles:
        for kind in TAXONOMIES:
            for term in getattr(article, kind):
                add(kind, index.term(kind, term).slug, index.term(kind, term).name)
    for event in (*digest.events, *digest.also):
        for place in event.places:
            add("event-place", index.term("places", place).name)
        for slug in event.reports:  # each shown by its source's name, linked to its page or article
            add(
                "report",
                slug,
                index.articles[slug].day,
                index.articles[slug].source,
                index.articles[slug].title,
            )
        add("event-people", [index.people[pid].name for pid in event.actors])
    for name, path in sorted(theme_files(config).items()):
        add(name, path.read_bytes())
    for article in digest.articles:  # the pictures shown at the top of articles
        if article.image is not None and not article.image.remote:
            picture = article.path.parent / article.image.src
            add("image", article.image.src, picture.read_bytes() if picture.is_file() else b"missing")
    if assets is not None:
        add(assets)
        return h.hexdigest()
    _, resources = _bodies(config, index, digest)
    for url in sorted(resources.by_url):
        if url.startswith("file:"):
            path = Path(url2pathname(urlsplit(url).path))
            add(url, path.read_bytes() if path.is_file() else b"missing")
    return h.hexdigest()


@functools.cache
def _weasyprint_version() -> str:
    try:
        return importlib.metadata.version("weasyprint")
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover
        return "unknown"


# --- `briefgen digest` ----------------------------------------------------------------------------


def write_digest(config: SiteConfig, index: SiteIndex, day: dt.date) -> tuple[Path, bytes]:
    """Render `day` and write it to OUT/digests/DAY.pdf (as `briefgen digest` and `mail` do)."""
    from .writer import claim_output, place

    data = render_digest(config, index, day)
    claim_output(config.output_dir, config.root, config.content_dir)
    return place(config.output_dir, urls.digest_url(day), data), data


def cmd_digest(config: SiteConfig, args: argparse.Namespace) -> int:
    """`briefgen digest --date YYYY-MM-DD`: write OUT/digests/DATE.pdf and print its path."""
    from .pipeline import load

    try:
        day = parse_day(args.date)
    except DigestError as error:
        print(f"briefgen: error: --date {error}", file=sys.stderr)
        return 2
    content, index, _ = load(config)
    for problem in content.warnings:
        print_warning(problem)
    if day not in index.days:
        raise DigestError(f"no articles on {day.isoformat()}: there is no digest for that day")
    path, _ = write_digest(config, index, day)
    print(path)
    return 0


__all__ = [
    "FetchPolicy",
    "NotMade",
    "Refused",
    "check_fonts",
    "cmd_digest",
    "digest_fingerprint",
    "digest_html",
    "fetch_policy",
    "font_advice",
    "print_warning",
    "render_digest",
    "render_digests",
    "stylesheet_text",
    "write_digest",
]
