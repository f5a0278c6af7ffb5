#!/bin/sh
# Make the venv the benchmark targets in this folder run panko from:
# this checkout (editable), its database drivers and gunicorn 23.0.0,
# the WSGI server the Panko 10 reference figures were measured with.
# Usage: sh tools/bench/install.sh [VENV]   (default $PEERS/panko, PEERS
# defaulting to ../peers beside the checkout, as the bench README says)
set -e
HERE=$(cd "$(dirname "$0")/../.." && pwd)
VENV=${1:-${PEERS:-$HERE/../peers}/panko}
python3 -m venv "$VENV"
"$VENV/bin/pip" install --quiet --upgrade pip
"$VENV/bin/pip" install --quiet -e "${HERE}[postgresql,mysql]" gunicorn==23.0.0
"$VENV/bin/pip" check
