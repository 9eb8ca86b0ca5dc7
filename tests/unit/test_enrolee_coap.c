/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of the enrolee library's CoAP client (enrolee_coap.c,
 * enrolee_dtls.c; TS-0008 V3.9.0, RFC 7252 clauses 4 and 5, RFC 7959): over a scripted channel,
 * a piggybacked answer, RFC 7252 clause 4.2 retransmission (the same datagram, at most 4 times),
 * a separate response after an empty ACK (acknowledged), foreign tokens and Message IDs ignored
 * (a foreign CON rejected with Reset), a Reset, a forged answer, Block2 reassembly with its bound,
 * order and consistency checks; and over real DTLS 1.2 against the CSE's own CoAP server
 * (coaps-listen): a RETRIEVE through m2mi_enr_json, the RFC 5705 exporter on the DTLS session
 * (TS-0003 clause 10.3.1), a wrong PSK (M2M_E_AUTH) and a silent port (M2M_E_IO) within the
 * deadline.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "m2m_test.h"
#include "bindings/coap_wire.h"
#include "enrolee/enrolee_coap.h"
#include "enrolee/enrolee_int.h"
#include "m2msec/coap.h"
#include "m2msec/exporter.h"
#include "m2msec/tls.h"

/* ---- a scripted peer ------------------------------------------------------------------------- */

#define QMAX 16

struct fake {
	uint8_t q[QMAX][2048]; /* datagrams the "server" will send */
	size_t qlen[QMAX], qn, qhead;
	uint8_t sent[32][2048]; /* what the client sent */
	size_t sentlen[32], nsent;
	int mode;               /* what the script does with a request */
	size_t body;            /* mode BLOCKS: the representation's size */
	int quirk;
};

enum { PIGGY, SILENT, SEPARATE, SEPARATE_LOST, FOREIGN_FIRST, RESET, FORGED, BLOCKS };

static void push(struct fake *f, uint8_t type, uint8_t code, uint16_t mid, const uint8_t *tok, size_t toklen,
		 const m2mi_coap_opt *o, size_t n, const void *payload, size_t plen)
{
	m2mi_coap_msg m = {0};
	size_t len;

	assert_true(f->qn < QMAX);
	m.type = type;
	m.code = code;
	m.mid = mid;
	m.token = tok;
	m.token_len = toklen;
	m.opts = o;
	m.nopts = n;
	m.payload = payload;
	m.payload_len = plen;
	assert_int_equal(m2mi_coap_encode(&m, f->q[f->qn], sizeof(f->q[0]), &len), M2M_OK);
	f->qlen[f->qn++] = len;
}

#define OPT(num, s) {num, (const uint8_t *)(s), sizeof(s) - 1}
static const m2mi_coap_opt ok_opts[] = {OPT(M2MI_COAP_OPT_CONTENT_FORMAT, "\x32"), OPT(M2MI_COAP_OPT_RVI, "3"),
					OPT(M2MI_COAP_OPT_RSC, "\x07\xd0")};
static const char ok_body[] = "{\"m2m:cb\":{\"csi\":\"/cse\"}}";

static char big[4096];

