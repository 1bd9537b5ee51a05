"""The preview server over plain HTTP: what it serves, what it refuses, and how it starts and stops.

Most tests hand the server a fake builder that writes files, as MkDocs' livereload tests do; a few
run the real build on a tiny site, and a few run `briefgen serve` as a process and signal it.
"""

from __future__ import annotations

import http.client
import json
import os
import pty
import re
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import article

from briefgen.config import load_config
from briefgen.preview.building import SiteBuilder
from briefgen.preview.digest_pass import Pass
from briefgen.preview.firstlook import FirstLook
from briefgen.preview.http import host_allowed
from briefgen.preview.livereload import EVENTS_URL, SCRIPT_URL, RebuildReport
from briefgen.preview.server import Preview
from briefgen.preview.watch import Sources


def quiet(line: str) -> None:
    """Swallow the server's terminal output."""


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")


def fetch(url: str, path: str, method: str = "GET") -> Response:
    """Send `path` exactly as written (no client-side cleanup of dots or escapes)."""
    host, port = url.removeprefix("http://").rstrip("/").rsplit(":", 1)
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        conn.request(method, path)
        response = conn.getresponse()
        body = response.read()
        return Response(response.status, {k.lower(): v for k, v in response.getheaders()}, body)
    finally:
        conn.close()


class EventStream:
    """A reader of the server's event stream, as a page's EventSource would see it."""

    def __init__(self, url: str, paths: str = "") -> None:
        host, port = url.removeprefix("http://").rstrip("/").rsplit(":", 1)
        self.conn = http.client.HTTPConnection(host, int(port), timeout=10)
        self.conn.request("GET", EVENTS_URL + (f"?paths={paths}" if paths else ""))
        self.response = self.conn.getresponse()
        assert self.response.getheader("Content-Type", "").startswith("text/event-stream")

    def next(self) -> tuple[str, dict[str, object]]:
        name, data = "", ""
        while True:
            line = self.response.readline()
            if not line:
                raise EOFError("the server closed the event stream")
            text = line.decode("utf-8").rstrip("\n")
            if text.startswith("event: "):
                name = text.removeprefix("event: ")
            elif text.startswith("data: "):
                data = text.removeprefix("data: ")
            elif text == "" and name:
                return name, json.loads(data)

    def close(self) -> None:
        self.response.close()
        self.conn.close()


class FakeSite:
    """A builder that writes `files` into the output folder, like build(), and reports what it wrote."""

    def __init__(self, out: Path, files: dict[str, str | bytes]) -> None:
        self.out = out
        self.files = files
        self.errors: tuple[str, ...] = ()
        self.hold: threading.Event | None = None
        self.running = threading.Event()

    def __call__(self, sources: frozenset[Path]) -> RebuildReport:
        self.running.set()
        try:
            if self.hold is not None:
                self.hold.wait(10)
            if self.errors:
                return RebuildReport(errors=self.errors)
            for name, data in self.files.items():
                path = self.out / name
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
            return RebuildReport(changed=tuple(self.files))
        finally:
            self.running.clear()


PAGE = "<!doctype html><html><head><title>{0}</title></head><body><h1>{0}</h1></body></html>\n"
SITE: dict[str, str | bytes] = {
    "index.html": PAGE.format("Home"),
    "people/index.html": PAGE.format("People"),
    "404.html": PAGE.format("This page does not exist"),
    "static/style.css": "body { color: black }\n",
    "static/app.js": "console.log('hi');\n",
    "static/data.json": "{}\n",
    "static/logo.png": b"\x89PNG\r\n\x1a\n",
    "static/logo.svg": "<svg xmlns='http://www.w3.org/2000/svg'/>",
    "digests/2023-06-18.pdf": b"%PDF-1.7\n",
    ".briefgen-output": '{"generator": "briefgen"}',
}


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[..., tuple[Preview, FakeSite]]]:
    previews: list[Preview] = []

    def start(files: dict[str, str | bytes] | None = None) -> tuple[Preview, FakeSite]:
        site = FakeSite(tmp_path / "site", dict(SITE if files is None else files))
        preview = Preview(site, site.out, port=0, log=quiet)
        previews.append(preview)
        preview.start()
        return preview, site

    yield start
    for preview in previews:
        preview.stop()


@pytest.fixture
def served(serve: Callable[..., tuple[Preview, FakeSite]]) -> Preview:
    return serve()[0]


