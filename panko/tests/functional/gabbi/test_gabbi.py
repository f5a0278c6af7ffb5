"""Runs each gabbi file of gabbits/ against the API on every backend.

A file may carry two keys of its own, which gabbi ignores: ``config``
(options by group, written to the panko.conf of the API it runs
against) and ``policy`` (rules written to the policy.yaml beside it).
Each file runs as one pytest test, in one process, so that its tests
keep their order; a failure reports every gabbi test that failed.
"""

from __future__ import annotations

import json
import pathlib
import unittest

from gabbi import handlers
from gabbi import suitemaker
from gabbi import utils
import pytest

from panko.api import app as api_app
from panko.tests import apidata
from panko.tests.functional.gabbi import fixtures

GABBITS = pathlib.Path(__file__).parent / "gabbits"
FILES = sorted(GABBITS.glob("*.yaml"))


def build_app(suite_dict, connection, tmp_path):
    config = suite_dict.get("config") or {}
    if "policy" in suite_dict:
        (tmp_path / "policy.yaml").write_text(json.dumps(suite_dict["policy"]))
    path = apidata.write_config(
        tmp_path / "panko.conf", connection.url, **config
    )
    conf = apidata.load_conf(path)
    return conf, api_app.load_app(conf, connection=connection)


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_gabbi_file(path, storage_conn, tmp_path):
    suite_dict = utils.load_yaml(yaml_file=str(path))
    conf, app = build_app(suite_dict, storage_conn, tmp_path)
    fixtures.CONTEXT.connection = storage_conn
    suite = suitemaker.test_suite_from_dict(
        unittest.TestLoader(),
        path.stem,
        suite_dict,
        str(GABBITS),
        "panko-%s" % path.stem,
        None,
        fixtures,
        lambda: app,
        handlers=[h() for h in handlers.RESPONSE_HANDLERS],
    )
    result = unittest.TestResult()
    try:
        suite.run(result)
    finally:
        fixtures.CONTEXT.connection = None
        conf.reset()
    problems = [
        "%s\n%s" % (test.id(), trace)
        for test, trace in result.failures + result.errors
    ]
    assert not problems, "\n\n".join(problems)
    assert not result.skipped and not result.expectedFailures
    assert result.testsRun == len(suite_dict["tests"])
