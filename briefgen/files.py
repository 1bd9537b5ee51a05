"""Which files briefgen reads, and reading them: regular files only, links only within the project.

Content comes from many hands, so nothing is opened before its kind is known: a named pipe would
block the open forever, a device could be read without end, and a link could publish a file from
anywhere on the machine. Such files are skipped and named in a warning (an error with --strict).
"""

from __future__ import annotations

import contextlib
import errno
import functools
import os
import shutil
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from .config import SiteConfig
from .errors import ContentError, Problem

BROKEN = "cannot be read"  # a file meant to be read (an error); other skipped files are warnings
_SPECIAL = (
    (stat.S_ISFIFO, "named pipe"),
    (stat.S_ISSOCK, "socket"),
    (stat.S_ISCHR, "character device"),
    (stat.S_ISBLK, "block device"),
)


@dataclass(frozen=True, slots=True)
class FilePolicy:
    """The folders links may lead into (resolved), whether links are followed, and a size limit."""

    roots: tuple[str, ...]
    follow_links: bool = True
    max_bytes: int = 0  # 0: no limit

    def inside(self, real: str) -> bool:
        return any(real == root or real.startswith(root.rstrip(os.sep) + os.sep) for root in self.roots)

    def skip_reason(self, path: str) -> str | None:
        """Why `path` is not read, or None for a regular file (or a link to one) that may be."""
        try:
            info = os.lstat(path)
        except OSError as error:
            return f"{BROKEN} ({error.strerror})"
        if stat.S_ISLNK(info.st_mode):
            return self.link_reason(path, directory=False)
        return _kind_reason(info.st_mode, directory=False)

    def link_reason(self, path: str, directory: bool) -> str | None:
        if not self.follow_links:
            return "is a symbolic link; links are not followed (follow_symlinks: false in briefgen.yaml)"
        try:
            real = os.path.realpath(path, strict=True)
        except OSError as error:
            if error.errno == errno.ELOOP:
                return "is a symbolic link loop"
            return f"{BROKEN}: its target {os.readlink(path)} does not exist"
        if not self.inside(real):
            return f"is a symbolic link to {real}, outside the project; it is not read"
        try:
            return _kind_reason(os.stat(real).st_mode, directory)
        except OSError as error:
            return f"{BROKEN} ({error.strerror})"


def _kind_reason(mode: int, directory: bool) -> str | None:
    if directory:
        return None if stat.S_ISDIR(mode) else "is not a folder"
    if stat.S_ISREG(mode):
        return None
    for test, name in _SPECIAL:
        if test(mode):
            return f"is a {name}, not a regular file; it is not read"
    return "is a folder" if stat.S_ISDIR(mode) else "is not a regular file; it is not read"


@functools.lru_cache(maxsize=8)  # asked once per file read: the folders' real paths cost system calls
def file_policy(config: SiteConfig) -> FilePolicy:
    """Links may lead anywhere in the project folder or in a folder the settings name."""
    folders = [config.root, config.content_dir, config.templates_dir, config.static_dir]
    roots = tuple(dict.fromkeys(os.path.realpath(folder) for folder in folders))
    return FilePolicy(roots, config.follow_symlinks, int(config.limits.file_mb * 1024 * 1024))


@dataclass(slots=True)
class Listing:
    """Files found under a folder, and the entries passed over, each with why."""

    files: list[Path] = field(default_factory=list)
    skipped: list[Problem] = field(default_factory=list)
    stats: dict[str, os.stat_result] = field(default_factory=dict)  # with `stats=True`: by path
    errors: list[Problem] = field(default_factory=list)  # files that should be read but cannot

    def skip(self, path: str, reason: str) -> None:
        if reason.startswith(BROKEN):
            self.errors.append(ContentError(path, None, reason))
        else:
            self.skipped.append(ContentError(path, None, f"skipped: {reason}"))


