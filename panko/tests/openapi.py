"""The shipped OpenAPI description, read by the tests.

``Spec.check`` holds an answer to the description: the route and method
must be described, the status among the operation's responses, and the
body valid against the response's schema. The functional API tests pass
every answer they get through it (``panko.tests.functional.api.conftest``).
"""

from __future__ import annotations

import functools
import json
import pathlib
import re
from typing import Any

import jsonschema_rs
import yaml

import panko.api

SPEC_PATH = pathlib.Path(panko.api.__file__).parent / "openapi.yaml"
METHODS = ("get", "put", "post", "delete", "options", "head", "patch")


class NotDescribed(AssertionError):
    """An answer the description does not allow."""


@functools.cache
def load() -> Spec:
    return Spec(yaml.safe_load(SPEC_PATH.read_text()))


class Spec:
    def __init__(self, document: dict):
        self.document = document
        self._templates = [
            (_template_regex(path), path) for path in document["paths"]
        ]

    def operations(self) -> dict[str, set[str]]:
        """Each path template and its methods, upper case."""
        return {
            path: {m.upper() for m in item if m in METHODS}
            for path, item in self.document["paths"].items()
        }

    def template_of(self, path: str) -> str | None:
        """The path template ``path`` (a URL path, without query) is an
        instance of; the literal template wins over a parameter."""
        matches = [t for regex, t in self._templates if regex.match(path)]
        if not matches:
            return None
        return min(matches, key=lambda t: t.count("{"))

    def response(self, template: str, method: str, status: int) -> dict:
        operation = self.document["paths"][template].get(method.lower())
        if operation is None:
            raise NotDescribed("%s %s is not described" % (method, template))
        responses = operation["responses"]
        response = responses.get(str(status)) or responses.get("default")
        if response is None:
            raise NotDescribed(
                "%s %s answered %d, which is not among its responses %s"
                % (method, template, status, sorted(responses))
            )
        return self._resolve(response)

    def _resolve(self, item: dict) -> dict:
        while "$ref" in item:
            node: Any = self.document
            for part in item["$ref"].lstrip("#/").split("/"):
                node = node[part]
            item = node
        return item

    def check(
        self,
        method: str,
        path: str,
        status: int,
        headers: dict[str, str],
        body: bytes,
    ) -> bool:
        """Raise NotDescribed unless the answer fits; return False for a
        route or method the description does not have (405, 404)."""
        template = self.template_of(path)
        if (
            template is None
            or method.lower() not in (self.document["paths"][template])
        ):
            return False
        response = self.response(template, method, status)
        for name, header in response.get("headers", {}).items():
            if header.get("required") and name not in headers:
                raise NotDescribed(
                    "%s %s answered %d without the header %s"
                    % (method, path, status, name)
                )
        content = response.get("content")
        if not content or method.upper() == "HEAD":
            return True
        content_type = headers.get("Content-Type", "").split(";")[0].strip()
        if content_type not in content:
            raise NotDescribed(
                "%s %s answered %d with %r, not one of %s"
                % (method, path, status, content_type, sorted(content))
            )
        schema = content[content_type].get("schema")
        if schema is None or content_type != "application/json":
            return True
        try:
            value = json.loads(body)
        except ValueError as e:
            raise NotDescribed(
                "%s %s answered %d with a body that is not JSON: %s"
                % (method, path, status, e)
            )
        errors = [
            str(e)
            for e in self.validator(json.dumps(schema)).iter_errors(value)
        ]
        if errors:
            raise NotDescribed(
                "%s %s answered %d with a body its schema refuses: %s"
                % (method, path, status, "; ".join(errors[:3]))
            )
        return True

    @functools.cache  # noqa: B019 - one Spec per process
    def validator(self, schema_json: str):
        """A validator of ``schema_json`` whose references point into the
        description."""
        root = dict(json.loads(schema_json))
        root["components"] = self.document["components"]
        return jsonschema_rs.Draft202012Validator(root)


def _template_regex(template: str) -> re.Pattern:
    parts = re.split(r"(\{[^}]+\})", template)
    regex = "".join(
        "[^/]+" if p.startswith("{") else re.escape(p) for p in parts
    )
    return re.compile("^%s/?$" % regex)
