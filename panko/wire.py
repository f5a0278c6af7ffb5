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
    """One checked event from its serialized form. A ``position``, as
    GET /v2/events gives it, is accepted and ignored: the storage that
    takes the event gives it its own."""
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
        "position",
    }
    if unknown:
        raise InvalidEventData(
            index, "unknown keys: %s" % ", ".join(sorted(map(str, unknown)))
        )
    return event_from_parts(
        data.get("message_id"),
        data.get("event_type"),
        data.get("generated"),
        [] if data.get("traits") is None else data["traits"],
        data.get("raw"),
        index,
    )


def event_from_parts(
    message_id: Any,
    event_type: Any,
    generated: Any,
    traits: Any,
    raw: Any = None,
    index: int = 0,
) -> models.Event:
    """One checked event from its fields; ``traits`` is a list of
    ``[name, dtype, value]`` triples or of trait objects as above."""
    try:
        event = models.Event(
            message_id=_name(message_id, "message_id"),
            event_type=_name(event_type, "event_type"),
            generated=_datetime(generated, "generated"),
            traits=_traits(traits),
            raw=raw,
        )
    except ValueError as e:
        raise InvalidEventData(index, str(e)) from None
    return event


def _name(value: Any, key: str) -> str:
    if value is None:
        raise ValueError("%s is missing" % key)
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
    """Raise ValueError when ``value`` is not storable text: a NUL
    character, which no database stores in text, or a lone surrogate
    (JSON's ``"\\ud800"``), which is not UTF-8."""
    problem = text_problem(value)
    if problem:
        raise ValueError("%s %s" % (what, problem))
    return value


def text_problem(value: str) -> str | None:
    """Why ``value`` cannot be stored as text, or None."""
    if "\x00" in value:
        return "contains a NUL character"
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return "contains a lone surrogate, which is not UTF-8 text"
    return None


def _traits(data: Any) -> list[models.Trait]:
    if not isinstance(data, list):
        raise ValueError("traits must be a list, not %s" % _json_type(data))
    traits = []
    seen = set()
    for position, item in enumerate(data):
        trait = _trait(item, position)
        if trait is None:
            continue
        if trait[0] in seen:
            raise ValueError("trait %s appears more than once" % trait[0])
        seen.add(trait[0])
        traits.append(trait)
    return traits


# Building the named tuple directly skips its Python-level __new__: this
# runs for every trait of every event stored.
_new_tuple = tuple.__new__
_Trait = models.Trait


def _trait(item: Any, position: int) -> models.Trait | None:
    # The common shapes are tested first and cheaply: this runs for every
    # trait of every event stored.
    if type(item) is list or type(item) is tuple:
        if len(item) != 3:
            raise ValueError(
                "trait %d must be [name, dtype, value]" % position
            )
        name, dtype, value = item
    elif isinstance(item, dict):
        name, dtype, value = _trait_object(item, position)
    else:
        raise ValueError(
            "trait %d must be a list or an object, not %s"
            % (position, _json_type(item))
        )
    if type(name) is not str:
        raise ValueError("trait %d: name must be a string" % position)
    if (
        not name
        or len(name) > MAX_NAME_LENGTH
        or "\x00" in name
        or not name.isascii()
    ):
        check_name(name, "trait name")
    if type(dtype) is not int:
        raise ValueError(
            "trait %s: dtype must be an integer, not %s"
            % (name, _json_type(dtype))
        )
    if value is None:
        if dtype == models.NONE_TYPE:
            # Ceilometer's "none" type carries no value: nothing to keep.
            return None
        if dtype in _CONVERTERS:
            raise ValueError("trait %s has no value" % name)
    converter = _CONVERTERS.get(dtype)
    if converter is None:
        raise ValueError(
            "trait %s: dtype %r is not one of 1 (string), 2 "
            "(integer), 3 (float), 4 (datetime)" % (name, dtype)
        )
    return _new_tuple(_Trait, (name, dtype, converter(value, name)))


def _trait_object(item: dict, position: int) -> tuple[Any, Any, Any]:
    """(name, dtype, value) of a trait written as an object: Ceilometer's
    ``as_dict()`` (dtype) or panko's API output (type name)."""
    extra = set(item) - {"name", "value", "dtype", "type"}
    if extra:
        raise ValueError(
            "trait %d has unknown keys: %s"
            % (position, ", ".join(sorted(map(str, extra))))
        )
    if "dtype" in item:
        dtype = item["dtype"]
    elif "type" in item:
        type_name = item["type"]
        dtype = (
            models.DTYPE_BY_NAME.get(type_name)
            if isinstance(type_name, str)
            else None
        )
        if dtype is None:
            raise ValueError(
                "trait %d has unknown type %r (one of %s)"
                % (position, item["type"], ", ".join(models.DTYPE_BY_NAME))
            )
    else:
        dtype = models.TEXT_TYPE
    return item.get("name"), dtype, item.get("value")


def convert_value(dtype: int, value: Any, name: str = "value") -> Any:
    """``value`` as the Python type of ``dtype``; ValueError if it is not
    one. Strings are accepted for every type, as the API prints them."""
    return _CONVERTERS[dtype](value, name)


def _text(value: Any, name: str) -> str:
    if type(value) is not str:
        if isinstance(value, (dict, list)):
            raise ValueError(
                "trait %s: a string trait cannot hold %s"
                % (name, _json_type(value))
            )
        value = value if isinstance(value, str) else _scalar_text(value)
    if "\x00" in value or not value.isascii():
        problem = text_problem(value)
        if problem:
            raise ValueError("trait %s %s" % (name, problem))
    return value


def _scalar_text(value: Any) -> str:
    if isinstance(value, bool):
        return "True" if value else "False"
    return str(value)


def _integer(value: Any, name: str) -> int:
    if type(value) is int and INT64_MIN <= value <= INT64_MAX:
        return value
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
    if type(value) is float and value - value == 0.0:
        return value  # finite: inf - inf and nan - nan are nan
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
    if type(value) is datetime.datetime and value.tzinfo is None:
        return value
    if value is None:
        raise ValueError("%s is missing" % what)
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


def _trait_datetime(value: Any, name: str) -> datetime.datetime:
    return _datetime(value, "trait %s" % name)


_CONVERTERS = {
    models.TEXT_TYPE: _text,
    models.INT_TYPE: _integer,
    models.FLOAT_TYPE: _float,
    models.DATETIME_TYPE: _trait_datetime,
}


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
