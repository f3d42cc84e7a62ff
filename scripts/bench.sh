#!/usr/bin/env bash
# Benchmarks Latchkey on this machine (docs/BENCHMARKS.md): a throwaway PostgreSQL (durable commits), the
# user and auth services with a benchmark configuration, a bare Vert.x Web baseline server, and
# wrk on loopback (2 threads) against each scenario; prints one table and writes
# target/bench/results.json and target/bench/results.md. Stops everything it started on exit,
# also on Ctrl-C. docs/BENCHMARKS.md says what each figure means.
#
#   ./scripts/bench.sh            the HTTP scenarios (about 6 minutes after the build)
#   ./scripts/bench.sh --jmh [JMH args]   the JMH microbenchmarks instead (bench module)
#
# Environment (all optional):
#   BENCH_DURATION   measured seconds per wrk run, default 15
#   BENCH_WARMUP     warm-up seconds per scenario, default 5
#   BENCH_QUICK=1    short runs while developing: 3 s measured, 1 s warm-up
#   BENCH_THREADS    wrk threads, default 2
#   BENCH_USERS      users seeded, default 50
#   BENCH_JFR=1      record a JFR profile of each service into target/bench/<role>.jfr
#   BENCH_HEAP       -Xmx of each service, default 256m (as scripts/run.sh)
#   BENCH_JAVA_OPTS  extra JVM flags of both services (e.g. -XX:+UseSerialGC), recorded in the results
#   BENCH_CDS=0      start the services without their AppCDS archives (default: with them, as
#                    every script; one training start per role makes them after a build)
#   BENCH_PG_PORT    port of the benchmark's own PostgreSQL, default 54349 (data .pg/bench)
#   BENCH_PORT_BASE  baseline = base, user = base+1, auth = base+2; default 18080
#   BENCH_HZ_PORT    first Hazelcast port of the benchmark's own cluster, default 5771
#   BENCH_SCENARIOS  only these scenarios, space-separated (baseline validate introspect me refresh
#                    login under-login); default all. The bounds, memory and start times are always measured
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

if [ "${1:-}" = "--jmh" ]; then
  shift
  lk_build_if_needed bench
  mkdir -p "$OUT"
  lk_log "JMH microbenchmarks (results also in target/bench/jmh.json); load before: $(cut -d' ' -f1-3 /proc/loadavg)"
  java -jar "$BENCH_JAR" -rf json -rff "$OUT/jmh.json" "$@"
  lk_log "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
  exit 0
fi

DURATION="${BENCH_DURATION:-15}"
WARMUP="${BENCH_WARMUP:-5}"
if [ "${BENCH_QUICK:-0}" = 1 ]; then
  DURATION="${BENCH_DURATION:-3}"
  WARMUP="${BENCH_WARMUP:-1}"
fi
THREADS="${BENCH_THREADS:-2}"
USERS="${BENCH_USERS:-50}"
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
# the seeding registers BENCH_USERS users from this one host: above the default registration limit
export REGISTRATION_IP_MAX=$((USERS + 100))

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
export DATABASE_URL="$("$here/scripts/pg.sh" url)"
PSQL="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)/psql"
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

lk_ensure_keys "$JWT_KEYS_DIR"

# the start times are measured: readiness polled every 50 ms
LK_POLL_S=0.05

