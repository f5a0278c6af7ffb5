"""Building the application: paste files, old and new, and its entry
points. None of these requests reaches a database."""

from __future__ import annotations

import os
import pathlib
import shutil
import sys

from oslo_config import cfg
import pytest
import webtest

from panko import profiler
from panko.api import app as api_app
from panko.tests import apidata
from panko.tests import panko10_files

ROOT = pathlib.Path(__file__).parents[4]
UNUSED_DB = "sqlite:////nonexistent/never-opened.sqlite"

# Enough for keystonemiddleware to refuse a request without a token
# (with a WWW-Authenticate header) without asking any Keystone.
KEYSTONE = {"www_authenticate_uri": "http://keystone.invalid/identity"}


@pytest.fixture
def conf_in(tmp_path):
    def make(**groups):
        groups.setdefault("keystone_authtoken", KEYSTONE)
        return apidata.load_conf(
            apidata.write_config(tmp_path / "panko.conf", UNUSED_DB, **groups)
        )

    return make


def test_packaged_paste_file_is_the_one_in_etc():
    assert (ROOT / "etc/panko/api_paste.ini").read_text() == (
        pathlib.Path(api_app.PACKAGED_PASTE_FILE).read_text()
    )


def test_packaged_paste_file_by_default(conf_in):
    assert api_app.paste_file(conf_in()) == api_app.PACKAGED_PASTE_FILE


def test_paste_file_beside_the_configuration(conf_in, tmp_path):
    panko10_files.write_ini(
        str(tmp_path / "api_paste.ini"), panko10_files.PANKO10_PASTE
    )
    assert api_app.paste_file(conf_in()) == str(tmp_path / "api_paste.ini")


def test_absolute_paste_file_must_exist(conf_in):
    conf = conf_in(DEFAULT={"api_paste_config": "/nonexistent/paste.ini"})
    with pytest.raises(cfg.ConfigFilesNotFoundError):
        api_app.load_app(conf)


@pytest.mark.parametrize("mode", ["noauth", "keystone"])
def test_routes_of_the_packaged_pipeline(conf_in, mode):
    api = webtest.TestApp(api_app.load_app(conf_in(api={"auth_mode": mode})))
    resp = api.get("/")
    assert resp.json["versions"]["values"][0]["id"] == "v2"
    assert resp.json["versions"]["values"][0]["links"][0] == {
        "href": "http://localhost/v2",
        "rel": "self",
    }
    assert api.get("/healthcheck").text == "OK"
    resp = api.get(
        "/v2/capabilities", headers=apidata.ADMIN, expect_errors=True
    )
    # Without a token, keystonemiddleware refuses before panko sees it.
    assert resp.status_int == (200 if mode == "noauth" else 401)


@pytest.mark.parametrize("mode", ["noauth", "keystone"])
@pytest.mark.parametrize(
    "release, sections",
    [
        ("Pike to Stein", panko10_files.PIKE_PASTE),
        ("Train to Victoria", panko10_files.TRAIN_PASTE),
        ("Wallaby", panko10_files.PANKO10_PASTE),
    ],
)
def test_panko10_paste_file_loads_unchanged(
    conf_in, tmp_path, mode, release, sections
):
    panko10_files.write_ini(str(tmp_path / "api_paste.ini"), sections)
    conf = conf_in(api={"auth_mode": mode})
    api = webtest.TestApp(api_app.load_app(conf))
    assert api.get("/").json["versions"]["values"][0]["status"] == "stable"
    # As in that release: /healthcheck came with Wallaby's file.
    resp = api.get("/healthcheck", expect_errors=True)
    assert resp.status_int == (200 if "app:healthcheck" in sections else 404)
    resp = api.get(
        "/v2/capabilities", headers=apidata.ADMIN, expect_errors=True
    )
    assert resp.status_int == (200 if mode == "noauth" else 401)
    assert "x-openstack-request-id" in resp.headers
    if mode == "noauth":
        resp = api.get("/v2", headers=apidata.ADMIN)
        assert resp.json["version"]["id"] == "v2"


@pytest.mark.parametrize(
    "sections", [panko10_files.NEWTON_PASTE, panko10_files.OCATA_PASTE]
)
def test_newton_and_ocata_paste_files_load_as_their_main_pipeline(
    conf_in, tmp_path, sections
):
    panko10_files.write_ini(str(tmp_path / "api_paste.ini"), sections)
    api = webtest.TestApp(api_app.load_app(conf_in()))
    # authtoken guards every path of that pipeline, as it did.
    resp = api.get("/", expect_errors=True)
    assert resp.status_int == 401
    assert "keystone.invalid" in resp.headers["WWW-Authenticate"]
    assert api.get("/v2/events", expect_errors=True).status_int == 401


def test_root_without_root_option_serves_versions_and_v2(conf_in, tmp_path):
    sections = dict(panko10_files.NEWTON_PASTE)
    sections["pipeline:main"] = {"pipeline": "cors request_id api-server"}
    panko10_files.write_ini(str(tmp_path / "api_paste.ini"), sections)
    api = webtest.TestApp(api_app.load_app(conf_in()))
    assert api.get("/").json["versions"]["values"][0]["links"][0]["href"] == (
        "http://localhost/v2"
    )
    resp = api.get("/v2/", headers=apidata.ADMIN)
    assert resp.json["version"]["links"][0]["href"] == "http://localhost/v2"
    resp = api.get("/v2/capabilities", headers=apidata.ADMIN)
    assert resp.json["event_storage"] == {"storage:production_ready": True}


