#!/usr/bin/env bash
# Operator script: runs N processes of a role on this host, on consecutive ports, each joining
# the cluster one after another, with nginx (optional) spreading traffic over the ready ones.
#
#   scripts/scale.sh <user|auth> <N>      bring the role to N nodes on this host (0..10): new
#                                         nodes start one after another, each once the previous
#                                         one is ready, then join nginx's list; surplus nodes
#                                         (highest ports first) leave nginx's list, then drain
#   scripts/scale.sh stop <user|auth|all> [port...]
#                                         stop the given nodes (default: every node of the role)
#                                         gracefully: out of nginx, reload, then SIGTERM (the node
#                                         turns readiness DOWN, drains, leaves the cluster)
#   scripts/scale.sh status               role, pid, port, readiness, cluster size of each node
#   scripts/scale.sh nginx start|stop|reload
#                                         the balancer (its own instance under .run/nginx)
#
# Ports: user nodes from SCALE_USER_PORT (default 8110), auth nodes from SCALE_AUTH_PORT
# (default 8120), ten each; nginx listens on NGINX_LISTEN_HOST (127.0.0.1) ports
# NGINX_USER_PORT (8091) and NGINX_AUTH_PORT (8092). None clashes with run.sh (8081, 8082) or
# the benchmark (18080-18082). Pid files: .run/nodes/<role>-<port>.pid, logs
# .run/logs/<role>-<port>.log (LATCHKEY_RUN_DIR moves .run elsewhere).
#
# PUBLIC_URL (the auth nodes' public URL, hence their tokens' issuer) defaults to nginx's auth URL:
# every auth node of a cluster needs the same one. The account page's settings follow from it
# (CORS_ALLOWED_ORIGINS, WEBAUTHN_*, the mail links, USER_SERVICE_PUBLIC_URL = nginx's user URL;
# lk_account_page_env in scripts/lib/latchkey.sh) unless set. Every other variable (DATABASE_URL, API_KEYS, HAZELCAST_*, EVENTBUS_TLS_*, BCRYPT_COST,
# LATCHKEY_INSTANCES, ...) passes through to the nodes; see README "Configuration" and
# docs/OPERATING.md. Without DATABASE_URL the nodes use scripts/pg.sh's PostgreSQL (started
# when it does not answer, and left running). Nodes run in their own session: they keep running
# after this script returns; `scale.sh stop all` stops them.
set -euo pipefail

# shellcheck source=lib/latchkey.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/latchkey.sh"   # LK_ROOT: the repository; LK_RUN: LATCHKEY_RUN_DIR or .run

USER_BASE="${SCALE_USER_PORT:-8110}"
AUTH_BASE="${SCALE_AUTH_PORT:-8120}"
MAX_NODES=10

usage() {
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | grep '^#' | sed 's/^# \{0,1\}//' >&2
  exit 2
}

base_port() {
  case "$1" in
    user) echo "$USER_BASE" ;;
    auth) echo "$AUTH_BASE" ;;
    *) lk_log "unknown role '$1' (expected user or auth)"; exit 2 ;;
  esac
}

# ports of this script's range for a role that run a node
managed_ports() {
  local role="$1" base port
  base="$(base_port "$role")"
  for port in $(lk_node_ports "$role"); do
    if [ "$port" -ge "$base" ] && [ "$port" -lt $((base + MAX_NODES)) ]; then echo "$port"; fi
  done
}

prepare_environment() {
  lk_require java curl
  lk_build_if_needed missing-only
  if [ -z "${DATABASE_URL:-}" ]; then
    "$LK_ROOT/scripts/pg.sh" status || "$LK_ROOT/scripts/pg.sh" start
    export DATABASE_URL; DATABASE_URL="$("$LK_ROOT/scripts/pg.sh" url)"
  fi
  # every auth node must share one issuer (tokens name it, every node checks it): the balancer's URL
  export PUBLIC_URL="${PUBLIC_URL:-$(lk_balancer_url auth)}"
  # the account page comes through the auth balancer and calls the user service through its own
  lk_account_page_env "$(lk_balancer_url user)"
  local keys="${LATCHKEY_KEYS_DIR:-$LK_RUN/keys}"
  if [ -z "${JWT_PRIVATE_KEY_FILE:-}" ]; then
    export JWT_KEYS_DIR="${JWT_KEYS_DIR:-$keys}"
    lk_ensure_keys "$JWT_KEYS_DIR"
  fi
}

