"""Watch the project's sources and turn each burst of file events into one call of a handed-in rebuild.

The watcher knows nothing about building: it filters the noise editors make (swap, backup and
temporary files, events in the output folder), waits until a burst of events has gone quiet, and
calls `rebuild(paths)` with every source path that changed. Events that arrive during a rebuild are
kept for the next one, so the last save is never lost, and rebuilds never overlap.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import threading
import time
import traceback
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver, ObservedWatch

from ..config import CONFIG_FILE, SiteConfig
from ..engine.cache import CACHE_DIR
from ..errors import BriefgenError

Rebuild = Callable[[frozenset[Path]], object]


# What editors write besides the file being saved. A save often arrives as a temporary file renamed
# over the real one; the rename's destination is the real file, so only the noise itself is dropped.
_NOISE_NAME = re.compile(
    r"""
      ~$                      # backups: article.md~ (vim, emacs, gedit)
    | \.sw(?:[a-p]|x|px)$     # vim swap files (article.md.swp, .swo, ...) and .swx, .swpx probes
    | ^\d+$                   # vim's write probe: 4913, 5036, ...
    | ___jb_(?:tmp|old)___$   # JetBrains safe write
    | ^\#.*\#$                # emacs auto-save: #article.md#
    | \.(?:tmp|temp|bak|orig|part|crdownload|kate-swp)$
    """,
    re.VERBOSE,
)
_NOISE_DIRS = frozenset({"__pycache__", "node_modules"})
_LIMIT_HINT = (
    "; the system's limit on watched folders is reached (on Linux, raise it with "
    "`sudo sysctl fs.inotify.max_user_watches=524288`)"
)


def is_editor_noise(relative: Path) -> bool:
    """True for a path (relative to a watched folder) that is an editor's by-product, not a source.

    Hidden names are noise too: `.git`, `.#article.md` (emacs lock), `.article.md.swp`,
    `.goutputstream-XXXX` (gedit), `.DS_Store`; briefgen itself ignores hidden files.
    """
    parts = relative.parts
    if any(part.startswith(".") or part in _NOISE_DIRS for part in parts):
        return True
    return bool(parts) and _NOISE_NAME.search(parts[-1]) is not None


@dataclass(frozen=True, slots=True)
class Sources:
    """What to watch: folders (with everything inside), single files, and folders to ignore."""

    folders: tuple[Path, ...]
    files: tuple[Path, ...] = ()
    ignore: tuple[Path, ...] = ()

    def accept(self, raw: str | bytes) -> Path | None:
        """The path of an event if it names a source, else None."""
        path = Path(os.path.abspath(os.fsdecode(raw)))
        if any(path == d or path.is_relative_to(d) for d in self.ignore):
            return None
        if path in self.files:
            return path
        for folder in self.folders:
            if path.is_relative_to(folder):
                return None if is_editor_noise(path.relative_to(folder)) else path
        return None


def _absolute(path: Path) -> Path:
    return Path(os.path.abspath(path))


def project_sources(config: SiteConfig) -> Sources:
    """Content, the site's templates and static files, and briefgen.yaml; never the output or cache."""
    return Sources(
        folders=tuple(
            _absolute(p) for p in dict.fromkeys((config.content_dir, config.templates_dir, config.static_dir))
        ),
        files=(_absolute(config.root / CONFIG_FILE),),
        ignore=(_absolute(config.output_dir), _absolute(config.root / CACHE_DIR)),
    )


class _Handler(FileSystemEventHandler):
    def __init__(self, sources: Sources, notify: Callable[[set[Path]], None]) -> None:
        self.sources = sources
        self.notify = notify

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type not in ("created", "modified", "deleted", "moved", "attrib"):
            return  # opened, closed: nothing changed (attrib counts: `touch` asks for a rebuild)
        if event.is_directory and event.event_type == "modified":
            return  # a folder's mtime moves with every file saved in it; the file's own event counts
        raws = [event.src_path]
        if event.event_type == "moved" and event.dest_path:
            raws.append(event.dest_path)  # `tmp -> article.md`: the destination is the real save
        hits = {p for p in map(self.sources.accept, raws) if p is not None}
        if hits:
            self.notify(hits)


Log = Callable[[str], None]  # where the lines for the terminal go: the command hands in its printer


def _unlogged(line: str) -> None:
    """Where lines go when no log is handed in."""


