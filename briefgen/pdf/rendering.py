"""Rendering digests to PDF with WeasyPrint: what every day's PDF shares (`PrintSetup`, made once
before any worker starts and handed to each), one day's render under the limits of `digest:` in
briefgen.yaml (through the executor's isolated tasks), the warnings a render leaves (`Note`), why a
PDF was not made (`NotMade`), and writing one PDF where `briefgen digest` and `mail` expect it.

WeasyPrint is imported only when a PDF is rendered, so commands that make no PDF stay quick. The
font configuration and the parsed print stylesheet are kept for the life of the process: the
preview renders digests after every save, and parsing them again would cost each time.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

from .. import urls
from ..config import SiteConfig
from ..digest import make_digest
from ..errors import BriefgenError, ContentError, DigestError, Problem
from ..index import SiteIndex
from ..parallel import Failed, Limits, run_isolated
from .fetching import FetchPolicy, fetch_policy, fetcher_class
from .fonts import check_fonts
from .print_html import TEMPLATE, environment, line_in_body, print_html, stylesheet_text

PDFA_VARIANT = "pdf/a-3u"
WRITE_OPTIONS = {"pdf_tags": True}  # a structure tree, so screen readers follow headings and lists

Warn = Callable[[Problem], None]
Note = tuple[str | None, int | None, str]  # (path, line, message): a warning crossing processes


# --- What every day shares, made once per process -------------------------------------------------

_font_config: Any = None
_stylesheets: dict[tuple[str, str, FetchPolicy], Any] = {}


def _shared_font_config() -> Any:
    global _font_config
    if _font_config is None:
        from weasyprint.text.fonts import FontConfiguration

        _font_config = FontConfiguration()
    return _font_config


def _stylesheet(config: SiteConfig, policy: FetchPolicy, font_config: Any, warn: Warn) -> Any:
    from weasyprint import CSS

    path, text = stylesheet_text(config)
    key = (str(path), text, policy)
    if key not in _stylesheets:
        fetcher = fetcher_class()(policy)
        _stylesheets[key] = CSS(string=text, base_url=str(path), url_fetcher=fetcher, font_config=font_config)
        for url, reason in fetcher.failures:
            warn(Problem(path, None, f"'{url}' is left out of PDF digests: {reason}"))
    return _stylesheets[key]


@dataclass(frozen=True, slots=True)
class PrintSetup:
    """Everything a day's render needs besides the day: made once, then passed to every render."""

    config: SiteConfig
    index: SiteIndex
    env: jinja2.Environment  # the digest's, with its template compiled
    policy: FetchPolicy
    font_config: Any  # weasyprint FontConfiguration
    stylesheet: Any  # weasyprint CSS, parsed with `font_config`


def print_setup(config: SiteConfig, index: SiteIndex, warn: Warn) -> PrintSetup:
    """The shared part of every PDF of this index; a problem with the stylesheet goes to `warn`."""
    check_fonts(warn)
    policy = fetch_policy(config)
    font_config = _shared_font_config()
    stylesheet = _stylesheet(config, policy, font_config, warn)
    env = environment(config, index)
    env.get_template(TEMPLATE)
    return PrintSetup(config, index, env, policy, font_config, stylesheet)


# --- One day ----------------------------------------------------------------------------------------


def _render(setup: PrintSetup, day: dt.date) -> tuple[bytes, list[Note]]:
    from weasyprint import HTML

    notes: list[Note] = []

    def note(problem: Problem) -> None:
        notes.append((str(problem.path) if problem.path else None, problem.line, problem.message))

    config, index = setup.config, setup.index
    text, resources = print_html(config, index, make_digest(index, day))
    fetcher = fetcher_class()(setup.policy)
    options: dict[str, Any] = {**WRITE_OPTIONS}
    if config.digest.pdfa:
        options["pdf_variant"] = PDFA_VARIANT
    data = HTML(string=text, url_fetcher=fetcher).write_pdf(
        stylesheets=[setup.stylesheet], font_config=setup.font_config, **options
    )
    for url, reason in dict(fetcher.failures).items():
        found = resources.find(url)
        if found is not None:
            article, written = found
            note(
                ContentError(
                    article.path,
                    line_in_body(article, written),
                    f"image '{written}' is left out of the PDF digest: {reason}",
                )
            )
        else:
            note(Problem(None, None, f"digest {day}: '{url}' is left out: {reason}"))
    return bytes(data), notes


def _report(notes: Iterable[Note], warn: Warn) -> None:
    for path, line, message in notes:
        warn(ContentError(path, line, message) if path else Problem(None, None, message))


# --- Days in helpers ----------------------------------------------------------------------------------


def render_digest(config: SiteConfig, index: SiteIndex, day: dt.date, *, warn: Warn | None = None) -> bytes:
    """The PDF of `day`; DigestError if the day has no articles or its PDF could not be made
    within the limits. Warnings go to `warn`, if given (commands pass their printer)."""
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
    """Render several days in at most `jobs` helper processes; yield each day's PDF, or the NotMade
    error that says why it was not made, in the order they finish.

    Each day is rendered in a helper under `digest.timeout` and `digest.memory_mb`, so one
    pathological day fails alone. The font configuration, the stylesheet and the compiled template
    are made here first and handed to every helper. Setting `stop` ends the helpers at once.
    """
    warn = warn or _unreported
    days = list(dict.fromkeys(days))
    for day in days:
        make_digest(index, day)  # a day without articles fails here, before any work
    setup = print_setup(config, index, warn)
    limits = Limits(config.digest.timeout, config.digest.memory_mb, nice)
    finished = run_isolated(lambda k: _render(setup, days[k]), range(len(days)), jobs, limits, stop)
    return _made(config, index, days, finished, warn)


def _unreported(problem: Problem) -> None:
    """Where warnings go when the caller wants none."""


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


# --- Writing one ------------------------------------------------------------------------------------


def write_digest(
    config: SiteConfig, index: SiteIndex, day: dt.date, *, warn: Warn | None = None
) -> tuple[Path, bytes]:
    """Render `day` and write it to OUT/digests/DAY.pdf (as `briefgen digest` and `mail` do)."""
    from ..writer import claim_output, place

    data = render_digest(config, index, day, warn=warn)
    claim_output(config.output_dir, config.root, config.content_dir)
    return place(config.output_dir, urls.digest_url(day), data), data
