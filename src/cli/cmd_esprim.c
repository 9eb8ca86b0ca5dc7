/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements `m2msec esprim`: the ESPrim Originator for operators and tests (TS-0004
 * clause 7.6.2, TS-0003 clause 8.4.2; docs/procedures/e2e.md, docs/cli.md). It RETRIEVEs the
 * Target (--to, the <CSEBase> or an <AE>) for the shared receiver rand object in esi.esro and,
 * when there is none or it cannot be read, asks for a non-shared one (NOTIFY seci sit 3 -> 4);
 * seals the inner request (m2msec/esprim_orig.h) into the outer NOTIFY (seci sit 5) to the same
 * address, and prints the opened inner response (JSON) on stdout. Hop-by-hop TLS with a
 * certificate (--ca/--cert/--key) or a PSK (--psk-identity/--psk-file). Exit 0 when the inner
 * response is a success (2xxx), 1 on any failure (a refused or unprotected answer, an inner
 * error RSC, a transport error), 2 on usage errors.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <event2/event.h>
#include <jansson.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>

#include "cli/cli.h"
#include "m2msec/esprim_orig.h"
#include "m2msec/mem.h"
#include "m2msec/seci_e2e.h"
#include "remote/httpc.h"

#define ESP_TIMEOUT_MS 15000

typedef struct esp_args {
	const char *to, *key_id, *key_file, *op, *target, *from, *content, *ca, *cert, *key, *psk_id, *psk_file,
		*verify_name, *outer_from;
	int ty;
} esp_args;

/* One exchange's answer. */
typedef struct answer {
	bool done;
	int result, status, rsc;
	char *body;
} answer;

static char psk_identity[256];
static uint8_t psk_key[64];
static size_t psk_len;

static void usage(FILE *f)
{
	fputs("usage: m2msec esprim --to CSE-URL --key-id ID --key-file F --op retrieve|create|update|delete\n"
	      "                     --target PATH --from ID [--ty N --content JSON]\n"
	      "                     [--ca PEM] [--cert PEM --key PEM | --psk-identity ID --psk-file F]\n"
	      "                     [--verify-name NAME] [--outer-from ID]\n\n"
	      "Send one ESPrim-protected request (TS-0004 7.6.2): CSE-URL is https://HOST:PORT/PATH of the\n"
	      "Target's <CSEBase> or <AE>; the inner request (op, --target, --from) is sealed with the\n"
	      "pairwiseESPrimKey in F (hex, 0600) named ID (the JWE kid) and the opened inner response\n"
	      "is printed. The outer NOTIFY's From is --outer-from (default --from): an AE reaching a\n"
	      "Target through its Registrar sends its AE-ID-Stem outside and its SP-relative AE-ID inside.\n"
	      "Exit 0 for a 2xxx inner response, 1 otherwise, 2 for usage errors.\n",
	      f);
}

static void on_body(void *arg, int result, int status, int rsc, const char *body, size_t len)
{
	answer *a = arg;

	a->done = true;
	a->result = result;
	a->status = status;
	a->rsc = rsc;
	a->body = body != NULL ? strndup(body, len) : NULL;
}

static unsigned int psk_cb(SSL *ssl, const char *hint, char *identity, unsigned int max_identity, unsigned char *psk,
			   unsigned int max_psk)
{
	(void)ssl;
	(void)hint;
	if (strlen(psk_identity) + 1 > max_identity || psk_len > max_psk)
		return 0;
	memcpy(identity, psk_identity, strlen(psk_identity) + 1);
	memcpy(psk, psk_key, psk_len);
	return (unsigned int)psk_len;
}

