#!/usr/bin/env bash
# The test command: bash scripts/test.sh [pytest arguments...]
#
#  1. checks prerequisites; as root with apt-get it installs what is missing, otherwise it stops
#     at once naming what is missing (tests are never skipped silently);
#  2. installs requirements-dev.txt into .venv and builds the front-end assets;
#  3. starts a throwaway PostgreSQL (initdb in a temporary folder, on a free port) and a throwaway
#     Redis (another free port), and points DATABASE_URL / REDIS_URL / CELERY_* at them;
#  4. runs ruff (lint and format), the missing-migrations check, the production deploy check, mypy, the import
#     contracts (lint-imports), then pytest
#     twice: on PostgreSQL (everything but the quick-start smoke run) and on the quick start's SQLite
#     default (everything not marked `postgresql`, with the smoke run of scripts/run.sh), each
#     spread over PYTEST_WORKERS processes (pytest-xdist; default 2, 0 for one process).
#     TEST_DATABASES=postgresql or TEST_DATABASES=sqlite runs one pass only;
#  5. always stops PostgreSQL and Redis and removes the temporary folder.
# See docs/operations.md.

set -euo pipefail
SCRIPT_NAME="test"
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"
STARTED_AT=$SECONDS
CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
export CHROMIUM

TMP_ROOT=""
PG_BIN=""
PG_DATA=""
REDIS_PIDFILE=""
STEP_PID=""
PASSED=()
NONE_SELECTED=()

# --- cleanup: whatever happened, stop the servers and remove the temporary folder ------------------
as_pg() { # run a PostgreSQL server binary as the postgres user when we are root (initdb refuses root)
  # From /: the postgres user may not be allowed into the checkout (a private temporary clone).
  if is_root; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}

