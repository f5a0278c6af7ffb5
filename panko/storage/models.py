"""Plain data the storage drivers take and return.

These classes know nothing of HTTP, WSME or any database: the publisher,
the listener and the API build them, every driver stores and returns them.
"""

from __future__ import annotations

import dataclasses
import datetime
from typing import Any
from typing import NamedTuple

# Ceilometer's trait type codes.
NONE_TYPE = 0
TEXT_TYPE = 1
INT_TYPE = 2
FLOAT_TYPE = 3
DATETIME_TYPE = 4

DTYPE_NAMES = {
    TEXT_TYPE: "string",
    INT_TYPE: "integer",
    FLOAT_TYPE: "float",
    DATETIME_TYPE: "datetime",
}
DTYPE_BY_NAME = {name: dtype for dtype, name in DTYPE_NAMES.items()}

OPERATORS = ("eq", "ne", "lt", "le", "gt", "ge")
SORT_KEYS = ("generated", "message_id", "position")
SORT_DIRS = ("asc", "desc")
DEFAULT_SORT = (("generated", "asc"), ("message_id", "asc"))
# The order of a poller following positions (see EventFilter).
POSITION_SORT = (("position", "asc"),)

# What counts can be grouped by, and the time buckets of ``generated``.
GROUP_KEYS = ("event_type", "project_id", "generated")
BUCKETS = {"hour": 3600, "day": 86400}

# The trait whose text value names the project an event belongs to.
PROJECT_TRAIT = "project_id"
USER_TRAIT = "user_id"


class Trait(NamedTuple):
    """A typed, named value extracted from a notification.

    ``value`` has the Python type of ``dtype``: str, int, float or a naive
    UTC datetime. A named tuple: millions are made, and cheaply.
    """

    name: str
    dtype: int
    value: Any

    @property
    def type_name(self) -> str:
        return DTYPE_NAMES[self.dtype]


class TraitType(NamedTuple):
    """A trait name and type seen on events of one type."""

    name: str
    dtype: int


@dataclasses.dataclass(slots=True)
class Event:
    """One stored event.

    ``generated`` is a naive UTC datetime. ``raw`` is the notification the
    event was built from, or None when it was not kept. ``position`` is
    set by the storage on events it returns: it increases in the order
    events were committed.
    """

    message_id: str
    event_type: str
    generated: datetime.datetime
    traits: list[Trait] = dataclasses.field(default_factory=list)
    raw: Any = None
    position: int | None = None
    # ``raw`` as compact UTF-8 JSON, set when the storage checks the
    # event, so that it is encoded once, and by reads that leave it
    # encoded (see Connection.get_events).
    raw_json: bytes | None = dataclasses.field(
        default=None, compare=False, repr=False
    )
    # The traits as the API's JSON (``panko.traits_json``), set by reads
    # that leave them encoded.
    traits_json: bytes | None = dataclasses.field(
        default=None, compare=False, repr=False
    )

    def trait(self, name: str, dtype: int = TEXT_TYPE) -> Trait | None:
        for trait in self.traits:
            if trait.name == name and trait.dtype == dtype:
                return trait
        return None

    @property
    def project_id(self) -> str | None:
        """The project the event belongs to: its text project_id trait."""
        trait = self.trait(PROJECT_TRAIT)
        return trait.value if trait is not None else None


@dataclasses.dataclass(frozen=True, slots=True)
class TraitFilter:
    """Keep events having trait ``name`` of type ``dtype`` with
    ``value <op> self.value``. ``value`` has the Python type of dtype."""

    name: str
    dtype: int
    op: str
    value: Any

    def __post_init__(self):
        if self.op not in OPERATORS:
            raise ValueError("unknown operator %r" % self.op)
        if self.dtype not in DTYPE_NAMES:
            raise ValueError("unknown trait type %r" % self.dtype)


