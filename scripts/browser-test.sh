#!/usr/bin/env bash
# The browser tests of the account page (GET /account/ on the auth service; issue 14): Debian's
# headless Chromium, driven by playwright-core from npm (scripts/browser: package.json and its
# package-lock.json pin it; never a browser download), against real services started here:
# its own PostgreSQL, development mail server, one user node and one auth node. The tests
# (scripts/browser/account.test.mjs, Node's built-in runner) sign in with a password, enrol TOTP
# and finish two-step logins (code and recovery code), add, rename and use a passkey through a
# CDP virtual authenticator, end another browser's session, change and reset a password, and
# check that the page loads nothing from outside the two services (CSP).
#
#   ./scripts/browser-test.sh        (./scripts/test.sh runs it after a successful `mvn verify`)
#
# Screenshots of every page state go to target/browser/ at the repository root (NN-state.png,
# FAILED-*.png on a failure): build artefacts, kept after the run (ignored by git). Exits with
# the tests' status; everything it started is stopped on every exit path. Logs: .run/browser/logs.
#
# Isolated from a development run: PostgreSQL on BROWSER_TEST_PG_PORT (default 54349, data
# .pg/browser, fsync off), mail SMTP 11025 / web+API 11080, user node 18081, auth node 18082
# (management ports 19181, 19182), Hazelcast cluster "browser-test-<pid>" from port 5871. The
# browser opens http://127.0.0.1:18082/account/ and is moved to http://localhost:18082/account/
# (passkeys need a domain name; lk_account_page_env).
# Needs a JDK 17, Maven (to build the jar when it is missing or stale), curl, Node.js 20+ and npm;
# Chromium (/usr/bin/chromium), oathtool and PostgreSQL are installed from Debian's packages when
# absent (as root; otherwise the script says what to run).
set -euo pipefail

LK_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LK_NAME="browser-test"
LK_RUN="$LK_ROOT/.run/browser"
# shellcheck source=lib/latchkey.sh
. "$LK_ROOT/scripts/lib/latchkey.sh"
cd "$LK_ROOT"

T0=$(date +%s)
USER_PORT=18081 AUTH_PORT=18082
MAIL_SMTP_PORT=11025 MAIL_WEB_PORT=11080
# The services run as from the README's run command: PUBLIC_URL on 127.0.0.1, and the account
# page's settings derived from it by lk_account_page_env (its home is localhost on the same port:
# browsers refuse WebAuthn on an IP address, so the page opened at 127.0.0.1 moves there). The
# tests open the page at 127.0.0.1 once to see that move, then at its home; their own API calls
# and the user service stay on 127.0.0.1.
AUTH_URL="http://127.0.0.1:$AUTH_PORT" USER_URL="http://127.0.0.1:$USER_PORT"
SCREENSHOTS="$LK_ROOT/target/browser"

export LATCHKEY_RUN_DIR="$LK_RUN"
export PG_PORT="${BROWSER_TEST_PG_PORT:-54349}"
export PG_DATA="$LK_ROOT/.pg/browser/data"
export PG_DB=latchkey
HZ_BASE=5871
export HAZELCAST_CLUSTER_NAME="browser-test-$$" HAZELCAST_PORT="$HZ_BASE"
export HAZELCAST_MEMBERS="127.0.0.1:$HZ_BASE,127.0.0.1:$((HZ_BASE + 1)),127.0.0.1:$((HZ_BASE + 2)),127.0.0.1:$((HZ_BASE + 3))"
# the development key and profile: nothing of the caller's configuration leaks in
unset API_KEY API_KEYS API_KEYS_VALIDATE JWT_PRIVATE_KEY_FILE DATABASE_URL SMTP_USERNAME SMTP_PASSWORD EMAIL_VERIFICATION_REQUIRED
export LATCHKEY_PROFILE=development JWT_KEYS_DIR="$LK_RUN/keys"
export BCRYPT_COST=4 BCRYPT_THREADS=2 LATCHKEY_INSTANCES=1 LATCHKEY_HEAP=200m LATCHKEY_DRAIN_SECONDS=0
# two JVMs started once: a quick start matters more than peak speed; no AppCDS training starts
export LATCHKEY_CDS=0 LATCHKEY_JAVA_OPTS="-XX:TieredStopAtLevel=1 -Xss512k"
# the page as a person reaches it, and what the services must allow for it
unset CORS_ALLOWED_ORIGINS WEBAUTHN_ORIGINS WEBAUTHN_RP_ID PASSWORD_RESET_URL EMAIL_VERIFY_URL USER_SERVICE_PUBLIC_URL
export PUBLIC_URL="$AUTH_URL"
lk_account_page_env "$USER_URL"
PAGE_URL="${LK_ACCOUNT_PAGE_URL%/account/}"
export SMTP_HOST=127.0.0.1 SMTP_PORT="$MAIL_SMTP_PORT" SMTP_STARTTLS=off MAIL_FROM=no-reply@latchkey.localhost
LK_BROWSER_SRC="$LK_ROOT/scripts/browser"
LK_BROWSER_DIR="$LK_ROOT/.tools/browser"

