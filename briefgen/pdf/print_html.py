"""The digest as HTML for print: article bodies rewritten for the PDF (unique ids, links seen
from digests/DAY.pdf, absolute image addresses, French spacing, linked mentions), the digest's
Jinja environment (the site's, with the digest's filters and globals, made once per index), and
the theme's digest/ files: the template and the print stylesheet.
"""

from __future__ import annotations

import datetime as dt
import html
import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

import jinja2
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup

from .. import __version__, urls
from ..config import SiteConfig
from ..content.articles import read_body
from ..digest import (
    Digest,
    actor_anchor,
    article_anchor,
    body_anchor,
    event_anchor,
    index_anchor,
    make_digest,
)
from ..errors import BuildError
from ..i18n import Translator
from ..index import SiteIndex
from ..links import line_of
from ..markdown import render_markdown
from ..mentions import Linker, names_in
from ..model import Article
from ..pages import PageSpec
from ..render import make_environment, render
from ..theme import template_dirs
from ..typography import french_spacing, is_french
from .fetching import has_scheme

TEMPLATE = "digest/digest.html"
STYLESHEET = "digest/digest.css"


def typography(text: str, lang: str) -> str:
    """The `typo` filter: French spacing for a French text, else the text as it is."""
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


class PrintLinks:
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
        if has_scheme(href) or href.startswith("//"):
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
        if has_scheme(src) or src.startswith("//"):
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
    article: Article, linker: PrintLinks, resources: Resources, mentions: Linker | None = None
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


def environment(config: SiteConfig, index: SiteIndex) -> jinja2.Environment:
    """The site's Jinja environment with the digest's filters: made once per config and index."""
    key = id(index)
    cached = _environments.get(key)
    if cached and cached[0] is config and cached[1] is index:
        return cached[2]
    env = make_environment(config, index)

    @pass_context
    def url(context: Context, target: object) -> str:
        return PrintLinks(config, context["page_url"]).site(urls.url_of(target))

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


def _mentions(config: SiteConfig, index: SiteIndex, digest: Digest, linker: PrintLinks) -> Linker:
    """Mentions as the PDF links them: to the person's entry in its people index, else to their page."""
    names = names_in(index)
    listed = {entry.person.id for entry in digest.people}
    hrefs = {
        pid: "#" + index_anchor(pid) if pid in listed else linker.site(urls.url_of(index.people[pid]))
        for pid in sorted(set(names.people.values()))
    }
    return Linker(names, config.mentions, hrefs, keep_whole=True)  # names are never hyphenated


def print_bodies(config: SiteConfig, index: SiteIndex, digest: Digest) -> tuple[dict[str, Markup], Resources]:
    """Every article body of the digest for print, by slug, and the resources they ask for."""
    linker = PrintLinks(config, urls.digest_url(digest.day))
    resources = Resources()
    mentions = _mentions(config, index, digest, linker)
    return {a.slug: print_body(a, linker, resources, mentions) for a in digest.articles}, resources


def print_html(config: SiteConfig, index: SiteIndex, digest: Digest) -> tuple[str, Resources]:
    """The digest's HTML, and the resources its bodies ask for (to name the article of a refusal)."""
    env = environment(config, index)
    bodies, resources = print_bodies(config, index, digest)
    spec = PageSpec(TEMPLATE, urls.digest_url(digest.day), {"digest": digest, "bodies": bodies})
    text = render(env, spec)  # template mistakes become BuildErrors naming the template and line
    return text, resources


def digest_html(config: SiteConfig, index: SiteIndex, day: dt.date) -> str:
    """The HTML handed to WeasyPrint for `day` (without the stylesheet, which is passed apart)."""
    return print_html(config, index, make_digest(index, day))[0]


def line_in_body(article: Article, written: str) -> int | None:
    """The file line where an article's body writes `written`, if it can be found."""
    try:
        line = line_of(written, read_body(article))
    except BuildError:
        return None
    return None if line is None else article.body_line + line - 1


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
