"""Who is asking, what they may do and which events they may see.

Identity is oslo.context's ``RequestContext.from_environ``: the headers
keystonemiddleware sets from a validated token (keystone mode), or the
``X-User-Id``, ``X-Project-Id`` and ``X-Roles`` headers the client sends
(noauth mode). In noauth mode a request that sends none of these headers
(as ``openstack --os-auth-type none`` does) is *anonymous*: it acts with
the roles of ``[api] noauth_default_roles`` and no user or project; with
that option empty it is refused.

The exact rule, for every route under ``/v2``:

1. A caller who is not anonymous needs a user and a project, else 403
   (Panko 10 did the same). The capabilities route asks only its rule.
2. The route's rule (``panko.policies``) is checked with the caller's own
   project and user as the target; refused: 403.
3. The caller is an *admin* when the ``segregation`` rule passes for them.
4. The events an admin sees: every event with ``all_tenants=True``;
   otherwise the events whose ``project_id`` trait is the admin's project
   and the events that have no ``project_id`` trait. An anonymous admin,
   who has no project, sees every event.
5. The events anyone else sees: those whose ``project_id`` trait is their
   project, and also, when ``[api] restrict_to_user`` is set (Panko 10's
   behaviour), whose ``user_id`` trait is theirs. ``all_tenants`` is
   ignored for them, and a trait condition on ``project_id`` only narrows
   this scope, so another project's events are never returned. A caller
   without a project who is not an admin sees nothing: 403.
6. ``GET /v2/events/<id>`` looks the event up in the scope of 4 (without
   ``all_tenants``) or 5: an event outside it is 404, as an unknown one;
   the ``telemetry:events:show`` rule is then checked again with the
   event's own ``project_id`` and ``user_id`` as the target.
"""

from __future__ import annotations

from typing import Any

from oslo_config import cfg
from oslo_context import context
from oslo_policy import policy

from panko.api import errors
from panko.storage import models

IDENTITY_ENVIRON = (
    "HTTP_X_USER_ID",
    "HTTP_X_USER",
    "HTTP_X_PROJECT_ID",
    "HTTP_X_TENANT_ID",
    "HTTP_X_TENANT",
    "HTTP_X_ROLES",
    "HTTP_X_ROLE",
)

SEGREGATION = "segregation"


def is_anonymous(environ: dict, conf: cfg.ConfigOpts) -> bool:
    """True for a noauth request that sends none of the identity headers
    (one sent empty counts as sent)."""
    return conf.api.auth_mode == "noauth" and not any(
        name in environ for name in IDENTITY_ENVIRON
    )


class Caller:
    """The identity of a request and the decisions that depend on it."""

    def __init__(
        self,
        ctx: context.RequestContext,
        enforcer: policy.Enforcer,
        conf: cfg.ConfigOpts,
        anonymous: bool = False,
    ):
        self.context = ctx
        self.anonymous = anonymous
        self._enforcer = enforcer
        self._conf = conf
        # Decisions by (rule, target): showing one's own event asks the
        # same question twice (before and after the look-up).
        self._decisions: dict[tuple, bool] = {}

    @classmethod
    def from_environ(
        cls, environ: dict, enforcer: policy.Enforcer, conf: cfg.ConfigOpts
    ) -> Caller:
        if is_anonymous(environ, conf):
            ctx = context.RequestContext.from_environ(
                environ, roles=list(conf.api.noauth_default_roles)
            )
            return cls(ctx, enforcer, conf, anonymous=True)
        return cls(
            context.RequestContext.from_environ(environ), enforcer, conf
        )

    @property
    def project_id(self) -> str | None:
        return self.context.project_id

    @property
    def user_id(self) -> str | None:
        return self.context.user_id

    @property
    def target(self) -> dict[str, str]:
        """The caller's own project and user, as a policy target."""
        return _target(self.project_id, self.user_id)

    def require_identity(self) -> None:
        """Refuse a caller without user or project, unless anonymous."""
        if self.anonymous:
            if not self.context.roles:
                raise errors.Forbidden(
                    "A request without X-User-Id, X-Project-Id or X-Roles "
                    "is refused: [api] noauth_default_roles is empty."
                )
            return
        if not self.user_id or not self.project_id:
            raise errors.Forbidden(
                "The request needs a user and a "
                "project (X-User-Id and X-Project-Id)."
            )

    def allowed(self, rule: str, target: dict[str, str] | None = None) -> bool:
        if target is None:
            target = self.target
        key = (rule, tuple(sorted(target.items())))
        decision = self._decisions.get(key)
        if decision is None:
            decision = self._enforcer.authorize(rule, target, self.context)
            self._decisions[key] = decision
        return decision

    def authorize(
        self, rule: str, target: dict[str, str] | None = None
    ) -> None:
        """Raise Forbidden unless ``rule`` allows the caller on
        ``target`` (default: the caller's project)."""
        if not self.allowed(rule, target):
            raise errors.Forbidden("The policy does not allow %s." % rule)

    @property
    def is_admin(self) -> bool:
        return self.allowed(SEGREGATION)

    def event_scope(self, all_tenants: bool | None = None) -> dict[str, Any]:
        """The project scope of an ``EventFilter`` for this caller."""
        if self.is_admin:
            if all_tenants or self.project_id is None:
                return {}
            return {"admin_project": self.project_id}
        if self.project_id is None:
            raise errors.Forbidden(
                "Only an administrator may act without a project."
            )
        scope = {"project": self.project_id}
        if self._conf.api.restrict_to_user:
            if self.user_id is None:
                raise errors.Forbidden("The request needs a user (X-User-Id).")
            scope["user"] = self.user_id
        return scope


def event_target(event: models.Event) -> dict[str, str]:
    """The policy target of one event: its owners."""
    user = event.trait(models.USER_TRAIT)
    return _target(event.project_id, user.value if user is not None else None)


def _target(project_id: str | None, user_id: str | None) -> dict[str, str]:
    # A key left out, rather than None: "project_id:%(project_id)s"
    # would otherwise match a caller without project.
    target = {}
    if project_id is not None:
        target["project_id"] = project_id
    if user_id is not None:
        target["user_id"] = user_id
    return target
