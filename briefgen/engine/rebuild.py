"""Engine: tells a build what to redo (nothing, some bodies, which files to parse, which pages and
digests to render) and records what it did, for the next build to trust."""

from __future__ import annotations

import datetime as dt
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from ..config import SiteConfig
from ..errors import Problem
from ..manifest import MARKER
from ..writer import Writer, previous_generation, unchanged
from .cache import (
    CACHE_DIR,
    ArticleRecord,
    ArticleRecords,
    BodyStore,
    BuildState,
    Cache,
    PendingWrite,
    Stats,
    edited,
    settle,
)
from .parts import Run, Runs
from .resident import LastSite, Resident
from .scan import inputs_of
from .splice import Quick, load_splicing, quick

if TYPE_CHECKING:
    import jinja2

    from ..content.articles import Parsed
    from ..index import SiteIndex
    from ..mentions import Linker
    from ..pages import PageSpec
    from ..parallel import Early
    from .fingerprint import Fingerprints

STATE_BYTES_PER_FILE = 500  # about what the state keeps of each input: its time, size, record, page
FLUSH_BODIES = 500  # rendered bodies kept before they go to the store: memory stays flat

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Rendered:
    """One page as rendering made it, for the build to write and the engine to record."""

    index: int  # position in the page plan
    digest: str
    staged: tuple[int, int] | None  # time and size of the page staged, None if the file on disk holds it
    dead: tuple[str, ...]
    body: tuple[str, bool] | None = None  # for article pages: body key, page holds it exactly once
    fresh: tuple[tuple[str, str], ...] = field(default=())  # bodies rendered here, for the store


