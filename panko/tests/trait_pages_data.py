"""Events whose values of one trait span several dtypes, for the tests
of trait value pages (storage and API)."""

from __future__ import annotations

import datetime

from panko.storage import models
from panko.tests import eventgen

TYPE = "paged.type"
NAME = "v"
T = models.Trait
TEXT, INT, FLOAT, DT = (
    models.TEXT_TYPE,
    models.INT_TYPE,
    models.FLOAT_TYPE,
    models.DATETIME_TYPE,
)
WHEN = datetime.datetime(2026, 3, 4, 5, 6, 7, 123456)


def _value(i: int, dtype: int) -> models.Trait:
    by_dtype = {
        TEXT: "e%d" % i,
        INT: i,
        FLOAT: i + 0.5,
        DT: WHEN + datetime.timedelta(days=i),
    }
    return T(NAME, dtype, by_dtype[dtype])


# (message_id, minutes, dtype of trait NAME or None): the trait has every
# type over the events (an event has at most one trait of a name); four
# events share a time (message_id decides), one lacks the trait.
SPEC = [
    ("m-c", 0, INT),
    ("m-a", 0, DT),
    ("m-b", 0, TEXT),
    ("m-h", 0, FLOAT),
    ("m-d", 1, None),
    ("m-e", 2, FLOAT),
    ("m-f", 3, INT),
    ("m-g", 4, TEXT),
    ("m-i", 4, DT),
]


def _traits(i: int, dtype: int | None) -> list[models.Trait]:
    own = [] if dtype is None else [_value(i, dtype)]
    return own + [T("other", INT, i), T("zzz", TEXT, "x")]


def events() -> list[models.Event]:
    made = [
        eventgen.event(
            message_id=message_id,
            event_type=TYPE,
            minutes=minutes,
            traits=_traits(i, dtype),
        )
        for i, (message_id, minutes, dtype) in enumerate(SPEC)
    ]
    # Another type with the same trait name must never show.
    made.append(
        eventgen.event(
            message_id="m-other-type",
            event_type="other.type",
            minutes=0,
            traits=[T(NAME, TEXT, "not this type")],
        )
    )
    return made


def _in_event_order():
    return sorted(enumerate(SPEC), key=lambda e: (e[1][1], e[1][0]))


def expected() -> list[models.Trait]:
    """Every value of NAME on TYPE, by (time, message_id)."""
    return [
        _value(i, dtype)
        for i, (_id, _minutes, dtype) in _in_event_order()
        if dtype is not None
    ]


def expected_all() -> list[models.Trait]:
    """Every trait of every event of TYPE: by event, then name and
    dtype (project_id and user_id included)."""
    found = []
    for i, (_id, _minutes, dtype) in _in_event_order():
        traits = _traits(i, dtype) + [
            T("project_id", TEXT, "project-a"),
            T("user_id", TEXT, "user-a"),
        ]
        found.extend(sorted(traits, key=lambda t: (t.name, t.dtype)))
    return found
