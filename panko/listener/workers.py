"""Several listener processes under one parent.

The parent forks ``[listener] workers`` children before it opens any
connection, restarts a child that dies, and on SIGTERM or SIGINT asks each
child to stop (they requeue what they hold) and waits for them. Under
systemd, ``KillMode=mixed`` lets the parent do this.
"""

from __future__ import annotations

from collections.abc import Callable
import multiprocessing
from multiprocessing import connection as mp_connection
import os
import signal
import sys
import threading
import time

from oslo_log import log

LOG = log.getLogger(__name__)

# Seconds a child is given to stop before it is killed.
STOP_TIMEOUT = 60.0
# Wait before restarting a child that died, doubled while they keep dying
# within RESTART_WINDOW seconds of their start.
RESTART_DELAY = 1.0
MAX_RESTART_DELAY = 60.0
RESTART_WINDOW = 30.0


def _child(target: Callable[[], int]) -> None:
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, signal.SIG_DFL)
    sys.exit(target())


class Supervisor:
    """Keeps ``count`` processes running ``target`` until stopped."""

    def __init__(
        self,
        target: Callable[[], int],
        count: int,
        stop_timeout: float = STOP_TIMEOUT,
    ):
        self._target = target
        self._count = count
        self._stop_timeout = stop_timeout
        self._context = multiprocessing.get_context("fork")
        self._children: dict[int, multiprocessing.Process] = {}
        self._started_at: dict[int, float] = {}
        self._delay = RESTART_DELAY
        self.stopping = threading.Event()

    def run(self) -> int:
        """Supervise until SIGTERM or SIGINT; return the exit status."""
        previous = {
            sig: signal.signal(sig, self._on_signal)
            for sig in (signal.SIGTERM, signal.SIGINT)
        }
        try:
            for slot in range(self._count):
                self._start(slot)
            while not self.stopping.is_set():
                self._reap()
        finally:
            self._stop_children()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        return 0

    def _on_signal(self, signum, frame):
        LOG.info(
            "Signal %d received: stopping %d listener processes",
            signum,
            len(self._children),
        )
        self.stopping.set()

    def _start(self, slot: int) -> None:
        process = self._context.Process(
            target=_child,
            args=(self._target,),
            name="panko-listener-%d" % slot,
        )
        process.start()
        self._children[slot] = process
        self._started_at[slot] = time.monotonic()
        LOG.info("Listener process %d started (pid %d)", slot, process.pid)

    def _reap(self) -> None:
        sentinels = {p.sentinel: slot for slot, p in self._children.items()}
        ready = mp_connection.wait(list(sentinels), timeout=1.0)
        for sentinel in ready:
            slot = sentinels[sentinel]
            process = self._children[slot]
            process.join()
            if self.stopping.is_set():
                return
            lived = time.monotonic() - self._started_at[slot]
            self._delay = (
                min(self._delay * 2, MAX_RESTART_DELAY)
                if lived < RESTART_WINDOW
                else RESTART_DELAY
            )
            LOG.error(
                "Listener process %d (pid %d) exited with status %s; "
                "restarting it in %.0f s",
                slot,
                process.pid,
                process.exitcode,
                self._delay,
            )
            self.stopping.wait(self._delay)
            if not self.stopping.is_set():
                self._start(slot)

    def _stop_children(self) -> None:
        alive = [p for p in self._children.values() if p.is_alive()]
        for process in alive:
            os.kill(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + self._stop_timeout
        for process in alive:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                LOG.error(
                    "Listener process pid %d did not stop in %.0f s: "
                    "killing it",
                    process.pid,
                    self._stop_timeout,
                )
                process.kill()
                process.join()
