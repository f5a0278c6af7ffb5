"""The event publisher Ceilometer loads in its own process.

``event_pipeline.yaml`` names it ``panko://`` (or, as older install guides
did, ``direct://?dispatcher=panko``). Ceilometer constructs it with its own
configuration and the parsed URL, and calls ``publish_events()`` from many
threads at once. The publisher reads panko's configuration, never
Ceilometer's: ``panko://?config_file=/path/panko.conf``, else
``PANKO_CONFIG_FILE``, else ``/etc/panko/panko.conf``; oslo.config's
environment variables (``OS_DATABASE__CONNECTION``) apply on top.

It imports nothing of the API, sets up no logging and parses no command
line: it is a guest in Ceilometer's process.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib import parse

from oslo_log import log

from panko import service
from panko import storage
from panko import wire
from panko.publisher import group_commit
from panko.storage import models

LOG = log.getLogger(__name__)

URL_OPTIONS = ("config_file",)


class InvalidPublisherURL(ValueError):
    """The publisher URL asks for something panko does not do."""


def _options(parsed_url, allowed: tuple[str, ...]) -> dict[str, str]:
    query = parse.parse_qs(parsed_url.query, keep_blank_values=True)
    unknown = sorted(set(query) - set(allowed))
    if unknown:
        raise InvalidPublisherURL(
            "Unknown option(s) %s in the publisher URL %s://%s; panko "
            "accepts: %s"
            % (
                ", ".join(unknown),
                parsed_url.scheme,
                parsed_url.geturl().split("://", 1)[-1],
                ", ".join(allowed),
            )
        )
    for name, values in query.items():
        if len(values) != 1 or not values[0]:
            raise InvalidPublisherURL(
                "The publisher URL option %s needs exactly one value" % name
            )
    return {name: values[0] for name, values in query.items()}


def event_from_ceilometer(event: Any, index: int = 0) -> models.Event:
    """A checked panko event from a Ceilometer event (duck-typed: it has
    message_id, event_type, generated, traits of name/dtype/value, raw)."""
    return wire.event_from_parts(
        event.message_id,
        event.event_type,
        event.generated,
        [(t.name, t.dtype, t.value) for t in event.traits or ()],
        getattr(event, "raw", None),
        index,
    )


class PankoPublisher:
    """Stores the events Ceilometer hands it, once they are committed."""

    URL_OPTIONS = URL_OPTIONS

    def __init__(self, conf: Any, parsed_url):
        # ``conf`` is Ceilometer's configuration: panko never reads it.
        options = _options(parsed_url, self.URL_OPTIONS)
        config_file = options.get("config_file")
        self.conf = service.prepare_service(
            [],
            config_files=[config_file] if config_file else None,
            setup_logging=False,
        )
        service.check_values(self.conf)
        self.connection = storage.get_connection(self.conf)
        self._committer = group_commit.GroupCommitter(
            self.connection.record_events
        )

    def publish_events(self, events: Iterable[Any]) -> None:
        """Store ``events``; return only once they are committed.

        An event that can never be stored (malformed, or too large) is
        logged with its reason and dropped: raising for it would only
        make Ceilometer deliver it again and again. A database that stays
        unavailable after the storage's retries raises, so that Ceilometer
        with ``ack_on_event_error = False`` requeues the notification.
        """
        checked = []
        for index, event in enumerate(events):
            try:
                checked.append(event_from_ceilometer(event, index))
            except wire.InvalidEventData as e:
                LOG.error(
                    "Event %s not stored: %s",
                    getattr(event, "message_id", "?"),
                    e.reason,
                )
        if not checked:
            return
        result = self._committer.submit(checked)
        for message_id, reason in result.rejected:
            LOG.error("Event %s not stored: %s", message_id, reason)

    def publish_samples(self, samples: Iterable[Any]) -> None:
        raise NotImplementedError(
            "panko stores events, not samples: use "
            "it in event_pipeline.yaml only"
        )


class DirectPublisher(PankoPublisher):
    """``direct://?dispatcher=panko``, the form of older install guides.

    Ceilometer 27 has no ``direct`` event publisher of its own any more;
    this one behaves exactly as ``panko://``.
    """

    URL_OPTIONS = URL_OPTIONS + ("dispatcher",)

    def __init__(self, conf: Any, parsed_url):
        dispatcher = _options(parsed_url, self.URL_OPTIONS).get("dispatcher")
        if dispatcher != "panko":
            raise InvalidPublisherURL(
                "direct:// publishes to the panko dispatcher only "
                "(direct://?dispatcher=panko); %s was asked for. For "
                "other destinations use Ceilometer's own publishers."
                % (dispatcher or "no dispatcher")
            )
        super().__init__(conf, parsed_url)
