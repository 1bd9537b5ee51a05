"""The build cache in .briefgen/: what the last build read and wrote, so the next redoes only what changed.

The folder is safe to delete. A cache written by another briefgen version or for other settings
is ignored, and one that cannot be read is discarded with a warning: a cache can make a build
faster, never different.
"""

from __future__ import annotations

import contextlib
import marshal
import operator
import os
import sqlite3
import stat
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from .. import __version__
from ..config import MailConfig, Paths, SiteConfig
from ..errors import BuildError, ConfigError, ContentError, Problem
from ..faults import crash_point
from ..files import FilePolicy, walk
from ..hashing import checksum, content_hash, file_hash, spread
from .parts import Parts, Runs, differing_entries

if TYPE_CHECKING:
    from ..content.articles import ParsedArticle
    from ..parallel import Aside

CACHE_FORMAT = 17  # raise whenever what the cache holds changes shape
CACHE_DIR = ".briefgen"
STATE_FILE = "build-state.marshal"
PARSED_DIR = "parsed"  # the parse cache, in shards: a save rewrites only those holding what changed
PARSE_SHARDS = 64
BODIES_FILE = "bodies.sqlite"

Stat = tuple[int, int, str]  # mtime in ns, size, and the digest of a file that was racy (see settle)
Stats = Mapping[str, Stat]  # by path
RACY_NS = 3_000_000_000  # a file changed this close to a scan may change again with the same stat


@dataclass(frozen=True, slots=True)
class ArticleRecord:
    """What the last build knew about one article file, for rebuilding after a body-only edit."""

    front: str  # digest of the front matter text
    body: str  # key of the rendered body in the body store
    lang: str
    output: str  # its page, relative to the output folder
    spliceable: bool  # the page holds the rendered body exactly once, and nothing else depends on it


_record_values = operator.attrgetter(*(f.name for f in fields(ArticleRecord)))
Row = tuple[str, str, str, str, bool]  # an ArticleRecord's fields, in order


class ArticleRecords(Mapping[str, ArticleRecord]):
    """Article records by path, kept as rows of plain values, in parts, until one is asked for.

    Every rebuild loads and saves the records of every article, and a body edit reads one or two:
    making ten thousand objects at each load took longer than reading the file.
    """

    __slots__ = ("rows",)

    def __init__(self, rows: Parts[Row] | None = None) -> None:
        self.rows: Parts[Row] = rows if rows is not None else Parts.empty()

    @classmethod
    def of(cls, records: Mapping[str, ArticleRecord]) -> ArticleRecords:
        return cls(Parts.of({path: _record_values(record) for path, record in records.items()}))

    def updated(self, records: Mapping[str, ArticleRecord]) -> ArticleRecords:
        """These records, with `records` replacing or adding theirs."""
        return ArticleRecords(self.rows.updated({path: _record_values(r) for path, r in records.items()}))

    def __getitem__(self, path: str) -> ArticleRecord:
        return ArticleRecord(*self.rows[path])

    def __contains__(self, path: object) -> bool:
        return path in self.rows

    def __iter__(self) -> Iterator[str]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)


