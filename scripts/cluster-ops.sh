#!/usr/bin/env bash
# Operations on the silo cluster under the lifecycle load, each counted in failed requests and lost actions:
#
#   scripts/cluster-ops.sh rolling-restart   # 2 silos; each in turn is replaced: a new one joins, then the old gets SIGTERM
#   scripts/cluster-ops.sh scale-out         # 2 silos; a third joins 10 s into the window
#   scripts/cluster-ops.sh scale-in          # 3 silos; the third leaves with SIGTERM 10 s into the window
#   scripts/cluster-ops.sh api-restart       # 2 silos, 2 APIs behind the load generator's round robin; one API gets
#                                            # SIGTERM 10 s into the window and is started again on its port
#   scripts/cluster-ops.sh all               # the four, one after the other, each on a fresh system
#
# A throwaway PostgreSQL (fsync on), silos and one API (two for api-restart, with OneThing:Api:DrainDelay 2 s) from
# the Release build, a 20 s warm-up, then 60 s of `lifecycle --mode case --reads 3`. The benchmark's failover report is reused for its per-second timeline and its
# read-back of every acknowledged case and task action: it is given a placeholder process to kill at second 55 (a
# `sleep`, nothing of the system), so the figures are those of the operation alone. Results:
# bench/results/failover-<scenario>.json; the operation's own timings are printed.
# shellcheck disable=SC2317
set -euo pipefail

repo_root=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)
# shellcheck source=scripts/lib/postgres.sh
source "$repo_root/scripts/lib/postgres.sh"
# shellcheck source=scripts/lib/processes.sh
source "$repo_root/scripts/lib/processes.sh"

note() { printf '[onething] %s\n' "$*" >&2; }

case ${1:-} in
  rolling-restart | scale-out | scale-in | api-restart) scenarios=("$1") ;;
  all) scenarios=(rolling-restart scale-out scale-in api-restart) ;;
  *) echo "usage: scripts/cluster-ops.sh rolling-restart|scale-out|scale-in|api-restart|all" >&2; exit 2 ;;
esac

config=Release
bench_dll=$repo_root/bench/OneThing.Bench/bin/$config/net10.0/OneThing.Bench.dll
silo_dll=$repo_root/silo/OneThing.Silo/bin/$config/net10.0/OneThing.Silo.dll
api_dll=$repo_root/api/OneThing.Api/bin/$config/net10.0/OneThing.Api.dll
load_env=(DOTNET_TieredCompilation=0 DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=0)

tmp_root=$(mktemp -d /tmp/onething-cluster-ops.XXXXXX)
chmod 755 "$tmp_root"
mkdir -p "$tmp_root/logs"
pg_data="" pg_port="" placeholder_pid="" child_pid=""
declare -A silo_pids=() api_pids=() api_ports=()
rc=0

# Every silo and API started, by the operation's background shell too, is listed in pids_file so that all are
# stopped (APIs first: the list is read backwards).
pids_file=$tmp_root/silo-pids
stop_all() {
  local name pid
  if [[ -f $pids_file ]]; then
    while read -r name pid; do
      stop_group "$name" "$pid"
    done < <(tac "$pids_file")
    : >"$pids_file"
  fi
  silo_pids=() api_pids=() api_ports=()
  [[ -n $placeholder_pid ]] && kill "$placeholder_pid" 2>/dev/null || true
  placeholder_pid=""
}

