/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the m2msec maf-client subcommand: Entity A of the MAF-based Security
 * Association Establishment Framework (TS-0003 clause 8.2.2.3) through the MAF client library
 * (include/m2msec/mafclient.h, docs/procedures/maf.md "Entity A").
 *   m2msec maf-client key --maf HOST:PORT --maf-ca FILE (--km-id ID --km-file FILE | --enrolment DIR)
 *                         --target CSE-ID --out DIR [--lifetime SECONDS] [--suid 32|33]
 *   m2msec maf-client deregister --maf HOST:PORT --maf-ca FILE (--km-id ID --km-file FILE |
 *                         --enrolment DIR) --kcid ID
 * Every input is checked before any network I/O; exit codes as for m2msec enrol.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "m2msec/mafclient.h"
#include "m2msec/mem.h"

#define KM_TEXT_MAX 1024 /* hex text of a Km with white space */

static const char usage_maf_client[] =
	"usage: m2msec maf-client key --maf HOST:PORT --maf-ca FILE (--km-id ID --km-file FILE | --enrolment DIR)\n"
	"                             --target CSE-ID --out DIR [--lifetime SECONDS] [--suid 32|33]\n"
	"       m2msec maf-client deregister --maf HOST:PORT --maf-ca FILE (--km-id ID --km-file FILE |\n"
	"                             --enrolment DIR) --kcid ID\n"
	"\n"
	"Entity A of the MAF-based security association establishment (TS-0003 clause 8.2.2.3).\n"
	"key: MAF Handshake (TLS-PSK with psk_identity = KmID, psk = Km), MAF Client Registration\n"
	"when needed, and MAF Key Registration of Kc for the target (SUID 32; Kc and KcID from the\n"
	"exporter \"EXPORTER-oneM2M-Connection\"). Prints the Kc Key Identifier and writes into DIR\n"
	"(created 0700; all three files or none):\n"
	"  kcid        the Kc Key Identifier hexBinary(KcID)@MAF-FQDN (text)\n"
	"  kc          Kc (hex, 0600)\n"
	"  target.psk  the TLS-PSK key to present to the target with psk_identity = the Key\n"
	"              Identifier: the first half of Kc (key-split rule, clause 8.8.1) (hex, 0600)\n"
	"deregister: MAF Key De-Registration of the key --kcid.\n"
	"\n"
	"  --maf ADDRESS        the MAF: HOST:PORT or https://HOST[:PORT] (HTTPS), or\n"
	"                       coaps://HOST[:PORT] (CoAP over DTLS 1.2, TS-0008)\n"
	"  --maf-ca FILE        CA bundle of the MAF's certificate\n"
	"  --km-id ID           KmID (name@maf-fqdn), or a B-TID (m2msec enrol --gba's DIR/btid with\n"
	"                       --naf-fqdn = the MAF-FQDN; --km-file DIR/target.psk): the MAF, a NAF,\n"
	"                       fetches the key from the BSF and assigns the KmID, as for --enrolment\n"
	"  --km-file FILE       Km: hex in a 0600 file, or - for standard input\n"
	"  --enrolment DIR      instead of --km-id/--km-file: the output of m2msec enrol (keid, ke);\n"
	"                       Km = HMAC-SHA-256(Ke, label || MAF-FQDN), the MAF assigns the KmID\n"
	"  --target CSE-ID      key: the absolute CSE-ID of Entity B (//sp-fqdn/cse-id)\n"
	"  --out DIR            key: output directory\n"
	"  --lifetime SECONDS   key: requested key lifetime (default 3600, at most 31536000)\n"
	"  --suid N             key: 32 (default, TLS with the target) or 33 (a pairwiseESPrimKey: Kc\n"
	"                       is the ESPrim key, the Key Identifier its kid)\n"
	"  --kcid ID            deregister: the Kc Key Identifier (or its 32 hex digits)\n"
	"  --maf-fqdn NAME      MAF-FQDN (default: the KmID's FQDN part, else the MAF host name)\n"
	"  --timeout SECONDS    total deadline (default 30)\n"
	"\n"
	"exit status: 0 done, 1 runtime failure (MAF unreachable or refused: the RSC and the reason\n"
	"are printed), 2 bad usage or input\n";

