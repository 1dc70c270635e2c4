"""The crisis worker's send threads: ready before the alert, never waiting for each other (issue 16)."""

from __future__ import annotations

import threading

from publisher.outbox.ready_threads import ReadyThreads

TIMEOUT = 20  # only so that a broken pool fails the test instead of hanging it


def threads_named(prefix: str) -> int:
    return sum(1 for thread in threading.enumerate() if thread.name.startswith(prefix))


def test_prestarted_threads_exist_before_the_first_job() -> None:
    pool = ReadyThreads(8, prefix="test-ready-a")
    assert threads_named("test-ready-a") == 0
    pool.prestart(4)
    assert threads_named("test-ready-a") == 4


def test_every_job_runs_at_the_same_time_in_order_of_the_jobs() -> None:
    pool = ReadyThreads(8, prefix="test-ready-b")
    pool.prestart(4)
    together = threading.Barrier(4, timeout=TIMEOUT)  # breaks unless all four run at once

    def work(job: int) -> tuple[int, str]:
        together.wait()
        return job, threading.current_thread().name

    assert pool.map(work, []) == []  # nothing to send: no thread, no error
    results = pool.map(work, [1, 2, 3, 4])
    assert [job for job, _ in results] == [1, 2, 3, 4]
    assert len({name for _, name in results}) == 4


def test_the_pool_grows_when_every_ready_thread_is_busy() -> None:
    pool = ReadyThreads(16, prefix="test-ready-c")
    pool.prestart(2)
    together = threading.Barrier(6, timeout=TIMEOUT)
    assert pool.map(lambda job: together.wait() >= 0 and job, [1, 2, 3, 4, 5, 6]) == [1, 2, 3, 4, 5, 6]
    assert threads_named("test-ready-c") >= 6


def test_a_job_that_sends_in_threads_itself_does_not_wait_for_its_own_pool() -> None:
    pool = ReadyThreads(2, prefix="test-ready-d")  # both threads busy with the outer jobs
    inner = threading.Barrier(2, timeout=TIMEOUT)

    def outer(job: int) -> list[int]:
        return pool.map(lambda sub: inner.wait() >= 0 and job * 10 + sub, [1, 2])

    done: list[list[list[int]]] = []
    runner = threading.Thread(target=lambda: done.append(pool.map(outer, [1, 2])))
    runner.start()
    runner.join(TIMEOUT)
    assert not runner.is_alive() and done == [[[11, 12], [21, 22]]]