pids=() whats=()
pg_started=0
cleanup() {
  local status=$? i stops=()
  trap '' INT TERM
  set +e
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do stops+=("${whats[$i]}" "${pids[$i]}"); done
  [ "${#stops[@]}" -eq 0 ] || lk_stop_processes 30 TERM "${stops[@]}" 2>/dev/null
  rm -f "$LK_RUN"/nodes/*.pid "$LK_RUN/devmail.pid"
  [ "$pg_started" = 1 ] && "$LK_ROOT/scripts/pg.sh" stop >/dev/null 2>&1
  if [ "$status" -eq 0 ]; then
    lk_log "browser tests passed in $(($(date +%s) - T0)) s; screenshots in ${SCREENSHOTS#"$LK_ROOT"/}"
  else
    lk_log "browser tests FAILED (status $status) after $(($(date +%s) - T0)) s; screenshots in ${SCREENSHOTS#"$LK_ROOT"/}, logs in ${LK_RUN#"$LK_ROOT"/}/logs"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# apt_install <command> <package>: installs Debian's <package> when <command> is missing (as
# root; apt-get update first only when the install fails), as test.sh does for oathtool
apt_install() {
  local cmd="$1" package="$2"
  [ -x "$cmd" ] || command -v "$cmd" >/dev/null && return 0
  [ "$(id -u)" -eq 0 ] || lk_die "$cmd not found: install it (Debian: sudo apt-get install $package)"
  lk_log "$cmd not found; installing Debian's $package package"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$package" >/dev/null 2>&1 \
    || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$package" >/dev/null; } \
    || lk_die "could not install $package"
}

start_node() { # start_node ROLE PORT
  local log="$LK_RUN/logs/$1.log"
  lk_spawn_node "$1" "$2" "$log"
  pids+=("$LK_NODE_PID")
  whats+=("the $1 node on port $2")
  lk_await_ready "the $1 node on port $2" "$2" "$LK_NODE_PID" "$log" 120 || exit 1
  lk_log "the $1 node on port $2 is ready"
}

# ------------------------------------------------------------------ setup
lk_require java curl node npm
apt_install /usr/bin/chromium chromium
apt_install oathtool oathtool
lk_log "$(/usr/bin/chromium --version 2>/dev/null | head -n 1)"
# playwright-core alone: PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD, never a browser of its own
PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 lk_npm_install "playwright-core" "$LK_BROWSER_SRC" "$LK_BROWSER_DIR" playwright-core
lk_build_if_needed
for port in $USER_PORT $AUTH_PORT $((USER_PORT + 1100)) $((AUTH_PORT + 1100)); do
  lk_port_open "$port" && lk_die "port $port is taken by another process (an earlier run still going?)"
done
"$LK_ROOT/scripts/pg.sh" status && lk_die "something already answers on PostgreSQL port $PG_PORT (BROWSER_TEST_PG_PORT)"
rm -rf "$LK_RUN" "$(dirname "$PG_DATA")" "$SCREENSHOTS"
mkdir -p "$LK_RUN/logs" "$SCREENSHOTS"
"$LK_ROOT/scripts/pg.sh" start --test
pg_started=1
export DATABASE_URL
DATABASE_URL="$("$LK_ROOT/scripts/pg.sh" url)"
lk_devmail_start "$MAIL_SMTP_PORT" "$MAIL_WEB_PORT" "$LK_RUN/mail" "$LK_RUN/logs/devmail.log"
pids+=("$LK_DEVMAIL_PID")
whats+=("the development mail server")
lk_ensure_keys "$JWT_KEYS_DIR"
# one after another: nodes started at the same instant can form separate clusters
start_node user $USER_PORT
start_node auth $AUTH_PORT

# ------------------------------------------------------------------ the tests
lk_log "running scripts/browser/account.test.mjs ($(($(date +%s) - T0)) s of setup)"
set +e
LK_BROWSER_MODULES="$LK_BROWSER_DIR/node_modules" LK_PAGE_URL="$PAGE_URL" LK_AUTH_URL="$AUTH_URL" LK_USER_URL="$USER_URL" \
  LK_MAIL_API="http://127.0.0.1:$MAIL_WEB_PORT/api" LK_SCREENSHOTS="$SCREENSHOTS" LK_CHROMIUM=/usr/bin/chromium \
  node --test --test-reporter=spec --test-timeout=240000 "$LK_BROWSER_SRC/account.test.mjs"
status=$?
set -e
exit "$status"
