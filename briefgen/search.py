"""Full-text search: run Pagefind over the finished output folder and swap its index in.

Pagefind (the `pagefind-bin` package ships the binary) reads the built HTML and writes a static
index into `pagefind/`, which the search page loads in the browser. It indexes a whole site at a
time, so a build runs it again only when some page changed. Nothing here can fail a build: a
missing binary or a failed run is a warning, and the search page then says search is unavailable.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

FOLDER = "pagefind"  # the index, beside the pages; the writer leaves it to this module
_NEW = ".briefgen-pagefind-new"
_OLD = ".briefgen-pagefind-old"
_STALE = ".briefgen-pagefind-stale"  # pages changed since the index was made
UNMANAGED = (FOLDER, _NEW, _OLD, _STALE)  # top-level names in the output folder the writer ignores
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


def update(
    out: Path, changed: tuple[str, ...], removed: tuple[str, ...], run: bool, keep_index_url: bool
) -> str | None:
    """After a build: make the index again if a page changed or went since it was made, or if it
    is missing; without `run`, only note that it is out of date. A warning, or None."""
    pages_changed = any(path.endswith(".html") for path in (*changed, *removed))
    if not run:
        if pages_changed:
            (out / _STALE).touch()
        return None
    if pages_changed or (out / _STALE).exists() or not (out / ENTRY).is_file():
        return index_site(out, keep_index_url)
    return None


def index_site(out: Path, keep_index_url: bool) -> str | None:
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
        done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=600)
    except (OSError, subprocess.SubprocessError) as error:
        _remove(new)
        return f"search: Pagefind could not run ({error}); the search index was not updated"
    if done.returncode != 0 or not (new / "pagefind-entry.json").is_file():
        _remove(new)
        lines = (done.stderr or done.stdout).strip().splitlines()
        reason = lines[-1] if lines else f"exit status {done.returncode}"
        return f"search: Pagefind failed ({reason}); the search index was not updated"
    if (out / FOLDER).exists():
        os.replace(out / FOLDER, old)
    os.replace(new, out / FOLDER)
    _remove(old)
    _remove(out / _STALE)
    return None


def _remove(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.is_dir():
        shutil.rmtree(path)
