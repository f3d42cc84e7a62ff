#!/usr/bin/env bash
# The test command: a throwaway PostgreSQL of its own (port 54339, data under .pg/test, fsync
# off), then `mvn -B verify` against it, then PostgreSQL stopped again; after a successful
# verify, the account page's browser tests (scripts/browser-test.sh: headless Chromium against
# the jar verify built, its own services and PostgreSQL). Exits with the first failure's status.
# Extra arguments go to Maven (for example: ./scripts/test.sh -pl launcher -am); with them the
# browser tests are skipped (a partial build may not have made the jar they need).
#
# A running development database (scripts/pg.sh start, port 54329) is left untouched.
# Environment: TEST_PG_PORT (default 54339), TEST_PG_DATA (default .pg/test/data).
# Needs a JDK 17 and Maven; PostgreSQL is installed by scripts/pg.sh when absent, oathtool here.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"

log() { echo "test.sh: $*" >&2; }

command -v java >/dev/null || { log "java not found: install a JDK 17 (Debian: apt-get install openjdk-17-jdk-headless)"; exit 1; }
command -v mvn >/dev/null || { log "mvn not found: install Maven (Debian: apt-get install maven)"; exit 1; }

# oathtool (Debian's oathtool package): an end-to-end test checks the otpauth:// URIs of TOTP
# enrolment against it, an RFC 6238 implementation independent of the one the service uses
if ! command -v oathtool >/dev/null; then
  [ "$(id -u)" -eq 0 ] || { log "oathtool not found: install it (Debian: sudo apt-get install oathtool)"; exit 1; }
  log "oathtool not found; installing Debian's oathtool package"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq oathtool >/dev/null 2>&1 \
    || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq oathtool >/dev/null; } \
    || { log "could not install oathtool"; exit 1; }
fi
export LATCHKEY_TEST_OATHTOOL=required

export PG_PORT="${TEST_PG_PORT:-54339}"
export PG_DATA="${TEST_PG_DATA:-$here/.pg/test/data}"
export PG_DB=latchkey

pg_started=0
stop_pg() {
  if [ "$pg_started" = 1 ]; then
    "$here/scripts/pg.sh" stop || true
  fi
}
trap stop_pg EXIT

if "$here/scripts/pg.sh" status; then
  log "a PostgreSQL already answers on 127.0.0.1:$PG_PORT; the tests use it and leave it running"
else
  # throwaway: every run starts from an empty cluster, so test databases never pile up
  rm -rf "$PG_DATA"
  "$here/scripts/pg.sh" start --test
  pg_started=1
fi

export LATCHKEY_TEST_PG_URL
LATCHKEY_TEST_PG_URL="$("$here/scripts/pg.sh" url)"
log "LATCHKEY_TEST_PG_URL=$LATCHKEY_TEST_PG_URL"

set +e
mvn -B -ntp -Dstyle.color=never verify "$@"
status=$?
set -e
if [ "$status" -ne 0 ]; then
  log "build or tests FAILED (status $status)"
  exit "$status"
fi
log "build and tests passed"
if [ "$#" -gt 0 ]; then
  log "Maven arguments given ($*): the browser tests (scripts/browser-test.sh) are skipped"
  exit 0
fi
set +e
"$here/scripts/browser-test.sh"
status=$?
set -e
if [ "$status" -eq 0 ]; then log "browser tests passed"; else log "browser tests FAILED (status $status)"; fi
exit "$status"
