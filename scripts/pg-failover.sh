#!/usr/bin/env bash
# Measures a PostgreSQL failover under the lifecycle load: a primary and a synchronous standby (scripts/pg-pair.sh),
# one silo and one API on the multi-host connection string, the lifecycle benchmark for 40 s, and 10 s into it the
# primary's postmaster is killed (SIGKILL) and the standby promoted as soon as it is gone.
#
#   scripts/pg-failover.sh                 # results: bench/results/failover-pg.json and the lines printed
#   scripts/pg-failover.sh -- --concurrency 16   # arguments after -- go to the benchmark
#
# The report says how many requests failed after the kill and for how long (the time until silo and API work on the
# new primary again), when throughput was back, and reads back every acknowledged case and task action (lost must
# be 0). Everything started here is stopped, and the pair removed, on exit.
# shellcheck disable=SC2317
set -euo pipefail

repo_root=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)
# shellcheck source=scripts/lib/postgres.sh
source "$repo_root/scripts/lib/postgres.sh"
# shellcheck source=scripts/lib/processes.sh
source "$repo_root/scripts/lib/processes.sh"

note() { printf '[onething] %s\n' "$*" >&2; }

config=Release
bench_dll=$repo_root/bench/OneThing.Bench/bin/$config/net10.0/OneThing.Bench.dll
silo_dll=$repo_root/silo/OneThing.Silo/bin/$config/net10.0/OneThing.Silo.dll
api_dll=$repo_root/api/OneThing.Api/bin/$config/net10.0/OneThing.Api.dll
bench_args=()
if [[ ${1:-} == -- ]]; then
  shift
  bench_args=("$@")
fi

tmp_root=$(mktemp -d /tmp/onething-pg-failover.XXXXXX)
chmod 755 "$tmp_root"
export ONETHING_PG_PAIR_DIR=$tmp_root/pair
silo_pid="" api_pid="" watcher_pid="" child_pid=""

cleanup() {
  local rc=$?
  trap '' INT TERM
  [[ -n $watcher_pid ]] && kill "$watcher_pid" 2>/dev/null || true
  [[ -n $child_pid ]] && kill -TERM -- "-$child_pid" 2>/dev/null || true
  stop_group API "$api_pid"
  stop_group silo "$silo_pid"
  "$repo_root/scripts/pg-pair.sh" down || true
  note "logs kept in $tmp_root/logs"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for project in bench/OneThing.Bench silo/OneThing.Silo api/OneThing.Api; do
  note "building $project ($config)"
  run_step dotnet build "$repo_root/$project" -c "$config" -v q -nologo >/dev/null
done

mkdir -p "$tmp_root/logs"
connection=$("$repo_root/scripts/pg-pair.sh" up)
read -r primary_port standby_port <"$ONETHING_PG_PAIR_DIR/ports"
note "connection string: $connection"

start() {
  local name=$1 dll=$2
  shift 2
  (cd "$(dirname -- "$dll")" && exec setsid env "${app_env[@]}" dotnet "$dll" "$@") >"$tmp_root/logs/$name.log" 2>&1 &
}

silo_port=$(pg_free_port)
gateway_port=$(pg_free_port)
api_port=$(pg_free_port)
api_url=http://127.0.0.1:$api_port
app_env=("DOTNET_ENVIRONMENT=Development" "ConnectionStrings__OneThing=$connection;Maximum Pool Size=40"
  "OneThing__Cluster__SiloPort=$silo_port" "OneThing__Cluster__GatewayPort=$gateway_port")
start silo "$silo_dll"
silo_pid=$!
app_env=("ASPNETCORE_ENVIRONMENT=Development" "ConnectionStrings__OneThing=$connection;Maximum Pool Size=20")
start api "$api_dll" --urls "$api_url"
api_pid=$!
deadline=$((SECONDS + 120))
until [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$api_url/health/ready" 2>/dev/null || true) == 200 ]]; do
  alive "$silo_pid" || { tail -n 30 "$tmp_root/logs/silo.log" >&2; exit 1; }
  alive "$api_pid" || { tail -n 30 "$tmp_root/logs/api.log" >&2; exit 1; }
  ((SECONDS < deadline)) || { note "the API was not ready within 120 s"; exit 1; }
  sleep 0.5
done
note "silo (pid $silo_pid) and API (pid $api_pid) ready on the primary (port $primary_port)"

load_env=(DOTNET_TieredCompilation=0 DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=0)
note "warming up for 20 s (not reported)"
run_step env "${load_env[@]}" dotnet "$bench_dll" lifecycle --api "$api_url" --seconds 20 --warmup 0 \
  --results "$tmp_root/warm-up" "${bench_args[@]}" >"$tmp_root/logs/warm-up.out" 2>&1 || true

postmaster=$(head -n 1 -- "$ONETHING_PG_PAIR_DIR/primary/postmaster.pid")
# The benchmark kills the primary; this promotes the standby the moment the primary is gone, as a failover manager
# (Patroni, repmgr, a cloud's managed failover) would, and notes when.
(
  while kill -0 "$postmaster" 2>/dev/null; do sleep 0.05; done
  killed=$(date +%s%N)
  pg_find_bin
  _pg_srv "$PG_BIN/pg_ctl" promote -D "$ONETHING_PG_PAIR_DIR/standby" -w -t 30 -s
  note "primary gone; standby on port $standby_port promoted $((($(date +%s%N) - killed) / 1000000)) ms later"
) &
watcher_pid=$!

note "running the lifecycle load for 40 s; the primary (pid $postmaster) is killed 10 s in"
rc=0
run_step env "${load_env[@]}" dotnet "$bench_dll" lifecycle --mode case --reads 3 --api "$api_url" \
  --seconds 40 --kill-pid "$postmaster" --kill-at 10 --label pg "${bench_args[@]}" || rc=$?
wait "$watcher_pid" 2>/dev/null || true
watcher_pid=""
"$repo_root/scripts/pg-pair.sh" status || true
for name in silo api; do
  note "$name log: $(grep -cE '(warn|fail|crit): ' "$tmp_root/logs/$name.log" || true) warning/failure entries"
done
exit "$rc"
