"""The JSON of the API is what WSME makes of panko.api.types."""

from __future__ import annotations

import datetime
import json

import pytest
import webob
from wsme import types as wtypes
import wsme.rest.json

from panko import jsonutils
from panko import traits_json
from panko.api import render
from panko.api import types
from panko.storage import models
from panko.tests import apidata

T = models.Trait

TRAITS = [
    T("text", models.TEXT_TYPE, "node-1 é"),
    T("int", models.INT_TYPE, -(2**63)),
    T("float", models.FLOAT_TYPE, 0.1),
    T("big", models.FLOAT_TYPE, 1e20),
    T("whole", models.FLOAT_TYPE, 2.0),
    T("when", models.DATETIME_TYPE, datetime.datetime(2026, 1, 1)),
    T(
        "micro",
        models.DATETIME_TYPE,
        datetime.datetime(2026, 1, 1, 0, 0, 1, 5),
    ),
]


def wsme_trait(trait: models.Trait) -> types.Trait:
    """The trait as Panko 10 built it: str(), or isoformat for dates."""
    value = (
        trait.value.isoformat()
        if trait.dtype == models.DATETIME_TYPE
        else str(trait.value)
    )
    return types.Trait(name=trait.name, value=value, type=trait.type_name)


def wsme_json(datatype, value) -> str:
    return json.dumps(wsme.rest.json.tojson(datatype, value))


def pairs(text: str | bytes) -> list:
    """A JSON text as nested lists of (key, value) pairs: equal when the
    texts have the same keys in the same order and the same values,
    whatever their spacing and escapes."""
    return json.loads(text, object_pairs_hook=list)


def dumps(value) -> bytes:
    return render.json_response(value).body


@pytest.mark.parametrize("trait", TRAITS, ids=[t.name for t in TRAITS])
def test_trait(trait):
    assert pairs(dumps(render.trait(trait))) == pairs(
        wsme_json(types.Trait, wsme_trait(trait))
    )


EVENTS = apidata.sample_events() + [
    models.Event(
        "m",
        "t",
        datetime.datetime(2026, 1, 1, 0, 0, 0, 1),
        TRAITS,
        {"payload": {"nested": [1, None, True, "é"]}},
        position=2**40,
    )
]


@pytest.mark.parametrize("event", EVENTS, ids=[e.message_id for e in EVENTS])
def test_event(event):
    # The API shows the traits sorted by name and type.
    wsme_event = types.Event(
        message_id=event.message_id,
        event_type=event.event_type,
        traits=[wsme_trait(t) for t in sorted(event.traits)],
        generated=event.generated,
        raw=event.raw,
        position=event.position,
    )
    assert pairs(dumps(render.event(event))) == pairs(
        wsme_json(types.Event, wsme_event)
    )


def test_event_without_raw_has_null_raw():
    event = models.Event("m", "t", datetime.datetime(2026, 1, 1))
    assert json.loads(dumps(render.event(event)))["raw"] is None
    assert json.loads(dumps(render.event(event)))["traits"] == []


@pytest.mark.parametrize("event", EVENTS, ids=[e.message_id for e in EVENTS])
def test_event_read_encoded_is_the_same_json(event):
    # What the SQL storage returns to the API: the owner traits only,
    # the rest as the JSON it stored, copied into the answer.
    encoded = models.Event(
        event.message_id,
        event.event_type,
        event.generated,
        [t for t in event.traits if t.name in ("project_id", "user_id")],
        position=event.position,
        raw_json=None
        if event.raw is None
        else jsonutils.dumps_bytes(event.raw),
        traits_json=traits_json.encode(event.traits),
    )
    assert dumps(render.event(encoded)) == dumps(render.event(event))


def test_answers_are_compact_utf8():
    body = dumps(render.event(EVENTS[-1]))
    assert body.startswith(b'{"message_id":"m","event_type":"t","traits":[')
    assert "é".encode() in body


