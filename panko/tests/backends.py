"""Real databases for functional tests.

Each test session creates its own databases on the servers of this machine
and drops them at the end. ``PANKO_TEST_BACKENDS`` (comma separated, default
every backend) chooses which run; a backend that is chosen but whose
server is down fails the run loudly: it never skips.

Server addresses can be changed with ``PANKO_TEST_POSTGRESQL_URL`` and
``PANKO_TEST_MYSQL_URL`` (URLs of a server, without a database name).
"""

from __future__ import annotations

import os
import uuid

import sqlalchemy as sa

ALL_BACKENDS = ('sqlite', 'postgresql', 'mysql', 'mongodb')
SERVER_URLS = {
    'postgresql': os.environ.get('PANKO_TEST_POSTGRESQL_URL',
                                 'postgresql+psycopg2://root@127.0.0.1:5432'),
    'mysql': os.environ.get('PANKO_TEST_MYSQL_URL',
                            'mysql+pymysql://root@127.0.0.1:3306'),
}
ADMIN_DATABASE = {'postgresql': 'postgres', 'mysql': 'mysql'}


def selected_backends() -> tuple[str, ...]:
    """Backends named by PANKO_TEST_BACKENDS, default every backend."""
    names = os.environ.get('PANKO_TEST_BACKENDS')
    if not names:
        return ALL_BACKENDS
    chosen = tuple(n.strip() for n in names.split(',') if n.strip())
    unknown = set(chosen) - set(ALL_BACKENDS)
    if unknown:
        raise RuntimeError('PANKO_TEST_BACKENDS names unknown backends: %s'
                           % ', '.join(sorted(unknown)))
    return chosen


class BackendUnavailable(RuntimeError):
    pass


class SQLServer:
    """Creates and drops throw-away databases on a PostgreSQL or MariaDB
    server."""

    def __init__(self, backend: str):
        self.backend = backend
        self.server_url = SERVER_URLS[backend]
        admin_url = '%s/%s' % (self.server_url, ADMIN_DATABASE[backend])
        self._admin = sa.create_engine(admin_url,
                                       isolation_level='AUTOCOMMIT',
                                       poolclass=sa.pool.NullPool)
        try:
            with self._admin.connect() as conn:
                conn.execute(sa.text('SELECT 1'))
        except sa.exc.OperationalError as e:
            raise BackendUnavailable(
                'The %s server at %s is not answering (%s). Start it: see '
                'README.rst, "Running the tests".'
                % (backend, self.server_url, e.orig)) from e

    def create_database(self, prefix: str = 'panko_test') -> str:
        """Create an empty database; return its URL."""
        name = '%s_%s' % (prefix, uuid.uuid4().hex[:12])
        with self._admin.connect() as conn:
            if self.backend == 'mysql':
                conn.execute(sa.text(
                    'CREATE DATABASE %s CHARACTER SET utf8mb4 '
                    'COLLATE utf8mb4_bin' % name))
            else:
                conn.execute(sa.text('CREATE DATABASE %s' % name))
        url = '%s/%s' % (self.server_url, name)
        if self.backend == 'mysql':
            url += '?charset=utf8mb4'
        return url

    def drop_database(self, url: str) -> None:
        name = sa.engine.make_url(url).database
        with self._admin.connect() as conn:
            if self.backend == 'postgresql':
                conn.execute(sa.text(
                    'DROP DATABASE IF EXISTS %s WITH (FORCE)' % name))
            else:
                conn.execute(sa.text('DROP DATABASE IF EXISTS %s' % name))

    def close(self) -> None:
        self._admin.dispose()
