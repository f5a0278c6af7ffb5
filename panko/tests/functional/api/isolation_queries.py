"""Random stores, identities and queries for the isolation property test.

Two lists are the extension points:

* ``CONDITIONS``: strategies of one query condition, each knowing which
  events it keeps (the ``position`` cursor is one of them); every query
  kind that filters then uses it.
* ``QUERY_KINDS``: functions ``kind(data, world, identity)`` that draw
  their own arguments, send the requests and check the answers against
  ``panko.tests.isolation_model`` (the event counts are one of them).

Every kind first asserts that no event outside the identity's scope came
back (``World.check_no_leak``, counted in ``World.stats["leaks"]``),
then that the answer is exactly the model's.
"""

from __future__ import annotations

import collections
from collections.abc import Callable
import dataclasses
import datetime
import json
from typing import Any
from urllib import parse

from hypothesis import strategies as st

from panko.api import render
from panko.storage import models
from panko.tests import isolation_model as model

T = models.Trait

# Project ids of stored events: prefixes of each other, case variants,
# SQL LIKE wildcards, spaces, the empty string, unicode (composed and
# decomposed).
PROJECTS = (
    "p",
    "p1",
    "p10",
    "P1",
    "p1 ",
    " p1",
    "p%",
    "p_",
    "p%1",
    "p\\",
    "%",
    "_",
    "",
    "ü",
    "Ü",
    "u\u0308",
    "ü1",
    "proj-a",
    "proj-a-b",
)
# The projects of callers: what Keystone hands out fits a header, so
# ASCII and no surrounding spaces (a server strips those).
CALLER_PROJECTS = (
    "p",
    "p1",
    "p10",
    "P1",
    "p%",
    "p_",
    "p%1",
    "p\\",
    "%",
    "_",
    "proj-a",
    "proj-a-b",
    "nobody",
)
# Projects most events and callers have, so that a caller has events of
# its own to miss.
BUSY_PROJECTS = ("p1", "p%")
USERS = ("u1", "u10", "U1", "u%", "u_", "ü", "u1 ")
CALLER_USERS = ("u1", "u10", "U1", "u%", "u_", "nobody")
ROLE_SETS = (
    ("member",),
    ("reader",),
    ("Member",),
    ("READER",),
    ("member", "reader"),
    ("service",),
    ("service", "member"),
    ("foo",),
    ("admin",),
    ("Admin", "member"),
)
EVENT_TYPES = (
    "compute.instance.create.end",
    "image.update",
    "a%",
    "a_",
    "é.t",
)
HOSTS = ("node-1", "node-10", "Node-1", "n%", "n_")
INTS = (-1, 0, 1, 2, 7, 2**40)
FLOATS = (-2.25, 0.0, 0.5, 1.0, 1e10)
TIMES = (
    datetime.datetime(2026, 1, 1),
    datetime.datetime(2026, 1, 1, 0, 0, 0, 500),
    datetime.datetime(2026, 1, 2, 12),
    datetime.datetime(2026, 3, 1),
)
ID_ALPHABET = "abAB01-._%\\ üÜ√"

# ``all_tenants`` as clients spell it (oslo.utils' strict booleans).
TRUE_SPELLINGS = (
    "True",
    "true",
    "TRUE",
    "1",
    "yes",
    "True ",
    " yes",
    "on",
    "t",
    "y",
)
FALSE_SPELLINGS = ("False", "false", "0", "no", "off", "n", "False ")
BAD_SPELLINGS = ("2", "truee", "", "all", "yes please")
DEFAULT_LIMIT = 100


# -- stores -----------------------------------------------------------------


def _some(busy, every):
    """Half of the time one of ``busy``, else any of ``every``."""
    return st.one_of(st.sampled_from(busy), st.sampled_from(every))


@st.composite
def stored_event(draw, message_id: str) -> models.Event:
    traits = []
    owner = draw(st.sampled_from(("text", "text", "text", "none", "integer")))
    if owner == "text":
        traits.append(
            T(
                "project_id",
                models.TEXT_TYPE,
                draw(_some(BUSY_PROJECTS, PROJECTS)),
            )
        )
    elif owner == "integer":
        # Not an owner: only a text project_id trait names a project.
        traits.append(
            T("project_id", models.INT_TYPE, draw(st.sampled_from(INTS)))
        )
    optional = {
        "user_id": (models.TEXT_TYPE, ("u1",) * 4 + USERS),
        "tenant_id": (models.TEXT_TYPE, PROJECTS),
        "host": (models.TEXT_TYPE, HOSTS),
        "vcpus": (models.INT_TYPE, INTS),
        "ratio": (models.FLOAT_TYPE, FLOATS),
        "launched_at": (models.DATETIME_TYPE, TIMES),
    }
    for name, (dtype, values) in optional.items():
        if draw(st.booleans()):
            traits.append(T(name, dtype, draw(st.sampled_from(values))))
    return models.Event(
        message_id,
        draw(st.sampled_from(EVENT_TYPES)),
        draw(st.sampled_from(TIMES)),
        traits,
        {"message_id": message_id},
    )