# --- what is served -----------------------------------------------------------------------------


def test_the_server_listens_on_loopback_by_default(served):
    assert served.server.server_address[0] == "127.0.0.1"
    assert served.url.startswith("http://127.0.0.1:")


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("/index.html", "text/html; charset=utf-8"),
        ("/static/style.css", "text/css; charset=utf-8"),
        ("/static/app.js", "text/javascript; charset=utf-8"),
        ("/static/data.json", "application/json; charset=utf-8"),
        ("/static/logo.svg", "image/svg+xml; charset=utf-8"),
        ("/static/logo.png", "image/png"),
        ("/digests/2023-06-18.pdf", "application/pdf"),
        (SCRIPT_URL, "text/javascript; charset=utf-8"),
    ],
)
def test_each_file_is_sent_with_its_content_type(served, path, kind):
    response = fetch(served.url, path)
    assert response.status == 200
    assert response.headers["content-type"] == kind
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "no-store"  # the browser always asks for the latest build


def test_folder_urls_serve_their_index_and_a_folder_without_slash_redirects(served):
    assert "<h1>People</h1>" in fetch(served.url, "/people/").text
    assert "<h1>Home</h1>" in fetch(served.url, "/").text
    redirect = fetch(served.url, "/people?x=1")
    assert redirect.status == 301
    assert redirect.headers["location"] == "/people/?x=1"


def test_folders_are_never_listed(served):
    response = fetch(served.url, "/static/")
    assert response.status == 404
    assert "style.css" not in response.text


def test_a_missing_page_gets_the_sites_404_page_which_reloads_once_the_page_exists(served):
    response = fetch(served.url, "/articles/not-yet/")
    assert response.status == 404
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert "This page does not exist" in response.text
    assert 'data-paths="articles/not-yet/index.html 404.html"' in response.text


def test_without_a_404_page_the_server_has_its_own(serve):
    preview, _ = serve({"index.html": PAGE.format("Home")})
    response = fetch(preview.url, "/nowhere/<b>")
    assert response.status == 404
    assert "Not found" in response.text
    assert "<b>" not in response.text  # the requested path is shown escaped
    assert SCRIPT_URL in response.text


def test_head_sends_the_headers_of_get_without_a_body(served):
    get = fetch(served.url, "/static/style.css")
    head = fetch(served.url, "/static/style.css", method="HEAD")
    assert head.status == 200 and head.body == b""
    assert head.headers["content-type"] == get.headers["content-type"]
    assert head.headers["content-length"] == str(len(get.body))
    assert fetch(served.url, "/missing", method="HEAD").status == 404


def test_pages_are_served_with_the_reload_script_but_files_on_disk_never_hold_it(served):
    response = fetch(served.url, "/people/")
    assert (
        f'<script src="{SCRIPT_URL}" data-paths="people/index.html" data-server="{served.live.server_id}"'
        in response.text
    )
    assert response.text.index(SCRIPT_URL) < response.text.index("</body>")
    assert int(response.headers["content-length"]) == len(response.body)
    assert SCRIPT_URL not in (served.server.root / "people" / "index.html").read_text("utf-8")
    assert SCRIPT_URL not in fetch(served.url, "/static/app.js").text  # only HTML gets it


# --- what is refused ----------------------------------------------------------------------------

TRAVERSALS = [
    "/../secret.txt",
    "/../../secret.txt",
    "/%2e%2e/secret.txt",
    "/%2E%2E%2Fsecret.txt",
    "/static/..%2f..%2fsecret.txt",
    "/%252e%252e/secret.txt",  # double-encoded: decoded once it is the literal name %2e%2e
    "/%252e%252e%252fsecret.txt",
    "/..%5csecret.txt",
    "/..\\secret.txt",
    "/static\\..\\..\\secret.txt",
    "/%00/../secret.txt",
    "/index.html%00.css",
    "/%2fsecret.txt",
    "//secret.txt",
    "/outside/secret.txt",  # a symlink to a folder outside the output
    "/leak.txt",  # a symlink to a file outside the output
    "/.briefgen-output",  # briefgen's own bookkeeping
    "/%ff%fe",  # not UTF-8
]


