"""The one Jinja environment (autoescape, StrictUndefined, site filters) and render(spec)."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable, Iterable, Mapping, MutableMapping
from pathlib import Path
from typing import Any

import jinja2
from jinja2 import pass_context
from jinja2.loaders import split_template_path
from jinja2.runtime import Context
from markupsafe import Markup

from . import calendars, feeds, timelines, urls
from .config import SiteConfig
from .errors import BuildError, ContentError
from .files import BROKEN, Files, project_files
from .heap import give_back_memory
from .i18n import Translator
from .index import SiteIndex
from .markdown import Bodies
from .model import Article, ArticleLink, Event, Term
from .network import Graph
from .network import svg as network_svg
from .pages import CALENDAR, TIMELINE_JSON, PageSpec
from .slugs import other_scripts
from .theme import shipped_templates, template_dirs

ROOT_BYTES = urls.ROOT.encode()
ARTICLE_ITEM = "_article_item.html"


class Fragments:
    """Links and list items that recur on thousands of pages, rendered once and cached.

    A link only depends on its target and on how deep the current page is (`../../`), so names
    and days are rendered once per depth, and list items once for all depths (see urls.ROOT).
    List items still come from the templates `_article_item.html` and `_event_item.html`, so
    themes can change them; those templates see `page_url` as a placeholder, not the page's URL.
    """

    def __init__(self, env: jinja2.Environment, config: SiteConfig, index: SiteIndex) -> None:
        self.env = env
        self.config = config
        self.index = index
        self.cache: dict[tuple[object, ...], Markup] = {}
        # list items by (template, id of the subject, flag, link_day); the subject is kept alongside
        # so that its id cannot be reused by another object during the build. Held as UTF-8: most
        # hold a character beyond Latin-1 (a dash, a quote, a name), which doubles them as text
        self.items: dict[tuple[str, int, object, bool], tuple[object, bytes]] = {}

    def href(self, target: object, page_url: str, directory_urls: bool | None = None) -> str:
        folders = self.config.directory_urls if directory_urls is None else directory_urls
        if page_url == urls.NOT_FOUND:  # served in place of a missing page, at any depth
            return urls.rooted(urls.url_of(target), self.config.base_url, folders)
        return urls.relative(urls.url_of(target), page_url, folders)

    def prefix(self, page_url: str) -> str:
        """What links from the page at `page_url` start with: `../../`, or `/` on the 404 page."""
        if page_url == urls.NOT_FOUND:
            return urls.base_path(self.config.base_url)
        return urls.root_prefix(page_url)

    def _link(self, css: str, target: object, label: str, page_url: str) -> Markup:
        return Markup('<a class="{}" href="{}">{}</a>').format(css, self.href(target, page_url), label)

    def person(self, pid: str, page_url: str, prefix: str) -> Markup:
        key = ("person", pid, prefix)
        found = self.cache.get(key)
        if found is None:
            found = self.cache[key] = self._link(
                "person", self.index.people[pid], self.index.people[pid].name, page_url
            )
        return found

    def term(self, kind: str, term: Term, page_url: str, prefix: str) -> Markup:
        key = (kind, term.slug, prefix)
        found = self.cache.get(key)
        if found is None:
            taxon = self.index.term(kind, term)
            found = self.cache[key] = self._link(kind[:-1], taxon, taxon.name, page_url)
        return found

    def day(self, day: dt.date, style: str, t: Translator, page_url: str) -> Markup:
        key = ("day", day, style, self.prefix(page_url))
        found = self.cache.get(key)
        if found is None:
            found = self.cache[key] = Markup(
                '<a class="day" href="{}"><time datetime="{}">{}</time></a>'
            ).format(self.href(day, page_url), day.isoformat(), t.date(day, style))
        return found

    def digest_link(self, day: dt.date, label: str, page_url: str) -> Markup:
        key = ("digest", day, label, self.prefix(page_url))
        found = self.cache.get(key)
        if found is None:
            href = self.href(urls.digest_url(day), page_url, True)
            found = self.cache[key] = Markup(
                '<a class="digest-link" href="{}" type="application/pdf">{}</a>'
            ).format(href, label)
        return found

    def item(
        self, template: str, subject: object, flag: object, link_day: bool = True, keep: bool = True
    ) -> bytes:
        """A list item, rendered once for pages of every depth: its links start with urls.ROOT.

        `link_day` is false on a day's own page, where a link to the day would lead back to it.
        Without `keep`, the item is one that a single page shows (an article's own events, a
        day's events on the day's page): it is rendered, not kept for other pages.
        """
        key = (template, id(subject), flag, link_day)
        found = self.items.get(key)
        if found is None:
            html = (
                self.env.get_template(template)
                .render(item=subject, flag=flag, link_day=link_day, page_url=urls.ANY_PAGE)
                .encode()
            )
            if not keep:
                return html
            found = self.items[key] = (subject, html)
        return found[1]

    def items_on(
        self,
        page_url: str,
        template: str,
        subjects: Iterable[object],
        flag: object,
        link_day: bool = True,
        keep: bool = True,
    ) -> Markup:
        """List items for the page at `page_url`, joined, with links that climb from that page."""
        html = b"".join([self.item(template, subject, flag, link_day, keep) for subject in subjects])
        html = html.replace(ROOT_BYTES, self.prefix(page_url).encode())
        return Markup(html, "utf-8")  # decoded into the Markup: a page's worth less memory than via str

    def drop(self, template: str, flag: object = None) -> None:
        """Forget the list items of `template` (only those shown with `flag`, if given)."""
        items = self.items.items()
        self.items = {k: kept for k, kept in items if k[0] != template or (flag is not None and k[2] != flag)}

    def lists_done(self) -> None:
        """Every page listing articles or events is rendered: keep only the items article pages
        list (their related articles, days shown), so that the memory of the others serves the rest."""
        items = self.items.items()
        self.items = {key: kept for key, kept in items if key[0] == ARTICLE_ITEM and key[2] is True}


def _joined(separator: str, parts: Iterable[Markup]) -> Markup:
    """Safe fragments joined: str.join, since Markup.join would escape each (already safe) part."""
    return Markup(separator.join(parts))


class _Environment(jinja2.Environment):
    """Jinja's environment, with each template's globals a plain dict instead of a ChainMap.

    Every render (each page, each list item) copies its template's globals into a new context;
    copying a ChainMap goes key by key in Python and cost half a second at 10,000 articles. The
    globals are all set before any template is loaded, as Jinja asks, so a snapshot is the same.
    """

    fragments: Fragments | None = None

    def make_globals(self, d: MutableMapping[str, Any] | None) -> MutableMapping[str, Any]:
        return {**self.globals, **(d or {})}


class FilesLoader(jinja2.BaseLoader):
    """The templates of one folder (the site's templates/), read through Files like everything else."""

    def __init__(self, files: Files, folder: Path) -> None:
        self.files = files
        self.folder = folder

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str, Callable[[], bool]]:
        path = self.folder.joinpath(*split_template_path(template))
        try:
            data = self.files.read(path)
        except ContentError as error:
            if error.message.startswith(BROKEN):  # not there: the next folder may have it
                raise jinja2.TemplateNotFound(template) from None
            raise
        return data.decode("utf-8"), str(path), lambda: True


