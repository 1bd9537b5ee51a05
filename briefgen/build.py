"""build(): scan the inputs, then redo only what they changed: nothing, one page body, or the site.

The full path is one short list of stages: load -> index -> plan -> render -> check links -> write.
Rendering runs in worker processes for large sites; the cache (cache.py) lets a rebuild skip
parsing unchanged files and rendering unchanged bodies, and a body-only edit skips the rest.
"""

from __future__ import annotations

import datetime as dt
import gc
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from . import search, urls
from .cache import CACHE_DIR, ArticleRecord, BuildState, Cache, PendingWrite, Stats, edited, scan, settle
from .config import CONFIG_FILE, SiteConfig
from .content import Parsed, load_content, read_body
from .errors import BuildError, ContentError, Problem, Problems
from .faults import crash_point
from .files import FilePolicy, file_policy, read_regular, walk
from .frontmatter import split_raw
from .hashing import content_hash, value_digest
from .index import SiteIndex, build_index
from .links import LinkChecker, line_of, plain_attributes
from .lock import project_lock
from .mentions import STORE_KEY, Linker, site_linker, suggestions
from .model import Article, Content
from .pages import PageSpec, page_errors_source
from .parallel import processes_for, run_chunks, worth_aside
from .pipeline import plan, worker_count
from .theme import template_dirs, template_problems, template_sources
from .writer import (
    MARKER,
    Writer,
    WrittenFile,
    check_output_dir,
    intact,
    previous_generation,
    read_manifest,
    recover,
    unchanged,
)

if TYPE_CHECKING:
    from .markdown import Bodies

Progress = Callable[[int, int], None]


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


def inputs_of(config: SiteConfig) -> Stats:
    """Every file a build reads: content, templates (the site's and the shipped theme), static, config."""
    folders = [config.content_dir, *template_dirs(config), config.static_dir]
    return scan(folders, [config.root / CONFIG_FILE], file_policy(config))


def build(
    config: SiteConfig,
    *,
    write: bool = True,
    progress: Progress | None = None,
    use_cache: bool = True,
    digests: bool | None = None,
    waiting: Callable[[str], None] | None = None,
    search_index: bool = True,
) -> BuildResult:
    """Build the site; with write=False, do everything but touch the output (`briefgen check`).

    A build that writes holds the project's lock (lock.py); `waiting` hears when it must wait for it.
    With search_index=False, Pagefind is not run: the next build that indexes sees that the pages
    are not those the index was made from, and makes it again (the preview does so in the background).

    PDF digests are made when `digest.enabled` is set, unless `digests` is False: then the pages
    still link them and earlier PDFs stay, but none is rendered (the preview server renders them
    in a second, background build so that page reloads never wait for WeasyPrint).
    """
    with _collector_paused():
        if not write:
            return _build(config, write, progress, use_cache, digests)
        with project_lock(config.root, "build", waiting):
            result = _build(config, write, progress, use_cache, digests)
            keep_url = not config.directory_urls
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


@contextmanager
def _collector_paused(pause: bool = True) -> Iterator[None]:
    """Python's cyclic garbage collector off (or, with pause=False, on) for the duration.

    A build makes millions of objects (nodes, articles, pages), hardly any of them in reference
    cycles, and every full collection walks all of them: that was a sixth of a cold build at
    10,000 articles, for no memory saved. Helpers forked meanwhile inherit the pause. PDFs are
    made with the collector on (WeasyPrint's layout makes cycles).

    Turning it back on makes its next pass examine everything the build made (0.3 s at 10,000
    articles); that pass is what frees the last build's cycles (a Jinja environment holds one,
    and with it the whole index) in the preview server, which builds again and again. The
    `briefgen build` command, which exits right after, runs with the collector off throughout.
    """
    was = gc.isenabled()
    if pause:
        gc.disable()
    else:
        gc.enable()
    try:
        yield
    finally:
        if was:
            gc.enable()
        else:
            gc.disable()


