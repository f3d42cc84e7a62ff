#!/usr/bin/env bash
# The several-hosts test (docs/OPERATING.md, "What scripts/multihost-test.sh proves"): three test hosts on this
# machine, each a network namespace with its own address on a private bridge, a Latchkey cluster
# spread over them, and the network between them cut and healed. Run as root (CI does, after
# ./scripts/cluster-test.sh):
#
#   sudo ./scripts/multihost-test.sh
#
# Topology (MULTIHOST_TEST_NET, default 10.231.0, is the /24 it creates; nothing else is used):
#   bridge lkmh-br0  10.231.0.1   root namespace: PostgreSQL :54391, nginx :18391 (user) /
#                                 :18392 (auth), and the test itself as the client
#   host A lkmh-a    10.231.0.11  user node (HTTP 18301, Hazelcast 5901) + auth node (18302, 5902)
#   host B lkmh-b    10.231.0.12  auth node (18302, 5901)
#   host C lkmh-c    10.231.0.13  auth node (18302, 5901)
# HAZELCAST_INTERFACE is each host's address, HAZELCAST_MEMBERS lists the four members, the event
# bus runs over mutual TLS on a port each process picks.
#
# Scenarios, each a bounded poll printing what it measured:
#  (a) C cut off from the cluster ports only (nftables inside lkmh-c drops the Hazelcast and
#      event-bus endpoints of every node; HTTP and PostgreSQL still reach it): a logout on A
#      (right after the cut) and on B (once the split is seen) is refused by C within
#      MULTIHOST_RECONCILE_BOUND_MS (default 2000: the 1 s reconciliation from PostgreSQL plus
#      a margin); a session nobody logged out stays valid on C;
#  (b) a password changed through the user service during the cut: the token from before the
#      change is refused by C within the bound during the cut; after the heal the old password is
#      refused and the new one accepted on A, B and C within the bound;
#  (c) the heal: every node reports the full clusterSize on /health/ready again (bound
#      MULTIHOST_MERGE_BOUND_S, default 60), the event bus carries a logout both ways, no
#      session is lost (PostgreSQL and GET /auth/sessions) and every refresh chain, rotated on
#      both sides during the cut, rotates on A, B and C;
#  (d) kill -9 of host B's processes under a 20 s mixed load through nginx: only requests in
#      flight on B fail (bounded window after the kill), every session still refreshes.
# A failed check does not stop the test: it is reported, the remaining scenarios run, and the
# exit status is 1; a setup that fails stops it at once. The summary lists every figure.
# Everything it made is removed on exit, also on failure or Ctrl-C: processes (by pid, then
# whatever is left in its namespaces), the namespaces with their veth pairs and rules, the
# bridge, nginx, PostgreSQL. Logs stay in .run/multihost-test/. It changes no sysctl (the hosts
# and the bridge are one layer-2 segment: no forwarding) and adds no rule to the root namespace.
set -euo pipefail

LK_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LK_NAME="multihost-test"
LK_RUN="$LK_ROOT/.run/multihost-test"
# shellcheck source=lib/latchkey.sh
. "$LK_ROOT/scripts/lib/latchkey.sh"
# shellcheck source=lib/netns.sh
. "$LK_ROOT/scripts/lib/netns.sh"
cd "$LK_ROOT"

T0=$(date +%s)
NET="${MULTIHOST_TEST_NET:-10.231.0}"
[[ "$NET" =~ ^(10\.[0-9]+\.[0-9]+|192\.168\.[0-9]+|172\.(1[6-9]|2[0-9]|3[01])\.[0-9]+)$ ]] \
  || lk_die "MULTIHOST_TEST_NET must be the first three numbers of a private /24 (10.x.y, 172.16-31.y, 192.168.y), not '$NET'"
GW="$NET.1"
BRIDGE=lkmh-br0
declare -A HOST_NS=([A]=lkmh-a [B]=lkmh-b [C]=lkmh-c) HOST_ADDR=([A]="$NET.11" [B]="$NET.12" [C]="$NET.13")
HOSTS=(A B C)
USER_PORT=18301 AUTH_PORT=18302
HZ_PORT="${MULTIHOST_TEST_HZ_PORT:-5901}"
RECONCILE_BOUND_MS="${MULTIHOST_RECONCILE_BOUND_MS:-2000}"
MERGE_BOUND_S="${MULTIHOST_MERGE_BOUND_S:-60}"
IP_FORWARD_BEFORE="$(cat /proc/sys/net/ipv4/ip_forward 2>/dev/null || echo '?')"

