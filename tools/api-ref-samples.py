#!/usr/bin/env python3
"""Write the samples of the API reference from the real API's answers.

Every request of ``panko.tests.apiref.SAMPLES`` is sent to panko's API,
built from its packaged paste pipeline in noauth mode, on a throw-away
SQLite database that holds only the fixed events of that module (stored
afresh before each request). The sample answered 503 is sent to an API
whose PostgreSQL server does not answer (a closed port on 127.0.0.1; no
server is needed). What was sent and answered replaces the files of
``api-ref/source/samples/``; files no sample makes are removed.

The suite (``panko/tests/functional/api/test_api_ref_samples.py``) sends
the same requests on every backend and fails unless the committed files
are exactly what this writes. Run from a checkout with the test
requirements installed::

    .venv/bin/python tools/api-ref-samples.py
"""

from __future__ import annotations

import logging
import pathlib
import sys
import tempfile

import webtest

from panko import storage
from panko.api import app as api_app
from panko.tests import apidata
from panko.tests import apiref
from panko.tests import backends

UNREACHABLE_SERVER = "postgresql+psycopg2://panko@127.0.0.1:5432/panko"


def take_samples(folder: pathlib.Path) -> dict[str, str]:
    """The sample files, by name, from APIs whose files go in ``folder``."""
    url = "sqlite:///%s" % (folder / "panko.sqlite")
    conf = apidata.load_conf(apidata.write_config(folder / "panko.conf", url))
    down_conf = apidata.load_conf(
        apidata.write_config(
            folder / "down.conf", apiref.unreachable(UNREACHABLE_SERVER)
        )
    )
    connection = storage.get_connection(conf, url)
    try:
        connection.upgrade()
        api = webtest.TestApp(api_app.load_app(conf, connection=connection))
        down_api = webtest.TestApp(api_app.load_app(down_conf))
        files = {}
        for sample in apiref.SAMPLES:
            backends.purge(connection)
            apiref.store_events(connection)
            target = down_api if sample.kind == apiref.UNAVAILABLE else api
            answer = apiref.send(target, sample)
            apiref.check_answer(sample, answer)
            files.update(apiref.sample_files(sample, answer))
        return files
    finally:
        connection.close()
        conf.reset()
        down_conf.reset()


def write_samples(files: dict[str, str], folder: pathlib.Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for stale in sorted(set(p.name for p in folder.iterdir()) - set(files)):
        (folder / stale).unlink()
        print("removed %s" % stale)
    for name, text in sorted(files.items()):
        (folder / name).write_text(text)
    print("%d files in %s" % (len(files), folder))


def main() -> int:
    # The 503 sample makes the driver log its refused connections: what
    # is expected is not shown. An unexpected answer still fails.
    logging.disable(logging.ERROR)
    with tempfile.TemporaryDirectory(prefix="panko-api-ref-") as tmp:
        files = take_samples(pathlib.Path(tmp))
    write_samples(files, apiref.SAMPLES_DIR)
    return 0


if __name__ == "__main__":
    sys.exit(main())
