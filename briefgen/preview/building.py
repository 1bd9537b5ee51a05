"""SiteBuilder: what the preview does on a save. It rereads briefgen.yaml, makes the open page
first when it can (firstlook.py), builds the pages, and leaves the search index and the PDF
digests to a background thread (`Background`) that every save interrupts.
"""

from __future__ import annotations

import os
import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from ..build import Progress, build, update_search_index
from ..collector import IdleCollection, collector_paused
from ..config import SiteConfig
from ..engine.resident import Resident
from ..errors import BriefgenError, Problem, Problems, shown
from .digest_pass import Pass, make_digests
from .firstlook import FirstLook, first_looks, ready
from .livereload import Log, RebuildReport, unlogged

AfterHtml = Callable[[Pass], bool]  # background work after each build: True when done, False if stopped


def describe(error: BriefgenError, root: Path) -> tuple[str, ...]:
    """Each problem as `path:line: message`, paths relative to the project folder when inside it."""
    problems: tuple[BriefgenError, ...] = error.problems if isinstance(error, Problems) else (error,)
    prefix = str(root) + os.sep
    return tuple(
        shown(p, root) if isinstance(p, Problem) else str(p).replace(prefix, "") for p in problems
    ) or (str(error),)


class Background:
    """One worker thread running the latest job once no newer one came for `delay` seconds.

    A job not started yet is replaced by a newer one, so a burst of saves makes one PDF pass.
    """

    def __init__(self, log: Log = unlogged) -> None:
        self._log = log
        self._cond = threading.Condition()
        self._job: Callable[[], None] | None = None
        self._due = 0.0
        self._stopping = False
        self._busy = False
        self._thread = threading.Thread(target=self._run, name="briefgen-background", daemon=True)
        self._thread.start()

    def submit(self, job: Callable[[], None], delay: float = 0.0) -> None:
        with self._cond:
            self._job = job
            self._due = time.monotonic() + delay
            self._cond.notify_all()

    def _next(self) -> Callable[[], None] | None:
        with self._cond:
            while not self._stopping:
                wait = self._due - time.monotonic()
                if self._job is not None and wait <= 0:
                    job, self._job = self._job, None
                    self._busy = True
                    return job
                self._cond.wait(wait if self._job is not None else None)
            return None

    def _run(self) -> None:
        while (job := self._next()) is not None:
            try:
                job()
            except BriefgenError as error:
                self._log(f"briefgen: {error}")
            except Exception:
                self._log("briefgen: a background job failed:\n" + traceback.format_exc())
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()

    @property
    def busy(self) -> bool:
        with self._cond:
            return self._busy

    def wait_idle(self, timeout: float | None) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: self._job is None and not self._busy, timeout)

    def stop(self, timeout: float | None = None) -> bool:
        """Drop the waiting job and let the running one finish; False if it still runs after `timeout`."""
        with self._cond:
            self._stopping = True
            self._job = None
            self._cond.notify_all()
        self._thread.join(timeout)
        return not self._thread.is_alive()