export LATCHKEY_RUN_DIR="$LK_RUN"
export PG_PORT="${MULTIHOST_TEST_PG_PORT:-54391}" PG_DATA="$LK_ROOT/.pg/multihost-test/data" PG_DB=latchkey
export PG_LISTEN="127.0.0.1,$GW" PG_TRUST_NET="$NET.0/24"
export DATABASE_URL="postgresql://postgres@$GW:$PG_PORT/$PG_DB"
export HAZELCAST_CLUSTER_NAME="multihost-test-$$" HAZELCAST_PORT="$HZ_PORT"
export HAZELCAST_MEMBERS="${HOST_ADDR[A]}:$HZ_PORT,${HOST_ADDR[A]}:$((HZ_PORT + 1)),${HOST_ADDR[B]}:$HZ_PORT,${HOST_ADDR[C]}:$HZ_PORT"
export HAZELCAST_HEARTBEAT_SECONDS=1 HAZELCAST_MAX_NO_HEARTBEAT_SECONDS=5
unset HAZELCAST_INTERFACE   # per node, below; the AppCDS training start runs on loopback
export LATCHKEY_CDS_HZ_PORT="${MULTIHOST_TEST_CDS_HZ_PORT:-5991}"
export NGINX_LISTEN_HOST="$GW" NGINX_USER_PORT=18391 NGINX_AUTH_PORT=18392
export API_KEYS="multihost-test-key-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
unset API_KEY API_KEYS_VALIDATE JWT_PRIVATE_KEY_FILE
export JWT_KEYS_DIR="$LK_RUN/keys"
export BCRYPT_COST=4 BCRYPT_THREADS=2 LATCHKEY_INSTANCES=1 LATCHKEY_HEAP=200m LATCHKEY_START_WAIT=150
export LATCHKEY_DRAIN_SECONDS=2 LATCHKEY_PROFILE=development
export LATCHKEY_JAVA_OPTS="-XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xss512k"
# throttling is tested elsewhere; here many logins come from one address, some with an old password
export LOGIN_IP_MAX_FAILURES=100000 LOGIN_ACCOUNT_MAX_FAILURES=1000
# the test registers ~32 users from one address: above the default registration limit (20 per hour)
export REGISTRATION_IP_MAX=1000
export TRUSTED_PROXIES="$GW"

LB_AUTH="http://$GW:$NGINX_AUTH_PORT"
LOCK_FILE=/run/lock/latchkey-multihost-test.lock

# ------------------------------------------------------------------ reporting
FAILED=()
SUMMARY=()
load_pid=""
network_made=0
step() { echo; echo "=== $* ($(($(date +%s) - T0)) s)"; }
ok() { echo "  ok: $*"; }
figure() { SUMMARY+=("$*"); echo "  measured: $*"; }
bad() { FAILED+=("$*"); SUMMARY+=("FAILED: $*"); echo "  FAILED: $*" >&2; }
fail() { echo >&2; echo "multihost-test: FAILED (setup): $*" >&2; FAILED+=("setup: $*"); exit 1; }

# ------------------------------------------------------------------ nodes
# a node is "<host>-<role>" (A-user, A-auth, B-auth, C-auth)
declare -A NODE_PID=() NODE_LOG=()
NODES=()
node_host() { echo "${1%%-*}"; }
node_role() { echo "${1#*-}"; }
node_port() { if [ "$(node_role "$1")" = user ]; then echo "$USER_PORT"; else echo "$AUTH_PORT"; fi; }
node_url() { echo "http://${HOST_ADDR[$(node_host "$1")]}:$(node_port "$1")"; }
node_alive() { [ -n "${NODE_PID[$1]:-}" ] && kill -0 "${NODE_PID[$1]}" 2>/dev/null; }
node_ready() { [ "$(lk_http_status "$(node_url "$1")/health/ready")" = 200 ]; }
# cluster_size NODE: the clusterSize the node reports on /health/ready ("?" when it does not answer)
cluster_size() {
  local size
  size="$(curl -s --max-time 2 "$(node_url "$1")/health/ready" 2>/dev/null | grep -oE '"clusterSize":[0-9]+' | grep -oE '[0-9]+')" || true
  echo "${size:-?}"
}
sizes() { local n out=""; for n in "${NODES[@]}"; do node_alive "$n" && out="$out $n=$(cluster_size "$n")"; done; echo "${out# }"; }

# start_node HOST ROLE: java inside the host's namespace, bound to the host's address; waits for ready
start_node() {
  local host="$1" role="$2" node="$1-$2" port_var log flags
  case "$role" in user) port_var=USER_HTTP_PORT ;; *) port_var=AUTH_HTTP_PORT ;; esac
  log="$LK_RUN/logs/$node.log"
  lk_cds_prepare "$role"   # once per jar, on loopback in the root namespace
  mapfile -t flags < <(lk_java_flags "$role")
  lk_log "starting $node in ${HOST_NS[$host]} on ${HOST_ADDR[$host]}:$(node_port "$node") (log ${log#"$LK_ROOT"/})"
  env "$port_var=$(node_port "$node")" MANAGEMENT_PORT="$(lk_management_port "$(node_port "$node")")" \
    HAZELCAST_INTERFACE="${HOST_ADDR[$host]}" \
    ip netns exec "${HOST_NS[$host]}" java "${flags[@]}" -jar "$LK_JAR" run --role "$role" >"$log" 2>&1 </dev/null &
  NODE_PID[$node]=$!
  NODE_LOG[$node]="$log"
  NODES+=("$node")
  local start waited_ms
  start=$(lk_now_ms)
  until node_ready "$node"; do
    node_alive "$node" || { lk_log_tail "$node exited during its start" "$log"; fail "$node did not start"; }
    waited_ms=$(($(lk_now_ms) - start))
    [ "$waited_ms" -lt $((LATCHKEY_START_WAIT * 1000)) ] || { lk_log_tail "$node not ready" "$log"; fail "$node was not ready within $LATCHKEY_START_WAIT s"; }
    sleep 0.2
  done
  lk_log "$node ready after $(($(lk_now_ms) - start)) ms (pid ${NODE_PID[$node]}, cluster size $(cluster_size "$node"))"
}

