"""From a notification to the events it carries.

Each event of the payload is checked on its own, so that one bad event
does not keep the others of its message from being stored; the bad ones
are kept, with the reason, for the dead-letter topic.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from typing import Any

from panko import wire
from panko.listener import signature
from panko.storage import models


@dataclasses.dataclass
class Delivery:
    """One message of a batch: its events, and the parts of its payload
    that can never be stored with the reason why.

    ``message`` is the notification as oslo.messaging hands it to a
    listener endpoint: ``ctxt``, ``publisher_id``, ``event_type``,
    ``payload`` and ``metadata`` (``message_id``, ``timestamp``).
    """

    message: dict
    events: list[tuple[Any, models.Event]] = dataclasses.field(
        default_factory=list
    )
    failures: list[tuple[Any, str]] = dataclasses.field(default_factory=list)

    @property
    def message_id(self) -> str:
        """The notification's id, stable across redeliveries; a digest of
        the payload for a message that has none."""
        metadata = self.message.get("metadata") or {}
        message_id = metadata.get("message_id")
        if isinstance(message_id, str) and message_id:
            return message_id
        text = json.dumps(
            self.message.get("payload"), sort_keys=True, default=repr
        )
        return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()

    def fail(self, item: Any, reason: str) -> None:
        self.failures.append((item, reason))

    def fail_payload(self, reason: str) -> None:
        """Give up on the whole payload."""
        payload = self.message.get("payload")
        for item in payload if isinstance(payload, list) else [payload]:
            self.fail(item, reason)
        self.events = []

    def fail_events(self, reason: str) -> None:
        """Give up on every event of this message."""
        for item, _ in self.events:
            self.fail(item, reason)
        self.events = []

    def unstored_payload(self) -> Any:
        """What the dead-letter topic receives: the items of the payload
        that were not stored, or the payload itself when it is not a list
        of events at all."""
        payload = self.message.get("payload")
        if not isinstance(payload, list):
            return payload
        return [item for item, _ in self.failures]


def delivery(message: dict, secret: str | None = None) -> Delivery:
    """Check the events of ``message``; with ``secret``, also their
    Ceilometer signatures."""
    result = Delivery(message)
    payload = message.get("payload")
    if not isinstance(payload, list):
        result.fail_payload(
            "the payload must be a list of serialized "
            "events, not %s" % _kind(payload)
        )
        return result
    for index, item in enumerate(payload):
        try:
            if (
                secret
                and isinstance(item, dict)
                and not signature.verify(item, secret)
            ):
                result.fail(
                    item,
                    "event %d: its message_signature does "
                    "not match [listener] telemetry_secret" % index,
                )
                continue
            event = wire.event_from_dict(item, index)
        except wire.InvalidEventData as e:
            result.fail(item, str(e))
            continue
        except RecursionError:
            result.fail(
                item, "event %d is nested too deeply to be read" % index
            )
            continue
        result.events.append((item, event))
    return result


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    return {
        dict: "an object",
        str: "a string",
        bool: "a boolean",
        int: "a number",
        float: "a number",
    }.get(type(value), type(value).__name__)
