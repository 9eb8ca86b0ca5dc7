#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `make run`: a working secure CSE in one command. Sets up var/ (mode 0700) once:
#   var/ca/          a local P-256 CA (m2msec ca init)
#   var/server.*     the CSE's certificate (SAN = public domain name of the CSE-ID) and key (0600)
#   var/psk.txt      pre-provisioned M2M Secure Connection Key of the admin (0600)
#   var/dev1.key     the device Kpsa of kpsa-dev1 (0600), also in var/creds.db (bound to Cdev1)
#   var/creds.db     the credential store (m2msec cred)
#   var/cse.db       the CSE's resources: they survive a re-run (`make clean` or `rm -rf var` to start over)
# and writes var/cse.ini (docs/config.md) on EVERY run, so M2MSEC_PORT=N always takes effect;
# then walks through the operator CLI, prints the commands to try, and runs the CSE in the
# foreground (Ctrl-C stops it). Keys never appear on a command line of this script: they go
# through 0600 files and standard input.
# Usage: scripts/run.sh [BUILD_DIR]   (default build; absolute or relative to the repository)
# Environment: M2MSEC_PORT (default 8443); M2MSEC_VAR (default var) the state directory;
#   M2MSEC_RUN_PREPARE_ONLY=1 prepares var/ and prints everything but does not start the CSE
#   (used by tests/system/test_19_newcomer.py).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
case "$BUILD" in /*) M2M="$BUILD/m2msec" ;; *) M2M="$PWD/$BUILD/m2msec" ;; esac
SP=m2msec.example.com
CSE_HOST=id-in.$SP
PORT=${M2MSEC_PORT:-8443}
VAR=${M2MSEC_VAR:-var}

case "$PORT" in
''|*[!0-9]*) echo "run.sh: M2MSEC_PORT must be a port number, not '$PORT'" >&2; exit 2 ;;
esac
[ "$PORT" -ge 1 ] && [ "$PORT" -le 65535 ] || { echo "run.sh: M2MSEC_PORT $PORT is out of range" >&2; exit 2; }
[ -x "$M2M" ] || { echo "run.sh: no m2msec binary at $M2M (build first: make build)" >&2; exit 1; }

umask 077
mkdir -p "$VAR"
chmod 700 "$VAR"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
show() { local a=("$@"); a[0]=m2msec; printf '$ %s\n' "${a[*]}"; "$@"; }

hexkey() { od -An -N32 -tx1 /dev/urandom | tr -d ' \n'; }

if [ ! -f "$VAR/psk.txt" ]; then
	{
		echo "# KpsaID                         hex-key                                                           bound-identity"
		echo "kpsa-admin@$SP $(hexkey) CAdmin"
	} >"$VAR/psk.txt"
	chmod 600 "$VAR/psk.txt"
fi
[ -f "$VAR/dev1.key" ] || { hexkey >"$VAR/dev1.key"; chmod 600 "$VAR/dev1.key"; }

step "TS-0003 §10.3 key derivations (m2msec key)"
KE=$(hexkey)
echo "Enrolment Key Ke = (random, not shown)"
printf '$ m2msec key derive km --ke - --maf-id maf.%s\n' "$SP"
echo "$KE" | "$M2M" key derive km --ke - --maf-id "maf.$SP" | sed 's/^/Km   = /'
printf '$ m2msec key derive kpsa --ke - --enrolee-id /id-mn\n'
echo "$KE" | "$M2M" key derive kpsa --ke - --enrolee-id /id-mn | sed 's/^/Kpsa = /'

step "Identifiers (m2msec id)"
show "$M2M" id parse "0123456789abcdef0123456789ABCDEF@mef.$SP"
show "$M2M" id parse "12-kpsa-dev1@$SP"
echo '$ m2msec id parse "not an id@"      # malformed: exit status 2, one line on stderr'
"$M2M" id parse "not an id@" || true

step "A local CA and the CSE certificate (m2msec ca)"
if [ ! -f "$VAR/ca/ca.crt" ]; then
	show "$M2M" ca init --dir "$VAR/ca" --name "m2msec local CA" --permit "$SP"
	show "$M2M" ca issue --dir "$VAR/ca" --san "$CSE_HOST" --out "$VAR/server"
	show "$M2M" ca issue --dir "$VAR/ca" --san "m2m://$SP/id-in/Cdev2" --out "$VAR/dev2"
else
	echo "(reusing $VAR/ca)"
fi

step "The credential store (m2msec cred)"
if [ ! -f "$VAR/creds.db" ]; then
	"$M2M" cred add --store "$VAR/creds.db" --kind kpsa --id "kpsa-dev1@$SP" --key - --owner Cdev1 <"$VAR/dev1.key"
	echo "(added kpsa-dev1@$SP from $VAR/dev1.key on stdin)"
fi
show "$M2M" cred list --store "$VAR/creds.db"

# Rewritten on every run: the file always matches what this run starts (and what it prints).
cat >"$VAR/cse.ini.tmp" <<INI
# m2msec CSE configuration written by make run (scripts/run.sh) on every run: edit a copy
# (docs/config.md), or set M2MSEC_PORT for another port.
cse-id = /id-in
name = cse-in
sp-id = //$SP
store = $VAR/cse.db
https-listen = 127.0.0.1:$PORT
cert = $VAR/server.crt
key = $VAR/server.key
trust-anchors = $VAR/ca/ca.crt
psk-file = $VAR/psk.txt
cred-store = $VAR/creds.db
admin-originator = CAdmin
INI
mv -f "$VAR/cse.ini.tmp" "$VAR/cse.ini"

step "Try it (in another terminal, from $PWD)"
cat <<TXT
Register the AE Cdev1 over TLS-PSK (its KpsaID is bound to Cdev1):
  BODY='{"m2m:ae":{"rn":"dev1","api":"Nm2msec.demo","rr":false,"srv":["3"]}}'
  printf 'POST /cse-in HTTP/1.1\r\nHost: $CSE_HOST\r\nX-M2M-Origin: Cdev1\r\nX-M2M-RI: r1\r\nX-M2M-RVI: 3\r\nContent-Type: application/json;ty=2\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s' \${#BODY} "\$BODY" \\
    | openssl s_client -quiet -tls1_2 -psk "\$(cat $VAR/dev1.key)" -psk_identity kpsa-dev1@$SP -connect 127.0.0.1:$PORT

Read it back:
  printf 'GET /cse-in/dev1 HTTP/1.1\r\nHost: $CSE_HOST\r\nX-M2M-Origin: Cdev1\r\nX-M2M-RI: r2\r\nX-M2M-RVI: 3\r\nConnection: close\r\n\r\n' \\
    | openssl s_client -quiet -tls1_2 -psk "\$(cat $VAR/dev1.key)" -psk_identity kpsa-dev1@$SP -connect 127.0.0.1:$PORT

Spoof another originator on the same association (expect X-M2M-RSC: 4106):
  printf 'GET /cse-in HTTP/1.1\r\nHost: $CSE_HOST\r\nX-M2M-Origin: Cdev9\r\nX-M2M-RI: r3\r\nX-M2M-RVI: 3\r\nConnection: close\r\n\r\n' \\
    | openssl s_client -quiet -tls1_2 -psk "\$(cat $VAR/dev1.key)" -psk_identity kpsa-dev1@$SP -connect 127.0.0.1:$PORT

  (openssl s_client takes a PSK only on its command line, so other local users can see this
  throw-away development key in 'ps' while it runs; m2msec itself never needs that: --key -,
  --key-file. Never do this with a real key.)

With a certificate (AE-ID m2m://$SP/id-in/Cdev2: the CSE-ID id-in, not the CSEBase name cse-in) and curl:
  curl -si --cacert $VAR/ca/ca.crt --cert $VAR/dev2.crt --key $VAR/dev2.key \\
    --resolve $CSE_HOST:$PORT:127.0.0.1 -H 'X-M2M-Origin: Cdev2' -H 'X-M2M-RI: r4' -H 'X-M2M-RVI: 3' \\
    -H 'Content-Type: application/json;ty=2' -d '{"m2m:ae":{"rn":"dev2","api":"Nm2msec.demo","rr":false,"srv":["3"]}}' \\
    https://$CSE_HOST:$PORT/cse-in
More certificates: docs/pki.md ("Try it against make run").

Resources survive a re-run ($VAR/cse.db): registering the same AE again answers
X-M2M-RSC: 4117 (ORIGINATOR_HAS_ALREADY_REGISTERED) - read it back instead, or start over
with 'make clean' (or 'rm -rf $VAR').

The admin PSK (identity kpsa-admin@$SP, originator CAdmin) is in $VAR/psk.txt (mode 0600).
The binary is $M2M; the configuration $VAR/cse.ini (rewritten on every run).
Logs are JSON lines on stderr. Stop with Ctrl-C.
TXT

if [ "${M2MSEC_RUN_PREPARE_ONLY:-0}" = 1 ]; then
	echo
	echo "prepared $VAR/cse.ini for https://127.0.0.1:$PORT (M2MSEC_RUN_PREPARE_ONLY=1: not starting)"
	exit 0
fi
step "Starting the secure CSE on https://127.0.0.1:$PORT"
exec "$M2M" cse --config "$VAR/cse.ini"
