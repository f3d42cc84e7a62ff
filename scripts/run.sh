#!/usr/bin/env bash
# Runs Latchkey locally: a development mail server (unless SMTP_HOST is set), PostgreSQL, then the
# user service (8081), then the auth service (8082), one cluster, in the foreground. Ctrl-C or
# SIGTERM stops everything this script started: the services gracefully (readiness DOWN, drain,
# leave the cluster), the mail server, then PostgreSQL.
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
#   PUBLIC_URL          the auth service's public URL and its tokens' issuer, default
#                       http://127.0.0.1:$AUTH_HTTP_PORT (with --nginx: nginx's auth URL); the
#                       account page is $PUBLIC_URL/account/, so unless set, CORS_ALLOWED_ORIGINS
#                       and WEBAUTHN_ORIGINS are its origin, WEBAUTHN_RP_ID its host, the mail
#                       links (PASSWORD_RESET_URL, EMAIL_VERIFY_URL) point at the page and
#                       USER_SERVICE_PUBLIC_URL is the user service (with --nginx: nginx's user URL)
#   LATCHKEY_HEAP       maximum heap of each service process (-Xmx), default 256m
#   LATCHKEY_JAVA_OPTS  extra JVM options of both services, split on spaces
#   LATCHKEY_CDS        0: no AppCDS archive (default: one training start per role after each
#                       build makes one, launcher/target/cds/; later starts are ~40 % faster)
#   LATCHKEY_INSTANCES  verticle instances per service, default: the number of cores
#   LATCHKEY_START_WAIT seconds to wait for each service to be ready, default 120
#   LATCHKEY_KEYS_DIR   where development JWT keys live (generated when empty), default .run/keys
#   SMTP_HOST           an SMTP server of your own: the services send through it (with SMTP_PORT,
#                       SMTP_USERNAME, SMTP_PASSWORD, SMTP_STARTTLS, MAIL_FROM) and no development
#                       mail server starts. Without it: maildev (pinned in scripts/devmail, installed
#                       on first use into .tools/devmail; needs Node.js 20+ and npm) on 127.0.0.1,
#                       mail kept in .run/mail, read at its web page or its API (/api/email)
#   DEV_MAIL_SMTP_PORT, DEV_MAIL_WEB_PORT  its SMTP and web/API ports, default 1025, 1080
# and every variable of the README's configuration table, passed through to the services.
set -euo pipefail

# shellcheck source=lib/latchkey.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/latchkey.sh"   # LK_ROOT: the repository; LK_RUN: LATCHKEY_RUN_DIR or .run
here="$LK_ROOT"
cd "$here"

with_nginx=0
for arg in "$@"; do
  case "$arg" in
    --nginx) with_nginx=1 ;;
    *) echo "usage: $0 [--nginx]" >&2; exit 2 ;;
  esac
done

LOG_DIR="$LK_RUN/logs"
KEYS_DIR="${LATCHKEY_KEYS_DIR:-$here/.run/keys}"
START_WAIT="${LATCHKEY_START_WAIT:-120}"
export USER_HTTP_PORT="${USER_HTTP_PORT:-8081}"
export AUTH_HTTP_PORT="${AUTH_HTTP_PORT:-8082}"
# the auth service's public URL, and so its tokens' issuer: where clients reach it (with --nginx the
# balancer, as scale.sh's nodes have it, since every auth node of a cluster needs the same one)
if [ "$with_nginx" = 1 ]; then
  export PUBLIC_URL="${PUBLIC_URL:-$(lk_balancer_url auth)}"
  lk_account_page_env "$(lk_balancer_url user)"
else
  export PUBLIC_URL="${PUBLIC_URL:-http://127.0.0.1:$AUTH_HTTP_PORT}"
  lk_account_page_env "http://127.0.0.1:$USER_HTTP_PORT"
fi

lk_require java
lk_build_if_needed

# the nodes started: pids[i], named whats[i] in messages, logging to logs[i]
pids=()
whats=()
logs=()
pg_started=0
nginx_started=0
LK_DEVMAIL_PID=""

