# Shared helpers of the operator scripts (sourced, not run): the build check, development JWT
# keys, starting and stopping Latchkey nodes as background processes with pid files, waiting
# for readiness, and the nginx balancer in front of them. scripts/run.sh, scripts/bench.sh,
# scripts/scale.sh and scripts/cluster-test.sh use it.
#
# A script may set, before sourcing: LK_ROOT (the repository; default: the one this file is in),
# LK_NAME (its name in messages; default: its file name) and LK_RUN (default: LATCHKEY_RUN_DIR,
# else $LK_ROOT/.run), which holds everything at run time:
#   $LK_RUN/nodes/<role>-<port>.pid   one file per running node (its pid)
#   $LK_RUN/logs/<role>-<port>.log    the node's output
#   $LK_RUN/nginx/                    the balancer's prefix: nginx.conf, upstream-<role>.conf,
#                                     nginx.pid, logs/, temp/
# Every function returns non-zero (or dies) with a message naming what failed.

: "${LK_ROOT:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${LK_NAME:=${0##*/}}"
: "${LK_RUN:=${LATCHKEY_RUN_DIR:-$LK_ROOT/.run}}"
LK_JAR="$LK_ROOT/launcher/target/latchkey.jar"
# Hazelcast on Java 17 (docs/OPERATING.md, "JVM flags"): without these it warns about illegal access
LK_HZ_FLAGS=(--add-modules java.se --add-exports java.base/jdk.internal.ref=ALL-UNNAMED
  --add-opens java.base/java.lang=ALL-UNNAMED --add-opens java.base/sun.nio.ch=ALL-UNNAMED
  --add-opens java.management/sun.management=ALL-UNNAMED
  --add-opens jdk.management/com.sun.management.internal=ALL-UNNAMED)

lk_log() { echo "$LK_NAME: $*" >&2; }

# ---------------------------------------------------------------- JVM flags and AppCDS
# Every script starts nodes with the same JVM flags (lk_java_flags); docs/OPERATING.md says why.
LK_CDS_DIR="$LK_ROOT/launcher/target/cds"

# lk_cds_archive <role>: the AppCDS archive of <role> for the current jar (printed), if there is one
lk_cds_archive() {
  local archive="$LK_CDS_DIR/$1.jsa"
  [ -f "$archive" ] && [ "$archive" -nt "$LK_JAR" ] && echo "$archive"
}

# lk_java_flags <role>: the JVM flags of a node of <role>, one per line (mapfile -t flags < <(...)):
#   -Xmx: LATCHKEY_HEAP (default 256m); -Xms48m: about the heap a loaded node uses (a smaller
#     start heap means more collections during the start); the serial collector: the live set
#     is ~50 MB, and G1's own structures (~35 MB) and concurrent threads cost more than they
#     give on two cores (the JVM picks Serial itself below 2 CPUs or 1792 MB);
#   ThreadPriorityPolicy=1: Java thread priorities become nice values; only the bcrypt threads
#     (Thread.MIN_PRIORITY, BcryptPool) get one, 19, so that logins saturating bcrypt do not delay
#     the event loops; priorities 6-10 (JVM-internal threads) stay at 0 instead of being raised;
#   the AppCDS archive of the role when one was made for this jar (lk_cds_prepare; LATCHKEY_CDS=0: none);
#   Hazelcast's module flags; then LATCHKEY_JAVA_OPTS (split on spaces), which can override any of these.
lk_java_flags() {
  local role="$1" archive
  printf '%s\n' "-Xmx${LATCHKEY_HEAP:-256m}" -Xms48m -XX:+UseSerialGC \
    -XX:ThreadPriorityPolicy=1 -XX:JavaPriority1_To_OSPriority=19 -XX:JavaPriority6_To_OSPriority=0 \
    -XX:JavaPriority7_To_OSPriority=0 -XX:JavaPriority8_To_OSPriority=0 -XX:JavaPriority9_To_OSPriority=0 \
    -XX:JavaPriority10_To_OSPriority=0 "${LK_HZ_FLAGS[@]}"
  if [ "${LATCHKEY_CDS:-1}" != 0 ] && archive="$(lk_cds_archive "$role")"; then
    echo "-XX:SharedArchiveFile=$archive"
  fi
  # shellcheck disable=SC2086
  [ -z "${LATCHKEY_JAVA_OPTS:-}" ] || printf '%s\n' ${LATCHKEY_JAVA_OPTS}
}

# lk_cds_abort: stops a training start still running (for the exit traps of the scripts)
lk_cds_abort() {
  [ -n "${LK_CDS_PID:-}" ] && kill -KILL "$LK_CDS_PID" 2>/dev/null || true
  LK_CDS_PID=""
}

