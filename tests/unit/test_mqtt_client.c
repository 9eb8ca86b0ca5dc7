/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the unit tests of bindings/mqtt_client.c (TS-0010 V3.1.0 clauses 6.3-6.5,
 * 7.2-7.3): the configuration it accepts, and what one received PUBLISH becomes (answer topic,
 * answer payload, and the security association handed to the CSE), without a broker.
 */
#include <stdlib.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>
#include "m2m_test.h"
#include "core/metrics.h"
#include "m2msec/credstore.h"
#include "m2msec/hex.h"
#include "m2msec/mqtt.h"
#include "m2msec/mqttclient.h"
#include "m2msec/originator.h"
#include "m2msec/rsc.h"
#include "m2msec/tls.h"

struct seen {
	int calls;
	m2m_sa sa;
	char fr[64];
};

static void handler(void *ctx, const m2m_sa *sa, m2m_request *req, m2m_response *rsp)
{
	struct seen *s = ctx;

	m2m_origin_ctx octx = {.cse_id = "/id-in", .sp_id = "//m2msec.example.com"};
	bool authn;
	int rsc;

	s->calls++;
	s->sa = *sa;
	snprintf(s->fr, sizeof(s->fr), "%s", req->fr ? req->fr : "");
	/* the CSE's first step (services/cse/cse.c): its originator rules with this association */
	rsc = m2m_originator_check(&octx, sa, req, &authn, NULL, NULL, 0);
	rsp->rsc = rsc != 0 ? rsc : req->op == M2M_OP_CREATE ? M2M_RSC_CREATED : M2M_RSC_OK;
}

static const m2m_mqtt_client_config good = {.broker = "mqtts://127.0.0.1:8883", .ca = "ca.pem",
					    .cert = "cse.crt", .key = "cse.key", .cse_id = "/id-in",
					    .sp_id = "//m2msec.example.com"};

static m2m_mqtt_client *client(struct seen *s)
{
	m2m_mqtt_client *c = NULL;

	memset(s, 0, sizeof(*s));
	assert_int_equal(m2m_mqtt_client_new(&good, handler, s, &c), M2M_OK);
	return c;
}

/* Process one message; returns its answer's rsc (or -1 when dropped), rsp_topic filled. */
static int process(m2m_mqtt_client *c, const char *topic, const char *payload, char *rsp_topic, char *rqi)
{
	char *out = (char *)1;
	size_t n = 7;
	json_t *j;
	int rsc;
	m2m_err r = m2m_mqtt_client_process(c, topic, (const uint8_t *)payload, strlen(payload), rsp_topic,
					    M2M_MQTT_TOPIC_MAX + 1, &out, &n);

	if (r == M2M_E_PROTO) {
		assert_null(out);
		assert_int_equal(n, 0);
		return -1;
	}
	assert_int_equal(r, M2M_OK);
	assert_non_null(out);
	assert_int_equal(strlen(out), n);
	assert_non_null(j = json_loadb(out, n, 0, NULL));
	rsc = (int)json_integer_value(json_object_get(j, "rsc"));
	if (rqi != NULL)
		snprintf(rqi, 64, "%s", json_string_value(json_object_get(j, "rqi")) ?: "");
	json_decref(j);
	free(out);
	return rsc;
}