def make_environment(
    config: SiteConfig, index: SiteIndex, bodies: Bodies | None = None, files: Files | None = None
) -> jinja2.Environment:
    """The environment for one build; `bodies` renders article bodies (with a cache, if given).

    The site's own templates are read through `files` (the project on disk by default); the
    shipped theme is part of briefgen and read from where it is installed.
    """
    files = files or project_files(config)
    if bodies is None:
        from .mentions import site_linker

        bodies = Bodies(finish=site_linker(config, index), files=files)
    shipped = shipped_templates()
    loaders = [
        jinja2.FileSystemLoader(folder) if folder == shipped else FilesLoader(files, folder)
        for folder in template_dirs(config, files)
    ]
    calendars.forget()  # each event's text is kept for one build only (it is on several calendars)
    timelines.forget()
    env = _Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=jinja2.select_autoescape(["html", "xml"], default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,  # one build never sees a template change; checking costs a stat per use
        cache_size=-1,
    )
    t = Translator(config.language, config.timezone)
    fragments = env.fragments = Fragments(env, config, index)

    @pass_context
    def url(context: Context, target: object) -> str:
        return fragments.href(target, context["page_url"])

    @pass_context
    def person_links(context: Context, ids: tuple[str, ...]) -> Markup:
        page_url = context["page_url"]
        prefix = fragments.prefix(page_url)
        return _joined(", ", [fragments.person(pid, page_url, prefix) for pid in ids])

    @pass_context
    def term_links(context: Context, kind: str, terms: tuple[Term, ...]) -> Markup:
        page_url = context["page_url"]
        prefix = fragments.prefix(page_url)
        return _joined(", ", [fragments.term(kind, item, page_url, prefix) for item in terms])

    @pass_context
    def article_list(
        context: Context, articles: list[Article], show_day: bool = False, compact: bool = False
    ) -> Markup:
        """Articles as a list: with summaries and people, or `compact` (one line each)."""
        page_url = context["page_url"]
        template = "_article_line.html" if compact else ARTICLE_ITEM
        items = fragments.items_on(page_url, template, articles, show_day)
        css = "article-lines" if compact else "article-list"
        return Markup(f'<ul class="{css}">\n{items}</ul>')  # both safe: Markup.format costs more

    @pass_context
    def feed_entries(context: Context, articles: list[Article]) -> Markup:
        """Atom entries, each rendered once however many feeds list its article."""
        return fragments.items_on(context["page_url"], "_feed_entry.xml", articles, False)

    @pass_context
    def timeline(
        context: Context,
        events: tuple[Event, ...],
        show_article: bool = True,
        link_day: bool = True,
        compact: bool = False,
    ) -> Markup:
        """Happenings in order, each with the articles reporting it; `compact`: one line each."""
        if not events:
            return Markup('<p class="empty">{}</p>').format(t("no_events"))
        page_url = context["page_url"]
        flag: object = "compact" if compact else show_article
        # an article's own events (without their sources) and a day's (without their day) appear
        # on that one page only: not worth keeping for others
        keep = compact or (show_article and link_day)
        items = fragments.items_on(page_url, "_event_item.html", events, flag, link_day, keep)
        return Markup(f'<ol class="timeline">\n{items}</ol>')

    @pass_context
    def digest_link(context: Context, day: dt.date) -> Markup:
        """A link to the day's PDF digest, or nothing when there is none."""
        if not config.digest.enabled or day not in index.days:
            return Markup("")
        return fragments.digest_link(day, t("digest"), context["page_url"])

    @pass_context
    def day_link(context: Context, day: dt.date, style: str = "full") -> Markup:
        return fragments.day(day, style, t, context["page_url"])

    def lang_attr(code: str) -> Markup:
        """` lang="en"` for text in another language than the page's; nothing otherwise."""
        if not code or code == config.language:
            return Markup("")
        return Markup(' lang="{}"').format(code)

    @pass_context
    def network(context: Context, graph: Graph) -> Markup:
        """The graph as an SVG drawing, each person a link from this page."""
        page_url = context["page_url"]
        title = t("network_of", name=index.people[graph.centre].name) if graph.centre else t("network")
        drawing = network_svg(graph, lambda pid: fragments.href(index.people[pid], page_url), title, t.count)
        return Markup(drawing)  # names escaped in network.svg

    @pass_context
    def permalink(context: Context, target: object) -> str:
        """A full address with a base_url (feeds, meta tags); else a link from the current page."""
        if isinstance(target, str) and target.startswith("https://"):
            return target  # already a full address (an article's picture on another site)
        if config.base_url:
            return urls.absolute(urls.url_of(target), config.base_url)
        return fragments.href(target, context["page_url"])

    def entry_id(target: object) -> str:
        return feeds.stable_id(urls.url_of(target), config.base_url, config.title)

    def rfc3339(item: Article | Event) -> str:
        return feeds.rfc3339(item, config.tz)

    def term(kind: str, value: Term) -> object:
        return index.term(kind, value)

    def person_name(pid: str) -> str:
        """A person's name, as person_links shows it (fingerprints cover it the same way)."""
        return index.people[pid].name

    def term_name(kind: str, value: Term) -> str:
        """A topic's or place's label, as term_links shows it (fingerprints cover it the same way)."""
        return index.term(kind, value).name

    def body(article: Article | ArticleLink) -> Markup:
        """An article's body as HTML; a link (a one-line list's item, a source) names its article."""
        if isinstance(article, ArticleLink):
            return bodies.of(index.articles[article.slug])[1]
        return bodies.of(article)[1]

    def reports_of(event: Event) -> list[ArticleLink]:
        """The articles reporting a happening, in time order, as links show them (model.ArticleLink)."""
        return index.links_of(event.reports)

    env.filters.update(
        url=url,
        date=t.date,
        month=t.month,
        month_name=t.month_name,
        number=t.number,
        time=t.time,
        clock=t.clock,
        coordinates=t.coordinates,
        country=t.country,
        permalink=permalink,
        entry_id=entry_id,
        rfc3339=rfc3339,
    )
    env.globals.update(
        site=config,
        index=index,
        t=t,
        term=term,
        person_name=person_name,
        term_name=term_name,
        body=body,
        reports_of=reports_of,
        lang=config.language,
        person_links=person_links,
        term_links=term_links,
        article_list=article_list,
        timeline=timeline,
        feed_entries=feed_entries,
        day_link=day_link,
        digest_link=digest_link,
        lang_attr=lang_attr,
        other_scripts=other_scripts,
        network=network,
        feed_url=urls.feed_url,
        calendar_url=urls.calendar_url,
        timeline_json_url=urls.timeline_json_url,
        timeline_url=urls.timeline_url,
        year_url=urls.year_url,
        image_url=urls.image_url,
    )
    return env


