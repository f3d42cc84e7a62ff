#!/usr/bin/env bash
# Benchmarks Latchkey on this machine (docs/BENCHMARKS.md): a throwaway PostgreSQL (durable commits), the
# user and auth services with a benchmark configuration, a bare Vert.x Web baseline server, and
# wrk on loopback (2 threads) against each scenario; prints one table and writes
# target/bench/results.json and target/bench/results.md. Stops everything it started on exit,
# also on Ctrl-C. docs/BENCHMARKS.md says what each figure means.
#
#   ./scripts/bench.sh            the HTTP scenarios (about 6 minutes after the build)
#   ./scripts/bench.sh --jmh [JMH args]   the JMH microbenchmarks instead (bench module)
#   ./scripts/bench.sh --seed-users N --seed-sessions M
#                       the same scenarios on a database that also holds N users and M sessions,
#                       seeded by direct SQL (scripts/bench/seed-users.sql, seed-sessions.sql; the
#                       services are restarted after it), then the scale measures below at that level
#   ./scripts/bench.sh --scale 0,100000,1000000
#                       instead of the scenarios, the scale table: for each level L (ascending),
#                       users and sessions seeded up to L (cumulative), the services restarted, then
#                       100 searches one at a time with a rare, a common and a no-match term and 100
#                       GET /users/by-email (p50 / p99), the bcrypt and signing bounds, the baseline,
#                       validate-token, login and refresh rates (64 / 64 / 16 / 64 connections), and
#                       the bytes each refresh added to auth.sessions and the tables of refresh-token
#                       hashes (no VACUUM in between); 17-37 minutes for 0,100000,1000000 here
#   ./scripts/bench.sh --help     this text
#
# Environment (all optional):
#   BENCH_DURATION   measured seconds per wrk run, default 15
#   BENCH_WARMUP     warm-up seconds per scenario, default 5
#   BENCH_TOKEN_WARMUP  warm-up seconds of the token scenarios (validate, introspect, me, refresh and their
#                    EdDSA runs, and the baseline), default 20: their paths are compiled by C2 only after
#                    ~10,000-20,000 requests (a refresh run at ~700/s after a 5 s warm-up spent 2-8 s of
#                    its 15 s in the C2 compiler threads)
#   BENCH_QUICK=1    short runs while developing: 3 s measured, 1 s warm-up
#   BENCH_THREADS    wrk threads, default 2
#   BENCH_USERS      users seeded, default 50
#   BENCH_IMPORT_LINES  users generated for the import scenario (one streamed request), default 100000
#   BENCH_JFR=1      record a JFR profile of each service into target/bench/<role>.jfr
#   BENCH_HEAP       -Xmx of each service, default 256m (as scripts/run.sh)
#   BENCH_JAVA_OPTS  extra JVM flags of both services (e.g. -XX:+UseSerialGC), recorded in the results
#   BENCH_CDS=0      start the services without their AppCDS archives (default: with them, as
#                    every script; one training start per role makes them after a build)
#   BENCH_PG_PORT    port of the benchmark's own PostgreSQL, default 54349 (data .pg/bench)
#   BENCH_PORT_BASE  baseline = base, user = base+1, auth = base+2; default 18080
#   BENCH_HZ_PORT    first Hazelcast port of the benchmark's own cluster, default 5771
#   BENCH_SCENARIOS  only these scenarios, space-separated (baseline validate introspect me refresh
#                    validate-eddsa refresh-eddsa login login-mfa under-login import); default all. The
#                    bounds (bcrypt, RS256 and EdDSA signing), memory and start times are always measured.
#                    The two -eddsa scenarios run on the auth service restarted with JWT_ALGORITHM=EdDSA
#                    (the RSA key kept as the previous key), after which it is restarted with RS256
#   BENCH_SCALE      the levels of --scale (comma-separated), when the flag is not given
#   BENCH_SEARCH_COUNT        searches (and by-email lookups) measured per term and level, default 100
#   BENCH_SEARCH_MAX_SECONDS  no new search of a term starts after this many seconds, default 120
#                             (a bound for slow searches: the table then says how many were measured)
#   BENCH_SEARCH_RARE / BENCH_SEARCH_COMMON / BENCH_SEARCH_NONE   the search terms, default quzzane
#                    (1 seeded user at 100,000, 4 at 1,000,000), example (~85 % of the users), zebulon
#                    (nobody); letters, digits and . @ - only
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="$here/target/bench"
RAW="$OUT/raw.jsonl"
LOGS="$OUT/logs"
DATA="$OUT/data"
BENCH_JAR="$here/bench/target/latchkey-bench.jar"
LK_RUN="$OUT"   # the services' pid files (target/bench/nodes/): not among run.sh's and scale.sh's
# shellcheck source=lib/latchkey.sh
. "$here/scripts/lib/latchkey.sh"
cd "$here"

lk_require java

usage() { sed -n '2,/^set -euo pipefail/p' "$here/scripts/bench.sh" | sed '$d' | sed -E 's/^# ?//'; }

if [ "${1:-}" = "--jmh" ]; then
  shift
  lk_build_if_needed bench
  mkdir -p "$OUT"
  lk_log "JMH microbenchmarks (results also in target/bench/jmh.json); load before: $(cut -d' ' -f1-3 /proc/loadavg)"
  java -jar "$BENCH_JAR" -rf json -rff "$OUT/jmh.json" "$@"
  lk_log "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
  exit 0
fi

# ---- the seeding and scale flags

SEED_USERS=0
SEED_SESSIONS=0
SCALE="${BENCH_SCALE:-}"
while [ "$#" -gt 0 ]; do
  case "$1" in
    --seed-users) SEED_USERS="${2:-}"; shift 2 || lk_die "--seed-users needs a number" ;;
    --seed-users=*) SEED_USERS="${1#*=}"; shift ;;
    --seed-sessions) SEED_SESSIONS="${2:-}"; shift 2 || lk_die "--seed-sessions needs a number" ;;
    --seed-sessions=*) SEED_SESSIONS="${1#*=}"; shift ;;
    --scale) SCALE="${2:-}"; shift 2 || lk_die "--scale needs levels, e.g. --scale 0,100000,1000000" ;;
    --scale=*) SCALE="${1#*=}"; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; lk_die "unknown argument: $1" ;;
  esac
