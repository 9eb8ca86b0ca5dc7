/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of bindings/coap_map.c: the oneM2M CoAP binding mapping
 * (TS-0008 V3.9.0 clause 6.2; RFC 7252 clause 5.4 option rules), every option, every row of
 * Table 6.2.4-1 this CSE emits, and every refusal with its exact RSC and CoAP code.
 */
#include <stdlib.h>

#include "m2m_test.h"
#include "bindings/coap_map.h"
#include "m2msec/rsc.h"

#define C(c, d) M2MI_COAP_CODE(c, d)
#define M2MI_CBOR_DEEP 200 /* nested arrays: over core/cbor_codec.h's 64 */

typedef struct fx {
	m2mi_coap_opt o[300];
	size_t n;
	uint8_t nb[300][4];
	m2mi_coap_msg m;
	m2m_request req;
	m2m_response rsp;
	m2mi_coap_reqinfo info;
	m2mi_coap_limits lim;
} fx;

static void opt_b(fx *f, uint16_t num, const void *v, size_t len)
{
	f->o[f->n++] = (m2mi_coap_opt){num, v, len};
}

static void opt_s(fx *f, uint16_t num, const char *s)
{
	opt_b(f, num, s, strlen(s));
}

static void opt_u(fx *f, uint16_t num, unsigned long v)
{
	size_t n = v > 0xffffff ? 4 : v > 0xffff ? 3 : v > 0xff ? 2 : v > 0 ? 1 : 0;
	for (size_t i = 0; i < n; i++)
		f->nb[f->n][i] = (uint8_t)(v >> (8 * (n - 1 - i)));
	opt_b(f, num, f->nb[f->n], n);
}

/* A CON request with method code, RQI r1 and RVI 3; the test adds the rest. */
static fx *mk(uint8_t code)
{
	fx *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	f->m.type = M2MI_COAP_CON;
	f->m.code = code;
	opt_s(f, M2MI_COAP_OPT_RQI, "r1");
	opt_s(f, M2MI_COAP_OPT_RVI, "3");
	m2m_request_init(&f->req);
	m2m_response_init(&f->rsp);
	return f;
}

static m2m_err run(fx *f)
{
	f->m.opts = f->o;
	f->m.nopts = f->n;
	return m2mi_coap_to_request(&f->m, &f->lim, &f->req, &f->rsp, &f->info);
}

static void done(fx *f)
{
	m2m_request_clear(&f->req);
	m2m_response_clear(&f->rsp);
	free(f);
}

/* Refused with rsc and CoAP code: the code the response mapping would send. */
static void refused(fx *f, m2m_err err, int rsc, uint8_t code)
{
	m2mi_coap_out out;

	assert_int_equal(run(f), err);
	assert_int_equal(f->rsp.rsc, rsc);
	assert_null(f->req.to);
	assert_non_null(f->rsp.pc);
	assert_int_equal(m2mi_coap_from_response(NULL, &f->rsp, &f->info, &out), M2M_OK);
	assert_int_equal(out.code, code);
	m2mi_coap_out_clear(&out);
	done(f);
}

static fx *get_cse(void)
{
	fx *f = mk(M2MI_COAP_GET);
	opt_s(f, M2MI_COAP_OPT_URI_PATH, "cse");
	return f;
}

static const char ae[] = "{\"m2m:ae\":{\"api\":\"Nx\",\"rr\":false}}";

/* ---- TS-0008 clause 6.2.1, Table 6.2.1-1 ------------------------------------------------------ */

