"""The wire format of the v2 API, as WSME types.

These declarations are the contract Panko 10 clients rely on: the
attributes, their types and their order. ``panko.api.render`` produces
exactly what WSME would produce from them (a unit test compares the two
for every type), without building WSME objects for each of the thousands
of events a listing can stream.
"""

import datetime

from wsme import types as wtypes


class JsonType(wtypes.UserType):
    """Any JSON value, passed through unchanged."""

    basetype = wtypes.text
    name = "json"

    @staticmethod
    def validate(value):
        return value

    @staticmethod
    def tobasetype(value):
        return value


class Trait(wtypes.Base):
    """A trait of an event."""

    name = wtypes.text
    "The name of the trait"

    value = wtypes.text
    "The value, as text (ISO 8601 for datetimes)"

    type = wtypes.text
    "string, integer, float or datetime"


class TraitDescription(wtypes.Base):
    """A trait name and type seen on events of one type."""

    type = wtypes.text
    "string, integer, float or datetime"

    name = wtypes.text
    "The name of the trait"


class Event(wtypes.Base):
    """A stored event."""

    message_id = wtypes.text
    "The message id of the notification the event was built from"

    event_type = wtypes.text
    "The type of the event"

    traits = [Trait]
    "The traits of the event, sorted by name"

    generated = datetime.datetime
    "When the event happened (UTC, ISO 8601)"

    raw = JsonType()
    "The notification the event was built from, when it was kept"

    position = int
    "Where the event is in the order it was stored (panko's addition: "
    "follow it with q.field=position&q.op=gt; clients of Panko 10 ignore it)"


class Capabilities(wtypes.Base):
    """What the API and the configured storage driver support, as
    flattened ``a:b:c`` keys."""

    api = {wtypes.text: bool}
    "API capabilities"

    event_storage = {wtypes.text: bool}
    "Storage capabilities"


class RecordSummary(wtypes.Base):
    """What became of the events of a POST."""

    stored = int
    "How many events were stored"

    duplicates = int
    "How many were skipped because their message_id was already stored"
