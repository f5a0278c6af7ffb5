"""hypothesis strategies of bad input: what clients and queues may send.

Values lean to the edges that broke things before: huge integers, NaN
and infinities, dates of year 0, 9999 and 10000, NUL bytes, lone
surrogates, unicode beyond the BMP, 1000-character strings, JSON where
a string belongs, nesting.
"""

from __future__ import annotations

import json
from urllib import parse

from hypothesis import strategies as st

from panko.api import query
from panko.storage import models

EDGE_TEXT = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\ud800",
    "x\udfffy",
    "\U0001f600",
    "é",
    "\uffff",
    "x" * 1000,
    "é" * 300,
    "%",
    "_",
    "\\",
    "'; drop table event;--",
    '{"$where": "1"}',
    '{"$gt": ""}',
    "$where",
    "a.b",
    "null",
    "None",
    "True",
    "1e400",
    "-0",
]
EDGE_NUMBERS = [
    "0",
    "-1",
    "1",
    str(2**63 - 1),
    str(2**63),
    str(-(2**63)),
    str(-(2**63) - 1),
    "9" * 30,
    "9" * 5000,
    "nan",
    "NaN",
    "inf",
    "-Infinity",
    "1e308",
    "1e309",
    "4.9e-324",
    "0x10",
    " 5 ",
    "1_000",
    "١٢",
]
EDGE_DATES = [
    "0000-01-01T00:00:00",
    "0001-01-01T00:00:00",
    "0001-01-01T00:00:00+01:00",
    "9999-12-31T23:59:59",
    "9999-12-31T23:59:59.999999",
    "9999-12-31T23:59:59-01:00",
    "10000-01-01T00:00:00",
    "2026-02-30T00:00:00",
    "2026-13-01T00:00:00",
    "2026-01-01T24:00:00",
    "2026-01-01T00:00:00Z",
    "2026-01-01T00:00:00+14:00",
    "2026-01-01",
    "2026-01-01T00:00:00.1234567",
    "20260101T000000",
    "yesterday",
]

# Text that hypothesis writes, surrogates and NUL included.
any_text = st.text(
    st.characters(codec=None, exclude_categories=()), max_size=40
)
edge_text = st.sampled_from(EDGE_TEXT)
# Text around a NUL byte or a lone surrogate, which no database stores.
unstorable_text = st.builds(
    "{}{}{}".format,
    st.text(max_size=3),
    st.sampled_from(["\x00", "\ud800", "\udbff", "\udc00", "\udfff"]),
    st.text(max_size=3),
)
texts = st.one_of(
    edge_text, unstorable_text, any_text, st.sampled_from(EDGE_NUMBERS)
)
values = st.one_of(
    texts,
    st.sampled_from(EDGE_DATES),
    st.integers().map(str),
    st.floats().map(repr),
    st.datetimes().map(lambda d: d.isoformat()),
)
known_fields = st.sampled_from(
    sorted(query.EVENT_FIELDS)
    + [
        "host",
        "vcpus",
        "ratio",
        "launched_at",
        "project_id",
        "user_id",
        "tenant_id",
        "name",
        "size",
    ]
)
fields = st.one_of(known_fields, texts)
ops = st.one_of(
    st.sampled_from(models.OPERATORS),
    st.sampled_from(["", "like", "EQ"]),
    texts,
)
types = st.one_of(
    st.sampled_from(query.TRAIT_TYPES),
    st.sampled_from(["", "int", "bool", "String"]),
    texts,
)
limits = st.one_of(
    st.integers(min_value=-3, max_value=12).map(str),
    st.sampled_from(EDGE_NUMBERS),
    texts,
)
markers = st.one_of(
    st.sampled_from(["ev-a1", "ev-a2", "ev-b1", "ev-n1", "ev-admin", "nope"]),
    texts,
)
sort_values = st.one_of(
    st.builds(
        "{}:{}".format,
        st.sampled_from(models.SORT_KEYS + ("event_type", "")),
        st.sampled_from(models.SORT_DIRS + ("up", "", "ASC")),
    ),
    st.sampled_from(list(models.SORT_KEYS)),
    texts,
)

