"""The only writer: stages every changed file, then swaps them in only when the build succeeded.

A failed build leaves the output folder exactly as it was. Only files whose bytes changed are
rewritten; files no longer produced are removed. Nothing outside the output folder is touched,
except the folder that holds the site's previous generation, which is briefgen's own.

The swap is one atomic step where the system allows it (Linux): the writer keeps the site's
previous generation in the project's state folder (`.briefgen/previous-site/`), a second tree
of the same files, hard links where the bytes are the same. A commit brings that tree up to the
new site: the files this build changed move in, files it kept are linked from the live site where
the old generation differs, files it dropped go. Then one `renameat2(RENAME_EXCHANGE)` swaps the
two folders: a reader, or a build killed at any instant, sees the old site or the new one, never
a mix. The site's manifest says which generation that folder holds and where the two differ
(`Claim`), so the cost is in proportion to what changed (a new site links every file once, as
it is staged, into a second tree that becomes the previous generation after the swap).

Where the exchange is not available (another system, the output on another file system than
the project), the swap moves files one by one and is journaled: before the first move, the
manifest of the site-to-be is written beside the staging folder (`.briefgen-swap`). A process
killed during that swap leaves the journal, and the next writer finishes the swap from it before
anything else (it rolls forward: the new files are all staged by then).
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import functools
import os
import posixpath
import shutil
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import manifest
from .errors import BuildError
from .faults import crash_point
from .files import remove_path
from .hashing import content_hash, path_key
from .manifest import MARKER, WrittenFile  # the manifest of what the last build wrote; also proves ownership
from .search import UNMANAGED  # the search index, which search.py keeps up to date itself

STAGING = ".briefgen-staging"
JOURNAL = ".briefgen-swap"  # the manifest of a swap under way: see recover()
TWIN_SUFFIX = ".twin"  # beside the previous generation: a new site's second tree, as it is staged
_RENAME_EXCHANGE = 2  # renameat2(2)
_AT_FDCWD = -100


def check_output_dir(out: Path, root: Path, content: Path) -> None:
    """Refuse an output folder whose cleaning could destroy something that is not output."""
    resolved = out.resolve()
    for name, protected in (
        ("the project folder", root.resolve()),
        ("the content folder", content.resolve()),
    ):
        if resolved == protected or resolved in protected.parents:
            raise BuildError(f"refusing to write into {out}: it is {name} or contains it")
        if protected in resolved.parents and name == "the content folder":
            raise BuildError(f"refusing to write into {out}: it is inside the content folder")
    if resolved == Path(resolved.anchor) or resolved == Path.home().resolve():
        raise BuildError(f"refusing to write into {out}")
    if out.exists() and not out.is_dir():
        raise BuildError(f"output {out} exists and is not a folder")
    if out.is_dir() and not (out / MARKER).is_file():
        leftovers = [p.name for p in out.iterdir() if p.name != STAGING]
        if leftovers:
            raise BuildError(
                f"refusing to write into {out}: it is not empty and was not made by briefgen "
                f"(it holds {', '.join(sorted(leftovers)[:3])}); choose another --out or empty it"
            )


def write_atomically(path: Path, data: bytes, *, durable: bool = False) -> None:
    """Replace `path` so that readers (and crashes) see the old bytes or the new ones, never half.

    With `durable`, the data and the rename reach the disk before this returns (the mail ledger).
    """
    import tempfile  # here: it loads the random module, which a rebuild otherwise does without

    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            if durable:
                file.flush()
                os.fsync(file.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)  # mkstemp makes it private; give it the usual mode
        crash_point(f"replace:{path.name}")
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    if durable:
        with contextlib.suppress(OSError):
            folder = os.open(path.parent, os.O_RDONLY)
            try:
                os.fsync(folder)
            finally:
                os.close(folder)


def claim_output(out: Path, root: Path, content: Path) -> None:
    """Before writing one file into the output folder outside a build (`briefgen digest`): refuse
    an unsafe folder, and mark a new one as briefgen's so that `build` may use it later."""
    check_output_dir(out, root, content)
    if not (out / MARKER).is_file():
        out.mkdir(parents=True, exist_ok=True)
        _write_manifest(out, {})


