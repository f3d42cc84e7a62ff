#!/usr/bin/env bash
# The black-box adversarial suite (docs/OPERATING.md, "Adversarial suite"): starts the run
# command (scripts/run.sh) on ports of its own, attacks both services over HTTP with
# scripts/lib/Adversary.java (forged and confused tokens per RFC 8725, refresh-token storms and
# reuse per RFC 9700, API-key variants, IDOR, mass assignment, Unicode and control bytes,
# oversized input, enumeration parity, throttling: OWASP ASVS 5.0; the account lifecycle with
# the real verification and reset tokens it reads from run.sh's development mail server through
# its API, --mail-api), stops run.sh with SIGTERM, scans both services' logs (no secret the
# suite used or read on any line, no stack trace while it ran), prints a table of every case and
# exits 1 when any case failed.
#
#   ./scripts/adversarial-test.sh        (run by .ci/run after the cluster test; ~1-2 min after the build)
#
# Isolated from a development run and from the other tests: run dir .run/adversarial (logs,
# keys, pid files), PostgreSQL on ADVERSARIAL_PG_PORT (default 54395, data .pg/adversarial,
# recreated per run), user service on 18481, auth service on 18482, Hazelcast cluster
# "adversarial-<pid>" on 5981-5982 (training starts for AppCDS on 5985), run.sh's development
# mail server on 18483 (SMTP) and 18484 (web and API; SMTP_* of the caller are ignored; the
# first run installs it with npm, scripts/devmail). Keys: a random full key
# (API_KEYS) and a random validate-only key (API_KEYS_VALIDATE). bcrypt cost 4, refresh grace
# 2 s, 5 failed logins lock an account (the suite tests that lock). Needs a JDK 17, curl, Maven
# when the jar must be built; PostgreSQL from Debian's package when absent (scripts/pg.sh).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
T0=$(date +%s)
say() { echo "adversarial-test: $*" >&2; }

export LATCHKEY_RUN_DIR="$ROOT/.run/adversarial"
RUN="$LATCHKEY_RUN_DIR"
export USER_HTTP_PORT="${ADVERSARIAL_USER_PORT:-18481}" AUTH_HTTP_PORT="${ADVERSARIAL_AUTH_PORT:-18482}"
export PG_PORT="${ADVERSARIAL_PG_PORT:-54395}" PG_DATA="$ROOT/.pg/adversarial/data" PG_DB=latchkey
HZ="${ADVERSARIAL_HZ_PORT:-5981}"
export HAZELCAST_CLUSTER_NAME="adversarial-$$" HAZELCAST_PORT="$HZ" HAZELCAST_MEMBERS="127.0.0.1:$HZ,127.0.0.1:$((HZ + 1))"
export LATCHKEY_CDS_HZ_PORT=$((HZ + 4))
export LATCHKEY_KEYS_DIR="$RUN/keys"
# run.sh's own development mail server on ports of the suite, never an SMTP server of the caller's
unset SMTP_HOST SMTP_PORT SMTP_USERNAME SMTP_PASSWORD SMTP_STARTTLS MAIL_FROM
export DEV_MAIL_SMTP_PORT="${ADVERSARIAL_MAIL_SMTP_PORT:-18483}" DEV_MAIL_WEB_PORT="${ADVERSARIAL_MAIL_WEB_PORT:-18484}"
FULL_KEY="adv-full-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
VALIDATE_KEY="adv-validate-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export API_KEYS="$FULL_KEY" API_KEYS_VALIDATE="$VALIDATE_KEY"
unset API_KEY DATABASE_URL JWT_KEYS_DIR JWT_PRIVATE_KEY_FILE JWT_PUBLIC_KEY_FILES TRUSTED_PROXIES
export LATCHKEY_PROFILE=development LATCHKEY_INSTANCES=1 LATCHKEY_DRAIN_SECONDS=1 LATCHKEY_START_WAIT=150
export BCRYPT_COST=4 REFRESH_GRACE_SECONDS=2
# one account locks after 5 failures (tested); the address limits stay out of the way of the other cases
export LOGIN_ACCOUNT_MAX_FAILURES=5 LOGIN_IP_MAX_FAILURES=100000
# the suite registers ~65 users from one address; the per-IP registration limit is tested elsewhere
export REGISTRATION_IP_MAX=100000
# the account-lifecycle cases: the contract's limits (3 resets per address, 3 verification mails per
# user, 30 resets per IP; the suite stays under the last), the default links, logins of unverified users
export PASSWORD_RESET_ADDRESS_MAX=3 EMAIL_VERIFY_SEND_MAX=3 PASSWORD_RESET_IP_MAX=30
unset EMAIL_VERIFY_URL PASSWORD_RESET_URL EMAIL_VERIFICATION_REQUIRED
export LATCHKEY_JAVA_OPTS="${LATCHKEY_JAVA_OPTS:--XX:TieredStopAtLevel=1}"