message_ids = st.text(ID_ALPHABET, min_size=1, max_size=6).filter(
    lambda m: m.strip(".")
)


@st.composite
def stores(draw, min_size: int = 10, max_size: int = 40) -> list[models.Event]:
    ids = draw(
        st.lists(
            message_ids, min_size=min_size, max_size=max_size, unique=True
        )
    )
    return [draw(stored_event(i)) for i in ids]


identities = st.builds(
    model.Identity,
    roles=st.sampled_from(ROLE_SETS),
    project=_some(BUSY_PROJECTS, CALLER_PROJECTS),
    user=_some(("u1",), CALLER_USERS),
    restrict_to_user=st.booleans(),
)


# -- the world a store makes --------------------------------------------------


@dataclasses.dataclass
class World:
    """The stored events, the APIs serving them (by ``restrict_to_user``)
    and the counts of what was checked."""

    events: list[models.Event]
    apps: dict
    stats: collections.Counter

    def __post_init__(self):
        self.by_id = {e.message_id: e for e in self.events}

    def get(self, identity: model.Identity, path: str, body=None):
        app = self.apps[identity.restrict_to_user]
        if body is None:
            resp = app.get(path, headers=identity.headers, expect_errors=True)
        else:
            resp = app.request(
                path,
                method="GET",
                body=json.dumps(body).encode(),
                headers=identity.headers
                | {"Content-Type": "application/json"},
                expect_errors=True,
            )
        self.stats["requests"] += 1
        self.stats["status %d" % resp.status_int] += 1
        if resp.status_int == 200 and isinstance(resp.json, list):
            self.stats["listed"] += len(resp.json)
        return resp

    def check_no_leak(self, identity, message_ids, all_tenants=None) -> None:
        leaked = [
            m
            for m in message_ids
            if m not in self.by_id
            or not model.in_scope(identity, self.by_id[m], all_tenants)
        ]
        self.stats["leaks"] += len(leaked)
        assert not leaked, "LEAK to %r: %r" % (identity, leaked)


# -- conditions ---------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Condition:
    """One q condition: as sent (``value`` is its JSON value in a body),
    and what the model makes of it."""

    field: str
    value: Any
    op: str | None = None
    type: str | None = None
    keeps: Callable[[models.Event], bool] | None = None
    all_tenants: bool | None = None
    valid: bool = True

    @property
    def text(self) -> str:
        """The value as the query string carries it."""
        if isinstance(self.value, bool):
            return "True" if self.value else "False"
        return str(self.value)

    def as_json(self) -> dict:
        item = {"field": self.field, "value": self.value}
        if self.op is not None:
            item["op"] = self.op
        if self.type is not None:
            item["type"] = self.type
        return item


def _event_field(field, values, op, keeps):
    return st.builds(
        lambda v, o: Condition(field, v, o, keeps=lambda e: keeps(e, v)),
        values,
        st.sampled_from((None, op)),
    )


def _iso(draw_time: datetime.datetime, offset_hours: int) -> str:
    zone = datetime.timezone(datetime.timedelta(hours=offset_hours))
    local = draw_time.replace(tzinfo=datetime.UTC).astimezone(zone)
    return local.isoformat() if offset_hours else draw_time.isoformat()


times = st.builds(
    lambda t, h: (t, _iso(t, h)),
    st.sampled_from(TIMES),
    st.sampled_from((0, 0, 2, -5)),
)


def event_type_condition(world):
    return _event_field(
        "event_type",
        st.sampled_from(EVENT_TYPES + ("none.such",)),
        "eq",
        lambda e, v: e.event_type == v,
    )


def message_id_condition(world):
    return _event_field(
        "message_id",
        st.sampled_from(sorted(world.by_id) + ["none-such"]),
        "eq",
        lambda e, v: e.message_id == v,
    )


