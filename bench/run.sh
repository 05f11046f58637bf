#!/usr/bin/env bash
# The benchmark (issue 7): bash bench/run.sh
#
#  1. installs what is missing (as scripts/test.sh does: .venv from requirements.txt, the front-end);
#  2. starts a throwaway PostgreSQL (initdb in a temporary folder, a free port on 127.0.0.1) and a
#     throwaway Redis for the cache the gunicorn workers share (CACHE_URL), as in production;
#  3. migrates and generates the `large` dataset (timed), then lets it settle (VACUUM ANALYZE, as
#     autovacuum would) and loads the `mou` dataset into a second database;
#  4. runs bench/bench.py: DevoTracker, the floor and the obvious implementation under gunicorn on
#     loopback, the sync feed, the dashboard, the overdue pass and the committee report;
#  5. prints the table (also written to var/bench/results.md, raw figures in results.json) and
#     always stops PostgreSQL and Redis and removes the temporary folder.
#
# Environment: BENCH_WORKERS (gunicorn workers, default 2: one per core, see docs/benchmarks.md), BENCH_SCALE (default large; small or
# medium for a quick try), BENCH_QUICK=1 (fewer requests), BENCH_OUT (results folder).
# Takes ~15 minutes on a 2-core machine. See docs/benchmarks.md.

set -euo pipefail
SCRIPT_NAME=bench
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
# shellcheck source=bench/lib.sh
source "$REPO_ROOT/bench/lib.sh"
cd "$REPO_ROOT"

SCALE="${BENCH_SCALE:-large}"
case "$SCALE" in small | medium | large) ;; *) die "BENCH_SCALE must be small, medium or large, not '$SCALE'" ;; esac

TMP_ROOT=""
cleanup() {
  set +e
  trap '' INT TERM
  bench_stop_redis
  bench_stop_postgres
  [ -n "$TMP_ROOT" ] && rm -rf "$TMP_ROOT"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

check_bench_prereqs() {
  check_python_prereq
  check_node_prereq
  bench_find_pg_bin >/dev/null || need "PostgreSQL server (initdb, pg_ctl, postgres)" postgresql
  { command -v redis-server && command -v redis-cli; } >/dev/null 2>&1 || need "redis-server and redis-cli" redis-server
  if is_root; then
    command -v runuser >/dev/null 2>&1 || need "runuser (util-linux)" util-linux
  fi
}
ensure_prereqs check_bench_prereqs
ensure_venv requirements.txt
ensure_frontend
export PATH="$VENV/bin:$PATH"

TMP_ROOT="$(mktemp -d "${TMPDIR:-/tmp}/devotracker-bench.XXXXXX")"
read -r PG_PORT REDIS_PORT <<<"$(free_ports 2 | tr '\n' ' ')"
log "starting a throwaway PostgreSQL on 127.0.0.1:$PG_PORT and Redis (the shared cache) on 127.0.0.1:$REDIS_PORT"
bench_start_postgres "$TMP_ROOT" "$PG_PORT"
bench_start_redis "$TMP_ROOT" "$REDIS_PORT"
MOU_DATABASE_URL="${DATABASE_URL%/bench}/bench_mou"
"$BENCH_PG_BIN/psql" -X -q -h "$BENCH_PG_DIR" -p "$PG_PORT" -U postgres -d postgres -c "CREATE DATABASE bench_mou OWNER bench" >/dev/null
export MOU_DATABASE_URL
export DJANGO_SETTINGS_MODULE=bench.settings
export LOG_LEVEL="${LOG_LEVEL:-WARNING}"

log "migrate"
python manage.py migrate --noinput -v0
log "generate_load_data --scale $SCALE"
GEN_LOG="$TMP_ROOT/generate.log"
started=$(date +%s.%N)
python manage.py generate_load_data --scale "$SCALE" | tee "$GEN_LOG" >&2
ended=$(date +%s.%N)
BENCH_GENERATION="$(python - "$started" "$ended" "$GEN_LOG" "$SCALE" <<'PY'
import json, re, sys
started, ended, log, scale = float(sys.argv[1]), float(sys.argv[2]), sys.argv[3], sys.argv[4]
text = open(log).read()
steps = {m.group(1).strip(): float(m.group(3)) for m in re.finditer(r"^\s+(.+?)\s+([\d,-]+) rows\s+([\d.]+) s$", text, re.M)}
print(json.dumps({"seconds": ended - started, "scale": scale, "steps": steps, "detail": f"{scale}: the MoU data + generated rows, one command"}))
PY
)"
export BENCH_GENERATION
log "VACUUM ANALYZE (what autovacuum does after a bulk load; not part of the generation time)"
settle_started=$(date +%s)
"$BENCH_PG_BIN/vacuumdb" -q -h "$BENCH_PG_DIR" -p "$PG_PORT" -U postgres -d bench --analyze
log "settled in $(($(date +%s) - settle_started)) s"

log "backfill_tallies (the trends' past figures from the history, as the quick start does; not part of the generation time)"
backfill_started=$(date +%s)
python manage.py backfill_tallies >&2
log "backfilled in $(($(date +%s) - backfill_started)) s"

log "take_snapshot (the daily job's snapshot of 06:30: what the day's London figures build on)"
snapshot_started=$(date +%s)
python manage.py take_snapshot >&2
log "snapshot taken in $(($(date +%s) - snapshot_started)) s"

log "loading the mou dataset into a second database (for the committee report and the small overdue pass)"
DATABASE_URL="$MOU_DATABASE_URL" python manage.py migrate --noinput -v0
DATABASE_URL="$MOU_DATABASE_URL" python manage.py generate_load_data --scale mou >/dev/null

log "running the benchmark (gunicorn workers: ${BENCH_WORKERS:-2})"
python -m bench.bench
log "done; PostgreSQL is stopped and its folder removed on exit"
