"""Statements rewritten as PREPARE and EXECUTE (``prepared.py``)."""

from __future__ import annotations

from panko.storage.sqlalchemy import prepared


class Cursor:
    def __init__(self):
        self.executed = []

    def execute(self, statement):
        self.executed.append(statement)


def test_prepared_once_then_executed_with_positional_parameters():
    info, cursor = {}, Cursor()
    statement = (
        "SELECT a FROM t WHERE b = %(b_1)s::VARCHAR AND c LIKE 'x%%' "
        "AND d > %(d_1)s OR b = %(b_1)s"
    )
    first = prepared._execute_prepared(info, cursor, statement)
    [prepare] = cursor.executed
    name = prepare.split()[1]
    assert prepare == (
        "PREPARE %s AS SELECT a FROM t WHERE b = $1::VARCHAR AND c LIKE "
        "'x%%' AND d > $2 OR b = $1" % name
    ).replace("%%", "%")
    assert first == "EXECUTE %s (%%(b_1)s, %%(d_1)s)" % name
    again = prepared._execute_prepared(info, cursor, statement)
    assert again == first
    assert len(cursor.executed) == 1


def test_statement_without_parameters():
    info, cursor = {}, Cursor()
    executed = prepared._execute_prepared(info, cursor, "SELECT 1")
    assert executed.startswith("EXECUTE panko_")
    assert "(" not in executed


def test_least_recently_used_statements_are_deallocated():
    info, cursor = {}, Cursor()
    statements = ["SELECT %d" % i for i in range(prepared.CACHE_SIZE + 2)]
    for statement in statements[: prepared.CACHE_SIZE]:
        prepared._execute_prepared(info, cursor, statement)
    # The first is used again: the second is now the oldest.
    prepared._execute_prepared(info, cursor, statements[0])
    for statement in statements[prepared.CACHE_SIZE :]:
        prepared._execute_prepared(info, cursor, statement)
    deallocated = [s for s in cursor.executed if s.startswith("DEALLOCATE")]
    names = [s.split()[1] for s in cursor.executed if s.startswith("PREPARE")]
    assert deallocated == ["DEALLOCATE " + names[1], "DEALLOCATE " + names[2]]
    assert len(info[prepared._INFO_KEY]) == prepared.CACHE_SIZE
