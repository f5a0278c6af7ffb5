"""Events as they travel between processes, checked and turned into models.

Three shapes arrive, all as decoded JSON:

* what Ceilometer's ``http://`` publisher posts and its ``notifier://``
  publisher sends as a notification payload: ``Event.serialize()``, with
  traits as ``[name, dtype, value]`` triples;
* Ceilometer's ``Event.as_dict()``: traits as ``{name, dtype, value}``;
* panko's own API output: traits as ``{name, type, value}`` with the value
  as a string, so an export can be stored again.

Everything is checked before anything is stored; the first problem found
is reported with the index of the event it is in.
"""

from __future__ import annotations

import datetime
import math
from typing import Any

from oslo_utils import timeutils

from panko.storage import models

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
MAX_NAME_LENGTH = 255


class InvalidEventData(ValueError):
    """The body or message does not describe valid events."""

    def __init__(self, index: int | None, reason: str):
        self.index = index
        self.reason = reason
        where = "event %d: " % index if index is not None else ""
        super().__init__(where + reason)


def events_from_body(body: Any) -> list[models.Event]:
    """Events from a decoded JSON body: a list of events or one event."""
    if isinstance(body, dict):
        return [event_from_dict(body, 0)]
    if not isinstance(body, list):
        raise InvalidEventData(
            None,
            "the body must be a JSON list of events or one event "
            "object, not %s" % _json_type(body),
        )
    return [event_from_dict(item, index) for index, item in enumerate(body)]


def event_from_dict(data: Any, index: int = 0) -> models.Event:
    """One checked event from its serialized form."""
    if not isinstance(data, dict):
        raise InvalidEventData(
            index, "an event must be a JSON object, not %s" % _json_type(data)
        )
    unknown = set(data) - {
        "message_id",
        "event_type",
        "generated",
        "traits",
        "raw",
        "message_signature",
    }
    if unknown:
        raise InvalidEventData(
            index, "unknown keys: %s" % ", ".join(sorted(map(str, unknown)))
        )
    try:
        message_id = _name(data, "message_id")
        event_type = _name(data, "event_type")
        generated = _datetime(_required(data, "generated"), "generated")
        traits = _traits(data.get("traits") or [])
    except ValueError as e:
        raise InvalidEventData(index, str(e)) from None
    return models.Event(
        message_id=message_id,
        event_type=event_type,
        generated=generated,
        traits=traits,
        raw=data.get("raw"),
    )


def _required(data: dict, key: str) -> Any:
    if key not in data or data[key] is None:
        raise ValueError("%s is missing" % key)
    return data[key]


def _name(data: dict, key: str) -> str:
    value = _required(data, key)
    if not isinstance(value, str):
        raise ValueError(
            "%s must be a string, not %s" % (key, _json_type(value))
        )
    return check_name(value, key)


def check_name(value: str, what: str) -> str:
    """Raise ValueError unless ``value`` is a storable name."""
    if not value:
        raise ValueError("%s is empty" % what)
    if len(value) > MAX_NAME_LENGTH:
        raise ValueError(
            "%s is longer than %d characters" % (what, MAX_NAME_LENGTH)
        )
    check_text(value, what)
    return value


def check_text(value: str, what: str) -> str:
    """Raise ValueError when ``value`` holds a NUL character, which no
    database stores in text."""
    if "\x00" in value:
        raise ValueError("%s contains a NUL character" % what)
    return value


def _traits(data: Any) -> list[models.Trait]:
    if not isinstance(data, list):
        raise ValueError("traits must be a list, not %s" % _json_type(data))
    traits = []
    seen = set()
    for position, item in enumerate(data):
        trait = _trait(item, position)
        if trait is None:
            continue
        if trait.name in seen:
            raise ValueError("trait %s appears more than once" % trait.name)
        seen.add(trait.name)
        traits.append(trait)
    return traits


