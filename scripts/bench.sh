#!/usr/bin/env bash
# Runs the benchmark suite on this machine against a throwaway PostgreSQL that lives exactly as long as this script.
#
#   scripts/bench.sh                     # storage; lifecycle (case mode) with 3, 0 and 3 conditional citizen reads, open loop at 20/s, and with a receiver subscribed to every event; failover; deadlines
#   scripts/bench.sh -- --seconds 10     # arguments after -- go to every scenario (see bench/README.md)
#   scripts/bench.sh --only deadlines -- --cases 20000   # some scenarios only (storage,lifecycle,failover,cohost,deadlines,scale)
#   scripts/bench.sh --only scale -- --cases 20000 --open-cases 2000   # scale is run only when named (2,200,000 cases by default)
#
# Steps: build (Release); start PostgreSQL with crash-safe settings (fsync on, synchronous_commit on: the figures
# must be durable commits); run `storage` (it creates its own database); create database onething; start the silo
# and the API as separate processes from their Release output; run `lifecycle` five times (3, 0, and 3 conditional reads, then 3 reads in open loop at 20 cases/s, then 3 reads with a webhook receiver on https, offering HTTP/2, subscribed to every event) with --pg and --pids so the
# report splits CPU between silo, API, PostgreSQL and the load generator; start a second silo and run `lifecycle`
# once more, killing that silo (SIGKILL) 10 s into the window (failover); stop them all; run `lifecycle` twice more
# against one API process that hosts the silo itself (cohost, database onething_cohost); start a fresh silo and API on
# database onething_deadlines with cases leaving memory after 2 idle minutes and run `deadlines` (200,000 open cases);
# print a combined summary. Everything it started is stopped and the temporary folder removed on exit, Ctrl-C or
# SIGTERM.
#
# Results: bench/results/*.json. Exit code: 0 clean; 1 when a scenario failed, any request failed (the failover
# scenario: when an acknowledged action was lost or throughput did not recover).
# shellcheck disable=SC2317  # functions reached only through trap look unreachable to shellcheck
set -euo pipefail

repo_root=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)
# shellcheck source=scripts/lib/postgres.sh
source "$repo_root/scripts/lib/postgres.sh"
# shellcheck source=scripts/lib/processes.sh
source "$repo_root/scripts/lib/processes.sh"

note() { printf '[onething] %s\n' "$*" >&2; }

config=Release
# The runtime's tiered compiler re-compiles hot code for the first minute or so of load: its thread used 20-38 % of a
# core in each 10 s of the first 60 s, then ~0 (per-thread CPU from /proc/<pid>/task). Measuring before that mixes a
# one-off start-up cost into the steady state.
system_warmup_seconds=60
bench_dll=bench/OneThing.Bench/bin/$config/net10.0/OneThing.Bench.dll
silo_dll=silo/OneThing.Silo/bin/$config/net10.0/OneThing.Silo.dll
api_dll=api/OneThing.Api/bin/$config/net10.0/OneThing.Api.dll

tmp_root=""
pg_data=""
pg_port=""
child_pid="" # a foreground step (build, a scenario) run in the background so signals are seen at once
silo_pid=""
silo2_pid=""
api_pid=""
api_url=""
pg_connection=""
scenario_args=()
load_env=() # NAME=value words for the load generator's environment (set once storage has run)
only="storage,lifecycle,failover,cohost,deadlines"
summaries=()
failed=0

# The deadlines scenario's silo lets idle cases go after 2 minutes (the default is 5) so that its memory figure
# comes sooner; the scenario waits this long after the last case was touched (age + Orleans' 1-minute check + 30 s).
deadline_collection_age=00:02:00
deadline_idle_wait=210

usage() {
  sed -n '2,5p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
}

wanted() { [[ ,$only, == *",$1,"* ]]; }

