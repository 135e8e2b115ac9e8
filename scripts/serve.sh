#!/usr/bin/env bash
# Serve the app as N Streamlit processes behind Debian's nginx (sticky sessions), in the foreground.
#
#   bash scripts/serve.sh --replicas N --port P [--base-path PATH] [--max-upload-mb M] [--allow-save]
#                         [--data-dir DIR] [--bind ADDR]
#
# - P is the proxy's port (nginx); the app processes listen on 127.0.0.1:P+1 .. P+N.
# - A browser is pinned to one process by a cookie (tco_backend) set on its first response: the
#   session's websocket, uploads and downloads all reach the process that holds the session.
# - nginx marks a process down after 2 failed attempts for 10 s; this script checks every process's
#   /_stcore/health every 5 s and restarts one that died.
# - Catalogs are read-only unless --allow-save (TCO_DATA_WRITABLE=1); saves from several processes are
#   safe (a lock and a conflict check, docs/deploy.md).
# - Ctrl-C (or SIGTERM) stops nginx and every app process.
# docs/deploy.md explains each setting. Needs nginx (apt-get install nginx) and the venv of run_app.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

REPLICAS=2 PORT=8080 BASE_PATH="" MAX_UPLOAD_MB=25 ALLOW_SAVE=0 BIND=127.0.0.1 DATA_DIR=""
while [ $# -gt 0 ]; do
  case "$1" in
    --replicas) REPLICAS=$2; shift 2 ;;
    --port) PORT=$2; shift 2 ;;
    --base-path) BASE_PATH=$2; shift 2 ;;
    --max-upload-mb) MAX_UPLOAD_MB=$2; shift 2 ;;
    --allow-save) ALLOW_SAVE=1; shift ;;
    --data-dir) DATA_DIR=$2; shift 2 ;;
    --bind) BIND=$2; shift 2 ;;
    -h|--help) sed -n 2,17p "$0"; exit 0 ;;
    *) echo "serve.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
