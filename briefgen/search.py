"""Full-text search: Pagefind's index of the finished output folder, in shards made again one by one.

Pagefind (the `pagefind-bin` package ships the binary) reads built HTML and writes a static index,
which the search page loads in the browser. It cannot update an index in place, so the indexed
pages are split by language, section (articles, or person, topic and place pages) and a hash of
their path into shards, each a Pagefind bundle of its own in
`pagefind/<lang>-<section>-<count>-<n>/`, and the search page merges them (Pagefind's
`mergeIndex`, which takes one bundle per language): a build makes again only the shards whose
pages changed. Nothing here can fail a build: a missing binary or a failed run is a warning,
and the search page then says search is unavailable.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from . import manifest
from .files import remove_path
from .hashing import content_hash, spread
from .manifest import MARKER  # the writer's manifest: every page with the digest of its bytes

FOLDER = "pagefind"  # the index, beside the pages; the writer leaves it to this module
# names of earlier versions' unfinished swaps, still left alone by the writer and removed here
_LEGACY = (".briefgen-pagefind-new", ".briefgen-pagefind-old")
UNMANAGED = (FOLDER, *_LEGACY)  # top-level names in the output folder that the writer ignores
SHARDS_FILE = "shards.json"  # in pagefind/: the shards the search page merges; written last
PAGES_FILE = ".briefgen-pages"  # in each shard: the digest of the pages it was made from
RECORD_FILE = ".briefgen-pages.json"  # in pagefind/: each page: its digest, search_digest, language
ENTRY = "pagefind-entry.json"  # written last by Pagefind: a shard is complete
# Only these pages carry data-pagefind-body; the home page, days and indexes would only repeat them.
INDEXED = re.compile(r"(?:articles|people|topics|places)/[^/]+/index\.html")
# A shard's size bounds what one changed page costs to index again (Pagefind reads its whole
# shard) and the memory Pagefind takes; their number, what the search page fetches per query
# (each shard's filters and index chunks), so it stops growing at MOST_SHARDS per language.
PAGES_PER_SHARD = 500
MOST_SHARDS = 16
_STAGE, _NEW, _OLD = ".stage", ".new", ".old"  # inside pagefind/, while one shard is made
_SHARD = re.compile(r"[a-z0-9-]+-\d+-\d+")  # a shard's folder: language, section, count, number


@dataclass(frozen=True, slots=True)
class Indexing:
    """What one update of the search index did: shards made again, pages Pagefind read for them."""

    warning: str | None = None
    shards: int = 0
    pages: int = 0
    seconds: float = 0.0
    peak_mib: float = 0.0  # the largest resident set of one Pagefind run

    def summary(self) -> str:
        if not self.shards:
            return ""
        shards = "shard" if self.shards == 1 else "shards"
        pages = "page" if self.pages == 1 else "pages"
        made = f"{self.shards} {shards} ({self.pages:,} {pages}) made again in {self.seconds:.2f} s"
        return f"search index: {made}, Pagefind peaking at {self.peak_mib:.0f} MiB"


def pagefind_binary() -> str | None:
    """The Pagefind executable: the one shipped by `pagefind-bin`, else one on the PATH."""
    try:
        from pagefind_bin import get_executable  # type: ignore[import-not-found,unused-ignore]

        return str(get_executable())
    except (ImportError, FileNotFoundError):
        return shutil.which("pagefind")


def update(out: Path, run: bool, keep_index_url: bool, stop: threading.Event | None = None) -> Indexing:
    """After a build: make again every shard whose pages are not those it was made from (or that
    is missing); without `run`, leave that to a later build.

    Setting `stop` ends a run under way (the preview, when a save comes): the shard being made
    keeps its old bundle, and since that no longer matches its pages, the next update makes it.
    """
    if not run:
        return Indexing()
    started = time.perf_counter()
    folder = out / FOLDER
    binary = pagefind_binary()
    if binary is None:
        remove_path(folder)  # it would no longer match the pages
        return Indexing(
            "search: Pagefind is not installed (pip install pagefind-bin); the search page says so"
        )
    for name in _LEGACY:
        remove_path(out / name)
    shards = plan(_described(out, folder, indexed_pages(out)), _previous_counts(folder))
    made = read = peak_kib = 0
    warning = None
    finished = True
    for name, members in shards.items():
        made_from = content_hash(repr((keep_index_url, sorted(members.items()))))
        if _made_from(folder / name) == made_from:
            continue
        if stop is not None and stop.is_set():
            finished = False
            break
        failed, kib = _make_shard(binary, out, folder, name, sorted(members), made_from, keep_index_url, stop)
        peak_kib = max(peak_kib, kib)
        if failed is None:
            made += 1
            read += len(members)
        if failed is not None or (stop is not None and stop.is_set()):
            warning, finished = failed or None, False
            break
    if made or (finished and _listed(folder) != list(shards)):
        _write_list(folder, shards if finished else None)
    return Indexing(warning, made, read, time.perf_counter() - started, peak_kib / 1024)


def indexed_pages(out: Path) -> dict[str, str]:
    """The pages to index, each with the digest of its bytes, from the output folder's manifest."""
    try:
        files = manifest.decode((out / MARKER).read_bytes())[2]
    except (OSError, ValueError):
        return {}
    return {name: entry[0] for name, entry in files.items() if INDEXED.fullmatch(name)}


