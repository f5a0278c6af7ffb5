"""Encoding and decoding what panko stores."""

from __future__ import annotations

import pytest

from panko import jsonutils


@pytest.mark.parametrize("value", [{"a": 10**400}, [2**64], 1.5, "é"])
def test_what_is_written_is_read_back(value):
    assert jsonutils.loads(jsonutils.dumps_bytes(value)) == value


def test_integers_beyond_a_double_are_read_back():
    # orjson reads 1e400 as infinity and refuses it.
    assert jsonutils.loads(b"[" + b"9" * 400 + b"]") == [int("9" * 400)]
