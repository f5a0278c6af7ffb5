"""The SQL driver: PostgreSQL, MySQL/MariaDB and SQLite.

See ``tables.py`` for the schema and why it is shaped so, ``writer.py``
for the write path, ``query.py`` for filters and ``partitions.py`` for the
time partitions of PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
import contextlib
import datetime
import threading

from oslo_config import cfg
from oslo_db import api as db_api
from oslo_db import exception as db_exc
from oslo_log import log
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from panko.storage import base
from panko.storage import exceptions
from panko.storage import models
from panko.storage.sqlalchemy import codec
from panko.storage.sqlalchemy import counts
from panko.storage.sqlalchemy import facade
from panko.storage.sqlalchemy import partitions
from panko.storage.sqlalchemy import prepared
from panko.storage.sqlalchemy import query
from panko.storage.sqlalchemy import tables
from panko.storage.sqlalchemy import tallies
from panko.storage.sqlalchemy import writer

LOG = log.getLogger(__name__)

E = tables.event

# Listings larger than this are read through a server-side cursor, so
# that memory stays flat however many rows are asked for.
STREAM_THRESHOLD = 1000
STREAM_CHUNK = 500


class PartitionsDropped(exceptions.StorageUnavailable):
    """The partitions a write needs were dropped (by the expirer)
    as often as they were made: retry later, as in an outage."""


@contextlib.contextmanager
def translate_errors():
    """Database failures as storage errors the callers understand."""
    try:
        yield
    except (sa.exc.DBAPIError, db_exc.DBError) as e:
        if facade.is_unavailable(e):
            raise exceptions.StorageUnavailable(
                "The database is unavailable: %s" % getattr(e, "orig", e)
            ) from e
        raise exceptions.StorageError(
            "Database error: %s" % getattr(e, "orig", e)
        ) from e


def _is_transient(error: BaseException) -> bool:
    return isinstance(error, PartitionsDropped) or facade.is_unavailable(error)


# How many times in a row a write that met a partition dropped meanwhile
# is tried again at once, before it waits as in an outage.
PARTITION_ATTEMPTS = 3

# How many times a count from the tables of counts is made again when
# they changed meanwhile, before it is made from the event table alone.
COUNT_ATTEMPTS = 3


class Connection(base.Connection):
    """Events in an SQL database."""

    CAPABILITIES = {"events": {"query": {"simple": True}}}
    STORAGE_CAPABILITIES = {"storage": {"production_ready": True}}

    def __init__(
        self,
        url: str,
        conf: cfg.ConfigOpts,
        write_retries: int | None = None,
    ):
        super().__init__(url, conf, write_retries)
        self.facade = facade.Facade(url, conf)
        self.dialect = self.facade.dialect
        self._partitions = (
            partitions.PartitionSet(conf.database.partition_interval)
            if self.dialect == "postgresql"
            else None
        )
        self._known_trait_types: set = set()
        self._type_names: dict[int, str] = {}
        self._type_names_lock = threading.Lock()
        self._retry_writes = db_api.wrap_db_retry(
            max_retries=self.write_retries,
            retry_interval=conf.database.db_retry_interval,
            inc_retry_interval=conf.database.db_inc_retry_interval,
            max_retry_interval=conf.database.db_max_retry_interval,
            retry_on_disconnect=True,
            retry_on_deadlock=True,
            exception_checker=_is_transient,
        )

    # -- schema -----------------------------------------------------------

    # migration imports alembic, which is slow to import: only the commands
    # that change the schema pay for it, not the expirer or the publisher.

    def upgrade(self) -> None:
        from panko.storage.sqlalchemy import migration

        with translate_errors():
            migration.upgrade(self.facade.engine, self.conf)

    def needs_upgrade(self) -> bool:
        from panko.storage.sqlalchemy import migration

        with translate_errors():
            return migration.needs_upgrade(self.facade.engine)

    def clear(self) -> None:
        from panko.storage.sqlalchemy import migration

        with translate_errors():
            migration.drop_everything(self.facade.engine)
        self.facade.dispose()

    def ping(self) -> None:
        with translate_errors(), self.facade.reader() as conn:
            conn.execute(sa.text("SELECT 1"))

    def close(self) -> None:
        self.facade.dispose()

    # -- writing ------------------------------------------------------------

    def _record_events(self, events):
        with translate_errors():
            stored, new_trait_types = self._retry_writes(self._write)(events)
        self._known_trait_types |= new_trait_types
        return stored

    def _write(self, events):
        for attempt in range(1, PARTITION_ATTEMPTS + 1):
            if self._partitions is not None:
                self._partitions.ensure(
                    self.facade.engine, {e.generated for e in events}
                )
            try:
                with self.facade.writer() as conn:
                    return writer.record(
                        conn, self.dialect, events, self._known_trait_types
                    )
            except (db_exc.DBError, sa.exc.DBAPIError) as e:
                if self._partitions is None or not partitions.is_missing(e):
                    raise
                # The expirer of another process dropped a partition
                # this one still knew of: look again and retry at once.
                self._partitions.forget()
                if attempt == PARTITION_ATTEMPTS:
                    # Dropped again each time (late events older than
                    # the time to live, while the expirer runs): wait
                    # and retry as in an outage, and if that does not
                    # last long enough, tell the caller to send them
                    # again later.
                    raise PartitionsDropped(
                        "The partitions for these events were dropped "
                        "while they were written; retry later."
                    ) from e

    # -- reading ------------------------------------------------------------

    def _event_type_name(self, type_id: int) -> str:
        """The name of an event type id, from a cache reloaded on a miss
        (on a connection of its own: the caller's may be streaming). The
        reload runs outside ``_rows``: its failures are translated here,
        or a database lost between the two queries would be a 500."""
        name = self._type_names.get(type_id)
        if name is None:
            t = tables.event_type
            with (
                translate_errors(),
                self._type_names_lock,
                self.facade.reader() as conn,
            ):
                self._type_names = dict(
                    conn.execute(sa.select(t.c.id, t.c.name)).all()
                )
            name = self._type_names.get(type_id, "")
        return name

    def _rows(self, stmt, limit: int | None):
        """Execute a read, streaming large results (through a cursor on
        the server, which needs a transaction); small ones are read at
        once: one fetch rather than one per row."""
        with translate_errors():
            if limit is None or limit > STREAM_THRESHOLD:
                with self.facade.reader() as conn:
                    conn = conn.execution_options(yield_per=STREAM_CHUNK)
                    yield from conn.execute(stmt)
            else:
                yield from self.facade.read_all(stmt)

    def _marker(self, marker_filter):
        if self.dialect == "postgresql":
            return query.StoredMarker(marker_filter, self.dialect)
        # MariaDB would not bound an index range by a subquery's value.
        return super()._marker(marker_filter)

    def _get_events(self, event_filter, limit, sort, marker, encoded):
        stmt = self._events_query(event_filter, limit, sort, marker, encoded)
        listed = False
        type_name = self._event_type_name
        for row in self._rows(stmt, limit):
            listed = True
            # Unpacked, and the event made in one call: a listing makes
            # a hundred of them, and each attribute look-up of a row
            # costs as much as a call.
            position, message_id, type_id, generated, project, user = row[:6]
            if encoded:
                # The traits document is not even read: the owners are
                # in their columns, the rest is shown as stored.
                traits_json, raw_json = codec.decode_shown(row.raw)
                yield models.Event(
                    message_id,
                    type_name(type_id),
                    generated,
                    traits=codec.owner_traits(project, user),
                    position=position,
                    raw_json=raw_json,
                    traits_json=traits_json,
                )
            else:
                yield models.Event(
                    message_id,
                    type_name(type_id),
                    generated,
                    traits=codec.decode_traits(row.traits, project, user),
                    raw=codec.decode_raw(row.raw),
                    position=position,
                )
        if not listed and isinstance(marker, query.StoredMarker):
            # The end of the listing, or a marker the caller cannot see.
            super()._marker(marker.filter)

    def _events_query(self, event_filter, limit, sort, marker, encoded):
        stmt = self._events_statement(
            event_filter, limit, sort, marker, encoded
        )
        if all(query.in_column(tf) for tf in event_filter.traits):
            # GENERIC_PLAN_NOTE: without conditions on the traits
            # document, every query is an ordered range of an index chosen
            # by its columns alone (time, type, project, user, position,
            # message_id), whatever the values: PostgreSQL may plan it once
            # (prepared.py). It would keep planning a page after a marker
            # (3 ms over 30 partitions, for 0.3 ms of work), its custom
            # plans having pruned the partitions before the marker. The
            # selectivity of a condition on the document depends on its
            # value: those are planned as PostgreSQL sees fit.
            stmt = stmt.execution_options(**{prepared.GENERIC_PLAN: True})
        return stmt

    def _events_statement(self, event_filter, limit, sort, marker, encoded):
        columns = [
            E.c.position,
            E.c.message_id,
            E.c.event_type_id,
            E.c.generated,
            E.c.project_id,
            E.c.user_id,
            E.c.raw,
        ]
        if not encoded:
            columns.append(E.c.traits)
        where = query.conditions(event_filter, self.dialect)
        if isinstance(marker, query.StoredMarker):
            where.append(query.after_marker(sort, marker.keys))
        elif marker is not None:
            where.append(query.after_marker(sort, query.event_keys(marker)))
        branches = query.scope_branches(event_filter)
        if event_filter.message_id is not None:
            # At most one row. Ordering it would let PostgreSQL walk a
            # project's events in index order in every partition, looking
            # for that row, instead of probing the message_id index.
            selects = [sa.select(*columns).where(*where, *b) for b in branches]
            return selects[0] if len(selects) == 1 else sa.union_all(*selects)

        def ordered(branch):
            stmt = (
                sa.select(*columns)
                .where(*where, *branch)
                .order_by(*query.order_by(sort))
            )
            if sort[0][0] == "position":
                # A poller's read is the range after its position, however
                # few of those events are in the caller's project: MariaDB
                # would rather read the whole project and sort it, which
                # grows with the project's history.
                stmt = stmt.with_hint(E, "FORCE INDEX (PRIMARY)", "mysql")
            return (
                stmt.limit(query.literal(limit)) if limit is not None else stmt
            )

        if len(branches) == 1:
            return ordered(branches[0])
        union = sa.union_all(
            *(sa.select(ordered(b).subquery()) for b in branches)
        ).subquery()
        stmt = sa.select(union).order_by(
            *query.order_by(
                sort,
                {
                    "generated": union.c.generated,
                    "message_id": union.c.message_id,
                    "position": union.c.position,
                },
            )
        )
        return stmt.limit(query.literal(limit)) if limit is not None else stmt

    def _count_events(self, event_filter, grouping, limit):
        tally = tallies.choose(event_filter, grouping)
        for _ in range(COUNT_ATTEMPTS if tally is not None else 0):
            state = self._count_state()
            if state.waiting > tallies.FOLD_AFTER and self._fold_waiting():
                state = self._count_state()
            parts = tallies.parts(
                tally, event_filter, grouping, state, self.dialect
            )
            if parts is None:
                break
            stmt = counts.statement(
                event_filter, grouping, limit, self.dialect, parts
            )
            groups = self._groups(stmt, grouping, limit)
            # Unchanged after as before: the count was made with the
            # tables as they stood when it began.
            if self._count_state().mark == state.mark:
                return groups
        stmt = counts.statement(event_filter, grouping, limit, self.dialect)
        return self._groups(stmt, grouping, limit)

    def _groups(self, stmt, grouping, limit) -> list[models.Group]:
        return [counts.decode(r, grouping) for r in self._rows(stmt, limit)]

    def _count_state(self) -> tallies.State:
        with translate_errors():
            rows = self.facade.read_all(tallies.state_statement())
        return tallies.decode_state(rows[0])

    def _fold_waiting(self) -> bool:
        """Fold some of the events waiting, for a count: True if it did.
        A failure only leaves more of them to count from the events."""
        try:
            with translate_errors():
                return bool(self._fold_chunk())
        except exceptions.StorageError as e:
            LOG.warning("Could not fold new events into the counts: %s", e)
            return False

    def _fold_chunk(self) -> int | None:
        with self.facade.writer() as conn:
            return tallies.fold(conn, self.dialect, tallies.FOLD_CHUNK)

    def fold_counts(self) -> int:
        folded = 0
        while True:
            with translate_errors():
                done = self._retry_writes(self._fold_chunk)()
            if not done:
                return folded
            folded += done
            LOG.debug("%d events folded into the counts", folded)

    def get_event_types(self) -> Iterator[str]:
        t = tables.event_type
        stmt = sa.select(t.c.name).order_by(t.c.name)
        for row in self._rows(stmt, None):
            yield row.name

    def get_trait_types(self, event_type: str) -> Iterator[models.TraitType]:
        t = tables.trait_type
        stmt = (
            sa.select(t.c.name, t.c.dtype)
            .where(t.c.event_type_id == query.event_type_id(event_type))
            .order_by(t.c.name, t.c.dtype)
        )
        for row in self._rows(stmt, None):
            yield models.TraitType(row.name, row.dtype)

    def _trait_values(self, event_type, trait_name, start, values_needed):
        # ix_event_type_generated: event_type_id equal, then a range of
        # (generated, message_id) in index order.
        every = (
            sa.select(
                E.c.generated,
                E.c.message_id,
                E.c.traits,
                E.c.project_id,
                E.c.user_id,
            )
            .where(E.c.event_type_id == query.event_type_id(event_type))
            .order_by(*query.order_by(models.DEFAULT_SORT))
        )
        if values_needed is None:
            # One read to the end: the database drops the events without
            # the trait.
            stmt = _from_marker(every, start, inclusive=True)
            if trait_name is not None:
                stmt = stmt.where(self._has_trait(trait_name))
            yield from _decoded(self._rows(stmt, None), trait_name)
            return
        # Batches of rows in index order, each ending at its limit, the
        # trait checked here: given the trait test, PostgreSQL judges it
        # so selective that it reads the type's range to its end and
        # sorts it. Most events of a type have its traits, so one batch
        # (one more row: the first may be partly skipped) is the rule.
        batch = values_needed + (start is not None)
        marker, inclusive = start, True
        while True:
            stmt = _from_marker(every, marker, inclusive).limit(
                query.literal(batch)
            )
            rows = list(self._rows(stmt, batch))
            yield from _decoded(rows, trait_name)
            if len(rows) < batch:
                return
            marker = models.TraitMarker(
                rows[-1].generated, rows[-1].message_id
            )
            inclusive = False

    def _has_trait(self, name: str):
        column = query.COLUMN_TRAITS.get(name)
        in_column = [column.is_not(None)] if column is not None else []
        if self.dialect == "postgresql":
            doc = sa.type_coerce(E.c.traits, postgresql.JSONB)
            return sa.or_(
                *in_column,
                *(
                    doc[str(dtype)].has_key(name)
                    for dtype in models.DTYPE_NAMES
                ),
            )
        if self.dialect == "mysql":
            paths = [
                query.json_path(name, dtype) for dtype in models.DTYPE_NAMES
            ]
            return sa.or_(
                *in_column,
                sa.func.json_contains_path(E.c.traits, "one", *paths) == 1,
            )
        return sa.or_(
            *in_column,
            *(
                sa.exists().where(query.sqlite_entries(dtype).c.key == name)
                for dtype in models.DTYPE_NAMES
            ),
        )

    # -- expiry -------------------------------------------------------------

    def _prepare_expiry(self, before):
        with translate_errors():
            self._retry_writes(self._stop_counting_before)(before)

    def _stop_counting_before(self, before: datetime.datetime) -> None:
        with self.facade.writer() as conn:
            tallies.expire_before(conn, self.dialect, before)

    def _drop_storage_before(self, before):
        if self._partitions is None:
            return 0
        with translate_errors(), self.facade.autocommit() as conn:
            dropped = partitions.drop_before(conn, before)
        self._partitions.forget()
        return dropped

    def _delete_events_before(self, before, max_count):
        with translate_errors():
            return self._retry_writes(self._delete_rows_before)(
                before, max_count
            )

    def _delete_rows_before(
        self, before: datetime.datetime, max_count: int
    ) -> int:
        with self.facade.writer() as conn:
            if self.dialect == "mysql":
                # One statement walking ix_event_generated; in READ
                # COMMITTED InnoDB locks only the rows it deletes.
                return conn.execute(
                    E.delete()
                    .where(E.c.generated < before)
                    .with_dialect_options(mysql_limit=max_count)
                ).rowcount
            oldest = (
                sa.select(E.c.position)
                .where(E.c.generated < before)
                .order_by(E.c.generated)
                .limit(max_count)
            )
            return conn.execute(
                E.delete().where(E.c.position.in_(oldest.scalar_subquery()))
            ).rowcount

    def _delete_unused_event_types(self) -> None:
        with translate_errors():
            removed = self._retry_writes(self._delete_unused_types)()
        if removed:
            LOG.info(
                "Removed %d event types no event has any more", len(removed)
            )
            self._known_trait_types = {
                key for key in self._known_trait_types if key[0] not in removed
            }

    def _delete_unused_types(self) -> list[int]:
        t = tables.event_type
        with self.facade.writer() as conn:
            writer.lock_position(conn)
            used = sa.exists().where(E.c.event_type_id == t.c.id)
            unused = list(
                conn.execute(sa.select(t.c.id).where(~used)).scalars()
            )
            if unused:
                conn.execute(
                    tables.trait_type.delete().where(
                        tables.trait_type.c.event_type_id.in_(unused)
                    )
                )
                conn.execute(t.delete().where(t.c.id.in_(unused)))
            return unused


def _from_marker(stmt, marker: models.TraitMarker | None, inclusive: bool):
    if marker is None:
        return stmt
    return stmt.where(
        query.after_marker(
            models.DEFAULT_SORT,
            query.event_keys(base.marker_event(marker)),
            inclusive=inclusive,
        )
    )


def _decoded(rows, trait_name: str | None):
    """(generated, message_id) and the traits called ``trait_name`` (all
    when None) of each event row."""
    for row in rows:
        if trait_name is None:
            traits = codec.decode_traits(
                row.traits, row.project_id, row.user_id
            )
        else:
            traits = codec.decode_named_traits(
                row.traits, trait_name, row.project_id, row.user_id
            )
        yield (row.generated, row.message_id), traits
