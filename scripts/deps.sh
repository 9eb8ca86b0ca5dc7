#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The one list of Debian 12 packages m2msec needs to build, test, fuzz and benchmark.
# Usage: scripts/deps.sh [--check]
#   --check  exit 0 when everything is installed, 1 otherwise (prints what is missing)
#   (none)   install what is missing: as root with apt-get, otherwise print the exact command.
set -euo pipefail

PACKAGES=(
  # build
  build-essential cmake pkg-config
  # crypto / TLS (the one stack), identifiers, storage, JSON, HTTP
  openssl libssl-dev libunistring-dev libsqlite3-dev sqlite3 libjansson-dev libevent-dev
  # CoAP over DTLS (TS-0008): coap-client-openssl, the independent client of the system tests
  libcoap3-bin
  # tests, sanitizers, fuzzing
  libcmocka-dev clang-14 libclang-rt-14-dev llvm-14
  python3 python3-pytest python3-requests python3-cryptography
  # a real WebSocket client (TS-0020) for tests/system/test_35_websocket.py
  python3-websockets
  # the documented examples (docs/pki.md, make run) use curl as the certificate client
  curl
  # the MQTT binding tests run a real broker and its clients (docs/mqtt-binding.md)
  mosquitto mosquitto-clients
  # the CSE's own MQTT broker connection (src/bindings/mqtt_client.c, TS-0010)
  libmosquitto-dev
  # CBOR serialisation (TS-0004 clause 8.6: application/cbor content) of the CoAP binding
  libcbor-dev
  # JOSE (JWS/JWE) for tokens (TS-0003 clause 7.3) and end-to-end security (clause 8.4-8.5)
  libcjose-dev
  # ESData (TS-0003 clause 8.5): JWE/JWS JSON Serialization and ECDH-ES+A*KW, which cjose lacks
  libjose-dev
  # the PostgreSQL store backend (libpq) and the real server its tests start (initdb + pg_ctl)
  libpq-dev postgresql
  # the TCP load balancer in front of two CSE instances (tests/system/test_65_two_instances.py)
  haproxy
  # independent peers for the tests: a JOSE implementation and a CBOR codec that are not ours
  python3-jwcrypto python3-cbor2
  # packaging (docs/install.md, tests/system/test_63_package.py): the manual pages rendered and
  # linted, the Debian package built (debian/) and checked, then installed into an isolated root
  # and its units started (unshare, nsenter, setpriv; the postinst's adduser); systemd-analyze
  # verifies the units and lists the system-call groups their filter is built from with libseccomp
  groff-base man-db dpkg-dev debhelper lintian util-linux adduser systemd python3-seccomp
  # the MEF operator console is tested in a real headless browser over WebDriver (test_64_console.py);
  # the admin client certificate goes into the browser's NSS database with libnss3's PKCS#12 import
  chromium chromium-driver libnss3
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "${1:-}" = "--check" ]; then
  echo "missing Debian packages: ${missing[*]}"
  exit 1
fi

cmd="apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  echo "m2msec needs these Debian packages; run as root:"
  echo "  apt-get update && $cmd"
  exit 1
fi
echo "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends "${missing[@]}"
