#!/usr/bin/env bash
# Quick-start command 2 (`npm test`): the whole test suite.
#   typecheck -> lint (eslint, prettier, notebooks' committed form and formatting) -> build -> unit tests (native engine) -> training tests
#   again on wasm -> notebook tests (AE_QUICK=1)
# Every step runs even after a failure, so one run shows every problem; exits 1 if any failed.
# The last line totals node's test runner counts over both test runs.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export PATH="$ROOT/node_modules/.bin:$PATH"

# tslab's bundled TypeScript 5.0 also installs a `tsc` binary and npm's link order decides which
# one node_modules/.bin/tsc is: always run the project's own TypeScript by path.
TSC=(node node_modules/typescript/bin/tsc)

if [ ! -f node_modules/typescript/bin/tsc ] || [ ! -x .venv/bin/python ]; then
  echo "[test] node_modules or .venv missing: run \`bash scripts/setup.sh\` first" >&2
  exit 1
fi

failed=()
log=$(mktemp)
trap 'rm -f "$log"' EXIT

step() {
  local name=$1
  shift
  echo "[test] === $name: $* ==="
  local t0=$SECONDS
  if "$@"; then
    echo "[test] $name ok ($((SECONDS - t0)) s)"
  else
    echo "[test] $name FAILED ($((SECONDS - t0)) s)"
    failed+=("$name")
  fi
}

# Runs node's test runner, copying its output to $log so the counts can be totalled.
node_tests() {
  node --test "$@" 2>&1 | tee -a "$log"
  return "${PIPESTATUS[0]}"
}

step typecheck "${TSC[@]}" -p tsconfig.json
step eslint eslint .
step prettier prettier --check .
step notebook-format node node_modules/ts-node/dist/bin.js scripts/check-notebooks.ts
step build "${TSC[@]}" -p tsconfig.build.json

shopt -s nullglob
unit=(test/unit/*.test.ts)
notebook=(test/notebooks/*.test.ts)
if [ ${#unit[@]} -gt 0 ]; then
  step unit node_tests --test-concurrency=2 --require ts-node/register/transpile-only "${unit[@]}"
else
  echo "[test] unit: no test/unit/*.test.ts files"
fi
# The fallback must not rot: training, model, gradient and resume tests again on wasm.
AE_TEST_BACKEND=wasm step unit-wasm node_tests --test-concurrency=2 --require ts-node/register/transpile-only \
  test/unit/trainer.test.ts test/unit/model.test.ts test/unit/losses.test.ts test/unit/run-folder.test.ts \
  test/unit/conv-gradient.test.ts test/unit/wasm-matmul.test.ts
if [ ${#notebook[@]} -gt 0 ]; then
  AE_QUICK=1 step notebooks node_tests --require ts-node/register/transpile-only "${notebook[@]}"
else
  echo "[test] notebooks: no test/notebooks/*.test.ts files"
fi

# node prints "# pass N" (TAP reporter, when not on a terminal) or "ℹ pass N" (spec reporter).
count() { grep -E "^(#|ℹ) $1 [0-9]+$" "$log" | awk '{s += $3} END {print s + 0}'; }
passed=$(count pass)
fails=$(count fail)
skipped=$(count skipped)
todo=$(count todo)

if [ ${#failed[@]} -gt 0 ]; then
  echo "[test] FAILED steps: ${failed[*]}"
else
  echo "[test] all steps passed"
fi
echo "total: $passed passed, $fails failed, $((skipped + todo)) skipped"
[ ${#failed[@]} -eq 0 ]
