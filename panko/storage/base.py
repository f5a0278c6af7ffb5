"""The storage contract every driver fulfils.

The logic that must be the same everywhere lives here, above the drivers:
checking events before they are written, normalising the sort order,
finding the marker inside the caller's project scope, deciding batch sizes
for expiry. Drivers implement the small ``_``-prefixed primitives and
translate an already-checked :class:`~panko.storage.models.EventFilter`
into their own query language.
"""

from __future__ import annotations

import abc
from collections.abc import Iterable
from collections.abc import Iterator
import datetime
import itertools
from typing import Any

from oslo_config import cfg
from oslo_log import log
from oslo_utils import timeutils

from panko import jsonutils
from panko.storage import exceptions
from panko.storage import models

LOG = log.getLogger(__name__)

DEFAULT_EXPIRY_BATCH = 10000
_OWNER_TRAITS = (models.PROJECT_TRAIT, models.USER_TRAIT)


def marker_event(marker: models.TraitMarker) -> models.Event:
    """The key of a trait marker's event, as the marker of an event
    listing in ``models.DEFAULT_SORT``."""
    return models.Event(marker.message_id, "", marker.generated)


class Connection(abc.ABC):
    """A connection to one event store.

    Capabilities are class attributes so that the API can report them
    without opening a connection; a test checks each driver's against its
    behaviour.
    """

    CAPABILITIES: dict = {"events": {"query": {"simple": True}}}
    STORAGE_CAPABILITIES: dict = {"storage": {"production_ready": True}}

    def __init__(
        self,
        url: str,
        conf: cfg.ConfigOpts,
        write_retries: int | None = None,
    ):
        self.url = url
        self.conf = conf
        # How many times the driver retries a failed write transaction.
        self.write_retries = (
            conf.database.db_max_retries
            if write_retries is None
            else write_retries
        )

    # -- schema -----------------------------------------------------------

    @abc.abstractmethod
    def upgrade(self) -> None:
        """Create the schema, or upgrade an existing one (Panko 10's too)
        to the current version, keeping every stored event."""

    @abc.abstractmethod
    def needs_upgrade(self) -> bool:
        """True when ``upgrade()`` would change the schema (it is missing,
        older than this release, or left by Panko 10)."""

    @abc.abstractmethod
    def clear(self) -> None:
        """Remove every event and the schema (tests only)."""

    @abc.abstractmethod
    def ping(self) -> None:
        """Raise StorageUnavailable unless the database answers."""

    @abc.abstractmethod
    def close(self) -> None:
        """Release the connections this driver holds."""

    # -- writing ------------------------------------------------------------

    def record_events(
        self, events: Iterable[models.Event]
    ) -> models.RecordResult:
        """Store a batch of events; return what became of each.

        Events whose message_id is already stored, or that appear earlier
        in the same batch, are skipped and reported as duplicates. Events
        that can never be stored (raw payload over ``[database]
        max_raw_size``) are reported as rejected, with the reason, and the
        rest of the batch is still stored. A database failure that
        persists after the driver's retries raises
        :class:`~panko.storage.exceptions.StorageUnavailable`, and then
        nothing of the batch is committed.
        """
        result = models.RecordResult()
        valid = []
        seen = set()
        for event in events:
            if event.message_id in seen:
                result.duplicates.append(event.message_id)
                continue
            try:
                self.check_event(event)
            except exceptions.InvalidEvent as e:
                LOG.error("Event not stored: %s", e)
                result.rejected.append((event.message_id, e.reason))
                continue
            seen.add(event.message_id)
            valid.append(event)
        if valid:
            stored = set(self._record_events(valid))
            for event in valid:
                if event.message_id in stored:
                    result.stored.append(event.message_id)
                else:
                    result.duplicates.append(event.message_id)
        if result.duplicates:
            LOG.debug(
                "Skipped %d events already stored: %s",
                len(result.duplicates),
                result.duplicates,
            )
        return result

    def check_event(self, event: models.Event) -> None:
        """Raise InvalidEvent when ``event`` can never be stored.

        Sets ``event.raw_json``, the raw payload encoded once as UTF-8
        JSON for the size check and for the drivers that store it so.
        """
        message_id, event_type = event.message_id, event.event_type
        if not message_id or len(message_id) > 255:
            raise exceptions.InvalidEvent(
                (message_id or "")[:64],
                "the message_id must have 1 to 255 characters",
            )
        if not event_type or len(event_type) > 255:
            raise exceptions.InvalidEvent(
                message_id, "the event_type must have 1 to 255 characters"
            )
        if "\x00" in message_id or "\x00" in event_type:
            raise exceptions.InvalidEvent(
                message_id.replace("\x00", "\\0"),
                "the message_id or event_type contains a NUL character",
            )
        names = set()
        for name, dtype, value in event.traits:
            if not name or len(name) > 255 or "\x00" in name:
                raise exceptions.InvalidEvent(
                    message_id,
                    "trait names must have 1 to 255 characters and no NUL",
                )
            if name in names:
                raise exceptions.InvalidEvent(
                    message_id, "trait %s appears more than once" % name
                )
            names.add(name)
            if dtype not in models.DTYPE_NAMES:
                raise exceptions.InvalidEvent(
                    message_id, "trait %s has unknown type %r" % (name, dtype)
                )
            if dtype == models.TEXT_TYPE:
                if "\x00" in value:
                    raise exceptions.InvalidEvent(
                        message_id, "trait %s contains a NUL character" % name
                    )
                if name in _OWNER_TRAITS and len(value) > 255:
                    raise exceptions.InvalidEvent(
                        message_id,
                        "its %s trait is longer than 255 characters" % name,
                    )
        if event.raw is not None:
            try:
                encoded = jsonutils.dumps_bytes(event.raw)
            except (TypeError, ValueError) as e:
                raise exceptions.InvalidEvent(
                    message_id, "its raw notification is not JSON: %s" % e
                ) from None
            except RecursionError:
                raise exceptions.InvalidEvent(
                    message_id, "its raw notification is nested too deeply"
                ) from None
            limit = self.conf.database.max_raw_size
            if len(encoded) > limit:
                raise exceptions.InvalidEvent(
                    message_id,
                    "its raw notification has %d bytes, more than "
                    "[database] max_raw_size (%d)" % (len(encoded), limit),
                )
            event.raw_json = encoded

    @abc.abstractmethod
    def _record_events(self, events: list[models.Event]) -> Iterable[str]:
        """Store checked events with distinct message_ids in one
        transaction, skipping those already stored; return the
        message_ids actually written."""

    # -- reading ------------------------------------------------------------

    def get_events(
        self,
        event_filter: models.EventFilter,
        pagination: models.Pagination | None = None,
        encoded: bool = False,
    ) -> Iterator[models.Event]:
        """Events matching ``event_filter``, in the pagination's order.

        With ``encoded``, events are read to be shown as the API's JSON:
        decoding and encoding them again would be most of the cost of a
        listing. Their raw notification is left as UTF-8 JSON in
        ``raw_json`` (``raw`` is None), and a storage that keeps the
        traits as the API's JSON (``panko.traits_json``) leaves them in
        ``traits_json``; ``traits`` then holds only the text project_id
        and user_id traits, which decide who may see the event.

        The sort is made total (see ``Pagination.total_order``); with no
        sort given, a filter on positions is answered in position order,
        the order a poller reads in, anything else in
        ``models.DEFAULT_SORT``. The
        marker is looked up under the same project scope as the query, so
        an event the caller cannot see is an unknown marker
        (:class:`~panko.storage.exceptions.InvalidMarker`), never a leak.
        """
        pagination = pagination or models.Pagination()
        marker = None
        if pagination.marker is not None:
            marker = self._marker(
                models.EventFilter(message_id=pagination.marker).scoped_like(
                    event_filter
                )
            )
        default = (
            models.POSITION_SORT
            if event_filter.after_position is not None
            else models.DEFAULT_SORT
        )
        return self._get_events(
            event_filter,
            pagination.limit,
            pagination.total_order(default),
            marker,
            encoded,
        )

    def _marker(self, marker_filter: models.EventFilter) -> Any:
        """The marker ``_get_events`` is given: the event of
        ``marker_filter`` (a message_id under the query's scope), read
        here. A driver may instead return what its query reads the
        marker's keys from, and raise
        :class:`~panko.storage.exceptions.InvalidMarker` itself when
        the marker is not found."""
        found = list(
            self._get_events(
                marker_filter, 1, models.DEFAULT_SORT, None, encoded=True
            )
        )
        if not found:
            raise exceptions.InvalidMarker(marker_filter.message_id)
        return found[0]

    @abc.abstractmethod
    def _get_events(
        self,
        event_filter: models.EventFilter,
        limit: int | None,
        sort: tuple[tuple[str, str], ...],
        marker: Any,
        encoded: bool,
    ) -> Iterator[models.Event]:
        """Events matching the filter, ordered by ``sort`` (total: its
        last key is message_id or position), strictly after ``marker``
        (what ``_marker`` returned) in
        that order when given, at most ``limit`` of them. Trait values and
        raw are returned whole (or encoded, see get_events), and each
        event's position is set.

        When the filter has ``after_position`` or ``sort`` starts with
        position, an event must not be returned while an event of lower
        position may still become visible (see ``EventFilter``)."""

    def count_events(
        self,
        event_filter: models.EventFilter,
        grouping: models.Grouping | None = None,
        limit: int | None = None,
    ) -> list[models.Group]:
        """How many events match ``event_filter``, under its project scope.

        Without a grouping (or one with no keys), one group with no
        values. Else one group per distinct combination of values having
        events, ordered by those values (a missing project_id, None,
        first), at most ``limit`` of them. Counts are exact as of one
        moment of the database; the safe horizon of positions does not
        apply to them.
        """
        grouping = grouping or models.Grouping()
        if limit is not None and limit < 1:
            raise ValueError("limit must be positive")
        if not grouping.keys:
            limit = None
        groups = list(self._count_events(event_filter, grouping, limit))
        if not grouping.keys and not groups:
            return [models.Group((), 0)]
        return groups

    @abc.abstractmethod
    def _count_events(
        self,
        event_filter: models.EventFilter,
        grouping: models.Grouping,
        limit: int | None,
    ) -> Iterable[models.Group]:
        """The groups of ``count_events`` (a checked grouping); with no
        keys, one group with no values, or none when nothing matches."""

    @abc.abstractmethod
    def get_event_types(self) -> Iterator[str]:
        """Every stored event type, sorted."""

    @abc.abstractmethod
    def get_trait_types(self, event_type: str) -> Iterator[models.TraitType]:
        """Name and type of each trait seen on events of ``event_type``,
        sorted by name then type."""

    def get_traits(
        self,
        event_type: str,
        trait_name: str | None = None,
        limit: int | None = None,
    ) -> Iterator[models.Trait]:
        """Trait values of events of ``event_type`` (only ``trait_name``
        when given), at most ``limit`` of them, in the order of
        :class:`~panko.storage.models.TraitMarker`."""
        values = (
            trait
            for _key, traits in self._trait_values(
                event_type, trait_name, None, limit
            )
            for trait in traits
        )
        return itertools.islice(values, limit)

    def get_trait_page(
        self,
        event_type: str,
        trait_name: str | None,
        limit: int,
        marker: models.TraitMarker | None = None,
    ) -> models.TraitPage:
        """At most ``limit`` values of ``get_traits``, from ``marker``
        (the ``next_marker`` of the previous page) on.

        One value more than the page is read, so that the next marker is
        given only when there is a next page; it names that value, so a
        page may end inside an event and is never short of ``limit``.
        """
        if limit < 1:
            raise ValueError("limit must be positive")
        traits: list[models.Trait] = []
        for key, values in self._trait_values(
            event_type, trait_name, marker, limit + 1
        ):
            first = 0
            if marker is not None and key == marker[:2]:
                first = marker.skip
            for index in range(first, len(values)):
                if len(traits) == limit:
                    return models.TraitPage(
                        traits, models.TraitMarker(*key, index)
                    )
                traits.append(values[index])
        return models.TraitPage(traits, None)

    @abc.abstractmethod
    def _trait_values(
        self,
        event_type: str,
        trait_name: str | None,
        start: models.TraitMarker | None,
        values_needed: int | None,
    ) -> Iterator[tuple[tuple[datetime.datetime, str], list[models.Trait]]]:
        """For each event of ``event_type`` having trait ``trait_name``
        (any trait when None), in ``models.DEFAULT_SORT`` from the event
        of ``start`` included: its (generated, message_id) and its values
        of that trait sorted by dtype (all its traits by name and dtype
        when None). ``values_needed`` bounds how many values the caller
        will read (the driver may stop reading rows once they hold that
        many); None reads them all."""

    # -- expiry -------------------------------------------------------------

    def clear_expired_data(self, ttl: int, max_count: int = 0) -> int:
        """Delete events generated more than ``ttl`` seconds ago.

        Deletes in transactions of at most ``max_count`` events (0: the
        default batch) until none is left, so it never holds long locks
        and is safe while events are written; event types left without
        events go too. Returns how many events were deleted.
        """
        if ttl <= 0:
            return 0
        before = timeutils.utcnow() - datetime.timedelta(seconds=ttl)
        batch = max_count if max_count > 0 else DEFAULT_EXPIRY_BATCH
        # Whole partitions go once per run, first: dropping them again
        # after each batch would keep removing the partition a late
        # event (older than the time to live) is being written to, and
        # its writer, with the rest of its batch, could not get through
        # until the run ended.
        self._prepare_expiry(before)
        total = self._drop_storage_before(before)
        while True:
            deleted = self._delete_events_before(before, batch)
            total += deleted
            if deleted < batch:
                break
        self._delete_unused_event_types()
        LOG.info("%d expired events removed", total)
        return total

    def _prepare_expiry(self, before: datetime.datetime) -> None:
        """Get ready for the removal of the events generated before
        ``before`` (counts kept ahead of time stop covering them).
        Drivers that keep nothing of the kind keep this default."""
        return None

    def fold_counts(self) -> int:
        """Bring the counts kept ahead of time up to date with the events
        stored; return how many events were added to them. Drivers that
        keep none return 0."""
        return 0

    def _drop_storage_before(self, before: datetime.datetime) -> int:
        """Drop whole units of storage (partitions) holding only events
        generated before ``before``; return how many events they held.
        Drivers without such units keep this default."""
        return 0

    @abc.abstractmethod
    def _delete_events_before(
        self, before: datetime.datetime, max_count: int
    ) -> int:
        """Delete at most ``max_count`` events generated before
        ``before`` in one transaction; return how many were deleted."""

    @abc.abstractmethod
    def _delete_unused_event_types(self) -> None:
        """Forget event types (and their trait types) no event has."""

    # -- capabilities -------------------------------------------------------

    @classmethod
    def get_capabilities(cls) -> dict:
        return cls.CAPABILITIES

    @classmethod
    def get_storage_capabilities(cls) -> dict:
        return cls.STORAGE_CAPABILITIES