@pytest.mark.parametrize("path", TRAVERSALS)
def test_nothing_outside_the_output_folder_can_be_read(served, tmp_path, path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET", "utf-8")
    root = served.server.root
    if not (root / "outside").exists():
        (root / "outside").symlink_to(tmp_path, target_is_directory=True)
        (root / "leak.txt").symlink_to(secret)
    response = fetch(served.url, path)
    assert response.status in (400, 404)
    assert b"TOP SECRET" not in response.body


def test_a_literal_percent_name_is_found_by_its_single_encoding(serve):
    """`%252e` is the file named `%2e`: decoded once, never twice."""
    preview, _ = serve({"%2e.txt": "literal", "index.html": PAGE.format("Home")})
    assert fetch(preview.url, "/%252e.txt").text == "literal"
    assert fetch(preview.url, "/%2e.txt").status == 404  # decoded, that is `..txt`: a hidden name


# --- rebuilds -----------------------------------------------------------------------------------


def test_a_request_during_a_rebuild_waits_for_it_and_gets_the_new_page(serve):
    preview, site = serve()
    site.files = {"index.html": PAGE.format("Home, rebuilt")}
    site.hold = threading.Event()
    rebuild = threading.Thread(target=preview.live.rebuild)
    rebuild.start()
    assert site.running.wait(5)
    answer = answered_once_built(preview, site, "/")
    rebuild.join(10)
    assert "Home, rebuilt" in answer.text


def answered_once_built(preview: Preview, site: FakeSite, path: str) -> Response:
    """Ask for `path` while `site` holds its build: the answer comes only once the build is let go."""
    answers: list[Response] = []
    request = threading.Thread(target=lambda: answers.append(fetch(preview.url, path)))
    request.start()
    request.join(0.3)
    assert not answers, "the request was answered while the site was half built"
    assert site.hold is not None
    site.hold.set()
    request.join(10)
    return answers[0]


def test_a_page_shown_early_is_served_at_once_while_the_build_runs_and_other_pages_wait(tmp_path):
    site = FakeSite(tmp_path / "site", dict(SITE))
    saved = tmp_path / "content" / "talks.md"
    early = PAGE.format("People, as saved")

    def look(sources: frozenset[Path], shown: frozenset[str]) -> tuple[FirstLook, ...]:
        assert sources == {saved} and shown == {"people/index.html"}  # what the open page said it shows
        return (FirstLook("people/index.html", early.encode()),)

    preview = Preview(site, site.out, port=0, log=quiet, first_look=look)
    preview.start()
    stream = EventStream(preview.url, paths="people/index.html")
    try:
        assert stream.next()[0] == "hello"
        site.files = {
            "people/index.html": PAGE.format("People, built"),
            "index.html": PAGE.format("Home, built"),
        }
        site.hold = threading.Event()
        rebuild = threading.Thread(target=preview.live.rebuild, args=(frozenset({saved}),))
        rebuild.start()
        assert site.running.wait(5)
        assert stream.next() == ("early", {"changed": ["people/index.html"]})
        shown = fetch(preview.url, "/people/")  # the build is held: this is the page made before it
        assert "People, as saved" in shown.text and 'data-early="1"' in shown.text
        assert fetch(preview.url, "/static/style.css").text == SITE["static/style.css"]  # not held either
        home = answered_once_built(preview, site, "/")  # any other page waits for the build
        rebuild.join(10)
        assert "Home, built" in home.text
        assert stream.next()[0] == "built"
        after = fetch(preview.url, "/people/").text  # once built, the page on disk again
        assert "People, built" in after and "data-early" not in after
    finally:
        stream.close()
        preview.stop()


def test_open_pages_hear_which_files_changed(served):
    stream = EventStream(served.url)
    try:
        name, hello = stream.next()
        assert name == "hello" and hello["errors"] == [] and hello["server"] == served.live.server_id
        served.live.rebuild()
        name, built = stream.next()
        assert name == "built"
        assert "people/index.html" in built["changed"]  # type: ignore[operator]
        assert built["generation"] == hello["generation"] + 1  # type: ignore[operator]
    finally:
        stream.close()


def test_a_failed_rebuild_is_pushed_and_shown_to_pages_opened_later_until_fixed(serve):
    preview, site = serve()
    stream = EventStream(preview.url)
    try:
        stream.next()  # hello
        site.errors = ("content/a.md:3: YAML syntax error: unclosed quote",)
        preview.live.rebuild()
        assert stream.next() == ("failed", {"errors": ["content/a.md:3: YAML syntax error: unclosed quote"]})
        # the last good site stays served underneath
        assert "<h1>Home</h1>" in fetch(preview.url, "/").text
        later = EventStream(preview.url)
        try:
            name, hello = later.next()
            assert name == "hello" and hello["errors"] == list(site.errors)
        finally:
            later.close()
        site.errors = ()  # fixed: the next build works, and the overlay goes
        preview.live.rebuild()
        assert stream.next()[0] == "built"
        assert preview.live.errors == ()
    finally:
        stream.close()


def test_stopping_ends_event_streams_and_every_thread(serve):
    before = set(threading.enumerate())
    preview, _ = serve()
    stream = EventStream(preview.url)
    try:
        stream.next()
        keep_alive = http.client.HTTPConnection(*preview.server.server_address[:2], timeout=10)
        keep_alive.request("GET", "/")
        keep_alive.getresponse().read()  # the connection stays open, its handler waiting for more
        preview.stop()
        with pytest.raises(EOFError):
            stream.next()
        keep_alive.close()
    finally:
        stream.close()
    assert [t.name for t in set(threading.enumerate()) - before] == []


# --- the real build -----------------------------------------------------------------------------


@pytest.fixture
def real(make_site, tmp_path) -> Iterator[tuple[Preview, Path]]:
    project = make_site({"briefgen.yaml": "title: Before\nlanguage: en\n"})
    config = load_config(project.root)
    builder = SiteBuilder(project.root, lambda: load_config(project.root))
    preview = Preview(builder, config.output_dir, port=0, log=quiet)
    preview.start()
    yield preview, project.root
    preview.stop()
    builder.close()


def test_a_config_change_reaches_every_page(real):
    preview, root = real
    assert "Before" in fetch(preview.url, "/").text
    (root / "briefgen.yaml").write_text("title: After\nlanguage: en\n", "utf-8")
    outcome = preview.live.rebuild()
    assert outcome.ok and "index.html" in outcome.changed
    assert "After" in fetch(preview.url, "/").text
    assert "After" in fetch(preview.url, "/articles/2023-06-18-talks/").text


def test_a_broken_article_reports_file_and_line_and_keeps_the_last_good_site(real):
    preview, root = real
    (root / "content" / "2023-06-18-talks.md").write_text(
        '---\ntitle: "Blinken meets Qin\ndate: 2023-06-18\n---\nBody\n', "utf-8"
    )
    outcome = preview.live.rebuild()
    assert not outcome.ok
    assert any(line.startswith("content/2023-06-18-talks.md:2: YAML") for line in outcome.errors), outcome
    assert "five hours" in fetch(preview.url, "/articles/2023-06-18-talks/").text


def test_slow_work_after_the_html_runs_in_the_background(make_site):
    project = make_site()
    started, release = threading.Event(), threading.Event()

    def slow(job: Pass) -> bool:
        started.set()
        release.wait(10)
        return True

    builder = SiteBuilder(
        project.root, lambda: load_config(project.root), after_html=slow, after_html_delay=0
    )
    try:
        outcome = builder(frozenset())  # returns while `slow` is still running
        assert outcome.ok and "index.html" in outcome.changed
        assert started.wait(5)
        assert not builder.wait_background(0.05)
        release.set()
        assert builder.wait_background(5)
    finally:
        release.set()
        builder.close()


@pytest.mark.slow
def test_pdf_digests_follow_the_pages_in_a_second_pass(make_site):
    project = make_site({"briefgen.yaml": "digest:\n  enabled: true\n"})
    builder = SiteBuilder(project.root, lambda: load_config(project.root), after_html_delay=0)
    try:
        outcome = builder(frozenset())
        assert "articles/2023-06-18-talks/index.html" in outcome.changed
        assert not [p for p in outcome.changed if p.endswith(".pdf")]  # the reload does not wait for them
        assert builder.wait_background(120)
        assert (project.root / "site" / "digests" / "2023-06-18.pdf").read_bytes().startswith(b"%PDF")
    finally:
        builder.close()


# --- the command --------------------------------------------------------------------------------


def start_command(root: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "briefgen", "-C", str(root), "serve", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def url_printed_by(process: subprocess.Popen[str]) -> str:
    assert process.stdout is not None
    line = process.stdout.readline()
    assert " at http://" in line, line + (process.stderr.read() if process.stderr else "")
    return line.split(" at ", 1)[1].split()[0]


def test_on_a_terminal_the_first_build_shows_its_stages_then_the_address_on_a_clean_line(make_site):
    project = make_site()
    leader, follower = pty.openpty()  # a terminal, as the command's stderr and stdout
    command = [sys.executable, "-m", "briefgen", "-C", str(project.root), "serve", "--port", "0"]
    with subprocess.Popen(command, stdout=follower, stderr=follower) as process:
        os.close(follower)
        seen = b""
        deadline = time.monotonic() + 60
        while b"(Ctrl-C to stop)" not in seen and time.monotonic() < deadline:
            ready, _, _ = select.select([leader], [], [], 1.0)
            if ready:
                seen += os.read(leader, 65536)
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=20)
    os.close(leader)
    text = seen.decode()
    assert "\x1b[Kreading the content…" in text
    assert "\x1b[Krendering [" + "#" * 30 + "] 37/37" in text
    # the line is cleared before the build's log line, and the address has a line of its own
    assert re.search(r"\r\x1b\[K\d\d:\d\d:\d\d built 37 pages", text), text[-300:]
    assert re.search(r"\r\nserving \S+ at http://127\.0\.0\.1:\d+/", text), text[-300:]


def test_the_builds_after_the_first_are_logged_not_shown_as_progress(make_site):
    project = make_site()
    heard: list[str] = []
    builder = SiteBuilder(
        project.root,
        lambda: load_config(project.root),
        after_html=None,
        progress=lambda stage, done=0, total=0: heard.append(stage),
    )
    builder(frozenset())
    assert heard[0] == "reading the content" and "rendering" in heard
    count = len(heard)
    project.write({"content/2023-06-18-talks.md": article("Talks again", "2023-06-18")})
    builder(frozenset({project.root / "content/2023-06-18-talks.md"}))
    assert len(heard) == count


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_the_command_serves_on_loopback_and_stops_cleanly_on_sigterm_and_ctrl_c(make_site, stop):
    project = make_site()
    with start_command(project.root) as process:
        url = url_printed_by(process)
        assert url.startswith("http://127.0.0.1:")
        assert fetch(url, "/articles/2023-06-18-talks/").status == 200
        process.send_signal(stop)
        out, err = process.communicate(timeout=20)
    assert process.returncode == 0, err
    assert "stopped" in out
    assert "Traceback" not in err


def test_listening_beyond_loopback_warns(make_site):
    project = make_site()
    with start_command(project.root, "--host", "0.0.0.0") as process:
        url_printed_by(process)
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=20)
    assert "warning: listening on 0.0.0.0" in err
    assert process.returncode == 0


