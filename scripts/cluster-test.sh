#!/usr/bin/env bash
# The cluster end-to-end test (docs/OPERATING.md, "The cluster test"), with real processes: its own PostgreSQL, 1 user node,
# 3 auth nodes (event bus over mutual TLS), nginx in front. Each check prints what it measured
# and the test stops at the first one that does not hold (exit status 1, "FAILED: ..." naming
# it). Everything it started is stopped on exit, whatever happens; logs stay in
# .run/cluster-test/ (printed at the end).
#
#   ./scripts/cluster-test.sh          (run by .ci/run after ./scripts/test.sh)
#
# Isolated from a development run: PostgreSQL on CLUSTER_TEST_PG_PORT (default 54359, data
# .pg/cluster-test, fsync off), Hazelcast cluster "cluster-test-<pid>" from port
# CLUSTER_TEST_HZ_PORT (default 5851), user nodes from 8310, auth nodes from 8320, nginx on
# 8391 (user) and 8392 (auth), its own development mail server (maildev, scripts/devmail) with
# SMTP on CLUSTER_TEST_MAIL_SMTP_PORT (default 1625) and web/API on CLUSTER_TEST_MAIL_WEB_PORT
# (default 1680; SMTP_* of the caller are ignored). bcrypt cost 4. Needs a JDK 17, Maven (to
# build the jar when it is missing), curl, Node.js 20+ and npm (the first run installs maildev);
# PostgreSQL and nginx are installed from Debian's packages when absent.
set -euo pipefail

LK_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LK_NAME="cluster-test"
LK_RUN="$LK_ROOT/.run/cluster-test"
# shellcheck source=lib/latchkey.sh
. "$LK_ROOT/scripts/lib/latchkey.sh"
cd "$LK_ROOT"

T0=$(date +%s)
export LATCHKEY_RUN_DIR="$LK_RUN"
export PG_PORT="${CLUSTER_TEST_PG_PORT:-54359}"
export PG_DATA="$LK_ROOT/.pg/cluster-test/data"
export PG_DB=latchkey
HZ_BASE="${CLUSTER_TEST_HZ_PORT:-5851}"
export HAZELCAST_CLUSTER_NAME="cluster-test-$$"
export HAZELCAST_PORT="$HZ_BASE"
HAZELCAST_MEMBERS=""
for i in 0 1 2 3 4 5 6 7; do HAZELCAST_MEMBERS="$HAZELCAST_MEMBERS${HAZELCAST_MEMBERS:+,}127.0.0.1:$((HZ_BASE + i))"; done
export HAZELCAST_MEMBERS
# failure detection: a silent member is dropped after 5 s; on loopback a killed process is
# usually noticed sooner because its ports refuse connections
export HAZELCAST_HEARTBEAT_SECONDS=1 HAZELCAST_MAX_NO_HEARTBEAT_SECONDS=5
export SCALE_USER_PORT=8310 SCALE_AUTH_PORT=8320 NGINX_USER_PORT=8391 NGINX_AUTH_PORT=8392 NGINX_LISTEN_HOST=127.0.0.1
export API_KEYS="cluster-test-key-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
# the test registers ~30 users from this one host (through nginx): above the default registration limit
export REGISTRATION_IP_MAX=1000
unset API_KEY API_KEYS_VALIDATE JWT_PRIVATE_KEY_FILE DATABASE_URL
export JWT_KEYS_DIR="$LK_RUN/keys"
export BCRYPT_COST=4 BCRYPT_THREADS=2 LATCHKEY_INSTANCES=1 LATCHKEY_HEAP=200m LATCHKEY_START_WAIT=150
export LATCHKEY_DRAIN_SECONDS=2 LATCHKEY_PROFILE=development
# six JVMs on two cores: a quick start matters more here than peak speed
export LATCHKEY_JAVA_OPTS="-XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xss512k"
# throttling is tested elsewhere; here thousands of logins come from one address
export LOGIN_IP_MAX_FAILURES=100000 LOGIN_ACCOUNT_MAX_FAILURES=1000
export TRUSTED_PROXIES=127.0.0.1
# mail: the test's own development mail server (started in the setup), never an SMTP server of the caller's
unset SMTP_USERNAME SMTP_PASSWORD EMAIL_VERIFY_URL PASSWORD_RESET_URL EMAIL_VERIFICATION_REQUIRED
MAIL_SMTP_PORT="${CLUSTER_TEST_MAIL_SMTP_PORT:-1625}" MAIL_WEB_PORT="${CLUSTER_TEST_MAIL_WEB_PORT:-1680}"
export SMTP_HOST=127.0.0.1 SMTP_PORT="$MAIL_SMTP_PORT" SMTP_STARTTLS=off MAIL_FROM=no-reply@latchkey.localhost
export LK_MAIL_API="http://127.0.0.1:$MAIL_WEB_PORT/api"

USER_URL="http://127.0.0.1:8310"
A=8320 B=8321 C=8322
LB_AUTH="http://127.0.0.1:$NGINX_AUTH_PORT"
LB_USER="http://127.0.0.1:$NGINX_USER_PORT"
# the auth nodes' public URL, and so their tokens' issuer: the balancer, as behind any balancer
export PUBLIC_URL="$LB_AUTH"
SCALE="$LK_ROOT/scripts/scale.sh"
load_pid=""

fail() {
  echo >&2
  echo "cluster-test: FAILED: $*" >&2
  exit 1
}
step() { echo; echo "=== $* ($(($(date +%s) - T0)) s)"; }
pass() { echo "  ok: $*"; }
now_ms() { date +%s%3N; }

