# Shared helpers for scripts/run.sh and scripts/test.sh. Sourced, not executed.
#
# Conventions: messages go to stderr prefixed with the script's name; `die` stops with a
# non-zero status; every install step is skipped when what it would install is already there,
# so re-runs are quick.

# shellcheck shell=bash

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SCRIPT_NAME="${SCRIPT_NAME:-$(basename "$0" .sh)}"
VENV="$REPO_ROOT/.venv"
export UV_PYTHON_DOWNLOADS=never
export PIP_DISABLE_PIP_VERSION_CHECK=1
export DEBIAN_FRONTEND=noninteractive

log() { printf '[%s] %s\n' "$SCRIPT_NAME" "$*" >&2; }
die() { printf '[%s] ERROR: %s\n' "$SCRIPT_NAME" "$*" >&2; exit 1; }

is_root() { [ "$(id -u)" -eq 0 ]; }
can_apt() { is_root && command -v apt-get >/dev/null 2>&1; }

# True when the Debian package is installed (not merely known to dpkg, e.g. "config-files").
dpkg_installed() {
  command -v dpkg-query >/dev/null 2>&1 || return 1
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

_APT_UPDATED=0
apt_install() {
  [ "$#" -gt 0 ] || return 0
  can_apt || die "cannot install $* (needs root and apt-get)"
  if [ "$_APT_UPDATED" -eq 0 ]; then
    log "apt-get update"
    apt-get update -qq || die "apt-get update failed"
    _APT_UPDATED=1
  fi
  log "apt-get install $*"
  apt-get install -y -qq --no-install-recommends "$@" >/dev/null || die "apt-get install $* failed"
}

# Python 3.11 able to create a virtual environment. Prints its path.
find_python311() {
  local candidate
  for candidate in python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
      "$candidate" -c 'import sys, venv, ensurepip; sys.exit(sys.version_info[:2] != (3, 11))' >/dev/null 2>&1; then
      command -v "$candidate"
      return 0
    fi
  done
  return 1
}

# Missing prerequisites are collected as "what (apt package)" pairs, then installed at once when
# we may, or reported together when we may not.
MISSING_WHAT=()
MISSING_PKGS=()
need() { MISSING_WHAT+=("$1"); MISSING_PKGS+=("$2"); }

check_python_prereq() {
  find_python311 >/dev/null || need "python3.11 with venv/ensurepip" "python3.11 python3.11-venv"
}

check_node_prereq() {
  [ -f "$REPO_ROOT/package.json" ] || return 0
  command -v node >/dev/null 2>&1 || need "node (Node.js)" "nodejs"
  command -v npm >/dev/null 2>&1 || need "npm" "npm"
}

_missing_text() { local IFS=';'; printf '%s' "${MISSING_WHAT[*]}" | sed 's/;/, /g'; }

# ensure_prereqs CHECK_FUNCTION: run the check; install what it found missing (as root with
# apt-get) and check again, or stop at once naming everything that is missing.
ensure_prereqs() {
  MISSING_WHAT=()
  MISSING_PKGS=()
  "$1"
  [ "${#MISSING_WHAT[@]}" -gt 0 ] || return 0
  local what pkgs
  what="$(_missing_text)"
  # shellcheck disable=SC2206
  pkgs=(${MISSING_PKGS[*]})
  if ! can_apt; then
    die "missing prerequisites: ${what}. Install them (Debian packages: ${pkgs[*]}) or run this script as root on a machine with apt-get so it can install them."
  fi
  log "installing missing prerequisites: ${what}"
  apt_install "${pkgs[@]}"
  MISSING_WHAT=()
  MISSING_PKGS=()
  "$1"
  [ "${#MISSING_WHAT[@]}" -eq 0 ] || die "still missing after installing ${pkgs[*]}: $(_missing_text)"
}

_sha() { cat "$@" 2>/dev/null | sha256sum | cut -d' ' -f1; }

# Create .venv (Python 3.11) if needed and install a requirements file into it. A stamp holding
# the requirements' hash makes an unchanged re-run skip the installer entirely.
ensure_venv() {
  local req="$1" py stamp_dir want
  if [ -x "$VENV/bin/python" ] && ! "$VENV/bin/python" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
    log ".venv is not a working Python 3.11 environment; recreating it"
    rm -rf "$VENV"
  fi
  if [ ! -x "$VENV/bin/python" ]; then
    py="$(find_python311)" || die "python3.11 not found"
    log "creating .venv with $py"
    "$py" -m venv "$VENV" || die "could not create .venv"
  fi
  stamp_dir="$VENV/.devotracker"
  mkdir -p "$stamp_dir"
  want="$(_sha "$REPO_ROOT/requirements.txt" "$REPO_ROOT/$req")"
  if [ "$(cat "$stamp_dir/$req.sha256" 2>/dev/null)" = "$want" ]; then
    return 0
  fi
  # requirements-dev.txt includes requirements.txt: if it is installed and unchanged, so is the rest.
  if [ "$req" = requirements.txt ] &&
    [ "$(cat "$stamp_dir/requirements-dev.txt.sha256" 2>/dev/null)" = "$(_sha "$REPO_ROOT/requirements.txt" "$REPO_ROOT/requirements-dev.txt")" ]; then
    return 0
  fi
  log "installing $req into .venv"
  local started=$SECONDS
  if { [ -x "$VENV/bin/uv" ] || "$VENV/bin/python" -m pip install -q uv; } &&
    "$VENV/bin/uv" pip install -q --python "$VENV/bin/python" -r "$REPO_ROOT/$req"; then
    :
  else
    log "uv was not usable; installing with pip"
    "$VENV/bin/python" -m pip install -q -r "$REPO_ROOT/$req" || die "installing $req failed"
  fi
  printf '%s\n' "$want" >"$stamp_dir/$req.sha256"
  log "installed $req in $((SECONDS - started)) s"
}

# `npm ci` (skipped when package.json and the lock file are unchanged since the last one) and
# `npm run build`. Does nothing until the project has a package.json.
ensure_frontend() {
  [ -f "$REPO_ROOT/package.json" ] || return 0
  [ -f "$REPO_ROOT/package-lock.json" ] || die "package.json has no package-lock.json next to it (npm ci needs one)"
  local stamp="$REPO_ROOT/node_modules/.devotracker-npm-ci.sha256" want
  want="$( { _sha "$REPO_ROOT/package.json" "$REPO_ROOT/package-lock.json"; node --version; } | sha256sum | cut -d' ' -f1)"
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    log "npm ci"
    (cd "$REPO_ROOT" && npm ci --no-audit --no-fund --loglevel=error >&2) || die "npm ci failed"
    printf '%s\n' "$want" >"$stamp"
  fi
  log "npm run build"
  (cd "$REPO_ROOT" && npm run build --silent >&2) || die "npm run build failed"
}

# Free TCP ports on 127.0.0.1, one per line (all held open together, so they differ).
free_ports() {
  "$VENV/bin/python" - "$1" <<'PY'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
for s in socks:
    print(s.getsockname()[1])
PY
}

# True when something is listening on 127.0.0.1:$1 (a connect needs nothing but bash).
port_listening() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# True when 127.0.0.1:$1 can be bound the way gunicorn binds it (SO_REUSEADDR).
port_bindable() {
  "$VENV/bin/python" - "$1" <<'PY'
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)
PY
}
