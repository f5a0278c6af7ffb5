#!/usr/bin/env bash
# Install panko and its test requirements into .venv, build the
# documentation, check that the services the functional tests use are
# up, and run the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}

if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
.venv/bin/pip install --quiet --upgrade pip
.venv/bin/pip install --quiet -e . -r test-requirements.txt -r doc/requirements.txt

# The documentation, the API reference and the release notes, warnings
# as errors (tox -e docs,api-ref,releasenotes); quiet unless something
# is wrong.
.venv/bin/sphinx-build -q -W --keep-going -b html doc/source doc/build/html
.venv/bin/sphinx-build -q -W --keep-going -b html api-ref/source api-ref/build/html
.venv/bin/sphinx-build -q -W --keep-going -b html releasenotes/source releasenotes/build/html

.venv/bin/python tools/check-services.py

exec .venv/bin/python -m pytest -p no:cacheprovider -n "${PANKO_TEST_WORKERS:-2}" "$@"
