"""Load the bench's events into a Panko 10.0.0 database, fast.

Runs under the Python of a Panko 10 venv, on a database its
``panko-dbsync`` created. Through its publisher Panko 10 writes one
transaction per event (85 to 230 events/s, 20 minutes or more for the
100k events of a query benchmark); this writes the same rows with its
own table definitions, so that its column types encode every value
(timestamps, DECIMAL seconds on MySQL, the raw JSON) as its driver does,
but a thousand events per transaction and multi-row INSERTs. Only the
order of the ``event.id`` values can differ from a publisher load, as it
does between parallel publishers.

Usage (``--bench`` is the shared bench folder, for its generator)::

    /work/peers/panko10/bin/python tools/bench/panko10_bulk_load.py \\
        --bench ../shared/bench --db-url postgresql+psycopg2://.../db \\
        --n 100000
"""

import argparse
import datetime
import os
import sys
import time

import sqlalchemy as sa

from panko.storage import impl_sqlalchemy
from panko.storage.sqlalchemy import models


def engine_for(url):
    if url.startswith("postgresql"):
        # execute_values: one INSERT per page of rows, not one per row.
        return sa.create_engine(url, executemany_mode="values")
    return sa.create_engine(url)  # PyMySQL batches executemany itself


def event_type_ids(conn, names, known):
    """``known`` completed with the ids of ``names``, created if new."""
    table = models.EventType.__table__
    if not known or not known.keys() >= set(names):
        known.update(
            dict(
                conn.execute(sa.select([table.c.desc, table.c.id])).fetchall()
            )
        )
    missing = sorted(set(names) - set(known))
    for name in missing:
        conn.execute(table.insert(), [{"desc": name}])
    if missing:
        known.update(
            dict(
                conn.execute(sa.select([table.c.desc, table.c.id])).fetchall()
            )
        )
    return known


def load_batch(conn, events, type_ids):
    table = models.Event.__table__
    type_ids = event_type_ids(conn, [e.event_type for e in events], type_ids)
    conn.execute(
        table.insert(),
        [
            {
                "message_id": e.message_id,
                "generated": e.generated,
                "raw": e.raw,
                "event_type_id": type_ids[e.event_type],
            }
            for e in events
        ],
    )
    ids = dict(
        conn.execute(
            sa.select([table.c.message_id, table.c.id]).where(
                table.c.message_id.in_([e.message_id for e in events])
            )
        ).fetchall()
    )
    by_dtype = {}
    for e in events:
        for t in e.traits:
            by_dtype.setdefault(t.dtype, []).append(
                {
                    "event_id": ids[e.message_id],
                    "key": t.name,
                    "value": t.value,
                }
            )
    for dtype, rows in by_dtype.items():
        model = impl_sqlalchemy.TRAIT_ID_TO_MODEL[dtype]
        conn.execute(model.__table__.insert(), rows)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bench", required=True)
    ap.add_argument("--db-url", required=True)
    ap.add_argument("--n", type=int, required=True)
    ap.add_argument("--start", type=int, default=0)
    ap.add_argument("--batch", type=int, default=1000)
    args = ap.parse_args()
    sys.path.insert(0, os.path.abspath(args.bench))
    import eventgen

    gen = eventgen.Generator(eventgen.DEFAULT_SEED, eventgen.DEFAULT_ANCHOR)
    engine = engine_for(args.db_url)
    type_ids = {}
    t0 = time.perf_counter()
    end = args.start + args.n
    for first in range(args.start, end, args.batch):
        events = [
            gen.event(i) for i in range(first, min(first + args.batch, end))
        ]
        with engine.begin() as conn:
            load_batch(conn, events, type_ids)
        done = first + len(events) - args.start
        if done % 10000 == 0 or first + args.batch >= end:
            elapsed = time.perf_counter() - t0
            print(
                "%s %d events, %.0f events/s"
                % (
                    datetime.datetime.utcnow().isoformat(timespec="seconds"),
                    done,
                    done / elapsed,
                ),
                flush=True,
            )


if __name__ == "__main__":
    main()
