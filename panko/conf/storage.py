"""The ``[storage]`` group of Panko 10, kept so old files still load.

Panko 10 registered these options but its drivers never read them; panko
honours them as fallbacks for ``[database] max_retries`` and
``retry_interval`` when those are left at their defaults.
"""

from oslo_config import cfg

OPTS = [
    cfg.IntOpt(
        "max_retries",
        default=None,
        deprecated_for_removal=True,
        deprecated_reason="Use [database] max_retries.",
        help="Deprecated alias of [database] max_retries.",
    ),
    cfg.IntOpt(
        "retry_interval",
        default=None,
        deprecated_for_removal=True,
        deprecated_reason="Use [database] retry_interval.",
        help="Deprecated alias of [database] retry_interval.",
    ),
]