/* TS-0010 clause 7.3: TLS with both ends authenticated; the CSE-ID is the receiver level. */
static void test_config(void **state)
{
	m2m_mqtt_client *c = (m2m_mqtt_client *)1;
	struct seen s;
	m2m_mqtt_client_config bad;

	(void)state;
	assert_int_equal(m2m_mqtt_client_new(NULL, handler, &s, &c), M2M_E_INVAL);
	assert_null(c);
	assert_int_equal(m2m_mqtt_client_new(&good, NULL, &s, &c), M2M_E_INVAL);
	bad = good;
	bad.broker = "mqtt://127.0.0.1:1883";
	assert_int_equal(m2m_mqtt_client_new(&bad, handler, &s, &c), M2M_E_CONFIG);
	bad.broker = "mqtts://127.0.0.1";
	assert_int_equal(m2m_mqtt_client_new(&bad, handler, &s, &c), M2M_E_CONFIG);
	bad = good;
	bad.ca = "";
	assert_int_equal(m2m_mqtt_client_new(&bad, handler, &s, &c), M2M_E_CONFIG);
	bad = good;
	bad.key = NULL;
	assert_int_equal(m2m_mqtt_client_new(&bad, handler, &s, &c), M2M_E_CONFIG);
	bad = good;
	bad.cse_id = "/id+in";
	assert_int_equal(m2m_mqtt_client_new(&bad, handler, &s, &c), M2M_E_CONFIG);
	bad.cse_id = "id-in";
	assert_int_equal(m2m_mqtt_client_new(&bad, handler, &s, &c), M2M_E_CONFIG);
	assert_null(c);
	/* unreadable TLS files: refused at start, before any thread or connection */
	c = client(&s);
	assert_int_equal(m2m_mqtt_client_start(c), M2M_E_CONFIG);
	m2m_mqtt_client_stop(c);
	m2m_mqtt_client_free(c);
	m2m_mqtt_client_free(NULL);
}

/* Clause 7.2: on a req topic the broker vouches for the originator level; the association is
 * bound to it, and the CSE's originator rules judge From against it as over HTTPS. */
static void test_request(void **state)
{
	struct seen s;
	m2m_mqtt_client *c = client(&s);
	char topic[M2M_MQTT_TOPIC_MAX + 1], rqi[64];

	(void)state;
	assert_int_equal(process(c, "/oneM2M/req/CAE01/id-in/json",
				 "{\"op\":2,\"to\":\"/id-in\",\"fr\":\"CAE01\",\"rqi\":\"r1\",\"rvi\":\"3\"}", topic, rqi),
			 M2M_RSC_OK);
	assert_string_equal(topic, "/oneM2M/resp/CAE01/id-in/json");
	assert_string_equal(rqi, "r1");
	assert_int_equal(s.calls, 1);
	assert_int_equal(s.sa.kind, M2M_SA_BROKER);
	assert_int_equal(s.sa.entity, M2M_ENTITY_AE);
	assert_string_equal(s.sa.bound_id, "CAE01");
	assert_string_equal(s.sa.credential_id, "");
	/* no type level: JSON, the answer still names /json; the level read back as an SP-relative
	 * AE-ID, which a Registree AE may not use as From (TS-0004 7.3.2.1: 4000, as over HTTPS) */
	assert_int_equal(process(c, "/oneM2M/req/id-in:CAE01/id-in",
				 "{\"op\":2,\"to\":\"/id-in\",\"fr\":\"/id-in/CAE01\",\"rqi\":\"r2\",\"rvi\":\"3\"}", topic,
				 NULL),
			 M2M_RSC_BAD_REQUEST);
	assert_string_equal(topic, "/oneM2M/resp/id-in:CAE01/id-in/json");
	assert_string_equal(s.sa.bound_id, "/id-in/CAE01");
	assert_int_equal(s.calls, 2);
	/* spoofed From: 4106 from the originator rules (the association is CAE01's) */
	assert_int_equal(process(c, "/oneM2M/req/CAE01/id-in/json",
				 "{\"op\":2,\"to\":\"/id-in\",\"fr\":\"CAE02\",\"rqi\":\"r3\",\"rvi\":\"3\"}", topic, rqi),
			 M2M_RSC_ORIGINATOR_NOT_AUTHENTICATED);
	assert_string_equal(rqi, "r3");
	assert_string_equal(topic, "/oneM2M/resp/CAE01/id-in/json");
	assert_string_equal(s.sa.bound_id, "CAE01");
	/* From missing, and a CSE-ID From on an AE's topic: 4000 as over HTTPS */
	assert_int_equal(process(c, "/oneM2M/req/CAE01/id-in/json",
				 "{\"op\":2,\"to\":\"/id-in\",\"rqi\":\"r3\",\"rvi\":\"3\"}", topic, NULL),
			 M2M_RSC_BAD_REQUEST);
	assert_int_equal(process(c, "/oneM2M/req/Cx/id-in/json",
				 "{\"op\":2,\"to\":\"/id-in\",\"fr\":\"/Cx\",\"rqi\":\"r5\",\"rvi\":\"3\"}", topic, NULL),
			 M2M_RSC_BAD_REQUEST);
	assert_int_equal(s.calls, 5);
	/* a level that reads as a CSE-ID ("id-mn" -> "/id-mn"): 4107, the CSE never sees it */
	assert_int_equal(process(c, "/oneM2M/req/id-mn/id-in/json",
				 "{\"op\":2,\"to\":\"/id-in\",\"fr\":\"/id-mn\",\"rqi\":\"r4\",\"rvi\":\"3\"}", topic, NULL),
			 M2M_RSC_SECURITY_ASSOCIATION_REQUIRED);
	assert_int_equal(process(c, "/oneM2M/req/:sp.example.org:id-mn/id-in/json",
				 "{\"op\":2,\"to\":\"/id-in\",\"fr\":\"//sp.example.org/id-mn\",\"rqi\":\"r6\",\"rvi\":\"3\"}",
				 topic, NULL),
			 M2M_RSC_SECURITY_ASSOCIATION_REQUIRED);
	assert_int_equal(s.calls, 5);
	/* mapping refusals are answered, not handled */
	assert_int_equal(process(c, "/oneM2M/req/CAE01/id-in/xml", "<x/>", topic, NULL), 4015);
	assert_int_equal(process(c, "/oneM2M/req/CAE01/id-in/json", "{\"op\":2", topic, NULL), M2M_RSC_BAD_REQUEST);
	assert_int_equal(process(c, "/oneM2M/req/CAE01/id-in/json", "", topic, NULL), M2M_RSC_BAD_REQUEST);
	assert_int_equal(s.calls, 5);
	m2m_mqtt_client_free(c);
}