# nginx: the library renders and reloads it; the upstream lists name the nodes by host address
# (the library's own version lists 127.0.0.1 ports of scale.sh's pid files)
lk_nginx_write_upstreams() {
  local role node file count
  mkdir -p "$NGINX_DIR"
  for role in user auth; do
    file="$NGINX_DIR/upstream-$role.conf"
    count=0
    echo "# written by scripts/multihost-test.sh: the $role nodes of the test hosts" >"$file.tmp"
    for node in "${NODES[@]}"; do
      [ "$(node_role "$node")" = "$role" ] && node_alive "$node" && node_ready "$node" || continue
      echo "server ${HOST_ADDR[$(node_host "$node")]}:$(node_port "$node") max_fails=1 fail_timeout=5s;" >>"$file.tmp"
      count=$((count + 1))
    done
    [ "$count" -gt 0 ] || echo "server 127.0.0.1:9 down;  # no $role node is ready" >>"$file.tmp"
    mv "$file.tmp" "$file"
  done
}

# ------------------------------------------------------------------ cleanup
cleanup() {
  local status=$? node stops=()
  trap '' INT TERM
  set +e
  lk_cds_abort
  [ -n "$load_pid" ] && kill "$load_pid" 2>/dev/null && wait "$load_pid" 2>/dev/null
  for node in "${NODES[@]}"; do node_alive "$node" && stops+=("$node" "${NODE_PID[$node]}"); done
  [ "${#stops[@]}" -eq 0 ] || lk_stop_processes 20 TERM "${stops[@]}" 2>/dev/null
  if [ "$network_made" = 1 ]; then
    # the cut first (idempotent), then anything still inside the namespaces, the namespaces, the bridge
    for host in "${HOSTS[@]}"; do lk_net_heal "${HOST_NS[$host]}" 2>/dev/null; done
    lk_net_destroy "$BRIDGE" "${HOST_NS[@]}"
  fi
  lk_nginx_stop >/dev/null 2>&1
  "$LK_ROOT/scripts/pg.sh" stop >/dev/null 2>&1
  local left=""
  for host in "${HOSTS[@]}"; do ip netns list 2>/dev/null | grep -qE "^${HOST_NS[$host]}( |$)" && left="$left ${HOST_NS[$host]}"; done
  ip link show "$BRIDGE" >/dev/null 2>&1 && left="$left $BRIDGE"
  [ -z "$left" ] || echo "multihost-test: could not remove:$left" >&2
  [ "$(cat /proc/sys/net/ipv4/ip_forward 2>/dev/null || echo '?')" = "$IP_FORWARD_BEFORE" ] \
    || echo "multihost-test: net.ipv4.ip_forward changed during the run (was $IP_FORWARD_BEFORE); this script does not touch it" >&2
  echo
  echo "=== summary ($(($(date +%s) - T0)) s in all)"
  local line
  for line in "${SUMMARY[@]}"; do echo "  $line"; done
  if [ "$status" -eq 0 ] && [ "${#FAILED[@]}" -gt 0 ]; then status=1; fi
  if [ "$status" -eq 130 ] || [ "$status" -eq 143 ]; then
    echo "multihost-test: interrupted after $(($(date +%s) - T0)) s; everything it made is removed (logs in ${LK_RUN#"$LK_ROOT"/})" >&2
  elif [ "$status" -eq 0 ]; then
    echo "multihost-test: all checks passed in $(($(date +%s) - T0)) s (logs in ${LK_RUN#"$LK_ROOT"/})"
  else
    echo "multihost-test: FAILED (${#FAILED[@]} check(s)) after $(($(date +%s) - T0)) s; node logs in ${LK_RUN#"$LK_ROOT"/}/logs, nginx in ${LK_RUN#"$LK_ROOT"/}/nginx/logs" >&2
    for line in "${FAILED[@]}"; do echo "  - $line" >&2; done
  fi
  exit "$status"
}