class RebuildLoop:
    """One thread that calls `rebuild(paths)` once a burst of changes has gone quiet.

    A burst ends after `quiet` seconds without a new change, or after `patience` seconds in all,
    so a file written continuously still gets rebuilt. Changes made during a rebuild are batched
    into the next one.
    """

    def __init__(
        self, rebuild: Rebuild, *, quiet: float = 0.05, patience: float = 0.5, log: Log | None = None
    ) -> None:
        self._rebuild = rebuild
        self._log = log or _unlogged
        self.quiet = quiet
        self.patience = patience
        self._cond = threading.Condition()
        self._pending: set[Path] = set()
        self._first = 0.0
        self._last = 0.0
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="briefgen-rebuild", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def notify(self, paths: Iterable[Path]) -> None:
        with self._cond:
            now = time.monotonic()
            if not self._pending:
                self._first = now
            self._pending.update(paths)
            self._last = now
            self._cond.notify_all()

    def _next_batch(self) -> frozenset[Path] | None:
        with self._cond:
            while not self._stopping:
                if not self._pending:
                    self._cond.wait()
                    continue
                due = min(self._last + self.quiet, self._first + self.patience)
                wait = due - time.monotonic()
                if wait <= 0:
                    batch = frozenset(self._pending)
                    self._pending.clear()
                    return batch
                self._cond.wait(wait)
            return None

    def _run(self) -> None:
        while (batch := self._next_batch()) is not None:
            try:
                self._rebuild(batch)
            except Exception:  # a bug in one rebuild must not end live preview
                self._log(traceback.format_exc().rstrip("\n"))

    def stop(self, timeout: float = 60.0) -> None:
        """Stop after the rebuild in progress, if any; pending changes are dropped."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._thread.is_alive():
            self._thread.join(timeout)


class Watcher:
    """watchdog on the sources, feeding a RebuildLoop; `start()` and `stop()` own both threads."""

    def __init__(
        self,
        sources: Sources,
        rebuild: Rebuild,
        *,
        quiet: float = 0.05,
        patience: float = 0.5,
        log: Log | None = None,
    ) -> None:
        self.sources = sources
        self._log = log or _unlogged
        self._loop = RebuildLoop(self._rebuild, quiet=quiet, patience=patience, log=self._log)
        self._rebuild_sources = rebuild
        self._handler = _Handler(sources, self._loop.notify)
        self._observer: BaseObserver = Observer()
        self._watches: dict[Path, ObservedWatch] = {}

    def start(self) -> None:
        # When a tree of folders appears at once (`mkdir -p static/img/icons`), watchdog's inotify
        # emitter may register the same callback twice and warn; the second registration replaces
        # the first with itself, so nothing is wrong, and the warning must not reach the terminal
        # (nor, where warnings are errors, end the emitter's thread and with it all watching).
        warnings.filterwarnings(
            "ignore", message="Callback with id", category=RuntimeWarning, module=r"watchdog\."
        )
        self._schedule()
        self._observer.start()
        self._loop.start()

    def _schedule(self) -> None:
        """Watch every source folder that exists, and, flat, the folders holding the single files.

        Each source folder's parent is watched flat too, so creating `templates/` later is seen;
        `_rebuild` then calls this again to watch inside it.
        """
        wanted: dict[Path, bool] = {}
        for folder in self.sources.folders:
            wanted[folder.parent] = wanted.get(folder.parent, False)
        for file in self.sources.files:
            wanted[file.parent] = wanted.get(file.parent, False)
        for folder in self.sources.folders:
            wanted[folder] = True
        for folder, recursive in wanted.items():
            watch = self._watches.get(folder)
            if watch is not None and (watch.is_recursive == recursive and folder.is_dir()):
                continue
            if watch is not None:  # gone, or now needed recursively
                with contextlib.suppress(KeyError):
                    self._observer.unschedule(watch)
                del self._watches[folder]
            if folder.is_dir():
                try:
                    watch = self._observer.schedule(self._handler, str(folder), recursive=recursive)
                except OSError as error:
                    raise BriefgenError(
                        f"cannot watch {folder}: {error.strerror or error}"
                        + (_LIMIT_HINT if error.errno in (errno.ENOSPC, errno.EMFILE) else "")
                    ) from None
                self._watches[folder] = watch

    def _rebuild(self, paths: frozenset[Path]) -> object:
        if any(p in self.sources.folders for p in paths):
            try:
                self._schedule()  # a source folder appeared (or went): watch inside it from now on
            except BriefgenError as error:
                self._log(f"briefgen: warning: {error}")
        return self._rebuild_sources(paths)

    def stop(self, timeout: float = 60.0) -> None:
        """Stop watching; a rebuild in progress has `timeout` seconds to finish."""
        self._observer.stop()
        self._loop.stop(timeout)
        if self._observer.is_alive():
            self._observer.join(min(timeout, 10))

    def __enter__(self) -> Watcher:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