def test_version_links_follow_the_proxy(conf_in):
    conf = conf_in(oslo_middleware={"enable_proxy_headers_parsing": True})
    api = webtest.TestApp(api_app.load_app(conf))
    resp = api.get(
        "/",
        headers={
            "X-Forwarded-Proto": "https",
            "X-Forwarded-Host": "events.example.com",
        },
    )
    href = resp.json["versions"]["values"][0]["links"][0]["href"]
    assert href == "https://events.example.com/v2"


def test_app_factory_outside_load_app_is_refused():
    with pytest.raises(RuntimeError, match="load_app"):
        api_app.app_factory(
            {}, root="panko.api.controllers.root.RootController"
        )


def test_versions_document_answers_get_only(conf_in):
    api = webtest.TestApp(api_app.load_app(conf_in()))
    assert api.post("/", expect_errors=True).status_int == 405
    assert api.delete("/v2", expect_errors=True).status_int == 405


def test_build_wsgi_app_takes_a_panko10_command_line(tmp_path, monkeypatch):
    monkeypatch.delenv("PANKO_CONFIG_FILE", raising=False)
    path = apidata.write_config(tmp_path / "panko.conf", UNUSED_DB)
    application = api_app.build_wsgi_app(["panko-api", "--config-file", path])
    resp = webtest.TestApp(application).get("/v2/capabilities")
    assert resp.json["api"] == {"events:query:simple": True}


def test_profiler_filter_passes_through_without_osprofiler(monkeypatch):
    monkeypatch.setattr(profiler, "profiler_web", None)

    def inner(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"inner"]

    wrapped = profiler.WsgiMiddleware.factory({}, hmac_keys="k")(inner)
    assert webtest.TestApp(wrapped).get("/").body == b"inner"


def test_app_wsgi_file(tmp_path, monkeypatch):
    path = apidata.write_config(tmp_path / "panko.conf", UNUSED_DB)
    monkeypatch.setenv("PANKO_CONFIG_FILE", path)
    wsgi_file = pathlib.Path(api_app.__file__).parent / "app.wsgi"
    namespace = {"__name__": "_mod_wsgi_panko"}
    exec(compile(wsgi_file.read_text(), str(wsgi_file), "exec"), namespace)
    resp = webtest.TestApp(namespace["application"]).get("/healthcheck")
    assert resp.text == "OK"


def test_panko_api_script_is_a_wsgi_script(tmp_path, monkeypatch):
    """As mod_wsgi loads /usr/bin/panko-api: run the file as a module
    that is not __main__ and call its ``application``."""
    script = shutil.which("panko-api", path=os.path.dirname(sys.executable))
    assert script, "panko-api is not installed beside the interpreter"
    path = apidata.write_config(tmp_path / "panko.conf", UNUSED_DB)
    monkeypatch.setenv("PANKO_CONFIG_FILE", path)
    namespace = {"__name__": "_mod_wsgi_" + "0" * 8, "__file__": script}
    exec(compile(pathlib.Path(script).read_text(), script, "exec"), namespace)
    api = webtest.TestApp(namespace["application"])
    assert api.get("/").json["versions"]["values"][0]["id"] == "v2"
    assert api.get("/v2/capabilities").status_int == 200


@pytest.mark.parametrize(
    "url, message",
    [
        (
            "/v2/events?q.field=a&q.value=%ED%A0%80",
            "The query string of the URL is not UTF-8 once percent-decoded.",
        ),
        (
            "/v2/events/%FF",
            "The path of the URL is not UTF-8 once percent-decoded.",
        ),
    ],
)
def test_urls_that_are_not_utf8_are_400(conf_in, url, message):
    api = webtest.TestApp(
        api_app.load_app(conf_in(api={"auth_mode": "noauth"}))
    )
    resp = api.get(url, status=400)
    assert resp.json["error_message"]["faultstring"] == message


def test_percent_escapes_in_the_path_are_decoded_once(conf_in):
    # %25FF is the text "%FF", which is UTF-8: an unknown route.
    api = webtest.TestApp(
        api_app.load_app(conf_in(api={"auth_mode": "noauth"}))
    )
    resp = api.get("/v2/%25FF", status=404)
    assert resp.json["error_message"]["faultstring"] == (
        "The resource could not be found."
    )


@pytest.mark.parametrize(
    "method", ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"]
)
def test_healthcheck_takes_get_and_head_only(conf_in, method):
    api = webtest.TestApp(
        api_app.load_app(conf_in(api={"auth_mode": "noauth"}))
    )
    resp = api.request("/healthcheck", method=method, status=405)
    assert resp.headers["Allow"] == "GET, HEAD"
    assert resp.json["error_message"]["faultstring"] == (
        "This method is not allowed here."
    )
    assert api.head("/healthcheck").status_int == 204