@dataclass(frozen=True, slots=True)
class BuildState:
    """The last successful build: what it read, what it made, and what it warned about."""

    inputs: Stats = field(default_factory=dict)  # settled: see settle()
    articles: ArticleRecords = field(default_factory=ArticleRecords)
    pages: Mapping[str, str] = field(default_factory=dict)  # output path -> page fingerprint
    templates: dict[str, str] = field(default_factory=dict)  # page template -> its key (template_key)
    digests: dict[str, str] = field(default_factory=dict)  # PDF output path -> its fingerprint
    digests_pending: bool = False  # the last build skipped PDF digests (the preview's first pass)
    files: int = 0
    warnings: tuple[Problem, ...] = ()
    # articles whose parse-cache entry is older than their bytes (a body splice does not parse)
    parse_stale: frozenset[str] = frozenset()

    def values(self) -> tuple[object, ...]:
        """The state as plain values (strings, numbers, tuples, dicts), which `marshal` writes and
        reads several times faster than pickle writes and reads objects: every rebuild does both.
        The three mappings as large as the site are written as the bytes of their pieces (parts.py)."""
        warnings = tuple(
            (type(w).__name__, None if w.path is None else str(w.path), w.line, w.message)
            for w in self.warnings
        )
        values = [getattr(self, name) for name in _STATE_FIELDS]
        values[_INPUTS] = Runs.of(self.inputs).runs
        values[_ARTICLES] = self.articles.rows.blobs
        values[_PAGES] = Runs.of(self.pages).runs
        values[_WARNINGS] = warnings
        return tuple(values)

    @classmethod
    def from_values(cls, values: tuple[Any, ...]) -> BuildState:
        """The state `values()` gave; TypeError, KeyError or ValueError if these are not such values."""
        if len(values) != len(_STATE_FIELDS):
            raise ValueError("not a build state")
        arguments = list(values)
        arguments[_INPUTS] = Runs(values[_INPUTS])
        arguments[_ARTICLES] = ArticleRecords(Parts(values[_ARTICLES]))
        arguments[_PAGES] = Runs(values[_PAGES])
        arguments[_WARNINGS] = tuple(
            _PROBLEMS[kind](path, line, message) for kind, path, line, message in values[_WARNINGS]
        )
        return cls(*arguments)


_STATE_FIELDS = tuple(f.name for f in fields(BuildState))
_INPUTS, _ARTICLES, _PAGES, _WARNINGS = (
    _STATE_FIELDS.index(name) for name in ("inputs", "articles", "pages", "warnings")
)
_PROBLEMS = {kind.__name__: kind for kind in (Problem, ConfigError, ContentError)}  # warnings a build keeps


Dump = Callable[[Any, BinaryIO], None]  # writes a value into an open file


def _pickled(value: object, handle: BinaryIO) -> None:
    """Pickled straight into the file: pickling 10,000 parsed articles into one bytes object
    first held some 50 MiB more, in a helper that runs while the build is at its largest."""
    import pickle  # the parse cache's only: a rebuild that parses nothing does without

    pickle.dump(value, handle, protocol=pickle.HIGHEST_PROTOCOL)


def _unpickled(data: bytes) -> Any:
    import pickle

    return pickle.loads(data)


def _marshalled(value: Any, handle: BinaryIO) -> None:
    """In `marshal`, after the CRC-32 of its bytes. The state's large mappings are decoded piece by
    piece, late in a build (see parts.py): damage is found here, when the file is read, instead."""
    data = marshal.dumps(value)
    handle.write(b"%08x\n" % checksum(data))
    handle.write(data)


def _unmarshalled(data: bytes) -> Any:
    """What `_marshalled` wrote; ValueError if the bytes are not those it wrote."""
    body = memoryview(data)[9:]  # a view: the state is tens of megabytes at 100,000 articles
    if data[8:9] != b"\n" or int(data[:8], 16) != checksum(body):
        raise ValueError("damaged")
    return marshal.loads(body)


def settings_stamp(config: SiteConfig) -> str:
    """Changes whenever briefgen, Python or a setting that changes the output changes: then nothing
    cached is reused. The settings below change how the work is done or what is done with the
    site, not the site: `build`, `serve`, `digest` and `mail` then share one cache. `strict` fails
    a build or leaves its site as it would be without it (the engine does not take a quick path
    for a strict build after warnings). Folders count as the folders they name: `--out site` on
    the command line is the `site` of the settings."""
    folders = Paths(config.content_dir, config.output_dir, config.templates_dir, config.static_dir)
    settings = replace(
        config,
        paths=folders,
        strict=False,
        jobs=0,
        mail=MailConfig(),
        digest=replace(config.digest, timeout=0.0, memory_mb=0),  # limits: a PDF is made or not
    )
    text = f"{CACHE_FORMAT}\0{__version__}\0{sys.version}\0{settings!r}"
    return content_hash(text)