# start_service <role> <port>: returns once /health/ready is 200; records the time from start to ready
start_service() {
  local role="$1" port="$2" logfile="$LOGS/$1.log" ready_ms extra=()
  if [ "${BENCH_JFR:-0}" = 1 ]; then
    extra+=("-XX:StartFlightRecording=filename=$OUT/$role.jfr,settings=profile,dumponexit=true")
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

# login_many <count> <file prefix>: <prefix>.access and <prefix>.refresh, one token a line
login_many() {
  local count="$1" prefix="$2"
  seq 1 "$count" | xargs -P 8 -I{} bash -c \
    'curl -s -X POST "http://127.0.0.1:$AUTH_PORT/auth/login" -H "Content-Type: application/json" \
       -d "{\"login\":\"bench$(( ({} - 1) % USERS + 1 ))\",\"password\":\"$PASSWORD\"}"; echo' >"$prefix.pairs"
  grep -o '"accessToken":"[^"]*"' "$prefix.pairs" | cut -d'"' -f4 >"$prefix.access"
  grep -o '"refreshToken":"[^"]*"' "$prefix.pairs" | cut -d'"' -f4 >"$prefix.refresh"
  local got; got="$(wc -l <"$prefix.refresh")"
  [ "$got" -eq "$count" ] || lk_die "seeding sessions: $got of $count logins succeeded (see $prefix.pairs)"
}
export AUTH_PORT USERS

# refresh chains: one pool per wrk run (a run ends with requests in flight, whose successors are
# never seen), each of at least 1.5x the run's connections so that no connection waits for a token
lk_log "seeding sessions (logins at bcrypt cost 10)"
login_many 200 "$DATA/tokens"             # access tokens of validate / introspect / me
login_many 96 "$DATA/chains-warmup"
login_many 32 "$DATA/chains-16"
login_many 96 "$DATA/chains-64"

# ---- the bounds, measured alone (the services idle)

lk_log "measuring the bcrypt and RS256 bounds alone"
java -Xmx256m -cp "$BENCH_JAR" io.latchkey.bench.CryptoBounds 10 "${BCRYPT_THREADS:-$CORES}" "${LATCHKEY_INSTANCES:-$CORES}" >>"$RAW"

# ---- the scenarios

export LUA_PATH="$here/scripts/bench/?.lua;;"

# run_wrk <scenario> <connections> <seconds> <script> <url> <data file> [timeout]: appends its record
run_wrk() {
  local scenario="$1" conns="$2" seconds="$3" script="$4" url="$5" data="$6" timeout="${7:-5s}" load line
  load="$(load_now)"
  line="$(wrk -t"$THREADS" -c"$conns" -d"${seconds}s" --timeout "$timeout" -s "$here/scripts/bench/$script" "$url" \
    -- "$scenario" "$conns" "$THREADS" "$data" 2>&1 | tee "$LOGS/wrk-$scenario-c$conns.txt" | grep '^BENCH_JSON ' | sed 's/^BENCH_JSON //')" || true
  [ -n "$line" ] || lk_die "wrk printed no result for $scenario (see $LOGS/wrk-$scenario-c$conns.txt)"
  echo "${line/\{/\{\"loadBefore\":\"$load\",}" >>"$RAW"
  lk_log "$scenario c$conns: $(echo "$line" | grep -o '"requests":[0-9]*'), $(echo "$line" | grep -o '"non2xx":[0-9]*'), load before $load"
}

warm_up() {
  local script="$1" url="$2" data="$3" conns="$4" timeout="${5:-5s}"
  wrk -t"$THREADS" -c"$conns" -d"${WARMUP}s" --timeout "$timeout" -s "$here/scripts/bench/$script" "$url" \
    -- warmup "$conns" "$THREADS" "$data" >"$LOGS/warmup-$script-c$conns.txt" 2>&1 || true
}

SCENARIOS=" ${BENCH_SCENARIOS:-baseline validate introspect me refresh login under-login} "
wanted() { [[ "$SCENARIOS" == *" $1 "* ]]; }

LOAD_BEFORE="$(load_now)"
BASE="http://127.0.0.1:$BASELINE_PORT"
AUTH="http://127.0.0.1:$AUTH_PORT"

if wanted baseline; then
  warm_up baseline.lua "$BASE" "" 64
  run_wrk baseline 16 "$DURATION" baseline.lua "$BASE" ""
  run_wrk baseline 64 "$DURATION" baseline.lua "$BASE" ""
fi

# http_scenario <key> <name> <script> <tokens file>: warm-up at 64 connections, then 16 and 64 measured
http_scenario() {
  wanted "$1" || return 0
  warm_up "$3" "$AUTH" "$4" 64
  run_wrk "$2" 16 "$DURATION" "$3" "$AUTH" "$4"
  run_wrk "$2" 64 "$DURATION" "$3" "$AUTH" "$4"
}
http_scenario validate validate-token validate.lua "$DATA/tokens.access"
http_scenario introspect introspect introspect.lua "$DATA/tokens.access"
http_scenario me me me.lua "$DATA/tokens.access"

if wanted refresh; then
  warm_up refresh.lua "$AUTH" "$DATA/chains-warmup.refresh" 64
  run_wrk refresh 16 "$DURATION" refresh.lua "$AUTH" "$DATA/chains-16.refresh"
  run_wrk refresh 64 "$DURATION" refresh.lua "$AUTH" "$DATA/chains-64.refresh"
fi

if wanted login; then
  warm_up login.lua "$AUTH" "$DATA/users.txt" 16 30s
  run_wrk login 4 "$DURATION" login.lua "$AUTH" "$DATA/users.txt" 30s
  run_wrk login 16 "$DURATION" login.lua "$AUTH" "$DATA/users.txt" 30s
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

hardware="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $CORES cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr)"
printf '{"kind":"run","date":"%s","hardware":"%s","durationSeconds":%s,"warmupSeconds":%s,"wrkThreads":%s,"loadBefore":"%s","loadAfter":"%s","postgres":"%s","javaOpts":"%s"}\n' \
  "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$hardware" "$DURATION" "$WARMUP" "$THREADS" "$LOAD_BEFORE" "$(load_now)" "$DURABILITY" \
  "$(tr ' ' '\n' <"$OUT/java-flags-auth.txt" | grep -E '^-X' | sed 's|^-XX:SharedArchiveFile=.*|AppCDS|' | tr '\n' ' ' | sed 's/ $//')" >>"$RAW"

java -cp "$BENCH_JAR" io.latchkey.bench.BenchReport "$RAW" "$OUT"
lk_log "written: target/bench/results.json, target/bench/results.md (raw records: target/bench/raw.jsonl, logs: target/bench/logs)"