# stop_nodes <role> <port>...: out of nginx first (reload applied), then the graceful stop, one by one
stop_nodes() {
  local role="$1"; shift
  local port exclude=()
  [ "$#" -gt 0 ] || return 0
  for port in "$@"; do exclude+=("$role" "$port"); done
  lk_nginx_reload "${exclude[@]}"
  for port in "$@"; do lk_stop_node "$role" "$port"; done
  lk_nginx_reload
}

scale_to() {
  local role="$1" target="$2" base current port started=0
  [[ "$target" =~ ^[0-9]+$ ]] && [ "$target" -le "$MAX_NODES" ] || { lk_log "N must be 0..$MAX_NODES, not '$target'"; exit 2; }
  base="$(base_port "$role")"
  current="$(managed_ports "$role" | wc -l)"
  if [ "$current" -lt "$target" ]; then
    prepare_environment
    for ((port = base; port < base + MAX_NODES && current < target; port++)); do
      lk_node_pid "$role" "$port" >/dev/null && continue
      lk_start_node "$role" "$port" || lk_die "scaling $role stopped at $current node(s)"
      lk_nginx_reload
      current=$((current + 1)); started=$((started + 1))
    done
    lk_log "$role: $current node(s) on this host ($started started)"
  elif [ "$current" -gt "$target" ]; then
    # the highest ports go first
    mapfile -t surplus < <(managed_ports "$role" | sort -rn | head -n $((current - target)))
    stop_nodes "$role" "${surplus[@]}"
    lk_log "$role: $target node(s) on this host (${#surplus[@]} stopped)"
  else
    lk_log "$role: already $current node(s) on this host"
  fi
}

stop_command() {
  local what="${1:-}"; shift || true
  case "$what" in
    all)
      local role
      for role in auth user; do
        mapfile -t ports < <(lk_node_ports "$role")
        stop_nodes "$role" "${ports[@]}"
      done
      ;;
    user | auth)
      if [ "$#" -eq 0 ]; then mapfile -t ports < <(lk_node_ports "$what"); else ports=("$@"); fi
      stop_nodes "$what" "${ports[@]}"
      ;;
    *) usage ;;
  esac
}

status_command() {
  local role port pid ready any=0
  printf '%-5s %-8s %-6s %-6s %s\n' ROLE PID PORT READY CLUSTER_SIZE
  for role in user auth; do
    for port in $(lk_node_ports "$role"); do
      pid="$(lk_node_pid "$role" "$port")" || continue
      ready="$(lk_http_status "http://127.0.0.1:$port/health/ready")"
      case "$ready" in 200) ready=UP ;; 503) ready=DOWN ;; *) ready="($ready)" ;; esac
      printf '%-5s %-8s %-6s %-6s %s\n' "$role" "$pid" "$port" "$ready" "$(lk_cluster_size "$role" "$port")"
      any=1
    done
  done
  [ "$any" = 1 ] || echo "(no node started by these scripts runs; LATCHKEY_RUN_DIR=$LK_RUN)"
  if pid="$(lk_nginx_pid)"; then
    echo "nginx pid $pid: user on ${NGINX_LISTEN_HOST:-127.0.0.1}:${NGINX_USER_PORT:-8091} -> $(grep -c '^server .*max_fails' "$NGINX_DIR/upstream-user.conf" || true) node(s), auth on ${NGINX_LISTEN_HOST:-127.0.0.1}:${NGINX_AUTH_PORT:-8092} -> $(grep -c '^server .*max_fails' "$NGINX_DIR/upstream-auth.conf" || true) node(s)"
  else
    echo "nginx: not running (scripts/scale.sh nginx start)"
  fi
}

case "${1:-}" in
  user | auth) [ "$#" -eq 2 ] || usage; scale_to "$1" "$2" ;;
  stop) shift; stop_command "$@" ;;
  status) status_command ;;
  nginx)
    case "${2:-}" in
      start) lk_nginx_start ;;
      stop) lk_nginx_stop ;;
      reload) lk_nginx_reload ;;
      *) usage ;;
    esac
    ;;
  *) usage ;;
esac
