"""Event queries as clients send them, checked and turned into models.

A query is a list of conditions, each a ``field``, an ``op``, a ``type``
and a ``value`` given as text (``q.field=...&q.op=...`` or a JSON body
``{"q": [...]}``). The fields Panko 10 defined keep its rules:

* ``event_type`` and ``message_id``: ``eq`` only;
* ``start_timestamp``: ``ge`` only, ``end_timestamp``: ``le`` only, both
  ISO 8601;
* ``all_tenants``: a boolean, ``eq`` only, deciding the project scope of
  an admin (see ``panko.api.rbac``);
* ``position`` (panko's addition): the events stored after a position,
  ``gt`` or ``ge`` a non-negative integer (``type`` is not looked at);
  the name no longer reaches a trait called so;
* any other field is a trait, of ``type`` string (the default), integer,
  float or datetime, compared with ``op`` (default ``eq``).

Everything wrong is reported as :class:`~panko.api.errors.BadRequest`
with a message naming the condition; nothing here knows about HTTP
beyond that, nor about WSME.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from oslo_utils import strutils

from panko import wire
from panko.api import errors
from panko.storage import models

EVENT_FIELDS = {
    "event_type": "eq",
    "message_id": "eq",
    "start_timestamp": "ge",
    "end_timestamp": "le",
    "all_tenants": "eq",
}
POSITION_FIELD = "position"
POSITION_OPS = ("gt", "ge")
TRAIT_TYPES = ("string", "integer", "float", "datetime")
DEFAULT_SORT_DIR = "asc"


@dataclasses.dataclass(frozen=True)
class Condition:
    """One condition as the client sent it; None where it sent nothing."""

    field: str | None
    value: str | None
    op: str | None = None
    type: str | None = None


@dataclasses.dataclass(frozen=True)
class EventQuery:
    """A checked query: its filter, without project scope, and the
    all_tenants flag when the client gave one."""

    event_filter: models.EventFilter
    all_tenants: bool | None = None


def scoped_filter(conditions: list[Condition], caller) -> models.EventFilter:
    """The filter of ``conditions`` narrowed to what ``caller`` (an
    ``rbac.Caller``) may see: the one scoping rule of the listing and the
    counts."""
    parsed = parse_conditions(conditions)
    return dataclasses.replace(
        parsed.event_filter, **caller.event_scope(parsed.all_tenants)
    )


def parse_conditions(conditions: list[Condition]) -> EventQuery:
    """Check ``conditions`` and build the filter they describe."""
    fields: dict[str, Any] = {}
    traits = []
    all_tenants = None
    for index, condition in enumerate(conditions):
        field, op, value = _check_condition(index, condition)
        if field == POSITION_FIELD:
            if "after_position" in fields:
                raise errors.BadRequest(
                    "The field position appears in more than one condition."
                )
            fields["after_position"] = _after_position(op, value)
        elif field in EVENT_FIELDS:
            if field in fields or (
                field == "all_tenants" and all_tenants is not None
            ):
                raise errors.BadRequest(
                    "The field %s appears in more than one condition." % field
                )
            if field == "all_tenants":
                all_tenants = _boolean(field, value)
            elif field.endswith("_timestamp"):
                fields[field] = _convert(models.DATETIME_TYPE, field, value)
            else:
                fields[field] = value
        else:
            dtype = models.DTYPE_BY_NAME[condition.type or "string"]
            traits.append(
                models.TraitFilter(
                    name=field,
                    dtype=dtype,
                    op=op,
                    value=_convert(dtype, field, value),
                )
            )
    return EventQuery(
        models.EventFilter(traits=tuple(traits), **fields), all_tenants
    )


def _check_condition(index: int, condition: Condition) -> tuple[str, str, str]:
    field, value = condition.field, condition.value
    if not field:
        raise errors.BadRequest("Condition %d has no field (q.field)." % index)
    if value is None:
        raise errors.BadRequest(
            "The condition on %s has no value (q.value)." % field
        )
    try:
        wire.check_name(field, "the field name")
        wire.check_text(value, "the value of %s" % field)
    except ValueError as e:
        raise errors.BadRequest("Condition %d: %s." % (index, e))
    op = condition.op or "eq"
    if op not in models.OPERATORS:
        raise errors.BadRequest(
            "The operator %r of the condition on %s is not one of %s."
            % (op, field, ", ".join(models.OPERATORS))
        )
    required = EVENT_FIELDS.get(field)
    if required is not None and op != required:
        raise errors.BadRequest(
            "The field %s accepts only the operator %s, not %s."
            % (field, required, op)
        )
    if condition.type and condition.type not in TRAIT_TYPES:
        raise errors.BadRequest(
            "The type %r of the condition on %s is not one of %s."
            % (condition.type, field, ", ".join(TRAIT_TYPES))
        )
    return field, op, value


def _after_position(op: str, value: str) -> int:
    """The position events must come after, from ``position gt|ge P``.
    Like the other event fields, ``type`` is not looked at: the value
    must be an integer whatever it says."""
    if op not in POSITION_OPS:
        raise errors.BadRequest(
            "The field position accepts only the operators %s, not %s."
            % (" and ".join(POSITION_OPS), op)
        )
    text = value.strip()
    if not text.isascii() or not text.isdigit():
        raise errors.BadRequest(
            "The value %r of position is not a non-negative integer."
            % value[:100]
        )
    position = int(text)
    if position >= 2**63:
        raise errors.BadRequest("The position %d is too large." % position)
    return position if op == "gt" else position - 1


def _convert(dtype: int, field: str, value: str) -> Any:
    try:
        return wire.convert_value(dtype, value, field)
    except ValueError:
        raise errors.BadRequest(
            "The value %r of %s is not a valid %s."
            % (value[:100], field, models.DTYPE_NAMES[dtype])
        ) from None


def _boolean(field: str, value: str) -> bool:
    try:
        return strutils.bool_from_string(value, strict=True)
    except ValueError:
        raise errors.BadRequest(
            "The value %r of %s is not a boolean "
            "(True or False)." % (value[:100], field)
        )


def parse_limit(value: str | int | None, default: int, maximum: int) -> int:
    """A positive limit, ``default`` when none is given, lowered to
    ``maximum``."""
    if value is None:
        return min(default, maximum)
    if isinstance(value, bool):
        raise errors.BadRequest("The limit must be a positive integer.")
    try:
        limit = int(value)
    except (TypeError, ValueError):
        raise errors.BadRequest(
            "The limit %r is not an integer." % str(value)[:100]
        )
    if limit < 1:
        raise errors.BadRequest(
            "The limit must be a positive integer, not %d." % limit
        )
    return min(limit, maximum)


def parse_sort(values: list[str]) -> tuple[tuple[str, str], ...]:
    """``key:dir`` pairs (``dir`` defaults to asc) as a sort order."""
    sort = []
    for value in values:
        key, _, direction = value.partition(":")
        direction = direction or DEFAULT_SORT_DIR
        if key not in models.SORT_KEYS:
            raise errors.BadRequest(
                "Cannot sort by %r: the sort keys are %s."
                % (key[:100], ", ".join(models.SORT_KEYS))
            )
        if direction not in models.SORT_DIRS:
            raise errors.BadRequest(
                "Cannot sort %s %r: the directions are %s."
                % (key, direction[:100], ", ".join(models.SORT_DIRS))
            )
        sort.append((key, direction))
    return tuple(sort)
