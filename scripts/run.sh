#!/usr/bin/env bash
# Runs OneThing locally: PostgreSQL (unless ConnectionStrings__OneThing is given), one silo, the API and the console.
#
#   scripts/run.sh            # Ctrl-C stops everything it started
#
# Environment:
#   ConnectionStrings__OneThing     use this database instead of starting a project-local PostgreSQL
#   ONETHING_PG_PORT                port for the project-local PostgreSQL (default 55432)
#   ONETHING_API_PORT               API port on 127.0.0.1 (default 5080)
#   ONETHING_CONSOLE_PORT           console (hall window, workbench, ops, progress page) port on 127.0.0.1 (default 5081)
#   OneThing__Cluster__GatewayPort  silo gateway port, read by the silo and the API (default 30000)
#   OneThing__Silo__HttpPort        the silo's own HTTP port: /health/live, /health/ready, /metrics (default 5082)
#   ONETHING_LOG_STDOUT=1           stream silo and API output to the terminal (also kept in the logs)
#
# PostgreSQL data is kept in .data/postgres between runs; logs go to .data/logs/.
# shellcheck disable=SC2317  # functions reached only through trap look unreachable to shellcheck
set -euo pipefail

repo_root=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)
# shellcheck source=scripts/lib/postgres.sh
source "$repo_root/scripts/lib/postgres.sh"
# shellcheck source=scripts/lib/processes.sh
source "$repo_root/scripts/lib/processes.sh"

note() { printf '[onething] %s\n' "$*" >&2; }

data_root=$repo_root/.data
log_dir=$data_root/logs
api_port=${ONETHING_API_PORT:-5080}
api_url=http://127.0.0.1:$api_port
gateway_port=${OneThing__Cluster__GatewayPort:-30000}
console_port=${ONETHING_CONSOLE_PORT:-5081}
console_url=http://127.0.0.1:$console_port
silo_http_port=${OneThing__Silo__HttpPort:-5082}
config=Release
silo_dll=silo/OneThing.Silo/bin/$config/net10.0/OneThing.Silo.dll
api_dll=api/OneThing.Api/bin/$config/net10.0/OneThing.Api.dll
console_dll=console/OneThing.Console/bin/$config/net10.0/OneThing.Console.dll
dev_settings=api/OneThing.Api/appsettings.Development.json
console_dev_settings=console/OneThing.Console/appsettings.Development.json

pg_data=""
pg_port=""
pg_started=0
child_pid="" # a foreground step (the build) running in the background so signals are seen at once
silo_pid=""
api_pid=""
console_pid=""




cleanup() {
  local rc=$?
  trap '' INT TERM # a second Ctrl-C must not interrupt the clean-up half way
  stop_group build "$child_pid"
  stop_group console "$console_pid"
  stop_group API "$api_pid"
  stop_group silo "$silo_pid"
  if ((pg_started)); then
    note "stopping PostgreSQL"
    pg_stop "$pg_data" || note "could not stop PostgreSQL on $pg_data"
  fi
  exit "$rc"
}

on_signal() {
  note "received SIG$1; shutting down"
  exit 0
}

trap cleanup EXIT
trap 'on_signal INT' INT
trap 'on_signal TERM' TERM

preflight() {
  local tool
  for tool in dotnet curl; do
    command -v "$tool" >/dev/null 2>&1 || { note "$tool is not installed"; exit 1; }
  done
  # Fail now, not after a long build, when another instance already holds our ports.
  if listening "$gateway_port"; then
    note "port $gateway_port (silo gateway) is in use: is another silo running? Stop it or set OneThing__Cluster__GatewayPort."
    exit 1
  fi
  if listening "$silo_http_port"; then
    note "port $silo_http_port (silo HTTP) is in use: stop whatever holds it or set OneThing__Silo__HttpPort."
    exit 1
  fi
  if listening "$api_port"; then
    note "port $api_port (API) is in use: stop whatever holds it or set ONETHING_API_PORT."
    exit 1
  fi
  if listening "$console_port"; then
    note "port $console_port (console) is in use: stop whatever holds it or set ONETHING_CONSOLE_PORT."
    exit 1
  fi
}

start_postgres() {
  local fallback wanted_port
  if [[ -n ${ConnectionStrings__OneThing:-} ]]; then
    note "using ConnectionStrings__OneThing from the environment; no local PostgreSQL started"
    return 0
  fi
  pg_find_bin || exit 1
  # This server keeps data between runs, so it must stay crash safe whatever the caller exported.
  export PG_TEST_FAST=0
  # A clone in a private home is out of the postgres user's reach; keep a per-clone folder instead.
  fallback=/var/tmp/onething-$(pg_path_hash "$repo_root")/data
  pg_data=$(pg_reachable_dir "$data_root/postgres" "$fallback") || exit 1

  if pg_port=$(pg_running_port "$pg_data"); then
    note "PostgreSQL for this clone already runs on 127.0.0.1:$pg_port; using it and leaving it running"
  else
    pg_port=${ONETHING_PG_PORT:-55432}
    if pg_port_busy "$pg_port"; then
      wanted_port=$pg_port
      pg_port=$(pg_free_port) || exit 1
      note "port $wanted_port is taken by another program; PostgreSQL uses $pg_port (set ONETHING_PG_PORT to choose)"
    fi
    pg_start "$pg_data" "$pg_port" || exit 1
    pg_started=1
    note "PostgreSQL on 127.0.0.1:$pg_port, data in $pg_data"
  fi
  pg_create_db "$pg_port" onething || exit 1
  export ConnectionStrings__OneThing="Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=onething;Maximum Pool Size=40"
}

