#!/usr/bin/env bash
# Makes the Keycloak realm export that the import tests read (issue 15): a real Keycloak writes
# the password hashes, so the importer is tested against what Keycloak really exports, not
# against our idea of it. Run by hand, once, when the fixture must be remade; never by
# scripts/test.sh or CI (the test command must not start Keycloak or reach Maven Central).
#
#   ./scripts/keycloak-export.sh
#
# What it does:
#   1. downloads org.keycloak:keycloak-quarkus-dist:$KC_VERSION:zip (~170 MB) from Maven
#      Central into .tools/keycloak/ (ignored by git) unless it is there already, and checks it
#      against the .sha1 Maven Central publishes beside it (kept beside the zip; a present zip
#      is checked against it again);
#   2. unpacks it afresh into .tools/keycloak/run/ (a fresh H2 database every time);
#   3. starts `kc.sh start-dev` on free loopback ports with a bootstrap admin, waits until the
#      master realm answers, and through the admin REST API (curl; JSON bodies, so non-ASCII
#      passwords reach Keycloak as UTF-8 whatever the locale) creates realm latchkey-import, the
#      realm role admin, and the users below, each password set by Keycloak itself under the
#      realm password policy of the moment (hashAlgorithm(...) switched per user), then puts
#      the realm back on the default policy (empty: argon2);
#   4. stops the server (SIGTERM, waits), and runs `kc.sh export` twice: users inline in the realm
#      file (--file, --users same_file), and users in separate files (--dir, --users
#      different_files, 3 a file);
#   5. writes them to $KC_EXPORT_DIR (user-verticle/src/test/resources/keycloak/ by default), replacing
#      latchkey-import-realm.json and different_files/ (README.md there is written by hand).
# Everything it started is stopped on every exit path (trap).
#
# Takes 1.5 to 3 minutes on 2 cores (measured 80 s and 168 s) once the zip is here (the download
# adds seconds on a fast link): start-dev first builds the Quarkus image and is ready after 45-95 s,
# the admin calls take ~15 s (pbkdf2 at Keycloak's default iterations), each export ~15-30 s.
# Needs: curl, jq, unzip, sha1sum, ss, and a JDK 21+ (Keycloak 26.7 needs it; the project stays on
# 17): KC_JAVA_HOME, else the newest JDK 21+ found in /usr/lib/jvm (Temurin 25 on our machines).
# Environment: KC_VERSION (default 26.7.3), KC_EXPORT_DIR (output directory), KC_KEEP_RUN=1 keeps
# .tools/keycloak/run/ (the server's log is kc.log there) after a successful run.
#
# The passwords are test fixtures, written here and in the README beside the export: not secrets.
set -euo pipefail

LK_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LK_NAME="keycloak-export"
# shellcheck source=lib/latchkey.sh
. "$LK_ROOT/scripts/lib/latchkey.sh"

KC_VERSION="${KC_VERSION:-26.7.3}"
TOOLS="$LK_ROOT/.tools/keycloak"
RUN="$TOOLS/run"
KC_EXPORT_DIR="${KC_EXPORT_DIR:-$LK_ROOT/user-verticle/src/test/resources/keycloak}"
REALM=latchkey-import
ZIP_NAME="keycloak-quarkus-dist-$KC_VERSION.zip"
ZIP_URL="https://repo1.maven.org/maven2/org/keycloak/keycloak-quarkus-dist/$KC_VERSION/$ZIP_NAME"
ADMIN_USER=bootstrap-admin
ADMIN_PASSWORD="export-only-$$-$RANDOM"   # a throwaway server on loopback, gone when the script ends

lk_require curl jq unzip sha1sum ss

T0=$(date +%s)
KC_PID=""