# lk_cds_prepare <role>: makes the role's AppCDS archive (the classes a start loads, pre-parsed:
# a start takes ~40 % less time) when this jar has none yet, by one training start: a node of
# the role in a cluster of its own (own name, no members, any free HTTP port) that stops as soon
# as it is ready and writes the archive as it exits. Needs what a real start needs (DATABASE_URL,
# the keys). Never fatal: without an archive the nodes simply start slower. LATCHKEY_CDS=0 skips it.
lk_cds_prepare() {
  local role="$1" tmp log pid waited=0 flags
  [ "${LATCHKEY_CDS:-1}" != 0 ] || return 0
  lk_cds_archive "$role" >/dev/null && return 0
  mkdir -p "$LK_CDS_DIR"
  tmp="$LK_CDS_DIR/$role.jsa.$$.tmp"
  log="$LK_CDS_DIR/$role-training.log"
  mapfile -t flags < <(LATCHKEY_CDS=0 lk_java_flags "$role")
  lk_log "first start of this jar: one training start of the $role service for its AppCDS archive (log ${log#"$LK_ROOT"/})"
  env USER_HTTP_PORT=0 AUTH_HTTP_PORT=0 MANAGEMENT_PORT=0 LATCHKEY_DRAIN_SECONDS=0 LATCHKEY_INSTANCES=1 LATCHKEY_LOG_LEVEL=INFO \
    HAZELCAST_CLUSTER_NAME="latchkey-cds-$role-$$" HAZELCAST_PORT="${LATCHKEY_CDS_HZ_PORT:-5951}" \
    HAZELCAST_MEMBERS="127.0.0.1:${LATCHKEY_CDS_HZ_PORT:-5951}" \
    java "${flags[@]}" "-XX:ArchiveClassesAtExit=$tmp" -jar "$LK_JAR" run --role "$role" >"$log" 2>&1 </dev/null &
  pid=$!
  LK_CDS_PID="$pid"
  until grep -q ' - ready: ' "$log" 2>/dev/null; do
    if ! kill -0 "$pid" 2>/dev/null || [ "$waited" -ge 1200 ]; then
      kill -KILL "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
      rm -f "$tmp"
      lk_log "the training start did not become ready (see ${log#"$LK_ROOT"/}); starting without an AppCDS archive"
      return 0
    fi
    sleep 0.1
    waited=$((waited + 1))
  done
  # A training start sometimes ignores a SIGTERM that comes right after its ready line (seen
  # with -XX:ArchiveClassesAtExit: no shutdown hook ran and the JVM idled for minutes; a second
  # SIGTERM stopped it at once). So SIGTERM is sent again every 2 s until the node logs that it
  # is stopping, and after 40 s in all the start is killed and the nodes run without an archive.
  kill -TERM "$pid" 2>/dev/null || true
  waited=0
  while kill -0 "$pid" 2>/dev/null && [ "$waited" -lt 400 ]; do
    sleep 0.1
    waited=$((waited + 1))
    if [ $((waited % 20)) -eq 0 ] && [ "$waited" -le 200 ] && ! grep -q ' - stopping: ' "$log" 2>/dev/null; then
      lk_log "the training start did not begin its stop within $((waited / 10)) s of SIGTERM; sending SIGTERM again"
      kill -TERM "$pid" 2>/dev/null || true
    fi
  done
  if kill -0 "$pid" 2>/dev/null; then
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    LK_CDS_PID=""
    rm -f "$tmp"
    lk_log "the training start did not stop within 40 s of SIGTERM (see ${log#"$LK_ROOT"/}); killed it, starting without an AppCDS archive"
    return 0
  fi
  wait "$pid" 2>/dev/null || true
  LK_CDS_PID=""
  if [ -s "$tmp" ]; then
    mv -f "$tmp" "$LK_CDS_DIR/$role.jsa"
  else
    rm -f "$tmp"
    lk_log "no AppCDS archive was written (see ${log#"$LK_ROOT"/}); starting without one"
  fi
}
lk_die() { lk_log "$*"; exit 1; }

# lk_require <command>...: dies naming the package of the first command that is missing
lk_require() {
  local cmd
  for cmd in "$@"; do
    command -v "$cmd" >/dev/null && continue
    case "$cmd" in
      java) lk_die "java not found: install a JDK 17 (Debian: apt-get install openjdk-17-jdk-headless)" ;;
      mvn) lk_die "mvn not found: install Maven (Debian: apt-get install maven)" ;;
      *) lk_die "$cmd not found (Debian: apt-get install $cmd)" ;;
    esac
  done
}

lk_now_ms() { date +%s%3N; }

# lk_http_status <url>: prints the HTTP status of a GET (000 when nothing answered), bounded to
# 3 s; without curl (run.sh does not need it), an HTTP/1.0 GET through bash's /dev/tcp
lk_http_status() {
  local url="$1" rest host port path status
  if command -v curl >/dev/null; then
    curl -s -o /dev/null -w '%{http_code}' --max-time 3 "$url" 2>/dev/null || true
    return 0
  fi
  rest="${url#http://}"
  case "$rest" in */*) path="/${rest#*/}"; rest="${rest%%/*}" ;; *) path=/ ;; esac
  host="${rest%%:*}"; port="${rest##*:}"
  [ "$port" != "$rest" ] || port=80
  # shellcheck disable=SC2016 # the inner script expands its own positional parameters
  status="$(timeout 3 bash -c 'exec 3<>"/dev/tcp/$1/$2" || exit 1
    printf "GET %s HTTP/1.0\r\nHost: %s\r\n\r\n" "$3" "$1" >&3
    read -r _ s _ <&3 && echo "$s"' _ "$host" "$port" "$path" 2>/dev/null)" || true
  echo "${status:-000}"
}

# lk_ready <port>: the node on 127.0.0.1:<port> answers 200 on /health/ready
lk_ready() { [ "$(lk_http_status "http://127.0.0.1:$1/health/ready")" = 200 ]; }

# lk_module_jars [module...]: the jars the build makes: launcher/target/latchkey.jar, and
# <module>/target/latchkey-<module>.jar of each extra module (bench)
lk_module_jars() {
  local module
  echo "$LK_JAR"
  for module in "$@"; do echo "$LK_ROOT/$module/target/latchkey-$module.jar"; done
}

# lk_needs_build [module...]: a jar is missing, or a source it is made of is newer than the oldest jar
lk_needs_build() {
  local jar oldest=""
  while read -r jar; do
    [ -f "$jar" ] || return 0
    if [ -z "$oldest" ] || [ "$jar" -ot "$oldest" ]; then oldest="$jar"; fi
  done < <(lk_module_jars "$@")
  # only what the jars are made of (other modules, e.g. bench/ for latchkey.jar, do not trigger a build)
  [ -n "$(cd "$LK_ROOT" && find pom.xml common launcher user-verticle auth-verticle "$@" -path '*/target' -prune -o \
    \( -name pom.xml -o -path '*/src/main/*' \) -newer "$oldest" -type f -print -quit 2>/dev/null)" ]
}

# lk_build_if_needed [missing-only | module...]: packages launcher/target/latchkey.jar (and the
# jar of each module given, e.g. bench) when missing or older than the sources; with
# "missing-only" (scale.sh: nodes of one cluster must run the same jar) an older jar is only reported
lk_build_if_needed() {
  if [ "${1:-}" = missing-only ]; then
    shift
    if [ -f "$LK_JAR" ]; then
      lk_needs_build && lk_log "note: launcher/target/latchkey.jar is older than the sources (rebuild: mvn -q -DskipTests package -pl launcher -am)"
      return 0
    fi
  fi
  lk_needs_build "$@" || return 0
  local modules jar jars=""
  modules="$(IFS=,; echo "launcher${*:+,$*}")"
  while read -r jar; do jars="${jars:+$jars and }${jar#"$LK_ROOT"/}"; done < <(lk_module_jars "$@")
  lk_require mvn
  lk_log "building $jars (mvn -q -B -DskipTests package -pl $modules -am)"
  (cd "$LK_ROOT" && mvn -q -B -Dstyle.color=never -DskipTests package -pl "$modules" -am) || lk_die "the build failed; see the output above"
}

# lk_ensure_keys <dir> [algorithm]: development JWT keys shared by every auth node (generated once),
# of the algorithm given, else JWT_ALGORITHM's (default RS256): keygen's file names, one pair per algorithm
lk_ensure_keys() {
  local dir="$1" algorithm="${2:-${JWT_ALGORITHM:-RS256}}" file
  case "$algorithm" in
    EdDSA) file=jwt-eddsa-private.pem ;;
    *) file=jwt-private.pem ;;   # RS256, or a typo keygen refuses below
  esac
  if [ ! -f "$dir/$file" ]; then
    lk_log "generating development $algorithm JWT keys in ${dir#"$LK_ROOT"/}"
    java -jar "$LK_JAR" keygen --algorithm "$algorithm" "$dir" >/dev/null || lk_die "could not generate development $algorithm JWT keys in $dir"
  fi
}

lk_pidfile() { echo "$LK_RUN/nodes/$1-$2.pid"; }
lk_logfile() { echo "$LK_RUN/logs/$1-$2.log"; }

# lk_node_pid <role> <port>: prints the pid of a live node started by these scripts, else fails
lk_node_pid() {
  local file pid
  file="$(lk_pidfile "$1" "$2")"
  [ -f "$file" ] || return 1
  pid="$(cat "$file" 2>/dev/null)"
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && grep -q latchkey.jar "/proc/$pid/cmdline" 2>/dev/null; then
    echo "$pid"
    return 0
  fi
  rm -f "$file"   # stale: the process is gone
  return 1
}

# lk_node_ports <role>: ports of the live nodes of a role, ascending
lk_node_ports() {
  local role="$1" file port
  for file in "$LK_RUN/nodes/$role"-*.pid; do
    [ -e "$file" ] || continue
    port="${file##*/$role-}"; port="${port%.pid}"
    lk_node_pid "$role" "$port" >/dev/null && echo "$port"
  done | sort -n
}

