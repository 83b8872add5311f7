# shellcheck shell=bash
# Helpers to run a private PostgreSQL server for development (scripts/run.sh) and tests (scripts/test.sh).
#
# Source this file; it only defines functions (no options set, nothing started). Functions return
# non-zero on failure instead of exiting, so callers decide what a failure means.
#
# PostgreSQL refuses to run as root. When the caller is root (CI, containers), every command that
# touches the data folder or the server runs as the `postgres` system user through runuser, and the
# folders it needs are handed to that user. When the caller is not root, everything runs as the caller.

_pg_note() { printf '[onething] %s\n' "$*" >&2; }

_pg_is_root() { [[ $(id -u) -eq 0 ]]; }

# Runs a server-side command as the user that owns the server. `cd /` first because the caller's
# working folder (e.g. a clone under /root) may be unreadable for postgres, and initdb/pg_ctl fail
# or warn when they cannot resolve it.
_pg_srv() {
  if _pg_is_root; then
    (cd / && runuser -u postgres -- "$@")
  else
    (cd / && "$@")
  fi
}

# Sets PG_BIN to the folder holding initdb/pg_ctl/postgres, and PG_PSQL to a psql client.
pg_find_bin() {
  local candidate found=""
  if [[ -n ${PG_BIN:-} ]]; then
    if [[ ! -x $PG_BIN/pg_ctl || ! -x $PG_BIN/initdb ]]; then
      _pg_note "PG_BIN=$PG_BIN does not contain pg_ctl and initdb; point it at PostgreSQL's bin folder."
      return 1
    fi
    found=$PG_BIN
  else
    # Debian/Ubuntu keep server binaries off PATH, one folder per major version; take the newest.
    candidate=$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
    if [[ -x $candidate/pg_ctl && -x $candidate/initdb ]]; then
      found=$candidate
    elif command -v pg_config >/dev/null 2>&1; then
      candidate=$(pg_config --bindir 2>/dev/null || true)
      if [[ -n $candidate && -x $candidate/pg_ctl && -x $candidate/initdb ]]; then
        found=$candidate
      fi
    fi
  fi
  if [[ -z $found ]]; then
    _pg_note "PostgreSQL server binaries (initdb, pg_ctl) not found."
    _pg_note "Install them (Debian/Ubuntu: sudo apt-get install postgresql), or set PG_BIN to their folder."
    return 1
  fi
  if _pg_is_root && ! id -u postgres >/dev/null 2>&1; then
    _pg_note "running as root needs a 'postgres' system user to own the server (the Debian package creates it)."
    return 1
  fi
  PG_BIN=$found
  if [[ -x $PG_BIN/psql ]]; then
    PG_PSQL=$PG_BIN/psql
  elif PG_PSQL=$(command -v psql); then
    :
  else
    _pg_note "psql not found (Debian/Ubuntu: sudo apt-get install postgresql-client)."
    return 1
  fi
}

# Prints a short stable hash of a string, used to name per-repository fallback folders.
pg_path_hash() { printf '%s' "$1" | sha256sum | cut -c1-12; }

# Succeeds when the server user can own and use <dir>; creates it (and hands it to postgres when
# root). A folder we created but cannot use is removed again, so a failed probe leaves no litter.
_pg_dir_usable() {
  local dir=$1 created=0
  if [[ ! -d $dir ]]; then
    mkdir -p -- "$dir" 2>/dev/null || return 1
    created=1
  fi
  if ! _pg_is_root; then
    [[ -w $dir && -x $dir ]] && return 0
  else
    # Only hand over an empty folder or one postgres already owns: never chown somebody's files.
    if [[ $(stat -c %U -- "$dir") != postgres ]] && [[ -z $(ls -A -- "$dir") ]]; then
      chown postgres:postgres -- "$dir" 2>/dev/null || true
    fi
    # runs as postgres, so this also fails when any parent folder is not traversable for it
    _pg_srv test -w "$dir" -a -x "$dir" 2>/dev/null && return 0
  fi
  if ((created)); then rmdir -- "$dir" 2>/dev/null || true; fi
  return 1
}

# pg_reachable_dir <wanted> [<fallback>]
# Prints the folder to keep PostgreSQL data in: <wanted> when the server user can use it, else
# <fallback> (with a one-line note). Needed because a clone under a private home (e.g. /root, mode
# 700) cannot be entered by the postgres user.
pg_reachable_dir() {
  local wanted=$1 fallback=${2:-} base
  if _pg_dir_usable "$wanted"; then
    printf '%s\n' "$wanted"
    return 0
  fi
  if [[ -z $fallback ]]; then
    _pg_note "the PostgreSQL server user cannot use $wanted (is a parent folder private?)."
    return 1
  fi
  # The fallback usually lives in a world-writable folder (/var/tmp) under a predictable name, so
  # refuse a parent someone else planted there.
  base=$(dirname -- "$fallback")
  if [[ -e $base || -L $base ]]; then
    if [[ -L $base || ! -d $base || $(stat -c %u -- "$base") != "$(id -u)" ]]; then
      _pg_note "refusing fallback folder $base: it is not a folder owned by $(id -un)."
      return 1
    fi
  else
    mkdir -p -- "$base" || return 1
  fi
  chmod 755 -- "$base" 2>/dev/null || true
  if ! _pg_dir_usable "$fallback"; then
    _pg_note "the PostgreSQL server user can use neither $wanted nor $fallback."
    return 1
  fi
  _pg_note "postgres cannot reach $wanted; keeping PostgreSQL data in $fallback instead."
  printf '%s\n' "$fallback"
}

