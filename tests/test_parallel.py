"""Work shared between the build process and forked helpers: nothing lost, errors come back."""

from __future__ import annotations

import os
import time

import pytest

from briefgen.errors import BuildError
from briefgen.parallel import ASIDE_MIN, Aside, run_chunks, worth_aside


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

    Aside(work).cancel()
    assert not marker.exists()  # stopped, not waited for


def test_work_goes_aside_only_for_large_sites_and_never_with_one_job() -> None:
    assert worth_aside(2, ASIDE_MIN)
    assert not worth_aside(2, ASIDE_MIN - 1)  # forking costs more than the work saves
    assert not worth_aside(1, 10 * ASIDE_MIN)  # `jobs: 1` forks nothing
