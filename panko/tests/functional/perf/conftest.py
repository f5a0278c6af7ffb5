"""Helpers of the performance guards: realistic events, and counting
the statements the driver sends to the database."""

from __future__ import annotations

import datetime
import random
import uuid

import pytest
import sqlalchemy as sa

from panko.storage import models

START = datetime.datetime(2026, 3, 1)
EVENT_TYPES = [
    "compute.instance.%s" % n for n in ("create", "update", "exists")
]
HOSTS = ["compute-%02d" % i for i in range(20)]
WORDS = "alpha bravo charlie delta echo foxtrot golf hotel india".split()


def project(k: int) -> str:
    return uuid.UUID(int=k + 1).hex


def user(k: int, j: int) -> str:
    return uuid.UUID(int=(k + 1) << 64 | j).hex


def notification_events(n: int, days: int = 3, seed: int = 7):
    """``n`` events like Ceilometer's, spread over ``days`` days from
    START in random order, 30 projects of 3 users."""
    rng = random.Random(seed)
    events = []
    for _ in range(n):
        k, j = rng.randrange(30), rng.randrange(3)
        generated = START + datetime.timedelta(
            microseconds=rng.randrange(days * 86400 * 10**6)
        )
        host = rng.choice(HOSTS)
        traits = [
            models.Trait("project_id", models.TEXT_TYPE, project(k)),
            models.Trait("user_id", models.TEXT_TYPE, user(k, j)),
            models.Trait("host", models.TEXT_TYPE, host),
            models.Trait("resource_id", models.TEXT_TYPE, str(uuid.uuid4())),
            models.Trait("vcpus", models.INT_TYPE, rng.choice([1, 2, 4])),
            models.Trait("launched_at", models.DATETIME_TYPE, generated),
        ]
        event_type = rng.choice(EVENT_TYPES)
        message_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        raw = {
            "event_type": event_type,
            "message_id": message_id,
            "publisher_id": "compute.%s" % host,
            "timestamp": generated.isoformat(" "),
            "payload": {t.name: str(t.value) for t in traits}
            | {"description": " ".join(rng.choices(WORDS, k=80))},
        }
        events.append(
            models.Event(message_id, event_type, generated, traits, raw)
        )
    return events


def store(connection, events, batch: int = 100) -> None:
    for i in range(0, len(events), batch):
        result = connection.record_events(events[i : i + batch])
        assert not result.rejected


class StatementLog:
    """Every statement the driver's connections execute, SQLAlchemy's and
    those sent to the DBAPI cursor directly, and every commit."""

    def __init__(self):
        self.statements: list[str] = []
        self.commits = 0

    def of(self, prefix: str) -> list[str]:
        return [s for s in self.statements if s.lstrip().startswith(prefix)]


def _counting_connection(backend: str, log: StatementLog, dbapi_conn):
    if backend == "postgresql":
        from psycopg2 import extensions

        class Cursor(extensions.cursor):
            def execute(self, query, vars=None):
                log.statements.append(_text(query))
                return super().execute(query, vars)

            def executemany(self, query, vars_list):
                log.statements.append(_text(query))
                return super().executemany(query, vars_list)

            def copy_expert(self, sql, file, size=8192):
                log.statements.append(_text(sql))
                return super().copy_expert(sql, file, size)

        dbapi_conn.cursor_factory = Cursor
    else:
        from pymysql import constants

        # Every statement goes through the connection's _execute_command,
        # those of cursors and those the writer sends itself while it
        # encodes the next (writer._mysql_insert); COMMIT and ROLLBACK
        # are counted apart, as on PostgreSQL.
        send = dbapi_conn._execute_command

        def execute_command(command, sql):
            text = _text(sql)
            if command == constants.COMMAND.COM_QUERY and text not in (
                "COMMIT",
                "ROLLBACK",
            ):
                log.statements.append(text)
            return send(command, sql)

        dbapi_conn._execute_command = execute_command


def _text(query) -> str:
    return query.decode() if isinstance(query, bytes) else str(query)


@pytest.fixture
def statements(storage_conn, backend):
    """A StatementLog of the driver's connections (PostgreSQL, MySQL)."""
    log = StatementLog()
    engine = storage_conn.facade.engine
    engine.dispose()

    def on_connect(dbapi_conn, record):
        _counting_connection(backend, log, dbapi_conn)

    def on_commit(conn):
        log.commits += 1

    sa.event.listen(engine, "connect", on_connect)
    sa.event.listen(engine, "commit", on_commit)
    yield log
    sa.event.remove(engine, "connect", on_connect)
    sa.event.remove(engine, "commit", on_commit)