def _trait(item: Any, position: int) -> models.Trait | None:
    if isinstance(item, (list, tuple)):
        if len(item) != 3:
            raise ValueError(
                "trait %d must be [name, dtype, value]" % position
            )
        name, dtype, value = item
    elif isinstance(item, dict):
        name, value = item.get("name"), item.get("value")
        if "dtype" in item:
            dtype = item["dtype"]
        elif "type" in item:
            dtype = models.DTYPE_BY_NAME.get(item["type"])
            if dtype is None:
                raise ValueError(
                    "trait %d has unknown type %r (one of %s)"
                    % (position, item["type"], ", ".join(models.DTYPE_BY_NAME))
                )
        else:
            dtype = models.TEXT_TYPE
        extra = set(item) - {"name", "value", "dtype", "type"}
        if extra:
            raise ValueError(
                "trait %d has unknown keys: %s"
                % (position, ", ".join(sorted(map(str, extra))))
            )
    else:
        raise ValueError(
            "trait %d must be a list or an object, not %s"
            % (position, _json_type(item))
        )
    if not isinstance(name, str):
        raise ValueError("trait %d: name must be a string" % position)
    check_name(name, "trait name")
    if isinstance(dtype, bool) or not isinstance(dtype, int):
        raise ValueError(
            "trait %s: dtype must be an integer, not %s"
            % (name, _json_type(dtype))
        )
    if dtype == models.NONE_TYPE and value is None:
        # Ceilometer's "none" type carries no value: nothing to keep.
        return None
    if dtype not in models.DTYPE_NAMES:
        raise ValueError(
            "trait %s: dtype %d is not one of 1 (string), 2 "
            "(integer), 3 (float), 4 (datetime)" % (name, dtype)
        )
    if value is None:
        raise ValueError("trait %s has no value" % name)
    return models.Trait(name, dtype, convert_value(dtype, value, name))


def convert_value(dtype: int, value: Any, name: str = "value") -> Any:
    """``value`` as the Python type of ``dtype``; ValueError if it is not
    one. Strings are accepted for every type, as the API prints them."""
    if dtype == models.TEXT_TYPE:
        if isinstance(value, (dict, list)):
            raise ValueError(
                "trait %s: a string trait cannot hold %s"
                % (name, _json_type(value))
            )
        text = value if isinstance(value, str) else _scalar_text(value)
        return check_text(text, "trait %s" % name)
    if dtype == models.INT_TYPE:
        return _integer(value, name)
    if dtype == models.FLOAT_TYPE:
        return _float(value, name)
    return _datetime(value, "trait %s" % name)


def _scalar_text(value: Any) -> str:
    if isinstance(value, bool):
        return "True" if value else "False"
    return str(value)


def _integer(value: Any, name: str) -> int:
    if isinstance(value, bool):
        raise ValueError("trait %s: %r is not an integer" % (name, value))
    if isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str):
        try:
            number = int(value.strip())
        except ValueError:
            raise ValueError(
                "trait %s: %r is not an integer" % (name, value[:100])
            ) from None
    else:
        raise ValueError(
            "trait %s: %s is not an integer" % (name, _json_type(value))
        )
    if not INT64_MIN <= number <= INT64_MAX:
        raise ValueError(
            "trait %s: %d does not fit in 64 bits" % (name, number)
        )
    return number


def _float(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError(
            "trait %s: %s is not a number" % (name, _json_type(value))
        )
    try:
        number = float(value)
    except (ValueError, OverflowError):
        raise ValueError(
            "trait %s: %r is not a number" % (name, str(value)[:100])
        ) from None
    if not math.isfinite(number):
        raise ValueError("trait %s: %r is not a finite number" % (name, value))
    return number


def _datetime(value: Any, what: str) -> datetime.datetime:
    """A naive UTC datetime from an ISO 8601 string (or a datetime)."""
    if isinstance(value, datetime.datetime):
        return timeutils.normalize_time(value)
    if not isinstance(value, str):
        raise ValueError(
            "%s must be an ISO 8601 date string, not %s"
            % (what, _json_type(value))
        )
    try:
        parsed = timeutils.parse_isotime(value)
        return timeutils.normalize_time(parsed)
    except (ValueError, OverflowError):
        raise ValueError(
            "%s: %r is not an ISO 8601 date" % (what, value[:100])
        ) from None


def _json_type(value: Any) -> str:
    return {
        dict: "an object",
        list: "a list",
        str: "a string",
        bool: "a boolean",
        int: "a number",
        float: "a number",
        type(None): "null",
    }.get(type(value), type(value).__name__)