# The pages listing articles or events, in the order the build renders them (all other pages
# last), each stage with the caches its pages are the last to use in the shipped theme: these are
# dropped once the stage is done, so that this process never holds every cache at once. A theme
# that uses an item elsewhere too gets the same bytes: the item is rendered again (an item is a
# pure function of its subject), at some cost in time. A cache is ("calendars", None), ("timelines",
# None), or the list items of a template (with a flag: only those, None: all of them).
LIST_STAGES: tuple[tuple[tuple[str, ...], tuple[tuple[str, object], ...]], ...] = (
    (("timeline.html",), ()),  # the largest page, while this process holds the least
    ((CALENDAR,), (("calendars", None),)),
    ((TIMELINE_JSON,), (("timelines", None),)),
    (("feed.xml",), (("_feed_entry.xml", None),)),
    (("person.html", "people.html", "subject_year.html"), (("_event_item.html", "compact"),)),
    (("taxon.html", "taxonomy.html"), (("_article_line.html", None),)),
)


def list_stage(spec: PageSpec) -> int:
    """The stage a list page belongs to: its position in LIST_STAGES, or after them all."""
    for stage, (templates, _) in enumerate(LIST_STAGES):
        if spec.template in templates:
            return stage
    return len(LIST_STAGES)


def stage_rendered(env: jinja2.Environment, stage: int) -> None:
    """The list pages of `stage` are rendered, and those of earlier stages: drop what later
    stages do not use, and give the memory back. After the last list page, see `lists_rendered`."""
    drops = LIST_STAGES[stage][1] if stage < len(LIST_STAGES) else ()
    for cache, flag in drops:
        if cache == "calendars":
            calendars.forget()
        elif cache == "timelines":
            timelines.forget()
        elif isinstance(env, _Environment) and env.fragments is not None:
            env.fragments.drop(cache, flag)
    if drops:
        give_back_memory()