class SiteBuilder:
    """The real builder: reread briefgen.yaml and build the pages; then, in the background, the PDFs.

    The pages are built without PDF digests or search index (`build(config, digests=False,
    search_index=False)`), so the browser hears about them at once. Once the saves have paused
    for `after_html_delay` seconds, a background thread makes the search index again if pages
    changed (a save stops Pagefind as it stops the PDF pass), then runs `after_html` (by
    default the PDF pass, `make_digests`). A save outranks the PDF pass: the save stops the pass
    and builds at once; the pass holds the output folder's lock only
    to put finished digests in place, and the next pass resumes with the day just edited.
    """

    def __init__(
        self,
        root: Path,
        load: Callable[[], SiteConfig],
        *,
        after_html: AfterHtml | None = make_digests,
        after_html_delay: float = 1.0,
        log: Log = unlogged,
        progress: Progress | None = None,
    ) -> None:
        self._root = root
        self._progress = progress  # hears the first build's stages (later ones are logged)
        self._load = load
        self._after_html = after_html
        self._delay = after_html_delay
        self._log = log
        self._lock = threading.Lock()  # the output folder and the cache
        self._stop = threading.Event()  # of the latest pass, running or waiting
        self._urgent: set[Path] = set()  # saved since the last complete pass
        self._failed: dict[str, str] = {}  # digests that failed for good, with their fingerprint
        self._background = Background(log) if after_html is not None else None
        self._resident = Resident()  # what each build keeps for the next (parse cache, index)
        self._looked: tuple[FirstLook, ...] = ()  # the pages shown before the build under way
        self._builds = 0  # builds begun: what the background makes for the first look is current
        # only if none began meanwhile
        self._tidy = IdleCollection()  # the collector's pass over a build's objects, once idle

    def first_look(self, sources: frozenset[Path], shown: frozenset[str]) -> tuple[FirstLook, ...]:
        """The pages among `shown` (output paths of open pages) that can be made before the build,
        when one article, person's, topic's or place's file or template was saved (see
        firstlook.py); often none."""
        self._looked = ()
        kept = self._resident.site
        if len(sources) != 1 or kept is None or not shown:
            return ()
        self._stop.set()  # a save outranks the PDF pass
        self._tidy.cancel()  # the collector's pass waits until the build after this save
        with self._lock, collector_paused():
            try:
                self._looked = first_looks(self._load(), kept, next(iter(sources)), shown)
            except BriefgenError:
                return ()  # the build says what is wrong
        return self._looked

    def __call__(self, sources: frozenset[Path]) -> RebuildReport:
        """Build the pages; `sources` (what changed) go first in the next PDF pass."""
        self._stop.set()  # a save outranks the PDF pass, which keeps what it finished
        self._tidy.cancel()
        self._builds += 1
        looked, self._looked = self._looked, ()
        with self._lock:
            try:
                config = self._load()
                later = self._after_html is not None  # digests and search index: in the background
                result = build(
                    config,
                    progress=self._progress if self._builds == 1 else None,
                    digests=False if later else None,
                    search_index=not later,
                    resident=self._resident,
                )
            except BriefgenError as error:
                return RebuildReport(errors=describe(error, self._root))
            finally:
                self._tidy.soon()
        if self._background is not None:
            stop = self._stop = threading.Event()
            self._urgent |= sources
            self._background.submit(lambda: self._after(config, stop), self._delay)
        return RebuildReport(
            changed=result.changed,
            removed=result.removed,
            warnings=tuple(line for w in result.warnings for line in describe(w, config.root)),
            summary=result.summary(),
            confirmed=tuple(look.output for look in looked if _made(config, look)),
        )

    def _after(self, config: SiteConfig, stop: threading.Event) -> None:
        if self._after_html is None or stop.is_set():
            return
        self._get_ready(config, stop)
        # the search index first (seconds, where digests may take minutes), without the output
        # folder's lock: Pagefind only reads the pages, a save stops it, and an index made from
        # pages that changed meanwhile is made again by the next pass
        note = update_search_index(config, stop)
        if note is not None:
            self._log(f"warning: {note}")
        urgent = frozenset(self._urgent)
        if self._after_html(Pass(config, urgent, stop, self._lock, self._log, self._failed)):
            self._urgent -= urgent

    def _get_ready(self, config: SiteConfig, stop: threading.Event) -> None:
        """After a build that left nothing for the first look (a first build with nothing to do
        goes no further than the inputs' times and sizes), make it here, so that the first save
        gets its pages first too. Kept only if no build began meanwhile (a newer one keeps its
        own); a content that does not load is left to the next build to report."""
        if self._resident.site is not None or stop.is_set():
            return
        builds = self._builds
        try:
            site = ready(config)
        except BriefgenError:
            return
        if builds == self._builds and self._resident.site is None:
            self._resident.site = site
            self._tidy.soon()

    @property
    def background_busy(self) -> bool:
        return self._background is not None and self._background.busy

    def wait_background(self, timeout: float | None = 60.0) -> bool:
        return self._background.wait_idle(timeout) if self._background is not None else True

    def close(self, timeout: float | None = None) -> bool:
        """Stop the background work; False if it still runs after `timeout` seconds."""
        self._stop.set()
        self._tidy.cancel()
        return self._background.stop(timeout) if self._background is not None else True


def _made(config: SiteConfig, looked: FirstLook) -> bool:
    """Whether the build wrote the page exactly as it was shown early."""
    try:
        return (config.output_dir / looked.output).read_bytes() == looked.data
    except OSError:
        return False