enum { O_MAF = 1, O_CA, O_KMID, O_KMFILE, O_ENROL, O_TARGET, O_OUT, O_LIFE, O_KCID, O_FQDN, O_TIMEOUT, O_SUID, O_N };

static int usage_error(const char *msg)
{
	cli_errorf("maf-client: %s (see m2msec maf-client --help)", msg);
	return CLI_USAGE;
}

static bool parse_long(const char *s, long lo, long hi, long *out)
{
	char *end;
	long v;

	if (s == NULL || s[0] < '0' || s[0] > '9')
		return false;
	v = strtol(s, &end, 10);
	if (*end != '\0' || v < lo || v > hi)
		return false;
	*out = v;
	return true;
}

static int configure(m2m_maf_client *m, const char *const v[O_N])
{
	uint8_t kb[64];
	size_t kl = 0;
	m2m_key *km = NULL;
	long t;
	m2m_err r;

	if (m2m_maf_client_set_maf(m, v[O_MAF]) != M2M_OK)
		return usage_error("--maf must be HOST:PORT, https://HOST[:PORT] or coaps://HOST[:PORT]");
	if (m2m_maf_client_set_maf_ca(m, v[O_CA]) != M2M_OK)
		return usage_error("bad --maf-ca");
	if (v[O_FQDN] != NULL && m2m_maf_client_set_maf_fqdn(m, v[O_FQDN]) != M2M_OK)
		return usage_error("--maf-fqdn is not a host name");
	if (v[O_TIMEOUT] != NULL &&
	    (!parse_long(v[O_TIMEOUT], 1, 3600, &t) || m2m_maf_client_set_deadline(m, (int)t) != M2M_OK))
		return usage_error("--timeout must be 1..3600");
	if (v[O_ENROL] != NULL) {
		if ((r = m2m_maf_client_set_enrolment(m, v[O_ENROL])) != M2M_OK) {
			cli_errorf("maf-client: --enrolment %s: %s", v[O_ENROL], m2m_strerror(r));
			return r == M2M_E_IO || r == M2M_E_NOMEM ? CLI_FAIL : CLI_USAGE;
		}
		return CLI_OK;
	}
	/* The Km file must be 0600 (or stdin): a looser file is refused before anything else. */
	r = cli_secret_hex(strcmp(v[O_KMFILE], "-") == 0 ? "-" : NULL, strcmp(v[O_KMFILE], "-") == 0 ? NULL : v[O_KMFILE],
			   KM_TEXT_MAX, kb, sizeof(kb), &kl);
	if (r == M2M_OK)
		r = m2m_key_new(kb, kl, &km);
	m2m_memzero(kb, sizeof(kb));
	if (r == M2M_OK)
		r = m2m_maf_client_set_km(m, v[O_KMID], km);
	m2m_key_free(km);
	if (r != M2M_OK) {
		cli_errorf("maf-client: --km-file/--km-id: %s", m2m_strerror(r));
		return r == M2M_E_IO || r == M2M_E_NOMEM ? CLI_FAIL : CLI_USAGE;
	}
	return CLI_OK;
}

static int report(m2m_maf_client *m, m2m_err r)
{
	if (m2m_maf_client_rsc(m) != 0)
		cli_errorf("maf-client: the MAF refused: RSC %d: %s", m2m_maf_client_rsc(m), m2m_maf_client_reason(m));
	else if (m2m_maf_client_reason(m)[0] != '\0')
		cli_errorf("maf-client: %s: %s", m2m_strerror(r), m2m_maf_client_reason(m));
	else
		cli_errorf("maf-client: %s", m2m_strerror(r));
	return CLI_FAIL; /* everything before the run was checked: any failure now is a runtime one */
}

