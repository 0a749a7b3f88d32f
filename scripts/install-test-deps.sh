#!/usr/bin/env bash
# Installs what the tests need beyond Rust, with Debian's packages, when it
# is missing:
#
#   chromium         /usr/bin/chromium       (examples/app/tests/browser.rs)
#   chromium-driver  /usr/bin/chromedriver   (examples/app/tests/browser.rs)
#   redis-server     /usr/bin/redis-server   (examples/app/tests/redis.rs, tests/store_faults.rs)
#   python3-venv     python3 -m venv         (the parity harness, ../shared/parity)
#
# Idempotent and quiet when everything is present. Needs root (or sudo) only
# when something must be installed; CI runs it as root.
set -euo pipefail

need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need+=(chromium-driver)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || need+=(python3-venv)

[ "${#need[@]}" -eq 0 ] && exit 0

echo "install-test-deps: installing ${need[*]}" >&2
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-test-deps: apt-get not found; install ${need[*]} yourself" >&2
  echo "  (Chromium and its ChromeDriver of the same version, and redis-server)" >&2
  exit 1
fi
sudo=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    sudo=(sudo)
  else
    echo "install-test-deps: not root and no sudo; run as root: apt-get install ${need[*]}" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null

# redis-server's package starts a system service where systemd runs; the tests
# start their own servers on free ports, so that one is neither needed nor in
# the way.
for tool in chromium chromedriver redis-server; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "install-test-deps: $tool is still missing after apt-get install" >&2
    exit 1
  fi
done
if ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
  echo "install-test-deps: python3's venv module is still missing after apt-get install" >&2
  exit 1
fi
echo "install-test-deps: done ($(chromium --version 2>/dev/null | head -n1); $(redis-server --version | head -n1))" >&2
