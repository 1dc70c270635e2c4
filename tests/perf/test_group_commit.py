"""An alert's outcomes that arrive together are written together; each sender gets its own result.

No timing: a write that is held open shows which outcomes wait and then share the next write.
"""

from __future__ import annotations

import threading

import pytest

from publisher.outbox.group_commit import GroupCommit

TIMEOUT = 10


class Writes:
    """A write function that records every batch and can be held open."""

    def __init__(self) -> None:
        self.batches: list[list[int]] = []
        self.entered = threading.Event()
        self.release = threading.Event()
        self.release.set()
        self.fail_on: int | None = None

    def __call__(self, items: list[int]) -> dict[int, str]:
        self.batches.append(list(items))
        self.entered.set()
        assert self.release.wait(TIMEOUT)
        if self.fail_on in items:
            raise RuntimeError("database gone")
        return {item: f"state of {item}" for item in items}


def submit_in_threads(
    commit: GroupCommit[int, str], items: list[int]
) -> tuple[list[threading.Thread], dict[int, object]]:
    results: dict[int, object] = {}

    def run(item: int) -> None:
        try:
            results[item] = commit.submit(item)
        except Exception as exc:  # reported by the test
            results[item] = exc

    threads = [threading.Thread(target=run, args=(item,)) for item in items]
    for thread in threads:
        thread.start()
    return threads, results


def test_one_outcome_alone_is_written_at_once() -> None:
    writes = Writes()
    commit = GroupCommit(writes, key=lambda item: item)
    assert commit.submit(1) == "state of 1"
    assert writes.batches == [[1]]


def test_outcomes_that_arrive_during_a_write_share_the_next_one() -> None:
    writes = Writes()
    writes.release.clear()
    commit = GroupCommit(writes, key=lambda item: item)
    first, first_result = submit_in_threads(commit, [1])
    assert writes.entered.wait(TIMEOUT)  # outcome 1 is being written; the writer is busy
    later, later_results = submit_in_threads(commit, [2, 3, 4])
    while sum(len(batch) for batch in writes.batches) < 1 or len(commit._waiting) < 3:  # all three queued
        threading.Event().wait(0.01)
    writes.release.set()
    for thread in [*first, *later]:
        thread.join(TIMEOUT)
    assert writes.batches[0] == [1]
    assert sorted(writes.batches[1]) == [2, 3, 4] and len(writes.batches) == 2  # one write for three
    assert first_result == {1: "state of 1"}
    assert later_results == {n: f"state of {n}" for n in (2, 3, 4)}


def test_a_failed_write_reaches_every_sender_it_carried_and_only_them() -> None:
    writes = Writes()
    writes.release.clear()
    writes.fail_on = 3
    commit = GroupCommit(writes, key=lambda item: item)
    first, first_result = submit_in_threads(commit, [1])
    assert writes.entered.wait(TIMEOUT)
    later, later_results = submit_in_threads(commit, [2, 3])
    while len(commit._waiting) < 2:
        threading.Event().wait(0.01)
    writes.release.set()
    for thread in [*first, *later]:
        thread.join(TIMEOUT)
    assert first_result == {1: "state of 1"}
    assert all(isinstance(later_results[n], RuntimeError) for n in (2, 3))
    assert commit.submit(5) == "state of 5"  # the next write goes on as usual


@pytest.mark.parametrize("senders", [2, 16])
def test_every_sender_gets_its_own_result_however_the_writes_fall(senders: int) -> None:
    writes = Writes()
    commit = GroupCommit(writes, key=lambda item: item)
    threads, results = submit_in_threads(commit, list(range(senders)))
    for thread in threads:
        thread.join(TIMEOUT)
    assert results == {n: f"state of {n}" for n in range(senders)}
    assert sorted(item for batch in writes.batches for item in batch) == list(range(senders))  # each once
