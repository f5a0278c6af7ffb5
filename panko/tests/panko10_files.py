"""The files a Panko 10 operator has, for the upgrade tests.

``write_operator_files`` writes, into one folder, what such an operator
keeps in ``/etc/panko`` and ``/etc/ceilometer``: a ``panko.conf`` that
still uses the options Panko 10 deprecated, Panko 10's ``api_paste.ini``,
a ``policy.json`` with Panko 10's rule names and a few overrides, and an
``event_pipeline.yaml`` publishing with ``direct://?dispatcher=panko`` as
the install guides of the time did.

The same files serve ``tools/record-panko10-answers.py``, which gives them
to Panko 10 itself to record its answers, and the test that gives them to
panko after ``panko-dbsync``.
"""

from __future__ import annotations

import configparser
import json
import os

# The sections of the api_paste.ini Panko 10 (Queens to Wallaby) installed
# in /etc/panko, which must keep loading unchanged.
PANKO10_PASTE = {
    "composite:panko+noauth": {
        "use": "egg:Paste#urlmap",
        "/": "pankoversions_pipeline",
        "/healthcheck": "healthcheck",
        "/v2": "pankov2_noauth_pipeline",
    },
    "composite:panko+keystone": {
        "use": "egg:Paste#urlmap",
        "/": "pankoversions_pipeline",
        "/healthcheck": "healthcheck",
        "/v2": "pankov2_keystone_pipeline",
    },
    "pipeline:pankoversions_pipeline": {
        "pipeline": "cors http_proxy_to_wsgi pankoversions"
    },
    "app:pankoversions": {
        "paste.app_factory": "panko.api.app:app_factory",
        "root": "panko.api.controllers.root.VersionsController",
    },
    "pipeline:pankov2_keystone_pipeline": {
        "pipeline": "cors http_proxy_to_wsgi request_id osprofiler "
        "authtoken pankov2"
    },
    "pipeline:pankov2_noauth_pipeline": {
        "pipeline": "cors http_proxy_to_wsgi request_id osprofiler pankov2"
    },
    "app:pankov2": {
        "paste.app_factory": "panko.api.app:app_factory",
        "root": "panko.api.controllers.v2.root.V2Controller",
    },
    "filter:authtoken": {
        "paste.filter_factory": "keystonemiddleware.auth_token:filter_factory",
        "oslo_config_project": "panko",
    },
    "filter:request_id": {
        "paste.filter_factory": "oslo_middleware:RequestId.factory"
    },
    "filter:cors": {
        "paste.filter_factory": "oslo_middleware.cors:filter_factory",
        "oslo_config_project": "panko",
    },
    "filter:http_proxy_to_wsgi": {
        "paste.filter_factory": "oslo_middleware.http_proxy_to_wsgi:"
        "HTTPProxyToWSGI.factory",
        "oslo_config_project": "panko",
    },
    "filter:osprofiler": {
        "paste.filter_factory": "panko.profiler:WsgiMiddleware.factory",
        "oslo_config_project": "panko",
    },
    "app:healthcheck": {
        "paste.app_factory": "oslo_middleware:Healthcheck.app_factory",
        "backends": "disable_by_file",
        "disable_by_file_path": "/etc/panko/healthcheck_disable",
    },
}


def _without_filter(sections: dict, name: str) -> dict:
    """The same paste file before the filter ``name`` was added."""
    older = {}
    for section, options in sections.items():
        if section == "filter:%s" % name:
            continue
        if "pipeline" in options:
            filters = options["pipeline"].split()
            options = {"pipeline": " ".join(f for f in filters if f != name)}
        older[section] = options
    return older


def _without_healthcheck(sections: dict) -> dict:
    """The same paste file before /healthcheck was added."""
    return {
        section: {k: v for k, v in options.items() if k != "/healthcheck"}
        for section, options in sections.items()
        if section != "app:healthcheck"
    }


