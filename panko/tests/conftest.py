"""Fixtures shared by the whole suite."""

from __future__ import annotations

import pytest

from panko import service


@pytest.fixture
def conf(tmp_path):
    """A fresh ConfigOpts with every panko option, reading no file."""
    conf = service.new_conf()
    conf([], project="panko", default_config_files=[])
    yield conf
    conf.reset()
