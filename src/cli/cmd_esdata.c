/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements `m2msec esdata protect|decrypt|verify` (TS-0003 clause 8.5, ESData;
 * docs/cli.md, docs/procedures/e2e.md): the operator's Source and Target End-Point. protect reads
 * the payload on standard input and writes one protected object (compact, or --json) on standard
 * output; decrypt and verify read one object and write the payload. Symmetric keys come from hex
 * key files (0600), asymmetric ones from PEM files; the direct-mode invocation count is kept in a
 * counter file. Any failure exits 1 with one stderr line naming the refusal (M2M_E_ESD_*).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "cli/cli.h"
#include "cli/esdata_tef.h"
#include "m2msec/esdata.h"
#include "m2msec/mem.h"

#define PEM_MAX (64 * 1024)
#define MAX_CREDS M2M_ESD_MAX_CREDS

static void usage(FILE *f)
{
	fputs("usage: m2msec esdata protect --alg ALG [--enc ENC] (--key-file F | --cert PEM)... [--sign-key PEM]\n"
	      "                             [--kid ID]... [--cty TYPE] [--counter-file F] [--json]\n"
	      "       m2msec esdata decrypt (--key-file F | --key PEM)... [--cert PEM]... [--allow LIST]\n"
	      "       m2msec esdata verify (--key-file F | --cert PEM)... [--allow LIST]\n"
	      "  each may take the key from the MEF as Trust Enabling Function instead of --key-file:\n"
	      "       --mef URL --mef-ca FILE --client-cert F --client-key F --key-id ID\n"
	      "       [--mef-fqdn NAME] [--timeout SECONDS]\n\n"
	      "ESData (TS-0003 clause 8.5) with JOSE. protect reads the payload on stdin and writes the\n"
	      "protected object on stdout: compact (m2m:e2eCompactJWE/JWS, contentSecurity 1) or with\n"
	      "--json the JSON Serialization (contentSecurity 2).\n"
	      "  --alg ALG         JWE key management (dir, A128KW, A192KW, A256KW, RSA-OAEP-256, ECDH-ES,\n"
	      "                    ECDH-ES+A128KW, ECDH-ES+A192KW, ECDH-ES+A256KW) for every --key-file /\n"
	      "                    --cert; or, for Signature-only, the JWS algorithm (HS256/384/512 with\n"
	      "                    --key-file, RS256/384/512 or ES256/384/512 with --sign-key)\n"
	      "  --enc ENC         A128GCM, A192GCM or A256GCM (default A256GCM)\n"
	      "  --key-file F      symmetric key, hex, mode 0600; repeatable (one recipient each)\n"
	      "  --cert PEM        the target's certificate (or PEM public key); repeatable\n"
	      "  --sign-key PEM    private key: Signature-only, or with an encryption --alg Nested\n"
	      "                    Sign-then-Encrypt (RS256 for RSA, ES256/384/512 by the curve)\n"
	      "  --kid ID          key identifier for the n-th credential (e.g. a Credential-ID)\n"
	      "  --counter-file F  required with dir: decimal count of encryptions made with that key,\n"
	      "                    incremented before encrypting; refused at 2^32 (clause 8.5.2.2.1)\n"
	      "decrypt reads a JWE (Encryption-only, or Nested when --cert is given) and writes the payload;\n"
	      "verify reads a JWS. --key-file keys are tried for every algorithm of their length, --key\n"
	      "(PEM private key) for RSA-OAEP-256 / ECDH-ES*, --cert for RS* / ES*.\n"
	      "  --mef URL         fetch the key --key-id from this MEF (TS-0003 clause 8.6.3, MEF Key\n"
	      "                    Retrieval as a Target listed by the key's Source; HOST:PORT or https://..)\n"
	      "  --key-id ID       Credential-ID SUID-<32 hex>@MEF-FQDN (SUID 14/24 encryption: dir, A*KW;\n"
	      "                    15/25 signature: HS*) or the bare keyID; it becomes the \"kid\"\n"
	      "  --mef-ca, --client-cert, --client-key, --mef-fqdn, --timeout: as for m2msec enrol\n"
	      "  --allow LIST      comma-separated algorithms allowed (default: TS-0003 Tables 8.5.3.2-3/-4,\n"
	      "                    8.5.3.3-2; ECDH-ES only when listed). \"none\" is never accepted\n\n"
	      "exit status: 0 success, 1 any failure (stderr: m2msec: esdata: M2M_E_...: reason),\n"
	      "             2 bad usage\n",
	      f);
}