stop_all() {
  trap '' INT TERM
  lk_cds_abort
  local i stops=()
  rm -f "$(lk_pidfile user "$USER_HTTP_PORT")" "$(lk_pidfile auth "$AUTH_HTTP_PORT")"
  if [ "$nginx_started" = 1 ]; then
    lk_nginx_stop || true
    nginx_started=0
  fi
  # the last started first
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do stops+=("${whats[$i]}" "${pids[$i]}"); done
  lk_stop_processes 40 TERM "${stops[@]}"
  pids=()
  # the development mail server (stopped above with the rest, or here when a signal came during its start)
  if [ -n "$LK_DEVMAIL_PID" ]; then
    lk_stop_processes 10 TERM "the development mail server" "$LK_DEVMAIL_PID"
    rm -f "$LK_RUN/devmail.pid"
    LK_DEVMAIL_PID=""
  fi
  if [ "$pg_started" = 1 ]; then
    "$here/scripts/pg.sh" stop || true
    pg_started=0
  fi
}

on_signal() {
  lk_log "stopping everything this script started"
  stop_all
  exit 0
}
trap on_signal INT TERM
trap 'stop_all' EXIT

# Mail: an SMTP server from the environment, or the development mail server, started first (a
# missing Node.js or a taken port stops the script before anything else runs). It is pids[0]:
# stopped with the services, and its exit ends the run like a service's.
if [ -n "${SMTP_HOST:-}" ]; then
  lk_log "SMTP_HOST is set: the services send mail through $SMTP_HOST; no development mail server"
  mail_line="  mail           SMTP $SMTP_HOST${SMTP_PORT:+:$SMTP_PORT} (SMTP_HOST from the environment)"
else
  DEV_MAIL_SMTP_PORT="${DEV_MAIL_SMTP_PORT:-1025}"
  DEV_MAIL_WEB_PORT="${DEV_MAIL_WEB_PORT:-1080}"
  lk_devmail_start "$DEV_MAIL_SMTP_PORT" "$DEV_MAIL_WEB_PORT" "$LK_RUN/mail" "$LOG_DIR/mail.log"
  pids+=("$LK_DEVMAIL_PID")
  whats+=("the development mail server")
  logs+=("$LOG_DIR/mail.log")
  lk_log "the development mail server is ready"
  for var in SMTP_USERNAME SMTP_PASSWORD; do
    [ -z "${!var:-}" ] || lk_log "ignoring $var: it belongs to an SMTP_HOST, and the development mail server takes no login"
    unset "$var"
  done
  [ -z "${SMTP_PORT:-}" ] || lk_log "ignoring SMTP_PORT without SMTP_HOST: the services use the development mail server"
  export SMTP_HOST=127.0.0.1 SMTP_PORT="$DEV_MAIL_SMTP_PORT" SMTP_STARTTLS=off
  export MAIL_FROM="${MAIL_FROM:-no-reply@latchkey.localhost}"
  mail_line="  mail (dev)     web http://127.0.0.1:$DEV_MAIL_WEB_PORT    API http://127.0.0.1:$DEV_MAIL_WEB_PORT/api/email    SMTP 127.0.0.1:$DEV_MAIL_SMTP_PORT (log ${LOG_DIR#"$here"/}/mail.log)"
fi

if "$here/scripts/pg.sh" status; then
  lk_log "PostgreSQL already answers on its port; using it (and leaving it running)"
else
  "$here/scripts/pg.sh" start
  pg_started=1
fi
export DATABASE_URL="${DATABASE_URL:-$("$here/scripts/pg.sh" url)}"

lk_ensure_keys "$KEYS_DIR"
export JWT_KEYS_DIR="${JWT_KEYS_DIR:-$KEYS_DIR}"

# start_service <role> <port>: starts it in the background (with a pid file like scale.sh's:
# `scripts/scale.sh status` lists the node, nginx's upstream list includes it), returns once
# /health/ready says 200
start_service() {
  local role="$1" port="$2" log="$LOG_DIR/$1.log"
  lk_spawn_node "$role" "$port" "$log"
  pids+=("$LK_NODE_PID")
  whats+=("the $role node on port $port")
  logs+=("$log")
  lk_await_ready "the $role node on port $port" "$port" "$LK_NODE_PID" "$log" "$START_WAIT" || exit 1
  lk_log "the $role node on port $port is ready"
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
  issuer         $PUBLIC_URL   (discovery: $PUBLIC_URL/.well-known/openid-configuration)
  account page   $LK_ACCOUNT_PAGE_URL
  PostgreSQL     $DATABASE_URL
  internal key   $key_line
$mail_line
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
    lk_log_tail "${whats[$i]} exited (status $status)" "${logs[$i]}"
  fi
done
stop_all
exit 1
