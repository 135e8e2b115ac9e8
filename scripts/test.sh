#!/usr/bin/env bash
# Set up everything the test suite needs on a fresh machine, then run it.
#  - a virtual environment with requirements-test.txt
#  - Debian's Chromium for the browser tests (apt-get, when running as root and it is missing);
#    never `playwright install` (it downloads its own browser, which fails offline)
# Extra arguments go to pytest (e.g. scripts/test.sh -m "not e2e").
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q --disable-pip-version-check -r requirements-test.txt
# the FOCUS validator needs numpy 1.26: its own venv (tests/test_focus_validator.py runs it as a subprocess)
if [ ! -x .focus-venv/bin/focus-validator ]; then
  "$PY" -m venv .focus-venv
  .focus-venv/bin/python -m pip install -q --disable-pip-version-check -r requirements-focus.txt
fi
if [ -z "${TCO_CHROMIUM:-}" ] && ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing Debian's chromium for the browser tests..."
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "warning: no chromium found; browser tests will be skipped (install Debian's chromium)" >&2
  fi
fi
mkdir -p test-artifacts
exec .venv/bin/python -m pytest "$@"
