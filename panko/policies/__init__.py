"""Policy rules in code, and the enforcer built from them.

Every rule panko checks is declared here with its default; ``policy.yaml``
(or a Panko 10 ``policy.json``) overrides them. A rule that is not declared
is never allowed: callers use ``Enforcer.authorize``, which refuses
unregistered names. A changed policy file applies within a second,
without a restart.
"""

from __future__ import annotations

import itertools
import time

from oslo_config import cfg
from oslo_log import log
from oslo_policy import policy

from panko import service
from panko.conf import defaults
from panko.policies import base
from panko.policies import capabilities
from panko.policies import event_types
from panko.policies import events

LOG = log.getLogger(__name__)

# Panko 10 ran with oslo.policy releases that read policy.json when the
# configured policy.yaml did not exist; panko keeps reading such a file.
PANKO10_POLICY_FILE = "policy.json"

# How long a check trusts the policy files it last looked at.
RELOAD_INTERVAL_S = 1.0


def list_rules() -> list[policy.RuleDefault]:
    """Every rule panko declares (the ``oslo.policy.policies`` entry)."""
    return list(
        itertools.chain(
            base.list_rules(),
            events.list_rules(),
            event_types.list_rules(),
            capabilities.list_rules(),
        )
    )


class Enforcer(policy.Enforcer):
    """oslo.policy's enforcer, looking at the policy files at most once
    per ``RELOAD_INTERVAL_S``.

    oslo.policy looks before every check: a stat of the file and of each
    policy directory or, when there is no file (the default), a search
    of every configuration directory for it and for ``policy.d``, each
    ending in an exception: a tenth of a millisecond per check, and a
    request makes one or two.
    """

    _next_look = -float("inf")

    def load_rules(self, force_reload: bool = False) -> None:
        now = time.monotonic()
        if force_reload or now >= self._next_look:
            super().load_rules(force_reload)
            self._next_look = now + RELOAD_INTERVAL_S


def make_enforcer(conf: cfg.ConfigOpts) -> policy.Enforcer:
    """An enforcer reading the policy file ``conf`` names, with panko's
    rules registered (``conf`` has ``panko.conf.defaults`` applied)."""
    enforcer = Enforcer(conf, policy_file=_policy_file(conf))
    enforcer.register_defaults(list_rules())
    enforcer.load_rules()
    return enforcer


def _policy_file(conf: cfg.ConfigOpts) -> str:
    """The configured policy file; Panko 10's policy.json when the
    default policy.yaml is absent and a policy.json exists beside the
    configuration."""
    configured = conf.oslo_policy.policy_file
    if (
        configured == "policy.yaml"
        and not conf.find_file(configured)
        and conf.find_file(PANKO10_POLICY_FILE)
    ):
        LOG.warning(
            "Reading %s: rename it policy.yaml (the JSON it holds "
            "is valid YAML) or set [oslo_policy] policy_file.",
            conf.find_file(PANKO10_POLICY_FILE),
        )
        return PANKO10_POLICY_FILE
    return configured


def get_enforcer() -> policy.Enforcer:
    """The enforcer of the default configuration files, for the
    oslopolicy-* commands (the ``oslo.policy.enforcer`` entry point)."""
    conf = service.new_conf()
    defaults.set_lib_defaults(conf)
    conf(
        [],
        project="panko",
        default_config_files=service.default_config_files(),
    )
    return make_enforcer(conf)
