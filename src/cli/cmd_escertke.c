/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements `m2msec escertke`: the ESCertKE Initiating End-Point (TS-0003 clause 8.7,
 * TS-0001 clause 11.4.3, TS-0004 clause 7.5.1.2.12). The four ESCertKE messages (tls/escertke.c)
 * travel in two NOTIFY request/response pairs with `seci` sit 6 to the Terminating End-Point's
 * <CSEBase> (its absolute CSE-ID, TS-0001 clause 11.4.2 NOTE 2) over hop-by-hop HTTPS to --to (any CSE on
 * the way). On success the pairwiseE2EKey is written (hex, 0600) to --out and its identifier
 * hex(pairwiseE2EKeyID)@<the target CSE's domain name> to --out.kid and standard output: an
 * ESPrim key file and its key id. A blocking client: a command, not a loop.
 */
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/pem.h>

#include "cli/cli.h"
#include "enrolee/enrolee_int.h"
#include "m2msec/escertke.h"
#include "m2msec/id.h"
#include "m2msec/mem.h"
#include "m2msec/seci_e2e.h"
#include "tls/tls_int.h"

static const char usage_text[] =
	"usage: m2msec escertke --to https://HOST:PORT --target CSE-ID --cert PEM --key PEM --ca PEM --out FILE\n"
	"                       [--from ID] [--tls-ca PEM] [--tls-cert PEM --tls-key PEM | --psk-id ID --psk-file F]\n"
	"                       [--name NAME]\n"
	"                       [--timeout SECONDS]\n\n"
	"Establish a pairwiseE2EKey with a CSE by ESCertKE (TS-0003 8.7): a TLS 1.2 certificate handshake\n"
	"carried in two NOTIFYs (seci sit 6) to the target's <CSEBase>, through --to (the target itself\n"
	"or a transit CSE). Prints the key identifier and writes FILE (the key, hex, 0600) and FILE.kid.\n\n"
	"  --to URL          the CSE this client talks to (hop-by-hop HTTPS)\n"
	"  --target CSE-ID   the Terminating End-Point, an absolute CSE-ID (//sp.example.com/id-in)\n"
	"  --cert, --key     this end-point's certificate (AE-ID or CSE-ID in its SAN) and key (0600)\n"
	"  --ca PEM          the CA(s) the target's certificate must chain to\n"
	"  --from ID         the From of the NOTIFYs (default: from --cert, the AE-ID-Stem or\n"
	"                    SP-relative CSE-ID)\n"
	"  --tls-ca PEM      CA of the hop's server certificate (default --ca)\n"
	"  --tls-cert/--tls-key  the hop's client certificate (default --cert/--key)\n"
	"  --psk-id ID, --psk-file F  the hop over TLS-PSK instead (KpsaID, key hex in a 0600 file)\n"
	"  --name NAME       the name the hop's server certificate carries (default: HOST)\n"
	"  --timeout S       total deadline (default 30)\n\n"
	"exit status: 0 established, 1 runtime failure (unreachable, refused: RSC printed), 2 bad usage\n";

enum { E_TO = 1, E_TARGET, E_CERT, E_KEY, E_CA, E_OUT, E_FROM, E_TLS_CA, E_TLS_CERT, E_TLS_KEY, E_NAME, E_TIMEOUT,
       E_PSK_ID, E_PSK_FILE, E_N };

struct eck_cli {
	const char *v[E_N];
	char host[256], port[8], path[1100], from[M2M_SA_ID_MAX], sp[300], fqdn[256];
	SSL_CTX *hop;
	int64_t deadline;
	uint8_t psk[64]; /* the hop's TLS-PSK (--psk-file), psk_len 0 = certificate hop */
	size_t psk_len;
};

/* The hop's PSK (TS-0003 8.2.2.1: psk_identity = the KpsaID). */
static unsigned int hop_psk_cb(SSL *ssl, const char *hint, char *identity, unsigned int max_id, unsigned char *psk,
			       unsigned int max_psk)
{
	const struct eck_cli *e = SSL_get_app_data(ssl);
	size_t il;

	(void)hint;
	if (e == NULL || (il = strlen(e->v[E_PSK_ID])) + 1 > max_id || e->psk_len > max_psk)
		return 0;
	memcpy(identity, e->v[E_PSK_ID], il + 1);
	memcpy(psk, e->psk, e->psk_len);
	return (unsigned int)e->psk_len;
}