static void test_methods(void **state)
{
	fx *f = get_cse();
	assert_int_equal(run(f), M2M_OK);
	assert_int_equal(f->req.op, M2M_OP_RETRIEVE);
	assert_string_equal(f->req.to, "cse");
	assert_string_equal(f->req.rqi, "r1");
	assert_string_equal(f->req.rvi, "3");
	assert_null(f->req.fr);
	done(f);

	f = mk(M2MI_COAP_POST); /* POST with TY: CREATE */
	opt_s(f, M2MI_COAP_OPT_URI_PATH, "cse");
	opt_u(f, M2MI_COAP_OPT_TY, 2);
	opt_u(f, M2MI_COAP_OPT_CONTENT_FORMAT, 50);
	f->m.payload = (const uint8_t *)ae;
	f->m.payload_len = strlen(ae);
	assert_int_equal(run(f), M2M_OK);
	assert_int_equal(f->req.op, M2M_OP_CREATE);
	assert_int_equal(f->req.ty, 2);
	assert_non_null(json_object_get(f->req.pc, "m2m:ae"));
	done(f);

	f = mk(M2MI_COAP_POST); /* POST without TY: NOTIFY */
	opt_s(f, M2MI_COAP_OPT_URI_PATH, "ae1");
	opt_u(f, M2MI_COAP_OPT_CONTENT_FORMAT, 10003);
	f->m.payload = (const uint8_t *)"{\"m2m:sgn\":{}}";
	f->m.payload_len = 14;
	assert_int_equal(run(f), M2M_OK);
	assert_int_equal(f->req.op, M2M_OP_NOTIFY);
	assert_int_equal(f->req.ty, 0);
	done(f);

	f = mk(M2MI_COAP_PUT);
	opt_s(f, M2MI_COAP_OPT_URI_PATH, "cse");
	opt_u(f, M2MI_COAP_OPT_CONTENT_FORMAT, 10001);
	f->m.payload = (const uint8_t *)ae;
	f->m.payload_len = strlen(ae);
	assert_int_equal(run(f), M2M_OK);
	assert_int_equal(f->req.op, M2M_OP_UPDATE);
	done(f);

	f = mk(M2MI_COAP_DELETE);
	opt_s(f, M2MI_COAP_OPT_URI_PATH, "cse");
	f->m.type = M2MI_COAP_NON; /* NON requests map too */
	assert_int_equal(run(f), M2M_OK);
	assert_int_equal(f->req.op, M2M_OP_DELETE);
	done(f);
}

static void test_not_a_request(void **state)
{
	fx *f = get_cse();
	f->m.code = 5; /* FETCH (RFC 8132): no oneM2M operation */
	refused(f, M2M_E_PROTO, 4005, C(4, 5));
	f = get_cse();
	f->m.code = 0; /* Empty message */
	refused(f, M2M_E_PROTO, 4000, C(4, 0));
	f = get_cse();
	f->m.code = C(2, 5); /* a response */
	refused(f, M2M_E_PROTO, 4000, C(4, 0));
	f = get_cse();
	f->m.type = M2MI_COAP_ACK;
	refused(f, M2M_E_PROTO, 4000, C(4, 0));
	f = get_cse();
	f->m.token = (const uint8_t *)"123456789";
	f->m.token_len = 9; /* RFC 7252 clause 3: 9..15 reserved */
	refused(f, M2M_E_PROTO, 4000, C(4, 0));
}

/* ---- Uri-Path: TS-0008 clause 6.2.2.3, Table 6.2.2.3-1 ----------------------------------------- */

static void path_ok(const char *const *segs, size_t n, const char *to)
{
	fx *f = mk(M2MI_COAP_GET);
	for (size_t i = 0; i < n; i++)
		opt_s(f, M2MI_COAP_OPT_URI_PATH, segs[i]);
	assert_int_equal(run(f), M2M_OK);
	assert_string_equal(f->req.to, to);
	done(f);
}

static void path_bad(const char *const *segs, size_t n)
{
	fx *f = mk(M2MI_COAP_GET);
	for (size_t i = 0; i < n; i++)
		opt_s(f, M2MI_COAP_OPT_URI_PATH, segs[i]);
	refused(f, M2M_E_PROTO, 4000, C(4, 0));
}

static void test_uri_path(void **state)
{
	const char *const cse_rel[] = {"CSEBase", "ae12", "cont27", "contInst696"};
	const char *const sp_rel[] = {"~", "CSE178", "cin00856"};
	const char *const absolute[] = {"_", "mym2msp.org", "CSE178", "cin00856"};
	const char *const trailing[] = {"CSEBase", "ae12", ""};
	const char *const b1[] = {"~"}, *const b2[] = {"_"}, *const b3[] = {"a", "", "b"};
	const char *const b4[] = {"a", ".."}, *const b5[] = {"."}, *const b6[] = {"a/b"}, *const b7[] = {""};

	path_ok(cse_rel, 4, "CSEBase/ae12/cont27/contInst696");
	path_ok(sp_rel, 3, "/CSE178/cin00856");
	path_ok(absolute, 4, "//mym2msp.org/CSE178/cin00856");
	path_ok(trailing, 3, "CSEBase/ae12");
	path_bad(NULL, 0); /* no To */
	path_bad(b1, 1);
	path_bad(b2, 1);
	path_bad(b3, 3);
	path_bad(b4, 2);
	path_bad(b5, 1);
	path_bad(b6, 1); /* a '/' inside one option would change the structure */
	path_bad(b7, 1);
}

