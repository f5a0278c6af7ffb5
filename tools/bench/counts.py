#!/usr/bin/env python3
"""Time panko's counts and position cursor through its HTTP API.

Standard library only. Point it at a panko-api in noauth mode serving a
loaded database (``../shared/bench`` loads one)::

    python3 tools/bench/counts.py http://127.0.0.1:8987 --requests 50

The project, event type and time window of the scenarios are read from
the API itself (the largest project, a middle one, the most common event
type, the busiest day). Each scenario is warmed up once, then timed
``--requests`` times; p50 and p95 are printed in milliseconds, with the
answer's size so that a scenario answering nothing stands out.
"""

from __future__ import annotations

import argparse
import datetime
import http.client
import json
import statistics
import time
import urllib.parse

ADMIN = {
    "X-Roles": "admin",
    "X-Project-Id": "bench-admin-project",
    "X-User-Id": "bench-admin-user",
}


def condition(field, value, op="eq", type_=""):
    return [
        ("q.field", field),
        ("q.op", op),
        ("q.type", type_),
        ("q.value", str(value)),
    ]


ALL = condition("all_tenants", "True")


class Client:
    def __init__(self, url: str):
        parsed = urllib.parse.urlsplit(url)
        self.conn = http.client.HTTPConnection(parsed.hostname, parsed.port)

    def get(self, path, params, headers=ADMIN):
        self.conn.request(
            "GET", path + "?" + urllib.parse.urlencode(params), headers=headers
        )
        resp = self.conn.getresponse()
        body = resp.read()
        if resp.status != 200:
            raise RuntimeError("%s %s: %s" % (path, resp.status, body[:300]))
        return json.loads(body)


def scenarios(client: Client):
    counts = "/v2/event_counts"
    projects = client.get(counts, ALL + [("group_by", "project_id")])
    ranked = sorted(
        (g for g in projects["groups"] if g["project_id"]),
        key=lambda g: -g["count"],
    )
    big, middle = ranked[0]["project_id"], ranked[len(ranked) // 2]
    types = client.get(counts, ALL + [("group_by", "event_type")])
    common = max(types["groups"], key=lambda g: g["count"])["event_type"]
    days = client.get(
        counts, ALL + [("group_by", "generated"), ("bucket", "day")]
    )
    busiest = max(days["groups"], key=lambda g: g["count"])["generated"]
    start = datetime.datetime.fromisoformat(busiest) + datetime.timedelta(
        hours=12
    )
    end = start + datetime.timedelta(hours=1)
    window = condition("start_timestamp", start.isoformat(), "ge")
    window += condition("end_timestamp", end.isoformat(), "le")
    member = {
        "X-Roles": "member",
        "X-Project-Id": middle["project_id"],
        "X-User-Id": "bench-user",
    }
    newest = client.get(
        "/v2/events", ALL + [("sort", "position:desc"), ("limit", "1")]
    )[0]["position"]
    recent = newest - 1000
    return [
        ("count all", counts, ALL, ADMIN),
        (
            "count event_type",
            counts,
            ALL + condition("event_type", common),
            ADMIN,
        ),
        (
            "count project_id (largest)",
            counts,
            ALL + condition("project_id", big),
            ADMIN,
        ),
        ("count member (middle project)", counts, [], member),
        ("count 1 h window", counts, ALL + window, ADMIN),
        (
            "count 1 day by hour",
            counts,
            ALL
            + condition("start_timestamp", busiest, "ge")
            + condition(
                "end_timestamp",
                (
                    datetime.datetime.fromisoformat(busiest)
                    + datetime.timedelta(days=1)
                ).isoformat(),
                "le",
            )
            + [("group_by", "generated"), ("bucket", "hour")],
            ADMIN,
        ),
        (
            "count by event_type",
            counts,
            ALL + [("group_by", "event_type")],
            ADMIN,
        ),
        (
            "count by project_id",
            counts,
            ALL + [("group_by", "project_id")],
            ADMIN,
        ),
        (
            "count member by day",
            counts,
            [("group_by", "generated"), ("bucket", "day")],
            member,
        ),
        (
            "listing: latest 100 (to compare)",
            "/v2/events",
            ALL + [("sort", "generated:desc"), ("limit", "100")],
            ADMIN,
        ),
        (
            "cursor: 100 after newest-1000",
            "/v2/events",
            ALL
            + condition("position", recent, "gt", "integer")
            + [("limit", "100")],
            ADMIN,
        ),
        (
            "cursor: 100 after 0",
            "/v2/events",
            ALL
            + condition("position", 0, "gt", "integer")
            + [("limit", "100")],
            ADMIN,
        ),
        (
            "cursor: member after newest-1000",
            "/v2/events",
            condition("position", recent, "gt", "integer")
            + [("limit", "100")],
            member,
        ),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("--requests", type=int, default=50)
    args = parser.parse_args()
    client = Client(args.url)
    for name, path, params, headers in scenarios(client):
        answer = client.get(path, params, headers)
        times = []
        for _ in range(args.requests):
            began = time.perf_counter()
            client.get(path, params, headers)
            times.append((time.perf_counter() - began) * 1000)
        size = (
            len(answer)
            if isinstance(answer, list)
            else answer.get("count", len(answer.get("groups", ())))
        )
        print(
            "%-34s p50 %7.1f ms  p95 %7.1f ms  (%s)"
            % (
                name,
                statistics.median(times),
                statistics.quantiles(times, n=20)[-1],
                size,
            )
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
