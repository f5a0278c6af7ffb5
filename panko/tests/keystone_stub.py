"""A tiny Keystone on loopback, for keystonemiddleware to talk to.

It answers the three calls authtoken makes: version discovery, a
password login for panko's service user (with a catalogue naming itself
as the identity service) and token validation (``GET /v3/auth/tokens``).
Tokens are registered by the test with ``add_token``; any other is
unknown (404, as Keystone answers). Token bodies come from keystoneauth1's
own fixtures, so they are what the middleware expects.
"""

from __future__ import annotations

import datetime
import http.server
import json
import threading
import uuid

from keystoneauth1 import fixture as ks_fixture

SERVICE_PASSWORD = "secret"


class KeystoneStub:
    """Serve on 127.0.0.1 (a port the OS picks) until ``stop()``."""

    def __init__(self):
        self._tokens: dict[str, dict] = {}
        self.validated: list[str] = []
        stub = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                stub._get(self)

            def do_POST(self):
                stub._post(self)

        self._server = http.server.ThreadingHTTPServer(
            ("127.0.0.1", 0), Handler
        )
        self.url = "http://127.0.0.1:%d" % self._server.server_port
        self._thread = threading.Thread(
            target=self._server.serve_forever, daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def middleware_options(self) -> dict[str, str]:
        """``[keystone_authtoken]`` for panko's service user here."""
        return {
            "www_authenticate_uri": self.url + "/v3",
            "auth_url": self.url + "/v3",
            "auth_type": "password",
            "username": "panko",
            "password": SERVICE_PASSWORD,
            "project_name": "service",
            "user_domain_id": "default",
            "project_domain_id": "default",
        }

    def add_token(
        self,
        roles: list[str],
        project: str | None,
        user: str,
        expires: datetime.datetime | None = None,
    ) -> str:
        """Register a token; return its id."""
        token = ks_fixture.V3Token(
            user_id=user,
            user_domain_id="default",
            project_id=project,
            project_domain_id="default" if project else None,
            expires=expires,
        )
        for role in roles:
            token.add_role(name=role)
        token_id = uuid.uuid4().hex
        self._tokens[token_id] = token
        return token_id

    # -- the answers ------------------------------------------------------

    def _version(self) -> dict:
        return {
            "id": "v3.14",
            "status": "stable",
            "updated": "2020-04-07T00:00:00Z",
            "links": [{"rel": "self", "href": self.url + "/v3/"}],
            "media-types": [
                {
                    "base": "application/json",
                    "type": "application/vnd.openstack.identity-v3+json",
                }
            ],
        }

    def _get(self, request) -> None:
        path = request.path.rstrip("/")
        if path == "":
            return _send(
                request, 300, {"versions": {"values": [self._version()]}}
            )
        if path == "/v3":
            return _send(request, 200, {"version": self._version()})
        if path == "/v3/auth/tokens":
            subject = request.headers.get("X-Subject-Token", "")
            self.validated.append(subject)
            token = self._tokens.get(subject)
            if token is None:
                return _send(request, 404, {"error": {"code": 404}})
            return _send(request, 200, token)
        return _send(request, 404, {"error": {"code": 404}})

    def _post(self, request) -> None:
        length = int(request.headers.get("Content-Length") or 0)
        body = json.loads(request.rfile.read(length) or b"{}")
        if request.path.rstrip("/") != "/v3/auth/tokens":
            return _send(request, 404, {"error": {"code": 404}})
        password = (
            body.get("auth", {})
            .get("identity", {})
            .get("password", {})
            .get("user", {})
            .get("password")
        )
        if password != SERVICE_PASSWORD:
            return _send(request, 401, {"error": {"code": 401}})
        token = ks_fixture.V3Token(
            user_id="panko",
            user_domain_id="default",
            project_id="service",
            project_domain_id="default",
        )
        token.add_role(name="service")
        service = token.add_service("identity")
        service.add_standard_endpoints(
            public=self.url + "/v3",
            internal=self.url + "/v3",
            admin=self.url + "/v3",
        )
        token_id = uuid.uuid4().hex
        return _send(request, 201, token, {"X-Subject-Token": token_id})


def _send(request, status: int, body, headers=None) -> None:
    data = json.dumps(body).encode()
    request.send_response(status)
    request.send_header("Content-Type", "application/json")
    request.send_header("Content-Length", str(len(data)))
    for name, value in (headers or {}).items():
        request.send_header(name, value)
    request.end_headers()
    request.wfile.write(data)
