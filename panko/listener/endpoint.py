"""One batch of notifications: store, dead-letter, acknowledge or requeue.

oslo.messaging acknowledges or requeues a whole batch by what the
endpoint returns. The batch is acknowledged only once its events are
committed and its dead letters published; otherwise it is requeued, and
what was already stored is skipped when it comes back, since storage is
idempotent by message_id.

Two kinds of failure are kept apart:

* a message that can never be stored (not a list of events, an invalid
  event, a bad signature, an event the storage refuses) goes to the
  dead-letter queue at once, and the rest of its batch is stored;
* an unavailable database (``StorageUnavailable``), or a schema that
  ``panko-dbsync`` has not made yet, requeues the batch after a wait that
  grows while it lasts; such messages are never dead-lettered.

When the storage fails in any other way, the messages of the batch are
stored one by one to find those at fault; a message still failing after
``[listener] max_delivery_attempts`` goes to the dead-letter queue.
"""

from __future__ import annotations

import threading
import time

from oslo_config import cfg
from oslo_log import log
import oslo_messaging

from panko.listener import convert
from panko.listener import deadletter
from panko.listener import retry
from panko.storage import base
from panko.storage import exceptions

LOG = log.getLogger(__name__)

HANDLED = oslo_messaging.NotificationResult.HANDLED
REQUEUE = oslo_messaging.NotificationResult.REQUEUE


class SchemaNotReady(Exception):
    """The database answers but has no current panko schema."""


class EventsEndpoint:
    """The oslo.messaging batch endpoint of priority ``sample``.

    It handles one batch at a time (the listener runs it in one thread);
    the wait after a failure is that thread's, so the queue is not read
    faster than the database recovers.
    """

    def __init__(
        self,
        conf: cfg.ConfigOpts,
        connection: base.Connection,
        dead_letters: deadletter.DeadLetters,
        stopping: threading.Event,
    ):
        self._conn = connection
        self._secret = conf.listener.telemetry_secret
        self._max_attempts = conf.listener.max_delivery_attempts
        self._dead_letters = dead_letters
        self._stopping = stopping
        self._backoff = retry.Backoff(
            conf.listener.retry_interval,
            conf.listener.max_retry_interval,
            stopping,
        )
        self._attempts = retry.AttemptCounter()
        self._schema_checked = False
        self._failing_since: float | None = None

    def sample(self, messages: list[dict]) -> str:
        """Store the events of ``messages``; say whether to acknowledge
        (HANDLED) or requeue (REQUEUE) them."""
        if self._stopping.is_set():
            return REQUEUE
        deliveries = [self._convert(m) for m in messages]
        try:
            self._check_schema()
            to_retry = self._store(deliveries)
            if not to_retry:
                self._dead_letter(deliveries)
        except (exceptions.StorageUnavailable, SchemaNotReady) as e:
            self._wait(str(e), len(messages))
            return REQUEUE
        except deadletter.DeadLetterFailure as e:
            self._wait(
                "The dead-letter queue cannot be written: %s" % e,
                len(messages),
            )
            return REQUEUE
        except Exception as e:
            # No message is known to cause it (the database refusing
            # panko, a bug): wait and retry as in an outage, rather than
            # lose messages or requeue them in a tight loop.
            LOG.exception(
                "Unexpected failure while handling %d messages", len(messages)
            )
            self._wait("Unexpected failure: %r" % e, len(messages))
            return REQUEUE
        if to_retry:
            self._wait(
                "%d messages could not be stored and will be "
                "tried again" % len(to_retry),
                len(messages),
            )
            return REQUEUE
        self._recovered()
        return HANDLED

    def _convert(self, message: dict) -> convert.Delivery:
        try:
            return convert.delivery(message, self._secret)
        except Exception as e:
            # The checks cover every shape JSON can take; anything they
            # miss is still the message's fault, not a reason to stop.
            LOG.exception("Unexpected failure while reading a message")
            delivery = convert.Delivery(message)
            delivery.fail_payload("the payload cannot be read: %r" % e)
            return delivery

    def _check_schema(self) -> None:
        if self._schema_checked:
            return
        if self._conn.needs_upgrade():
            raise SchemaNotReady(
                "The database has no current panko schema: run "
                "panko-dbsync. Messages stay in the queue meanwhile."
            )
        self._schema_checked = True

    def _store(
        self, deliveries: list[convert.Delivery]
    ) -> list[convert.Delivery]:
        """Store the events of ``deliveries``; return those to retry."""
        events = [event for d in deliveries for _, event in d.events]
        if not events:
            return []
        try:
            result = self._conn.record_events(events)
        except exceptions.StorageUnavailable:
            raise
        except Exception:
            LOG.exception(
                "Storing %d events from %d messages failed; "
                "storing the messages one by one to find those "
                "at fault",
                len(events),
                len(deliveries),
            )
            return self._store_each(deliveries)
        self._apply(result.rejected, deliveries)
        LOG.debug(
            "Stored %d events from %d messages, %d already stored",
            len(result.stored),
            len(deliveries),
            len(result.duplicates),
        )
        return []

    def _store_each(
        self, deliveries: list[convert.Delivery]
    ) -> list[convert.Delivery]:
        to_retry = []
        for delivery in deliveries:
            if not delivery.events:
                continue
            key = delivery.message_id
            try:
                result = self._conn.record_events(
                    [event for _, event in delivery.events]
                )
            except exceptions.StorageUnavailable:
                raise
            except Exception as e:
                attempts = self._attempts.failed(key)
                if attempts < self._max_attempts:
                    LOG.warning(
                        "Message %s could not be stored (attempt "
                        "%d of %d): %r",
                        key,
                        attempts,
                        self._max_attempts,
                        e,
                    )
                    to_retry.append(delivery)
                    continue
                self._attempts.forget(key)
                delivery.fail_events(
                    "storing failed %d times, last: %r" % (attempts, e)
                )
                continue
            self._attempts.forget(key)
            self._apply(result.rejected, [delivery])
        return to_retry

    @staticmethod
    def _apply(
        rejected: list[tuple[str, str]], deliveries: list[convert.Delivery]
    ) -> None:
        """Move the events the storage refused to their messages'
        failures."""
        reasons = dict(rejected)
        if not reasons:
            return
        for delivery in deliveries:
            kept = []
            for item, event in delivery.events:
                if event.message_id in reasons:
                    delivery.fail(
                        item,
                        "event %s refused by the storage: "
                        "%s" % (event.message_id, reasons[event.message_id]),
                    )
                else:
                    kept.append((item, event))
            delivery.events = kept

    def _dead_letter(self, deliveries: list[convert.Delivery]) -> None:
        for delivery in deliveries:
            if delivery.failures:
                reasons = dict.fromkeys(r for _, r in delivery.failures)
                self._dead_letters.send(
                    delivery.message,
                    delivery.unstored_payload(),
                    list(reasons),
                )

    def _wait(self, problem: str, count: int) -> None:
        now = time.monotonic()
        if self._failing_since is None:
            self._failing_since = now
        delay = self._backoff.next_delay
        LOG.warning(
            "%s. %d messages go back to the queue; next attempt in "
            "%.1f s (failing for %.0f s). The listener keeps "
            "running.",
            problem,
            count,
            delay,
            now - self._failing_since,
        )
        self._backoff.wait()

    def _recovered(self) -> None:
        if self._failing_since is not None:
            LOG.info(
                "Storing works again after %.0f s of failures.",
                time.monotonic() - self._failing_since,
            )
            self._failing_since = None
            self._backoff.reset()
