"""Live preview: serve the output folder, rebuild on every save, and push reloads (or errors) to pages.

The server is handed a builder (`Builder`: changed source paths -> `RebuildReport`) and never knows how
to build, so it runs just as well on a fake builder in tests. `SiteBuilder` is the real one: it
rereads briefgen.yaml and calls `build()`; the output folder is written only by that build, and the
reload script is added to pages as they are served, never to the files on disk.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import html
import ipaddress
import json
import mimetypes
import os
import queue
import secrets
import socket
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from .build import Progress, build, update_search_index
from .collector import IdleCollection, collector_paused
from .config import SiteConfig
from .digest_pass import Pass, make_digests
from .engine.resident import Resident
from .errors import BriefgenError, Problem, Problems, shown
from .firstlook import FirstLook, first_looks, ready
from .theme import shipped_templates
from .watch import Sources, Watcher

RESERVED = "/__briefgen__/"
SCRIPT_URL = RESERVED + "livereload.js"
EVENTS_URL = RESERVED + "events"
KEEPALIVE_SECONDS = 15.0  # a comment line on idle event streams, so dead connections are noticed
RETRY_MS = 500  # how soon a page reconnects after losing the server (a restart, say)
WAIT_FOR_BUILD_SECONDS = 120.0
# On Ctrl-C or SIGTERM, how long a build or a PDF pass may take to finish: a build left unfinished
# is redone by the next one, and worker processes still running are ended as the command exits.
STOP_GRACE_SECONDS = 0.25

Log = Callable[[str], None]


def _unlogged(line: str) -> None:
    """Where lines go when no log is handed in (`briefgen serve` hands in its printer)."""


# --------------------------------------------------------------------------------------------
# Building


@dataclass(frozen=True, slots=True)
class RebuildReport:
    """What one rebuild did, as the browser needs it: output paths written and removed, or errors."""

    changed: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()  # `path:line: message`, one per problem; empty when the build worked
    warnings: tuple[str, ...] = ()
    summary: str = ""
    confirmed: tuple[str, ...] = ()  # pages shown early (a first look) that the build made the same

    @property
    def ok(self) -> bool:
        return not self.errors


Builder = Callable[[frozenset[Path]], RebuildReport]
# the pages to show before the build, given what was saved and the output paths of open pages
Looker = Callable[[frozenset[Path], frozenset[str]], tuple[FirstLook, ...]]
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

    def __init__(self, log: Log = _unlogged) -> None:
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
        log: Log = _unlogged,
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


# --------------------------------------------------------------------------------------------
# Rebuild state and the event stream


def _event(name: str, payload: dict[str, Any]) -> bytes:
    return f"event: {name}\ndata: {json.dumps(payload)}\n\n".encode()


@dataclass
class _State:
    building: bool = False
    generation: int = 0  # counts good builds that changed the output
    builds: int = 0
    errors: tuple[str, ...] = ()
    clients: dict[queue.SimpleQueue[bytes | None], tuple[str, ...]] = field(default_factory=dict)  # -> paths
    early: dict[str, bytes] = field(default_factory=dict)  # pages shown while the build under way runs


class LiveReload:
    """Runs one rebuild at a time, makes requests wait for it, and tells every open page the outcome."""

    def __init__(self, builder: Builder, *, first_look: Looker | None = None, log: Log = _unlogged) -> None:
        self._builder = builder
        self._first_look = first_look
        self._log = log
        self._one_build = threading.Lock()
        self._cond = threading.Condition()
        self._state = _State()
        self._closed = False
        self._warnings: tuple[str, ...] = ()
        self.server_id = secrets.token_hex(8)  # a restarted server has a new one: pages then reload

    @property
    def generation(self) -> int:
        with self._cond:
            return self._state.generation

    @property
    def builds(self) -> int:
        with self._cond:
            return self._state.builds

    @property
    def errors(self) -> tuple[str, ...]:
        with self._cond:
            return self._state.errors

    def rebuild(self, sources: frozenset[Path] = frozenset()) -> RebuildReport:
        with self._one_build:
            with self._cond:
                self._state.building = True
            started = time.perf_counter()
            try:
                self._show_early(sources)
                outcome = self._builder(sources)
            except Exception as error:  # a bug, not a user's mistake: keep serving, show it
                self._log(traceback.format_exc())
                outcome = RebuildReport(errors=(f"internal error while building: {error!r}",))
            except BaseException:  # Ctrl-C during the first build
                with self._cond:
                    self._state.building = False
                    self._state.early = {}
                    self._cond.notify_all()
                raise
            self._publish(outcome)
            self._report(outcome, time.perf_counter() - started)
            return outcome

    def _show_early(self, sources: frozenset[Path]) -> None:
        """Serve the pages made before the build (if any) and tell open pages."""
        if self._first_look is None or not sources:
            return
        with self._cond:
            shown = frozenset(path for paths in self._state.clients.values() for path in paths)
        try:
            looks = self._first_look(sources, shown)
        except Exception:  # a bug in the first look: the build still runs and makes every page
            self._log(traceback.format_exc())
            return
        if not looks:
            return
        with self._cond:
            self._state.early = {look.output: look.data for look in looks}
            message = _event("early", {"changed": [look.output for look in looks]})
            for client in self._state.clients:
                client.put(message)

    def shown_early(self, relative: str) -> tuple[bytes, int] | None:
        """The page at output path `relative` as shown before the build under way, with the
        generation it belongs to; None when there is no such page."""
        with self._cond:
            data = self._state.early.get(relative)
            return None if data is None else (data, self._state.generation)

    def _publish(self, outcome: RebuildReport) -> None:
        """Record the outcome, release waiting requests and tell every open page, in one step.

        One step, so a request released here is served with the generation of the files it gets.
        """
        with self._cond:
            state = self._state
            state.building = False
            state.early = {}
            state.builds += 1
            if outcome.ok:
                if outcome.changed or outcome.removed:
                    state.generation += 1
                state.errors = ()
                message = _event(
                    "built",
                    {
                        "generation": state.generation,
                        "changed": list(outcome.changed),
                        "removed": list(outcome.removed),
                        "confirmed": list(outcome.confirmed),
                    },
                )
            else:
                state.errors = outcome.errors
                message = _event("failed", {"errors": list(outcome.errors)})
            for client in state.clients:
                client.put(message)
            self._cond.notify_all()

    def _report(self, outcome: RebuildReport, seconds: float) -> None:
        stamp = time.strftime("%H:%M:%S")
        if not outcome.ok:
            self._log(f"{stamp} build failed; still serving the last good build:")
            for line in outcome.errors:
                self._log(f"  {line}")
            return
        self._log(f"{stamp} {outcome.summary or f'rebuilt in {seconds:.2f} s'}")
        if outcome.warnings != self._warnings:  # repeat warnings only when they change
            for line in outcome.warnings:
                self._log(f"warning: {line}")
        self._warnings = outcome.warnings

    def wait_for_build(self, timeout: float = WAIT_FOR_BUILD_SECONDS) -> int:
        """Block while a rebuild runs, so no request sees a half-written site; the generation after it.

        Once the server is stopping nothing waits: the answer no longer matters.
        """
        with self._cond:
            self._cond.wait_for(lambda: not self._state.building or self._closed, timeout)
            return self._state.generation

    @contextlib.contextmanager
    def subscribe(self, paths: tuple[str, ...] = ()) -> Iterator[queue.SimpleQueue[bytes | None]]:
        """A queue of event-stream messages for one page (showing the output files `paths`),
        starting with the current state."""
        messages: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        with self._cond:
            hello = {
                "server": self.server_id,
                "generation": self._state.generation,
                "errors": list(self._state.errors),
            }
            messages.put(f"retry: {RETRY_MS}\n".encode() + _event("hello", hello))
            if self._closed:
                messages.put(None)
            self._state.clients[messages] = paths
        try:
            yield messages
        finally:
            with self._cond:
                self._state.clients.pop(messages, None)
                self._cond.notify_all()

    def close(self, timeout: float = 5.0) -> None:
        """End every event stream and wait until their handlers have let go."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
            for client in self._state.clients:
                client.put(None)
            self._cond.wait_for(lambda: not self._state.clients, timeout)


