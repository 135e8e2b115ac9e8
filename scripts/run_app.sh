#!/usr/bin/env bash
# Set up a virtual environment (first run only) and start the app on the bundled data, with saving on.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q --disable-pip-version-check -r requirements.txt
# Running locally, the Data page saves into data/ (or $TCO_DATA_DIR); a deployment sets TCO_DATA_WRITABLE=0.
export TCO_DATA_WRITABLE="${TCO_DATA_WRITABLE:-1}"
exec .venv/bin/python -m streamlit run app.py --server.headless true --browser.gatherUsageStats false "$@"
