"""The executor: every copy of briefgen working beside this one is forked here, and here is
decided when forking pays. (Pagefind, an outside program, is started by search.py.)

Work is handed in as a function of a task number: a closure over the arguments it needs, which
helpers receive with the fork, never through module globals. `processes_for` is the one threshold
policy: how many processes work on N items with `jobs` allowed.

Three shapes. `run_chunks` splits work between this process and forked helpers. The calling
process works too: with `jobs` = 2 there is one helper, not two, so a 2-core machine runs two busy
processes instead of three, and the memory a forked process copies from its parent (touching a
Python object writes its reference count, which copies the page) is paid once less. `Aside` does
one piece of work in a helper while this process goes on (`Early`: plain values, with a bare
fork, at a command's start).
`run_isolated` does every task in a helper, one at a time, under a time and a memory limit, so
that one task gone wrong fails alone and a caller can stop everything at any moment. Every helper
starts with `forked()`: it drops the signal handlers it inherits, leads a process group of its own
and dies with its parent.
"""

from __future__ import annotations

import contextlib
import ctypes
import marshal
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar

from .errors import BuildError
from .heap import give_back_memory

if TYPE_CHECKING:
    from .config import SiteConfig

R = TypeVar("R")

# Below these many items, starting helper processes costs more than it saves (measured with bench/).
PARSE_MIN = 400  # files to parse
RENDER_MIN = 200  # pages to render
WAITING_MAX = 16  # results of chunks a helper may have waiting for this process to take them
TRIM_CHUNKS = 20  # chunks a helper does between two hand-backs of its free heap
ASIDE_MIN = 2000  # articles, for one piece of work beside the build's main line (an Aside)
SCAN_MIN = 20_000  # inputs, for the scan of their times and sizes to be shared between helpers
FINGERPRINT_MIN = 2000  # pages whose fingerprints a rebuild takes, shared between processes

Work = Literal["parse", "render", "aside", "scan", "fingerprint"]

_PR_SET_PDEATHSIG = 1  # prctl(2)
_DONE = "done"
_FAILED = "failed"


def forked() -> None:
    """First thing in every forked helper: forget how the parent handled signals, own a group.

    A helper inherits its parent's Python signal handlers: the preview server's SIGTERM handler,
    which raises an exception, would turn the SIGTERM that stops a helper into an error the
    helper then tries to report, blocking on a pipe nobody reads. With the defaults, SIGTERM and
    Ctrl-C end a helper at once, whatever it is doing.

    The helper leads a process group of its own, so that ending it (`_signal`) also ends what it
    started: WeasyPrint's first import runs `gcc` and `ld` to find libraries, which would
    otherwise outlive a stopped helper by a second. On Linux the helper also dies with its parent,
    even a parent killed with SIGKILL: no helper is ever left running alone.
    """
    with contextlib.suppress(OSError):
        os.setpgid(0, 0)
    _die_with_parent()
    with contextlib.suppress(ValueError):  # not the main thread: nothing was inherited there
        signal.set_wakeup_fd(-1)
    for sig in signal.valid_signals():
        try:
            handler = signal.getsignal(sig)
        except (OSError, ValueError):
            continue
        if callable(handler) or sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(OSError, ValueError):
                signal.signal(sig, signal.SIG_DFL)


def _die_with_parent() -> None:
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() == 1:  # the parent died before prctl: nobody would ever read our results
            os._exit(1)


def _started(process: Any) -> None:
    """Make a just-started helper its own group's leader from this side too (whichever runs first)."""
    with contextlib.suppress(OSError):
        os.setpgid(process.pid, process.pid)


def _signal(process: Any, sig: int) -> None:
    """Send `sig` to a helper and every process it started (its group; see `forked`)."""
    try:
        os.killpg(process.pid, sig)
    except OSError:
        with contextlib.suppress(OSError):
            os.kill(process.pid, sig)


