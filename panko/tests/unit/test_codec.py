"""The stored form of what the API shows of an event (``codec``)."""

from __future__ import annotations

from concurrent import futures
import datetime
import zlib

from panko import jsonutils
from panko import traits_json
from panko.storage import models
from panko.storage.sqlalchemy import codec


def _event(number: int, raw: dict | None) -> models.Event:
    event = models.Event(
        "id-%d" % number,
        "compute.instance.create.end",
        datetime.datetime(2026, 1, 1, 12, 0, number % 60),
        [
            models.Trait("host", models.TEXT_TYPE, "node-%d" % number),
            models.Trait("vcpus", models.INT_TYPE, number),
        ],
    )
    event.raw_json = None if raw is None else jsonutils.dumps_bytes(raw)
    return event


def test_events_are_stored_as_zstd_frames_and_read_back():
    event = _event(7, {"payload": {"instance_id": "i-7", "memory_mb": 512}})
    stored = codec.encode_shown(event)
    assert stored[:4] == b"\x28\xb5\x2f\xfd"
    shown, raw = codec.decode_shown(stored)
    assert shown == traits_json.encode(event.traits)
    assert raw == event.raw_json
    assert codec.decode_raw(stored) == {
        "payload": {"instance_id": "i-7", "memory_mb": 512}
    }


def test_an_event_without_raw_reads_back_none():
    stored = codec.encode_shown(_event(1, None))
    assert codec.decode_shown(stored)[1] is None
    assert codec.decode_raw(stored) is None


def test_rows_of_earlier_versions_are_zlib_streams_and_still_read():
    # What the versions before zstd wrote: one zlib stream of a 4 KiB
    # window over the same texts.
    event = _event(3, {"a": [1, 2, 3]})
    compressor = zlib.compressobj(1, zlib.DEFLATED, 12, 4)
    old = (
        compressor.compress(traits_json.encode(event.traits) + b"\n")
        + compressor.compress(event.raw_json)
        + compressor.flush()
    )
    assert codec.decode_shown(old) == codec.decode_shown(
        codec.encode_shown(event)
    )


def test_threads_compress_and_decompress_at_once():
    # A zstd context serves one operation at a time: each thread has its
    # own, and none sees another's data.
    def round_trip(number):
        event = _event(number, {"n": number, "pad": "x" * (number * 37)})
        return codec.decode_raw(codec.encode_shown(event))

    with futures.ThreadPoolExecutor(8) as pool:
        results = list(pool.map(round_trip, range(400)))
    assert results == [{"n": n, "pad": "x" * (n * 37)} for n in range(400)]
