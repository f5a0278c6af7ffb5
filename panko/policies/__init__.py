"""Policy rules in code, and the enforcer built from them.

Every rule panko checks is declared here with its default; ``policy.yaml``
(or a Panko 10 ``policy.json``) overrides them. A rule that is not declared
is never allowed: callers use ``Enforcer.authorize``, which refuses
unregistered names.
"""

from __future__ import annotations

import itertools

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


def make_enforcer(conf: cfg.ConfigOpts) -> policy.Enforcer:
    """An enforcer reading the policy file ``conf`` names, with panko's
    rules registered (``conf`` has ``panko.conf.defaults`` applied)."""
    enforcer = policy.Enforcer(conf, policy_file=_policy_file(conf))
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