/* The identity this end-point's certificate names (tls/peer.c mapping), the default From. */
static m2m_err own_identity(struct eck_cli *e)
{
	FILE *f = fopen(e->v[E_CERT], "r");
	X509 *x = f != NULL ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
	m2m_sa sa;
	m2m_err r;

	if (f != NULL)
		fclose(f);
	if (x == NULL)
		return M2M_E_CERT;
	r = m2mi_peer_binding(x, e->sp + 2, &sa);
	X509_free(x);
	if (r == M2M_OK && sa.bound_id[0] == '\0')
		r = M2M_E_CERT_NAME;
	if (r != M2M_OK)
		return r;
	/* the form an originator gives its Registrar CSE as From: an AE its AE-ID-Stem
	 * (the last segment of "//sp/cse/Cstem"), a CSE its SP-relative CSE-ID ("/id-mn") */
	if (sa.entity == M2M_ENTITY_AE)
		snprintf(e->from, sizeof(e->from), "%s", strrchr(sa.bound_id, '/') + 1);
	else
		snprintf(e->from, sizeof(e->from), "%s", sa.bound_id + strlen(e->sp));
	return M2M_OK;
}

/* One NOTIFY carrying message in, the answer's message into *out. */
static int notify(struct eck_cli *e, const uint8_t *in, size_t n, uint8_t **out, size_t *on)
{
	m2m_seci_e2e s = {.sit = M2M_SECI_ESCERTKE, .eckm = (uint8_t *)in, .eckm_len = n}, got;
	char origin[M2M_SA_ID_MAX + 16], *body = NULL;
	const char *hdr[] = {"Content-Type: application/json", "Accept: application/json", origin, NULL};
	m2mi_enr_conn c;
	m2mi_enr_rsp rsp;
	m2m_err r;
	int rc = CLI_FAIL;

	snprintf(origin, sizeof(origin), "X-M2M-Origin: %s", e->from);
	if (m2m_seci_e2e_encode(&s, &body) != M2M_OK)
		return cli_fail("escertke", M2M_E_NOMEM);
	if ((r = m2mi_enr_connect(e->hop, e, e->host, e->port, e->v[E_NAME] ? e->v[E_NAME] : e->host, e->deadline,
				  &c)) != M2M_OK) {
		free(body);
		cli_errorf("escertke: %s: %s", e->v[E_TO], r == M2M_E_AUTH ? "TLS handshake refused" : "unreachable");
		return CLI_FAIL;
	}
	r = m2mi_enr_http(&c, "POST", e->path, hdr, body, strlen(body), &rsp);
	m2mi_enr_close(&c);
	free(body);
	if (r != M2M_OK) {
		cli_errorf("escertke: %s: no answer (%s)", e->v[E_TO], m2m_strerror(r));
		return CLI_FAIL;
	}
	if (rsp.rsc != 2000) {
		json_t *j = rsp.body != NULL ? json_loadb(rsp.body, rsp.blen, 0, NULL) : NULL;
		const char *dbg = json_string_value(json_object_get(j, "m2m:dbg"));
		char why[256];

		snprintf(why, sizeof(why), "%s", dbg != NULL ? dbg : "refused");
		for (char *p = why; *p != '\0'; p++)
			if ((unsigned char)*p < 0x20)
				*p = ' ';
		cli_errorf("escertke: the CSE refused: RSC %d: %s", rsp.rsc, why);
		json_decref(j);
	} else if (rsp.body == NULL || m2m_seci_e2e_decode(rsp.body, rsp.blen, 0, &got) != M2M_OK ||
		   got.sit != M2M_SECI_ESCERTKE) {
		cli_errorf("escertke: the answer carries no ESCertKE message (seci sit 6)");
	} else {
		*out = got.eckm;
		*on = got.eckm_len;
		got.eckm = NULL;
		m2m_seci_e2e_clear(&got);
		rc = CLI_OK;
	}
	m2mi_enr_rsp_clear(&rsp);
	return rc;
}

static int write_out(const char *file, const m2m_key *key, const char *kid)
{
	char *d1 = strdup(file), *d2 = strdup(file), hex[2 * 64 + 2], kname[512];
	size_t n = 0;
	m2m_err r = M2M_E_NOMEM;

	if (d1 != NULL && d2 != NULL && (r = m2m_key_export_hex(key, hex, sizeof(hex) - 1)) == M2M_OK) {
		n = strlen(hex);
		hex[n] = '\n';
		snprintf(kname, sizeof(kname), "%s.kid", basename(d2));
		/* the id first: a key file without its id is never left behind */
		if ((r = m2mi_enr_write_file(dirname(d1), kname, kid, strlen(kid), 0644)) == M2M_OK) {
			free(d1);
			free(d2);
			d1 = strdup(file);
			d2 = strdup(file);
			r = d1 && d2 ? m2mi_enr_write_file(dirname(d1), basename(d2), hex, n + 1, 0600) : M2M_E_NOMEM;
		}
	}
	m2m_memzero(hex, sizeof(hex));
	free(d1);
	free(d2);
	if (r != M2M_OK) {
		cli_errorf("escertke: --out %s: %s", file, m2m_strerror(r));
		return CLI_FAIL;
	}
	return CLI_OK;
}

