/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements `m2msec das token issue` and `m2msec das token verify` (TS-0003 clauses
 * 7.3.2.4-7.3.2.6, docs/procedures/das.md "Command line"): the operator issues one oneM2M JWT
 * (ES256 compact JWS signed with the key of the DAS certificate, [das] cert/key) granting one
 * holder the operations ACOP on one resource, or has one token explained and verified against
 * the DAS certificate. A refused token exits 2 with one stderr line naming the refusal
 * ("refused: M2M_E_TOKEN_EXPIRED: token has expired"); the key never leaves the process.
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/rand.h>

#include "cli/cli.h"
#include "cli/cmd_das.h"
#include "m2msec/config.h"
#include "m2msec/file.h"
#include "m2msec/id.h"
#include "m2msec/mem.h"
#include "m2msec/token.h"

#define PEM_MAX (64 * 1024)

static void usage(FILE *f)
{
	fputs("usage: m2msec das token issue --config FILE --holder ID --audience CSE-ID --resource ID\n"
	      "                             --op ACOP --lifetime S [--name TEXT]\n"
	      "       m2msec das token verify --config FILE [--audience CSE-ID] [--holder ID] TOKEN|-\n\n"
	      "issue: print ONE compact JWS (a oneM2M JWT, TS-0003 clause 7.3.2.6) signed ES256 with the key\n"
	      "of the [das] certificate: iss = das-id, azp = holder, aud = the audience CSE-IDs, nbf = now,\n"
	      "exp = now + S, tkps = {pm:[{ris:[ID...], pv:{acr:[{acor:[holder], acop:ACOP}]}}]}.\n"
	      "  --holder ID        Absolute AE-ID or CSE-ID of the holder (//sp.example.com/id-in/Cae1)\n"
	      "  --audience CSE-ID  Absolute CSE-ID of a CSE that may accept it ('*' within one segment);\n"
	      "                     repeatable\n"
	      "  --resource ID      structured or unstructured resource ID the permission covers; repeatable\n"
	      "  --op ACOP          accessControlOperations bit mask 1..63 (1 C, 2 R, 4 U, 8 D, 16 N, 32 Disc)\n"
	      "  --lifetime S       seconds of validity, 1..max-token-lifetime\n"
	      "  --name TEXT        tokenName (tknm), optional\n\n"
	      "verify: explain TOKEN (\"-\" = read it from standard input, keeping it out of ps): its header\n"
	      "algorithm, every claim, the signature against the [das] certificate (issuer = das-id) and the\n"
	      "validity window now (clock skew 60 s); with --audience / --holder those checks too.\n\n"
	      "exit status: 0 issued / valid, 1 runtime failure (configuration files, crypto),\n"
	      "             2 bad usage or a refused token (stderr: refused: <M2M_E_TOKEN_*>: <reason>)\n",
	      f);
}

/* The [das] configuration, its certificate (not secret) and, for issue, its key (secret). */
struct das_ctx {
	m2m_das_svc_config cfg;
	struct svc s;
	char *cert;
	size_t cert_len;
};

static int load(struct das_ctx *d, const char *path)
{
	m2m_err r;

	memset(d, 0, sizeof(*d));
	d->s.name = "das";
	d->s.path = path;
	d->s.cfg = &d->cfg;
	d->s.line = cli_das_section.line;
	if (path == NULL) {
		cli_errorf("das token: --config FILE is required");
		return CLI_USAGE;
	}
	int rc = svc_load(&d->s, &cli_das_section, &d->cfg);
	if (rc != CLI_OK)
		return rc;
	if ((r = m2m_file_read(d->cfg.cert, PEM_MAX, 0, &d->cert, &d->cert_len)) != M2M_OK)
		return svc_errorf(&d->s, "cert", d->cfg.cert, m2m_strerror(r), CLI_FAIL);
	return CLI_OK;
}

static void unload(struct das_ctx *d)
{
	free(d->cert);
}

static int refused(m2m_err r)
{
	cli_errorf("das token verify: refused: %s: %s", m2m_errname(r), m2m_strerror(r));
	return CLI_USAGE;
}

/* An Absolute AE-ID or CSE-ID (with wildcard_ok, '*' allowed as in TS-0003 Table 7.1.3-2),
 * rewritten in place to its canonical spelling (lower-case SP FQDN): the CSE compares holder and
 * audience with the Originator's canonical ID byte for byte. */
