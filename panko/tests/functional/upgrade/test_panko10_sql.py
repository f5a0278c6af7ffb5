"""panko-dbsync on a database Panko 10.0.0 left: every event kept."""

from __future__ import annotations

import datetime
import subprocess
import sys

import pytest
import sqlalchemy as sa

from panko import storage
from panko.storage import models
from panko.tests import backends
from panko.tests import panko10_schema

T = models.Trait


def panko10_events(count: int) -> list[models.Event]:
    base = datetime.datetime(2021, 4, 1, 8, 30, 0, 250000)
    events = []
    for i in range(count):
        traits = [
            T("project_id", models.TEXT_TYPE, "project-%d" % (i % 3)),
            T("user_id", models.TEXT_TYPE, "user-%d" % (i % 5)),
            T(
                "host",
                models.TEXT_TYPE,
                "h" * 255 if i == 0 else "node-%d" % i,
            ),
            T("memory_mb", models.INT_TYPE, 2**40 + i),
            T("ratio", models.FLOAT_TYPE, i / 7),
            T(
                "launched_at",
                models.DATETIME_TYPE,
                base - datetime.timedelta(days=i, microseconds=i),
            ),
        ]
        if i % 4 == 3:
            traits = []
        events.append(
            models.Event(
                message_id="00000000-0000-4000-8000-%012d" % i,
                event_type="compute.instance.%s" % ("create", "delete")[i % 2],
                generated=base + datetime.timedelta(hours=i, microseconds=i),
                traits=traits,
                raw={"payload": {"i": i}} if i % 2 else {},
            )
        )
    return events


@pytest.fixture
def panko10_url(backend, tmp_path):
    if backend == "sqlite":
        url = "sqlite:///%s" % (tmp_path / "panko10.sqlite")
        yield url
        return
    server = backends.SQLServer(backend)
    url = server.create_database("panko10_test")
    yield url
    server.drop_database(url)
    server.close()


@pytest.mark.backends("sqlite", "postgresql", "mysql")
def test_dbsync_converts_a_panko10_database(conf, panko10_url, tmp_path):
    events = panko10_events(2500)
    engine = sa.create_engine(
        panko10_url.replace("postgresql://", "postgresql+psycopg2://")
    )
    panko10_schema.create(engine, events)
    engine.dispose()

    config = tmp_path / "panko.conf"
    config.write_text("[database]\nconnection = %s\n" % panko10_url)
    run = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from panko.cmd.storage import "
            "dbsync; sys.exit(dbsync())",
            "--config-file",
            str(config),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert "Converted 2500 of 2500 Panko 10 events" in run.stdout + run.stderr

    connection = storage.get_connection(conf, panko10_url)
    assert not connection.needs_upgrade()
    stored = list(connection.get_events(models.EventFilter()))
    assert len(stored) == len(events)
    by_id = {e.message_id: e for e in stored}
    for position, event in enumerate(events, 1):
        got = by_id[event.message_id]
        assert got.event_type == event.event_type
        assert got.generated == event.generated
        assert got.raw == event.raw
        assert sorted(got.traits, key=lambda t: t.name) == sorted(
            event.traits, key=lambda t: t.name
        )
        # Panko 10's ids become positions: the order of storage is kept.
        assert got.position == position
    assert sorted(connection.get_event_types()) == [
        "compute.instance.create",
        "compute.instance.delete",
    ]
    assert models.TraitType("memory_mb", models.INT_TYPE) in list(
        connection.get_trait_types("compute.instance.create")
    )
    mine = list(
        connection.get_events(
            models.EventFilter(project="project-1", user="user-1")
        )
    )
    assert {e.message_id for e in mine} == {
        e.message_id
        for e in events
        if e.project_id == "project-1" and e.trait("user_id").value == "user-1"
    }

    # New events go on from where Panko 10 stopped, and the old tables
    # are gone.
    new = models.Event("after-upgrade", "x", datetime.datetime(2026, 1, 1))
    assert connection.record_events([new]).stored == ["after-upgrade"]
    [got] = connection.get_events(
        models.EventFilter(message_id="after-upgrade")
    )
    assert got.position == len(events) + 1
    with connection.facade.reader() as conn:
        names = set(sa.inspect(conn).get_table_names())
    assert not names & {"trait_text", "trait_int", "panko10_event"}
    connection.close()


@pytest.mark.backends("sqlite", "postgresql", "mysql")
def test_interrupted_conversion_resumes(conf, panko10_url, monkeypatch):
    events = panko10_events(50)
    engine = sa.create_engine(
        panko10_url.replace("postgresql://", "postgresql+psycopg2://")
    )
    panko10_schema.create(engine, events)
    engine.dispose()
    from panko.storage.sqlalchemy import panko10

    monkeypatch.setattr(panko10, "BATCH", 20)
    real_copy = panko10._copy
    calls = []

    def failing_copy(*args):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("power cut")
        return real_copy(*args)

    monkeypatch.setattr(panko10, "_copy", failing_copy)
    connection = storage.get_connection(conf, panko10_url)
    with pytest.raises(Exception, match="power cut"):
        connection.upgrade()
    monkeypatch.setattr(panko10, "_copy", real_copy)
    connection.close()

    connection = storage.get_connection(conf, panko10_url)
    connection.upgrade()
    stored = list(connection.get_events(models.EventFilter()))
    assert sorted(e.message_id for e in stored) == sorted(
        e.message_id for e in events
    )
    assert sorted(e.position for e in stored) == list(range(1, 51))
    connection.close()