def scan(
    folders: list[Path], files: list[Path], policy: FilePolicy | None = None, share: tuple[int, int] = (0, 1)
) -> dict[str, Stat]:
    """Size and modification time of every file under `folders`, and of `files` that exist.

    Only regular files count, and only links the `policy` lets a build follow: nothing else is read.
    With `share` (number, of how many), only the files whose path's hash falls in that share: so
    shared, each file is in one share whatever the order in which the folders list them.
    """
    policy = policy or FilePolicy((), follow_links=False)
    number, shares = share
    mine = None if shares == 1 else (lambda path: spread(path, shares) == number)
    visible = lambda parts: not parts[-1].startswith(".")  # noqa: E731
    stats: dict[str, Stat] = {}
    for folder in folders:
        listing = walk(folder, policy, visible, stats=True, stat_only=mine)
        for path, info in listing.stats.items():
            stats[path] = (info.st_mtime_ns, info.st_size, "")
    for file in files:
        if mine is not None and not mine(str(file)):
            continue
        try:
            info = file.stat()
        except OSError:
            continue
        if stat.S_ISREG(info.st_mode):
            stats[str(file)] = (info.st_mtime_ns, info.st_size, "")
    return stats


def _file_digest(path: str) -> str:
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # a pipe swapped in must not block
    except OSError:
        return "?"
    try:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            return "?"
        with os.fdopen(descriptor, "rb", closefd=False) as handle:
            return file_hash(handle)
    except OSError:
        return "?"
    finally:
        os.close(descriptor)


def settle(stats: dict[str, Stat], scanned_ns: int) -> dict[str, Stat]:
    """Remember the content digest of files modified just before the scan (in `stats`, as scanned).

    File times are only as fine as the kernel's clock tick, so a file saved twice within one tick
    with the same size looks unchanged; for such recent files the digest decides instead. It is
    taken right after the scan, before the build reads the file: a change after it is seen by the
    next build, as a digest that differs.
    """
    recent = scanned_ns - RACY_NS
    for path in [path for path, value in stats.items() if value[0] >= recent]:
        mtime, size, _ = stats[path]
        stats[path] = (mtime, size, _file_digest(path))
    return stats


def edited(old: Stats, new: Stats) -> list[str]:
    """Files of `new` that differ from `old` (new files included; removed ones are not listed).

    Both are settled scans. Of two Runs, only the runs whose bytes differ are looked at.
    """
    changed = []
    olds, news = differing_entries(old, new)
    for path, now in news.items():
        before = olds.get(path)
        if before == now:  # same time and size, and the same digest if it was recent
            continue
        if before is None or before[:2] != now[:2] or _saved_again(path, before, now):
            changed.append(path)
    return changed


def _saved_again(path: str, before: Stat, now: Stat) -> bool:
    """Same time and size, but the file was recent at the last scan: its digest tells."""
    return bool(before[2]) and before[2] != (now[2] or _file_digest(path))