static bool absolute_id(char *s, bool wildcard_ok)
{
	m2m_id *id = NULL;
	bool ok;

	if (strncmp(s, "//", 2) != 0 || strlen(s) > M2M_TOKEN_STR_MAX || strpbrk(s, " \t\r\n\"\\") != NULL)
		return false;
	if (wildcard_ok && strchr(s, '*') != NULL) {
		for (char *p = s + 2; *p != '\0' && *p != '/'; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p + 32);
		return strchr(s + 2, '/') != NULL;
	}
	ok = m2m_id_parse(s, strlen(s), M2M_ID_ANY, &id) == M2M_OK &&
	     (m2m_id_kind_of(id) == M2M_ID_AE_ID || m2m_id_kind_of(id) == M2M_ID_CSE_ID) &&
	     strlen(m2m_id_canonical(id)) == strlen(s);
	if (ok)
		memcpy(s, m2m_id_canonical(id), strlen(s));
	m2m_id_free(id);
	return ok;
}

static bool long_arg(const char *s, long lo, long hi, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi)
		return false;
	*out = v;
	return true;
}

#define LIST_MAX 16

static int cmd_issue(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},   {"holder", required_argument, NULL, 'H'},
		{"audience", required_argument, NULL, 'a'}, {"resource", required_argument, NULL, 'r'},
		{"op", required_argument, NULL, 'o'},       {"lifetime", required_argument, NULL, 'l'},
		{"name", required_argument, NULL, 'n'},     {"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}};
	const char *config = NULL, *op = NULL, *lifetime = NULL, *name = NULL;
	char *holder = NULL, *aud[LIST_MAX];
	const char *ris[LIST_MAX];
	size_t naud = 0, nris = 0;
	long acop, life;
	int c, rc;
	struct das_ctx d;
	char *key = NULL, *tok = NULL, *pv = NULL, fqdn[256], jti[320];
	json_t *pvj = NULL;
	size_t key_len = 0;
	uint8_t rnd[16];
	m2m_token_signer *signer = NULL;
	m2m_err r;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': config = optarg; break;
		case 'H': holder = optarg; break;
		case 'o': op = optarg; break;
		case 'l': lifetime = optarg; break;
		case 'n': name = optarg; break;
		case 'a':
		case 'r':
			if ((c == 'a' ? naud : nris) >= LIST_MAX) {
				cli_errorf("das token issue: at most %d --%s", LIST_MAX, c == 'a' ? "audience" : "resource");
				return CLI_USAGE;
			}
			if (c == 'a')
				aud[naud++] = optarg;
			else
				ris[nris++] = optarg;
			break;
		case 'h': usage(stdout); return CLI_OK;
		default: return cli_bad_option("das token issue", argv);
		}
	}
	if ((rc = cli_no_operands("das token issue", argc, argv)) != -1)
		return rc;
	if (config == NULL || holder == NULL || naud == 0 || nris == 0 || op == NULL || lifetime == NULL) {
		cli_errorf("das token issue: --config, --holder, --audience, --resource, --op and --lifetime are required");
		return CLI_USAGE;
	}
	if (!absolute_id(holder, false)) {
		cli_errorf("das token issue: --holder must be an Absolute AE-ID or CSE-ID (//FQDN/...)");
		return CLI_USAGE;
	}
	for (size_t i = 0; i < naud; i++)
		if (!absolute_id(aud[i], true)) {
			cli_errorf("das token issue: --audience must be an Absolute CSE-ID (//FQDN/CSE-ID, '*' allowed)");
			return CLI_USAGE;
		}
	for (size_t i = 0; i < nris; i++)
		if (*ris[i] == '\0' || strlen(ris[i]) > 512 || strpbrk(ris[i], " \t\r\n\"\\") != NULL) {
			cli_errorf("das token issue: --resource must be a resource ID (no white space or quotes)");
			return CLI_USAGE;
		}
	if (!long_arg(op, 1, 63, &acop)) {
		cli_errorf("das token issue: --op must be an accessControlOperations mask 1..63");
		return CLI_USAGE;
	}
	if ((rc = load(&d, config)) != CLI_OK)
		return rc;
	if (!long_arg(lifetime, 1, d.cfg.max_token_lifetime, &life)) {
		cli_errorf("das token issue: --lifetime must be 1..%d seconds (max-token-lifetime)", d.cfg.max_token_lifetime);
		unload(&d);
		return CLI_USAGE;
	}
	rc = CLI_FAIL;
	if ((r = cli_read_file(d.cfg.key, PEM_MAX, 1, &key, &key_len)) != M2M_OK) {
		rc = svc_errorf(&d.s, "key", d.cfg.key, m2m_strerror(r), cli_exit_code(r));
		goto out;
	}
	r = m2m_token_signer_new(key, key_len, d.cert, d.cert_len, &signer);
	m2m_freezero(key, key_len + 1);
	if (r != M2M_OK) {
		rc = svc_errorf(&d.s, "key", d.cfg.key, m2m_strerror(r), CLI_FAIL);
		goto out;
	}
	/* m2m:tokenID = issuerRelativeID@issuerFQDN, unique: 128 random bits (TS-0004 Table 6.3.3-1) */
	if (m2m_das_config_fqdn(&d.cfg, fqdn, sizeof(fqdn)) != M2M_OK || RAND_bytes(rnd, sizeof(rnd)) != 1 ||
	    m2m_token_format_id(rnd, fqdn, jti, sizeof(jti)) != M2M_OK)
		goto out;
	/* the privileges granted: the holder may do ACOP (TS-0004 Table 6.3.5.28-1 acor/acop) */
	pvj = json_pack("{s:[{s:[s],s:I}]}", "acr", "acor", holder, "acop", (json_int_t)acop);
	if (pvj == NULL || (pv = json_dumps(pvj, JSON_COMPACT)) == NULL)
		goto out;
	{
		int64_t now = (int64_t)time(NULL);
		m2m_token_perm perm = {.ris = ris, .nris = nris, .pv_json = pv};
		m2m_token_claims cl = {.version = M2M_TOKEN_VERSION, .token_id = jti, .issuer = d.cfg.das_id,
				       .holder = holder, .not_before = now, .not_after = now + life, .name = name,
				       .audience = (const char *const *)aud, .naudience = naud, .perms = &perm, .nperms = 1,
				       .has_perms = true};
		if ((r = m2m_token_sign(&cl, signer, &tok)) != M2M_OK) {
			cli_errorf("das token issue: %s (%s)", m2m_strerror(r), m2m_errname(r));
			rc = r == M2M_E_TOKEN_CLAIMS || r == M2M_E_TOKEN_TOO_LARGE ? CLI_USAGE : CLI_FAIL;
			goto out;
		}
	}
	puts(tok);
	rc = fflush(stdout) == 0 ? CLI_OK : CLI_FAIL;
