#!/usr/bin/env bash
# Smoke test of one clearml-agent executable, the same steps on a release runner (the compiled binary alone: no Deno,
# no repository) and in CI here (the source launcher):
#
#   scripts/smoke_binary.sh dist/clearml-agent-linux-x64
#   scripts/smoke_binary.sh ./node_modules/.bin/deno run -P=agent --quiet main.ts
#
# The arguments are the command that runs the agent. Steps: `--version`, `server --detached` (its own data folder,
# a random port), `daemon --detached` on a fresh queue, `task create` of a one-line Python script, `task logs
# --follow` shows its line, `daemon --stop`, `server --stop`. Everything lives in one temporary folder (HOME,
# TMPDIR, clearml.conf, the server's data), so the machine's own configuration and agents are never touched; the
# folder is removed at the end, and on failure the server and daemon are stopped and their logs printed.
# Needs python3 with venv on PATH (the task runs in a venv). Prints "smoke: ok" and exits 0, or "smoke: FAILED: ..."
# and exits 1.
set -uo pipefail

[ $# -gt 0 ] || { echo "usage: scripts/smoke_binary.sh BINARY [ARGS...]" >&2; exit 2; }
agent=("$@")
STEP_TIMEOUT="${SMOKE_STEP_TIMEOUT:-300}"

work=$(mktemp -d "${TMPDIR:-/tmp}/clearml-agent-smoke.XXXXXX")
server_started=""
daemon_started=""

# Only this script's own variables reach the agent: no CLEARML_* of the caller, a private HOME and TMPDIR.
while IFS= read -r name; do unset "$name"; done < <(env | grep -E '^(CLEARML|TRAINS)_[A-Za-z0-9_]*=' | cut -d= -f1)
export HOME="$work/home" TMPDIR="$work/tmp" CLEARML_CONFIG_FILE="$work/clearml.conf" NO_COLOR=1
mkdir -p "$HOME" "$TMPDIR"

# Each step has a time limit where coreutils' timeout exists (macOS runners have none: the job's limit applies).
limit=()
if command -v timeout >/dev/null 2>&1; then limit=(timeout --kill-after=10 "$STEP_TIMEOUT"); fi
run() {
  ${limit[@]+"${limit[@]}"} "${agent[@]}" "$@"
}

cleanup() {
  [ -z "$daemon_started" ] || run daemon --stop >/dev/null 2>&1
  [ -z "$server_started" ] || run server --stop --data-dir "$work/server" >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT

fail() {
  echo "smoke: FAILED: $*"
  for log in "$work/server/server.log" "$TMPDIR"/*.log "$TMPDIR"/.clearml_agent_daemon_out*.txt; do
    [ -f "$log" ] || continue
    echo "--- $log (last 30 lines)"
    tail -n 30 "$log"
  done
  exit 1
}

step() {
  echo "== $*"
}

step "--version"
version=$(run --version 2>&1) || fail "--version exited non-zero: $version"
grep -qi "^clearml-agent version " <<<"$version" || fail "--version printed \"$version\", not a version line"
echo "$version"

step "server --detached"
out=$(run server --detached --host 127.0.0.1 --port 0 --data-dir "$work/server" 2>&1) ||
  fail "server --detached: $out"
server_started=1
url=$(sed -n 's/.*running in the background (pid [0-9]*) on \(http:[^ ]*\).*/\1/p' <<<"$out")
[ -n "$url" ] || fail "server --detached did not print its address: $out"
[ -s "$work/server/clearml.conf.snippet" ] || fail "server --detached wrote no clearml.conf.snippet"
cp "$work/server/clearml.conf.snippet" "$CLEARML_CONFIG_FILE"
echo "server at $url"

step "daemon --detached"
queue="smoke-$$"
out=$(run daemon --queue "$queue" --create-queue --detached 2>&1) || fail "daemon --detached: $out"
daemon_started=1
echo "$out" | tail -n 2

step "task create"
marker="smoke test line $$-$RANDOM"
printf 'print("%s")\n' "$marker" >"$work/hello.py"
out=$(run task create --project "smoke tests" --name "smoke hello" --script "$work/hello.py" --queue "$queue" --json \
  2>&1) || fail "task create: $out"
task=$(sed -n 's/.*"id": *"\([0-9a-f]\{32\}\)".*/\1/p' <<<"$out" | head -n 1)
[ -n "$task" ] || fail "task create printed no task id: $out"
echo "task $task"

step "task logs --follow"
out=$(run task logs "$task" --follow 2>&1) || fail "task logs --follow: $out"
grep -qF "$marker" <<<"$out" || fail "task logs --follow did not show \"$marker\": $(tail -n 20 <<<"$out")"
echo "the task's line is in its log"

step "daemon --stop"
out=$(run daemon --stop 2>&1) || fail "daemon --stop: $out"
daemon_started=""
echo "$out" | tail -n 1

step "server --stop"
out=$(run server --stop --data-dir "$work/server" 2>&1) || fail "server --stop: $out"
server_started=""
echo "$out"

echo "smoke: ok"
