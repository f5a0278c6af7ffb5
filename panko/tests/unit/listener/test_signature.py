"""Ceilometer's message signature, checked against Ceilometer itself.

The vectors were made once with Ceilometer 27.0.0's
``ceilometer.publisher.utils.message_from_event()`` and sent through a
JSON round trip, as the bus does.
"""

import copy

import pytest

from panko.listener import signature

VECTORS = [
    (
        "secret-\u00e9",
        {
            "message_id": "7c9f0a4e-1b2d-4e5f-8a9b-0c1d2e3f4a5b",
            "event_type": "compute.instance.create.end",
            "generated": "2024-05-17T12:30:45.123456",
            "traits": [
                ["project_id", 1, "p-1"],
                ["vcpus", 2, 4],
                ["memory_mb", 3, 512.5],
                ["launched_at", 4, "2024-05-17T12:30:40"],
                ["display_name", 1, "vm-\u00e9"],
            ],
            "raw": {
                "event_type": "compute.instance.create.end",
                "payload": {
                    "instance_id": "i-1",
                    "state": "active",
                    "tags": ["a", "b", {"z": 1, "a": None}],
                    "n": 1.5,
                    "ok": True,
                },
            },
            "message_signature": "9259f2dd436a96f0f836d0c0cb925949d6ab0d44147d"
            "ccbf3865e8763d717340",
        },
    ),
    (
        "change this for valid signing",
        {
            "message_id": "m-2",
            "event_type": "image.upload",
            "generated": "2023-01-02T03:04:05",
            "traits": [],
            "raw": {},
            "message_signature": "23b96308dcbb6c96db2f60c78ee503fb6e0b15940"
            "45a4128a730c77818dd4193",
        },
    ),
    (
        "s3",
        {
            "message_id": "m-3",
            "event_type": "volume.delete.end",
            "generated": "2022-12-31T23:59:59.999999",
            "traits": [["nothing", 0, None], ["size", 2, -7]],
            "raw": None,
            "message_signature": "4cdbf63f27486050e3cc0f02f8341956d2e413a43e"
            "1300e3abbe0409a461da9b",
        },
    ),
    (
        "s4",
        {
            "message_id": "m-4",
            "event_type": "network.update",
            "generated": "2021-06-01T00:00:00",
            "traits": [["user_id", 1, "u"]],
            "raw": {
                "payload": {
                    "nested": {
                        "deeper": {"k": [1, 2.5, "x", [True, None]]},
                        "a": "b",
                    },
                    "\u00fc": "\u00df",
                },
                "priority": "INFO",
            },
            "message_signature": "31b4e139b6a06811a5094528384785b8efe09f14a2"
            "0af2a0defc4cdc348dde84",
        },
    ),
]


@pytest.mark.parametrize("secret,message", VECTORS)
def test_compute_matches_ceilometer(secret, message):
    assert signature.compute(message, secret) == message["message_signature"]


@pytest.mark.parametrize("secret,message", VECTORS)
def test_verify_accepts_ceilometer_signatures(secret, message):
    assert signature.verify(message, secret)


@pytest.mark.parametrize("secret,message", VECTORS)
def test_tuples_sign_like_lists(secret, message):
    as_tuples = dict(message, traits=[tuple(t) for t in message["traits"]])
    assert signature.verify(as_tuples, secret)


def test_wrong_secret_fails():
    secret, message = VECTORS[0]
    assert not signature.verify(message, "another secret")


@pytest.mark.parametrize(
    "change",
    [
        lambda m: m.update(event_type="compute.instance.delete.end"),
        lambda m: m["traits"][1].__setitem__(2, 5),
        lambda m: m["raw"]["payload"].__setitem__("state", "error"),
        lambda m: m["raw"]["payload"]["tags"][2].__setitem__("a", 0),
        lambda m: m.update(extra="added"),
    ],
)
def test_any_change_fails(change):
    secret, message = VECTORS[0]
    tampered = copy.deepcopy(message)
    change(tampered)
    assert not signature.verify(tampered, secret)


@pytest.mark.parametrize("value", [None, 5, "", "not hex \u00e9"])
def test_missing_or_odd_signature_fails(value):
    secret, message = VECTORS[1]
    odd = dict(message, message_signature=value)
    assert not signature.verify(odd, secret)
    del odd["message_signature"]
    assert not signature.verify(odd, secret)


def test_unsortable_keys_fail_without_raising():
    message = {1: "a", "b": 2, "message_signature": "x"}
    assert not signature.verify(message, "secret")
