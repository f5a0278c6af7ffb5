"""Checking and converting serialized events."""

from __future__ import annotations

import datetime
import math

import pytest

from panko import wire
from panko.storage import models

GEN = "2026-01-02T03:04:05.678901"


def serialized(**overrides):
    event = {
        "message_id": "m1",
        "event_type": "compute.instance.create.end",
        "generated": GEN,
        "traits": [
            ["host", 1, "node-1"],
            ["vcpus", 2, 4],
            ["load", 3, 0.5],
            ["launched_at", 4, "2026-01-01T00:00:00"],
        ],
        "raw": {"payload": {}},
    }
    event.update(overrides)
    return event


def test_ceilometer_http_publisher_shape():
    [event] = wire.events_from_body([serialized()])
    assert event.message_id == "m1"
    assert event.generated == datetime.datetime(2026, 1, 2, 3, 4, 5, 678901)
    assert event.traits == [
        models.Trait("host", 1, "node-1"),
        models.Trait("vcpus", 2, 4),
        models.Trait("load", 3, 0.5),
        models.Trait("launched_at", 4, datetime.datetime(2026, 1, 1)),
    ]
    assert event.raw == {"payload": {}}


def test_single_object_and_as_dict_and_api_shapes():
    as_dict = serialized(traits=[{"name": "vcpus", "dtype": 2, "value": 4}])
    api = serialized(
        traits=[
            {"name": "vcpus", "type": "integer", "value": "4"},
            {
                "name": "at",
                "type": "datetime",
                "value": "2026-01-01T00:00:00+02:00",
            },
        ]
    )
    [one] = wire.events_from_body(as_dict)
    [two] = wire.events_from_body([api])
    assert one.traits == [models.Trait("vcpus", 2, 4)]
    assert two.traits == [
        models.Trait("vcpus", 2, 4),
        models.Trait("at", 4, datetime.datetime(2025, 12, 31, 22, 0)),
    ]


def test_none_type_without_value_is_dropped():
    [event] = wire.events_from_body([serialized(traits=[["x", 0, None]])])
    assert event.traits == []


def test_message_signature_is_accepted():
    [event] = wire.events_from_body([serialized(message_signature="abc")])
    assert event.message_id == "m1"


@pytest.mark.parametrize(
    "body, message",
    [
        ("text", "the body must be a JSON list of events"),
        ([1], "event 0: an event must be a JSON object"),
        ([serialized(), serialized(bogus=1)], "event 1: unknown keys: bogus"),
        ([serialized(message_id=None)], "message_id is missing"),
        ([serialized(message_id="")], "message_id is empty"),
        ([serialized(message_id=7)], "message_id must be a string"),
        ([serialized(message_id="x" * 256)], "longer than 255"),
        ([serialized(event_type="a\x00b")], "NUL"),
        ([serialized(generated="yesterday")], "is not an ISO 8601 date"),
        ([serialized(generated=None)], "generated is missing"),
        ([serialized(traits={})], "traits must be a list"),
        ([serialized(traits=[["a", 1]])], "must be [name, dtype, value]"),
        ([serialized(traits=["a"])], "must be a list or an object"),
        ([serialized(traits=[[1, 1, "v"]])], "name must be a string"),
        ([serialized(traits=[["", 1, "v"]])], "trait name is empty"),
        ([serialized(traits=[["a", "1", "v"]])], "dtype must be an integer"),
        ([serialized(traits=[["a", True, "v"]])], "dtype must be an integer"),
        ([serialized(traits=[["a", 9, "v"]])], "dtype 9 is not one of"),
        ([serialized(traits=[["a", 1, None]])], "has no value"),
        (
            [serialized(traits=[["a", 1, "x"], ["a", 2, 1]])],
            "appears more than once",
        ),
        ([serialized(traits=[["a", 1, {"x": 1}]])], "cannot hold an object"),
        ([serialized(traits=[["a", 1, "x\x00"]])], "NUL"),
        ([serialized(traits=[["a", 2, "ten"]])], "is not an integer"),
        ([serialized(traits=[["a", 2, 2**63]])], "does not fit in 64 bits"),
        ([serialized(traits=[["a", 2, True]])], "is not an integer"),
        ([serialized(traits=[["a", 2, 1.5]])], "is not an integer"),
        ([serialized(traits=[["a", 3, "nan"]])], "not a finite number"),
        ([serialized(traits=[["a", 3, math.inf]])], "not a finite number"),
        ([serialized(traits=[["a", 3, "x"]])], "is not a number"),
        ([serialized(traits=[["a", 3, [1]]])], "is not a number"),
        (
            [serialized(traits=[["a", 4, "2026-13-01"]])],
            "not an ISO 8601 date",
        ),
        ([serialized(traits=[["a", 4, 5]])], "ISO 8601 date string"),
        (
            [serialized(traits=[{"name": "a", "type": "blob", "value": "x"}])],
            "unknown type 'blob'",
        ),
        (
            [serialized(traits=[{"name": "a", "value": "x", "z": 1}])],
            "unknown keys: z",
        ),
    ],
)
def test_invalid_bodies_name_what_is_wrong(body, message):
    with pytest.raises(wire.InvalidEventData) as error:
        wire.events_from_body(body)
    assert message in str(error.value)


def test_values_are_converted_to_their_type():
    traits = [
        ["i", 2, "12"],
        ["f", 3, 3],
        ["t", 1, 5],
        ["b", 1, True],
        ["big", 2, -(2**63)],
        ["whole", 2, 4.0],
    ]
    [event] = wire.events_from_body([serialized(traits=traits)])
    assert [t.value for t in event.traits] == [
        12,
        3.0,
        "5",
        "True",
        -(2**63),
        4,
    ]
    assert isinstance(event.traits[1].value, float)


def test_aware_times_become_naive_utc():
    [event] = wire.events_from_body(
        [serialized(generated="2026-01-02T03:04:05+01:00")]
    )
    assert event.generated == datetime.datetime(2026, 1, 2, 2, 4, 5)
    assert event.generated.tzinfo is None


@pytest.mark.parametrize(
    "overrides, message",
    [
        (
            {"message_id": "m\ud800"},
            "event 0: message_id contains a lone surrogate",
        ),
        (
            {"event_type": "\udfff"},
            "event 0: event_type contains a lone surrogate",
        ),
        (
            {"traits": [["h\ud800", 1, "x"]]},
            "event 0: trait name contains a lone surrogate",
        ),
        (
            {"traits": [["host", 1, "x\ud800y"]]},
            "event 0: trait host contains a lone surrogate",
        ),
        (
            {"traits": [{"name": "host", "type": ["string"], "value": "x"}]},
            "event 0: trait 0 has unknown type ['string']",
        ),
    ],
)
def test_text_a_database_cannot_hold_is_refused(overrides, message):
    with pytest.raises(wire.InvalidEventData) as refused:
        wire.events_from_body(serialized(**overrides))
    assert str(refused.value).startswith(message)


def test_unicode_beyond_ascii_is_text():
    [event] = wire.events_from_body(
        serialized(message_id="é\U0001f600", traits=[["n\u00e9", 1, "\uffff"]])
    )
    assert event.traits == [models.Trait("n\u00e9", 1, "\uffff")]
    assert wire.text_problem("\U0001f600") is None