# lk_log_tail <message> <log>: the message, then the last 15 lines of the log (on stderr)
lk_log_tail() {
  lk_log "$1; the end of ${2#"$LK_ROOT"/}:"
  tail -n 15 "$2" >&2
}

# lk_spawn_node [--detach] <role> <port> <log> [java flag...]: starts a node of <role> on <port>
# in the background and returns at once (lk_await_ready waits for it): the role's AppCDS archive
# first when this jar has none (lk_cds_prepare), then java with lk_java_flags and the extra
# flags, output to <log>; writes the node's pid file. --detach: in its own session, so that it
# outlives the calling script (scale.sh); without it the node is a child the caller stops
# (run.sh, bench.sh). The environment passes through (cluster, database, keys, ...).
# Sets LK_NODE_PID, LK_NODE_FLAGS (the JVM flags) and LK_NODE_STARTED_MS (java's start).
lk_spawn_node() {
  local detach=() role port log port_var cds=""
  if [ "$1" = --detach ]; then detach=(setsid); shift; fi
  role="$1" port="$2" log="$3"
  shift 3
  case "$role" in user) port_var=USER_HTTP_PORT ;; auth) port_var=AUTH_HTTP_PORT ;; *) lk_die "unknown role $role" ;; esac
  mkdir -p "$LK_RUN/nodes" "$(dirname "$log")"
  lk_cds_prepare "$role"
  mapfile -t LK_NODE_FLAGS < <(lk_java_flags "$role")
  LK_NODE_FLAGS+=("$@")
  case " ${LK_NODE_FLAGS[*]} " in *" -XX:SharedArchiveFile="*) cds=", AppCDS" ;; esac
  lk_log "starting the $role node on port $port (heap ${LATCHKEY_HEAP:-256m}$cds, log ${log#"$LK_ROOT"/})"
  # shellcheck disable=SC2034 # for the caller (bench.sh measures the start time)
  LK_NODE_STARTED_MS="$(lk_now_ms)"
  env "$port_var=$port" MANAGEMENT_PORT="$(lk_management_port "$port")" "${detach[@]}" java "${LK_NODE_FLAGS[@]}" -jar "$LK_JAR" run --role "$role" >"$log" 2>&1 </dev/null &
  LK_NODE_PID=$!
  echo "$LK_NODE_PID" >"$(lk_pidfile "$role" "$port")"
}

# lk_management_port <http port>: the management port (GET /metrics) of a node the scripts start:
# its HTTP port + 1100, so that run.sh's 8081 and 8082 get the defaults 9181 and 9182 and every
# node of scale.sh, the cluster tests and bench.sh gets one of its own
lk_management_port() { echo $(($1 + 1100)); }

# lk_metrics <http port>: the node's /metrics (Prometheus text format), from its management port
lk_metrics() { curl -s --max-time 10 "http://127.0.0.1:$(lk_management_port "$1")/metrics"; }