def _build(
    config: SiteConfig, write: bool, progress: Progress | None, use_cache: bool, digests: bool | None
) -> BuildResult:
    render_pdfs = config.digest.enabled if digests is None else digests and config.digest.enabled
    started = time.perf_counter()
    if write:
        check_output_dir(config.output_dir, config.root, config.content_dir)
        recover(config.output_dir)  # a swap left halfway by a killed build is finished first
    cache = Cache(config) if write and use_cache else None
    scanned_ns = time.time_ns()
    inputs = inputs_of(config)
    state = cache.state() if cache is not None else None
    result = None
    if cache is not None and state is not None and not (render_pdfs and state.digests_pending):
        result = _quick(config, cache, state, inputs, started, scanned_ns)
        if result is not None and render_pdfs and result.changed:
            # pages are written; the edited articles' digests need the whole index: build again
            state = cache.state()
            later = _full(config, cache, state, inputs, write, None, started, scanned_ns, True)
            result = replace(later, changed=tuple(sorted({*result.changed, *later.changed})))
    if result is None:
        result = _full(config, cache, state, inputs, write, progress, started, scanned_ns, render_pdfs)
    if cache is not None and cache.warnings:
        notes = tuple(Problem(None, None, note) for note in cache.warnings)
        result = replace(result, warnings=result.warnings + notes)
    return result


# -- the quick paths: nothing changed, or only article bodies -------------------------------------


def _quick(
    config: SiteConfig, cache: Cache, state: BuildState, inputs: Stats, started: float, scanned_ns: int
) -> BuildResult | None:
    out = config.output_dir
    manifest = read_manifest(out)
    if not manifest or not state.pages:
        return None
    if inputs.keys() != state.inputs.keys():
        return None  # a file was added or removed
    changed = edited(state.inputs, inputs)
    if not changed:
        return _result(state, (), (), started, rendered=0) if intact(out, manifest) else None
    if any(path not in state.articles for path in changed):
        return None  # something other than an article changed
    return _splice_bodies(config, cache, state, inputs, manifest, changed, started, scanned_ns)


def _splice_bodies(
    config: SiteConfig,
    cache: Cache,
    state: BuildState,
    inputs: Stats,
    manifest: dict[str, WrittenFile],
    changed: list[str],
    started: float,
    scanned_ns: int,
) -> BuildResult | None:
    """Articles whose front matter is byte for byte the same: only their own pages change.

    Nothing but an article's page shows its body, and the page was found at the last build to
    hold the rendered body exactly once; so the new page is the old one with the body replaced.
    Anything unexpected (a changed front matter, a page edited by hand, a dead link in the new
    body) returns None, and the full build takes over and reports it properly.
    """
    from .markdown import body_key, markdown_to_html  # Python-Markdown loads only when needed

    out = config.output_dir
    store = cache.bodies()
    linker = _stored_linker(store.get(STORE_KEY))
    if linker is None and config.mentions != "off":
        store.close()
        return None
    pages: dict[str, bytes] = {}
    records = dict(state.articles)
    fresh: list[tuple[str, str]] = []
    policy = file_policy(config)
    checker = LinkChecker(  # new bodies come out of the sanitizer
        set(manifest), plain=True, root=urls.base_path(config.base_url)
    )
    try:
        for path in changed:
            record = state.articles[path]
            # a file grown past the size limit (or swapped for a pipe) goes to the full build
            front, body = split_raw(read_regular(Path(path), policy).decode("utf-8"))
            if not record.spliceable or content_hash(front.encode()) != record.front:
                return None
            page_bytes = (out / record.output).read_bytes()
            if content_hash(page_bytes) != manifest[record.output][0]:
                return None
            old_html, key = store.get(record.body), body_key(body, record.lang, linker.salt if linker else "")
            new_html = store.get(key) or _finished(linker, markdown_to_html(body, record.lang))
            page = page_bytes.decode("utf-8")
            if not old_html or page.count(old_html) != 1 or checker.dead(record.output, new_html):
                return None
            new_page = page.replace(old_html, new_html)
            pages[record.output] = new_page.encode("utf-8")
            fresh.append((key, new_html))
            spliceable = bool(new_html) and new_page.count(new_html) == 1
            records[path] = replace(record, body=key, spliceable=spliceable)
    except (OSError, UnicodeDecodeError, ValueError, KeyError, ContentError):
        return None
    finally:
        store.close()
    writer = _write_some(out, pages, cache, manifest)
    bodies = cache.bodies()
    bodies.put_many(fresh)
    bodies.close()
    # the edited articles' digests are now out of date: a build that renders PDFs must look again
    pending = state.digests_pending or config.digest.enabled
    state = replace(
        state,
        inputs=settle(inputs, scanned_ns),
        articles=records,
        digests_pending=pending,
        parse_stale=state.parse_stale | frozenset(changed),
    )
    cache.save(state, None)
    return _result(state, tuple(writer.changed), (), started, rendered=len(pages))


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
    write: bool  # False: nothing is written (check)