class Engine:
    """One build's view of the last: created before anything is read, `record()`ed once it is done.

    Without a cache (`briefgen check`, `--no-cache`), it tells the build to do everything. With
    a `resident` (the preview's), what it kept from the last build of this process is used first.
    """

    def __init__(self, config: SiteConfig, cached: bool, resident: Resident | None = None) -> None:
        self.config = config
        self.out = config.output_dir
        self.cache = Cache(config) if cached else None
        self.resident = resident if cached else None
        self._scans = _start_scan(config, self.cache, time.time_ns())
        self._inputs: Stats | None = None
        self.state = self.cache.state() if self.cache is not None else None
        self._parsed: Parsed | None = None
        self._fronts: dict[str, str] = {}  # path -> digest of its front matter, once loaded
        self._known: Parsed = {}
        self._parse_write: PendingWrite | None = None
        self._store: BodyStore | None = None
        self._fresh: list[tuple[str, str]] = []
        self._fingerprints: Fingerprints | None = None
        self._late = False  # fingerprints taken as pages come back (a first build)
        self._splice = True
        self.records: dict[str, ArticleRecord] = {}
        self.prints: dict[str, str] = {}
        self.templates: dict[str, str] = {}  # page template -> Fingerprints.template_key
        self._edited: tuple[BuildState, frozenset[str]] | None = None
        self.digest_prints: dict[str, str] = {}

    @property
    def inputs(self) -> Stats:
        """Every input's time and size as the build started, settled (from the scan, awaited on
        first use)."""
        if self._inputs is None:
            self._inputs = Runs([run for scan in self._scans for run in scan.result()])
        return self._inputs

    def _scanned(self) -> Stats:
        if self._scans[0].running:  # helpers scan: meanwhile, load what a body splice will need
            load_splicing()
        return self.inputs

    @property
    def warnings(self) -> tuple[Problem, ...]:
        """What went wrong with the cache itself (damaged, not saved): never an error."""
        notes = self.cache.warnings if self.cache is not None else []
        return tuple(Problem(None, None, note) for note in notes)

    # -- what to redo ------------------------------------------------------------------------------

    def quick(self, render_pdfs: bool) -> Quick | None:
        """The rebuild done here (nothing changed, or only bodies), or None: run the pipeline."""
        if self.cache is None or self.state is None or (render_pdfs and self.state.digests_pending):
            return None
        if self.config.strict and self.state.warnings:
            return None  # the last build's warnings are this one's errors: the pipeline says so
        done = quick(self.config, self.cache, self.state, self._scanned)
        if done is not None:
            self.state = done.state
        return done

    def parses(self) -> tuple[Parsed | None, frozenset[str]]:
        """The parse cache (updated in place by loading), and the files it answers for unread:
        those with the size and time they had at the last build, then already older than the racy
        window (see settle)."""
        if self.cache is None:
            return None, frozenset()
        # the inputs as they were before any is read (a first build would otherwise ask for them
        # only as it ends): a file saved while the build runs is then a change for the next
        inputs = self.inputs
        parsed = self.resident.parsed(self.cache) if self.resident is not None else self.cache.parsed()
        trusted: frozenset[str] = frozenset()
        state = self.state
        if state is not None and parsed:
            unchanged_files = inputs.keys() - self._changed(state) - state.parse_stale
            trusted = frozenset(path for path in unchanged_files if not state.inputs[path][2])
        self._parsed, self._known = parsed, dict(parsed) if parsed else {}
        return parsed, trusted

    def loaded(self, jobs: int) -> None:
        """Content is loaded: the shards of the parse cache that hold a file parsed again (or
        dropped) are written while the index is built, aside when they are many (a rebuild after a
        template edit has nothing new, one after a front-matter edit one shard)."""
        parsed = self._parsed
        changed = _parses_changed(self._known, parsed) if parsed is not None else []
        if self.cache is not None and changed:
            assert parsed is not None
            # all the shards when none could be read: one left by other settings goes too
            self._parse_write = self.cache.write_parsed(parsed, changed if self._known else None, jobs)
        self._known = {}
        if parsed is not None:
            # from here on, only the digest of each article's front matter is asked for, but by a
            # resident, which keeps every parse for the first look (a whole second copy of the
            # articles, which large sites render without)
            self._fronts = {path: parse.front for path, parse in parsed.items()}
            if self.resident is None:
                self._parsed = None

    def body_store(self) -> BodyStore | None:
        """Bodies rendered by earlier builds (None when there are none to ask)."""
        if self.cache is None:
            return None
        self._store = self.cache.bodies()
        return None if self._store.empty() else self._store

    def to_render(
        self,
        env: jinja2.Environment,
        index: SiteIndex,
        salt: str,
        specs: list[PageSpec],
        writer: Writer | None,
        existing: set[str],
    ) -> list[int]:
        """The positions in `specs` of the pages to render; the others are kept as they are.

        A page is kept when its fingerprint is the one it was made with and its file is as
        written. A page whose file is gone since the last build may be the target of a link on
        any page, and links are checked only on pages rendered: then all are rendered.
        """
        from .fingerprint import Fingerprints  # Jinja loads only when pages are rendered

        fingerprints = self._fingerprints = Fingerprints(env, index, salt)
        self.templates = {name: fingerprints.template_key(name) for name in {spec.template for spec in specs}}
        # splicing a new body into its article's page is right only if no other page can show it
        self._splice = all(fingerprints.reads(t).bodies != "any" for t in self.templates)
        previous = writer.previous if writer is not None else {}
        state = self.state
        if state is None or writer is None or not previous.keys() <= existing | {MARKER}:
            self._late = writer is not None  # a first build takes fingerprints as pages come back
            return list(range(len(specs)))
        if self._templates_only(state):
            # the content is what the last build made its pages from: each page keeps the
            # fingerprint it had, and is made again if its template's key changed. (One whose
            # template now reads something else keeps a fingerprint that no later one can equal,
            # as each names what its template read: it is made again at the next content edit.)
            before = state.pages
            self.prints = {spec.output: before.get(spec.output) or fingerprints.page(spec) for spec in specs}
        else:
            self.prints = _page_prints(fingerprints, specs, self.templates, self.config)
        todo = []
        for position, spec in enumerate(specs):
            if self._still_valid(spec, state, writer):
                writer.keep(spec.output)
            else:
                todo.append(position)
        return todo

    def _templates_only(self, state: BuildState) -> bool:
        """Whether templates are all that changed since the last build, which read the same
        content, settings and briefgen (the cache stamp says so for the last two)."""
        from ..theme import shipped_templates

        changed = self._changed(state) | (state.inputs.keys() - self.inputs.keys())  # and removed
        folders = tuple(f"{folder}/" for folder in (self.config.templates_dir, shipped_templates()))
        return bool(changed) and bool(state.templates) and all(path.startswith(folders) for path in changed)

    def _changed(self, state: BuildState) -> frozenset[str]:
        """The inputs edited or added since `state` was saved, found once per state (a file saved
        in the last seconds is read to tell)."""
        if self._edited is None or self._edited[0] is not state:
            self._edited = (state, frozenset(edited(state.inputs, self.inputs)))
        return self._edited[1]

    def _still_valid(self, spec: PageSpec, state: BuildState, writer: Writer) -> bool:
        previous = writer.previous
        if state.pages.get(spec.output) != self.prints[spec.output] or spec.output not in previous:
            return False
        if state.templates.get(spec.template) != self.templates[spec.template]:
            return False
        if not unchanged(self.out, previous, spec.output, previous[spec.output][0]):
            return False
        article = spec.own_article
        if article is not None:
            record = state.articles.get(str(article.path))
            if record is None:
                return False
            if record.spliceable and not self._splice:
                record = replace(record, spliceable=False)
            self.records[str(article.path)] = record
        return True

    def rendered(self, spec: PageSpec, result: Rendered) -> None:
        """Note a page rendered: its fingerprint, the bodies made for it, its article's record."""
        self._fresh.extend(result.fresh)
        if self._store is not None and len(self._fresh) >= FLUSH_BODIES:
            self._store.put_many(self._fresh)
            self._fresh.clear()
        if self._late and self._fingerprints is not None:
            # here, not in helpers: the digest of each article and event is then made once
            self.prints[spec.output] = self._fingerprints.page(spec)
        if result.body is not None and self._fronts:
            article = spec.context["article"]
            self.records[str(article.path)] = ArticleRecord(
                front=self._fronts[str(article.path)],
                body=result.body[0],
                lang=article.lang,
                output=spec.output,
                spliceable=result.body[1] and self._splice,
            )

    def stale_digests(self, index: SiteIndex, writer: Writer, pdf_days: dict[str, dt.date]) -> list[str]:
        """The digests to make again; the others are kept."""
        from .digests import stale_digests  # the model's digest fingerprints: only when PDFs are made

        made = self.state.digests if self.state is not None else {}
        self.digest_prints, todo = stale_digests(
            self.config, index, self.inputs, made, writer.out, writer.previous, pdf_days
        )
        for output in pdf_days.keys() - set(todo):
            writer.keep(output)
        return todo

    def digests_kept(self, pdf_days: dict[str, dt.date]) -> None:
        """No digest is rendered this time: those made before keep their fingerprints."""
        made = self.state.digests if self.state is not None else {}
        self.digest_prints = {output: made[output] for output in pdf_days if output in made}

    def digest_failed(self, output: str) -> None:
        """A digest not made (a limit reached): the next build tries again."""
        self.digest_prints.pop(output, None)

    # -- recording what was done -------------------------------------------------------------------

    def generations(self) -> Path:
        """Where the writer keeps the previous generation of the output (inside the cache folder)."""
        return previous_generation(self.config.root / CACHE_DIR, self.out)

    def before_commit(self) -> None:
        """The output is about to change: if the build dies now, the next one starts afresh."""
        if self.cache is not None:
            self.cache.forget_state()

    def abort(self) -> None:
        if self._parse_write is not None:
            self._parse_write.cancel()
        self.close()

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

    def record(
        self,
        *,
        files: int,
        warnings: tuple[Problem, ...],
        digests_pending: bool,
        linker: Linker,
        index: SiteIndex,
        specs: list[PageSpec],
    ) -> BuildState:
        """What this build saw and made, saved for the next (with the bodies it rendered); a
        resident keeps the index and the page plan too."""
        self.close()
        state = BuildState(
            inputs=self.inputs,
            articles=ArticleRecords.of(self.records),
            pages=self.prints,
            templates=self.templates,
            digests=self.digest_prints,
            digests_pending=digests_pending,
            files=files,
            warnings=warnings,
        )
        if self.cache is not None:
            from ..mentions import STORE_KEY

            store = self.cache.bodies()
            store.put_many([*self._fresh, (STORE_KEY, linker.to_text())])
            store.close()
            saved = self.cache.save(state, self._parse_write)
            if saved and self.resident is not None:
                self.resident.saved(self.cache, LastSite(self.config, index, specs, self._parsed))
        return state