# ------------------------------------------------------------------ HTTP helpers
# call and field: scripts/lib/latchkey.sh
KEY=(-H "X-API-Key: $API_KEYS")
need() { # need STATUS what: a setup step that must work
  [ "$STATUS" = "$1" ] || fail "$2: expected HTTP $1, got $STATUS $(echo "$BODY" | head -c 300)"
}
USER_URL="http://${HOST_ADDR[A]}:$USER_PORT"
register() { # register NAME PASSWORD -> prints the user id
  call POST "$USER_URL/users" "{\"username\":\"$1\",\"email\":\"$1@example.com\",\"password\":\"$2\"}"
  need 201 "registering $1"
  field id
}
login_on() { call POST "$(node_url "$1-auth")/auth/login" "{\"login\":\"$2\",\"password\":\"$3\"}"; }
logout_on() { call POST "$(node_url "$1-auth")/auth/logout" "" -H "Authorization: Bearer $2"; }
refresh_on() { call POST "$(node_url "$1-auth")/auth/refresh" "{\"refreshToken\":\"$2\"}"; }
validate_on() { # validate_on HOST TOKEN -> prints true|false|http-<status>
  call_timeout=3 call POST "$(node_url "$1-auth")/auth/validate-token" "{\"token\":\"$2\"}" "${KEY[@]}"
  if [ "$STATUS" = 200 ]; then field valid; else echo "http-$STATUS"; fi
}
refused_on() { [ "$(validate_on "$1" "$2")" = false ]; }
psql_q() {
  local bindir
  bindir="$(ls -d /usr/lib/postgresql/*/bin | sort -V -r | head -n 1)"
  "$bindir/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -d "$PG_DB" -tAq -c "$1"
}

# poll_since START_MS BOUND_MS COMMAND...: runs COMMAND every 50 ms until it succeeds or
# BOUND_MS have passed since START_MS; POLL_MS is then the time since START_MS. Succeeds only
# when COMMAND succeeded within the bound (a slow attempt that succeeds after it does not count).
poll_since() {
  local start="$1" bound="$2"
  shift 2
  while true; do
    if "$@"; then POLL_MS=$(($(lk_now_ms) - start)); [ "$POLL_MS" -le "$bound" ]; return; fi
    POLL_MS=$(($(lk_now_ms) - start))
    [ "$POLL_MS" -lt "$bound" ] || return 1
    sleep 0.05
  done
}

# ------------------------------------------------------------------ setup
step "setup: bridge $BRIDGE ($GW/24), hosts A ${HOST_ADDR[A]}, B ${HOST_ADDR[B]}, C ${HOST_ADDR[C]}; PostgreSQL, 4 nodes, nginx"
lk_net_require
lk_require curl java
mkdir -p "$(dirname "$LOCK_FILE")"
exec 9>"$LOCK_FILE"
flock -n 9 || lk_die "another multihost-test runs on this machine (lock $LOCK_FILE)"
# leftovers of a run that was killed without its cleanup: ours by name (the lock says no run owns them)
for host in "${HOSTS[@]}"; do
  if ip netns list 2>/dev/null | grep -qE "^${HOST_NS[$host]}( |$)" || ip link show "${HOST_NS[$host]}" >/dev/null 2>&1; then
    lk_log "removing ${HOST_NS[$host]} left by an earlier run"
    lk_net_destroy "$BRIDGE" "${HOST_NS[$host]}"
  fi
done
ip link show "$BRIDGE" >/dev/null 2>&1 && { lk_log "removing $BRIDGE left by an earlier run"; lk_net_destroy "$BRIDGE"; }
if ip -4 -o addr show | grep -qF " $NET." || ip -4 route show | grep -qF "$NET."; then
  lk_die "the network $NET.0/24 is already in use on this machine; choose another with MULTIHOST_TEST_NET"
fi
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
lk_build_if_needed
lk_nginx_ensure_installed
"$LK_ROOT/scripts/pg.sh" status && fail "something already answers on PostgreSQL port $PG_PORT (MULTIHOST_TEST_PG_PORT)"
rm -rf "$LK_RUN" "$(dirname "$PG_DATA")"
mkdir -p "$LK_RUN/logs" "$LK_RUN/tls"

network_made=1
lk_net_bridge_create "$BRIDGE" "$GW/24"
for host in "${HOSTS[@]}"; do lk_net_host_add "${HOST_NS[$host]}" "$BRIDGE" "${HOST_ADDR[$host]}/24"; done
ok "bridge $BRIDGE $GW/24; namespaces ${HOST_NS[*]} with eth0 on it (ip_forward stays $IP_FORWARD_BEFORE: one layer-2 segment)"

"$LK_ROOT/scripts/pg.sh" start --test
export EVENTBUS_TLS_KEYSTORE="$LK_RUN/tls/bus.p12" EVENTBUS_TLS_KEYSTORE_PASSWORD="bus-$$-$RANDOM"
"$(dirname "$(readlink -f "$(command -v java)")")/keytool" -genkeypair -alias bus -keyalg RSA -keysize 2048 -validity 2 \
  -dname CN=latchkey-multihost-test -storetype PKCS12 -keystore "$EVENTBUS_TLS_KEYSTORE" \
  -storepass "$EVENTBUS_TLS_KEYSTORE_PASSWORD" -keypass "$EVENTBUS_TLS_KEYSTORE_PASSWORD" >/dev/null 2>&1 \
  || fail "keytool could not create the event-bus keystore"