@dataclasses.dataclass(frozen=True, slots=True)
class EventFilter:
    """A checked event query; every condition given must hold.

    Project scope, decided above the drivers from the caller's identity:

    * ``project`` set: only events whose project_id trait equals it (a
      non-admin caller); with ``user`` also set, only those whose user_id
      trait equals ``user`` too.
    * ``admin_project`` set: events of that project and events that have
      no project_id trait (an admin without all_tenants).
    * neither: every event (an admin with all_tenants, or internal use).

    ``after_position``: only events whose position is greater. Used
    alone or with others, it is what a poller asks repeatedly: the
    storage answers it so that, read in position order, an event never
    shows up after an event of higher position was returned (on MongoDB
    by holding back positions still being written, see the driver).
    """

    start_timestamp: datetime.datetime | None = None
    end_timestamp: datetime.datetime | None = None
    event_type: str | None = None
    message_id: str | None = None
    traits: tuple[TraitFilter, ...] = ()
    project: str | None = None
    user: str | None = None
    admin_project: str | None = None
    after_position: int | None = None

    def __post_init__(self):
        if self.project is not None and self.admin_project is not None:
            raise ValueError("project and admin_project are exclusive")
        if self.user is not None and self.project is None:
            raise ValueError("user scope needs a project scope")

    def scoped_like(self, other: EventFilter) -> EventFilter:
        """This filter's conditions under ``other``'s project scope."""
        return dataclasses.replace(
            self,
            project=other.project,
            user=other.user,
            admin_project=other.admin_project,
        )


@dataclasses.dataclass(frozen=True, slots=True)
class Pagination:
    """Limit, marker and sort order of an event listing.

    ``sort`` is a tuple of (key, direction) pairs with keys in SORT_KEYS
    and directions in SORT_DIRS; ``marker`` is the message_id of the last
    event of the previous page.
    """

    limit: int | None = None
    marker: str | None = None
    sort: tuple[tuple[str, str], ...] = ()

    def __post_init__(self):
        if self.limit is not None and self.limit < 1:
            raise ValueError("limit must be positive")
        for key, direction in self.sort:
            if key not in SORT_KEYS or direction not in SORT_DIRS:
                raise ValueError("bad sort %s:%s" % (key, direction))

    def total_order(
        self, default: tuple[tuple[str, str], ...] = DEFAULT_SORT
    ) -> tuple[tuple[str, str], ...]:
        """The sort made total: ``default`` when empty, and message_id as
        the last key (in the direction of the last key given) so that
        equal timestamps never make pages overlap or skip. Positions are
        unique: keys after ``position`` would never decide anything and
        are dropped, so that the order is the position index's."""
        sort = self.sort or default
        deduped: list[tuple[str, str]] = []
        for key, direction in sort:
            if key not in [k for k, _ in deduped]:
                deduped.append((key, direction))
            if key == "position":
                return tuple(deduped)
        if "message_id" not in [k for k, _ in deduped]:
            deduped.append(("message_id", deduped[-1][1]))
        return tuple(deduped)


@dataclasses.dataclass(frozen=True, slots=True)
class Grouping:
    """How to group a count: keys in GROUP_KEYS, each at most once, and
    the bucket of ``generated`` (a name in BUCKETS) when it is one of
    them."""

    keys: tuple[str, ...] = ()
    bucket: str | None = None

    def __post_init__(self):
        if len(set(self.keys)) != len(self.keys):
            raise ValueError("a group key appears twice")
        for key in self.keys:
            if key not in GROUP_KEYS:
                raise ValueError("unknown group key %r" % key)
        if ("generated" in self.keys) != (self.bucket is not None):
            raise ValueError("a bucket goes with generated, and only then")
        if self.bucket is not None and self.bucket not in BUCKETS:
            raise ValueError("unknown bucket %r" % self.bucket)

    @property
    def bucket_seconds(self) -> int:
        return BUCKETS[self.bucket] if self.bucket else 0


class Group(NamedTuple):
    """One group of a count: its values, in the order of the grouping's
    keys (an event type name, a project_id or None, the start of a time
    bucket as a naive UTC datetime), and how many events it has."""

    values: tuple
    count: int


@dataclasses.dataclass(slots=True)
class RecordResult:
    """What ``record_events`` did with a batch."""

    stored: list[str] = dataclasses.field(default_factory=list)
    duplicates: list[str] = dataclasses.field(default_factory=list)
    rejected: list[tuple[str, str]] = dataclasses.field(default_factory=list)


class TraitMarker(NamedTuple):
    """Where a page of trait values starts: the ``skip``-th value (from
    0, in dtype order) of the event (``generated``, ``message_id``).

    Trait values are listed in the order of their events,
    ``DEFAULT_SORT``, which every backend reads as a range of its
    (event type, generated, message_id) index; an event's values of one
    trait name are at most one per dtype, so a page may end inside it.
    """

    generated: datetime.datetime
    message_id: str
    skip: int = 0


class TraitPage(NamedTuple):
    """A page of trait values and where the next one starts (None when
    this page is the last)."""

    traits: list[Trait]
    next_marker: TraitMarker | None
