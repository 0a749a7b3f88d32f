#!/usr/bin/env bash
# The whole test suite, as CI runs it (.ci/run):
#
#   1. the programs the browser and Redis tests need (scripts/install-test-deps.sh)
#      and the parity harness's Python environments (its `setup all`);
#   2. cargo fmt --check, cargo clippy -D warnings on every target;
#   3. cargo test: unit, integration, doc and trybuild tests, and the example
#      app over HTTP: everything that needs nothing but Rust;
#   4. the tests `cargo test` lists as ignored because they need Chromium,
#      redis-server or the Flask twins (`cargo test --tests -- --ignored`);
#   5. the parity check against the real Flask-Login 0.6.3 and 0.2.4 twins
#      (the harness at ../shared/parity, or $PARITY_HARNESS), and this
#      repository's extra scenarios.
#
# Steps that wait rather than compute overlap with steps that compute: step
# 1 (downloads, unpacking) runs in the background while step 2 compiles,
# when it can run unattended (as root, as in CI, or with nothing to install;
# otherwise, apt-get through sudo may ask for a password, it runs first).
# Once everything is built, steps 4 and 5 (mostly waiting on Redis timeouts,
# browsers and the Flask twins) run in the background while step 3 runs;
# their output follows step 3's, and every failure is reported.
#
# Nothing is skipped silently: a missing program fails its step. The one
# exception is the parity harness, which lives outside this repository: when
# PARITY_HARNESS is unset and ../shared/parity is absent, the parity step says
# so loudly and the summary lists it as not run; with PARITY_HARNESS set (CI
# sets it), a missing harness is a failure.
#
# Honours CARGO_TARGET_DIR: binaries are found through cargo, never by path.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }
ran=()

if [ -n "${PARITY_HARNESS:-}" ]; then
  PARITY=$PARITY_HARNESS
  [ -x "$PARITY/check" ] || { echo "PARITY_HARNESS=$PARITY has no executable check script" >&2; exit 1; }
  # cargo runs each test in its package's directory, not here: a relative
  # path given by the caller would name another place there.
  PARITY=$(cd "$PARITY" && pwd)
  export PARITY_HARNESS=$PARITY
else
  PARITY=../shared/parity
fi
HAVE_PARITY=
[ -x "$PARITY/check" ] && HAVE_PARITY=1

LOGS=$(mktemp -d -t actix-login-test.XXXXXX)
prepare() {
  bash scripts/install-test-deps.sh
  if [ -n "$HAVE_PARITY" ]; then "$PARITY/setup" all; fi
}
if [ "$(id -u)" -eq 0 ] || { command -v chromium && command -v chromedriver && command -v redis-server; } >/dev/null 2>&1; then
  step "in the background: chromium, chromium-driver, redis-server; the parity venvs (log: $LOGS/prepare.log)"
  prepare >"$LOGS/prepare.log" 2>&1 &
  PREPARE=$!
else
  step "test dependencies: chromium, chromium-driver, redis-server; the parity venvs"
  prepare
  PREPARE=
fi
wait_prepared() {
  [ -n "$PREPARE" ] || return 0
  step "waiting for the test dependencies"
  if ! wait "$PREPARE"; then
    cat "$LOGS/prepare.log" >&2
    echo "installing the test dependencies failed (above)" >&2
    exit 1
  fi
  cat "$LOGS/prepare.log"
  PREPARE=
}

step "cargo fmt --check"
cargo fmt --all -- --check
ran+=("fmt")

step "cargo clippy --workspace --all-targets -- -D warnings"
cargo clippy --workspace --all-targets -- -D warnings
ran+=("clippy")

step "cargo test --no-run (build every test, example and binary)"
cargo test --no-run

parity_bin=
if [ -n "$HAVE_PARITY" ]; then
  # Where cargo put the parity example (CARGO_TARGET_DIR, profiles): ask it.
  parity_bin=$(cargo build --example parity --message-format=json-render-diagnostics |
    python3 -c '
import json, sys
for line in sys.stdin:
    msg = json.loads(line)
    if msg.get("reason") == "compiler-artifact" and msg["target"]["name"] == "parity" and msg.get("executable"):
        print(msg["executable"])
')
  [ -x "$parity_bin" ] || { echo "cargo reported no parity executable" >&2; exit 1; }
fi

wait_prepared

# In the background (everything is built): the ignored tests, and parity.
ignored() { cargo test --tests -- --ignored; }
parity() {
  "$PARITY/check" --twin both "$parity_bin"
  # tests/parity-known-differences holds the scenarios where we differ on
  # purpose (see its README); they are not run here.
  echo
  echo "== this repository's extra scenarios (tests/parity-scenarios)"
  "$PARITY/check" --twin both --scenarios tests/parity-scenarios "$parity_bin"
  # Where the 0.2.4 profile differs on purpose (tests/parity-known-differences/README.md),
  # the 0.6.3 half still has to match.
  echo
  echo "== tests/parity-scenarios-0.6.3 (0.6.3 only)"
  "$PARITY/check" --twin twin --scenarios tests/parity-scenarios-0.6.3 "$parity_bin"
}
step "in the background: the ignored tests (log: $LOGS/ignored.log)"
ignored >"$LOGS/ignored.log" 2>&1 &
IGNORED=$!
PARITY_JOB=
if [ -n "$HAVE_PARITY" ]; then
  step "in the background: parity against Flask-Login 0.6.3 and 0.2.4 (log: $LOGS/parity.log)"
  parity >"$LOGS/parity.log" 2>&1 &
  PARITY_JOB=$!
fi

failed=()
step "cargo test (unit, integration, doc, trybuild; what needs only Rust)"
if cargo test; then ran+=("cargo test"); else failed+=("cargo test"); fi

step "cargo test --tests -- --ignored (the browser, Redis and Flask-twin tests)"
if wait "$IGNORED"; then ok=1; else ok=; fi
cat "$LOGS/ignored.log"
if [ -n "$ok" ]; then ran+=("ignored tests"); else failed+=("ignored tests"); fi

if [ -n "$PARITY_JOB" ]; then
  step "parity: actix-login vs Flask-Login 0.6.3 and 0.2.4"
  if wait "$PARITY_JOB"; then ok=1; else ok=; fi
  cat "$LOGS/parity.log"
  if [ -n "$ok" ]; then ran+=("parity"); else failed+=("parity"); fi
else
  step "PARITY NOT RUN: no harness at $PARITY (set PARITY_HARNESS to its directory)"
fi

step "passed: ${ran[*]}"
if [ ${#failed[@]} -gt 0 ]; then
  step "FAILED: ${failed[*]}"
  exit 1
fi
