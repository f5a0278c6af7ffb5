"""What only the MongoDB driver has: its indexes, the TTL index, retries
against a server that fails, and reading a database Panko 10 wrote."""

from __future__ import annotations

import datetime
import socket
import time

import bson
from oslo_utils import timeutils
import pymongo
import pytest

from panko import storage
from panko.storage import exceptions
from panko.storage import models
from panko.storage.mongodb import driver
from panko.storage.mongodb import panko10
from panko.storage.mongodb import schema
from panko.tests import backends
from panko.tests import eventgen

pytestmark = pytest.mark.backends("mongodb")

T = models.Trait
TEXT, INT, FLOAT, DT = (
    models.TEXT_TYPE,
    models.INT_TYPE,
    models.FLOAT_TYPE,
    models.DATETIME_TYPE,
)


@pytest.fixture
def fresh(backend, tmp_path_factory, conf):
    """A driver on an empty database of its own, not upgraded."""
    store = backends.make_store(backend, tmp_path_factory)
    connection = storage.get_connection(conf, store.url)
    yield connection
    connection.close()
    store.destroy()


def test_loaded_by_scheme(storage_conn):
    assert isinstance(storage_conn, driver.Connection)
    assert storage_conn.get_capabilities() == {
        "events": {"query": {"simple": True}}
    }
    assert storage_conn.get_storage_capabilities() == {
        "storage": {"production_ready": True}
    }


def test_upgrade_creates_every_index_once(fresh):
    assert fresh.needs_upgrade()
    fresh.upgrade()
    assert not fresh.needs_upgrade()
    indexes = fresh.events.index_information()
    assert {m.document["name"] for m in schema.EVENT_INDEXES} <= set(indexes)
    assert indexes["position"]["unique"]
    fresh.events.drop_index("traits")
    assert fresh.needs_upgrade()
    fresh.upgrade()
    fresh.upgrade()
    assert not fresh.needs_upgrade()
    assert "traits" in fresh.events.index_information()


def _plan_indexes(connection, event_filter, sort=models.DEFAULT_SORT):
    """The index names of the winning plan of a listing."""
    from panko.storage.mongodb import query

    spec = query.combine(
        query.conditions(event_filter) + query.scope(event_filter)
    )
    plan = (
        connection.events.find(spec, sort=query.order(sort))
        .limit(10)
        .explain()["queryPlanner"]["winningPlan"]
    )
    names = set()
    stages = [plan]
    while stages:
        stage = stages.pop()
        if "indexName" in stage:
            names.add(stage["indexName"])
        stages.extend(stage.get("inputStages", []))
        if "inputStage" in stage:
            stages.append(stage["inputStage"])
    return names


@pytest.mark.parametrize(
    "event_filter, index",
    [
        (models.EventFilter(), "time_id"),
        (
            models.EventFilter(start_timestamp=eventgen.BASE_TIME),
            "time_id",
        ),
        (models.EventFilter(event_type="compute.start"), "type_time_id"),
        (models.EventFilter(project="project-a"), "project_time_id"),
        (models.EventFilter(admin_project="project-a"), "project_time_id"),
        (models.EventFilter(message_id="x"), "_id_"),
    ],
)
def test_listings_use_an_index(storage_conn, event_filter, index):
    storage_conn.record_events([eventgen.event() for _ in range(20)])
    assert index in _plan_indexes(storage_conn, event_filter)


def test_the_cursor_uses_the_position_index(storage_conn):
    storage_conn.record_events([eventgen.event() for _ in range(20)])
    after = models.EventFilter(after_position=5)
    assert "position" in _plan_indexes(
        storage_conn, after, models.POSITION_SORT
    )


def test_documents_keep_microseconds_and_64_bit_integers(storage_conn):
    moment = datetime.datetime(2026, 1, 2, 3, 4, 5, 678901)
    event = eventgen.event(
        generated=moment,
        traits=[T("n", INT, 3), T("at", DT, moment)],
    )
    storage_conn.record_events([event])
    doc = storage_conn.events.find_one({"_id": event.message_id})
    assert doc["generated"] == moment.replace(microsecond=678000)
    assert doc["time"] == (moment - datetime.datetime(1970, 1, 1)) // (
        datetime.timedelta(microseconds=1)
    )
    values = {t["n"]: t["v"] for t in doc["traits"]}
    assert isinstance(values["n"], bson.Int64)
    [got] = storage_conn.get_events(models.EventFilter())
    assert got.generated == moment
    assert got.trait("at", DT).value == moment


