#!/usr/bin/env bash
# A PostgreSQL primary and a synchronous streaming standby on this machine, to try and measure a database failover.
#
#   scripts/pg-pair.sh up        # primary and standby, each on a free port; prints the multi-host connection string
#   scripts/pg-pair.sh status    # which node is primary, replication state
#   scripts/pg-pair.sh failover  # SIGKILL the primary's postmaster, promote the standby; prints how long it took
#   scripts/pg-pair.sh down      # stop both and remove their data
#
# The pair lives in $ONETHING_PG_PAIR_DIR (default /var/tmp/onething-pg-pair). Every commit is acknowledged only once
# the standby has it (synchronous_standby_names, synchronous_commit=on), so a promoted standby holds every write a
# client was told succeeded. After `failover` the old primary is gone and the new one has no standby: it does not wait
# for one (its synchronous_standby_names is empty), and a new standby is made from it as `up` does (docs/operations.md).
# shellcheck disable=SC2317
set -euo pipefail

repo_root=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)
# shellcheck source=scripts/lib/postgres.sh
source "$repo_root/scripts/lib/postgres.sh"

note() { printf '[onething] %s\n' "$*" >&2; }

pair_dir=${ONETHING_PG_PAIR_DIR:-/var/tmp/onething-pg-pair}
primary=$pair_dir/primary
standby=$pair_dir/standby
ports_file=$pair_dir/ports

# Written into each node's data folder and included from postgresql.conf (onething.conf is rewritten on every start).
write_pair_conf() {
  local datadir=$1 synchronous=$2
  {
    echo "# Written by scripts/pg-pair.sh."
    echo "wal_level = replica"
    echo "max_wal_senders = 10"
    echo "wal_keep_size = '256MB'"
    echo "hot_standby = on"
    echo "synchronous_commit = on"
    echo "synchronous_standby_names = '$synchronous'"
    # A standby that stops answering is noticed within seconds, not TCP's minutes.
    echo "wal_sender_timeout = '5s'"
    echo "wal_receiver_timeout = '5s'"
  } >"$datadir/pair.conf"
  if ! grep -q "pair.conf" "$datadir/postgresql.conf"; then
    printf "include_if_exists = 'pair.conf'\n" >>"$datadir/postgresql.conf"
  fi
  if _pg_is_root; then chown postgres:postgres -- "$datadir/pair.conf" "$datadir/postgresql.conf"; fi
}

read_ports() {
  [[ -f $ports_file ]] || { note "no pair in $pair_dir; run: scripts/pg-pair.sh up"; exit 1; }
  read -r primary_port standby_port <"$ports_file"
}

connection_string() {
  # Host Recheck Seconds=1: Npgsql remembers a host it found down or standby for this long (10 s by default); after a
  # promotion the standby must be tried again at once.
  printf 'Host=127.0.0.1:%s,127.0.0.1:%s;Target Session Attributes=primary;Host Recheck Seconds=1;Username=postgres;Database=onething\n' \
    "$primary_port" "$standby_port"
}

up() {
  pg_find_bin
  if [[ -f $ports_file ]]; then
    note "a pair already exists in $pair_dir (scripts/pg-pair.sh down removes it)"
    exit 1
  fi
  mkdir -p -- "$pair_dir"
  if _pg_is_root; then chown postgres:postgres -- "$pair_dir"; fi
  primary_port=$(pg_free_port)
  standby_port=$(pg_free_port)
  while [[ $standby_port == "$primary_port" ]]; do standby_port=$(pg_free_port); done

  # Created and started once to get a cluster, then restarted with replication settings (they need a restart).
  pg_start "$primary" "$primary_port"
  write_pair_conf "$primary" standby
  pg_stop "$primary"
  pg_start "$primary" "$primary_port"

  mkdir -p -- "$standby" "$(pg_run_dir "$standby")"
  if _pg_is_root; then chown postgres:postgres -- "$standby" "$(pg_run_dir "$standby")"; fi
  chmod 700 "$standby"
  _pg_srv "$PG_BIN/pg_basebackup" -h 127.0.0.1 -p "$primary_port" -U postgres -D "$standby" -X stream -c fast \
    -R -d "application_name=standby"
  # Promoted, the standby must not wait for a standby of its own.
  write_pair_conf "$standby" ""
  pg_start "$standby" "$standby_port"
  echo "$primary_port $standby_port" >"$ports_file"

  # Proves the pair before it is used: a commit on the primary returns only once the standby has it.
  # (A standby that has just connected streams asynchronously until it has caught up.)
  local state="" deadline=$((SECONDS + 30))
  until [[ $state == "standby sync" ]]; do
    if ((SECONDS >= deadline)); then
      note "the standby did not become synchronous within 30 s (${state:-not connected})"
      exit 1
    fi
    sleep 0.2
    state=$(pg_psql "$primary_port" -At -c "SELECT application_name || ' ' || sync_state FROM pg_stat_replication")
  done
  pg_create_db "$primary_port" onething
  note "primary on 127.0.0.1:$primary_port, synchronous standby on 127.0.0.1:$standby_port, data in $pair_dir"
  connection_string
}

status() {
  read_ports
  local port role
  for port in "$primary_port" "$standby_port"; do
    if role=$(pg_psql "$port" -At -c "SELECT CASE WHEN pg_is_in_recovery() THEN 'standby' ELSE 'primary' END" 2>/dev/null); then
      printf '127.0.0.1:%s %s\n' "$port" "$role"
    else
      printf '127.0.0.1:%s down\n' "$port"
    fi
  done
  pg_psql "$primary_port" -At -c "SELECT 'replicating to ' || application_name || ' (' || sync_state || ')' FROM pg_stat_replication" 2>/dev/null || true
}

failover() {
  read_ports
  pg_find_bin
  local pid started promoted
  pid=$(head -n 1 -- "$primary/postmaster.pid")
  started=$(date +%s%N)
  # SIGKILL: no shutdown checkpoint, no goodbye to the standby, as when the host dies.
  kill -KILL "$pid"
  _pg_srv "$PG_BIN/pg_ctl" promote -D "$standby" -w -t 30 -s
  promoted=$(date +%s%N)
  note "primary (pid $pid, port $primary_port) killed; standby on port $standby_port promoted in $(((promoted - started) / 1000000)) ms"
}

down() {
  [[ -d $pair_dir ]] || return 0
  pg_stop "$standby" || true
  pg_stop "$primary" || true
  rm -rf -- "$pair_dir"
}

case ${1:-} in
  up) up ;;
  status) status ;;
  failover) failover ;;
  down) down ;;
  connection-string) read_ports && connection_string ;;
  *)
    echo "usage: scripts/pg-pair.sh up|status|failover|down|connection-string" >&2
    exit 2
    ;;
esac
