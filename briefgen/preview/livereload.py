"""LiveReload: one rebuild at a time, requests held while it runs, and every open page told the
outcome over an event stream.

It is handed a builder (`Builder`: changed source paths -> `RebuildReport`) and never knows how to
build, so it runs just as well on a fake builder in tests; `SiteBuilder` (building.py) is the real one.
"""

from __future__ import annotations

import contextlib
import json
import queue
import secrets
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .firstlook import FirstLook

RESERVED = "/__briefgen__/"
SCRIPT_URL = RESERVED + "livereload.js"
EVENTS_URL = RESERVED + "events"
RETRY_MS = 500  # how soon a page reconnects after losing the server (a restart, say)
WAIT_FOR_BUILD_SECONDS = 120.0

Log = Callable[[str], None]


def unlogged(line: str) -> None:
    """Where lines go when no log is handed in (`briefgen serve` hands in its printer)."""


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

    def __init__(self, builder: Builder, *, first_look: Looker | None = None, log: Log = unlogged) -> None:
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