cleanup() {
  local rc=$?
  trap '' INT TERM # a second Ctrl-C must not interrupt the clean-up and leave a server behind
  stop_group "running step" "$child_pid"
  stop_group API "$api_pid"
  stop_group silo "$silo_pid"
  stop_group "second silo" "$silo2_pid"
  if [[ -n $pg_data ]] && ! pg_stop "$pg_data"; then
    note "could not stop PostgreSQL on $pg_data"
  fi
  if [[ -n $tmp_root ]]; then rm -rf -- "$tmp_root"; fi
  exit "$rc"
}

on_signal() {
  note "interrupted (SIG$1); stopping everything"
  exit "$2"
}

trap cleanup EXIT
trap 'on_signal INT 130' INT
trap 'on_signal TERM 143' TERM

parse_args() {
  while (($# > 0)); do
    case $1 in
      --) shift; scenario_args=("$@"); return 0 ;;
      --only)
        [[ $# -ge 2 && $2 =~ ^(storage|lifecycle|failover|cohost|deadlines|scale)(,(storage|lifecycle|failover|cohost|deadlines|scale))*$ ]] || {
          note "--only takes a comma-separated list of storage, lifecycle, failover, cohost, deadlines, scale"; exit 2; }
        only=$2; shift 2; continue ;;
      -h | --help) usage; exit 0 ;;
      *) note "unknown argument '$1'; scenario options go after --"; usage; exit 2 ;;
    esac
  done
}

build() {
  local project
  # One project at a time: parallel builds of the shared projects would race on their outputs.
  for project in bench/OneThing.Bench silo/OneThing.Silo api/OneThing.Api; do
    note "building $project ($config)"
    if ! run_step dotnet build "$repo_root/$project" -c "$config" -v q -nologo; then
      note "build of $project failed"
      exit 1
    fi
  done
}

start_postgres() {
  local attempt candidate
  pg_find_bin || exit 1
  tmp_root=$(mktemp -d /tmp/onething-bench.XXXXXX)
  # mktemp makes it 700; the postgres user has to enter it to reach its data folder
  chmod 755 "$tmp_root"
  mkdir -p "$tmp_root/logs"
  pg_data=$(pg_reachable_dir "$tmp_root/data") || exit 1
  # Benchmarks measure durable commits: fsync on, synchronous_commit at its default (on), whatever the caller set.
  export PG_TEST_FAST=0
  # The port is free when chosen but could be taken before the server binds it; try a few.
  for attempt in 1 2 3; do
    candidate=$(pg_free_port) || exit 1
    if pg_start "$pg_data" "$candidate"; then
      pg_port=$candidate
      break
    fi
    note "PostgreSQL start attempt $attempt of 3 failed"
  done
  [[ -n $pg_port ]] || exit 1
  note "PostgreSQL (fsync on) on 127.0.0.1:$pg_port, data in $pg_data (removed afterwards)"
}

# scenario <name> <args...>: runs one bench scenario from the repository root (results go to bench/results),
# keeps its output for the summary, and remembers a failure without stopping the suite.
scenario() {
  local name=$1 out rc=0 fd tee_pid
  shift
  out=$tmp_root/logs/$name.out
  note "running $name"
  # Shown as it runs and kept for the summary. The tee shares our process group, so it ignores Ctrl-C and
  # passes on whatever the scenario prints while it is being stopped.
  exec {fd}> >(trap '' INT TERM; exec tee "$out")
  tee_pid=$!
  run_step env "${load_env[@]}" dotnet "$repo_root/$bench_dll" "$@" >&"$fd" 2>&1 || rc=$?
  exec {fd}>&-
  wait "$tee_pid" 2>/dev/null || true
  if ((rc != 0)); then
    note "$name exited with code $rc (1: some requests failed; 2: it could not run)"
    failed=1
  fi
  if grep -q '^summary: ' "$out"; then
    summaries+=("$(grep '^summary: ' "$out" | tail -n 1 | sed 's/^summary: //')")
  else
    summaries+=("$name: no result (exit code $rc)")
  fi
}

