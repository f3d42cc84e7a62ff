#!/usr/bin/env bash
# A throwaway PostgreSQL from Debian's `postgresql` package, on a loopback port.
#
#   scripts/pg.sh start [--test]   start it (installs the package if absent); idempotent
#   scripts/pg.sh stop             stop it; idempotent
#   scripts/pg.sh status           exit 0 when it answers
#   scripts/pg.sh url              print the DATABASE_URL of the default database
#
# Environment: PG_PORT (default 54329), PG_DATA (default .pg/data under the repo, ignored by
# git), PG_DB (default latchkey). --test turns off fsync and synchronous commits: fine for
# tests, never for data that matters (the run command starts it without --test).
# PG_LISTEN (default 127.0.0.1): the addresses it listens on, comma-separated (always include
# 127.0.0.1: status and createdb use it); PG_TRUST_NET (default none): one CIDR whose clients
# connect without a password like loopback does (a private test network, e.g. the one of
# scripts/multihost-test.sh; never a network others can reach).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PG_PORT="${PG_PORT:-54329}"
PG_DATA="${PG_DATA:-$here/.pg/data}"
PG_DB="${PG_DB:-latchkey}"
PG_LISTEN="${PG_LISTEN:-127.0.0.1}"
PG_TRUST_NET="${PG_TRUST_NET:-}"
PG_SOCK="$(dirname "$PG_DATA")/sock"
PG_LOG="$(dirname "$PG_DATA")/postgres.log"

log() { echo "pg.sh: $*" >&2; }

find_bindir() {
  local d
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    [ -x "$d/initdb" ] && { echo "$d"; return 0; }
  done
  return 1
}

ensure_installed() {
  if ! find_bindir >/dev/null; then
    log "PostgreSQL server not found; installing Debian's postgresql package"
    if [ "$(id -u)" -ne 0 ]; then
      log "need root to install postgresql (run: sudo apt-get install -y postgresql)"; exit 1
    fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  fi
}

# run a command as the postgres user when we are root (initdb refuses root)
as_pg() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

is_up() {
  local bindir; bindir="$(find_bindir)" || return 1
  "$bindir/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" 2>/dev/null
}

start() {
  local test_mode="${1:-}"
  ensure_installed
  local bindir; bindir="$(find_bindir)"
  if is_up; then
    log "already running on 127.0.0.1:$PG_PORT"
  else
    mkdir -p "$PG_DATA" "$PG_SOCK"
    if [ "$(id -u)" -eq 0 ]; then chown -R postgres:postgres "$(dirname "$PG_DATA")"; chmod 700 "$PG_DATA"; fi
    # the postgres user must be able to reach the folder through its parents
    if [ "$(id -u)" -eq 0 ]; then
      local p; p="$(dirname "$PG_DATA")"
      while [ "$p" != "/" ]; do chmod o+x "$p" 2>/dev/null || true; p="$(dirname "$p")"; done
    fi
    if [ ! -f "$PG_DATA/PG_VERSION" ]; then
      as_pg "$bindir/initdb" -D "$PG_DATA" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
    fi
    if [ -n "$PG_TRUST_NET" ] && ! grep -q "^host all all $PG_TRUST_NET trust" "$PG_DATA/pg_hba.conf"; then
      echo "host all all $PG_TRUST_NET trust" >>"$PG_DATA/pg_hba.conf"
    fi
    local opts="-c listen_addresses=$PG_LISTEN -p $PG_PORT -k $PG_SOCK -c max_connections=300"
    if [ "$test_mode" = "--test" ]; then
      opts="$opts -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    fi
    as_pg "$bindir/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -o "$opts" -w -t 30 start >/dev/null
    log "started on $PG_LISTEN port $PG_PORT (data $PG_DATA)"
  fi
  if ! as_pg "$bindir/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='$PG_DB'" | grep -q 1; then
    as_pg "$bindir/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres "$PG_DB"
  fi
}

stop() {
  local bindir; bindir="$(find_bindir)" || { log "not installed"; return 0; }
  if [ -f "$PG_DATA/postmaster.pid" ]; then
    as_pg "$bindir/pg_ctl" -D "$PG_DATA" -m fast -w -t 30 stop >/dev/null || true
    log "stopped"
  else
    log "not running"
  fi
}

case "${1:-}" in
  start) start "${2:-}" ;;
  stop) stop ;;
  status) is_up ;;
  url) echo "postgresql://postgres@127.0.0.1:$PG_PORT/$PG_DB" ;;
  *) echo "usage: $0 start [--test] | stop | status | url" >&2; exit 2 ;;
esac
