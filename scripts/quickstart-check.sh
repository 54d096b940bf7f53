#!/usr/bin/env bash
# Follows the README's quick start word by word, as a new user would, and fails where the
# README is no longer true:
#   1. (--clone) a fresh `git clone` of this checkout's HEAD, then `npm ci` there: it must
#      leave the `hes` bundle built (no "running the TypeScript sources" notice at start);
#   2. `npm start` (hes start --demo) in the background, until the API listens;
#   3. the README's login block (its ```sh block with /auth/login) run as written, with the
#      one-time password that `npm start` printed in place of the "…"; the meters it lists are
#      checked, and the whole fleet must have as many meters as the README says;
#   4. the API documentation (/docs and /openapi.json) opens without a token, while /meters
#      without one is refused;
#   5. the README's password recovery line (`… users reset-password admin …`) prints a new
#      one-time password, the old one is refused and the new one logs in;
#   6. the head end stops on Ctrl-C (SIGINT): "stopped", its port free.
#
#   scripts/quickstart-check.sh [--clone] [--port N] [--keep]
#
# Without --clone it runs in this checkout, which must be installed and hold no ./data (it
# creates ./data and removes it at the end). --port N: another API port than the README's 8080
# (for a machine where 8080 is taken; `localhost:8080` in the README's commands becomes
# `localhost:N`). --keep: leave the clone / ./data and the log behind. CI (.ci/run) runs it
# on its clean clone after the tests.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
clone=0
port=8080
keep=0
while [ $# -gt 0 ]; do
  case $1 in
    --clone) clone=1 ;;
    --port) port=$2; shift ;;
    --keep) keep=1 ;;
    *) echo "usage: $0 [--clone] [--port N] [--keep]" >&2; exit 2 ;;
  esac
  shift
done

log() { printf '\n== quick start: %s\n' "$*"; }
fail() { printf 'quick start FAILED: %s\n' "$*" >&2; [ -f "${out:-/nonexistent}" ] && { echo '--- npm start output (last 40 lines):' >&2; tail -n 40 "$out" >&2; }; exit 1; }

readme=$root/README.md
[ -f "$readme" ] || fail "no README.md in $root"
for tool in curl jq git; do command -v "$tool" >/dev/null || fail "$tool is needed (the README's commands use curl and jq)"; done

