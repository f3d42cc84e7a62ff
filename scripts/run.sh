#!/usr/bin/env bash
# Runs Latchkey locally: PostgreSQL, then the user service (8081), then the auth service (8082),
# one cluster, in the foreground. Ctrl-C or SIGTERM stops everything this script started: the
# services gracefully (readiness DOWN, drain, leave the cluster), then PostgreSQL.
#
#   ./scripts/run.sh            the two services on 8081 and 8082
#   ./scripts/run.sh --nginx    and nginx in front of them (user 127.0.0.1:8091, auth :8092),
#                               the balancer scripts/scale.sh also feeds (docs/OPERATING.md)
#
# Builds the jar first when it is missing or older than the sources. Logs: .run/logs/<role>.log.
# Environment (all optional):
#   API_KEYS, API_KEYS_VALIDATE, API_KEY  internal keys (without API_KEYS: the development key)
#   DATABASE_URL        default: the PostgreSQL this script starts (scripts/pg.sh url)
#   USER_HTTP_PORT, AUTH_HTTP_PORT        default 8081, 8082
#   LATCHKEY_HEAP       maximum heap of each service process (-Xmx), default 256m
#   LATCHKEY_JAVA_OPTS  extra JVM options of both services, split on spaces
#   LATCHKEY_CDS        0: no AppCDS archive (default: one training start per role after each
#                       build makes one, launcher/target/cds/; later starts are ~40 % faster)
#   LATCHKEY_INSTANCES  verticle instances per service, default: the number of cores
#   LATCHKEY_START_WAIT seconds to wait for each service to be ready, default 120
#   LATCHKEY_KEYS_DIR   where development JWT keys live (generated when empty), default .run/keys
# and every variable of the README's configuration table, passed through to the services.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
LK_ROOT="$here"
LK_NAME="run.sh"
LK_RUN="${LATCHKEY_RUN_DIR:-$here/.run}"
# shellcheck source=lib/latchkey.sh
. "$here/scripts/lib/latchkey.sh"

with_nginx=0
for arg in "$@"; do
  case "$arg" in
    --nginx) with_nginx=1 ;;
    *) echo "usage: $0 [--nginx]" >&2; exit 2 ;;
  esac
done

JAR="$here/launcher/target/latchkey.jar"
LOG_DIR="$LK_RUN/logs"
KEYS_DIR="${LATCHKEY_KEYS_DIR:-$here/.run/keys}"
HEAP="${LATCHKEY_HEAP:-256m}"
START_WAIT="${LATCHKEY_START_WAIT:-120}"
export USER_HTTP_PORT="${USER_HTTP_PORT:-8081}"
export AUTH_HTTP_PORT="${AUTH_HTTP_PORT:-8082}"

log() { echo "run.sh: $*" >&2; }
die() { log "$*"; exit 1; }

command -v java >/dev/null || die "java not found: install a JDK 17 (Debian: apt-get install openjdk-17-jdk-headless)"

# GET http://127.0.0.1:<port><path> answers 200 (curl when present, else bash's /dev/tcp)
http_ok() {
  local port="$1" path="$2"
  if command -v curl >/dev/null; then
    curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$port$path" 2>/dev/null
    return
  fi
  local status
  exec 3<>"/dev/tcp/127.0.0.1/$port" 2>/dev/null || return 1
  printf 'GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' "$path" >&3
  read -r -t 2 _ status _ <&3 || status=""
  exec 3>&- 3<&-
  [ "$status" = "200" ]
}

lk_build_if_needed

pids=()
roles=()
pg_started=0
nginx_started=0

stop_all() {
  trap '' INT TERM
  lk_cds_abort
  local i pid waited
  rm -f "$(lk_pidfile user "$USER_HTTP_PORT")" "$(lk_pidfile auth "$AUTH_HTTP_PORT")"
  if [ "$nginx_started" = 1 ]; then
    lk_nginx_stop || true
    nginx_started=0
  fi
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    pid="${pids[$i]}"
    if kill -0 "$pid" 2>/dev/null; then
      log "stopping the ${roles[$i]} service (pid $pid)"
      kill -TERM "$pid" 2>/dev/null || true
    fi
  done
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    pid="${pids[$i]}"
    waited=0
    while kill -0 "$pid" 2>/dev/null && [ "$waited" -lt 400 ]; do sleep 0.1; waited=$((waited + 1)); done
    if kill -0 "$pid" 2>/dev/null; then
      log "the ${roles[$i]} service did not stop within 40 s; killing it"
      kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
  done
  pids=()
  if [ "$pg_started" = 1 ]; then
    "$here/scripts/pg.sh" stop || true
    pg_started=0
  fi
}

