"""``panko-listener``: store the events Ceilometer publishes on the bus."""

from __future__ import annotations

import functools
import sys

from oslo_log import log

from panko import service
from panko.listener import server
from panko.listener import workers

LOG = log.getLogger(__name__)


def main(argv: list[str] | None = None) -> int:
    """Run ``[listener] workers`` listener processes until stopped."""
    conf = service.prepare_service(sys.argv[1:] if argv is None else argv)
    try:
        server.check_conf(conf)
    except ValueError as e:
        LOG.error('%s', e)
        return 2
    count = conf.listener.workers
    if count == 1:
        return server.run(conf)
    return workers.Supervisor(functools.partial(server.run, conf),
                              count).run()
