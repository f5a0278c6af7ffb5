"""``panko-status upgrade check``: is this deployment ready to run?

Run it after installing a new panko and running ``panko-dbsync``, before
starting the services again. Each check answers Success, Warning (panko
runs, but something needs the operator's attention) or Failure (panko
cannot serve until it is fixed); the exit status is the worst of them
(0, 1 or 2), 255 when a check itself broke.

The configuration is found as by every panko command: ``--config-file``,
else ``PANKO_CONFIG_FILE``, else ``/etc/panko/panko.conf``.
"""

from __future__ import annotations

import configparser
import sys
from urllib import parse

from oslo_config import cfg
from oslo_upgradecheck import upgradecheck
from oslo_utils import fileutils

from panko import cmd
from panko import opts
from panko import service
from panko import storage
from panko.conf import defaults
from panko.storage import exceptions

Code = upgradecheck.Code
Result = upgradecheck.Result

# What replaces each deprecated option of panko's own groups, where an
# option replaces it; the others are read by nothing at all.
REPLACEMENTS = {
    ("database", "event_connection"): "[database] connection",
    ("storage", "max_retries"): "[database] max_retries",
    ("storage", "retry_interval"): "[database] retry_interval",
}

# Options Panko 10's libraries read that today's no longer do: a file that
# still sets them is read as if they were not there.
DROPPED_LIBRARY_OPTIONS = {
    ("keystone_authtoken", "auth_uri"): "set www_authenticate_uri instead",
    ("oslo_policy", "enforce_scope"): "scopes are always enforced now",
    ("DEFAULT", "use_eventlog"): "log to syslog or journald instead",
    ("DEFAULT", "watch_log_file"): "reopen logs with the log rotator",
    ("database", "mysql_enable_ndb"): "MySQL Cluster is not supported",
}

CONVERT_COMMAND = (
    "oslopolicy-convert-json-to-yaml --namespace panko "
    "--policy-file %s --output-file %s"
)


def hide_password(url: str) -> str:
    """``url`` with its password, if any, replaced by ``***``."""
    parts = parse.urlsplit(url)
    if parts.password is None:
        return url
    netloc = "%s:***@%s" % (
        parts.username or "",
        parts.netloc.rsplit("@", 1)[1],
    )
    return parse.urlunsplit(parts._replace(netloc=netloc))


class Checks(upgradecheck.UpgradeCommands):
    """The checks of ``panko-status upgrade check``."""

    def __init__(self, conf: cfg.ConfigOpts):
        self.conf = conf

    def _check_schema(self) -> Result:
        url = storage.connection_url(self.conf)
        where = hide_password(url)
        try:
            connection = storage.get_connection(self.conf, url)
        except exceptions.StorageError as e:
            return Result(Code.FAILURE, str(e))
        try:
            outdated = connection.needs_upgrade()
        except exceptions.StorageError as e:
            reason = " ".join(str(e).split()).rstrip(".")
            return Result(
                Code.FAILURE,
                "Cannot read the schema of the database %s (%s). Check "
                "[database] connection and that the database is up."
                % (where, reason),
            )
        finally:
            connection.close()
        if outdated:
            return Result(
                Code.FAILURE,
                "The schema of the database %s is not the one this panko "
                "needs (it is missing, older, or Panko 10's). Run "
                "panko-dbsync, which also converts a Panko 10 database in "
                "place, before starting panko." % where,
            )
        return Result(Code.SUCCESS, "The schema of %s is current." % where)

    def _check_policy_file(self) -> Result:
        name = self.conf.oslo_policy.policy_file
        path = self.conf.find_file(name)
        if path and fileutils.is_json(path):
            yaml_path = path.rsplit(".", 1)[0] + ".yaml"
            return Result(
                Code.WARNING,
                "The policy file %s is JSON, a format oslo.policy no "
                "longer promises to read. Convert it with: %s, then set "
                "[oslo_policy] policy_file = %s."
                % (path, CONVERT_COMMAND % (path, yaml_path), yaml_path),
            )
        if path:
            return Result(Code.SUCCESS, "The policy file %s is YAML." % path)
        stale = self.conf.find_file("policy.json")
        if stale:
            yaml_path = stale.rsplit(".", 1)[0] + ".yaml"
            return Result(
                Code.WARNING,
                "%s is not read: [oslo_policy] policy_file is %s, which "
                "does not exist, so the rules in code apply. If %s holds "
                "rules you still want, convert it with: %s"
                % (stale, name, stale, CONVERT_COMMAND % (stale, yaml_path)),
            )
        return Result(
            Code.SUCCESS,
            "No policy file (%s): the rules in code apply." % name,
        )

    def _check_deprecated_options(self) -> Result:
        found = []
        for group, group_opts in opts.list_opts():
            for opt in group_opts:
                if not opt.deprecated_for_removal:
                    continue
                info = self.conf.get_location(opt.dest, group)
                # No location: the option is unset and has no default.
                if info is None or info.location in (
                    cfg.Locations.opt_default,
                    cfg.Locations.set_default,
                ):
                    continue
                replacement = REPLACEMENTS.get((group, opt.dest))
                found.append(
                    "[%s] %s (set in %s) is deprecated: %s"
                    % (
                        group,
                        opt.dest,
                        info.detail or info.location.name,
                        "use %s instead." % replacement
                        if replacement
                        else "%s Remove it." % (opt.deprecated_reason or ""),
                    )
                )
        if found:
            return Result(Code.WARNING, " ".join(found))
        return Result(Code.SUCCESS, "No deprecated option is set.")

    def _check_dropped_library_options(self) -> Result:
        found = []
        for path in self.conf.config_file or []:
            parser = configparser.ConfigParser(
                interpolation=None, strict=False
            )
            try:
                parser.read(path)
            except configparser.Error:
                continue  # oslo.config already read it; nothing to add.
            for (group, name), advice in DROPPED_LIBRARY_OPTIONS.items():
                section = (
                    parser.defaults()
                    if group == "DEFAULT"
                    else (parser[group] if parser.has_section(group) else {})
                )
                if name in section:
                    found.append(
                        "[%s] %s (set in %s) is no longer read by the "
                        "libraries panko uses: %s."
                        % (group, name, path, advice)
                    )
        if found:
            return Result(Code.WARNING, " ".join(found))
        return Result(
            Code.SUCCESS, "No option that the libraries dropped is set."
        )

    _upgrade_checks = (
        ("Database schema at head", _check_schema),
        ("Policy file format", _check_policy_file),
        ("Deprecated options in use", _check_deprecated_options),
        ("Options the libraries dropped", _check_dropped_library_options),
    )


@cmd.clean_errors
def main(argv: list[str] | None = None) -> int:
    """The ``panko-status`` command."""
    conf = service.new_conf()
    defaults.set_lib_defaults(conf)
    return upgradecheck.main(
        conf,
        project="panko",
        upgrade_command=Checks(conf),
        argv=sys.argv[1:] if argv is None else argv,
        default_config_files=service.default_config_files(),
    )
