#!/usr/bin/env bash
# The load and fault drills (issue 8): bash scripts/drill.sh [load|redis|handoff|postgres|all] (default: all)
#
# Starts, on loopback only, a throwaway PostgreSQL and Redis (temporary folders, free ports),
# loads the MoU and demo data plus the drill's accounts (bench/drills/setup.py), then gunicorn
# (2 workers) and a Celery worker, and runs:
#
#   load      locust, 50 users for 2 minutes (officers updating through the forms, partners syncing
#             and writing through the API, viewers on dashboards, a secretariat member building the
#             committee paper): zero failed requests, every accepted write in the history exactly once
#   redis     60 s of load with Redis (broker and cache) stopped for 20 s in the middle, while the
#             overdue pass runs and queues its notices: no failed request; once Redis is back the
#             worker delivers every notice exactly once (counted in the file-based e-mail backend)
#   handoff   what Redis being down adds to a write that hands work to Celery (issue 11): the median
#             and p95 of DRILL_HANDOFF_WRITES writes with Redis up, then down (goal: under 100 ms
#             added); the messages queued while it was down wait in the outbox, and once Redis is
#             back Celery beat's every-minute delivery and the worker (both reconnecting on their
#             own) send each exactly once
#   postgres  60 s of load with PostgreSQL restarted in the middle: requests in the gap get a clean
#             503 (the API's JSON shape or the GOV.UK page, never a stack trace), the same gunicorn
#             processes serve again afterwards, and nothing acknowledged is lost
#
# Prints the figures and stops everything on exit (also on Ctrl-C). Durations can be changed with
# DRILL_USERS, DRILL_LOAD_TIME, DRILL_FAULT_TIME, DRILL_SPAWN_RATE, DRILL_HANDOFF_WRITES; DRILL_KEEP=1
# keeps the folder with the logs and locust's CSV files. See docs/reliability.md.

set -euo pipefail
SCRIPT_NAME=drill
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"

SCENARIOS="${1:-all}"
case "$SCENARIOS" in load | redis | handoff | postgres | webhooks | all) ;; *) die "usage: bash scripts/drill.sh [load|redis|handoff|postgres|webhooks|all]" ;; esac
USERS="${DRILL_USERS:-50}"
LOAD_TIME="${DRILL_LOAD_TIME:-120}"
FAULT_TIME="${DRILL_FAULT_TIME:-60}"
# Users start at this many a second: signing in hashes a password (PBKDF2, about a second of CPU
# here), and fifty at once would measure the hasher, not the service.
SPAWN_RATE="${DRILL_SPAWN_RATE:-2}"
HANDOFF_WRITES="${DRILL_HANDOFF_WRITES:-40}"

TMP_ROOT=""
PG_BIN=""
PG_DATA=""
PIDS=()
FIGURES=()
RESULT=0

as_pg() { if is_root; then runuser -u postgres -- "$@"; else "$@"; fi; }

stop_pid() { # stop_pid PID: TERM, wait up to 20 s, then KILL
  local pid="$1"
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.2; done
  kill -KILL "$pid" 2>/dev/null || true
}

