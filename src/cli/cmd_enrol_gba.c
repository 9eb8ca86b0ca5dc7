/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements `m2msec enrol --gba`: the enrolee as GBA UE (TS-0003 clause 8.3.2.3; 3GPP
 * TS 33.220 clause 4.5.2 Ub, RFC 3310, TS 24.109 clause 5.2) with a software USIM (m2msec/aka.h)
 * against the MEF's BSF (`[mef] bsf-listen`, docs/procedures/gba.md). Ub is HTTPS with server
 * authentication only: the BSF's certificate is verified against --bsf-ca and its name. Writes
 * DIR/btid, DIR/ks (0600), DIR/sqn (the USIM's SQN_MS, 0600, read back by the next run) and, with
 * --naf-fqdn, DIR/target.psk = Ks_NAF for that Enrolment Target (TS 33.220 Annex B.3, NAF_Id =
 * FQDN || the oneM2M Ua identifier of m2msec/gba.h). A blocking client: a command, not a loop.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <openssl/bio.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>

#include "cli/cli.h"
#include "enrolee/enrolee_int.h"
#include "m2msec/file.h"
#include "m2msec/gba_ub.h"
#include "m2msec/hex.h"
#include "m2msec/gba_zn.h"
#include "m2msec/mem.h"

#define RSP_MAX 16384

static const char usage_gba[] =
	"usage: m2msec enrol --gba --bsf HOST:PORT --bsf-ca FILE --impi ID --k-file F --opc-file F --out DIR\n"
	"                    [--naf-fqdn FQDN [--naf-key KIND]] [--bsf-fqdn NAME]\n\n"
	"Bootstrap with GBA (TS-0003 8.3.2.3, 3GPP TS 33.220 Ub, HTTP Digest AKA) against the MEF's BSF\n"
	"as a software USIM. Prints the B-TID and writes into DIR (created 0700):\n"
	"  btid        the B-TID (base64(RAND)@BSF-FQDN)\n"
	"  ks          Ks = CK || IK (hex, 0600)\n"
	"  sqn         the USIM's SQN_MS (hex, 0600; read back by the next run)\n"
	"  target.psk  with --naf-fqdn: the NAF key for that Enrolment Target (hex, 0600)\n\n"
	"  --bsf HOST:PORT   the MEF's bsf-listen\n"
	"  --bsf-ca FILE     CA bundle of the MEF's certificate\n"
	"  --impi ID         the IMS private identity of the subscription\n"
	"  --k-file F, --opc-file F   K and OPc: 16 bytes as 32 hex digits in 0600 files\n"
	"  --naf-fqdn FQDN   the Enrolment Target's FQDN (NAF_Id = FQDN || Ua identifier)\n"
	"  --naf-key KIND    ks-naf (GBA_ME, default), ks-ext-naf or ks-int-naf (GBA_U: the client\n"
	"                    in the UICC; the target's gba-naf-key must match, docs/procedures/gba.md)\n"
	"  --bsf-fqdn NAME   the name the BSF certificate must carry (default: HOST)\n\n"
	"exit status: 0 bootstrapped, 1 runtime failure (BSF unreachable, refused or not authentic),\n"
	"2 bad usage or input\n";

enum { G_GBA = 1, G_BSF, G_CA, G_IMPI, G_K, G_OPC, G_OUT, G_NAF, G_NAME, G_KIND, G_N };

struct ub {
	SSL_CTX *ctx;
	const char *bsf, *name;
	int status;
	char www[M2M_DIGEST_HDR_MAX];
	char body[RSP_MAX];
};

/* One GET /bsf with Authorization authz over a fresh verified TLS connection. */
static m2m_err ub_get(struct ub *u, const char *authz)
{
	char req[M2M_DIGEST_HDR_MAX + 512], rsp[RSP_MAX * 2];
	size_t got = 0;
	BIO *b = NULL;
	SSL *ssl = NULL;
	char *eoh, *p;
	int n;
	m2m_err r = M2M_E_IO;

	u->status = 0;
	u->www[0] = u->body[0] = '\0';
	n = snprintf(req, sizeof(req), "GET /bsf HTTP/1.1\r\nHost: %s\r\nAuthorization: %s\r\nConnection: close\r\n\r\n",
		     u->name, authz);
	if (n < 0 || (size_t)n >= sizeof(req))
		return M2M_E_TOO_LARGE;
	if ((b = BIO_new_ssl_connect(u->ctx)) == NULL || BIO_get_ssl(b, &ssl) != 1 || ssl == NULL ||
	    BIO_set_conn_hostname(b, u->bsf) != 1 || SSL_set_tlsext_host_name(ssl, u->name) != 1 ||
	    SSL_set1_host(ssl, u->name) != 1 || BIO_do_connect(b) != 1 || BIO_do_handshake(b) != 1 ||
	    BIO_write(b, req, n) != n)
		goto out;
	while (got < sizeof(rsp) - 1 && (n = BIO_read(b, rsp + got, (int)(sizeof(rsp) - 1 - got))) > 0)
		got += (size_t)n;
	rsp[got] = '\0';
	if (strncmp(rsp, "HTTP/1.1 ", 9) != 0 || (eoh = strstr(rsp, "\r\n\r\n")) == NULL)
		goto out;
	u->status = (int)strtol(rsp + 9, NULL, 10);
	*eoh = '\0';
	for (p = strstr(rsp, "\r\n"); p != NULL; p = strstr(p + 2, "\r\n")) {
		if (strncasecmp(p + 2, "WWW-Authenticate:", 17) == 0) {
			const char *v = p + 19;
			size_t l;
			while (*v == ' ' || *v == '\t')
				v++;
			l = strcspn(v, "\r");
			if (l >= sizeof(u->www))
				goto out;
			memcpy(u->www, v, l);
			u->www[l] = '\0';
		}
	}
	snprintf(u->body, sizeof(u->body), "%s", eoh + 4);
	r = M2M_OK;
out:
	BIO_free_all(b);
	return r;
}

static m2m_err key16(const char *file, m2m_key **out)
{
	uint8_t b[16];
	size_t n = 0;
	m2m_err r = cli_secret_hex(NULL, file, 1024, b, sizeof(b), &n);

	if (r == M2M_OK && n != sizeof(b))
		r = M2M_E_KEY_LEN;
	if (r == M2M_OK)
		r = m2m_key_new(b, sizeof(b), out);
	m2m_memzero(b, sizeof(b));
	return r;
}

/* SQN_MS of the last run (DIR/sqn), 0 when none. */
static m2m_err read_sqn(const char *dir, uint64_t *sqn)
{
	char path[4096], *text = NULL;
	size_t len = 0;
	uint8_t b[M2M_MILENAGE_SQN_LEN];
	size_t n = 0;
	m2m_err r;

	*sqn = 0;
	snprintf(path, sizeof(path), "%s/sqn", dir);
	if ((r = m2m_file_read(path, 64, M2M_FILE_SECRET, &text, &len)) == M2M_E_NOT_FOUND)
		return M2M_OK;
	if (r != M2M_OK)
		return r;
	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r'))
		len--;
	r = len == 12 ? m2m_hex_decode(text, 12, b, sizeof(b), &n) : M2M_E_CONFIG;
	if (r == M2M_OK)
		*sqn = m2m_aka_sqn_decode(b);
	m2m_freezero(text, len + 1);
	return r == M2M_OK ? M2M_OK : M2M_E_CONFIG;
}

static m2m_err write_hex(const char *dir, const char *name, const uint8_t *b, size_t n)
{
	char hex[130];
	m2m_err r;

	if ((r = m2m_hex_encode(b, n, false, hex, sizeof(hex) - 1)) == M2M_OK) {
		size_t l = strlen(hex);
		hex[l] = '\n';
		r = m2mi_enr_write_file(dir, name, hex, l + 1, 0600);
	}
	m2m_memzero(hex, sizeof(hex));
	return r;
}

static m2m_err write_key(const char *dir, const char *name, const m2m_key *k)
{
	size_t n = 0;
	const uint8_t *b = m2m_key_bytes(k, &n);

	return b == NULL ? M2M_E_INVAL : write_hex(dir, name, b, n);
}

/* The Ub exchange (TS 33.220 clause 4.5.2): at most one resynchronisation. */
static int bootstrap(struct ub *u, m2m_usim *usim, const char *impi, char *btid, size_t bcap, m2m_gba_answer *a)
{
	char hdr[M2M_DIGEST_HDR_MAX], cnonce[33];
	uint8_t cb[16];
	m2m_digest ch;
	const char *p, *e;
	m2m_err r;

	snprintf(hdr, sizeof(hdr), "Digest username=\"%s\", realm=\"%s\", nonce=\"\", uri=\"/bsf\", response=\"\"", impi,
		 u->name);
	if (ub_get(u, hdr) != M2M_OK) {
		cli_errorf("enrol: %s: the BSF cannot be reached over verified TLS", u->bsf);
		return CLI_FAIL;
	}
	for (int round = 0; round < 2; round++) {
		if (u->status != 401 || m2m_digest_parse(u->www, strlen(u->www), M2M_DIGEST_CHALLENGE, &ch) != M2M_OK) {
			cli_errorf("enrol: the BSF refused: HTTP %d", u->status);
			return CLI_FAIL;
		}
		if (RAND_bytes(cb, sizeof(cb)) != 1 || m2m_hex_encode(cb, sizeof(cb), false, cnonce, sizeof(cnonce)) != M2M_OK)
			return cli_fail("enrol", M2M_E_CRYPTO);
		r = m2m_gba_ue_answer(usim, &ch, impi, "GET", "/bsf", cnonce, 1, a);
		if (r == M2M_E_AKA_MAC) {
			cli_errorf("enrol: the BSF is not authentic (AUTN does not verify: wrong K/OPc or a forged challenge)");
			return CLI_FAIL;
		}
		if ((r != M2M_OK && r != M2M_E_AKA_SYNC) ||
		    m2m_digest_format_credentials(&a->cred, hdr, sizeof(hdr)) != M2M_OK || ub_get(u, hdr) != M2M_OK) {
			cli_errorf("enrol: %s", m2m_strerror(r == M2M_OK || r == M2M_E_AKA_SYNC ? M2M_E_IO : r));
			return CLI_FAIL;
		}
		if (r == M2M_OK) {
			uint8_t rand[16];
			if (u->status != 200 || (p = strstr(u->body, "<btid>")) == NULL ||
			    (e = strstr(p + 6, "</btid>")) == NULL || (size_t)(e - p - 6) >= bcap) {
				cli_errorf("enrol: the BSF refused: HTTP %d", u->status);
				return CLI_FAIL;
			}
			snprintf(btid, bcap, "%.*s", (int)(e - p - 6), p + 6);
			/* the B-TID must name the RAND this USIM answered (TS 33.220 clause 4.5.2) */
			if (m2m_gba_btid_parse(btid, rand, NULL, 0) != M2M_OK || memcmp(rand, a->rand, 16) != 0) { /* public: RAND */
				cli_errorf("enrol: the BSF answered a B-TID for another RAND");
				return CLI_FAIL;
			}
			return CLI_OK;
		}
		m2m_gba_answer_clear(a); /* AUTS sent: expect a new challenge */
	}
	cli_errorf("enrol: the BSF did not resynchronise");
	return CLI_FAIL;
}

static int run(const char *const v[G_N])
{
	struct ub u = {.bsf = v[G_BSF], .name = v[G_NAME]};
	m2m_key *k = NULL, *opc = NULL, *knaf = NULL;
	m2m_usim *usim = NULL;
	m2m_gba_answer a = {0};
	m2m_kdf *kdf = NULL;
	char btid[M2M_GBA_BTID_MAX], host[256], line[M2M_GBA_BTID_MAX + 1];
	uint8_t naf_id[M2M_GBA_NAF_ID_MAX], sqnb[M2M_MILENAGE_SQN_LEN];
	size_t naf_len = 0;
	uint64_t sqn = 0;
	m2m_gba_naf_kind kind = M2M_GBA_KS_NAF;
	m2m_err r;
	int rc = CLI_FAIL;

	if (u.name == NULL) {
		size_t hl = strcspn(v[G_BSF], ":");
		if (hl == 0 || hl >= sizeof(host))
			return cli_fail("enrol: --bsf", M2M_E_INVAL);
		memcpy(host, v[G_BSF], hl);
		host[hl] = '\0';
		u.name = host;
	}
	if (v[G_KIND] != NULL && (v[G_NAF] == NULL || m2m_gba_naf_kind_parse(v[G_KIND], &kind) != M2M_OK)) {
		cli_errorf("enrol: --naf-key must be ks-naf, ks-ext-naf or ks-int-naf, with --naf-fqdn");
		return CLI_USAGE;
	}
	if (v[G_NAF] != NULL && m2m_gba_naf_id(v[G_NAF], (const uint8_t *)M2M_GBA_UA_ONEM2M_PSK, naf_id, sizeof(naf_id),
					       &naf_len) != M2M_OK) {
		cli_errorf("enrol: --naf-fqdn is not an FQDN (see m2msec enrol --gba --help)");
		return CLI_USAGE;
	}
	if ((r = key16(v[G_K], &k)) != M2M_OK || (r = key16(v[G_OPC], &opc)) != M2M_OK) {
		cli_errorf("enrol: --k-file/--opc-file: %s", r == M2M_E_KEY_LEN || r == M2M_E_TOO_LARGE
								     ? "must hold 16 bytes (32 hex digits)"
								     : m2m_strerror(r));
		rc = r == M2M_E_KEY_PERMS || r == M2M_E_IO ? CLI_FAIL : CLI_USAGE;
		goto out;
	}
	if ((r = m2mi_enr_ensure_dir(v[G_OUT])) != M2M_OK || (r = read_sqn(v[G_OUT], &sqn)) != M2M_OK) {
		cli_errorf("enrol: --out %s: %s", v[G_OUT], m2m_strerror(r));
		goto out;
	}
	if ((u.ctx = SSL_CTX_new(TLS_client_method())) == NULL ||
	    SSL_CTX_set_min_proto_version(u.ctx, TLS1_2_VERSION) != 1 ||
	    SSL_CTX_load_verify_locations(u.ctx, v[G_CA], NULL) != 1) {
		cli_errorf("enrol: --bsf-ca %s: not a readable PEM CA bundle", v[G_CA]);
		rc = CLI_USAGE;
		goto out;
	}
	SSL_CTX_set_verify(u.ctx, SSL_VERIFY_PEER, NULL);
	if ((r = m2m_usim_new(k, opc, sqn, &usim)) != M2M_OK) {
		rc = cli_fail("enrol", r);
		goto out;
	}
	if ((rc = bootstrap(&u, usim, v[G_IMPI], btid, sizeof(btid), &a)) != CLI_OK)
		goto save_sqn;
	snprintf(line, sizeof(line), "%s\n", btid);
	if ((r = m2mi_enr_write_file(v[G_OUT], "btid", line, strlen(line), 0600)) != M2M_OK ||
	    (r = write_key(v[G_OUT], "ks", a.ks)) != M2M_OK ||
	    (v[G_NAF] != NULL &&
	     ((r = m2m_kdf_new(&kdf)) != M2M_OK ||
	      (r = m2m_gba_naf_key(kdf, a.ks, kind, a.rand, v[G_IMPI], naf_id, naf_len, &knaf)) != M2M_OK ||
	      (r = write_key(v[G_OUT], "target.psk", knaf)) != M2M_OK))) {
		cli_errorf("enrol: writing %s: %s", v[G_OUT], m2m_strerror(r));
		rc = CLI_FAIL;
		goto save_sqn;
	}
	printf("%s\n", btid);
	rc = CLI_OK;
save_sqn:
	/* SQN_MS advances only on success; keep it whatever happened after (TS 33.102 clause 6.3.3) */
	if (m2m_usim_sqn_ms(usim) != sqn && (m2m_aka_sqn_encode(m2m_usim_sqn_ms(usim), sqnb) != M2M_OK ||
					     write_hex(v[G_OUT], "sqn", sqnb, sizeof(sqnb)) != M2M_OK)) {
		cli_errorf("enrol: writing %s/sqn failed", v[G_OUT]);
		rc = CLI_FAIL;
	}
out:
	m2m_gba_answer_clear(&a);
	m2m_usim_free(usim);
	m2m_key_free(knaf);
	m2m_kdf_free(kdf);
	m2m_key_free(k);
	m2m_key_free(opc);
	SSL_CTX_free(u.ctx);
	return rc;
}

int cli_enrol_gba_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"gba", no_argument, NULL, G_GBA},           {"bsf", required_argument, NULL, G_BSF},
		{"bsf-ca", required_argument, NULL, G_CA},   {"impi", required_argument, NULL, G_IMPI},
		{"k-file", required_argument, NULL, G_K},    {"opc-file", required_argument, NULL, G_OPC},
		{"out", required_argument, NULL, G_OUT},     {"naf-fqdn", required_argument, NULL, G_NAF},
		{"bsf-fqdn", required_argument, NULL, G_NAME}, {"naf-key", required_argument, NULL, G_KIND},
		{NULL, 0, NULL, 0},
	};
	const char *v[G_N] = {0};
	int c;

	if (cli_wants_help(argc, argv)) {
		fputs(usage_gba, stdout);
		return CLI_OK;
	}
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c <= 0 || c >= G_N || (c != G_GBA && v[c] != NULL)) {
			cli_errorf("enrol: unknown option, missing argument or option given twice (see m2msec enrol --gba --help)");
			return CLI_USAGE;
		}
		v[c] = c == G_GBA ? "" : optarg;
	}
	if (optind != argc || v[G_BSF] == NULL || v[G_CA] == NULL || v[G_IMPI] == NULL || v[G_K] == NULL ||
	    v[G_OPC] == NULL || v[G_OUT] == NULL) {
		cli_errorf("enrol: --gba needs --bsf, --bsf-ca, --impi, --k-file, --opc-file and --out");
		return CLI_USAGE;
	}
	return run(v);
}
