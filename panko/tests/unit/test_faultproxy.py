"""The fault-injecting TCP proxy the fault tests rely on."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from panko.tests import faultproxy


class RecordingServer:
    """Answers ``ok`` to every read and records what each connection
    sent, until it closes."""

    def __init__(self):
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(16)
        self.port = self._sock.getsockname()[1]
        self.received: list[bytearray] = []
        self.ended = threading.Semaphore(0)
        self._cond = threading.Condition()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            buf = bytearray()
            with self._cond:
                self.received.append(buf)
            threading.Thread(
                target=self._serve, args=(conn, buf), daemon=True
            ).start()

    def _serve(self, conn, buf):
        try:
            while True:
                data = conn.recv(4096)
                if not data:
                    break
                with self._cond:
                    buf.extend(data)
                    self._cond.notify_all()
                conn.sendall(b"ok")
        except OSError:
            pass
        finally:
            conn.close()
            self.ended.release()

    def wait_received(self, index, size, timeout=5.0):
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(self.received) <= index or (
                len(self.received[index]) < size
            ):
                left = deadline - time.monotonic()
                assert left > 0, "the server did not get %d bytes" % size
                self._cond.wait(left)
            return bytes(self.received[index])

    def close(self):
        self._sock.close()


@pytest.fixture
def server():
    server = RecordingServer()
    yield server
    server.close()


@pytest.fixture
def proxy(server):
    with faultproxy.FaultProxy("127.0.0.1", server.port) as proxy:
        yield proxy


def connect(proxy):
    sock = socket.create_connection(("127.0.0.1", proxy.port), timeout=5)
    return sock


def exchange(sock, data: bytes) -> bytes:
    sock.sendall(data)
    return sock.recv(100)


def assert_reset(sock, answered=False):
    """The connection ends (reset or closed), after the server's answers
    to what reached it when ``answered``, else at once."""
    got = b""
    while True:
        try:
            data = sock.recv(100)
        except ConnectionError:
            break
        if not data:
            break
        got += data
    if answered:
        assert got == b"ok" * (len(got) // 2)
    else:
        assert got == b""


def assert_refused(proxy):
    """A new connection is reset at once (as it is accepted, or as the
    client reads)."""
    try:
        sock = connect(proxy)
    except ConnectionError:
        return
    with sock:
        assert_reset(sock)


def test_forwards_both_ways(proxy, server):
    with connect(proxy) as sock:
        assert exchange(sock, b"hello") == b"ok"
    assert server.wait_received(0, 5) == b"hello"
    assert proxy.accepted == 1


def test_cut_resets_live_connections_and_takes_new_ones(proxy, server):
    first, second = connect(proxy), connect(proxy)
    assert exchange(first, b"a") == b"ok"
    assert exchange(second, b"b") == b"ok"
    assert proxy.cut() == 2
    assert_reset(first)
    assert_reset(second)
    with connect(proxy) as third:
        assert exchange(third, b"c") == b"ok"
    first.close()
    second.close()


def test_refuse_resets_new_connections_until_resumed(proxy, server):
    live = connect(proxy)
    assert exchange(live, b"a") == b"ok"
    assert proxy.refuse() == 1
    assert_reset(live)
    assert_refused(proxy)
    assert proxy.refused == 1
    proxy.resume()
    with connect(proxy) as sock:
        assert exchange(sock, b"b") == b"ok"
    live.close()


def test_cut_before_the_pattern_reaches_the_server(proxy, server):
    trap = proxy.cut_on(b"COMMIT")
    with connect(proxy) as sock:
        assert exchange(sock, b"INSERT 1;") == b"ok"
        sock.sendall(b"more;COMMIT;")
        assert trap.wait()
        assert_reset(sock, answered=True)
    assert server.ended.acquire(timeout=5)
    assert bytes(server.received[0]) == b"INSERT 1;more;"


def test_cut_in_the_middle_of_a_statement(proxy, server):
    trap = proxy.cut_on(b"COPY ", extra=4)
    with connect(proxy) as sock:
        sock.sendall(b"COPY ")
        sock.sendall(b"ab")
        sock.sendall(b"cdefgh")
        assert trap.wait()
        assert_reset(sock, answered=True)
    assert server.ended.acquire(timeout=5)
    assert bytes(server.received[0]) == b"COPY abcd"


def test_answer_lost_after_the_server_processed_it(proxy, server):
    trap = proxy.cut_on(b"COMMIT", lose_answer=True)
    with connect(proxy) as sock:
        assert exchange(sock, b"BEGIN;") == b"ok"
        sock.sendall(b"COMMIT;")
        assert trap.wait()
        assert_reset(sock)
    # The server got the whole command and answered; the client never
    # saw the answer.
    assert server.wait_received(0, 13) == b"BEGIN;COMMIT;"
    assert trap.answered
    assert proxy.cuts == 1


def test_pattern_split_across_reads_is_found(proxy, server):
    trap = proxy.cut_on(b"COMMIT")
    with connect(proxy) as sock:
        assert exchange(sock, b"x;COM") == b"ok"
        sock.sendall(b"MIT;")
        assert trap.wait()
        assert_reset(sock)
    assert server.ended.acquire(timeout=5)
    # "COM" had gone before the pattern could be recognised.
    assert bytes(server.received[0]) == b"x;COM"


def test_a_trap_springs_once(proxy, server):
    trap = proxy.cut_on(b"COMMIT")
    with connect(proxy) as sock:
        sock.sendall(b"COMMIT")
        assert trap.wait()
    with connect(proxy) as sock:
        assert exchange(sock, b"COMMIT") == b"ok"


def test_url_for_points_at_the_proxy(proxy, server):
    url = "postgresql://root@127.0.0.1:%d/db" % server.port
    assert proxy.url_for(url) == "postgresql://root@%s/db" % proxy.address
    with pytest.raises(ValueError):
        proxy.url_for("postgresql://root@10.0.0.1:5432/db")