struct creds {
	m2m_key *keys[MAX_CREDS];
	EVP_PKEY *pkeys[MAX_CREDS];
	size_t nkeys, npkeys;
	m2m_esdata_cred c[MAX_CREDS * 6];
	size_t n;
};

static void creds_free(struct creds *cr)
{
	for (size_t i = 0; i < cr->nkeys; i++)
		m2m_key_free(cr->keys[i]);
	for (size_t i = 0; i < cr->npkeys; i++)
		EVP_PKEY_free(cr->pkeys[i]);
}

static m2m_err load_key_file(const char *path, m2m_key **out)
{
	uint8_t b[M2M_KEY_MAX];
	size_t n = 0;
	m2m_err r = cli_secret_hex(NULL, path, 4 * M2M_KEY_MAX, b, sizeof(b), &n);

	if (r == M2M_OK)
		r = m2m_key_new(b, n, out);
	m2m_memzero(b, sizeof(b));
	return r;
}

/* A PEM certificate's public key, else a PEM public key, else (priv) a PEM private key. */
static m2m_err load_pem(const char *path, bool priv, EVP_PKEY **out)
{
	char *pem = NULL;
	size_t len = 0;
	BIO *bio;
	X509 *x = NULL;
	m2m_err r = cli_read_file(path, PEM_MAX, priv, &pem, &len);

	*out = NULL;
	if (r != M2M_OK)
		return r;
	if ((bio = BIO_new_mem_buf(pem, (int)len)) != NULL) {
		if (priv) {
			*out = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
		} else if ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
			*out = X509_get_pubkey(x);
		} else {
			BIO_free(bio);
			bio = BIO_new_mem_buf(pem, (int)len);
			*out = bio ? PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL) : NULL;
		}
	}
	X509_free(x);
	BIO_free(bio);
	m2m_freezero(pem, len);
	return *out ? M2M_OK : M2M_E_CERT;
}

static unsigned sign_alg_of(EVP_PKEY *k)
{
	char group[32];

	if (EVP_PKEY_get_base_id(k) == EVP_PKEY_RSA)
		return M2M_ESD_RS256;
	if (EVP_PKEY_get_utf8_string_param(k, "group", group, sizeof(group), NULL) != 1)
		return 0;
	return strcmp(group, "prime256v1") == 0  ? M2M_ESD_ES256
	       : strcmp(group, "secp384r1") == 0 ? M2M_ESD_ES384
	       : strcmp(group, "secp521r1") == 0 ? M2M_ESD_ES512
						 : 0;
}

static m2m_err parse_allow(const char *list, unsigned *out)
{
	char buf[512], *save = NULL, *t;

	*out = 0;
	if (snprintf(buf, sizeof(buf), "%s", list) >= (int)sizeof(buf))
		return M2M_E_INVAL;
	for (t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		unsigned b = m2m_esdata_alg_from_name(t);

		if (b == 0)
			return M2M_E_ESD_ALG;
		*out |= b;
	}
	return *out ? M2M_OK : M2M_E_INVAL;
}

static m2m_err read_stdin(uint8_t **buf, size_t *len, size_t max)
{
	size_t cap = 4096, n = 0, got;
	uint8_t *b = malloc(cap + 1);

	if (b == NULL)
		return M2M_E_NOMEM;
	while ((got = fread(b + n, 1, cap - n, stdin)) > 0) {
		n += got;
		if (n > max) {
			free(b);
			return M2M_E_TOO_LARGE;
		}
		if (n == cap) {
			uint8_t *nb = realloc(b, 2 * cap + 1);

			if (nb == NULL) {
				free(b);
				return M2M_E_NOMEM;
			}
			b = nb;
			cap *= 2;
		}
	}
	if (ferror(stdin)) {
		free(b);
		return M2M_E_IO;
	}
	b[n] = 0;
	*buf = b;
	*len = n;
	return M2M_OK;
}

