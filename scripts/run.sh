#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `make run`: a working secure CSE, its M2M Enrolment Function (MEF) and its M2M Authentication
# Function (MAF) in one command. Sets up var/ (mode 0700) once:
#   var/ca/          a local P-256 CA (m2msec ca init); also the MEF's EST CA (ca-dir)
#   var/server.*     the CSE's certificate (SAN = public domain name of the CSE-ID) and key (0600);
#                    the CSE also presents it on its association with the MEF (mef-cert)
#   var/mef.*        the MEF's certificate (SAN = its FQDN mef.<SP>) and key (0600)
#   var/maf.*        the MAF's certificate (SAN = its FQDN maf.<SP>) and key (0600); the MAF also
#                    presents it on its association with the MEF (an Enrolment Target, mef-cert)
#   var/psk.txt      pre-provisioned M2M Secure Connection Key of the admin (0600)
#   var/dev1.key     the device Kpsa of kpsa-dev1 (0600), also in var/creds.db (bound to Cdev1)
#   var/dev1.kpm     the pre-provisioned Kpm of the device dev1@mef.<SP> that the tour enrols (0600)
#   var/ae1.km       the pre-provisioned Km of the MAF client ae1@maf.<SP> of the tour (0600)
#   var/creds.db     the credential store (m2msec cred)
#   var/coap1.key    the pre-provisioned PSK of kpsa-coap1 (bound to Ccoap1, in var/creds.db) for
#                    the CoAP/DTLS step: 32 printable characters, because coap-client takes -k
#                    literally (its bytes are the key) (0600)
#   var/ws1.*        the certificate (AE-ID Cws1) and key of the WebSocket step (0600)
#   var/mqtt1.key    the PSK (hex) of kpsa-mqtt1 (bound to Cmqtt1, in var/creds.db) for the MQTT
#                    step (0600)
#   var/mqtt-cse.key the CSE's own PSK towards its broker (identity kpsa-mqtt-cse, 0600)
#   var/gba1.k, var/gba1.opc, var/hss.txt   the GBA step's USIM (K, OPc) and the MEF's test HSS
#                    (0600)
#   var/mqtt.acl, var/mqtt.psk, var/mosquitto.conf   the broker's ACL and psk_file (0600), written
#                    by `m2msec mqtt-acl` from var/run.ini on every run, and its configuration
#   var/mn.*, var/mn1.key, var/mn1.esp, var/mn-psk.txt, var/mn.ini   the MN-CSE of the end-to-end
#                    step (its certificate id-mn.<SP>, the PSK of its AE Cmn1, that AE's
#                    pairwiseESPrimKey with the CSE, also in var/creds.db; mn.ini written every run)
#   var/cse.db, var/mef.db, var/maf.db   the CSE's resources, the MEF's enrolees and the MAF's
#                    clients and keys: they survive a re-run
#                    (`make clean` or `rm -rf var` to start over)
# and writes var/run.ini (docs/config.md: [cse], [mef] and [maf] in one file) on EVERY run, so
# M2MSEC_PORT=N always takes effect; then walks through the operator CLI, prints the tour (enrol a
# device with the MEF and register it with the CSE; an AE reaching the CSE with a key from the
# MAF; one request over CoAP/DTLS, one over WebSocket/TLS and one over MQTT/TLS), starts the MEF,
# the MAF and a mosquitto broker (TLS-PSK, loopback) in the background (logs in var/mef.log,
# var/maf.log, var/mosquitto.log) and runs the CSE (HTTPS, coaps-listen, wss-listen, mqtt-broker)
# in the foreground; Ctrl-C (or the CSE's exit) stops them all. Keys
# never appear on a command line of this script: they go through 0600 files and standard input.
# Usage: scripts/run.sh [BUILD_DIR]   (default build; absolute or relative to the repository)
# Environment: M2MSEC_PORT (default 8443) the CSE; M2MSEC_MEF_PORT (default M2MSEC_PORT + 1) the
#   MEF; M2MSEC_MAF_PORT (default M2MSEC_PORT + 2) the MAF; M2MSEC_COAPS_PORT (default
#   M2MSEC_PORT + 3, UDP) the CSE's CoAP over DTLS; M2MSEC_WSS_PORT (default M2MSEC_PORT + 4) the
#   CSE's WebSocket over TLS; M2MSEC_MQTT_PORT (default M2MSEC_PORT + 5) the mosquitto broker
#   (MQTT over TLS-PSK); M2MSEC_DAS_PORT (default M2MSEC_PORT + 6) the Dynamic Authorization
#   Server (its certificate var/das.*, grant rules var/das-policy.txt, the CSE's var/das-trust);
#   M2MSEC_BSF_PORT (default M2MSEC_PORT + 7) the MEF's BSF role (Ub, GBA bootstrapping);
#   M2MSEC_MN_PORT (default M2MSEC_PORT + 8) the MN-CSE of the end-to-end step (var/mn.ini);
#   M2MSEC_VAR (default var) the state
#   directory; M2MSEC_RUN_PREPARE_ONLY=1 prepares var/
#   and prints everything but starts nothing (used by tests/system/test_19_newcomer.py and
#   tests/system/test_26_run_tour.py).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
case "$BUILD" in /*) M2M="$BUILD/m2msec" ;; *) M2M="$PWD/$BUILD/m2msec" ;; esac
SP=m2msec.example.com
CSE_HOST=id-in.$SP
MEF_FQDN=mef.$SP
MAF_FQDN=maf.$SP
PORT=${M2MSEC_PORT:-8443}
VAR=${M2MSEC_VAR:-var}

case "$PORT" in
''|*[!0-9]*) echo "run.sh: M2MSEC_PORT must be a port number, not '$PORT'" >&2; exit 2 ;;
esac
[ "$PORT" -ge 1 ] && [ "$PORT" -le 65535 ] || { echo "run.sh: M2MSEC_PORT $PORT is out of range" >&2; exit 2; }
MEF_PORT=${M2MSEC_MEF_PORT:-$((PORT < 65535 ? PORT + 1 : PORT - 1))}
case "$MEF_PORT" in
''|*[!0-9]*) echo "run.sh: M2MSEC_MEF_PORT must be a port number, not '$MEF_PORT'" >&2; exit 2 ;;
esac
[ "$MEF_PORT" -ge 1 ] && [ "$MEF_PORT" -le 65535 ] && [ "$MEF_PORT" != "$PORT" ] ||
	{ echo "run.sh: M2MSEC_MEF_PORT $MEF_PORT is out of range or the CSE's port" >&2; exit 2; }
MAF_PORT=${M2MSEC_MAF_PORT:-$((PORT < 65534 ? PORT + 2 : PORT - 2))}
case "$MAF_PORT" in
''|*[!0-9]*) echo "run.sh: M2MSEC_MAF_PORT must be a port number, not '$MAF_PORT'" >&2; exit 2 ;;
esac
[ "$MAF_PORT" -ge 1 ] && [ "$MAF_PORT" -le 65535 ] && [ "$MAF_PORT" != "$PORT" ] && [ "$MAF_PORT" != "$MEF_PORT" ] ||
	{ echo "run.sh: M2MSEC_MAF_PORT $MAF_PORT is out of range or the CSE's or the MEF's port" >&2; exit 2; }
# other_port NAME VALUE: a port number in range that none of the ports chosen before uses
# (CoAP is UDP, but one number per service keeps the tour readable).
USED_PORTS=("$PORT" "$MEF_PORT" "$MAF_PORT")
other_port() {
	local name=$1 value=$2 p
	case "$value" in
	''|*[!0-9]*) echo "run.sh: $name must be a port number, not '$value'" >&2; exit 2 ;;
	esac
	[ "$value" -ge 1 ] && [ "$value" -le 65535 ] || { echo "run.sh: $name $value is out of range" >&2; exit 2; }
	for p in "${USED_PORTS[@]}"; do
		[ "$p" != "$value" ] || { echo "run.sh: $name $value is already the port of another service" >&2; exit 2; }
	done
	USED_PORTS+=("$value")
}
COAPS_PORT=${M2MSEC_COAPS_PORT:-$((PORT < 65533 ? PORT + 3 : PORT - 3))}
other_port M2MSEC_COAPS_PORT "$COAPS_PORT"
WSS_PORT=${M2MSEC_WSS_PORT:-$((PORT < 65532 ? PORT + 4 : PORT - 4))}
other_port M2MSEC_WSS_PORT "$WSS_PORT"
MQTT_PORT=${M2MSEC_MQTT_PORT:-$((PORT < 65531 ? PORT + 5 : PORT - 5))}
other_port M2MSEC_MQTT_PORT "$MQTT_PORT"
DAS_PORT=${M2MSEC_DAS_PORT:-$((PORT < 65530 ? PORT + 6 : PORT - 6))}
other_port M2MSEC_DAS_PORT "$DAS_PORT"
BSF_PORT=${M2MSEC_BSF_PORT:-$((PORT < 65529 ? PORT + 7 : PORT - 7))}
other_port M2MSEC_BSF_PORT "$BSF_PORT"
MN_PORT=${M2MSEC_MN_PORT:-$((PORT < 65528 ? PORT + 8 : PORT - 8))}
other_port M2MSEC_MN_PORT "$MN_PORT"
# The commands printed for the reader: the binary as given (relative to the repository or absolute).
M2M_SHOWN="$BUILD/m2msec"
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
[ -f "$VAR/dev1.kpm" ] || { hexkey >"$VAR/dev1.kpm"; chmod 600 "$VAR/dev1.kpm"; }
[ -f "$VAR/ae1.km" ] || { hexkey >"$VAR/ae1.km"; chmod 600 "$VAR/ae1.km"; }
[ -f "$VAR/mqtt1.key" ] || { hexkey >"$VAR/mqtt1.key"; chmod 600 "$VAR/mqtt1.key"; }
[ -f "$VAR/mqtt-cse.key" ] || { hexkey >"$VAR/mqtt-cse.key"; chmod 600 "$VAR/mqtt-cse.key"; }
# The GBA step's USIM: K and OPc (16 bytes each, 0600) and the MEF's test HSS (0600, filled by
# `m2msec mef subscriber add` in the tour)
hex16() { od -An -N16 -tx1 /dev/urandom | tr -d ' \n'; }
[ -f "$VAR/gba1.k" ] || { hex16 >"$VAR/gba1.k"; chmod 600 "$VAR/gba1.k"; }
[ -f "$VAR/gba1.opc" ] || { hex16 >"$VAR/gba1.opc"; chmod 600 "$VAR/gba1.opc"; }
[ -f "$VAR/hss.txt" ] || { : >"$VAR/hss.txt"; chmod 600 "$VAR/hss.txt"; }

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
if [ ! -f "$VAR/mef.crt" ]; then
	show "$M2M" ca issue --dir "$VAR/ca" --san "$MEF_FQDN" --out "$VAR/mef"
fi
if [ ! -f "$VAR/maf.crt" ]; then
	show "$M2M" ca issue --dir "$VAR/ca" --san "$MAF_FQDN" --out "$VAR/maf"
fi
if [ ! -f "$VAR/ws1.crt" ]; then
	show "$M2M" ca issue --dir "$VAR/ca" --san "m2m://$SP/id-in/Cws1" --out "$VAR/ws1"
fi
# the DAS: its certificate's key signs its tokens (ES256); the CSE reaches it at 127.0.0.1
if [ ! -f "$VAR/das.crt" ]; then
	show "$M2M" ca issue --dir "$VAR/ca" --san "das.$SP" --san "IP:127.0.0.1" --out "$VAR/das"
fi
# Rewritten on every run: the DAS's grant rules (docs/procedures/das.md "The policy file") and the
# token issuers the CSE trusts (das-trust)
cat >"$VAR/das-policy.txt" <<POL
# grant ORIGINATOR RESOURCE PRIVILEGES LIFETIME [role=ROLE-IDS]
grant //$SP/id-in/Cws1 /id-in/cse-in/dda retrieve 10m
POL
echo "//$SP/id-in/Cdas $VAR/das.crt" >"$VAR/das-trust"

step "The credential store (m2msec cred)"
if [ ! -f "$VAR/creds.db" ]; then
	"$M2M" cred add --store "$VAR/creds.db" --kind kpsa --id "kpsa-dev1@$SP" --key - --owner Cdev1 <"$VAR/dev1.key"
	echo "(added kpsa-dev1@$SP from $VAR/dev1.key on stdin)"
fi
# The CoAP/DTLS step's device: coap-client-openssl takes -k literally, so its key is 32 printable
# characters (192 random bits, base64); the store holds those bytes (hex on standard input).
[ -f "$VAR/coap1.key" ] || { openssl rand -base64 24 | tr -d '\n' >"$VAR/coap1.key"; chmod 600 "$VAR/coap1.key"; }
if ! "$M2M" cred list --store "$VAR/creds.db" | grep -q " kpsa-coap1@$SP "; then
	od -An -tx1 <"$VAR/coap1.key" | tr -d ' \n' |
		"$M2M" cred add --store "$VAR/creds.db" --kind kpsa --id "kpsa-coap1@$SP" --key - --owner Ccoap1
	echo "(added kpsa-coap1@$SP from $VAR/coap1.key on stdin)"
fi
# The MQTT step's device: registers over its Credential-ID 12-kpsa-mqtt1@SP (TS-0010 6.4.4)
if ! "$M2M" cred list --store "$VAR/creds.db" | grep -q " kpsa-mqtt1@$SP "; then
	"$M2M" cred add --store "$VAR/creds.db" --kind kpsa --id "kpsa-mqtt1@$SP" --key - --owner Cmqtt1 <"$VAR/mqtt1.key"
	echo "(added kpsa-mqtt1@$SP from $VAR/mqtt1.key on stdin)"
fi
# The end-to-end step (docs/procedures/e2e.md "Through a transit CSE"): an MN-CSE /id-mn registered
# with this CSE (its certificate names id-mn.$SP), its AE Cmn1 (hop-by-hop PSK kpsa-mn1, bound to
# Cmn1 in the MN's psk-file $VAR/mn-psk.txt) and that AE's pairwiseESPrimKey with this CSE (SUID 13,
# owner /id-mn/Cmn1, in $VAR/creds.db; the AE's copy in $VAR/mn1.esp)
if [ ! -f "$VAR/mn.crt" ]; then
	show "$M2M" ca issue --dir "$VAR/ca" --san "id-mn.$SP" --out "$VAR/mn"
fi
[ -f "$VAR/mn1.key" ] || { hexkey >"$VAR/mn1.key"; chmod 600 "$VAR/mn1.key"; }
[ -f "$VAR/mn1.esp" ] || { hexkey >"$VAR/mn1.esp"; chmod 600 "$VAR/mn1.esp"; }
printf 'kpsa-mn1@%s %s Cmn1\n' "$SP" "$(cat "$VAR/mn1.key")" >"$VAR/mn-psk.txt"
chmod 600 "$VAR/mn-psk.txt"
if ! "$M2M" cred list --store "$VAR/creds.db" | grep -q " esp-mn1@$SP "; then
	"$M2M" cred add --store "$VAR/creds.db" --kind kpsa --id "esp-mn1@$SP" --key - --owner /id-mn/Cmn1 --suid 13 \
		<"$VAR/mn1.esp"
	echo "(added the pairwiseESPrimKey esp-mn1@$SP from $VAR/mn1.esp on stdin)"
fi
show "$M2M" cred list --store "$VAR/creds.db"

# Rewritten on every run: the file always matches what this run starts (and what it prints).
# One file, three sections (docs/config.md): [cse] for `m2msec cse`, [mef] for `m2msec mef`,
# [maf] for `m2msec maf`.
cat >"$VAR/run.ini.tmp" <<INI
# m2msec configuration written by make run (scripts/run.sh) on every run: edit a copy
# (docs/config.md), or set M2MSEC_PORT / M2MSEC_MEF_PORT / M2MSEC_MAF_PORT / M2MSEC_COAPS_PORT /
# M2MSEC_WSS_PORT / M2MSEC_MQTT_PORT for other ports.
[cse]
cse-id = /id-in
name = cse-in
sp-id = //$SP
store = $VAR/cse.db
https-listen = 127.0.0.1:$PORT
# CoAP over DTLS 1.2 with PSK (UDP, TS-0008) and WebSocket over TLS (TS-0020): the same
# associations, originator rules and ACPs as HTTPS
coaps-listen = 127.0.0.1:$COAPS_PORT
wss-listen = 127.0.0.1:$WSS_PORT
# MQTT over TLS (TS-0010): the CSE is a client of the mosquitto broker make run starts, over
# TLS-PSK; the broker enforces the ACL m2msec mqtt-acl writes ($VAR/mqtt.acl)
mqtt-broker = mqtts://127.0.0.1:$MQTT_PORT
mqtt-psk-identity = kpsa-mqtt-cse@$SP
mqtt-psk-file = $VAR/mqtt-cse.key
mqtt-acl-enforced = true
cert = $VAR/server.crt
key = $VAR/server.key
trust-anchors = $VAR/ca/ca.crt
psk-file = $VAR/psk.txt
cred-store = $VAR/creds.db
admin-originator = CAdmin
# the MEF this CSE is an Enrolment Target of: KeIDs *@$MEF_FQDN are fetched from it
mef-url = https://127.0.0.1:$MEF_PORT
mef-name = $MEF_FQDN
mef-ca = $VAR/ca/ca.crt
mef-cert = $VAR/server.crt
mef-key = $VAR/server.key
mef-cache-seconds = 60
# the MAF this CSE is Entity B of (MAF-based SAEF): Kc Key Identifiers *@$MAF_FQDN are retrieved
# from it over a certificate association (the CSE's certificate: CSE-ID /id-in)
maf-url = https://127.0.0.1:$MAF_PORT
maf-name = $MAF_FQDN
maf-ca = $VAR/ca/ca.crt
maf-cert = $VAR/server.crt
maf-key = $VAR/server.key
maf-cache-seconds = 60
# dynamic authorization (docs/procedures/das.md): the token issuers trusted, and the association
# with the DASes the CSE consults when the ACPs deny (the CSE's certificate: CSE-ID /id-in)
das-trust = $VAR/das-trust
das-ca = $VAR/ca/ca.crt
das-cert = $VAR/server.crt
das-key = $VAR/server.key
# the CSE as NAF of GBA (docs/procedures/gba.md "Zn"): B-TIDs *@$MEF_FQDN as PSK identities, the
# NAF key fetched from the MEF/BSF over the CSE's certificate association
bsf-url = https://127.0.0.1:$MEF_PORT
bsf-name = $MEF_FQDN
bsf-ca = $VAR/ca/ca.crt
bsf-cert = $VAR/server.crt
bsf-key = $VAR/server.key

[mef]
mef-fqdn = $MEF_FQDN
sp-id = $SP
https-listen = 127.0.0.1:$MEF_PORT
store = $VAR/mef.db
cert = $VAR/mef.crt
key = $VAR/mef.key
trust-anchors = $VAR/ca/ca.crt
ca-dir = $VAR/ca
est-uri = https://$MEF_FQDN:$MEF_PORT/.well-known/est
log-file = $VAR/mef.log
# the MAF (its certificate's DNS SAN) may fetch Km of enrolees that list it as a target
maf-fqdns = $MAF_FQDN
# the BSF role (GBA, docs/procedures/gba.md): Ub with HTTP Digest AKA, the test HSS
bsf-listen = 127.0.0.1:$BSF_PORT
hss-file = $VAR/hss.txt
bootstrap-lifetime = 3600

[maf]
maf-fqdn = $MAF_FQDN
sp-id = $SP
https-listen = 127.0.0.1:$MAF_PORT
store = $VAR/maf.db
cert = $VAR/maf.crt
key = $VAR/maf.key
# certificate clients, and the CSE retrieving Kc
trust-anchors = $VAR/ca/ca.crt
# the MEF this MAF is an Enrolment Target of: Km of enrolled devices (KeID *@$MEF_FQDN)
mef-url = https://127.0.0.1:$MEF_PORT
mef-name = $MEF_FQDN
mef-ca = $VAR/ca/ca.crt
mef-cert = $VAR/maf.crt
mef-key = $VAR/maf.key
log-file = $VAR/maf.log

[das]
das-id = //$SP/id-in/Cdas
https-listen = 127.0.0.1:$DAS_PORT
store = $VAR/das.db
cert = $VAR/das.crt
key = $VAR/das.key
# CSEs consulting it and originators asking for tokens
trust-anchors = $VAR/ca/ca.crt
policy = $VAR/das-policy.txt
log-file = $VAR/das.log
INI
mv -f "$VAR/run.ini.tmp" "$VAR/run.ini"
# the MN-CSE of step 15 (a second CSE: its own file), registered with the CSE above
cat >"$VAR/mn.ini.tmp" <<INI
# m2msec configuration of the MN-CSE of make run's step 15, written on every run (docs/config.md,
# docs/procedures/transit.md)
[cse]
cse-id = /id-mn
name = cse-mn
sp-id = //$SP
store = $VAR/mn.db
https-listen = 127.0.0.1:$MN_PORT
cert = $VAR/mn.crt
key = $VAR/mn.key
trust-anchors = $VAR/ca/ca.crt
psk-file = $VAR/mn-psk.txt
log-file = $VAR/mn.log
registrar = https://127.0.0.1:$PORT
registrar-ca = $VAR/ca/ca.crt
registrar-cert = $VAR/mn.crt
registrar-key = $VAR/mn.key
registrar-cse-id = /id-in
INI
mv -f "$VAR/mn.ini.tmp" "$VAR/mn.ini"
rm -f "$VAR/cse.ini" # the single-section file of earlier versions: not read any more

step "The MQTT broker's ACL and PSK file (m2msec mqtt-acl)"
# Regenerated on every run from the CSE's configuration and credential store (TS-0010 7.4): each
# PSK client publishes only under its own identity and Credential-ID; the psk_file is 0600.
show "$M2M" mqtt-acl --config "$VAR/run.ini" --acl-out "$VAR/mqtt.acl" --psk-out "$VAR/mqtt.psk"
case "$VAR" in /*) VAR_ABS=$VAR ;; *) VAR_ABS=$PWD/$VAR ;; esac
# mosquitto 2.0 (scripts/deps.sh): one TLS-PSK listener on loopback. `user` keeps this user when
# started as root (mosquitto would switch to "mosquitto", who cannot read $VAR).
cat >"$VAR/mosquitto.conf.tmp" <<CONF
# written by make run (scripts/run.sh) on every run; docs/mqtt-binding.md "Broker configuration"
per_listener_settings false
allow_anonymous false
persistence false
user $(id -un)
log_dest file $VAR_ABS/mosquitto.log
log_type all
acl_file $VAR_ABS/mqtt.acl
psk_file $VAR_ABS/mqtt.psk
listener $MQTT_PORT 127.0.0.1
psk_hint m2msec
use_identity_as_username true
CONF
mv -f "$VAR/mosquitto.conf.tmp" "$VAR/mosquitto.conf"

step "Try it (in another terminal, from $PWD)"
cat <<TXT
The tour: enrol a device with the MEF and register it with the CSE (TS-0003 §8.3,
docs/procedures/mef.md); then AEs that reach the CSE with a key from the MAF (TS-0003 §8.2.2.3,
docs/procedures/maf.md). The device dev1@$MEF_FQDN starts with only its pre-provisioned Kpm in
$VAR/dev1.kpm (0600).

1. The operator registers the device's Kpm with the MEF (works while the MEF runs); its Enrolment
   Targets are the CSE /id-in and the MAF $MAF_FQDN (step 8):
  $M2M_SHOWN mef enrolee add --config $VAR/run.ini --kpm-id dev1@$MEF_FQDN --kpm-file $VAR/dev1.kpm --enrolee-id Cmef1 --target /id-in --target $MAF_FQDN

2. The device enrols: MEF Handshake (TLS-PSK with the Kpm), Ke and KeID from the TLS exporter,
   MEF Client Registration. Prints the KeID; writes $VAR/dev1/keid, ke and target.psk (0600):
  $M2M_SHOWN enrol --mef 127.0.0.1:$MEF_PORT --mef-ca $VAR/ca/ca.crt --kpm-id dev1@$MEF_FQDN --kpm-file $VAR/dev1.kpm --out $VAR/dev1

3. The device registers its AE with the CSE over TLS-PSK, psk_identity = its KeID: the CSE fetches
   the key from the MEF during the handshake and binds the association to Cmef1:
  BODY='{"m2m:ae":{"rn":"mef1","api":"Nm2msec.demo","rr":false,"srv":["3"]}}'
  printf 'POST /cse-in HTTP/1.1\r\nHost: $CSE_HOST\r\nX-M2M-Origin: Cmef1\r\nX-M2M-RI: t1\r\nX-M2M-RVI: 3\r\nContent-Type: application/json;ty=2\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s' \${#BODY} "\$BODY" \\
    | openssl s_client -quiet -tls1_2 -psk_identity "\$(cat $VAR/dev1/keid)" -psk "\$(cat $VAR/dev1/target.psk)" -connect 127.0.0.1:$PORT

   Another originator on that association is refused (expect X-M2M-RSC: 4106):
  printf 'GET /cse-in HTTP/1.1\r\nHost: $CSE_HOST\r\nX-M2M-Origin: Cdev9\r\nX-M2M-RI: t2\r\nX-M2M-RVI: 3\r\nConnection: close\r\n\r\n' \\
    | openssl s_client -quiet -tls1_2 -psk_identity "\$(cat $VAR/dev1/keid)" -psk "\$(cat $VAR/dev1/target.psk)" -connect 127.0.0.1:$PORT

4. The certificate flavour: the device enrols again, generates a P-256 key and a CSR on the
   device and gets its certificate from the MEF's CA over EST ($VAR/dev1/cert.pem, cert.key);
   the CSE (trust-anchors = that CA) accepts it:
  $M2M_SHOWN enrol --mef 127.0.0.1:$MEF_PORT --mef-ca $VAR/ca/ca.crt --kpm-id dev1@$MEF_FQDN --kpm-file $VAR/dev1.kpm --out $VAR/dev1 --cert
  curl -si --cacert $VAR/ca/ca.crt --cert $VAR/dev1/cert.pem --key $VAR/dev1/cert.key \\
    --resolve $CSE_HOST:$PORT:127.0.0.1 -H 'X-M2M-Origin: Cmef1' -H 'X-M2M-RI: t3' -H 'X-M2M-RVI: 3' \\
    https://$CSE_HOST:$PORT/cse-in/mef1

5. The MAF: an AE that shares no key with the CSE gets one from the MAF. The operator adds the
   MAF client Cmaf1 with its pre-provisioned Master Credential Km ($VAR/ae1.km, 0600; works
   while the MAF runs):
  $M2M_SHOWN maf client add --config $VAR/run.ini --km-id ae1@$MAF_FQDN --km-file $VAR/ae1.km --client-id Cmaf1

6. The AE (Entity A): MAF Handshake (TLS-PSK with the Km), MAF Client Registration and MAF Key
   Registration of a Kc for the CSE //$SP/id-in (Kc and its KcID from the TLS exporter). Prints
   the Kc Key Identifier; writes $VAR/ae1/kcid, kc and target.psk (0600: the first half of Kc):
  $M2M_SHOWN maf-client key --maf 127.0.0.1:$MAF_PORT --maf-ca $VAR/ca/ca.crt --km-id ae1@$MAF_FQDN --km-file $VAR/ae1.km --target //$SP/id-in --out $VAR/ae1

7. The AE registers with the CSE over TLS-PSK, psk_identity = the Kc Key Identifier: the CSE
   retrieves Kc from the MAF during the handshake (MAF Key Retrieval, over its own certificate
   association) and binds the association to Cmaf1:
  BODY='{"m2m:ae":{"rn":"maf1","api":"Nm2msec.demo","rr":false,"srv":["3"]}}'
  printf 'POST /cse-in HTTP/1.1\r\nHost: $CSE_HOST\r\nX-M2M-Origin: Cmaf1\r\nX-M2M-RI: k1\r\nX-M2M-RVI: 3\r\nContent-Type: application/json;ty=2\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s' \${#BODY} "\$BODY" \\
    | openssl s_client -quiet -tls1_2 -psk_identity "\$(cat $VAR/ae1/kcid)" -psk "\$(cat $VAR/ae1/target.psk)" -connect 127.0.0.1:$PORT

   The MAF's audit log shows the key registration and the CSE's key retrieval (never a key):
  grep -E 'key-(registration|retrieval)' $VAR/maf.log | tail -n 2

8. The enrolment flavour: Km from the device's enrolment of step 4 instead of a pre-provisioned
   one, Km = HMAC-SHA-256(Ke, label || MAF-ID) (TS-0003 §10.3.2); the MAF fetches the same Km
   from the MEF (the MAF is an Enrolment Target of dev1). Then Cmef1 reads its AE through the
   Kc of the MAF (expect X-M2M-RSC: 2000):
  $M2M_SHOWN maf-client key --maf 127.0.0.1:$MAF_PORT --maf-ca $VAR/ca/ca.crt --enrolment $VAR/dev1 --maf-fqdn $MAF_FQDN --target //$SP/id-in --out $VAR/dev1-maf
  printf 'GET /cse-in/mef1 HTTP/1.1\r\nHost: $CSE_HOST\r\nX-M2M-Origin: Cmef1\r\nX-M2M-RI: k2\r\nX-M2M-RVI: 3\r\nConnection: close\r\n\r\n' \\
    | openssl s_client -quiet -tls1_2 -psk_identity "\$(cat $VAR/dev1-maf/kcid)" -psk "\$(cat $VAR/dev1-maf/target.psk)" -connect 127.0.0.1:$PORT

9. The operator revokes the device; its next enrolment fails (exit status 1):
  $M2M_SHOWN mef enrolee revoke --config $VAR/run.ini --kpm-id dev1@$MEF_FQDN
  $M2M_SHOWN enrol --mef 127.0.0.1:$MEF_PORT --mef-ca $VAR/ca/ca.crt --kpm-id dev1@$MEF_FQDN --kpm-file $VAR/dev1.kpm --out $VAR/dev1-again

   See the enrolees and the audit log (never a key):
  $M2M_SHOWN mef enrolee list --config $VAR/run.ini
  tail -n 5 $VAR/mef.log

10. CoAP over DTLS 1.2 (TS-0008; coaps-listen, UDP port $COAPS_PORT, docs/coap-dtls.md): the device
   kpsa-coap1@$SP (its pre-provisioned PSK in $VAR/coap1.key, 0600, bound to Ccoap1 in
   $VAR/creds.db) registers its AE with coap-client-openssl (libcoap3-bin): From (option 279), RQI
   (283), RVI (271) and TY (267) as -O options. The same association rules as HTTPS: another From
   than Ccoap1 gets 4106. coap-client discards an answer carrying options it does not know (every
   oneM2M option is critical), so its -v 7 trace shows the answer: 2.01 with option 307 (RSC)
   = \x07\xD1 = 2001, piggybacked in the ACK (the write goes through the CSE's store writer, and
   is normally in long before the CSE's 100 ms wait for a piggyback ends; a slower one comes as a
   separate CON response after an empty ACK, RFC 7252 5.2.2); not having
   taken it, it waits out -B 4 (4 s) before it exits.
   (coap-client takes -k literally and on its command line: same caveat as openssl s_client
   below.)
  coap-client-openssl -B 4 -v 7 -m post -u kpsa-coap1@$SP -k "\$(cat $VAR/coap1.key)" -O 279,Ccoap1 -O 283,c1 -O 271,3 -O 267,0x02 \\
    -t 50 -e '{"m2m:ae":{"rn":"coap1","api":"Nm2msec.demo","rr":false,"srv":["3"]}}' coaps://127.0.0.1:$COAPS_PORT/cse-in 2>&1 | grep -E 't:(ACK|CON) c:2\.'

11. WebSocket over TLS (TS-0020; wss-listen, port $WSS_PORT, docs/websocket-binding.md): the TLS
   handshake first (here the certificate of the AE-ID Cws1, $VAR/ws1.crt), then the opening
   handshake with the oneM2M.json subprotocol; each text message is one JSON request primitive,
   bound to the connection's association. Python's websockets (python3-websockets) registers the
   AE (expect "rsc":2001; Python's ssl has no client PSK before 3.13, so a certificate here):
  P='{"op":1,"to":"cse-in","fr":"Cws1","rqi":"w1","rvi":"3","ty":2,"pc":{"m2m:ae":{"rn":"ws1","api":"Nm2msec.demo","rr":false,"srv":["3"]}}}'
  python3 -c 'import asyncio,ssl,sys,websockets; c=ssl.create_default_context(cafile="$VAR/ca/ca.crt"); c.load_cert_chain("$VAR/ws1.crt", "$VAR/ws1.key"); \\
    L=asyncio.new_event_loop(); asyncio.set_event_loop(L); \\
    ws=L.run_until_complete(websockets.connect("wss://127.0.0.1:$WSS_PORT/", ssl=c, server_hostname="$CSE_HOST", subprotocols=["oneM2M.json"])); \\
    L.run_until_complete(ws.send(sys.argv[1])); print(L.run_until_complete(ws.recv())); L.run_until_complete(ws.close())' "\$P"

12. MQTT over TLS (TS-0010; mqtt-broker, docs/mqtt-binding.md): make run starts mosquitto on
   127.0.0.1:$MQTT_PORT (TLS-PSK only; its ACL $VAR/mqtt.acl and psk_file $VAR/mqtt.psk come from
   m2msec mqtt-acl above) and the CSE connects to it as id-in over TLS-PSK (kpsa-mqtt-cse@$SP).
   The device kpsa-mqtt1@$SP (its PSK in $VAR/mqtt1.key, 0600, bound to Cmqtt1 in $VAR/creds.db)
   registers its AE on the registration topic of its Credential-ID 12-kpsa-mqtt1@$SP, the only
   one the broker lets it use; the CSE resolves that Credential-ID to Cmqtt1 as it resolves an
   HTTPS PSK identity (expect "rsc":2001; a From other than Cmqtt1 gets 4106). mosquitto_rr
   (mosquitto-clients) subscribes to the answer's topic, publishes the request and prints the
   answer (--psk on its command line: same caveat as openssl s_client below):
  P='{"op":1,"to":"/id-in","fr":"Cmqtt1","rqi":"m1","rvi":"3","ty":2,"pc":{"m2m:ae":{"rn":"mqtt1","api":"Nm2msec.demo","rr":false,"srv":["3"]}}}'
  mosquitto_rr -h 127.0.0.1 -p $MQTT_PORT --tls-version tlsv1.2 --psk-identity kpsa-mqtt1@$SP --psk "\$(cat $VAR/mqtt1.key)" -i Cmqtt1 -W 30 \
    -t /oneM2M/reg_req/12-kpsa-mqtt1@$SP/id-in/json -e /oneM2M/reg_resp/12-kpsa-mqtt1@$SP/id-in/json -m "\$P"

13. Dynamic authorization (TS-0003 §7.3.2.2, docs/procedures/das.md): the administrator makes a
   container dda that only CAdmin may access (acpDda), linked (daci) to a
   <dynamicAuthorizationConsultation> (ty 34) whose dap is the DAS on port $DAS_PORT:
  A="\$(awk '/^kpsa-admin/{print \$2}' $VAR/psk.txt)"
  for B in '34 {"m2m:dac":{"rn":"dacDemo","dae":true,"dap":["https://127.0.0.1:$DAS_PORT/id-in/Cdas"]}}' '1 {"m2m:acp":{"rn":"acpDda","pv":{"acr":[{"acor":["CAdmin"],"acop":63}]},"pvs":{"acr":[{"acor":["CAdmin"],"acop":63}]}}}' \\
    '3 {"m2m:cnt":{"rn":"dda","acpi":["cse-in/acpDda"],"daci":["cse-in/dacDemo"]}}'; do T=\${B%% *}; J=\${B#* }; \\
    printf 'POST /cse-in HTTP/1.1\r\nHost: $CSE_HOST\r\nX-M2M-Origin: CAdmin\r\nX-M2M-RI: d1\r\nX-M2M-RVI: 3\r\nContent-Type: application/json;ty=%s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s' \$T \${#J} "\$J" \\
    | openssl s_client -quiet -tls1_2 -psk "\$A" -psk_identity kpsa-admin@$SP -connect 127.0.0.1:$PORT 2>/dev/null | grep -i '^X-M2M-RSC'; done

   Cws1 (step 11) reads it: the ACP denies, the CSE consults the DAS (NOTIFY seci sit 1 over its
   certificate association), the DAS's policy ($VAR/das-policy.txt) grants RETRIEVE for 10 minutes
   (sit 2: dynamicACPInfo and an ES256 token), the CSE verifies the answer, creates a child
   <accessControlPolicy> under dda and decides again (expect X-M2M-RSC: 2000):
  curl -si --cacert $VAR/ca/ca.crt --cert $VAR/ws1.crt --key $VAR/ws1.key \\
    --resolve $CSE_HOST:$PORT:127.0.0.1 -H 'X-M2M-Origin: Cws1' -H 'X-M2M-RI: d2' -H 'X-M2M-RVI: 3' \\
    https://$CSE_HOST:$PORT/cse-in/dda

   The DAS's audit line of that decision (never the token):
  grep '"das audit"' $VAR/das.log | tail -n 1

14. GBA (TS-0003 §8.3.2.3, docs/procedures/gba.md): a device with a USIM subscription. The
   operator adds the subscriber to the MEF's test HSS (K and OPc in 0600 files), with its
   Enrolee-ID and the NAF (this CSE) allowed to fetch its keys; the device bootstraps over Ub
   (HTTP Digest AKA, port $BSF_PORT) and writes $VAR/gba1/btid and target.psk (Ks_NAF for the
   CSE); it registers its AE over TLS-PSK with psk_identity = the B-TID: the CSE fetches Ks_NAF
   from the MEF over Zn during the handshake and binds the association to Cgba1:
  $M2M_SHOWN mef subscriber add --config $VAR/run.ini --impi gba1@ims.$SP --k-file $VAR/gba1.k --opc-file $VAR/gba1.opc --enrolee-id Cgba1 --naf $CSE_HOST
  $M2M_SHOWN enrol --gba --bsf 127.0.0.1:$BSF_PORT --bsf-fqdn $MEF_FQDN --bsf-ca $VAR/ca/ca.crt --impi gba1@ims.$SP --k-file $VAR/gba1.k --opc-file $VAR/gba1.opc --naf-fqdn $CSE_HOST --out $VAR/gba1
  BODY='{"m2m:ae":{"rn":"gba1","api":"Nm2msec.demo","rr":false,"srv":["3"]}}'
  printf 'POST /cse-in HTTP/1.1\r\nHost: $CSE_HOST\r\nX-M2M-Origin: Cgba1\r\nX-M2M-RI: g1\r\nX-M2M-RVI: 3\r\nContent-Type: application/json;ty=2\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s' \${#BODY} "\$BODY" \\
    | openssl s_client -quiet -tls1_2 -psk_identity "\$(cat $VAR/gba1/btid)" -psk "\$(cat $VAR/gba1/target.psk)" -connect 127.0.0.1:$PORT

15. End to end through a transit CSE (TS-0003 §8.4, docs/procedures/e2e.md and transit.md): start
   an MN-CSE (/id-mn, port $MN_PORT, log $VAR/mn.log) in another terminal; it registers with this
   CSE over its certificate (a <remoteCSE> here):
  $M2M_SHOWN cse --config $VAR/mn.ini

   The administrator gives the MN's AE Cmn1 (/id-mn/Cmn1 here) a container e2e:
  A="\$(awk '/^kpsa-admin/{print \$2}' $VAR/psk.txt)"
  for B in '1 {"m2m:acp":{"rn":"acpE2e","pv":{"acr":[{"acor":["/id-mn/Cmn1"],"acop":3}]},"pvs":{"acr":[{"acor":["CAdmin"],"acop":63}]}}}' \\
    '3 {"m2m:cnt":{"rn":"e2e","acpi":["cse-in/acpE2e"]}}'; do T=\${B%% *}; J=\${B#* }; \\
    printf 'POST /cse-in HTTP/1.1\r\nHost: $CSE_HOST\r\nX-M2M-Origin: CAdmin\r\nX-M2M-RI: e1\r\nX-M2M-RVI: 3\r\nContent-Type: application/json;ty=%s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s' \$T \${#J} "\$J" \\
    | openssl s_client -quiet -tls1_2 -psk "\$A" -psk_identity kpsa-admin@$SP -connect 127.0.0.1:$PORT 2>/dev/null | grep -i '^X-M2M-RSC'; done

   Cmn1 talks to the MN only (TLS-PSK kpsa-mn1): \`m2msec esprim\` seals a CREATE of a
   contentInstance with its pairwiseESPrimKey esp-mn1 and sends the outer NOTIFY (seci sit 5) to
   this CSE's <CSEBase> through the MN, which forwards it without seeing the inner request; this
   CSE opens it, creates the contentInstance for /id-mn/Cmn1 and answers protected (expect
   "rsc":2001; the MN's log never shows "e2e-secret"):
  $M2M_SHOWN esprim --to https://127.0.0.1:$MN_PORT/~/id-in --key-id esp-mn1@$SP --key-file $VAR/mn1.esp --psk-identity kpsa-mn1@$SP --psk-file $VAR/mn1.key --ca $VAR/ca/ca.crt --verify-name id-mn.$SP --op create --target /id-in/cse-in/e2e --from /id-mn/Cmn1 --outer-from Cmn1 --ty 4 --content '{"m2m:cin":{"con":"e2e-secret"}}'

Without the MEF: a pre-provisioned key (TS-0003 §8.2.2.1). Register the AE Cdev1 over TLS-PSK (its KpsaID is bound to Cdev1):
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
with 'make clean' (or 'rm -rf $VAR'). So do the MEF's enrolees and the MAF's clients
($VAR/mef.db, $VAR/maf.db): adding one again is refused (exit status 1).

The admin PSK (identity kpsa-admin@$SP, originator CAdmin) is in $VAR/psk.txt (mode 0600).
The binary is $M2M; the configuration $VAR/run.ini ([cse], [mef], [maf] and [das], rewritten on
every run). The CSE logs JSON lines on stderr, the MEF to $VAR/mef.log, the MAF to $VAR/maf.log,
mosquitto to $VAR/mosquitto.log, the DAS to $VAR/das.log. Ctrl-C stops them all.
TXT

if [ "${M2MSEC_RUN_PREPARE_ONLY:-0}" = 1 ]; then
	echo
	echo "prepared $VAR/run.ini for the CSE on https://127.0.0.1:$PORT (coaps://127.0.0.1:$COAPS_PORT, wss://127.0.0.1:$WSS_PORT, its broker mqtts://127.0.0.1:$MQTT_PORT), the MEF on https://127.0.0.1:$MEF_PORT, the MAF on https://127.0.0.1:$MAF_PORT and the DAS on https://127.0.0.1:$DAS_PORT (M2MSEC_RUN_PREPARE_ONLY=1: not starting)"
	exit 0
fi

# The MEF and the MAF in the background, the CSE in the foreground. A background job of a script
# ignores SIGINT, so the EXIT trap stops both whichever way this script ends: Ctrl-C (the CSE
# stops, then the script), the CSE's exit, or a failure here.
PIDS=()
stop_bg() {
	local p
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
}
trap stop_bg EXIT
trap 'exit 130' INT TERM
# start_bg NAME PORT: `m2msec NAME` in the background (output in var/NAME.out), then wait (at most
# 10 s) until it listens on PORT; it exiting first ends the script.
start_bg() {
	local name=$1 port=$2 pid upper
	upper=$(echo "$name" | tr a-z A-Z)
	step "Starting the $upper on https://127.0.0.1:$port (log: $VAR/$name.log)"
	"$M2M" "$name" --config "$VAR/run.ini" >>"$VAR/$name.out" 2>&1 &
	pid=$!
	PIDS+=("$pid")
	for _ in $(seq 100); do
		if ! kill -0 "$pid" 2>/dev/null; then
			tail -n 5 "$VAR/$name.out" >&2
			echo "run.sh: the $upper did not start (above; its output is in $VAR/$name.out)" >&2
			exit 1
		fi
		(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
		sleep 0.1
	done
}
start_bg mef "$MEF_PORT"
start_bg maf "$MAF_PORT"
start_bg das "$DAS_PORT"
# The MQTT broker (mosquitto, scripts/deps.sh), stopped with the others. Without it the CSE still
# runs: its MQTT thread retries the broker in the background (docs/mqtt-binding.md).
MOSQUITTO=$(command -v mosquitto || { [ -x /usr/sbin/mosquitto ] && echo /usr/sbin/mosquitto; } || true)
if [ -n "$MOSQUITTO" ]; then
	step "Starting mosquitto on 127.0.0.1:$MQTT_PORT (TLS-PSK; log: $VAR/mosquitto.log)"
	"$MOSQUITTO" -c "$VAR/mosquitto.conf" >>"$VAR/mosquitto.out" 2>&1 &
	pid=$!
	PIDS+=("$pid")
	for _ in $(seq 100); do
		kill -0 "$pid" 2>/dev/null || { tail -n 5 "$VAR/mosquitto.out" "$VAR/mosquitto.log" >&2 || true
			echo "run.sh: mosquitto did not start (above)" >&2; exit 1; }
		(exec 3<>"/dev/tcp/127.0.0.1/$MQTT_PORT") 2>/dev/null && break
		sleep 0.1
	done
else
	echo "run.sh: mosquitto is not installed (scripts/deps.sh): step 12 (MQTT) will not be answered" >&2
fi
step "Starting the secure CSE on https://127.0.0.1:$PORT, coaps://127.0.0.1:$COAPS_PORT (UDP) and wss://127.0.0.1:$WSS_PORT; its broker mqtts://127.0.0.1:$MQTT_PORT"
"$M2M" cse --config "$VAR/run.ini"
