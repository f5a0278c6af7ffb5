"""Drive Panko 10.0.0 for tools/record-panko10-answers.py.

Runs under the interpreter of a virtualenv where Panko 10.0.0 is installed
(``/work/peers/panko10/bin/python``), never under panko's: both packages
are called ``panko``. Panko 10 finds its configuration where it always
did: ``~/.panko/panko.conf``, the caller setting ``HOME``. Every command
writes one JSON document to the file OUT (Panko 10 logs on its standard
output).

    helper.py OUT dbsync                    run Panko 10's panko-dbsync
    helper.py OUT publish EVENTS_JSON KIND  store the events of
                                            EVENTS_JSON[KIND] through Panko
                                            10's panko:// publisher
    helper.py OUT answer REQUESTS_JSON      answer each request with the API
                                            of ~/.panko's files, keystone
                                            tokens stubbed per persona
    helper.py OUT options NAMESPACE...      the options of oslo.config
                                            namespaces
"""

import collections
import collections.abc
import datetime
import json
import sys
import traceback
import uuid

# The unittest2 release that the fixtures package of Panko 10's virtualenv
# imports predates Python 3.10; give it the name it looks for.
collections.MutableMapping = collections.abc.MutableMapping


def _no_float_cast_on_mysql():
    """Run Panko 10 as it ran on the MariaDB and MySQL servers of its time.

    Panko 10's trait query casts NULL to FLOAT(53). SQLAlchemy 1.3 skips
    that cast on servers older than MariaDB 10.4.5 and MySQL 8.0.17, and
    writes it on newer ones, which refuse it with a syntax error: on the
    MariaDB of this machine, Panko 10 answers every listing with a 500.
    """
    from sqlalchemy.dialects.mysql import base

    base.MySQLDialect._support_float_cast = property(lambda self: False)


DATETIME_TYPE = 4
LONG_TEXT = "x" * 300


class Trait:
    def __init__(self, name, dtype, value):
        self.name = name
        self.dtype = dtype
        self.value = value


class Event:
    """Shaped like ceilometer.event.models.Event, as Ceilometer hands it
    to its publishers."""

    def __init__(self, data):
        self.message_id = data["message_id"]
        self.event_type = data["event_type"]
        self.generated = _datetime(data["generated"])
        self.traits = [
            Trait(n, d, _datetime(v) if d == DATETIME_TYPE else v)
            for n, d, v in data["traits"]
        ]
        self.raw = data["raw"]


def _datetime(text):
    return datetime.datetime.fromisoformat(text)


def publisher():
    """Panko 10's publisher, loaded as Ceilometer loads it."""
    from oslo_utils import netutils
    from stevedore import driver

    url = netutils.urlsplit("panko://")
    cls = driver.DriverManager("ceilometer.event.publisher", url.scheme).driver
    return cls(None, url)


def publish(events_file, kind):
    with open(events_file) as f:
        events = [Event(e) for e in json.load(f)[kind]]
    pub = publisher()
    for event in events:
        # One call per event: Panko 10 raised the last error of a batch.
        pub.publish_events([event])
    long_text = None
    if kind == "new":
        long_text = publish_long_text(pub)
    return {"published": len(events), "long_text_trait": long_text}


def publish_long_text(pub):
    """What Panko 10 did with a text trait longer than its column."""
    event = Event(
        {
            "message_id": "long-text-trait",
            "event_type": "long.text",
            "generated": "2026-01-17T00:00:00",
            "traits": [["note", 1, LONG_TEXT]],
            "raw": {},
        }
    )
    try:
        pub.publish_events([event])
    except Exception as e:
        return {"raised": type(e).__name__}
    return {"raised": None}


def dbsync():
    from panko.cmd import storage

    sys.argv = ["panko-dbsync"]
    storage.dbsync()
    return {"done": True}


def answer(requests_file):
    from keystonemiddleware import fixture as ksm_fixture
    import webtest

    from panko.api import app

    with open(requests_file) as f:
        spec = json.load(f)
    tokens = ksm_fixture.AuthTokenFixture()
    tokens.setUp()
    token_ids = {}
    for name, persona in spec["personas"].items():
        token_ids[name] = uuid.uuid4().hex
        tokens.add_token_data(
            token_id=token_ids[name],
            user_id=persona["user_id"],
            project_id=persona["project_id"],
            role_list=persona["roles"],
            user_domain_id="default",
            project_domain_id="default",
        )
    _no_float_cast_on_mysql()
    # As Panko 10's app.wsgi built it.
    api = webtest.TestApp(app.build_wsgi_app(argv=[]))
    answers = []
    for request in spec["requests"]:
        headers = dict(request.get("headers", {}))
        if request.get("persona"):
            headers["X-Auth-Token"] = token_ids[request["persona"]]
        kwargs = {"headers": headers, "expect_errors": True}
        if "body" in request:
            kwargs["body"] = json.dumps(request["body"]).encode()
            kwargs["content_type"] = "application/json"
        resp = api.request(request["path"], method=request["method"], **kwargs)
        answers.append(record(request, resp))
    tokens.cleanUp()
    return answers


def record(request, resp):
    content_type = resp.headers.get("Content-Type", "").split(";")[0]
    if content_type == "application/json" and resp.body:
        body = resp.json
    else:
        body = resp.text
    got = {"status": resp.status_int, "content_type": content_type}
    got["body"] = body
    wanted = request.get("record_headers", [])
    if wanted:
        got["headers"] = {name: resp.headers.get(name) for name in wanted}
    return got


def file_values(opt):
    """How Panko 10's default of ``opt`` is written in a file: a list of
    values (several for a multi-valued option), ["<None>"] when it has
    none. (The sample generator of its oslo.config wrote lists as Python
    lists.)"""
    if opt.default is None:
        return ["<None>"]
    return opt.type.format_defaults(opt.default)


def options(namespaces):
    from oslo_config import generator

    found = []
    for namespace, groups in generator._list_opts(namespaces):
        for group, opts in groups:
            group_name = getattr(group, "name", group) or "DEFAULT"
            for opt in opts:
                found.append(
                    {
                        "namespace": namespace,
                        "group": group_name,
                        "name": opt.dest,
                        "type": type(opt).__name__,
                        "default": file_values(opt),
                        "deprecated_for_removal": opt.deprecated_for_removal,
                        "deprecated_names": sorted(
                            "%s/%s"
                            % (d.group or group_name, d.name or opt.dest)
                            for d in opt.deprecated_opts
                        ),
                    }
                )
    return found


def main(argv):
    out, command, args = argv[1], argv[2], argv[3:]
    if command == "dbsync":
        result = dbsync()
    elif command == "publish":
        result = publish(*args)
    elif command == "answer":
        result = answer(*args)
    elif command == "options":
        result = options(args)
    else:
        raise SystemExit("unknown command %s" % command)
    with open(out, "w") as f:
        json.dump(result, f)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except Exception:
        # Panko 10's oslo.log setup takes over sys.excepthook.
        traceback.print_exc()
        sys.exit(1)