def plan(pages: dict[str, tuple[str, str]], previous: dict[str, int]) -> dict[str, dict[str, str]]:
    """The pages of each shard (name -> digest), by shard name, from each page's search digest and
    language.

    Pagefind merges one bundle per language, so a shard holds one language; and articles are
    apart from person, topic and place pages, so that adding an actor to an article, which
    changes the pages of the people it names, makes again their shard and the article's, not
    one shard per page. A page's shard follows from its path alone, so an edit moves no page.
    Each group has a power of two of shards (at most MOST_SHARDS), kept while it gives between a
    quarter of PAGES_PER_SHARD and PAGES_PER_SHARD pages each: a site that grows or shrinks by a
    page does not make every shard again.
    """
    groups: dict[str, list[str]] = {}
    for name in sorted(pages):
        section = "articles" if name.startswith("articles/") else "entries"
        groups.setdefault(f"{pages[name][1]}-{section}", []).append(name)
    shards: dict[str, dict[str, str]] = {}
    for group, names in sorted(groups.items()):
        count = _shard_count(len(names), previous.get(group, 0))
        numbered: dict[int, dict[str, str]] = {}
        for name in names:
            number = spread(name, count)
            numbered.setdefault(number, {})[name] = pages[name][0]
        shards.update((f"{group}-{count}-{number}", numbered[number]) for number in sorted(numbered))
    return shards


def _shard_count(pages: int, previous: int) -> int:
    most = previous * PAGES_PER_SHARD
    if previous >= 1 and (pages <= most or previous == MOST_SHARDS) and (previous == 1 or pages * 4 > most):
        return previous
    count = 1
    while pages > count * PAGES_PER_SHARD and count < MOST_SHARDS:
        count *= 2
    return count


def _described(out: Path, folder: Path, pages: dict[str, str]) -> dict[str, tuple[str, str]]:
    """Each page's search digest and language, by name; a page is read again only when its bytes
    changed (the record of the others is kept in RECORD_FILE, by the page's digest)."""
    try:
        known = json.loads((folder / RECORD_FILE).read_text("utf-8"))
    except (OSError, ValueError):
        known = {}
    records: dict[str, list[str]] = {}
    for name, digest in pages.items():
        before = known.get(name) if isinstance(known, dict) else None
        if isinstance(before, list) and len(before) == 3 and before[0] == digest:
            records[name] = [str(part) for part in before]
        else:
            try:
                data = (out / name).read_bytes()
            except OSError:
                data = b""
            records[name] = [digest, search_digest(data), _language_of(data)]
    if records != known:
        folder.mkdir(parents=True, exist_ok=True)
        _write_atomically(folder / RECORD_FILE, json.dumps(records, separators=(",", ":")))
    return {name: (record[1], record[2]) for name, record in records.items()}


def _language_of(page: bytes) -> str:
    match = re.search(rb"<html[^>]*?\slang=[\"']?([A-Za-z0-9-]+)", page[:4096])
    return match.group(1).decode().lower() if match else "unknown"


_IGNORED = re.compile(rb"<([A-Za-z][A-Za-z0-9-]*)\b[^>]*\sdata-pagefind-ignore\b[^>]*>")
_VOID = {b"area", b"br", b"col", b"embed", b"hr", b"img", b"input", b"link", b"meta", b"source", b"wbr"}


def search_digest(page: bytes) -> str:
    """A digest of a page as Pagefind reads it: its bytes less the elements marked
    `data-pagefind-ignore`, such as an article's related articles or a person's timeline, which
    change with other pages but are not indexed. A shard whose pages changed only there is not
    made again. Markup it cannot follow (an ignored element never closed) keeps every byte."""
    parts = []
    position = 0
    while (match := _IGNORED.search(page, position)) is not None:
        parts.append(page[position : match.start()])
        tag = match.group(1).lower()
        position = match.end()
        if tag in _VOID or match.group(0).endswith(b"/>"):
            continue
        same = re.compile(rb"<(/?)" + re.escape(tag) + rb"\b[^>]*>", re.IGNORECASE)
        depth = 1
        while depth:
            found = same.search(page, position)
            if found is None:
                return content_hash(page)
            depth += -1 if found.group(1) else 1
            position = found.end()
    parts.append(page[position:])
    return content_hash(b"".join(parts))