/* Read, check and advance the direct-mode counter, written back before the key is used. */
static m2m_err counter_take(const char *path, uint64_t *uses)
{
	char buf[32] = "0", *end;
	FILE *f = fopen(path, "r");
	char tmp[4096];
	int fd;

	if (f != NULL) {
		if (fgets(buf, sizeof(buf), f) == NULL)
			buf[0] = '\0';
		fclose(f);
	} else if (errno != ENOENT) {
		return M2M_E_IO;
	}
	errno = 0;
	*uses = strtoull(buf, &end, 10);
	if (errno != 0 || end == buf || (*end != '\0' && *end != '\n'))
		return M2M_E_CONFIG;
	if (*uses >= M2M_ESD_DIRECT_LIMIT)
		return M2M_E_ESD_LIMIT;
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return M2M_E_INVAL;
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600)) < 0)
		return M2M_E_IO;
	f = fdopen(fd, "w");
	if (f == NULL || fprintf(f, "%" PRIu64 "\n", *uses + 1) < 0 || fflush(f) != 0 || fsync(fd) != 0) {
		if (f)
			fclose(f);
		else
			close(fd);
		return M2M_E_IO;
	}
	fclose(f);
	return rename(tmp, path) == 0 ? M2M_OK : M2M_E_IO;
}

enum { OPT_ALG = 1, OPT_ENC, OPT_KEYFILE, OPT_CERT, OPT_SIGNKEY, OPT_KID, OPT_CTY, OPT_COUNTER, OPT_JSON, OPT_KEY, OPT_ALLOW,
       OPT_MEF, OPT_MEFCA, OPT_CCERT, OPT_CKEY, OPT_MEFFQDN, OPT_TIMEOUT, OPT_KEYID };

static const struct option opts[] = {
	{"alg", required_argument, NULL, OPT_ALG},       {"enc", required_argument, NULL, OPT_ENC},
	{"key-file", required_argument, NULL, OPT_KEYFILE}, {"cert", required_argument, NULL, OPT_CERT},
	{"sign-key", required_argument, NULL, OPT_SIGNKEY}, {"kid", required_argument, NULL, OPT_KID},
	{"cty", required_argument, NULL, OPT_CTY},       {"counter-file", required_argument, NULL, OPT_COUNTER},
	{"json", no_argument, NULL, OPT_JSON},           {"key", required_argument, NULL, OPT_KEY},
	{"allow", required_argument, NULL, OPT_ALLOW},   {"mef", required_argument, NULL, OPT_MEF},
	{"mef-ca", required_argument, NULL, OPT_MEFCA},  {"client-cert", required_argument, NULL, OPT_CCERT},
	{"client-key", required_argument, NULL, OPT_CKEY}, {"mef-fqdn", required_argument, NULL, OPT_MEFFQDN},
	{"timeout", required_argument, NULL, OPT_TIMEOUT}, {"key-id", required_argument, NULL, OPT_KEYID},
	{NULL, 0, NULL, 0},
};

struct args {
	unsigned alg, enc, allow;
	const char *key_files[MAX_CREDS], *certs[MAX_CREDS], *keys[MAX_CREDS], *kids[MAX_CREDS];
	size_t nkf, ncert, nkey, nkid;
	const char *sign_key, *cty, *counter;
	bool json;
	cli_tef_opts tef; /* tef.mef set: one more key, fetched from the MEF */
};

static int parse(int argc, char **argv, struct args *a)
{
	int c;

	memset(a, 0, sizeof(*a));
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case OPT_ALG:
			if ((a->alg = m2m_esdata_alg_from_name(optarg)) == 0) {
				cli_errorf("esdata: unknown --alg %s", optarg);
				return CLI_USAGE;
			}
			break;
		case OPT_ENC:
			a->enc = m2m_esdata_alg_from_name(optarg);
			if ((a->enc & M2M_ESD_ENC_MASK) == 0) {
				cli_errorf("esdata: unknown --enc %s", optarg);
				return CLI_USAGE;
			}
			break;
#define PUSH(arr, n) \
	do { \
		if (a->n >= MAX_CREDS) { \
			cli_errorf("esdata: at most %d credentials", MAX_CREDS); \
			return CLI_USAGE; \
		} \
		a->arr[a->n++] = optarg; \
	} while (0)
		case OPT_KEYFILE:
			PUSH(key_files, nkf);
			break;
		case OPT_CERT:
			PUSH(certs, ncert);
			break;
		case OPT_KEY:
			PUSH(keys, nkey);
			break;
		case OPT_KID:
			PUSH(kids, nkid);
			break;
#undef PUSH
		case OPT_SIGNKEY:
			a->sign_key = optarg;
			break;
		case OPT_CTY:
			a->cty = optarg;
			break;
		case OPT_COUNTER:
			a->counter = optarg;
			break;
		case OPT_JSON:
			a->json = true;
			break;
		case OPT_MEF:
			a->tef.mef = optarg;
			break;
		case OPT_MEFCA:
			a->tef.mef_ca = optarg;
			break;
		case OPT_CCERT:
			a->tef.client_cert = optarg;
			break;
		case OPT_CKEY:
			a->tef.client_key = optarg;
			break;
		case OPT_MEFFQDN:
			a->tef.mef_fqdn = optarg;
			break;
		case OPT_TIMEOUT:
			a->tef.timeout = optarg;
			break;
		case OPT_KEYID:
			a->tef.key_id = optarg;
			break;
		case OPT_ALLOW:
			if (parse_allow(optarg, &a->allow) != M2M_OK) {
				cli_errorf("esdata: bad --allow list");
				return CLI_USAGE;
			}
			break;
		default:
			return cli_bad_option("esdata", argv);
		}
	}
	if (a->tef.mef == NULL && (a->tef.key_id || a->tef.mef_ca || a->tef.client_cert || a->tef.client_key))
		return cli_errorf("esdata: --key-id, --mef-ca, --client-cert and --client-key go with --mef"), CLI_USAGE;
	return cli_no_operands("esdata", argc, argv);
}

