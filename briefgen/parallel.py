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
from typing import Any, Generic, TypeVar

from .errors import BuildError

R = TypeVar("R")

ASIDE_MIN = 2000  # articles: below this, work aside costs more to start than it saves

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


def worth_aside(jobs: int, articles: int) -> bool:
    """Whether work over this many articles is worth an Aside, with `jobs` processes allowed."""
    return jobs > 1 and articles >= ASIDE_MIN


class Aside(Generic[R]):
    """`work()` done in a forked process while this one goes on; `result()` waits for it.

    For work beside the build's main line while the index is built: ranking related articles,
    writing the parse cache. With `fork` False (one job, a small site, or no fork on this system)
    the work is done here, on the first `result()`.
    """

    def __init__(self, work: Callable[[], R], fork: bool = True) -> None:
        self._work: Callable[[], R] | None = work
        self._value: R | None = None
        self._process: Any = None
        self._receiver: Any = None
        if not fork or "fork" not in multiprocessing.get_all_start_methods():
            return
        context = multiprocessing.get_context("fork")
        self._receiver, sender = context.Pipe(duplex=False)

        def run() -> None:
            try:
                sender.send((_DONE, work()))
            except BaseException as error:
                sender.send((_FAILED, _sendable(error)))

        self._process = context.Process(target=run, daemon=True)
        self._process.start()
        sender.close()  # this end belongs to the child: its exit then ends our recv() with EOFError
        self._work = None

    def result(self) -> R:
        if self._work is not None:  # not forked: do it now, once
            self._value, self._work = self._work(), None
        elif self._process is not None:
            try:
                tag, value = self._receiver.recv()
            except EOFError:
                self._process.join()
                raise BuildError(
                    f"a helper process stopped unexpectedly (exit code {self._process.exitcode}); "
                    "try again, or build with --jobs 1"
                ) from None
            finally:
                self._receiver.close()
            self._process.join()
            self._process = None
            if tag == _FAILED:
                raise value
            self._value = value
        return self._value  # type: ignore[return-value]

    def cancel(self) -> None:
        """Stop the work if it is still running; its result is not wanted."""
        if self._process is not None:
            self._process.terminate()
            self._process.join()
            self._receiver.close()
            self._process = None
        self._work = None