lk_ensure_keys "$JWT_KEYS_DIR"
setup_start=$(lk_now_ms)
start_node A user
start_node A auth
start_node B auth
start_node C auth
figure "setup: 4 nodes on 3 hosts ready one after another in $(($(lk_now_ms) - setup_start)) ms"
for node in "${NODES[@]}"; do
  [ "$(cluster_size "$node")" = 4 ] || fail "$node sees $(cluster_size "$node") cluster member(s), expected 4 ($(sizes))"
done
ok "one cluster of 4 members on every node ($(sizes))"
grep -q "event bus over TLS" "${NODE_LOG[C-auth]}" || fail "C-auth does not report its event bus over TLS"
lk_nginx_start
call GET "$LB_AUTH/health/ready"; need 200 "auth readiness through nginx"
call GET "http://$GW:$NGINX_USER_PORT/health/ready"; need 200 "user readiness through nginx"
ok "nginx on $GW: user :$NGINX_USER_PORT -> 1 node, auth :$NGINX_AUTH_PORT -> $(grep -c max_fails "$NGINX_DIR/upstream-auth.conf") nodes"

# the cluster endpoints: what each node listens on besides its HTTP port (Hazelcast, event bus)
ENDPOINTS=()
for node in "${NODES[@]}"; do
  host="$(node_host "$node")"
  mapfile -t mine < <(lk_net_listening "${HOST_NS[$host]}" "${NODE_PID[$node]}" "${HOST_ADDR[$host]}" | grep -v ":$(node_port "$node")$")
  [ "${#mine[@]}" -ge 2 ] || fail "$node listens on ${mine[*]:-nothing} besides HTTP; expected a Hazelcast and an event-bus port"
  echo "  $node cluster endpoints: ${mine[*]}"
  ENDPOINTS+=("${mine[@]}")
done

# ------------------------------------------------------------------ sessions used by several scenarios
PW_A="alpha multihost passphrase"
register mha "$PW_A" >/dev/null
login_on A mha "$PW_A"; need 200 "login of mha on A"; TA1="$(field accessToken)"
login_on B mha "$PW_A"; need 200 "login of mha on B"; TA2="$(field accessToken)"
login_on C mha "$PW_A"; need 200 "login of mha on C"; TCTL="$(field accessToken)"
PW_B="bravo multihost passphrase"; PW_B_NEW="bravo passphrase renewed"
UB="$(register mhb "$PW_B")"
login_on C mhb "$PW_B"; need 200 "login of mhb on C (fills the cache)"; TB_PRE="$(field accessToken)"
for t in "$TA1" "$TA2" "$TCTL" "$TB_PRE"; do
  [ "$(validate_on C "$t")" = true ] || fail "a fresh token is not valid on C: $BODY"
done
# refresh chains: one session per user, opened on A, B and C in turn, rotated on both sides during the cut
CH_USER=() CH_PW=() CH_SID=() CH_REFRESH=() CH_ACCESS=()
open_chain() { # open_chain HOST USER PASSWORD
  login_on "$1" "$2" "$3"; need 200 "login of $2 on $1"
  CH_USER+=("$2"); CH_PW+=("$3"); CH_SID+=("$(field sessionId)"); CH_REFRESH+=("$(field refreshToken)"); CH_ACCESS+=("$(field accessToken)")
}
rotate_chain() { # rotate_chain INDEX HOST: one refresh of the chain on HOST; fails when it is not 200
  refresh_on "$2" "${CH_REFRESH[$1]}"
  [ "$STATUS" = 200 ] || return 1
  CH_REFRESH[$1]="$(field refreshToken)"; CH_ACCESS[$1]="$(field accessToken)"
}
for i in 1 2 3 4 5 6; do
  register "mhs$i" "session passphrase number $i" >/dev/null
  open_chain "${HOSTS[$(((i - 1) % 3))]}" "mhs$i" "session passphrase number $i"
done
ok "${#CH_SID[@]} sessions opened on A, B and C"

# ------------------------------------------------------------------ (a) the cut
step "(a) host C cut off from the cluster ports; logouts on the other side refused on C"
cut_ms=$(lk_now_ms)
lk_net_cut "${HOST_NS[C]}" "${ENDPOINTS[@]}"
echo "  cut at $cut_ms: lkmh-c drops TCP to and from ${#ENDPOINTS[@]} cluster endpoints"
[ "$(lk_http_status "$(node_url C-auth)/health/live")" = 200 ] || fail "C's HTTP does not answer after the cut (the cut must leave it)"
[ "$(lk_http_status "$(node_url C-auth)/health/db")" = 200 ] || fail "C does not reach PostgreSQL after the cut (the cut must leave it)"
ok "C still answers HTTP and reaches PostgreSQL"

logout_on A "$TA1"
if [ "$STATUS" != 204 ]; then
  bad "(a) logout on A right after the cut: expected 204, got $STATUS $(echo "$BODY" | head -c 200)"
else
  t=$(lk_now_ms)
  poll_since "$t" 2000 refused_on B "$TA1" || bad "(a) logout on A not refused on B (the connected side) within 2000 ms"
  if poll_since "$t" "$RECONCILE_BOUND_MS" refused_on C "$TA1"; then
    figure "(a) logout on A right after the cut refused on cut-off C after $POLL_MS ms (bound $RECONCILE_BOUND_MS ms)"
  else
    bad "(a) logout on A right after the cut: the cut-off C did not refuse the token within the bound ($POLL_MS ms, bound $RECONCILE_BOUND_MS ms; C answers $(validate_on C "$TA1") now)"
  fi