static void script(struct fake *f, const m2mi_coap_msg *req)
{
	uint8_t ftok[8] = {9, 9, 9, 9, 9, 9, 9, 9};

	switch (f->mode) {
	case PIGGY:
		push(f, M2MI_COAP_ACK, M2MI_COAP_CODE(2, 5), req->mid, req->token, req->token_len, ok_opts, 3, ok_body,
		     strlen(ok_body));
		break;
	case SEPARATE: /* empty ACK, then the answer as a CON of its own (RFC 7252 clause 5.2.2) */
		push(f, M2MI_COAP_ACK, 0, req->mid, NULL, 0, NULL, 0, NULL, 0);
		push(f, M2MI_COAP_CON, M2MI_COAP_CODE(2, 5), 0x4242, req->token, req->token_len, ok_opts, 3, ok_body,
		     strlen(ok_body));
		break;
	case SEPARATE_LOST:
		push(f, M2MI_COAP_ACK, 0, req->mid, NULL, 0, NULL, 0, NULL, 0);
		break;
	case FOREIGN_FIRST: /* an ACK of another MID, a CON with another token, then ours */
		push(f, M2MI_COAP_ACK, M2MI_COAP_CODE(4, 3), (uint16_t)(req->mid + 1), req->token, req->token_len,
		     ok_opts, 3, NULL, 0);
		push(f, M2MI_COAP_CON, M2MI_COAP_CODE(4, 3), 0x1111, ftok, 8, ok_opts, 3, NULL, 0);
		push(f, M2MI_COAP_ACK, M2MI_COAP_CODE(2, 5), req->mid, req->token, req->token_len, ok_opts, 3, ok_body,
		     strlen(ok_body));
		break;
	case RESET:
		push(f, M2MI_COAP_RST, 0, req->mid, NULL, 0, NULL, 0, NULL, 0);
		break;
	case FORGED: { /* a 2.05 carrying an error RSC */
		const m2mi_coap_opt o[] = {OPT(M2MI_COAP_OPT_RSC, "\x10\x07")};
		push(f, M2MI_COAP_ACK, M2MI_COAP_CODE(2, 5), req->mid, req->token, req->token_len, o, 1, NULL, 0);
		break;
	}
	case BLOCKS: { /* 64-byte blocks (SZX 2) of big[0..body) */
		uint32_t num = 0;
		uint8_t b2[3];
		size_t off, n, bl = 0;
		uint8_t code = M2MI_COAP_CODE(2, 5);
		for (size_t i = 0; i < req->nopts; i++)
			if (req->opts[i].num == M2MI_COAP_OPT_BLOCK2)
				for (size_t k = 0; k < req->opts[i].len; k++)
					num = num << 8 | req->opts[i].val[k];
		num >>= 4;
		if (f->quirk == 1 && num == 1)
			num = 2; /* skips a block */
		if (f->quirk == 2 && num == 1)
			code = M2MI_COAP_CODE(2, 3); /* another representation half-way */
		off = (size_t)num * 64;
		n = f->body - off > 64 ? 64 : f->body - off;
		b2[bl++] = (uint8_t)(num << 4 | (off + n < f->body ? 8 : 0) | 2);
		if (num >= 16)
			b2[0] = (uint8_t)(num >> 4), b2[1] = (uint8_t)(num << 4 | (off + n < f->body ? 8 : 0) | 2), bl = 2;
		{
			const m2mi_coap_opt o[] = {OPT(M2MI_COAP_OPT_ETAG, "e1"), OPT(M2MI_COAP_OPT_CONTENT_FORMAT, "\x32"),
						   {M2MI_COAP_OPT_BLOCK2, b2, bl}, OPT(M2MI_COAP_OPT_RSC, "\x07\xd0")};
			push(f, M2MI_COAP_ACK, code, req->mid, req->token, req->token_len, o, 4, big + off, n);
		}
		break;
	}
	default: /* SILENT */
		break;
	}
}

static m2m_err f_send(void *ctx, const uint8_t *buf, size_t len)
{
	struct fake *f = ctx;
	m2mi_coap_opt o[32];
	m2mi_coap_msg m;

	assert_true(f->nsent < 32 && len <= sizeof(f->sent[0]));
	memcpy(f->sent[f->nsent], buf, len);
	f->sentlen[f->nsent++] = len;
	assert_int_equal(m2mi_coap_decode(buf, len, o, 32, &m), M2M_OK);
	if (m.code != 0 && f->nsent <= 20 && !(f->mode == SILENT))
		script(f, &m);
	return M2M_OK;
}

static m2m_err f_recv(void *ctx, uint8_t *buf, size_t cap, size_t *len, int64_t until_ms)
{
	struct fake *f = ctx;

	if (f->qhead == f->qn)
		return M2M_E_RANGE; /* "the timer expired" at once: no test waits for a clock */
	memcpy(buf, f->q[f->qhead], f->qlen[f->qhead]);
	*len = f->qlen[f->qhead++];
	return M2M_OK;
}

static m2m_err run(struct fake *f, m2mi_coapc *c, int64_t ms, m2m_response *rsp)
{
	m2m_request req;
	m2m_err r;

	memset(c, 0, sizeof(*c));
	c->chan = (m2mi_coapc_chan){f, f_send, f_recv};
	c->deadline_ms = m2mi_enr_now_ms() + ms;
	c->max_body = 1000;
	m2m_request_init(&req);
	req.op = M2M_OP_RETRIEVE;
	req.to = strdup("cse-in");
	req.rqi = strdup("q1");
	req.rvi = strdup("3");
	m2m_response_init(rsp);
	r = m2mi_coapc_request(c, &req, rsp);
	m2m_request_clear(&req);
	return r;
}