/* Clause 6.4.4 / 7.2: on reg_req the level is the broker-given Credential-ID, resolved through the
 * TLS resolver chain; a client without that chain (tls NULL), a level that is no Credential-ID and
 * a certificate Credential-ID resolve to nothing: 4106 on reg_resp, the handler never runs. (The
 * positive path, with a real chain and broker: tests/system/test_43_mqtt_psk.py.) */
static void test_registration(void **state)
{
	struct seen s;
	m2m_mqtt_client *c = client(&s);
	char topic[M2M_MQTT_TOPIC_MAX + 1], rqi[64];
	const char *ae = "{\"op\":1,\"to\":\"/id-in\",\"fr\":\"C\",\"rqi\":\"g1\",\"rvi\":\"3\",\"ty\":2,"
			 "\"pc\":{\"m2m:ae\":{\"api\":\"Nx\",\"rr\":false,\"srv\":[\"3\"]}}}";

	(void)state;
	assert_int_equal(process(c, "/oneM2M/reg_req/dev9/id-in/json", ae, topic, rqi),
			 M2M_RSC_ORIGINATOR_NOT_AUTHENTICATED);
	assert_string_equal(topic, "/oneM2M/reg_resp/dev9/id-in/json");
	assert_string_equal(rqi, "g1");
	assert_int_equal(process(c, "/oneM2M/reg_req/12-kpsa1@m2msec.example.com/id-in/json", ae, topic, rqi),
			 M2M_RSC_ORIGINATOR_NOT_AUTHENTICATED);
	assert_string_equal(topic, "/oneM2M/reg_resp/12-kpsa1@m2msec.example.com/id-in/json");
	assert_int_equal(process(c, "/oneM2M/reg_req/33-ABCD/id-in/json", ae, topic, rqi),
			 M2M_RSC_ORIGINATOR_NOT_AUTHENTICATED);
	assert_int_equal(s.calls, 0);
	/* only AE / remoteCSE creation on reg_req (4000), not handled */
	assert_int_equal(process(c, "/oneM2M/reg_req/dev9/id-in/json",
				 "{\"op\":2,\"to\":\"/id-in\",\"fr\":\"C\",\"rqi\":\"g2\",\"rvi\":\"3\"}", topic, NULL),
			 M2M_RSC_BAD_REQUEST);
	assert_int_equal(s.calls, 0);
	m2m_mqtt_client_free(c);
}

