"""Keystone mode: keystonemiddleware's authtoken in front of the API.

No Keystone server is involved: a request without a token is refused by
the middleware itself, and valid tokens are stubbed with
keystonemiddleware's own AuthTokenFixture.
"""

from __future__ import annotations

import uuid

from keystonemiddleware import fixture as ksm_fixture
import pytest

from panko.tests import apidata
from panko.tests.functional.api import test_post

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
