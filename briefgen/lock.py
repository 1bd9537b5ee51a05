"""One writer per project: `.briefgen/lock`, held while a build or digest writes the site and cache.

A second command on the same project waits for the first instead of interleaving its writes with
it. The lock is an flock on an open file: the kernel drops it when the process ends, even after a
crash, so it never goes stale. Threads of one process (the preview's builds) share it: they already
take turns among themselves.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

from .errors import BuildError

LOCK_FILE = "lock"
STATE_DIR = ".briefgen"

_guard = threading.Lock()
_held: dict[str, tuple[int, int]] = {}  # lock path -> (descriptor, how many holders in this process)


@contextlib.contextmanager
def project_lock(root: Path, what: str, waiting: Callable[[str], None] | None = None) -> Iterator[None]:
    """Hold the project's lock for the block; if another process has it, tell `waiting` and wait."""
    path = str(root / STATE_DIR / LOCK_FILE)
    with _guard:
        held = _held.get(path)
        if held is not None:
            _held[path] = (held[0], held[1] + 1)
            descriptor = -1
        else:
            descriptor = _acquire(path, what, waiting)
            _held[path] = (descriptor, 1)
    try:
        yield
    finally:
        with _guard:
            descriptor, count = _held[path]
            if count > 1:
                _held[path] = (descriptor, count - 1)
            else:
                del _held[path]
                os.close(descriptor)


def _acquire(path: str, what: str, waiting: Callable[[str], None] | None) -> int:
    import fcntl

    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError as error:
        raise BuildError(f"cannot create the lock {path}: {error.strerror}") from None
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(descriptor, 200, 0).decode("utf-8", "replace").strip() or "another briefgen"
            if waiting is not None:
                waiting(f"waiting for {holder} to finish with this project (lock: {path})")
            fcntl.flock(descriptor, fcntl.LOCK_EX)
        os.ftruncate(descriptor, 0)
        os.pwrite(descriptor, f"briefgen {what} (process {os.getpid()})\n".encode(), 0)
    except BaseException:
        os.close(descriptor)
        raise
    return descriptor


__all__ = ["project_lock"]
