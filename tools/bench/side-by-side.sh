#!/bin/bash
# One side-by-side run of the shared bench, Panko 10 and panko in turn
# (doc/source/admin/performance.rst, "Figures"): ingest rounds on
# PostgreSQL and MariaDB (Panko 10 8k events, panko 100k, Panko 10 8k
# again, fresh databases each), then the query scenarios, the deep pages
# and the API workers' memory of Panko 10 at 100k, panko at 100k and 1M
# on PostgreSQL, and panko at 100k on MariaDB.
#
# Needs the venvs of tools/bench/install.sh ($PEERS/panko) and of the
# bench's targets/panko10/install.sh ($PEERS/panko10), and the query
# databases loaded beforehand: qb_p10pg (Panko 10, 100k) and qb_pg1m
# (panko, 1M); qb_pg and qb_my (panko, 100k) are the ingest rounds'.
# Usage: R=results.jsonl bash tools/bench/side-by-side.sh
set -u
HERE=$(cd "$(dirname "$0")/../.." && pwd)
B=${BENCH:-$HERE/../shared/bench}
export PEERS=${PEERS:-$HERE/../peers}
# Both made absolute: the runs below are made from the bench's folder.
R=$(realpath -m "${R:-$HERE/side-by-side.jsonl}")
LOG=$(realpath -m "${LOG:-$R.log}")
cd "$B" || exit 1
TPG=$HERE/tools/bench/panko-postgresql.json
TMY=$HERE/tools/bench/panko-mariadb.json
P10PG_PORT=18211 P10MY_PORT=18212
P10=(--set "python=$PEERS/panko10/bin/python")
P10PG=(--target targets/panko10-postgresql.json "${P10[@]}" --set "port=$P10PG_PORT")
P10MY=(--target targets/panko10-mariadb.json "${P10[@]}" --set "port=$P10MY_PORT")
# A server left on a target's port (by an interrupted run) would answer
# instead of the one each step starts: its database, not the step's.
target_port() { python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["port"])' "$1"; }
for port in "$(target_port "$TPG")" "$(target_port "$TMY")" "$P10PG_PORT" "$P10MY_PORT"; do
    if ss -ltn "sport = :$port" | grep -q LISTEN; then
        echo "port $port is in use: stop what listens there first" >&2
        exit 1
    fi
done
PGU=postgresql+psycopg2://root@127.0.0.1
MYU=mysql+pymysql://root@127.0.0.1

pgdb() {
    psql -h 127.0.0.1 -U root -d postgres -qc "drop database if exists $1" \
        -c "create database $1"
}
mydb() {
    mysql -h 127.0.0.1 -u root -e \
        "drop database if exists $1; create database $1 character set utf8mb4"
}
bench() { python3 bench.py --results "$R" "$@" >> "$LOG" 2>&1; }

ingest_rounds() {  # pg|my
    local backend=$1 newdb target pankodb url
    local -a p10
    if [ "$backend" = pg ]; then
        newdb=pgdb target=$TPG pankodb=qb_pg p10=("${P10PG[@]}")
    else
        newdb=mydb target=$TMY pankodb=qb_my p10=("${P10MY[@]}")
    fi
    for round in a b; do
        if [ $round = b ]; then
            $newdb $pankodb
            bench --target "$target" setup
            bench --target "$target" --n 100000 ingest --batch 100
        fi
        $newdb "qb_i10$backend$round"
        if [ "$backend" = pg ]; then
            url="db_url=$PGU/qb_i10$backend$round"
        else
            url="db_url=$MYU/qb_i10$backend$round?charset=utf8"
        fi
        bench "${p10[@]}" --set "$url" setup
        bench "${p10[@]}" --set "$url" --n 8000 ingest --batch 100
    done
}

query() {  # events-loaded target-args...
    local n=$1 depths=1,10,100,1000
    shift
    [ "$n" = 1000000 ] && depths=1,10,100,1000,10000
    bench "$@" --n "$n" query --serve --concurrency 1,4 --requests 200 \
        --seconds 12
    python3 bench.py "$@" --results "$R" serve --pidfile /tmp/side-by-side.pid \
        >> "$LOG" 2>&1
    python3 "$HERE/tools/bench/deep_pages.py" --bench "$B" "$@" --n "$n" \
        --depths $depths --results "$R" \
        --api-pid "$(cat /tmp/side-by-side.pid)" >> "$LOG" 2>&1
    kill -TERM -"$(cat /tmp/side-by-side.pid)"
    sleep 2
}

ingest_rounds pg
psql -h 127.0.0.1 -U root -d qb_pg -qc "vacuum analyze"
ingest_rounds my
query 100000 "${P10PG[@]}" --set db_url=$PGU/qb_p10pg
query 100000 --target "$TPG"
query 1000000 --target "$TPG" --set db_url=$PGU/qb_pg1m
query 100000 --target "$TMY"