stop_postgres() {
  [ -n "$PG_DATA" ] && [ -f "$PG_DATA/postmaster.pid" ] || return 0
  local pid
  pid="$(head -n 1 "$PG_DATA/postmaster.pid" 2>/dev/null || true)"
  as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w -t 20 stop >/dev/null 2>&1 ||
    as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -m immediate -w -t 10 stop >/dev/null 2>&1 ||
    { [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null; }
  log "stopped PostgreSQL"
}

stop_redis() {
  [ -n "$REDIS_PIDFILE" ] && [ -f "$REDIS_PIDFILE" ] || return 0
  local pid
  pid="$(cat "$REDIS_PIDFILE" 2>/dev/null || true)"
  [ -n "$pid" ] || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  log "stopped Redis"
}

cleanup() {
  set +e
  trap '' INT TERM
  stop_redis
  stop_postgres
  [ -n "$TMP_ROOT" ] && rm -rf "$TMP_ROOT"
}

on_signal() { # $1: exit status. Interrupt the running step (it is in its own process group) once.
  trap '' INT TERM
  if [ -n "$STEP_PID" ]; then
    # SIGINT first (pytest then runs its teardown), SIGTERM if that is ignored, SIGKILL last.
    local sig
    for sig in INT TERM KILL; do
      kill -"$sig" -- "-$STEP_PID" 2>/dev/null || break
      for _ in $(seq 1 50); do kill -0 -- "-$STEP_PID" 2>/dev/null || break 2; sleep 0.2; done
    done
    wait "$STEP_PID" 2>/dev/null || true
  fi
  log "interrupted"
  exit "$1"
}
trap cleanup EXIT
trap 'log "failed (exit $?) at line $LINENO: $BASH_COMMAND"' ERR
trap 'on_signal 130' INT
trap 'on_signal 143' TERM

# --- a checked step: in its own process group, so an interrupt reaches it exactly once ------------
run_step() { # run_step LABEL COMMAND...
  local label="$1" started=$SECONDS rc=0
  shift
  log "$label"
  (
    trap - INT QUIT
    exec setsid "$@"
  ) &
  STEP_PID=$!
  wait "$STEP_PID" || rc=$?
  STEP_PID=""
  if [ "$rc" -eq 5 ] && [[ "$label" == pytest* ]]; then
    if [ "${ALLOW_NO_TESTS:-0}" = 1 ]; then
      log "$label: no test selected here (exit 5)"
      NONE_SELECTED+=("$label")
      PASSED+=("$label (none selected)")
      return 0
    fi
    fail "$label collected no tests (exit 5)"
  fi
  [ "$rc" -eq 0 ] || fail "$label failed (exit $rc)"
  PASSED+=("$label ($((SECONDS - started)) s)")
}

fail() {
  local passed="none"
  if [ "${#PASSED[@]}" -gt 0 ]; then
    passed="$(printf '%s, ' "${PASSED[@]}")"
    passed="${passed%, }"
  fi
  echo "TESTS FAILED: $1. Passed before it: ${passed}." >&2
  exit 1
}

# --- 1. prerequisites ---------------------------------------------------------------------------
find_pg_bin() {
  local dir
  if [ -n "${PG_BIN_DIR:-}" ]; then
    [ -x "$PG_BIN_DIR/initdb" ] && [ -x "$PG_BIN_DIR/pg_ctl" ] && [ -x "$PG_BIN_DIR/postgres" ] && echo "$PG_BIN_DIR" && return 0
    return 1
  fi
  # Debian keeps the server binaries out of PATH, one folder per major version: take the newest.
  for dir in $(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V -r); do
    [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ] && [ -x "$dir/postgres" ] && echo "$dir" && return 0
  done
  if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
    dir="$(dirname "$(readlink -f "$(command -v initdb)")")"
    [ -x "$dir/postgres" ] && echo "$dir" && return 0
  fi
  return 1
}

have_lib() { # have_lib DEBIAN_PACKAGE SONAME
  dpkg_installed "$1" || { command -v ldconfig >/dev/null 2>&1 && ldconfig -p 2>/dev/null | grep -q "$2"; }
}

check_test_prereqs() {
  check_python_prereq
  check_node_prereq
  find_pg_bin >/dev/null || need "PostgreSQL server (initdb, pg_ctl, postgres)" postgresql
  { command -v redis-server && command -v redis-cli; } >/dev/null 2>&1 || need "redis-server and redis-cli" redis-server
  [ -x "$CHROMIUM" ] || need "Chromium ($CHROMIUM)" chromium
  command -v pdftoppm >/dev/null 2>&1 || need "pdftoppm (poppler-utils)" poppler-utils
  have_lib libpango-1.0-0 'libpango-1.0\.so\.0' || need "Pango (libpango-1.0-0)" libpango-1.0-0
  have_lib libpangoft2-1.0-0 'libpangoft2-1.0\.so\.0' || need "PangoFT2 (libpangoft2-1.0-0)" libpangoft2-1.0-0
  dpkg_installed fonts-dejavu-core || ls /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf >/dev/null 2>&1 ||
    need "DejaVu fonts (fonts-dejavu-core)" fonts-dejavu-core
  dpkg_installed libpq-dev || command -v pg_config >/dev/null 2>&1 || need "libpq development files (libpq-dev)" libpq-dev
  if is_root; then
    command -v runuser >/dev/null 2>&1 || need "runuser (util-linux)" util-linux
  fi
}

ensure_prereqs check_test_prereqs
PG_BIN="$(find_pg_bin)"
if is_root && ! id postgres >/dev/null 2>&1; then
  die "there is no 'postgres' user to run the throwaway PostgreSQL as (initdb refuses root); install the postgresql package or create that user"
fi

# --- 2. Python and front-end dependencies -------------------------------------------------------
ensure_venv requirements-dev.txt
ensure_frontend
export PATH="$VENV/bin:$PATH"

# --- 3. throwaway PostgreSQL and Redis ----------------------------------------------------------
TMP_ROOT="$(mktemp -d "${TMPDIR:-/tmp}/devotracker-test.XXXXXX")"
chmod 711 "$TMP_ROOT" # the postgres user must be able to reach its own folder inside
mkdir "$TMP_ROOT/pg" "$TMP_ROOT/redis"
is_root && chown postgres: "$TMP_ROOT/pg"
chmod 700 "$TMP_ROOT/pg"
read -r PG_PORT REDIS_PORT <<<"$(free_ports 2 | tr '\n' ' ')"
PG_DATA="$TMP_ROOT/pg/data"
PG_PASSWORD="$(python -c 'import secrets; print(secrets.token_hex(16))')"

log "starting a throwaway PostgreSQL ($("$PG_BIN/postgres" --version | awk '{print $3}')) on 127.0.0.1:$PG_PORT"
as_pg "$PG_BIN/initdb" -D "$PG_DATA" -U postgres -E UTF8 --no-locale --auth-local=trust --auth-host=scram-sha-256 \
  --no-sync --no-instructions >"$TMP_ROOT/pg/initdb.log" 2>&1 || {
  cat "$TMP_ROOT/pg/initdb.log" >&2
  die "initdb failed"
}
# Durability is pointless for a database that is thrown away: switch it off for speed.
as_pg tee -a "$PG_DATA/postgresql.conf" >/dev/null <<CONF
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$TMP_ROOT/pg'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 200
CONF
as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$TMP_ROOT/pg/postgres.log" -o "-p $PG_PORT -k $TMP_ROOT/pg" -w -t 60 start >/dev/null || {
  cat "$TMP_ROOT/pg/postgres.log" >&2
  die "PostgreSQL did not start"
}
"$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$TMP_ROOT/pg" -p "$PG_PORT" -U postgres -d postgres \
  -c "CREATE ROLE devotracker LOGIN CREATEDB PASSWORD '$PG_PASSWORD'" \
  -c "CREATE DATABASE devotracker OWNER devotracker" >/dev/null || die "could not create the devotracker role and database"