static int run(struct eck_cli *e)
{
	m2m_escertke_config ec = {.cert_file = e->v[E_CERT], .key_file = e->v[E_KEY], .trust_anchors = e->v[E_CA],
				  .sp_id = e->sp, .cse_id = e->v[E_TARGET] + strlen(e->sp)};
	m2m_escertke_ctx *ctx = NULL;
	m2m_escertke *s = NULL;
	uint8_t *m[5] = {NULL};
	size_t n[5] = {0};
	m2m_key *key = NULL;
	char kid[M2M_SA_ID_MAX], msg[256];
	m2m_err r;
	int rc = CLI_FAIL;

	if ((r = m2m_escertke_ctx_new(&ec, true, &ctx, msg, sizeof(msg))) != M2M_OK) {
		cli_errorf("escertke: %s%s%s", m2m_strerror(r), msg[0] ? ": " : "", msg);
		return r == M2M_E_KEY_PERMS ? CLI_FAIL : CLI_USAGE;
	}
	if ((r = m2mi_enr_ctx_new(e->v[E_TLS_CA] ? e->v[E_TLS_CA] : e->v[E_CA], e->psk_len ? hop_psk_cb : NULL,
				  e->v[E_TLS_CERT] ? e->v[E_TLS_CERT] : e->v[E_CERT],
				  e->v[E_TLS_KEY] ? e->v[E_TLS_KEY] : e->v[E_KEY], &e->hop)) != M2M_OK) {
		cli_errorf("escertke: hop-by-hop TLS credentials: %s", m2m_strerror(r));
		rc = CLI_USAGE;
		goto out;
	}
	if ((r = m2m_escertke_new(ctx, e->v[E_TARGET], &s)) != M2M_OK ||
	    (r = m2m_escertke_step(s, NULL, 0, &m[1], &n[1])) != M2M_OK) {
		cli_fail("escertke", r);
		goto out;
	}
	if (notify(e, m[1], n[1], &m[2], &n[2]) != CLI_OK)
		goto out;
	if ((r = m2m_escertke_step(s, m[2], n[2], &m[3], &n[3])) != M2M_OK) {
		cli_errorf("escertke: message 2 refused: %s", m2m_strerror(r));
		goto out;
	}
	if (notify(e, m[3], n[3], &m[4], &n[4]) != CLI_OK)
		goto out;
	if ((r = m2m_escertke_step(s, m[4], n[4], &m[0], &n[0])) != M2M_OK ||
	    (r = m2m_escertke_export(s, e->fqdn, &key, kid, sizeof(kid))) != M2M_OK) {
		cli_errorf("escertke: message 4 refused: %s", m2m_strerror(r));
		goto out;
	}
	if ((rc = write_out(e->v[E_OUT], key, kid)) == CLI_OK)
		printf("%s\n", kid);
out:
	for (int i = 0; i < 5; i++)
		free(m[i]);
	m2m_key_free(key);
	m2m_escertke_free(s);
	m2m_escertke_ctx_free(ctx);
	SSL_CTX_free(e->hop);
	return rc;
}

