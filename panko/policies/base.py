"""Personas every panko rule is built from, and the two base rules.

The personas follow today's OpenStack defaults: project-scoped tokens, an
admin role that is the cloud administrator, a reader role for read-only
access to a project and a service role for other services. ``member`` is
accepted wherever ``reader`` is: Keystone puts the reader role in a
member's token only when the role implications exist, and a request in
noauth mode carries exactly the roles it names.
"""

from oslo_policy import policy

ADMIN = "rule:context_is_admin"
SEGREGATION = "rule:segregation"
SERVICE = "role:service"
PROJECT_READER = "(role:reader or role:member) and project_id:%(project_id)s"
ADMIN_OR_PROJECT_READER = "%s or (%s)" % (ADMIN, PROJECT_READER)
ADMIN_OR_SERVICE = "%s or %s" % (ADMIN, SERVICE)

PROJECT_SCOPE = ["project"]

# The release that replaced Panko 10's defaults.
DEPRECATED_SINCE = "11.0.0"

rules = [
    policy.RuleDefault(
        name="context_is_admin",
        check_str="role:admin",
        description="Who is a cloud administrator.",
    ),
    policy.DocumentedRuleDefault(
        name="segregation",
        check_str=ADMIN,
        scope_types=PROJECT_SCOPE,
        description="Who may see the events of every project. Such a "
        "caller sees, without all_tenants=True, the events of "
        "their own project and those that belong to no "
        "project, and with all_tenants=True every event; "
        "anyone else sees only the events of their own "
        "project. The event type and trait listings, which "
        "cover every project, also default to this rule.",
        operations=[
            {"path": "/v2/events", "method": "GET"},
            {"path": "/v2/events/{message_id}", "method": "GET"},
            {"path": "/v2/event_counts", "method": "GET"},
        ],
    ),
]


def list_rules() -> list[policy.RuleDefault]:
    return rules