done
# the seeded users' creation times are 10 s apart, the 10,000,000th 30 days ago (seed-users.sql)
MAX_SEED_USERS=10000000
is_count() { [[ "$1" =~ ^[0-9]+$ ]]; }
is_count "$SEED_USERS" || lk_die "--seed-users must be a number of users (got '$SEED_USERS')"
is_count "$SEED_SESSIONS" || lk_die "--seed-sessions must be a number of sessions (got '$SEED_SESSIONS')"
LEVELS=()
if [ -n "$SCALE" ]; then
  if [ "$SEED_USERS" != 0 ] || [ "$SEED_SESSIONS" != 0 ]; then
    lk_die "--scale seeds its own levels: give it without --seed-users / --seed-sessions"
  fi
  [ -z "${BENCH_SCENARIOS:-}" ] || lk_die "--scale runs its own measures, not BENCH_SCENARIOS"
  IFS=, read -r -a LEVELS <<<"$SCALE"
  previous=-1
  for level in "${LEVELS[@]}"; do
    is_count "$level" || lk_die "--scale: '$level' is not a number (levels are comma-separated counts, e.g. 0,100000,1000000)"
    [ "$level" -gt "$previous" ] || lk_die "--scale: the levels must grow (seeding is cumulative): $SCALE"
    previous="$level"
  done
  [ "$previous" -le "$MAX_SEED_USERS" ] || lk_die "--scale: at most $MAX_SEED_USERS users"
  MODE=scale
elif [ "$SEED_USERS" -gt 0 ] || [ "$SEED_SESSIONS" -gt 0 ]; then
  [ "$SEED_USERS" -le "$MAX_SEED_USERS" ] || lk_die "--seed-users: at most $MAX_SEED_USERS"
  [ "$SEED_SESSIONS" = 0 ] || [ "$SEED_USERS" -gt 0 ] || lk_die "--seed-sessions needs seeded users to own them (--seed-users)"
  MODE=seed
else
  MODE=plain
fi
SEARCH_COUNT="${BENCH_SEARCH_COUNT:-100}"
SEARCH_MAX_SECONDS="${BENCH_SEARCH_MAX_SECONDS:-120}"
SEARCH_RARE="${BENCH_SEARCH_RARE:-quzzane}"
SEARCH_COMMON="${BENCH_SEARCH_COMMON:-example}"
SEARCH_NONE="${BENCH_SEARCH_NONE:-zebulon}"
for term in "$SEARCH_RARE" "$SEARCH_COMMON" "$SEARCH_NONE"; do
  [[ "$term" =~ ^[A-Za-z0-9.@-]+$ ]] || lk_die "search terms are letters, digits and . @ - only (got '$term')"
done
is_positive() { is_count "$1" && [ "$1" -gt 0 ]; }
is_positive "$SEARCH_COUNT" || lk_die "BENCH_SEARCH_COUNT must be a positive number"
is_positive "$SEARCH_MAX_SECONDS" || lk_die "BENCH_SEARCH_MAX_SECONDS must be a positive number"

DURATION="${BENCH_DURATION:-15}"
WARMUP="${BENCH_WARMUP:-5}"
TOKEN_WARMUP="${BENCH_TOKEN_WARMUP:-20}"
if [ "${BENCH_QUICK:-0}" = 1 ]; then
  DURATION="${BENCH_DURATION:-3}"
  WARMUP="${BENCH_WARMUP:-1}"
  TOKEN_WARMUP="${BENCH_TOKEN_WARMUP:-1}"
fi
THREADS="${BENCH_THREADS:-2}"
USERS="${BENCH_USERS:-50}"
IMPORT_LINES="${BENCH_IMPORT_LINES:-100000}"
[[ "$IMPORT_LINES" =~ ^[1-9][0-9]{0,7}$ ]] || lk_die "BENCH_IMPORT_LINES must be a number of lines (1..99999999)"
HEAP="${BENCH_HEAP:-256m}"
PORT_BASE="${BENCH_PORT_BASE:-18080}"
BASELINE_PORT="$PORT_BASE"
USER_PORT=$((PORT_BASE + 1))
AUTH_PORT=$((PORT_BASE + 2))
HZ_PORT="${BENCH_HZ_PORT:-5771}"
CORES="$(nproc)"

export PG_PORT="${BENCH_PG_PORT:-54349}"
export PG_DATA="$here/.pg/bench/data"
export PG_DB="latchkey_bench"

# the services start with the flags of every other script (lk_java_flags), these included
export LATCHKEY_HEAP="$HEAP"
export LATCHKEY_JAVA_OPTS="${BENCH_JAVA_OPTS:-}"
export LATCHKEY_CDS="${BENCH_CDS:-1}"
# the seeding registers BENCH_USERS users, and the TOTP users of login-mfa (40 per second of its
# warm-up and run), from this one host: above the default registration limit
export REGISTRATION_IP_MAX=$((USERS + (WARMUP + DURATION) * 40 + 100))

if ! command -v wrk >/dev/null; then
  lk_log "wrk not found; installing Debian's wrk package"
  [ "$(id -u)" -eq 0 ] || lk_die "need root to install wrk (run: sudo apt-get install -y wrk)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null 2>&1 \
    || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; } \
    || lk_die "could not install wrk"
fi
lk_require curl
lk_build_if_needed bench

# ---- everything started below is stopped on exit

pids=()
names=()
pg_started=0

stop_all() {
  trap '' INT TERM
  lk_cds_abort
  local i stops=()
  # the last started first
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do stops+=("${names[$i]}" "${pids[$i]}"); done
  lk_stop_processes 30 TERM "${stops[@]}"
  pids=()
  if [ "$pg_started" = 1 ]; then
    "$here/scripts/pg.sh" stop >/dev/null 2>&1 || true
    pg_started=0
  fi
}
trap 'lk_log "interrupted; stopping everything this script started"; stop_all; exit 130' INT TERM
trap 'stop_all' EXIT

remember() { pids+=("$1"); names+=("$2"); }

load_now() { cut -d' ' -f1-3 /proc/loadavg; }

rm -rf "$OUT"
mkdir -p "$OUT" "$LOGS" "$DATA"
: >"$RAW"

# ---- PostgreSQL: our own, fresh, durable commits (no --test)

if "$here/scripts/pg.sh" status; then
  lk_die "something already answers on PostgreSQL port $PG_PORT; stop it or set BENCH_PG_PORT"
fi
rm -rf "$here/.pg/bench"
"$here/scripts/pg.sh" start
pg_started=1
DATABASE_URL="$("$here/scripts/pg.sh" url)"
export DATABASE_URL
PSQL="$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1)/psql"
# every refresh is a durable commit: the benchmark runs with fsync and synchronous commits on
DURABILITY="fsync=$("$PSQL" -h 127.0.0.1 -p "$PG_PORT" -U postgres -tAc 'SHOW fsync'),synchronous_commit=$("$PSQL" -h 127.0.0.1 -p "$PG_PORT" -U postgres -tAc 'SHOW synchronous_commit')"
[ "$DURABILITY" = "fsync=on,synchronous_commit=on" ] || lk_die "the benchmark PostgreSQL must commit durably ($DURABILITY)"

# ---- the services, with the benchmark configuration