def test_other_write_errors_are_raised(storage_conn):
    storage_conn.events.insert_one({"_id": "taken", "position": 10**9})
    storage_conn.meta.update_one(
        {"_id": "position"}, {"$set": {"last": bson.Int64(10**9 - 1)}}
    )
    # The unique position index refuses the batch's first event: that is
    # not a duplicate message_id and must not pass for one.
    with pytest.raises(pymongo.errors.BulkWriteError):
        storage_conn.record_events([eventgen.event()])


# -- TTL index --


def _wait_for(condition, timeout=90.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "gave up waiting"
        time.sleep(0.2)


def test_ttl_index_follows_event_time_to_live(fresh, conf):
    conf.set_override("ttl_index", True, "mongodb")
    conf.set_override("event_time_to_live", 3600, "database")
    fresh.upgrade()
    ttl = fresh.events.index_information()[schema.TTL_INDEX]
    assert ttl["expireAfterSeconds"] == 3600
    assert not fresh.needs_upgrade()

    conf.set_override("event_time_to_live", 7200, "database")
    assert fresh.needs_upgrade()
    fresh.upgrade()
    ttl = fresh.events.index_information()[schema.TTL_INDEX]
    assert ttl["expireAfterSeconds"] == 7200

    conf.set_override("ttl_index", False, "mongodb")
    assert fresh.needs_upgrade()
    fresh.upgrade()
    assert schema.TTL_INDEX not in fresh.events.index_information()
    assert not fresh.needs_upgrade()


def test_ttl_monitor_deletes_and_event_types_follow(fresh, conf):
    conf.set_override("ttl_index", True, "mongodb")
    conf.set_override("event_time_to_live", 3600, "database")
    fresh.upgrade()
    now = timeutils.utcnow()
    old = eventgen.event(
        event_type="old.type",
        generated=now - datetime.timedelta(hours=2),
        traits=[T("gone", TEXT, "x")],
    )
    young = eventgen.event(event_type="young.type", generated=now)
    fresh.record_events([old, young])

    _wait_for(lambda: fresh.events.count_documents({}) == 1)

    listed = list(fresh.get_events(models.EventFilter()))
    assert eventgen.ids(listed) == [young.message_id]
    # The server deleted the events, not panko: the types still read
    # right, and the expirer forgets what the monitor left behind.
    assert list(fresh.get_event_types()) == ["young.type"]
    assert list(fresh.get_trait_types("old.type")) == []
    assert fresh.event_types.find_one({"_id": "old.type"}) is not None
    assert fresh.clear_expired_data(3600) == 0
    assert fresh.event_types.find_one({"_id": "old.type"}) is None
    assert fresh.event_types.find_one({"_id": "young.type"}) is not None


def test_expirer_keeps_a_type_written_meanwhile(storage_conn, monkeypatch):
    storage_conn.record_events(
        [eventgen.event(event_type="busy", generated=_days_ago(5))]
    )
    storage_conn.clear_expired_data(86400)
    assert storage_conn.event_types.find_one({"_id": "busy"}) is None
    storage_conn.record_events(
        [
            eventgen.event(
                event_type="busy",
                project=None,
                user=None,
                traits=[T("host", TEXT, "h")],
            )
        ]
    )
    storage_conn.events.delete_many({})
    late = eventgen.event(
        event_type="busy",
        project=None,
        user=None,
        traits=[T("host", TEXT, "h")],
    )

    def no_events_yet(event_type):
        # The expirer found no event of the type; a batch of that type
        # is stored before it removes the type's document.
        storage_conn.record_events([late])
        return False

    monkeypatch.setattr(storage_conn, "_has_events", no_events_yet)
    storage_conn._delete_unused_event_types()
    monkeypatch.undo()
    assert eventgen.ids(storage_conn.get_events(models.EventFilter())) == [
        late.message_id
    ]
    assert list(storage_conn.get_trait_types("busy")) == [
        models.TraitType("host", TEXT)
    ]


def _days_ago(days):
    return timeutils.utcnow() - datetime.timedelta(days=days)


# -- retries --


def test_unreachable_server_is_retried_then_unavailable(conf, caplog):
    conf.set_override("max_retries", 2, "mongodb")
    conf.set_override("retry_interval", 0.01, "mongodb")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = "mongodb://127.0.0.1:%d/panko?serverSelectionTimeoutMS=50" % port
    connection = storage.get_connection(conf, url)
    try:
        for operation in (
            connection.ping,
            lambda: connection.record_events([eventgen.event()]),
            lambda: list(connection.get_events(models.EventFilter())),
            lambda: list(connection.get_event_types()),
            lambda: connection.clear_expired_data(60),
        ):
            caplog.clear()
            with pytest.raises(exceptions.StorageUnavailable):
                operation()
            retries = [
                r for r in caplog.records if "MongoDB is unavailable" in r.msg
            ]
            assert len(retries) == 2
    finally:
        connection.close()


@pytest.fixture
def polled(storage_conn, conf, _upgraded):
    """A driver whose client polls the server's state. SecantusDB does not
    answer pymongo's streaming ``hello`` promptly after a
    NotWritablePrimary error, which would make every retry wait for the
    server selection timeout."""
    conf.set_override("retry_interval", 0.01, "mongodb")
    connection = storage.get_connection(
        conf, _upgraded + "?serverMonitoringMode=poll"
    )
    admin = connection.client.admin
    yield connection, admin
    admin.command("configureFailPoint", "failCommand", mode="off")
    connection.close()


@pytest.mark.parametrize(
    "failure",
    [{"errorCode": 10107}, {"closeConnection": True}],
    ids=["not-primary", "connection-lost"],
)
def test_failures_within_the_retries_are_overcome(polled, failure):
    connection, admin = polled
    event = eventgen.event()
    for command in ("insert", "find"):
        admin.command(
            "configureFailPoint",
            "failCommand",
            # pymongo itself retries a read or a write once.
            mode={"times": 3},
            data={"failCommands": [command], **failure},
        )
        if command == "insert":
            assert connection.record_events([event]).stored == [
                event.message_id
            ]
        else:
            got = list(connection.get_events(models.EventFilter()))
            assert eventgen.ids(got) == [event.message_id]


def test_failures_beyond_the_retries_are_unavailable(polled, conf):
    connection, admin = polled
    connection._max_retries = 1
    admin.command(
        "configureFailPoint",
        "failCommand",
        mode="alwaysOn",
        data={"failCommands": ["find", "insert"], "errorCode": 10107},
    )
    with pytest.raises(exceptions.StorageUnavailable):
        list(connection.get_events(models.EventFilter()))
    with pytest.raises(exceptions.StorageUnavailable):
        connection.record_events([eventgen.event()])


def test_lost_answer_of_an_insert_still_counts_as_stored(storage_conn):
    events = [eventgen.event() for _ in range(3)]
    first = storage_conn._reserve(3)
    from panko.storage.mongodb import documents

    docs = [
        documents.event_document(e, p)
        for p, e in zip(range(first, first + 3), events, strict=True)
    ]
    # The first try stored two events, but its answer never came back.
    storage_conn.events.insert_many(docs[:2])
    assert storage_conn._insert(docs, first) == eventgen.ids(events)
    # Somebody else's copy of an event is a duplicate, not ours.
    other = documents.event_document(eventgen.event(), 10**6)
    storage_conn.events.insert_one(dict(other))
    again = documents.event_document(
        models.Event(other["_id"], "x", eventgen.BASE_TIME), first + 3
    )
    assert storage_conn._insert([again], first + 3) == []


# -- Panko 10 --


def _panko10_documents():
    """Events exactly as Panko 10's MongoDB driver wrote them."""
    base = datetime.datetime(2019, 5, 1, 10, 0, 0, 123000)
    docs = []
    for i in range(10):
        traits = [
            {"trait_name": "host", "trait_type": 1, "trait_value": "h%d" % i},
            {"trait_name": "vcpus", "trait_type": 2, "trait_value": i},
            {
                "trait_name": "memory_mb",
                "trait_type": 2,
                "trait_value": bson.Int64(2**40 + i),
            },
            {"trait_name": "ratio", "trait_type": 3, "trait_value": i / 4},
            {
                "trait_name": "launched_at",
                "trait_type": 4,
                "trait_value": base - datetime.timedelta(days=i),
            },
        ]
        if i % 3:
            traits.append(
                {
                    "trait_name": "project_id",
                    "trait_type": 1,
                    "trait_value": "proj-%d" % (i % 2),
                }
            )
        docs.append(
            {
                "_id": "msg-%02d" % i,
                "event_type": "compute.instance.%s"
                % ("create", "delete")[i % 2],
                "timestamp": base + datetime.timedelta(minutes=i),
                "traits": traits,
                "raw": {"payload": {"n": i}, "a.b": "dotted"},
            }
        )
    docs.append(
        {
            "_id": "bare",
            "event_type": "bare.type",
            "timestamp": base,
            "traits": [],
            "raw": {},
        }
    )
    return docs


def _expected(doc):
    traits = [
        T(t["trait_name"], t["trait_type"], t["trait_value"])
        for t in doc["traits"]
    ]
    return (
        doc["_id"],
        doc["event_type"],
        doc["timestamp"],
        sorted(traits, key=lambda t: (t.name, t.dtype)),
        doc["raw"],
    )


def test_panko10_database_is_converted(fresh, monkeypatch, caplog):
    old = fresh.db[schema.PANKO10_EVENTS]
    docs = _panko10_documents()
    old.insert_many(docs)
    old.create_index(
        [("event_type", 1), ("timestamp", 1)], name="event_type_idx"
    )
    assert fresh.needs_upgrade()
    monkeypatch.setattr(panko10, "BATCH", 4)

    # Interrupted after its first batch.
    real = driver.Connection._record_events
    calls = []

    def fail_second(self, events):
        calls.append(len(events))
        if len(calls) == 2:
            raise RuntimeError("interrupted")
        return real(self, events)

    monkeypatch.setattr(driver.Connection, "_record_events", fail_second)
    with pytest.raises(RuntimeError):
        fresh.upgrade()
    assert fresh.needs_upgrade()
    first_batch = {
        e.message_id: e.position
        for e in fresh.get_events(models.EventFilter())
    }
    assert len(first_batch) == 4

    monkeypatch.setattr(driver.Connection, "_record_events", real)
    caplog.set_level("INFO", logger="panko.storage.mongodb.panko10")
    fresh.upgrade()
    progress = [r.getMessage() for r in caplog.records if "of about" in r.msg]
    assert progress == [
        "Converted 8 of about 11 Panko 10 events",
        "Converted 11 of about 11 Panko 10 events",
    ]
    assert not fresh.needs_upgrade()
    assert schema.PANKO10_EVENTS not in fresh.db.list_collection_names()

    events = list(fresh.get_events(models.EventFilter()))
    got = {
        e.message_id: (
            e.message_id,
            e.event_type,
            e.generated,
            e.traits,
            e.raw,
        )
        for e in events
    }
    assert got == {doc["_id"]: _expected(doc) for doc in docs}
    positions = [e.position for e in events]
    assert len(set(positions)) == len(positions)
    for message_id, position in first_batch.items():
        assert got[message_id] and (
            next(e for e in events if e.message_id == message_id).position
            == position
        )
    assert list(fresh.get_event_types()) == [
        "bare.type",
        "compute.instance.create",
        "compute.instance.delete",
    ]
    assert list(fresh.get_trait_types("compute.instance.delete")) == [
        models.TraitType("host", TEXT),
        models.TraitType("launched_at", DT),
        models.TraitType("memory_mb", INT),
        models.TraitType("project_id", TEXT),
        models.TraitType("ratio", FLOAT),
        models.TraitType("vcpus", INT),
    ]
    scoped = fresh.get_events(models.EventFilter(project="proj-1"))
    assert sorted(eventgen.ids(scoped)) == ["msg-01", "msg-05", "msg-07"]
    filtered = fresh.get_events(
        models.EventFilter(
            traits=(
                models.TraitFilter(
                    "launched_at", DT, "lt", datetime.datetime(2019, 4, 24)
                ),
            )
        )
    )
    assert sorted(eventgen.ids(filtered)) == ["msg-08", "msg-09"]
    # New events go on after the converted ones.
    new = eventgen.event()
    fresh.record_events([new])
    [stored] = fresh.get_events(models.EventFilter(message_id=new.message_id))
    assert stored.position > max(positions)
