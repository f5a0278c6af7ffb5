"""Wait for the events of an e2e run to appear in panko (e2e check).

Runs in panko's virtualenv.
Usage: check.py storage DATABASE_URL COUNT RUN_ID
       check.py api BASE_URL COUNT RUN_ID
Exits 0 when COUNT compute.instance.create.end events of the run are
found, with the traits Ceilometer's event definitions give them; 1 after
TIMEOUT (env PANKO_E2E_TIMEOUT, default 90) seconds.
"""

import json
import os
import sys
import time
from urllib import parse
from urllib import request

EVENT_TYPE = "compute.instance.create.end"
USER_AGENT = "panko-e2e-check"


def from_storage(url, run_id):
    from panko import service
    from panko import storage
    from panko.storage import models

    conf = service.new_conf()
    conf([], project="panko", default_config_files=[])
    connection = storage.get_connection(conf, url)
    try:
        events = connection.get_events(
            models.EventFilter(
                event_type=EVENT_TYPE,
                traits=(
                    models.TraitFilter(
                        "project_id",
                        models.TEXT_TYPE,
                        "eq",
                        "project-%s" % run_id,
                    ),
                ),
            )
        )
        return [
            {
                "message_id": e.message_id,
                "traits": {t.name: t.value for t in e.traits},
                "raw": e.raw,
            }
            for e in events
        ]
    finally:
        connection.close()


def from_api(base_url, run_id):
    query = parse.urlencode(
        [
            ("q.field", "event_type"),
            ("q.op", "eq"),
            ("q.value", EVENT_TYPE),
            ("q.field", "project_id"),
            ("q.op", "eq"),
            ("q.value", "project-%s" % run_id),
        ]
    )
    # Ask as a reader of the run's project, as its owner would: an admin
    # without all_tenants=True sees only the events of the admin's own
    # project (Panko 10 does the same), never those of project-RUN.
    events = _get_json(
        "%s/v2/events?%s" % (base_url, query),
        project="project-%s" % run_id,
        user="user-%s" % run_id,
        roles="reader",
    )
    return [
        {
            "message_id": e["message_id"],
            "traits": {t["name"]: t["value"] for t in e["traits"]},
            "raw": e.get("raw"),
        }
        for e in events
    ]


def _get_json(url, project, user, roles):
    if not url.startswith(("http://", "https://")):
        raise ValueError("not an HTTP URL: %s" % url)
    # The user agent tells the checker's requests apart in panko-api's
    # access log.
    req = request.Request(  # noqa: S310 (scheme checked above)
        url,
        headers={
            "X-Roles": roles,
            "X-Project-Id": project,
            "X-User-Id": user,
            "User-Agent": USER_AGENT,
        },
    )
    with request.urlopen(req, timeout=10) as response:  # noqa: S310
        return json.load(response)


def api_census(base_url, run_id):
    """What an admin sees with all_tenants=True: tells "not stored" from
    "stored but not visible to the project"."""
    query = parse.urlencode(
        [
            ("q.field", "all_tenants"),
            ("q.op", "eq"),
            ("q.value", "True"),
            ("limit", "1000"),
        ]
    )
    events = _get_json(
        "%s/v2/events?%s" % (base_url, query),
        project="e2e-admin",
        user="e2e-admin",
        roles="admin",
    )
    mine = [
        e
        for e in events
        if {
            "name": "project_id",
            "value": "project-%s" % run_id,
            "type": "string",
        }
        in e["traits"]
    ]
    return len(events), len(mine)


def main(kind, where, count, run_id):
    count = int(count)
    read = from_storage if kind == "storage" else from_api
    deadline = time.monotonic() + float(
        os.environ.get("PANKO_E2E_TIMEOUT", 90)
    )
    events, problem = [], None
    while time.monotonic() < deadline:
        try:
            events = read(where, run_id)
            problem = None
        except Exception as e:
            problem = e
        if len(events) >= count:
            break
        time.sleep(1)
    if problem is not None:
        print("%s: cannot read events: %s" % (kind, problem))
    if len(events) != count:
        print(
            "%s: %d events of run %s found, %d expected"
            % (kind, len(events), run_id, count)
        )
        if kind == "api":
            try:
                print(
                    "api: with all_tenants=True an admin sees %d events, "
                    "%d of them with project_id project-%s"
                    % (api_census(where, run_id) + (run_id,))
                )
            except Exception as e:
                print("api: cannot list every event: %s" % e)
        return 1
    instances = sorted(e["traits"].get("instance_id") for e in events)
    expected = sorted("instance-%s-%d" % (run_id, i) for i in range(count))
    if instances != expected:
        print("%s: unexpected instance_id traits %s" % (kind, instances))
        return 1
    for event in events:
        traits = event["traits"]
        if traits.get("host") != "e2e-host-%s" % run_id:
            print("%s: unexpected host trait in %s" % (kind, event))
            return 1
    print(
        "%s: the %d events of run %s are in panko (%s)"
        % (kind, count, run_id, ", ".join(instances))
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
