"""Option registration: one module per option group.

Nothing is registered at import time: callers hand in the ``ConfigOpts``
they own (``register_opts(conf)``), so the API, the publisher inside
Ceilometer and the tests can each have their own configuration.
"""

from oslo_config import cfg
from oslo_db import options as db_options

from panko.conf import api
from panko.conf import database
from panko.conf import listener
from panko.conf import mongodb
from panko.conf import storage

# (group, options) pairs that panko owns; oslo.db's, oslo.log's,
# oslo.policy's and keystonemiddleware's are registered by those libraries.
OWN_OPTS = [
    (None, api.DEFAULT_OPTS),
    ("api", api.API_OPTS),
    ("database", database.OPTS),
    ("storage", storage.OPTS),
    ("listener", listener.OPTS),
    ("mongodb", mongodb.OPTS),
]


def register_opts(conf: cfg.ConfigOpts) -> None:
    """Register every option panko reads on ``conf``."""
    db_options.set_defaults(conf)
    for group, opts in OWN_OPTS:
        conf.register_opts(opts, group=group)
