"""A TCP proxy that fails on command, for fault tests.

``FaultProxy`` listens on a free port of 127.0.0.1 and forwards each
connection to a target server (PostgreSQL, MariaDB, RabbitMQ). A test
points its client at the proxy, then makes the server disappear without
touching the shared one:

* ``cut()`` resets every live connection (RST), as a server that died
  would; new connections are still forwarded.
* ``refuse()`` cuts, then resets every new connection until
  ``resume()``: the server is down.
* ``cut_on(pattern)`` arms a one-shot fault inside a conversation: the
  next time the client sends ``pattern`` (``b"COMMIT"``, ``b"COPY "``),
  that connection is cut, either before the pattern reaches the server
  (``deliver=False``), ``extra`` bytes after it (mid-statement), or once
  the server has answered it, the answer being lost
  (``lose_answer=True``: a commit that happened though the client never
  heard so).

Waits are on conditions with timeouts, never fixed sleeps, so tests using
the proxy are deterministic.
"""

from __future__ import annotations

import contextlib
import socket
import threading

_LINGER_RESET = b"\x01\x00\x00\x00\x00\x00\x00\x00"
_CHUNK = 65536


def reset(sock: socket.socket) -> None:
    """Close ``sock`` with an RST instead of an orderly FIN.

    Shutting the reading side first wakes a thread blocked reading it,
    which would otherwise keep the socket open past close().
    """
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_RESET)
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RD)
    with contextlib.suppress(OSError):
        sock.close()


class Trap:
    """A one-shot fault armed on the client-to-server stream."""

    def __init__(
        self, pattern: bytes, deliver: bool, extra: int, lose_answer: bool
    ):
        self.pattern = pattern
        self.deliver = deliver or lose_answer or extra > 0
        self.extra = extra
        self.lose_answer = lose_answer
        # Set once the connection has been cut.
        self.sprung = threading.Event()
        # With lose_answer: whether the server's answer arrived (and was
        # kept from the client) before the cut.
        self.answered = False

    def wait(self, timeout: float = 10.0) -> bool:
        return self.sprung.wait(timeout)


class _Pair:
    """One client connection and its upstream connection."""

    def __init__(self, client: socket.socket, upstream: socket.socket):
        self.client = client
        self.upstream = upstream
        self.closed = threading.Event()
        # Set while the server's answers must not reach the client, and
        # once one of them has arrived.
        self.mute = threading.Event()
        self.answered = threading.Event()

    def close(self) -> None:
        self.closed.set()
        reset(self.client)
        reset(self.upstream)