build() {
  note "building ($config)"
  if ! run_step dotnet build "$repo_root/OneThing.Orleans.sln" -c "$config" -v q -nologo; then
    note "build failed"
    exit 1
  fi
}

# start_app <name> <dll relative to the repo> [args...]: starts it in the background; sets app_pid.
# The working folder is the output folder because .NET hosts take their content root (and so
# appsettings*.json) from it.
start_app() {
  local name=$1 dll=$repo_root/$2 log=$log_dir/$1.log
  shift 2
  if [[ ! -f $dll ]]; then
    note "$dll does not exist; did the build produce it?"
    exit 1
  fi
  : >"$log"
  if [[ ${ONETHING_LOG_STDOUT:-0} == 1 ]]; then
    # The tee shares our process group, so it must outlive a Ctrl-C to pass on the shutdown output.
    (cd "$(dirname -- "$dll")" && exec setsid dotnet "$dll" "$@") \
      > >(trap '' INT TERM; tee -a -- "$log" | sed -u "s/^/[$name] /") 2>&1 &
  else
    (cd "$(dirname -- "$dll")" && exec setsid dotnet "$dll" "$@") >"$log" 2>&1 &
  fi
  app_pid=$!
}

# died <name> <log>: reports a process that ended on its own.
died() {
  note "$1 exited unexpectedly; last lines of $2:"
  tail -n 40 -- "$2" >&2 || true
  exit 1
}

start_silo() {
  local deadline=$((SECONDS + 90))
  note "starting the silo (gateway port $gateway_port, HTTP port $silo_http_port)"
  # Development: the silo then has the development privacy keys (appsettings.Development.json), as the API has.
  DOTNET_ENVIRONMENT=Development OneThing__Silo__HttpPort=$silo_http_port start_app silo "$silo_dll"
  silo_pid=$app_pid
  until listening "$gateway_port"; do
    alive "$silo_pid" || died silo "$log_dir/silo.log"
    if ((SECONDS >= deadline)); then
      note "the silo did not open its gateway port $gateway_port within 90 s; last lines of $log_dir/silo.log:"
      tail -n 40 -- "$log_dir/silo.log" >&2 || true
      exit 1
    fi
    sleep 0.5
  done
}

# Waits until GET $2 answers 200, while process $3 (named $1, logging to $4) and the silo live; exits after 90 s.
await_http() {
  local name=$1 url=$2 pid=$3 log=$4 deadline=$((SECONDS + 90)) code=""
  while :; do
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$url" 2>/dev/null) || true
    [[ $code == 200 ]] && return 0
    alive "$pid" || died "$name" "$log"
    alive "$silo_pid" || died silo "$log_dir/silo.log"
    if ((SECONDS >= deadline)); then
      note "GET $url did not answer 200 within 90 s (last status: ${code:-none}); last lines of $log:"
      tail -n 40 -- "$log" >&2 || true
      exit 1
    fi
    sleep 0.5
  done
}

start_api() {
  note "starting the API on $api_url"
  ASPNETCORE_ENVIRONMENT=Development start_app api "$api_dll" --urls "$api_url"
  api_pid=$app_pid
  await_http API "$api_url/health/ready" "$api_pid" "$log_dir/api.log"
}

start_console() {
  note "starting the console on $console_url"
  # Development: the development users and the API's development keys (console/OneThing.Console/appsettings.Development.json).
  ASPNETCORE_ENVIRONMENT=Development OneThing__Console__ApiUrl=$api_url start_app console "$console_dll" --urls "$console_url"
  console_pid=$app_pid
  await_http console "$console_url/sign-in" "$console_pid" "$log_dir/console.log"
}

