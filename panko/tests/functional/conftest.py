"""Real databases for the functional tests.

Each backend in ``PANKO_TEST_BACKENDS`` (default: all) gets one database
per test process, created at the start and dropped at the end; every test
starts from an empty store. A backend whose server is down fails the run.
"""

from __future__ import annotations

import pytest

from panko import storage
from panko.tests import backends


def pytest_generate_tests(metafunc):
    if "backend" in metafunc.fixturenames:
        marker = metafunc.definition.get_closest_marker("backends")
        chosen = backends.selected_backends()
        if marker is not None:
            chosen = tuple(b for b in chosen if b in marker.args)
        else:
            chosen = tuple(
                b for b in chosen if b in backends.IMPLEMENTED_BACKENDS
            )
        metafunc.parametrize("backend", chosen, scope="session")


@pytest.fixture(scope="session")
def database_url(backend, tmp_path_factory):
    """The URL of an empty database of ``backend`` for this process."""
    store = backends.make_store(backend, tmp_path_factory)
    yield store.url
    store.destroy()


@pytest.fixture(scope="session")
def _upgraded(database_url):
    from panko import service

    conf = service.new_conf()
    conf([], project="panko", default_config_files=[])
    connection = storage.get_connection(conf, database_url)
    connection.upgrade()
    connection.close()
    return database_url


@pytest.fixture
def storage_conn(conf, _upgraded):
    """A driver on an upgraded, empty database."""
    conf.set_override("connection", _upgraded, "database")
    connection = storage.get_connection(conf, _upgraded)
    backends.purge(connection)
    yield connection
    connection.close()