@pytest.mark.parametrize("dtype", sorted(models.DTYPE_NAMES))
def test_trait_description(dtype):
    trait_type = models.TraitType("name", dtype)
    wsme_value = types.TraitDescription(
        name="name", type=models.DTYPE_NAMES[dtype]
    )
    assert pairs(dumps(render.trait_description(trait_type))) == pairs(
        wsme_json(types.TraitDescription, wsme_value)
    )


def test_capabilities_flattened():
    api = render.flatten({"events": {"query": {"simple": True}}})
    storage = render.flatten({"storage": {"production_ready": False}})
    assert api == {"events:query:simple": True}
    rendered = {"api": api, "event_storage": storage}
    assert pairs(dumps(rendered)) == pairs(
        wsme_json(types.Capabilities, types.Capabilities(**rendered))
    )


def test_record_summary():
    summary = {"stored": 2, "duplicates": 1}
    assert pairs(dumps(summary)) == pairs(
        wsme_json(types.RecordSummary, types.RecordSummary(**summary))
    )


def test_types_attribute_order():
    def keys(datatype):
        return [a.key for a in wtypes.list_attributes(datatype)]

    assert keys(types.Event) == list(render.event(EVENTS[0]))
    assert keys(types.Trait) == ["name", "value", "type"]
    assert keys(types.TraitDescription) == ["type", "name"]


def body_of(resp: webob.Response) -> tuple[list[bytes], object]:
    chunks = list(resp.app_iter)
    return chunks, json.loads(b"".join(chunks))


def test_empty_list():
    resp = render.json_list(iter([]))
    assert resp.body == b"[]"
    assert resp.content_type == "application/json"


def test_list_is_json_dumps_of_the_list():
    items = [{"a": i, "b": "é"} for i in range(3)]
    resp = render.json_list(items)
    chunks, value = body_of(resp)
    assert value == items
    assert (
        b"".join(chunks)
        == json.dumps(
            items, ensure_ascii=False, separators=(",", ":")
        ).encode()
    )


def test_whole_list_has_its_length():
    items = [{"a": i, "b": "é"} for i in range(3)]
    resp = render.json_list(iter(items), whole=True)
    assert json.loads(resp.body) == items
    assert resp.content_length == len(resp.body)
    assert render.json_list(iter([]), whole=True).body == b"[]"


def test_large_list_comes_in_chunks():
    items = [{"pad": "x" * 1000, "n": i} for i in range(300)]
    chunks, value = body_of(render.json_list(items))
    assert value == items
    assert len(chunks) >= 4
    assert all(len(c) < render.CHUNK_BYTES + 2000 for c in chunks)


def test_first_item_is_read_before_the_answer():
    def failing():
        raise RuntimeError("database gone")
        yield

    with pytest.raises(RuntimeError):
        render.json_list(failing())


class Source:
    """An iterator that records whether it was closed."""

    def __init__(self, items, fail_after=None):
        self.items = iter(items)
        self.fail_after = fail_after
        self.count = 0
        self.closed = False

    def __iter__(self):
        return self

    def __next__(self):
        if self.fail_after is not None and self.count >= self.fail_after:
            raise RuntimeError("lost the database")
        self.count += 1
        return next(self.items)

    def close(self):
        self.closed = True


def test_failure_after_the_start_truncates_and_closes():
    source = Source([{"n": i} for i in range(10)], fail_after=3)
    body = b"".join(render.json_list(source).app_iter)
    with pytest.raises(ValueError):
        json.loads(body)
    assert source.closed


def test_closing_early_closes_the_source():
    source = Source([{"pad": "x" * 70000, "n": i} for i in range(10)])
    app_iter = render.json_list(source).app_iter
    next(iter(app_iter))
    app_iter.close()
    assert source.closed
    assert source.count < 10


def test_failure_right_after_the_first_item_is_not_an_empty_answer():
    # pecan answers 204 to a body whose first chunk is empty: the first
    # item goes out alone, so a listing that fails next is truncated.
    source = Source([{"n": 0}, {"n": 1}], fail_after=1)
    chunks = list(render.json_list(source).app_iter)
    assert chunks == [b'[{"n":0}']
    assert source.closed