API_KEY_VALUE="bench-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export BENCH_API_KEY="$API_KEY_VALUE"
export API_KEYS="$API_KEY_VALUE"
export LATCHKEY_PROFILE=development
export HAZELCAST_CLUSTER_NAME="latchkey-bench-$$"
export HAZELCAST_PORT="$HZ_PORT"
# the seed member only (the user service, started first; the auth service takes the next port):
# a first member whose list names absent members waits one join round (~1 s) for them
export HAZELCAST_MEMBERS="127.0.0.1:$HZ_PORT"
export USER_HTTP_HOST=127.0.0.1 AUTH_HTTP_HOST=127.0.0.1
export USER_HTTP_PORT="$USER_PORT" AUTH_HTTP_PORT="$AUTH_PORT"
export BCRYPT_COST=10
export ACCESS_TOKEN_TTL_SECONDS=3600
export LOGIN_ACCOUNT_MAX_FAILURES=1000000 LOGIN_IP_MAX_FAILURES=1000000
export JWT_KEYS_DIR="$OUT/keys"
export LATCHKEY_LOG_LEVEL="${LATCHKEY_LOG_LEVEL:-WARN}"
unset JWT_PRIVATE_KEY_FILE JWT_PUBLIC_KEY_FILES API_KEY API_KEYS_VALIDATE 2>/dev/null || true
# RS256 unless a scenario says otherwise (the -eddsa ones)
export JWT_ALGORITHM=RS256

lk_ensure_keys "$JWT_KEYS_DIR" RS256
lk_ensure_keys "$JWT_KEYS_DIR" EdDSA

# the start times are measured: readiness polled every 50 ms
LK_POLL_S=0.05

# start_service <role> <port>: returns once /health/ready is 200; records the time from start to ready
start_tag=""
# (a restart after seeding logs to <role>-<n>.log and profiles to <role>-<n>.jfr: start_tag)
start_service() {
  local role="$1" port="$2" logfile="$LOGS/$1${start_tag}.log" ready_ms extra=()
  if [ "${BENCH_JFR:-0}" = 1 ]; then
    extra+=("-XX:StartFlightRecording=filename=$OUT/$role${start_tag}.jfr,settings=profile,dumponexit=true")
  fi
  lk_spawn_node "$role" "$port" "$logfile" "${extra[@]}"
  remember "$LK_NODE_PID" "the $role node on port $port"
  lk_log "the $role node's JVM flags: ${LK_NODE_FLAGS[*]}"
  echo "${LK_NODE_FLAGS[*]}" >"$OUT/java-flags-$role.txt"
  lk_await_ready "the $role node on port $port" "$port" "$LK_NODE_PID" "$logfile" 120 || exit 1
  ready_ms=$(($(lk_now_ms) - LK_NODE_STARTED_MS))
  lk_log "the $role node on port $port is ready after $ready_ms ms"
  eval "${role}_pid=$LK_NODE_PID"
  eval "${role}_ready_ms=$ready_ms"
}

start_service user "$USER_PORT"
start_service auth "$AUTH_PORT"

java -Xmx256m -cp "$BENCH_JAR" io.latchkey.bench.BaselineServer "$BASELINE_PORT" "$CORES" >"$LOGS/baseline.log" 2>&1 &
baseline_pid=$!
remember "$baseline_pid" "the baseline server on port $BASELINE_PORT"
lk_await_ready "the baseline server on port $BASELINE_PORT" "$BASELINE_PORT" "$baseline_pid" "$LOGS/baseline.log" 60 || exit 1

# ---- seeding through the real API: users, then sessions (each login a token pair)

lk_log "seeding $USERS users"
PASSWORD="bench passphrase 4711"
: >"$DATA/users.txt"
seed_user() {
  local name="bench$1"
  local status
  status="$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$USER_PORT/users" -H 'Content-Type: application/json' \
    -d "{\"username\":\"$name\",\"email\":\"$name@example.com\",\"password\":\"$PASSWORD\"}")"
  [ "$status" = 201 ] || { echo "user $name: HTTP $status" >&2; return 1; }
}
export -f seed_user
export USER_PORT PASSWORD
seq 1 "$USERS" | xargs -P 4 -I{} bash -c 'seed_user {}' || lk_die "seeding users failed"
for i in $(seq 1 "$USERS"); do echo "bench$i $PASSWORD" >>"$DATA/users.txt"; done

# ---- seeding by direct SQL (--seed-users / --seed-sessions / --scale)

# psql_db [psql args...]: psql on the benchmark database, stopping at the first error, quiet, unaligned
psql_db() { "$PSQL" -h 127.0.0.1 -p "$PG_PORT" -U postgres -d "$PG_DB" -X -q -v ON_ERROR_STOP=1 -tA "$@"; }

forget() {
  local i keep_pids=() keep_names=()
  for i in "${!pids[@]}"; do
    [ "${pids[$i]}" = "$1" ] || { keep_pids+=("${pids[$i]}"); keep_names+=("${names[$i]}"); }
  done
  pids=("${keep_pids[@]}")
  names=("${keep_names[@]}")
}

# shellcheck disable=SC2154 # user_pid, auth_pid: set by start_service through eval
stop_services() {
  lk_stop_processes 30 TERM "the auth node on port $AUTH_PORT" "$auth_pid" "the user node on port $USER_PORT" "$user_pid"
  forget "$auth_pid"
  forget "$user_pid"
}

starts=1
# restart_services: the services started again (after a seeding: nothing they hold in memory,
# the password cache, the revocations, the prepared statements' plans, predates it)
restart_services() {
  starts=$((starts + 1))
  start_tag="-$starts"
  start_service user "$USER_PORT"
  start_service auth "$AUTH_PORT"
}

# set_level <users> <sessions>: the records written from now on belong to this level of the scale table
set_level() {
  LEVEL_JSON="\"scaleUsers\":$1,\"scaleSessions\":$2,"
  LEVEL_TAG="-u$1-s$2"
}
clear_level() { LEVEL_JSON=""; LEVEL_TAG=""; }
clear_level

# the auth service's session lifetimes (the benchmark leaves them at their defaults unless the
# environment sets them), for realistic session timestamps
auth_conf() { grep -oE "\"$1\": *[0-9]+" "$here/conf/auth.json" | grep -oE '[0-9]+$'; }
REFRESH_TTL="${REFRESH_TOKEN_TTL_SECONDS:-$(auth_conf refreshTokenTtlSeconds)}"
MAX_LIFETIME="${SESSION_MAX_LIFETIME_SECONDS:-$(auth_conf sessionMaxLifetimeSeconds)}"
# how long the service's cleanup keeps an ended or revoked session (SessionCleanup: access lifetime + 300 s)
CLEANUP_KEEP=$((ACCESS_TOKEN_TTL_SECONDS + 300))
SEED_CHUNK=250000
seeded_users=0
seeded_sessions=0