def place(out: Path, relative: str, data: bytes) -> Path:
    """Write one file into a site outside a build (`briefgen digest`), and list it in the manifest,
    so that later builds keep it (or drop it) as one of their own."""
    path = out / safe_relative(relative)
    write_atomically(path, data)
    files = read_manifest(out)
    info = path.stat()
    files[relative] = (content_hash(data), info.st_mtime_ns, info.st_size)
    _write_manifest(out, files)
    return path


def intact(out: Path, manifest: dict[str, WrittenFile]) -> bool:
    """The output folder holds exactly what the last build wrote: no file missing, edited or added."""
    found = 0
    for dirpath, dirnames, filenames in os.walk(out):
        relative_dir = os.path.relpath(dirpath, out)
        if relative_dir == ".":
            dirnames[:] = [name for name in dirnames if name not in UNMANAGED]
        if relative_dir == STAGING:
            dirnames.clear()
            continue
        for name in filenames:
            relative = name if relative_dir == "." else f"{relative_dir}/{name}"
            if relative in (MARKER, JOURNAL, *UNMANAGED):
                continue
            entry = manifest.get(relative)
            if entry is None:
                return False
            info = os.stat(os.path.join(dirpath, name))
            if (info.st_mtime_ns, info.st_size) != entry[1:]:
                return False
            found += 1
    return found == len(manifest)


def recover(out: Path) -> bool:
    """Finish a swap that a killed process left halfway; True if there was one.

    Staged files still waiting are moved in, files the journal does not list are removed, and the
    journal becomes the manifest: the folder ends as the interrupted build meant it to be.
    """
    journal = out / JOURNAL
    if not journal.is_file():
        return False
    files = read_manifest(out, JOURNAL)
    if not files:  # unreadable (it is written whole, so someone else damaged it): the next build
        journal.unlink(missing_ok=True)  # compares every file with the old manifest and redoes them
        shutil.rmtree(out / STAGING, ignore_errors=True)
        return False
    staging = out / STAGING
    if staging.is_dir():
        _merge(staging, out)
    _remove_unlisted(out, files)
    os.replace(journal, out / MARKER)
    shutil.rmtree(staging, ignore_errors=True)
    return True


def _write_manifest(
    out: Path,
    files: dict[str, WrittenFile],
    name: str = MARKER,
    *,
    generation: str = "",
    previous: Claim | None = None,
) -> None:
    """Write a manifest (manifest.py), under a new generation id (or `generation`), with what it
    says of the previous generation (see `Claim`)."""
    claim = None if previous is None else (previous.generation, tuple(sorted(previous.differs)))
    tmp = out / (name + ".tmp")
    try:
        tmp.write_bytes(manifest.encode(files, generation or _new_id(), claim))
        os.replace(tmp, out / name)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)


def stage(path: str, data: bytes) -> tuple[int, int]:
    """Write a new file (its folder exists); its mtime in ns and size, as a move will keep them."""
    descriptor = os.open(path, _NEW_FILE, 0o666)
    try:
        written = os.write(descriptor, data)
        if written < len(data):  # a short write: go on with what is left
            view = memoryview(data)
            while written < len(data):
                written += os.write(descriptor, view[written:])
    finally:
        os.close(descriptor)
    info = os.stat(path)  # once closed: a network file system may set the time only then
    return info.st_mtime_ns, info.st_size


def _merge(source: str | Path, target: str | Path, point: str = "swap") -> None:
    """Move everything under `source` to the same place under `target`.

    A folder missing from `target` moves in whole; a link in `target` is replaced, never followed,
    so nothing is ever written outside the output folder.
    """
    with os.scandir(source) as found:
        entries = list(found)  # moved out while going through them
    for entry in entries:
        destination = f"{target}/{entry.name}"
        try:
            there = os.lstat(destination).st_mode
        except FileNotFoundError:
            os.replace(entry.path, destination)
            crash_point(point)
            continue
        if entry.is_dir() and stat.S_ISDIR(there):
            _merge(entry.path, destination, point)
            continue
        if stat.S_ISDIR(there):
            shutil.rmtree(destination)
        elif stat.S_ISLNK(there) and entry.is_dir():
            os.unlink(destination)
        os.replace(entry.path, destination)