def test_a_busy_port_is_a_clear_error(make_site, cli):
    project = make_site()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = cli(project, "serve", "--port", str(port))
    assert result.code == 1
    assert f"port {port} on 127.0.0.1 is already in use" in result.err
    assert "--port 0" in result.err
    assert not (project.root / "site").exists()  # it stopped before building anything


@pytest.mark.parametrize("port", ["99999", "-1", "http"])
def test_a_port_that_cannot_be_is_a_usage_error(make_site, cli, capsys, port):
    project = make_site()
    with pytest.raises(SystemExit) as stopped:  # argparse's own exit, as for any usage error
        cli(project, "serve", "--port", port)
    assert stopped.value.code == 2
    assert f"argument --port: '{port}' is not a port number (0 to 65535)" in capsys.readouterr().err
    assert not (project.root / "site").exists()


def test_serving_refuses_an_output_folder_it_could_wipe(make_site, cli):
    project = make_site()
    result = cli(project, "serve", "--port", "0", "--out", ".")
    assert result.code == 1
    assert "refusing to write into" in result.err
    assert os.listdir(project.root)  # nothing removed


# --- DNS rebinding: only requests naming this preview are answered ---------------------------------


def fetch_as(url: str, path: str, host: str) -> Response:
    """GET `path` with the Host header a browser would send for `host`."""
    address, port = url.removeprefix("http://").rstrip("/").rsplit(":", 1)
    conn = http.client.HTTPConnection(address, int(port), timeout=10)
    try:
        conn.putrequest("GET", path, skip_host=True)
        conn.putheader("Host", host)
        conn.endheaders()
        response = conn.getresponse()
        return Response(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
    finally:
        conn.close()


@pytest.mark.parametrize(
    "host", ["evil.example", "evil.example:{port}", "localhost.evil.example", "10.1.2.3"]
)
@pytest.mark.parametrize("path", ["/", "/static/style.css", EVENTS_URL, SCRIPT_URL])
def test_a_request_naming_another_host_is_refused(served, host, path):
    port = served.server.server_address[1]
    response = fetch_as(served.url, path, host.format(port=port))
    assert response.status == 403
    assert "answers only to localhost, 127.0.0.1 and [::1]" in response.text
    assert "Home" not in response.text


@pytest.mark.parametrize(
    "host", ["localhost:{port}", "127.0.0.1:{port}", "[::1]:{port}", "LOCALHOST", "127.0.0.1"]
)
def test_loopback_names_are_answered(served, host):
    port = served.server.server_address[1]
    response = fetch_as(served.url, "/", host.format(port=port))
    assert response.status == 200 and "Home" in response.text


def test_the_host_the_preview_was_started_on_is_answered_too():
    assert host_allowed("preview.lan:8000", "preview.lan")
    assert not host_allowed("evil.example:8000", "preview.lan")
    assert host_allowed("192.168.1.20:8000", "192.168.1.20")
    assert not host_allowed("192.168.1.21:8000", "192.168.1.20")
    # on every address: any address typed as digits (it cannot be rebound), never another name
    assert host_allowed("192.168.1.20:8000", "0.0.0.0")
    assert host_allowed("[fe80::1]:8000", "::")
    assert not host_allowed("evil.example:8000", "0.0.0.0")
    assert not host_allowed("", "127.0.0.1")
    assert not host_allowed("localhost:notaport", "127.0.0.1")


# --- the background PDF pass never holds up a save ------------------------------------------------


def test_a_save_during_a_long_pdf_pass_is_built_and_served_while_the_pass_still_runs(make_site):
    project = make_site()
    running, release = threading.Event(), threading.Event()
    passes: list[Pass] = []

    def long_pass(job: Pass) -> bool:  # a pass that does not even look at `stop`
        passes.append(job)
        running.set()
        release.wait(30)
        return not job.stop.is_set()

    builder = SiteBuilder(
        project.root, lambda: load_config(project.root), after_html=long_pass, after_html_delay=0
    )
    preview = Preview(builder, load_config(project.root).output_dir, port=0, log=quiet)
    try:
        preview.start()
        assert running.wait(10)
        talks = project.root / "content/2023-06-18-talks.md"
        talks.write_text(talks.read_text("utf-8").replace("five hours", "six hours"), "utf-8")
        outcome = preview.live.rebuild(frozenset({talks}))
        assert outcome.ok and "articles/2023-06-18-talks/index.html" in outcome.changed
        assert "six hours" in fetch(preview.url, "/articles/2023-06-18-talks/").text
        assert builder.background_busy and not release.is_set()  # served while the pass runs
        assert passes[0].stop.is_set()  # and the pass was told to stop
        release.set()
        assert builder.wait_background(10)
        assert len(passes) == 2 and passes[1].urgent == frozenset({talks})  # the edited file first
    finally:
        release.set()
        preview.stop()
        builder.close()


def test_stopping_in_the_middle_of_a_rebuild_does_not_wait_for_it_nor_leave_a_request_hanging(tmp_path):
    site = FakeSite(tmp_path / "site", dict(SITE))
    sources = tmp_path / "content"
    sources.mkdir()
    preview = Preview(site, site.out, sources=Sources(folders=(sources,)), port=0, log=quiet)
    preview.start()  # the first build, then watching
    site.hold = threading.Event()  # the next build never ends by itself
    (sources / "a.md").write_text("saved", "utf-8")
    assert site.running.wait(10)
    waiting: list[Response | OSError | http.client.HTTPException] = []

    def ask() -> None:
        try:
            waiting.append(fetch(preview.url, "/"))
        # the server closed the connection while stopping, before or during its answer: cut, not hanging
        except (OSError, http.client.HTTPException) as cut:
            waiting.append(cut)

    request = threading.Thread(target=ask)
    request.start()  # waits for the build, as every request does
    stopper = threading.Thread(target=preview.stop, kwargs={"grace": 0.25})
    stopper.start()
    stopper.join(10)
    request.join(10)
    try:
        assert not stopper.is_alive()  # it stopped although the build still runs
        assert site.running.is_set()
        assert not request.is_alive() and len(waiting) == 1  # answered or cut, not left hanging
    finally:
        site.hold.set()