static void test_piggybacked(void **state)
{
	struct fake f = {.mode = PIGGY};
	m2mi_coapc c;
	m2m_response rsp;

	assert_int_equal(run(&f, &c, 60000, &rsp), M2M_OK);
	assert_int_equal(rsp.rsc, 2000);
	assert_string_equal(json_string_value(json_object_get(json_object_get(rsp.pc, "m2m:cb"), "csi")), "/cse");
	assert_int_equal(f.nsent, 1);
	assert_int_equal((f.sent[0][0] >> 4) & 3, M2MI_COAP_CON);
	assert_int_equal(f.sent[0][0] & 15, 8); /* an 8-byte token */
	m2m_response_clear(&rsp);
}

/* RFC 7252 clause 4.2: the same datagram again, MAX_RETRANSMIT (4) times, then give up. */
static void test_retransmission(void **state)
{
	struct fake f = {.mode = SILENT};
	m2mi_coapc c;
	m2m_response rsp;

	assert_int_equal(run(&f, &c, 600000, &rsp), M2M_E_IO);
	assert_int_equal(f.nsent, 5);
	assert_int_equal(c.retransmissions, 4);
	for (size_t i = 1; i < f.nsent; i++) {
		assert_int_equal(f.sentlen[i], f.sentlen[0]);
		assert_memory_equal(f.sent[i], f.sent[0], f.sentlen[0]);
	}
	assert_non_null(strstr(c.why, "retransmissions"));
	/* a deadline already passed: nothing more is waited for */
	memset(&f, 0, sizeof(f));
	f.mode = SILENT;
	assert_int_equal(run(&f, &c, -1, &rsp), M2M_E_IO);
	assert_int_equal(f.nsent, 1);
}

static void test_separate_response(void **state)
{
	struct fake f = {.mode = SEPARATE};
	m2mi_coapc c;
	m2m_response rsp;

	assert_int_equal(run(&f, &c, 60000, &rsp), M2M_OK);
	assert_int_equal(rsp.rsc, 2000);
	assert_int_equal(f.nsent, 2); /* the request and the empty ACK of the separate response */
	assert_int_equal(f.sentlen[1], 4);
	assert_int_equal((f.sent[1][0] >> 4) & 3, M2MI_COAP_ACK);
	assert_int_equal(f.sent[1][1], 0);
	assert_int_equal(f.sent[1][2], 0x42);
	assert_int_equal(f.sent[1][3], 0x42);
	m2m_response_clear(&rsp);
	/* the empty ACK came, the response never does: the deadline ends it, and nothing is
	 * retransmitted after the ACK (clause 4.2) */
	memset(&f, 0, sizeof(f));
	f.mode = SEPARATE_LOST;
	assert_int_equal(run(&f, &c, 300, &rsp), M2M_E_IO);
	assert_int_equal(f.nsent, 1);
	assert_non_null(strstr(c.why, "separate response"));
}

static void test_foreign_ignored(void **state)
{
	struct fake f = {.mode = FOREIGN_FIRST};
	m2mi_coapc c;
	m2m_response rsp;

	assert_int_equal(run(&f, &c, 60000, &rsp), M2M_OK);
	assert_int_equal(rsp.rsc, 2000); /* the 4.03s of another exchange did not count */
	assert_int_equal(f.nsent, 2);    /* ... and the foreign CON got a Reset */
	assert_int_equal((f.sent[1][0] >> 4) & 3, M2MI_COAP_RST);
	assert_int_equal(f.sent[1][2], 0x11);
	m2m_response_clear(&rsp);
}

static void test_reset_and_forged(void **state)
{
	struct fake f = {.mode = RESET};
	m2mi_coapc c;
	m2m_response rsp;

	assert_int_equal(run(&f, &c, 60000, &rsp), M2M_E_PROTO);
	memset(&f, 0, sizeof(f));
	f.mode = FORGED;
	assert_int_equal(run(&f, &c, 60000, &rsp), M2M_E_PROTO);
	assert_int_equal(rsp.rsc, 0);
	assert_null(rsp.pc);
}

