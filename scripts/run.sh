#!/usr/bin/env bash
# Quick start: install what is missing, load the MoU and demo data, then run web (gunicorn),
# a Celery worker and Celery beat until Ctrl-C / SIGINT / SIGTERM.
#
#   bash scripts/run.sh                 # http://127.0.0.1:8000/
#   PORT=8001 bash scripts/run.sh       # another port
#   DEMO_PASSWORD=... bash scripts/run.sh
#
# Defaults: SQLite file and Celery's filesystem broker under var/ (no servers needed);
# DATABASE_URL / CELERY_BROKER_URL are used instead when set. Logs: var/log/{web,worker,beat}.log
# (under VAR_DIR when that is set).
# See docs/operations.md.

set -euo pipefail
SCRIPT_NAME="run"
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"

# --- process management ------------------------------------------------------------------------
NAMES=()   # web, worker, beat
PIDS=()    # each started with setsid: its PID is also its process group (it and its children)
STOP_TIMEOUT=25

group_alive() { kill -0 -- "-$1" 2>/dev/null; }

stop_all() {
  [ "${#PIDS[@]}" -gt 0 ] || return 0
  local pid deadline
  for pid in "${PIDS[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || true; done
  deadline=$((SECONDS + STOP_TIMEOUT))
  for pid in "${PIDS[@]}"; do
    while group_alive "$pid" && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.2; done
  done
  for pid in "${PIDS[@]}"; do
    if group_alive "$pid"; then
      log "process group $pid did not stop within ${STOP_TIMEOUT} s; killing it"
      kill -KILL -- "-$pid" 2>/dev/null || true
    fi
  done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  PIDS=()
  NAMES=()
  # gunicorn has closed its socket once it has exited; wait briefly for the kernel to agree.
  for _ in $(seq 1 25); do port_bindable "$PORT" && break; sleep 0.2; done
}

on_signal() {
  trap '' INT TERM HUP
  log "stopping web, worker and beat"
  stop_all
  log "stopped"
  exit 0
}
trap on_signal INT TERM HUP
trap stop_all EXIT
trap 'log "failed (exit $?) at line $LINENO: $BASH_COMMAND"' ERR

start() { # start NAME COMMAND... : runs in its own session/process group, output to $LOG_DIR/NAME.log
  local name="$1"
  shift
  : >"$LOG_DIR/$name.log"
  setsid "$@" >>"$LOG_DIR/$name.log" 2>&1 </dev/null &
  NAMES+=("$name")
  PIDS+=("$!")
}

# The first of our processes that has exited, as "name pid"; nothing when all are running.
first_dead() {
  local i
  for i in "${!PIDS[@]}"; do
    if ! kill -0 "${PIDS[$i]}" 2>/dev/null; then
      printf '%s %s\n' "${NAMES[$i]}" "${PIDS[$i]}"
      return 0
    fi
  done
  return 1
}

# One process died: show why, stop the others, exit non-zero.
fail_dead() { # fail_dead NAME PID [STATUS]
  local name="$1" pid="$2" status="${3:-}"
  if [ -z "$status" ]; then
    status=0
    wait "$pid" 2>/dev/null || status=$?
  fi
  log "$name exited unexpectedly (status $status); last lines of $LOG_DIR/$name.log:"
  tail -n 30 "$LOG_DIR/$name.log" >&2 || true
  trap '' INT TERM HUP
  log "stopping the other processes"
  stop_all
  [ "$status" -ne 0 ] || status=1
  exit "$status"
}

health_ok() {
  "$VENV/bin/python" - "$PORT" <<'PY'
import sys, urllib.request
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never via an HTTP proxy
try:
    with opener.open(f"http://127.0.0.1:{sys.argv[1]}/health/", timeout=3) as response:
        sys.exit(0 if response.status == 200 else 1)
except Exception:
    sys.exit(1)
PY
}

# --- checks that need nothing installed ----------------------------------------------------------
PORT="${PORT:-8000}"
if ! [[ "$PORT" =~ ^[0-9]+$ ]] || [ "$PORT" -lt 1 ] || [ "$PORT" -gt 65535 ]; then
  die "PORT must be a TCP port number (1-65535), not '$PORT'"
fi
export PORT
if port_listening "$PORT"; then
  die "port $PORT on 127.0.0.1 is already in use. Stop whatever is listening there, or choose another port: PORT=8001 bash scripts/run.sh"
