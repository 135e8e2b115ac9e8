#!/usr/bin/env bash
# Set up everything the test suite needs on a fresh machine, then run it.
#  - a virtual environment with requirements-test.txt
#  - Debian's Chromium for the browser tests (apt-get, when running as root and it is missing);
#    never `playwright install` (it downloads its own browser, which fails offline); Chromium also
#    prints the PDF report and renders chart images (kaleido)
#  - Debian's poppler-utils (pdftotext, pdfinfo) for the PDF report tests
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
# Debian packages the tests use: chromium (browser tests), nginx (several app processes behind a proxy)
NEED=()
if [ -z "${TCO_CHROMIUM:-}" ] && ! command -v chromium >/dev/null 2>&1; then NEED+=(chromium); fi
if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then NEED+=(nginx); fi
if [ ${#NEED[@]} -gt 0 ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing Debian's ${NEED[*]} for the tests..."
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${NEED[@]}" >/dev/null
  else
    echo "warning: missing ${NEED[*]}: the tests that need them are skipped (under CI=true they fail)" >&2
  fi
fi
# poppler-utils (pdftotext, pdfinfo) for the PDF report tests
if ! command -v pdftotext >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing Debian's poppler-utils for the PDF report tests..."
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq poppler-utils >/dev/null
  else
    echo "warning: no pdftotext found; PDF report tests will be skipped (install Debian's poppler-utils)" >&2
  fi
fi
mkdir -p test-artifacts
exec .venv/bin/python -m pytest "$@"