def _timestamp(field, op, compare):
    # As in Panko 10, the operator is not optional: the default, eq, is
    # refused.
    def strategy(world):
        return st.builds(
            lambda t, o: Condition(
                field,
                t[1],
                o,
                keeps=lambda e: compare(e.generated, t[0]),
                valid=o is not None,
            ),
            times,
            st.sampled_from((op, op, op, None)),
        )

    return strategy


def position_condition(world):
    """The cursor: events stored after a position (``gt``) or from it
    (``ge``); ``eq``, the default operator, is refused."""
    positions = sorted(e.position for e in world.events)
    values = st.sampled_from([0, positions[-1] + 1, *positions])
    compare = {"gt": lambda p, v: p > v, "ge": lambda p, v: p >= v}
    return st.builds(
        lambda v, o: Condition(
            "position",
            str(v),
            o,
            keeps=lambda e: o in compare and compare[o](e.position, v),
            valid=o in compare,
        ),
        values,
        st.sampled_from(("gt", "gt", "ge", None)),
    )


def all_tenants_condition(world):
    spelled = st.one_of(
        st.tuples(st.sampled_from(TRUE_SPELLINGS), st.just(True)),
        st.tuples(st.sampled_from(FALSE_SPELLINGS), st.just(False)),
        st.tuples(st.sampled_from(TRUE_SPELLINGS), st.just(True)),
        st.tuples(st.sampled_from(FALSE_SPELLINGS), st.just(False)),
        st.tuples(st.sampled_from(BAD_SPELLINGS), st.none()),
        # JSON bodies carry booleans and numbers as Panko 10 took them.
        st.tuples(st.sampled_from((True, 1)), st.just(True)),
        st.tuples(st.sampled_from((False, 0)), st.just(False)),
    )
    return st.builds(
        lambda s, o, t: Condition(
            "all_tenants", s[0], o, t, all_tenants=s[1], valid=s[1] is not None
        ),
        spelled,
        st.sampled_from((None, "eq")),
        st.sampled_from((None, "string")),
    )


TRAIT_FIELDS = (
    "project_id",
    "tenant_id",
    "user_id",
    "host",
    "vcpus",
    "ratio",
    "launched_at",
    "absent",
)
_TRAIT_VALUES = {
    "string": st.sampled_from(PROJECTS + USERS + HOSTS).map(lambda v: (v, v)),
    "integer": st.sampled_from(INTS).flatmap(
        lambda i: st.sampled_from(((i, i), (i, str(i))))
    ),
    "float": st.sampled_from(FLOATS).flatmap(
        lambda f: st.sampled_from(((f, f), (f, repr(f))))
    ),
    "datetime": times,
}


@st.composite
def _trait(draw, world):
    field = draw(st.sampled_from(TRAIT_FIELDS))
    type_name = draw(st.sampled_from((None,) + tuple(_TRAIT_VALUES)))
    op = draw(st.sampled_from((None,) + models.OPERATORS))
    value, sent = draw(_TRAIT_VALUES[type_name or "string"])
    dtype = models.DTYPE_BY_NAME[type_name or "string"]
    return Condition(
        field,
        sent,
        op,
        type_name,
        keeps=lambda e: model.trait_holds(e, field, dtype, op or "eq", value),
    )


def trait_condition(world):
    return _trait(world)


# Strategies of one condition each, as functions of the world. Those
# naming an event field appear at most once in a query (a second one is a
# 400); trait conditions may repeat.
CONDITIONS: list[tuple[Callable, bool]] = [
    (event_type_condition, False),
    (message_id_condition, False),
    (_timestamp("start_timestamp", "ge", lambda g, t: g >= t), False),
    (_timestamp("end_timestamp", "le", lambda g, t: g <= t), False),
    (all_tenants_condition, False),
    (position_condition, False),
    (trait_condition, True),
]


@st.composite
def conditions(draw, world, most: int = 3) -> list[Condition]:
    chosen: list[Condition] = []
    used = set()
    for _ in range(draw(st.integers(0, most))):
        strategy, repeats = draw(st.sampled_from(CONDITIONS))
        if repeats or strategy not in used:
            used.add(strategy)
            chosen.append(draw(strategy(world)))
    return chosen


sorts = st.lists(
    st.sampled_from(
        (
            "generated",
            "message_id",
            "generated:asc",
            "generated:desc",
            "message_id:asc",
            "message_id:desc",
            "position",
            "position:desc",
        )
    ),
    max_size=2,
)