/* The key of --mef/--key-id (NULL without --mef). Its SUID must fit the use (TS-0004 Table
 * 6.3.4.2.39-1): 14/24 encryption only (dir, A*KW), 15/25 signature only (HS*); a key of the
 * other usage is refused before anything is read or written. */
static int tef_key(const struct args *a, bool sign, m2m_key **key)
{
	int suid = 0, rc;

	*key = NULL;
	if (a->tef.mef == NULL)
		return CLI_OK;
	if ((rc = cli_esdata_tef_key(&a->tef, key, &suid)) != CLI_OK)
		return rc;
	if (sign != (suid == 15 || suid == 25)) {
		cli_errorf("esdata: key %s has SUID %d: it is for %s only (TS-0004 Table 6.3.4.2.39-1)", m2m_key_id(*key),
			   suid, sign ? "encryption" : "signatures");
		m2m_key_free(*key);
		*key = NULL;
		return CLI_FAIL;
	}
	return CLI_OK;
}

static int fail(const char *what, m2m_err r)
{
	cli_errorf("esdata: %s: %s: %s", what, m2m_errname(r), m2m_strerror(r));
	return CLI_FAIL;
}

static int do_protect(struct args *a)
{
	struct creds cr = {0};
	m2m_esdata_cred rc[MAX_CREDS], sc;
	m2m_esdata_protect_opts po = {.ser = a->json ? M2M_ESD_JSON : M2M_ESD_COMPACT,
				      .enc = a->enc ? a->enc : M2M_ESD_A256GCM, .cty = a->cty};
	EVP_PKEY *sk = NULL;
	m2m_key *hk = NULL;
	uint64_t uses = 0;
	uint8_t *pt = NULL;
	size_t ptlen = 0, k = 0;
	char *out = NULL;
	m2m_err r = M2M_OK;
	int rc_exit = CLI_FAIL;

	if (a->alg == 0) {
		cli_errorf("esdata: protect needs --alg");
		return CLI_USAGE;
	}
	if (a->alg & M2M_ESD_SIG_MASK) { /* Signature-only */
		sc = (m2m_esdata_cred){.alg = a->alg, .kid = a->nkid ? a->kids[0] : NULL};
		if (a->alg & M2M_ESD_HS_MASK) {
			if (a->nkf + (a->tef.mef != NULL) != 1)
				return cli_errorf("esdata: HS* takes one --key-file or --mef key"), CLI_USAGE;
			if (a->tef.mef != NULL) {
				if ((rc_exit = tef_key(a, true, &hk)) != CLI_OK)
					return rc_exit;
				rc_exit = CLI_FAIL;
				sc.kid = m2m_key_id(hk); /* the Credential-ID is the kid */
			} else {
				r = load_key_file(a->key_files[0], &hk);
			}
			sc.key = hk;
		} else {
			if (a->tef.mef != NULL)
				return cli_errorf("esdata: a --mef key signs with HS* only"), CLI_USAGE;
			if (a->sign_key == NULL)
				return cli_errorf("esdata: %s needs --sign-key", m2m_esdata_alg_name(a->alg)), CLI_USAGE;
			r = load_pem(a->sign_key, true, &sk);
			sc.pkey = sk;
		}
		po.signers = &sc;
		po.nsigners = 1;
	} else {
		if (a->nkf + a->ncert + (a->tef.mef != NULL) == 0)
			return cli_errorf("esdata: protect needs --key-file, --cert or --mef"), CLI_USAGE;
		if (a->nkf + a->ncert + (a->tef.mef != NULL) > MAX_CREDS)
			return cli_errorf("esdata: at most %d credentials", MAX_CREDS), CLI_USAGE;
		for (size_t i = 0; i < a->nkf && r == M2M_OK; i++, k++) {
			r = load_key_file(a->key_files[i], &cr.keys[cr.nkeys]);
			rc[k] = (m2m_esdata_cred){.alg = a->alg, .key = cr.keys[cr.nkeys++]};
		}
		for (size_t i = 0; i < a->ncert && r == M2M_OK; i++, k++) {
			r = load_pem(a->certs[i], false, &cr.pkeys[cr.npkeys]);
			rc[k] = (m2m_esdata_cred){.alg = a->alg, .pkey = cr.pkeys[cr.npkeys++]};
		}
		for (size_t i = 0; i < k && i < a->nkid; i++)
			rc[i].kid = a->kids[i];
		if (r == M2M_OK && a->tef.mef != NULL) { /* the MEF's key last, its Credential-ID as kid */
			if ((rc_exit = tef_key(a, false, &cr.keys[cr.nkeys])) != CLI_OK)
				goto out;
			rc_exit = CLI_FAIL;
			rc[k] = (m2m_esdata_cred){.alg = a->alg, .key = cr.keys[cr.nkeys], .kid = m2m_key_id(cr.keys[cr.nkeys])};
			cr.nkeys++;
			k++;
		}
		po.rcpts = rc;
		po.nrcpts = k;
		if (r == M2M_OK && a->sign_key) { /* Nested */
			r = load_pem(a->sign_key, true, &sk);
			sc = (m2m_esdata_cred){.alg = sk ? sign_alg_of(sk) : 0, .pkey = sk};
			po.signers = &sc;
			po.nsigners = 1;
		}
		if (r == M2M_OK && a->alg == M2M_ESD_DIR) {
			if (a->counter == NULL) {
				cli_errorf("esdata: dir needs --counter-file (TS-0003 clause 8.5.2.2.1)");
				rc_exit = CLI_USAGE;
				goto out;
			}
			/* the persisted count is advanced first; the library sees the value before */
			r = counter_take(a->counter, &uses);
			po.direct_uses = &uses;
		}
	}
	if (r != M2M_OK) {
		rc_exit = fail("credentials", r);
		goto out;
	}
	if ((r = read_stdin(&pt, &ptlen, M2M_ESD_MAX_PLAINTEXT)) != M2M_OK ||
	    (r = m2m_esdata_protect(pt, ptlen, &po, &out, NULL)) != M2M_OK) {
		rc_exit = fail("protect", r);
		goto out;
	}
	puts(out);
	rc_exit = fflush(stdout) == 0 ? CLI_OK : CLI_FAIL;
out:
	free(out);
	m2m_freezero(pt, ptlen);
	m2m_key_free(hk);
	EVP_PKEY_free(sk);
	creds_free(&cr);
	return rc_exit;
}