static int run(bool key, const char *const v[O_N])
{
	m2m_maf_client *m = NULL;
	long life = M2M_MAF_CLIENT_DEFAULT_LIFETIME;
	int rc;
	m2m_err r;

	if (v[O_LIFE] != NULL && !parse_long(v[O_LIFE], 1, 31536000, &life))
		return usage_error("--lifetime must be 1..31536000 seconds");
	if (v[O_SUID] != NULL && strcmp(v[O_SUID], "32") != 0 && strcmp(v[O_SUID], "33") != 0)
		return usage_error("--suid must be 32 or 33");
	if (m2m_maf_client_new(&m) != M2M_OK)
		return cli_fail("maf-client", M2M_E_NOMEM);
	if (v[O_SUID] != NULL && m2m_maf_client_set_suid(m, v[O_SUID][1] == '3' ? 33 : 32) != M2M_OK) {
		m2m_maf_client_free(m);
		return usage_error("--suid must be 32 or 33");
	}
	if ((rc = configure(m, v)) != CLI_OK) {
		m2m_maf_client_free(m);
		return rc;
	}
	r = key ? m2m_maf_client_register_key(m, v[O_TARGET], life) : m2m_maf_client_deregister_key(m, v[O_KCID]);
	if (r == M2M_E_INVAL || r == M2M_E_RANGE || r == M2M_E_CONFIG) { /* refused before any I/O */
		rc = usage_error(m2m_maf_client_reason(m)[0] != '\0' ? m2m_maf_client_reason(m) : m2m_strerror(r));
	} else if (r != M2M_OK) {
		rc = report(m, r);
	} else if (key && (r = m2m_maf_client_write(m, v[O_OUT])) != M2M_OK) {
		cli_errorf("maf-client: writing %s: %s", v[O_OUT], m2m_strerror(r));
		rc = CLI_FAIL;
	} else {
		if (key)
			printf("%s\n", m2m_maf_client_key_id(m));
		else
			printf("%s deregistered\n", v[O_KCID]);
		rc = CLI_OK;
	}
	m2m_maf_client_free(m);
	return rc;
}

int cli_maf_client_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"maf", required_argument, NULL, O_MAF},         {"maf-ca", required_argument, NULL, O_CA},
		{"km-id", required_argument, NULL, O_KMID},      {"km-file", required_argument, NULL, O_KMFILE},
		{"enrolment", required_argument, NULL, O_ENROL}, {"target", required_argument, NULL, O_TARGET},
		{"out", required_argument, NULL, O_OUT},         {"lifetime", required_argument, NULL, O_LIFE},
		{"kcid", required_argument, NULL, O_KCID},       {"maf-fqdn", required_argument, NULL, O_FQDN},
		{"timeout", required_argument, NULL, O_TIMEOUT}, {"suid", required_argument, NULL, O_SUID},
		{NULL, 0, NULL, 0},
	};
	const char *v[O_N] = {0};
	bool key;
	int c;

	if (cli_wants_help(argc, argv)) {
		fputs(usage_maf_client, stdout);
		return CLI_OK;
	}
	if (argc < 2 || (strcmp(argv[1], "key") != 0 && strcmp(argv[1], "deregister") != 0))
		return usage_error("the operation is key or deregister");
	key = strcmp(argv[1], "key") == 0;
	opterr = 0;
	optind = 2;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c <= 0 || c >= O_N)
			return usage_error("unknown option or missing argument");
		if (v[c] != NULL)
			return usage_error("option given twice");
		v[c] = optarg;
	}
	if (optind != argc)
		return usage_error("unexpected argument");
	if (v[O_MAF] == NULL || v[O_CA] == NULL)
		return usage_error("--maf and --maf-ca are required");
	if ((v[O_ENROL] != NULL) == (v[O_KMID] != NULL || v[O_KMFILE] != NULL) ||
	    (v[O_ENROL] == NULL && (v[O_KMID] == NULL || v[O_KMFILE] == NULL)))
		return usage_error("give either --km-id and --km-file, or --enrolment");
	if (key && (v[O_TARGET] == NULL || v[O_OUT] == NULL || v[O_KCID] != NULL))
		return usage_error("key needs --target and --out (and no --kcid)");
	if (!key && (v[O_KCID] == NULL || v[O_TARGET] != NULL || v[O_OUT] != NULL || v[O_LIFE] != NULL ||
		     v[O_SUID] != NULL))
		return usage_error("deregister needs --kcid (and no --target, --out, --lifetime or --suid)");
	return run(key, v);
}