# start_app <name> <dll relative to the repo> [args...]: starts it in the background, with the NAME=value words of
# app_env added to its environment; sets app_pid. The working folder is the output folder because .NET hosts take
# their content root (appsettings*.json) from it.
app_env=()
start_app() {
  local name=$1 dll=$repo_root/$2 log=$tmp_root/logs/$1.log
  shift 2
  if [[ ! -f $dll ]]; then
    note "$dll does not exist; did the build produce it?"
    exit 1
  fi
  (cd "$(dirname -- "$dll")" && exec setsid env "${app_env[@]}" dotnet "$dll" "$@") >"$log" 2>&1 &
  app_pid=$!
}

# Stops the API and the silos, so the next scenario starts on fresh processes.
stop_system() {
  stop_group API "$api_pid"
  stop_group silo "$silo_pid"
  stop_group "second silo" "$silo2_pid"
  api_pid="" silo_pid="" silo2_pid=""
}

died() {
  note "$1 exited unexpectedly; last lines of its log:"
  tail -n 40 -- "$2" >&2 || true
  exit 1
}

# start_system <database> <log suffix> [cohost]: a silo and an API on that database (created if missing), logging
# to logs/silo<suffix>.log and logs/api<suffix>.log; with "cohost", one API process that hosts the silo itself
# (OneThing:Api:HostSilo) and no separate silo. Extra environment for the silo comes from silo_env (NAME=value).
silo_env=()
start_system() {
  local database=$1 suffix=$2 cohost=${3:-} silo_port gateway_port api_port deadline code="" server
  pg_create_db "$pg_port" "$database" || exit 1
  silo_port=$(pg_free_port) || exit 1
  gateway_port=$(pg_free_port) || exit 1
  api_port=$(pg_free_port) || exit 1
  api_url=http://127.0.0.1:$api_port
  server="Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=$database"
  pg_connection="$server"

  if [[ -z $cohost ]]; then
    note "starting the silo (gateway port $gateway_port)"
    # Development: the silo then has the development privacy keys (appsettings.Development.json), as the API has.
    app_env=("${silo_env[@]}" "DOTNET_ENVIRONMENT=Development")
    ConnectionStrings__OneThing="$server;Maximum Pool Size=40" \
      OneThing__Cluster__SiloPort=$silo_port OneThing__Cluster__GatewayPort=$gateway_port \
      start_app "silo$suffix" "$silo_dll"
    app_env=()
    silo_pid=$app_pid
    deadline=$((SECONDS + 90))
    until listening "$gateway_port"; do
      alive "$silo_pid" || died silo "$tmp_root/logs/silo$suffix.log"
      ((SECONDS < deadline)) || { note "the silo did not open its gateway within 90 s"; died silo "$tmp_root/logs/silo$suffix.log"; }
      sleep 0.5
    done
    app_env=("ConnectionStrings__OneThing=$server;Maximum Pool Size=20")
  else
    # The API's own silo takes the silo's pool and its ports.
    app_env=("${silo_env[@]}" "OneThing__Api__HostSilo=true" "ConnectionStrings__OneThing=$server;Maximum Pool Size=40"
      "OneThing__Cluster__SiloPort=$silo_port" "OneThing__Cluster__GatewayPort=$gateway_port")
  fi

  note "starting the API on $api_url${cohost:+ (hosting its own silo)}"
  # Development: the API then has the development keys, which the bench reads from the same file.
  ASPNETCORE_ENVIRONMENT=Development start_app "api$suffix" "$api_dll" --urls "$api_url"
  app_env=()
  api_pid=$app_pid
  deadline=$((SECONDS + 90))
  while :; do
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$api_url/health/ready" 2>/dev/null) || true
    [[ $code == 200 ]] && break
    alive "$api_pid" || died API "$tmp_root/logs/api$suffix.log"
    [[ -n $cohost ]] || alive "$silo_pid" || died silo "$tmp_root/logs/silo$suffix.log"
    if ((SECONDS >= deadline)); then
      note "GET /health/ready did not answer 200 within 90 s (last status: ${code:-none})"
      died API "$tmp_root/logs/api$suffix.log"
    fi
    sleep 0.5
  done
  note "${cohost:+API hosting its silo}${cohost:-silo (pid $silo_pid) and API} (pid $api_pid) ready"
}

