import pytest

from panko.listener import convert
from panko.listener import signature

SECRET = "secret"


def event(message_id="m-1", **changes):
    data = {
        "message_id": message_id,
        "event_type": "compute.instance.x",
        "generated": "2024-05-17T12:30:45.123456",
        "traits": [["project_id", 1, "p-1"], ["vcpus", 2, 4]],
        "raw": {"payload": {"a": 1}},
    }
    data.update(changes)
    return data


def signed(data, secret=SECRET):
    return dict(data, message_signature=signature.compute(data, secret))


def message(payload, message_id="n-1"):
    return {
        "ctxt": {},
        "publisher_id": "telemetry.publisher.host",
        "event_type": "event",
        "payload": payload,
        "metadata": {
            "message_id": message_id,
            "timestamp": "2024-05-17 12:30:46.000000",
        },
    }


def test_events_of_a_good_payload():
    items = [event("m-1"), event("m-2", traits=[])]
    delivery = convert.delivery(message(items))
    assert [e.message_id for _, e in delivery.events] == ["m-1", "m-2"]
    assert [item for item, _ in delivery.events] == items
    assert delivery.events[0][1].raw == {"payload": {"a": 1}}
    assert delivery.failures == []
    assert delivery.message_id == "n-1"


@pytest.mark.parametrize(
    "payload,words",
    [
        ({"message_id": "m"}, "not an object"),
        ("text", "not a string"),
        (None, "not null"),
        (42, "not a number"),
    ],
)
def test_a_payload_that_is_not_a_list_fails_whole(payload, words):
    delivery = convert.delivery(message(payload))
    assert delivery.events == []
    assert len(delivery.failures) == 1
    assert words in delivery.failures[0][1]
    assert delivery.unstored_payload() == payload


def test_bad_events_fail_alone():
    good = event("m-1")
    items = [
        good,
        "not an event",
        event("m-3", generated="yesterday"),
        event("m\x00-4"),
        event("m-5", traits=[["x", 9, 1]]),
    ]
    delivery = convert.delivery(message(items))
    assert [e.message_id for _, e in delivery.events] == ["m-1"]
    reasons = [reason for _, reason in delivery.failures]
    assert reasons[0].startswith("event 1: ")
    assert "ISO 8601" in reasons[1]
    assert "NUL" in reasons[2]
    assert "dtype 9" in reasons[3]
    assert delivery.unstored_payload() == items[1:]


def test_signatures_checked_with_a_secret():
    items = [
        signed(event("m-1")),
        signed(event("m-2"), "other"),
        event("m-3"),
        dict(signed(event("m-4")), event_type="changed"),
    ]
    delivery = convert.delivery(message(items), SECRET)
    assert [e.message_id for _, e in delivery.events] == ["m-1"]
    assert [item["message_id"] for item, _ in delivery.failures] == [
        "m-2",
        "m-3",
        "m-4",
    ]
    assert all(
        "message_signature does not match" in reason
        for _, reason in delivery.failures
    )


def test_signatures_ignored_without_a_secret():
    items = [signed(event("m-1"), "whatever"), event("m-2")]
    delivery = convert.delivery(message(items))
    assert len(delivery.events) == 2


def test_an_empty_payload_has_nothing_to_do():
    delivery = convert.delivery(message([]))
    assert delivery.events == [] and delivery.failures == []


def test_message_id_falls_back_to_a_payload_digest():
    one = convert.Delivery({"payload": [1, 2]})
    same = convert.Delivery({"payload": [1, 2], "metadata": {}})
    other = convert.Delivery({"payload": [2, 1]})
    assert one.message_id.startswith("sha256:")
    assert one.message_id == same.message_id != other.message_id


def test_fail_events_gives_up_on_every_event():
    delivery = convert.delivery(message([event("m-1"), event("m-2"), 7]))
    delivery.fail_events("broken")
    assert delivery.events == []
    assert [reason for _, reason in delivery.failures][1:] == ["broken"] * 2
    assert [i for i in delivery.unstored_payload() if i != 7] == [
        event("m-1"),
        event("m-2"),
    ]


def deeply_nested(depth=5000):
    top = leaf = {}
    for _ in range(depth):
        leaf["x"] = {}
        leaf = leaf["x"]
    return top


def test_an_event_nested_too_deeply_fails_alone():
    items = [
        signed(event("m-1")),
        dict(event("m-2"), raw=deeply_nested(), message_signature="0"),
    ]
    delivery = convert.delivery(message(items), SECRET)
    assert [e.message_id for _, e in delivery.events] == ["m-1"]
    assert delivery.failures[0][1] == (
        "event 1 is nested too deeply to be read"
    )
