"""CPU time the API spends on each of the bench's query scenarios.

On a machine shared with other work, latency measures the scheduler as
much as the code: a request that needs 10 ms of CPU can take 80. This
runs the shared bench's requests (the same URLs and identities) against
the target's WSGI application inside this process, one at a time, and
reports the process CPU time and the wall time per request. The CPU time
of the database server is not included (see EXPLAIN ANALYZE for it).

Run it with the target's Python and environment (the database URL and
the options its target file sets), for example::

    env OS_DATABASE__CONNECTION=... OS_API__AUTH_MODE=noauth \\
        PANKO_CONFIG_FILE=tools/bench/panko.conf \\
        $PEERS/panko/bin/python tools/bench/cpu_per_request.py \\
        --bench ../shared/bench --app panko.cmd.api:application --n 100000
"""

import argparse
import datetime
import importlib
import io
import json
import os
import sys
import time
import urllib.parse


def call(app, path, headers, params):
    """Status and body of one GET, as a WSGI server would make it."""
    environ = {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": urllib.parse.urlencode(params or []),
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "wsgi.version": (1, 0),
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    for name, value in headers.items():
        environ["HTTP_" + name.upper().replace("-", "_")] = value
    status = []
    body = app(environ, lambda s, h, exc_info=None: status.append(s))
    try:
        data = b"".join(body)
    finally:
        getattr(body, "close", lambda: None)()
    return int(status[0].split()[0]), data


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bench", required=True)
    ap.add_argument("--app", required=True, help="module:attribute")
    ap.add_argument("--chdir", help="folder to import the module from")
    ap.add_argument("--name", default="", help="target name in records")
    ap.add_argument("--n", type=int, required=True, help="events loaded")
    ap.add_argument("--requests", type=int, default=30)
    ap.add_argument("--results")
    args = ap.parse_args()
    sys.path.insert(0, os.path.abspath(args.bench))
    if args.chdir:
        sys.path.insert(0, os.path.abspath(args.chdir))
    import bench
    import eventgen

    module, _, attribute = args.app.partition(":")
    app = getattr(importlib.import_module(module), attribute)
    options = argparse.Namespace(
        event_type="compute.instance.create.end",
        traits_event_type="dns.zone.update",
        trait_name="host",
        trait_project_rank=50,
        member_project_rank=10,
        pages=10,
    )
    anchor = eventgen.DEFAULT_ANCHOR
    truth = bench.Truth(args.n, eventgen.DEFAULT_SEED, anchor)
    for name, spec in bench.build_scenarios(truth, anchor, options).items():
        if spec[0] == "PAGINATE":
            continue
        requests = spec[0]
        call(app, *requests[0][:3])  # warm-up
        statuses = set()
        n = args.requests
        c0, w0 = time.process_time(), time.perf_counter()
        for k in range(args.requests):
            path, headers, params, _ = requests[k % len(requests)]
            statuses.add(call(app, path, headers, params)[0])
        rec = {
            "ts": datetime.datetime.now(datetime.timezone.utc)
            .replace(tzinfo=None)
            .isoformat(timespec="seconds"),
            "target": args.name,
            "kind": "cpu_per_request",
            "loaded": args.n,
            "scenario": name,
            "requests": args.requests,
            "cpu_ms": round((time.process_time() - c0) / n * 1e3, 2),
            "wall_ms": round((time.perf_counter() - w0) / n * 1e3, 2),
            "statuses": sorted(statuses),
        }
        line = json.dumps(rec)
        print(line, flush=True)
        if args.results:
            with open(args.results, "a") as f:
                f.write(line + "\n")


if __name__ == "__main__":
    main()
