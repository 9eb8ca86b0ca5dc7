/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the CSE's MQTT binding transport (TS-0010 V3.1.0, docs/mqtt-binding.md
 * "The CSE's broker connection"): a libmosquitto client on a thread of its own (its own loop, so
 * no HTTP event loop ever waits on the broker) that connects over TLS as the CSE (client id =
 * the SP-relative CSE-ID without its leading '/', clause 6.3), subscribes to
 * /oneM2M/req/+/<cse>/# and /oneM2M/reg_req/+/<cse>/# (clauses 6.4.2, 6.4.4), maps every message
 * with bindings/mqtt_map.c, gives it to the handler (the CSE's request path, the same as HTTP)
 * with the security association the topic stands for, and publishes the answer on the response
 * topic. Trust model (clause 7.2, docs/mqtt-binding.md "Trust model"): the CSE never sees its
 * peers' credentials; it trusts the topic's originator level because the broker authenticated
 * the publisher and its ACL (`m2msec mqtt-acl`) lets a client publish only under its own
 * identity, so the association is bound to that level and the CSE's originator rules judge
 * From against it (4106 for anybody else), as over HTTPS. An answer the CSE gives later is held
 * (bindings/mqtt_defer.c) and published when it is in; the CSE's wake reaches this thread through
 * its call queue (bindings/call_queue.c), run after every turn of the loop.
 */
#include <errno.h>
#include <mosquitto.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bindings/call_queue.h"
#include "bindings/mqtt_defer.h"
#include "core/metrics.h"
#include "m2msec/config.h"
#include "m2msec/id.h"
#include "m2msec/key.h"
#include "m2msec/log.h"
#include "m2msec/mem.h"
#include "m2msec/mqtt.h"
#include "m2msec/mqttclient.h"
#include "m2msec/originator.h"
#include "m2msec/rsc.h"
#include "tls/tls_int.h"

#define KEEPALIVE_S 30
#define BACKOFF_MIN_S 1
#define BACKOFF_MAX_S 30
#define LOOP_MS 500 /* longest the thread waits on the socket: the bound of a stop's latency */
/* ... while answers are held: libmosquitto's loop watches only its own socket, so the call queue
 * that brings the CSE's answers is looked at after each turn, at least this often */
#define HELD_LOOP_MS 10
#define QOS 1 /* at least once: a request lost between broker and CSE is not silently gone */

struct m2m_mqtt_client {
	struct mosquitto *mosq;
	m2m_mqtt_handler_fn fn;
	void *ctx;
	char host[256];
	int port;
	char *ca, *cert, *key;
	char *psk_identity; /* with psk: TLS-PSK towards the broker instead of ca/cert/key */
	m2m_key *psk;
	m2m_tls *tls;       /* borrowed: resolves reg_req Credential-IDs; NULL = none resolvable */
	char cse_id[M2M_MQTT_SEG_MAX + 2];        /* "/id-in" */
	char sp_id[M2M_CFG_STR];                  /* "//sp.example.com" */
	char cse_topic[M2M_MQTT_SEG_MAX + 1];     /* "id-in": receiver level and client id */
	char sub_req[M2M_MQTT_TOPIC_MAX + 1];     /* "/oneM2M/req/+/id-in/#" */
	char sub_reg[M2M_MQTT_TOPIC_MAX + 1];     /* "/oneM2M/reg_req/+/id-in/#" */
	size_t max_payload;
	bool running;
	pthread_t thread;
	pthread_mutex_t mu; /* with cv: the backoff wait, cut short by a stop */
	pthread_cond_t cv;
	atomic_bool stop;
	int backoff_s;      /* the MQTT thread's own */
	m2mi_call_queue *calls; /* other threads' calls into the MQTT thread (the CSE's wake) */
	m2mi_mqtt_defer *defer; /* answers given later */
};

static pthread_once_t lib_once = PTHREAD_ONCE_INIT;

static void publish_later(void *ctx, const char *topic, const m2m_request *req, m2m_response *rsp);
static int lib_rc = MOSQ_ERR_UNKNOWN;

/* mosquitto_lib_init is not thread-safe: once per process, never cleaned up (process lifetime). */
static void lib_init(void)
{
	lib_rc = mosquitto_lib_init();
}

static bool has(const char *s)
{
	return s != NULL && s[0] != '\0';
}

m2m_err m2m_mqtt_client_new(const m2m_mqtt_client_config *cfg, m2m_mqtt_handler_fn fn, void *ctx,
			    m2m_mqtt_client **out)
{
	m2m_mqtt_client *c;
	bool psk, cert;
	m2m_err r;

	if (out == NULL)
		return M2M_E_INVAL;
	*out = NULL;
	if (cfg == NULL || fn == NULL)
		return M2M_E_INVAL;
	psk = has(cfg->psk_identity) || has(cfg->psk_file);
	cert = has(cfg->ca) || has(cfg->cert) || has(cfg->key);
	/* exactly one way to authenticate to the broker (TS-0010 clause 7.3), complete */
	if (psk == cert || (psk && (!has(cfg->psk_identity) || !has(cfg->psk_file) ||
				    strlen(cfg->psk_identity) > M2MI_PSK_IDENTITY_MAX)) ||
	    (cert && (!has(cfg->ca) || !has(cfg->cert) || !has(cfg->key))))
		return M2M_E_CONFIG;
	if (!has(cfg->broker) || strncmp(cfg->broker, "mqtts://", 8) != 0 || !has(cfg->cse_id) || !has(cfg->sp_id) ||
	    strlen(cfg->sp_id) >= sizeof(c->sp_id) || cfg->cse_id[0] != '/' || strlen(cfg->cse_id) >= sizeof(c->cse_id))
		return M2M_E_CONFIG;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return M2M_E_NOMEM;
	if (pthread_mutex_init(&c->mu, NULL) != 0) {
		free(c);
		return M2M_E_NOMEM;
	}
	if (pthread_cond_init(&c->cv, NULL) != 0) {
		pthread_mutex_destroy(&c->mu);
		free(c);
		return M2M_E_NOMEM;
	}
	if (m2m_config_split_listen(cfg->broker + 8, c->host, sizeof(c->host), &c->port) != M2M_OK || c->port <= 0 ||
	    m2m_mqtt_id_encode(cfg->cse_id, c->cse_topic) != M2M_OK ||
	    snprintf(c->sub_req, sizeof(c->sub_req), "/oneM2M/req/+/%s/#", c->cse_topic) >= (int)sizeof(c->sub_req) ||
	    snprintf(c->sub_reg, sizeof(c->sub_reg), "/oneM2M/reg_req/+/%s/#", c->cse_topic) >=
		    (int)sizeof(c->sub_reg)) {
		m2m_mqtt_client_free(c);
		return M2M_E_CONFIG;
	}
	snprintf(c->cse_id, sizeof(c->cse_id), "%s", cfg->cse_id);
	snprintf(c->sp_id, sizeof(c->sp_id), "%s", cfg->sp_id);
	c->fn = fn;
	c->ctx = ctx;
	c->max_payload = cfg->max_payload;
	if ((r = m2mi_call_queue_new(&c->calls)) != M2M_OK ||
	    (r = m2mi_mqtt_defer_new(0, 0, publish_later, c, &c->defer)) != M2M_OK) {
		m2m_mqtt_client_free(c);
		return r;
	}
	c->tls = cfg->tls;
	if (psk) {
		if ((c->psk_identity = strdup(cfg->psk_identity)) == NULL) {
			m2m_mqtt_client_free(c);
			return M2M_E_NOMEM;
		}
		if ((r = m2mi_tls_read_hex_key(cfg->psk_file, &c->psk)) != M2M_OK) {
			m2m_mqtt_client_free(c);
			return r;
		}
	} else {
		c->ca = strdup(cfg->ca);
		c->cert = strdup(cfg->cert);
		c->key = strdup(cfg->key);
		if (c->ca == NULL || c->cert == NULL || c->key == NULL) {
			m2m_mqtt_client_free(c);
			return M2M_E_NOMEM;
		}
	}
	*out = c;
	return M2M_OK;
}

/*
 * The association of a reg_req topic (TS-0010 clauses 6.4.4, 7.2, 7.3; TS-0003 clause 8.2.1):
 * the originator level is the Credential-ID the broker let the client use ("<credIDTypeID>-
 * <value>", TS-0003 clause 10.4). The CSE resolves it as it resolves the PSK identity of an HTTPS
 * or DTLS handshake, through the same resolver chain (psk-file, credential store, MEF KeIDs, MAF
 * KcIDs): the bound AE-ID / CSE-ID (or only the Credential-ID), SUID and expiry; the originator
 * rules then apply as over HTTPS. MEF KeIDs and MAF Kc identifiers resolve from their caches
 * only: the MQTT thread never waits on another service (an uncached one is unknown). Only type 12 (KpsaID or KcID, the PSK SAEFs) names a key the CSE
 * knows; a certificate Credential-ID names a certificate only the broker saw. Anything unknown,
 * revoked, expired or not yet valid is refused: 4106 (the originator is not authenticated).
 */
static int reg_sa(const m2m_mqtt_client *c, const m2m_mqtt_topic *t, m2m_sa *sa, const char **why)
{
	m2m_id *id = NULL;
	m2m_key *key = NULL;
	m2m_sa b;
	m2m_err r;
	int type;

	if (m2m_id_parse(t->credential_id, strlen(t->credential_id), M2M_ID_CREDENTIAL_ID, &id) != M2M_OK) {
		*why = "the topic's originator is no Credential-ID (TS-0003 10.4)";
		return M2M_RSC_ORIGINATOR_NOT_AUTHENTICATED;
	}
	type = m2m_id_number(id);
	m2m_id_free(id);
	if (type != M2M_CRED_KPSAID_KCID || c->tls == NULL) {
		*why = "the CSE holds no credential of that Credential-ID";
		return M2M_RSC_ORIGINATOR_NOT_AUTHENTICATED;
	}
	r = m2mi_psk_resolve(c->tls, strchr(t->credential_id, '-') + 1, (int64_t)time(NULL), &key, &b);
	m2m_key_free(key); /* only the binding is needed: the broker did the handshake */
	if (r != M2M_OK) {
		*why = r == M2M_E_KEY_REVOKED	      ? "the Credential-ID is revoked"
		       : r == M2M_E_KEY_EXPIRED	      ? "the Credential-ID has expired"
		       : r == M2M_E_KEY_NOT_YET_VALID ? "the Credential-ID is not valid yet"
						      : "the CSE holds no credential of that Credential-ID";
		m2m_memzero(&b, sizeof(b));
		return M2M_RSC_ORIGINATOR_NOT_AUTHENTICATED;
	}
	*sa = b;
	sa->kind = M2M_SA_BROKER; /* the broker, not the CSE, ran the handshake */
	return 0;
}

/*
 * The association a request topic stands for (TS-0010 clause 7.2; docs/mqtt-binding.md "Trust
 * model"). Returns 0, or the RSC that refuses the request before the CSE sees it.
 *   req: the originator level is the identity the broker let publish there: the association is
 *        bound to it (the topic form read back: ":sp:x" -> "//sp/x", "a:b" -> "/a/b", "Cx" ->
 *        "Cx"), and the CSE's originator rules judge From against it exactly as over HTTPS (a
 *        Registree AE's other ID forms 4000, anybody else 4106). A level that reads as a CSE-ID
 *        ("id-mn" -> "/id-mn") is refused (4107): the topic form of the CSE-ID "/Cx" is that of
 *        the AE-ID-Stem "Cx", so the topic cannot tell a CSE from an AE (CSE-to-CSE over MQTT is
 *        not supported yet).
 *   reg_req: the level is the Credential-ID the broker let the client use (clause 6.4.4),
 *        resolved to what it binds (reg_sa).
 */
static int topic_sa(const m2m_mqtt_client *c, const m2m_mqtt_topic *t, m2m_sa *sa, const char **why)
{
	m2m_origin_ctx octx = {.cse_id = c->cse_id, .sp_id = c->sp_id};
	m2m_origin_forms f;
	size_t j = 0;

	memset(sa, 0, sizeof(*sa));
	sa->kind = M2M_SA_BROKER;
	if (t->kind == M2M_MQTT_REG_REQ)
		return reg_sa(c, t, sa, why);
	/* clause 6.4.2 backwards: a leading ':' was "//", any other ':' a '/'; a level without ':'
	 * is an AE-ID-Stem when it starts with C or S, else the topic form of a CSE-ID "/x" */
	if (t->orig[0] == ':')
		sa->bound_id[j++] = '/';
	else if (strchr(t->orig, ':') != NULL || (t->orig[0] != 'C' && t->orig[0] != 'S'))
		sa->bound_id[j++] = '/';
	for (const char *p = t->orig; *p != '\0' && j + 1 < sizeof(sa->bound_id); p++)
		sa->bound_id[j++] = *p == ':' ? '/' : *p;
	sa->bound_id[j] = '\0';
	if (j + 1 >= sizeof(sa->bound_id) || m2m_originator_forms(&octx, sa->bound_id, &f) != M2M_OK || f.is_cse) {
		memset(sa, 0, sizeof(*sa));
		*why = "the topic's originator is no AE-ID (CSE originators are not served over MQTT)";
		return M2M_RSC_SECURITY_ASSOCIATION_REQUIRED;
	}
	sa->entity = M2M_ENTITY_AE;
	return 0;
}

m2m_err m2m_mqtt_client_process(m2m_mqtt_client *c, const char *topic, const uint8_t *payload, size_t len,
				char *rsp_topic, size_t cap, char **out, size_t *out_len)
{
	m2m_mqtt_topic t;
	m2m_request req;
	m2m_response rsp;
	m2m_sa sa;
	const char *why = "";
	struct timespec t0, t1;
	m2m_err r;
	int rsc;

	if (out != NULL)
		*out = NULL;
	if (out_len != NULL)
		*out_len = 0;
	if (c == NULL || topic == NULL || (payload == NULL && len > 0) || rsp_topic == NULL || cap == 0 ||
	    out == NULL || out_len == NULL)
		return M2M_E_INVAL;
	/* Only our own request topics get an answer; anything else has no one to answer to. */
	if (m2m_mqtt_topic_parse(topic, strlen(topic), &t) != M2M_OK ||
	    (t.kind != M2M_MQTT_REQ && t.kind != M2M_MQTT_REG_REQ) || strcmp(t.recv, c->cse_topic) != 0 ||
	    m2m_mqtt_response_topic(&t, rsp_topic, cap) != M2M_OK)
		return M2M_E_PROTO;
	m2m_request_init(&req);
	m2m_response_init(&rsp);
	r = m2m_mqtt_parse_request(&t, payload != NULL ? payload : (const uint8_t *)"", len, c->max_payload, &req,
				   &rsp);
	(void)clock_gettime(CLOCK_MONOTONIC, &t0);
	if (r == M2M_OK) {
		if ((rsc = topic_sa(c, &t, &sa, &why)) != 0) {
			m2m_response_error(&rsp, rsc, "%s", why);
		} else if (!m2mi_mqtt_defer_room(c->defer, t.orig)) { /* docs/mqtt-binding.md: bounded */
			m2m_response_error(&rsp, M2M_RSC_INTERNAL_SERVER_ERROR, "too many answers outstanding");
		} else {
			m2mi_mqtt_defer_begin(c->defer, rsp_topic, t.orig);
			c->fn(c->ctx, &sa, &req, &rsp);
			if (m2mi_mqtt_defer_end(c->defer)) { /* published when it is in */
				m2m_request_clear(&req);
				m2m_response_clear(&rsp);
				return M2M_OK;
			}
		}
	} else if (r != M2M_E_PROTO && r != M2M_E_TOO_LARGE && r != M2M_E_NOMEM) {
		m2m_response_error(&rsp, M2M_RSC_INTERNAL_SERVER_ERROR, "internal error");
	}
	(void)clock_gettime(CLOCK_MONOTONIC, &t1);
	m2mi_metrics_request(r == M2M_OK ? req.op : 0, rsp.rsc,
			     (int64_t)(t1.tv_sec - t0.tv_sec) * 1000000 + (t1.tv_nsec - t0.tv_nsec) / 1000);
	r = m2m_mqtt_format_response(&req, &rsp, c->cse_id, out, out_len);
	m2m_request_clear(&req);
	m2m_response_clear(&rsp);
	return r;
}

/* On the MQTT thread: a held request's answer, on its response topic (QoS 1, never retained). */
static void publish_later(void *ctx, const char *topic, const m2m_request *req, m2m_response *rsp)
{
	m2m_mqtt_client *c = ctx;
	char *out = NULL;
	size_t out_len = 0;
	m2m_err r;
	int rc;

	if (rsp->rsc == 0)
		m2m_response_error(rsp, M2M_RSC_INTERNAL_SERVER_ERROR, "internal error");
	m2mi_metrics_request(req->op, rsp->rsc, 0);
	if ((r = m2m_mqtt_format_response(req, rsp, c->cse_id, &out, &out_len)) != M2M_OK || out_len > INT32_MAX) {
		m2m_log(M2M_LOG_ERROR, "MQTT answer not formatted: %s", m2m_strerror(r));
	} else if ((rc = mosquitto_publish(c->mosq, NULL, topic, (int)out_len, out, QOS, false)) != MOSQ_ERR_SUCCESS) {
		m2m_log(M2M_LOG_WARN, "MQTT answer not published: %s", mosquitto_strerror(rc));
	}
	free(out);
}

m2m_mqtt_deferred *m2m_mqtt_defer(m2m_mqtt_client *c)
{
	return c != NULL ? m2mi_mqtt_defer_take(c->defer) : NULL;
}

m2m_err m2m_mqtt_client_post(m2m_mqtt_client *c, void (*fn)(void *), void *arg)
{
	return c != NULL ? m2mi_call_queue_post(c->calls, fn, arg) : M2M_E_INVAL;
}

static void on_connect(struct mosquitto *mosq, void *obj, int rc)
{
	m2m_mqtt_client *c = obj;
	char *subs[2] = {c->sub_req, c->sub_reg};

	if (rc != 0) {
		m2m_log(M2M_LOG_WARN, "MQTT broker %s:%d refused the connection: %s", c->host, c->port,
			mosquitto_connack_string(rc));
		return;
	}
	m2m_log(M2M_LOG_INFO, "MQTT connected to %s:%d as %s", c->host, c->port, c->cse_topic);
	c->backoff_s = BACKOFF_MIN_S;
	if ((rc = mosquitto_subscribe_multiple(mosq, NULL, 2, subs, QOS, 0, NULL)) != MOSQ_ERR_SUCCESS)
		m2m_log(M2M_LOG_ERROR, "MQTT subscribe failed: %s", mosquitto_strerror(rc));
}

static void on_subscribe(struct mosquitto *mosq, void *obj, int mid, int n, const int *granted)
{
	m2m_mqtt_client *c = obj;

	(void)mosq;
	(void)mid;
	for (int i = 0; i < n; i++)
		if (granted[i] > 2) /* 0x80: the broker's ACL refused the CSE its own request topics */
			m2m_log(M2M_LOG_ERROR, "MQTT broker refused subscription %d of %s", i, c->cse_topic);
}

static void on_disconnect(struct mosquitto *mosq, void *obj, int rc)
{
	m2m_mqtt_client *c = obj;

	(void)mosq;
	if (rc != 0) /* the loop reconnects with the backoff */
		m2m_log(M2M_LOG_WARN, "MQTT connection to %s:%d lost: %s", c->host, c->port, mosquitto_strerror(rc));
}

/* On the MQTT thread: one request in, one answer out (QoS 1, never retained). */
static void on_message(struct mosquitto *mosq, void *obj, const struct mosquitto_message *msg)
{
	m2m_mqtt_client *c = obj;
	char topic[M2M_MQTT_TOPIC_MAX + 1];
	char *out = NULL;
	size_t out_len = 0;
	m2m_err r;
	int rc;

	if (msg == NULL || msg->topic == NULL || msg->payloadlen < 0)
		return;
	r = m2m_mqtt_client_process(c, msg->topic, msg->payload, (size_t)msg->payloadlen, topic, sizeof(topic), &out,
				    &out_len);
	if (r == M2M_E_PROTO) {
		m2m_log(M2M_LOG_DEBUG, "MQTT message on a topic that is no request to this CSE dropped");
		return;
	}
	if (r == M2M_OK && out == NULL)
		return; /* held: published when the CSE's answer is in */
	if (r != M2M_OK || out_len > INT32_MAX) {
		m2m_log(M2M_LOG_ERROR, "MQTT answer not formatted: %s", m2m_strerror(r));
		free(out);
		return;
	}
	if ((rc = mosquitto_publish(mosq, NULL, topic, (int)out_len, out, QOS, false)) != MOSQ_ERR_SUCCESS)
		m2m_log(M2M_LOG_WARN, "MQTT answer not published: %s", mosquitto_strerror(rc));
	free(out);
}

/* Wait up to secs for a stop; true when stopping. */
static bool wait_stop(m2m_mqtt_client *c, int secs)
{
	struct timespec until;
	bool stop;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += secs;
	pthread_mutex_lock(&c->mu);
	while (!(stop = atomic_load(&c->stop)))
		if (pthread_cond_timedwait(&c->cv, &c->mu, &until) == ETIMEDOUT)
			break;
	pthread_mutex_unlock(&c->mu);
	return stop || atomic_load(&c->stop);
}

/*
 * The MQTT thread: its own loop rather than mosquitto_loop_start, whose reconnect wait a
 * disconnect cannot always end (a stop while the broker is unreachable would hang). Every
 * (re)connect is asynchronous (the TCP connect and the TLS handshake progress inside
 * mosquitto_loop), so a stop is seen within LOOP_MS or at once during the backoff wait.
 */
static void *mqtt_main(void *arg)
{
	m2m_mqtt_client *c = arg;
	int rc;

	c->backoff_s = BACKOFF_MIN_S;
	rc = mosquitto_connect_async(c->mosq, c->host, c->port, KEEPALIVE_S);
	while (!atomic_load(&c->stop)) {
		if (rc == MOSQ_ERR_SUCCESS) {
			rc = mosquitto_loop(c->mosq, m2mi_mqtt_defer_count(c->defer) > 0 ? HELD_LOOP_MS : LOOP_MS, 1);
			m2mi_call_queue_run(c->calls); /* the CSE's answers */
			continue;
		}
		m2mi_call_queue_run(c->calls); /* answers while disconnected are lost (logged) */
		m2m_log(M2M_LOG_DEBUG, "MQTT broker %s:%d not connected (%s): retry in %d s", c->host, c->port,
			mosquitto_strerror(rc), c->backoff_s);
		if (wait_stop(c, c->backoff_s))
			break;
		c->backoff_s = c->backoff_s * 2 > BACKOFF_MAX_S ? BACKOFF_MAX_S : c->backoff_s * 2;
		rc = mosquitto_reconnect_async(c->mosq);
	}
	if (mosquitto_disconnect(c->mosq) == MOSQ_ERR_SUCCESS)
		(void)mosquitto_loop(c->mosq, 100, 1); /* flush the DISCONNECT */
	return NULL;
}

/* libmosquitto takes the PSK as a hex string and keeps its own copy for every reconnect (a
 * library-internal heap string until mosquitto_destroy, outside m2m_key); ours is wiped. */
static int psk_set(m2m_mqtt_client *c)
{
	char hex[2 * 64 + 1];
	int rc = MOSQ_ERR_INVAL;

	if (m2m_key_export_hex(c->psk, hex, sizeof(hex)) == M2M_OK)
		rc = mosquitto_tls_psk_set(c->mosq, hex, c->psk_identity, NULL);
	m2m_memzero(hex, sizeof(hex));
	return rc;
}

m2m_err m2m_mqtt_client_start(m2m_mqtt_client *c)
{
	if (c == NULL)
		return M2M_E_INVAL;
	if (c->running)
		return M2M_OK;
	if (pthread_once(&lib_once, lib_init) != 0 || lib_rc != MOSQ_ERR_SUCCESS)
		return M2M_E_INTERNAL;
	if (c->mosq == NULL) {
		/* clean session: requests queued while the CSE was away are not replayed to it */
		if ((c->mosq = mosquitto_new(c->cse_topic, true, c)) == NULL)
			return M2M_E_NOMEM;
		mosquitto_connect_callback_set(c->mosq, on_connect);
		mosquitto_subscribe_callback_set(c->mosq, on_subscribe);
		mosquitto_disconnect_callback_set(c->mosq, on_disconnect);
		mosquitto_message_callback_set(c->mosq, on_message);
		if (mosquitto_int_option(c->mosq, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311) != MOSQ_ERR_SUCCESS)
			return M2M_E_INTERNAL;
		/* each answer is one small PUBLISH: without TCP_NODELAY it waits for the broker's delayed
		 * ACK of the previous segment (Nagle), ~40 ms per request on Linux (bench/cse (7)) */
		(void)mosquitto_int_option(c->mosq, MOSQ_OPT_TCP_NODELAY, 1);
		/* TLS only (clause 7.3), TLS 1.2 at least; the broker verified by mqtt-ca and its name,
		 * or by the PSK it shares with the CSE */
		if (c->psk != NULL) {
			if (psk_set(c) != MOSQ_ERR_SUCCESS)
				return M2M_E_CONFIG;
		} else if (mosquitto_tls_set(c->mosq, c->ca, NULL, c->cert, c->key, NULL) != MOSQ_ERR_SUCCESS ||
			   mosquitto_tls_insecure_set(c->mosq, false) != MOSQ_ERR_SUCCESS) {
			return M2M_E_CONFIG;
		}
		if (mosquitto_tls_opts_set(c->mosq, 1, "tlsv1.2", NULL) != MOSQ_ERR_SUCCESS)
			return M2M_E_CONFIG;
	}
	atomic_store(&c->stop, false);
	if (pthread_create(&c->thread, NULL, mqtt_main, c) != 0)
		return M2M_E_INTERNAL;
	c->running = true;
	return M2M_OK;
}

void m2m_mqtt_client_stop(m2m_mqtt_client *c)
{
	if (c == NULL || !c->running)
		return;
	pthread_mutex_lock(&c->mu);
	atomic_store(&c->stop, true);
	pthread_cond_signal(&c->cv);
	pthread_mutex_unlock(&c->mu);
	pthread_join(c->thread, NULL);
	c->running = false;
}

void m2m_mqtt_client_free(m2m_mqtt_client *c)
{
	if (c == NULL)
		return;
	m2m_mqtt_client_stop(c);
	m2mi_mqtt_defer_free(c->defer);
	m2mi_call_queue_free(c->calls); /* calls queued after the stop are dropped */
	if (c->mosq != NULL)
		mosquitto_destroy(c->mosq);
	free(c->ca);
	free(c->cert);
	free(c->key);
	free(c->psk_identity);
	m2m_key_free(c->psk);
	pthread_cond_destroy(&c->cv);
	pthread_mutex_destroy(&c->mu);
	free(c);
}
