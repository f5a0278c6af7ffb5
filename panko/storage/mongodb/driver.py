"""The MongoDB driver.

See ``documents.py`` for the shape of the documents, ``query.py`` for
filters, ``schema.py`` for the indexes and why each exists, and
``panko10.py`` for reading a database Panko 10 wrote.

Positions. A batch reserves a range of positions by incrementing the
counter document (one atomic ``findAndModify``), then inserts its events.
Positions are therefore unique, and increase with the order in which
batches reserve them. Writers in different processes are not serialised:
while one inserts its range another may insert a higher range first, so
an event can become visible after an event of another process with a
higher position. Readers that follow positions are protected by a safe
horizon (see ``horizon()``): the same ``findAndModify`` that reserves a
range notes it in the counter document as in flight, and the batch
removes it once its insert returned; a read in position order only
returns positions below the first range still in flight (or at most the
last position reserved when none is), read from that one document
before the events. An event therefore never becomes visible below a
position a reader was already given. A range left in flight for more
than ``RESERVATION_TIMEOUT`` seconds (its writer died) is ignored and
removed by the next batch; a writer that is still inserting after that
long logs an error, since a reader may then have gone past its events.

Event types are read from the events themselves (``distinct`` on the
``type_time_id`` index), so they are exact even while the TTL monitor
deletes events. The trait types of each event type live in one
``event_types`` document, updated by every batch after its events are in
(which also bumps a ``writes`` counter); the expirer removes a document
only if ``writes`` did not change since it found the type without events,
so it can never remove the trait types of a type that is being written.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Iterator
import datetime
import threading
import time
from typing import Any
from typing import TypeVar
from urllib import parse

import bson
from oslo_config import cfg
from oslo_log import log
import pymongo
from pymongo import errors

from panko.storage import base
from panko.storage import exceptions
from panko.storage import models
from panko.storage.mongodb import documents
from panko.storage.mongodb import panko10
from panko.storage.mongodb import query
from panko.storage.mongodb import schema

LOG = log.getLogger(__name__)

T = TypeVar("T")

DUPLICATE_KEY = 11000
# Server errors that mean "try again elsewhere or later": not (or no
# longer) primary, shutting down, interrupted by an election.
TRANSIENT_CODES = {91, 189, 10107, 11600, 11602, 13435, 13436}
# How long an operation waits for a usable server before it fails, unless
# the URL says otherwise (pymongo's default, 30 s, keeps API callers
# waiting far too long for their 503).
SERVER_SELECTION_TIMEOUT_MS = 5000

_END = object()

# Seconds after which a range of positions still noted as in flight is
# taken for the range of a writer that died (see the module docstring).
RESERVATION_TIMEOUT = 300

_write_locks: dict[str, threading.Lock] = {}
# The last position reserved by this process, by URL, under its lock.
_last_reserved: dict[str, int] = {}
_write_locks_guard = threading.Lock()


def _write_lock(url: str) -> threading.Lock:
    with _write_locks_guard:
        return _write_locks.setdefault(url, threading.Lock())


def is_transient(error: Exception) -> bool:
    """True when trying again may succeed: the server could not be
    reached, or is not (or no longer) the primary."""
    if isinstance(error, errors.ConnectionFailure):
        return True
    if isinstance(error, errors.OperationFailure) and not isinstance(
        error, errors.BulkWriteError
    ):
        return error.code in TRANSIENT_CODES or error.has_error_label(
            "RetryableWriteError"
        )
    return False


def client_options(url: str) -> dict[str, Any]:
    """Options panko sets on the client, beside those of the URL (TLS,
    authSource, replicaSet...), which pymongo reads itself."""
    options: dict[str, Any] = {
        "appname": "panko",
        "connect": False,
        "tz_aware": False,
    }
    names = {
        key.lower() for key, _ in parse.parse_qsl(parse.urlsplit(url).query)
    }
    if "serverselectiontimeoutms" not in names:
        options["serverSelectionTimeoutMS"] = SERVER_SELECTION_TIMEOUT_MS
    return options


class Connection(base.Connection):
    """Events in a MongoDB database."""

    CAPABILITIES = {"events": {"query": {"simple": True}}}
    STORAGE_CAPABILITIES = {"storage": {"production_ready": True}}

    def __init__(
        self,
        url: str,
        conf: cfg.ConfigOpts,
        write_retries: int | None = None,
    ):
        super().__init__(url, conf, write_retries)
        self.client: pymongo.MongoClient = pymongo.MongoClient(
            url, **client_options(url)
        )
        self.db = self.client.get_default_database("panko")
        self.events = self.db[schema.EVENTS]
        self.event_types = self.db[schema.EVENT_TYPES]
        self.meta = self.db[schema.META]
        # A caller that bounds retries (the API) bounds reads too.
        self._max_retries = (
            conf.mongodb.max_retries
            if write_retries is None
            else write_retries
        )
        self._retry_interval = conf.mongodb.retry_interval
        self._write_lock = _write_lock(url)

    # -- errors -------------------------------------------------------------

    def _retried(self, operation: Callable[[], T]) -> T:
        """Run ``operation``, trying again ``[mongodb] max_retries`` times
        while the server is unreachable or not primary; then raise
        StorageUnavailable."""
        attempt = 0
        while True:
            try:
                return operation()
            except errors.PyMongoError as e:
                if not is_transient(e):
                    raise
                if attempt >= self._max_retries:
                    raise exceptions.StorageUnavailable(
                        "MongoDB is unavailable: %s" % e
                    ) from e
                attempt += 1
                LOG.warning(
                    "MongoDB is unavailable (%s); try %d of %d in %s s",
                    e,
                    attempt,
                    self._max_retries,
                    self._retry_interval,
                )
                time.sleep(self._retry_interval)

    def _stream(self, open_cursor: Callable[[], Any]) -> Iterator[dict]:
        """The documents of a cursor. The query is tried again as
        ``_retried`` does until its first document arrived; a failure
        after that raises StorageUnavailable (the caller has part of the
        result already)."""

        def start():
            cursor = open_cursor()
            return cursor, next(cursor, _END)

        cursor, first = self._retried(start)
        try:
            if first is _END:
                return
            yield first
            yield from cursor
        except errors.PyMongoError as e:
            if not is_transient(e):
                raise
            raise exceptions.StorageUnavailable(
                "MongoDB became unavailable while reading: %s" % e
            ) from e
        finally:
            cursor.close()

    # -- schema -----------------------------------------------------------

    def upgrade(self) -> None:
        self._retried(lambda: schema.create(self.db, self.conf))
        if self._retried(lambda: schema.has_panko10_events(self.db)):
            # Resumable: a retry goes on from the last batch saved.
            self._retried(
                lambda: panko10.convert(self.db, self._record_events)
            )
        self._retried(lambda: schema.mark_current(self.db))

    def needs_upgrade(self) -> bool:
        return self._retried(lambda: schema.needs_upgrade(self.db, self.conf))

    def clear(self) -> None:
        self._retried(lambda: self.client.drop_database(self.db.name))

    def ping(self) -> None:
        self._retried(lambda: self.client.admin.command("ping"))

    def close(self) -> None:
        self.client.close()

    # -- writing ------------------------------------------------------------

    def _record_events(self, events: list[models.Event]) -> Iterable[str]:
        with self._write_lock:
            reserved_at = _now()
            first = self._retried(
                lambda: self._reserve(len(events), reserved_at)
            )
            try:
                docs = [
                    documents.event_document(event, position)
                    for position, event in enumerate(events, first)
                ]
                stored = self._retried(lambda: self._insert(docs, first))
            finally:
                self._retried(lambda: self._release(first, reserved_at))
        self._retried(lambda: self._note_types(events))
        return stored

    def _reserve(
        self, count: int, reserved_at: datetime.datetime | None = None
    ) -> int:
        """Reserve ``count`` positions, noted as in flight; return the
        first.

        A compare-and-set on the last position, so that the range noted
        in flight is the one reserved, in the same atomic update (an
        update cannot read the value it increments); it is tried again
        when another writer reserved in between.
        """
        reserved_at = reserved_at or _now()
        # The last position this process reserved is usually still the
        # last one: try it before reading the counter.
        last = _last_reserved.get(self.url)
        while True:
            if last is None:
                counter = self.meta.find_one({"_id": schema.POSITION_DOC})
                if counter is None:
                    raise RuntimeError(
                        "The position counter is missing: run panko-dbsync."
                    )
                last = counter["last"]
            reserved = self.meta.find_one_and_update(
                {"_id": schema.POSITION_DOC, "last": {"$eq": last}},
                {
                    "$inc": {"last": bson.Int64(count)},
                    "$push": {
                        "inflight": {
                            "first": bson.Int64(last + 1),
                            "at": reserved_at,
                        }
                    },
                },
            )
            if reserved is not None:
                _last_reserved[self.url] = last + count
                return last + 1
            last = None

    def _release(self, first: int, reserved_at: datetime.datetime) -> None:
        """The batch's insert is over: its range is no longer in flight
        (nor are ranges abandoned long ago)."""
        now = _now()
        if now - reserved_at > datetime.timedelta(seconds=RESERVATION_TIMEOUT):
            LOG.error(
                "The batch from position %d took over %d s to store: a "
                "reader following positions may have skipped its events",
                first,
                RESERVATION_TIMEOUT,
            )
        counter = self.meta.find_one_and_update(
            {"_id": schema.POSITION_DOC},
            {"$pull": {"inflight": {"first": {"$eq": bson.Int64(first)}}}},
            return_document=pymongo.ReturnDocument.AFTER,
        )
        stale = now - datetime.timedelta(seconds=RESERVATION_TIMEOUT)
        if counter and any(
            e["at"] < stale for e in counter.get("inflight", ())
        ):
            self.meta.update_one(
                {"_id": schema.POSITION_DOC},
                {"$pull": {"inflight": {"at": {"$lt": stale}}}},
            )

    def horizon(self) -> int:
        """The first position a reader in position order must not return
        yet: every event below it is visible or will never be."""
        counter = self.meta.find_one({"_id": schema.POSITION_DOC})
        if counter is None:
            raise RuntimeError(
                "The position counter is missing: run panko-dbsync."
            )
        return safe_horizon(counter, _now())

    def _insert(self, docs: list[dict], first: int) -> list[str]:
        """Insert ``docs``, skipping those whose message_id is stored;
        return the message_ids this batch wrote.

        A duplicate key error is only a duplicate event when an event with
        that message_id is indeed stored (the unique position index gives
        the same error). One that carries a position of this batch was
        written by an earlier try of this same call whose answer was
        lost: it counts as written.
        """
        try:
            self.events.insert_many(docs, ordered=False)
            return [doc["_id"] for doc in docs]
        except errors.BulkWriteError as e:
            error = e
            write_errors = e.details.get("writeErrors", [])
            if e.details.get("writeConcernErrors") or any(
                w["code"] != DUPLICATE_KEY for w in write_errors
            ):
                raise
            duplicates = {docs[w["index"]]["_id"] for w in write_errors}
        stored = {
            doc["_id"]: doc["position"]
            for doc in self.events.find(
                {"_id": {"$in": sorted(duplicates)}}, {"position": 1}
            )
        }
        if set(stored) != duplicates:
            raise error
        ours = range(first, first + len(docs))
        return [
            doc["_id"]
            for doc in docs
            if doc["_id"] not in duplicates or stored[doc["_id"]] in ours
        ]

    def _note_types(self, events: list[models.Event]) -> None:
        """Record the trait types of the batch's event types, after its
        events are stored (see the module docstring)."""
        updates = [
            pymongo.UpdateOne(
                {"_id": event_type},
                {
                    "$addToSet": {"traits": {"$each": trait_types}},
                    "$inc": {"writes": 1},
                },
                upsert=True,
            )
            for event_type, trait_types in sorted(
                documents.trait_types_of(events).items()
            )
        ]
        self.event_types.bulk_write(updates, ordered=False)

    # -- reading ------------------------------------------------------------

    def _get_events(self, event_filter, limit, sort, marker, encoded):
        where = query.conditions(event_filter) + query.scope(event_filter)
        if marker is not None:
            where.append(query.after_marker(sort, marker))
        if event_filter.after_position is not None or sort[0][0] == (
            "position"
        ):
            horizon = self._retried(self.horizon)
            where.append({"position": {"$lt": bson.Int64(horizon)}})
        spec = query.combine(where)
        order = query.order(sort)

        def open_cursor():
            cursor = self.events.find(spec, sort=order)
            return cursor.limit(limit) if limit is not None else cursor

        for doc in self._stream(open_cursor):
            yield documents.decode_event(doc, encoded)

    def _count_events(self, event_filter, grouping, limit):
        where = query.conditions(event_filter) + query.scope(event_filter)
        pipeline = query.count_pipeline(query.combine(where), grouping, limit)

        def open_cursor():
            return self.events.aggregate(pipeline)

        for doc in self._stream(open_cursor):
            yield query.decode_group(doc, grouping)

    def get_event_types(self) -> Iterator[str]:
        names = self._retried(lambda: self.events.distinct("type"))
        return iter(sorted(names))

    def _has_events(self, event_type: str) -> bool:
        return (
            self.events.find_one(
                {"type": {"$eq": event_type}}, projection={"_id": 1}
            )
            is not None
        )

    def get_trait_types(self, event_type: str) -> Iterator[models.TraitType]:
        def read():
            # A document may outlive the type's events while it waits for
            # the expirer (events deleted by the TTL monitor).
            if not self._has_events(event_type):
                return None
            return self.event_types.find_one({"_id": {"$eq": event_type}})

        doc = self._retried(read)
        if doc is None:
            return iter(())
        trait_types = {
            models.TraitType(item["n"], item["t"]) for item in doc["traits"]
        }
        return iter(sorted(trait_types, key=lambda t: (t.name, t.dtype)))

    def _trait_values(self, event_type, trait_name, start, values_needed):
        spec: dict[str, Any] = {"type": {"$eq": event_type}}
        if trait_name is not None:
            spec["traits"] = {"$elemMatch": {"n": {"$eq": trait_name}}}
        if start is not None:
            spec = {
                "$and": [
                    spec,
                    query.after_marker(
                        models.DEFAULT_SORT,
                        base.marker_event(start),
                        inclusive=True,
                    ),
                ]
            }
        # Each document has the trait at least once (the first may be
        # partly skipped: one more).
        limit = 0
        if trait_name is not None and values_needed is not None:
            limit = values_needed + (start is not None)

        def open_cursor():
            # type_time_id: the type equal, then a range of (time, _id)
            # in index order, never the traits index and a sort.
            return self.events.find(
                spec,
                {"traits": 1, "time": 1},
                sort=query.order(models.DEFAULT_SORT),
                limit=limit,
                hint=schema.TYPE_TIME_INDEX,
            )

        for doc in self._stream(open_cursor):
            traits = documents.decode_traits(doc["traits"])
            if trait_name is not None:
                traits = [t for t in traits if t.name == trait_name]
            yield (documents.decode_time(doc["time"]), doc["_id"]), traits

    # -- expiry -------------------------------------------------------------

    def _delete_events_before(self, before, max_count):
        limit = documents.encode_time(before)

        def delete() -> int:
            ids = [
                doc["_id"]
                for doc in self.events.find(
                    {"time": {"$lt": limit}},
                    {"_id": 1},
                    sort=[("time", pymongo.ASCENDING)],
                    limit=max_count,
                )
            ]
            if not ids:
                return 0
            return self.events.delete_many(
                {"_id": {"$in": ids}, "time": {"$lt": limit}}
            ).deleted_count

        return self._retried(delete)

    def _delete_unused_event_types(self) -> None:
        def delete() -> int:
            removed = 0
            for doc in self.event_types.find({}, {"writes": 1}):
                if self._has_events(doc["_id"]):
                    continue
                # Only if no batch wrote events of this type since.
                result = self.event_types.delete_one(
                    {"_id": doc["_id"], "writes": doc.get("writes")}
                )
                removed += result.deleted_count
            return removed

        removed = self._retried(delete)
        if removed:
            LOG.info("Removed %d event types no event has any more", removed)


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


def safe_horizon(counter: dict, now: datetime.datetime) -> int:
    """The horizon of ``Connection.horizon`` from the counter document:
    the first position of the oldest range in flight, one past the last
    reserved when none is; ranges abandoned long ago do not count."""
    stale = now - datetime.timedelta(seconds=RESERVATION_TIMEOUT)
    firsts = [
        entry["first"]
        for entry in counter.get("inflight", ())
        if entry["at"] >= stale
    ]
    return min(firsts, default=counter["last"] + 1)
