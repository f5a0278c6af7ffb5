"""tools/soak.py (``tox -e soak``) kept working: a few seconds of it with
a few threads, and its answer checks shown to catch what they look for.

The ten-minute run is not part of the suite; this one costs about 15 s.
"""

from __future__ import annotations

import importlib.util
import json
import pathlib
import subprocess
import sys

import pytest
import sqlalchemy as sa

from panko.tests import backends

ROOT = pathlib.Path(__file__).parents[3]
SCRIPT = ROOT / "tools" / "soak.py"


def load_soak():
    spec = importlib.util.spec_from_file_location("soak", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def soak_databases(server_url):
    engine = sa.create_engine(
        server_url + "/postgres", poolclass=sa.pool.NullPool
    )
    try:
        with engine.connect() as conn:
            return set(
                conn.execute(
                    sa.text(
                        "SELECT datname FROM pg_database "
                        "WHERE datname LIKE 'soak\\_%'"
                    )
                ).scalars()
            )
    finally:
        engine.dispose()


@pytest.mark.backends("postgresql")
def test_a_short_soak_has_no_errors(backend, tmp_path):
    server_url = backends.SERVER_URLS["postgresql"]
    report_path = tmp_path / "soak.json"
    before = soak_databases(server_url)
    result = subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            "--seconds",
            "5",
            "--publishers",
            "4",
            "--readers",
            "2",
            "--workers",
            "1",
            "--rate",
            "40",
            "--server-url",
            server_url,
            "--json",
            str(report_path),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(report_path.read_text())
    assert report["errors"] == 0, report["error_samples"]
    # 40 events/s for 5 s: nearly all of the 200 slots were used, each
    # event stored once.
    assert 150 <= report["events_published"] <= 200
    assert report["events_stored"] == report["events_published"]
    assert report["events_lost"] == report["events_stored_twice"] == 0
    assert report["reads"] > 10
    for name in ("publish_latency", "read_latency"):
        latency = report[name]
        assert 0 < latency["p50_ms"] <= latency["p99_ms"] <= latency["max_ms"]
        assert latency["max_ms"] < 30000
    rss = report["worker_rss_kb"]
    assert len(rss["idle"]) == len(rss["end"]) == 1
    assert all(10_000 < kb < 1_000_000 for kb in rss["idle"] + rss["end"])
    assert "events:" in result.stdout and "errors: 0" in result.stdout
    # Its database is gone.
    assert soak_databases(server_url) <= before


def an_event(project):
    return {
        "message_id": "m1",
        "event_type": "compute.instance.update",
        "generated": "2026-05-01T10:00:00.000005",
        "traits": [{"name": "project_id", "value": project, "type": "string"}],
        "raw": {"payload": {}},
        "position": 7,
    }


def test_the_answer_checks_catch_bad_answers():
    soak = load_soak()
    soak.check_events([an_event("p1")], limit=1, project="p1")
    bad_answers = [
        ([an_event("p2")], {"project": "p1"}),
        ([an_event("p1")] * 2, {"limit": 1}),
        ({"error_message": {}}, {}),
        ([dict(an_event("p1"), generated="yesterday")], {}),
        ([dict(an_event("p1"), raw=None)], {}),
        ([dict(an_event("p1"), position="7")], {}),
        ([{"message_id": "m1"}], {}),
    ]
    for events, kwargs in bad_answers:
        with pytest.raises((soak.BadAnswer, ValueError)):
            soak.check_events(events, **kwargs)
