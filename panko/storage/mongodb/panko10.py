"""Converting the events Panko 10.0.0's MongoDB driver left.

Panko 10 kept one document per event in the ``event`` collection::

    {"_id": message_id, "event_type": "...", "timestamp": datetime,
     "traits": [{"trait_name": "...", "trait_type": 1, "trait_value": ...}],
     "raw": {...}}

with datetime trait values as BSON dates (so, like ``timestamp``, at
millisecond precision) and ``raw`` as a BSON document. The conversion
reads that collection in ``_id`` order, in batches, and stores each batch
through the driver's own write path, which gives the events positions in
that order and skips those already converted. After each batch the last
converted ``_id`` is saved in the ``meta`` collection, so that an
interrupted ``panko-dbsync`` resumes where it stopped; a batch redone
after a crash only meets duplicates. The old collection is dropped once
every event is across.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterable
import json
from typing import Any

from oslo_log import log
import pymongo
from pymongo import database as pymongo_database

from panko.storage import models
from panko.storage.mongodb import schema

LOG = log.getLogger(__name__)

BATCH = 1000
PROGRESS_DOC = "panko10_conversion"


def to_event(doc: dict) -> models.Event:
    """A Panko 10 document as an event, with every trait that has a
    value (Panko 10 also accepted untyped, valueless traits)."""
    traits = []
    for item in doc.get("traits") or []:
        dtype = int(item.get("trait_type") or 0)
        value = item.get("trait_value")
        if dtype not in models.DTYPE_NAMES or value is None:
            continue
        if dtype == models.INT_TYPE:
            value = int(value)
        elif dtype == models.FLOAT_TYPE:
            value = float(value)
        traits.append(models.Trait(item["trait_name"], dtype, value))
    return models.Event(
        message_id=doc["_id"],
        event_type=doc.get("event_type") or "unknown",
        generated=doc["timestamp"],
        traits=traits,
        raw=_json_safe(doc.get("raw")),
    )


def _json_safe(raw: Any) -> Any:
    """The raw notification, with any BSON value JSON has no type for
    (a date, an ObjectId) as text."""
    try:
        json.dumps(raw)
        return raw
    except (TypeError, ValueError):
        return json.loads(json.dumps(raw, default=str))


def convert(
    db: pymongo_database.Database,
    record: Callable[[list[models.Event]], Iterable[str]],
) -> None:
    """Copy every event of Panko 10's collection with ``record`` (the
    driver's ``_record_events``), then drop that collection."""
    old = db[schema.PANKO10_EVENTS]
    meta = db[schema.META]
    progress = meta.find_one({"_id": PROGRESS_DOC}) or {}
    last_id = progress.get("last_id")
    done = progress.get("done", 0)
    total = old.estimated_document_count()
    LOG.info(
        "Converting about %d Panko 10 events (%d already done)", total, done
    )
    while True:
        spec = {} if last_id is None else {"_id": {"$gt": last_id}}
        batch = list(
            old.find(spec, sort=[("_id", pymongo.ASCENDING)], limit=BATCH)
        )
        if not batch:
            break
        record([to_event(doc) for doc in batch])
        last_id = batch[-1]["_id"]
        done += len(batch)
        meta.update_one(
            {"_id": PROGRESS_DOC},
            {"$set": {"last_id": last_id, "done": done}},
            upsert=True,
        )
        LOG.info("Converted %d of about %d Panko 10 events", done, total)
    old.drop()
    meta.delete_one({"_id": PROGRESS_DOC})
    LOG.info("Panko 10 conversion done: %d events", done)