def run_chunks(
    work: Callable[[int], R],
    count: int,
    jobs: int,
    reserved: int = 0,
) -> Iterator[tuple[int, R]]:
    """Yield `(k, work(k))` for every k in range(count), in the order they finish.

    Chunks are claimed one at a time from a shared counter by this process and `jobs - 1` forked
    helpers, so a slow chunk never leaves a process idle. The first `reserved` chunks are done by
    this process alone, before it claims others: work whose caches should live in one process
    only. An exception raised by `work` in any process is raised here; helpers are stopped
    whatever happens.
    """
    import multiprocessing  # here, as in every shape below: a rebuild that forks nothing does without

    helpers_wanted = min(jobs, count - reserved + 1) - 1
    if helpers_wanted < 1 or "fork" not in multiprocessing.get_all_start_methods():
        for k in range(count):
            yield k, work(k)
        return
    from queue import Empty

    context = multiprocessing.get_context("fork")
    counter = context.Value("i", reserved)
    results = context.Queue()
    # results a helper may have waiting for this process (busy with its own chunks) before it
    # waits too: results not taken yet are held in the helper, whose memory would grow
    room = context.Semaphore(WAITING_MAX * helpers_wanted)

    def claim() -> int | None:
        with counter.get_lock():
            k = int(counter.value)
            if k >= count:
                return None
            counter.value = k + 1
            return k

    def helper() -> None:
        forked()
        try:
            done = 0
            while room.acquire() and (chunk := claim()) is not None:
                if done % TRIM_CHUNKS == 0:
                    # the C heap keeps the free pages the helper inherited, and those its results
                    # leave when the caller is slow to take them (a long page): handed back, in ms
                    give_back_memory()
                results.put((chunk, work(chunk)))
                done += 1
            results.put((_DONE, None))
        except BaseException as error:
            results.put((_FAILED, _sendable(error)))

    helpers = [context.Process(target=helper, daemon=True) for _ in range(helpers_wanted)]
    for process in helpers:
        process.start()
        _started(process)
    running = len(helpers)
    mine_first = iter(range(reserved))
    try:
        while (mine := next(mine_first, None)) is not None or (mine := claim()) is not None:
            yield mine, work(mine)
            while running:  # pass on what the helpers finished meanwhile, without waiting
                try:
                    message = results.get_nowait()
                except Empty:
                    break
                running -= yield from _handle(message, room)
        while running:
            running -= yield from _handle(_next_result(results, helpers, running), room)
    finally:
        for process in helpers:
            if process.is_alive():
                _signal(process, signal.SIGTERM)
            process.join()
        results.close()
        results.join_thread()


def _next_result(results: Any, helpers: list[Any], running: int) -> tuple[object, object]:
    """The next message from a helper; a BuildError if a helper died without a word (killed)."""
    from queue import Empty

    while True:
        try:
            return results.get(timeout=1.0)  # type: ignore[no-any-return]
        except Empty:
            if sum(process.is_alive() for process in helpers) >= running:
                continue  # still working
        try:  # a helper that ended normally said so before it ended: that message is here by now
            return results.get(timeout=1.0)  # type: ignore[no-any-return]
        except Empty:
            codes = [process.exitcode for process in helpers if process.exitcode]
            raise BuildError(
                f"a helper process stopped unexpectedly (exit code {codes[0] if codes else '?'}); "
                "try again, or build with --jobs 1"
            ) from None


def _handle(message: tuple[object, object], room: Any) -> Generator[tuple[int, Any], None, int]:
    """Yield a helper's result (making `room` for another); return 1 once that helper has
    finished, else 0."""
    tag, value = message
    if tag == _FAILED:
        assert isinstance(value, BaseException)
        raise value
    if tag == _DONE:
        return 1
    assert isinstance(tag, int)
    room.release()
    yield tag, value
    return 0


def _sendable(error: BaseException) -> BaseException:
    """The error itself if it survives pickling, else a RuntimeError carrying its text."""
    import pickle

    try:
        pickle.loads(pickle.dumps(error))
    except Exception:
        return RuntimeError(f"{type(error).__name__}: {error}")
    return error


def worker_count(config: SiteConfig) -> int:
    """Processes that parse and render, this one included: `jobs`, else one per core."""
    return config.jobs or os.cpu_count() or 1


def processes_for(work: Work, jobs: int, items: int) -> int:
    """How many processes (this one included) should do `work` over `items` items with `jobs`
    allowed: all of them, or this one alone when forking would cost more than it saves."""
    minimum = {
        "parse": PARSE_MIN,
        "render": RENDER_MIN,
        "aside": ASIDE_MIN,
        "scan": SCAN_MIN,
        "fingerprint": FINGERPRINT_MIN,
    }[work]
    return jobs if jobs > 1 and items >= minimum else 1


def worth_aside(jobs: int, articles: int) -> bool:
    """Whether work over this many articles is worth an Aside, with `jobs` processes allowed."""
    return processes_for("aside", jobs, articles) > 1


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
        self._cancelled = False
        import multiprocessing

        if not fork or "fork" not in multiprocessing.get_all_start_methods():
            return
        context = multiprocessing.get_context("fork")
        self._receiver, sender = context.Pipe(duplex=False)

        def run() -> None:
            forked()
            try:
                sender.send((_DONE, work()))
            except BaseException as error:
                sender.send((_FAILED, _sendable(error)))

        self._process = context.Process(target=run, daemon=True)
        self._process.start()
        _started(self._process)
        sender.close()  # this end belongs to the child: its exit then ends our recv() with EOFError
        self._work = None

    def result(self) -> R:
        if self._cancelled:  # a caller's mistake, never a user's: there is no result to give
            raise RuntimeError("the result of work aside was asked for after it was cancelled")
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
        """Stop the work if it is still running; its result is not wanted (`result()` then raises)."""
        self._cancelled = True
        if self._process is not None:
            _signal(self._process, signal.SIGTERM)
            self._process.join()
            self._receiver.close()
            self._process = None
        self._work = None