def lists_rendered(env: jinja2.Environment) -> None:
    """Every page that lists articles or events is rendered (the build renders them first): drop
    what only they use, the list items article pages do not show and what calendars and timeline
    data keep, and give the freed memory back, so that this process does not grow further."""
    if isinstance(env, _Environment) and env.fragments is not None:
        env.fragments.lists_done()
    calendars.forget()
    timelines.forget()
    give_back_memory()


def _generators() -> dict[str, Callable[[Mapping[str, Any], SiteConfig, SiteIndex], str]]:
    """Outputs made by Python code rather than a template (pages.py names them with an "@")."""
    return {CALENDAR: calendars.render_calendar, TIMELINE_JSON: timelines.render_timeline_json}


def render(env: jinja2.Environment, spec: PageSpec) -> str:
    """Render one page; a template mistake becomes a BuildError naming the template and line."""
    if spec.template.startswith("@"):
        site, index = env.globals["site"], env.globals["index"]
        assert isinstance(site, SiteConfig) and isinstance(index, SiteIndex)
        return _generators()[spec.template](spec.context, site, index)
    try:
        template = env.get_template(spec.template)
        return template.render(page_url=spec.url, **spec.context)
    except jinja2.TemplateSyntaxError as error:
        where = f"{error.filename or error.name}:{error.lineno}"
        raise BuildError(f"{where}: template syntax error: {error.message}") from None
    except jinja2.TemplateNotFound as error:
        raise BuildError(f"template not found: {error.name} (needed by {spec.url or 'home'})") from None
    except (jinja2.UndefinedError, TypeError, AttributeError, KeyError, ValueError) as error:
        raise BuildError(f"{_template_place()}: error rendering {spec.template}: {error}") from None


def _template_place() -> str:
    """The innermost template file and line in the traceback being handled."""
    place = "templates"
    tb = sys.exc_info()[2]
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.endswith((".html", ".xml", ".css", ".txt")):
            place = f"{filename}:{tb.tb_lineno}"
        tb = tb.tb_next
    return place