def _start_scan(config: SiteConfig, cache: Cache | None, scanned_ns: int) -> list[Early[tuple[Run, ...]]]:
    """The scan of the inputs, settled and in runs (see Runs): begun in a child process when the
    last build saw enough files for one to pay (the state and the manifest are read meanwhile),
    else made when first asked for; shared between as many children as there are jobs when it
    saw many more (the scan is then most of a one-body rebuild, and this process mostly waits)."""
    from ..parallel import Early, bare_fork_safe, processes_for, worker_count

    files = cache.state_bytes() // STATE_BYTES_PER_FILE if cache is not None else 0
    fork = processes_for("aside", worker_count(config), files) > 1 and bare_fork_safe()
    shares = processes_for("scan", worker_count(config), files) if fork else 1  # one walk, here

    def share(number: int) -> Callable[[], tuple[Run, ...]]:
        return lambda: Runs.of(settle(inputs_of(config, (number, shares)), scanned_ns)).runs

    return [Early(share(number), fork=fork) for number in range(shares)]


PAGE_CHUNK = 250  # pages whose fingerprints one process takes at a time
OBJECT_CHUNK = 1000  # articles, happenings or links one process digests at a time


def _page_prints(
    fingerprints: Fingerprints, specs: list[PageSpec], templates: dict[str, str], config: SiteConfig
) -> dict[str, str]:
    """Every page's fingerprint, by output path, in the order of `specs`: on a large site, taken
    by this process and forked helpers together (parallel.FINGERPRINT_MIN)."""
    from ..parallel import processes_for, run_chunks, worker_count

    processes = processes_for("fingerprint", worker_count(config), len(specs))
    if processes > 1:
        # what pages of every kind hold is digested first, shared out, and each digest handed to
        # this process: the helpers forked next (for the next layer, then the pages) find them
        for objects in fingerprints.shared():

            def digests(k: int, objects: list[object] = objects) -> list[bytes]:
                return [fingerprints.value(value) for value in _share(objects, k, OBJECT_CHUNK)]

            for k, made in run_chunks(digests, math.ceil(len(objects) / OBJECT_CHUNK), processes):
                fingerprints.learn(_share(objects, k, OBJECT_CHUNK), made)
        if any(fingerprints.reads(name).content for name in templates):
            fingerprints.whole_index(with_bodies=False)  # here, rather than once in each helper

    def prints(k: int) -> list[str]:
        return [fingerprints.page(spec) for spec in _share(specs, k, PAGE_CHUNK)]

    found: list[list[str]] = [[] for _ in range(math.ceil(len(specs) / PAGE_CHUNK))]
    for k, made_prints in run_chunks(prints, len(found), processes):
        found[k] = made_prints
    in_order = (print_ for chunk in found for print_ in chunk)
    return {spec.output: print_ for spec, print_ in zip(specs, in_order, strict=True)}


def _share(items: list[T], k: int, size: int) -> list[T]:
    """Share `k` of `items` cut in shares of `size`."""
    return items[k * size : (k + 1) * size]


def _parses_changed(before: Parsed, after: Parsed) -> list[str]:
    """The files loading the content parsed again, or dropped, since the cache was read."""
    again = [path for path, parse in after.items() if before.get(path) is not parse]
    return again + [path for path in before.keys() - after.keys()]
