#!/usr/bin/env python3
"""Soak panko: publishers and API readers at once, for minutes, on PostgreSQL.

``tox -e soak`` (or ``python tools/soak.py``) creates a database of its
own (``soak_<hex>``) on the PostgreSQL server of ``--server-url``, builds
its schema with ``panko-dbsync``, serves it with ``panko-api`` (gunicorn,
``--workers`` processes, noauth, on 127.0.0.1) and then, for
``--seconds``:

* ``--publishers`` threads call one ``panko://`` publisher, loaded as
  Ceilometer loads it (stevedore, ``ceilometer.event.publisher``), with
  one Ceilometer-shaped event per call, at ``--rate`` events per second
  in all; ``--duplicates`` of the calls send an event again, as a
  redelivered notification would;
* ``--readers`` threads ask the API what users ask: the latest 100
  events, a project's events as a member of that project, one event by
  its id (as admin, as its project and as another project, which must
  get 404), and three pages following the marker. Every answer must be
  the expected status with well-formed events of the right project.

The rate is fixed, so what it writes is bounded: at most ``rate x
seconds`` events of under 1 kB on disk each (about 0.3 GB for the
defaults; the database is dropped at the end). It reports events per
second, the p50/p99/max latency of publish calls and of reads, the errors
(any exception, unexpected answer, panko-api traceback or restarted
worker; there must be none), the events lost or stored twice, and the
resident memory of each API worker (``VmRSS`` from ``/proc``) before the
load, after warm-up and at the end. It exits 1 unless everything held.
"""

from __future__ import annotations

import argparse
import collections
import datetime
import http.client
import json
import os
import pathlib
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid

from oslo_config import cfg
from oslo_utils import netutils
import sqlalchemy as sa
from stevedore import driver

BIN = pathlib.Path(sys.executable).parent
PUBLISHER_NAMESPACE = "ceilometer.event.publisher"
DATABASE_PREFIX = "soak_"
PROJECTS = ["soak-project-%02d" % n for n in range(16)]
EVENT_TYPES = (
    "compute.instance.create.end",
    "compute.instance.delete.end",
    "compute.instance.update",
    "volume.create.end",
    "network.create.end",
)
ADMIN = {}  # noauth, no identity: the default roles (admin), every event.
START_TIMEOUT_S = 60
MEMORY_SAMPLE_S = 10.0
PROGRESS_S = 60.0
MAX_ERROR_SAMPLES = 10
HTTP_TIMEOUT_S = 60


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--seconds", type=float, default=600.0)
    parser.add_argument("--publishers", type=int, default=64)
    parser.add_argument("--readers", type=int, default=4)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument(
        "--rate",
        type=float,
        default=500.0,
        help="events per second, all publishers together",
    )
    parser.add_argument(
        "--duplicates",
        type=float,
        default=0.01,
        help="share of publish calls that resend a stored event",
    )
    parser.add_argument(
        "--server-url",
        default=os.environ.get(
            "PANKO_TEST_POSTGRESQL_URL",
            "postgresql+psycopg2://root@127.0.0.1:5432",
        ),
        help="PostgreSQL server, without a database name",
    )
    parser.add_argument(
        "--port", type=int, default=0, help="API port (0: a free one)"
    )
    parser.add_argument("--json", help="also write the report to this file")
    args = parser.parse_args(argv)
    if args.rate <= 0 or args.seconds <= 0:
        parser.error("--rate and --seconds must be positive")
    if min(args.publishers, args.readers, args.workers) < 1:
        parser.error("--publishers, --readers and --workers must be >= 1")
    return args


# -- measurements ---------------------------------------------------------