static void test_block2(void **state)
{
	struct fake f = {.mode = BLOCKS};
	m2mi_coapc c;
	m2m_response rsp;
	int n;

	/* a JSON object of 900 bytes in 15 blocks of 64 */
	n = snprintf(big, sizeof(big), "{\"m2m:dbg\":\"");
	while (n < 898)
		big[n++] = 'x';
	big[n++] = '"';
	big[n++] = '}';
	f.body = (size_t)n;
	assert_int_equal(run(&f, &c, 60000, &rsp), M2M_OK);
	assert_int_equal(c.blocks, 15);
	assert_int_equal(strlen(json_string_value(json_object_get(rsp.pc, "m2m:dbg"))), 900 - 14);
	m2m_response_clear(&rsp);
	/* over max_body (1000): refused before it is all read */
	memset(&f, 0, sizeof(f));
	f.mode = BLOCKS;
	f.body = 2000;
	assert_int_equal(run(&f, &c, 60000, &rsp), M2M_E_TOO_LARGE);
	assert_true(c.blocks <= 16);
	assert_null(rsp.pc);
	/* a block skipped, or another representation half-way: refused */
	for (int q = 1; q <= 2; q++) {
		memset(&f, 0, sizeof(f));
		f.mode = BLOCKS;
		f.body = 900;
		f.quirk = q;
		assert_int_equal(run(&f, &c, 60000, &rsp), M2M_E_PROTO);
		assert_null(rsp.pc);
	}
}

/* --mef / --maf addresses: HOST:PORT and https:// mean HTTPS, coaps:// CoAP over DTLS. */
static void test_server_addr(void **state)
{
	static const struct { const char *in, *host, *port; bool coaps; } ok[] = {
		{"mef.example.com:8443", "mef.example.com", "8443", false},
		{"https://mef.example.com", "mef.example.com", "443", false},
		{"https://127.0.0.1:9443", "127.0.0.1", "9443", false},
		{"coaps://127.0.0.1:5700", "127.0.0.1", "5700", true},
		{"coaps://mef.example.com", "mef.example.com", "5684", true},
		{"coaps://[::1]", "::1", "5684", true},
		{"coaps://[::1]:6000", "::1", "6000", true},
	};
	static const char *const bad[] = {"coaps://", "coaps://h:1/path", "coap://h:1", "h", "coaps://h:0",
					  "https://h:1/x", "h:70000"};
	m2mi_enr_server s;

	for (size_t i = 0; i < M2M_ARRAY_LEN(ok); i++) {
		memset(&s, 0, sizeof(s));
		assert_int_equal(m2mi_enr_server_addr(&s, ok[i].in), M2M_OK);
		assert_string_equal(s.host, ok[i].host);
		assert_string_equal(s.port, ok[i].port);
		assert_int_equal(s.coaps, ok[i].coaps);
	}
	for (size_t i = 0; i < M2M_ARRAY_LEN(bad); i++) {
		memset(&s, 0, sizeof(s));
		assert_int_not_equal(m2mi_enr_server_addr(&s, bad[i]), M2M_OK);
	}
}

/* ---- DTLS 1.2 against the CSE's CoAP server --------------------------------------------------- */

static const char psk_id[] = "kpsa-u1@sp.example.com";
static const char *psk_key;

static unsigned int client_psk(SSL *ssl, const char *hint, char *identity, unsigned int max_id, unsigned char *psk,
			       unsigned int max_psk)
{
	snprintf(identity, max_id, "%s", psk_id);
	memcpy(psk, psk_key, 32);
	return 32;
}

struct seen {
	int calls;
	char to[64];
	m2m_op op;
};

static void handler(void *ctx, const m2m_sa *sa, m2m_request *req, m2m_response *rsp)
{
	struct seen *s = ctx;

	s->calls++;
	s->op = req->op;
	snprintf(s->to, sizeof(s->to), "%s", req->to);
	rsp->rsc = 2000;
	rsp->pc = json_pack("{s:{s:s}}", "m2m:cb", "csi", "/cse-in");
}

/* A self-signed certificate: the CA file a PSK association never uses but the context needs. */
static void write_ca(const char *path)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	FILE *f = fopen(path, "w");

	assert_non_null(k);
	assert_non_null(x);
	assert_non_null(f);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC, (const unsigned char *)"ca", -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	X509_set_pubkey(x, k);
	assert_true(X509_sign(x, k, EVP_sha256()) > 0);
	assert_int_equal(PEM_write_X509(f, x), 1);
	fclose(f);
	X509_free(x);
	EVP_PKEY_free(k);
}

