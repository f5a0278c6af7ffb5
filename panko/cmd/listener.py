"""``panko-listener``: store the events Ceilometer publishes on the bus."""

from __future__ import annotations

import functools
import sys

from oslo_config import cfg
from oslo_log import log

from panko import cmd
from panko import service
from panko.listener import replay
from panko.listener import server
from panko.listener import workers
from panko.storage import exceptions

LOG = log.getLogger(__name__)

CLI_OPTS = [
    cfg.BoolOpt(
        "replay-dead-letters",
        default=False,
        help="Instead of listening, send the messages of the "
        "dead-letter queue back to the first of [listener] "
        "topics, for the running listeners to store, and "
        "exit.",
    ),
]


@cmd.clean_errors
def main(argv: list[str] | None = None) -> int:
    """Run ``[listener] workers`` listener processes until stopped."""
    conf = service.new_conf()
    conf.register_cli_opts(CLI_OPTS)
    service.prepare_service(sys.argv[1:] if argv is None else argv, conf=conf)
    try:
        service.check_values(conf)
        server.check_conf(conf)
    except (ValueError, cfg.Error, exceptions.UnsupportedBackend) as e:
        LOG.error("%s", e)
        return 2
    if conf.replay_dead_letters:
        return replay.run(conf)
    count = conf.listener.workers
    if count == 1:
        return server.run(conf)
    return workers.Supervisor(functools.partial(server.run, conf), count).run()
