# shellcheck shell=bash
# Process helpers shared by scripts/run.sh, scripts/test.sh and scripts/bench.sh. Sourced; defines functions only.
# The caller defines note() for its messages; listening() falls back to pg_port_busy from postgres.sh.

# Succeeds while <pid> runs (a zombie waiting to be reaped counts as gone).
alive() {
  local state
  state=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
  [[ -n $state && $state != Z* ]]
}

# Succeeds when something listens on TCP <port> on any local address.
listening() {
  if command -v ss >/dev/null 2>&1; then
    ss -Hltn "sport = :$1" 2>/dev/null | grep -q .
  else
    pg_port_busy "$1"
  fi
}

# Every child runs in its own process group (setsid), so one signal reaches its own children too.
# stop_group <name> <pid>: SIGTERM, up to 30 s to finish, then SIGKILL.
stop_group() {
  local name=$1 pid=$2 deadline=$((SECONDS + 30))
  [[ -n $pid ]] || return 0
  if alive "$pid"; then
    note "stopping $name"
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    while alive "$pid" && ((SECONDS < deadline)); do sleep 0.2; done
    if alive "$pid"; then note "$name did not stop within 30 s; killing it"; fi
  fi
  kill -KILL -- "-$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# run_step <command...>: runs to completion in its own process group (its pid in child_pid meanwhile, so the
# caller's signal handler can stop it); returns its exit code.
run_step() {
  local rc=0
  setsid "$@" &
  child_pid=$!
  wait "$child_pid" || rc=$?
  child_pid=""
  return "$rc"
}
