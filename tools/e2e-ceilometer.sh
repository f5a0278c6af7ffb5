#!/usr/bin/env bash
# End-to-end check: a real Ceilometer 27.0.0, in a virtualenv of its own
# that has no panko in it, feeds panko both ways an operator can choose:
#
#   notifier://  Ceilometer's default event publisher sends to RabbitMQ;
#                panko-listener stores what it sends.
#   http://      Ceilometer's http publisher POSTs to panko-api's
#                /v2/events.
#
# Ceilometer's notification agent runs for real: the script sends
# Nova-style compute.instance.create.end notifications on the bus, the
# agent turns them into events with its stock event definitions and
# publishes them through an event pipeline with both publishers. Each way
# stores into its own database, so each is checked on its own.
#
# Usage: tools/e2e-ceilometer.sh [notifier,http]     (default: both)
#
# Environment:
#   PANKO_BIN          directory of panko's commands (default: the one of
#                      panko-listener on PATH, else .venv/bin, made with
#                      "pip install -e ." when missing)
#   CEILOMETER_VENV    Ceilometer's virtualenv, made with
#                      "pip install ceilometer==27.0.0" when missing
#                      (default: .tox/ceilometer27)
#   PANKO_E2E_RABBIT   broker URL (default rabbit://guest:guest@127.0.0.1:5672/)
#   PANKO_E2E_TIMEOUT  seconds to wait for the events (default 90)
#   PANKO_E2E_KEEP=1   keep the work directory (configs, logs, databases)
#
# Every exchange and queue name carries a random suffix, so runs can share
# a broker; they are deleted at the end.
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
WAYS=${1:-notifier,http}
RABBIT=${PANKO_E2E_RABBIT:-rabbit://guest:guest@127.0.0.1:5672/}
AMQP=${RABBIT/rabbit:\/\//amqp://}
CEILOMETER_VENV=${CEILOMETER_VENV:-$REPO/.tox/ceilometer27}
if [ -z "${PANKO_BIN:-}" ]; then
    if command -v panko-listener >/dev/null; then
        PANKO_BIN=$(dirname "$(command -v panko-listener)")
    else
        PANKO_BIN=$REPO/.venv/bin
        if [ ! -x "$PANKO_BIN/panko-listener" ]; then
            # A fresh clone: what the README's Quick start installs.
            echo "e2e: installing panko (this tree) into $REPO/.venv"
            python3 -m venv "$REPO/.venv"
            "$REPO/.venv/bin/pip" install --quiet -e "$REPO"
        fi
    fi
fi
PANKO_PYTHON=$PANKO_BIN/python

RUN=$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')
WORK=$(mktemp -d -t panko-e2e-XXXXXX)
COUNT=3
SECRET="e2e secret $RUN"
CEILOMETER_EXCHANGE=ceilometer_e2e_$RUN   # where notifier:// publishes
EVENT_TOPIC=event_e2e_$RUN                # its topic
NOVA_EXCHANGE=nova_e2e_$RUN               # where "nova" notifies
NOTIFICATION_TOPIC=notifications_e2e_$RUN
PORT=$("$PANKO_PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
PIDS=()

log() { echo "e2e: $*"; }

# shellcheck disable=SC2329  # called by the EXIT trap
cleanup() {
    local status=$?
    for pid in "${PIDS[@]}"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    for pid in "${PIDS[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    # The agent has a queue for each priority.
    local queues=$EVENT_TOPIC.sample,$EVENT_TOPIC.dead.sample priority
    for priority in audit debug info warn error critical sample; do
        queues=$queues,$NOTIFICATION_TOPIC.$priority
    done
    "$PANKO_PYTHON" "$REPO/tools/e2e/cleanup_bus.py" "$AMQP" \
        "$CEILOMETER_EXCHANGE,$NOVA_EXCHANGE" "$queues" || true
    if [ "$status" -ne 0 ]; then
        for f in "$WORK"/*.log; do
            [ -f "$f" ] || continue
            echo "----- $(basename "$f") (last 40 lines)"
            tail -n 40 "$f"
        done
        # panko-api's access log, less the checker's polling (its user
        # agent), which would otherwise hide Ceilometer's POSTs.
        if [ -f "$WORK/panko-api.out" ]; then
            echo "----- panko-api.out without panko-e2e-check requests (last 40 lines)"
            grep -v '"panko-e2e-check"' "$WORK/panko-api.out" | tail -n 40 || true
        fi
    fi
    if [ "${PANKO_E2E_KEEP:-0}" = 1 ]; then
        log "work directory kept: $WORK"
    else
        rm -rf "$WORK"
    fi
    exit "$status"
}
trap cleanup EXIT

wants() { [[ ",$WAYS," == *",$1,"* ]]; }

# -- Ceilometer 27, alone in its virtualenv -----------------------------------
if [ ! -x "$CEILOMETER_VENV/bin/ceilometer-agent-notification" ]; then
    log "installing ceilometer==27.0.0 into $CEILOMETER_VENV"
    python3 -m venv "$CEILOMETER_VENV"
    "$CEILOMETER_VENV/bin/pip" install --quiet ceilometer==27.0.0
fi
if "$CEILOMETER_VENV/bin/python" -I -c 'import panko' 2>/dev/null; then
    log "panko is importable in Ceilometer's virtualenv: this check needs one without it"
    exit 1
fi

# -- panko: one database per way ----------------------------------------------
PUBLISHERS=()
dbsync() {
    if "$PANKO_PYTHON" -c 'import panko.cmd.storage' 2>/dev/null; then
        "$PANKO_BIN/panko-dbsync" --config-file "$1"
    else
        # Until panko-dbsync is merged: what it does.
        "$PANKO_PYTHON" - "$1" <<'EOF'
import sys
from panko import service, storage
conf = service.prepare_service([], config_files=[sys.argv[1]], setup_logging=False)
storage.get_connection(conf).upgrade()
EOF
    fi
}

if wants notifier; then
    cat > "$WORK/panko-listener.conf" <<EOF
[DEFAULT]
transport_url = $RABBIT
log_file = $WORK/panko-listener.log
[database]
connection = sqlite:///$WORK/listener.sqlite
[listener]
exchange = $CEILOMETER_EXCHANGE
topics = $EVENT_TOPIC
batch_timeout = 0.5
telemetry_secret = $SECRET
EOF
    dbsync "$WORK/panko-listener.conf"
    "$PANKO_BIN/panko-listener" --config-file "$WORK/panko-listener.conf" \
        >"$WORK/panko-listener.out" 2>&1 &
    PIDS+=($!)
    PUBLISHERS+=("notifier://?topic=$EVENT_TOPIC")
    log "panko-listener started on exchange $CEILOMETER_EXCHANGE, topic $EVENT_TOPIC"
fi

if wants http; then
    if ! "$PANKO_PYTHON" -c 'import panko.api.app' 2>/dev/null; then
        log "the http:// way needs panko-api (panko.api.app), which this tree does not have"
        exit 1
    fi
    cat > "$WORK/panko-api.conf" <<EOF
[DEFAULT]
log_file = $WORK/panko-api.log
[database]
connection = sqlite:///$WORK/http.sqlite
[api]
auth_mode = noauth
EOF
    dbsync "$WORK/panko-api.conf"
    PANKO_CONFIG_FILE=$WORK/panko-api.conf "$PANKO_BIN/panko-api" \
        --host 127.0.0.1 --port "$PORT" >"$WORK/panko-api.out" 2>&1 &
    PIDS+=($!)
    PUBLISHERS+=("http://127.0.0.1:$PORT/v2/events?timeout=5&max_retries=2")
    log "panko-api started on http://127.0.0.1:$PORT"
fi

# -- Ceilometer's notification agent ------------------------------------------
{
    echo '---'
    echo 'sources:'
    echo '    - name: event_source'
    echo '      events: ["*"]'
    echo '      sinks: [event_sink]'
    echo 'sinks:'
    echo '    - name: event_sink'
    echo '      publishers:'
    for publisher in "${PUBLISHERS[@]}"; do
        echo "          - \"$publisher\""
    done
} > "$WORK/event_pipeline.yaml"
cat > "$WORK/ceilometer.conf" <<EOF
[DEFAULT]
transport_url = $RABBIT
control_exchange = $CEILOMETER_EXCHANGE
event_pipeline_cfg_file = $WORK/event_pipeline.yaml
log_file = $WORK/ceilometer-agent-notification.log
# Logs each POST of the http:// publisher with its status code.
debug = true
[oslo_messaging_notifications]
topics = $NOTIFICATION_TOPIC
[notification]
notification_control_exchanges = $NOVA_EXCHANGE
pipelines = event
[event]
store_raw = info
[publisher]
telemetry_secret = $SECRET
EOF
"$CEILOMETER_VENV/bin/ceilometer-agent-notification" \
    --config-file "$WORK/ceilometer.conf" \
    >"$WORK/ceilometer-agent-notification.out" 2>&1 &
PIDS+=($!)
log "ceilometer-agent-notification started (pipeline: ${PUBLISHERS[*]})"

# -- notifications in, events out ---------------------------------------------
# The notifier declares the agent's queue, so nothing is lost if the agent
# is still starting.
"$CEILOMETER_VENV/bin/python" "$REPO/tools/e2e/notify.py" "$RABBIT" \
    "$NOVA_EXCHANGE" "$NOTIFICATION_TOPIC" "$COUNT" "$RUN"
log "$COUNT compute.instance.create.end notifications sent to $NOVA_EXCHANGE"

status=0
if wants notifier; then
    "$PANKO_PYTHON" "$REPO/tools/e2e/check.py" storage \
        "sqlite:///$WORK/listener.sqlite" "$COUNT" "$RUN" || status=1
fi
if wants http; then
    "$PANKO_PYTHON" "$REPO/tools/e2e/check.py" api \
        "http://127.0.0.1:$PORT" "$COUNT" "$RUN" || status=1
fi
if [ "$status" -eq 0 ]; then
    log "OK: Ceilometer 27 fed panko (${WAYS}) from its own virtualenv"
fi
exit "$status"