# JSON values, nested, for the places that take a string.
json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    texts,
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(texts, inner, max_size=3),
    ),
    max_leaves=8,
)


valid_dates = st.datetimes().map(lambda d: d.isoformat())
# Conditions the sample events can match: field, op, type, values.
WELL_FORMED = [
    ("event_type", ["eq"], [None], ["compute.instance.create.end", "x"]),
    ("message_id", ["eq"], [None], ["ev-a1", "ev-b1", "nope"]),
    ("all_tenants", ["eq"], [None], ["True", "False", "true", "0"]),
    ("start_timestamp", ["ge"], [None], None),
    ("end_timestamp", ["le"], [None], None),
    ("host", list(models.OPERATORS), [None, "string"], ["node-1", "a"]),
    ("project_id", ["eq", "ne"], [None, "string"], ["project-a", "b"]),
    ("vcpus", list(models.OPERATORS), ["integer"], ["2", "4", "-1"]),
    ("ratio", list(models.OPERATORS), ["float"], ["0.5", "1e20"]),
    ("launched_at", list(models.OPERATORS), ["datetime"], None),
]


@st.composite
def well_formed_conditions(draw):
    field, allowed_ops, allowed_types, known = draw(
        st.sampled_from(WELL_FORMED)
    )
    value = draw(valid_dates if known is None else st.sampled_from(known))
    return {
        "field": field,
        "op": draw(st.sampled_from(allowed_ops)),
        "type": draw(st.sampled_from(allowed_types)),
        "value": value,
    }


@st.composite
def any_conditions(draw):
    """A condition as (field, op, type, value), any part left out."""
    return {
        "field": draw(st.one_of(st.none(), fields)),
        "op": draw(st.one_of(st.none(), ops)),
        "type": draw(st.one_of(st.none(), types)),
        "value": draw(st.one_of(st.none(), values)),
    }


conditions = st.one_of(well_formed_conditions(), any_conditions())


@st.composite
def event_queries(draw):
    """The arguments of GET /v2/events as (name, value) pairs, in the
    order a query string has them; repeated and conflicting ones too."""
    pairs = []
    for condition in draw(st.lists(conditions, max_size=4)):
        for key, value in condition.items():
            if value is not None:
                pairs.append(("q.%s" % key, value))
    if draw(st.integers(0, 3)) == 0:
        # The columns of conditions out of step, as a sloppy client has.
        pairs += [("q.field", draw(fields))] * draw(st.integers(0, 2))
    for name, strategy in (
        ("limit", limits),
        ("marker", markers),
        ("sort", sort_values),
    ):
        for _ in range(draw(st.sampled_from([0, 0, 1, 1, 2]))):
            pairs.append((name, draw(strategy)))
    if draw(st.integers(0, 9)) == 0:
        pairs.append((draw(texts), draw(values)))  # unknown argument
    return draw(st.permutations(pairs))


def query_string(pairs) -> str:
    """``pairs`` percent-encoded as UTF-8; a lone surrogate becomes the
    bytes a broken encoder would send (%ED%A0%80)."""
    return "&".join(
        "%s=%s" % (_quote(name), _quote(value)) for name, value in pairs
    )


def path_segment(text: str) -> str:
    return _quote(text)


def _quote(text: str) -> str:
    return parse.quote(text.encode("utf-8", "surrogatepass"), safe="")


@st.composite
def event_query_bodies(draw):
    """A JSON body for GET /v2/events: mostly the right shape with wrong
    parts, sometimes anything."""
    body = {}
    if draw(st.booleans()):
        body["q"] = draw(
            st.one_of(
                st.lists(
                    st.dictionaries(
                        st.sampled_from(
                            ["field", "op", "type", "value", "zzz"]
                        ),
                        st.one_of(values, json_values),
                        max_size=4,
                    ),
                    max_size=3,
                ),
                json_values,
            )
        )
    for name, strategy in (
        ("limit", limits),
        ("marker", markers),
        ("sort", sort_values),
    ):
        if draw(st.booleans()):
            body[name] = draw(st.one_of(strategy, json_values))
    return draw(st.one_of(st.just(body), json_values))