fi

split_seen() { [ "$(cluster_size A-auth)" = 3 ] && [ "$(cluster_size B-auth)" = 3 ] && [ "$(cluster_size C-auth)" = 1 ]; }
if poll_since "$cut_ms" 20000 split_seen; then
  figure "(a) split seen $POLL_MS ms after the cut: A and B in a cluster of 3, C alone (HAZELCAST_MAX_NO_HEARTBEAT_SECONDS=5)"
else
  fail "the split was not seen within 20 s of the cut ($(sizes)); is the cut dropping the right ports? drops: $(lk_net_cut_drops "${HOST_NS[C]}")"
fi
echo "  packets the cut dropped so far: $(lk_net_cut_drops "${HOST_NS[C]}")"

logout_on B "$TA2"
if [ "$STATUS" != 204 ]; then
  bad "(a) logout on B during the split: expected 204, got $STATUS $(echo "$BODY" | head -c 200)"
else
  t=$(lk_now_ms)
  if poll_since "$t" "$RECONCILE_BOUND_MS" refused_on C "$TA2"; then
    figure "(a) logout on B during the split refused on cut-off C after $POLL_MS ms (bound $RECONCILE_BOUND_MS ms)"
  else
    bad "(a) logout on B during the split: the cut-off C did not refuse the token within the bound ($POLL_MS ms, bound $RECONCILE_BOUND_MS ms; C answers $(validate_on C "$TA2") now)"
  fi
fi
v="$(validate_on C "$TCTL")"
if [ "$v" = true ]; then ok "a session nobody logged out is still valid on C"; else bad "(a) a session nobody logged out is not valid on C: $v"; fi
v="$(validate_on A "$TCTL")"
[ "$v" = true ] || bad "(a) a session nobody logged out is not valid on A: $v"

# both sides keep working during the split: sessions open and rotate on each
open_chain A mhs2 "session passphrase number 2"
# C cannot reach the user service over the bus now: a login there works only from C's share
# of the password cache, else 503 user_service_unavailable (the product's rule, not a failure)
login_on C mhs1 "session passphrase number 1"
case "$STATUS" in
  200) CH_USER+=(mhs1); CH_PW+=("session passphrase number 1"); CH_SID+=("$(field sessionId)")
       CH_REFRESH+=("$(field refreshToken)"); CH_ACCESS+=("$(field accessToken)")
       figure "(a) a login on C during the split: 200 (the user was in C's share of the password cache)" ;;
  503) figure "(a) a login on C during the split: 503 $(field code) (not in C's share of the cache; the user service is across the cut)" ;;
  *) bad "(a) a login on C during the split: $STATUS $(echo "$BODY" | head -c 200)" ;;
esac
rotated=0
for i in "${!CH_SID[@]}"; do
  if [ $((i % 2)) -eq 0 ]; then h=C; else h=B; fi
  if rotate_chain "$i" "$h"; then rotated=$((rotated + 1)); else bad "(a) refresh of chain $i (${CH_USER[$i]}) on $h during the split: $STATUS $(echo "$BODY" | head -c 200)"; fi
done
figure "(a) during the split: $rotated of ${#CH_SID[@]} refresh chains rotated, alternately on C and on B"

# ------------------------------------------------------------------ (b) password change during the cut
step "(b) password changed through the user service during the cut"
call POST "$USER_URL/users/$UB/change-password" "{\"newPassword\":\"$PW_B_NEW\"}" "${KEY[@]}"
if [ "$STATUS" != 204 ]; then
  bad "(b) the password change during the cut: expected 204, got $STATUS $(echo "$BODY" | head -c 200)"
else
  changed_ms=$(lk_now_ms)
  old_refused_on() { login_on "$1" mhb "$PW_B"; [ "$STATUS" = 401 ]; }
  old_refused_ab() { old_refused_on A && old_refused_on B; }
  if poll_since "$changed_ms" 5000 old_refused_ab; then
    figure "(b) the old password refused on A and B (the connected side) after $POLL_MS ms"
  else
    bad "(b) the old password still accepted on A or B (the connected side) after $POLL_MS ms"
  fi
  if poll_since "$changed_ms" "$RECONCILE_BOUND_MS" refused_on C "$TB_PRE"; then
    figure "(b) token from before the change refused on cut-off C after $POLL_MS ms (bound $RECONCILE_BOUND_MS ms)"
  else
    bad "(b) token from before the change not refused by cut-off C within the bound ($POLL_MS ms, bound $RECONCILE_BOUND_MS ms; C answers $(validate_on C "$TB_PRE") now)"
  fi
  # during the cut: the contract is "after the heal" (below), so this is a figure only. C either
  # refuses (401), or cannot check (503: not in its share of the cache, user service across the cut)
  old_not_accepted_on_c() { login_on C mhb "$PW_B"; [ "$STATUS" = 401 ] || [ "$STATUS" = 503 ]; }
  if poll_since "$(lk_now_ms)" "$RECONCILE_BOUND_MS" old_not_accepted_on_c; then
    figure "(b) during the cut C answers the old password with $STATUS $(field code) ($(($(lk_now_ms) - changed_ms)) ms after the change)"
  else
    figure "(b) during the cut C still answers the old password with $STATUS ($(($(lk_now_ms) - changed_ms)) ms after the change; the contract is only after the heal)"
  fi