# -- requests -----------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Listing:
    """The arguments of one ``GET /v2/events``."""

    conditions: list[Condition]
    sort: list[str]
    limit: int | None
    marker: str | None
    in_body: bool

    def send(self, world: World, identity: model.Identity, marker=None):
        marker = marker if marker is not None else self.marker
        if self.in_body:
            body: dict[str, Any] = {
                "q": [c.as_json() for c in self.conditions]
            }
            if self.sort:
                body["sort"] = self.sort
            if self.limit is not None:
                body["limit"] = self.limit
            if marker is not None:
                body["marker"] = marker
            return world.get(identity, "/v2/events", body)
        return world.get(identity, "/v2/events?" + self.query_string(marker))

    def query_string(self, marker) -> str:
        params = [("q.field", c.field) for c in self.conditions]
        params += [("q.value", c.text) for c in self.conditions]
        # q attributes are matched by position: send all or none, a
        # missing one as the default the API would take.
        if any(c.op for c in self.conditions):
            params += [("q.op", c.op or "eq") for c in self.conditions]
        if any(c.type for c in self.conditions):
            params += [("q.type", c.type or "string") for c in self.conditions]
        params += [("sort", s) for s in self.sort]
        if self.limit is not None:
            params.append(("limit", str(self.limit)))
        if marker is not None:
            params.append(("marker", marker))
        return parse.urlencode(params)

    @property
    def all_tenants(self) -> bool | None:
        for c in self.conditions:
            if c.field == "all_tenants":
                return c.all_tenants
        return None

    def keeps(self, identity: model.Identity) -> Callable:
        all_tenants = self.all_tenants
        tests = [c.keeps for c in self.conditions if c.keeps is not None]
        return lambda e: (
            model.in_scope(identity, e, all_tenants)
            and all(t(e) for t in tests)
        )

    def expected(self, world, identity, marker=None, limit=DEFAULT_LIMIT):
        """(status, message_ids) the model expects."""
        if not identity.may_read:
            return 403, None
        if not all(c.valid for c in self.conditions):
            return 400, None
        marker = marker if marker is not None else self.marker
        marker_event = None
        if marker is not None:
            marker_event = world.by_id.get(marker)
            if marker_event is None or not model.in_scope(
                identity, marker_event, self.all_tenants
            ):
                return 400, None
        return 200, model.listing(
            world.events,
            self.keeps(identity),
            self.sort,
            marker_event,
            limit,
            by_position=any(c.field == "position" for c in self.conditions),
        )


def _markers(world):
    return st.one_of(
        st.none(),
        st.none(),
        st.sampled_from(sorted(world.by_id)),
        st.just("none-such"),
    )


ANY_LIMIT = st.one_of(st.none(), st.integers(1, 10))


def listings(world, limits=ANY_LIMIT, most=3):
    return st.builds(
        Listing,
        conditions(world, most),
        sorts,
        limits,
        _markers(world),
        st.booleans(),
    )


def _ids(resp) -> list[str]:
    return [e["message_id"] for e in resp.json]


def _check_status(resp, status, what):
    assert resp.status_int == status, "%s: expected %d, got %d %s" % (
        what,
        status,
        resp.status_int,
        resp.body[:300],
    )


# -- query kinds --------------------------------------------------------------


def list_events(data, world: World, identity: model.Identity) -> None:
    """One listing, any filter, sort, limit and marker."""
    listing = data.draw(listings(world), label="listing")
    status, expected = listing.expected(
        world,
        identity,
        limit=listing.limit if listing.limit is not None else DEFAULT_LIMIT,
    )
    resp = listing.send(world, identity)
    if resp.status_int == 200:
        world.check_no_leak(identity, _ids(resp), listing.all_tenants)
    _check_status(resp, status, "GET /v2/events")
    if status == 200:
        assert _ids(resp) == expected


def walk_pages(data, world: World, identity: model.Identity) -> None:
    """Pages of ``limit`` events, each after the last of the previous
    one, until a short page: together, the whole listing."""
    listing = data.draw(
        listings(world, limits=st.integers(1, 4), most=1).map(
            lambda q: dataclasses.replace(q, marker=None)
        ),
        label="walk",
    )
    status, expected = listing.expected(world, identity, limit=None)
    walked: list[str] = []
    marker = None
    for _ in range(len(world.events) + 2):
        resp = listing.send(world, identity, marker)
        if resp.status_int == 200:
            world.check_no_leak(identity, _ids(resp), listing.all_tenants)
        _check_status(resp, status, "a page of GET /v2/events")
        if status != 200:
            return
        page = _ids(resp)
        walked += page
        if len(page) < listing.limit:
            break
        marker = page[-1]
    assert walked == expected


