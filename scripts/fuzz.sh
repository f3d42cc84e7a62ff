#!/usr/bin/env bash
# Real fuzzing, on demand: one Jazzer @FuzzTest target at a time, for as long as asked.
#
#   scripts/fuzz.sh                                  the targets
#   scripts/fuzz.sh TARGET [SECONDS [MAVEN ARGS]]    fuzz TARGET for SECONDS (default 60) of fuzzing proper
#   scripts/fuzz.sh all [SECONDS [MAVEN ARGS]]       every target in turn, SECONDS each
#
# Arguments after SECONDS go to Maven (for example -o), as with scripts/test.sh.
#
# The test command (scripts/test.sh, mvn verify) only replays the committed inputs of each
# fuzz test (Jazzer's regression mode). This script sets JAZZER_FUZZ=1 and runs one target
# through Maven and Surefire as the tests run. Jazzer 0.24 takes a run's length from the
# annotation only (FuzzDurations.ROUND, 10 minutes), so the script interrupts the fuzzing JVM
# once SECONDS have passed since fuzzing began (libFuzzer stops with "run interrupted", which
# Surefire reports as a crashed fork: that is expected here and not a finding), and runs
# further rounds when more than a round is asked. Each round resumes from libFuzzer's corpus
# in <module>/.cifuzz-corpus/<class>/<method>/ (ignored by git).
#
# A finding stops the run and is written by Jazzer as
#   <module>/src/test/resources/<package>/<Class>Inputs/<method>/crash-<sha1>
# which is where regression mode looks: rename it to say what it is, fix the code, and commit
# both; from then on `mvn verify` replays it. Exit status: 0 no finding, 1 a finding, 2 the
# run failed otherwise (the Maven log is kept in target/fuzz/<target>.log).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"

log() { echo "fuzz.sh: $*" >&2; }

# target  module  class  method
TARGETS="
json-bodies      common         io.latchkey.common.JsonBodiesFuzzTest            body
introspect-form  auth-verticle  io.latchkey.auth.http.IntrospectFormFuzzTest     form
token-string     auth-verticle  io.latchkey.auth.token.AccessTokenFuzzTest       anyString
token-mutation   auth-verticle  io.latchkey.auth.token.AccessTokenFuzzTest       mutatedToken
token-mutation-eddsa auth-verticle io.latchkey.auth.token.AccessTokenFuzzTest     mutatedEdDsaToken
search-cursor    user-verticle  io.latchkey.user.service.SearchCursorFuzzTest    cursor
"

usage() {
  echo "usage: scripts/fuzz.sh TARGET|all [SECONDS [MAVEN ARGS...]]    (SECONDS of fuzzing, default 60)"
  echo "targets:"
  echo "$TARGETS" | awk 'NF { printf "  %-16s %s#%s\n", $1, $3, $4 }'
}

# the pids of every descendant of $1
descendants() {
  local child
  for child in $(pgrep -P "$1" || true); do
    echo "$child"
    descendants "$child"
  done
}

# fuzz_round MODULE CLASS METHOD SECONDS LOGFILE: one Maven run, interrupted after SECONDS of fuzzing.
# Prints "finished" (Jazzer's own limit or a finding ended it) or "interrupted".
fuzz_round() {
  local module="$1" class="$2" method="$3" seconds="$4" logfile="$5"
  JAZZER_FUZZ=1 mvn -B -ntp ${mvn_args[@]+"${mvn_args[@]}"} -pl "$module" -am test \
    -Dtest="$class#$method" -Dsurefire.failIfNoSpecifiedTests=false >>"$logfile" 2>&1 &
  local mvn_pid=$! started="" outcome="finished"
  while kill -0 "$mvn_pid" 2>/dev/null; do
    if [ -z "$started" ] && grep -aq '^INFO: Seed: ' "$logfile"; then
      started=$SECONDS
    fi
    if [ -n "$started" ] && [ $((SECONDS - started)) -ge "$seconds" ]; then
      local pid
      for pid in $(descendants "$mvn_pid"); do
        if tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q surefirebooter; then
          kill -INT "$pid" 2>/dev/null || true
        fi
      done
      outcome="interrupted"
      break
    fi
    sleep 1
  done
  wait "$mvn_pid" || true
  echo "$outcome"
}

fuzz_target() {
  local name="$1" seconds="$2" module class method
  read -r module class method < <(echo "$TARGETS" | awk -v t="$name" '$1 == t { print $2, $3, $4 }') || true
  if [ -z "${module:-}" ]; then
    log "no target '$name'"
    usage >&2
    exit 2
  fi
  local package_dir="${class%.*}"
  package_dir="${package_dir//.//}"
  local inputs="$module/src/test/resources/$package_dir/${class##*.}Inputs/$method"
  mkdir -p "$inputs" target/fuzz
  local logfile="target/fuzz/$name.log"
  : >"$logfile"
  local before
  before="$(ls -A "$inputs")"

  log "$name: fuzzing $class#$method for ${seconds}s (log: $logfile)"
  local left="$seconds" round_start outcome
  while [ "$left" -gt 0 ]; do
    round_start=$SECONDS
    outcome="$(fuzz_round "$module" "$class" "$method" "$left" "$logfile")"
    if [ "$outcome" = "interrupted" ] || [ -n "$(comm -13 <(echo "$before") <(ls -A "$inputs"))" ]; then
      break
    fi
    if ! grep -aq '^Done [0-9]* runs' "$logfile"; then
      break
    fi
    left=$((left - (SECONDS - round_start)))
  done

  local new
  new="$(comm -13 <(echo "$before") <(ls -A "$inputs") | grep '^crash-' || true)"
  if [ -n "$new" ]; then
    log "$name: FINDING. New crash input(s), replayed by mvn verify once committed:"
    echo "$new" | sed "s|^|  $inputs/|" >&2
    grep -a -m1 -A3 'FuzzTestFindingException' "$logfile" >&2 || true
    log "reproduce: mvn -pl $module -am test -Dtest='$class#$method' -Dsurefire.failIfNoSpecifiedTests=false"
    return 1
  fi
  if ! grep -aq '^Done [0-9]* runs\|libFuzzer: run interrupted' "$logfile"; then
    log "$name: the fuzzing run did not start or failed; see $logfile"
    tail -n 30 "$logfile" >&2
    return 2
  fi
  log "$name: no finding ($(grep -a -o '^#[0-9]*' "$logfile" | tail -n 1 | tr -d '#') runs in the last round);" \
    "corpus: $module/.cifuzz-corpus/$class/$method/"
  return 0
}

command -v mvn >/dev/null || { log "mvn not found: install Maven (Debian: apt-get install maven)"; exit 2; }

target="${1:-}"
seconds="${2:-60}"
mvn_args=("${@:3}")
case "$seconds" in
  ''|*[!0-9]*) log "SECONDS must be a whole number, not '$seconds'"; exit 2 ;;
esac
case "$target" in
  ''|-h|--help|list) usage; exit 0 ;;
  all)
    status=0
    for t in $(echo "$TARGETS" | awk 'NF { print $1 }'); do
      fuzz_target "$t" "$seconds" || { rc=$?; [ "$rc" -gt "$status" ] && status=$rc; }
    done
    exit "$status"
    ;;
  *) fuzz_target "$target" "$seconds" ;;
esac