# The failover scenario's second silo: same database, its own ports. Cases are placed on both silos at random,
# so killing it takes about half of the active cases with it.
start_second_silo() {
  local silo_port gateway_port deadline
  silo_port=$(pg_free_port) || exit 1
  gateway_port=$(pg_free_port) || exit 1
  note "starting a second silo (gateway port $gateway_port) for the failover scenario"
  ConnectionStrings__OneThing="$pg_connection;Maximum Pool Size=40" \
    OneThing__Cluster__SiloPort=$silo_port OneThing__Cluster__GatewayPort=$gateway_port DOTNET_ENVIRONMENT=Development \
    start_app silo2 "$silo_dll"
  silo2_pid=$app_pid
  deadline=$((SECONDS + 90))
  until listening "$gateway_port"; do
    alive "$silo2_pid" || died "second silo" "$tmp_root/logs/silo2.log"
    ((SECONDS < deadline)) || { note "the second silo did not open its gateway within 90 s"; died "second silo" "$tmp_root/logs/silo2.log"; }
    sleep 0.5
  done
  # Joining is announced by gossip at once; a moment more lets the first silo place new cases there too.
  sleep 3
}

# A freshly started silo and API spend their first ~20 s of load compiling hot code (tiered JIT); measured then,
# they look several times more expensive than they are. One unreported lifecycle run brings them to steady state.
warm_up_system() {
  local out=$tmp_root/logs/warm-up.out
  note "warming up the silo and the API for $system_warmup_seconds s (not reported)"
  if ! run_step env "${load_env[@]}" dotnet "$repo_root/$bench_dll" lifecycle "$@" "${scenario_args[@]}" \
    --seconds "$system_warmup_seconds" --warmup 0 --results "$tmp_root/warm-up" >"$out" 2>&1; then
    note "the warm-up run reported problems; the measured runs will show them too. Its last lines:"
    tail -n 15 -- "$out" >&2 || true
  fi
}

# Warnings and failures the silo and the API logged during the runs: a clean-looking figure can hide them.
log_findings() {
  local name log count
  # After the ISO 8601 timestamp every console line starts with (appsettings.json).
  local entry='^([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z )?(warn|fail|crit): '
  for name in silo api silo2 api-cohost silo-deadlines api-deadlines; do
    log=$tmp_root/logs/$name.log
    [[ -f $log ]] || continue
    count=$(grep -cE "$entry" "$log" || true)
    note "$name log: $count warning/failure entries"
    if ((count > 0)); then
      # The first four, each with two lines of context. grep stops by itself: cut short by `head`, it would die of
      # SIGPIPE on a long log, and pipefail would end the suite before its summary.
      grep -m 4 -E -A 2 "$entry" "$log" | sed 's/^/[onething]     /' >&2
    fi
  done
}