class Cache:
    """Reads and writes the cache files; every read failure means "no cache"."""

    def __init__(self, config: SiteConfig) -> None:
        self.folder = config.root / CACHE_DIR
        self.stamp = settings_stamp(config)
        self.warnings: list[str] = []

    def _load(self, name: str, loads: Callable[[bytes], Any] = _unpickled) -> Any:
        path = self.folder / name
        if not path.is_file():
            return None
        try:
            stamp, value = loads(path.read_bytes())
        except (ModuleNotFoundError, AttributeError):  # written by a briefgen whose classes lived elsewhere
            return None
        except Exception as error:  # any damage: the cache is only ever an optimisation
            self.warnings.append(f"ignoring the damaged build cache {path} ({type(error).__name__})")
            return None
        return value if stamp == self.stamp else None

    def _save(self, name: str, value: object, dump: Dump = _pickled) -> None:
        os.replace(self._write(name, value, dump), self.folder / name)

    def _tmp(self, name: str) -> Path:
        final = self.folder / name
        return final.with_name(f".{final.name}.tmp")

    def _write(self, name: str, value: object, dump: Dump = _pickled) -> Path:
        """Write `value` next to the cache file `name`; the caller puts it in place."""
        tmp = self._tmp(name)
        tmp.parent.mkdir(parents=True, exist_ok=True)
        try:
            with tmp.open("wb") as handle:
                dump((self.stamp, value), handle)
                # the tests' "killed while writing the cache" (any shard of the parse cache: "parsed")
                crash_point(f"cache:{name.partition('/')[0]}")
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return tmp

    def state(self) -> BuildState | None:
        values = self._load(STATE_FILE, _unmarshalled)
        if values is None:
            return None
        try:
            return BuildState.from_values(values)
        except (TypeError, KeyError, ValueError) as error:
            self.warnings.append(
                f"ignoring the damaged build cache {self.folder / STATE_FILE} ({type(error).__name__})"
            )
            return None

    def state_bytes(self) -> int:
        """The size of the saved state (0 if none): it grows with the number of inputs."""
        try:
            return (self.folder / STATE_FILE).stat().st_size
        except OSError:
            return 0

    def parsed(self) -> dict[str, ParsedArticle]:
        """The parse cache: what every shard that can be read holds (the files of one that cannot
        are parsed again, and it is written anew)."""
        found: dict[str, ParsedArticle] = {}
        warned = len(self.warnings)
        for name in self._shards():
            value = self._load(name)
            if isinstance(value, dict):
                found.update(value)
        if len(self.warnings) > warned + 1:  # one line for the parse cache, however many shards
            count = len(self.warnings) - warned
            del self.warnings[warned:]
            self.warnings.append(
                f"ignoring the damaged build cache {self.folder / PARSED_DIR} ({count} of its shards)"
            )
        return found

    def _shards(self) -> list[str]:
        """The parse cache's shard files there are, as names for _load."""
        try:
            with os.scandir(self.folder / PARSED_DIR) as found:
                names = sorted(
                    e.name for e in found if e.name.endswith(".pickle") and not e.name.startswith(".")
                )
        except OSError:
            return []
        return [f"{PARSED_DIR}/{name}" for name in names]

    def parsed_mark(self) -> tuple[tuple[str, int, int, int], ...] | None:
        """The parse cache's shard files as they are on disk (name, inode, time, size): it changes
        whenever a build anywhere saves the cache. None if there is none."""
        marks = []
        for name in self._shards():
            try:
                found = os.stat(self.folder / name)
            except OSError:
                return None
            marks.append((name, found.st_ino, found.st_mtime_ns, found.st_size))
        return tuple(marks) or None

    def save(self, state: BuildState, parsed: PendingWrite | None) -> bool:
        """Save what the build learnt; `parsed`, when given, as started by write_parsed(). Whether
        it was saved.

        A cache that cannot be written (a full disk) is a warning: the site is already in place,
        and the next build, finding no state, simply starts afresh.
        """
        try:
            if parsed is not None:
                parsed.commit()
                (self.folder / "parsed.pickle").unlink(missing_ok=True)  # the one file of format 15
            self._save(STATE_FILE, state.values(), _marshalled)
        except (OSError, BuildError) as error:
            if parsed is not None:
                parsed.cancel()
            reason = error.strerror if isinstance(error, OSError) else str(error)
            self.warnings.append(f"the build cache in {self.folder} could not be saved ({reason})")
            return False
        return True

    def write_parsed(
        self, parsed: dict[str, ParsedArticle], changed: Iterable[str] | None, jobs: int
    ) -> PendingWrite:
        """Start writing the shards of the parse cache that hold the paths `changed` (parsed again,
        new or gone; None: all of them), for save() to finish.

        A save after one article's edit rewrites one shard, a sixty-fourth of the articles. When
        there are many to write (a first build: pickling 10,000 parsed articles takes a third of a
        second), another process writes them meanwhile, if `jobs` allows it. It starts before the
        index is built, so that it ends before pages are rendered: beside the helpers that render,
        one more copy of the process would add to the memory peak. Nothing replaces the shards
        on disk before save().
        """
        from ..parallel import Aside, worth_aside

        wanted = range(PARSE_SHARDS) if changed is None else {spread(path, PARSE_SHARDS) for path in changed}
        pieces: dict[int, dict[str, ParsedArticle]] = {number: {} for number in wanted}
        for path, parse in parsed.items():
            piece = pieces.get(spread(path, PARSE_SHARDS))
            if piece is not None:
                piece[path] = parse
        names = {number: f"{PARSED_DIR}/{number:02d}.pickle" for number in pieces}
        entries = sum(len(piece) for piece in pieces.values())
        writing = Aside(
            lambda: [self._write(names[number], piece) for number, piece in pieces.items()],
            worth_aside(jobs, entries),
        )
        return PendingWrite(writing, [(self._tmp(name), self.folder / name) for name in names.values()])

    def forget_state(self) -> None:
        """Before writing the output: if the build dies halfway, the next one starts afresh."""
        with contextlib.suppress(OSError):
            (self.folder / STATE_FILE).unlink()

    def bodies(self) -> BodyStore:
        return BodyStore(self.folder / BODIES_FILE)


