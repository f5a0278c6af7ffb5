"""Arguments from the query string and from JSON bodies."""

from __future__ import annotations

import io
import json

import pytest
import webob

from panko.api import errors
from panko.api import params
from panko.api import query

C = query.Condition
NAMES = ("q", "limit", "marker", "sort")


def request(query_string="", body=None, content_type="application/json"):
    req = webob.Request.blank("/v2/events?" + query_string)
    if body is not None:
        req.body = (
            body if isinstance(body, bytes) else json.dumps(body).encode()
        )
        req.content_type = content_type
    return req


def read(req, body_limit=1024):
    return params.read_args(req, NAMES, ("sort",), body_limit)


def test_nothing_given():
    assert read(request()) == {
        "q": [],
        "limit": None,
        "marker": None,
        "sort": [],
    }


def test_query_string():
    args = read(
        request(
            "q.field=a&q.op=lt&q.type=integer&q.value=1"
            "&q.field=b&q.value=x&limit=5&marker=m&sort=generated"
            "&sort=message_id:desc"
        )
    )
    assert args["q"] == [C("a", "1", "lt", "integer"), C("b", "x")]
    assert args["limit"] == "5"
    assert args["marker"] == "m"
    assert args["sort"] == ["generated", "message_id:desc"]


def test_conditions_match_by_position_as_wsme_did():
    args = read(request("q.field=a&q.field=b&q.value=1&q.op=ge"))
    assert args["q"] == [C("a", "1", "ge"), C("b", None)]


def test_json_body():
    args = read(
        request(
            body={
                "q": [
                    {"field": "n", "op": "gt", "type": "float", "value": 1.5}
                ],
                "limit": 3,
                "sort": "generated:desc",
            }
        )
    )
    assert args["q"] == [C("n", "1.5", "gt", "float")]
    assert args["limit"] == "3"
    assert args["sort"] == ["generated:desc"]


def test_json_booleans_are_text():
    args = read(request(body={"q": [{"field": "all_tenants", "value": True}]}))
    assert args["q"] == [C("all_tenants", "True")]


def test_empty_body_is_no_body():
    assert read(request(body=b"  \n"))["q"] == []


@pytest.mark.parametrize(
    "query_string, message",
    [
        ("bad=1", "Unknown argument: 'bad'."),
        ("q=1", "Unknown argument: 'q'."),
        ("q.name=x", "Unknown argument: 'q.name'."),
        ("limit=1&limit=2", "The argument limit is given more than once."),
    ],
)
def test_bad_query_strings(query_string, message):
    with pytest.raises(errors.BadRequest) as raised:
        read(request(query_string))
    assert raised.value.message == message


@pytest.mark.parametrize(
    "body, message",
    [
        (
            [{"field": "a"}],
            "The body must be a JSON object with the "
            "arguments q, limit, marker, sort.",
        ),
        ({"filter": []}, "Unknown argument in the body: 'filter'."),
        ({"q": {"field": "a"}}, "q must be a list of conditions."),
        (
            {"q": ["a"]},
            "Condition 0 must be an object with field, op, type and value.",
        ),
        (
            {"q": [{"field": "a", "zzz": 1}]},
            "Condition 0 has an unknown key: 'zzz'.",
        ),
        (
            {"q": [{"field": "a", "value": [1]}]},
            "q.value must be a string or a number.",
        ),
        ({"limit": {"n": 1}}, "limit must be a string or a number."),
    ],
)
def test_bad_bodies(body, message):
    with pytest.raises(errors.BadRequest) as raised:
        read(request(body=body))
    assert raised.value.message == message


def test_argument_in_both_places_is_refused():
    with pytest.raises(errors.BadRequest, match="both in the query string"):
        read(request("limit=1", body={"limit": 2}))


def test_invalid_json():
    with pytest.raises(errors.BadRequest, match="not valid JSON"):
        read(request(body=b'{"q": ['))


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/xml", "application/x-www-form-urlencoded"],
)
def test_bodies_must_be_json(content_type):
    with pytest.raises(errors.UnsupportedMediaType) as raised:
        read(request(body=b"field: a", content_type=content_type))
    assert raised.value.status == 415


def test_json_suffix_types_are_json():
    req = request(
        body={"limit": 1}, content_type="application/vnd.openstack+json"
    )
    assert read(req)["limit"] == "1"


def test_no_body_read_when_not_asked():
    req = request(body={"limit": 1})
    assert params.read_args(req, ("limit",))["limit"] is None


def test_body_over_the_limit_is_413():
    with pytest.raises(errors.RequestTooLarge) as raised:
        read(request(body={"q": [], "marker": "x" * 2000}))
    assert raised.value.status == 413
    assert "1024 bytes" in raised.value.message


def test_body_without_length_over_the_limit_is_413():
    req = webob.Request.blank("/", method="POST")
    req.body_file_raw = io.BytesIO(b"[" + b" " * 5000 + b"]")
    req.environ.pop("CONTENT_LENGTH", None)
    req.is_body_readable = True
    with pytest.raises(errors.RequestTooLarge):
        params.read_body(req, 1024)


def test_a_body_nested_too_deeply_is_400():
    with pytest.raises(errors.BadRequest) as refused:
        read(request(body=b"[" * 100000), body_limit=10**6)
    assert refused.value.message == "The body is nested too deeply to be read."


@pytest.mark.parametrize(
    "body, message",
    [
        ({"marker": "m\ud800"}, "The argument marker contains a lone"),
        ({"sort": ["\x00"]}, "The argument sort contains a NUL character."),
        ({"limit": "1\x00"}, "The argument limit contains a NUL character."),
    ],
)
def test_arguments_a_database_cannot_hold_are_refused(body, message):
    with pytest.raises(errors.BadRequest) as refused:
        read(request(body=json.dumps(body).encode()))
    assert refused.value.message.startswith(message)


def test_path_arguments_are_checked():
    assert params.text_arg("ok", "message_id") == "ok"
    with pytest.raises(errors.BadRequest) as refused:
        params.text_arg("a\x00", "message_id")
    assert refused.value.message == (
        "The argument message_id contains a NUL character."
    )


def test_null_in_a_repeated_argument_is_400():
    with pytest.raises(errors.BadRequest) as refused:
        read(request(body={"sort": [None]}))
    assert refused.value.message == (
        "sort must be a string or a list of strings."
    )