def _open_generation(folder: Path, *, trusted: bool = False) -> dict[str, WrittenFile]:
    """Make `folder` ready to become the next site; what it holds, by its manifest (not read if
    the caller knows it already: `trusted`).

    Its manifest is removed first: a process killed while the folder is being brought up to date
    leaves it without one, and the next build then starts the folder afresh.
    """
    known = {} if trusted else read_manifest(folder)
    if not known and not trusted and folder.exists():
        shutil.rmtree(folder)  # half made, or the old site was empty: begin again
    folder.mkdir(parents=True, exist_ok=True)
    (folder / MARKER).unlink(missing_ok=True)
    shutil.rmtree(folder / STAGING, ignore_errors=True)
    for name in (JOURNAL, *UNMANAGED):
        if (folder / name).is_dir() and not (folder / name).is_symlink():
            continue  # an older search index: exchanged with the live one after the swap
        (folder / name).unlink(missing_ok=True)
    return known


def _link(source: Path, target: Path) -> None:
    """Make `target` the same file as `source` (replacing what is there, never writing into it)."""
    with contextlib.suppress(FileNotFoundError):
        target.unlink()
    try:
        os.link(source, target, follow_symlinks=False)
    except FileNotFoundError:
        if not source.exists() and not source.is_symlink():
            return  # the live site lost it: the build's manifest check redoes it next time
        target.parent.mkdir(parents=True, exist_ok=True)
        os.link(source, target, follow_symlinks=False)
    except IsADirectoryError:
        shutil.rmtree(target)
        os.link(source, target, follow_symlinks=False)


def _unlink_and_prune(root: Path, relative: str) -> None:
    """Remove a file and the folders it leaves empty, up to `root`."""
    path = root / relative
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
    parent = path.parent
    while parent != root:
        try:
            parent.rmdir()
        except OSError:
            break
        parent = parent.parent


def _adopt_twin(twin: Path, target: Path, files: dict[str, WrittenFile], generation: str) -> None:
    """`target` (empty but for its manifest) as the second tree `twin` holds, linked while the
    files were staged: its entries move in, then its manifest is written, with id `generation`."""
    (target / MARKER).unlink(missing_ok=True)
    _merge(twin, target, "generation")
    twin.rmdir()
    _write_manifest(target, files, generation=generation)


def _make_folder(roots: tuple[Path, ...], folder: str, made: set[str]) -> None:
    """Make `folder` under each of `roots`, and the folders above it that `made` does not list yet."""
    parent = posixpath.dirname(folder)
    if parent not in made:
        _make_folder(roots, parent, made)
    for root in roots:
        with contextlib.suppress(FileExistsError):
            os.mkdir(f"{root}/{folder}")
    made.add(folder)


def read_manifest(out: Path, name: str = MARKER) -> dict[str, WrittenFile]:
    """What the last build wrote into `out` (empty if it cannot be read)."""
    try:
        return manifest.decode((out / name).read_bytes())[2]
    except (OSError, ValueError):
        return {}


@dataclass(frozen=True, slots=True)
class Claim:
    """What a site's manifest says of the previous generation kept beside it: the generation id of
    the manifest that folder holds, and the files where the two trees differ. Everywhere else the
    previous generation holds the very files of the site (hard links), so a commit can bring it
    up to date without reading its manifest."""

    generation: str
    differs: frozenset[str]


def _new_id() -> str:
    return os.urandom(16).hex()


def _generation_of(folder: Path) -> str | None:
    """The generation id of the manifest in `folder`, from its first bytes (None if none)."""
    try:
        with open(folder / MARKER, "rb") as file:
            return manifest.generation_in(file.read(manifest.HEAD_BYTES))
    except OSError:
        return None


def _head_of(folder: Path) -> tuple[str | None, Claim | None]:
    """The generation id of the manifest in `folder` and its claim on the previous generation."""
    try:
        generation, previous = manifest.head(folder / MARKER)
    except (OSError, ValueError):
        return None, None
    claim = None if previous is None else Claim(previous[0], frozenset(previous[1]))
    return generation or None, claim