static m2m_err client_ctx(const esp_args *a, SSL_CTX **out)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	m2m_err r = M2M_E_CONFIG;

	*out = NULL;
	if (ctx == NULL || SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1)
		goto fail;
	if (a->ca != NULL && SSL_CTX_load_verify_locations(ctx, a->ca, NULL) != 1)
		goto fail;
	if (a->cert != NULL && (SSL_CTX_use_certificate_chain_file(ctx, a->cert) != 1 ||
				SSL_CTX_use_PrivateKey_file(ctx, a->key, SSL_FILETYPE_PEM) != 1))
		goto fail;
	if (a->psk_id != NULL) {
		if (strlen(a->psk_id) >= sizeof(psk_identity) ||
		    (r = cli_secret_hex(NULL, a->psk_file, 256, psk_key, sizeof(psk_key), &psk_len)) != M2M_OK)
			goto fail;
		snprintf(psk_identity, sizeof(psk_identity), "%s", a->psk_id);
		/* TLS 1.2 PSK suites (TS-0003 8.2.2.1): no certificate on this link */
		if (SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION) != 1 ||
		    SSL_CTX_set_cipher_list(ctx, "PSK-AES128-GCM-SHA256:PSK-AES128-CBC-SHA256") != 1) {
			r = M2M_E_CONFIG;
			goto fail;
		}
		SSL_CTX_set_psk_client_callback(ctx, psk_cb);
	}
	*out = ctx;
	return M2M_OK;
fail:
	SSL_CTX_free(ctx);
	return r;
}

/* Run one exchange to its answer (the base runs until the callback). */
static void wait_answer(struct event_base *base, answer *a)
{
	while (!a->done && event_base_loop(base, EVLOOP_ONCE) == 0)
		;
}