def _previous_counts(folder: Path) -> dict[str, int]:
    try:
        counts = json.loads((folder / SHARDS_FILE).read_text("utf-8"))["counts"]
        return {str(language): int(count) for language, count in counts.items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def _listed(folder: Path) -> list[str] | None:
    """The names of the shards the list holds now."""
    try:
        listed = json.loads((folder / SHARDS_FILE).read_text("utf-8"))["shards"]
        return [shard["path"].rstrip("/") for shard in listed]
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def _made_from(shard: Path) -> str:
    try:
        return (shard / PAGES_FILE).read_text("utf-8") if (shard / ENTRY).is_file() else ""
    except OSError:
        return ""


def _make_shard(
    binary: str,
    out: Path,
    folder: Path,
    name: str,
    members: list[str],
    pages: str,
    keep_index_url: bool,
    stop: threading.Event | None,
) -> tuple[str | None, int]:
    """Index the shard's pages into `folder/name`, swapped in whole; a warning, or None.

    Pagefind reads a folder, so the shard's pages are linked (or copied) into a stage that mirrors
    the site's layout: the URLs it records are the pages' own. "" when `stop` ended the run;
    with Pagefind's peak resident set in KiB.
    """
    stage, new, old = folder / _STAGE, folder / _NEW, folder / _OLD
    for path in (stage, new, old):
        remove_path(path)
    try:
        for member in members:
            target = stage / member
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(out / member, target)
            except OSError:
                shutil.copyfile(out / member, target)
    except OSError as error:
        remove_path(stage)
        return f"search: could not prepare the pages to index ({error}); the search index was not updated", 0
    command = [binary, "--site", str(stage), "--output-path", str(new), "--silent"]
    if keep_index_url:
        command.append("--keep-index-url")
    try:
        warning, peak_kib = _run(command, stop)
    finally:
        remove_path(stage)
    if warning is None and not (new / ENTRY).is_file():
        warning = "" if stop is not None and stop.is_set() else "search: Pagefind wrote no index"
    if warning is not None:
        remove_path(new)
        return warning, peak_kib
    (new / PAGES_FILE).write_text(pages, "utf-8")
    if (folder / name).exists():
        os.replace(folder / name, old)
    os.replace(new, folder / name)
    remove_path(old)
    return None, peak_kib


def _high_water_kib(pid: int) -> int:
    """The largest resident set of a running process since it started its program (VmHWM), in
    KiB; 0 where /proc does not say. wait4's figure cannot serve: on Linux, starting a program
    records the resident set of the process it replaced, here a copy of the build itself."""
    try:
        with open(f"/proc/{pid}/status", "rb") as status:
            for line in status:
                if line.startswith(b"VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _run(command: list[str], stop: threading.Event | None) -> tuple[str | None, int]:
    """Run Pagefind; a warning if it failed, "" if `stop` ended it, None if it succeeded; with its
    peak resident set in KiB (read from /proc while it runs: after 1, 3, 7, 15 ms, then every 20)."""
    import subprocess  # here: a build with nothing to index starts without it

    peak = 0
    try:
        with subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        ) as running:
            deadline = time.monotonic() + 600
            pause = 0.001  # doubled up to 20 ms: a small shard is indexed in a few milliseconds
            while True:
                peak = max(peak, _high_water_kib(running.pid))
                pid, status = os.waitpid(running.pid, os.WNOHANG)
                if pid:
                    running.returncode = os.waitstatus_to_exitcode(status)
                    break
                if (stop is not None and stop.is_set()) or time.monotonic() > deadline:
                    running.kill()
                    running.wait()
                    if stop is not None and stop.is_set():
                        return "", 0  # a save came: the next pass indexes the new pages
                    return "search: Pagefind ran for over 10 minutes and was stopped", 0
                time.sleep(pause)
                pause = min(pause * 2, 0.02)
            output = running.stdout.read() if running.stdout is not None else ""
    except OSError as error:
        return f"search: Pagefind could not run ({error}); the search index was not updated", 0
    if running.returncode != 0:
        lines = output.strip().splitlines()
        reason = lines[-1] if lines else f"exit status {running.returncode}"
        return f"search: Pagefind failed ({reason}); the search index was not updated", peak
    return None, peak


def _write_list(folder: Path, shards: dict[str, dict[str, str]] | None) -> None:
    """Write the list of shards the search page merges, each with its language.

    After a complete update (`shards` given), it lists exactly those shards, and everything else in
    the folder goes (an older layout, shards of another count); after a partial one, every
    complete shard there is stays listed, so that no page goes missing from search meanwhile.
    """
    folder.mkdir(parents=True, exist_ok=True)  # a site with nothing to index has no shard yet
    if shards is not None:
        names = [name for name in shards if (folder / name / ENTRY).is_file()]
        counts = {name.rsplit("-", 2)[0]: int(name.rsplit("-", 2)[1]) for name in shards}
    else:
        names = sorted(p.name for p in folder.iterdir() if _SHARD.fullmatch(p.name) and (p / ENTRY).is_file())
        counts = _previous_counts(folder)
    listed = []
    for name in names:
        try:
            languages = sorted(json.loads((folder / name / ENTRY).read_text("utf-8"))["languages"])
        except (OSError, ValueError, KeyError, TypeError):
            continue
        listed.append({"path": f"{name}/", "languages": languages})
    _write_atomically(folder / SHARDS_FILE, json.dumps({"counts": counts, "shards": listed}, indent=1) + "\n")
    if shards is not None:
        for path in folder.iterdir():
            if path.name not in names and path.name not in (SHARDS_FILE, RECORD_FILE):
                remove_path(path)


def _write_atomically(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.new")
    temporary.write_text(text, "utf-8")
    os.replace(temporary, path)