def unchanged(out: Path, previous: dict[str, WrittenFile], relative: str, new_digest: str) -> bool:
    """True if the file the last build wrote is still there, untouched, with these very bytes."""
    entry = previous.get(relative)
    if entry is None or entry[0] != new_digest:
        return False
    try:
        info = os.stat(f"{out}/{relative}")  # no Path made: this runs for every page a rebuild keeps
    except OSError:
        return False
    return (info.st_mtime_ns, info.st_size) == entry[1:]


def safe_relative(relative: str) -> str:
    """An output path that stays inside the output folder, or a BuildError."""
    if (
        not relative
        or relative.startswith("/")
        or "\\" in relative
        or "\0" in relative
        or posixpath.normpath(relative) != relative
        or relative.split("/")[0] in ("..", STAGING, MARKER, JOURNAL, *UNMANAGED)
    ):
        raise BuildError(f"refusing to write outside the output folder: {relative}")
    return relative


def previous_generation(state_dir: Path, out: Path) -> Path:
    """Where the previous generation of the site built into `out` is kept (one per output folder)."""
    key = path_key(str(out.resolve()))
    return state_dir / "previous-site" / f"{out.name}-{key}"


def exchange(a: Path, b: Path) -> bool:
    """Swap two folders in one atomic step; False where the system cannot (then nothing moved)."""
    rename = _renameat2()
    if rename is None:
        return False
    if rename(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.EXDEV, errno.ENOTSUP, errno.EPERM):
        return False
    raise OSError(code, os.strerror(code), str(a), None, str(b))


@functools.cache
def _renameat2() -> Any:
    """The C library's renameat2 (glibc 2.28 and later), or None where there is none."""
    try:
        return getattr(ctypes.CDLL(None, use_errno=True), "renameat2", None)
    except OSError:
        return None


class Stager:
    """Writes files at their places under the staging folder (and a new site's second tree).

    It holds no more than where they go, so the processes that render pages (forked after it is
    made) each stage their own pages, and the pages' bytes never travel between processes; the
    Writer records what was staged (`Writer.staged`). Each process keeps its own list of the
    folders it made.
    """

    def __init__(self, out: Path, twin: Path | None) -> None:
        self.out = out
        self.staging = out / STAGING
        self.twin = twin
        self._roots = (self.staging,) if twin is None else (self.staging, twin)
        self._made = {""}  # folders made under the roots, relative

    def write(self, relative: str, data: bytes) -> tuple[int, int]:
        """Stage `data` as `relative` (checked with `safe_relative`): its time in ns and size."""
        try:
            folder = posixpath.dirname(safe_relative(relative))
            if folder not in self._made:  # most pages have a folder of their own
                _make_folder(self._roots, folder, self._made)
            written = stage(f"{self.staging}/{relative}", data)
            if self.twin is not None:
                os.link(f"{self.staging}/{relative}", f"{self.twin}/{relative}", follow_symlinks=False)
        except OSError as error:
            raise BuildError(
                f"cannot write {relative} ({error.strerror}); nothing was changed in {self.out}"
            ) from None
        return written


