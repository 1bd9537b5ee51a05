"""Live preview: serve the output folder, rebuild on every save, and push reloads (or errors) to pages.

`Preview` puts together the watcher (watch.py), the rebuild state and its event stream
(livereload.py) and the HTTP server (http.py); the builder it is handed decides how to build
(`SiteBuilder`, building.py, for `briefgen serve`).
"""

from __future__ import annotations

import threading
from pathlib import Path

from .http import bind
from .livereload import Builder, LiveReload, Log, Looker, unlogged
from .watch import Sources, Watcher

# On Ctrl-C or SIGTERM, how long a build or a PDF pass may take to finish: a build left unfinished
# is redone by the next one, and worker processes still running are ended as the command exits.
STOP_GRACE_SECONDS = 0.25


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
        log: Log = unlogged,
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
