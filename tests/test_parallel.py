"""Work shared between the build process and forked helpers: nothing lost, errors come back."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import pytest
from conftest import live_processes

from briefgen.errors import BuildError
from briefgen.parallel import (
    ASIDE_MIN,
    PARSE_MIN,
    RENDER_MIN,
    WAITING_MAX,
    Aside,
    Early,
    Failed,
    Limits,
    processes_for,
    run_chunks,
    run_isolated,
    worth_aside,
)


def slowly(value: int) -> int:
    time.sleep(0.01)  # long enough for the helper to start and claim chunks
    return value


def test_every_chunk_is_done_once_by_two_processes() -> None:
    results = dict(run_chunks(lambda k: (slowly(k) * k, os.getpid()), 40, jobs=2))
    assert sorted(results) == list(range(40))
    assert all(square == k * k for k, (square, _) in results.items())
    assert len({pid for _, pid in results.values()}) == 2  # the helper did its share


def test_reserved_chunks_are_done_by_the_calling_process() -> None:
    results = dict(run_chunks(lambda k: os.getpid(), 30, jobs=2, reserved=5))
    assert [results[k] for k in range(5)] == [os.getpid()] * 5
    assert sorted(results) == list(range(30))


def test_a_helper_waits_when_the_caller_is_slow_to_take_its_results() -> None:
    """Results not taken are held by the helper: it does at most WAITING_MAX chunks ahead."""
    import multiprocessing

    finished = multiprocessing.get_context("fork").Value("i", 0)
    parent = os.getpid()

    def work(k: int) -> int:
        if os.getpid() == parent:
            if k == 0:  # a long chunk of the caller's own: it takes no result meanwhile
                time.sleep(1.0)
                return finished.value  # type: ignore[no-any-return]
            return 0
        with finished.get_lock():
            finished.value += 1
        return 0

    results = dict(run_chunks(work, 200, jobs=2, reserved=1))
    assert sorted(results) == list(range(200))
    assert 0 < results[0] <= WAITING_MAX


def test_an_error_in_a_helper_reaches_the_caller_with_its_message() -> None:
    parent = os.getpid()

    def work(k: int) -> int:
        if os.getpid() != parent:
            raise BuildError(f"templates/x.html:3: broken on chunk {k}")
        return slowly(k)

    with pytest.raises(BuildError, match=r"templates/x.html:3: broken on chunk \d+"):
        for _ in run_chunks(work, 200, jobs=2):
            pass


def test_an_error_in_the_calling_process_stops_the_helpers() -> None:
    def work(k: int) -> int:
        if k == 3:
            raise ValueError("boom")
        return k

    with pytest.raises(ValueError, match="boom"):
        list(run_chunks(work, 50, jobs=2))


def test_one_job_runs_everything_here_in_order() -> None:
    assert list(run_chunks(lambda k: os.getpid(), 4, jobs=1)) == [(k, os.getpid()) for k in range(4)]


def test_a_helper_killed_mid_work_is_an_error_not_a_hang() -> None:
    parent = os.getpid()

    def work(k: int) -> int:
        if os.getpid() != parent:
            os._exit(3)  # as if the kernel had killed it
        return slowly(k)

    with pytest.raises(BuildError, match="a helper process stopped unexpectedly"):
        list(run_chunks(work, 20, jobs=2))


def test_work_aside_runs_in_another_process_and_hands_back_its_result() -> None:
    aside = Aside(lambda: (os.getpid(), [k * k for k in range(1000)]))
    pid, squares = aside.result()
    assert pid != os.getpid()
    assert squares == [k * k for k in range(1000)]
    assert aside.result()[1] is squares  # asked again: the same answer, not the work done twice


def test_work_aside_without_fork_is_done_here_once() -> None:
    calls = []
    aside = Aside(lambda: calls.append(os.getpid()) or len(calls), fork=False)
    assert calls == []  # nothing done until asked
    assert aside.result() == 1
    assert aside.result() == 1
    assert calls == [os.getpid()]


def test_an_error_aside_reaches_the_caller_with_its_message() -> None:
    def work() -> int:
        raise BuildError("content/x.md:4: broken aside")

    with pytest.raises(BuildError, match=r"content/x\.md:4: broken aside"):
        Aside(work).result()


def test_work_aside_killed_is_an_error_not_a_hang() -> None:
    def work() -> int:
        os._exit(3)

    with pytest.raises(BuildError, match=r"a helper process stopped unexpectedly \(exit code 3\)"):
        Aside(work).result()


def test_work_aside_cancelled_stops_its_process(tmp_path) -> None:
    marker = tmp_path / "finished"

    def work() -> None:
        time.sleep(5)
        marker.write_text("done")

    aside = Aside(work)
    aside.cancel()
    assert not marker.exists()  # stopped, not waited for
    # asking for the result afterwards is a clear error, not a None taken for a result
    with pytest.raises(RuntimeError, match="cancelled"):
        aside.result()
    unforked = Aside(lambda: 42, fork=False)
    unforked.cancel()
    with pytest.raises(RuntimeError, match="cancelled"):
        unforked.result()


def test_early_work_runs_in_a_child_and_hands_back_its_plain_values() -> None:
    # in a new interpreter: threads other tests leave in this one would keep Early from forking
    script = (
        "import os\nfrom briefgen.parallel import Early\n"
        "early = Early(lambda: (os.getpid(), {f'file{k}': (k, k * 2, '') for k in range(5000)}))\n"
        "running = early.running\npid, stats = early.result()\n"
        "assert stats == {f'file{k}': (k, k * 2, '') for k in range(5000)}\n"
        "print(running, early.running, pid != os.getpid())\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.stdout.split() == ["True", "False", "True"], done.stdout + done.stderr


def test_early_work_is_done_here_when_the_child_fails_or_cannot_send_it() -> None:
    parent = os.getpid()

    def dies() -> int:
        if os.getpid() != parent:
            os._exit(3)
        return 7

    assert Early(dies).result() == 7
    assert Early(lambda: (os.getpid(), object())).result()[0] == parent  # not marshallable: redone here
    assert Early(lambda: os.getpid(), fork=False).result() == parent


def test_early_work_beside_another_thread_is_done_here() -> None:
    """A fork copies no other thread, nor what the locks they hold guard: then no fork at all."""
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert Early(os.getpid).result() == os.getpid()
    finally:
        stop.set()
        thread.join()


def test_work_goes_aside_only_for_large_sites_and_never_with_one_job() -> None:
    assert worth_aside(2, ASIDE_MIN)
    assert not worth_aside(2, ASIDE_MIN - 1)  # forking costs more than the work saves
    assert not worth_aside(1, 10 * ASIDE_MIN)  # `jobs: 1` forks nothing


def test_one_policy_says_how_many_processes_each_kind_of_work_gets():
    assert processes_for("render", 4, RENDER_MIN) == 4
    assert processes_for("render", 4, RENDER_MIN - 1) == 1  # a small site renders in this process
    assert processes_for("parse", 2, PARSE_MIN) == 2
    assert processes_for("parse", 2, PARSE_MIN - 1) == 1
    assert processes_for("parse", 1, 10 * PARSE_MIN) == 1  # `jobs: 1` forks nothing


# --- signals: helpers never inherit the parent's handlers ------------------------------------------


class Stop(Exception):
    pass


def raise_stop(signum: int, frame: object) -> None:
    raise Stop(signum)


@pytest.fixture
def raising_handlers() -> Iterator[None]:
    """The preview server's handlers: SIGTERM and SIGINT raise an exception in the parent."""
    previous = {sig: signal.signal(sig, raise_stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    yield
    for sig, handler in previous.items():
        signal.signal(sig, handler)


def handlers() -> tuple[object, object]:
    return signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)


def test_every_kind_of_helper_starts_with_the_default_signal_handlers(raising_handlers) -> None:
    defaults = (signal.SIG_DFL, signal.SIG_DFL)
    parent = os.getpid()
    done = run_chunks(lambda k: (slowly(os.getpid()), handlers()), 40, jobs=2)
    seen = [h for _, (pid, h) in done if pid != parent]
    assert seen and all(h == defaults for h in seen)
    assert Aside(handlers).result() == defaults
    assert [h for _, h in run_isolated(lambda k: handlers(), range(3), jobs=2)] == [defaults] * 3
    assert handlers() == (raise_stop, raise_stop)  # the parent's own are left alone


def test_helpers_forked_from_another_thread_drop_the_handlers_too(raising_handlers) -> None:
    """The preview forks its PDF workers from a background thread, not the main one."""
    seen: list[object] = []

    def background() -> None:
        seen.extend(h for _, h in run_isolated(lambda k: handlers(), range(2), jobs=2))

    thread = threading.Thread(target=background)
    thread.start()
    thread.join(30)
    assert seen == [(signal.SIG_DFL, signal.SIG_DFL)] * 2


def children() -> set[int]:
    """The processes whose parent is this one."""
    return live_processes(parent=os.getpid())


def test_stopping_isolated_work_ends_every_helper_even_with_a_raising_sigterm_handler(raising_handlers):
    before = children()
    stop = threading.Event()

    def work(k: int) -> int:
        time.sleep(60)
        return k

    threading.Timer(0.5, stop.set).start()  # the helpers are asleep by then
    assert list(run_isolated(work, range(4), jobs=2, stop=stop)) == []  # ended, not waited for
    assert children() == before


# --- isolated tasks: limits, failures, order ------------------------------------------------------


def test_isolated_tasks_each_in_a_helper_in_the_order_given() -> None:
    done = list(run_isolated(lambda k: (k, os.getpid()), [3, 1, 2, 0], jobs=1))
    assert [k for k, _ in done] == [3, 1, 2, 0]
    assert {value[1] for _, value in done} != {os.getpid()}  # type: ignore[index]


def test_a_task_past_its_time_fails_alone() -> None:
    def work(k: int) -> int:
        if k == 1:
            time.sleep(60)
        return k * 10

    done = dict(run_isolated(work, range(4), jobs=2, limits=Limits(seconds=0.5)))
    assert {k: v for k, v in done.items() if k != 1} == {0: 0, 2: 20, 3: 30}
    assert isinstance(done[1], Failed) and done[1].reason == "it took longer than 0.5 s"


def test_a_task_past_its_memory_fails_alone() -> None:
    def work(k: int) -> int:
        if k == 2:
            return len(bytearray(400 * 1024 * 1024))
        return k

    done = dict(run_isolated(work, range(4), jobs=2, limits=Limits(memory_mb=100)))
    assert {k: v for k, v in done.items() if k != 2} == {0: 0, 1: 1, 3: 3}
    assert isinstance(done[2], Failed) and done[2].reason == "it needed more than 100 MiB of memory"


def test_a_task_that_crashes_or_raises_fails_alone_with_the_reason() -> None:
    def work(k: int) -> int:
        if k == 0:
            os.kill(os.getpid(), signal.SIGKILL)  # as the kernel does when memory runs out
        if k == 1:
            raise BuildError("content/x.md:3: bad day")
        return k

    done = dict(run_isolated(work, range(4), jobs=2))
    assert done[2] == 2 and done[3] == 3
    assert isinstance(done[0], Failed) and "SIGKILL" in done[0].reason and not done[0].interrupted
    assert isinstance(done[1], Failed) and done[1].reason == "content/x.md:3: bad day"
    assert isinstance(done[1].error, BuildError)