# lk_promtool_ensure_installed: promtool (Debian's prometheus package) for the checks of the
# metrics and of the alert rules; installed with apt when missing (as root, as pg.sh does for
# PostgreSQL). The package's prometheus service is stopped and disabled again: only promtool is used.
lk_promtool_ensure_installed() {
  command -v promtool >/dev/null 2>&1 && return 0
  [ "$(id -u)" = 0 ] || lk_die "promtool is missing: run  apt-get install -y prometheus  (as root)"
  lk_log "installing promtool (Debian package prometheus)"
  apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq prometheus >/dev/null \
    || lk_die "apt-get install prometheus failed"
  if command -v systemctl >/dev/null 2>&1; then
    systemctl disable --now prometheus >/dev/null 2>&1 || true
  fi
  if [ -x /etc/init.d/prometheus ]; then
    /etc/init.d/prometheus stop >/dev/null 2>&1 || true
  fi
  command -v promtool >/dev/null 2>&1 || lk_die "the prometheus package brought no promtool"
}

# lk_await_ready <what> <port> <pid> <log> <seconds>: polls http://127.0.0.1:<port>/health/ready
# every LK_POLL_S seconds (default 0.2) until it says 200; fails with the end of <log> when the
# process <pid> exits first or <seconds> pass (the process is left as it is: the caller decides)
lk_await_ready() {
  local what="$1" port="$2" pid="$3" log="$4" seconds="$5" start
  start="$(lk_now_ms)"
  until lk_ready "$port"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      lk_log_tail "$what exited during its start" "$log"
      return 1
    fi
    if [ $(($(lk_now_ms) - start)) -ge $((seconds * 1000)) ]; then
      lk_log_tail "$what was not ready within $seconds s" "$log"
      return 1
    fi
    sleep "${LK_POLL_S:-0.2}"
  done
}