# seed_range <sql file> <from> <to> [psql args...]: runs the seeding file over from..to in chunks
seed_range() {
  local file="$1" from="$2" to="$3" last
  shift 3
  while [ "$from" -le "$to" ]; do
    last=$((from + SEED_CHUNK - 1 < to ? from + SEED_CHUNK - 1 : to))
    psql_db -v first="$from" -v last="$last" "$@" -f "$here/scripts/bench/$file" >/dev/null \
      || lk_die "seeding $from..$last with scripts/bench/$file failed"
    lk_log "  $file: $last of $to"
    from=$((last + 1))
  done
}

# seed_to <users> <sessions>: seeds users and sessions up to these numbers (cumulative: only what is
# missing), then VACUUM ANALYZE of the seeded tables: the statistics the planner needs, and the
# state of tables that have lived (hint bits set, visibility map current), so that neither the first
# scans nor an autovacuum of the fresh rows run during the measures; then a CHECKPOINT. Writes a
# "seed" record with the times and the tables' rows.
seed_to() {
  local users="$1" sessions="$2" added_users added_sessions t0 t1 t2 t3 rows
  added_users=$((users > seeded_users ? users - seeded_users : 0))
  added_sessions=$((sessions > seeded_sessions ? sessions - seeded_sessions : 0))
  t0="$(lk_now_ms)"
  if [ "$users" -gt "$seeded_users" ]; then
    lk_log "seeding users $((seeded_users + 1)) to $users by SQL (one bcrypt hash at cost $BCRYPT_COST, that of bench1)"
    seed_range seed-users.sql $((seeded_users + 1)) "$users" -v template=bench1
    seeded_users="$users"
  fi
  t1="$(lk_now_ms)"
  if [ "$sessions" -gt "$seeded_sessions" ]; then
    lk_log "seeding sessions $((seeded_sessions + 1)) to $sessions by SQL, over $seeded_users users"
    seed_range seed-sessions.sql $((seeded_sessions + 1)) "$sessions" -v users="$seeded_users" \
      -v refresh_ttl="$REFRESH_TTL" -v max_lifetime="$MAX_LIFETIME" -v keep="$CLEANUP_KEEP"
    seeded_sessions="$sessions"
  fi
  t2="$(lk_now_ms)"
  psql_db -c 'VACUUM (ANALYZE) users.users, auth.sessions, auth.user_sync_state, auth.user_token_state' >/dev/null
  # and the seeding's writes on disk now: else the checkpoint its WAL triggers writes them out (and
  # the kernel with it) for minutes, during the level's measures (seen: 13:27-13:30 at 1M)
  psql_db -c 'CHECKPOINT' >/dev/null
  t3="$(lk_now_ms)"
  rows="$(psql_db -F, -c 'SELECT (SELECT count(*) FROM users.users), (SELECT count(*) FROM auth.sessions)')"
  lk_log "seeded: $((t1 - t0)) ms users, $((t2 - t1)) ms sessions, $((t3 - t2)) ms VACUUM ANALYZE and CHECKPOINT; rows in users.users, auth.sessions: $rows"
  printf '{"kind":"seed",%s"usersRows":%s,"sessionsRows":%s,"addedUsers":%s,"addedSessions":%s,"usersSeconds":%s,"sessionsSeconds":%s,"vacuumAnalyzeSeconds":%s}\n' \
    "$LEVEL_JSON" "${rows%,*}" "${rows#*,}" "$added_users" "$added_sessions" \
    "$(ms_to_s $((t1 - t0)))" "$(ms_to_s $((t2 - t1)))" "$(ms_to_s $((t3 - t2)))" >>"$RAW"
}
ms_to_s() { printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)); }

# scale_level_start <users> <sessions>: stop the services, seed up to the level, start them again
# and record their start times
# shellcheck disable=SC2154 # user_ready_ms, auth_ready_ms: set by start_service through eval
scale_level_start() {
  set_level "$1" "$2"
  stop_services
  seed_to "$1" "$2"
  restart_services
  printf '{"kind":"scale-ready",%s"userReadyMs":%s,"authReadyMs":%s,"loadBefore":"%s"}\n' \
    "$LEVEL_JSON" "$user_ready_ms" "$auth_ready_ms" "$(load_now)" >>"$RAW"
}

if [ "$MODE" = seed ]; then
  scale_level_start "$SEED_USERS" "$SEED_SESSIONS"
  clear_level
fi

# login_many <count> <file prefix>: <prefix>.access and <prefix>.refresh, one token a line
login_many() {
  local count="$1" prefix="$2"
  # shellcheck disable=SC2016 # the inner script expands AUTH_PORT, USERS and PASSWORD from its environment
  seq 1 "$count" | xargs -P 8 -I{} bash -c \
    'curl -s -X POST "http://127.0.0.1:$AUTH_PORT/auth/login" -H "Content-Type: application/json" \
       -d "{\"login\":\"bench$(( ({} - 1) % USERS + 1 ))\",\"password\":\"$PASSWORD\"}"; echo' >"$prefix.pairs"
  grep -o '"accessToken":"[^"]*"' "$prefix.pairs" | cut -d'"' -f4 >"$prefix.access"
  grep -o '"refreshToken":"[^"]*"' "$prefix.pairs" | cut -d'"' -f4 >"$prefix.refresh"
  local got; got="$(wc -l <"$prefix.refresh")"
  [ "$got" -eq "$count" ] || lk_die "seeding sessions: $got of $count logins succeeded (see $prefix.pairs)"
}
export AUTH_PORT USERS

SCENARIOS=" ${BENCH_SCENARIOS:-baseline validate introspect me refresh validate-eddsa refresh-eddsa login login-mfa under-login import} "
[ "$MODE" != scale ] || SCENARIOS=" "
wanted() { [[ "$SCENARIOS" == *" $1 "* ]]; }

# refresh chains: one pool per wrk run (a run ends with requests in flight, whose successors are
# never seen), each of at least 1.5x the run's connections so that no connection waits for a token
if [ "$MODE" != scale ]; then
  lk_log "seeding sessions (logins at bcrypt cost 10)"
  login_many 200 "$DATA/tokens"             # access tokens of validate / introspect / me
  login_many 96 "$DATA/chains-warmup"
  login_many 32 "$DATA/chains-16"
  login_many 96 "$DATA/chains-64"
  if wanted refresh-eddsa; then
    # refresh tokens do not depend on the signing algorithm: sessions opened now refresh on the EdDSA node
    login_many 96 "$DATA/chains-eddsa-warmup"
    login_many 32 "$DATA/chains-eddsa-16"
    login_many 96 "$DATA/chains-eddsa-64"
  fi
fi

# ---- the bounds, measured alone (the services idle)

lk_log "measuring the bcrypt, RS256 and EdDSA bounds alone"
java -Xmx256m -cp "$BENCH_JAR" io.latchkey.bench.CryptoBounds 10 "${BCRYPT_THREADS:-$CORES}" "${LATCHKEY_INSTANCES:-$CORES}" >>"$RAW"