# --------------------------------------------------------------------------------------------
# HTTP


_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".json": "application/json; charset=utf-8",
    ".xml": "application/xml; charset=utf-8",
    ".svg": "image/svg+xml; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".pdf": "application/pdf",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".ico": "image/x-icon",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
}


def content_type(path: Path) -> str:
    known = _TYPES.get(path.suffix.lower())
    if known:
        return known
    guessed, _ = mimetypes.guess_type(path.name, strict=False)
    if guessed is None:
        return "application/octet-stream"
    return f"{guessed}; charset=utf-8" if guessed.startswith("text/") else guessed


@dataclass(frozen=True, slots=True)
class Located:
    """Where a URL path leads inside the output folder."""

    relative: str  # the output path it names (`articles/x/index.html`), for the reload script
    file: Path | None = None  # the file to send; None: not found
    redirect: str | None = None  # a folder asked for without its trailing slash


def locate(root: Path, url_path: str) -> Located:
    """Map a URL path to a file inside `root`, refusing anything that could lead outside it.

    The path is percent-decoded exactly once (`%252e` stays `%2e`, a literal name); NUL bytes,
    backslashes, `.` and `..` segments and hidden names are refused; and the resolved file (after
    following symlinks) must still be inside the resolved output folder. Folders serve index.html
    and are never listed.
    """
    try:
        decoded = unquote(url_path, errors="strict")
    except UnicodeDecodeError:
        return Located("")
    parts = [part for part in decoded.split("/") if part]
    folder = not parts or decoded.endswith("/")
    relative = "/".join([*parts, "index.html"] if folder else parts)
    if "\x00" in decoded or "\\" in decoded or any(part.startswith(".") for part in parts):
        return Located(relative)
    base = root.resolve()
    candidate = base.joinpath(*parts)
    try:
        if candidate.is_dir():
            if not folder:
                return Located(relative, redirect=url_path + "/")
            candidate = candidate / "index.html"
        resolved = candidate.resolve()
        if not resolved.is_relative_to(base) or not resolved.is_file():
            return Located(relative)
    except (OSError, ValueError):  # a name too long, a loop of symlinks
        return Located(relative)
    return Located(relative, file=resolved)