/* ---- oneM2M options: TS-0008 clause 6.2.2.4, Table 6.2.2.4.0-1 --------------------------------- */

static void test_mapped_options(void **state)
{
	fx *f = get_cse();
	opt_s(f, M2MI_COAP_OPT_FR, "CAE1");
	opt_s(f, M2MI_COAP_OPT_VSI, "vendor-x");
	opt_s(f, M2MI_COAP_OPT_URI_HOST, "cse.example");
	opt_u(f, M2MI_COAP_OPT_URI_PORT, 5684);
	assert_int_equal(run(f), M2M_OK);
	assert_string_equal(f->req.fr, "CAE1");
	assert_string_equal(f->req.vsi, "vendor-x");
	done(f);

	f = get_cse();
	opt_s(f, M2MI_COAP_OPT_FR, ""); /* empty From: absent, as an empty X-M2M-Origin */
	assert_int_equal(run(f), M2M_OK);
	assert_null(f->req.fr);
	done(f);
}

/* Accepted, validated and not acted upon (docs/coap-binding.md). */
static void test_accepted_options(void **state)
{
	static const uint16_t stamps[] = {M2MI_COAP_OPT_OT, M2MI_COAP_OPT_RQET, M2MI_COAP_OPT_RSET, M2MI_COAP_OPT_OET};
	static const uint16_t strs[] = {M2MI_COAP_OPT_RTURI, M2MI_COAP_OPT_GID, M2MI_COAP_OPT_GTM, M2MI_COAP_OPT_AUS,
					M2MI_COAP_OPT_ASRI};
	char big[514];
	fx *f = get_cse();

	for (size_t i = 0; i < M2M_ARRAY_LEN(stamps); i++)
		opt_s(f, stamps[i], "20261204T221500");
	for (size_t i = 0; i < M2M_ARRAY_LEN(strs); i++)
		opt_s(f, strs[i], "x");
	opt_u(f, M2MI_COAP_OPT_EC, 2);
	opt_u(f, M2MI_COAP_OPT_OBSERVE, 0);          /* elective, unknown here: ignored */
	opt_s(f, M2MI_COAP_OPT_ETAG, "e");           /* elective */
	opt_u(f, M2MI_COAP_OPT_NO_RESPONSE, 0);      /* elective */
	opt_u(f, M2MI_COAP_OPT_SIZE2, 0);            /* elective */
	opt_s(f, 1000, "x");                         /* unassigned elective */
	assert_int_equal(run(f), M2M_OK);
	done(f);

	/* a timestamp option is 15 bytes (Table 6.2.2.4.0-1); other lengths are Bad Option */
	for (size_t i = 0; i < M2M_ARRAY_LEN(stamps); i++) {
		f = get_cse();
		opt_s(f, stamps[i], "20261204T22150");
		refused(f, M2M_E_PROTO, 4000, C(4, 2));
	}
	memset(big, 'g', sizeof(big));
	f = get_cse(); /* GTM 0-512 */
	opt_b(f, M2MI_COAP_OPT_GTM, big, 513);
	refused(f, M2M_E_PROTO, 4000, C(4, 2));
	f = get_cse(); /* string options 0-255 */
	opt_b(f, M2MI_COAP_OPT_FR, big, 256);
	refused(f, M2M_E_PROTO, 4000, C(4, 2));
	f = get_cse(); /* EC uint 1 */
	opt_u(f, M2MI_COAP_OPT_EC, 300);
	refused(f, M2M_E_PROTO, 4000, C(4, 2));
	f = get_cse(); /* Uri-Host 1-255 */
	opt_s(f, M2MI_COAP_OPT_URI_HOST, "");
	refused(f, M2M_E_PROTO, 4000, C(4, 2));
}

