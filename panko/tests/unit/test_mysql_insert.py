"""MySQL's INSERTs run one at a time, each encoded while the one before
runs (``writer._mysql_insert``)."""

from __future__ import annotations

import itertools
import types

import pytest

from panko.storage.sqlalchemy import writer


class Connection:
    """Records, in order, what a PyMySQL connection is asked to do: send
    a statement, read the answer to the statement in flight."""

    def __init__(self, fail_on: str | None = None):
        self.log: list[tuple] = []
        self.in_flight: str | None = None
        self.fail_on = fail_on

    def _execute_command(self, command: int, sql: bytes) -> None:
        assert command == 3  # COM_QUERY
        # The protocol allows one statement in flight at a time.
        assert self.in_flight is None, "sent before the answer was read"
        self.in_flight = sql.decode()
        self.log.append(("send", self.in_flight))

    def _read_query_result(self, unbuffered: bool = False) -> int:
        assert self.in_flight is not None, "nothing to read"
        statement, self.in_flight = self.in_flight, None
        self.log.append(("read", statement))
        if statement == self.fail_on:
            raise RuntimeError("refused: %s" % statement)
        self._result = types.SimpleNamespace(
            affected_rows=1, insert_id=7, rows=((0, statement, None),)
        )
        return 1


def encoded(connection: Connection, count: int, fail_at: int | None = None):
    for number in range(count):
        if number == fail_at:
            connection.log.append(("encode failed", number))
            raise ValueError("cannot encode")
        connection.log.append(("encode", number))
        yield "INSERT %d" % number


def test_each_statement_is_encoded_while_the_one_before_runs():
    connection = Connection()
    writer._mysql_insert(connection, encoded(connection, 3))
    assert connection.log == [
        ("encode", 0),
        ("send", "INSERT 0"),
        ("encode", 1),
        ("read", "INSERT 0"),
        ("send", "INSERT 1"),
        ("encode", 2),
        ("read", "INSERT 1"),
        ("send", "INSERT 2"),
        ("read", "INSERT 2"),
    ]
    assert connection.in_flight is None


def test_work_after_the_rows_is_done_while_the_last_statement_runs():
    connection = Connection()
    statements = itertools.chain(
        encoded(connection, 2),
        writer._then(lambda: connection.log.append(("work", None))),
    )
    writer._mysql_insert(connection, statements)
    assert connection.log[-3:] == [
        ("send", "INSERT 1"),
        ("work", None),
        ("read", "INSERT 1"),
    ]


def test_a_failing_statement_stops_the_rest():
    connection = Connection(fail_on="INSERT 1")
    with pytest.raises(RuntimeError, match="refused: INSERT 1"):
        writer._mysql_insert(connection, encoded(connection, 4))
    sent = [entry[1] for entry in connection.log if entry[0] == "send"]
    assert sent == ["INSERT 0", "INSERT 1"]
    assert connection.in_flight is None


def test_a_failure_to_encode_reads_the_statement_in_flight():
    connection = Connection()
    with pytest.raises(ValueError, match="cannot encode"):
        writer._mysql_insert(connection, encoded(connection, 3, fail_at=1))
    # The connection is not left with an answer unread: the rollback that
    # follows would read it as its own.
    assert connection.log[-2:] == [
        ("encode failed", 1),
        ("read", "INSERT 0"),
    ]
    assert connection.in_flight is None


def test_a_statement_answers_while_the_caller_works():
    connection = Connection()
    runner = writer._MySQLStatements(connection)
    answer = runner.run(
        "SELECT 1", lambda: connection.log.append(("work", None))
    )
    assert answer == (1, 7, ((0, "SELECT 1", None),))
    assert connection.log == [
        ("send", "SELECT 1"),
        ("work", None),
        ("read", "SELECT 1"),
    ]


def test_other_drivers_run_the_statements_one_after_the_other():
    ran = []

    class Cursor:
        closed = False
        description = None  # an INSERT returns no rows
        rowcount = 1
        lastrowid = 0

        def execute(self, statement):
            ran.append(statement)

        def close(self):
            Cursor.closed = True

    class OtherConnection:
        def cursor(self):
            return Cursor()

    writer._mysql_insert(OtherConnection(), iter(["INSERT 0", "INSERT 1"]))
    assert ran == ["INSERT 0", "INSERT 1"]
    assert Cursor.closed


def test_statements_hold_at_most_the_rows_per_statement(monkeypatch):
    monkeypatch.setattr(writer, "_mysql_values", lambda *a: iter("abcdefg"))
    monkeypatch.setattr(writer, "MYSQL_STATEMENT_ROWS", 3)
    assert list(writer._mysql_statements([], {}, [])) == [
        writer._INSERT + "a,b,c",
        writer._INSERT + "d,e,f",
        writer._INSERT + "g",
    ]


def test_pymysql_still_has_the_calls_the_overlap_uses():
    """PyMySQL's ``query()`` is the pair of private calls the writer
    makes apart, and the answer it leaves in ``_result``; a PyMySQL that
    renames them would quietly make every INSERT wait for the next
    one's encoding (the fallback), so this fails first."""
    import inspect

    from pymysql import connections

    query = inspect.getsource(connections.Connection.query)
    assert "self._execute_command(COMMAND.COM_QUERY, sql)" in query
    assert "self._read_query_result(" in query
    read = inspect.getsource(connections.Connection._read_query_result)
    assert "self._result = result" in read
    assert writer._COM_QUERY == connections.COMMAND.COM_QUERY
    unconnected = connections.Connection(defer_connect=True)
    runner = writer._MySQLStatements(unconnected)
    assert runner._send is not None and runner._read is not None
