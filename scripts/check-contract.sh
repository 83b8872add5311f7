#!/usr/bin/env bash
# Drives lifecycles through a validating proxy built from the API's own OpenAPI document, as an integrator's gateway
# would: Stoplight Prism in proxy mode with --errors refuses any request or answer the document does not describe.
# Runs against a system that is up (scripts/run.sh); Node and npm fetch Prism (pinned below) on first use.
#
#   scripts/check-contract.sh                                  # the API at http://127.0.0.1:5080, 15 s, 2 users
#   scripts/check-contract.sh --api http://10.0.0.5:5080 --seconds 60
#
# The load is the benchmark's lifecycle (bench/README.md): submit, citizen reads, every department's inbox, accept and
# complete, with a receiver subscribed to every event through the proxy (the API must allow http receivers, as
# development does: OneThing:Webhooks:AllowInsecureUrls). Exit code 0 when every exchange matched the document.
set -euo pipefail

repo_root=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)
# shellcheck source=scripts/lib/postgres.sh
source "$repo_root/scripts/lib/postgres.sh"
# shellcheck source=scripts/lib/processes.sh
source "$repo_root/scripts/lib/processes.sh"

note() { printf '[onething] %s\n' "$*" >&2; }

prism_package=@stoplight/prism-cli@5.16.0
api=http://127.0.0.1:5080
seconds=15
while (($# > 0)); do
  case $1 in
    --api) api=${2%/}; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    *) note "unknown option $1 (known: --api URL, --seconds N)"; exit 2 ;;
  esac
done

work=$(mktemp -d)
prism_pid=""
cleanup() {
  stop_group prism "$prism_pid"
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

bench_dll=$repo_root/bench/OneThing.Bench/bin/Release/net10.0/OneThing.Bench.dll
if [[ ! -f $bench_dll ]]; then
  note "building the benchmark (Release)"
  dotnet build "$repo_root/bench/OneThing.Bench" -c Release -v quiet -nologo >/dev/null
fi

if ! curl -sf -o "$work/openapi.json" "$api/openapi/v1.json"; then
  note "no OpenAPI document at $api/openapi/v1.json: is the system running (scripts/run.sh)?"
  exit 1
fi

port=$(pg_free_port)
note "starting $prism_package as a validating proxy on 127.0.0.1:$port in front of $api"
setsid npx --yes "$prism_package" proxy --errors --host 127.0.0.1 --port "$port" "$work/openapi.json" "$api" >"$work/prism.log" 2>&1 &
prism_pid=$!
deadline=$((SECONDS + 180))
until listening "$port"; do
  if ! alive "$prism_pid" || ((SECONDS > deadline)); then
    note "Prism did not start; its log:"
    cat "$work/prism.log" >&2
    exit 1
  fi
  sleep 0.5
done

note "driving lifecycles through the proxy for $seconds s"
rc=0
(cd "$repo_root" && dotnet "$bench_dll" lifecycle --api "http://127.0.0.1:$port" --concurrency 2 --seconds "$seconds" \
  --warmup 0 --reads 1 --webhook on --results "$work/results") || rc=$?

# Prism colours its log; its refusals are the lines naming a violation with severity error.
violations=$(sed 's/\x1b\[[0-9;]*m//g' "$work/prism.log" | grep -E 'error +Violation' | sed -E 's/^\[[^]]*\] *› *//' | sort | uniq -c || true)
if [[ -n $violations ]]; then
  note "exchanges the document does not describe:"
  printf '%s\n' "$violations" >&2
  exit 1
fi
if ((rc != 0)); then
  note "the lifecycle run failed (exit $rc); see its output above"
  exit "$rc"
fi
note "every exchange matched the document"
