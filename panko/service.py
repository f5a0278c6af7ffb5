"""Building the configuration of a panko process.

Every entry point finds its configuration file the same way: the
``--config-file`` it was given on its command line, else the file named by
``PANKO_CONFIG_FILE``, else ``/etc/panko/panko.conf`` when it exists.
oslo.config's environment variables (``OS_DATABASE__CONNECTION`` ...) apply
on top of the file, so one file can serve several databases.
"""

from __future__ import annotations

import os

from oslo_config import cfg
from oslo_log import log

from panko import conf as panko_conf
from panko import storage

DEFAULT_CONFIG_FILE = "/etc/panko/panko.conf"
CONFIG_FILE_ENV = "PANKO_CONFIG_FILE"


def default_config_files() -> list[str]:
    """The configuration files used when none is given explicitly."""
    from_env = os.environ.get(CONFIG_FILE_ENV)
    if from_env:
        return [from_env]
    if os.path.exists(DEFAULT_CONFIG_FILE):
        return [DEFAULT_CONFIG_FILE]
    return []


def new_conf() -> cfg.ConfigOpts:
    """A ConfigOpts with every panko option registered, nothing parsed.

    The defaults panko sets on the API's libraries (CORS, oslo.policy) are
    applied by the API itself (``panko.conf.defaults``), so that the
    publisher and the commands do not import the web stack.
    """
    conf = cfg.ConfigOpts()
    panko_conf.register_opts(conf)
    return conf


def prepare_service(
    argv: list[str] | None = None,
    config_files: list[str] | None = None,
    conf: cfg.ConfigOpts | None = None,
    setup_logging: bool = True,
) -> cfg.ConfigOpts:
    """Parse ``argv`` and the configuration files into a ConfigOpts.

    :param argv: the command line without the program name; ``[]`` for a
        process that has no command line of its own.
    :param config_files: files to read instead of the default lookup.
    :param setup_logging: set up oslo.log for this process. The publisher,
        which runs inside Ceilometer, passes False.
    """
    conf = conf or new_conf()
    if setup_logging:
        log.register_options(conf)
    if config_files is None and not _has_config_arg(argv or []):
        config_files = default_config_files()
    conf(
        argv if argv is not None else [],
        project="panko",
        validate_default_values=True,
        default_config_files=config_files,
        use_env=True,
    )
    if setup_logging:
        log.set_defaults(
            default_log_levels=log.get_default_log_levels()
            + [
                "alembic.runtime.plugins=WARN",
                "alembic.runtime.migration=WARN",
            ]
        )
        log.setup(conf, "panko")
    return conf


def check_values(conf: cfg.ConfigOpts) -> None:
    """Check the configuration as a process starts.

    Every option is read once, so that a bad value in a file or in the
    environment is reported now, naming the option, rather than when it is
    first used, and so that oslo.config warns once about each deprecated
    option in use (the Elasticsearch options left over from Panko 10
    among them, whose warning says they are ignored). A connection URL of
    a backend panko does not ship raises UnsupportedBackend.
    """
    for _name, value in list(conf.items()):
        if isinstance(value, cfg.ConfigOpts.GroupAttr):
            for opt_name in list(value):
                value[opt_name]
    storage.check_backend(storage.connection_url(conf))


def _has_config_arg(argv: list[str]) -> bool:
    return any(
        a == "--config-file"
        or a.startswith("--config-file=")
        or a == "--config-dir"
        or a.startswith("--config-dir=")
        for a in argv
    )
