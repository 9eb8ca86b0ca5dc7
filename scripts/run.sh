#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `make run`: a working secure CSE in one command. Sets up var/ (mode 0700) once:
#   var/ca/          a local P-256 CA (m2msec ca init)
#   var/server.*     the CSE's certificate (SAN = public domain name of the CSE-ID) and key (0600)
#   var/psk.txt      pre-provisioned M2M Secure Connection Key of the admin (0600)
#   var/creds.db     the credential store (m2msec cred) holding the device Kpsa kpsa-dev1 (bound to Cdev1)
#   var/cse.ini      the CSE configuration (docs/config.md)
# then walks through the operator CLI, prints the commands to try, and runs the CSE in the
# foreground (Ctrl-C stops it). Re-running reuses var/; `make clean` removes it.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
M2M="$PWD/$BUILD/m2msec"
SP=m2msec.example.com
CSE_HOST=id-in.$SP
PORT=${M2MSEC_PORT:-8443}
VAR=var

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
ADMIN_KEY=$(awk '$1=="kpsa-admin@'$SP'" {print $2}' "$VAR/psk.txt")
[ -f "$VAR/dev1.key" ] || { hexkey >"$VAR/dev1.key"; chmod 600 "$VAR/dev1.key"; }
DEV_KEY=$(cat "$VAR/dev1.key")

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
	echo "$DEV_KEY" | "$M2M" cred add --store "$VAR/creds.db" --kind kpsa --id "kpsa-dev1@$SP" --key - --owner Cdev1
	echo "(added kpsa-dev1@$SP from stdin)"
fi
show "$M2M" cred list --store "$VAR/creds.db"

if [ ! -f "$VAR/cse.ini" ]; then
	cat >"$VAR/cse.ini" <<INI
# m2msec CSE configuration written by make run (docs/config.md)
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
fi

step "Try it (in another terminal, from $PWD)"
cat <<TXT
Register the AE Cdev1 over TLS-PSK (its KpsaID is bound to Cdev1):
  BODY='{"m2m:ae":{"rn":"dev1","api":"Nm2msec.demo","rr":false,"srv":["3"]}}'
  printf 'POST /cse-in HTTP/1.1\r\nHost: $CSE_HOST\r\nX-M2M-Origin: Cdev1\r\nX-M2M-RI: r1\r\nX-M2M-RVI: 3\r\nContent-Type: application/json;ty=2\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s' \${#BODY} "\$BODY" \\
    | openssl s_client -quiet -tls1_2 -psk $DEV_KEY -psk_identity kpsa-dev1@$SP -connect 127.0.0.1:$PORT

Read it back:
  printf 'GET /cse-in/dev1 HTTP/1.1\r\nHost: $CSE_HOST\r\nX-M2M-Origin: Cdev1\r\nX-M2M-RI: r2\r\nX-M2M-RVI: 3\r\nConnection: close\r\n\r\n' \\
    | openssl s_client -quiet -tls1_2 -psk $DEV_KEY -psk_identity kpsa-dev1@$SP -connect 127.0.0.1:$PORT

Spoof another originator on the same association (expect X-M2M-RSC: 4106):
  printf 'GET /cse-in HTTP/1.1\r\nHost: $CSE_HOST\r\nX-M2M-Origin: Cdev9\r\nX-M2M-RI: r3\r\nX-M2M-RVI: 3\r\nConnection: close\r\n\r\n' \\
    | openssl s_client -quiet -tls1_2 -psk $DEV_KEY -psk_identity kpsa-dev1@$SP -connect 127.0.0.1:$PORT

With a certificate (AE-ID m2m://$SP/id-in/Cdev2) and curl:
  curl -si --cacert $VAR/ca/ca.crt --cert $VAR/dev2.crt --key $VAR/dev2.key \\
    --resolve $CSE_HOST:$PORT:127.0.0.1 -H 'X-M2M-Origin: Cdev2' -H 'X-M2M-RI: r4' -H 'X-M2M-RVI: 3' \\
    -H 'Content-Type: application/json;ty=2' -d '{"m2m:ae":{"rn":"dev2","api":"Nm2msec.demo","rr":false,"srv":["3"]}}' \\
    https://$CSE_HOST:$PORT/cse-in

The admin PSK (identity kpsa-admin@$SP, originator CAdmin) is in $VAR/psk.txt (mode 0600).
Logs are JSON lines on stderr. Stop with Ctrl-C.
TXT

step "Starting the secure CSE on https://127.0.0.1:$PORT"
exec "$M2M" cse --config "$VAR/cse.ini"
