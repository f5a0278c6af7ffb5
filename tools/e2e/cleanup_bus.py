"""Delete the queues and exchanges an e2e run created (e2e check).

Usage: cleanup_bus.py AMQP_URL EXCHANGE[,EXCHANGE...] QUEUE[,QUEUE...]
"""

import contextlib
import sys

import kombu


def main(url, exchanges, queues):
    with kombu.Connection(url) as connection:
        # A channel per deletion: a failed one closes its channel.
        for queue in filter(None, queues.split(",")):
            with contextlib.suppress(Exception), connection.channel() as ch:
                ch.queue_delete(queue)
        for exchange in filter(None, exchanges.split(",")):
            with contextlib.suppress(Exception), connection.channel() as ch:
                ch.exchange_delete(exchange)


if __name__ == "__main__":
    main(*sys.argv[1:])