@dataclass(frozen=True, slots=True)
class Rendered:
    index: int
    digest: str
    data: bytes | None  # the page, unless the file on disk already holds exactly these bytes
    dead: tuple[str, ...]
    body: tuple[str, bool] | None = None  # for article pages: body key, page holds it exactly once
    fresh: tuple[tuple[str, str], ...] = field(default=())  # bodies rendered here, for the store


def _render_batch(job: _Job, batch: list[int]) -> list[Rendered]:
    from .render import render as render_page

    results = []
    for i in batch:
        spec = job.specs[i]
        html = render_page(job.env, spec)  # type: ignore[arg-type]
        data = html.encode("utf-8")
        page_digest = content_hash(data)
        changed = job.write and not unchanged(job.out, job.previous, spec.output, page_digest)
        body = None
        article = spec.context.get("article")
        if isinstance(article, Article) and spec.template == "article.html":
            key, body_html = job.bodies.of(article)
            body = (key, bool(body_html) and html.count(body_html) == 1)
        fresh = tuple(job.bodies.fresh.items())
        job.bodies.fresh.clear()
        dead = tuple(job.checker.dead(spec.output, html))
        results.append(Rendered(i, page_digest, data if changed else None, dead, body, fresh))
    return results


def _render_pages(job: _Job, jobs: int, progress: Progress | None) -> Iterator[Rendered]:
    """Render the pages to do in batches, spread over `jobs` processes (this one included).

    Pages that list articles or events are all rendered by this process, first: they share the
    cache of rendered list items, which then exists once instead of once per process.
    """
    total = len(job.todo)
    step = 50
    lists = [i for i in job.todo if not isinstance(job.specs[i].context.get("article"), Article)]
    articles = [i for i in job.todo if isinstance(job.specs[i].context.get("article"), Article)]
    batches = [lists[n : n + step] for n in range(0, len(lists), step)]
    reserved = len(batches)
    batches += [articles[n : n + step] for n in range(0, len(articles), step)]
    jobs = processes_for("render", jobs, total)
    done = 0
    for _, batch in run_chunks(lambda k: _render_batch(job, batches[k]), len(batches), jobs, reserved):
        yield from batch
        done += len(batch)
        if progress is not None:
            progress(done, total)


