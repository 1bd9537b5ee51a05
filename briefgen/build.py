"""build(): the site's stages, load -> index -> plan -> render -> check links -> write, run as far as needed.

The incremental engine (engine/) decides what to redo, from nothing through one page body to the
whole site, and records what was done; rendering runs in worker processes for large sites.
The pipeline's modules are imported where they are used: a rebuild that the engine finishes on
its own (nothing changed, or only article bodies) starts without loading the model or Jinja.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from . import search
from .collector import collector_paused
from .config import SiteConfig
from .engine.cache import BuildState
from .engine.rebuild import Engine, Rendered
from .engine.resident import Resident
from .errors import BuildError, ContentError, Problem, Problems
from .faults import crash_point
from .files import FilePolicy, file_policy, read_regular, walk
from .hashing import content_hash
from .lock import project_lock
from .manifest import WrittenFile
from .writer import Stager, Writer, check_output_dir, recover, unchanged

if TYPE_CHECKING:
    from .index import SiteIndex
    from .links import LinkChecker
    from .markdown import Bodies
    from .model import Article, Content
    from .pages import PageSpec


class Progress(Protocol):
    """Hears what a build is doing: the stage it began, and how far it is through a stage that
    counts (`done` of `total`; a total of 0 for a stage without a count)."""

    def __call__(self, stage: str, done: int = 0, total: int = 0) -> None: ...


def _unheard(stage: str, done: int = 0, total: int = 0) -> None:
    """The progress of a build nobody watches."""


@dataclass(frozen=True, slots=True)
class BuildResult:
    pages: int
    files: int
    changed: tuple[str, ...]  # output paths written, relative to the output folder
    removed: tuple[str, ...]  # output paths deleted because no page makes them any more
    seconds: float
    warnings: tuple[Problem, ...]
    rendered: int = 0  # pages rendered (the others were known to be unchanged)
    articles: int = 0  # read by this build; 0 when nothing had to be read again
    people: int = 0
    suggestions: tuple[Problem, ...] = ()  # from `check` only: people named in a body, not in actors
    indexing: search.Indexing = field(default_factory=search.Indexing)  # after the pages, not in `seconds`

    def checked(self) -> str:
        """What `check` looked at, for its closing line."""

        def count(n: int, one: str, many: str) -> str:
            return f"{n:,} {one if n == 1 else many}"

        articles = count(self.articles, "article", "articles")
        people = count(self.people, "person", "people")
        pages = count(self.pages, "page", "pages")
        return f"checked {articles}, {people} and the {pages} they make, with every internal link"

    def summary(self) -> str:
        noun = "page" if self.pages == 1 else "pages"
        return (
            f"built {self.pages:,} {noun} ({self.rendered:,} rendered, {len(self.changed):,} changed, "
            f"{len(self.removed):,} removed) in {self.seconds:.2f} s"
        ) + (f"; {self.indexing.summary()}" if self.indexing.shards else "")


def static_files(config: SiteConfig, skipped: list[Problem] | None = None) -> dict[str, Path]:
    """Theme static files, overridden by name by the site's templates/static and static/.

    Only regular files are copied (see files.py); `skipped` collects the others, named.
    """
    from .theme import template_dirs

    found: dict[str, Path] = {}
    sources = [d / "static" for d in reversed(template_dirs(config))]
    sources.append(config.static_dir)
    policy = file_policy(config)
    for folder in sources:
        listing = walk(folder, policy, lambda parts: not parts[-1].startswith("."), lambda n: n[0] != ".")
        for path in listing.files:
            found["static/" + path.relative_to(folder).as_posix()] = path
        if listing.errors:
            raise Problems(listing.errors)
        if skipped is not None:
            skipped.extend(listing.skipped)
    return found


def article_images(articles: Iterable[Article], content: Content) -> dict[str, Path]:
    """Articles' `image:` files, by the output path beside each article's page.

    Raises Problems naming each article whose picture is missing (checked here, not when parsing,
    since an unchanged article's parse comes from the cache while its picture may have gone).
    """
    from . import urls

    found: dict[str, Path] = {}
    problems: list[ContentError] = []
    for article in articles:
        image = article.image
        if image is None or image.remote:
            continue
        source = article.path.parent / image.src
        if source.is_symlink() or not source.is_file():
            problems.append(
                ContentError(
                    article.path, image.line, f"image: '{image.src}' is not a file beside the article"
                )
            )
        else:
            found[urls.image_url(article)] = source
    if problems:
        raise Problems(problems, warnings=content.warnings)
    return found


def build(
    config: SiteConfig,
    *,
    write: bool = True,
    progress: Progress | None = None,
    use_cache: bool = True,
    digests: bool | None = None,
    waiting: Callable[[str], None] | None = None,
    search_index: bool = True,
    resident: Resident | None = None,
) -> BuildResult:
    """Build the site; with write=False, do everything but touch the output (`briefgen check`).

    A build that writes holds the project's lock (lock.py); `waiting` hears when it must wait for it.
    With search_index=False, Pagefind is not run: the next build that indexes sees that the pages
    are not those the index was made from, and makes it again (the preview does so in the background).

    PDF digests are made when `digest.enabled` is set, unless `digests` is False: then the pages
    still link them and earlier PDFs stay, but none is rendered (the preview server renders them
    in a second, background build so that page reloads never wait for WeasyPrint).

    A long-lived caller (the preview) passes the same `resident` to each build: what one build
    read is then kept for the next (see engine/resident.py).
    """
    heard = progress or _unheard
    with collector_paused():
        if not write:
            return _build(config, write, heard, use_cache, digests)
        with project_lock(config.root, "build", waiting):
            result = _build(config, write, heard, use_cache, digests, resident)
            keep_url = not config.directory_urls
            if search_index:  # a stage of its own, after the pages
                heard("search index")
            indexing = search.update(config.output_dir, search_index, keep_index_url=keep_url)
    result = replace(result, indexing=indexing)
    if indexing.warning is not None:
        result = replace(result, warnings=(*result.warnings, Problem(None, None, indexing.warning)))
    return result


def update_search_index(config: SiteConfig, stop: threading.Event | None = None) -> str | None:
    """Make the search index again if pages changed since it was made (a build skipped it);
    setting `stop` ends the run and keeps the old index (see search.update)."""
    with project_lock(config.root, "build"):
        keep_url = not config.directory_urls
        return search.update(config.output_dir, True, keep_index_url=keep_url, stop=stop).warning


def _build(
    config: SiteConfig,
    write: bool,
    progress: Progress,
    use_cache: bool,
    digests: bool | None,
    resident: Resident | None = None,
) -> BuildResult:
    render_pdfs = config.digest.enabled if digests is None else digests and config.digest.enabled
    started = time.perf_counter()
    if write:
        check_output_dir(config.output_dir, config.root, config.content_dir)
        recover(config.output_dir)  # a swap left halfway by a killed build is finished first
    engine = Engine(config, cached=write and use_cache, resident=resident)
    done = engine.quick(render_pdfs)
    if done is None:
        result = _full(config, engine, write, progress, render_pdfs, started)
    else:
        result = _result(done.state, done.changed, (), started, rendered=done.rendered)
        if render_pdfs and done.changed:
            # pages are written; the edited articles' digests need the whole index: build again
            later = _full(config, engine, write, progress, True, started)
            result = replace(later, changed=tuple(sorted({*result.changed, *later.changed})))
    return replace(result, warnings=result.warnings + engine.warnings)


def _result(
    state: BuildState, changed: tuple[str, ...], removed: tuple[str, ...], started: float, rendered: int
) -> BuildResult:
    return BuildResult(
        pages=len(state.pages),
        files=state.files,
        changed=changed,
        removed=removed,
        seconds=time.perf_counter() - started,
        warnings=state.warnings,
        rendered=rendered,
    )


# -- the full path ----------------------------------------------------------------------------------


@dataclass(slots=True)
class _Job:
    """What each worker process needs, handed to every batch: helpers get it with the fork, for free."""

    env: object
    specs: list[PageSpec]
    todo: list[int]  # positions in `specs` of the pages to render
    bodies: Bodies
    checker: LinkChecker
    out: Path
    previous: dict[str, WrittenFile]
    stager: Stager | None  # None: nothing is written (check)


def _render_batch(job: _Job, batch: list[int]) -> list[Rendered]:
    from .render import render as render_page

    results = []
    for i in batch:
        spec = job.specs[i]
        html = render_page(job.env, spec)  # type: ignore[arg-type]
        data = html.encode("utf-8")
        page_digest = content_hash(data)
        staged = None
        if job.stager is not None and not unchanged(job.out, job.previous, spec.output, page_digest):
            staged = job.stager.write(spec.output, data)  # here: the bytes never leave this process
        body = None
        article = spec.own_article
        if article is not None:
            key, body_html = job.bodies.of(article)
            body = (key, bool(body_html) and html.count(body_html) == 1)
        fresh = tuple(job.bodies.fresh.items())
        job.bodies.fresh.clear()
        dead = tuple(job.checker.dead(spec.output, html))
        results.append(Rendered(i, page_digest, staged, dead, body, fresh))
    return results


def _render_pages(job: _Job, jobs: int, progress: Progress) -> Iterator[Rendered]:
    """Render the pages to do in batches, spread over `jobs` processes (this one included).

    Pages that list articles or events are all rendered by this process, first: they share the
    cache of rendered list items, which then exists once instead of once per process.
    """
    from .heap import large_blocks_apart
    from .parallel import processes_for, run_chunks
    from .render import list_stage, lists_rendered, stage_rendered

    total = len(job.todo)
    step = 50
    articles: list[int] = []
    lists: list[int] = []
    for i in job.todo:
        (lists if job.specs[i].own_article is None else articles).append(i)
    # list pages by stage: what each stage's pages alone use is dropped once they are done
    stages = {i: list_stage(job.specs[i]) for i in lists}
    lists.sort(key=stages.__getitem__)
    last_of_stage = {stages[i]: k for k, i in enumerate(lists)}
    # list pages one at a time: the site's calendar and timeline run to megabytes, and a batch's
    # pages are all held until it ends (this process renders them, so no batch goes anywhere)
    batches = [[i] for i in lists]
    reserved = len(batches)
    batches += [articles[n : n + step] for n in range(0, len(articles), step)]
    ends = {k: stage for stage, k in last_of_stage.items()}
    jobs = processes_for("render", jobs, total)

    def work(k: int) -> list[Rendered]:
        rendered = _render_batch(job, batches[k])
        if k == reserved - 1:  # the last list pages, done by this process: their caches can go
            lists_rendered(job.env)  # type: ignore[arg-type]
        elif k in ends:  # the last of a stage: what only that stage and earlier ones use can go
            stage_rendered(job.env, ends[k])  # type: ignore[arg-type]
        return rendered

    large_blocks_apart()  # pages of megabytes come and go: their memory too
    done = 0
    for _, batch in run_chunks(work, len(batches), jobs, reserved):
        yield from batch
        done += len(batch)
        progress("rendering", done, total)


def _full(
    config: SiteConfig,
    engine: Engine,
    write: bool,
    progress: Progress,
    render_pdfs: bool,
    started: float,
) -> BuildResult:
    """The pipeline: load -> index -> plan -> render -> check links -> write, redoing what the engine says."""
    from . import urls
    from .content.load import load_content
    from .links import LinkChecker, plain_attributes
    from .markdown import Bodies
    from .mentions import site_linker, suggestions
    from .parallel import worker_count
    from .pipeline import plan
    from .render import make_environment
    from .theme import template_sources

    progress("reading the content")
    parsed, trusted = engine.parses()

    def parsing(done: int, total: int) -> None:
        progress("parsing articles", done, total)

    content = load_content(config, parsed, jobs=worker_count(config), trusted=trusted, progress=parsing)
    del parsed  # the engine keeps what it needs of the parses (see Engine.loaded)
    _check_templates(config, content)
    engine.loaded(worker_count(config))
    store = engine.body_store()
    writer: Writer | None = None
    try:
        writer = Writer(config.output_dir, generations=engine.generations()) if write else None
        progress(f"indexing {len(content.articles):,} articles")
        index, specs = plan(config, content)
        statics, notes = _static_files(config, index, content)
        pdf_days = {urls.digest_url(day): day for day in index.days} if config.digest.enabled else {}
        existing = {spec.output for spec in specs} | set(statics) | set(pdf_days)
        linker = site_linker(config, index)
        bodies = Bodies(store, linker)
        env = make_environment(config, index, bodies)
        progress(f"finding which of {len(specs):,} pages changed")
        todo = engine.to_render(env, index, bodies.salt, specs, writer, existing)
        checker = LinkChecker(
            existing, plain=plain_attributes(template_sources(config)), root=urls.base_path(config.base_url)
        )
        previous = writer.previous if writer else {}
        stager = writer.stager if writer else None
        job = _Job(env, specs, todo, bodies, checker, config.output_dir, previous, stager)
        _render(job, engine, writer, worker_count(config), progress, content)
        removed: list[str] = []
        if writer is not None:
            for relative, path in statics.items():
                writer.add(relative, read_regular(path, FilePolicy(())))
            _write_digests(config, index, engine, writer, pdf_days, render_pdfs, notes.append, progress)
            progress("writing")
            engine.before_commit()
            removed = writer.commit()
    except BaseException:
        if writer is not None:
            writer.abort()
        engine.abort()
        raise
    state = engine.record(
        files=len(existing),
        warnings=content.warnings + tuple(notes),
        digests_pending=bool(pdf_days) and not render_pdfs,
        linker=linker,
        index=index,
        specs=specs,
    )
    changed = tuple(sorted(writer.changed)) if writer else ()
    built = _result(state, changed, tuple(removed), started, rendered=len(todo))
    built = replace(built, pages=len(specs), articles=len(content.articles), people=len(content.people))
    return built if write else replace(built, suggestions=suggestions(index))


def _check_templates(config: SiteConfig, content: Content) -> None:
    """Template files that must not be opened (pipes, links out of the project) stop the build."""
    from .theme import template_problems

    unsafe = template_problems(config)
    if unsafe:
        raise Problems(unsafe, warnings=content.warnings)


def _static_files(
    config: SiteConfig, index: SiteIndex, content: Content
) -> tuple[dict[str, Path], list[Problem]]:
    """The static files and articles' pictures to copy, and the entries skipped (errors with `strict`)."""
    skipped: list[Problem] = []
    statics = static_files(config, skipped) | article_images(index.articles.values(), content)
    if skipped and config.strict:
        raise Problems([ContentError(p.path, p.line, f"{p.message} [strict]") for p in skipped])
    return statics, skipped


def _render(
    job: _Job, engine: Engine, writer: Writer | None, jobs: int, progress: Progress, content: Content
) -> None:
    """Render the pages to do, check their links, and hand each to the writer and the engine."""
    problems: list[Problem] = []
    for result in _render_pages(job, jobs, progress):
        spec = job.specs[result.index]
        problems.extend(_dead_link(spec, link) for link in result.dead)
        crash_point("render")
        engine.rendered(spec, result)
        if writer is not None:
            if result.staged is not None:  # by the process that rendered it
                writer.staged(spec.output, result.digest, result.staged)
            else:
                writer.keep(spec.output)
    if problems:
        problems.sort(key=lambda p: (str(p.path), p.line or 0, p.message))  # pages finish in any order
        raise Problems(problems, warnings=content.warnings)


def _dead_link(spec: PageSpec, link: str) -> Problem:
    """A dead link, placed at the line of the article that writes it, else at the page's source."""
    from .content.articles import read_body
    from .links import line_of
    from .pages import page_errors_source

    article = spec.own_article
    message = f"dead link '{link}' on page /{spec.url}"
    if article is not None:
        try:
            body = read_body(article)
        except BuildError:
            body = ""
        line = line_of(link, body)
        if line is not None:
            return ContentError(article.path, article.body_line + line - 1, message)
    return ContentError(page_errors_source(spec), None, message)


def _write_digests(
    config: SiteConfig,
    index: SiteIndex,
    engine: Engine,
    writer: Writer,
    pdf_days: dict[str, dt.date],
    render_pdfs: bool,
    warn: Callable[[Problem], None],
    progress: Progress,
) -> None:
    """Render the PDF of each day whose digest would show something new; keep the others.

    Without `render_pdfs`, existing PDFs are kept as they are (a later build refreshes them).
    """
    if not pdf_days:
        return
    if not render_pdfs:
        for output in pdf_days:
            if output in writer.previous:
                writer.keep(output)
        engine.digests_kept(pdf_days)
        return
    from . import pdf  # WeasyPrint loads only when digests are made
    from .parallel import worker_count

    todo = engine.stale_digests(index, writer, pdf_days)
    days = {day: output for output, day in pdf_days.items()}
    with collector_paused(False):
        made_days = pdf.render_digests(
            config, index, [pdf_days[o] for o in todo], worker_count(config), warn=warn
        )
        for done, (day, made) in enumerate(made_days, 1):
            progress("PDF digests", done, len(todo))
            output = days[day]
            if isinstance(made, bytes):
                writer.add(output, made)
                continue
            # Not made (a limit reached): said, and tried again by the next build; the PDF of an
            # earlier build stays meanwhile, if there is one.
            warn(Problem(None, None, str(made)))
            engine.digest_failed(output)
            entry = writer.previous.get(output)
            if entry and unchanged(writer.out, writer.previous, output, entry[0]):
                writer.keep(output)