cleanup() {
  local status=$?
  trap '' INT TERM
  lk_cds_abort
  set +e
  [ -n "$load_pid" ] && kill "$load_pid" 2>/dev/null && wait "$load_pid" 2>/dev/null
  local role port pid stops=()
  for role in auth user; do
    for port in $(lk_node_ports "$role"); do
      pid="$(lk_node_pid "$role" "$port")" && stops+=("the $role node on port $port" "$pid")
    done
  done
  lk_stop_processes 30 TERM "${stops[@]}" 2>/dev/null
  rm -f "$LK_RUN"/nodes/*.pid
  lk_nginx_stop >/dev/null 2>&1
  if [ -n "${LK_DEVMAIL_PID:-}" ]; then
    lk_stop_processes 10 TERM "the development mail server" "$LK_DEVMAIL_PID" 2>/dev/null
    rm -f "$LK_RUN/devmail.pid"
  fi
  "$LK_ROOT/scripts/pg.sh" stop >/dev/null 2>&1
  echo
  if [ "$status" -eq 0 ]; then
    echo "cluster-test: all checks passed in $(($(date +%s) - T0)) s (logs in ${LK_RUN#"$LK_ROOT"/})"
  else
    echo "cluster-test: FAILED after $(($(date +%s) - T0)) s; node logs in ${LK_RUN#"$LK_ROOT"/}/logs, nginx in ${LK_RUN#"$LK_ROOT"/}/nginx/logs" >&2
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ------------------------------------------------------------------ HTTP helpers
# call and field: scripts/lib/latchkey.sh
KEY=(-H "X-API-Key: $API_KEYS")
expect() { # expect STATUS what
  [ "$STATUS" = "$1" ] || fail "$2: expected HTTP $1, got $STATUS $(echo "$BODY" | head -c 300)"
}

register() { # register NAME PASSWORD -> prints the user id
  call POST "$USER_URL/users" "{\"username\":\"$1\",\"email\":\"$1@example.com\",\"password\":\"$2\"}"
  expect 201 "registering $1"
  field id
}
login_on() { # login_on PORT LOGIN PASSWORD -> sets STATUS, BODY
  call POST "http://127.0.0.1:$1/auth/login" "{\"login\":\"$2\",\"password\":\"$3\"}"
}
validate_on() { # validate_on PORT TOKEN -> prints true|false|<status>
  call POST "http://127.0.0.1:$1/auth/validate-token" "{\"token\":\"$2\"}" "${KEY[@]}"
  if [ "$STATUS" = 200 ]; then field valid; else echo "http-$STATUS"; fi
}

tokens_rejected_everywhere_1b() { # tokens_rejected_everywhere_1b TOKEN: validate-token false on A, B and C
  local port
  for port in $A $B $C; do [ "$(validate_on $port "$1")" = false ] || return 1; done
}

# wait_until BOUND_S DESCRIPTION COMMAND...: polls COMMAND until it succeeds; prints the time it took
wait_until() {
  local bound_ms=$(($1 * 1000)) what="$2" start elapsed
  shift 2
  start=$(now_ms)
  until "$@"; do
    elapsed=$(($(now_ms) - start))
    [ "$elapsed" -lt "$bound_ms" ] || fail "$what: not within $((bound_ms / 1000)) s"
    sleep 0.05
  done
  elapsed=$(($(now_ms) - start))
  pass "$what after $elapsed ms"
}

psql_q() {
  local bindir
  bindir="$(ls -d /usr/lib/postgresql/*/bin | sort -V -r | head -n 1)"
  "$bindir/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -d "$PG_DB" -tAq -c "$1"
}

# ------------------------------------------------------------------ setup
step "setup: PostgreSQL on $PG_PORT, keystore for event-bus TLS, mail server, 1 user node, 3 auth nodes, nginx"
lk_require curl java node
lk_build_if_needed
lk_nginx_ensure_installed
lk_promtool_ensure_installed
for role in user auth; do
  for port in $(lk_node_ports "$role"); do
    fail "a node of an earlier cluster-test run still runs (pid $(lk_node_pid "$role" "$port"), $(lk_pidfile "$role" "$port")): stop it first"
  done