def walk(
    folder: Path,
    policy: FilePolicy,
    keep_dir: Callable[[tuple[str, ...]], bool] = lambda parts: True,
    keep_file: Callable[[str], bool] = lambda name: True,
    stats: bool = False,
    stat_only: Callable[[str], bool] | None = None,
) -> Listing:
    """Every regular file under `folder` that `keep_file` wants, in folders `keep_dir` wants.

    `keep_dir` sees a folder's path relative to `folder` as parts. Linked folders are entered when
    the policy allows, after every real folder, and each real folder at most once: a link loop
    ends, and a file is never listed twice. With `stats`, only `stats` is filled (by path, in no
    particular order), for the paths `stat_only` wants when it is given; otherwise `files`, sorted.
    """
    listing = Listing()
    if not folder.is_dir():
        return listing
    seen = {os.path.realpath(folder)}
    pending: list[tuple[str, tuple[str, ...]]] = [(str(folder), ())]
    links: list[tuple[str, tuple[str, ...]]] = []  # linked folders, entered once no real one is left
    found: list[tuple[tuple[str, ...], str]] = []
    while pending or links:
        if not pending:
            path, parts = links.pop(0)
            real = os.path.realpath(path)
            if real in seen:
                listing.skip(path, "is a symbolic link to a folder already read (a loop); it is not followed")
                continue
            seen.add(real)
            pending.append((path, parts))
        current, parts = pending.pop()
        prefix = current.rstrip("/") + "/"
        for entry in _entries(current, listing):
            if entry.is_file(follow_symlinks=False):  # the common case, told by the listing itself
                if keep_file(entry.name):
                    path = prefix + entry.name
                    if not stats:
                        found.append(((*parts, entry.name), path))
                        continue
                    if stat_only is not None and not stat_only(path):
                        continue
                    try:
                        info = entry.stat(follow_symlinks=False)
                    except OSError:  # removed meanwhile
                        continue
                    listing.stats[path] = info
                continue
            path = prefix + entry.name
            if entry.is_dir(follow_symlinks=False):
                inner = (*parts, entry.name)
                if keep_dir(inner):
                    pending.append((path, inner))
                    seen.add(os.path.realpath(path))
                continue
            if entry.is_symlink() and _points_at_folder(path):
                inner = (*parts, entry.name)
                if keep_dir(inner):
                    reason = policy.link_reason(path, directory=True)
                    if reason is None:
                        links.append((path, inner))
                    else:
                        listing.skip(path, reason)
                continue
            if not keep_file(entry.name):
                continue
            reason = policy.skip_reason(path)  # a link to a file, a pipe, a device...
            if reason is not None:
                listing.skip(path, reason)
            elif stats:
                if stat_only is None or stat_only(path):
                    with contextlib.suppress(OSError):  # removed meanwhile
                        listing.stats[path] = os.stat(path)
            else:
                found.append(((*parts, entry.name), path))
    found.sort()
    listing.files = [Path(path) for _, path in found]
    listing.skipped.sort(key=lambda problem: str(problem.path))
    listing.errors.sort(key=lambda problem: str(problem.path))
    return listing


def _entries(folder: str, listing: Listing) -> Iterator[os.DirEntry[str]]:
    """The entries of `folder`, listed through its descriptor, open until the last is given: each
    entry's stat() then looks up one name instead of the whole path, which saves a seventh of it."""
    try:
        descriptor = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | getattr(os, "O_CLOEXEC", 0))
    except OSError as error:
        listing.skip(folder, f"{BROKEN} ({error.strerror})")
        return
    try:
        try:
            entries = list(os.scandir(descriptor))
        except OSError as error:
            listing.skip(folder, f"{BROKEN} ({error.strerror})")
            return
        yield from entries
    finally:
        os.close(descriptor)


def _points_at_folder(path: str) -> bool:
    try:
        return stat.S_ISDIR(os.stat(path).st_mode)
    except OSError:
        return False


