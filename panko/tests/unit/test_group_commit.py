"""Group commit: concurrent callers share transactions and see their own
outcome."""

from __future__ import annotations

import threading
import time

import pytest

from panko.publisher import group_commit
from panko.storage import models
from panko.tests import eventgen


class RecordingStore:
    def __init__(self, delay=0.0, fail=False):
        self.calls = []
        self.delay = delay
        self.fail = fail
        self.seen = set()
        self.lock = threading.Lock()
        self.active = 0
        self.max_active = 0

    def record(self, events):
        with self.lock:
            self.active += 1
            self.max_active = max(self.max_active, self.active)
        try:
            time.sleep(self.delay)
            self.calls.append(list(events))
            if self.fail:
                raise RuntimeError("database down")
            result = models.RecordResult()
            for event in events:
                if event.message_id in self.seen:
                    result.duplicates.append(event.message_id)
                elif event.event_type == "bad":
                    result.rejected.append((event.message_id, "bad type"))
                else:
                    self.seen.add(event.message_id)
                    result.stored.append(event.message_id)
            return result
        finally:
            with self.lock:
                self.active -= 1


def _run_threads(committer, batches):
    results, errors = {}, {}

    def submit(i):
        try:
            results[i] = committer.submit(batches[i])
        except Exception as e:  # noqa: BLE001 - inspected by the tests
            errors[i] = e

    threads = [
        threading.Thread(target=submit, args=(i,)) for i in range(len(batches))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors


def test_concurrent_calls_share_transactions():
    store = RecordingStore(delay=0.02)
    committer = group_commit.GroupCommitter(store.record)
    batches = [[eventgen.event()] for _ in range(64)]
    results, errors = _run_threads(committer, batches)
    assert errors == {}
    assert store.max_active == 1
    assert len(store.calls) < 64 / 4
    assert sum(len(c) for c in store.calls) == 64
    for i, batch in enumerate(batches):
        assert results[i].stored == [batch[0].message_id]


def test_each_caller_gets_its_own_outcome():
    store = RecordingStore(delay=0.01)
    committer = group_commit.GroupCommitter(store.record)
    known = eventgen.event()
    store.seen.add(known.message_id)
    twin = eventgen.event()
    batches = [
        [known],
        [eventgen.event(event_type="bad")],
        [twin],
        [models.Event(twin.message_id, "t", twin.generated)],
    ]
    results, errors = _run_threads(committer, batches)
    assert errors == {}
    assert results[0].duplicates == [known.message_id]
    assert results[1].rejected[0][1] == "bad type"
    twins = results[2].stored + results[3].stored
    dups = results[2].duplicates + results[3].duplicates
    assert twins == [twin.message_id] and dups == [twin.message_id]


def test_failure_reaches_every_caller_of_the_transaction():
    store = RecordingStore(delay=0.01, fail=True)
    committer = group_commit.GroupCommitter(store.record)
    results, errors = _run_threads(
        committer, [[eventgen.event()] for _ in range(8)]
    )
    assert results == {}
    assert len(errors) == 8
    assert all(isinstance(e, RuntimeError) for e in errors.values())


def test_batches_are_bounded():
    store = RecordingStore(delay=0.01)
    committer = group_commit.GroupCommitter(store.record, max_batch=10)
    batches = [[eventgen.event() for _ in range(4)] for _ in range(20)]
    results, errors = _run_threads(committer, batches)
    assert errors == {}
    assert all(len(call) <= 10 for call in store.calls)
    assert sum(len(r.stored) for r in results.values()) == 80


def test_a_single_caller_is_not_delayed():
    store = RecordingStore()
    committer = group_commit.GroupCommitter(store.record)
    event = eventgen.event()
    assert committer.submit([event]).stored == [event.message_id]
    with pytest.raises(RuntimeError):
        group_commit.GroupCommitter(RecordingStore(fail=True).record).submit(
            [event]
        )
