"""Options of the REST API: ``[DEFAULT]`` and ``[api]``."""

from oslo_config import cfg

DEFAULT_OPTS = [
    cfg.StrOpt(
        "api_paste_config",
        default="api_paste.ini",
        help="The paste configuration file of the API. A relative "
        "path is looked up beside the configuration files; "
        "when no such file exists, the file shipped inside the "
        "panko package is used.",
    ),
]

API_OPTS = [
    cfg.StrOpt(
        "auth_mode",
        default="keystone",
        choices=[
            ("keystone", "Validate tokens with keystonemiddleware."),
            (
                "noauth",
                "Trust the X-User-Id, X-Project-Id and X-Roles headers.",
            ),
        ],
        help="Authentication mode of the API.",
    ),
    cfg.ListOpt(
        "noauth_default_roles",
        default=["admin"],
        help="In noauth mode, the roles of a request that sends no "
        "X-User-Id, X-Project-Id nor X-Roles header (as the "
        "openstack client does with --os-auth-type none).",
    ),
    cfg.IntOpt(
        "default_api_return_limit",
        min=1,
        default=100,
        help="Number of events returned when a query sets no limit.",
    ),
    cfg.IntOpt(
        "max_api_return_limit",
        min=1,
        default=10000,
        help="Largest limit a query may ask for; larger limits are "
        "lowered to this value.",
    ),
    cfg.BoolOpt(
        "restrict_to_user",
        default=False,
        help="Also require, for a non-admin user, that an event's "
        "user_id trait is theirs (Panko 10 behaviour). By "
        "default a non-admin user sees every event of their "
        "project.",
    ),
    cfg.IntOpt(
        "max_request_body_size",
        min=1024,
        default=16 * 1024 * 1024,
        help="Largest request body, in bytes, that POST /v2/events "
        "accepts; larger bodies are answered 413.",
    ),
]