class PendingWrite:
    """Cache files being written aside; commit() puts them in place, cancel() drops them.

    A process killed between two of commit()'s moves leaves some shards new and some old: each
    entry still names the digest of the file it was parsed from, and the build state, which could
    vouch for a file unread, was removed before the site was written (Cache.forget_state).
    """

    def __init__(self, writing: Aside[list[Path]], places: list[tuple[Path, Path]]) -> None:
        self.writing = writing
        self.places = places  # (written aside, final)

    def commit(self) -> None:
        self.writing.result()
        for number, (tmp, final) in enumerate(self.places):
            os.replace(tmp, final)
            if number == 0:
                crash_point("cache:parsed-commit")  # the tests' "killed between two shards"

    def cancel(self) -> None:
        self.writing.cancel()
        for tmp, _ in self.places:
            with contextlib.suppress(OSError):
                tmp.unlink()


class BodyStore:
    """Rendered article bodies by key; opened lazily in each process that uses it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._connection: sqlite3.Connection | None = None
        self._pid = 0

    def _db(self) -> sqlite3.Connection:
        if self._connection is None or self._pid != os.getpid():
            self.path.parent.mkdir(exist_ok=True)
            self._connection = sqlite3.connect(self.path, timeout=30)
            self._connection.execute("CREATE TABLE IF NOT EXISTS body (key TEXT PRIMARY KEY, html TEXT)")
            self._pid = os.getpid()
        return self._connection

    def get(self, key: str) -> str | None:
        try:
            row = self._db().execute("SELECT html FROM body WHERE key = ?", (key,)).fetchone()
        except sqlite3.DatabaseError:
            return None
        return str(row[0]) if row else None

    def empty(self) -> bool:
        """True if the store holds no body: then a build need not ask it for each one."""
        if not self.path.is_file():
            return True
        try:
            return self._db().execute("SELECT 1 FROM body LIMIT 1").fetchone() is None
        except sqlite3.DatabaseError:
            return True

    def put_many(self, items: list[tuple[str, str]]) -> None:
        if not items:
            return
        try:
            with self._db() as db:
                db.executemany("INSERT OR REPLACE INTO body VALUES (?, ?)", items)
        except sqlite3.DatabaseError:
            self.path.unlink(missing_ok=True)  # a damaged store is rebuilt on the next run

    def close(self) -> None:
        if self._connection is not None and self._pid == os.getpid():
            self._connection.close()
        self._connection = None