fi

# --- prerequisites and installs -----------------------------------------------------------------
run_prereqs() {
  check_python_prereq
  check_node_prereq
}
ensure_prereqs run_prereqs
ensure_venv requirements.txt
ensure_frontend
export PATH="$VENV/bin:$PATH"
# Runtime files (SQLite database, broker folders, logs) live in VAR_DIR, as in the settings.
LOG_DIR="${VAR_DIR:-var}/log"
mkdir -p "$LOG_DIR"

generated_password=""
if [ -z "${DEMO_PASSWORD:-}" ]; then
  DEMO_PASSWORD="$(python -c 'import secrets; print("demo-" + secrets.token_urlsafe(12))')"
  generated_password=1
fi
export DEMO_PASSWORD
# The public progress view (/public/, no sign-in) is on in the quick start; PUBLIC_VIEW=false turns it off.
export PUBLIC_VIEW="${PUBLIC_VIEW:-true}"

# --- database and data (all idempotent) ----------------------------------------------------------
log "migrate"
python manage.py migrate --noinput
log "load_mou"
python manage.py load_mou
log "load_demo"
python manage.py load_demo
# Illustrative money and estates (funding lines, capital budgets, disposals), the transformation
# fund's allocation taken from COM-08; before the papers, which report them.
log "load_finance_demo"
python manage.py load_finance_demo
log "flag_overdue"
python manage.py flag_overdue
# The dashboards' trends read day-by-day tallies: reconstruct the past ones from the demo's history.
log "backfill_tallies"
python manage.py backfill_tallies
# After the overdue pass, so the report shows what it escalated; builds only when a paper is missing.
log "build_demo_papers"
python manage.py build_demo_papers
# The public open data package (/open-data/), as the 06:45 job builds it each day.
log "build_open_data"
python manage.py build_open_data

# --- web, worker, beat --------------------------------------------------------------------------
port_bindable "$PORT" || die "port $PORT on 127.0.0.1 is already in use. Stop whatever is using it, or choose another port: PORT=8001 bash scripts/run.sh"

log "starting web (gunicorn on 127.0.0.1:$PORT), Celery worker and Celery beat; logs in $LOG_DIR/"
start web gunicorn devotracker.wsgi:application \
  --bind "127.0.0.1:$PORT" --workers 2 --timeout 60 --graceful-timeout 10 \
  --log-level warning --error-logfile -
start worker celery -A devotracker worker --pool=solo --loglevel=INFO --without-gossip --without-mingle
start beat celery -A devotracker beat --loglevel=INFO

deadline=$((SECONDS + 120))
until health_ok; do
  if dead="$(first_dead)"; then
    # shellcheck disable=SC2086
    fail_dead $dead
  fi
  if [ "$SECONDS" -ge "$deadline" ]; then
    log "web did not answer http://127.0.0.1:$PORT/health/ with 200 within 120 s; last lines of $LOG_DIR/web.log:"
    tail -n 30 "$LOG_DIR/web.log" >&2 || true
    exit 1
  fi
  sleep 0.5
done
if dead="$(first_dead)"; then
  # shellcheck disable=SC2086
  fail_dead $dead
fi

if [ -n "$generated_password" ]; then
  echo "Demo password: $DEMO_PASSWORD"
fi
echo "DevoTracker is ready at http://127.0.0.1:$PORT/"
case "$PUBLIC_VIEW" in
  1 | true | yes | on) echo "Public progress view (no sign-in): http://127.0.0.1:$PORT/public/" ;;
esac
log "press Ctrl-C to stop (logs: $LOG_DIR/web.log, $LOG_DIR/worker.log, $LOG_DIR/beat.log)"

# Wait for a signal (handled by on_signal) or for one of the three to exit.
while :; do
  dead_pid=""
  status=0
  wait -n -p dead_pid "${PIDS[@]}" || status=$?
  if [ -n "$dead_pid" ]; then
    for i in "${!PIDS[@]}"; do
      if [ "${PIDS[$i]}" = "$dead_pid" ]; then fail_dead "${NAMES[$i]}" "$dead_pid" "$status"; fi
    done
  fi
  if dead="$(first_dead)"; then
    # shellcheck disable=SC2086
    fail_dead $dead
  fi
done
