"""Request arguments, from the query string or a JSON body.

Panko 10 (through WSME) took each argument of a resource either from the
query string or from a JSON object in the body, and refused arguments it
did not know. Conditions come as ``q.field``, ``q.op``, ``q.type`` and
``q.value`` repeated in the query string, matched by position (a missing
``q.op`` or ``q.type`` takes its default), or as ``{"q": [{"field": ...,
"op": ..., "type": ..., "value": ...}]}`` in the body.
"""

from __future__ import annotations

import json
from typing import Any

import webob

from panko import wire
from panko.api import errors
from panko.api import query

Q_ATTRIBUTES = ("field", "op", "type", "value")
JSON_TYPES = ("application/json",)


def read_body(request: webob.Request, limit: int) -> bytes:
    """The body, refused with 413 when longer than ``limit`` bytes."""
    length = request.content_length
    if length is not None and length > limit:
        raise errors.body_too_large(limit)
    data = request.body_file.read(limit + 1)
    if len(data) > limit:
        raise errors.body_too_large(limit)
    return data


def json_body(request: webob.Request, limit: int) -> Any:
    """The decoded JSON body; None when there is none."""
    if request.content_length and not _is_json(request.content_type):
        # Checked before reading: webob may already have parsed a form.
        raise _not_json(request.content_type)
    data = read_body(request, limit)
    if not data.strip():
        return None
    if not _is_json(request.content_type):
        raise _not_json(request.content_type)
    try:
        return json.loads(data)
    except (UnicodeDecodeError, ValueError) as e:
        raise errors.BadRequest("The body is not valid JSON: %s." % e)
    except RecursionError:
        raise errors.BadRequest("The body is nested too deeply to be read.")


def text_arg(value: str, name: str) -> str:
    """``value`` of the argument ``name``, refused with 400 when it is not
    text a database can hold (a NUL byte, a lone surrogate)."""
    try:
        return wire.check_text(value, "The argument %s" % name)
    except ValueError as e:
        raise errors.BadRequest("%s." % e)


def _is_json(content_type: str | None) -> bool:
    content_type = content_type or ""
    return content_type in JSON_TYPES or content_type.endswith("+json")


def _not_json(content_type: str | None) -> errors.UnsupportedMediaType:
    return errors.UnsupportedMediaType(
        "The body must be JSON (Content-Type: application/json), not "
        "%s." % (content_type or "untyped")
    )


def read_args(
    request: webob.Request,
    names: tuple[str, ...],
    repeated: tuple[str, ...] = (),
    body_limit: int = 0,
) -> dict[str, Any]:
    """The arguments ``names`` of a request, from its query string and,
    when ``body_limit`` is set, from a JSON object in its body.

    A name in ``repeated`` gives a list of strings, ``q`` a list of
    :class:`~panko.api.query.Condition`; any other a string or None.
    Unknown arguments and arguments given twice are refused.
    """
    from_query = _query_args(request, names, repeated)
    from_body = {}
    if body_limit:
        body = json_body(request, body_limit)
        if body is not None:
            from_body = _body_args(body, names, repeated)
    both = set(from_query) & set(from_body)
    if both:
        raise errors.BadRequest(
            "The argument %s is given both in the query string and in "
            "the body." % sorted(both)[0]
        )
    args: dict[str, Any] = {
        name: [] if name in repeated or name == "q" else None for name in names
    }
    args.update(from_query)
    args.update(from_body)
    for name, value in args.items():
        if isinstance(value, str):
            text_arg(value, name)
        elif name in repeated:
            for item in value:
                text_arg(item, name)
    return args


def _query_args(
    request: webob.Request, names: tuple[str, ...], repeated: tuple[str, ...]
) -> dict[str, Any]:
    params = request.GET
    args: dict[str, Any] = {}
    q_keys = {"q.%s" % a for a in Q_ATTRIBUTES} if "q" in names else set()
    known = (set(names) - {"q"}) | q_keys
    for key in params.keys():
        if key not in known:
            raise errors.BadRequest("Unknown argument: %r." % key[:100])
    for name in names:
        if name == "q" or name not in params:
            continue
        values = params.getall(name)
        if name in repeated:
            args[name] = values
        elif len(values) > 1:
            raise errors.BadRequest(
                "The argument %s is given more than once." % name
            )
        else:
            args[name] = values[0]
    if q_keys & set(params.keys()):
        args["q"] = _conditions_from_query(params)
    return args


def _conditions_from_query(params) -> list[query.Condition]:
    columns = {a: params.getall("q.%s" % a) for a in Q_ATTRIBUTES}
    count = max(len(values) for values in columns.values())

    def at(attribute, index):
        values = columns[attribute]
        return values[index] if index < len(values) else None

    return [
        query.Condition(
            field=at("field", i),
            value=at("value", i),
            op=at("op", i),
            type=at("type", i),
        )
        for i in range(count)
    ]


def _body_args(
    body: Any, names: tuple[str, ...], repeated: tuple[str, ...]
) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise errors.BadRequest(
            "The body must be a JSON object with the "
            "arguments %s." % ", ".join(names)
        )
    unknown = sorted(set(body) - set(names))
    if unknown:
        raise errors.BadRequest(
            "Unknown argument in the body: %r." % unknown[0][:100]
        )
    args: dict[str, Any] = {}
    for name, value in body.items():
        if value is None:
            continue
        if name == "q":
            args["q"] = _conditions_from_body(value)
        elif name in repeated:
            items = value if isinstance(value, list) else [value]
            if None in items:
                raise errors.BadRequest(
                    "%s must be a string or a list of strings." % name
                )
            args[name] = [_scalar(name, item) for item in items]
        else:
            args[name] = _scalar(name, value)
    return args


def _conditions_from_body(value: Any) -> list[query.Condition]:
    if not isinstance(value, list):
        raise errors.BadRequest("q must be a list of conditions.")
    conditions = []
    for index, item in enumerate(value):
        if not isinstance(item, dict):
            raise errors.BadRequest(
                "Condition %d must be an object with "
                "field, op, type and value." % index
            )
        unknown = sorted(set(item) - set(Q_ATTRIBUTES))
        if unknown:
            raise errors.BadRequest(
                "Condition %d has an unknown key: %r."
                % (index, unknown[0][:100])
            )
        conditions.append(
            query.Condition(
                **{a: _scalar("q.%s" % a, item.get(a)) for a in Q_ATTRIBUTES}
            )
        )
    return conditions


def _scalar(name: str, value: Any) -> str | None:
    """A JSON scalar as the text the query string would have carried."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, (int, float)):
        return str(value)
    raise errors.BadRequest("%s must be a string or a number." % name)
