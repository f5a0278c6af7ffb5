"""Fixtures shared by the whole suite."""

from __future__ import annotations

import logging
import sys

import pytest

from panko import service
from panko.tests import tally as tally_module


@pytest.fixture
def conf(tmp_path):
    """A fresh ConfigOpts with every panko option, reading no file."""
    conf = service.new_conf()
    conf([], project="panko", default_config_files=[])
    yield conf
    conf.reset()


def _own_handlers(logger: logging.Logger) -> list[logging.Handler]:
    """The handlers of ``logger`` but pytest's, which it adds and removes
    around each phase of a test."""
    return [
        h
        for h in logger.handlers
        if not type(h).__module__.startswith("_pytest")
    ]


@pytest.fixture(autouse=True)
def _restore_logging():
    """Tests that build the API as mod_wsgi does (app.wsgi, the panko-api
    script) set oslo.log up for the whole process: give the next tests
    of the worker the logging they had."""
    root = logging.getLogger()
    handlers, level = _own_handlers(root), root.level
    loggers = logging.Logger.manager.loggerDict
    levels = {
        name: logger.level
        for name, logger in loggers.items()
        if isinstance(logger, logging.Logger)
    }
    excepthook = sys.excepthook
    yield
    sys.excepthook = excepthook
    for handler in _own_handlers(root):
        if handler not in handlers:
            root.removeHandler(handler)
    for handler in handlers:
        if handler not in root.handlers:
            root.addHandler(handler)
    root.setLevel(level)
    for name, logger in list(loggers.items()):
        if isinstance(logger, logging.Logger):
            logger.setLevel(levels.get(name, logging.NOTSET))


@pytest.fixture
def tally(record_property):
    """Counts of the generated requests the test sends (panko.tests.tally)."""
    counts = tally_module.Tally()
    yield counts
    record_property(tally_module.SENT, counts.sent)
    record_property(tally_module.SERVER_ERRORS, counts.server_errors)
    record_property(tally_module.STATUSES, counts.describe())


def pytest_terminal_summary(terminalreporter):
    # The fixture records its counts as the test ends: they are on the
    # teardown reports.
    reports = [
        r
        for stat in terminalreporter.stats.values()
        for r in stat
        if getattr(r, "when", None) == "teardown"
    ]
    lines = tally_module.summary_lines(reports)
    if lines:
        terminalreporter.section("generated requests")
        for line in lines:
            terminalreporter.write_line(line)