/* Response parameters have no meaning in a request. */
static void test_response_only_options(void **state)
{
	static const uint16_t nums[] = {M2MI_COAP_OPT_RSC, M2MI_COAP_OPT_CTO, M2MI_COAP_OPT_CTS};
	fx *f;

	for (size_t i = 0; i < M2M_ARRAY_LEN(nums); i++) {
		f = get_cse();
		opt_u(f, nums[i], 1);
		refused(f, M2M_E_PROTO, 4000, C(4, 0));
	}
	f = get_cse();
	opt_s(f, M2MI_COAP_OPT_ATI, "l1:t1");
	refused(f, M2M_E_PROTO, 4000, C(4, 0));
}

static void test_rqi_rvi(void **state)
{
	fx *f = mk(M2MI_COAP_GET);

	f->n = 0; /* no RQI, no RVI */
	opt_s(f, M2MI_COAP_OPT_URI_PATH, "cse");
	refused(f, M2M_E_PROTO, 4000, C(4, 0));
	f = mk(M2MI_COAP_GET);
	f->o[0].len = 0; /* empty RQI */
	opt_s(f, M2MI_COAP_OPT_URI_PATH, "cse");
	refused(f, M2M_E_PROTO, 4000, C(4, 0));

	f = mk(M2MI_COAP_GET);
	f->n = 1; /* RQI only: Release 1, 4001 = 5.01, and no RVI back (TS-0004 Table 6.4.2-1) */
	opt_s(f, M2MI_COAP_OPT_URI_PATH, "cse");
	assert_int_equal(run(f), M2M_E_PROTO);
	assert_string_equal(f->rsp.rvi, "1");
	assert_string_equal(f->rsp.rqi, "r1");
	refused(f, M2M_E_PROTO, 4001, C(5, 1));

	const char *bad[] = {"1", "9", "2b"};
	for (size_t i = 0; i < M2M_ARRAY_LEN(bad); i++) {
		f = mk(M2MI_COAP_GET);
		f->o[1] = (m2mi_coap_opt){M2MI_COAP_OPT_RVI, (const uint8_t *)bad[i], strlen(bad[i])};
		opt_s(f, M2MI_COAP_OPT_URI_PATH, "cse");
		refused(f, M2M_E_PROTO, 4001, C(5, 1));
	}
	f = mk(M2MI_COAP_GET);
	f->o[1] = (m2mi_coap_opt){M2MI_COAP_OPT_RVI, (const uint8_t *)"333", 3}; /* 1-2 bytes */
	opt_s(f, M2MI_COAP_OPT_URI_PATH, "cse");
	refused(f, M2M_E_PROTO, 4000, C(4, 2));
	f = mk(M2MI_COAP_GET);
	f->o[1] = (m2mi_coap_opt){M2MI_COAP_OPT_RVI, (const uint8_t *)"2a", 2};
	opt_s(f, M2MI_COAP_OPT_URI_PATH, "cse");
	assert_int_equal(run(f), M2M_OK);
	assert_string_equal(f->req.rvi, "2a");
	done(f);
}

/* ---- RFC 7252 clauses 5.4.1, 5.4.3, 5.4.5 ---------------------------------------------------- */

static void test_bad_options(void **state)
{
	static const uint16_t crit[] = {M2MI_COAP_OPT_IF_MATCH, M2MI_COAP_OPT_IF_NONE_MATCH, 9, 2049, 65001};
	static const uint16_t once[] = {M2MI_COAP_OPT_FR, M2MI_COAP_OPT_RQI, M2MI_COAP_OPT_URI_HOST, M2MI_COAP_OPT_OT};
	fx *f;

	for (size_t i = 0; i < M2M_ARRAY_LEN(crit); i++) {
		f = get_cse();
		opt_s(f, crit[i], "");
		refused(f, M2M_E_PROTO, 4000, C(4, 2));
	}
	for (size_t i = 0; i < M2M_ARRAY_LEN(once); i++) {
		f = get_cse();
		opt_s(f, once[i], "20261204T221500");
		opt_s(f, once[i], "20261204T221500");
		refused(f, M2M_E_PROTO, 4000, C(4, 2));
	}
	f = get_cse(); /* elective but acted upon: a second Content-Format is refused too */
	opt_u(f, M2MI_COAP_OPT_CONTENT_FORMAT, 50);
	opt_u(f, M2MI_COAP_OPT_CONTENT_FORMAT, 60);
	refused(f, M2M_E_PROTO, 4000, C(4, 2));
	f = get_cse();
	opt_s(f, M2MI_COAP_OPT_FR, "C\xff");
	refused(f, M2M_E_PROTO, 4000, C(4, 2));
	f = get_cse();
	opt_s(f, M2MI_COAP_OPT_FR, "CAE1\r\nX: y");
	refused(f, M2M_E_PROTO, 4000, C(4, 2));
	f = get_cse();
	opt_b(f, M2MI_COAP_OPT_URI_PATH, "a\0b", 3);
	refused(f, M2M_E_PROTO, 4000, C(4, 2));
	f = get_cse(); /* more than M2MI_COAP_MAX_NOPTS options */
	for (int i = 0; i < M2MI_COAP_MAX_NOPTS; i++)
		opt_s(f, 1000, "");
	refused(f, M2M_E_PROTO, 4000, C(4, 2));
}