/* Every algorithm a key of this length or type can serve. */
static void add_all(struct creds *cr, const m2m_key *key, EVP_PKEY *pkey, bool verify, const char *kid)
{
	static const unsigned sym[] = {M2M_ESD_DIR, M2M_ESD_A128KW, M2M_ESD_A192KW, M2M_ESD_A256KW,
				       M2M_ESD_HS256, M2M_ESD_HS384, M2M_ESD_HS512};
	static const unsigned asym_dec[] = {M2M_ESD_RSA_OAEP_256, M2M_ESD_ECDH_ES, M2M_ESD_ECDH_ES_A128KW,
					    M2M_ESD_ECDH_ES_A192KW, M2M_ESD_ECDH_ES_A256KW};
	static const unsigned asym_ver[] = {M2M_ESD_RS256, M2M_ESD_RS384, M2M_ESD_RS512,
					    M2M_ESD_ES256, M2M_ESD_ES384, M2M_ESD_ES512};
	const unsigned *t = key ? sym : verify ? asym_ver : asym_dec;
	size_t n = key ? 7 : verify ? 6 : 5;

	for (size_t i = 0; i < n && cr->n < sizeof(cr->c) / sizeof(cr->c[0]); i++)
		cr->c[cr->n++] = (m2m_esdata_cred){.alg = t[i], .key = key, .pkey = pkey, .kid = kid};
}

