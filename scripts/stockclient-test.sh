#!/usr/bin/env bash
# The stock-client check for both signing algorithms and across a rotation from one to the other
# (docs/OPERATING.md, "Signing keys and their rotation"): npm jose (scripts/stockclient/verify.mjs),
# configured with the issuer URL alone, must accept the tokens of a real auth service from its
# discovery document and JWK set and nothing else.
#
#   1. the services with JWT_ALGORITHM=RS256: jose accepts an RS256 token;
#   2. restarted with JWT_ALGORITHM=EdDSA and the RSA public key in JWT_PUBLIC_KEY_FILES (the
#      rotation's middle): jose accepts an EdDSA token and the RS256 token of step 1 (still live);
#      it refuses an EdDSA token with a changed signature and one relabelled RS256;
#   3. restarted without the previous key (after the RS256 tokens expired): jose refuses the RS256
#      token, accepts the EdDSA one.
#
#   ./scripts/stockclient-test.sh      (~1 min after the build; cluster-test.sh runs the RS256
#                                       check through nginx besides)
#
# Isolated: run dir .run/stockclient-test (logs, keys), PostgreSQL on STOCKCLIENT_TEST_PG_PORT
# (default 54397, data .pg/stockclient-test, recreated per run, fsync off), user service on 18581,
# auth service on 18582, Hazelcast cluster "stockclient-<pid>" on 6081-6082. Needs a JDK 17,
# Maven when the jar must be built, curl, Node.js 20+ and npm (the first run installs jose).
set -euo pipefail

LK_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LK_NAME="stockclient-test"
LK_RUN="$LK_ROOT/.run/stockclient-test"
# shellcheck source=lib/latchkey.sh
. "$LK_ROOT/scripts/lib/latchkey.sh"
cd "$LK_ROOT"

export PG_PORT="${STOCKCLIENT_TEST_PG_PORT:-54397}" PG_DATA="$LK_ROOT/.pg/stockclient-test/data" PG_DB=latchkey
USER_PORT=18581 AUTH_PORT=18582 HZ=6081
export HAZELCAST_CLUSTER_NAME="stockclient-$$" HAZELCAST_PORT="$HZ" HAZELCAST_MEMBERS="127.0.0.1:$HZ"
export USER_HTTP_HOST=127.0.0.1 AUTH_HTTP_HOST=127.0.0.1
export PUBLIC_URL="http://127.0.0.1:$AUTH_PORT"
export API_KEYS="stockclient-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export LATCHKEY_PROFILE=development LATCHKEY_INSTANCES=1 LATCHKEY_DRAIN_SECONDS=0 BCRYPT_COST=4
export LATCHKEY_JAVA_OPTS="${LATCHKEY_JAVA_OPTS:--XX:TieredStopAtLevel=1}"
# four short starts: no AppCDS training start for them
export LATCHKEY_CDS=0
unset API_KEY API_KEYS_VALIDATE DATABASE_URL JWT_PRIVATE_KEY_FILE JWT_PUBLIC_KEY_FILES JWT_ISSUER JWT_ALGORITHM
unset SMTP_HOST SMTP_USERNAME SMTP_PASSWORD EMAIL_VERIFICATION_REQUIRED
KEYS="$LK_RUN/keys"
export JWT_KEYS_DIR="$KEYS"
pg_started=""
user_pid="" auth_pid=""

fail() { echo "stockclient-test: FAILED: $*" >&2; exit 1; }
pass() { echo "  ok: $*"; }

stop_auth() {
  [ -n "$auth_pid" ] || return 0
  lk_stop_processes 30 TERM "the auth node" "$auth_pid"
  auth_pid=""
}