def _full(
    config: SiteConfig,
    cache: Cache | None,
    state: BuildState | None,
    inputs: Stats,
    write: bool,
    progress: Progress | None,
    started: float,
    scanned_ns: int,
    render_pdfs: bool = False,
) -> BuildResult:
    from .fingerprint import Fingerprints  # Jinja, Babel and Markdown load only when pages are rendered
    from .markdown import Bodies
    from .render import make_environment

    out = config.output_dir
    parsed = cache.parsed() if cache is not None else None
    trusted: frozenset[str] = frozenset()
    if state is not None and parsed:
        # Files with the size and time they had at the last build, then already older than the
        # racy window (see settle), are not even read: their parse is in the cache.
        unchanged_files = inputs.keys() - set(edited(state.inputs, inputs)) - state.parse_stale
        trusted = frozenset(path for path in unchanged_files if not state.inputs[path][2])
    known = dict(parsed) if parsed else {}
    content = load_content(config, parsed, jobs=worker_count(config), trusted=trusted)
    unsafe = template_problems(config)
    if unsafe:
        raise Problems(unsafe, warnings=content.warnings)
    parse_cache: PendingWrite | None = None
    if cache is not None and parsed is not None and _parses_changed(known, parsed):
        # written aside while the index is built (a rebuild after a template edit has nothing new)
        parse_cache = cache.write_parsed(parsed, worth_aside(worker_count(config), len(parsed)))
    writer: Writer | None = None
    store = None
    try:
        index, specs = plan(config, content)
        skipped: list[Problem] = []
        statics = static_files(config, skipped) | article_images(index.articles.values(), content)
        if skipped and config.strict:
            raise Problems([ContentError(p.path, p.line, f"{p.message} [strict]") for p in skipped])
        pdf_days = {urls.digest_url(day): day for day in index.days} if config.digest.enabled else {}
        existing = {spec.output for spec in specs} | set(statics) | set(pdf_days)
        writer = Writer(out, generations=previous_generation(config.root / CACHE_DIR, out)) if write else None
        store = cache.bodies() if cache is not None else None
        linker = site_linker(config, index)
        bodies = Bodies(store if store is not None and not store.empty() else None, linker)
        env = make_environment(config, index, bodies)
        fingerprints = Fingerprints(env, index, bodies.salt)
        # splicing a new body into its article's page is right only if no other page can show it
        splice = all(fingerprints.reads(t).bodies != "any" for t in {spec.template for spec in specs})
        previous = writer.previous if writer else {}
        records: dict[str, ArticleRecord] = {}
        todo = []
        prints: dict[str, str] = {}
        # A page whose file is gone since the last build may be the target of a link on any page, and
        # links are checked only on pages rendered: then render them all.
        nothing_removed = previous.keys() <= existing | {MARKER}
        if state is not None and writer is not None and nothing_removed:  # render only pages that change
            prints = {spec.output: fingerprints.page(spec) for spec in specs}
            for position, spec in enumerate(specs):
                if _still_valid(spec, prints, state, previous, out, records, splice):
                    writer.keep(spec.output)
                else:
                    todo.append(position)
        else:  # a first build renders everything, and takes the fingerprints as pages come back
            todo = list(range(len(specs)))
        late_prints = fingerprints if not prints and writer is not None else None
        checker = LinkChecker(
            existing, plain=plain_attributes(template_sources(config)), root=urls.base_path(config.base_url)
        )
        job = _Job(env, specs, todo, bodies, checker, out, previous, writer is not None)
        fresh: list[tuple[str, str]] = []
        problems: list[Problem] = []
        for result in _render_pages(job, worker_count(config), progress):
            spec = specs[result.index]
            problems.extend(_dead_link(spec, link) for link in result.dead)
            fresh.extend(result.fresh)
            crash_point("render")
            if store is not None and len(fresh) >= 500:  # keep memory flat: store bodies as they come
                store.put_many(fresh)
                fresh.clear()
            if late_prints is not None:  # here, not in helpers: the digest of each article and event
                prints[spec.output] = late_prints.page(spec)  # is then made once, not once per process
            if result.body is not None and parsed is not None:
                article = spec.context["article"]
                records[str(article.path)] = ArticleRecord(
                    front=parsed[str(article.path)].front,
                    body=result.body[0],
                    lang=article.lang,
                    output=spec.output,
                    spliceable=result.body[1] and splice,
                )
            if writer is not None:
                if result.data is not None:  # one process writes: parallel writers contend in the kernel
                    writer.put(spec.output, result.data, result.digest)
                else:
                    writer.keep(spec.output)
        if problems:
            problems.sort(key=lambda p: (str(p.path), p.line or 0, p.message))  # pages finish in any order
            raise Problems(problems, warnings=content.warnings)
        removed: list[str] = []
        pdf_prints: dict[str, str] = {}
        notes: list[Problem] = list(skipped)
        if writer is not None:
            for relative, path in statics.items():
                writer.add(relative, read_regular(path, FilePolicy(())))
            pdf_prints = _write_digests(
                config, index, inputs, state, writer, pdf_days, render_pdfs, notes.append
            )
            if cache is not None:
                cache.forget_state()
            removed = writer.commit()
    except BaseException:
        if writer is not None:
            writer.abort()
        if parse_cache is not None:
            parse_cache.cancel()
        raise
    finally:
        if store is not None:
            store.close()
    new_state = BuildState(
        inputs=settle(inputs, scanned_ns),
        articles=records,
        pages=prints,
        digests=pdf_prints,
        digests_pending=bool(pdf_days) and not render_pdfs,
        files=len(existing),
        warnings=content.warnings + tuple(notes),
    )
    if cache is not None:
        bodies_store = cache.bodies()
        bodies_store.put_many([*fresh, (STORE_KEY, linker.to_text())])
        bodies_store.close()
        cache.save(new_state, parse_cache)
    changed = tuple(sorted(writer.changed)) if writer else ()
    built = _result(new_state, changed, tuple(removed), started, rendered=len(todo))
    built = replace(built, pages=len(specs), articles=len(content.articles), people=len(content.people))
    return built if write else replace(built, suggestions=suggestions(index))