static void test_proxy_refused(void **state)
{
	fx *f = get_cse();
	opt_s(f, M2MI_COAP_OPT_PROXY_URI, "coap://other/x");
	refused(f, M2M_E_PROTO, 5001, C(5, 5));
	f = get_cse();
	opt_s(f, M2MI_COAP_OPT_PROXY_SCHEME, "coap");
	refused(f, M2M_E_PROTO, 5001, C(5, 5));
}

/* ---- Uri-Query: TS-0008 clause 6.2.2.3 --------------------------------------------------------- */

static void test_query(void **state)
{
	fx *f = get_cse();
	opt_s(f, M2MI_COAP_OPT_URI_QUERY, "rcn=1");
	opt_s(f, M2MI_COAP_OPT_URI_QUERY, "fu=1");
	opt_s(f, M2MI_COAP_OPT_URI_QUERY, "ty=2+3");
	opt_s(f, M2MI_COAP_OPT_URI_QUERY, "ty=4");
	opt_s(f, M2MI_COAP_OPT_URI_QUERY, "lbl=a&b=c%");
	opt_s(f, M2MI_COAP_OPT_URI_QUERY, "drt=2");
	opt_s(f, M2MI_COAP_OPT_URI_QUERY, "rids=r1+r2");
	opt_s(f, M2MI_COAP_OPT_URI_QUERY, "tids=t1");
	opt_s(f, M2MI_COAP_OPT_URI_QUERY, "tqi=true");
	opt_s(f, M2MI_COAP_OPT_URI_QUERY, "tkns=tokA+tokB");
	opt_s(f, M2MI_COAP_OPT_URI_QUERY, "lim=5");
	opt_s(f, M2MI_COAP_OPT_URI_QUERY, "");
	assert_int_equal(run(f), M2M_OK);
	assert_int_equal(f->req.rcn, 1);
	assert_int_equal(f->req.fc.fu, 1);
	assert_int_equal(f->req.fc.nty, 3);
	assert_int_equal(f->req.fc.ty[2], 4);
	assert_int_equal(f->req.fc.nlbl, 1);
	assert_string_equal(f->req.fc.lbl[0], "a&b=c%"); /* no second parameter smuggled in */
	assert_int_equal(f->req.drt, 2);
	assert_int_equal(f->req.nrids, 2);
	assert_string_equal(f->req.rids[1], "r2");
	assert_int_equal(f->req.ntids, 1);
	assert_true(f->req.tqi);
	assert_string_equal(f->req.tkns, "tokA+tokB");
	assert_int_equal(f->req.fc.lim, 5);
	done(f);

	/* TS-0008 clause 6.2.2.3: ltids, auri and asi travel as Uri-Query too */
	f = get_cse();
	opt_s(f, M2MI_COAP_OPT_URI_QUERY, "ltids=l1+l2");
	opt_s(f, M2MI_COAP_OPT_URI_QUERY, "auri=true");
	opt_s(f, M2MI_COAP_OPT_URI_QUERY, "asi=0");
	assert_int_equal(run(f), M2M_OK);
	assert_int_equal(f->req.nltids, 2);
	assert_string_equal(f->req.ltids[1], "l2");
	assert_int_equal(f->req.auri, 2);
	assert_int_equal(f->req.asi, 1);
	done(f);

	const char *bad[] = {"foo=1", "ltids=", "auri=yes", "asi=2", "rcn", "rcn=", "rcn=abc", "drt=3",
			     "tkns", "tkns=", "rcn=1&rcn=2", "fu=1&lim=-1"};
	for (size_t i = 0; i < M2M_ARRAY_LEN(bad); i++) {
		f = get_cse();
		opt_s(f, M2MI_COAP_OPT_URI_QUERY, bad[i]);
		refused(f, M2M_E_PROTO, 4000, C(4, 0));
	}
	f = get_cse(); /* a parameter twice, in two options */
	opt_s(f, M2MI_COAP_OPT_URI_QUERY, "rcn=1");
	opt_s(f, M2MI_COAP_OPT_URI_QUERY, "rcn=1");
	refused(f, M2M_E_PROTO, 4000, C(4, 0));
	f = get_cse();
	opt_s(f, M2MI_COAP_OPT_URI_QUERY, "tkns=a");
	opt_s(f, M2MI_COAP_OPT_URI_QUERY, "tkns=b");
	refused(f, M2M_E_PROTO, 4000, C(4, 0));
}