cleanup() {
  set +e
  trap '' INT TERM
  local pid
  for pid in "${PIDS[@]:-}"; do [ -n "$pid" ] && stop_pid "$pid"; done
  [ -n "${REDIS_PORT:-}" ] && redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1
  if [ -n "$PG_DATA" ] && [ -f "$PG_DATA/postmaster.pid" ]; then
    as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w -t 20 stop >/dev/null 2>&1 ||
      as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -m immediate -w -t 10 stop >/dev/null 2>&1
  fi
  [ -n "$TMP_ROOT" ] && [ -z "${DRILL_KEEP:-}" ] && rm -rf "$TMP_ROOT"
  [ -n "$TMP_ROOT" ] && [ -n "${DRILL_KEEP:-}" ] && log "kept $TMP_ROOT"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- prerequisites ------------------------------------------------------------------------------
[ -x "$VENV/bin/python" ] || die ".venv is missing: run bash scripts/test.sh (or scripts/run.sh) once first"
for tool in gunicorn celery locust; do
  [ -x "$VENV/bin/$tool" ] || die "$tool is not installed in .venv (pip install -r requirements-dev.txt)"
done
command -v redis-server >/dev/null && command -v redis-cli >/dev/null || die "redis-server and redis-cli are needed"
for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
  [ -x "$dir/initdb" ] && PG_BIN="$dir" && break
done
[ -n "$PG_BIN" ] || PG_BIN="$(dirname "$(command -v initdb 2>/dev/null || echo /nonexistent/initdb)")"
[ -x "$PG_BIN/initdb" ] || die "PostgreSQL's initdb was not found"
ensure_frontend
PY="$VENV/bin/python"

# --- throwaway PostgreSQL and Redis -------------------------------------------------------------
TMP_ROOT="$(mktemp -d "${TMPDIR:-/tmp}/devotracker-drill.XXXXXX")"
chmod 711 "$TMP_ROOT"
mkdir -p "$TMP_ROOT/pg" "$TMP_ROOT/redis" "$TMP_ROOT/mail" "$TMP_ROOT/var" "$TMP_ROOT/out"
is_root && chown postgres: "$TMP_ROOT/pg"
chmod 700 "$TMP_ROOT/pg"
read -r PG_PORT REDIS_PORT WEB_PORT <<<"$(free_ports 3 | tr '\n' ' ')"
PG_DATA="$TMP_ROOT/pg/data"
PG_PASSWORD="$("$PY" -c 'import secrets; print(secrets.token_hex(16))')"
log "PostgreSQL on 127.0.0.1:$PG_PORT, Redis on 127.0.0.1:$REDIS_PORT, web on 127.0.0.1:$WEB_PORT (folder $TMP_ROOT)"
as_pg "$PG_BIN/initdb" -D "$PG_DATA" -U postgres -E UTF8 --no-locale --auth-local=trust --auth-host=scram-sha-256 \
  --no-instructions >"$TMP_ROOT/pg/initdb.log" 2>&1 || { cat "$TMP_ROOT/pg/initdb.log" >&2; die "initdb failed"; }
as_pg tee -a "$PG_DATA/postgresql.conf" >/dev/null <<CONF
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$TMP_ROOT/pg'
max_connections = 100
CONF
pg_start() {
  as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$TMP_ROOT/pg/postgres.log" -w -t 60 start >/dev/null ||
    { tail -20 "$TMP_ROOT/pg/postgres.log" >&2; die "PostgreSQL did not start"; }
}
pg_start
"$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$TMP_ROOT/pg" -p "$PG_PORT" -U postgres -d postgres \
  -c "CREATE ROLE devotracker LOGIN PASSWORD '$PG_PASSWORD'" -c "CREATE DATABASE devotracker OWNER devotracker" >/dev/null

redis_start() {
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
    --pidfile "$TMP_ROOT/redis/redis.pid" --logfile "$TMP_ROOT/redis/redis.log" --dir "$TMP_ROOT/redis" || die "redis-server did not start"
  for _ in $(seq 1 100); do [ "$(redis-cli -p "$REDIS_PORT" ping 2>/dev/null)" = PONG ] && return 0; sleep 0.1; done
  die "Redis did not answer"
}
redis_start

export DJANGO_SETTINGS_MODULE=bench.drills.settings
export DATABASE_URL="postgres://devotracker:$PG_PASSWORD@127.0.0.1:$PG_PORT/devotracker"
export CELERY_BROKER_URL="redis://127.0.0.1:$REDIS_PORT/0" CELERY_RESULT_BACKEND="redis://127.0.0.1:$REDIS_PORT/1"
export CACHE_URL="redis://127.0.0.1:$REDIS_PORT/2"
SECRET_KEY="$("$PY" -c 'import secrets; print(secrets.token_urlsafe(50))')"
DEMO_PASSWORD="$("$PY" -c 'import secrets; print(secrets.token_urlsafe(12))')"
DRILL_PASSWORD="$("$PY" -c 'import secrets; print(secrets.token_urlsafe(12))')"
export SECRET_KEY DEMO_PASSWORD DRILL_PASSWORD
export DEBUG=false PRODUCTION=false ALLOWED_HOSTS=127.0.0.1 SITE_URL="http://127.0.0.1:$WEB_PORT"
# The webhooks drill's receiver is on loopback over plain http; retries capped at a minute and
# thirty tries (about 27 minutes), so a 10-minute outage is recovered within a minute of its end
# (production: ten tries over about a day, the last ones 8 hours apart).
export WEBHOOKS_ALLOW_HTTP=true WEBHOOKS_ALLOWED_NETWORKS=127.0.0.1/32 WEBHOOK_RETRY_MAX_SECONDS=60 WEBHOOK_MAX_ATTEMPTS=30
export VAR_DIR="$TMP_ROOT/var" MEDIA_ROOT="$TMP_ROOT/var/media" EMAIL_FILE_PATH="$TMP_ROOT/mail"
# Generous API limits: the drill measures the service, not the per-partner quota.
export API_RATE_LIMIT=100000/minute API_WRITE_RATE_LIMIT=100000/minute LOG_LEVEL=WARNING
export PYTHONPATH="$REPO_ROOT"

log "migrating and loading the MoU, demo and drill data"
started=$SECONDS
"$PY" manage.py migrate -v0
"$PY" manage.py load_mou -v0
"$PY" manage.py load_demo -v0
"$PY" -m bench.drills.setup "$TMP_ROOT/drill-data.json"
log "data ready in $((SECONDS - started)) s"

# --- web and worker -----------------------------------------------------------------------------
"$VENV/bin/gunicorn" devotracker.wsgi:application --bind "127.0.0.1:$WEB_PORT" --workers 2 --timeout 60 \
  --graceful-timeout 10 --error-logfile "$TMP_ROOT/gunicorn.log" --capture-output >/dev/null 2>&1 &
GUNICORN_PID=$!
PIDS+=("$GUNICORN_PID")
# The worker runs at a lower CPU priority: on one 2-core machine a paper's PDF (seconds of CPU)
# would otherwise stall the web processes; in production it has machines of its own.
nice -n 10 "$VENV/bin/celery" -A devotracker worker --pool=solo --loglevel=WARNING --without-gossip --without-mingle \
  -n "drill@localhost" >"$TMP_ROOT/worker.log" 2>&1 &
WORKER_PID=$!
PIDS+=("$WORKER_PID")
for _ in $(seq 1 150); do
  curl -sf --noproxy '*' "http://127.0.0.1:$WEB_PORT/health/" >/dev/null 2>&1 && break
  sleep 0.2
done
curl -sf --noproxy '*' "http://127.0.0.1:$WEB_PORT/health/" >/dev/null || { tail -30 "$TMP_ROOT/gunicorn.log" >&2; die "gunicorn did not answer"; }
web_workers() { pgrep -P "$GUNICORN_PID" | sort | tr '\n' ' '; }
WORKERS_BEFORE="$(web_workers)"

locust_run() { # locust_run RUN SECONDS [extra env...]: headless locust into $TMP_ROOT/out/RUN_*
  local run="$1" seconds="$2"
  shift 2
  env DRILL_RUN="$run" DRILL_DATA="$TMP_ROOT/drill-data.json" DRILL_LEDGER="$TMP_ROOT/out/$run-ledger.jsonl" "$@" \
    "$VENV/bin/locust" -f bench/drills/locustfile.py --headless -u "$USERS" -r "$SPAWN_RATE" -t "${seconds}s" \
    --host "http://127.0.0.1:$WEB_PORT" --csv "$TMP_ROOT/out/$run" --only-summary --stop-timeout 10 \
    >"$TMP_ROOT/out/$run-locust.log" 2>&1 || true # failures are judged by verify.py from the CSV
}

verify_writes() { # verify_writes RUN STARTED [--allow-ghosts]
  local out rc=0
  out="$("$PY" -m bench.drills.verify writes "$1" "$TMP_ROOT/out/$1-ledger.jsonl" "$TMP_ROOT/out/$1_stats.csv" --started "$2" "${@:3}")" || rc=$?
  printf '%s\n' "$out"
  FIGURES+=("$out")
  if [ "$rc" -ne 0 ]; then
    RESULT=1
    log "$1: FAILED (see above; locust's log: $TMP_ROOT/out/$1-locust.log)"
    grep -A15 "Error report" "$TMP_ROOT/out/$1-locust.log" >&2 || true
  fi
}

now_iso() { "$PY" -c 'import datetime; print(datetime.datetime.now(datetime.UTC).isoformat())'; }

# --- the scenarios ------------------------------------------------------------------------------
if [ "$SCENARIOS" = all ] || [ "$SCENARIOS" = load ]; then
  log "load: $USERS users for $LOAD_TIME s"
  started_at="$(now_iso)"
  locust_run load "$LOAD_TIME"
  verify_writes load "$started_at"
fi

if [ "$SCENARIOS" = all ] || [ "$SCENARIOS" = redis ]; then
  log "redis: $FAULT_TIME s of load; Redis stopped from 15 s to 35 s while the overdue pass runs"
  started_at="$(now_iso)"
  locust_run redis "$FAULT_TIME" &
  LOCUST_PID=$!
  PIDS+=("$LOCUST_PID")
  sleep 15
  redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
  log "redis: stopped; running the overdue pass (its notices go to the outbox)"
  t0=$SECONDS
  "$PY" manage.py flag_overdue >"$TMP_ROOT/out/flag_overdue.log" 2>&1 || { cat "$TMP_ROOT/out/flag_overdue.log" >&2; RESULT=1; }
  queued="$("$PY" manage.py shell -c "from commitments.models import OutboxMessage as O; print(O.objects.filter(sent_at__isnull=True).count())" 2>/dev/null | tail -1)"
  log "redis: the pass took $((SECONDS - t0)) s with Redis down; $queued notices wait in the outbox"
  sleep $((20 - (SECONDS - t0) > 0 ? 20 - (SECONDS - t0) : 0))
  redis_start
  log "redis: back"
  wait "$LOCUST_PID" || true
  verify_writes redis "$started_at"
  # Beat's next tick, sent through the broker: the worker delivers what waited.
  "$VENV/bin/celery" -A devotracker call commitments.tasks.deliver_outbox_task >/dev/null
  out="$("$PY" -m bench.drills.verify outbox "$TMP_ROOT/mail" --since "$started_at")" || RESULT=1
  printf '%s\n' "$out"
  FIGURES+=("$out")
  # And the tick after it finds nothing left: nothing is sent twice.
  "$VENV/bin/celery" -A devotracker call commitments.tasks.deliver_outbox_task >/dev/null
  sleep 5
  out="$("$PY" -m bench.drills.verify outbox "$TMP_ROOT/mail" --since "$started_at")" || RESULT=1
  printf '%s (after a second delivery)\n' "$out"
fi

if [ "$SCENARIOS" = all ] || [ "$SCENARIOS" = handoff ]; then
  log "handoff: $HANDOFF_WRITES writes with Redis up, then $HANDOFF_WRITES with Redis down; then beat delivers what waited"
  "$VENV/bin/celery" -A devotracker beat --loglevel=WARNING -s "$TMP_ROOT/celerybeat-schedule" >"$TMP_ROOT/beat.log" 2>&1 &
  BEAT_PID=$!
  PIDS+=("$BEAT_PID")
  handoff_step() { # handoff_step ARGS...: run bench.drills.handoff, keep its figures, fail the drill when it fails
    local out rc=0
    out="$("$PY" -m bench.drills.handoff "$@" 2>>"$TMP_ROOT/out/handoff.log")" || rc=$? # its log: a warning per failed hand-off
    printf '%s\n' "$out"
    FIGURES+=("$out")
    [ "$rc" -eq 0 ] || RESULT=1
  }
  started_at="$(now_iso)"
  # The worker is paused while the writes are timed: on two shared cores its deliveries would
  # compete with them (in production it has machines of its own); it catches up just after.
  kill -STOP "$WORKER_PID"
  handoff_step measure up "$TMP_ROOT/out/handoff-up.json" --writes "$HANDOFF_WRITES"
  kill -CONT "$WORKER_PID"
  # Their mail goes out at once, through the hand-off: wait for it, so the count below is only the outage's.
  "$PY" -m bench.drills.verify outbox "$TMP_ROOT/mail" --since "$started_at" --timeout 60 --label "queued with Redis up" ||
    RESULT=1
  redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
  log "handoff: Redis stopped"
  started_at="$(now_iso)"
  handoff_step measure down "$TMP_ROOT/out/handoff-down.json" --writes "$HANDOFF_WRITES"
  redis_start
  log "handoff: Redis back; waiting for beat's next delivery (at most a minute) and the worker to reconnect"
  handoff_step compare "$TMP_ROOT/out/handoff-up.json" "$TMP_ROOT/out/handoff-down.json"
  t0=$SECONDS
  out="$("$PY" -m bench.drills.verify outbox "$TMP_ROOT/mail" --since "$started_at" --timeout 180 \
    --label "queued while Redis was down, delivered by beat's sweep after")" || RESULT=1
  printf '%s (%s s after Redis came back)\n' "$out" "$((SECONDS - t0))"
  FIGURES+=("$out ($((SECONDS - t0)) s after Redis came back)")
  if kill -0 "$WORKER_PID" 2>/dev/null && kill -0 "$BEAT_PID" 2>/dev/null; then
    FIGURES+=("[handoff] the worker and beat reconnected on their own (same processes)")
  else
    FIGURES+=("[handoff] the worker or beat did NOT survive the outage")
    RESULT=1
  fi
  printf '%s\n' "${FIGURES[-1]}"
  stop_pid "$BEAT_PID"
fi

if [ "$SCENARIOS" = all ] || [ "$SCENARIOS" = postgres ]; then
  log "postgres: $FAULT_TIME s of load; PostgreSQL restarted at 20 s"
  started_at="$(now_iso)"
  locust_run postgres "$FAULT_TIME" DRILL_ALLOW_503=1 &
  LOCUST_PID=$!
  PIDS+=("$LOCUST_PID")
  sleep 20
  t0=$SECONDS
  as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w -t 60 stop >/dev/null
  sleep 3 # a gap long enough for requests to meet it
  pg_start
  log "postgres: restarted (down for about $((SECONDS - t0)) s)"
  wait "$LOCUST_PID" || true
  verify_writes postgres "$started_at" --allow-ghosts
  health="$(curl -s --noproxy '*' -o /dev/null -w '%{http_code}' "http://127.0.0.1:$WEB_PORT/health/")"
  if [ "$health" = 200 ] && [ "$(web_workers)" = "$WORKERS_BEFORE" ] && kill -0 "$GUNICORN_PID"; then
    FIGURES+=("[postgres] recovered without a restart: /health/ 200 from the same gunicorn workers ($WORKERS_BEFORE)")
  else
    FIGURES+=("[postgres] NOT recovered: /health/ $health, workers before '$WORKERS_BEFORE' now '$(web_workers)'")
    RESULT=1
  fi
  printf '%s\n' "${FIGURES[-1]}"
fi

if [ "$SCENARIOS" = all ] || [ "$SCENARIOS" = webhooks ]; then
  # A real receiver in bench/drills/webhooks.py; the worker and beat deliver to it (loopback and
  # plain http allowed for this drill only). Retries capped at a minute so recovery is measured
  # in minutes; the schedule's shape is as in production.
  log "webhooks: throughput and lag at 1,000 events, then the receiver down for ${DRILL_WEBHOOK_DOWN:-600} s"
  "$VENV/bin/celery" -A devotracker beat --loglevel=WARNING -s "$TMP_ROOT/celerybeat-webhooks" >"$TMP_ROOT/beat-webhooks.log" 2>&1 &
  BEAT_PID=$!
  PIDS+=("$BEAT_PID")
  out="$("$PY" -m bench.drills.webhooks --down "${DRILL_WEBHOOK_DOWN:-600}" --out "$TMP_ROOT/out/webhooks.json")" || RESULT=1
  printf '%s\n' "$out"
  FIGURES+=("$out")
  stop_pid "$BEAT_PID"
fi

echo
echo "DRILL FIGURES ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, gunicorn 2 workers, $USERS users):"
printf '  %s\n' "${FIGURES[@]}"
if [ "$RESULT" -eq 0 ]; then echo "DRILL PASSED"; else echo "DRILL FAILED"; fi
exit "$RESULT"