class FaultProxy:
    """Forwards ``127.0.0.1:<port>`` to ``(host, port)`` until told to
    fail; see the module docstring."""

    def __init__(self, host: str, port: int):
        self.target = (host, port)
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(128)
        self.port = self._listener.getsockname()[1]
        self._lock = threading.Lock()
        self._pairs: set[_Pair] = set()
        self._refusing = False
        self._trap: Trap | None = None
        self._stopped = False
        # Counters a test reports: connections forwarded, refused, cut.
        self.accepted = 0
        self.refused = 0
        self.cuts = 0
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def __enter__(self) -> FaultProxy:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def address(self) -> str:
        return "127.0.0.1:%d" % self.port

    def url_for(self, url: str) -> str:
        """``url`` with the target's ``host:port`` replaced by the
        proxy's."""
        target = "%s:%d" % self.target
        if target not in url:
            raise ValueError("%s does not point at %s" % (url, target))
        return url.replace(target, self.address, 1)

    @property
    def live(self) -> int:
        """How many connections are being forwarded."""
        with self._lock:
            return len(self._pairs)

    def cut(self) -> int:
        """Reset every live connection; return how many there were."""
        with self._lock:
            pairs, self._pairs = self._pairs, set()
            self.cuts += len(pairs)
        for pair in pairs:
            pair.close()
        return len(pairs)

    def refuse(self) -> int:
        """Cut every live connection and reset new ones until
        ``resume()``; return how many were cut."""
        with self._lock:
            self._refusing = True
        return self.cut()

    def resume(self) -> None:
        with self._lock:
            self._refusing = False

    def cut_on(
        self,
        pattern: bytes,
        deliver: bool = False,
        extra: int = 0,
        lose_answer: bool = False,
    ) -> Trap:
        """Cut the next connection whose client sends ``pattern``.

        ``deliver=False`` drops the pattern and what follows; ``extra``
        forwards that many bytes past it first (a statement cut in the
        middle); ``lose_answer`` forwards it and cuts once the server's
        answer has arrived, which the client never gets.
        """
        trap = Trap(pattern, deliver, extra, lose_answer)
        with self._lock:
            self._trap = trap
        return trap

    def close(self) -> None:
        self._stopped = True
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        self._thread.join(5)
        self.cut()

    # -- forwarding ---------------------------------------------------------

    def _accept(self) -> None:
        while not self._stopped:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                refusing = self._refusing
                if refusing:
                    self.refused += 1
            if refusing:
                reset(client)
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                reset(client)
                continue
            upstream.settimeout(None)
            client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            upstream.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            pair = _Pair(client, upstream)
            with self._lock:
                if self._refusing or self._stopped:
                    pair.close()
                    continue
                self._pairs.add(pair)
                self.accepted += 1
            threading.Thread(
                target=self._client_to_server, args=(pair,), daemon=True
            ).start()
            threading.Thread(
                target=self._server_to_client, args=(pair,), daemon=True
            ).start()

    def _drop(self, pair: _Pair) -> None:
        with self._lock:
            if pair in self._pairs:
                self._pairs.discard(pair)
        pair.close()

    def _take_trap(self, seen: bytes, new: int) -> tuple[Trap, int] | None:
        """The armed trap and where its pattern ends in ``seen``, if it
        ends in the last ``new`` bytes of it; disarms it."""
        with self._lock:
            trap = self._trap
            if trap is None:
                return None
            first = max(0, len(seen) - new - len(trap.pattern) + 1)
            at = seen.find(trap.pattern, first)
            if at < 0:
                return None
            self._trap = None
            return trap, at + len(trap.pattern)

    def _client_to_server(self, pair: _Pair) -> None:
        tail = b""
        try:
            while not pair.closed.is_set():
                data = pair.client.recv(_CHUNK)
                if not data:
                    break
                seen = tail + data
                found = self._take_trap(seen, len(data))
                if found is None:
                    pair.upstream.sendall(data)
                    tail = seen[-64:]
                    continue
                trap, end = found
                # Offsets in ``seen`` less the tail are offsets in data.
                end -= len(tail)
                self._spring(pair, trap, data, end)
                return
        except OSError:
            pass
        self._drop(pair)

    def _spring(self, pair: _Pair, trap: Trap, data: bytes, end: int) -> None:
        start = end - len(trap.pattern)
        if not trap.deliver:
            pair.upstream.sendall(data[: max(start, 0)])
            self._cut_pair(pair, trap)
            return
        if trap.lose_answer:
            pair.mute.set()
            pair.upstream.sendall(data)
            # The client's side goes at once; the server's stays open until
            # it has answered, so that what the client sent is processed.
            reset(pair.client)
            trap.answered = pair.answered.wait(5.0)
            self._cut_pair(pair, trap)
            return
        pair.upstream.sendall(data[: end + trap.extra])
        if len(data) < end + trap.extra:
            # The rest of the extra bytes come in later reads.
            missing = end + trap.extra - len(data)
            while missing > 0:
                more = pair.client.recv(min(missing, _CHUNK))
                if not more:
                    break
                pair.upstream.sendall(more)
                missing -= len(more)
        self._cut_pair(pair, trap)

    def _cut_pair(self, pair: _Pair, trap: Trap) -> None:
        with self._lock:
            self.cuts += 1
        self._drop(pair)
        trap.sprung.set()

    def _server_to_client(self, pair: _Pair) -> None:
        try:
            while not pair.closed.is_set():
                data = pair.upstream.recv(_CHUNK)
                if not data:
                    break
                if pair.mute.is_set():
                    pair.answered.set()
                    continue
                pair.client.sendall(data)
        except OSError:
            pass
        if not pair.mute.is_set():
            self._drop(pair)
