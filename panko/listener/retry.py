"""Waiting between attempts, and counting the attempts of each message."""

from __future__ import annotations

import collections
import threading


class Backoff:
    """Waits that double from ``initial`` up to ``maximum`` seconds.

    A wait ends early when ``stopping`` is set, so that a listener asked
    to stop does not sit out a long wait first.
    """

    def __init__(
        self, initial: float, maximum: float, stopping: threading.Event
    ):
        self.initial = initial
        self.maximum = max(initial, maximum)
        self._stopping = stopping
        self.next_delay = initial

    def wait(self) -> float:
        """Wait for the next delay; return how long was waited for."""
        delay = self.next_delay
        self.next_delay = min(self.next_delay * 2, self.maximum)
        self._stopping.wait(delay)
        return delay

    def reset(self) -> None:
        self.next_delay = self.initial


class AttemptCounter:
    """Failed attempts to store each message that is being retried.

    The count lives in the process that saw the failures, so with several
    listeners a message may be tried up to ``limit`` times in each before
    it is given up. The oldest counts are dropped first beyond ``size``
    messages, so memory stays bounded.
    """

    def __init__(self, size: int = 10000):
        self._size = size
        self._counts: collections.OrderedDict[str, int] = (
            collections.OrderedDict()
        )

    def failed(self, key: str) -> int:
        """Record a failed attempt; return how many there were."""
        count = self._counts.pop(key, 0) + 1
        self._counts[key] = count
        while len(self._counts) > self._size:
            self._counts.popitem(last=False)
        return count

    def forget(self, key: str) -> None:
        self._counts.pop(key, None)

    def __len__(self) -> int:
        return len(self._counts)