def show_event(data, world: World, identity: model.Identity) -> None:
    """``GET /v2/events/<id>``: an event of any project, or none."""
    message_id = data.draw(
        st.sampled_from(sorted(world.by_id) + ["none-such"]), label="show"
    )
    resp = world.get(
        identity, "/v2/events/" + parse.quote(message_id, safe="")
    )
    if resp.status_int == 200:
        world.check_no_leak(identity, [resp.json["message_id"]])
    event = world.by_id.get(message_id)
    if not identity.may_read:
        status = 403
    elif event is not None and model.in_scope(identity, event, None):
        status = 200
    else:
        status = 404
    _check_status(resp, status, "GET /v2/events/%s" % message_id)
    if status == 200:
        assert resp.json["message_id"] == message_id
        assert [t["name"] for t in resp.json["traits"]] == sorted(
            t.name for t in event.traits
        )


def list_event_types(data, world: World, identity: model.Identity) -> None:
    """The event type listings span every project: admins only. Each
    answer is a sorted list, compared whole."""
    event_type = data.draw(st.sampled_from(EVENT_TYPES), label="event_type")
    trait_name = data.draw(st.sampled_from(TRAIT_FIELDS), label="trait")
    of_type = [e for e in world.events if e.event_type == event_type]
    traits_path = "/v2/event_types/%s/traits" % parse.quote(event_type, "")
    paths = {
        "/v2/event_types": (
            lambda body: body,
            sorted({e.event_type for e in world.events}),
        ),
        traits_path: (
            lambda body: [(t["name"], t["type"]) for t in body],
            [
                (name, models.DTYPE_NAMES[dtype])
                for name, dtype in sorted(
                    {(t.name, t.dtype) for e in of_type for t in e.traits}
                )
            ],
        ),
        "%s/%s" % (traits_path, parse.quote(trait_name, "")): (
            lambda body: sorted((t["type"], t["value"]) for t in body),
            sorted(
                (t.type_name, render.trait_value(t))
                for e in of_type
                for t in e.traits
                if t.name == trait_name
            ),
        ),
    }
    path = data.draw(st.sampled_from(sorted(paths)), label="path")
    resp = world.get(identity, path)
    _check_status(resp, 200 if identity.admin else 403, "GET " + path)
    if identity.admin:
        read, expected = paths[path]
        assert read(resp.json) == expected, path


GROUP_BYS = (
    (),
    ("event_type",),
    ("project_id",),
    ("project_id", "event_type"),
)


def count_events(data, world: World, identity: model.Identity) -> None:
    """``GET /v2/event_counts``: the listing's query, counted, grouped by
    nothing, event type and/or project."""
    listing = data.draw(
        listings(world).map(
            lambda q: dataclasses.replace(q, sort=[], limit=None, marker=None)
        ),
        label="count",
    )
    group_by = data.draw(st.sampled_from(GROUP_BYS), label="group_by")
    if listing.in_body:
        body: dict[str, Any] = {"q": [c.as_json() for c in listing.conditions]}
        if group_by:
            body["group_by"] = list(group_by)
        resp = world.get(identity, "/v2/event_counts", body)
    else:
        params = listing.query_string(None)
        params += "".join("&group_by=" + key for key in group_by)
        resp = world.get(identity, "/v2/event_counts?" + params.lstrip("&"))
    status, expected = listing.expected(world, identity, limit=None)
    if resp.status_int == 200 and "project_id" in group_by:
        visible = {
            e.project_id
            for e in world.events
            if model.in_scope(identity, e, listing.all_tenants)
        }
        leaked = [
            g for g in resp.json["groups"] if g["project_id"] not in visible
        ]
        world.stats["leaks"] += len(leaked)
        assert not leaked, "LEAK to %r: %r" % (identity, leaked)
    _check_status(resp, status, "GET /v2/event_counts")
    if status != 200:
        return
    if not group_by:
        assert resp.json == {"count": len(expected)}
        return
    kept = [world.by_id[m] for m in expected]
    want = collections.Counter(
        tuple(getattr(e, key) for key in group_by) for e in kept
    )
    got = {
        tuple(g[key] for key in group_by): g["count"]
        for g in resp.json["groups"]
    }
    assert got == dict(want), (group_by, got, dict(want))
    assert resp.json["truncated"] is False


# The kinds of request the property test draws from, one per call.
QUERY_KINDS: list[Callable] = [
    list_events,
    list_events,
    walk_pages,
    show_event,
    list_event_types,
    count_events,
]