@functools.cache
def reload_script() -> bytes:
    return (shipped_templates() / "serve" / "livereload.js").read_bytes()


_FALLBACK_404 = (
    '<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>Not found</title></head>\n'
    '<body style="font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem">\n'
    "<h1>Not found</h1>\n<p>There is no page at <code>{path}</code> in this preview.</p>\n"
    '<p><a href="/">Go to the home page</a></p>\n</body></html>\n'
)


class PreviewServer(ThreadingHTTPServer):
    """Serves one output folder plus the reserved /__briefgen__/ URLs; one thread per connection."""

    # Handlers are daemons: an idle keep-alive connection a browser opens as the server stops must
    # not keep the process alive for its 30 s timeout. stop() still ends every connection it knows.
    daemon_threads = True

    def __init__(self, address: tuple[str, int], root: Path, live: LiveReload, prefix: str = "/") -> None:
        self.root = root
        self.live = live
        self.prefix = prefix  # the path of `base_url` (`/briefing/`): the site is served under it
        self.host = address[0]
        self._sockets: set[socket.socket] = set()
        self._sockets_lock = threading.Lock()
        self._handlers: list[threading.Thread] = []
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, PreviewHandler)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        host = str(host)
        shown = f"[{host}]" if ":" in host else host
        return f"http://{shown}:{port}{self.prefix}"

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._sockets_lock:
            self._sockets.add(request)
        thread = threading.Thread(target=self.process_request_thread, args=(request, client_address))
        thread.daemon = True
        self._handlers = [t for t in self._handlers if t.is_alive()] + [thread]
        thread.start()

    def join_handlers(self, timeout: float = 5.0) -> None:
        """Wait for the handlers woken by drop_connections() to finish."""
        deadline = time.monotonic() + timeout
        for thread in list(self._handlers):
            thread.join(max(0.0, deadline - time.monotonic()))

    def shutdown_request(self, request: Any) -> None:
        with self._sockets_lock:
            self._sockets.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A browser that leaves mid-answer (a reload, a closed tab) is normal; anything else is a bug."""
        if isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            return
        super().handle_error(request, client_address)

    def drop_connections(self) -> None:
        """Wake handlers blocked reading an idle keep-alive connection, so they can finish."""
        with self._sockets_lock:
            for sock in list(self._sockets):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)


class PreviewHandler(BaseHTTPRequestHandler):
    server: PreviewServer
    protocol_version = "HTTP/1.1"  # keep-alive: a reload fetches the page and its CSS on one connection
    server_version = "briefgen-preview"
    timeout = 30  # an idle keep-alive connection is closed after this many seconds

    def do_GET(self) -> None:
        self._respond(head=False)

    def do_HEAD(self) -> None:
        self._respond(head=True)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the terminal is for build results and problems, not for every request."""

    def _respond(self, *, head: bool) -> None:
        asked = self.headers.get("Host")
        if asked is not None and not host_allowed(asked, self.server.host):
            message = (
                "This preview answers only to localhost, 127.0.0.1 and [::1] (or the --host it was "
                "started with); open it at one of those addresses.\n"
            )
            self._send(HTTPStatus.FORBIDDEN, "text/plain; charset=utf-8", message.encode(), head=head)
            return
        path = urlsplit(self.path).path
        if path.startswith(RESERVED):
            if path == EVENTS_URL and not head:
                shown = parse_qs(urlsplit(self.path).query).get("paths", [""])[0]
                self._events(tuple(shown.split()))
            elif path == SCRIPT_URL:
                self._send(HTTPStatus.OK, "text/javascript; charset=utf-8", reload_script(), head=head)
            else:
                self._not_found(path, Located(""), self.server.live.generation, head=head)
            return
        prefix = self.server.prefix
        if prefix != "/":  # served as a web server would with that base_url: pages only under it
            if path in ("/", prefix.rstrip("/")):
                self.send_response(HTTPStatus.FOUND)
                self.send_header("Location", prefix)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if not path.startswith(prefix):
                self._not_found(path, Located(""), self.server.live.generation, head=head)
                return
            path = "/" + path[len(prefix) :]
        found = locate(self.server.root, path)
        early = self.server.live.shown_early(found.relative) if found.redirect is None else None
        if early is not None:  # a page made before the build under way (a first look)
            data, generation = early
            page = self._with_script(data, [found.relative], generation, early=True)
            self._send(HTTPStatus.OK, _TYPES[".html"], page, head=head)
            return
        if found.relative.endswith(".html") or found.file is None:
            # a page waits for the build under way, so none is half old, half new; anything else
            # (a stylesheet, a picture) is served as it is: a page shown early needs its own at once
            generation = self.server.live.wait_for_build()  # read before the files: see the script's hello
            found = locate(self.server.root, path)
        else:
            generation = self.server.live.generation
        if found.redirect is not None:
            query = urlsplit(self.path).query
            self.send_response(HTTPStatus.MOVED_PERMANENTLY)
            location = prefix.rstrip("/") + found.redirect
            self.send_header("Location", location + (f"?{query}" if query else ""))
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if found.file is None:
            self._not_found(path, found, generation, head=head)
            return
        try:
            data = found.file.read_bytes()
        except OSError:
            self._not_found(path, found, generation, head=head)
            return
        kind = content_type(found.file)
        if kind.startswith("text/html"):
            data = self._with_script(data, [found.relative], generation)
        self._send(HTTPStatus.OK, kind, data, head=head)

    def _not_found(self, path: str, found: Located, generation: int, *, head: bool) -> None:
        """The site's own 404 page when it has one; it reloads once the missing page is built."""
        page = locate(self.server.root, "/404.html").file
        try:
            data = page.read_bytes() if page is not None else b""
        except OSError:
            data = b""
        if not data:
            data = _FALLBACK_404.format(path=html.escape(path)).encode()
        watched = [found.relative] if found.relative else []
        if found.relative and not found.relative.endswith(".html"):
            watched.append(f"{found.relative}/index.html")  # `/people` may be built as a folder
        watched.append("404.html")
        self._send(
            HTTPStatus.NOT_FOUND,
            "text/html; charset=utf-8",
            self._with_script(data, watched, generation),
            head=head,
        )

    def _with_script(self, page: bytes, paths: list[str], generation: int, early: bool = False) -> bytes:
        """Add the reload script, telling it which output files this page shows and how fresh they are.

        `generation` is read before the files, so a build finishing meanwhile is seen as missed
        (the page then reloads once) rather than as already shown. `early`: the page was made
        before the build under way (a first look), which reloads it only if it makes it otherwise.
        """
        flag = ' data-early="1"' if early else ""
        tag = (
            f'<script src="{SCRIPT_URL}" data-paths="{html.escape(" ".join(paths))}" '
            f'data-server="{self.server.live.server_id}" data-generation="{generation}"{flag} '
            "defer></script>\n"
        ).encode()
        at = page.lower().rfind(b"</body>")
        return page + tag if at < 0 else page[:at] + tag + page[at:]

    def _send(self, status: HTTPStatus, kind: str, data: bytes, *, head: bool) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")  # a preview is always the latest build
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        if not head:
            self.wfile.write(data)

    def _events(self, paths: tuple[str, ...]) -> None:
        self.close_connection = True
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Connection", "close")
        self.end_headers()
        with contextlib.suppress(OSError), self.server.live.subscribe(paths) as messages:
            while True:
                try:
                    message = messages.get(timeout=KEEPALIVE_SECONDS)
                except queue.Empty:
                    message = b": keep-alive\n\n"
                if message is None:
                    return
                self.wfile.write(message)
                self.wfile.flush()


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _ip(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def host_allowed(header: str, listening: str) -> bool:
    """Whether a request's Host header names this preview, against DNS rebinding.

    A page of another site whose name an attacker points at 127.0.0.1 reaches the preview with
    that name in its Host header: only loopback names and addresses, and the address the preview
    was started on, are answered. Listening on every address (0.0.0.0), any IP address and this
    machine's name are answered too: an address typed as digits cannot be rebound.
    """
    try:
        parts = urlsplit("//" + header)
        name, _ = parts.hostname, parts.port  # a port that is not a number is a ValueError
    except ValueError:
        return False
    if not name:
        return False
    address = _ip(name)
    if name == "localhost" or (address is not None and address.is_loopback):
        return True
    wanted = listening.strip("[]").lower()
    if name == wanted:
        return True
    wildcard = _ip(wanted)
    if not wanted or (wildcard is not None and wildcard.is_unspecified):
        return address is not None or name in _machine_names()
    return False


@functools.cache
def _machine_names() -> frozenset[str]:
    return frozenset({socket.gethostname().lower(), socket.getfqdn().lower()})


def bind(host: str, port: int, root: Path, live: LiveReload, prefix: str = "/") -> PreviewServer:
    """Open the listening socket, turning the usual failures into one clear sentence."""
    try:
        return PreviewServer((host, port), root, live, prefix)
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            raise BriefgenError(
                f"port {port} on {host} is already in use (another preview?); stop it, or choose "
                "another port with --port N (--port 0 picks a free one)"
            ) from None
        if error.errno == errno.EACCES:
            raise BriefgenError(f"not allowed to listen on port {port}; use a port above 1023") from None
        raise BriefgenError(f"cannot listen on {host}:{port}: {error.strerror or error}") from None


# --------------------------------------------------------------------------------------------
# The whole preview


class Preview:
    """The server, the watcher and the rebuild state together; `start()` builds once, then serves."""

    def __init__(
        self,
        builder: Builder,
        output: Path,
        *,
        sources: Sources | None = None,
        host: str = "127.0.0.1",
        port: int = 8000,
        quiet: float = 0.05,
        log: Log = _unlogged,
        prefix: str = "/",
        first_look: Looker | None = None,
    ) -> None:
        self.live = LiveReload(builder, first_look=first_look, log=log)
        self.server = bind(host, port, output, self.live, prefix)
        self.watcher = (
            Watcher(sources, self.live.rebuild, quiet=quiet, log=log) if sources is not None else None
        )
        self._thread = threading.Thread(
            target=self.server.serve_forever, args=(0.05,), name="briefgen-http", daemon=True
        )  # serve_forever checks for shutdown() every 0.05 s
        self._started = False

    @property
    def url(self) -> str:
        return self.server.url

    def start(self, *, build: bool = True) -> None:
        """Watch first (a save during the first build is not lost), build, then answer requests."""
        self._started = True
        if self.watcher is not None:
            self.watcher.start()
        if build:
            self.live.rebuild()
        self._thread.start()

    def stop(self, grace: float = 60.0) -> None:
        """Stop watching and rebuilding, end every connection and close the socket.

        A rebuild in progress has `grace` seconds to finish; after that it is left behind (the
        command exits meanwhile: a build stopped halfway leaves the last site and is redone).
        """
        if self.watcher is not None and self._started:
            self.watcher.stop(grace)
        self.live.close()
        if self._thread.is_alive():
            self.server.shutdown()
            self._thread.join()
        self.server.drop_connections()
        self.server.server_close()
        self.server.join_handlers(min(grace, 5.0))

    def __enter__(self) -> Preview:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


__all__ = [
    "Builder",
    "LiveReload",
    "Preview",
    "RebuildReport",
    "SiteBuilder",
    "describe",
    "locate",
]
