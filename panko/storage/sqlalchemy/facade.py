"""An oslo.db engine facade owned by one driver instance.

Each driver instance has its own facade, configured from the ConfigOpts it
was given rather than from oslo.config's global CONF, so that the API, the
publisher and the tests can open several databases in one process.
Nothing connects until the first transaction: the API starts while the
database is down.
"""

from __future__ import annotations

from collections.abc import Iterator
import contextlib
import threading

from oslo_config import cfg
from oslo_db import exception as db_exc
from oslo_db.sqlalchemy import enginefacade
from oslo_db.sqlalchemy import engines
import sqlalchemy as sa
from sqlalchemy import event as sa_event

from panko import jsonutils
from panko.storage.sqlalchemy import prepared

# oslo.db options that configure the engine; the retry options are read
# by the driver's retry decorator instead.
_ENGINE_OPTIONS = (
    "sqlite_synchronous",
    "connection_debug",
    "connection_trace",
    "max_pool_size",
    "max_overflow",
    "pool_timeout",
    "connection_recycle_time",
    "mysql_sql_mode",
    "mysql_wsrep_sync_wait",
    "connection_parameters",
    "slave_connection",
)

SQLITE_BUSY_TIMEOUT_S = 60

# What a URL without "+dbapi" uses: the drivers panko's extras install
# (SQLAlchemy 2.1 would pick psycopg 3 and mysqlclient).
DEFAULT_DBAPI = {
    "postgresql": "postgresql+psycopg2",
    "mysql": "mysql+pymysql",
    "mariadb": "mysql+pymysql",
}


def dress_url(url: str) -> str:
    """The URL with the DBAPI panko uses when none is named."""
    parsed = sa.engine.make_url(url)
    default_dbapi = DEFAULT_DBAPI.get(parsed.drivername)
    if default_dbapi:
        parsed = parsed.set(drivername=default_dbapi)
    if parsed.get_backend_name() == "mysql" and "charset" not in parsed.query:
        parsed = parsed.update_query_dict({"charset": "utf8mb4"})
    return parsed.render_as_string(hide_password=False)


class Facade:
    """Reader and writer connections on one database."""

    def __init__(self, url: str, conf: cfg.ConfigOpts):
        self.url = dress_url(url)
        self.dialect = sa.engine.make_url(self.url).get_backend_name()
        self._manager = enginefacade.transaction_context()
        options = {
            name: conf.database[name]
            for name in _ENGINE_OPTIONS
            if conf.database[name] is not None
        }
        if self.dialect == "sqlite":
            for name in ("max_pool_size", "max_overflow", "pool_timeout"):
                options.pop(name, None)
        # Never block inside the engine waiting for the database: commands
        # that must wait do so explicitly (panko.storage.wait_for), the API
        # answers 503 at once.
        options["max_retries"] = 0
        # oslo.db sleeps for 0 s each time a connection goes back to the
        # pool, for eventlet's green threads; panko runs none, and the
        # sleep hands the CPU away (0.3 ms per request on a busy host).
        options["thread_checkin"] = False
        self._manager.configure(connection=self.url, **options)
        self._manager.append_on_engine_create(self._on_engine_create)
        self._start_lock = threading.Lock()
        self._statement_url = dress_url(
            options.pop("slave_connection", None) or self.url
        )
        self._statement_engine_options = options
        self._statement_engine = None
        self._read_options = (
            {prepared.PREPARE: True}
            if self.dialect == "postgresql"
            and conf.database.prepared_statements
            else {}
        )

    def _on_engine_create(self, engine: sa.engine.Engine) -> None:
        if self.dialect == "sqlite":
            _configure_sqlite(engine)
        elif self.dialect == "mysql":
            _configure_mysql(engine)
        elif engine.dialect.driver == "psycopg2":
            _configure_psycopg2(engine)

    def _start(self) -> None:
        factory = self._manager._factory
        if not factory.is_started:
            with self._start_lock:
                if not factory.is_started:
                    # conf=None: use what configure() was given, never
                    # oslo.config's global CONF.
                    factory._start(conf=None)

    @property
    def engine(self) -> sa.engine.Engine:
        """The writer engine (created on first use)."""
        self._start()
        return self._manager._factory.get_writer_engine()

    @property
    def reader_engine(self) -> sa.engine.Engine:
        """The engine of ``[database] slave_connection`` when set, else the
        writer engine."""
        self._start()
        return self._manager._factory.get_reader_engine()

    @contextlib.contextmanager
    def reader(self) -> Iterator[sa.engine.Connection]:
        """A connection in a transaction that only reads."""
        with self.reader_engine.connect() as conn:
            with conn.begin():
                yield conn

    @property
    def statement_engine(self) -> sa.engine.Engine:
        """PostgreSQL's engine of :meth:`read_all` (created on first
        use), on the reader's database.

        Its connections are in autocommit, set once as each connects:
        each statement sees a snapshot of its own, without the BEGIN
        and COMMIT round trips (a third of a small read's time), and
        nothing is switched back and forth as they are lent. They are not
        pinged as they are lent either, another round trip as long as a
        small read: ``read_all`` makes a read that finds its connection
        lost once more instead. Its statements are prepared
        (``prepared.py``) unless ``[database] prepared_statements`` is
        false. The pool is the size of the writer's.
        """
        if self._statement_engine is None:
            with self._start_lock:
                if self._statement_engine is None:
                    self._statement_engine = self._make_statement_engine()
        return self._statement_engine

    def _make_statement_engine(self) -> sa.engine.Engine:
        engine = engines.create_engine(
            self._statement_url, **self._statement_engine_options
        )
        # oslo.db always asks SQLAlchemy for pings, which has no public
        # way to stop them once its pool is made.
        engine.pool._pre_ping = False

        @sa_event.listens_for(engine, "connect")
        def _autocommit(dbapi_conn, record):
            dbapi_conn.autocommit = True

        if engine.dialect.driver == "psycopg2":
            _configure_psycopg2(engine)
            prepared.install(engine)
        return engine

    def read_all(self, stmt: sa.sql.Executable) -> list[sa.engine.Row]:
        """Every row of one read statement, read at once: on PostgreSQL
        on :attr:`statement_engine`, elsewhere in a read transaction. A
        read that finds its connection lost (the server restarted, or
        failed over, or a proxy cut it) is made once more on a new one:
        nothing was written."""
        for attempt in (1, 2):
            connected = False
            try:
                with self._statement_connection() as conn:
                    connected = True
                    return conn.execute(
                        stmt, execution_options=self._read_options
                    ).all()
            except (sa.exc.DBAPIError, db_exc.DBError) as e:
                # A failure to connect is an outage: not retried.
                if attempt == 2 or not connected or not _connection_lost(e):
                    raise

    @contextlib.contextmanager
    def _statement_connection(self) -> Iterator[sa.engine.Connection]:
        if self.dialect != "postgresql":
            with self.reader() as conn:
                yield conn
            return
        with self.statement_engine.connect() as conn:
            yield conn

    @contextlib.contextmanager
    def writer(self) -> Iterator[sa.engine.Connection]:
        """A connection in a transaction that is committed on exit and
        rolled back on error."""
        with self.engine.connect() as conn:
            if self.dialect == "sqlite":
                # Take the write lock as the transaction begins: a deferred
                # transaction that reads and then writes fails at once with
                # "database is locked" instead of waiting its turn. The
                # marker keeps oslo.db from emitting its own BEGIN.
                conn.info["in_transaction"] = True
                with conn.begin():
                    conn.exec_driver_sql("BEGIN IMMEDIATE")
                    yield conn
            else:
                with conn.begin():
                    yield conn

    @contextlib.contextmanager
    def autocommit(self) -> Iterator[sa.engine.Connection]:
        """A connection outside any transaction, for statements that must
        not run in one (detaching partitions, VACUUM)."""
        with self.engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT")
            yield conn

    def dispose(self) -> None:
        if self._manager._factory.is_started:
            self._manager.dispose_pool()
        if self._statement_engine is not None:
            self._statement_engine.dispose()