class Writer:
    """Collect a build's files in a staging folder, then swap them into place, or abort.

    Staged files sit at their final paths under `.briefgen-staging/`, so a new folder (all of
    `articles/` on a first build) moves in with one rename.
    With `partial`, files not added in this run keep their place (a rebuild of a few pages);
    otherwise every file the build did not make is removed on commit.
    With `generations` (see `previous_generation`), the swap is atomic where the system allows.
    """

    def __init__(
        self,
        out: Path,
        partial: bool = False,
        previous: dict[str, WrittenFile] | None = None,
        generations: Path | None = None,
    ) -> None:
        """`previous` is the manifest, when the caller has just read it."""
        self.out = out
        self.staging = out / STAGING
        self.created_out = not out.exists()
        if recover(out):
            previous = None  # the manifest just changed
        self.previous = read_manifest(out) if previous is None else previous
        self.partial = partial
        self.files: dict[str, WrittenFile] = dict(self.previous) if partial else {}
        self.added: set[str] = set()
        self.changed: list[str] = []
        if self.staging.exists():
            shutil.rmtree(self.staging)  # left by a build that was killed
        self.staging.mkdir(parents=True)
        self._second_tree = _new_id()  # the generation id of a second tree made whole (a new site)
        # where the previous generation is kept, if it can be exchanged with the site (else None)
        exchangeable = generations is not None and self._exchangeable(generations)
        self.generations = generations if exchangeable else None
        # A new site's second tree, linked file by file as they are staged (while other processes
        # still render), instead of all at once after the swap; beside the previous generation.
        self._twin: Path | None = None
        if generations is not None:
            twin = generations.with_name(generations.name + TWIN_SUFFIX)
            remove_path(twin)  # one left by a build that was killed
            if self.generations is not None and not self.previous and not partial:
                twin.mkdir(parents=True)
                self._twin = twin
        self.stager = Stager(self.out, self._twin)

    def _claim(self, relative: str) -> None:
        if relative in self.added:
            raise BuildError(f"two outputs would be written to {relative}")
        self.added.add(relative)

    def add(self, relative: str, data: bytes) -> None:
        """Stage `data` for `relative`, unless the file already holds exactly these bytes."""
        new_digest = content_hash(data)
        if unchanged(self.out, self.previous, relative, new_digest):
            self.keep(relative)
            return
        self.put(relative, data, new_digest)

    def put(self, relative: str, data: bytes, new_digest: str) -> None:
        """Stage `data`, whose digest is `new_digest`, for `relative`."""
        self._claim(safe_relative(relative))
        self._record(relative, new_digest, self.stager.write(relative, data))

    def staged(self, relative: str, new_digest: str, written: tuple[int, int]) -> None:
        """`relative` was staged by `stager.write` (in whichever process rendered it): its digest,
        time and size."""
        self._claim(safe_relative(relative))
        self._record(relative, new_digest, written)

    def _record(self, relative: str, new_digest: str, written: tuple[int, int]) -> None:
        self.files[relative] = (new_digest, *written)  # a move keeps the time and size
        self.changed.append(relative)
        crash_point("stage")

    def keep(self, relative: str) -> None:
        """The file is already as it should be (checked with `unchanged`)."""
        self._claim(relative)
        self.files[relative] = self.previous[relative]

    def commit(self) -> list[str]:
        """Move staged files into place and drop files this build no longer makes."""
        if self.generations is not None:
            return self._commit_by_exchange(self.generations)
        fresh_folder = self.created_out and not self.previous  # nothing there but what we staged
        journaled = self.files != self.previous or not (self.out / MARKER).is_file()
        if journaled:
            try:
                _write_manifest(self.out, self.files, JOURNAL)
            except OSError as error:
                raise BuildError(
                    f"cannot write into {self.out} ({error.strerror}); nothing was changed in it"
                ) from None
        crash_point("journal")
        _merge(self.staging, self.out)
        removed = [] if self.partial or fresh_folder else self._remove_stale()
        crash_point("manifest")
        if journaled:
            os.replace(self.out / JOURNAL, self.out / MARKER)
        shutil.rmtree(self.staging, ignore_errors=True)
        return removed

    def _exchangeable(self, other: Path) -> bool:
        """The previous generation can live at `other` and be exchanged with the site."""
        if _renameat2() is None:
            return False
        out, there = self.out.resolve(), other.resolve()
        if out in there.parents or there in out.parents or out == there:
            return False
        existing = next((folder for folder in (other, *other.parents) if folder.exists()), None)
        try:
            same_disk = existing is not None and os.stat(existing).st_dev == os.stat(self.out).st_dev
        except OSError:
            return False
        return same_disk  # the folder is in briefgen's state folder: briefgen's own

    def _commit_by_exchange(self, other: Path) -> list[str]:
        """Bring the previous generation up to this build, then exchange it with the site."""
        # a partial build keeps every file it does not make, so it removes none (a set difference
        # of every file's name was most of a one-body rebuild's swap at 100,000 articles)
        removed = set() if self.partial else self.previous.keys() - self.files.keys()
        try:
            self._bring_up_to_date(other, removed)
        except OSError as error:  # a full disk, most likely: the live site is still as it was
            raise BuildError(
                f"cannot prepare the new site in {other} ({error.strerror}); nothing was changed in "
                f"{self.out}"
            ) from None
        crash_point("journal")
        if not exchange(other, self.out):
            raise BuildError(f"cannot swap the new site into {self.out}; nothing was changed in it")
        crash_point("swap")
        for name in UNMANAGED:  # the search index is kept up by search.py, beside the pages
            old_side, new_side = other / name, self.out / name
            if old_side.exists() and not new_side.exists():
                os.replace(old_side, new_side)
            elif old_side.exists() and new_side.exists():
                exchange(old_side, new_side)
        # what is now the previous generation: the old site, its staging folder gone
        shutil.rmtree(other / STAGING, ignore_errors=True)
        (other / JOURNAL).unlink(missing_ok=True)
        if not (other / MARKER).is_file():  # the old site had none (a first build): start afresh
            _write_manifest(other, {})
        crash_point("manifest")
        if self.partial:
            return []
        _remove_unlisted(other, self.previous)  # files someone added to the old site
        if not self.previous:  # the site was new: its second tree was linked as it was staged
            assert self._twin is not None
            _adopt_twin(self._twin, other, self.files, self._second_tree)
            self._twin = None
        return sorted(removed)

    def _bring_up_to_date(self, other: Path, removed: set[str]) -> None:
        """Make `other` hold exactly the site this build makes (it is not live: no reader sees it).

        Where the live site's manifest has a claim on `other` and `other` is still that generation,
        only the files the claim names are looked at; otherwise `other`'s manifest is read whole.
        `removed`: the live site's files this build no longer makes.
        """
        live, claim = _head_of(self.out) if self.previous else (None, None)
        trusted = claim is not None and claim.generation == _generation_of(other)
        known = _open_generation(other, trusted=trusted)
        changed = set(self.changed)
        if claim is not None and trusted:  # elsewhere `other` holds the live site's own files
            for relative in claim.differs - changed:
                if relative in self.files:
                    _link(self.out / relative, other / relative)
            gone = removed | {relative for relative in claim.differs if relative not in self.files}
        else:
            for relative, entry in self.files.items():  # what this build kept, as the live site has it
                if relative not in changed and known.get(relative) != entry:
                    _link(self.out / relative, other / relative)
            gone = known.keys() - self.files.keys()
        for relative in gone:
            _unlink_and_prune(other, relative)
        crash_point("generation")
        _merge(self.staging, other, "generation")  # what this build changed
        # after the exchange, `other` holds the live site as it is now: where it will differ
        if not self.previous and not self.partial:  # a new site: the second tree is made whole
            claim = Claim(self._second_tree, frozenset())
        elif live is not None:
            claim = Claim(live, frozenset(changed | removed))
        else:
            claim = None
        _write_manifest(other, self.files, previous=claim)
        with contextlib.suppress(OSError):
            os.chmod(other, os.stat(self.out).st_mode & 0o7777)

    def abort(self) -> None:
        shutil.rmtree(self.staging, ignore_errors=True)
        if self._twin is not None:
            shutil.rmtree(self._twin, ignore_errors=True)
        if self.created_out and self.out.is_dir() and not any(self.out.iterdir()):
            self.out.rmdir()

    def _remove_stale(self) -> list[str]:
        return _remove_unlisted(self.out, self.files)


def _remove_unlisted(out_dir: Path, files: dict[str, WrittenFile]) -> list[str]:
    """Delete files under the output folder that `files` does not list (and emptied folders).

    A link to a folder is left, and never followed; so are the staging folder and the search index.
    """
    removed: list[str] = []

    def clear(folder: str, prefix: str) -> bool:
        """Remove what is not listed under `folder`; True if nothing is left in it."""
        try:
            with os.scandir(folder) as found:
                entries = list(found)
        except OSError:
            return False
        left = 0
        for entry in entries:
            relative = prefix + entry.name
            if entry.is_dir():
                if entry.is_symlink() or (not prefix and entry.name in (STAGING, *UNMANAGED)):
                    left += 1
                elif clear(entry.path, relative + "/"):
                    os.rmdir(entry.path)
                else:
                    left += 1
            elif relative in files or (not prefix and entry.name in (MARKER, JOURNAL, *UNMANAGED)):
                left += 1
            else:
                os.unlink(entry.path)
                removed.append(relative)
        return not left

    clear(str(out_dir), "")
    return sorted(removed)