class Stats:
    """Latencies and errors, shared by the threads."""

    def __init__(self):
        self._lock = threading.Lock()
        self.latencies = collections.defaultdict(list)
        # (seconds since the start, latency) of each read, by query.
        self.reads = collections.defaultdict(list)
        self.started = time.monotonic()
        self.errors = collections.Counter()
        self.error_samples = []

    def timed(self, kind, seconds):
        with self._lock:
            self.latencies[kind].append(seconds)

    def timed_read(self, query, seconds):
        with self._lock:
            self.latencies["read"].append(seconds)
            self.reads[query].append(
                (time.monotonic() - self.started, seconds)
            )

    def error(self, kind, detail):
        with self._lock:
            self.errors[kind] += 1
            if len(self.error_samples) < MAX_ERROR_SAMPLES:
                self.error_samples.append("%s: %s" % (kind, detail[:500]))


def percentile(values, fraction):
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def latency_summary(values):
    def ms(v):
        return None if v is None else round(v * 1000, 1)

    return {
        "count": len(values),
        "p50_ms": ms(percentile(values, 0.50)),
        "p99_ms": ms(percentile(values, 0.99)),
        "max_ms": ms(max(values) if values else None),
    }


def worker_rss_kb(master_pid):
    """VmRSS of each child process of ``master_pid``, by pid."""
    rss = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as f:
                # The command name may hold spaces: fields follow its ")".
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            if ppid != master_pid:
                continue
            with open("/proc/%s/status" % entry) as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        rss[int(entry)] = int(line.split()[1])
        except (OSError, IndexError, ValueError):
            continue
    return rss


# -- the database and the server -------------------------------------------


