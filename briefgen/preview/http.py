"""The preview's HTTP side: the output folder served safely (`locate`), the reload script added
to pages as they are sent (never to the files on disk), the event stream, and the Host check
against DNS rebinding.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import html
import ipaddress
import mimetypes
import queue
import socket
import sys
import threading
import time
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from ..errors import BriefgenError
from ..theme import shipped_templates
from .livereload import EVENTS_URL, RESERVED, SCRIPT_URL, LiveReload

KEEPALIVE_SECONDS = 15.0  # a comment line on idle event streams, so dead connections are noticed


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
