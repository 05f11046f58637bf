# Helpers for bench/run.sh: a throwaway PostgreSQL tuned for a benchmark. Sourced, not executed.
#
# scripts/lib.sh (sourced first) gives log/die, free_ports, is_root, ensure_venv. The test command
# starts its PostgreSQL inline; the benchmark needs different settings (memory sized for 5,000,000
# history rows, no checkpoints during the bulk load), so it has its own start and stop here.

# shellcheck shell=bash

BENCH_PG_BIN=""
BENCH_PG_DATA=""
BENCH_PG_DIR=""

bench_as_pg() { # run a PostgreSQL server binary as the postgres user when we are root (initdb refuses root)
  if is_root; then runuser -u postgres -- "$@"; else "$@"; fi
}

bench_find_pg_bin() {
  local dir
  if [ -n "${PG_BIN_DIR:-}" ]; then
    [ -x "$PG_BIN_DIR/initdb" ] && [ -x "$PG_BIN_DIR/pg_ctl" ] && echo "$PG_BIN_DIR" && return 0
    return 1
  fi
  # Debian keeps the server binaries out of PATH, one folder per major version: take the newest.
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ] && [ -x "$dir/postgres" ] && echo "$dir" && return 0
  done
  return 1
}

# bench_start_postgres DIR PORT: initdb into DIR/pg (owned by postgres when we are root), start it on
# 127.0.0.1:PORT and create the role and database "bench". Exports DATABASE_URL.
bench_start_postgres() {
  local dir="$1" port="$2" password
  BENCH_PG_BIN="$(bench_find_pg_bin)" || die "PostgreSQL server binaries not found (install the postgresql package)"
  BENCH_PG_DIR="$dir/pg"
  BENCH_PG_DATA="$BENCH_PG_DIR/data"
  mkdir -p "$BENCH_PG_DIR"
  chmod 711 "$dir"
  is_root && chown postgres: "$BENCH_PG_DIR"
  chmod 700 "$BENCH_PG_DIR"
  password="$("$VENV/bin/python" -c 'import secrets; print(secrets.token_hex(16))')"
  bench_as_pg "$BENCH_PG_BIN/initdb" -D "$BENCH_PG_DATA" -U postgres -E UTF8 --no-locale --auth-local=trust \
    --auth-host=scram-sha-256 --no-sync --no-instructions >"$BENCH_PG_DIR/initdb.log" 2>&1 || {
    cat "$BENCH_PG_DIR/initdb.log" >&2
    die "initdb failed"
  }
  # A database that is thrown away after the run needs no durability. Memory: the machine has
  # 24 GiB; the large dataset is ~3 GB on disk, so 2 GB of shared buffers keeps the hot part of it
  # (the pages the API reads) in PostgreSQL's own cache. wal_level=minimal lets CREATE INDEX skip
  # the WAL; a large max_wal_size keeps checkpoints out of the bulk load.
  bench_as_pg tee -a "$BENCH_PG_DATA/postgresql.conf" >/dev/null <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$BENCH_PG_DIR'
fsync = off
synchronous_commit = off
full_page_writes = off
wal_level = minimal
max_wal_senders = 0
max_wal_size = 20GB
checkpoint_timeout = 30min
shared_buffers = 2GB
effective_cache_size = 12GB
work_mem = 32MB
maintenance_work_mem = 1GB
max_parallel_maintenance_workers = 2
max_connections = 100
jit = off
CONF
  bench_as_pg "$BENCH_PG_BIN/pg_ctl" -D "$BENCH_PG_DATA" -l "$BENCH_PG_DIR/postgres.log" -w -t 60 start >/dev/null || {
    cat "$BENCH_PG_DIR/postgres.log" >&2
    die "PostgreSQL did not start"
  }
  "$BENCH_PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$BENCH_PG_DIR" -p "$port" -U postgres -d postgres \
    -c "CREATE ROLE bench LOGIN SUPERUSER PASSWORD '$password'" \
    -c "CREATE DATABASE bench OWNER bench" >/dev/null || die "could not create the bench role and database"
  export DATABASE_URL="postgres://bench:$password@127.0.0.1:$port/bench"
  BENCH_PG_VERSION="$("$BENCH_PG_BIN/postgres" --version | awk '{print $3}')"
  export BENCH_PG_VERSION
}

bench_stop_postgres() {
  [ -n "$BENCH_PG_DATA" ] && [ -f "$BENCH_PG_DATA/postmaster.pid" ] || return 0
  local pid
  pid="$(head -n 1 "$BENCH_PG_DATA/postmaster.pid" 2>/dev/null || true)"
  bench_as_pg "$BENCH_PG_BIN/pg_ctl" -D "$BENCH_PG_DATA" -m fast -w -t 30 stop >/dev/null 2>&1 ||
    bench_as_pg "$BENCH_PG_BIN/pg_ctl" -D "$BENCH_PG_DATA" -m immediate -w -t 10 stop >/dev/null 2>&1 ||
    { [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null; }
  log "stopped PostgreSQL"
}

# bench_start_redis DIR PORT: a throwaway Redis for Django's cache, shared by the gunicorn
# workers as in production (CACHE_URL). Exports CACHE_URL.
BENCH_REDIS_PIDFILE=""
bench_start_redis() {
  local dir="$1/redis" port="$2"
  mkdir -p "$dir"
  BENCH_REDIS_PIDFILE="$dir/redis.pid"
  redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
    --pidfile "$BENCH_REDIS_PIDFILE" --logfile "$dir/redis.log" --dir "$dir" || die "redis-server did not start"
  for _ in $(seq 1 100); do
    [ "$(redis-cli -p "$port" ping 2>/dev/null)" = PONG ] && [ -s "$BENCH_REDIS_PIDFILE" ] && break
    sleep 0.1
  done
  [ "$(redis-cli -p "$port" ping 2>/dev/null)" = PONG ] || die "Redis did not answer on port $port"
  export CACHE_URL="redis://127.0.0.1:$port/0"
}

bench_stop_redis() {
  [ -n "$BENCH_REDIS_PIDFILE" ] && [ -f "$BENCH_REDIS_PIDFILE" ] || return 0
  local pid
  pid="$(cat "$BENCH_REDIS_PIDFILE" 2>/dev/null || true)"
  [ -n "$pid" ] || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  log "stopped Redis"
}
