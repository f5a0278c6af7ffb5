"""Real databases for functional tests.

Each test session creates its own databases on the servers of this machine
and drops them at the end. ``PANKO_TEST_BACKENDS`` (comma separated, default
every backend) chooses which run; a backend that is chosen but whose
server is down fails the run loudly: it never skips.

Server addresses can be changed with ``PANKO_TEST_POSTGRESQL_URL`` and
``PANKO_TEST_MYSQL_URL`` (URLs of a server, without a database name).
MongoDB is SecantusDB (``panko/tests/secantus.py``), started by each test
process on a free port with a data folder of its own and stopped when the
process ends; ``PANKO_TEST_MONGODB_URL`` (``mongodb://host:port``) points
the tests at a real MongoDB server instead.
"""

from __future__ import annotations

import atexit
import os
import select
import subprocess
import sys
import uuid

import bson
import pymongo
import sqlalchemy as sa

from panko.storage.sqlalchemy import tables
from panko.storage.sqlalchemy import tallies

ALL_BACKENDS = ("sqlite", "postgresql", "mysql", "mongodb")
# Backends whose driver exists; a test runs on all of these unless it is
# marked with @pytest.mark.backends(...).
IMPLEMENTED_BACKENDS = ("sqlite", "postgresql", "mysql", "mongodb")
SERVER_URLS = {
    "postgresql": os.environ.get(
        "PANKO_TEST_POSTGRESQL_URL",
        "postgresql+psycopg2://root@127.0.0.1:5432",
    ),
    "mysql": os.environ.get(
        "PANKO_TEST_MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306"
    ),
}
ADMIN_DATABASE = {"postgresql": "postgres", "mysql": "mysql"}


def selected_backends() -> tuple[str, ...]:
    """Backends named by PANKO_TEST_BACKENDS, default every backend."""
    names = os.environ.get("PANKO_TEST_BACKENDS")
    if not names:
        return ALL_BACKENDS
    chosen = tuple(n.strip() for n in names.split(",") if n.strip())
    unknown = set(chosen) - set(ALL_BACKENDS)
    if unknown:
        raise RuntimeError(
            "PANKO_TEST_BACKENDS names unknown backends: %s"
            % ", ".join(sorted(unknown))
        )
    return chosen


class BackendUnavailable(RuntimeError):
    pass


class SQLServer:
    """Creates and drops throw-away databases on a PostgreSQL or MariaDB
    server."""

    def __init__(self, backend: str):
        self.backend = backend
        self.server_url = SERVER_URLS[backend]
        admin_url = "%s/%s" % (self.server_url, ADMIN_DATABASE[backend])
        self._admin = sa.create_engine(
            admin_url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool
        )
        try:
            with self._admin.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
        except sa.exc.OperationalError as e:
            raise BackendUnavailable(
                "The %s server at %s is not answering (%s). Start it: see "
                'README.rst, "Running the tests".'
                % (backend, self.server_url, e.orig)
            ) from e

    def create_database(self, prefix: str = "panko_test") -> str:
        """Create an empty database; return its URL."""
        name = "%s_%s" % (prefix, uuid.uuid4().hex[:12])
        with self._admin.connect() as conn:
            if self.backend == "mysql":
                conn.execute(
                    sa.text(
                        "CREATE DATABASE %s CHARACTER SET utf8mb4 "
                        "COLLATE utf8mb4_bin" % name
                    )
                )
            else:
                conn.execute(sa.text("CREATE DATABASE %s" % name))
        url = "%s/%s" % (self.server_url, name)
        if self.backend == "mysql":
            url += "?charset=utf8mb4"
        return url

    def drop_database(self, url: str) -> None:
        name = sa.engine.make_url(url).database
        with self._admin.connect() as conn:
            if self.backend == "postgresql":
                conn.execute(
                    sa.text("DROP DATABASE IF EXISTS %s WITH (FORCE)" % name)
                )
            else:
                conn.execute(sa.text("DROP DATABASE IF EXISTS %s" % name))

    def close(self) -> None:
        self._admin.dispose()