# ---------------------------------------------------------------- the JDK
java_major() { "$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p'; }
find_java_home() {
  local d major best="" best_major=0
  if [ -n "${KC_JAVA_HOME:-}" ]; then echo "$KC_JAVA_HOME"; return 0; fi
  for d in /usr/lib/jvm/*/; do
    d="${d%/}"
    if [ -x "$d/bin/java" ] && [ ! -L "$d" ]; then
      major="$(java_major "$d")"
      if [[ "$major" =~ ^[0-9]+$ ]] && [ "$major" -ge 21 ] && [ "$major" -gt "$best_major" ]; then
        best="$d" best_major="$major"
      fi
    fi
  done
  [ -n "$best" ] || return 1
  echo "$best"
}
JAVA_HOME="$(find_java_home)" || lk_die "no JDK 21+ in /usr/lib/jvm (Keycloak $KC_VERSION needs one): set KC_JAVA_HOME"
major="$(java_major "$JAVA_HOME")"
if ! [[ "$major" =~ ^[0-9]+$ ]] || [ "$major" -lt 21 ]; then
  lk_die "$JAVA_HOME is Java $major; Keycloak $KC_VERSION needs 21+"
fi
export JAVA_HOME
unset JAVA_OPTS JAVA_OPTS_APPEND KC_DB KC_DB_URL KC_HOSTNAME KC_HTTP_PORT KC_HTTP_HOST   # none of the caller's
lk_log "Java $major at $JAVA_HOME"

# ---------------------------------------------------------------- download, verify, unpack
mkdir -p "$TOOLS"
if [ ! -f "$TOOLS/$ZIP_NAME" ] || [ ! -f "$TOOLS/$ZIP_NAME.sha1" ]; then
  lk_log "downloading $ZIP_URL"
  curl -fsSL --retry 3 -o "$TOOLS/$ZIP_NAME.sha1.part" "$ZIP_URL.sha1"
  curl -fsSL --retry 3 -o "$TOOLS/$ZIP_NAME.part" "$ZIP_URL"
  mv "$TOOLS/$ZIP_NAME.sha1.part" "$TOOLS/$ZIP_NAME.sha1"
  mv "$TOOLS/$ZIP_NAME.part" "$TOOLS/$ZIP_NAME"
else
  lk_log "using $TOOLS/$ZIP_NAME (downloaded before)"
fi
want_sha1="$(tr -d ' \r\n' <"$TOOLS/$ZIP_NAME.sha1" | cut -c1-40)"
have_sha1="$(sha1sum "$TOOLS/$ZIP_NAME" | cut -d' ' -f1)"
if [ "$want_sha1" != "$have_sha1" ]; then
  rm -f "$TOOLS/$ZIP_NAME" "$TOOLS/$ZIP_NAME.sha1"
  lk_die "$ZIP_NAME has SHA-1 $have_sha1, Maven Central publishes $want_sha1: removed it, run again"
fi
lk_log "SHA-1 $have_sha1 matches Maven Central's"

rm -rf "$RUN"
mkdir -p "$RUN"
unzip -q "$TOOLS/$ZIP_NAME" -d "$RUN"
KC_HOME="$RUN/keycloak-$KC_VERSION"
[ -x "$KC_HOME/bin/kc.sh" ] || lk_die "no bin/kc.sh in $ZIP_NAME"
KC_LOG="$RUN/kc.log"

# ---------------------------------------------------------------- the server
# free_port: a port nothing listens on at 127.0.0.1, from 20000-29999 (ss, not a bind: good
# enough for a script run by hand; a race loses with a clear "address in use" in kc.log)
free_port() {
  local p tries=0
  while [ "$tries" -lt 200 ]; do
    p=$((20000 + RANDOM % 10000))
    [ -z "$(ss -Htln "sport = :$p")" ] && { echo "$p"; return 0; }
    tries=$((tries + 1))
  done
  lk_die "no free port found in 20000-29999"
}

stop_server() {
  [ -n "$KC_PID" ] || return 0
  # kc.sh forwards SIGTERM to its java process and waits for it: a clean Quarkus shutdown
  lk_stop_processes 60 TERM "Keycloak" "$KC_PID"
  # nothing of it may outlive the script (its own process group: setsid below)
  kill -KILL -- "-$KC_PID" 2>/dev/null || true
  KC_PID=""
}

cleanup() {
  local status=$?
  stop_server
  if [ "$status" -ne 0 ]; then
    [ -f "$KC_LOG" ] && { lk_log "last lines of $KC_LOG:"; tail -n 30 "$KC_LOG" >&2; }
    lk_log "failed (exit $status); $RUN is kept for a look"
  elif [ "${KC_KEEP_RUN:-0}" != 1 ]; then
    rm -rf "$RUN"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

HTTP_PORT="$(free_port)"
MGMT_PORT="$(free_port)"
[ "$MGMT_PORT" != "$HTTP_PORT" ] || MGMT_PORT="$(free_port)"
BASE="http://127.0.0.1:$HTTP_PORT"
lk_log "starting Keycloak $KC_VERSION (start-dev) on $BASE, management port $MGMT_PORT; log $KC_LOG"
KC_BOOTSTRAP_ADMIN_USERNAME="$ADMIN_USER" KC_BOOTSTRAP_ADMIN_PASSWORD="$ADMIN_PASSWORD" \
  setsid "$KC_HOME/bin/kc.sh" start-dev --http-host 127.0.0.1 --http-port "$HTTP_PORT" \
  --http-management-port "$MGMT_PORT" </dev/null >"$KC_LOG" 2>&1 &
KC_PID=$!

deadline=$(($(date +%s) + 180))
until [ "$(lk_http_status "$BASE/realms/master/.well-known/openid-configuration")" = 200 ]; do
  kill -0 "$KC_PID" 2>/dev/null || lk_die "Keycloak exited during start-up"
  [ "$(date +%s)" -lt "$deadline" ] || lk_die "Keycloak not ready within 180 s"
  sleep 1
done
lk_log "Keycloak ready after $(($(date +%s) - T0)) s"

# ---------------------------------------------------------------- the admin REST API
TOKEN=""
admin_token() {
  TOKEN="$(curl -fsS --max-time 30 "$BASE/realms/master/protocol/openid-connect/token" \
    --data-urlencode grant_type=password --data-urlencode client_id=admin-cli \
    --data-urlencode "username=$ADMIN_USER" --data-urlencode "password=$ADMIN_PASSWORD" | jq -r .access_token)"
  if [ -z "$TOKEN" ] || [ "$TOKEN" = null ]; then lk_die "no admin token"; fi
}
# api <method> <path under /admin/realms> [<json body>]: prints the response body; dies on a non-2xx
api() {
  local method="$1" path="$2" body="${3:-}" out status
  out="$(mktemp)"
  status="$(curl -sS --max-time 120 -o "$out" -w '%{http_code}' -X "$method" \
    -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json; charset=utf-8' \
    ${body:+--data-binary "$body"} "$BASE/admin/realms$path")"
  if [[ "$status" != 2* ]]; then
    lk_log "$method $path: HTTP $status: $(head -c 500 "$out")"
    rm -f "$out"
    return 1
  fi
  cat "$out"
  rm -f "$out"
}
set_policy() {
  lk_log "realm password policy: '${1}'"
  api PUT "/$REALM" "$(jq -nc --arg p "$1" '{passwordPolicy: $p}')" >/dev/null
}
# add_user <json representation> [<password>]: creates the user; with a password, sets it through
# Keycloak's reset-password (not temporary), which hashes it under the current policy
add_user() {
  local rep="$1" password="${2-}" username id
  username="$(jq -r .username <<<"$rep")"
  api POST "/$REALM/users" "$rep" >/dev/null
  id="$(api GET "/$REALM/users?exact=true&username=$username" | jq -r '.[0].id')"
  if [ -z "$id" ] || [ "$id" = null ]; then lk_die "user $username not found after creating it"; fi
  if [ -n "$password" ]; then
    api PUT "/$REALM/users/$id/reset-password" \
      "$(jq -nc --arg v "$password" '{type: "password", value: $v, temporary: false}')" >/dev/null
  fi
  echo "$id"
}

admin_token
api POST "" "$(jq -nc --arg r "$REALM" '{realm: $r, enabled: true}')" >/dev/null
lk_log "realm $REALM created"
api POST "/$REALM/roles" '{"name":"admin","description":"Latchkey administrators (mapped by the importer)"}' >/dev/null

# The fixture users (README.md beside the export lists them with their passwords).
set_policy ""
add_user '{"username":"argon-alice","email":"alice@example.com","emailVerified":true,"enabled":true,
  "firstName":"Alice","lastName":"Argon"}' 'alice-Argon2-pass!' >/dev/null
add_user '{"username":"umlaut-ute","email":"ute@example.com","emailVerified":true,"enabled":true,
  "firstName":"Ute","lastName":"Müller"}' 'Grüße-aus-Köln 42' >/dev/null
admin_token   # the token lives 60 s; the pbkdf2 hashes below take seconds each
set_policy "hashAlgorithm(pbkdf2-sha256)"
bob="$(add_user '{"username":"pbkdf-bob","email":"bob@example.com","emailVerified":true,"enabled":true,
  "firstName":"Bob","lastName":"Sha256"}' 'bob-Pbkdf2-sha256-pass')"
role="$(api GET "/$REALM/roles/admin")"
api POST "/$REALM/users/$bob/role-mappings/realm" "[$role]" >/dev/null
admin_token
set_policy "hashAlgorithm(pbkdf2-sha512)"
add_user '{"username":"pbkdf-carol","email":"carol@example.com","emailVerified":false,"enabled":true}' \
  'carol-Pbkdf2-sha512-pass' >/dev/null
admin_token
set_policy "hashAlgorithm(pbkdf2)"
add_user '{"username":"pbkdf-dave","email":"dave@example.com","emailVerified":true,"enabled":false}' \
  'dave-Pbkdf2-sha1-pass' >/dev/null
admin_token
add_user '{"username":"nopass-erin","email":"erin@example.com","emailVerified":true,"enabled":true}' >/dev/null
# back to the default policy: the export shows a stock realm, and every credential carries its
# own algorithm (Keycloak re-hashes with the realm's policy at the next login, we at ours)
set_policy ""

# each user's credential types, as a check that the passwords were stored
api GET "/$REALM/users?briefRepresentation=true&max=100" | jq -r '.[] | "\(.id) \(.username)"' |
  while read -r id username; do
    lk_log "  $username: $(api GET "/$REALM/users/$id/credentials" | jq -c '[.[] | .type]')"
  done

# ---------------------------------------------------------------- export (server stopped)
stop_server
EXPORT_TMP="$RUN/export"
mkdir -p "$EXPORT_TMP/different_files"
# --profile=dev: the configuration start-dev ran with (its H2 database under data/; the default
# prod profile reads the same database but warns that its default db is deprecated).
# Users inline: with --file, Keycloak 26.7 accepts only --users same_file ("realm_file" is for --dir
# and is refused with a file); both put the users in the realm file's "users" array.
lk_log "exporting (users inline in the realm file)"
"$KC_HOME/bin/kc.sh" --profile=dev export --realm "$REALM" --file "$EXPORT_TMP/$REALM-realm.json" \
  --users same_file </dev/null >>"$KC_LOG" 2>&1 || lk_die "kc.sh export --users same_file failed"
lk_log "exporting (users in separate files, 3 a file)"
"$KC_HOME/bin/kc.sh" --profile=dev export --realm "$REALM" --dir "$EXPORT_TMP/different_files" \
  --users different_files --users-per-file 3 </dev/null >>"$KC_LOG" 2>&1 ||
  lk_die "kc.sh export --users different_files failed"

jq -e --arg r "$REALM" '.realm == $r and (.users | length) == 6' "$EXPORT_TMP/$REALM-realm.json" >/dev/null ||
  lk_die "the realm file does not hold realm $REALM with its 6 users"
mkdir -p "$KC_EXPORT_DIR"
rm -rf "$KC_EXPORT_DIR/different_files"
cp "$EXPORT_TMP/$REALM-realm.json" "$KC_EXPORT_DIR/$REALM-realm.json"
cp -r "$EXPORT_TMP/different_files" "$KC_EXPORT_DIR/different_files"
lk_log "wrote $(find "$KC_EXPORT_DIR" -name '*.json' | wc -l) files to ${KC_EXPORT_DIR#"$LK_ROOT"/} ($(du -sh "$KC_EXPORT_DIR" | cut -f1)) in $(($(date +%s) - T0)) s"
