"""The API reference (api-ref/source) against the API it describes.

Its samples are the real answers: each request of
``panko.tests.apiref.SAMPLES`` is sent again on every backend and must
make exactly the committed files (``tools/api-ref-samples.py`` rewrites
them). Its ``rest_method`` stanzas are exactly the routes the application
serves, and each names the policy rule that guards it with its default.
"""

from __future__ import annotations

import configparser
import re

import pytest
import webtest

from panko import policies
from panko.api import app as api_app
from panko.tests import apidata
from panko.tests import apiref
from panko.tests.functional.api import routes

API_REF = apiref.ROOT / "api-ref" / "source"
SUFFIXES = ("-request.json", "-request.txt", "-response.json", "-response.txt")
REST_METHOD = re.compile(r"^\.\. rest_method:: (\S+) (\S+)$", re.MULTILINE)
# The methods oslo.middleware's healthcheck application answers.
HEALTHCHECK_METHODS = ("GET", "HEAD")


def committed_files(sample: apiref.Sample) -> dict[str, str]:
    found = {}
    for suffix in SUFFIXES:
        path = apiref.SAMPLES_DIR / (sample.name + suffix)
        if path.exists():
            found[path.name] = path.read_text()
    return found


def served_by(api: webtest.TestApp, sample: apiref.Sample) -> dict[str, str]:
    answer = apiref.send(api, sample)
    apiref.check_answer(sample, answer)
    return apiref.sample_files(sample, answer)


@pytest.mark.parametrize(
    "sample",
    [s for s in apiref.SAMPLES if s.kind != apiref.UNAVAILABLE],
    ids=lambda s: s.name,
)
def test_the_sample_is_the_answer(make_app, storage_conn, sample):
    apiref.store_events(storage_conn)
    assert served_by(make_app(), sample) == committed_files(sample)


@pytest.mark.backends("postgresql", "mysql")
@pytest.mark.parametrize(
    "sample",
    [s for s in apiref.SAMPLES if s.kind == apiref.UNAVAILABLE],
    ids=lambda s: s.name,
)
def test_the_unavailable_sample_is_the_answer(
    database_url, tmp_path, backend, sample
):
    path = apidata.write_config(
        tmp_path / "panko.conf", apiref.unreachable(database_url)
    )
    conf = apidata.load_conf(path)
    try:
        api = webtest.TestApp(api_app.load_app(conf))
        assert served_by(api, sample) == committed_files(sample)
    finally:
        conf.reset()


def test_every_sample_file_belongs_to_a_sample():
    names = {s.name + suffix for s in apiref.SAMPLES for suffix in SUFFIXES}
    files = {p.name for p in apiref.SAMPLES_DIR.iterdir()}
    assert files <= names, files - names
    # Every sample has its answer committed.
    answers = {n.rsplit("-response", 1)[0] for n in files if "-response" in n}
    assert answers == {s.name for s in apiref.SAMPLES}


def api_ref_texts() -> dict[str, str]:
    return {
        p.name: p.read_text()
        for p in sorted(API_REF.iterdir())
        if p.suffix in (".rst", ".inc")
    }


def test_every_sample_file_is_shown():
    included = set()
    for text in api_ref_texts().values():
        included |= set(re.findall(r"literalinclude:: samples/(\S+)", text))
    files = {p.name for p in apiref.SAMPLES_DIR.iterdir()}
    assert included == files


def sections() -> dict[tuple[str, str], str]:
    """The text of each rest_method stanza up to the next one, by
    (method, path)."""
    found = {}
    for text in api_ref_texts().values():
        matches = list(REST_METHOD.finditer(text))
        for index, match in enumerate(matches):
            following = matches[index + 1 : index + 2]
            end = following[0].start() if following else len(text)
            key = (match.group(1), match.group(2))
            assert key not in found, key
            found[key] = text[match.end() : end]
    return found


def _generic(path: str) -> str:
    """A path with each of its parameters written ``{}``."""
    return re.sub(r"\{[a-z_]+\}|id-\d+", "{}", path)


def served_routes() -> set[tuple[str, str]]:
    """(method, path) of every route of the packaged pipeline: the
    mounts of its noauth composite, the methods of the version
    documents, the healthcheck's and those the route walk (routes.py)
    finds in the controllers."""
    paste = configparser.ConfigParser()
    paste.read(api_app.PACKAGED_PASTE_FILE)
    mounts = {
        path: app
        for path, app in paste["composite:panko+noauth"].items()
        if path.startswith("/")
    }
    assert mounts == {
        "/": "versions_pipeline",
        "/healthcheck": "healthcheck",
        "/v2": "v2_noauth_pipeline",
    }
    served = {(m, "/healthcheck") for m in HEALTHCHECK_METHODS}
    served |= {(m, _generic(p)) for m, p in routes.walk()}
    return served


def test_the_api_ref_documents_every_route_and_no_other():
    documented = {(m, _generic(p)) for m, p in sections()}
    assert documented == served_routes()


@pytest.mark.backends("sqlite")
def test_every_documented_route_answers(api, storage_conn):
    """Not 405 nor the 404 of an unknown route, with the path
    parameters of the fixed events."""
    apiref.store_events(storage_conn)
    values = {
        "message_id": apiref.EV_CREATE_A,
        "event_type": "compute.instance.create.end",
        "trait_name": "host",
    }
    for method, path in sections():
        url = re.sub(r"\{([a-z_]+)\}", lambda m: values[m.group(1)], path)
        resp = api.request(
            url, method=method, headers=apiref.ADMIN, expect_errors=True
        )
        assert resp.status_int != 405, (method, url)
        if resp.status_int == 404:
            assert "could not be found" not in resp.text, (method, url)


def test_every_route_names_its_rule_and_default():
    found = sections()
    documented = 0
    for rule in policies.list_rules():
        for operation in getattr(rule, "operations", []):
            text = found[(operation["method"], operation["path"])]
            assert "``%s``" % rule.name in text, (rule.name, operation)
            assert "``%s``" % rule.check_str in text, (rule.name, operation)
            documented += 1
    assert documented == 12


def test_the_callers_of_the_samples_are_those_described():
    index = (API_REF / "index.rst").read_text()
    for caller in (apiref.READER_A, apiref.ADMIN, apiref.SERVICE):
        for value in caller.values():
            assert "``%s``" % value in index, value