out:
	free(pv);
	json_decref(pvj);
	free(tok);
	m2m_token_signer_free(signer);
	unload(&d);
	return rc;
}

static void print_time(const char *label, int64_t t)
{
	char buf[32] = "?";
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) != NULL)
		strftime(buf, sizeof(buf), "%Y%m%dT%H%M%SZ", &tm);
	printf("%s: %" PRId64 " (%s)\n", label, t, buf);
}

static void print_list(const char *label, const char *const *v, size_t n)
{
	printf("%s:", label);
	for (size_t i = 0; i < n; i++)
		printf(" %s", v[i]);
	putchar('\n');
}

static void explain(const m2m_token *t)
{
	const m2m_token_claims *c = m2m_token_claims_of(t);

	printf("alg: %s\ntkvr: %s\njti: %s\niss: %s\nazp: %s\n", m2m_token_alg_name(m2m_token_alg(t)), c->version,
	       c->token_id, c->issuer, c->holder);
	print_time("nbf", c->not_before);
	print_time("exp", c->not_after);
	if (c->naudience > 0)
		print_list("aud", c->audience, c->naudience);
	if (c->name != NULL)
		printf("tknm: %s\n", c->name);
	if (c->extension != NULL)
		printf("tkex: %s\n", c->extension);
	for (size_t i = 0; i < c->nperms; i++) {
		char label[48];
		snprintf(label, sizeof(label), "tkps.pm[%zu].ris", i);
		if (c->perms[i].nris > 0)
			print_list(label, c->perms[i].ris, c->perms[i].nris);
		if (c->perms[i].pv_json != NULL)
			printf("tkps.pm[%zu].pv: %s\n", i, c->perms[i].pv_json);
		snprintf(label, sizeof(label), "tkps.pm[%zu].rids", i);
		if (c->perms[i].nrids > 0)
			print_list(label, c->perms[i].rids, c->perms[i].nrids);
	}
}