def remove_path(path: Path) -> None:
    """Remove a file, a link or a whole folder (never following a link), if there is one."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def read_regular(path: Path, policy: FilePolicy) -> bytes:
    """The bytes of a regular file, or a ContentError saying why it is not read.

    Opened without blocking and checked once open, so that a file swapped for a pipe after it
    was listed still cannot hang the build; the size is checked before anything is read.
    """
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as error:
        raise ContentError(path, None, f"{BROKEN} ({error.strerror})") from None
    try:
        info = os.fstat(descriptor)
        reason = _kind_reason(info.st_mode, directory=False)
        if reason is not None:
            raise ContentError(path, None, reason)
        if policy.max_bytes and info.st_size > policy.max_bytes:
            raise ContentError(
                path,
                1,
                f"the file is {_size(info.st_size)}, over the limit of {_size(policy.max_bytes)} "
                "(limits.file_mb in briefgen.yaml); split it or raise the limit",
            )
        with os.fdopen(descriptor, "rb", buffering=0, closefd=False) as handle:
            data = handle.readall()  # sized from fstat: one read for a file that does not grow
        if policy.max_bytes and len(data) > policy.max_bytes:  # it grew after the check
            raise ContentError(path, 1, f"the file is over the limit of {_size(policy.max_bytes)}")
        return data
    finally:
        os.close(descriptor)


def _size(count: int) -> str:
    if count >= 1024 * 1024:
        return f"{count / (1024 * 1024):.1f} MB"
    return f"{count / 1024:.1f} KB" if count >= 1024 else f"{count} bytes"


class Files(Protocol):
    """What the site pipeline reads, and all it reads: listings of folders and the bytes of files.

    `DiskFiles` is the project on disk under a FilePolicy; `MemoryFiles` is a site held in a
    mapping, so that loading, indexing, planning and rendering can be tested without a disk.
    """

    def is_dir(self, folder: Path) -> bool: ...

    def listing(
        self,
        folder: Path,
        keep_dir: Callable[[tuple[str, ...]], bool] = lambda parts: True,
        keep_file: Callable[[str], bool] = lambda name: True,
    ) -> Listing:
        """The files under `folder` that the filters keep, sorted (see walk)."""
        ...

    def read(self, path: Path) -> bytes:
        """The bytes of one file, or a ContentError saying why it is not read."""
        ...


@dataclass(frozen=True, slots=True)
class DiskFiles:
    """The project on disk: regular files only, links only where the policy lets them lead."""

    policy: FilePolicy

    def is_dir(self, folder: Path) -> bool:
        return folder.is_dir()

    def listing(
        self,
        folder: Path,
        keep_dir: Callable[[tuple[str, ...]], bool] = lambda parts: True,
        keep_file: Callable[[str], bool] = lambda name: True,
    ) -> Listing:
        return walk(folder, self.policy, keep_dir, keep_file)

    def read(self, path: Path) -> bytes:
        return read_regular(path, self.policy)


class MemoryFiles:
    """A site held in memory: file path -> bytes (text is stored as UTF-8). For tests and tools."""

    def __init__(self, files: dict[Path, bytes | str], max_bytes: int = 0) -> None:
        self.files = {Path(k): v.encode() if isinstance(v, str) else v for k, v in files.items()}
        self.max_bytes = max_bytes

    def is_dir(self, folder: Path) -> bool:
        return any(path.is_relative_to(folder) and path != folder for path in self.files)

    def listing(
        self,
        folder: Path,
        keep_dir: Callable[[tuple[str, ...]], bool] = lambda parts: True,
        keep_file: Callable[[str], bool] = lambda name: True,
    ) -> Listing:
        found = []
        for path in self.files:
            if not path.is_relative_to(folder) or path == folder:
                continue
            parts = path.relative_to(folder).parts
            folders = all(keep_dir(parts[:depth]) for depth in range(1, len(parts)))
            if folders and keep_file(parts[-1]):
                found.append((parts, path))
        return Listing(files=[path for _, path in sorted(found)])

    def read(self, path: Path) -> bytes:
        data = self.files.get(Path(path))
        if data is None:
            raise ContentError(path, None, f"{BROKEN} (No such file or directory)")
        if self.max_bytes and len(data) > self.max_bytes:
            raise ContentError(path, 1, f"the file is over the limit of {_size(self.max_bytes)}")
        return data


def project_files(config: SiteConfig) -> DiskFiles:
    """The files of the project that `config` describes, read under its file policy."""
    return DiskFiles(file_policy(config))


__all__ = [
    "DiskFiles",
    "FilePolicy",
    "Files",
    "Listing",
    "MemoryFiles",
    "file_policy",
    "project_files",
    "read_regular",
    "walk",
]
