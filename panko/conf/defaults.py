"""Defaults panko sets on options other libraries own."""

from oslo_config import cfg
from oslo_middleware import cors
from oslo_policy import opts as policy_opts


def set_lib_defaults(conf: cfg.ConfigOpts | None = None) -> None:
    """Set CORS and policy defaults suited to panko.

    Called with no argument by oslo-config-generator (the
    ``oslo.config.opts.defaults`` entry point), which then documents these
    defaults in the sample file.
    """
    cors.set_defaults(
        allow_headers=[
            "X-Auth-Token",
            "X-Openstack-Request-Id",
            "X-Subject-Token",
            "X-Project-Id",
            "X-User-Id",
            "X-Roles",
        ],
        expose_headers=[
            "X-Auth-Token",
            "X-Openstack-Request-Id",
            "X-Subject-Token",
        ],
        allow_methods=["GET", "PUT", "POST", "DELETE", "PATCH"],
    )
    if conf is not None:
        policy_opts.set_defaults(conf, policy_file="policy.yaml")
