/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the m2msec enrol subcommand: the Enrolee side of Remote Security
 * Provisioning (TS-0003 clause 8.3) through the enrolee library (include/m2msec/enrol.h).
 *   m2msec enrol --mef HOST:PORT|coaps://HOST:PORT --mef-ca FILE --kpm-id ID --kpm-file FILE --out DIR
 *   m2msec enrol --mef HOST:PORT --mef-ca FILE --client-cert F --client-key F --out DIR [--cert]
 * It prints the KeID and writes DIR/keid, DIR/ke, DIR/target.psk (and DIR/cert.pem,
 * DIR/cert.key after EST). Every input is checked before any network I/O.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "m2msec/enrol.h"
#include "m2msec/mem.h"

#define KPM_TEXT_MAX 1024 /* hex text of a Kpm with white space */

static const char usage_enrol[] =
	"usage: m2msec enrol --mef HOST:PORT --mef-ca FILE --kpm-id ID --kpm-file FILE --out DIR [--cert]\n"
	"       m2msec enrol --gba --bsf HOST:PORT --bsf-ca FILE --impi ID --k-file F --opc-file F --out DIR\n"
	"       m2msec enrol --mef HOST:PORT --mef-ca FILE --client-cert F --client-key F --out DIR [--cert]\n"
	"\n"
	"Enrol this device with an M2M Enrolment Function (TS-0003 clause 8.3): MEF Handshake\n"
	"(TLS-PSK with psk_identity = KpmID and psk = Kpm, or a device certificate), Enrolment Key\n"
	"Generation (Ke, KeID), MEF Client Registration and the MEF Client Command flow. Prints the\n"
	"KeID and writes into DIR (created 0700):\n"
	"  keid        the KeID (text)\n"
	"  ke          Ke (hex, 0600)\n"
	"  target.psk  the TLS-PSK key for the Enrolment Target, psk_identity = KeID (hex, 0600)\n"
	"              (only when a target is a CSE)\n"
	"  mafids      the MAF-FQDNs among the targets, one a line (Km = HMAC-SHA-256(Ke, label || MAF-FQDN))\n"
	"  cert.pem, cert.key   with --cert: the EST certificate and its key generated here (0600)\n"
	"\n"
	"  --mef ADDRESS        the MEF: HOST:PORT or https://HOST[:PORT] (HTTPS), or\n"
	"                       coaps://HOST[:PORT] (CoAP over DTLS 1.2, TS-0008; no TCP at all)\n"
	"  --mef-ca FILE        CA bundle of the MEF's FQDN certificate\n"
	"  --kpm-id ID          KpmID (name@mef-fqdn)\n"
	"  --kpm-file FILE      Kpm: 32 bytes as hex in a 0600 file, or - for standard input\n"
	"  --client-cert FILE   device certificate (certificate flavour)\n"
	"  --client-key FILE    its private key (0600)\n"
	"  --out DIR            output directory\n"
	"  --cert               also enrol a certificate with EST (RFC 7030; HTTPS only: EST over\n"
	"                       CoAP, RFC 9148, is not implemented)\n"
	"  --reenrol            with --cert: EST /simplereenroll (re-provisioning with the current\n"
	"                       certificate as --client-cert)\n"
	"  --mef-fqdn NAME      MEF-FQDN (default: the KpmID's FQDN part, else the MEF host)\n"
	"  --enrolee-id ID      claim this Enrolee-ID (default: the one provisioned)\n"
	"  --timeout SECONDS    total deadline (default 30)\n"
	"\n"
	"exit status: 0 enrolled, 1 runtime failure (MEF unreachable or refused: the RSC and the\n"
	"reason are printed), 2 bad usage or input\n";

enum { O_MEF = 1, O_CA, O_KPMID, O_KPMFILE, O_CCERT, O_CKEY, O_OUT, O_CERT, O_FQDN, O_EID, O_TIMEOUT, O_REENROL, O_N };

static int usage_error(const char *msg)
{
	cli_errorf("enrol: %s (see m2msec enrol --help)", msg);
	return CLI_USAGE;
}

