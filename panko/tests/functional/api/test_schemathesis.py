"""schemathesis against a served panko-api on PostgreSQL.

Requests generated from ``panko/api/openapi.yaml``, valid ones and
invalid ones, for every operation, as an anonymous noauth caller (the
default admin roles), an admin and a project member. No answer may be a
5xx, and every answer must fit the description: status code, content
type, headers, body. Examples are derandomized and bounded
(``panko.tests.generative``): about 30 s on two cores.
"""

from __future__ import annotations

import hypothesis
from hypothesis import strategies as st
import pytest
import requests
import schemathesis
from schemathesis.specs.openapi import checks as openapi_checks

from panko.tests import apidata
from panko.tests import generative
from panko.tests import openapi
from panko.tests.functional.api import test_servers

pytestmark = pytest.mark.backends("postgresql")

EXAMPLES_PER_OPERATION_AND_MODE = 40
IDENTITIES = {
    "anonymous": {},
    "admin": apidata.ADMIN,
    "member": apidata.MEMBER_A,
}
CHECKS = [
    schemathesis.checks.not_a_server_error,
    openapi_checks.status_code_conformance,
    openapi_checks.content_type_conformance,
    openapi_checks.response_headers_conformance,
    openapi_checks.response_schema_conformance,
]

SCHEMA = schemathesis.openapi.from_path(openapi.SPEC_PATH)
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]


def _has_inputs_to_break(operation) -> bool:
    """Whether invalid requests can be made for ``operation``: a path
    argument of type string takes any text, so only query arguments and
    bodies can be made wrong."""
    return bool(operation.query or operation.body)


CASES = [
    pytest.param(
        op, mode, id="%s %s %s" % (op.method.upper(), op.path, mode.value)
    )
    for op in OPERATIONS
    for mode in schemathesis.GenerationMode
    if mode == schemathesis.GenerationMode.POSITIVE or _has_inputs_to_break(op)
]


@pytest.fixture(scope="module")
def served(tmp_path_factory, _upgraded):
    """panko-api (gunicorn, one worker) on the test database, with the
    sample events."""
    from panko import service
    from panko import storage

    tmp_path = tmp_path_factory.mktemp("schemathesis")
    conf = service.new_conf()
    conf([], project="panko", default_config_files=[])
    connection = storage.get_connection(conf, _upgraded)
    connection.record_events(apidata.sample_events())
    connection.close()
    config_file = apidata.write_config(tmp_path / "panko.conf", _upgraded)
    server = test_servers.start_panko_api(config_file, tmp_path)
    yield server
    server.stop()


@pytest.mark.parametrize("operation, mode", CASES)
def test_generated_requests(served, operation, mode, tally):
    session = requests.Session()

    @generative.examples(EXAMPLES_PER_OPERATION_AND_MODE)
    @hypothesis.given(
        case=operation.as_strategy(generation_mode=mode),
        identity=st.sampled_from(sorted(IDENTITIES)),
    )
    def send(case, identity):
        headers = IDENTITIES[identity]
        hypothesis.note("%s as %s" % (case.as_curl_command(headers), identity))
        response = case.call(
            base_url=served.url, session=session, headers=headers, timeout=30
        )
        tally.record(response.status_code)
        case.validate_response(response, checks=CHECKS)

    try:
        send()
    finally:
        session.close()
    assert tally.sent > 0
    assert tally.server_errors == 0
