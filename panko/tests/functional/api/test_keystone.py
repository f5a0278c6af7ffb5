"""Keystone mode: keystonemiddleware's authtoken in front of the API.

No Keystone server is involved: a request without a token is refused by
the middleware itself, and valid tokens are stubbed with
keystonemiddleware's own AuthTokenFixture.
"""

from __future__ import annotations

import datetime
import uuid

from keystonemiddleware import fixture as ksm_fixture
import pytest
import webtest

from panko.api import app as api_app
from panko.tests import apidata
from panko.tests import keystone_stub
from panko.tests.functional.api import routes
from panko.tests.functional.api import test_post
from panko.tests.functional.api import test_rbac

KEYSTONE = {
    "www_authenticate_uri": "http://keystone.invalid/identity",
    "auth_type": "password",
    "auth_url": "http://keystone.invalid/identity",
    "username": "panko",
    "password": "secret",
    "project_name": "service",
    "user_domain_id": "default",
    "project_domain_id": "default",
}


@pytest.fixture
def tokens():
    fixture = ksm_fixture.AuthTokenFixture()
    fixture.setUp()
    yield fixture
    fixture.cleanUp()


@pytest.fixture
def keystone_api(make_app, tokens):
    return make_app(api={"auth_mode": "keystone"}, keystone_authtoken=KEYSTONE)


def token(tokens, roles, project="project-a", user="user-a"):
    token_id = uuid.uuid4().hex
    tokens.add_token_data(
        token_id=token_id,
        user_id=user,
        project_id=project,
        role_list=roles,
        user_domain_id="default",
        project_domain_id="default",
    )
    return token_id


def listed(resp):
    return [e["message_id"] for e in resp.json]


def test_request_without_token_is_refused(keystone_api, sample):
    resp = keystone_api.get("/v2/events", status=401)
    assert resp.headers["WWW-Authenticate"] == (
        'Keystone uri="http://keystone.invalid/identity"'
    )


def test_identity_headers_without_token_are_not_trusted(keystone_api, sample):
    keystone_api.get("/v2/events", headers=apidata.ADMIN, status=401)


def test_invalid_token_is_refused(keystone_api, tokens, sample):
    keystone_api.get(
        "/v2/events", headers={"X-Auth-Token": "nope"}, status=401
    )


def test_member_token(keystone_api, tokens, sample):
    headers = {"X-Auth-Token": token(tokens, ["member", "reader"])}
    resp = keystone_api.get("/v2/events", headers=headers)
    assert listed(resp) == ["ev-a1", "ev-a2"]
    keystone_api.get("/v2/events/ev-b1", headers=headers, status=404)
    keystone_api.get("/v2/event_types", headers=headers, status=403)


def test_spoofed_headers_are_replaced_by_the_tokens(
    keystone_api, tokens, sample
):
    headers = apidata.ADMIN | {"X-Auth-Token": token(tokens, ["member"])}
    resp = keystone_api.get(
        "/v2/events?q.field=all_tenants&q.value=True", headers=headers
    )
    assert listed(resp) == ["ev-a1", "ev-a2"]


def test_spoofed_legacy_headers_are_removed(keystone_api, tokens, sample):
    """The old names of the identity headers cannot widen a token."""
    headers = {
        "X-Auth-Token": token(tokens, ["member"]),
        "X-Tenant-Id": "project-b",
        "X-Tenant": "project-b",
        "X-Role": "admin",
        "X-User": "admin-user",
        "X-Service-Roles": "admin",
    }
    resp = keystone_api.get("/v2/events?" + test_rbac.ALL, headers=headers)
    assert listed(resp) == ["ev-a1", "ev-a2"]
    keystone_api.get("/v2/event_types", headers=headers, status=403)


def test_admin_token(keystone_api, tokens, sample):
    headers = {
        "X-Auth-Token": token(tokens, ["admin"], "admin-project", "admin")
    }
    resp = keystone_api.get(
        "/v2/events?q.field=all_tenants&q.value=True", headers=headers
    )
    assert len(resp.json) == 5
    assert keystone_api.get("/v2/event_types", headers=headers).json


def test_token_without_project_is_403(keystone_api, tokens, sample):
    token_id = uuid.uuid4().hex
    tokens.add_token_data(
        token_id=token_id,
        user_id="user-a",
        role_list=["admin"],
        user_domain_id="default",
    )
    headers = {"X-Auth-Token": token_id}
    keystone_api.get("/v2/events", headers=headers, status=403)


def test_service_token_posts(keystone_api, tokens, storage_conn):
    headers = {
        "X-Auth-Token": token(tokens, ["service"], "service", "ceilometer"),
        "Content-Type": "application/json",
    }
    resp = keystone_api.post_json(
        "/v2/events", [test_post.serialized("m1")], headers=headers
    )
    assert resp.json == {"stored": 1, "duplicates": 0}


def test_versions_and_healthcheck_need_no_token(keystone_api):
    assert keystone_api.get("/").json["versions"]["values"][0]["id"] == "v2"
    assert keystone_api.get("/healthcheck").text == "OK"


# -- refused before the database -------------------------------------------


class StorageSpy:
    """A storage driver that records every attribute the API uses."""

    def __init__(self, connection):
        self._connection = connection
        self.used: list[str] = []

    def __getattr__(self, name):
        self.used.append(name)
        return getattr(self._connection, name)