export DATABASE_URL="postgres://devotracker:$PG_PASSWORD@127.0.0.1:$PG_PORT/devotracker"
# No statement of a test may run for more than five minutes: a runaway query fails its test with
# an error naming it, rather than stalling the run (each test has a time limit too: pyproject.toml).
export DATABASE_STATEMENT_TIMEOUT="${DATABASE_STATEMENT_TIMEOUT:-300}"

REDIS_PIDFILE="$TMP_ROOT/redis/redis.pid"
log "starting a throwaway Redis ($(redis-server --version | grep -o 'v=[0-9.]*' | cut -c3-)) on 127.0.0.1:$REDIS_PORT"
# Enough databases for each pytest-xdist worker's own (tests/xdist_isolation.py).
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes --databases 64 \
  --pidfile "$REDIS_PIDFILE" --logfile "$TMP_ROOT/redis/redis.log" --dir "$TMP_ROOT/redis" ||
  die "redis-server did not start"
for _ in $(seq 1 100); do
  [ "$(redis-cli -p "$REDIS_PORT" ping 2>/dev/null)" = PONG ] && [ -s "$REDIS_PIDFILE" ] && break
  sleep 0.1
done
[ "$(redis-cli -p "$REDIS_PORT" ping 2>/dev/null)" = PONG ] || {
  cat "$TMP_ROOT/redis/redis.log" >&2
  die "Redis did not answer"
}
export REDIS_URL="redis://127.0.0.1:$REDIS_PORT"
export CELERY_BROKER_URL="redis://127.0.0.1:$REDIS_PORT/0"
export CELERY_RESULT_BACKEND="redis://127.0.0.1:$REDIS_PORT/1"

# --- 4. checks and tests ------------------------------------------------------------------------
DEPLOY_SECRET_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(60))')"
run_step "ruff" ruff check .
run_step "ruff format" ruff format --check .
run_step "makemigrations --check" python manage.py makemigrations --check --dry-run
run_step "check --deploy" env PRODUCTION=true SECRET_KEY="$DEPLOY_SECRET_KEY" ALLOWED_HOSTS=devotracker.example.org \
  python manage.py check --deploy --fail-level WARNING
run_step "mypy" mypy
run_step "lint-imports" lint-imports
TEST_DATABASES="${TEST_DATABASES:-both}"
case "$TEST_DATABASES" in both | postgresql | sqlite) ;; *) die "TEST_DATABASES must be both, postgresql or sqlite, not '$TEST_DATABASES'" ;; esac
PYTEST_WORKERS="${PYTEST_WORKERS:-2}"
[[ "$PYTEST_WORKERS" =~ ^[0-9]+$ ]] || die "PYTEST_WORKERS must be a number of processes, not '$PYTEST_WORKERS'"
XDIST=()
[ "$PYTEST_WORKERS" -gt 0 ] && XDIST=(-n "$PYTEST_WORKERS" --dist loadfile)
# With test arguments, a step may find nothing to run (a selection of PostgreSQL-only tests, or of
# the smoke run alone): that is fine as long as another step ran something.
SELECTIVE=$([ "$#" -gt 0 ] && echo 1 || echo 0)
PYTEST_STEPS=0
if [ "$TEST_DATABASES" != sqlite ]; then
  PYTEST_STEPS=$((PYTEST_STEPS + 2))
  ALLOW_NO_TESTS=$SELECTIVE run_step "pytest (PostgreSQL)" python -m pytest "${XDIST[@]}" --durations=10 -m "not smoke and not serial" "$@"
  # Tests marked serial (the sync feed) see the whole server's snapshot horizon: alone, one process.
  ALLOW_NO_TESTS=1 run_step "pytest (PostgreSQL, serial)" python -m pytest -m "serial and not smoke" "$@"
fi
if [ "$TEST_DATABASES" != postgresql ]; then
  # The quick start's default: no DATABASE_URL means SQLite (an in-memory test database here).
  # Tests that need PostgreSQL itself carry @pytest.mark.postgresql(reason=...) and are left out.
  PYTEST_STEPS=$((PYTEST_STEPS + 1))
  ALLOW_NO_TESTS=$SELECTIVE run_step "pytest (SQLite)" env -u DATABASE_URL python -m pytest "${XDIST[@]}" --durations=10 -m "not postgresql" "$@"
fi
if [ "${#NONE_SELECTED[@]}" -ge "$PYTEST_STEPS" ]; then
  fail "pytest collected no tests in any step (exit 5)"
fi

echo "ALL PASSED in $((SECONDS - STARTED_AT)) s: $(printf '%s, ' "${PASSED[@]}" | sed 's/, $//') [PostgreSQL on 127.0.0.1:$PG_PORT, Redis on 127.0.0.1:$REDIS_PORT; both stopped on exit]"
