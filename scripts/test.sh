#!/usr/bin/env bash
# Runs the test suite against a throwaway PostgreSQL that lives exactly as long as this script.
#
#   scripts/test.sh                              # everything
#   scripts/test.sh --filter "FullyQualifiedName~Deadlines"
#
# Extra arguments go to `dotnet test`. The server's data sits in a temporary folder that is removed
# afterwards, whatever the outcome (also on Ctrl-C / SIGTERM). Tests get the server through
# ConnectionStrings__OneThing and create their own databases from it.
# shellcheck disable=SC2317  # functions reached only through trap look unreachable to shellcheck
set -euo pipefail

repo_root=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)
# shellcheck source=scripts/lib/postgres.sh
source "$repo_root/scripts/lib/postgres.sh"
# shellcheck source=scripts/lib/processes.sh
source "$repo_root/scripts/lib/processes.sh"

note() { printf '[onething] %s\n' "$*" >&2; }

tmp_root=""
pg_data=""
dotnet_pid=""


# dotnet runs in its own process group (setsid), so one signal reaches the CLI, the test hosts and
# any build nodes it started; after 30 s the group is killed.
stop_dotnet() {
  local pid=$dotnet_pid deadline=$((SECONDS + 30))
  [[ -n $pid ]] || return 0
  dotnet_pid=""
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  while alive "$pid" && ((SECONDS < deadline)); do sleep 0.2; done
  kill -KILL -- "-$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  local rc=$?
  # a second Ctrl-C must not interrupt the clean-up and leave a server behind
  trap '' INT TERM
  stop_dotnet
  if [[ -n $pg_data ]] && ! pg_stop "$pg_data"; then
    note "could not stop PostgreSQL on $pg_data"
  fi
  if [[ -n $tmp_root ]]; then rm -rf -- "$tmp_root"; fi
  exit "$rc"
}

on_signal() {
  note "interrupted (SIG$1); stopping tests and PostgreSQL"
  exit "$2"
}

trap cleanup EXIT
trap 'on_signal INT 130' INT
trap 'on_signal TERM 143' TERM

pg_find_bin

tmp_root=$(mktemp -d /tmp/onething-test.XXXXXX)
# mktemp makes it 700; the postgres user has to enter it to reach its data folder
chmod 755 "$tmp_root"
pg_data=$(pg_reachable_dir "$tmp_root/data")

# PG_TEST_FAST=0 runs the tests with crash-safe settings, e.g. to compare timings.
export PG_TEST_FAST=${PG_TEST_FAST:-1}
export PG_MAX_CONNECTIONS=${PG_MAX_CONNECTIONS:-500}

# The port is free when chosen but could be taken before the server binds it; try a few.
pg_port=""
for attempt in 1 2 3; do
  candidate=$(pg_free_port)
  if pg_start "$pg_data" "$candidate"; then
    pg_port=$candidate
    break
  fi
  note "PostgreSQL start attempt $attempt of 3 failed"
done
[[ -n $pg_port ]] || exit 1

note "test PostgreSQL on 127.0.0.1:$pg_port, data in $pg_data (removed afterwards)"
# Every test cluster gets its own database, and so its own pools: keep them small, and let a disposed cluster's
# idle connections close within seconds, so that the suite never runs the server out of connections.
export ConnectionStrings__OneThing="Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=postgres;Maximum Pool Size=20;Connection Idle Lifetime=5;Connection Pruning Interval=1"

cd "$repo_root"
# In the background so that a SIGTERM to this script is handled at once, not after dotnet ends.
setsid dotnet test OneThing.Orleans.sln --logger "trx;LogFileName=onething.trx" --results-directory "$tmp_root/results" "$@" &
dotnet_pid=$!
rc=0
wait "$dotnet_pid" || rc=$?
dotnet_pid=""

# One plain closing line that any reader of the log (or CI) can count on: "N passed, N failed".
summary=$(grep -ho '<Counters [^>]*>' "$tmp_root"/results/*.trx 2>/dev/null | head -n 1 || true)
if [[ -n $summary ]]; then
  passed=$(sed -E 's/.* passed="([0-9]+)".*/\1/' <<<"$summary")
  failed=$(sed -E 's/.* failed="([0-9]+)".*/\1/' <<<"$summary")
  printf '%s passed, %s failed\n' "$passed" "$failed"
fi
exit "$rc"