cleanup() {
  local code=$?
  trap '' INT TERM
  [[ -n $child_pid ]] && kill -TERM -- "-$child_pid" 2>/dev/null || true
  stop_all
  if [[ -n $pg_data ]]; then
    pg_stop "$pg_data" || true
    rm -rf -- "$pg_data" "$(pg_run_dir "$pg_data")"
  fi
  note "logs kept in $tmp_root/logs"
  exit "$code"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for project in bench/OneThing.Bench silo/OneThing.Silo api/OneThing.Api; do
  note "building $project ($config)"
  run_step dotnet build "$repo_root/$project" -c "$config" -v q -nologo >/dev/null
done

pg_find_bin
pg_data=$(pg_reachable_dir "$tmp_root/data")
export PG_TEST_FAST=0
pg_port=$(pg_free_port)
pg_start "$pg_data" "$pg_port"

active_silos() {
  pg_psql "$pg_port" -d "$database" -At -c "SELECT count(*) FROM orleansmembershiptable WHERE status = 3"
}

# start_silo <name>: a silo on fresh ports; returns when the membership lists it as Active.
start_silo() {
  local name=$1 before
  before=$(active_silos 2>/dev/null || echo 0)
  (cd "$(dirname -- "$silo_dll")" && exec setsid env DOTNET_ENVIRONMENT=Development \
    "ConnectionStrings__OneThing=Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=$database;Maximum Pool Size=30" \
    "OneThing__Cluster__SiloPort=$(pg_free_port)" "OneThing__Cluster__GatewayPort=$(pg_free_port)" \
    dotnet "$silo_dll") >"$tmp_root/logs/$scenario-silo-$name.log" 2>&1 &
  silo_pids[$name]=$!
  echo "silo-$name ${silo_pids[$name]}" >>"$pids_file"
  await_ready "silo $name" "${silo_pids[$name]}" "$tmp_root/logs/$scenario-silo-$name.log" silo_joined "$before"
}

silo_joined() { (($(active_silos 2>/dev/null || echo 0) > $1)); }

stop_silo() {
  terminate "silo $1" "${silo_pids[$1]}"
  unset "silo_pids[$1]"
}

# start_api <name> <port>: an API on 127.0.0.1:<port>; returns when /health/ready answers 200.
start_api() {
  local name=$1 port=$2
  (cd "$(dirname -- "$api_dll")" && exec setsid env ASPNETCORE_ENVIRONMENT=Development \
    "ConnectionStrings__OneThing=Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=$database;Maximum Pool Size=20" \
    OneThing__Api__DrainDelay=00:00:02 \
    dotnet "$api_dll" --urls "http://127.0.0.1:$port") >"$tmp_root/logs/$scenario-api-$name.log" 2>&1 &
  api_pids[$name]=$!
  api_ports[$name]=$port
  echo "api-$name ${api_pids[$name]}" >>"$pids_file"
  await_ready "API $name" "${api_pids[$name]}" "$tmp_root/logs/$scenario-api-$name.log" api_ready "$port"
}

api_ready() { [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$1/health/ready" || true) == 200 ]]; }

stop_api() {
  terminate "API $1" "${api_pids[$1]}"
  unset "api_pids[$1]"
}

# await_ready <what> <pid> <log> <probe...>: returns once the probe succeeds; stops the script, with the log's last
# lines, if the process exits first, and after 90 s.
await_ready() {
  local what=$1 pid=$2 log=$3 deadline=$((SECONDS + 90))
  shift 3
  until "$@"; do
    alive "$pid" || { tail -n 30 "$log" >&2; exit 1; }
    ((SECONDS < deadline)) || { note "$what was not ready within 90 s"; exit 1; }
    sleep 0.2
  done
}

# terminate <what> <pid>: SIGTERM to its process group, and the time it took to leave (at most 60 s is waited).
terminate() {
  local what=$1 pid=$2 started=$SECONDS
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid"
  while alive "$pid"; do
    ((SECONDS - started < 60)) || { note "$what did not stop within 60 s"; break; }
    sleep 0.1
  done
  note "$what stopped (SIGTERM) in $((SECONDS - started)) s"
}

cpu_seconds() {
  # utime + stime of the process, in seconds
  awk -v hz="$(getconf CLK_TCK)" '{ printf "%.1f", ($14 + $15) / hz }' "/proc/$1/stat"
}

operate() {
  local started=$SECONDS
  sleep 15 # the benchmark's 5 s warm-up and 10 s of the measured window
  case $scenario in
    rolling-restart)
      note "rolling restart: replacing silo a"
      start_silo a2
      stop_silo a
      note "rolling restart: replacing silo b"
      start_silo b2
      stop_silo b
      note "rolling restart done $((SECONDS - started - 15)) s into the window"
      ;;
    scale-out)
      start_silo c
      note "silo c joined $((SECONDS - started - 15)) s into the window"
      sleep 30
      note "silo c used $(cpu_seconds "${silo_pids[c]}") CPU s in its first 30 s (silo a: $(cpu_seconds "${silo_pids[a]}") since start)"
      ;;
    scale-in)
      note "scale in: silo c leaves"
      stop_silo c
      ;;
    api-restart)
      note "API restart: API x gets SIGTERM"
      local port=${api_ports[x]}
      stop_api x
      start_api x2 "$port"
      note "API restart: x2 ready on port $port $((SECONDS - started - 15)) s into the window"
      ;;
  esac
}

for scenario in "${scenarios[@]}"; do
  database=onething_${scenario//-/_}
  pg_create_db "$pg_port" "$database"
  start_silo a
  start_silo b
  if [[ $scenario == scale-in ]]; then start_silo c; fi
  start_api x "$(pg_free_port)"
  apis=http://127.0.0.1:${api_ports[x]}
  if [[ $scenario == api-restart ]]; then
    start_api y "$(pg_free_port)"
    apis+=,http://127.0.0.1:${api_ports[y]}
  fi
  note "$scenario: warming up for 20 s (not reported)"
  run_step env "${load_env[@]}" dotnet "$bench_dll" lifecycle --api "$apis" --seconds 20 --warmup 0 \
    --results "$tmp_root/warm-up" >"$tmp_root/logs/$scenario-warm-up.out" 2>&1 || true

  sleep 1000 &
  placeholder_pid=$!
  operate &
  operator=$!
  note "$scenario: 60 s of lifecycle load"
  run_step env "${load_env[@]}" dotnet "$bench_dll" lifecycle --mode case --reads 3 --api "$apis" \
    --seconds 60 --kill-pid "$placeholder_pid" --kill-at 55 --label "$scenario" | tee "$tmp_root/logs/$scenario.out" || rc=1
  wait "$operator" || rc=1
  placeholder_pid=""
  stop_all
done
exit "$rc"