def dumps(value) -> bytes:
    """JSON as Python writes it: NaN and Infinity literals included,
    lone surrogates as \\ud800 escapes."""
    return json.dumps(value).encode("ascii")


# -- events as POST /v2/events and the listener receive them ---------------

names = st.one_of(
    st.text(st.characters(codec="utf-8"), min_size=1, max_size=20),
    edge_text,
    unstorable_text,
    st.just("n" * 256),
)
trait_values = st.one_of(
    json_scalars,
    st.sampled_from(EDGE_NUMBERS + EDGE_DATES),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([10**400, float("nan"), float("inf")]),
    json_values,
)
dtypes = st.one_of(
    st.integers(min_value=0, max_value=4),
    st.sampled_from([-1, 5, 2**64, 1.0, "1", None, True]),
)
traits = st.one_of(
    st.tuples(names, dtypes, trait_values).map(list),
    st.fixed_dictionaries(
        {"name": names, "value": trait_values},
        optional={
            "dtype": dtypes,
            "type": st.one_of(st.sampled_from(query.TRAIT_TYPES), json_values),
        },
    ),
    json_values,
)
generated = st.one_of(
    st.datetimes().map(lambda d: d.isoformat()),
    st.sampled_from(EDGE_DATES),
    json_scalars,
)


storable_text = st.text(
    st.characters(codec="utf-8", exclude_characters="\x00"), max_size=30
)
storable_names = st.text(
    st.characters(codec="utf-8", exclude_characters="\x00"),
    min_size=1,
    max_size=30,
)
good_trait_values = {
    1: storable_text,
    2: st.integers(min_value=-(2**63), max_value=2**63 - 1),
    3: st.floats(allow_nan=False, allow_infinity=False),
    4: valid_dates,
}


@st.composite
def good_events(draw, message_ids):
    """A serialized event that must be stored."""
    trait_names = draw(st.lists(storable_names, max_size=6, unique=True))
    traits = []
    for name in trait_names:
        dtype = draw(st.integers(1, 4))
        traits.append([name, dtype, draw(good_trait_values[dtype])])
    return {
        "message_id": draw(message_ids),
        "event_type": draw(storable_names),
        "generated": draw(valid_dates),
        "traits": traits,
        "raw": draw(
            st.recursive(
                st.one_of(st.none(), st.integers(), storable_text),
                lambda inner: (
                    st.dictionaries(storable_text, inner, max_size=3)
                    | st.lists(inner, max_size=3)
                ),
                max_leaves=6,
            )
        ),
    }


@st.composite
def mutated_events(draw, message_ids):
    """A good event with one part wrong."""
    event = draw(good_events(message_ids))
    key = draw(st.sampled_from(sorted(event)))
    event[key] = draw(
        {
            "message_id": st.one_of(names, json_scalars),
            "event_type": st.one_of(names, json_scalars),
            "generated": generated,
            "traits": st.lists(traits, min_size=1, max_size=3),
            "raw": json_values,
        }[key]
    )
    return event


def events(message_ids):
    """Serialized events, good and bad."""
    return st.one_of(
        good_events(message_ids),
        mutated_events(message_ids),
        bad_events(message_ids),
    )


@st.composite
def bad_events(draw, message_ids):
    """A serialized event with wrong parts; ``message_ids`` gives the
    message_id of those meant to be fine."""
    event = {
        "message_id": draw(st.one_of(message_ids, names, json_scalars)),
        "event_type": draw(
            st.one_of(st.just("compute.x"), names, json_scalars)
        ),
        "generated": draw(generated),
        "traits": draw(st.one_of(st.lists(traits, max_size=5), json_values)),
        "raw": draw(json_values),
    }
    for key in draw(st.sets(st.sampled_from(sorted(event)), max_size=2)):
        del event[key]
    if draw(st.integers(0, 9)) == 0:
        event[draw(texts)] = draw(json_values)
    return event