cleanup() {
  local status=$?
  trap '' INT TERM
  stop_auth
  [ -z "$user_pid" ] || lk_stop_processes 30 TERM "the user node" "$user_pid"
  [ -z "$pg_started" ] || "$LK_ROOT/scripts/pg.sh" stop >/dev/null 2>&1 || true
  [ "$status" = 0 ] || echo "stockclient-test: logs in ${LK_RUN#"$LK_ROOT"/}/logs" >&2
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

lk_require java curl
lk_build_if_needed
rm -rf "$LK_RUN" "$LK_ROOT/.pg/stockclient-test"
mkdir -p "$LK_RUN/logs"
lk_stockclient_install
for algorithm in RS256 EdDSA; do lk_ensure_keys "$KEYS" "$algorithm"; done
"$LK_ROOT/scripts/pg.sh" start --test >/dev/null
pg_started=1
DATABASE_URL="$("$LK_ROOT/scripts/pg.sh" url)"
export DATABASE_URL

# start_auth ALGORITHM [PREVIOUS_PUBLIC_KEY_FILES]: the auth node signing with ALGORITHM, once ready
auth_starts=0
start_auth() {
  auth_starts=$((auth_starts + 1))
  local log="$LK_RUN/logs/auth-$auth_starts.log"
  export JWT_ALGORITHM="$1" JWT_PUBLIC_KEY_FILES="${2:-}"
  lk_spawn_node auth "$AUTH_PORT" "$log"
  auth_pid="$LK_NODE_PID"
  lk_await_ready "the auth node (JWT_ALGORITHM=$1)" "$AUTH_PORT" "$auth_pid" "$log" 120 || exit 1
}

lk_spawn_node user "$USER_PORT" "$LK_RUN/logs/user.log"
user_pid="$LK_NODE_PID"
lk_await_ready "the user node" "$USER_PORT" "$user_pid" "$LK_RUN/logs/user.log" 120 || exit 1
export HAZELCAST_PORT=$((HZ + 1)) HAZELCAST_MEMBERS="127.0.0.1:$HZ"

PASSWORD="stock client passphrase"
call POST "http://127.0.0.1:$USER_PORT/users" "{\"username\":\"stock\",\"email\":\"stock@example.com\",\"password\":\"$PASSWORD\"}"
[ "$STATUS" = 201 ] || fail "registering a user: HTTP $STATUS $BODY"

# token: logs in, prints the access token
token() {
  call POST "$PUBLIC_URL/auth/login" "{\"login\":\"stock\",\"password\":\"$PASSWORD\"}"
  [ "$STATUS" = 200 ] || fail "login: HTTP $STATUS $BODY"
  field accessToken
}
# header_alg TOKEN: the alg of the token's header
header_alg() { local h="${1%%.*}"; while [ $((${#h} % 4)) != 0 ]; do h="$h="; done; echo "$h" | tr '_-' '/+' | base64 -d | grep -oE '"alg":"[^"]*"' | cut -d'"' -f4; }
# jose EXPECTED TOKEN WHAT: verify.mjs's exit status must be EXPECTED (0 accepted, 1 refused)
jose() {
  local status=0 out
  out="$(lk_stockclient_verify "$PUBLIC_URL" latchkey "$2")" || status=$?
  [ "$status" = "$1" ] || fail "jose: $3: exit status $status, expected $1: $out"
  pass "jose: $3 ($out)"
}

echo "=== 1. JWT_ALGORITHM=RS256"
start_auth RS256
RS="$(token)"
[ "$(header_alg "$RS")" = RS256 ] || fail "the token's alg is $(header_alg "$RS"), expected RS256"
jose 0 "$RS" "an RS256 token accepted"
stop_auth

echo "=== 2. JWT_ALGORITHM=EdDSA, the RSA key kept as the previous one"
start_auth EdDSA "$KEYS/jwt-public.pem"
ED="$(token)"
[ "$(header_alg "$ED")" = EdDSA ] || fail "the token's alg is $(header_alg "$ED"), expected EdDSA"
call GET "$PUBLIC_URL/.well-known/jwks.json" ""
echo "$BODY" | grep -q '"kty":"OKP","crv":"Ed25519"' || fail "no OKP Ed25519 key in the JWK set: $BODY"
echo "  jwks: $BODY"
call GET "$PUBLIC_URL/.well-known/openid-configuration" ""
echo "$BODY" | grep -q '"id_token_signing_alg_values_supported":\["EdDSA","RS256"\]' \
  || fail "the discovery document does not list EdDSA, then RS256: $BODY"
pass "the JWK set holds the OKP key and the RSA key; the discovery document lists EdDSA, then RS256"
jose 0 "$ED" "an EdDSA token accepted from the JWK set alone"
jose 0 "$RS" "the RS256 token of the previous key still accepted"
jose 1 "${ED%?????}AAAAA" "an EdDSA token with a changed signature refused"
RELABELLED="$(printf '%s' '{"alg":"RS256","typ":"JWT"}' | base64 -w0 | tr '+/' '-_' | tr -d '=').${ED#*.}"
jose 1 "$RELABELLED" "an EdDSA token relabelled RS256 refused"
stop_auth

echo "=== 3. JWT_ALGORITHM=EdDSA alone (the previous key dropped once its tokens expired)"
start_auth EdDSA
call GET "$PUBLIC_URL/.well-known/jwks.json" ""
[ "$(echo "$BODY" | grep -o '"kid"' | wc -l)" = 1 ] && echo "$BODY" | grep -q '"kty":"OKP"' || fail "the JWK set is not the OKP key alone: $BODY"
jose 0 "$ED" "the EdDSA token accepted"
jose 1 "$RS" "the RS256 token refused: its key left the JWK set"
echo "stockclient-test: passed"
