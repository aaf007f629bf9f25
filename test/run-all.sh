#!/usr/bin/env bash
# `npm test`: the whole suite on a fresh machine. Installs what it needs from
# npm and Debian when it can (as root), or says exactly what to run; starts a
# throwaway PostgreSQL (unless TEST_DATABASE_URL already names one); then
# typechecks, builds, and runs the unit/integration and browser tests.
# Ends with one plain line, "N passed, N failed", and a non-zero exit on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."

started=$(date +%s)
as_root() { [ "$(id -u)" = 0 ]; }
apt_updated=
apt_install() {
  if as_root; then
    echo "== installing $* from Debian"
    if [ -z "$apt_updated" ]; then apt-get update -qq || exit 1; apt_updated=1; fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null || { echo "apt-get install $* failed" >&2; exit 1; }
  else
    echo "Missing: $*. Install it with:  sudo apt-get update && sudo apt-get install -y $*" >&2
    exit 1
  fi
}
elapsed() { echo "$(( $(date +%s) - $1 )) s"; }

# 1. npm packages. better-sqlite3 compiles from source when no prebuilt binary is reachable.
if [ ! -d node_modules ]; then
  missing=()
  for tool in make g++ python3; do command -v "$tool" >/dev/null 2>&1 || missing+=("$tool"); done
  if [ ${#missing[@]} -gt 0 ]; then apt_install build-essential python3; fi
  echo "== npm ci"
  t=$(date +%s)
  npm ci || { echo "npm ci failed" >&2; exit 1; }
  echo "   npm ci took $(elapsed "$t")"
fi

# 2. Debian's Chromium for the browser tests.
[ -x /usr/bin/chromium ] || apt_install chromium

# 3. A PostgreSQL server binary for the PostgreSQL half of the store tests.
pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1; }
if [ -z "${TEST_DATABASE_URL:-}" ] && [ -z "$(pg_bin)" ] && ! command -v initdb >/dev/null 2>&1; then
  apt_install postgresql
fi

tmp=$(mktemp -d)
pg_pid=
cleanup() {
  if [ -n "$pg_pid" ]; then
    exec 9>&- 2>/dev/null
    kill "$pg_pid" 2>/dev/null
    wait "$pg_pid" 2>/dev/null
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ -n "${TEST_DATABASE_URL:-}" ]; then
  echo "== using the PostgreSQL at TEST_DATABASE_URL"
else
  echo "== starting a throwaway PostgreSQL"
  mkfifo "$tmp/keep"
  # The daemon runs the cluster (as the postgres user when we are root) and stops it when its stdin closes.
  node --import tsx test/support/pg-daemon.ts < "$tmp/keep" > "$tmp/pg-url" 2> "$tmp/pg-err" &
  pg_pid=$!
  exec 9> "$tmp/keep"
  for _ in $(seq 1 240); do
    [ -s "$tmp/pg-url" ] && break
    kill -0 "$pg_pid" 2>/dev/null || break
    sleep 0.5
  done
  if [ ! -s "$tmp/pg-url" ]; then
    echo "PostgreSQL did not start:" >&2
    cat "$tmp/pg-err" >&2
    exit 1
  fi
  TEST_DATABASE_URL=$(head -n1 "$tmp/pg-url")
  export TEST_DATABASE_URL
  echo "   $TEST_DATABASE_URL"
fi

failed_steps=()
step() {
  local name=$1
  shift
  echo "== $name"
  local t
  t=$(date +%s)
  if "$@"; then echo "   $name took $(elapsed "$t")"; else echo "   $name FAILED after $(elapsed "$t")"; failed_steps+=("$name"); fi
}

step "typecheck" npx tsc --noEmit -p .
step "build (extension, beacon, dashboard)" npm run build
step "unit and integration tests (embedded store and PostgreSQL)" npx vitest run --project unit --reporter=default --reporter=json --outputFile.json="$tmp/unit.json"
step "browser end-to-end tests (Chromium)" npx vitest run --project e2e --reporter=default --reporter=json --outputFile.json="$tmp/e2e.json"

echo
if [ ${#failed_steps[@]} -gt 0 ]; then printf 'failed: %s\n' "${failed_steps[@]}"; fi
echo "total $(elapsed "$started")"
# The vitest JSON reports, summed. A test file that could not even load counts as a failure.
node -e '
  let passed = 0, failed = 0;
  for (const file of process.argv.slice(1)) {
    let r;
    try { r = JSON.parse(require("fs").readFileSync(file, "utf8")); } catch { failed += 1; continue; }
    passed += r.numPassedTests;
    failed += r.numFailedTests;
    const brokenFiles = (r.testResults || []).filter((f) => f.status === "failed" && !(f.assertionResults || []).some((a) => a.status === "failed")).length;
    failed += brokenFiles;
    if (!r.success && r.numFailedTests === 0 && brokenFiles === 0) failed += 1;
  }
  console.log(`${passed} passed, ${failed} failed`);
  if (failed > 0 || passed === 0) process.exitCode = 1;
' "$tmp/unit.json" "$tmp/e2e.json"
summary=$?
[ ${#failed_steps[@]} -eq 0 ] && [ "$summary" -eq 0 ]