main() {
  local postmaster line tool
  parse_args "$@"
  cd "$repo_root"
  export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1
  for tool in dotnet curl; do
    command -v "$tool" >/dev/null 2>&1 || { note "$tool is not installed"; exit 1; }
  done

  build
  start_postgres

  if wanted storage; then
    ConnectionStrings__OneThing="Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=postgres" \
      scenario storage storage "${scenario_args[@]}"
  fi

  # The load generator is not what is measured: without tiering it compiles everything once, during its warm-up,
  # instead of re-compiling hot code inside the window, and without spinning it does not burn the cores it shares
  # with the system. This roughly quarters its CPU use here. The silo and the API keep their default settings.
  load_env=(DOTNET_TieredCompilation=0 DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=0)
  postmaster=$(head -n 1 -- "$pg_data/postmaster.pid")

  if wanted lifecycle || wanted failover; then
    # The webhook receiver listens on https and offers HTTP/2, as receivers do in production (plain http is for
    # development only): its certificate is made here, so that the silo trusts it from its start.
    dotnet "$repo_root/$bench_dll" receiver-certificate --out "$tmp_root/receiver" >/dev/null || exit 1
    silo_env+=("OneThing__Webhooks__TrustedRootsFile=$tmp_root/receiver/receiver.pem")
    start_system onething ""
    local lifecycle_args=(--api "$api_url" --pg "$pg_connection" --pids "silo=$silo_pid,api=$api_pid,postgres=$postmaster")
    warm_up_system "${lifecycle_args[@]}"
    if wanted lifecycle; then
      scenario lifecycle-reads3 lifecycle --mode case --reads 3 "${lifecycle_args[@]}" "${scenario_args[@]}"
      scenario lifecycle-reads0 lifecycle --mode case --reads 0 "${lifecycle_args[@]}" "${scenario_args[@]}"
      # The same citizen reads, revalidated with the ETag of their last answer, as browsers and portals do.
      scenario lifecycle-reads3-etag lifecycle --mode case --reads 3 --conditional-reads on "${lifecycle_args[@]}" "${scenario_args[@]}"
      # Open loop below saturation: cases arrive at 20/s whatever the system does, so latency is service time and
      # queueing at about two thirds of the closed-loop throughput, not the waiting of a saturated machine.
      scenario lifecycle-rate20 lifecycle --mode case --reads 3 --rate 20 "${lifecycle_args[@]}" "${scenario_args[@]}"
      # The same closed loop with one receiver subscribed to every event: what pushing costs, and how long a push takes.
      scenario lifecycle-webhook lifecycle --mode case --reads 3 --webhook on --webhook-certificate "$tmp_root/receiver/receiver.pfx" \
        "${lifecycle_args[@]}" "${scenario_args[@]}"
    fi
    # Failover: under the same load, SIGKILL the second silo 10 s into a 40 s window; clients' errors over time, the
    # time until throughput is back, and a read-back of every acknowledged action (exit code 1 if one is lost).
    if wanted failover; then
      start_second_silo
      scenario failover lifecycle --mode case --reads 3 "${lifecycle_args[@]}" "${scenario_args[@]}" \
        --seconds 40 --kill-pid "$silo2_pid" --kill-at 10
    fi
    stop_system
  fi

  # The same lifecycle load against one process that serves HTTP and hosts the silo (OneThing:Api:HostSilo).
  if wanted cohost; then
    start_system onething_cohost -cohost cohost
    local cohost_args=(--api "$api_url" --pg "$pg_connection" --pids "api+silo=$api_pid,postgres=$postmaster" --label cohost)
    warm_up_system "${cohost_args[@]}"
    scenario lifecycle-cohost-reads3 lifecycle --mode case --reads 3 "${cohost_args[@]}" "${scenario_args[@]}"
    scenario lifecycle-cohost-reads0 lifecycle --mode case --reads 0 "${cohost_args[@]}" "${scenario_args[@]}"
    stop_system
  fi

  # Deadlines at scale: a silo and an API of their own, on a database of their own, so that the memory before the
  # load is a fresh silo's and the reminder table holds this scenario's cases only.
  if wanted deadlines; then
    silo_env=("OneThing__Cases__CollectionAge=$deadline_collection_age")
    start_system onething_deadlines -deadlines
    silo_env=()
    scenario deadlines deadlines --api "$api_url" --pg "$pg_connection" --silo-pid "$silo_pid" \
      --idle-wait "$deadline_idle_wait" "${scenario_args[@]}"
    stop_system
  fi

  # Statistics, search and inbox over millions of cases: a silo and an API of their own on a database of their own,
  # loaded in bulk by the scenario itself.
  if wanted scale; then
    start_system onething_scale -scale
    scenario scale scale --api "$api_url" --pg "$pg_connection" "${scenario_args[@]}"
    stop_system
  fi

  log_findings
  printf '\n== OneThing benchmark summary (%s cores; PostgreSQL, silo, API and load generator share them) ==\n' "$(nproc)"
  for line in "${summaries[@]}"; do
    printf '%s\n' "$line"
  done
  printf 'details: bench/results/*.json\n'
  exit "$failed"
}

main "$@"