static void add_kpsa(m2m_credstore *st, const char *id, const char *owner, int64_t nb, int64_t na)
{
	uint8_t b[32];
	m2m_key *k = NULL;
	m2m_cred_info info = {.kind = M2M_CRED_KIND_KPSA, .id = (char *)(uintptr_t)id,
			      .owner = (char *)(uintptr_t)owner, .suid = 12, .not_before = nb, .not_after = na,
			      .created_at = (int64_t)time(NULL)};

	memset(b, 0x5a, sizeof(b));
	assert_int_equal(m2m_key_new(b, sizeof(b), &k), M2M_OK);
	assert_int_equal(m2m_credstore_add(st, &info, k, NULL, NULL), M2M_OK);
	m2m_key_free(k);
}

/* TS-0010 clauses 6.4.4 / 7.2 with the resolver chain of the HTTPS listener (a credential store):
 * an active Credential-ID gives its bound AE-ID (or, unbound, only the Credential-ID); unknown,
 * revoked, expired and not-yet-valid Credential-IDs are 4106 and never reach the handler. */
static void test_registration_resolved(void **state)
{
	char dir[] = "/tmp/m2m_mqtt_regXXXXXX", path[64], topic[M2M_MQTT_TOPIC_MAX + 1], rqi[64];
	const int64_t now = (int64_t)time(NULL);
	m2m_credstore *st = NULL;
	m2m_tls *tls = NULL;
	m2m_tls_config tc = {.sp_id = "//m2msec.example.com"};
	m2m_mqtt_client_config cfg = good;
	m2m_mqtt_client *c = NULL;
	struct seen s;
	const char *ae = "{\"op\":1,\"to\":\"/id-in\",\"fr\":\"C\",\"rqi\":\"q\",\"rvi\":\"3\",\"ty\":2,"
			 "\"pc\":{\"m2m:ae\":{\"api\":\"Nx\",\"rr\":false,\"srv\":[\"3\"]}}}";
	const char *refused[] = {
		"12-kpsa9@m2msec.example.com", /* unknown */
		"12-kpsa2@m2msec.example.com", /* revoked */
		"12-kpsa3@m2msec.example.com", /* expired */
		"12-kpsa4@m2msec.example.com", /* not yet valid */
		"12-x y",                      /* no Credential-ID (a space) */
		"34-node1.m2msec.example.com", /* a certificate's: the CSE never saw it */
	};

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/creds.db", dir);
	assert_int_equal(m2m_credstore_create(path, &st), M2M_OK);
	add_kpsa(st, "kpsa1@m2msec.example.com", "CAE01", 0, 0);
	add_kpsa(st, "kpsa2@m2msec.example.com", "CAE02", 0, 0);
	assert_int_equal(m2m_credstore_revoke(st, "kpsa2@m2msec.example.com", now), M2M_OK);
	add_kpsa(st, "kpsa3@m2msec.example.com", "CAE03", now - 7200, now - 3600);
	add_kpsa(st, "kpsa4@m2msec.example.com", "CAE04", now + 3600, 0);
	add_kpsa(st, "kpsa5@m2msec.example.com", NULL, 0, 0);
	tc.store = st;
	assert_int_equal(m2m_tls_new(&tc, &tls), M2M_OK);
	cfg.tls = tls;
	memset(&s, 0, sizeof(s));
	assert_int_equal(m2m_mqtt_client_new(&cfg, handler, &s, &c), M2M_OK);

	assert_int_equal(process(c, "/oneM2M/reg_req/12-kpsa1@m2msec.example.com/id-in/json", ae, topic, rqi),
			 M2M_RSC_CREATED);
	assert_int_equal(s.calls, 1);
	assert_int_equal(s.sa.kind, M2M_SA_BROKER);
	assert_int_equal(s.sa.entity, M2M_ENTITY_AE);
	assert_string_equal(s.sa.bound_id, "CAE01");
	assert_string_equal(s.sa.credential_id, "12-kpsa1@m2msec.example.com");
	assert_int_equal(s.sa.suid, 12);
	assert_int_equal(process(c, "/oneM2M/reg_req/12-kpsa5@m2msec.example.com/id-in/json", ae, topic, rqi),
			 M2M_RSC_CREATED);
	assert_int_equal(s.calls, 2);
	assert_int_equal(s.sa.entity, M2M_ENTITY_UNKNOWN);
	assert_string_equal(s.sa.bound_id, "");
	assert_string_equal(s.sa.credential_id, "12-kpsa5@m2msec.example.com");
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		char t[M2M_MQTT_TOPIC_MAX + 1];
		snprintf(t, sizeof(t), "/oneM2M/reg_req/%s/id-in/json", refused[i]);
		assert_int_equal(process(c, t, ae, topic, rqi), M2M_RSC_ORIGINATOR_NOT_AUTHENTICATED);
		assert_string_equal(rqi, "q");
	}
	assert_int_equal(s.calls, 2);
	m2m_mqtt_client_free(c);
	m2m_tls_free(tls);
	m2m_credstore_close(st);
	unlink(path);
	snprintf(path, sizeof(path), "%s/creds.db-wal", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/creds.db-shm", dir);
	unlink(path);
	rmdir(dir);
}