def _dead_link(spec: PageSpec, link: str) -> Problem:
    """A dead link, placed at the line of the article that writes it, else at the page's source."""
    article = spec.context.get("article")
    message = f"dead link '{link}' on page /{spec.url}"
    if isinstance(article, Article) and spec.template == "article.html":
        try:
            body = read_body(article)
        except BuildError:
            body = ""
        line = line_of(link, body)
        if line is not None:
            return ContentError(article.path, article.body_line + line - 1, message)
    return ContentError(page_errors_source(spec), None, message)


def _stored_linker(text: str | None) -> Linker | None:
    """The mentions linker the last full build stored with the bodies (None if none or off)."""
    if text is None:
        return None
    linker = Linker.from_text(text)
    return linker if linker.salt else None


def _finished(linker: Linker | None, html: str) -> str:
    return linker(html) if linker is not None else html


def _parses_changed(before: Parsed, after: Parsed) -> bool:
    """Whether loading the content parsed a file again, or dropped one, since the cache was read."""
    return before.keys() != after.keys() or any(after[path] is not parse for path, parse in before.items())


def _write_digests(
    config: SiteConfig,
    index: SiteIndex,
    inputs: Stats,
    state: BuildState | None,
    writer: Writer,
    pdf_days: dict[str, dt.date],
    render_pdfs: bool,
    warn: Callable[[Problem], None],
) -> dict[str, str]:
    """Render the PDF of each day whose digest would show something new; keep the others.

    Without `render_pdfs`, existing PDFs are kept as they are (a later build refreshes them).
    """
    if not pdf_days:
        return {}
    from . import pdf  # WeasyPrint loads only when digests are made

    previous = state.digests if state is not None else {}
    if not render_pdfs:
        for output in pdf_days:
            if output in writer.previous:
                writer.keep(output)
        return {output: previous[output] for output in pdf_days if output in previous}
    prints, todo = stale_digests(config, index, inputs, previous, writer.out, writer.previous, pdf_days)
    for output in pdf_days.keys() - set(todo):
        writer.keep(output)
    days = {day: output for output, day in pdf_days.items()}
    with _collector_paused(False):
        for day, made in pdf.render_digests(
            config, index, [pdf_days[o] for o in todo], worker_count(config), warn=warn
        ):
            output = days[day]
            if isinstance(made, bytes):
                writer.add(output, made)
                continue
            # Not made (a limit reached): said, and tried again by the next build; the PDF of an
            # earlier build stays meanwhile, if there is one.
            warn(Problem(None, None, str(made)))
            del prints[output]
            entry = writer.previous.get(output)
            if entry and unchanged(writer.out, writer.previous, output, entry[0]):
                writer.keep(output)
    return prints


def stale_digests(
    config: SiteConfig,
    index: SiteIndex,
    inputs: Stats,
    made: dict[str, str],
    out: Path,
    manifest: dict[str, WrittenFile],
    pdf_days: dict[str, dt.date],
) -> tuple[dict[str, str], list[str]]:
    """The fingerprint of every day's digest, and the digests to make again: those whose
    fingerprint differs from the one they were `made` with, or whose file is not as written."""
    from . import pdf

    assets = value_digest(
        sorted((p, s) for p, s in inputs.items() if not p.endswith((".md", ".yaml", ".yml")))
    )
    prints = {
        output: pdf.digest_fingerprint(config, index, day, assets=assets) for output, day in pdf_days.items()
    }
    todo = []
    for output in pdf_days:
        entry = manifest.get(output)
        if not (made.get(output) == prints[output] and entry and unchanged(out, manifest, output, entry[0])):
            todo.append(output)
    return prints, todo