def _connection_lost(error: BaseException) -> bool:
    """True when a statement failed because its connection was lost."""
    if isinstance(error, db_exc.DBConnectionError):
        return True
    if isinstance(error, db_exc.DBError) and error.inner_exception:
        return _connection_lost(error.inner_exception)
    return bool(getattr(error, "connection_invalidated", False))


def _configure_sqlite(engine: sa.engine.Engine) -> None:
    """WAL journal, so that readers never wait for writers, and a busy
    timeout, so that writers wait for each other."""

    @sa_event.listens_for(engine, "connect")
    def _connect(dbapi_conn, record):
        cursor = dbapi_conn.cursor()
        cursor.execute(
            "PRAGMA busy_timeout = %d" % (SQLITE_BUSY_TIMEOUT_S * 1000)
        )
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.close()


def _configure_mysql(engine: sa.engine.Engine) -> None:
    """READ COMMITTED: InnoDB then takes no gap locks, so the expirer
    deleting old rows never blocks a writer storing a late event."""

    @sa_event.listens_for(engine, "connect")
    def _connect(dbapi_conn, record):
        cursor = dbapi_conn.cursor()
        cursor.execute(
            "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED"
        )
        cursor.close()


def _configure_psycopg2(engine: sa.engine.Engine) -> None:
    """Decode JSONB with orjson: psycopg2 uses the standard library's
    json.loads, a third of the cost of a listing's traits."""
    from psycopg2 import extras

    @sa_event.listens_for(engine, "connect")
    def _connect(dbapi_conn, record):
        extras.register_default_jsonb(dbapi_conn, loads=jsonutils.loads)


# MySQL client and server errors that a later retry may cure: cannot
# connect, connection lost, too many connections, lock wait timeout.
_MYSQL_TRANSIENT = {1040, 1205, 2002, 2003, 2006, 2013, 2055}


def is_unavailable(error: BaseException) -> bool:
    """True for failures a later retry may cure: the database cannot be
    reached, the connection was lost, a deadlock or lock timeout.

    oslo.db classifies most of these; this also catches the messages of
    newer client libraries it does not know (libpq's "connection to
    server at ... failed").
    """
    if isinstance(error, (db_exc.DBConnectionError, db_exc.DBDeadlock)):
        return True
    if isinstance(error, db_exc.DBError) and error.inner_exception:
        return is_unavailable(error.inner_exception)
    if not isinstance(error, sa.exc.DBAPIError):
        return False
    if error.connection_invalidated:
        return True
    if not isinstance(error, sa.exc.OperationalError):
        return False
    module = type(error.orig).__module__
    if module.startswith("psycopg2"):
        # psycopg2 raises OperationalError for connection and server
        # trouble only; bad statements are ProgrammingError and others.
        return True
    if module.startswith("pymysql"):
        return bool(error.orig.args) and error.orig.args[0] in _MYSQL_TRANSIENT
    return "database is locked" in str(error.orig)
