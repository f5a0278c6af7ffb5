"""Reads of PostgreSQL as server-side prepared statements.

Planning a query of the partitioned ``event`` table costs more than
running it: with 30 daily partitions, 1 to 3 ms to plan a page of a
listing that runs in half a millisecond, since the planner weighs every
index of every partition the query may touch. A prepared statement is
planned for its first executions; then, when a generic plan costs no
more than the plans made for the values, PostgreSQL keeps it and plans
no more (partitions are then pruned as the plan starts). Plans are
remade by the server when the table changes (a partition made or
dropped).

The statements SQLAlchemy compiles for reads of a connection marked
with the ``PREPARE`` execution option are turned into ``PREPARE`` (once
per database connection) and ``EXECUTE``, in one place: the engine's
``before_cursor_execute`` event, where the statement's text and its
parameters are final. Only the reads of ``Facade.read_all`` are
marked: a streamed read goes through a cursor declared on the server
(``DECLARE ... CURSOR FOR`` a query, which an EXECUTE cannot be), and the
writers' statements run once a batch. A prepared statement lasts as
long as the server's session, whatever becomes of the transaction it was
made in.

Statements marked ``GENERIC_PLAN`` as well run with ``plan_cache_mode =
force_generic_plan``: PostgreSQL would keep planning some whose plan
does not depend on the values (see ``driver.py``). The mode is set in
the round trip of the statement that needs it changed.

``[database] prepared_statements = false`` turns this off, for poolers
that hand each transaction to another server connection (PgBouncer's
transaction mode), on which a prepared statement is not found again.
"""

from __future__ import annotations

import collections
import hashlib
import re

import sqlalchemy as sa
from sqlalchemy import event as sa_event

PREPARE = "panko_prepare"
# An execution option too, for statements whose best plan does not depend
# on the values: PostgreSQL plans them once, however their custom plans
# compare (see GENERIC_PLAN_NOTE in driver.py).
GENERIC_PLAN = "panko_generic_plan"
# Statements kept prepared per connection, the least recently used
# deallocated beyond: queries differ by their filters, not their values.
CACHE_SIZE = 100

_PARAMETER = re.compile(r"%\((\w+)\)s")
_INFO_KEY = "panko_prepared"
_MODE_KEY = "panko_plan_cache_mode"


def install(engine: sa.engine.Engine) -> None:
    """Execute the marked reads of ``engine`` as prepared statements."""

    @sa_event.listens_for(engine, "before_cursor_execute", retval=True)
    def _before(conn, cursor, statement, parameters, context, executemany):
        if (
            executemany
            or context is None
            or not context.execution_options.get(PREPARE)
            or not isinstance(parameters, dict)
        ):
            return statement, parameters
        execute = _execute_prepared(conn.info, cursor, statement)
        mode = (
            "force_generic_plan"
            if context.execution_options.get(GENERIC_PLAN)
            else "auto"
        )
        if conn.info.get(_MODE_KEY) != mode:
            # In the same round trip; the connection keeps it until the
            # next statement that wants the other.
            execute = "SET plan_cache_mode = %s; %s" % (mode, execute)
            conn.info[_MODE_KEY] = mode
        return execute, parameters


def _execute_prepared(info: dict, cursor, statement: str) -> str:
    """The EXECUTE of ``statement`` (pyformat), prepared first on this
    connection if it is not yet. Known statements are found by their
    text, so that a request pays a dictionary look-up, not a digest."""
    prepared = info.setdefault(_INFO_KEY, collections.OrderedDict())
    known = prepared.get(statement)
    if known is not None:
        prepared.move_to_end(statement)
        return known[1]
    digest = hashlib.blake2b(statement.encode(), digest_size=12)
    name = "panko_" + digest.hexdigest()
    names = []
    for parameter in _PARAMETER.findall(statement):
        if parameter not in names:
            names.append(parameter)
    positions = {n: "$%d" % (i + 1) for i, n in enumerate(names)}
    text = _PARAMETER.sub(lambda m: positions[m.group(1)], statement)
    # psycopg2 leaves a statement without parameters as it is: the
    # escaped percent signs of the pyformat text are unescaped here.
    cursor.execute("PREPARE %s AS %s" % (name, text.replace("%%", "%")))
    execute = "EXECUTE %s" % name
    if names:
        execute += " (%s)" % ", ".join("%%(%s)s" % n for n in names)
    prepared[statement] = (name, execute)
    if len(prepared) > CACHE_SIZE:
        _, (oldest, _) = prepared.popitem(last=False)
        cursor.execute("DEALLOCATE %s" % oldest)
    return execute