# Succeeds when something accepts TCP connections on 127.0.0.1:<port>.
# shellcheck disable=SC2016  # $1 expands inside the child bash
pg_port_busy() {
  timeout 2 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1"' _ "$1" 2>/dev/null
}

# Prints a TCP port on 127.0.0.1 that nothing listens on right now.
pg_free_port() {
  local port i
  if command -v python3 >/dev/null 2>&1 &&
    port=$(python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()' 2>/dev/null) &&
    [[ $port =~ ^[0-9]+$ ]]; then
    printf '%s\n' "$port"
    return 0
  fi
  # No python: probe random ports above the usual service range.
  for ((i = 0; i < 100; i++)); do
    port=$((20000 + RANDOM % 30000))
    if ! pg_port_busy "$port"; then
      printf '%s\n' "$port"
      return 0
    fi
  done
  _pg_note "could not find a free TCP port on 127.0.0.1."
  return 1
}

# Where the socket and the server log of <datadir> live: a sibling folder, owned by the server user.
pg_run_dir() { printf '%s-run\n' "${1%/}"; }
pg_log_file() { printf '%s/postgres.log\n' "$(pg_run_dir "$1")"; }

# Prints the port of the server running on <datadir>; fails when none runs there.
pg_running_port() {
  local datadir=$1
  pg_find_bin || return 1
  [[ -f $datadir/postmaster.pid ]] || return 1
  _pg_srv "$PG_BIN/pg_ctl" status -D "$datadir" >/dev/null 2>&1 || return 1
  # line 4 of postmaster.pid is the port
  sed -n 4p -- "$datadir/postmaster.pid"
}

# initdb with trust auth for local sockets and 127.0.0.1 only: the server never listens elsewhere.
_pg_initdb() {
  local datadir=$1 rundir=$2
  if ! _pg_srv "$PG_BIN/initdb" -D "$datadir" -U postgres -E UTF8 --locale=C -A trust \
    >"$rundir/initdb.log" 2>&1; then
    _pg_note "initdb failed for $datadir:"
    tail -n 20 -- "$rundir/initdb.log" >&2
    return 1
  fi
  cat >"$datadir/pg_hba.conf" <<'EOF'
# Written by scripts/lib/postgres.sh: a private dev/test server, reachable from this machine only.
# TYPE  DATABASE     USER  ADDRESS       METHOD
local   all          all                 trust
host    all          all   127.0.0.1/32  trust
local   replication  all                 trust
host    replication  all   127.0.0.1/32  trust
EOF
  # Settings that differ per start (port, socket, fsync) go to an included file rewritten each time.
  printf "\ninclude_if_exists = 'onething.conf'\n" >>"$datadir/postgresql.conf"
  if _pg_is_root; then chown postgres:postgres -- "$datadir/pg_hba.conf" "$datadir/postgresql.conf"; fi
}

# pg_start <datadir> <port>
# Creates the cluster if <datadir> is empty, then starts it on 127.0.0.1:<port> and waits until it
# accepts connections (at most 30 s). PG_TEST_FAST=1 trades crash safety for speed (tests only).
pg_start() {
  local datadir=${1%/} port=$2 rundir log sockdir version want fast=off started=$SECONDS
  pg_find_bin || return 1
  [[ $port =~ ^[0-9]+$ ]] || { _pg_note "pg_start: bad port '$port'"; return 1; }
  rundir=$(pg_run_dir "$datadir")
  log=$(pg_log_file "$datadir")
  mkdir -p -- "$datadir" "$rundir" || return 1
  if _pg_is_root; then chown postgres:postgres -- "$datadir" "$rundir" || return 1; fi

  if [[ ! -f $datadir/PG_VERSION ]]; then
    if [[ -n $(ls -A -- "$datadir") ]]; then
      _pg_note "$datadir is not empty and holds no PostgreSQL cluster; move it away or choose another folder."
      return 1
    fi
    _pg_note "creating a PostgreSQL cluster in $datadir"
    _pg_initdb "$datadir" "$rundir" || return 1
  fi

  # A cluster made by another major version cannot be opened; say so rather than show a FATAL.
  version=$("$PG_BIN/postgres" --version | awk '{print $3}')
  want=$(<"$datadir/PG_VERSION")
  if [[ $want != "${version%%.*}" && $want != "${version%.*}" ]]; then
    _pg_note "$datadir was created by PostgreSQL $want but $PG_BIN is $version; delete the folder or set PG_BIN."
    return 1
  fi

  if _pg_srv "$PG_BIN/pg_ctl" status -D "$datadir" >/dev/null 2>&1; then
    _pg_note "a PostgreSQL server already runs on $datadir."
    return 1
  fi

  # Unix socket paths are limited to 107 bytes; deep folders fall back to TCP only.
  sockdir=$rundir
  if ((${#sockdir} + 20 > 107)) || [[ $sockdir == *[,\"]* ]]; then sockdir=""; fi
  if [[ ${PG_TEST_FAST:-0} == 1 ]]; then fast=on; fi
  {
    echo "# Written by scripts/lib/postgres.sh on every start; edits here are overwritten."
    echo "listen_addresses = '127.0.0.1'"
    echo "port = $port"
    echo "unix_socket_directories = '${sockdir//\'/\'\'}'"
    # PG_MAX_CONNECTIONS: the test suite runs many short-lived clusters, each with its own pools.
    echo "max_connections = ${PG_MAX_CONNECTIONS:-200}"
    echo "shared_buffers = '256MB'"
    # Throwaway test servers need no crash safety; a kept dev server does.
    if [[ $fast == on ]]; then
      echo "fsync = off"
      echo "synchronous_commit = off"
      echo "full_page_writes = off"
    else
      echo "fsync = on"
      echo "synchronous_commit = on"
      echo "full_page_writes = on"
    fi
  } >"$datadir/onething.conf"
  if _pg_is_root; then chown postgres:postgres -- "$datadir/onething.conf"; fi

  # pg_ctl -w follows the postmaster and returns as soon as it is ready or has died.
  if ! _pg_srv "$PG_BIN/pg_ctl" start -D "$datadir" -l "$log" -w -t 30 -s >/dev/null 2>&1; then
    _pg_note "PostgreSQL did not start on 127.0.0.1:$port; last lines of $log:"
    tail -n 20 -- "$log" >&2 2>/dev/null || true
    pg_stop "$datadir" >/dev/null 2>&1 || true # a slow start may still be running
    return 1
  fi
  # ...and this proves it answers on the TCP address clients will use.
  until "$PG_BIN/pg_isready" -h 127.0.0.1 -p "$port" -U postgres -d postgres -t 1 -q; do
    if ((SECONDS - started >= 30)); then
      _pg_note "PostgreSQL does not answer on 127.0.0.1:$port after 30 s; last lines of $log:"
      tail -n 20 -- "$log" >&2 2>/dev/null || true
      pg_stop "$datadir" >/dev/null 2>&1 || true
      return 1
    fi
    sleep 0.2
  done
}

# pg_stop <datadir>: stops the server on <datadir>; succeeds when none is running.
pg_stop() {
  local datadir=${1%/} pid
  [[ -f $datadir/postmaster.pid ]] || return 0
  pg_find_bin || return 1
  if _pg_srv "$PG_BIN/pg_ctl" stop -D "$datadir" -m fast -w -t 30 -s >/dev/null 2>&1; then
    return 0
  fi
  # stop fails for a stale pid file too; that is fine when nothing runs
  _pg_srv "$PG_BIN/pg_ctl" status -D "$datadir" >/dev/null 2>&1 || return 0
  _pg_note "PostgreSQL on $datadir did not stop within 30 s; forcing an immediate shutdown."
  _pg_srv "$PG_BIN/pg_ctl" stop -D "$datadir" -m immediate -w -t 10 -s >/dev/null 2>&1 && return 0
  pid=$(head -n 1 -- "$datadir/postmaster.pid" 2>/dev/null || true)
  if [[ $pid =~ ^[0-9]+$ ]]; then
    kill -KILL "$pid" 2>/dev/null || true
  fi
  _pg_srv "$PG_BIN/pg_ctl" status -D "$datadir" >/dev/null 2>&1 && return 1
  return 0
}

# Runs psql against the server on 127.0.0.1:<port> as the superuser; extra arguments follow.
pg_psql() {
  local port=$1
  shift
  pg_find_bin || return 1
  # sslmode=disable: a PGSSLMODE=require in the caller's environment must not break the private server
  PGSSLMODE=disable PGCONNECT_TIMEOUT=5 "$PG_PSQL" -X -q -h 127.0.0.1 -p "$port" -U postgres -d postgres "$@"
}

# pg_create_db <port> <name>: creates the database unless it exists.
pg_create_db() {
  local port=$1 name=$2
  if ! pg_psql "$port" -v ON_ERROR_STOP=1 -v dbname="$name" <<'SQL'
SELECT format('CREATE DATABASE %I', :'dbname')
WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'dbname')
\gexec
SQL
  then
    _pg_note "could not create database $name on 127.0.0.1:$port"
    return 1
  fi
}