static int configure(m2m_enrolee *e, const char *const v[O_N], bool cert)
{
	uint8_t kb[64];
	size_t kl = 0;
	m2m_key *kpm = NULL;
	m2m_err r;

	if (m2m_enrolee_set_mef(e, v[O_MEF]) != M2M_OK)
		return usage_error("--mef must be HOST:PORT, https://HOST[:PORT] or coaps://HOST[:PORT]");
	if (m2m_enrolee_set_mef_ca(e, v[O_CA]) != M2M_OK)
		return usage_error("bad --mef-ca");
	if (v[O_FQDN] != NULL && m2m_enrolee_set_mef_fqdn(e, v[O_FQDN]) != M2M_OK)
		return usage_error("--mef-fqdn is not a host name");
	if (v[O_EID] != NULL && m2m_enrolee_set_claim(e, v[O_EID]) != M2M_OK)
		return usage_error("bad --enrolee-id");
	if (v[O_TIMEOUT] != NULL) {
		char *end;
		long t = strtol(v[O_TIMEOUT], &end, 10);
		if (*end != '\0' || m2m_enrolee_set_deadline(e, t > 0 && t <= 3600 ? (int)t : 0) != M2M_OK)
			return usage_error("--timeout must be 1..3600");
	}
	m2m_enrolee_want_cert(e, cert);
	if (v[O_CCERT] != NULL)
		return m2m_enrolee_set_cert(e, v[O_CCERT], v[O_CKEY]) == M2M_OK ? CLI_OK : usage_error("bad certificate");
	/* The Kpm file must be 0600 (or stdin): a looser file is refused before anything else. */
	r = cli_secret_hex(strcmp(v[O_KPMFILE], "-") == 0 ? "-" : NULL, strcmp(v[O_KPMFILE], "-") == 0 ? NULL : v[O_KPMFILE],
			   KPM_TEXT_MAX, kb, sizeof(kb), &kl);
	if (r == M2M_OK && kl != 32)
		r = M2M_E_KEY_LEN;
	if (r == M2M_OK)
		r = m2m_key_new(kb, kl, &kpm);
	m2m_memzero(kb, sizeof(kb));
	if (r == M2M_OK)
		r = m2m_enrolee_set_psk(e, v[O_KPMID], kpm);
	m2m_key_free(kpm);
	if (r != M2M_OK) {
		cli_errorf("enrol: --kpm-file/--kpm-id: %s", m2m_strerror(r));
		return r == M2M_E_IO || r == M2M_E_NOMEM ? CLI_FAIL : CLI_USAGE;
	}
	return CLI_OK;
}

int cli_enrol_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"mef", required_argument, NULL, O_MEF},         {"mef-ca", required_argument, NULL, O_CA},
		{"kpm-id", required_argument, NULL, O_KPMID},    {"kpm-file", required_argument, NULL, O_KPMFILE},
		{"client-cert", required_argument, NULL, O_CCERT}, {"client-key", required_argument, NULL, O_CKEY},
		{"out", required_argument, NULL, O_OUT},         {"cert", no_argument, NULL, O_CERT},
		{"mef-fqdn", required_argument, NULL, O_FQDN},   {"enrolee-id", required_argument, NULL, O_EID},
		{"timeout", required_argument, NULL, O_TIMEOUT}, {"reenrol", no_argument, NULL, O_REENROL},
		{NULL, 0, NULL, 0},
	};
	const char *v[O_N] = {0};
	bool cert = false, reenrol = false, psk, crt;
	m2m_enrolee *e = NULL;
	int c, rc;
	m2m_err r;

	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--gba") == 0)
			return cli_enrol_gba_main(argc, argv); /* cmd_enrol_gba.c: the GBA UE */
	if (cli_wants_help(argc, argv)) {
		fputs(usage_enrol, stdout);
		return CLI_OK;
	}
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c <= 0 || c >= O_N)
			return usage_error("unknown option or missing argument");
		if (c == O_CERT)
			cert = true;
		else if (c == O_REENROL)
			reenrol = true;
		else if (v[c] != NULL)
			return usage_error("option given twice");
		else
			v[c] = optarg;
	}
	if (optind != argc)
		return usage_error("unexpected argument");
	psk = v[O_KPMID] != NULL || v[O_KPMFILE] != NULL;
	crt = v[O_CCERT] != NULL || v[O_CKEY] != NULL;
	if (v[O_MEF] == NULL || v[O_CA] == NULL || v[O_OUT] == NULL)
		return usage_error("--mef, --mef-ca and --out are required");
	if (psk == crt || (psk && (v[O_KPMID] == NULL || v[O_KPMFILE] == NULL)) ||
	    (crt && (v[O_CCERT] == NULL || v[O_CKEY] == NULL)))
		return usage_error("give either --kpm-id and --kpm-file, or --client-cert and --client-key");
	if (reenrol && !cert)
		return usage_error("--reenrol needs --cert");
	if (cert && strncmp(v[O_MEF], "coaps://", 8) == 0)
		return usage_error("--cert needs an HTTPS MEF: EST over CoAP (RFC 9148) is not implemented");
	if (m2m_enrolee_new(&e) != M2M_OK)
		return cli_fail("enrol", M2M_E_NOMEM);
	m2m_enrolee_est_reenrol(e, reenrol);
	if ((rc = configure(e, v, cert)) != CLI_OK) {
		m2m_enrolee_free(e);
		return rc;
	}
	r = m2m_enrolee_run(e);
	if (r != M2M_OK) {
		if (m2m_enrolee_rsc(e) != 0)
			cli_errorf("enrol: the MEF refused: RSC %d: %s", m2m_enrolee_rsc(e), m2m_enrolee_reason(e));
		else if (m2m_enrolee_reason(e)[0] != '\0')
			cli_errorf("enrol: %s: %s", m2m_strerror(r), m2m_enrolee_reason(e));
		else
			cli_errorf("enrol: %s", m2m_strerror(r));
		m2m_enrolee_free(e);
		return CLI_FAIL; /* everything before the run was checked: any failure now is a runtime one */
	}
	if ((r = m2m_enrolee_write(e, v[O_OUT])) != M2M_OK) {
		cli_errorf("enrol: writing %s: %s", v[O_OUT], m2m_strerror(r));
		m2m_enrolee_free(e);
		return CLI_FAIL;
	}
	printf("%s\n", m2m_enrolee_keid(e));
	m2m_enrolee_free(e);
	return CLI_OK;
}
