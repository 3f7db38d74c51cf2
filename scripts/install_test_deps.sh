#!/usr/bin/env bash
# System packages some tests need, from Debian's archive: headless Chromium and its driver (the
# admin's browser test) and docker-compose (validating docker-compose.yml; no engine needed).
# Idempotent and quiet: does nothing when all are present. Never fails the caller: without
# root or apt-get (or when apt fails) it says so, and those tests skip with their reason.
set -uo pipefail

missing=()
[[ -x /usr/bin/chromium ]] || missing+=(chromium)
[[ -x /usr/bin/chromedriver ]] || missing+=(chromium-driver)
if ! docker compose version >/dev/null 2>&1 && ! command -v docker-compose >/dev/null 2>&1; then
    missing+=(docker-compose)
fi
[[ ${#missing[@]} -eq 0 ]] && exit 0

if [[ "$(id -u)" -ne 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
    echo "install_test_deps: cannot install ${missing[*]} (needs root and apt-get); those tests will skip." >&2
    exit 0
fi

export DEBIAN_FRONTEND=noninteractive
log=$(mktemp)
if apt-get update -qq >"$log" 2>&1 \
    && apt-get install -y -qq "${missing[@]}" >>"$log" 2>&1; then
    echo "install_test_deps: installed ${missing[*]}." >&2
else
    echo "install_test_deps: apt-get failed for ${missing[*]}; those tests will skip:" >&2
    tail -n 3 "$log" >&2
fi
rm -f "$log"
exit 0
