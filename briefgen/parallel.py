"""Work split between this process and forked helpers, which inherit everything they need.

The calling process works too: with `jobs` = 2 there is one helper, not two, so a 2-core machine
runs two busy processes instead of three, and the memory a forked process copies from its parent
(touching a Python object writes its reference count, which copies the page) is paid once less.
"""

from __future__ import annotations

import multiprocessing
import pickle
import queue
from collections.abc import Callable, Generator, Iterator
from typing import Any, TypeVar

from .errors import BuildError

R = TypeVar("R")

_DONE = "done"
_FAILED = "failed"


def run_chunks(work: Callable[[int], R], count: int, jobs: int, reserved: int = 0) -> Iterator[tuple[int, R]]:
    """Yield `(k, work(k))` for every k in range(count), in the order they finish.

    Chunks are claimed one at a time from a shared counter by this process and `jobs - 1` forked
    helpers, so a slow chunk never leaves a process idle. The first `reserved` chunks are done by
    this process alone, before it claims others: work whose caches should live in one process
    only. An exception raised by `work` in any process is raised here; helpers are stopped
    whatever happens.
    """
    helpers_wanted = min(jobs, count - reserved + 1) - 1
    if helpers_wanted < 1 or "fork" not in multiprocessing.get_all_start_methods():
        for k in range(count):
            yield k, work(k)
        return
    context = multiprocessing.get_context("fork")
    counter = context.Value("i", reserved)
    results = context.Queue()

    def claim() -> int | None:
        with counter.get_lock():
            k = int(counter.value)
            if k >= count:
                return None
            counter.value = k + 1
            return k

    def helper() -> None:
        try:
            while (chunk := claim()) is not None:
                results.put((chunk, work(chunk)))
            results.put((_DONE, None))
        except BaseException as error:
            results.put((_FAILED, _sendable(error)))

    helpers = [context.Process(target=helper, daemon=True) for _ in range(helpers_wanted)]
    for process in helpers:
        process.start()
    running = len(helpers)
    mine_first = iter(range(reserved))
    try:
        while (mine := next(mine_first, None)) is not None or (mine := claim()) is not None:
            yield mine, work(mine)
            while running:  # pass on what the helpers finished meanwhile, without waiting
                try:
                    message = results.get_nowait()
                except queue.Empty:
                    break
                running -= yield from _handle(message)
        while running:
            running -= yield from _handle(_next_result(results, helpers, running))
    finally:
        for process in helpers:
            if process.is_alive():
                process.terminate()
            process.join()
        results.close()
        results.join_thread()


def _next_result(results: Any, helpers: list[Any], running: int) -> tuple[object, object]:
    """The next message from a helper; a BuildError if a helper died without a word (killed)."""
    while True:
        try:
            return results.get(timeout=1.0)  # type: ignore[no-any-return]
        except queue.Empty:
            if sum(process.is_alive() for process in helpers) >= running:
                continue  # still working
        try:  # a helper that ended normally said so before it ended: that message is here by now
            return results.get(timeout=1.0)  # type: ignore[no-any-return]
        except queue.Empty:
            codes = [process.exitcode for process in helpers if process.exitcode]
            raise BuildError(
                f"a helper process stopped unexpectedly (exit code {codes[0] if codes else '?'}); "
                "try again, or build with --jobs 1"
            ) from None


def _handle(message: tuple[object, object]) -> Generator[tuple[int, Any], None, int]:
    """Yield a helper's result; return 1 once that helper has finished, else 0."""
    tag, value = message
    if tag == _FAILED:
        assert isinstance(value, BaseException)
        raise value
    if tag == _DONE:
        return 1
    assert isinstance(tag, int)
    yield tag, value
    return 0


def _sendable(error: BaseException) -> BaseException:
    """The error itself if it survives pickling, else a RuntimeError carrying its text."""
    try:
        pickle.loads(pickle.dumps(error))
    except Exception:
        return RuntimeError(f"{type(error).__name__}: {error}")
    return error