/* ---- Content-Format (clause 6.2.2.2), TY (clause 6.2.1), payload (clause 6.2.3) -------------- */

static fx *post(unsigned long ty, long cf, const char *body)
{
	fx *f = mk(M2MI_COAP_POST);
	opt_s(f, M2MI_COAP_OPT_URI_PATH, "cse");
	if (ty)
		opt_u(f, M2MI_COAP_OPT_TY, ty);
	if (cf >= 0)
		opt_u(f, M2MI_COAP_OPT_CONTENT_FORMAT, (unsigned long)cf);
	f->m.payload = (const uint8_t *)body;
	f->m.payload_len = body ? strlen(body) : 0;
	return f;
}

static void test_content(void **state)
{
	refused(post(2, 60, ae), M2M_E_PROTO, 4000, C(4, 0));     /* JSON text labelled CBOR */
	refused(post(2, 10012, ae), M2M_E_PROTO, 4015, C(4, 15)); /* preq+cbor: a whole primitive */
	refused(post(2, 10013, ae), M2M_E_PROTO, 4015, C(4, 15)); /* prsp+cbor */
	refused(post(2, 41, ae), M2M_E_PROTO, 4015, C(4, 15));    /* XML */
	refused(post(2, 10007, ae), M2M_E_PROTO, 4015, C(4, 15)); /* preq+json: a whole primitive */
	refused(post(2, -1, ae), M2M_E_PROTO, 4015, C(4, 15));    /* payload without Content-Format */
	refused(post(2, 50, NULL), M2M_E_PROTO, 4000, C(4, 0));   /* CREATE needs content */
	refused(post(2, 50, "{\"m2m:ae\":"), M2M_E_PROTO, 4000, C(4, 0));
	refused(post(2, 50, "[1]"), M2M_E_PROTO, 4000, C(4, 0));
	refused(post(2, 50, "{\"a\":1,\"a\":2}"), M2M_E_PROTO, 4000, C(4, 0));
	refused(post(65536, 50, ae), M2M_E_PROTO, 4000, C(4, 2)); /* TY is 2 bytes */
}

static void test_content_more(void **state)
{
	fx *f = post(0, 50, NULL); /* NOTIFY without content maps */
	assert_int_equal(run(f), M2M_OK);
	assert_int_equal(f->req.op, M2M_OP_NOTIFY);
	assert_null(f->req.pc);
	done(f);

	f = post(0, -1, NULL); /* TY present with value 0 (zero-length uint) */
	opt_b(f, M2MI_COAP_OPT_TY, "", 0);
	refused(f, M2M_E_PROTO, 4000, C(4, 0));

	f = get_cse(); /* TY on GET is mapped; the CSE refuses it (TS-0004 Table 7.2.1.1-1) */
	opt_u(f, M2MI_COAP_OPT_TY, 2);
	assert_int_equal(run(f), M2M_OK);
	assert_int_equal(f->req.op, M2M_OP_RETRIEVE);
	assert_int_equal(f->req.ty, 2);
	done(f);

	f = get_cse(); /* RETRIEVE: Content-Format and payload ignored */
	opt_u(f, M2MI_COAP_OPT_CONTENT_FORMAT, 60);
	f->m.payload = (const uint8_t *)"\xa1";
	f->m.payload_len = 1;
	assert_int_equal(run(f), M2M_OK);
	assert_null(f->req.pc);
	done(f);
}