# ---- the scenarios

export LUA_PATH="$here/scripts/bench/?.lua;;"

# cpu_ticks: CPU time so far (clock ticks) of the auth node, the user node, PostgreSQL (the
# postmaster, its live backends, and the backends that ended) and the whole machine, space-separated
# (with the children that ended and were waited for)
proc_ticks() { awk '{print $14 + $15 + $16 + $17}' "/proc/$1/stat" 2>/dev/null || echo 0; }
cpu_ticks() {
  local pm pg=0 pid
  pm="$(head -n 1 "$PG_DATA/postmaster.pid" 2>/dev/null)"
  if [ -n "$pm" ]; then
    pg="$(proc_ticks "$pm")"
    for pid in $(ps --ppid "$pm" -o pid=); do pg=$((pg + $(awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null || echo 0))); done
  fi
  # shellcheck disable=SC2154 # auth_pid, user_pid: set by start_service through eval
  echo "$(proc_ticks "$auth_pid") $(proc_ticks "$user_pid") $pg $(awk '/^cpu / {print $2 + $3 + $4 + $7 + $8 + $9}' /proc/stat)"
}
CLK_TCK="$(getconf CLK_TCK)"
# thread_ticks <pid>: "<thread name, digits as #> <ticks>" for each thread of a process
thread_ticks() {
  local task name
  for task in /proc/"$1"/task/*; do
    name="$(tr ' ' '_' <"$task/comm" 2>/dev/null | tr -s '0-9' '#')" || continue
    echo "${name:-?} $(sed 's/.*) //' "$task/stat" 2>/dev/null | awk '{print $12 + $13}')"
  done
}
# thread_cpu <before file> <after file>: CPU ms of each thread group between the two readings, most first
thread_cpu() {
  awk -v t="$CLK_TCK" 'NR == FNR { before[$1] += $2; next } { after[$1] += $2 }
    END { for (n in after) { ms = (after[n] - before[n]) * 1000 / t; if (ms > 0) printf "%8d ms  %s\n", ms, n } }' "$1" "$2" | sort -rn
}

# run_wrk <scenario> <connections> <seconds> <script> <url> <data file> [timeout]: appends its record,
# with the CPU milliseconds each process used during the run ("cpuMs": the rest of the machine is
# wrk, the baseline server and anything else running)
run_wrk() {
  local scenario="$1" conns="$2" seconds="$3" script="$4" url="$5" data="$6" timeout="${7:-5s}" load line c0 c1 cpu
  load="$(load_now)"
  read -ra c0 <<<"$(cpu_ticks)"
  thread_ticks "$auth_pid" >"$LOGS/threads-auth-before.txt"
  line="$(wrk -t"$THREADS" -c"$conns" -d"${seconds}s" --timeout "$timeout" -s "$here/scripts/bench/$script" "$url" \
    -- "$scenario" "$conns" "$THREADS" "$data" 2>&1 | tee "$LOGS/wrk-$scenario-c$conns$LEVEL_TAG.txt" | grep '^BENCH_JSON ' | sed 's/^BENCH_JSON //')" || true
  read -ra c1 <<<"$(cpu_ticks)"
  thread_ticks "$auth_pid" >"$LOGS/threads-auth-after.txt"
  thread_cpu "$LOGS/threads-auth-before.txt" "$LOGS/threads-auth-after.txt" >"$LOGS/cpu-threads-auth-$scenario-c$conns$LEVEL_TAG.txt"
  [ -n "$line" ] || lk_die "wrk printed no result for $scenario (see $LOGS/wrk-$scenario-c$conns$LEVEL_TAG.txt)"
  cpu="$(awk -v t="$CLK_TCK" -v a="${c0[*]}" -v b="${c1[*]}" 'BEGIN { split(a, x, " "); split(b, y, " ");
    printf "{\"auth\":%d,\"user\":%d,\"postgres\":%d,\"machine\":%d}", (y[1]-x[1])*1000/t, (y[2]-x[2])*1000/t, (y[3]-x[3])*1000/t, (y[4]-x[4])*1000/t }')"
  echo "${line/\{/\{\"loadBefore\":\"$load\",\"cpuMs\":$cpu,$LEVEL_JSON}" >>"$RAW"
  lk_log "$scenario c$conns: $(echo "$line" | grep -o '"requests":[0-9]*'), $(echo "$line" | grep -o '"non2xx":[0-9]*'), load before $load, CPU ms $cpu"
}

# warm_up <script> <url> <data file> <connections> [timeout] [seconds, default BENCH_WARMUP]
warm_up() {
  local script="$1" url="$2" data="$3" conns="$4" timeout="${5:-5s}" seconds="${6:-$WARMUP}"
  wrk -t"$THREADS" -c"$conns" -d"${seconds}s" --timeout "$timeout" -s "$here/scripts/bench/$script" "$url" \
    -- warmup "$conns" "$THREADS" "$data" >"$LOGS/warmup-$script-c$conns$LEVEL_TAG.txt" 2>&1 || true
}


# ---- the scale measures (--seed-users / --seed-sessions / --scale): docs/BENCHMARKS.md, "At scale"

# urlencode <text>: percent-encodes everything but unreserved characters (ASCII text)
urlencode() {
  local text="$1" out="" c i
  for ((i = 0; i < ${#text}; i++)); do
    c="${text:i:1}"
    case "$c" in
      [A-Za-z0-9.~_-]) out+="$c" ;;
      *) out+="$(printf '%%%02X' "'$c")" ;;
    esac
  done
  echo "$out"
}

# sequential <scenario> <urls file> [<term> <matching users>]: SEARCH_COUNT GETs one at a time as an
# admin (io.latchkey.bench.SequentialLatency, 2 unrecorded first), appends its record; with a term,
# each answer must be a page of min(matching users, 20) items
sequential() {
  local scenario="$1" urls="$2" term="${3:-}" matches="${4:-}" load line fields="" expected=()
  if [ -n "$term" ]; then
    fields="\"term\":\"$term\",\"matches\":$matches,"
    expected=($((matches < 20 ? matches : 20)))
  fi
  load="$(load_now)"
  line="$(java -Xmx64m -cp "$BENCH_JAR" io.latchkey.bench.SequentialLatency "$scenario" "$SEARCH_COUNT" 2 "$SEARCH_MAX_SECONDS" \
    "$urls" "${expected[@]}" 2>"$LOGS/sequential-$scenario$LEVEL_TAG.txt")" \
    || lk_die "measuring $scenario failed (see $LOGS/sequential-$scenario$LEVEL_TAG.txt)"
  echo "${line/\{/\{\"loadBefore\":\"$load\",$LEVEL_JSON$fields}" >>"$RAW"
  lk_log "$scenario${term:+ \"$term\" ($matches matching)}: $(echo "$line" | grep -oE '"(n|p50Us|p99Us|non2xx|badBody|failed)":[0-9]+' | tr '\n' ' ')"
}

# search_matches <term>: how many users the search matches (the contract's plain-text,
# case-insensitive match on username, email and display name)
search_matches() {
  psql_db -v pattern="%$1%" <<'SQL'
SELECT count(*) FROM users.users
 WHERE username ILIKE :'pattern' ESCAPE '\' OR email ILIKE :'pattern' ESCAPE '\' OR display_name ILIKE :'pattern' ESCAPE '\'
SQL
}

# refresh_storage: bytes of auth.sessions and of the tables of refresh-token hashes (tables,
# indexes, TOAST), the rows of the latter, and the (auto)vacuums of them all so far, space-separated.
# The hash tables are auth.retired_refresh_tokens (a row per rotation before auth V14) and
# auth.legacy_refresh_tokens (V14: the hashes sessions held at the upgrade), each counted when it exists.
refresh_storage() {
  psql_db -F' ' <<'SQL'
WITH hash_tables AS (
  SELECT t FROM unnest(ARRAY[to_regclass('auth.retired_refresh_tokens'), to_regclass('auth.legacy_refresh_tokens')]) AS t
   WHERE t IS NOT NULL
)
SELECT pg_total_relation_size('auth.sessions'),
       (SELECT coalesce(sum(pg_total_relation_size(t)), 0) FROM hash_tables),
       (SELECT coalesce(sum((xpath('/row/n/text()', query_to_xml(format('SELECT count(*) AS n FROM %s', t), false, true, '')))[1]::text::bigint), 0)
          FROM hash_tables),
       (SELECT coalesce(sum(vacuum_count + autovacuum_count), 0) FROM pg_stat_user_tables
         WHERE schemaname = 'auth' AND relname IN ('sessions', 'retired_refresh_tokens', 'legacy_refresh_tokens'))
SQL
}

# settle_sessions: waits (20 s at most) until no session was used in the last second, i.e. the
# refreshes a wrk run left in flight when it stopped have committed: the storage readings around
# the measured run then hold the warm-up's refreshes before and only the run's after
settle_sessions() {
  local waited=0
  until [ "$(psql_db -c "SELECT NOT EXISTS (SELECT 1 FROM auth.sessions WHERE last_used_at > now() - interval '1 second')")" = t ]; do
    if [ "$waited" -ge 40 ]; then
      lk_log "sessions were still being used 20 s after the refresh run; reading the storage anyway"
      return 0
    fi
    sleep 0.5
    waited=$((waited + 1))
  done
}

# measure_level: the scale measures at the current level (set_level): its own token pools, the
# bounds, then the rates (baseline, validate-token, login, refresh with the storage around it),
# then the searches and by-email lookups one at a time
measure_level() {
  local pools="$DATA/scale$LEVEL_TAG" before after term kind matches line
  lk_log "scale measures at ${LEVEL_TAG#-}"
  login_many 200 "$pools-tokens"
  login_many 96 "$pools-chains-warmup"
  login_many 96 "$pools-chains-64"

  # the bounds again, at this level: the machine's share of bcrypt and signing at this moment
  line="$(java -Xmx256m -cp "$BENCH_JAR" io.latchkey.bench.CryptoBounds 10 "${BCRYPT_THREADS:-$CORES}" "${LATCHKEY_INSTANCES:-$CORES}")" \
    || lk_die "measuring the bounds at ${LEVEL_TAG#-} failed"
  echo "${line/\{/\{$LEVEL_JSON}" >>"$RAW"
  warm_up baseline.lua "$BASE" "" 64 5s "$TOKEN_WARMUP"
  run_wrk baseline 64 "$DURATION" baseline.lua "$BASE" ""
  warm_up validate.lua "$AUTH" "$pools-tokens.access" 64
  run_wrk validate-token 64 "$DURATION" validate.lua "$AUTH" "$pools-tokens.access"
  warm_up login.lua "$AUTH" "$DATA/users.txt" 16 30s
  run_wrk login 16 "$DURATION" login.lua "$AUTH" "$DATA/users.txt" 30s
  warm_up refresh.lua "$AUTH" "$pools-chains-warmup.refresh" 64
  # no VACUUM between the two readings (autovacuum may run: the record counts its runs)
  settle_sessions
  before="$(refresh_storage)"
  run_wrk refresh 64 "$DURATION" refresh.lua "$AUTH" "$pools-chains-64.refresh"
  settle_sessions
  after="$(refresh_storage)"
  read -r -a before <<<"$before"
  read -r -a after <<<"$after"
  printf '{"kind":"refresh-storage",%s"sessionsBytesBefore":%s,"tokenHashBytesBefore":%s,"tokenHashRowsBefore":%s,"vacuumsBefore":%s,"sessionsBytesAfter":%s,"tokenHashBytesAfter":%s,"tokenHashRowsAfter":%s,"vacuumsAfter":%s}\n' \
    "$LEVEL_JSON" "${before[@]}" "${after[@]}" >>"$RAW"
  lk_log "refresh storage before: ${before[*]}, after: ${after[*]} (sessions bytes, token-hash tables' bytes and rows, vacuums)"

  for kind in rare common none; do
    case "$kind" in rare) term="$SEARCH_RARE" ;; common) term="$SEARCH_COMMON" ;; none) term="$SEARCH_NONE" ;; esac
    matches="$(search_matches "$term")"
    echo "http://127.0.0.1:$USER_PORT/users?search=$(urlencode "$term")" >"$pools-search-$kind.urls"
    sequential "search-$kind" "$pools-search-$kind.urls" "$term" "$matches"
  done
  psql_db -c "SELECT email FROM users.users ORDER BY random() LIMIT $SEARCH_COUNT" | while read -r email; do
    echo "http://127.0.0.1:$USER_PORT/users/by-email/$(urlencode "$email")"
  done >"$pools-by-email.urls"
  sequential by-email "$pools-by-email.urls"
}

LOAD_BEFORE="$(load_now)"
BASE="http://127.0.0.1:$BASELINE_PORT"
AUTH="http://127.0.0.1:$AUTH_PORT"

if [ "$MODE" = scale ]; then
  for level in "${LEVELS[@]}"; do
    scale_level_start "$level" "$level"
    measure_level
  done
  clear_level
fi

if wanted baseline; then
  warm_up baseline.lua "$BASE" "" 64 5s "$TOKEN_WARMUP"
  run_wrk baseline 16 "$DURATION" baseline.lua "$BASE" ""
  run_wrk baseline 64 "$DURATION" baseline.lua "$BASE" ""
fi

# http_scenario <key> <name> <script> <tokens file>: warm-up at 64 connections, then 16 and 64 measured
http_scenario() {
  wanted "$1" || return 0
  warm_up "$3" "$AUTH" "$4" 64 5s "$TOKEN_WARMUP"
  run_wrk "$2" 16 "$DURATION" "$3" "$AUTH" "$4"
  run_wrk "$2" 64 "$DURATION" "$3" "$AUTH" "$4"
}
http_scenario validate validate-token validate.lua "$DATA/tokens.access"
http_scenario introspect introspect introspect.lua "$DATA/tokens.access"
http_scenario me me me.lua "$DATA/tokens.access"

if wanted refresh; then
  warm_up refresh.lua "$AUTH" "$DATA/chains-warmup.refresh" 64 5s "$TOKEN_WARMUP"
  run_wrk refresh 16 "$DURATION" refresh.lua "$AUTH" "$DATA/chains-16.refresh"
  run_wrk refresh 64 "$DURATION" refresh.lua "$AUTH" "$DATA/chains-64.refresh"
fi

# restart_auth <algorithm> [previous public key files]: the auth service alone restarted, signing with <algorithm>
restart_auth() {
  lk_stop_processes 30 TERM "the auth node on port $AUTH_PORT" "$auth_pid"
  forget "$auth_pid"
  starts=$((starts + 1))
  start_tag="-$starts"
  export JWT_ALGORITHM="$1" JWT_PUBLIC_KEY_FILES="${2:-}"
  start_service auth "$AUTH_PORT"
}

# the same durable refresh (and validate-token) with EdDSA access tokens, in the same run (issue 16);
# the RSA key stays as the previous key, so the RS256 tokens seeded above stay valid
if wanted validate-eddsa || wanted refresh-eddsa; then
  lk_log "restarting the auth service with JWT_ALGORITHM=EdDSA"
  restart_auth EdDSA "$JWT_KEYS_DIR/jwt-public.pem"
  if wanted validate-eddsa; then
    login_many 200 "$DATA/tokens-eddsa"
    http_scenario validate-eddsa validate-token-eddsa validate.lua "$DATA/tokens-eddsa.access"
  fi
  if wanted refresh-eddsa; then
    warm_up refresh.lua "$AUTH" "$DATA/chains-eddsa-warmup.refresh" 64 5s "$TOKEN_WARMUP"
    run_wrk refresh-eddsa 16 "$DURATION" refresh.lua "$AUTH" "$DATA/chains-eddsa-16.refresh"
    run_wrk refresh-eddsa 64 "$DURATION" refresh.lua "$AUTH" "$DATA/chains-eddsa-64.refresh"
  fi
  lk_log "restarting the auth service with JWT_ALGORITHM=RS256"
  restart_auth RS256
fi

if wanted login; then
  warm_up login.lua "$AUTH" "$DATA/users.txt" 16 30s
  run_wrk login 4 "$DURATION" login.lua "$AUTH" "$DATA/users.txt" 30s
  run_wrk login 16 "$DURATION" login.lua "$AUTH" "$DATA/users.txt" 30s
fi

# seed_mfa_users <count> <file>: users mfa<prefix>-1..count registered, signed in and enrolled in TOTP
# through the API (POST /users, /auth/login, /users/{id}/mfa/totp, then .../confirm with the code of
# the current step, which that step uses up); <file>: "<login> <password> <secret>" a line
seed_mfa_users() {
  local count="$1" file="$2" prefix
  prefix="$(basename "$file" .secrets)"
  # shellcheck disable=SC2016 # the inner script expands USER_PORT, AUTH_PORT and PASSWORD from its environment
  seq 1 "$count" | xargs -P 4 -I{} bash -c '
    name="'"$prefix"'x{}"
    id="$(curl -sf -X POST "http://127.0.0.1:$USER_PORT/users" -H "Content-Type: application/json" \
      -d "{\"username\":\"$name\",\"email\":\"$name@example.com\",\"password\":\"$PASSWORD\"}" | grep -o "\"id\":\"[^\"]*\"" | cut -d\" -f4)"
    token="$(curl -sf -X POST "http://127.0.0.1:$AUTH_PORT/auth/login" -H "Content-Type: application/json" \
      -d "{\"login\":\"$name\",\"password\":\"$PASSWORD\"}" | grep -o "\"accessToken\":\"[^\"]*\"" | cut -d\" -f4)"
    secret="$(curl -sf -X POST "http://127.0.0.1:$USER_PORT/users/$id/mfa/totp" -H "Content-Type: application/json" \
      -H "Authorization: Bearer $token" -d "{\"currentPassword\":\"$PASSWORD\"}" | grep -o "\"secret\":\"[^\"]*\"" | cut -d\" -f4)"
    [ -n "$secret" ] && echo "$id $token $secret $name"' >"$file.enrolled" \
    || lk_die "enrolling TOTP users failed (see $file.enrolled)"
  # the confirmations: codes of the current step, computed by the same class as the run's codes
  awk '{print $1, $2, $3}' "$file.enrolled" | java -Xmx64m -cp "$BENCH_JAR" io.latchkey.bench.TotpCodes 0 2>>"$LOGS/totp-codes.txt" \
    | xargs -P 4 -n 3 bash -c 'curl -sf -o /dev/null -X POST "http://127.0.0.1:$USER_PORT/users/$0/mfa/totp/confirm" \
        -H "Content-Type: application/json" -H "Authorization: Bearer $1" -d "{\"code\":\"$2\"}" && echo ok' >"$file.confirmed" || true
  local got; got="$(grep -c ok "$file.confirmed" || true)"
  [ "$got" -eq "$count" ] || lk_die "enrolling TOTP users: $got of $count confirmed (see $file.enrolled)"
  awk -v pw="$PASSWORD" '{print $4, pw, $3}' "$file.enrolled" >"$file"
}

# the codes of a login-mfa run: one step ahead of now (accepted from now for at least 60 s; every
# user's confirmation used an earlier or the current step, so none is a replay)
mfa_codes() {
  java -Xmx64m -cp "$BENCH_JAR" io.latchkey.bench.TotpCodes 1 <"$1" 2>>"$LOGS/totp-codes.txt"
}

if wanted login-mfa; then
  # each user logs in once (a TOTP step is accepted once per user): ~40 logins/s of users per second run
  lk_log "enrolling $(( (WARMUP + DURATION) * 40 )) TOTP users through the API"
  seed_mfa_users $((WARMUP * 40)) "$DATA/mfawarm.secrets"
  seed_mfa_users $((DURATION * 40)) "$DATA/mfa16.secrets"
  mfa_codes "$DATA/mfawarm.secrets" >"$DATA/mfawarm.codes"
  warm_up login-mfa.lua "$AUTH" "$DATA/mfawarm.codes" 16 30s
  mfa_codes "$DATA/mfa16.secrets" >"$DATA/mfa16.codes"
  run_wrk login-mfa 16 "$DURATION" login-mfa.lua "$AUTH" "$DATA/mfa16.codes" 30s
fi

if wanted under-login; then
  # validation under login load: two wrk at once, the validation p99 from its own wrk
  lk_log "validation under login load"
  run_wrk login-under-load 16 "$DURATION" login.lua "$AUTH" "$DATA/users.txt" 30s &
  login_wrk=$!
  sleep 1 # the login wrk saturates the bcrypt pool first
  run_wrk validate-under-login 16 $((DURATION - 2 > 1 ? DURATION - 2 : 1)) validate.lua "$AUTH" "$DATA/tokens.access"
  wait "$login_wrk" || lk_die "the login wrk of the concurrent scenario failed"
  # the same with validations at a fixed pace (16 connections, 5 ms between requests): the CPU
  # is not saturated by the validating wrk, so its p99 shows whether bcrypt delays the event loops
  run_wrk login-beside-paced 16 "$DURATION" login.lua "$AUTH" "$DATA/users.txt" 30s &
  login_wrk=$!
  sleep 1
  BENCH_PACE_MS=5 run_wrk validate-paced-under-login 16 $((DURATION - 2 > 1 ? DURATION - 2 : 1)) validate.lua "$AUTH" "$DATA/tokens.access"
  wait "$login_wrk" || lk_die "the login wrk of the paced concurrent scenario failed"
fi

if [ "$MODE" = seed ]; then
  set_level "$SEED_USERS" "$SEED_SESSIONS"
  measure_level
  clear_level
fi

# ---- memory after the load, start times

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
# shellcheck disable=SC2154 # set by start_service through eval
{
  printf '{"kind":"process","role":"user","rssKb":%s,"readyMs":%s}\n' "$(rss_kb "$user_pid")" "$user_ready_ms"
  printf '{"kind":"process","role":"auth","rssKb":%s,"readyMs":%s}\n' "$(rss_kb "$auth_pid")" "$auth_ready_ms"
} >>"$RAW"
# where the memory is: heap after the load, and the native breakdown when BENCH_JAVA_OPTS has
# -XX:NativeMemoryTracking=summary
for role in user auth; do
  pid_var="${role}_pid"
  jcmd "${!pid_var}" GC.heap_info >"$LOGS/$role-heap.txt" 2>&1 || true
  jcmd "${!pid_var}" VM.native_memory summary >"$LOGS/$role-native-memory.txt" 2>&1 || true
done

# ---- the import (after the memory figures above, which stay comparable with runs before it)

# live_heap_kb <pid>: the heap in use right after a full collection, in KiB (the sum over the
# generations: "def new generation total …K, used …K" and "tenured generation …" with SerialGC,
# one "garbage-first heap" line with G1; Metaspace lines have no "total")
live_heap_kb() {
  jcmd "$1" GC.run >/dev/null 2>&1 || true
  jcmd "$1" GC.heap_info 2>/dev/null | awk '/total [0-9]+K, used [0-9]+K/ { sub(/.*used /, ""); sub(/K.*/, ""); kb += $0 } END { print kb + 0 }'
}