static void rqi_new(char *out, size_t cap)
{
	uint8_t b[8];

	if (RAND_bytes(b, sizeof(b)) != 1)
		memset(b, 0, sizeof(b));
	snprintf(out, cap, "esp%02x%02x%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]);
}

/* The receiver rand object: esi.esro of the Target, else a NOTIFY sit 3. */
static m2m_err fetch_rro(m2mi_httpc *h, struct event_base *base, const esp_args *a, int64_t now,
			 m2m_esprim_rand *rro)
{
	answer an = {0};
	json_t *j = NULL, *esro;
	char rqi[32], *text;
	m2m_seci_e2e s = {0};
	m2m_err r = M2M_E_PROTO;

	if (m2mi_httpc_retrieve(h, a->to, a->outer_from, ESP_TIMEOUT_MS, on_body, &an) == M2MI_HTTPC_OK) {
		wait_answer(base, &an);
		if (an.result == M2MI_HTTPC_OK && an.rsc == 2000 && an.body != NULL &&
		    (j = json_loads(an.body, 0, NULL)) != NULL) {
			esro = json_object_get(json_object_get(json_object_iter_value(json_object_iter(j)), "esi"), "esro");
			if ((text = esro != NULL ? json_dumps(esro, JSON_COMPACT) : NULL) != NULL) {
				r = m2m_esprim_rand_decode(text, strlen(text), false, now, rro);
				free(text);
			}
		}
		json_decref(j);
		free(an.body);
		if (r == M2M_OK && rro->expiry > now + 5)
			return M2M_OK;
	}
	memset(&an, 0, sizeof(an));
	rqi_new(rqi, sizeof(rqi));
	if (m2mi_httpc_notify(h, a->to, a->outer_from, rqi, "{\"m2m:seci\":{\"sit\":3}}", ESP_TIMEOUT_MS, on_body,
			      &an) != M2MI_HTTPC_OK)
		return M2M_E_IO;
	wait_answer(base, &an);
	r = M2M_E_PROTO;
	if (an.result == M2MI_HTTPC_OK && an.rsc == 2000 && an.body != NULL &&
	    m2m_seci_e2e_decode(an.body, strlen(an.body), now, &s) == M2M_OK && s.sit == M2M_SECI_RAND_RSP) {
		*rro = s.ero;
		r = M2M_OK;
	} else if (an.result == M2MI_HTTPC_OK) {
		fprintf(stderr, "m2msec: esprim: rand object request refused: rsc %d\n", an.rsc);
	}
	m2m_seci_e2e_clear(&s);
	free(an.body);
	return r;
}

static int op_of(const char *op)
{
	static const char *const ops[] = {"create", "retrieve", "update", "delete"};

	for (int i = 0; i < 4; i++)
		if (strcmp(op, ops[i]) == 0)
			return i + 1;
	return 0;
}

/* The inner request primitive (JSON serialisation, TS-0004 8.4), no delivery parameters. */
static char *inner_request(const esp_args *a, const char *rqi)
{
	json_t *o = json_pack("{s:i,s:s,s:s,s:s,s:s}", "op", op_of(a->op), "to", a->target, "fr", a->from, "rqi", rqi,
			      "rvi", "3"), *pc;
	char *out = NULL;

	if (o == NULL)
		return NULL;
	if (a->ty > 0)
		json_object_set_new(o, "ty", json_integer(a->ty));
	if (a->content != NULL) {
		if ((pc = json_loads(a->content, 0, NULL)) == NULL) {
			json_decref(o);
			return NULL;
		}
		json_object_set_new(o, "pc", pc);
	}
	out = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return out;
}

static int run(const esp_args *a)
{
	struct event_base *base = event_base_new();
	m2mi_httpc *h = NULL;
	SSL_CTX *ctx = NULL;
	m2m_esprim_orig *o = NULL;
	m2m_esprim_rand rro;
	m2m_key *pairwise = NULL;
	uint8_t kb[64];
	size_t kn = 0;
	answer an = {0};
	char rqi[32], orqi[32], *inner = NULL, *content = NULL, *rsp = NULL;
	size_t rsplen = 0;
	int64_t now = (int64_t)time(NULL);
	int rc = CLI_FAIL, ir = 0;
	json_t *ij;
	m2m_err r;

	if ((r = cli_secret_hex(NULL, a->key_file, 256, kb, sizeof(kb), &kn)) != M2M_OK ||
	    (r = m2m_key_new(kb, kn, &pairwise)) != M2M_OK) {
		rc = cli_fail("esprim: --key-file", r);
		goto out;
	}
	if (base == NULL || (r = client_ctx(a, &ctx)) != M2M_OK || (r = m2mi_httpc_new(base, NULL, &h)) != M2M_OK ||
	    (r = m2mi_httpc_set_tls(h, ctx, a->verify_name)) != M2M_OK) {
		rc = cli_fail("esprim: TLS", r);
		goto out;
	}
	if ((r = fetch_rro(h, base, a, now, &rro)) != M2M_OK ||
	    (r = m2m_esprim_orig_new(pairwise, a->key_id, &rro, M2M_ESPRIM_A256GCM, now, &o)) != M2M_OK) {
		rc = cli_fail("esprim: receiver rand object", r);
		goto out;
	}
	rqi_new(rqi, sizeof(rqi));
	rqi_new(orqi, sizeof(orqi)); /* the outer rqi is independent of the inner one (7.6.2 F) */
	if ((inner = inner_request(a, rqi)) == NULL) {
		rc = cli_fail("esprim: --content", M2M_E_INVAL);
		goto out;
	}
	if ((r = m2m_esprim_orig_seal(o, inner, strlen(inner), &content)) != M2M_OK) {
		rc = cli_fail("esprim: seal", r);
		goto out;
	}
	if (m2mi_httpc_notify(h, a->to, a->outer_from, orqi, content, ESP_TIMEOUT_MS, on_body, &an) != M2MI_HTTPC_OK) {
		rc = cli_fail("esprim: NOTIFY", M2M_E_IO);
		goto out;
	}
	wait_answer(base, &an);
	if (an.result != M2MI_HTTPC_OK) {
		rc = cli_fail("esprim: NOTIFY", M2M_E_IO);
		goto out;
	}
	if (an.rsc != 2000 || an.body == NULL) { /* a plain refusal of Table 7.6.2-1 */
		printf("{\"rsc\":%d,\"protected\":false}\n", an.rsc);
		fprintf(stderr, "m2msec: esprim: refused: rsc %d\n", an.rsc);
		goto out;
	}
	if ((r = m2m_esprim_orig_open(o, an.body, strlen(an.body), (int64_t)time(NULL), &rsp, &rsplen)) != M2M_OK) {
		rc = cli_fail("esprim: response", r);
		goto out;
	}
	printf("%s\n", rsp);
	if ((ij = json_loads(rsp, 0, NULL)) != NULL)
		ir = (int)json_integer_value(json_object_get(ij, "rsc"));
	json_decref(ij);
	rc = ir >= 2000 && ir < 3000 ? CLI_OK : CLI_FAIL;
out:
	m2m_memzero(kb, sizeof(kb));
	m2m_memzero(psk_key, sizeof(psk_key));
	m2m_key_free(pairwise);
	m2m_esprim_orig_free(o);
	m2mi_httpc_free(h);
	SSL_CTX_free(ctx);
	if (base != NULL)
		event_base_free(base);
	free(an.body);
	free(inner);
	free(content);
	m2m_freezero(rsp, rsplen);
	return rc;
}

int cli_esprim_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"to", required_argument, NULL, 't'},       {"key-id", required_argument, NULL, 'i'},
		{"key-file", required_argument, NULL, 'k'}, {"op", required_argument, NULL, 'o'},
		{"target", required_argument, NULL, 'p'},   {"from", required_argument, NULL, 'f'},
		{"ty", required_argument, NULL, 'y'},       {"content", required_argument, NULL, 'c'},
		{"ca", required_argument, NULL, 'a'},       {"cert", required_argument, NULL, 'C'},
		{"key", required_argument, NULL, 'K'},      {"psk-identity", required_argument, NULL, 'I'},
		{"psk-file", required_argument, NULL, 'P'}, {"verify-name", required_argument, NULL, 'v'},
		{"outer-from", required_argument, NULL, 'F'}, {"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	esp_args a = {0};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 't': a.to = optarg; break;
		case 'i': a.key_id = optarg; break;
		case 'k': a.key_file = optarg; break;
		case 'o': a.op = optarg; break;
		case 'p': a.target = optarg; break;
		case 'f': a.from = optarg; break;
		case 'y': a.ty = (int)strtol(optarg, NULL, 10); break;
		case 'c': a.content = optarg; break;
		case 'a': a.ca = optarg; break;
		case 'C': a.cert = optarg; break;
		case 'K': a.key = optarg; break;
		case 'I': a.psk_id = optarg; break;
		case 'P': a.psk_file = optarg; break;
		case 'v': a.verify_name = optarg; break;
		case 'F': a.outer_from = optarg; break;
		case 'h': usage(stdout); return CLI_OK;
		default: usage(stderr); return CLI_USAGE;
		}
	}
	if (optind != argc || a.to == NULL || a.key_id == NULL || a.key_file == NULL || a.op == NULL ||
	    op_of(a.op) == 0 || a.target == NULL || a.from == NULL || (a.cert != NULL) != (a.key != NULL) ||
	    (a.psk_id != NULL) != (a.psk_file != NULL) || (a.cert != NULL && a.psk_id != NULL) ||
	    (op_of(a.op) == 1 && (a.ty <= 0 || a.content == NULL))) {
		usage(stderr);
		return CLI_USAGE;
	}
	/* TS-0001 11.4.2: the outer NOTIFY is the hop-by-hop request, so its From follows the
	 * originator rules of the first CSE (a Registree AE: its AE-ID-Stem, TS-0004 7.3.2.1); the
	 * inner From is what the Target checks against the key's identity */
	if (a.outer_from == NULL)
		a.outer_from = a.from;
	return run(&a);
}
