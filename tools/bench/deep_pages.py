#!/usr/bin/env python3
"""Latency of one page of a marker walk at a given depth, and API memory.

The shared bench's ``paginate_10_pages`` scenario walks the first ten
pages only; this script asks for page 1, 10, 100, 1000 (or the depths
given) of the admin's all-tenants listing directly, with the marker a
client walking that far would send (the ``message_id`` of the last event
of the page before), and checks every answer against the bench's ground
truth. With ``--api-pid`` it also records the resident memory of the
API's worker processes (the children of that gunicorn master).

Standard library only, like the bench it imports::

    python3 tools/bench/deep_pages.py --bench ../shared/bench \\
        --target tools/bench/panko-postgresql.json --n 100000 \\
        --depths 1,10,100,1000 --results out.jsonl --api-pid PID
"""

import argparse
import datetime
import json
import os
import subprocess
import sys
import time

PAGE = 100


def worker_rss_kib(master_pid):
    """Resident memory of each child of ``master_pid``, in KiB."""
    out = subprocess.run(
        ["ps", "--ppid", str(master_pid), "-o", "rss="],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    return [int(x) for x in out.split()]


def page_params(bench, marker):
    params = bench.all_tenants() + [("limit", str(PAGE))]
    if marker is not None:
        params.append(("marker", marker))
    return params


def measure_depth(bench, client, rows, depth, requests):
    """p50/p95 of ``requests`` GETs of page ``depth`` (1-based)."""
    start = PAGE * (depth - 1)
    expected = bench.Truth.ids(rows[start : start + PAGE])
    marker = rows[start - 1][1] if depth > 1 else None
    params = page_params(bench, marker)
    client.get("/v2/events", bench.ADMIN, params)  # warm-up
    latencies, errors = [], 0
    for _ in range(requests):
        t0 = time.perf_counter()
        status, body = client.get("/v2/events", bench.ADMIN, params)
        latencies.append(time.perf_counter() - t0)
        got = (
            [e["message_id"] for e in json.loads(body)]
            if status == 200
            else None
        )
        errors += got != expected
    return {
        "scenario": "page_at_depth",
        "depth": depth,
        "concurrency": 1,
        "requests": requests,
        "p50_ms": round(bench.pct(latencies, 0.5) * 1000, 1),
        "p95_ms": round(bench.pct(latencies, 0.95) * 1000, 1),
        "errors": errors,
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bench", required=True, help="the shared bench folder")
    ap.add_argument("--target", required=True)
    ap.add_argument("--set", action="append", default=[])
    ap.add_argument("--n", type=int, required=True, help="events loaded")
    ap.add_argument("--depths", default="1,10,100,1000")
    ap.add_argument("--requests", type=int, default=100)
    ap.add_argument("--results")
    ap.add_argument("--api-pid", type=int, help="gunicorn master's pid")
    args = ap.parse_args()

    sys.path.insert(0, os.path.abspath(args.bench))
    import bench
    import eventgen

    target = bench.Target(args.target, args.set)
    truth = bench.Truth(args.n, eventgen.DEFAULT_SEED, eventgen.DEFAULT_ANCHOR)
    client = bench.Client(target.api_url)
    records = []
    for depth in (int(d) for d in args.depths.split(",")):
        if PAGE * depth > args.n:
            continue
        records.append(
            measure_depth(bench, client, truth.rows, depth, args.requests)
        )
    if args.api_pid:
        rss = worker_rss_kib(args.api_pid)
        records.append(
            {
                "scenario": "api_worker_rss",
                "workers": len(rss),
                "rss_kib": rss,
                "max_rss_mib": round(max(rss) / 1024, 1) if rss else None,
            }
        )
    for rec in records:
        rec = {
            "ts": datetime.datetime.now(datetime.timezone.utc)
            .replace(tzinfo=None)
            .isoformat(timespec="seconds"),
            "target": target.name,
            "kind": "query",
            "loaded": args.n,
            **rec,
        }
        line = json.dumps(rec)
        print(line, flush=True)
        if args.results:
            with open(args.results, "a") as f:
                f.write(line + "\n")


if __name__ == "__main__":
    main()
