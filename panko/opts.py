"""Options for oslo-config-generator (the ``oslo.config.opts`` entry)."""

import itertools

from panko.conf import api
from panko.conf import database
from panko.conf import listener
from panko.conf import mongodb
from panko.conf import storage


def list_opts():
    """Every option panko owns, by group."""
    return [
        ("DEFAULT", api.DEFAULT_OPTS),
        ("api", api.API_OPTS),
        ("database", list(itertools.chain(database.OPTS))),
        ("storage", storage.OPTS),
        ("listener", listener.OPTS),
        ("mongodb", mongodb.OPTS),
    ]