static void test_accept(void **state)
{
	fx *f = get_cse();
	opt_u(f, M2MI_COAP_OPT_ACCEPT, 10001);
	assert_int_equal(run(f), M2M_OK);
	assert_int_equal(f->info.content_format, 10001);
	done(f);
	f = get_cse();
	assert_int_equal(run(f), M2M_OK);
	assert_int_equal(f->info.content_format, 50);
	done(f);

	f = get_cse(); /* 5207 NOT_ACCEPTABLE = 4.06 (Table 6.2.4-1) */
	opt_u(f, M2MI_COAP_OPT_ACCEPT, 10011);
	refused(f, M2M_E_PROTO, 5207, C(4, 6));
	f = get_cse();
	opt_u(f, M2MI_COAP_OPT_ACCEPT, 41);
	refused(f, M2M_E_PROTO, 5207, C(4, 6));
	f = mk(M2MI_COAP_GET); /* another error takes precedence (clause 6.2.2.2) */
	opt_u(f, M2MI_COAP_OPT_ACCEPT, 60);
	refused(f, M2M_E_PROTO, 4000, C(4, 0));
}

/* TS-0004 clause 8.5 via TS-0008 clause 6.2.2.2: a CBOR body maps to the request of its JSON
 * twin; without Accept the answer is CBOR (60); Accept decides otherwise. The CBOR of ae is
 * /usr/bin/python3 -c 'import cbor2,json; print(cbor2.dumps(json.loads(AE)).hex())'. */
static const char ae_cbor[] = "\xa1\x66m2m:ae\xa2\x63" "api\x62Nx\x62rr\xf4";

static fx *post_b(long cf, const char *body, size_t len)
{
	fx *f = post(2, cf, NULL);
	f->m.payload = (const uint8_t *)body;
	f->m.payload_len = len;
	return f;
}

static void test_cbor(void **state)
{
	static const long cfs[] = {60, 10010, 10011};
	json_t *twin = json_loads(ae, 0, NULL);
	m2mi_coap_out out;
	fx *f;

	for (size_t i = 0; i < M2M_ARRAY_LEN(cfs); i++) {
		f = post_b(cfs[i], ae_cbor, sizeof(ae_cbor) - 1);
		assert_int_equal(run(f), M2M_OK);
		assert_int_equal(f->req.op, M2M_OP_CREATE);
		assert_true(json_equal(f->req.pc, twin));
		assert_int_equal(f->info.content_format, 60);
		done(f);
	}
	json_decref(twin);
	f = post_b(60, ae_cbor, sizeof(ae_cbor) - 1); /* Accept decides: JSON */
	opt_u(f, M2MI_COAP_OPT_ACCEPT, 50);
	assert_int_equal(run(f), M2M_OK);
	assert_int_equal(f->info.content_format, 50);
	done(f);
	f = post_b(60, ae_cbor, sizeof(ae_cbor) - 1); /* an unsupported Accept: 4.06 in CBOR */
	opt_u(f, M2MI_COAP_OPT_ACCEPT, 41);
	assert_int_equal(run(f), M2M_E_PROTO);
	assert_int_equal(f->rsp.rsc, 5207);
	assert_int_equal(f->info.content_format, 60);
	done(f);
	f = get_cse(); /* a JSON-less RETRIEVE asking for CBOR */
	opt_u(f, M2MI_COAP_OPT_ACCEPT, 10010);
	assert_int_equal(run(f), M2M_OK);
	assert_int_equal(f->info.content_format, 10010);
	done(f);
	/* malformed, not a map, trailing bytes, duplicate key, too deep: 4000 and nothing maps */
	refused(post_b(60, "\xa1\x66m2m:ae", 8), M2M_E_PROTO, 4000, C(4, 0));
	refused(post_b(60, "\x81\x01", 2), M2M_E_PROTO, 4000, C(4, 0));
	refused(post_b(60, "\xa0\x00", 2), M2M_E_PROTO, 4000, C(4, 0));
	refused(post_b(60, "\xa2\x61\x61\x01\x61\x61\x02", 7), M2M_E_PROTO, 4000, C(4, 0));
	refused(post_b(60, "\xa1\x01\x02", 3), M2M_E_PROTO, 4000, C(4, 0));
	{ /* {"x": [[[...0...]]]} nested 200 deep */
		static char deep[3 + M2MI_CBOR_DEEP + 1] = "\xa1\x61x";
		memset(deep + 3, 0x81, M2MI_CBOR_DEEP);
		refused(post_b(60, deep, sizeof(deep)), M2M_E_PROTO, 4000, C(4, 0));
	}
	/* the refusal of a CBOR request is itself CBOR (60): {"m2m:dbg": ...} */
	f = post_b(60, "\xa1\x01\x02", 3);
	assert_int_equal(run(f), M2M_E_PROTO);
	assert_int_equal(m2mi_coap_from_response(NULL, &f->rsp, &f->info, &out), M2M_OK);
	assert_int_equal((uint8_t)out.payload[0], 0xa1);
	assert_memory_equal(out.payload + 1, "\x67m2m:dbg", 8);
	m2mi_coap_out_clear(&out);
	done(f);
}