def bare_fork_safe() -> bool:
    """Whether this process can fork a bare child (`Early`): a fork copies no other thread, nor
    what their locks guard."""
    return hasattr(os, "fork") and threading.active_count() == 1


class Early(Generic[R]):
    """`work()` done in a child of a bare fork while this process goes on, for plain values
    (text, numbers, tuples, lists, dicts) that `marshal` sends back; `result()` waits for them.

    For a command's first steps, where starting `multiprocessing` would cost more than the work
    takes: the scan of every input's time and size, made while this process reads the build state
    and the site's manifest. If the child fails in any way, `result()` does the work here.
    Without fork, or beside other threads (a fork copies none of them, nor what their locks
    guard), the work is done here, on the first `result()`.
    """

    def __init__(self, work: Callable[[], R], fork: bool = True) -> None:
        self._work = work
        self._pid = 0
        self._fd = -1
        if not fork or not bare_fork_safe():
            return
        read_fd, write_fd = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(read_fd)
            _early_child(work, write_fd)
        os.close(write_fd)
        self._pid, self._fd = pid, read_fd

    @property
    def running(self) -> bool:
        """Whether a child does the work (and its result is not taken yet)."""
        return self._pid != 0

    def result(self) -> R:
        if self._pid:
            with os.fdopen(self._fd, "rb") as stream:
                data = stream.read()
            os.waitpid(self._pid, 0)
            self._pid = 0
            try:
                return marshal.loads(data)  # type: ignore[no-any-return]
            except (EOFError, ValueError, TypeError):
                pass  # the child died, or its value was not plain: done here instead
        return self._work()


def _early_child(work: Callable[[], Any], fd: int) -> None:
    """The child of `Early`: the value of `work()`, marshalled into `fd`, then gone at once
    (nothing it inherited is torn down or flushed twice). On any failure it sends nothing."""
    code = 1
    try:
        forked()
        data = marshal.dumps(work())
        with os.fdopen(fd, "wb") as stream:
            stream.write(data)
        code = 0
    finally:
        os._exit(code)


# --- isolated tasks -------------------------------------------------------------------------------

GRACE_SECONDS = 0.3  # how long a helper asked to stop (SIGTERM) has before it is killed
STOP_POLL_SECONDS = 0.05  # how often isolated work looks at its `stop` event


@dataclass(frozen=True, slots=True)
class Limits:
    """What one isolated task may use: wall-clock seconds, and MiB of memory beyond what its
    helper inherits from the parent (its address space at the fork). 0 means no limit."""

    seconds: float = 0.0
    memory_mb: int = 0
    nice: int = 0  # added to the helpers' scheduling priority: they yield the CPU to the caller


@dataclass(frozen=True, slots=True)
class Failed:
    """An isolated task that gave no result, and why, in words for a user."""

    reason: str
    error: BaseException | None = None  # the exception the task raised, when it raised one
    interrupted: bool = False  # its process was stopped from outside (SIGTERM, Ctrl-C): no fault of the task


_OK = "ok"
_MEMORY = "memory"


def _address_space() -> int | None:
    """This process's virtual memory size in bytes (Linux), else None."""
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


def _limit_memory(memory_mb: int) -> None:
    if not memory_mb:
        return
    import resource

    size = _address_space()
    if size is None:
        return
    limit = size + memory_mb * 1024 * 1024
    with contextlib.suppress(OSError, ValueError):
        resource.setrlimit(resource.RLIMIT_AS, (limit, resource.getrlimit(resource.RLIMIT_AS)[1]))


def _isolated_helper(connection: Any, work: Callable[[int], Any], limits: Limits) -> None:
    forked()
    if limits.nice:
        with contextlib.suppress(OSError):
            os.nice(limits.nice)
    _limit_memory(limits.memory_mb)
    while True:
        try:
            k = connection.recv()
        except (EOFError, OSError):
            return
        if k is None:
            return
        try:
            message: tuple[str, object] = (_OK, work(k))
        except MemoryError:
            message = (_MEMORY, None)
        except BaseException as error:
            message = (_FAILED, _sendable(error))
        try:
            connection.send(message)
        except MemoryError:
            connection.send((_MEMORY, None))


@dataclass(slots=True)
class _Helper:
    process: Any
    connection: Any
    task: int | None = None
    started: float = 0.0


