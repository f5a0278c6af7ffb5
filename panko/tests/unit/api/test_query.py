"""Conditions, limits and sorts turned into checked models."""

from __future__ import annotations

import datetime

import pytest

from panko.api import errors
from panko.api import query
from panko.storage import models

C = query.Condition


def parse(*conditions):
    return query.parse_conditions(list(conditions))


def test_no_conditions():
    parsed = parse()
    assert parsed.event_filter == models.EventFilter()
    assert parsed.all_tenants is None


def test_event_fields():
    parsed = parse(
        C("event_type", "compute.start"),
        C("message_id", "m1", "eq"),
        C("start_timestamp", "2026-01-01T00:00:00", "ge"),
        C("end_timestamp", "2026-01-02T01:00:00+01:00", "le"),
    )
    f = parsed.event_filter
    assert f.event_type == "compute.start"
    assert f.message_id == "m1"
    assert f.start_timestamp == datetime.datetime(2026, 1, 1)
    # Converted to naive UTC.
    assert f.end_timestamp == datetime.datetime(2026, 1, 2)
    assert f.traits == ()


@pytest.mark.parametrize(
    "type_, value, dtype, expected",
    [
        (None, "node-1", models.TEXT_TYPE, "node-1"),
        ("", "node-1", models.TEXT_TYPE, "node-1"),
        ("string", "42", models.TEXT_TYPE, "42"),
        ("integer", " 42 ", models.INT_TYPE, 42),
        ("float", "0.5", models.FLOAT_TYPE, 0.5),
        (
            "datetime",
            "2026-01-01T00:00:00.5",
            models.DATETIME_TYPE,
            datetime.datetime(2026, 1, 1, 0, 0, 0, 500000),
        ),
    ],
)
def test_trait_types(type_, value, dtype, expected):
    [trait] = parse(C("t", value, "lt", type_)).event_filter.traits
    assert trait == models.TraitFilter("t", dtype, "lt", expected)


def test_op_defaults_to_eq():
    [trait] = parse(C("t", "v")).event_filter.traits
    assert trait.op == "eq"


@pytest.mark.parametrize(
    "value, expected", [("True", True), ("false", False), ("1", True)]
)
def test_all_tenants(value, expected):
    parsed = parse(C("all_tenants", value))
    assert parsed.all_tenants is expected
    assert parsed.event_filter == models.EventFilter()


@pytest.mark.parametrize(
    "condition, message",
    [
        (C(None, "v"), "Condition 0 has no field (q.field)."),
        (C("t", None), "The condition on t has no value (q.value)."),
        (C("", "v"), "Condition 0 has no field (q.field)."),
        (
            C("t", "v", "like"),
            "The operator 'like' of the condition on t is not one of "
            "eq, ne, lt, le, gt, ge.",
        ),
        (
            C("t", "v", "eq", "boolean"),
            "The type 'boolean' of the condition on t is not one of "
            "string, integer, float, datetime.",
        ),
        (
            C("event_type", "x", "ne"),
            "The field event_type accepts only the operator eq, not ne.",
        ),
        (
            C("message_id", "x", "gt"),
            "The field message_id accepts only the operator eq, not gt.",
        ),
        (
            C("start_timestamp", "2026-01-01T00:00:00", "gt"),
            "The field start_timestamp accepts only the operator ge, not gt.",
        ),
        (
            C("start_timestamp", "2026-01-01T00:00:00"),
            "The field start_timestamp accepts only the operator ge, not eq.",
        ),
        (
            C("end_timestamp", "2026-01-01T00:00:00", "lt"),
            "The field end_timestamp accepts only the operator le, not lt.",
        ),
        (
            C("start_timestamp", "yesterday", "ge"),
            "The value 'yesterday' of start_timestamp is not a valid "
            "datetime.",
        ),
        (
            C("t", "abc", "eq", "integer"),
            "The value 'abc' of t is not a valid integer.",
        ),
        (
            C("t", "9223372036854775808", "eq", "integer"),
            "The value '9223372036854775808' of t is not a valid integer.",
        ),
        (
            C("t", "1.5", "eq", "integer"),
            "The value '1.5' of t is not a valid integer.",
        ),
        (
            C("t", "nan", "eq", "float"),
            "The value 'nan' of t is not a valid float.",
        ),
        (
            C("t", "2026-13-01", "eq", "datetime"),
            "The value '2026-13-01' of t is not a valid datetime.",
        ),
        (
            C("all_tenants", "maybe"),
            "The value 'maybe' of all_tenants is not a boolean "
            "(True or False).",
        ),
        (
            C("all_tenants", "True", "ne"),
            "The field all_tenants accepts only the operator eq, not ne.",
        ),
        (
            C("t", "a\x00b"),
            "Condition 0: the value of t contains a NUL character.",
        ),
        (
            C("x" * 256, "v"),
            "Condition 0: the field name is longer than 255 characters.",
        ),
    ],
)
def test_bad_conditions(condition, message):
    with pytest.raises(errors.BadRequest) as raised:
        parse(condition)
    assert raised.value.message == message
    assert raised.value.status == 400