/* ---- Block-wise transfer (RFC 7959) and limits ------------------------------------------------ */

static void test_blocks(void **state)
{
	fx *f = post(2, 50, ae);
	opt_u(f, M2MI_COAP_OPT_BLOCK1, (2 << 4) | 6); /* last block, NUM 2, SZX 6 */
	opt_u(f, M2MI_COAP_OPT_BLOCK2, 0);
	assert_int_equal(run(f), M2M_OK);
	done(f);

	f = post(2, 50, ae);
	opt_u(f, M2MI_COAP_OPT_BLOCK1, 8 | 6); /* more to come: not reassembled */
	refused(f, M2M_E_PROTO, 4000, C(4, 8));
	f = get_cse();
	opt_u(f, M2MI_COAP_OPT_BLOCK2, 7); /* SZX 7 reserved */
	refused(f, M2M_E_PROTO, 4000, C(4, 0));
	f = get_cse();
	opt_u(f, M2MI_COAP_OPT_BLOCK1, 0x1000000); /* 0-3 bytes */
	refused(f, M2M_E_PROTO, 4000, C(4, 2));
}

static void test_limits(void **state)
{
	char big[300];
	fx *f = post(2, 50, ae);

	f->lim.max_payload = strlen(ae) - 1;
	refused(f, M2M_E_TOO_LARGE, 4000, C(4, 13));
	memset(big, 'p', sizeof(big));
	f = get_cse();
	f->lim.max_options = 500;
	opt_b(f, M2MI_COAP_OPT_URI_PATH, big, 255);
	opt_b(f, M2MI_COAP_OPT_URI_PATH, big, 255);
	refused(f, M2M_E_TOO_LARGE, 4000, C(4, 13));
}

static void test_echo_and_inval(void **state)
{
	fx *f = mk(M2MI_COAP_GET); /* refused: RQI echoed, request cleared */
	assert_int_equal(run(f), M2M_E_PROTO);
	assert_string_equal(f->rsp.rqi, "r1");
	assert_null(f->req.rqi);
	done(f);

	f = get_cse();
	f->m.opts = NULL;
	f->m.nopts = 1;
	assert_int_equal(m2mi_coap_to_request(&f->m, NULL, &f->req, &f->rsp, &f->info), M2M_E_INVAL);
	assert_int_equal(m2mi_coap_to_request(NULL, NULL, &f->req, &f->rsp, &f->info), M2M_E_INVAL);
	f->m.opts = f->o;
	f->m.nopts = f->n;
	f->m.payload_len = 3;
	assert_int_equal(m2mi_coap_to_request(&f->m, NULL, &f->req, &f->rsp, &f->info), M2M_E_INVAL);
	assert_int_equal(m2mi_coap_to_request(&f->m, NULL, &f->req, &f->rsp, NULL), M2M_E_INVAL);
	done(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_methods),
		cmocka_unit_test(test_not_a_request),
		cmocka_unit_test(test_uri_path),
		cmocka_unit_test(test_mapped_options),
		cmocka_unit_test(test_accepted_options),
		cmocka_unit_test(test_response_only_options),
		cmocka_unit_test(test_rqi_rvi),
		cmocka_unit_test(test_bad_options),
		cmocka_unit_test(test_proxy_refused),
		cmocka_unit_test(test_query),
		cmocka_unit_test(test_content),
		cmocka_unit_test(test_content_more),
		cmocka_unit_test(test_accept),
		cmocka_unit_test(test_cbor),
		cmocka_unit_test(test_blocks),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_echo_and_inval),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
