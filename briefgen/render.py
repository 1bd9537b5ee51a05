"""The one Jinja environment (autoescape, StrictUndefined, site filters) and render(spec)."""

from __future__ import annotations

import sys
from pathlib import Path

import jinja2
from jinja2 import pass_context
from jinja2.runtime import Context

from . import urls
from .config import SiteConfig
from .errors import BuildError
from .i18n import Translator
from .index import SiteIndex
from .markdown import render_markdown
from .model import Article, Term
from .pages import PageSpec


def shipped_templates() -> Path:
    """The default theme: inside the installed package, or beside it in a source checkout."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "templates", here.parent / "templates"):
        if (candidate / "base.html").is_file():
            return candidate
    raise BuildError("the default theme is missing: reinstall briefgen")  # pragma: no cover


def template_dirs(config: SiteConfig) -> list[Path]:
    """The site's templates/ first (overrides by name), then the shipped theme."""
    dirs = []
    own = config.templates_dir
    if own.is_dir():
        dirs.append(own)
    shipped = shipped_templates()
    if not dirs or dirs[0].resolve() != shipped:
        dirs.append(shipped)
    return dirs


def make_environment(config: SiteConfig, index: SiteIndex) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader([jinja2.FileSystemLoader(d) for d in template_dirs(config)]),
        autoescape=jinja2.select_autoescape(["html", "xml"], default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    t = Translator(config.language)

    @pass_context
    def url(context: Context, target: object) -> str:
        return urls.relative(urls.url_of(target), context["page_url"], config.directory_urls)

    def term(kind: str, value: Term) -> object:
        return index.term(kind, value)

    def body(article: Article) -> str:
        return render_markdown(article.body, article.lang)

    env.filters.update(
        url=url,
        date=t.date,
        month=t.month,
        time=t.time,
        country=t.country,
    )
    env.globals.update(
        site=config,
        index=index,
        t=t,
        term=term,
        body=body,
        lang=config.language,
    )
    return env


def render(env: jinja2.Environment, spec: PageSpec) -> str:
    """Render one page; a template mistake becomes a BuildError naming the template and line."""
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
