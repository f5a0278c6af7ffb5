"""The MongoDB driver without a server: client options and queries."""

from __future__ import annotations

import datetime

from panko import storage
from panko.storage import models
from panko.storage.mongodb import driver
from panko.storage.mongodb import query


def test_url_options_reach_the_client(conf):
    url = (
        "mongodb://panko:secret@db1:27017,db2:27017/events"
        "?replicaSet=rs0&authSource=admin&tls=true&tlsAllowInvalidHostnames=true"
    )
    connection = storage.get_connection(conf, url)
    try:
        assert isinstance(connection, driver.Connection)
        assert connection.db.name == "events"
        options = connection.client.options
        assert options.replica_set_name == "rs0"
        assert options.pool_options._credentials.source == "admin"
        assert options.pool_options._ssl_context is not None
        assert options.server_selection_timeout == 5
    finally:
        connection.close()


def test_default_database_and_explicit_timeout(conf):
    connection = storage.get_connection(
        conf, "mongodb://localhost/?serverSelectionTimeoutMS=1500"
    )
    try:
        assert connection.db.name == "panko"
        assert connection.client.options.server_selection_timeout == 1.5
    finally:
        connection.close()


def test_values_are_operands_never_operators():
    event_filter = models.EventFilter(
        message_id='{"$gt": ""}',
        event_type="$where",
        project="a.b",
        traits=(
            models.TraitFilter("$where", models.TEXT_TYPE, "eq", "$x"),
            models.TraitFilter(
                "at",
                models.DATETIME_TYPE,
                "ge",
                datetime.datetime(1970, 1, 1, 0, 0, 0, 1),
            ),
        ),
    )
    where = query.conditions(event_filter) + query.scope(event_filter)
    assert where == [
        {"type": {"$eq": "$where"}},
        {"_id": {"$eq": '{"$gt": ""}'}},
        {
            "traits": {
                "$elemMatch": {
                    "n": {"$eq": "$where"},
                    "t": {"$eq": models.TEXT_TYPE},
                    "v": {"$eq": "$x"},
                }
            }
        },
        {
            "traits": {
                "$elemMatch": {
                    "n": {"$eq": "at"},
                    "t": {"$eq": models.DATETIME_TYPE},
                    "v": {"$gte": 1},
                }
            }
        },
        {"project_id": {"$eq": "a.b"}},
    ]


def test_safe_horizon():
    now = datetime.datetime(2026, 3, 1, 12, 0, 0)
    old = now - datetime.timedelta(seconds=driver.RESERVATION_TIMEOUT + 1)
    recent = now - datetime.timedelta(seconds=3)
    assert driver.safe_horizon({"last": 9}, now) == 10
    assert driver.safe_horizon({"last": 9, "inflight": []}, now) == 10
    counter = {
        "last": 9,
        "inflight": [
            {"first": 2, "at": old},
            {"first": 7, "at": recent},
            {"first": 5, "at": now},
        ],
    }
    assert driver.safe_horizon(counter, now) == 5
