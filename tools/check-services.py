"""Say clearly which of the services the functional tests need is down."""

import os
import socket
import sys

SERVICES = {
    "postgresql": (
        "127.0.0.1",
        5432,
        "pg_ctlcluster --skip-systemctl-redirect 15 main start",
    ),
    "mysql": (
        "127.0.0.1",
        3306,
        "start-stop-daemon --start --oknodo --background "
        "--exec /usr/sbin/mariadbd",
    ),
    "rabbitmq": ("127.0.0.1", 5672, "rabbitmq-server -detached"),
}


def is_up(host, port):
    try:
        with socket.create_connection((host, port), timeout=3):
            return True
    except OSError:
        return False


def main():
    wanted = os.environ.get("PANKO_TEST_BACKENDS")
    down = []
    for name, (host, port, start) in SERVICES.items():
        if wanted and name != "rabbitmq" and name not in wanted:
            continue
        if not is_up(host, port):
            down.append(
                "%s is not answering on %s:%d; start it with: %s"
                % (name, host, port, start)
            )
    for line in down:
        print("ERROR: " + line, file=sys.stderr)
    return 1 if down else 0


if __name__ == "__main__":
    sys.exit(main())