fi

# ------------------------------------------------------------------ (c) the heal
step "(c) the heal: the cluster merges, no session lost, every refresh chain works"
echo "  the cut dropped $(lk_net_cut_drops "${HOST_NS[C]}") packets"
heal_ms=$(lk_now_ms)
lk_net_heal "${HOST_NS[C]}"
echo "  healed at $heal_ms"
# the old password must not be accepted anywhere within the bound; C may answer 503 until the
# merge gives it the user service back, which is not an acceptance
old_refused_everywhere() {
  local h good=0
  old_statuses=""
  for h in A B C; do
    login_on "$h" mhb "$PW_B"
    old_statuses="${old_statuses:+$old_statuses }$h:$STATUS"
    if [ "$STATUS" = 401 ] || { [ "$h" = C ] && [ "$STATUS" = 503 ]; }; then good=$((good + 1)); fi
  done
  [ "$good" = 3 ]
}
if poll_since "$heal_ms" "$RECONCILE_BOUND_MS" old_refused_everywhere; then
  figure "(b) after the heal the old password is refused everywhere after $POLL_MS ms ($old_statuses; bound $RECONCILE_BOUND_MS ms)"
else
  bad "(b) after the heal the old password is not refused everywhere within $RECONCILE_BOUND_MS ms (${old_statuses:-?})"
fi

merged() { local n; for n in "${NODES[@]}"; do [ "$(cluster_size "$n")" = 4 ] || return 1; done; }
if poll_since "$heal_ms" $((MERGE_BOUND_S * 1000)) merged; then
  figure "(c) merged back to 4 members on every node $POLL_MS ms after the heal (hazelcast.merge.first.run.delay.seconds=10, next runs every 10 s)"
  merge_ok=1
else
  bad "(c) not merged back within $MERGE_BOUND_S s of the heal: $(sizes)"
  merge_ok=0
fi
if [ "$merge_ok" = 1 ]; then
  # once merged, C reaches the user service again: old password 401, new 200, on every node
  pw_settled_on() { login_on "$1" mhb "$PW_B"; [ "$STATUS" = 401 ] || return 1; login_on "$1" mhb "$PW_B_NEW"; [ "$STATUS" = 200 ]; }
  pw_settled() { pw_settled_on A && pw_settled_on B && pw_settled_on C; }
  merged_ms=$(lk_now_ms)
  if poll_since "$merged_ms" 5000 pw_settled; then
    figure "(b) after the merge: old password 401, new password 200 on A, B and C ($POLL_MS ms after the merge)"
  else
    for h in A B C; do login_on $h mhb "$PW_B"; o=$STATUS; login_on $h mhb "$PW_B_NEW"; echo "  $h: old password $o, new password $STATUS"; done
    bad "(b) after the merge the old password is not refused and the new one accepted on every node within 5000 ms"
  fi
  # the event bus carries revocations both ways again (sessions opened after the merge)
  for pair in "C A" "A C" "B C"; do
    set -- "${pair% *}" "${pair#* }"   # from, to
    login_on "$1" mha "$PW_A"; need 200 "login of mha on $1 after the merge"; tx="$(field accessToken)"
    [ "$(validate_on "$2" "$tx")" = true ] || bad "(c) a token from $1 is not valid on $2 after the merge: $BODY"
    logout_on "$1" "$tx"
    t=$(lk_now_ms)
    if [ "$STATUS" != 204 ]; then
      bad "(c) after the merge a logout on $1: expected 204, got $STATUS"
    elif poll_since "$t" 2000 refused_on "$2" "$tx"; then
      if [ "$POLL_MS" -le 300 ]; then how="the event bus"; else how="slower than the bus (tens of ms): the reconciliation from PostgreSQL, or a bus connection still being made"; fi
      figure "(c) after the merge a logout on $1 is refused on $2 after $POLL_MS ms ($how)"
    elif poll_since "$t" 20000 refused_on "$2" "$tx"; then
      bad "(c) after the merge a logout on $1 is refused on $2 only after $POLL_MS ms (bound 2000 ms): not carried by the event bus"
    else
      bad "(c) after the merge a logout on $1 is still not refused on $2 after $POLL_MS ms: the event bus does not carry revocations from $1 to $2"
    fi
  done