USER_URL="http://127.0.0.1:$USER_HTTP_PORT"
AUTH_URL="http://127.0.0.1:$AUTH_HTTP_PORT"
OUT="$RUN/out"
run_pid=""

stop_run() {
  [ -n "$run_pid" ] || return 0
  if kill -0 "$run_pid" 2>/dev/null; then
    say "stopping run.sh (pid $run_pid, SIGTERM)"
    kill -TERM "$run_pid" 2>/dev/null || true
    local waited=0
    while kill -0 "$run_pid" 2>/dev/null && [ "$waited" -lt 900 ]; do sleep 0.1; waited=$((waited + 1)); done
    if kill -0 "$run_pid" 2>/dev/null; then
      say "run.sh did not stop within 90 s; killing it"
      kill -KILL "$run_pid" 2>/dev/null || true
    fi
  fi
  wait "$run_pid" 2>/dev/null || true
  run_pid=""
}

cleanup() {
  local status=$?
  trap '' INT TERM
  stop_run
  # run.sh stops PostgreSQL itself; a run.sh killed hard leaves it: stop it here (idempotent)
  "$ROOT/scripts/pg.sh" stop >/dev/null 2>&1 || true
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for port in "$USER_HTTP_PORT" "$AUTH_HTTP_PORT"; do
  if curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$port/health/live"; then
    say "port $port already answers HTTP; stop that process or set ADVERSARIAL_USER_PORT / ADVERSARIAL_AUTH_PORT"
    exit 2
  fi
done
if "$ROOT/scripts/pg.sh" status 2>/dev/null; then
  say "a PostgreSQL already answers on $PG_PORT; stopping it (it is this suite's own, left over)"
  "$ROOT/scripts/pg.sh" stop || true
fi

rm -rf "$RUN" "$ROOT/.pg/adversarial"
mkdir -p "$RUN/logs" "$OUT"

say "starting ./scripts/run.sh (user $USER_URL, auth $AUTH_URL, log $RUN/run.log)"
./scripts/run.sh >"$RUN/run.log" 2>&1 </dev/null &
run_pid=$!

deadline=$(($(date +%s) + 300))
for port in "$USER_HTTP_PORT" "$AUTH_HTTP_PORT"; do
  until [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$port/health/ready" 2>/dev/null)" = 200 ]; do
    if ! kill -0 "$run_pid" 2>/dev/null; then
      say "run.sh exited before the services were ready; the end of its output:"
      tail -n 30 "$RUN/run.log" >&2
      exit 1
    fi
    if [ "$(date +%s)" -ge "$deadline" ]; then
      say "the services were not ready within 300 s; the end of run.sh's output:"
      tail -n 30 "$RUN/run.log" >&2
      exit 1
    fi
    sleep 0.3
  done
done
say "both services ready after $(($(date +%s) - T0)) s"

USER_LOG="$RUN/logs/user.log"
AUTH_LOG="$RUN/logs/auth.log"
lines() { wc -l <"$1" 2>/dev/null | tr -d ' ' || echo 0; }
user_from=$(lines "$USER_LOG")
auth_from=$(lines "$AUTH_LOG")

T1=$(date +%s)
set +e
timeout 240 java "$ROOT/scripts/lib/Adversary.java" attack --user "$USER_URL" --auth "$AUTH_URL" \
  --key "$FULL_KEY" --validate-key "$VALIDATE_KEY" --signing-key "$LATCHKEY_KEYS_DIR/jwt-private.pem" \
  --grace "$REFRESH_GRACE_SECONDS" --account-max-failures "$LOGIN_ACCOUNT_MAX_FAILURES" \
  --mail-api "http://127.0.0.1:$DEV_MAIL_WEB_PORT/api" \
  --results "$OUT/results.tsv" --secrets "$OUT/secrets.tsv"
attack_status=$?
set -e
T2=$(date +%s)
sleep 1   # let the last log lines of the attack reach the files
user_to=$(lines "$USER_LOG")
auth_to=$(lines "$AUTH_LOG")

stop_run

set +e
java "$ROOT/scripts/lib/Adversary.java" report --results "$OUT/results.tsv" --secrets "$OUT/secrets.tsv" \
  --log "user=$USER_LOG:$user_from:$user_to" --log "auth=$AUTH_LOG:$auth_from:$auth_to"
report_status=$?
set -e
# the secrets file holds the run's keys and tokens: nothing to keep
rm -f "$OUT/secrets.tsv"

echo "adversarial-test: attack $((T2 - T1)) s, whole run $(($(date +%s) - T0)) s; logs in ${RUN#"$ROOT"/}/logs"
if [ "$attack_status" != 0 ] || [ "$report_status" != 0 ]; then
  echo "adversarial-test: FAILED (attack exit $attack_status, report exit $report_status)"
  exit 1
fi
echo "adversarial-test: passed"