def test_an_event_field_twice_is_refused():
    with pytest.raises(errors.BadRequest, match="more than one condition"):
        parse(C("event_type", "a"), C("event_type", "b"))
    with pytest.raises(errors.BadRequest, match="more than one condition"):
        parse(C("all_tenants", "True"), C("all_tenants", "False"))


def test_the_same_trait_twice_is_and():
    parsed = parse(
        C("vcpus", "1", "ge", "integer"), C("vcpus", "4", "le", "integer")
    )
    assert [t.op for t in parsed.event_filter.traits] == ["ge", "le"]


@pytest.mark.parametrize(
    "value, expected",
    [(None, 100), ("5", 5), (7, 7), ("20000", 10000), ("10000", 10000)],
)
def test_limits(value, expected):
    assert query.parse_limit(value, 100, 10000) == expected


def test_default_limit_is_clamped_too():
    assert query.parse_limit(None, 500, 50) == 50


@pytest.mark.parametrize(
    "value, message",
    [
        ("0", "The limit must be a positive integer, not 0."),
        ("-1", "The limit must be a positive integer, not -1."),
        ("ten", "The limit 'ten' is not an integer."),
        ("1.5", "The limit '1.5' is not an integer."),
        (True, "The limit must be a positive integer."),
    ],
)
def test_bad_limits(value, message):
    with pytest.raises(errors.BadRequest) as raised:
        query.parse_limit(value, 100, 10000)
    assert raised.value.message == message


def test_sorts():
    assert query.parse_sort([]) == ()
    assert query.parse_sort(["generated", "message_id:desc"]) == (
        ("generated", "asc"),
        ("message_id", "desc"),
    )


@pytest.mark.parametrize(
    "value, message",
    [
        (
            "event_type:asc",
            "Cannot sort by 'event_type': the sort keys are generated, "
            "message_id, position.",
        ),
        (
            "generated:up",
            "Cannot sort generated 'up': the directions are asc, desc.",
        ),
        (
            ":asc",
            "Cannot sort by '': the sort keys are generated, message_id, "
            "position.",
        ),
    ],
)
def test_bad_sorts(value, message):
    with pytest.raises(errors.BadRequest) as raised:
        query.parse_sort([value])
    assert raised.value.message == message


@pytest.mark.parametrize(
    "op, value, after",
    [("gt", "41", 41), ("ge", "41", 40), ("ge", "0", -1), ("gt", " 7 ", 7)],
)
def test_position_is_the_cursor(op, value, after):
    parsed = query.parse_conditions([C("position", value, op, "integer")])
    assert parsed.event_filter == models.EventFilter(after_position=after)


def test_position_is_not_a_trait_and_ignores_its_type():
    parsed = query.parse_conditions(
        [C("position", "3", "gt", "string"), C("host", "a")]
    )
    assert parsed.event_filter.after_position == 3
    assert [t.name for t in parsed.event_filter.traits] == ["host"]


def test_position_sort_is_total_by_itself():
    sort = query.parse_sort(["position:desc", "generated"])
    assert models.Pagination(sort=sort).total_order() == (
        ("position", "desc"),
    )
    assert models.Pagination().total_order(models.POSITION_SORT) == (
        ("position", "asc"),
    )
