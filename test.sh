#!/usr/bin/env bash
# Installs what the tests need that is missing on this machine, then runs every test:
# formatting, clippy, unit and property tests, end-to-end tests of the release binary over HTTP on
# SQLite and PostgreSQL, and the browser test in headless Chromium.
set -euo pipefail
cd "$(dirname "$0")"

say() { printf '\n==> %s\n' "$*"; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# --- System packages: Chromium and its WebDriver for the browser tests, OpenSSL headers for the
# build, sqlite3 for poking.
need_apt=()
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need_apt+=(chromium-driver)
command -v sqlite3 >/dev/null 2>&1 || need_apt+=(sqlite3)
command -v python3 >/dev/null 2>&1 || need_apt+=(python3 python3-pip)
# OpenSSL headers for webauthn-rs (passkeys) and pkg-config to find them.
command -v pkg-config >/dev/null 2>&1 || need_apt+=(pkg-config)
dpkg -s libssl-dev >/dev/null 2>&1 || need_apt+=(libssl-dev)
if [ ${#need_apt[@]} -gt 0 ]; then
  say "installing ${need_apt[*]}"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

# The browser test must run, not skip, once Chromium is here.
export OKNO_REQUIRE_BROWSER=1

# --- A real SMTP server for the e-mail tests.
if ! python3 -c 'import aiosmtpd' 2>/dev/null; then
  say "installing aiosmtpd"
  python3 -m pip install -q aiosmtpd 2>/dev/null || python3 -m pip install -q --break-system-packages aiosmtpd
fi

# --- schemathesis, which holds the running server to its OpenAPI description
# (crates/okno/tests/e2e/conformance.rs), in its own virtual environment so that its dependencies
# never meet the machine's. Pinned: a new release may add checks, and that is a change to review.
SCHEMATHESIS_VERSION=4.32.5
ST_VENV="${XDG_CACHE_HOME:-$HOME/.cache}/okno/schemathesis-$SCHEMATHESIS_VERSION"
if ! "$ST_VENV/bin/schemathesis" --version >/dev/null 2>&1; then
  say "installing schemathesis $SCHEMATHESIS_VERSION"
  python3 -m venv "$ST_VENV" 2>/dev/null || {
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq python3-venv >/dev/null
    python3 -m venv "$ST_VENV"
  }
  "$ST_VENV/bin/pip" install -q "schemathesis==$SCHEMATHESIS_VERSION"
fi
export OKNO_SCHEMATHESIS="$ST_VENV/bin/schemathesis" OKNO_REQUIRE_SCHEMATHESIS=1

# --- PostgreSQL: start the local cluster if it is installed but stopped; then the suite requires it.
pg_up() { python3 - <<'PY'
import socket, sys
s = socket.socket()
s.settimeout(1)
try:
    s.connect(("127.0.0.1", 5432))
except OSError:
    sys.exit(1)
PY
}
if ! pg_up && command -v pg_ctlcluster >/dev/null 2>&1; then
  say "starting PostgreSQL"
  for v in $(ls /etc/postgresql 2>/dev/null); do as_root pg_ctlcluster --skip-systemctl-redirect "$v" main start || true; done
  sleep 2
fi
if pg_up; then
  export OKNO_REQUIRE_POSTGRES=1
  say "PostgreSQL reachable on 127.0.0.1:5432: every database test runs on both engines"
else
  printf '\n*** WARNING: PostgreSQL is NOT reachable on 127.0.0.1:5432 — the PostgreSQL half of the suite is SKIPPED ***\n\n'
fi

say "cargo fmt --check"
cargo fmt --all -- --check

say "cargo clippy"
cargo clippy --release --all-targets -- -D warnings

say "tests (release build: the end-to-end tests drive target/release/okno)"
cargo test --release --workspace
