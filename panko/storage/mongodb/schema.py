"""Collections, indexes and the schema version of the MongoDB driver.

``panko-dbsync`` (``upgrade()``) is the only place indexes are made. Each
listing the API can ask for is answered from one of them, and each index
that serves a listing ends with ``(time, _id)``, the total order of the
storage contract, so that the server reads a page, however deep, as one
index range instead of sorting:

* ``time_id``: all events, and time windows (admin with all_tenants);
  also the range the expirer deletes from.
* ``type_time_id``: ``event_type`` filters, ``get_traits`` and the
  existence probes of ``get_trait_types`` and the expirer.
* ``project_time_id``: the project scope of non-admin callers, and both
  branches (``project_id = P`` and ``project_id = null``) of an admin's.
* ``traits``: multikey on ``(traits.n, traits.t, traits.v)``, so that an
  equality or range on any trait of any type is an index range.
* ``position``: unique, the ingestion order; it also proves that no two
  events ever share a position (on a sharded cluster it can only be
  unique per shard and is made non-unique, see scale-out.rst).

``_id`` is the message_id: look-ups by id, markers and duplicate
detection use it. The optional ``generated_ttl`` index lets the server
delete expired events itself (``[mongodb] ttl_index``).
"""

from __future__ import annotations

import bson
from oslo_config import cfg
from oslo_log import log
import pymongo
from pymongo import database as pymongo_database

LOG = log.getLogger(__name__)

EVENTS = "events"
EVENT_TYPES = "event_types"
META = "meta"
# The collection Panko 10 kept its events in.
PANKO10_EVENTS = "event"

SCHEMA_VERSION = 1
SCHEMA_DOC = "schema"
POSITION_DOC = "position"

TTL_INDEX = "generated_ttl"
TYPE_TIME_INDEX = "type_time_id"

A = pymongo.ASCENDING
EVENT_INDEXES = [
    pymongo.IndexModel([("position", A)], name="position", unique=True),
    pymongo.IndexModel([("time", A), ("_id", A)], name="time_id"),
    pymongo.IndexModel(
        [("type", A), ("time", A), ("_id", A)], name=TYPE_TIME_INDEX
    ),
    pymongo.IndexModel(
        [("project_id", A), ("time", A), ("_id", A)], name="project_time_id"
    ),
    pymongo.IndexModel(
        [("traits.n", A), ("traits.t", A), ("traits.v", A)], name="traits"
    ),
]


def wanted_ttl(conf: cfg.ConfigOpts) -> int | None:
    """expireAfterSeconds of the TTL index, or None when there should be
    none."""
    ttl = conf.database.event_time_to_live
    if conf.mongodb.ttl_index and ttl > 0:
        return ttl
    return None


def current_version(db: pymongo_database.Database) -> int | None:
    doc = db[META].find_one({"_id": SCHEMA_DOC})
    return None if doc is None else doc.get("version")


def has_panko10_events(db: pymongo_database.Database) -> bool:
    return bool(db.list_collection_names(filter={"name": PANKO10_EVENTS}))


def needs_upgrade(db: pymongo_database.Database, conf: cfg.ConfigOpts) -> bool:
    if current_version(db) != SCHEMA_VERSION or has_panko10_events(db):
        return True
    indexes = db[EVENTS].index_information()
    if any(model.document["name"] not in indexes for model in EVENT_INDEXES):
        return True
    ttl = indexes.get(TTL_INDEX, {}).get("expireAfterSeconds")
    return ttl != wanted_ttl(conf)


def create(db: pymongo_database.Database, conf: cfg.ConfigOpts) -> None:
    """Create what is missing and bring the TTL index in line with the
    configuration; what exists is left alone."""
    existing = set(db.list_collection_names())
    for name in (EVENTS, EVENT_TYPES, META):
        if name not in existing:
            db.create_collection(name)
    # By name: an index an operator changed on purpose (``position`` made
    # non-unique before sharding, see doc/source/admin/scale-out.rst) is
    # kept as it is.
    present = db[EVENTS].index_information()
    missing = [m for m in EVENT_INDEXES if m.document["name"] not in present]
    if missing:
        db[EVENTS].create_indexes(missing)
    db[META].update_one(
        {"_id": POSITION_DOC},
        {"$setOnInsert": {"last": bson.Int64(0)}},
        upsert=True,
    )
    sync_ttl(db, wanted_ttl(conf))


def mark_current(db: pymongo_database.Database) -> None:
    db[META].update_one(
        {"_id": SCHEMA_DOC},
        {"$set": {"version": SCHEMA_VERSION}},
        upsert=True,
    )


def sync_ttl(db: pymongo_database.Database, ttl: int | None) -> None:
    """Create, change or drop the TTL index on ``generated``."""
    events = db[EVENTS]
    current = events.index_information().get(TTL_INDEX)
    if ttl is None:
        if current is not None:
            LOG.info("Dropping the TTL index on events")
            events.drop_index(TTL_INDEX)
        return
    if current is None:
        LOG.info("Creating a TTL index: events expire after %d s", ttl)
        events.create_index(
            [("generated", A)], name=TTL_INDEX, expireAfterSeconds=ttl
        )
    elif current.get("expireAfterSeconds") != ttl:
        LOG.info("Events now expire after %d s (TTL index)", ttl)
        db.command(
            "collMod",
            EVENTS,
            index={"name": TTL_INDEX, "expireAfterSeconds": ttl},
        )
