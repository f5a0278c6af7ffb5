"""MySQL's INSERTs run one at a time while the next is encoded
(``writer._mysql_insert``)."""

from __future__ import annotations

import threading

import pytest

from panko.storage.sqlalchemy import writer


class Cursor:
    """Records the statements run, and in which thread."""

    def __init__(self, fail_on: str | None = None):
        self.ran: list[str] = []
        self.threads: set[int] = set()
        self.running = threading.Event()
        self.fail_on = fail_on

    def execute(self, statement: str) -> None:
        self.threads.add(threading.get_ident())
        self.running.set()
        if statement == self.fail_on:
            raise RuntimeError("refused: %s" % statement)
        self.ran.append(statement)


def test_statements_run_in_order_while_the_next_is_encoded():
    cursor = Cursor()
    encoded_while_running = []

    def statements():
        for number in range(5):
            if number:
                # The statement before was handed over before this one
                # is encoded.
                encoded_while_running.append(cursor.running.wait(5))
                cursor.running.clear()
            yield "INSERT %d" % number

    writer._mysql_insert(cursor, statements())
    assert cursor.ran == ["INSERT %d" % n for n in range(5)]
    assert encoded_while_running == [True] * 4
    assert threading.get_ident() not in cursor.threads


def test_a_failing_statement_stops_the_rest():
    cursor = Cursor(fail_on="INSERT 1")
    with pytest.raises(RuntimeError, match="refused: INSERT 1"):
        writer._mysql_insert(cursor, iter(["INSERT %d" % n for n in range(4)]))
    assert cursor.ran == ["INSERT 0"]


def test_a_failure_to_encode_waits_for_the_running_statement():
    cursor = Cursor()
    release = threading.Event()

    def slow_execute(statement):
        release.wait(5)
        cursor.ran.append(statement)

    cursor.execute = slow_execute

    def statements():
        yield "INSERT 0"
        release.set()
        raise ValueError("cannot encode")

    with pytest.raises(ValueError, match="cannot encode"):
        writer._mysql_insert(cursor, statements())
    # The connection is not left to a statement still running.
    assert cursor.ran == ["INSERT 0"]


def test_statements_hold_at_most_the_rows_per_statement(monkeypatch):
    monkeypatch.setattr(writer, "_mysql_values", lambda *a: iter("abcdefg"))
    monkeypatch.setattr(writer, "MYSQL_STATEMENT_ROWS", 3)
    assert list(writer._mysql_statements([], {}, [])) == [
        writer._INSERT + "a,b,c",
        writer._INSERT + "d,e,f",
        writer._INSERT + "g",
    ]