/* TS-0010 clause 7.3 with a PSK: identity + a 0600 hex key file, never together with a
 * certificate; the file's mode, content and length are checked when the client is created. */
static void test_psk_config(void **state)
{
	char dir[] = "/tmp/m2m_mqtt_pskXXXXXX", path[64];
	m2m_mqtt_client_config p = {.broker = "mqtts://127.0.0.1:8884", .cse_id = "/id-in",
				    .sp_id = "//m2msec.example.com", .psk_identity = "kpsa-cse@m2msec.example.com"};
	m2m_mqtt_client *c = NULL;
	struct seen s;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/psk", dir);
	p.psk_file = path;
	assert_int_equal(m2m_mqtt_client_new(&p, handler, &s, &c), M2M_E_NOT_FOUND);
	assert_non_null(f = fopen(path, "w"));
	fputs("00112233445566778899aabbccddeeff\n", f);
	fclose(f);
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(m2m_mqtt_client_new(&p, handler, &s, &c), M2M_E_KEY_PERMS);
	assert_int_equal(chmod(path, 0600), 0);
	assert_int_equal(m2m_mqtt_client_new(&p, handler, &s, &c), M2M_OK);
	m2m_mqtt_client_free(c);
	c = NULL;
	p.cert = "cse.crt"; /* both a certificate and a PSK */
	assert_int_equal(m2m_mqtt_client_new(&p, handler, &s, &c), M2M_E_CONFIG);
	p.cert = NULL;
	p.psk_identity = NULL; /* a PSK file without an identity */
	assert_int_equal(m2m_mqtt_client_new(&p, handler, &s, &c), M2M_E_CONFIG);
	p.psk_identity = "kpsa-cse@m2msec.example.com";
	assert_non_null(f = fopen(path, "w"));
	fputs("00112233445566778899aabbccddee\n", f); /* 15 bytes: too short */
	fclose(f);
	assert_int_equal(m2m_mqtt_client_new(&p, handler, &s, &c), M2M_E_CONFIG);
	assert_non_null(f = fopen(path, "w"));
	fputs("not hex at all, not hex at all!!", f);
	fclose(f);
	assert_int_equal(m2m_mqtt_client_new(&p, handler, &s, &c), M2M_E_CONFIG);
	assert_null(c);
	unlink(path);
	rmdir(dir);
}