class Database:
    """A ``soak_`` database of its own, dropped by ``drop()``."""

    def __init__(self, server_url):
        self._admin = sa.create_engine(
            server_url.rstrip("/") + "/postgres",
            isolation_level="AUTOCOMMIT",
            poolclass=sa.pool.NullPool,
        )
        self.name = DATABASE_PREFIX + uuid.uuid4().hex[:12]
        self.url = "%s/%s" % (server_url.rstrip("/"), self.name)
        self._sql("CREATE DATABASE %s" % self.name)

    def _sql(self, statement, url=None):
        """Run ``statement``; its first value, if it returns rows."""
        engine = self._admin
        if url is not None:
            engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        try:
            with engine.connect() as conn:
                result = conn.execute(sa.text(statement))
                return result.scalar() if result.returns_rows else None
        finally:
            if url is not None:
                engine.dispose()

    def count_events(self):
        return self._sql("SELECT count(*) FROM event", self.url)

    def count_distinct_ids(self):
        return self._sql(
            "SELECT count(DISTINCT message_id) FROM event", self.url
        )

    def size_bytes(self):
        return self._sql("SELECT pg_database_size('%s')" % self.name)

    def drop(self):
        self._sql("DROP DATABASE IF EXISTS %s WITH (FORCE)" % self.name)
        self._admin.dispose()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Api:
    """``panko-api`` in a process group of its own."""

    def __init__(self, config_file, port, workers, log_path):
        self.port = port
        self.log_path = log_path
        self._log = open(log_path, "wb")
        self.process = subprocess.Popen(
            [
                str(BIN / "panko-api"),
                "--config-file",
                config_file,
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                str(workers),
                "--auth-mode",
                "noauth",
            ],
            # The access log (one line a request) goes nowhere; errors and
            # warnings are kept and read at the end.
            stdout=subprocess.DEVNULL,
            stderr=self._log,
            start_new_session=True,
        )
        self._wait(workers)

    def _wait(self, workers):
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, 5)
                conn.request("GET", "/healthcheck")
                ok = conn.getresponse().status == 200
                conn.close()
                if ok and len(worker_rss_kb(self.process.pid)) == workers:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(
            "panko-api did not start:\n%s" % self.log_path.read_text()
        )

    def problems(self):
        """Lines of the panko-api log that mean something went wrong."""
        text = self.log_path.read_text(errors="replace")
        return [
            line
            for line in text.splitlines()
            if "Traceback" in line
            or " ERROR " in line
            or "CRITICAL" in line
            or "[CRITICAL]" in line
            or "Worker exiting" in line
            or "WORKER TIMEOUT" in line
        ]

    def stop(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self._log.close()


# -- publishers -------------------------------------------------------------


class CeilometerTrait:
    def __init__(self, name, dtype, value):
        self.name, self.dtype, self.value = name, dtype, value


class CeilometerEvent:
    """Shaped like ceilometer.event.models.Event (dtypes 1 text, 2 int,
    3 float, 4 datetime)."""

    def __init__(self, rng):
        project = rng.choice(PROJECTS)
        now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
        self.message_id = str(uuid.uuid4())
        self.event_type = rng.choice(EVENT_TYPES)
        self.generated = now
        self.project = project
        resource = str(uuid.UUID(int=rng.getrandbits(128)))
        self.traits = [
            CeilometerTrait("project_id", 1, project),
            CeilometerTrait("user_id", 1, "user-of-" + project),
            CeilometerTrait("resource_id", 1, resource),
            CeilometerTrait("host", 1, "compute-%d" % rng.randrange(40)),
            CeilometerTrait("service", 1, "compute"),
            CeilometerTrait("vcpus", 2, rng.choice((1, 2, 4, 8))),
            CeilometerTrait("memory_mb", 2, rng.choice((512, 2048, 8192))),
            CeilometerTrait("disk_gb", 3, rng.choice((1.0, 20.0, 80.5))),
            CeilometerTrait("launched_at", 4, now),
        ]
        self.raw = {
            "event_type": self.event_type,
            "publisher_id": "compute.compute-1",
            "payload": {
                "tenant_id": project,
                "instance_id": resource,
                "state": "active",
                "image_meta": {"os_type": "linux", "min_ram": "0"},
                "display_name": "server-%d" % rng.randrange(10**6),
            },
        }


def load_publisher(config_file):
    """The panko:// publisher, as Ceilometer's pipeline builds it."""
    url = "panko://?config_file=%s" % urllib.parse.quote(config_file)
    parsed = netutils.urlsplit(url)
    cls = driver.DriverManager(PUBLISHER_NAMESPACE, parsed.scheme).driver
    ceilometer_conf = cfg.ConfigOpts()
    ceilometer_conf([], project="ceilometer", default_config_files=[])
    return cls(ceilometer_conf, parsed)


class Published:
    """What the publishers stored, for the readers and the final count."""

    def __init__(self):
        self._lock = threading.Lock()
        self.ids = set()
        self.recent = collections.deque(maxlen=1000)
        self.calls = 0

    def add(self, event):
        with self._lock:
            self.calls += 1
            if event.message_id not in self.ids:
                self.ids.add(event.message_id)
                self.recent.append(event)

    def pick(self, rng):
        with self._lock:
            if not self.recent:
                return None
            return self.recent[rng.randrange(len(self.recent))]


def publish_loop(publisher, interval, deadline, stats, published, seed, dup):
    rng = random.Random(seed)
    next_at = time.monotonic() + rng.random() * interval
    while True:
        now = time.monotonic()
        if next_at >= deadline:
            return
        if next_at > now:
            time.sleep(next_at - now)
        next_at += interval
        if time.monotonic() - next_at > 1.0:
            # Too far behind: the slots missed are not made up in a burst.
            next_at = time.monotonic()
        event = published.pick(rng) if rng.random() < dup else None
        event = event or CeilometerEvent(rng)
        started = time.perf_counter()
        try:
            publisher.publish_events([event])
        except Exception as e:  # noqa: BLE001 - counted as an error
            stats.error("publish", "%s: %s" % (type(e).__name__, e))
            continue
        stats.timed("publish", time.perf_counter() - started)
        published.add(event)


# -- readers ----------------------------------------------------------------


class BadAnswer(Exception):
    pass


def member_of(project):
    return {
        "X-User-Id": "user-of-" + project,
        "X-Project-Id": project,
        "X-Roles": "member",
    }


class Reader:
    """One API client; each query opens a connection of its own, so that
    the queries spread over the API workers (a kept-alive connection
    stays with the worker that accepted it)."""

    def __init__(self, port, stats, published, seed):
        self._port = port
        self._stats = stats
        self._published = published
        self._rng = random.Random(seed)
        self._conn = None
        self._query = None

    def get(self, path, headers, expect=200):
        """GET ``path``; the decoded JSON answer, timed."""
        started = time.perf_counter()
        try:
            if self._conn is None:
                self._conn = http.client.HTTPConnection(
                    "127.0.0.1", self._port, timeout=HTTP_TIMEOUT_S
                )
            self._conn.request("GET", path, headers=headers)
            resp = self._conn.getresponse()
            body = resp.read()
        except (OSError, http.client.HTTPException):
            self._conn.close()
            self._conn = None
            raise
        self._stats.timed_read(self._query, time.perf_counter() - started)
        if resp.status != expect:
            raise BadAnswer(
                "GET %s: %d, expected %d: %r"
                % (path, resp.status, expect, body[:300])
            )
        if resp.getheader("Content-Type", "").split(";")[0] != (
            "application/json"
        ):
            raise BadAnswer("GET %s: not JSON" % path)
        return json.loads(body)

    def run(self, deadline):
        queries = (
            self.latest,
            self.project_events,
            self.one_event,
            self.marker_pages,
        )
        while time.monotonic() < deadline:
            query = self._rng.choice(queries)
            self._query = query.__name__
            try:
                query()
            except Exception as e:  # noqa: BLE001 - counted as an error
                self._stats.error(
                    "read " + query.__name__, "%s: %s" % (type(e).__name__, e)
                )
            finally:
                if self._conn is not None:
                    self._conn.close()
                    self._conn = None

    def latest(self):
        events = self.get("/v2/events?limit=100&sort=generated:desc", ADMIN)
        check_events(events, limit=100)
        stamps = [e["generated"] for e in events]
        if stamps != sorted(stamps, reverse=True):
            raise BadAnswer("latest 100 not newest first")

    def project_events(self):
        project = self._rng.choice(PROJECTS)
        event_type = self._rng.choice(EVENT_TYPES)
        query = urllib.parse.urlencode(
            {
                "q.field": "event_type",
                "q.op": "eq",
                "q.value": event_type,
                "limit": "50",
                "sort": "generated:desc",
            }
        )
        events = self.get("/v2/events?" + query, member_of(project))
        check_events(events, limit=50, project=project)
        if any(e["event_type"] != event_type for e in events):
            raise BadAnswer("an event of another type for %s" % event_type)

    def one_event(self):
        event = self._published.pick(self._rng)
        if event is None:
            return
        path = "/v2/events/" + urllib.parse.quote(event.message_id)
        for headers in (ADMIN, member_of(event.project)):
            found = self.get(path, headers)
            check_events([found], project=event.project)
            if found["message_id"] != event.message_id:
                raise BadAnswer(
                    "asked for %s, got %s" % (event.message_id, found)
                )
        other = PROJECTS[(PROJECTS.index(event.project) + 1) % len(PROJECTS)]
        self.get(path, member_of(other), expect=404)

    def marker_pages(self):
        project = self._rng.choice(PROJECTS)
        headers = member_of(project)
        seen, marker, previous = set(), None, None
        for _ in range(3):
            query = {"limit": "25"}
            if marker:
                query["marker"] = marker
            page = self.get(
                "/v2/events?" + urllib.parse.urlencode(query), headers
            )
            check_events(page, limit=25, project=project)
            ids = [e["message_id"] for e in page]
            if seen.intersection(ids):
                raise BadAnswer("pages overlap after marker %s" % marker)
            order = [(e["generated"], e["message_id"]) for e in page]
            if previous is not None:
                order.insert(0, previous)
            if order != sorted(order):
                raise BadAnswer("pages out of order after marker %s" % marker)
            if len(page) < 25:
                return
            seen.update(ids)
            marker, previous = ids[-1], order[-1]


EVENT_KEYS = {
    "message_id",
    "event_type",
    "traits",
    "generated",
    "raw",
    "position",
}


def check_events(events, limit=None, project=None):
    """Raise BadAnswer unless ``events`` are well-formed events (of
    ``project``, when given)."""
    if not isinstance(events, list):
        raise BadAnswer("not a list: %r" % (events,))
    if limit is not None and len(events) > limit:
        raise BadAnswer("%d events for limit %d" % (len(events), limit))
    for e in events:
        if not isinstance(e, dict) or set(e) != EVENT_KEYS:
            raise BadAnswer("not an event: %r" % (e,))
        datetime.datetime.fromisoformat(e["generated"])
        if not isinstance(e["position"], int) or e["position"] < 0:
            raise BadAnswer("bad position: %r" % (e["position"],))
        traits = {t["name"]: t for t in e["traits"]}
        if set(traits["project_id"]) != {"name", "value", "type"}:
            raise BadAnswer("bad trait: %r" % (traits["project_id"],))
        if project is not None and traits["project_id"]["value"] != project:
            raise BadAnswer(
                "%s of project %s in the answer for %s"
                % (e["message_id"], traits["project_id"]["value"], project)
            )
        if not isinstance(e["raw"], dict) or "payload" not in e["raw"]:
            raise BadAnswer("raw payload missing: %r" % (e["raw"],))


# -- the run ----------------------------------------------------------------


def sample_memory(api, started, samples, stop, stats, published):
    """Take the workers' RSS every MEMORY_SAMPLE_S; say how far the run
    is every PROGRESS_S."""
    while not stop.wait(MEMORY_SAMPLE_S):
        now = time.monotonic()
        samples.append((now, worker_rss_kb(api.process.pid)))
        if len(samples) % int(PROGRESS_S / MEMORY_SAMPLE_S) == 0:
            print(
                "%4d s: %d events, %d reads, %d errors"
                % (
                    now - started,
                    len(published.ids),
                    len(stats.latencies["read"]),
                    sum(stats.errors.values()),
                ),
                file=sys.stderr,
                flush=True,
            )


def run(args, workdir):
    stats, published = Stats(), Published()
    database = Database(args.server_url)
    api = None
    try:
        config_file = str(workdir / "panko.conf")
        pathlib.Path(config_file).write_text(
            "[database]\nconnection = %s\n[api]\nauth_mode = noauth\n"
            % database.url
        )
        subprocess.run(
            [str(BIN / "panko-dbsync"), "--config-file", config_file],
            check=True,
            capture_output=True,
        )
        api = Api(
            config_file,
            args.port or free_port(),
            args.workers,
            workdir / "panko-api.log",
        )
        rss_idle = worker_rss_kb(api.process.pid)
        publisher = load_publisher(config_file)

        started = time.monotonic()
        deadline = started + args.seconds
        interval = args.publishers / args.rate
        threads = [
            threading.Thread(
                target=publish_loop,
                args=(
                    publisher,
                    interval,
                    deadline,
                    stats,
                    published,
                    n,
                    args.duplicates,
                ),
                daemon=True,
            )
            for n in range(args.publishers)
        ]
        threads += [
            threading.Thread(
                target=Reader(api.port, stats, published, 1000 + n).run,
                args=(deadline,),
                daemon=True,
            )
            for n in range(args.readers)
        ]
        samples, stop = [], threading.Event()
        sampler = threading.Thread(
            target=sample_memory,
            args=(api, started, samples, stop, stats, published),
            daemon=True,
        )
        for thread in threads + [sampler]:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
        stop.set()
        sampler.join()
        rss_end = worker_rss_kb(api.process.pid)

        problems = api.problems()
        for line in problems:
            stats.error("panko-api log", line)
        if set(rss_end) != set(rss_idle):
            stats.error(
                "workers",
                "API workers changed during the run: %s -> %s"
                % (sorted(rss_idle), sorted(rss_end)),
            )
        stored = database.count_events()
        distinct = database.count_distinct_ids()
        warm = warm_sample(samples, started, args.seconds) or rss_end
        return {
            "seconds": round(elapsed, 1),
            "publishers": args.publishers,
            "readers": args.readers,
            "api_workers": args.workers,
            "target_rate": args.rate,
            "publish_calls": published.calls,
            "events_published": len(published.ids),
            "events_per_s": round(len(published.ids) / elapsed, 1),
            "events_stored": stored,
            "events_lost": len(published.ids) - distinct,
            "events_stored_twice": stored - distinct,
            "publish_latency": latency_summary(stats.latencies["publish"]),
            "reads": len(stats.latencies["read"]),
            "reads_per_s": round(len(stats.latencies["read"]) / elapsed, 1),
            "read_latency": latency_summary(stats.latencies["read"]),
            "read_latency_by_query": {
                name: latency_summary([lat for _, lat in timed])
                for name, timed in sorted(stats.reads.items())
            },
            "reads_by_minute": reads_by_minute(stats.reads),
            "errors": sum(stats.errors.values()),
            "errors_by_kind": dict(stats.errors),
            "error_samples": stats.error_samples,
            "database_bytes": database.size_bytes(),
            "worker_rss_kb": {
                "idle": sorted(rss_idle.values()),
                "warm": sorted(warm.values()),
                "end": sorted(rss_end.values()),
            },
        }
    finally:
        if api is not None:
            api.stop()
        database.drop()


def reads_by_minute(reads):
    """For each minute of the run: how many reads, and their p99 (ms)."""
    minutes = collections.defaultdict(list)
    for timed in reads.values():
        for at, latency in timed:
            minutes[int(at // 60)].append(latency)
    return [
        {
            "minute": minute,
            "reads": len(minutes[minute]),
            "p99_ms": latency_summary(minutes[minute])["p99_ms"],
        }
        for minute in sorted(minutes)
    ]


def warm_sample(samples, started, seconds):
    """The memory sample after warm-up: the first taken at least a tenth
    of the run (at most 60 s) after the start."""
    warm_up = min(60.0, seconds / 10)
    for at, rss in samples:
        if at - started >= warm_up:
            return rss
    return None


def print_report(report):
    def lat(name, group=report):
        s = group[name]
        return "p50 %s ms, p99 %s ms, max %s ms (%d)" % (
            s["p50_ms"],
            s["p99_ms"],
            s["max_ms"],
            s["count"],
        )

    rss = report["worker_rss_kb"]
    lines = [
        "soak: %(seconds)s s, %(publishers)d publisher threads at "
        "%(target_rate)s events/s, %(readers)d readers, %(api_workers)d "
        "API workers" % report,
        "events: %(events_published)d published (%(events_per_s)s/s, "
        "%(publish_calls)d calls), %(events_stored)d stored, "
        "%(events_lost)d lost, %(events_stored_twice)d stored twice" % report,
        "publish latency: " + lat("publish_latency"),
        "reads: %(reads)d (%(reads_per_s)s/s), " % report
        + lat("read_latency"),
    ]
    lines += [
        "  %s: %s" % (name, lat(name, report["read_latency_by_query"]))
        for name in sorted(report["read_latency_by_query"])
    ]
    lines += [
        "reads by minute (count/p99 ms): "
        + ", ".join(
            "%(reads)d/%(p99_ms)s" % m for m in report["reads_by_minute"]
        ),
        "errors: %(errors)d %(errors_by_kind)s" % report,
        "database: %.1f MB" % (report["database_bytes"] / 1e6),
        "API worker RSS, MB: idle %s, after warm-up %s, end %s"
        % tuple(
            [round(kb / 1024, 1) for kb in rss[k]]
            for k in ("idle", "warm", "end")
        ),
    ]
    lines += ["  " + sample for sample in report["error_samples"]]
    print("\n".join(lines), flush=True)


def passed(report):
    return (
        report["errors"] == 0
        and report["events_lost"] == 0
        and report["events_stored_twice"] == 0
        and report["events_published"] > 0
        and report["reads"] > 0
    )


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    # A SIGTERM stops the run like ^C: the server is stopped and the
    # database dropped on the way out.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    with tempfile.TemporaryDirectory(prefix="panko-soak-") as folder:
        report = run(args, pathlib.Path(folder))
    print_report(report)
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps(report, indent=2))
    return 0 if passed(report) else 1


if __name__ == "__main__":
    sys.exit(main())