fi
# no session lost: every chain's session is open in PostgreSQL and listed by the service, and rotates on A, B and C
sids="$(printf "'%s'," "${CH_SID[@]}")"
open="$(psql_q "SELECT count(*) FROM auth.sessions WHERE id::text IN (${sids%,}) AND revoked_at IS NULL")"
[ "$open" = "${#CH_SID[@]}" ] || bad "(c) only $open of ${#CH_SID[@]} sessions are still open in PostgreSQL"
chain_ok=0 listed=0
for i in "${!CH_SID[@]}"; do
  good=1
  for h in A B C; do
    rotate_chain "$i" "$h" || { bad "(c) chain $i (${CH_USER[$i]}) refresh on $h after the heal: $STATUS $(echo "$BODY" | head -c 200)"; good=0; break; }
  done
  [ "$good" = 1 ] && chain_ok=$((chain_ok + 1))
  call GET "$(node_url "${HOSTS[$((i % 3))]}-auth")/auth/sessions" "" -H "Authorization: Bearer ${CH_ACCESS[$i]}"
  [ "$STATUS" = 200 ] && echo "$BODY" | grep -qF "\"${CH_SID[$i]}\"" && listed=$((listed + 1))
done
[ "$listed" = "${#CH_SID[@]}" ] || bad "(c) only $listed of ${#CH_SID[@]} sessions listed by GET /auth/sessions after the heal"
figure "(c) sessions after the heal: $open of ${#CH_SID[@]} open in PostgreSQL, $listed listed, $chain_ok refresh chains rotated on A, B and C"

# ------------------------------------------------------------------ (d) kill -9 of a host under load
step "(d) kill -9 of host B's processes during a 20 s mixed load through nginx"
USERS_FILE="$LK_RUN/load-users.txt"; : >"$USERS_FILE"
for i in $(seq 1 24); do
  register "load$i" "load passphrase number $i" >/dev/null
  echo "load$i load passphrase number $i" >>"$USERS_FILE"
done
LOAD="$LK_RUN/load-kill.txt"
java "$LK_ROOT/scripts/lib/ClusterLoad.java" --auth "$LB_AUTH" --key "$API_KEYS" --users "$USERS_FILE" \
  --threads 6 --seconds 20 >"$LOAD" 2>&1 &
load_pid=$!
sleep 9   # the source launcher compiles first: the load has run for ~7 s
kill -0 "$load_pid" 2>/dev/null || { cat "$LOAD" >&2; fail "the load generator stopped early"; }
mapfile -t b_pids < <(lk_net_ns_pids "${HOST_NS[B]}")
[ "${#b_pids[@]}" -gt 0 ] || fail "no process runs on host B"
kill_ms=$(lk_now_ms)
kill -KILL "${b_pids[@]}" || fail "could not kill host B's processes"
echo "  killed host B's ${#b_pids[@]} process(es) (${b_pids[*]}) at $kill_ms"
wait "${NODE_PID[B-auth]}" 2>/dev/null || true
b_gone() { [ "$(cluster_size A-auth)" = 3 ] && [ "$(cluster_size C-auth)" = 3 ]; }
if poll_since "$kill_ms" 15000 b_gone; then
  figure "(d) A and C see the cluster without B $POLL_MS ms after the kill"
else
  bad "(d) A and C still count B $POLL_MS ms after the kill ($(sizes))"
fi
wait "$load_pid" || { cat "$LOAD" >&2; load_pid=""; fail "the load generator failed"; }
load_pid=""
sed 's/^/  load: /' "$LOAD"
r() { grep -E "^$1=" "$LOAD" | head -n 1 | cut -d= -f2-; }
failures="$(r failures)"; requests="$(r requests)"
[ "$requests" -gt 100 ] || bad "(d) the load made only $requests requests: too few to mean anything"
[ "$kill_ms" -gt $(($(r started_ms) + 3000)) ] || bad "(d) the kill came before the load was running"
if [ "$failures" -gt 0 ]; then
  # a failure must have been in flight at the kill or sent after it: answered after the kill
  answered="$(r first_failure_answered_ms)"
  window=$(($(r last_failure_ms) - kill_ms))
  figure "(d) $failures failed request(s) of $requests, from $(($(r first_failure_ms) - kill_ms)) ms to $window ms after the kill"
  [ "$answered" -ge "$kill_ms" ] || bad "(d) a request failed before the kill (answered at $answered, kill at $kill_ms)"
  [ "$window" -le 8000 ] || bad "(d) requests kept failing $window ms after the kill (bound 8000 ms)"
  [ "$failures" -le 30 ] || bad "(d) $failures requests failed: more than the ones in flight on B"
else
  figure "(d) 0 failed requests of $requests (nginx moved new connections off B at once)"
fi
figure "(d) slowest request $(r max_latency_ms) ms; refreshes recovered by a retry: $(r recovered_refreshes); resent after a closed connection: $(r resent_after_closed_connection)"
[ "$(r sessions_checked)" -gt 0 ] || bad "(d) no session to check after the kill"
if [ "$(r sessions_final_ok)" = "$(r sessions_checked)" ]; then
  figure "(d) all $(r sessions_checked) sessions with a completed last refresh still refresh on A and C ($(r sessions_uncertain) uncertain)"
else
  bad "(d) only $(r sessions_final_ok) of $(r sessions_checked) sessions still refresh after the kill"
fi