def run_isolated(
    work: Callable[[int], R],
    order: Sequence[int],
    jobs: int,
    limits: Limits = Limits(),
    stop: threading.Event | None = None,
) -> Iterator[tuple[int, R | Failed]]:
    """Yield `(k, work(k))` for each k of `order`, in the order they finish, each done in a helper.

    Tasks are handed out in `order`, one at a time per helper, to at most `jobs` helpers. A task
    that runs past `limits.seconds`, runs out of `limits.memory_mb`, raises, or whose helper dies
    yields `Failed` instead; the others go on. Once `stop` is set, or when the caller stops
    iterating, every helper is ended: SIGTERM, then SIGKILL after a short grace. Without fork
    (not on Linux or macOS) the tasks run here, without limits.
    """
    import multiprocessing
    from multiprocessing.connection import wait

    if "fork" not in multiprocessing.get_all_start_methods():
        for k in order:
            if stop is not None and stop.is_set():
                return
            try:
                yield k, work(k)
            except Exception as error:
                yield k, Failed(str(error), error)
        return
    context = multiprocessing.get_context("fork")
    todo = list(reversed(order))
    helpers: list[_Helper] = []

    def start() -> _Helper:
        mine, theirs = context.Pipe()
        process = context.Process(target=_isolated_helper, args=(theirs, work, limits), daemon=True)
        process.start()
        _started(process)
        theirs.close()
        return _Helper(process, mine)

    def retire(helper: _Helper, *, kill: bool) -> None:
        helpers.remove(helper)
        _end([helper.process], kill=kill)
        helper.connection.close()

    try:
        while todo or any(h.task is not None for h in helpers):
            if stop is not None and stop.is_set():
                return
            idle = sum(h.task is None for h in helpers)
            for _ in range(min(len(todo) - idle, max(1, jobs) - len(helpers))):
                helpers.append(start())
            for helper in helpers:
                if helper.task is None and todo:
                    helper.task, helper.started = todo.pop(), time.monotonic()
                    with contextlib.suppress(OSError):  # a helper gone: its sentinel says so below
                        helper.connection.send(helper.task)
            busy = [h for h in helpers if h.task is not None]
            now = time.monotonic()
            timeout = STOP_POLL_SECONDS if stop is not None else None
            if limits.seconds:
                left = min(h.started + limits.seconds - now for h in busy)
                timeout = max(0.0, left) if timeout is None else max(0.0, min(timeout, left))
            ready = wait([h.connection for h in busy] + [h.process.sentinel for h in busy], timeout)
            for helper in busy:
                task = helper.task
                assert task is not None
                if helper.connection in ready:
                    try:
                        tag, value = helper.connection.recv()
                    except (EOFError, OSError):
                        tag, value = None, None
                    if tag is not None:
                        helper.task = None
                        if tag == _OK:
                            yield task, value
                        elif tag == _MEMORY:
                            retire(helper, kill=False)  # its heap may be in pieces: start afresh
                            yield task, Failed(f"it needed more than {limits.memory_mb} MiB of memory")
                        else:
                            assert isinstance(value, BaseException)
                            yield task, Failed(str(value), value)
                        continue
                if helper.process.sentinel in ready or helper.connection in ready:
                    helper.process.join()
                    retire(helper, kill=False)
                    code = helper.process.exitcode
                    stopped = code in (-signal.SIGTERM, -signal.SIGINT, -signal.SIGHUP)
                    yield task, Failed(_death(code), interrupted=stopped)
                elif limits.seconds and time.monotonic() - helper.started >= limits.seconds:
                    retire(helper, kill=True)
                    yield task, Failed(f"it took longer than {limits.seconds:g} s")
    finally:
        _end([h.process for h in helpers], kill=False)
        for helper in helpers:
            helper.connection.close()


def _death(code: int | None) -> str:
    if code is not None and code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        hint = " (out of memory?)" if -code in (signal.SIGSEGV, signal.SIGABRT, signal.SIGKILL) else ""
        return f"its process was stopped by {name}{hint}"
    return f"its process ended unexpectedly (exit code {code})"


def _end(processes: list[Any], *, kill: bool) -> None:
    """End helpers: SIGKILL at once with `kill`, else SIGTERM and SIGKILL after GRACE_SECONDS."""
    alive = [p for p in processes if p.is_alive()]
    for process in alive:
        _signal(process, signal.SIGKILL if kill else signal.SIGTERM)
    deadline = time.monotonic() + GRACE_SECONDS
    for process in alive:
        process.join(max(0.0, deadline - time.monotonic()))
    for process in alive:
        if process.is_alive():
            _signal(process, signal.SIGKILL)
            process.join()
