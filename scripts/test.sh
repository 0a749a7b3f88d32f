#!/usr/bin/env bash
# The whole test suite, as CI runs it: formatting, lints, unit, integration,
# doc and macro (trybuild) tests, then the parity check against the real
# Flask-Login twins when the harness is present (../shared/parity).
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "test dependencies: chromium, chromium-driver, redis-server"
bash scripts/install-test-deps.sh

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy --all-targets -- -D warnings"
cargo clippy --workspace --all-targets -- -D warnings

step "cargo test (unit, integration, doc, trybuild, browser, Redis)"
cargo test

PARITY="${PARITY_HARNESS:-../shared/parity}"
if [ -x "$PARITY/check" ]; then
  step "parity: actix-login vs Flask-Login 0.6.3 and 0.2.4"
  cargo build --example parity
  "$PARITY/check" --twin both target/debug/examples/parity
  if [ -d tests/parity-scenarios ]; then
    # tests/parity-known-differences holds the scenarios where we differ on
    # purpose (see its README); they are not run here.
    step "parity: this repository's extra scenarios"
    "$PARITY/check" --twin both --scenarios tests/parity-scenarios target/debug/examples/parity
  fi
else
  step "parity harness not found at $PARITY: skipped (set PARITY_HARNESS to run it)"
fi