/* Messages that are no request to this CSE have no one to answer: dropped, handler untouched. */
static void test_dropped(void **state)
{
	struct seen s;
	m2m_mqtt_client *c = client(&s);
	char topic[M2M_MQTT_TOPIC_MAX + 1];
	char *out = NULL;
	size_t n = 0;
	const char *p = "{\"op\":2,\"to\":\"/id-mn\",\"fr\":\"CAE01\",\"rqi\":\"r1\",\"rvi\":\"3\"}";

	(void)state;
	assert_int_equal(process(c, "/oneM2M/req/CAE01/id-mn/json", p, topic, NULL), -1);
	assert_int_equal(process(c, "/oneM2M/resp/CAE01/id-in/json", p, topic, NULL), -1);
	assert_int_equal(process(c, "/oneM2M/reg_resp/CAE01/id-in/json", p, topic, NULL), -1);
	assert_int_equal(process(c, "/oneM2M/req/CAE01/id-in/json/extra", p, topic, NULL), -1);
	assert_int_equal(process(c, "/other/req/CAE01/id-in/json", p, topic, NULL), -1);
	assert_int_equal(process(c, "", p, topic, NULL), -1);
	assert_int_equal(s.calls, 0);
	assert_int_equal(m2m_mqtt_client_process(c, NULL, NULL, 0, topic, sizeof(topic), &out, &n), M2M_E_INVAL);
	assert_int_equal(m2m_mqtt_client_process(c, "/oneM2M/req/CAE01/id-in", NULL, 3, topic, sizeof(topic), &out,
						 &n),
			 M2M_E_INVAL);
	assert_int_equal(m2m_mqtt_client_process(NULL, "/oneM2M/req/CAE01/id-in", NULL, 0, topic, sizeof(topic), &out,
						 &n),
			 M2M_E_INVAL);
	m2m_mqtt_client_free(c);
}

/* docs/operations.md: a request over MQTT is counted with the others (m2msec_requests_total). */
static void test_metrics_counted(void **state)
{
	struct seen s;
	m2m_mqtt_client *c = client(&s);
	char topic[M2M_MQTT_TOPIC_MAX + 1], *text = NULL;
	size_t len = 0;

	(void)state;
	m2mi_metrics_enable(true);
	m2mi_metrics_reset();
	assert_int_equal(process(c, "/oneM2M/req/CAE01/id-in/json",
				 "{\"op\":2,\"to\":\"/id-in\",\"fr\":\"CAE01\",\"rqi\":\"r1\",\"rvi\":\"3\"}", topic, NULL),
			 M2M_RSC_OK);
	assert_int_equal(m2mi_metrics_render(&text, &len), M2M_OK);
	assert_non_null(strstr(text, "\nm2msec_requests_total{op=\"retrieve\",rsc=\"2000\"} 1\n"));
	assert_non_null(strstr(text, "\nm2msec_request_duration_seconds_count{op=\"retrieve\"} 1\n"));
	assert_null(strstr(text, "CAE01"));
	free(text);
	m2mi_metrics_enable(false);
	m2m_mqtt_client_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config),
		cmocka_unit_test(test_request),
		cmocka_unit_test(test_registration),
		cmocka_unit_test(test_psk_config),
		cmocka_unit_test(test_registration_resolved),
		cmocka_unit_test(test_dropped),
		cmocka_unit_test(test_metrics_counted),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