static int cmd_verify(int argc, char **argv)
{
	static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
					     {"audience", required_argument, NULL, 'a'},
					     {"holder", required_argument, NULL, 'H'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	const char *config = NULL, *text;
	char *in = NULL;
	size_t len = 0;
	int c, rc;
	struct das_ctx d;
	m2m_token_trust *trust = NULL;
	m2m_token *tok = NULL;
	m2m_token_verify_opts vo = {.skew = M2M_TOKEN_DEFAULT_SKEW};
	m2m_err r;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': config = optarg; break;
		case 'a': vo.audience = optarg; break;
		case 'H': vo.holder = optarg; break;
		case 'h': usage(stdout); return CLI_OK;
		default: return cli_bad_option("das token verify", argv);
		}
	}
	if (optind != argc - 1) {
		cli_errorf("das token verify: exactly one TOKEN (or -) expected (try --help)");
		return CLI_USAGE;
	}
	text = argv[optind];
	if (strcmp(text, "-") == 0) {
		/* one line, bounded: a longer input is refused as the verifier would refuse it */
		if ((in = malloc(M2M_TOKEN_MAX_LEN + 3)) == NULL)
			return cli_fail("das token verify", M2M_E_NOMEM);
		len = fread(in, 1, M2M_TOKEN_MAX_LEN + 2, stdin);
		in[len] = '\0';
		if (ferror(stdin)) {
			free(in);
			return cli_fail("das token verify: standard input", M2M_E_IO);
		}
		while (len > 0 && (in[len - 1] == '\n' || in[len - 1] == '\r'))
			in[--len] = '\0';
		text = in;
	}
	if ((rc = load(&d, config)) != CLI_OK) {
		free(in);
		return rc;
	}
	/* the DAS's own trust set: its certificate for its own das-id */
	if ((r = m2m_token_trust_new(&trust)) != M2M_OK ||
	    (r = m2m_token_trust_add(trust, d.cfg.das_id, d.cert, d.cert_len, 0)) != M2M_OK) {
		rc = svc_errorf(&d.s, "cert", d.cfg.cert, m2m_strerror(r), CLI_FAIL);
		goto out;
	}
	vo.now = (int64_t)time(NULL);
	vo.algs = M2M_TOKEN_ALG_ES256 | M2M_TOKEN_ALG_ES384 | M2M_TOKEN_ALG_ES512;
	if ((r = m2m_token_parse(text, in ? len : strlen(text), trust, &vo, &tok)) != M2M_OK) {
		rc = r == M2M_E_NOMEM || r == M2M_E_CRYPTO || r == M2M_E_INVAL ? cli_fail("das token verify", r)
									     : refused(r);
		goto out;
	}
	explain(tok);
	printf("signature: verified (certificate of %s, %s)\n", d.cfg.das_id, d.cfg.cert);
	printf("audience: %s\n", vo.audience ? "checked" : "not checked (no --audience)");
	printf("holder: %s\n", vo.holder ? "checked" : "not checked (no --holder)");
	r = m2m_token_check(tok, &vo);
	printf("token: %s\n", r == M2M_OK ? "valid" : "refused");
	fflush(stdout);
	rc = r == M2M_OK ? CLI_OK : refused(r);
out:
	m2m_token_unref(tok);
	m2m_token_trust_free(trust);
	unload(&d);
	free(in);
	return rc;
}

int cli_das_token_main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return CLI_USAGE;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		usage(stdout);
		return CLI_OK;
	}
	if (strcmp(argv[1], "issue") == 0)
		return cmd_issue(argc - 1, argv + 1);
	if (strcmp(argv[1], "verify") == 0)
		return cmd_verify(argc - 1, argv + 1);
	cli_errorf("das token: unknown command '%s' (issue, verify)", argv[1]);
	return CLI_USAGE;
}