/* --to, --target: host, port, the NOTIFY path ("/_/sp/id" for //sp/id) and the key FQDN. */
static int parse_targets(struct eck_cli *e)
{
	const char *t = e->v[E_TARGET], *slash, *path;
	char auth[300];
	m2m_id *id = NULL;
	int ok;

	if (strncmp(e->v[E_TO], "https://", 8) != 0 || !m2mi_enr_uri_split(e->v[E_TO], auth, sizeof(auth), &path) ||
	    m2mi_enr_split_hostport(auth, e->host, sizeof(e->host), e->port, sizeof(e->port)) != M2M_OK) {
		cli_errorf("escertke: --to must be https://HOST[:PORT]");
		return CLI_USAGE;
	}
	if (strncmp(t, "//", 2) != 0 || (slash = strchr(t + 2, '/')) == NULL ||
	    (size_t)(slash - t) >= sizeof(e->sp) || m2m_id_parse(slash, strlen(slash), M2M_ID_CSE_ID, &id) != M2M_OK) {
		cli_errorf("escertke: --target must be an absolute CSE-ID (//sp.example.com/id-in)");
		return CLI_USAGE;
	}
	snprintf(e->sp, sizeof(e->sp), "%.*s", (int)(slash - t), t);
	ok = m2m_id_cse_domain_name(id, e->sp + 2, e->fqdn, sizeof(e->fqdn)) == M2M_OK;
	m2m_id_free(id);
	/* TS-0009 clause 6.2.2.1: "/_/" + the absolute CSE-ID without its "//" addresses its
	 * <CSEBase> (the "/." of TS-0001 11.4.2 NOTE 2 is no valid HTTP path segment there) */
	if (!ok || snprintf(e->path, sizeof(e->path), "/_/%s", t + 2) >= (int)sizeof(e->path)) {
		cli_errorf("escertke: --target: no domain name for this CSE-ID");
		return CLI_USAGE;
	}
	return -1;
}

int cli_escertke_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"to", required_argument, NULL, E_TO}, {"target", required_argument, NULL, E_TARGET},
		{"cert", required_argument, NULL, E_CERT}, {"key", required_argument, NULL, E_KEY},
		{"ca", required_argument, NULL, E_CA}, {"out", required_argument, NULL, E_OUT},
		{"from", required_argument, NULL, E_FROM}, {"tls-ca", required_argument, NULL, E_TLS_CA},
		{"tls-cert", required_argument, NULL, E_TLS_CERT}, {"tls-key", required_argument, NULL, E_TLS_KEY},
		{"name", required_argument, NULL, E_NAME}, {"timeout", required_argument, NULL, E_TIMEOUT},
		{"psk-id", required_argument, NULL, E_PSK_ID}, {"psk-file", required_argument, NULL, E_PSK_FILE},
		{NULL, 0, NULL, 0}};
	struct eck_cli e;
	long timeout = 30;
	char *end;
	int c, rc;

	memset(&e, 0, sizeof(e));
	if (cli_wants_help(argc, argv)) {
		fputs(usage_text, stdout);
		return CLI_OK;
	}
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c <= 0 || c >= E_N)
			return cli_bad_option("escertke", argv);
		e.v[c] = optarg;
	}
	if (cli_no_operands("escertke", argc, argv) != -1)
		return CLI_USAGE;
	if (!e.v[E_TO] || !e.v[E_TARGET] || !e.v[E_CERT] || !e.v[E_KEY] || !e.v[E_CA] || !e.v[E_OUT] ||
	    (e.v[E_TLS_CERT] == NULL) != (e.v[E_TLS_KEY] == NULL) || (e.v[E_PSK_ID] == NULL) != (e.v[E_PSK_FILE] == NULL) ||
	    (e.v[E_PSK_ID] != NULL && e.v[E_TLS_CERT] != NULL)) {
		fputs(usage_text, stderr);
		return CLI_USAGE;
	}
	if (e.v[E_TIMEOUT] != NULL && ((timeout = strtol(e.v[E_TIMEOUT], &end, 10)) < 1 || timeout > 3600 || *end)) {
		cli_errorf("escertke: --timeout must be 1..3600 seconds");
		return CLI_USAGE;
	}
	if ((rc = parse_targets(&e)) != -1)
		return rc;
	if (e.v[E_FROM] != NULL) {
		snprintf(e.from, sizeof(e.from), "%s", e.v[E_FROM]);
	} else if (own_identity(&e) != M2M_OK) {
		cli_errorf("escertke: --cert names no AE-ID or CSE-ID usable as From (give --from)");
		return CLI_USAGE;
	}
	if (e.v[E_PSK_FILE] != NULL) {
		m2m_err r = cli_secret_hex(NULL, e.v[E_PSK_FILE], 1024, e.psk, sizeof(e.psk), &e.psk_len);

		if (r != M2M_OK || e.psk_len < 16) {
			m2m_memzero(e.psk, sizeof(e.psk));
			cli_errorf("escertke: --psk-file: %s", r != M2M_OK ? m2m_strerror(r) : "a key of 16..64 bytes in hex");
			return r == M2M_E_KEY_PERMS || r == M2M_E_IO ? CLI_FAIL : CLI_USAGE;
		}
	}
	e.deadline = m2mi_enr_now_ms() + timeout * 1000;
	rc = run(&e);
	m2m_memzero(e.psk, sizeof(e.psk));
	return rc;
}