case "$REPLICAS" in ''|*[!0-9]*) echo "serve.sh: --replicas needs a whole number >= 1" >&2; exit 2 ;; esac
case "$PORT" in ''|*[!0-9]*) echo "serve.sh: --port needs a port number" >&2; exit 2 ;; esac
[ "$REPLICAS" -ge 1 ] || { echo "serve.sh: --replicas needs a whole number >= 1" >&2; exit 2; }
BASE_PATH=${BASE_PATH#/}; BASE_PATH=${BASE_PATH%/}
NGINX=$(command -v nginx || true)
[ -n "$NGINX" ] || NGINX=/usr/sbin/nginx
[ -x "$NGINX" ] || { echo "serve.sh: nginx not found (apt-get install nginx)" >&2; exit 3; }

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
  .venv/bin/python -m pip install -q --disable-pip-version-check -r requirements.txt
fi

RUN=$(mktemp -d "${TMPDIR:-/tmp}/tco-serve.XXXXXX")
# one cookie secret for every process, so a restarted process still accepts its users' signed cookies
COOKIE_SECRET=$(.venv/bin/python -c "import secrets; print(secrets.token_hex(32))")
chmod 755 "$RUN"
PIDS=()
NGINX_PID=""

stop_all() {
  trap - INT TERM EXIT
  [ -n "$NGINX_PID" ] && kill "$NGINX_PID" 2>/dev/null || true
  for pid in "${PIDS[@]:-}"; do [ -n "$pid" ] && kill -- "-$pid" 2>/dev/null || kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$RUN"
}
trap 'stop_all; exit 0' INT TERM
trap stop_all EXIT

start_app() {  # $1 = index (1..N)
  local port=$((PORT + $1))
  local env=(TCO_DATA_WRITABLE="$ALLOW_SAVE" STREAMLIT_SERVER_COOKIE_SECRET="$COOKIE_SECRET")
  [ -n "$DATA_DIR" ] && env+=(TCO_DATA_DIR="$DATA_DIR")
  setsid env "${env[@]}" .venv/bin/python -m streamlit run app.py --server.headless true \
    --server.port "$port" --server.address 127.0.0.1 --browser.gatherUsageStats false \
    --server.fileWatcherType none --server.maxUploadSize "$MAX_UPLOAD_MB" \
    ${BASE_PATH:+--server.baseUrlPath "$BASE_PATH"} >"$RUN/app$1.log" 2>&1 &
  PIDS[$1]=$!
}

healthy() {  # $1 = port offset (0 = the proxy, 1..N = an app process)
  local body
  body=$(.venv/bin/python - "$((PORT + $1))" "$BASE_PATH" <<'EOF' 2>/dev/null || true
import sys, urllib.request
port, base = sys.argv[1], sys.argv[2]
url = f"http://127.0.0.1:{port}/{base + '/' if base else ''}_stcore/health"
print(urllib.request.urlopen(url, timeout=3).read().decode().strip())
EOF
)
  [ "$body" = "ok" ]
}

for i in $(seq 1 "$REPLICAS"); do start_app "$i"; done
for i in $(seq 1 "$REPLICAS"); do
  for _ in $(seq 1 180); do
    healthy "$i" && break
    kill -0 "${PIDS[$i]}" 2>/dev/null || break  # the process exited: say so at once
    sleep 0.5
  done
  healthy "$i" || { echo "serve.sh: app process $i did not start; its log:" >&2; cat "$RUN/app$i.log" >&2; exit 1; }
done

# nginx: one upstream pool (least connections) for a browser's first request, then the cookie pins it.
{
  [ "$(id -u)" = "0" ] && echo "user root;"
  echo "worker_processes 1; pid $RUN/nginx.pid; error_log stderr warn; daemon off;"
  echo "events { worker_connections 4096; }"
  echo "http {"
  echo "  access_log $RUN/access.log;"
  echo "  client_body_temp_path $RUN/body; proxy_temp_path $RUN/proxy; fastcgi_temp_path $RUN/fcgi;"
  echo "  uwsgi_temp_path $RUN/uwsgi; scgi_temp_path $RUN/scgi;"
  echo "  log_format tco '\$remote_addr \$request_method \$uri \$status up=\$upstream_addr cookie=\$cookie_tco_backend';"
  echo "  access_log $RUN/access.log tco;"
  echo "  client_max_body_size ${MAX_UPLOAD_MB}m;"
  echo "  map \$http_upgrade \$connection_upgrade { default upgrade; '' close; }"
  echo "  upstream tco_pool {"
  echo "    least_conn;"
  for i in $(seq 1 "$REPLICAS"); do echo "    server 127.0.0.1:$((PORT + i)) max_fails=2 fail_timeout=10s;"; done
  echo "  }"
  echo "  map \$cookie_tco_backend \$tco_backend {"
  echo "    default tco_pool;"
  for i in $(seq 1 "$REPLICAS"); do echo "    127.0.0.1:$((PORT + i)) 127.0.0.1:$((PORT + i));"; done
  echo "  }"
  echo "  server {"
  echo "    listen $BIND:$PORT;"
  echo "    location /${BASE_PATH:+$BASE_PATH/} {"
  echo "      proxy_pass http://\$tco_backend;"
  echo "      proxy_http_version 1.1;"
  echo "      proxy_set_header Upgrade \$http_upgrade;"
  echo "      proxy_set_header Connection \$connection_upgrade;"
  echo "      proxy_set_header Host \$host;"
  echo "      proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;"
  echo "      proxy_read_timeout 86400s;"
  echo "      proxy_buffering off;"
  echo "      add_header Set-Cookie \"tco_backend=\$upstream_addr; Path=/; HttpOnly; SameSite=Lax\" always;"
  echo "    }"
  echo "  }"
  echo "}"
} >"$RUN/nginx.conf"
"$NGINX" -t -q -c "$RUN/nginx.conf" -p "$RUN" 2>"$RUN/nginx-test.log" || { cat "$RUN/nginx-test.log" >&2; exit 1; }
"$NGINX" -c "$RUN/nginx.conf" -p "$RUN" &
NGINX_PID=$!
for _ in $(seq 1 60); do healthy 0 && break; kill -0 "$NGINX_PID" 2>/dev/null || break; sleep 0.5; done
healthy 0 || { echo "serve.sh: nginx did not start" >&2; exit 1; }
echo "serving http://$BIND:$PORT/${BASE_PATH:+$BASE_PATH/} with $REPLICAS app process(es) on 127.0.0.1:$((PORT + 1))-$((PORT + REPLICAS)); logs in $RUN; Ctrl-C stops all"

# watchdog: restart an app process that died; stop when nginx stops
while kill -0 "$NGINX_PID" 2>/dev/null; do
  sleep 5
  for i in $(seq 1 "$REPLICAS"); do
    if ! kill -0 "${PIDS[$i]}" 2>/dev/null; then
      echo "serve.sh: app process $i (port $((PORT + i))) died; restarting it" >&2
      start_app "$i"
    fi
  done
done
echo "serve.sh: nginx stopped" >&2
exit 1