def _still_valid(
    spec: PageSpec,
    prints: dict[str, str],
    state: BuildState,
    previous: dict[str, WrittenFile],
    out: Path,
    records: dict[str, ArticleRecord],
    splice: bool,
) -> bool:
    """A page need not be rendered if it would show exactly what it showed last time.

    That is: the same fingerprint, and its file untouched since.
    """
    if state.pages.get(spec.output) != prints[spec.output] or spec.output not in previous:
        return False
    entry = previous[spec.output]
    if not unchanged(out, previous, spec.output, entry[0]):
        return False
    article = spec.context.get("article")
    if isinstance(article, Article) and spec.template == "article.html":
        record = state.articles.get(str(article.path))
        if record is None:
            return False
        records[str(article.path)] = replace(record, spliceable=record.spliceable and splice)
    return True


# -- digests made apart from a build (the preview's background pass) --------------------------------


@dataclass(frozen=True, slots=True)
class DigestPlan:
    """What a digest pass needs: the index, the fingerprint of each day's digest, the digests to
    make, and the inputs as scanned before they were read (to tell, later, what changed since)."""

    index: SiteIndex
    days: dict[str, dt.date]  # digest output path -> day
    prints: dict[str, str]
    todo: list[str]
    inputs: Stats


def plan_digests(config: SiteConfig) -> DigestPlan | None:
    """The digests that are out of date, after a build made with `digests=False`; None when the
    output folder or the cache holds no such build (then a build, not a pass, is needed)."""
    cache = Cache(config)
    state = cache.state()
    manifest = read_manifest(config.output_dir)
    if state is None or not manifest or not config.digest.enabled:
        return None
    inputs = inputs_of(config)
    parsed = cache.parsed()
    unchanged_files = inputs.keys() - set(edited(state.inputs, inputs)) - state.parse_stale
    trusted = frozenset(p for p in unchanged_files if not state.inputs[p][2]) if parsed else frozenset()
    with _collector_paused():
        content = load_content(config, parsed, jobs=worker_count(config), trusted=trusted)
        index = build_index(content, 0, worker_count(config))  # digests show no related articles
        days = {urls.digest_url(day): day for day in index.days}
        prints, todo = stale_digests(config, index, inputs, state.digests, config.output_dir, manifest, days)
    return DigestPlan(index, days, prints, todo, inputs)


def commit_digests(config: SiteConfig, plan: DigestPlan, made: dict[str, bytes]) -> list[str]:
    """Put digests made by a pass into the output folder and the cache; the paths written.

    A build may have run since the pass planned: a digest is put in place only if the files of its
    day's articles are still as the pass read them (otherwise a newer pass makes it again), and
    only if the cache still describes the same settings. Its fingerprint is the one the pass
    computed, so a digest made from inputs changed since is found stale and made again.
    """
    cache = Cache(config)
    state = cache.state()
    if state is None or not made:
        return []
    now = inputs_of(config)
    fresh = {
        output: data
        for output, data in made.items()
        if all(
            now.get(str(a.path), (0, 0))[:2] == plan.inputs.get(str(a.path), (-1, -1))[:2]
            for a in (plan.index.articles[slug] for slug in plan.index.days.get(plan.days[output], ()))
        )
    }
    if not fresh:
        return []
    writer = _write_some(config.output_dir, fresh, cache)
    prints = {**state.digests, **{output: plan.prints[output] for output in fresh}}
    cache.save(replace(state, digests=prints), None)
    return sorted(writer.changed)


def _write_some(
    out: Path, files: dict[str, bytes], cache: Cache, previous: dict[str, WrittenFile] | None = None
) -> Writer:
    """Swap in a few files, leaving the rest of the output as it is; the build state is forgotten
    first, so a crash in between makes the next build look again instead of trusting it."""
    writer = Writer(out, partial=True, previous=previous, generations=previous_generation(cache.folder, out))
    try:
        for output, data in files.items():
            writer.add(output, data)
        cache.forget_state()
        writer.commit()
    except BaseException:
        writer.abort()
        raise
    return writer