static void test_dtls_against_cse(void **state)
{
	const char *key = "0123456789abcdefghijklmnopqrstuv";
	char dir[] = "/tmp/enrcoapXXXXXX", path[64], ca[64], port[16];
	struct seen s = {0};
	m2m_coap_server *srv = NULL;
	m2m_tls *tls = NULL;
	SSL_CTX *ctx = NULL;
	m2mi_enr_conn c;
	m2mi_enr_why why = {0};
	m2m_key *ke = NULL;
	char keid[128];
	json_t *cb = NULL;
	FILE *f;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/psk", dir);
	snprintf(ca, sizeof(ca), "%s/ca.pem", dir);
	write_ca(ca);
	assert_non_null(f = fopen(path, "w"));
	fprintf(f, "%s ", psk_id);
	for (size_t i = 0; i < 32; i++)
		fprintf(f, "%02x", (unsigned char)key[i]);
	fprintf(f, " Cu1\n");
	fclose(f);
	assert_int_equal(chmod(path, 0600), 0);
	{
		m2m_tls_config tc = {.psk_file = path, .sp_id = "//sp.example.com"};
		assert_int_equal(m2m_tls_new(&tc, &tls), M2M_OK);
	}
	{
		m2m_coap_server_config cc = {.coaps_listen = "127.0.0.1:0", .tls = tls};
		assert_int_equal(m2m_coap_server_new(&cc, handler, &s, &srv), M2M_OK);
	}
	assert_int_equal(m2m_coap_server_start(srv), M2M_OK);
	snprintf(port, sizeof(port), "%d", m2m_coap_server_port(srv, true));
	assert_int_equal(m2mi_enr_dtls_ctx_new(ca, client_psk, NULL, NULL, &ctx), M2M_OK);

	psk_key = key;
	assert_int_equal(m2mi_enr_connect(ctx, NULL, "127.0.0.1", port, "sp.example.com", m2mi_enr_now_ms() + 20000, &c),
			 M2M_OK);
	assert_non_null(c.coap);
	/* TS-0003 clause 10.3.1 on the DTLS session: 48 bytes, KeID = hex(16 MSB)@fqdn */
	assert_int_equal(m2m_tls_export_key(c.ssl, M2M_EXPORTER_BOOTSTRAP, "mef.example.com", &ke, keid, sizeof(keid)),
			 M2M_OK);
	assert_non_null(strstr(keid, "@mef.example.com"));
	m2m_key_free(ke);
	assert_int_equal(m2mi_enr_json(&c, "GET", "/cse-in", NULL, 2000, "m2m:cb", &cb, &why), M2M_OK);
	assert_string_equal(json_string_value(json_object_get(cb, "csi")), "/cse-in");
	json_decref(cb);
	assert_int_equal(s.calls, 1);
	assert_int_equal(s.op, M2M_OP_RETRIEVE);
	assert_string_equal(s.to, "cse-in");
	/* a RETRIEVE that wants another RSC is a refusal recorded as over HTTPS */
	assert_int_equal(m2mi_enr_json(&c, "GET", "/cse-in", NULL, 2001, NULL, NULL, &why), M2M_E_PROTO);
	assert_int_equal(why.rsc, 2000);
	/* EST goes over HTTP only */
	{
		m2mi_enr_rsp hr;
		assert_int_equal(m2mi_enr_http(&c, "GET", "/x", NULL, NULL, 0, &hr), M2M_E_UNSUPPORTED);
	}
	m2mi_enr_close(&c);
	assert_null(c.coap);

	/* a wrong key: the server answers the hello, never finishes: M2M_E_AUTH by the deadline */
	psk_key = "vutsrqponmlkjihgfedcba9876543210";
	assert_int_equal(m2mi_enr_connect(ctx, NULL, "127.0.0.1", port, NULL, m2mi_enr_now_ms() + 3000, &c), M2M_E_AUTH);
	assert_int_equal(s.calls, 2);
	assert_int_equal(c.fd, -1);
	m2m_coap_server_free(srv);

	/* nobody there (the port is closed now): M2M_E_IO by the deadline */
	psk_key = key;
	assert_int_equal(m2mi_enr_connect(ctx, NULL, "127.0.0.1", port, NULL, m2mi_enr_now_ms() + 2000, &c), M2M_E_IO);
	SSL_CTX_free(ctx);
	m2m_tls_free(tls);
	unlink(path);
	unlink(ca);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_piggybacked),      cmocka_unit_test(test_retransmission),
		cmocka_unit_test(test_separate_response), cmocka_unit_test(test_foreign_ignored),
		cmocka_unit_test(test_reset_and_forged), cmocka_unit_test(test_block2),
		cmocka_unit_test(test_server_addr),      cmocka_unit_test(test_dtls_against_cse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
