"""Full-text search: run Pagefind over the finished output folder and swap its index in.

Pagefind (the `pagefind-bin` package ships the binary) reads the built HTML and writes a static
index into `pagefind/`, which the search page loads in the browser. It indexes a whole site at a
time, so a build runs it again only when some page changed. Nothing here can fail a build: a
missing binary or a failed run is a warning, and the search page then says search is unavailable.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
import time
from pathlib import Path

from .hashing import content_hash

FOLDER = "pagefind"  # the index, beside the pages; the writer leaves it to this module
_NEW = ".briefgen-pagefind-new"
_OLD = ".briefgen-pagefind-old"
UNMANAGED = (FOLDER, _NEW, _OLD)  # top-level names in the output folder that the writer ignores
MARKER = ".briefgen-output"  # the writer's manifest (writer.MARKER), read here for pages_print
PAGES_FILE = ".briefgen-pages"  # in the index folder: pages_print of the pages it was made from
PAGES = f"{FOLDER}/{PAGES_FILE}"
# Only these pages carry data-pagefind-body; not reading the others saves Pagefind a tenth of its time.
INDEXED = "{articles,people,topics,places}/**/*.html"
ENTRY = f"{FOLDER}/pagefind-entry.json"  # written last by Pagefind: the index is complete


def pagefind_binary() -> str | None:
    """The Pagefind executable: the one shipped by `pagefind-bin`, else one on the PATH."""
    try:
        from pagefind_bin import get_executable  # type: ignore[import-not-found,unused-ignore]

        return str(get_executable())
    except (ImportError, FileNotFoundError):
        return shutil.which("pagefind")


def update(out: Path, run: bool, keep_index_url: bool, stop: threading.Event | None = None) -> str | None:
    """After a build: make the index again if the pages are not those it was made from (or it is
    missing); without `run`, leave that to a later build. A warning, or None.

    Setting `stop` ends a run under way (the preview, when a save comes): the old index stays, and
    since it no longer matches the pages, the next update makes it again.
    """
    if not run:
        return None
    pages = pages_print(out)
    try:
        indexed = (out / PAGES).read_text("utf-8") if (out / ENTRY).is_file() else ""
    except OSError:
        indexed = ""
    if pages == indexed:
        return None
    return index_site(out, keep_index_url, pages, stop)


def pages_print(out: Path) -> str:
    """A digest of every page the output folder's manifest lists, with the digest of its bytes.

    Kept beside the index, it tells whether the pages changed since, whichever way they did (a
    build, a build that skipped indexing, a swap finished after a crash).
    """
    try:
        files = json.loads((out / MARKER).read_text("utf-8"))["files"]
        pages = sorted((name, entry[0]) for name, entry in files.items() if name.endswith(".html"))
    except (OSError, ValueError, KeyError, TypeError, IndexError, AttributeError):
        return ""
    return content_hash(repr(pages))


def index_site(
    out: Path, keep_index_url: bool, pages: str = "", stop: threading.Event | None = None
) -> str | None:
    """Index the pages in `out` into `out/pagefind/`; a warning to show if that was not possible.

    The new index is written aside and swapped in whole, so a reader never sees half of one. When
    Pagefind is missing, the old index is removed: it would no longer match the pages.
    """
    binary = pagefind_binary()
    if binary is None:
        _remove(out / FOLDER)
        return "search: Pagefind is not installed (pip install pagefind-bin); the search page says so"
    new, old = out / _NEW, out / _OLD
    _remove(new)
    _remove(old)
    command = [binary, "--site", str(out), "--output-path", str(new), "--silent", "--glob", INDEXED]
    if keep_index_url:
        command.append("--keep-index-url")
    try:
        with subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        ) as running:
            deadline = time.monotonic() + 600
            while running.poll() is None:
                if (stop is not None and stop.is_set()) or time.monotonic() > deadline:
                    running.kill()
                    running.wait()
                    _remove(new)
                    if stop is not None and stop.is_set():
                        return None  # a save came: the next pass indexes the new pages
                    return "search: Pagefind ran for over 10 minutes and was stopped"
                time.sleep(0.05)
            output = running.stdout.read() if running.stdout is not None else ""
    except OSError as error:
        _remove(new)
        return f"search: Pagefind could not run ({error}); the search index was not updated"
    if running.returncode != 0 or not (new / "pagefind-entry.json").is_file():
        _remove(new)
        lines = output.strip().splitlines()
        reason = lines[-1] if lines else f"exit status {running.returncode}"
        return f"search: Pagefind failed ({reason}); the search index was not updated"
    (new / PAGES_FILE).write_text(pages or pages_print(out), "utf-8")
    if (out / FOLDER).exists():
        os.replace(out / FOLDER, old)
    os.replace(new, out / FOLDER)
    _remove(old)
    return None


def _remove(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.is_dir():
        shutil.rmtree(path)
