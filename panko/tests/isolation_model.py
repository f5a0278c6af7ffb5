"""What an identity may see, worked out in plain Python.

The property tests of isolation (``panko/tests/functional/api/
test_isolation.py``) hold every backend to this model: it restates the
rules of ``panko.api.rbac`` under the default policy, and the meaning of
a query (``panko.api.query``, ``panko.storage.models``), without using
either. A listing must equal what the model computes: nothing of another
project, and nothing of the caller's own missing.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterable
import dataclasses
import functools
import operator
from typing import Any

from panko.storage import models

COMPARE = {
    "eq": operator.eq,
    "ne": operator.ne,
    "lt": operator.lt,
    "le": operator.le,
    "gt": operator.gt,
    "ge": operator.ge,
}


@dataclasses.dataclass(frozen=True)
class Identity:
    """A caller as the noauth headers describe it, and the API option
    that changes what it sees."""

    roles: tuple[str, ...]
    project: str
    user: str
    restrict_to_user: bool = False

    @property
    def headers(self) -> dict[str, str]:
        return {
            "X-Roles": ",".join(self.roles),
            "X-Project-Id": self.project,
            "X-User-Id": self.user,
        }

    def _has(self, *names: str) -> bool:
        # oslo.policy compares roles case-insensitively.
        return any(role.lower() in names for role in self.roles)

    @property
    def admin(self) -> bool:
        """Passes ``segregation`` (default: the admin role)."""
        return self._has("admin")

    @property
    def may_read(self) -> bool:
        """Passes ``telemetry:events:index`` and ``:show`` on its own
        project (default: admin, or reader or member)."""
        return self.admin or self._has("reader", "member")


def user_of(event: models.Event) -> str | None:
    trait = event.trait(models.USER_TRAIT)
    return trait.value if trait is not None else None


def in_scope(
    identity: Identity, event: models.Event, all_tenants: bool | None
) -> bool:
    """Whether ``identity`` may see ``event`` at all (``all_tenants``
    widens an admin's scope only)."""
    if identity.admin:
        return bool(all_tenants) or event.project_id in (
            identity.project,
            None,
        )
    if event.project_id != identity.project:
        return False
    return not identity.restrict_to_user or user_of(event) == identity.user


def total_order(
    sort: Iterable[str], by_position: bool = False
) -> tuple[tuple[str, str], ...]:
    """``key[:dir]`` values as panko makes them a total order: defaults
    when none (position order for a query on positions), duplicates
    dropped, nothing after ``position`` (it is unique), else message_id
    last in the direction of the last key."""
    pairs: list[tuple[str, str]] = []
    for value in sort:
        key, _, direction = value.partition(":")
        if key not in [k for k, _ in pairs]:
            pairs.append((key, direction or "asc"))
        if key == "position":
            return tuple(pairs)
    if not pairs:
        if by_position:
            return (("position", "asc"),)
        pairs = [("generated", "asc"), ("message_id", "asc")]
    if "message_id" not in [k for k, _ in pairs]:
        pairs.append(("message_id", pairs[-1][1]))
    return tuple(pairs)


def _sort_value(event: models.Event, key: str) -> Any:
    if key == "position":
        return event.position
    return event.generated if key == "generated" else event.message_id


def compare_events(
    order: tuple[tuple[str, str], ...], a: models.Event, b: models.Event
) -> int:
    for key, direction in order:
        x, y = _sort_value(a, key), _sort_value(b, key)
        if x != y:
            result = -1 if x < y else 1
            return -result if direction == "desc" else result
    return 0


def listing(
    events: Iterable[models.Event],
    keep: Callable[[models.Event], bool],
    sort: Iterable[str] = (),
    marker: models.Event | None = None,
    limit: int | None = None,
    by_position: bool = False,
) -> list[str]:
    """The message_ids of the events ``keep`` accepts, in panko's order,
    after ``marker``, at most ``limit`` of them."""
    order = total_order(sort, by_position)
    compare = functools.partial(compare_events, order)
    kept = sorted(
        (e for e in events if keep(e)), key=functools.cmp_to_key(compare)
    )
    if marker is not None:
        kept = [e for e in kept if compare(e, marker) > 0]
    if limit is not None:
        kept = kept[:limit]
    return [e.message_id for e in kept]


def trait_holds(
    event: models.Event, name: str, dtype: int, op: str, value: Any
) -> bool:
    """A trait condition: the event has the trait with that name and type
    and its value compares (``ne`` too needs the trait)."""
    trait = event.trait(name, dtype)
    return trait is not None and COMPARE[op](trait.value, value)