if wanted import; then
  # IMPORT_LINES generated users streamed in one POST /admin/users/import; the user service's live
  # heap (after a forced GC) and RSS before and after, and its RSS peak sampled every 100 ms meanwhile
  lk_log "import: $IMPORT_LINES generated users in one streamed request"
  java -Xmx64m -cp "$BENCH_JAR" io.latchkey.bench.ImportLines "$IMPORT_LINES" "imp$(date +%s)" >"$DATA/import.ndjson"
  # shellcheck disable=SC2154 # set by start_service through eval
  heap_before="$(live_heap_kb "$user_pid")"; rss_before="$(rss_kb "$user_pid")"
  echo "$rss_before" >"$DATA/import.rss-peak"
  ( peak="$rss_before"; while kill -0 "$user_pid" 2>/dev/null && [ ! -e "$DATA/import.done" ]; do
      now="$(rss_kb "$user_pid" || echo 0)"; [ "${now:-0}" -le "$peak" ] || { peak="$now"; echo "$peak" >"$DATA/import.rss-peak"; }
      sleep 0.1; done ) &
  sampler=$!
  started_ns="$(date +%s%N)"
  # -T streams the file (curl reads it as it sends); the answer is the summary
  status="$(curl -s -o "$DATA/import.answer" -w '%{http_code}' -T "$DATA/import.ndjson" -X POST \
    -H 'Content-Type: application/x-ndjson' -H "X-API-Key: $API_KEY_VALUE" "http://127.0.0.1:$USER_PORT/admin/users/import")" || status=000
  ended_ns="$(date +%s%N)"
  touch "$DATA/import.done"; wait "$sampler" 2>/dev/null || true
  [ "$status" = 200 ] || lk_die "the import answered $status: $(head -c 300 "$DATA/import.answer")"
  heap_after="$(live_heap_kb "$user_pid")"; rss_after="$(rss_kb "$user_pid")"
  answer_field() { grep -oE "\"$1\":[0-9]+" "$DATA/import.answer" | grep -oE '[0-9]+$' || echo 0; }
  printf '{"kind":"import","lines":%s,"bodyBytes":%s,"durationUs":%s,"created":%s,"skipped":%s,"errorCount":%s,"heapUsedKbBefore":%s,"heapUsedKbAfter":%s,"rssKbBefore":%s,"rssKbAfter":%s,"rssKbPeak":%s}\n' \
    "$IMPORT_LINES" "$(stat -c %s "$DATA/import.ndjson")" $(((ended_ns - started_ns) / 1000)) "$(answer_field created)" \
    "$(answer_field skipped)" "$(answer_field errorCount)" "$heap_before" "$heap_after" "$rss_before" "$rss_after" \
    "$(cat "$DATA/import.rss-peak")" >>"$RAW"
  lk_log "import: $(tail -1 "$RAW")"
fi

hardware="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $CORES cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr)"
printf '{"kind":"run","date":"%s","hardware":"%s","durationSeconds":%s,"warmupSeconds":%s,"tokenWarmupSeconds":%s,"wrkThreads":%s,"loadBefore":"%s","loadAfter":"%s","postgres":"%s","javaOpts":"%s"}\n' \
  "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$hardware" "$DURATION" "$WARMUP" "$TOKEN_WARMUP" "$THREADS" "$LOAD_BEFORE" "$(load_now)" "$DURABILITY" \
  "$(tr ' ' '\n' <"$OUT/java-flags-auth.txt" | grep -E '^-X' | sed 's|^-XX:SharedArchiveFile=.*|AppCDS|' | tr '\n' ' ' | sed 's/ $//')" >>"$RAW"

java -cp "$BENCH_JAR" io.latchkey.bench.BenchReport "$RAW" "$OUT"
lk_log "written: target/bench/results.json, target/bench/results.md (raw records: target/bench/raw.jsonl, logs: target/bench/logs)"