# Train to Victoria (7.0.0 to 9.0.0): no /healthcheck yet.
TRAIN_PASTE = _without_healthcheck(PANKO10_PASTE)
# Pike to Stein (3.0.0 to 6.0.0): no osprofiler either.
PIKE_PASTE = _without_filter(TRAIN_PASTE, "osprofiler")

# The earlier file of Newton (1.0.0): one main pipeline.
NEWTON_PASTE = {
    "pipeline:main": {"pipeline": "cors request_id authtoken api-server"},
    "app:api-server": {"paste.app_factory": "panko.api.app:app_factory"},
    "filter:authtoken": {
        "paste.filter_factory": "keystonemiddleware.auth_token:filter_factory",
        "oslo_config_project": "panko",
    },
    "filter:request_id": {
        "paste.filter_factory": "oslo_middleware:RequestId.factory"
    },
    "filter:cors": {
        "paste.filter_factory": "oslo_middleware.cors:filter_factory",
        "oslo_config_project": "panko",
    },
}

# Ocata (2.0.0) added http_proxy_to_wsgi to it.
OCATA_PASTE = dict(
    NEWTON_PASTE,
    **{
        "pipeline:main": {
            "pipeline": "cors http_proxy_to_wsgi request_id authtoken "
            "api-server"
        },
        "filter:http_proxy_to_wsgi": PANKO10_PASTE[
            "filter:http_proxy_to_wsgi"
        ],
    },
)

# Panko 10's rule names with its defaults, and two overrides of the kind
# operators made: auditors see every project, and showing one event asks
# for a role while listing stays open to any role of the project.
POLICY = {
    "context_is_admin": "role:admin",
    "segregation": "rule:context_is_admin or role:auditor",
    "telemetry:events:index": "",
    "telemetry:events:show": "role:member or role:auditor or "
    "rule:context_is_admin",
}

EVENT_PIPELINE = """\
---
sources:
    - name: event_source
      events:
          - "*"
      sinks:
          - event_sink
sinks:
    - name: event_sink
      publishers:
          - direct://?dispatcher=panko
"""

KEYSTONE_AUTHTOKEN = {
    "www_authenticate_uri": "http://keystone.invalid:5000",
    "auth_url": "http://keystone.invalid:5000",
    "auth_type": "password",
    "project_domain_name": "Default",
    "user_domain_name": "Default",
    "project_name": "service",
    "username": "panko",
    "password": "secret",
}

CORS_ORIGIN = "https://dashboard.example.com"


def panko_conf(url: str) -> dict[str, dict[str, str]]:
    """The options of the operator's panko.conf, by group: Panko 10's
    names, the deprecated ones included."""
    return {
        "DEFAULT": {"api_paste_config": "api_paste.ini"},
        "api": {"default_api_return_limit": "5"},
        "database": {
            "event_connection": url,
            "event_time_to_live": "-1",
            "events_delete_batch_size": "500",
            "es_index_name": "events",
        },
        "storage": {"max_retries": "3", "retry_interval": "1"},
        "oslo_policy": {"policy_file": "policy.json"},
        "keystone_authtoken": KEYSTONE_AUTHTOKEN,
        "cors": {"allowed_origin": CORS_ORIGIN},
    }


def write_ini(path: str, sections: dict[str, dict[str, str]]) -> None:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str
    parser.read_dict(sections)
    with open(path, "w") as f:
        parser.write(f)


def write_operator_files(folder: str, url: str) -> dict[str, str]:
    """Write the operator's files for the database ``url`` into
    ``folder``; return their paths by name."""
    paths = {
        name: os.path.join(folder, name)
        for name in (
            "panko.conf",
            "api_paste.ini",
            "policy.json",
            "event_pipeline.yaml",
        )
    }
    write_ini(paths["panko.conf"], panko_conf(url))
    write_ini(paths["api_paste.ini"], PANKO10_PASTE)
    with open(paths["policy.json"], "w") as f:
        json.dump(POLICY, f, indent=4)
    with open(paths["event_pipeline.yaml"], "w") as f:
        f.write(EVENT_PIPELINE)
    return paths