static int do_open(struct args *a, bool verify)
{
	struct creds dec = {0}, ver = {0};
	m2m_esdata_open_opts oo = {.algs = a->allow};
	m2m_esdata_info info;
	uint8_t *in = NULL, *pt = NULL;
	size_t inlen = 0, ptlen = 0;
	m2m_err r = M2M_OK;
	int rc = CLI_FAIL;

	for (size_t i = 0; i < a->nkf && r == M2M_OK; i++) {
		if ((r = load_key_file(a->key_files[i], &dec.keys[dec.nkeys])) == M2M_OK)
			add_all(verify ? &ver : &dec, dec.keys[dec.nkeys++], NULL, verify, NULL);
	}
	for (size_t i = 0; i < a->nkey && r == M2M_OK; i++) {
		if ((r = load_pem(a->keys[i], true, &dec.pkeys[dec.npkeys])) == M2M_OK)
			add_all(&dec, NULL, dec.pkeys[dec.npkeys++], false, NULL);
	}
	for (size_t i = 0; i < a->ncert && r == M2M_OK; i++) {
		if ((r = load_pem(a->certs[i], false, &ver.pkeys[ver.npkeys])) == M2M_OK)
			add_all(&ver, NULL, ver.pkeys[ver.npkeys++], true, NULL);
	}
	if (r == M2M_OK && a->tef.mef != NULL) {
		/* matched only against objects whose kid is the key's Credential-ID */
		if (dec.nkeys >= MAX_CREDS) {
			cli_errorf("esdata: at most %d credentials", MAX_CREDS);
			rc = CLI_USAGE;
			goto out;
		}
		if ((rc = tef_key(a, verify, &dec.keys[dec.nkeys])) != CLI_OK)
			goto out;
		rc = CLI_FAIL;
		add_all(verify ? &ver : &dec, dec.keys[dec.nkeys], NULL, verify, m2m_key_id(dec.keys[dec.nkeys]));
		dec.nkeys++;
	}
	if (r != M2M_OK) {
		rc = fail("credentials", r);
		goto out;
	}
	if (!verify && dec.n == 0) {
		cli_errorf("esdata: decrypt needs --key-file or --key");
		rc = CLI_USAGE;
		goto out;
	}
	if (verify && ver.n == 0) {
		cli_errorf("esdata: verify needs --key-file or --cert");
		rc = CLI_USAGE;
		goto out;
	}
	oo.keys = dec.c;
	oo.nkeys = dec.n;
	oo.verifiers = ver.c;
	oo.nverifiers = ver.n;
	oo.expect = verify ? M2M_ESD_CLASS_SIG : a->ncert ? M2M_ESD_CLASS_NESTED : M2M_ESD_CLASS_ENC;
	if ((r = read_stdin(&in, &inlen, M2M_ESD_MAX_LEN)) != M2M_OK ||
	    (r = m2m_esdata_open((const char *)in, inlen, &oo, &pt, &ptlen, &info)) != M2M_OK) {
		rc = fail(verify ? "verify" : "decrypt", r);
		goto out;
	}
	rc = fwrite(pt, 1, ptlen, stdout) == ptlen && fflush(stdout) == 0 ? CLI_OK : CLI_FAIL;
out:
	free(in);
	m2m_freezero(pt, ptlen);
	creds_free(&dec);
	creds_free(&ver);
	return rc;
}

int cli_esdata_main(int argc, char **argv)
{
	struct args a;
	int rc;

	if (argc < 2 || cli_wants_help(argc, argv)) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? CLI_USAGE : CLI_OK;
	}
	if ((rc = parse(argc - 1, argv + 1, &a)) != -1)
		return rc;
	if (strcmp(argv[1], "protect") == 0)
		return do_protect(&a);
	if (strcmp(argv[1], "decrypt") == 0)
		return do_open(&a, false);
	if (strcmp(argv[1], "verify") == 0)
		return do_open(&a, true);
	cli_errorf("esdata: unknown action %s (protect, decrypt, verify)", argv[1]);
	return CLI_USAGE;
}