done
"$LK_ROOT/scripts/pg.sh" status && fail "something already answers on PostgreSQL port $PG_PORT (CLUSTER_TEST_PG_PORT)"
for port in 8310 8320 8321 8322 8323 8324 "$NGINX_USER_PORT" "$NGINX_AUTH_PORT"; do
  [ "$(lk_http_status "http://127.0.0.1:$port/")" = 000 ] || fail "port $port is taken by another process"
done
for port in 8310 8320 8321 8322 8323 8324; do
  lk_port_open "$(lk_management_port $port)" && fail "port $(lk_management_port $port) (management of $port) is taken by another process"
done
lk_port_open "$MAIL_SMTP_PORT" && fail "port $MAIL_SMTP_PORT is taken by another process (CLUSTER_TEST_MAIL_SMTP_PORT)"
lk_port_open "$MAIL_WEB_PORT" && fail "port $MAIL_WEB_PORT is taken by another process (CLUSTER_TEST_MAIL_WEB_PORT)"
rm -rf "$LK_RUN" "$(dirname "$PG_DATA")"
mkdir -p "$LK_RUN/logs" "$LK_RUN/tls"
"$LK_ROOT/scripts/pg.sh" start --test
lk_devmail_start "$MAIL_SMTP_PORT" "$MAIL_WEB_PORT" "$LK_RUN/mail" "$LK_RUN/logs/devmail.log"
pass "development mail server: SMTP 127.0.0.1:$MAIL_SMTP_PORT, API $LK_MAIL_API (pid $LK_DEVMAIL_PID)"
export EVENTBUS_TLS_KEYSTORE="$LK_RUN/tls/bus.p12" EVENTBUS_TLS_KEYSTORE_PASSWORD="bus-$$-$RANDOM"
"$(dirname "$(readlink -f "$(command -v java)")")/keytool" -genkeypair -alias bus -keyalg RSA -keysize 2048 -validity 2 \
  -dname CN=latchkey-cluster-test -storetype PKCS12 -keystore "$EVENTBUS_TLS_KEYSTORE" \
  -storepass "$EVENTBUS_TLS_KEYSTORE_PASSWORD" -keypass "$EVENTBUS_TLS_KEYSTORE_PASSWORD" >/dev/null 2>&1 \
  || fail "keytool could not create the event-bus keystore"
export DATABASE_URL="postgresql://postgres@127.0.0.1:$PG_PORT/$PG_DB"
"$SCALE" nginx start
"$SCALE" user 1
"$SCALE" auth 3
grep -q "event bus over TLS" "$(lk_logfile auth $C)" || fail "the auth node on $C does not report its event bus over TLS"
pass "event bus over TLS on every node (keystore ${EVENTBUS_TLS_KEYSTORE#"$LK_ROOT"/})"
size="$(lk_cluster_size auth $C)"
[ "$size" = 4 ] || fail "the last auth node sees $size cluster member(s), expected 4 (1 user + 3 auth)"
pass "one cluster of 4 members"
"$SCALE" status

# ------------------------------------------------------------------ 1. logout seen everywhere
step "1. login on A, validate on B and C; logout on C -> rejected on A and B"
PW1="first cluster passphrase"
U1="$(register clu1 "$PW1")"
login_on $A clu1 "$PW1"; expect 200 "login of clu1 on A"
T1="$(field accessToken)"
for port in $B $C; do
  [ "$(validate_on $port "$T1")" = true ] || fail "a token issued by A is not valid on $port: $BODY"
done
pass "token from A valid on B and C"
call GET "$USER_URL/users/$U1" "" -H "Authorization: Bearer $T1"; expect 200 "the user service accepting A's token"
call POST "http://127.0.0.1:$C/auth/logout" "" -H "Authorization: Bearer $T1"; expect 204 "logout on C"
revoked_everywhere() { [ "$(validate_on $A "$1")" = false ] && [ "$(validate_on $B "$1")" = false ]; }
wait_until 5 "logout on C rejected on A and B" revoked_everywhere "$T1"
call GET "http://127.0.0.1:$A/auth/me" "" -H "Authorization: Bearer $T1"; expect 401 "a bearer call with the logged-out token on A"
call GET "$USER_URL/users/$U1" "" -H "Authorization: Bearer $T1"; expect 401 "the user service with the logged-out token"

# ------------------------------------------------------------------ 1b. standards through the balancer
step "1b. a stock resource server (npm jose) given only the issuer URL verifies a token; revoke and Basic introspection via discovery"
lk_stockclient_install
call GET "$LB_AUTH/.well-known/openid-configuration" ""; expect 200 "the discovery document through nginx"
DISCOVERY="$BODY"
[ "$(field issuer)" = "$LB_AUTH" ] || fail "the discovery document's issuer is $(field issuer), expected PUBLIC_URL $LB_AUTH"
for port in $A $B $C; do
  for doc in openid-configuration oauth-authorization-server; do
    call GET "http://127.0.0.1:$port/.well-known/$doc" ""; expect 200 "/.well-known/$doc on $port"
    [ "$BODY" = "$DISCOVERY" ] || fail "/.well-known/$doc on $port differs from the balancer's openid-configuration: $BODY"
  done
done
pass "both discovery documents identical on A, B and C, issuer $LB_AUTH"
PWS="standards cluster passphrase"
register clus "$PWS" >/dev/null
login_on $B clus "$PWS"; expect 200 "login of clus on B"
TS="$(field accessToken)"; RS="$(field refreshToken)"
out="$(lk_stockclient_verify "$LB_AUTH" latchkey "$TS")" || fail "jose refused the token through discovery: $out"
echo "  jose: $out"
echo "$out" | grep -q "\"iss\":\"$LB_AUTH\"" || fail "the verified token's iss is not the document's issuer: $out"
pass "jose verified B's token with only the issuer URL (discovery -> jwks_uri -> createRemoteJWKSet, issuer and audience checked)"
status=0; out="$(lk_stockclient_verify "$LB_AUTH" latchkey "${TS%?????}AAAAA")" || status=$?
[ "$status" = 1 ] || fail "jose did not refuse a token with a changed signature (status $status): $out"
status=0; out="$(lk_stockclient_verify "$LB_AUTH" someone-else "$TS")" || status=$?
[ "$status" = 1 ] || fail "jose did not refuse the token for another audience (status $status): $out"
status=0; out="$(lk_stockclient_verify "http://127.0.0.1:$A" latchkey "$TS")" || status=$?
[ "$status" = 2 ] || fail "jose configured with another issuer URL was not stopped at discovery (status $status): $out"
pass "and refused a changed signature, another audience and another issuer URL"
INTROSPECT="$(echo "$DISCOVERY" | grep -oE '"introspection_endpoint":"[^"]*"' | cut -d'"' -f4)"
REVOKE="$(echo "$DISCOVERY" | grep -oE '"revocation_endpoint":"[^"]*"' | cut -d'"' -f4)"
call POST "$INTROSPECT" "" -u "resource-server:$API_KEYS" --data-urlencode "token=$TS"; expect 200 "Basic introspection at $INTROSPECT"
[ "$(field active)" = true ] || fail "Basic introspection did not find the token active: $BODY"
call POST "$REVOKE" "" --data-urlencode "token=$RS" --data-urlencode "token_type_hint=refresh_token"; expect 200 "revocation at $REVOKE"
[ -z "$BODY" ] || fail "the revocation answered a body: $BODY"
wait_until 5 "the session revoked by its refresh token refused on A, B and C" tokens_rejected_everywhere_1b "$TS"
call POST "$INTROSPECT" "" -u "resource-server:$API_KEYS" --data-urlencode "token=$TS"; expect 200 "Basic introspection after the revocation"
[ "$BODY" = '{"active":false}' ] || fail "introspection after the revocation: $BODY"
pass "Basic introspection and RFC 7009 revocation at the endpoints the document names (through nginx)"

# ------------------------------------------------------------------ 2. password change, deletion
step "2. password change -> old password refused on every node; deletion -> tokens rejected everywhere"
PW2="second cluster passphrase"; PW2_NEW="second passphrase renewed"
U2="$(register clu2 "$PW2")"
for port in $A $B $C; do login_on $port clu2 "$PW2"; expect 200 "login of clu2 on $port (fills the cache)"; done
T2="$(field accessToken)"
call POST "$USER_URL/users/$U2/change-password" "{\"currentPassword\":\"$PW2\",\"newPassword\":\"$PW2_NEW\"}" \
  -H "Authorization: Bearer $T2"
expect 204 "password change of clu2"
old_refused_everywhere() {
  local port
  for port in $A $B $C; do login_on $port clu2 "$PW2"; [ "$STATUS" = 401 ] || return 1; done
}
wait_until 5 "old password refused on A, B and C" old_refused_everywhere
for port in $A $B $C; do login_on $port clu2 "$PW2_NEW"; expect 200 "the new password on $port"; done
pass "new password accepted on A, B and C"

PW3="third cluster passphrase"
U3="$(register clu3 "$PW3")"
login_on $A clu3 "$PW3"; expect 200 "login of clu3 on A"; T3A="$(field accessToken)"
login_on $B clu3 "$PW3"; expect 200 "login of clu3 on B"; T3B="$(field accessToken)"
call DELETE "$USER_URL/users/$U3" "" "${KEY[@]}"; expect 204 "deleting clu3"
tokens_rejected_everywhere() {
  local port t
  for port in $A $B $C; do for t in "$@"; do [ "$(validate_on $port "$t")" = false ] || return 1; done; done
}
wait_until 5 "deleted user's tokens rejected on A, B and C" tokens_rejected_everywhere "$T3A" "$T3B"
for port in $A $B $C; do login_on $port clu3 "$PW3"; expect 401 "login of the deleted clu3 on $port"; done
pass "the deleted user's login fails on A, B and C"

# ------------------------------------------------------------------ 3. account lifecycle over real mail
step "3. account lifecycle over real mail: verify, reset ends every session, disable / enable on every node"
PW9="ninth cluster passphrase"; PW9_NEW="ninth passphrase after its reset"
M9="clu9@example.com"; NOBODY="nobody-$$@example.com"
start=$(now_ms)
U9="$(register clu9 "$PW9")"
vtoken="$(lk_mail_token "$M9" verify 30)" || fail "no verification mail to $M9 within 30 s (mail server log: ${LK_RUN#"$LK_ROOT"/}/logs/devmail.log)"
echo "  measured: verification mail read from the mail server $(($(now_ms) - start)) ms after the registration was sent"
call POST "$USER_URL/users/verify-email" "{\"token\":\"$vtoken\"}"; expect 200 "verifying clu9's address with the mailed token"
[ "$(field emailVerified)" = true ] || fail "verify-email answered without emailVerified true: $BODY"
call POST "$USER_URL/users/verify-email" "{\"token\":\"$vtoken\"}"; expect 400 "the verification token used a second time"
[ "$(field code)" = invalid_verification_token ] || fail "a used verification token: code $(field code), expected invalid_verification_token"
pass "address verified with the token from the mail (and the token is single-use)"

login_on $A clu9 "$PW9"; expect 200 "login of clu9 on A"; S9A="$(field accessToken)"; R9A="$(field refreshToken)"
login_on $B clu9 "$PW9"; expect 200 "login of clu9 on B"; S9B="$(field accessToken)"; R9B="$(field refreshToken)"
for port in $A $B $C; do
  for t in "$S9A" "$S9B"; do [ "$(validate_on $port "$t")" = true ] || fail "a session of clu9 not valid on $port before the reset: $BODY"; done
done
pass "two sessions (logins on A and B), both valid on A, B and C"

# reset requests for the known and an unknown address: status, body and headers must not tell them apart
reset_request() { # reset_request EMAIL NAME -> $LK_RUN/reset-NAME.{headers,body}, prints "status ms"
  local t0 code
  t0=$(now_ms)
  code="$(curl -s --max-time 15 -o "$LK_RUN/reset-$2.body" -D "$LK_RUN/reset-$2.headers" -w '%{http_code}' \
    -X POST -H 'Content-Type: application/json' --data "{\"email\":\"$1\"}" "$USER_URL/users/password-reset" || true)"
  echo "${code:-000} $(($(now_ms) - t0))"
}
# the headers but Date, X-Request-Id and Content-Length, names lower-cased, sorted (the status line first)
comparable_headers() {
  tr -d '\r' <"$1" | sed '/^$/d' | awk 'NR == 1 { print; next }
    { i = index($0, ":"); n = tolower(substr($0, 1, i - 1)) }
    n != "date" && n != "x-request-id" && n != "content-length" { print n ":" substr($0, i + 1) }' | sort
}
mails_before="$(lk_mail_count "$M9")" || fail "the mail API $LK_MAIL_API does not answer"
outbox_before="$(psql_q "SELECT coalesce(max(id), 0) FROM users.mail_outbox")"
read -r known_status known_ms < <(reset_request "$M9" known)
read -r nobody_status nobody_ms < <(reset_request "$NOBODY" unknown)
[ "$known_status" = 202 ] || fail "password reset for clu9's address: expected HTTP 202, got $known_status $(head -c 300 "$LK_RUN/reset-known.body")"
[ "$nobody_status" = 202 ] || fail "password reset for an unknown address: expected HTTP 202, got $nobody_status $(head -c 300 "$LK_RUN/reset-unknown.body")"
cmp -s "$LK_RUN/reset-known.body" "$LK_RUN/reset-unknown.body" \
  || fail "the reset answers differ in their bodies: '$(cat "$LK_RUN/reset-known.body")' vs '$(cat "$LK_RUN/reset-unknown.body")'"
diff <(comparable_headers "$LK_RUN/reset-known.headers") <(comparable_headers "$LK_RUN/reset-unknown.headers") >"$LK_RUN/reset-headers.diff" \
  || fail "the reset answers differ in their headers (known < > unknown): $(cat "$LK_RUN/reset-headers.diff")"
pass "reset request: known and unknown address both 202, the same body and headers (but Date, X-Request-Id, Content-Length); answered in $known_ms ms and $nobody_ms ms"
start=$(now_ms)
rtoken="$(lk_mail_token "$M9" reset 30 "$mails_before")" || fail "no reset mail to $M9 within 30 s"
echo "  measured: reset mail read from the mail server $(($(now_ms) - start)) ms after the request's answer"
call POST "$USER_URL/users/password-reset/confirm" "{\"token\":\"$rtoken\",\"newPassword\":\"$PW9_NEW\"}"
expect 204 "confirming clu9's reset with the mailed token"
old_sessions_refused() {
  local port t
  for port in $A $B $C; do for t in "$S9A" "$S9B"; do [ "$(validate_on $port "$t")" = false ] || return 1; done; done
}
wait_until 5 "both sessions from before the reset refused on A, B and C (validate-token false)" old_sessions_refused
for r9 in "$R9A" "$R9B"; do
  call POST "$LB_AUTH/auth/refresh" "{\"refreshToken\":\"$r9\"}"; expect 401 "refreshing a session from before the reset"
done
pass "their refresh tokens: 401 $(field code)"
old_password_refused() {
  local port
  for port in $A $B $C; do login_on $port clu9 "$PW9"; [ "$STATUS" = 401 ] || return 1; done
}
wait_until 5 "clu9's old password refused (401) on A, B and C" old_password_refused
for port in $A $B $C; do login_on $port clu9 "$PW9_NEW"; expect 200 "clu9's new password on $port"; done
S9="$(field accessToken)"; R9="$(field refreshToken)"   # the session from C, alive when the admin disables the account
pass "the new password logs in on A, B and C"

# no mail for the unknown address: its outbox row must close without a mail, and none may arrive
nobody_closed() { [ "$(psql_q "SELECT count(*) FROM users.mail_outbox WHERE id > $outbox_before AND lower(recipient) = lower('$NOBODY') AND done_at IS NOT NULL")" -ge 1 ]; }
wait_until 10 "the unknown address's reset request closed by the mail relay (polled from here)" nobody_closed
relay_sql() { # relay_sql ADDRESS: "outcome ms" of its reset rows since the step began (ms: written to done)
  psql_q "SELECT string_agg(coalesce(outcome, '-'), ',') || ' ' || max(round(extract(epoch FROM done_at - created_at) * 1000))
    FROM users.mail_outbox WHERE id > $outbox_before AND lower(recipient) = lower('$1') AND kind IN ('reset_request', 'password_reset')"
}
read -r outcome nobody_relay_ms < <(relay_sql "$NOBODY")
read -r known_outcome known_relay_ms < <(relay_sql "$M9")
[ "$outcome" = no_account ] || fail "the unknown address's reset request ended as '$outcome', expected no_account"
[ "$known_outcome" = sent ] || fail "clu9's reset request ended as '$known_outcome', expected sent"
sleep 2   # the bounded wait: a mail the relay might still send would be at the server by now
n="$(lk_mail_count "$NOBODY")" || fail "the mail API $LK_MAIL_API does not answer"
[ "$n" = 0 ] || fail "$n mail(s) went to the unknown address $NOBODY"
echo "  measured: the relay closed the unknown address's request (no_account) $nobody_relay_ms ms after it was written; clu9's (sent) after $known_relay_ms ms"
pass "no mail to the unknown address: 0 messages to it at the mail server 2 s after its request was closed without one"

# an admin disables the account: the live session dies at once everywhere, logins answer 403
call POST "$USER_URL/users/$U9/disable" "" "${KEY[@]}"; expect 200 "disabling clu9"
[ "$(field disabled)" = true ] || fail "disable answered without disabled true: $BODY"
disabled_refused() { local port; for port in $A $B $C; do [ "$(validate_on $port "$S9")" = false ] || return 1; done; }
wait_until 5 "the disabled user's session refused on A, B and C (from the disable's answer)" disabled_refused
call POST "$LB_AUTH/auth/refresh" "{\"refreshToken\":\"$R9\"}"; expect 401 "refreshing the disabled user's session"
[ "$(field code)" = invalid_refresh_token ] || fail "refresh of a disabled user: code $(field code), expected invalid_refresh_token"
for port in $A $B $C; do
  login_on $port clu9 "$PW9_NEW"; expect 403 "the disabled clu9 logging in on $port with the right password"
  [ "$(field code)" = account_disabled ] || fail "the disabled clu9 on $port: code $(field code), expected account_disabled"
  login_on $port clu9 "a wrong passphrase 99"; expect 401 "the disabled clu9 on $port with a wrong password"
done
pass "disabled: refresh 401 invalid_refresh_token; login 403 account_disabled with the right password, 401 with a wrong one, on A, B and C"

call POST "$USER_URL/users/$U9/enable" "" "${KEY[@]}"; expect 200 "enabling clu9"
[ "$(field disabled)" = false ] || fail "enable answered without disabled false: $BODY"
start=$(now_ms)
for port in $A $B $C; do login_on $port clu9 "$PW9_NEW"; expect 200 "the enabled clu9 logging in on $port"; done
echo "  measured: logins on A, B and C all 200 within $(($(now_ms) - start)) ms of the enable's answer"
for port in $A $B $C; do
  [ "$(validate_on $port "$S9")" = false ] || fail "the session from before the disable came back on $port after the enable"
done
call POST "$LB_AUTH/auth/refresh" "{\"refreshToken\":\"$R9\"}"; expect 401 "refreshing the session from before the disable after the enable"
pass "enabled: logins work on A, B and C; the session from before the disable stays refused (validate false, refresh 401)"

# ------------------------------------------------------------------ 3b. metrics
step "3b. /metrics on every node's management port: promtool, the contract's series, no id in any label"
promtool check rules "$LK_ROOT/conf/prometheus/latchkey-alerts.yml" >/dev/null || fail "promtool check rules conf/prometheus/latchkey-alerts.yml"
pass "conf/prometheus/latchkey-alerts.yml: promtool check rules passes"
UUID_RE='[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}'
for port in 8310 $A $B $C; do
  file="$LK_RUN/metrics-$port.txt"
  lk_metrics "$port" >"$file" || fail "no /metrics on 127.0.0.1:$(lk_management_port "$port") (the node on $port)"
  out="$(promtool check metrics <"$file" 2>&1)" || fail "promtool check metrics of the node on $port: $out"
  grep -vE '^#' "$file" | grep -qE "$UUID_RE" && fail "a label of the node on $port carries an id: $(grep -vE '^#' "$file" | grep -E "$UUID_RE" | head -3)"
  grep -qE '^vertx_http_server_response_time_seconds_bucket\{' "$file" || fail "no HTTP histogram on the node on $port"
  grep -qE '^latchkey_cluster_size 4' "$file" || fail "the node on $port does not report 4 cluster members: $(grep '^latchkey_cluster_size' "$file")"
done
grep -qE '^latchkey_outbox_backlog\{outbox="mail"\}' "$LK_RUN/metrics-8310.txt" || fail "the user node reports no mail outbox backlog"
logins=0
for port in $A $B $C; do
  n="$(grep -E '^latchkey_logins_total\{outcome="success"\}' "$LK_RUN/metrics-$port.txt" | awk '{print int($2)}')"
  logins=$((logins + ${n:-0}))
done
[ "$logins" -gt 0 ] || fail "the auth nodes counted no successful login after the lifecycle step"
[ "$(lk_http_status "http://127.0.0.1:$(lk_management_port $A)/health/ready")" = 404 ] || fail "the management port serves more than /metrics"
pass "4 nodes: promtool check metrics passes, no UUID in any label, HTTP histograms by route, $logins successful login(s) counted on A, B and C"

# ------------------------------------------------------------------ 4. kill -9 under load
step "4. kill -9 of auth node B during a 20 s mixed load through nginx"
USERS_FILE="$LK_RUN/load-users.txt"; : >"$USERS_FILE"
for i in $(seq 1 24); do
  register "load$i" "load passphrase number $i" >/dev/null
  echo "load$i load passphrase number $i" >>"$USERS_FILE"
done
STARTED_FILE="$LK_RUN/load-kill.started"; rm -f "$STARTED_FILE"
java "$LK_ROOT/scripts/lib/ClusterLoad.java" --auth "$LB_AUTH" --key "$API_KEYS" --users "$USERS_FILE" \
  --threads 6 --seconds 20 --started-file "$STARTED_FILE" >"$LK_RUN/load-kill.txt" 2>&1 &
load_pid=$!
# the source launcher compiles first (seconds, more on a busy machine): wait until the load runs,
# then kill once it has run for ~6 s
load_running() { [ -s "$STARTED_FILE" ]; }
wait_until 60 "the load generator running" load_running
sleep 6
kill -0 "$load_pid" 2>/dev/null || { cat "$LK_RUN/load-kill.txt" >&2; fail "the load generator stopped early"; }
kill_ms=$(now_ms)
kill -KILL "$(lk_node_pid auth $B)" || fail "could not kill the auth node on $B"
rm -f "$(lk_pidfile auth $B)"
echo "  killed the auth node on $B at $kill_ms"
seen_by_a() { [ "$(lk_cluster_size auth $A)" = 3 ]; }
wait_until 15 "A sees the cluster without B" seen_by_a
wait "$load_pid" || { cat "$LK_RUN/load-kill.txt" >&2; fail "the load generator failed"; }
load_pid=""
sed 's/^/  load: /' "$LK_RUN/load-kill.txt"
r() { grep -E "^$1=" "$2" | head -n 1 | cut -d= -f2-; }
LOAD="$LK_RUN/load-kill.txt"
failures="$(r failures "$LOAD")"; first="$(r first_failure_ms "$LOAD")"; last="$(r last_failure_ms "$LOAD")"
started="$(r started_ms "$LOAD")"
[ "$(r requests "$LOAD")" -gt 100 ] || fail "the load made too few requests to mean anything"
[ "$kill_ms" -gt $((started + 3000)) ] || fail "the kill came before the load was running"
if [ "$failures" -gt 0 ]; then
  # a failure must have been in flight at the kill or sent after it: answered after the kill
  # (a login sent shortly before the kill can still be waiting for bcrypt on the killed node)
  answered="$(r first_failure_answered_ms "$LOAD")"
  [ "$answered" -ge "$kill_ms" ] || fail "a request failed before the kill (answered at $answered, kill at $kill_ms)"
  window=$((last - kill_ms))
  echo "  measured: $failures failed request(s) of $(r requests "$LOAD"), from $((first - kill_ms)) ms to $window ms after the kill"
  [ "$window" -le 8000 ] || fail "requests kept failing $window ms after the kill (bound 8000 ms)"
  [ "$failures" -le 30 ] || fail "$failures requests failed: more than the in-flight ones and the detection window"
else
  echo "  measured: 0 failed requests of $(r requests "$LOAD") (nginx moved new connections off B at once)"
fi
echo "  measured: slowest request $(r max_latency_ms "$LOAD") ms; refreshes recovered by a retry: $(r recovered_refreshes "$LOAD"); resent after a closed keep-alive connection: $(r resent_after_closed_connection "$LOAD")"
[ "$(r sessions_checked "$LOAD")" -gt 0 ] || fail "no session to check after the kill"
[ "$(r sessions_final_ok "$LOAD")" = "$(r sessions_checked "$LOAD")" ] \
  || fail "only $(r sessions_final_ok "$LOAD") of $(r sessions_checked "$LOAD") sessions still refresh after the kill"
pass "all $(r sessions_checked "$LOAD") sessions with a completed last refresh still refresh on A and C ($(r sessions_uncertain "$LOAD") uncertain)"
"$SCALE" auth 3   # B comes back on its port
pass "B rejoined: $(lk_cluster_size auth $B) members"

# ------------------------------------------------------------------ 5. user service stopped
step "5. the user service stopped: cached users log in on every node, uncached get 503"
PW4="fourth cluster passphrase"; PW5="fifth cluster passphrase"
register clu4 "$PW4" >/dev/null
register clu5 "$PW5" >/dev/null
login_on $A clu4 "$PW4"; expect 200 "login of clu4 (fills the cache)"
"$SCALE" stop user
for port in $A $B $C; do
  start=$(now_ms); login_on $port clu4 "$PW4"; expect 200 "cached clu4 logging in on $port without the user service"
  login_on $port clu5 "$PW5"; expect 503 "uncached clu5 on $port without the user service"
  [ "$(field code)" = user_service_unavailable ] || fail "uncached login on $port: code $(field code), expected user_service_unavailable"
  echo "  $port: cached 200, uncached 503 user_service_unavailable ($(($(now_ms) - start)) ms for both)"
done
login_on $A clu4 "a wrong passphrase 99"
[ "$STATUS" = 503 ] || fail "a wrong password for a cached user without the user service: expected 503, got $STATUS"
pass "a wrong password of a cached user is 503 too (the outage reveals nothing)"
"$SCALE" user 1
for port in $A $B $C; do login_on $port clu5 "$PW5"; expect 200 "clu5 on $port once the user service is back"; done
pass "the user service back: uncached logins work on A, B and C"

# ------------------------------------------------------------------ 6. every auth node stopped
step "6. every auth node stopped while passwords change and users are deleted"
PW6="sixth cluster passphrase"; PW6_NEW="sixth passphrase renewed"; PW7="seventh cluster passphrase"
U6="$(register clu6 "$PW6")"; U7="$(register clu7 "$PW7")"
login_on $A clu6 "$PW6"; expect 200 "login of clu6"; T6="$(field accessToken)"
login_on $B clu7 "$PW7"; expect 200 "login of clu7"; T7="$(field accessToken)"
call GET "$USER_URL/users/$U6/password-hash" "" "${KEY[@]}"; expect 200 "password version of clu6"
v6_before="$(field passwordVersion)"
outbox_before="$(psql_q "SELECT coalesce(max(id), 0) FROM users.outbox")"
"$SCALE" stop auth
start=$(now_ms)
call POST "$USER_URL/users/$U6/change-password" "{\"newPassword\":\"$PW6_NEW\"}" "${KEY[@]}"
expect 204 "admin password change of clu6 with every auth node down"
echo "  password change answered 204 after $(($(now_ms) - start)) ms (bounded wait for the absent auth service)"
start=$(now_ms)
call DELETE "$USER_URL/users/$U7" "" "${KEY[@]}"; expect 204 "deleting clu7 with every auth node down"
echo "  deletion answered 204 after $(($(now_ms) - start)) ms"
pending="$(psql_q "SELECT count(*) FROM users.outbox WHERE id > $outbox_before AND delivered_at IS NULL")"
[ "$pending" -ge 2 ] || fail "expected the two notices waiting in the outbox, found $pending undelivered"
pass "$pending notice(s) wait in the outbox"
"$SCALE" auth 1
start=$(now_ms)
delivered() { [ "$(psql_q "SELECT count(*) FROM users.outbox WHERE id > $outbox_before AND delivered_at IS NULL")" = 0 ]; }
wait_until 30 "every waiting notice delivered once an auth node is back" delivered
"$SCALE" auth 3
for port in $A $B $C; do
  login_on $port clu6 "$PW6"; expect 401 "clu6's old password on $port"
  login_on $port clu6 "$PW6_NEW"; expect 200 "clu6's new password on $port"
  [ "$(validate_on $port "$T6")" = false ] || fail "clu6's token from before the change still valid on $port"
  [ "$(validate_on $port "$T7")" = false ] || fail "deleted clu7's token still valid on $port"
  login_on $port clu7 "$PW7"; expect 401 "deleted clu7 logging in on $port"
done
pass "old password refused, new accepted, deleted user's token and login refused on A, B and C"
call GET "$USER_URL/users/$U6/password-hash" "" "${KEY[@]}"; expect 200 "password version of clu6"
[ "$(field passwordVersion)" = $((v6_before + 1)) ] || fail "clu6's password version went from $v6_before to $(field passwordVersion), expected +1"
notices="$(psql_q "SELECT count(*) FROM users.outbox WHERE id > $outbox_before")"
applied="$(psql_q "SELECT count(*) FROM auth.applied_user_notices WHERE event_id > $outbox_before")"
[ "$applied" = "$notices" ] || fail "$notices notices sent, $applied applied by the auth service"
state="$(psql_q "SELECT password_version || '/' || deleted FROM auth.user_sync_state WHERE user_id = '$U6'")"
[ "$state" = "$((v6_before + 1))/false" ] || fail "the auth service's state of clu6 is '$state', expected $((v6_before + 1))/false"
[ "$(psql_q "SELECT deleted FROM auth.user_sync_state WHERE user_id = '$U7'")" = t ] || fail "the auth service does not hold clu7 as deleted"
pass "$notices notice(s) sent, each applied exactly once (password version $((v6_before + 1)), deletion recorded)"

# ------------------------------------------------------------------ 7. PostgreSQL restarted
step "7. PostgreSQL restarted under running nodes"
PW8="eighth cluster passphrase"; U8="$(register clu8 "$PW8")"
login_on $A clu8 "$PW8"; expect 200 "login of clu8"; T8="$(field accessToken)"; R8="$(field refreshToken)"
"$LK_ROOT/scripts/pg.sh" stop
db_down() { [ "$(lk_http_status "http://127.0.0.1:$A/health/db")" = 503 ] && [ "$(lk_http_status "$USER_URL/health/db")" = 503 ]; }
wait_until 10 "/health/db 503 on auth and user nodes" db_down
for port in $A $B $C; do
  start=$(now_ms); login_on $port clu8 "$PW8"; took=$(($(now_ms) - start))
  expect 503 "a login on $port without PostgreSQL"
  [ "$(field code)" = database_unavailable ] || fail "login on $port without PostgreSQL: code $(field code)"
  [ "$took" -le 5000 ] || fail "login on $port without PostgreSQL took $took ms (expected a prompt 503)"
  echo "  $port: login 503 database_unavailable in $took ms"
  [ "$(validate_on $port "$T8")" = true ] || fail "validation on $port without PostgreSQL: $BODY"
done
pass "validations keep working on A, B and C without PostgreSQL"
start=$(now_ms); call POST "$LB_AUTH/auth/refresh" "{\"refreshToken\":\"$R8\"}"; took=$(($(now_ms) - start))
expect 503 "a refresh without PostgreSQL"; [ "$(field code)" = database_unavailable ] || fail "refresh without PostgreSQL: code $(field code)"
start=$(now_ms); call GET "$USER_URL/users/$U8" "" "${KEY[@]}"; took2=$(($(now_ms) - start))
expect 503 "the user service without PostgreSQL"; [ "$(field code)" = database_unavailable ] || fail "user service without PostgreSQL: code $(field code)"
echo "  refresh 503 in $took ms; user lookup 503 in $took2 ms"
"$LK_ROOT/scripts/pg.sh" start --test
db_up() {
  local port
  for port in $A $B $C; do [ "$(lk_http_status "http://127.0.0.1:$port/health/db")" = 200 ] || return 1; done
  [ "$(lk_http_status "$USER_URL/health/db")" = 200 ]
}
wait_until 30 "/health/db 200 again on every node" db_up
call POST "$LB_AUTH/auth/refresh" "{\"refreshToken\":\"$R8\"}"; expect 200 "the refresh after PostgreSQL came back"
for port in $A $B $C; do login_on $port clu8 "$PW8"; expect 200 "login on $port after PostgreSQL came back"; done
call GET "$USER_URL/users/$U8" "" "${KEY[@]}"; expect 200 "the user service after PostgreSQL came back"
pass "everything recovered without restarting a node"

# ------------------------------------------------------------------ 8. scaling under load
step "8. auth scaled 3 -> 5 -> 2 under load through nginx: zero failed requests"
STOP_FILE="$LK_RUN/load-stop"; rm -f "$STOP_FILE"
java "$LK_ROOT/scripts/lib/ClusterLoad.java" --auth "$LB_AUTH" --key "$API_KEYS" --users "$USERS_FILE" \
  --threads 4 --until-file "$STOP_FILE" --max-seconds 400 >"$LK_RUN/load-scale.txt" 2>&1 &
load_pid=$!
sleep 6
"$SCALE" auth 5
[ "$(lk_node_ports auth | wc -l)" = 5 ] || fail "auth did not reach 5 nodes"
pass "5 auth nodes: $(grep -c max_fails "$LK_RUN/nginx/upstream-auth.conf") in nginx's list"
sleep 3
"$SCALE" auth 2
[ "$(lk_node_ports auth | wc -l)" = 2 ] || fail "auth did not come down to 2 nodes"
pass "2 auth nodes: $(grep -c max_fails "$LK_RUN/nginx/upstream-auth.conf") in nginx's list"
sleep 3
touch "$STOP_FILE"
wait "$load_pid" || { cat "$LK_RUN/load-scale.txt" >&2; fail "the load generator failed"; }
load_pid=""
sed 's/^/  load: /' "$LK_RUN/load-scale.txt"
LOAD="$LK_RUN/load-scale.txt"
[ "$(r requests "$LOAD")" -gt 100 ] || fail "the load made too few requests to mean anything"
[ "$(r failures "$LOAD")" = 0 ] || fail "$(r failures "$LOAD") request(s) failed while scaling"
[ "$(r sessions_final_ok "$LOAD")" = "$(r sessions_checked "$LOAD")" ] || fail "sessions stopped refreshing after the scaling"
pass "$(r requests "$LOAD") requests while scaling 3 -> 5 -> 2, none failed (slowest $(r max_latency_ms "$LOAD") ms)"
echo "  measured: $(r resent_after_closed_connection "$LOAD") request(s) resent once because nginx closed an idle keep-alive connection while reloading"
"$SCALE" status