on_signal() {
  log "stopping everything this script started"
  stop_all
  exit 0
}
trap on_signal INT TERM
trap 'stop_all' EXIT

if "$here/scripts/pg.sh" status; then
  log "PostgreSQL already answers on its port; using it (and leaving it running)"
else
  "$here/scripts/pg.sh" start
  pg_started=1
fi
export DATABASE_URL="${DATABASE_URL:-$("$here/scripts/pg.sh" url)}"

mkdir -p "$LOG_DIR"
if [ -z "$(ls -A "$KEYS_DIR" 2>/dev/null)" ]; then
  log "generating development JWT keys in $KEYS_DIR"
  java -jar "$JAR" keygen "$KEYS_DIR" >/dev/null || die "could not generate development JWT keys"
fi
export JWT_KEYS_DIR="${JWT_KEYS_DIR:-$KEYS_DIR}"

# start_service <role> <port>: starts it in the background, returns once /health/ready says 200
start_service() {
  local role="$1" port="$2" logfile="$LOG_DIR/$1.log" pid waited=0 flags
  lk_cds_prepare "$role"
  mapfile -t flags < <(lk_java_flags "$role")
  log "starting the $role service on port $port (heap $HEAP$(lk_cds_archive "$role" >/dev/null && echo ', AppCDS'), log $logfile)"
  java "${flags[@]}" -jar "$JAR" run --role "$role" >"$logfile" 2>&1 &
  pid=$!
  pids+=("$pid")
  roles+=("$role")
  # a pid file like scale.sh's: `scripts/scale.sh status` lists the node, nginx's upstream list includes it
  mkdir -p "$LK_RUN/nodes"
  echo "$pid" >"$(lk_pidfile "$role" "$port")"
  until http_ok "$port" /health/ready; do
    if ! kill -0 "$pid" 2>/dev/null; then
      log "the $role service exited during its start; the end of $logfile:"
      tail -n 15 "$logfile" >&2
      exit 1
    fi
    if [ "$waited" -ge $((START_WAIT * 2)) ]; then
      log "the $role service was not ready within ${START_WAIT} s; the end of $logfile:"
      tail -n 15 "$logfile" >&2
      exit 1
    fi
    sleep 0.5
    waited=$((waited + 1))
  done
  log "the $role service is ready"
}

# one after another: nodes started at the same instant can form separate clusters
start_service user "$USER_HTTP_PORT"
start_service auth "$AUTH_HTTP_PORT"

nginx_line=""
if [ "$with_nginx" = 1 ]; then
  # an nginx that scale.sh started before is reloaded and left running on exit
  lk_nginx_pid >/dev/null || nginx_started=1
  lk_nginx_start
  nginx_line="  balancer       user http://127.0.0.1:${NGINX_USER_PORT:-8091}, auth http://127.0.0.1:${NGINX_AUTH_PORT:-8092} (nginx, .run/nginx)"
fi

if [ -n "${API_KEYS:-}" ]; then
  key_line="API_KEYS from the environment"
else
  key_line="dev-internal-key-change-me (the development key; set API_KEYS to use your own)"
fi
cat <<INFO

Latchkey is running. Ctrl-C stops it.
  user service   http://127.0.0.1:$USER_HTTP_PORT    log .run/logs/user.log
  auth service   http://127.0.0.1:$AUTH_HTTP_PORT    log .run/logs/auth.log
  PostgreSQL     $DATABASE_URL
  internal key   $key_line
$nginx_line

  curl -i http://127.0.0.1:$USER_HTTP_PORT/health/ready
  curl -i -X POST http://127.0.0.1:$USER_HTTP_PORT/users -H 'Content-Type: application/json' \\
       -d '{"username":"alice","email":"alice@example.com","password":"a long passphrase 42"}'

INFO

# stay in the foreground until a signal, or until a service exits on its own
set +e
wait -n "${pids[@]}"
status=$?
set -e
for i in "${!pids[@]}"; do
  if ! kill -0 "${pids[$i]}" 2>/dev/null; then
    log "the ${roles[$i]} service exited (status $status); the end of $LOG_DIR/${roles[$i]}.log:"
    tail -n 15 "$LOG_DIR/${roles[$i]}.log" >&2
  fi
done
stop_all
exit 1
