import threading
import time

from panko.listener import retry


def test_backoff_doubles_up_to_maximum_and_resets():
    backoff = retry.Backoff(0.01, 0.03, threading.Event())
    waited = [backoff.wait() for _ in range(4)]
    assert waited == [0.01, 0.02, 0.03, 0.03]
    backoff.reset()
    assert backoff.next_delay == 0.01


def test_backoff_wait_ends_when_stopping():
    stopping = threading.Event()
    backoff = retry.Backoff(30, 60, stopping)
    threading.Timer(0.05, stopping.set).start()
    start = time.monotonic()
    backoff.wait()
    assert time.monotonic() - start < 5


def test_maximum_below_initial_keeps_initial():
    backoff = retry.Backoff(2, 1, threading.Event())
    assert backoff.maximum == 2


def test_attempts_count_per_message_and_forget():
    counter = retry.AttemptCounter()
    assert [counter.failed("a"), counter.failed("a"), counter.failed("b")] == [
        1,
        2,
        1,
    ]
    counter.forget("a")
    assert counter.failed("a") == 1
    counter.forget("unknown")
    assert len(counter) == 2


def test_attempts_forget_the_oldest_beyond_size():
    counter = retry.AttemptCounter(size=2)
    counter.failed("a")
    counter.failed("b")
    counter.failed("a")
    counter.failed("c")
    assert len(counter) == 2
    assert counter.failed("b") == 1
    assert counter.failed("c") == 2