# Prints the console's development users (from its development settings; each password is '<user name>-dev-password').
print_console_users() {
  local file=$repo_root/$console_dev_settings
  if [[ ! -f $file ]] || ! command -v python3 >/dev/null 2>&1; then
    note "  (see OneThing:Console:Users in $console_dev_settings; each password is '<user name>-dev-password')"
    return 0
  fi
  note "  development users (from $console_dev_settings):"
  python3 - "$file" <<'PY' >&2 || note "  (could not read $console_dev_settings)"
import json, sys
with open(sys.argv[1], encoding="utf-8-sig") as f:
    users = json.load(f)["OneThing"]["Console"]["Users"]
rows = [("USER", "PASSWORD", "ROLE", "DEPARTMENT")] + [
    (u["UserName"], u["UserName"] + "-dev-password", u["Role"], u.get("Department") or "") for u in users]
widths = [max(len(r[i]) for r in rows) for i in range(4)]
for r in rows:
    print("[onething]    " + "  ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip())
PY
}

# Prints the keys of OneThing:Auth:Keys from the development settings (read, never copied here, so
# the script cannot drift from the file). .NET allows comments and trailing commas in appsettings.
print_dev_keys() {
  local file=$repo_root/$dev_settings
  if [[ ! -f $file ]]; then
    note "  (no $dev_settings, so no development keys to show)"
    return 0
  fi
  note "  development keys (from $dev_settings, send as 'Authorization: Bearer <key>'):"
  if command -v python3 >/dev/null 2>&1; then
    python3 - "$file" <<'PY' >&2 || note "  (could not read $dev_settings)"
import json, sys

def strip_jsonc(text):
    """Drops // and /* */ comments and trailing commas outside strings."""
    out, i, n, in_str = [], 0, len(text), False
    while i < n:
        c = text[i]
        if in_str:
            out.append(c)
            if c == "\\" and i + 1 < n:
                out.append(text[i + 1]); i += 2; continue
            if c == '"':
                in_str = False
            i += 1; continue
        if c == '"':
            in_str = True
        elif text.startswith("//", i):
            j = text.find("\n", i); i = n if j < 0 else j; continue
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2); i = n if j < 0 else j + 2; continue
        elif c == ",":
            j = i + 1
            while j < n and text[j] in " \t\r\n":
                j += 1
            if j < n and text[j] in "]}":
                i += 1; continue
        out.append(c); i += 1
    return "".join(out)

def get(obj, name):  # configuration keys are case-insensitive
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k.lower() == name.lower():
                return v
    return None

def entries(node):  # a JSON array, or an object indexed "0", "1", ... as configuration allows
    if isinstance(node, list):
        return node
    if isinstance(node, dict):
        return list(node.values())
    return []

with open(sys.argv[1], encoding="utf-8-sig") as f:
    settings = json.loads(strip_jsonc(f.read()))
keys = [e for e in entries(get(get(get(settings, "OneThing"), "Auth"), "Keys")) if isinstance(e, dict)]
if not keys:
    print("[onething]    (none under OneThing:Auth:Keys)")
rows = [("KEY", "ROLE", "DEPARTMENT")] + [
    (str(get(e, "Key") or ""), str(get(e, "Role") or ""), str(get(e, "Department") or "")) for e in keys]
widths = [max(len(r[i]) for r in rows) for i in range(3)]
for r in rows if keys else []:
    print("[onething]    " + "  ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip())
PY
  elif command -v jq >/dev/null 2>&1; then
    # jq cannot read comments; fine for plain JSON files
    jq -r '(.OneThing // {}).Auth.Keys // [] | .[] | "[onething]    \(.Key)  \(.Role)  \(.Department // "")"' \
      "$file" >&2 || note "  (could not read $dev_settings; see OneThing:Auth:Keys there)"
  else
    note "  (install python3 or jq to list them here; see OneThing:Auth:Keys in $dev_settings)"
  fi
}

summary() {
  note "OneThing is running"
  note "  console:  $console_url (hall window /hall, workbench /workbench, ops /ops, progress page /progress)"
  note "  API:      $api_url"
  note "  OpenAPI:  $api_url/openapi/v1.json"
  note "  metrics:  $api_url/metrics (API), http://127.0.0.1:$silo_http_port/metrics (silo; health at /health/ready)"
  note "  dashboard: $api_url/dashboard (sign in with an ops key)"
  if [[ -n $pg_port ]]; then
    note "  database: 127.0.0.1:$pg_port/onething (data in $pg_data)"
  fi
  print_console_users
  print_dev_keys
  note "  logs:     $log_dir/silo.log"
  note "            $log_dir/api.log"
  note "            $log_dir/console.log"
  if [[ -n $pg_data ]]; then note "            $(pg_log_file "$pg_data")"; fi
  note "Press Ctrl-C to stop."
}

# Blocks until Ctrl-C/SIGTERM (handled by the traps) or until the silo, the API or the console ends by itself.
wait_for_exit() {
  local rc=0
  if ((BASH_VERSINFO[0] > 5 || (BASH_VERSINFO[0] == 5 && BASH_VERSINFO[1] >= 1))); then
    wait -n "$silo_pid" "$api_pid" "$console_pid" || rc=$?
  else
    wait "$api_pid" || rc=$?
  fi
  if ! alive "$console_pid"; then died "console (exit code $rc)" "$log_dir/console.log"; fi
  if ! alive "$api_pid"; then died "API (exit code $rc)" "$log_dir/api.log"; fi
  died "silo (exit code $rc)" "$log_dir/silo.log"
}

main() {
  cd "$repo_root"
  mkdir -p "$log_dir"
  export DOTNET_ENVIRONMENT=Development
  preflight
  start_postgres
  build
  start_silo
  start_api
  start_console
  summary
  wait_for_exit
}

main "$@"
