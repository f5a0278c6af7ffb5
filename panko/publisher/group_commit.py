"""Group commit: concurrent callers share one transaction.

Ceilometer calls a publisher from up to 64 threads with one event each and
acknowledges the message as soon as the call returns. Each call must
therefore return only once its events are committed; yet one transaction
per event is what made Panko 10 slow. Here the first caller to find the
database idle writes everything queued so far in one transaction while
the others wait; when it is done, the next waiting caller takes what has
queued up meanwhile. No background thread is involved.
"""

from __future__ import annotations

from collections.abc import Callable
import threading

from panko.storage import models

# Upper bound of events in one transaction.
MAX_BATCH = 5000


class _Waiter:
    __slots__ = ("events", "done", "result", "error")

    def __init__(self, events: list[models.Event]):
        self.events = events
        self.done = False
        self.result: models.RecordResult | None = None
        self.error: BaseException | None = None


class GroupCommitter:
    """Serialises writes and merges those that queue up meanwhile."""

    def __init__(
        self,
        record: Callable[[list[models.Event]], models.RecordResult],
        max_batch: int = MAX_BATCH,
    ):
        self._record = record
        self._max_batch = max_batch
        self._cond = threading.Condition()
        self._queue: list[_Waiter] = []
        self._busy = False

    def submit(self, events: list[models.Event]) -> models.RecordResult:
        """Store ``events``; return once they are committed.

        Raises what the storage raised for the transaction they were in.
        """
        waiter = _Waiter(events)
        with self._cond:
            self._queue.append(waiter)
            while not waiter.done:
                if self._busy:
                    self._cond.wait()
                    continue
                self._busy = True
                batch = self._take()
                self._cond.release()
                try:
                    self._write(batch)
                finally:
                    self._cond.acquire()
                    self._busy = False
                    self._cond.notify_all()
        if waiter.error is not None:
            raise waiter.error
        return waiter.result

    def _take(self) -> list[_Waiter]:
        batch, size = [], 0
        while self._queue and (
            not batch or size + len(self._queue[0].events) <= self._max_batch
        ):
            waiter = self._queue.pop(0)
            batch.append(waiter)
            size += len(waiter.events)
        return batch

    def _write(self, batch: list[_Waiter]) -> None:
        try:
            result = self._record([e for w in batch for e in w.events])
        except BaseException as e:  # noqa: B036 - handed to every caller
            for waiter in batch:
                waiter.error, waiter.done = e, True
            return
        stored = set(result.stored)
        rejected = dict(result.rejected)
        for waiter in batch:
            own = models.RecordResult()
            for event in waiter.events:
                if event.message_id in rejected:
                    own.rejected.append(
                        (event.message_id, rejected[event.message_id])
                    )
                elif event.message_id in stored:
                    own.stored.append(event.message_id)
                    # A second copy in the same batch is a duplicate.
                    stored.discard(event.message_id)
                else:
                    own.duplicates.append(event.message_id)
            waiter.result, waiter.done = own, True