class MongoServer:
    """A MongoDB server for this test process: SecantusDB in a child
    process, or the server of ``PANKO_TEST_MONGODB_URL``."""

    START_TIMEOUT_S = 60

    def __init__(self, tmp_path_factory):
        self._process = None
        self._client = None
        url = os.environ.get("PANKO_TEST_MONGODB_URL")
        if url is None:
            url = self._start(tmp_path_factory)
        self.server_url = url.rstrip("/")
        self._client = pymongo.MongoClient(
            self.server_url, serverSelectionTimeoutMS=10000
        )
        try:
            self._client.admin.command("ping")
        except pymongo.errors.PyMongoError as e:
            self.close()
            raise BackendUnavailable(
                "The MongoDB server at %s is not answering (%s)"
                % (self.server_url, e)
            ) from e
        atexit.register(self.close)

    def _start(self, tmp_path_factory) -> str:
        folder = tmp_path_factory.mktemp("secantus")
        log_path = folder / "server.log"
        with open(log_path, "wb") as log_file:
            self._process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "panko.tests.secantus",
                    str(folder / "data"),
                ],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log_file,
            )
        ready, _, _ = select.select(
            [self._process.stdout], [], [], self.START_TIMEOUT_S
        )
        line = self._process.stdout.readline() if ready else b""
        if not line.strip().isdigit():
            self.close()
            raise BackendUnavailable(
                "SecantusDB did not start; its log, %s, says:\n%s"
                % (log_path, log_path.read_text(errors="replace")[-3000:])
            )
        return "mongodb://127.0.0.1:%d" % int(line)

    def create_database(self) -> str:
        name = "panko_test_%s" % uuid.uuid4().hex[:12]
        return "%s/%s" % (self.server_url, name)

    def drop_database(self, url: str) -> None:
        self._client.drop_database(url.rsplit("/", 1)[1])

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
        process, self._process = self._process, None
        if process is not None:
            # Closing its standard input stops the server.
            process.stdin.close()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


class Store:
    """A throw-away database: its URL and how to get rid of it."""

    def __init__(self, url, destroy):
        self.url = url
        self.destroy = destroy


_servers: dict[str, SQLServer] = {}
_mongo_servers: list[MongoServer] = []


def make_store(backend: str, tmp_path_factory) -> Store:
    """An empty database of ``backend``."""
    if backend == "sqlite":
        path = tmp_path_factory.mktemp("sqlite") / "panko.sqlite"
        return Store("sqlite:///%s" % path, lambda: None)
    if backend in SERVER_URLS:
        server = _servers.get(backend)
        if server is None:
            server = _servers[backend] = SQLServer(backend)
        url = server.create_database()
        return Store(url, lambda: server.drop_database(url))
    if backend == "mongodb":
        if not _mongo_servers:
            _mongo_servers.append(MongoServer(tmp_path_factory))
        mongo = _mongo_servers[0]
        url = mongo.create_database()
        return Store(url, lambda: mongo.drop_database(url))
    raise BackendUnavailable("No test store for backend %s" % backend)


def purge(connection) -> None:
    """Empty an upgraded store without dropping its schema."""
    if connection.url.startswith("mongodb"):
        connection.events.delete_many({})
        connection.event_types.delete_many({})
        connection.meta.update_one(
            {"_id": "position"},
            {"$set": {"last": bson.Int64(0)}, "$unset": {"inflight": ""}},
        )
        return
    dialect = getattr(connection, "dialect", None)
    if dialect is None:
        connection.clear()
        connection.upgrade()
        return
    with connection.facade.writer() as conn:
        if dialect == "postgresql":
            names = (
                conn.exec_driver_sql(
                    "SELECT c.relname FROM pg_inherits i "
                    "JOIN pg_class c ON c.oid = i.inhrelid "
                    "JOIN pg_class p ON p.oid = i.inhparent "
                    "WHERE p.relname = 'event'"
                )
                .scalars()
                .all()
            )
            for name in names:
                conn.exec_driver_sql("DROP TABLE %s" % name)
        for table in (
            "event",
            "trait_type",
            "event_type",
            "count_by_type_hour",
            "count_by_project_day",
        ):
            conn.exec_driver_sql("DELETE FROM %s" % table)
        conn.exec_driver_sql("UPDATE event_position SET last = 0")
        conn.execute(
            tables.count_state.update().values(
                folded=0, since=tallies.EARLIEST
            )
        )
    if connection._partitions is not None:
        connection._partitions.forget()
    connection._known_trait_types.clear()
    connection._type_names.clear()