def keystone_app(tmp_path, url, connection=None):
    path = apidata.write_config(
        tmp_path / "panko-keystone.conf",
        url,
        api={"auth_mode": "keystone"},
        keystone_authtoken=KEYSTONE,
    )
    conf = apidata.load_conf(path)
    return webtest.TestApp(api_app.load_app(conf, connection=connection))


def refused_credentials(tokens):
    """Headers of requests authtoken must refuse, by reason."""
    past = datetime.datetime.now(datetime.UTC) - datetime.timedelta(hours=1)
    expired = uuid.uuid4().hex
    tokens.add_token_data(
        token_id=expired,
        expires=past.replace(tzinfo=None),
        user_id="admin-user",
        project_id="admin-project",
        role_list=["admin"],
        user_domain_id="default",
        project_domain_id="default",
    )
    return {
        "missing": {},
        "spoofed identity headers": dict(apidata.ADMIN),
        "invalid": {"X-Auth-Token": "not-a-token"},
        "expired": {"X-Auth-Token": expired},
    }


GUARDED = [(m, routes.concrete(p)) for m, p in test_rbac.TEMPLATES]


def test_refused_tokens_never_reach_the_database(
    tmp_path, tokens, storage_conn, sample
):
    spy = StorageSpy(storage_conn)
    api = keystone_app(tmp_path, storage_conn.url, spy)
    for reason, headers in refused_credentials(tokens).items():
        for method, path in GUARDED:
            resp = test_rbac.call(api, method, path, headers)
            assert resp.status_int == 401, (reason, method, path)
    assert spy.used == []
    # The spy does see what a valid token leads to.
    admin = {"X-Auth-Token": token(tokens, ["admin"], "admin-project")}
    api.get("/v2/events", headers=admin)
    assert "get_events" in spy.used


def test_refused_tokens_are_401_with_the_database_down(tmp_path, tokens):
    # Nothing listens on this port: a request that reached the storage
    # would be a 503.
    down = "postgresql+psycopg2://root@127.0.0.1:18401/panko"
    api = keystone_app(tmp_path, down)
    for reason, headers in refused_credentials(tokens).items():
        for method, path in GUARDED:
            resp = test_rbac.call(api, method, path, headers)
            assert resp.status_int == 401, (reason, method, path)
    admin = {"X-Auth-Token": token(tokens, ["admin"], "admin-project")}
    api.get("/v2/events", headers=admin, status=503)


# -- the service role --------------------------------------------------------


def test_service_writes_but_reads_no_project(keystone_api, tokens, sample):
    service = {
        "X-Auth-Token": token(tokens, ["service"], "service", "ceilometer"),
    }
    body = [
        test_post.serialized("from-ceilometer-a", "project-a"),
        test_post.serialized("from-ceilometer-s", "service"),
    ]
    resp = keystone_api.post_json("/v2/events", body, headers=service)
    assert resp.json == {"stored": 2, "duplicates": 0}
    for path in (
        "/v2/events",
        "/v2/events?" + test_rbac.ALL,
        "/v2/events/from-ceilometer-a",
        "/v2/events/ev-b1",
        "/v2/event_types",
    ):
        keystone_api.get(path, headers=service, status=403)


def test_service_reader_sees_only_its_own_project(
    keystone_api, tokens, sample
):
    service = {
        "X-Auth-Token": token(
            tokens, ["service", "reader"], "service", "ceilometer"
        ),
    }
    body = [
        test_post.serialized("from-ceilometer-a", "project-a"),
        test_post.serialized("from-ceilometer-s", "service"),
    ]
    keystone_api.post_json("/v2/events", body, headers=service)
    for query in ("", test_rbac.ALL):
        resp = keystone_api.get("/v2/events?" + query, headers=service)
        assert listed(resp) == ["from-ceilometer-s"]
    keystone_api.get(
        "/v2/events/from-ceilometer-a", headers=service, status=404
    )
    keystone_api.get("/v2/events/ev-a1", headers=service, status=404)


# -- a real validation round trip ---------------------------------------------


@pytest.fixture
def keystone():
    stub = keystone_stub.KeystoneStub()
    yield stub
    stub.stop()


def test_tokens_validated_by_a_keystone(
    tmp_path, keystone, storage_conn, sample
):
    """authtoken asks a (local) Keystone about every token; those it
    refuses, and the expired one it returns, are 401 before the API
    touches the database."""
    spy = StorageSpy(storage_conn)
    path = apidata.write_config(
        tmp_path / "panko-keystone.conf",
        storage_conn.url,
        api={"auth_mode": "keystone"},
        keystone_authtoken=keystone.middleware_options(),
    )
    api = webtest.TestApp(
        api_app.load_app(apidata.load_conf(path), connection=spy)
    )
    past = datetime.datetime.now(datetime.UTC) - datetime.timedelta(hours=1)
    expired = keystone.add_token(
        ["admin"], "admin-project", "admin-user", past.replace(tzinfo=None)
    )
    for headers in (
        {},
        {"X-Auth-Token": "unknown"},
        {"X-Auth-Token": expired},
    ):
        for method, route in GUARDED:
            resp = test_rbac.call(api, method, route, headers)
            assert resp.status_int == 401, (headers, method, route)
    assert spy.used == []
    assert {"unknown", expired} <= set(keystone.validated)

    member = {
        "X-Auth-Token": keystone.add_token(["member"], "project-a", "user-a")
    }
    assert listed(api.get("/v2/events?" + test_rbac.ALL, headers=member)) == [
        "ev-a1",
        "ev-a2",
    ]
    assert member["X-Auth-Token"] in keystone.validated