# The README's quick start section, and in it the sh block that logs in.
quick=$(awk '/^## Quick start/{on=1; next} /^## /{on=0} on' "$readme")
login_block=$(printf '%s\n' "$quick" | awk '/^```sh/{b=""; on=1; next} /^```/{if (on && b ~ /auth\/login/) {printf "%s", b; exit} on=0; next} on{b=b $0 "\n"}')
[ -n "$login_block" ] || fail "README quick start has no sh block with /auth/login"
printf '%s\n' "$quick" | grep -q 'npm ci && npm start' || fail "README quick start no longer says 'npm ci && npm start'"
fleet_words=$(printf '%s\n' "$quick" | grep -oE 'simulated town of [0-9,]+' | head -n 1)
readme_meters=${fleet_words##* }
readme_meters=${readme_meters//,/}
[ -n "$readme_meters" ] || fail "README quick start does not say how many meters the demo has ('simulated town of N')"
reset_line=$(grep -oE '(npx )?hes users reset-password admin[^`]*' "$readme" | head -n 1)
[ -n "$reset_line" ] || fail "README does not say how to recover the admin password (hes users reset-password admin …)"

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
port_open "$port" && fail "port $port is taken; stop what listens there or use --port N"

if [ "$clone" = 1 ]; then
  work=$(mktemp -d /tmp/qs-XXXXXX)
  log "git clone $root → $work/openhes"
  git clone -q "$root" "$work/openhes"
  dir=$work/openhes
else
  dir=$root
  [ -e "$dir/data" ] && fail "$dir/data exists; the quick start begins without one (move it away, or use --clone)"
  work=$(mktemp -d /tmp/qs-XXXXXX)
fi
out=$work/npm-start.log
pid=

cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill -TERM -- "-$pid" 2>/dev/null || true; sleep 2; kill -KILL -- "-$pid" 2>/dev/null || true; fi
  if [ "$keep" = 1 ]; then echo "kept: $work and $dir/data"; return; fi
  [ "$clone" = 1 ] || rm -rf "$dir/data"
  rm -rf "$work"
}
trap cleanup EXIT

cd "$dir"
if [ "$clone" = 1 ]; then
  log "npm ci"
  npm ci --no-audit --no-fund
  [ -f apps/hes/dist/hes.cjs ] || fail "npm ci did not build the hes bundle (apps/hes/dist/hes.cjs)"
fi

log "npm start (API port $port)"
extra=()
[ "$port" = 8080 ] || extra=(-- --port "$port")
# Its own process group, so that Ctrl-C reaches npm and hes as it would in a terminal.
setsid npm start "${extra[@]}" >"$out" 2>&1 < /dev/null &
pid=$!
for _ in $(seq 1 600); do
  grep -q '^OpenHES API listening on ' "$out" && break
  kill -0 "$pid" 2>/dev/null || fail "npm start exited before the API listened"
  sleep 0.5
done
grep -q '^OpenHES API listening on ' "$out" || fail "the API did not listen within 300 s"
if grep -q 'running the TypeScript sources' "$out"; then
  [ "$clone" = 1 ] && fail "hes ran its TypeScript sources after npm ci: $(grep 'running the TypeScript sources' "$out")"
  echo "note: $(grep 'running the TypeScript sources' "$out")"
fi
password=$(sed -nE 's/^created user "admin" with one-time password: ([^ ]+)$/\1/p' "$out" | head -n 1)
[ -n "$password" ] || fail "npm start printed no one-time admin password"
grep -E '^demo: [0-9]+ simulated meters on port [0-9]+' "$out" || fail "npm start did not say where the demo fleet listens"

# Runs a README block as written (its password placeholder "…" replaced, the port adjusted),
# followed by `$2` in the same shell so that the block's variables (TOKEN) can be checked.
run_block() {
  local block=${1//…/$2}
  block=${block//localhost:8080/localhost:$port}
  bash -euo pipefail -c "$block"$'\n'"$3"
}

log "the README's login block"
printf '%s\n' "$login_block"
listed=$(run_block "$login_block" "$password" 'printf "\nTOKEN=%s\n" "$TOKEN"') || fail "the README's login block failed"
token=$(printf '%s\n' "$listed" | sed -n 's/^TOKEN=//p' | tail -n 1)
[ -n "$token" ] && [ "$token" != null ] || fail "the README's login gave no token: $listed"
body=$(printf '%s\n' "$listed" | sed '/^TOKEN=/d')
n=$(printf '%s' "$body" | jq '.items | length') || fail "GET /meters did not answer JSON: ${body:0:300}"
[ "$n" -gt 0 ] || fail "GET /meters listed no meters: ${body:0:300}"
printf '%s' "$body" | jq -e '.items[0] | has("serial") and has("address")' >/dev/null || fail "GET /meters items lack serial/address"
echo "GET /meters: first page of $n meters, e.g. $(printf '%s' "$body" | jq -c '.items[0] | {id, serial, address, status}')"
total=$(curl -s "localhost:$port/meters?limit=10000" -H "authorization: Bearer $token" | jq '.items | length')
[ "$total" = "$readme_meters" ] || fail "the demo has $total meters, the README says $readme_meters"
echo "the demo has $total meters, as the README says"

log "API docs without a token"
code=$(curl -s -o /dev/null -w '%{http_code}' -L "localhost:$port/docs")
[ "$code" = 200 ] || fail "GET /docs without a token answered $code"
curl -s "localhost:$port/docs/" -L | grep -qi '<html' || fail "GET /docs is no HTML page"
curl -s "localhost:$port/openapi.json" | jq -e '.openapi and (.paths | length > 0)' >/dev/null ||
  fail "GET /openapi.json without a token is no OpenAPI document"
code=$(curl -s -o /dev/null -w '%{http_code}' "localhost:$port/meters")
[ "$code" = 401 ] || fail "GET /meters without a token answered $code, not 401"
echo "/docs 200, /openapi.json 200 without a token; /meters 401 without one"

log "the README's admin password recovery: $reset_line"
recovered=$(bash -euo pipefail -c "$reset_line") || fail "'$reset_line' failed: $recovered"
echo "$recovered" | sed -E 's/(password[^:]*: ).*/\1(hidden)/'
new_password=$(printf '%s\n' "$recovered" | sed -nE 's/.*one-time password[^:]*: ([^ ]+)$/\1/p' | tail -n 1)
[ -n "$new_password" ] || fail "'$reset_line' printed no one-time password"
login() { curl -s -o /dev/null -w '%{http_code}' "localhost:$port/auth/login" -H 'content-type: application/json' -d "{\"username\":\"admin\",\"password\":\"$1\"}"; }
[ "$(login "$password")" = 401 ] || fail "the old admin password still logs in after the reset"
[ "$(login "$new_password")" = 200 ] || fail "the recovered admin password does not log in"
echo "the old password is refused, the recovered one logs in"

log "Ctrl-C"
kill -INT -- "-$pid"
status=0
wait "$pid" || status=$?
pid=
# In a terminal Ctrl-C reaches npm too, which then exits 130 whatever hes did: hes itself
# must stop cleanly (its "stopped"), and leave its port free.
[ "$status" = 0 ] || [ "$status" = 130 ] || fail "npm start exited $status on Ctrl-C"
grep -q '^stopped$' "$out" || fail "hes did not say it stopped"
port_open "$port" && fail "port $port still listens after Ctrl-C"
echo "hes stopped (npm exited $status)"
log "passed"