# lk_start_node <role> <port>: starts a node in its own session (it outlives the calling script),
# writes its pid file, and returns once /health/ready says 200 (or fails with the log's end,
# the node killed) within LATCHKEY_START_WAIT seconds (default 120).
lk_start_node() {
  local role="$1" port="$2" log
  log="$(lk_logfile "$role" "$port")"
  if lk_node_pid "$role" "$port" >/dev/null; then
    lk_log "the $role node on port $port already runs"
    return 0
  fi
  if [ "$(lk_http_status "http://127.0.0.1:$port/health/live")" != 000 ]; then
    lk_die "port $port already answers HTTP (another process); choose other ports"
  fi
  lk_spawn_node --detach "$role" "$port" "$log"
  if ! lk_await_ready "the $role node on port $port" "$port" "$LK_NODE_PID" "$log" "${LATCHKEY_START_WAIT:-120}"; then
    kill -KILL "$LK_NODE_PID" 2>/dev/null || true
    rm -f "$(lk_pidfile "$role" "$port")"
    return 1
  fi
  lk_log "the $role node on port $port is ready (pid $LK_NODE_PID, $(lk_cluster_size "$role" "$port") member(s) in its cluster)"
}

# lk_stop_processes <seconds> <signal> [<what> <pid>]...: sends <signal> to each live process (in
# the order given), then waits for each to exit, <seconds> at most per process, and kills the
# ones that do not with SIGKILL. <what> names the process in the messages.
lk_stop_processes() {
  local seconds="$1" signal="$2" i waited whats=() pids=()
  shift 2
  while [ "$#" -ge 2 ]; do whats+=("$1"); pids+=("$2"); shift 2; done
  for i in "${!pids[@]}"; do
    kill -0 "${pids[$i]}" 2>/dev/null || continue
    lk_log "stopping ${whats[$i]} (pid ${pids[$i]}, SIG$signal)"
    kill "-$signal" "${pids[$i]}" 2>/dev/null || true
  done
  for i in "${!pids[@]}"; do
    waited=0
    while kill -0 "${pids[$i]}" 2>/dev/null && [ "$waited" -lt $((seconds * 10)) ]; do sleep 0.1; waited=$((waited + 1)); done
    if kill -0 "${pids[$i]}" 2>/dev/null; then
      lk_log "${whats[$i]} (pid ${pids[$i]}) did not stop within $seconds s; killing it"
      kill -KILL "${pids[$i]}" 2>/dev/null || true
    fi
    wait "${pids[$i]}" 2>/dev/null || true   # a child of the caller: reaped (others: no-op)
  done
}

# lk_stop_node <role> <port> [signal]: SIGTERM (graceful: readiness DOWN, drain, leave the
# cluster) and wait for the exit, bounded; SIGKILL when it does not stop within 45 s.
lk_stop_node() {
  local role="$1" port="$2" signal="${3:-TERM}" pid
  pid="$(lk_node_pid "$role" "$port")" || { lk_log "no $role node runs on port $port"; return 0; }
  lk_stop_processes 45 "$signal" "the $role node on port $port" "$pid"
  rm -f "$(lk_pidfile "$role" "$port")"
}

# lk_cluster_size <role> <port>: the cluster size the node reports on /health/ready (its log
# line when it does not answer; "?" when unknown)
lk_cluster_size() {
  local log size
  size="$(curl -s --max-time 2 "http://127.0.0.1:$2/health/ready" 2>/dev/null | grep -oE '"clusterSize":[0-9]+' | grep -oE '[0-9]+')"
  if [ -z "$size" ]; then
    log="$(lk_logfile "$1" "$2")"
    [ -f "$log" ] || log="$LK_RUN/logs/$1.log"   # run.sh's nodes log to <role>.log
    size="$(grep -oE 'cluster size [0-9]+|with [0-9]+ member\(s\)' "$log" 2>/dev/null | tail -n 1 | grep -oE '[0-9]+')"
  fi
  echo "${size:-?}"
}

# ---------------------------------------------------------------- nginx, the balancer
NGINX_DIR="$LK_RUN/nginx"

lk_nginx_bin() {
  local bin="${NGINX_BIN:-nginx}"
  if command -v "$bin" >/dev/null; then command -v "$bin"; return 0; fi
  [ -x /usr/sbin/nginx ] && { echo /usr/sbin/nginx; return 0; }
  return 1
}

lk_nginx_ensure_installed() {
  lk_nginx_bin >/dev/null && return 0
  lk_log "nginx not found; installing Debian's nginx package"
  [ "$(id -u)" -eq 0 ] || lk_die "need root to install nginx (run: sudo apt-get install -y nginx)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null \
    || lk_die "could not install nginx"
  # Debian's package may start the system nginx; ours is a separate instance and leaves it alone
  lk_nginx_bin >/dev/null || lk_die "nginx still not found after the install"
}

lk_nginx_pid() {
  local pid
  pid="$(cat "$NGINX_DIR/nginx.pid" 2>/dev/null)" || return 1
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

# lk_nginx_write_upstreams [role port]...: one upstream file per role listing its live, ready
# nodes, except the role/port pairs given (nodes about to drain). An empty list becomes a single
# "down" server: nginx answers 502 for that role instead of refusing the configuration.
lk_nginx_write_upstreams() {
  local exclude=" $* " role port file tmp count
  mkdir -p "$NGINX_DIR"
  for role in user auth; do
    file="$NGINX_DIR/upstream-$role.conf"
    tmp="$file.tmp"
    count=0
    echo "# written by scripts/lib/latchkey.sh: the $role nodes that are ready (do not edit)" >"$tmp"
    for port in $(lk_node_ports "$role"); do
      case "$exclude" in *" $role $port "*) continue ;; esac
      lk_ready "$port" || continue
      echo "server 127.0.0.1:$port max_fails=1 fail_timeout=5s;" >>"$tmp"
      count=$((count + 1))
    done
    [ "$count" -gt 0 ] || echo "server 127.0.0.1:9 down;  # no $role node is ready" >>"$tmp"
    mv "$tmp" "$file"
  done
}

# lk_nginx_render: nginx.conf from conf/nginx/nginx.conf.template
lk_nginx_render() {
  local user_line="" worker_user
  mkdir -p "$NGINX_DIR/logs" "$NGINX_DIR/temp"
  if [ "$(id -u)" -eq 0 ]; then
    # the master runs as root only to bind; workers drop to an unprivileged user
    worker_user="nobody"
    user_line="user nobody $(id -gn nobody 2>/dev/null || echo nogroup);"
    chown -R "$worker_user" "$NGINX_DIR/temp"
  fi
  sed -e "s|@NGINX_DIR@|$NGINX_DIR|g" \
    -e "s|@USER_LINE@|$user_line|g" \
    -e "s|@LISTEN_HOST@|${NGINX_LISTEN_HOST:-127.0.0.1}|g" \
    -e "s|@USER_PORT@|${NGINX_USER_PORT:-8091}|g" \
    -e "s|@AUTH_PORT@|${NGINX_AUTH_PORT:-8092}|g" \
    "$LK_ROOT/conf/nginx/nginx.conf.template" >"$NGINX_DIR/nginx.conf"
}

# lk_balancer_url <user|auth>: the URL clients reach a role at through our nginx (127.0.0.1 when
# nginx listens on every interface); scale.sh and run.sh --nginx make it the auth nodes' PUBLIC_URL
lk_balancer_url() {
  local host="${NGINX_LISTEN_HOST:-127.0.0.1}" port
  [ "$host" = 0.0.0.0 ] && host=127.0.0.1
  if [ "$1" = auth ]; then port="${NGINX_AUTH_PORT:-8092}"; else port="${NGINX_USER_PORT:-8091}"; fi
  echo "http://$host:$port"
}

# lk_account_page_env USER_URL: the settings around the account page, which the auth service serves
# at $PUBLIC_URL/account/, each unless already set: the page's origin may call the user service from
# the browser (CORS_ALLOWED_ORIGINS) and use passkeys (WEBAUTHN_ORIGINS, WEBAUTHN_RP_ID = its host),
# the page finds the user service at USER_URL (USER_SERVICE_PUBLIC_URL), and the mails link to it
# (PASSWORD_RESET_URL, EMAIL_VERIFY_URL). Browsers refuse passkeys on an IP address, so for a
# loopback PUBLIC_URL (the default http://127.0.0.1:8082) the page's home is localhost on the same
# port (the page opened at the IP address moves there); for another IP address passkeys cannot
# work, and a warning says so. Sets LK_ACCOUNT_PAGE_URL. run.sh and scale.sh call it once
# PUBLIC_URL is known.
lk_account_page_env() {
  local url="${PUBLIC_URL%/}" scheme authority rest host port="" page_host page_origin
  [[ "$url" =~ ^([A-Za-z]+)://([^/?#]+)(.*)$ ]] || lk_die "PUBLIC_URL=$PUBLIC_URL is not an http(s) URL"
  scheme="${BASH_REMATCH[1],,}" authority="${BASH_REMATCH[2],,}" rest="${BASH_REMATCH[3]}"
  if [[ "$authority" =~ ^(\[[^]]*\])(:([0-9]+))?$ || "$authority" =~ ^([^:]+)(:([0-9]+))?$ ]]; then
    host="${BASH_REMATCH[1]}" port="${BASH_REMATCH[3]}"
  else
    lk_die "PUBLIC_URL=$PUBLIC_URL: cannot read its host"
  fi
  # an origin as a browser writes it: without the scheme's own port
  if [ "$scheme:$port" = http:80 ] || [ "$scheme:$port" = https:443 ]; then port=""; fi
  page_host="$host"
  if [[ "$host" =~ ^127\.[0-9.]+$ || "$host" = "[::1]" ]]; then
    page_host=localhost
  elif [[ "$host" =~ ^[0-9.]+$ || "$host" =~ ^\[ ]]; then
    lk_log "PUBLIC_URL=$PUBLIC_URL is an IP address: browsers refuse passkeys there (use a domain name for the account page's passkeys)"
  fi
  page_origin="$scheme://$page_host${port:+:$port}"
  LK_ACCOUNT_PAGE_URL="$page_origin$rest/account/"
  export CORS_ALLOWED_ORIGINS="${CORS_ALLOWED_ORIGINS:-$page_origin}"
  if [ "$page_host" = "$host" ] && [[ "$host" =~ ^[0-9.]+$ || "$host" =~ ^\[ ]]; then
    :   # no relying party can be an IP address: the defaults stay (localhost)
  else
    export WEBAUTHN_ORIGINS="${WEBAUTHN_ORIGINS:-$page_origin}"
    export WEBAUTHN_RP_ID="${WEBAUTHN_RP_ID:-$page_host}"
  fi
  export USER_SERVICE_PUBLIC_URL="${USER_SERVICE_PUBLIC_URL:-$1}"
  local reset="${LK_ACCOUNT_PAGE_URL}reset-password#token={token}" verify="${LK_ACCOUNT_PAGE_URL}verify-email#token={token}"
  export PASSWORD_RESET_URL="${PASSWORD_RESET_URL:-$reset}"
  export EMAIL_VERIFY_URL="${EMAIL_VERIFY_URL:-$verify}"
}

lk_nginx() { "$(lk_nginx_bin)" -p "$NGINX_DIR" -c "$NGINX_DIR/nginx.conf" -e "$NGINX_DIR/logs/error.log" "$@"; }

# lk_nginx_start: renders the configuration and starts our nginx (idempotent)
lk_nginx_start() {
  lk_nginx_ensure_installed
  lk_nginx_render
  lk_nginx_write_upstreams
  if lk_nginx_pid >/dev/null; then
    lk_nginx_reload
    return
  fi
  lk_nginx -t -q || lk_die "nginx refused the configuration $NGINX_DIR/nginx.conf (see above)"
  lk_nginx || lk_die "nginx did not start; see $NGINX_DIR/logs/error.log"
  local waited=0
  until lk_nginx_pid >/dev/null; do
    [ "$waited" -lt 50 ] || lk_die "nginx did not write its pid file within 5 s"
    sleep 0.1; waited=$((waited + 1))
  done
  lk_log "nginx (pid $(lk_nginx_pid)) balances user on ${NGINX_LISTEN_HOST:-127.0.0.1}:${NGINX_USER_PORT:-8091}, auth on ${NGINX_LISTEN_HOST:-127.0.0.1}:${NGINX_AUTH_PORT:-8092}"
}

# lk_nginx_reload [role port]...: rewrites the upstream lists (without the given nodes) and
# reloads nginx when it runs; returns once the reload has been applied (new workers serve).
lk_nginx_reload() {
  lk_nginx_write_upstreams "$@"
  lk_nginx_pid >/dev/null || return 0
  lk_nginx -t -q || lk_die "nginx refused the new upstream lists (see above)"
  local before after waited=0
  before="$(lk_nginx_worker_pids)"
  lk_nginx -s reload || lk_die "nginx reload failed; see $NGINX_DIR/logs/error.log"
  # the reload is asynchronous: wait until the workers serving requests are new ones
  while [ "$waited" -lt 50 ]; do
    after="$(lk_nginx_worker_pids)"
    if [ -n "$after" ] && [ -z "$(comm -12 <(echo "$before" | tr ' ' '\n' | sort) <(echo "$after" | tr ' ' '\n' | sort) | grep -v '^$')" ]; then
      return 0
    fi
    sleep 0.1; waited=$((waited + 1))
  done
  lk_log "nginx reloaded (old workers still finishing their requests)"
}

# workers that accept new requests (old ones "shutting down" after a reload are excluded)
lk_nginx_worker_pids() {
  local master
  local dir pid ppid title
  master="$(lk_nginx_pid)" || return 0
  # /proc rather than ps: procps is not in every base image
  for dir in /proc/[0-9]*; do
    pid="${dir#/proc/}"
    { read -r _ _ _ ppid _ <"$dir/stat"; } 2>/dev/null || continue
    [ "$ppid" = "$master" ] || continue
    title="$( { tr '\0' ' ' <"$dir/cmdline"; } 2>/dev/null)" || continue
    case "$title" in *"worker process"*) case "$title" in *"shutting down"*) ;; *) printf '%s ' "$pid" ;; esac ;; esac
  done
}

lk_nginx_stop() {
  local pid waited=0
  pid="$(lk_nginx_pid)" || return 0
  lk_nginx -s quit 2>/dev/null || kill -QUIT "$pid" 2>/dev/null || true
  while kill -0 "$pid" 2>/dev/null && [ "$waited" -lt 100 ]; do sleep 0.1; waited=$((waited + 1)); done
  kill -0 "$pid" 2>/dev/null && kill -TERM "$pid" 2>/dev/null
  lk_log "nginx stopped"
}

# ---------------------------------------------------------------- HTTP calls of the test scripts
# call METHOD URL [json] [extra curl args...]: sets STATUS and BODY (STATUS 000 when nothing
# answered); each call is bounded by call_timeout seconds (default 15)
call() {
  local method="$1" url="$2" data="${3:-}" out
  shift 3 2>/dev/null || shift $#
  local args=(-s -X "$method" --max-time "${call_timeout:-15}" -w '\n%{http_code}' "$@")
  [ -n "$data" ] && args+=(-H 'Content-Type: application/json' --data "$data")
  out="$(curl "${args[@]}" "$url" 2>/dev/null || true)"
  STATUS="${out##*$'\n'}"
  BODY="${out%$'\n'*}"
  [ "$STATUS" != "$out" ] || BODY=""
  [ -n "$STATUS" ] || STATUS=000
}

# field NAME: a string or scalar field of BODY (our JSON has no escaped quotes in these fields)
field() {
  echo "$BODY" | grep -oE "\"$1\"[[:space:]]*:[[:space:]]*(\"[^\"]*\"|[^,}\"]+)" | head -n 1 \
    | sed -E "s/^\"$1\"[[:space:]]*:[[:space:]]*//; s/^\"//; s/\"$//"
}

# ---------------------------------------------------------------- the development mail server
# maildev (scripts/devmail/package.json and its package-lock.json pin it and everything it
# needs), installed on first use into .tools/devmail (ignored by git) with the machine's Node.js
# 20+ and npm. run.sh starts it unless SMTP_HOST is set; the lk_mail_* helpers read what it caught.
LK_DEVMAIL_SRC="$LK_ROOT/scripts/devmail"
LK_DEVMAIL_DIR="$LK_ROOT/.tools/devmail"

# lk_devmail_install: installs the pinned maildev into .tools/devmail unless the installed one was
# made from the current lock file; dies saying what is missing (Node.js 20+, npm, the registry)
lk_devmail_install() {
  local major want have tmp
  if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    lk_die "the development mail server needs Node.js 20 or newer and npm (node and npm not both found); install them, or set SMTP_HOST to use an SMTP server of your own"
  fi
  major="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
  [ "$major" -ge 20 ] 2>/dev/null \
    || lk_die "the development mail server needs Node.js 20 or newer (found $(node --version 2>/dev/null)); or set SMTP_HOST to use an SMTP server of your own"
  want="$(sha256sum "$LK_DEVMAIL_SRC/package-lock.json" | cut -d' ' -f1)"
  have="$(cat "$LK_DEVMAIL_DIR/.installed" 2>/dev/null || true)"
  [ "$want" = "$have" ] && [ -x "$LK_DEVMAIL_DIR/node_modules/.bin/maildev" ] && return 0
  lk_log "installing the development mail server (maildev, pinned by scripts/devmail/package-lock.json) into ${LK_DEVMAIL_DIR#"$LK_ROOT"/}"
  # into a fresh folder, moved in place once complete: a failed or concurrent install leaves no half one
  tmp="$LK_DEVMAIL_DIR.tmp.$$"
  rm -rf "$tmp"
  mkdir -p "$tmp"
  cp "$LK_DEVMAIL_SRC/package.json" "$LK_DEVMAIL_SRC/package-lock.json" "$tmp/"
  if ! (cd "$tmp" && npm ci --omit=dev --no-audit --no-fund --loglevel=error >npm.log 2>&1); then
    tail -n 20 "$tmp/npm.log" >&2
    rm -rf "$tmp"
    lk_die "npm could not install the development mail server (see above); or set SMTP_HOST to use an SMTP server of your own"
  fi
  echo "$want" >"$tmp/.installed"
  rm -rf "$LK_DEVMAIL_DIR"
  mv "$tmp" "$LK_DEVMAIL_DIR"
}

# lk_port_open <port>: something accepts TCP connections on 127.0.0.1:<port>
lk_port_open() {
  # shellcheck disable=SC2016 # the inner script expands its own positional parameter
  timeout 2 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1"' _ "$1" 2>/dev/null
}

# lk_smtp_ready <port>: an SMTP server on 127.0.0.1:<port> greets with 220
lk_smtp_ready() {
  # shellcheck disable=SC2016
  timeout 2 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" && read -r line <&3 && printf "QUIT\r\n" >&3 && [[ "$line" == 220* ]]' _ "$1" 2>/dev/null
}

# lk_devmail_start <smtp-port> <web-port> <mail-dir> <log>: starts maildev as a child of the
# caller, SMTP and web/API bound to 127.0.0.1 only, keeping up to 1,000 messages in <mail-dir>
# (so they survive a restart); installs it first when needed (lk_devmail_install). A server an
# earlier run left behind ($LK_RUN/devmail.pid) is stopped first. Returns once SMTP greets and
# the API answers (30 s at most, else dies with the end of <log>). Sets LK_DEVMAIL_PID.
lk_devmail_start() {
  local smtp="$1" web="$2" dir="$3" log="$4" pidfile="$LK_RUN/devmail.pid" old waited=0
  lk_devmail_install
  old="$(cat "$pidfile" 2>/dev/null || true)"
  if [ -n "$old" ] && kill -0 "$old" 2>/dev/null && grep -q maildev "/proc/$old/cmdline" 2>/dev/null; then
    lk_log "a development mail server of an earlier run still runs (pid $old); stopping it"
    lk_stop_processes 10 TERM "the earlier development mail server" "$old"
  fi
  rm -f "$pidfile"
  lk_port_open "$smtp" && lk_die "port $smtp (SMTP of the development mail server) is taken by another process; set DEV_MAIL_SMTP_PORT, or SMTP_HOST to use that server"
  lk_port_open "$web" && lk_die "port $web (web page of the development mail server) is taken by another process; set DEV_MAIL_WEB_PORT"
  mkdir -p "$dir" "$(dirname "$log")"
  lk_log "starting the development mail server (SMTP 127.0.0.1:$smtp, web 127.0.0.1:$web, log ${log#"$LK_ROOT"/})"
  node "$LK_DEVMAIL_DIR/node_modules/maildev/dist/bin/maildev.js" --smtp "$smtp" --ip 127.0.0.1 \
    --web "$web" --web-ip 127.0.0.1 --mail-directory "$dir" --max-emails 1000 >"$log" 2>&1 </dev/null &
  LK_DEVMAIL_PID=$!
  echo "$LK_DEVMAIL_PID" >"$pidfile"
  until lk_smtp_ready "$smtp" && [ "$(lk_http_status "http://127.0.0.1:$web/api/healthz")" = 200 ]; do
    if ! kill -0 "$LK_DEVMAIL_PID" 2>/dev/null; then
      lk_log_tail "the development mail server exited during its start" "$log"
      exit 1
    fi
    if [ "$waited" -ge 300 ]; then
      lk_log_tail "the development mail server did not answer within 30 s" "$log"
      kill -KILL "$LK_DEVMAIL_PID" 2>/dev/null || true
      exit 1
    fi
    sleep 0.1
    waited=$((waited + 1))
  done
}

# ---------------------------------------------------------------- reading the development mail
# The messages the development mail server caught, through its HTTP API: LK_MAIL_API, default
# http://127.0.0.1:$DEV_MAIL_WEB_PORT/api (DEV_MAIL_WEB_PORT default 1080). Needs node (as the
# server does). Addresses compare without regard to case (To, Cc and Bcc); SUBJECT is a
# case-insensitive substring ("" matches every subject).
lk_mail_api() { echo "${LK_MAIL_API:-http://127.0.0.1:${DEV_MAIL_WEB_PORT:-1080}/api}"; }

# lk_mail_count ADDRESS [SUBJECT]: prints how many messages went to ADDRESS (with SUBJECT in
# their subject); fails when the API does not answer
lk_mail_count() {
  node "$LK_DEVMAIL_SRC/mail.mjs" "$(lk_mail_api)" count "$1" "${2:-}"
}

# lk_mail_poll <what> <timeout> <command> <address> <subject-or-kind> <after>: runs mail.mjs until
# it finds what it looks for (printing it) or <timeout> seconds pass (fails, naming <what>)
lk_mail_poll() {
  local what="$1" timeout="$2" start status out
  shift 2
  start="$(lk_now_ms)"
  while :; do
    status=0
    out="$(node "$LK_DEVMAIL_SRC/mail.mjs" "$(lk_mail_api)" "$@" 2>/dev/null)" || status=$?
    if [ "$status" = 0 ]; then printf '%s\n' "$out"; return 0; fi
    [ "$status" = 2 ] || [ "$status" = 3 ] || { lk_log "reading the mail failed (status $status)"; return 1; }
    if [ $(($(lk_now_ms) - start)) -ge $((timeout * 1000)) ]; then
      if [ "$status" = 2 ]; then
        lk_log "the mail API $(lk_mail_api) did not answer within $timeout s"
      else
        lk_log "no $what within $timeout s"
      fi
      return 1
    fi
    sleep "${LK_POLL_S:-0.2}"
  done
}

# lk_mail_wait_for ADDRESS SUBJECT [TIMEOUT] [AFTER]: waits (TIMEOUT seconds, default 30) for a
# message to ADDRESS with SUBJECT in its subject, and prints the newest one's text (its HTML
# without tags when it has no text part). AFTER (default 0): the first AFTER messages to ADDRESS
# do not count; to wait for what an action sends, pass AFTER=$(lk_mail_count ADDRESS) taken before it.
lk_mail_wait_for() {
  lk_mail_poll "message to $1 with \"$2\" in its subject${4:+ after its first $4}" "${3:-30}" text "$1" "$2" "${4:-0}"
}

# lk_mail_token ADDRESS KIND [TIMEOUT] [AFTER]: waits like lk_mail_wait_for for the newest message
# to ADDRESS with a token link of KIND, and prints the token (base64url) of that link
# (http://...#token=X, ?token=X or &token=X). KIND: verify (the link built from EMAIL_VERIFY_URL
# when it is set in this environment, else a link or subject saying "verif"), reset (the same
# with PASSWORD_RESET_URL, "reset"), or any other word: a subject substring.
lk_mail_token() {
  lk_mail_poll "$2 token mailed to $1${4:+ after its first $4 messages}" "${3:-30}" token "$1" "$2" "${4:-0}"
}

# lk_mail_clear: deletes every message the development mail server holds
lk_mail_clear() {
  [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 -X DELETE "$(lk_mail_api)/email/all")" = 200 ] \
    || { lk_log "could not clear the mail at $(lk_mail_api)"; return 1; }
}

# ---------------------------------------------------------------- the stock JWT verifier
# npm jose (scripts/stockclient/package.json and package-lock.json pin it), installed on first use
# into .tools/stockclient with the machine's Node.js 20+ and npm: a resource server configured
# with the issuer URL alone (scripts/stockclient/verify.mjs). cluster-test.sh runs it.
LK_STOCKCLIENT_SRC="$LK_ROOT/scripts/stockclient"
LK_STOCKCLIENT_DIR="$LK_ROOT/.tools/stockclient"

# lk_stockclient_install: installs the pinned jose unless the installed one was made from the current lock file
lk_stockclient_install() {
  lk_npm_install "the stock JWT verifier (npm jose)" "$LK_STOCKCLIENT_SRC" "$LK_STOCKCLIENT_DIR" jose verify.mjs
}

# lk_npm_install <what> <src> <dir> <package> [file...]: installs what <src>/package-lock.json pins
# (npm ci, no dev packages) into <dir>, unless <dir> was made from the current lock file and holds
# <package>; the files named of <src> are copied along. Into a fresh folder, moved in place once
# complete: a failed or concurrent install leaves no half one. Dies naming <what> when npm fails.
lk_npm_install() {
  local what="$1" src="$2" dir="$3" package="$4" want have tmp file
  shift 4
  if ! command -v node >/dev/null || ! command -v npm >/dev/null; then lk_die "$what needs Node.js 20 or newer and npm"; fi
  want="$(sha256sum "$src/package-lock.json" | cut -d' ' -f1)"
  have="$(cat "$dir/.installed" 2>/dev/null || true)"
  [ "$want" = "$have" ] && [ -f "$dir/node_modules/$package/package.json" ] && return 0
  lk_log "installing $what, pinned by ${src#"$LK_ROOT"/}/package-lock.json, into ${dir#"$LK_ROOT"/}"
  tmp="$dir.tmp.$$"
  rm -rf "$tmp"
  mkdir -p "$tmp"
  cp "$src/package.json" "$src/package-lock.json" "$tmp/"
  for file in "$@"; do cp "$src/$file" "$tmp/"; done
  if ! (cd "$tmp" && npm ci --omit=dev --no-audit --no-fund --loglevel=error >npm.log 2>&1); then
    tail -n 20 "$tmp/npm.log" >&2
    rm -rf "$tmp"
    lk_die "npm could not install $what (see above)"
  fi
  echo "$want" >"$tmp/.installed"
  rm -rf "$dir"
  mv "$tmp" "$dir"
}

# lk_stockclient_verify <issuer-url> <audience> <token>: prints verify.mjs's JSON line; its exit status
# (0 verified, 1 refused, 2 discovery or keys unusable). The script runs from the repository, its
# jose from .tools/stockclient (the copy there only anchors the module resolution).
lk_stockclient_verify() {
  cp "$LK_STOCKCLIENT_SRC/verify.mjs" "$LK_STOCKCLIENT_DIR/verify.mjs"
  printf '%s' "$3" | node "$LK_STOCKCLIENT_DIR/verify.mjs" "$1" "$2"
}
