"""A SecantusDB server for the functional tests, in a process of its own.

SecantusDB speaks MongoDB's wire protocol over the WiredTiger engine. It
is GPL-licensed, so it is a test requirement only: panko never imports
it. Run as ``python -m panko.tests.secantus DATA_DIR``: the server listens
on a free port of 127.0.0.1, prints that port on a line of its own, and
stops when its standard input closes, so that it never outlives the test
process that started it, even one that was killed.
"""

from __future__ import annotations

import sys

# The TTL monitor of MongoDB wakes every 60 s; the tests of the TTL index
# should not wait that long.
TTL_SWEEP_SECONDS = 1.0


def main() -> int:
    from secantus import SecantusDBServer

    server = SecantusDBServer(
        host="127.0.0.1",
        port=0,
        storage_path=sys.argv[1],
        ttl_sweep_seconds=TTL_SWEEP_SECONDS,
    )
    server.start()
    print(server.address[1], flush=True)
    try:
        sys.stdin.read()
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
