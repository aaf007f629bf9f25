#!/usr/bin/env bash
# `npm test`: the whole suite on a fresh machine. Installs what it needs from
# npm and Debian when it can (as root), or says exactly what to run.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { [ "$(id -u)" = 0 ]; }
apt_install() {
  if as_root; then
    echo "== installing $* from Debian"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
  else
    echo "Missing: $*. Install it with:  sudo apt-get update && sudo apt-get install -y $*" >&2
    exit 1
  fi
}

[ -d node_modules ] || { echo "== npm ci"; npm ci; }
[ -x /usr/bin/chromium ] || apt_install chromium
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1 || apt_install postgresql

tmp=$(mktemp -d)
cleanup() {
  [ -n "${pg_pid:-}" ] && kill "$pg_pid" 2>/dev/null && wait "$pg_pid" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

echo "== starting a throwaway PostgreSQL"
mkfifo "$tmp/keep"
node --import tsx test/support/pg-daemon.ts < "$tmp/keep" > "$tmp/pg-url" &
pg_pid=$!
exec 9> "$tmp/keep"
for _ in $(seq 1 120); do [ -s "$tmp/pg-url" ] && break; sleep 0.5; done
[ -s "$tmp/pg-url" ] || { echo "PostgreSQL did not start" >&2; exit 1; }
export TEST_DATABASE_URL=$(head -n1 "$tmp/pg-url")

echo "== typecheck"
npx tsc --noEmit -p .
echo "== build"
npm run build

status=0
echo "== unit and integration tests (embedded store and PostgreSQL)"
npx vitest run --project unit --reporter=default --reporter=json --outputFile.json="$tmp/unit.json" || status=1
echo "== browser end-to-end tests (Chromium)"
npx vitest run --project e2e --reporter=default --reporter=json --outputFile.json="$tmp/e2e.json" || status=1

node -e '
  let p = 0, f = 0;
  for (const file of process.argv.slice(1)) {
    try { const r = require(file); p += r.numPassedTests; f += r.numFailedTests + (r.numRuntimeErrors || 0); } catch { f += 1; }
  }
  console.log(`\n${p} passed, ${f} failed`);
  if (p === 0) process.exitCode = 1;
' "$tmp/unit.json" "$tmp/e2e.json" || status=1
exit $status
