/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the Enrolee side of TS-0003 clause 8.3 (include/m2msec/enrol.h): the MEF
 * Handshake in both flavours (clause 8.3.2.1 TLS-PSK with psk_identity = KpmID; clause 8.3.2.2
 * mutual certificates, the MEF authenticated by its FQDN certificate), Enrolment Key Generation
 * (clause 10.3.1: 48 bytes of "EXPORTER-oneM2M-Bootstrap", Ke = 32 LSB, KeID =
 * hexBinary(16 MSB)@MEF-FQDN), MEF Client Registration (clause 8.3.5.2.3), the MEF Client
 * Command flow (clause 8.3.4.6) and the usage-constrained key of clause 10.3.7 for every
 * Enrolment Target, exactly as the MEF derives it for fetchCredentials (docs/procedures/mef.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>
#include <openssl/err.h>

#include "enrolee/enrolee_int.h"
#include "m2msec/exporter.h"
#include "m2msec/id.h"
#include "m2msec/kdf.h"
#include "m2msec/mef.h"
#include "m2msec/mem.h"

#define MAX_TARGETS 8
#define MAX_COMMANDS 16 /* a MEF issuing more is broken or hostile: stop */
#define ID_MAX 300

struct m2m_enrolee {
	/* settings */
	m2mi_enr_server mef; /* psk: KpmID / Kpm */
	char *cert_file, *key_file, *claim;
	bool want_cert, reenrol;
	int deadline_s;
	/* outcome */
	int rsc;
	char reason[256];
	bool done;
	char keid[ID_MAX];
	m2m_key *ke;
	char enrolee_id[ID_MAX];
	int64_t expiry;
	size_t ntargets;
	char *targets[MAX_TARGETS];
	m2m_key *tkeys[MAX_TARGETS];
	size_t nmafs;
	char *mafs[MAX_TARGETS]; /* MAF-FQDN targets (mafIDs): Km via m2m_enrolee_dir_km */
	int auth_suid;
	char *cert_pem, *cert_key_pem;
};

m2m_err m2m_enrolee_new(m2m_enrolee **out)
{
	if (out == NULL)
		return M2M_E_INVAL;
	if ((*out = calloc(1, sizeof(**out))) == NULL)
		return M2M_E_NOMEM;
	(*out)->deadline_s = M2M_ENROLEE_DEFAULT_DEADLINE;
	return M2M_OK;
}

static void clear_results(m2m_enrolee *e)
{
	m2m_key_free(e->ke);
	e->ke = NULL;
	for (size_t i = 0; i < e->ntargets; i++) {
		free(e->targets[i]);
		m2m_key_free(e->tkeys[i]);
		e->targets[i] = NULL;
		e->tkeys[i] = NULL;
	}
	e->ntargets = 0;
	for (size_t i = 0; i < e->nmafs; i++) {
		free(e->mafs[i]);
		e->mafs[i] = NULL;
	}
	e->nmafs = 0;
	free(e->cert_pem);
	if (e->cert_key_pem != NULL)
		m2m_freezero(e->cert_key_pem, strlen(e->cert_key_pem));
	e->cert_pem = e->cert_key_pem = NULL;
	e->done = false;
	e->keid[0] = e->enrolee_id[0] = e->reason[0] = '\0';
	e->rsc = e->auth_suid = 0;
	e->expiry = 0;
}

void m2m_enrolee_free(m2m_enrolee *e)
{
	if (e == NULL)
		return;
	clear_results(e);
	m2mi_enr_server_clear(&e->mef);
	free(e->cert_file);
	free(e->key_file);
	free(e->claim);
	free(e);
}

m2m_err m2m_enrolee_set_mef(m2m_enrolee *e, const char *hostport)
{
	return e == NULL ? M2M_E_INVAL : m2mi_enr_server_addr(&e->mef, hostport);
}

m2m_err m2m_enrolee_set_mef_ca(m2m_enrolee *e, const char *ca_file)
{
	return e == NULL ? M2M_E_INVAL : m2mi_enr_set_str(&e->mef.ca_file, ca_file);
}

m2m_err m2m_enrolee_set_mef_fqdn(m2m_enrolee *e, const char *fqdn)
{
	return e == NULL ? M2M_E_INVAL : m2mi_enr_server_fqdn(&e->mef, fqdn);
}

m2m_err m2m_enrolee_set_psk(m2m_enrolee *e, const char *kpm_id, const m2m_key *kpm)
{
	const char *at;

	if (e == NULL || kpm_id == NULL || kpm == NULL || (at = strrchr(kpm_id, '@')) == NULL || at == kpm_id ||
	    m2m_id_check_fqdn(at + 1, strlen(at + 1)) != M2M_OK || strlen(kpm_id) >= ID_MAX)
		return M2M_E_INVAL;
	return m2mi_enr_server_psk(&e->mef, kpm_id, kpm);
}

m2m_err m2m_enrolee_set_cert(m2m_enrolee *e, const char *cert_file, const char *key_file)
{
	m2m_err r;

	if (e == NULL)
		return M2M_E_INVAL;
	if ((r = m2mi_enr_set_str(&e->cert_file, cert_file)) != M2M_OK)
		return r;
	return m2mi_enr_set_str(&e->key_file, key_file);
}

m2m_err m2m_enrolee_set_claim(m2m_enrolee *e, const char *enrolee_id)
{
	return e == NULL ? M2M_E_INVAL : m2mi_enr_set_str(&e->claim, enrolee_id);
}

void m2m_enrolee_want_cert(m2m_enrolee *e, bool want)
{
	if (e != NULL)
		e->want_cert = want;
}

void m2m_enrolee_est_reenrol(m2m_enrolee *e, bool reenrol)
{
	if (e != NULL)
		e->reenrol = reenrol;
}

m2m_err m2m_enrolee_set_deadline(m2m_enrolee *e, int seconds)
{
	if (e == NULL || seconds < 1 || seconds > 3600)
		return M2M_E_INVAL;
	e->deadline_s = seconds;
	return M2M_OK;
}

int m2m_enrolee_rsc(const m2m_enrolee *e) { return e != NULL ? e->rsc : 0; }
const char *m2m_enrolee_reason(const m2m_enrolee *e) { return e != NULL ? e->reason : ""; }
const char *m2m_enrolee_keid(const m2m_enrolee *e) { return e != NULL && e->done ? e->keid : NULL; }
const m2m_key *m2m_enrolee_ke(const m2m_enrolee *e) { return e != NULL && e->done ? e->ke : NULL; }
const char *m2m_enrolee_id(const m2m_enrolee *e) { return e != NULL && e->done ? e->enrolee_id : NULL; }
int64_t m2m_enrolee_expiry(const m2m_enrolee *e) { return e != NULL && e->done ? e->expiry : 0; }
size_t m2m_enrolee_target_count(const m2m_enrolee *e) { return e != NULL && e->done ? e->ntargets : 0; }

size_t m2m_enrolee_maf_count(const m2m_enrolee *e) { return e != NULL && e->done ? e->nmafs : 0; }

const char *m2m_enrolee_maf_id(const m2m_enrolee *e, size_t i)
{
	return e != NULL && e->done && i < e->nmafs ? e->mafs[i] : NULL;
}
int m2m_enrolee_auth_profile_suid(const m2m_enrolee *e) { return e != NULL && e->done ? e->auth_suid : 0; }
const char *m2m_enrolee_cert_pem(const m2m_enrolee *e) { return e != NULL && e->done ? e->cert_pem : NULL; }

const char *m2m_enrolee_target_id(const m2m_enrolee *e, size_t i)
{
	return e != NULL && e->done && i < e->ntargets ? e->targets[i] : NULL;
}

const m2m_key *m2m_enrolee_target_key(const m2m_enrolee *e, size_t i)
{
	return e != NULL && e->done && i < e->ntargets ? e->tkeys[i] : NULL;
}

const char *m2mi_enr_cert_key_pem(const m2m_enrolee *e)
{
	return e != NULL && e->done ? e->cert_key_pem : NULL;
}

/* The MEF-FQDN: configured, else the KpmID's FQDN part, else the host. */
static const char *mef_fqdn(const m2m_enrolee *e)
{
	return m2mi_enr_server_name(&e->mef, false);
}

/* The PSK of the MEF Handshake: the SSL's app data is the enrolee. */
static unsigned int psk_cb(SSL *ssl, const char *hint, char *identity, unsigned int max_identity_len,
			   unsigned char *psk, unsigned int max_psk_len)
{
	const m2m_enrolee *e = SSL_get_app_data(ssl);
	const uint8_t *kb;
	size_t kl;

	(void)hint;
	if (e == NULL || e->mef.psk == NULL || strlen(e->mef.psk_id) + 1 > max_identity_len)
		return 0;
	kb = m2m_key_bytes(e->mef.psk, &kl);
	if (kl > max_psk_len)
		return 0;
	memcpy(identity, e->mef.psk_id, strlen(e->mef.psk_id) + 1); /* TS-0003 clause 8.3.2.1: KpmID */
	memcpy(psk, kb, kl);
	return (unsigned int)kl;
}

static m2m_err mmef(m2m_enrolee *e, m2mi_enr_conn *c, const char *method, const char *path, json_t *body,
		    int want_rsc, const char *wrapper, json_t **out)
{
	m2mi_enr_why why = {0};
	m2m_err r = m2mi_enr_json(c, method, path, body, want_rsc, wrapper, out, &why);

	if (why.rsc != 0 || why.reason[0] != '\0') {
		e->rsc = why.rsc;
		memcpy(e->reason, why.reason, sizeof(e->reason));
	}
	return r;
}

/* MEF Client Registration (TS-0003 Table 8.3.5.2.3-1, docs/procedures/mef.md). */
static m2m_err client_registration(m2m_enrolee *e, m2mi_enr_conn *c, char *cmd_path, size_t cap)
{
	json_t *cfg = json_pack("{s:s, s:s}", "fqdn", mef_fqdn(e), "adminFQDN", mef_fqdn(e));
	json_t *body = json_pack("{s:o}", "sec:clientRegCfg", cfg), *reg = NULL, *t, *m;
	const char *kid, *eid, *child;
	size_t i;
	m2m_err r;

	if (body == NULL || (e->claim != NULL && json_object_set_new(cfg, "enroleeID", json_string(e->claim)) != 0) ||
	    (e->want_cert && json_object_set_new(cfg, "certEnrolInd", json_true()) != 0)) {
		json_decref(body);
		return M2M_E_NOMEM;
	}
	r = mmef(e, c, "POST", "/mefClientReg", body, 2001, "sec:mefClientReg", &reg);
	json_decref(body);
	if (r != M2M_OK)
		return r;
	kid = json_string_value(json_object_get(reg, "keyID"));
	eid = json_string_value(json_object_get(reg, "mefClientID"));
	child = json_string_value(json_object_get(reg, "childResource"));
	t = json_object_get(reg, "targetIDs");
	m = json_object_get(reg, "mafIDs");
	/* Both ends ran the same export: a KeID the MEF says differently is no agreement. */
	if (kid == NULL || strcmp(kid, e->keid) != 0 || eid == NULL || strlen(eid) >= sizeof(e->enrolee_id) ||
	    child == NULL || snprintf(cmd_path, cap, "/%s", child) >= (int)cap || !json_is_array(t) ||
	    (m != NULL && !json_is_array(m)) || json_array_size(t) + json_array_size(m) == 0 ||
	    json_array_size(t) + json_array_size(m) > MAX_TARGETS) { /* an enrolee has 1..8 targets */
		json_decref(reg);
		return M2M_E_PROTO;
	}
	/* MAF-FQDN targets (docs/procedures/mef.md mafIDs): no SUID 22 key, Km by the MAF-ID */
	json_array_foreach(m, i, body) {
		const char *s = json_string_value(body);
		char canon[256];
		if (s == NULL || m2m_mef_target_canon(s, canon, sizeof(canon)) != M2M_OK || canon[0] == '/') {
			json_decref(reg);
			return M2M_E_PROTO;
		}
		if ((e->mafs[e->nmafs] = strdup(canon)) == NULL) {
			json_decref(reg);
			return M2M_E_NOMEM;
		}
		e->nmafs++;
	}
	snprintf(e->enrolee_id, sizeof(e->enrolee_id), "%s", eid);
	e->expiry = m2mi_enr_parse_ts(json_string_value(json_object_get(reg, "enrolmentExpiry")));
	json_array_foreach(t, i, body) {
		const char *s = json_string_value(body);
		if (s == NULL || (e->targets[e->ntargets] = strdup(s)) == NULL) {
			json_decref(reg);
			return s == NULL ? M2M_E_PROTO : M2M_E_NOMEM;
		}
		e->ntargets++;
	}
	json_decref(reg);
	return M2M_OK;
}

/* CERT_PROV (TS-0003 Table 12.4.8-1, clause 8.3.6): EST over the enrolment association. */
static int cert_prov(m2m_enrolee *e, SSL_CTX *ctx, m2mi_enr_conn *c, json_t *args, m2m_err *est_err)
{
	json_t *a = json_object_get(args, "certProvCmdArgs");
	const char *uri = json_string_value(json_object_get(a, "URI"));
	const char *subj = json_string_value(json_object_get(a, "certSubjectID"));
	char auth[300], host[256], port[8], san[512];
	bool same;
	const char *path = NULL;
	m2mi_enr_conn other, *use = c;
	m2m_err r;

	if (!e->want_cert)
		return 41; /* CLASS_NOT_SUPPORTED: no certificate was asked for */
	if (json_integer_value(json_object_get(a, "certProvProtocolID")) != 1 || !m2mi_enr_uri_split(uri, auth, sizeof(auth), &path) ||
	    subj == NULL) {
		*est_err = M2M_E_PROTO;
		return 42; /* BAD_ARGUMENTS */
	}
	/* TS-0003 clause 8.3.4.6 certSubjectType 1: a Node; "verification of this element succeeds
	 * only if the value is a Node-ID" (clause 10.1.1.8 SAN, docs/pki.md). 2/3: CSE-ID/AE-ID. */
	if (json_integer_value(json_object_get(a, "certSubjectType")) == 1) {
		if (!m2mi_enr_node_san(subj, san, sizeof(san))) {
			*est_err = M2M_E_CERT_NAME;
			return 43;
		}
	} else if (m2mi_enr_subject_san(subj, e->ntargets > 0 ? e->targets[0] : NULL, san, sizeof(san)) != M2M_OK) {
		*est_err = M2M_E_CERT_NAME;
		return 43;
	}
	if (m2mi_enr_split_hostport(auth, host, sizeof(host), port, sizeof(port)) != M2M_OK) {
		*est_err = M2M_E_PROTO;
		return 42;
	}
	/* The MEF names itself by its FQDN in the EST URI (docs/procedures/mef.md); the device
	 * reaches it at the address it was given. Same server and port: the enrolment connection
	 * itself; otherwise a new connection with the same credentials (RFC 7030 clause 3.3.3). */
	same = strcasecmp(host, e->mef.host) == 0 || strcasecmp(host, mef_fqdn(e)) == 0;
	if (!same || strcmp(port, e->mef.port) != 0) {
		if ((r = m2mi_enr_connect(ctx, e, same ? e->mef.host : host, port, host, c->deadline_ms, &other)) != M2M_OK) {
			*est_err = r;
			return 100;
		}
		use = &other;
	}
	r = m2mi_enr_est_run(use, path[0] != '\0' && strcmp(path, "/") != 0 ? path : "/.well-known/est", san, e->reenrol,
			     &e->cert_pem, &e->cert_key_pem, e->reason, sizeof(e->reason));
	if (use != c)
		m2mi_enr_close(use);
	*est_err = r;
	if (r == M2M_OK)
		return 20;
	return r == M2M_E_PROTO || r == M2M_E_IO ? 100 : 101; /* CERT_PROV_SERVER/CLIENT_ERROR */
}

/* MO_NODE (Table 12.4.9-1): the authenticationProfile SUID is recorded for the caller. */
static int mo_node(m2m_enrolee *e, json_t *args)
{
	json_t *a = json_object_get(args, "MONodeCmdArgs");
	const char *path = json_string_value(json_object_get(a, "objectPath"));
	json_t *suid = json_object_get(json_object_get(a, "objectTypeSpecifcArgs"), "SUID");

	if (path == NULL || strcmp(path, "./authenticationProfile") != 0 || !json_is_integer(suid))
		return 43; /* UNACCEPTABLE_ARGUMENTS: no other object on this device */
	e->auth_suid = (int)json_integer_value(suid);
	return 20;
}

/* MEF Client Command flow (clause 8.3.4.6): execute, report, take the next, until
 * NO_MORE_COMMANDS is acknowledged. */
static m2m_err command_flow(m2m_enrolee *e, SSL_CTX *ctx, m2mi_enr_conn *c, const char *path)
{
	json_t *cmd = NULL;
	m2m_err r, est_err = M2M_OK;

	if ((r = mmef(e, c, "GET", path, NULL, 2000, "sec:mefClientCmd", &cmd)) != M2M_OK)
		return r;
	for (int n = 0; n < MAX_COMMANDS; n++) {
		json_t *desc = json_object_get(cmd, "cmdDescription"), *up, *next = NULL;
		json_int_t id = json_integer_value(json_object_get(cmd, "cmdID"));
		int cls = (int)json_integer_value(json_object_get(desc, "cmdClassID"));
		json_t *args = json_object_get(desc, "cmdArgs");
		int status;

		if (!json_is_integer(json_object_get(cmd, "cmdID"))) {
			json_decref(cmd);
			return M2M_E_PROTO;
		}
		if (cls == 0 && json_integer_value(json_object_get(cmd, "cmdStatusCode")) == 20)
			break; /* already acknowledged */
		status = cls == 0 ? 20 : cls == 1 ? cert_prov(e, ctx, c, args, &est_err) : cls == 3 ? mo_node(e, args) : 41;
		up = json_pack("{s:{s:I, s:i}}", "sec:mefClientCmd", "cmdID", id, "cmdStatusCode", status);
		json_decref(cmd);
		cmd = NULL;
		if (up == NULL)
			return M2M_E_NOMEM;
		r = mmef(e, c, "PUT", path, up, 2004, cls == 0 ? NULL : "sec:mefClientCmd", &next);
		json_decref(up);
		if (r != M2M_OK)
			return r;
		if (cls == 0)
			return est_err != M2M_OK ? M2M_E_CERT : M2M_OK;
		cmd = next;
	}
	json_decref(cmd);
	if (est_err != M2M_OK)
		return M2M_E_CERT;
	return M2M_OK;
}

m2m_err m2mi_enr_target_key(m2m_kdf *kdf, const m2m_key *ke, int suid, const char *target, m2m_key **out)
{
	char tid[300];
	m2m_err r;

	*out = NULL;
	/* The Enrolment-Target-ID is the target's public domain name, the same function the MEF
	 * uses for fetchCredentials (docs/procedures/mef.md). */
	if ((r = m2m_mef_target_kdf_id(target, NULL, tid, sizeof(tid))) != M2M_OK ||
	    (r = m2m_kdf_ucsk(kdf, ke, suid, tid, out)) != M2M_OK)
		return r;
	if (m2m_key_id(ke) != NULL && (r = m2m_key_set_id(*out, m2m_key_id(ke))) != M2M_OK) { /* psk_identity = KeID */
		m2m_key_free(*out);
		*out = NULL;
	}
	return r;
}

/* Clause 10.3.7 for every target: the key fetchCredentials gives that target (SUID 22). */
static m2m_err target_keys(m2m_enrolee *e)
{
	m2m_kdf *kdf = NULL;
	m2m_err r;

	if ((r = m2m_kdf_new(&kdf)) != M2M_OK)
		return r;
	for (size_t i = 0; i < e->ntargets && r == M2M_OK; i++) {
		r = m2mi_enr_target_key(kdf, e->ke, M2M_ENROLEE_TARGET_SUID, e->targets[i], &e->tkeys[i]);
		if (r == M2M_OK)
			m2m_key_set_validity(e->tkeys[i], 0, e->expiry);
	}
	m2m_kdf_free(kdf);
	return r;
}

m2m_err m2m_enrolee_run(m2m_enrolee *e)
{
	char cmd_path[512];
	SSL_CTX *ctx = NULL;
	m2mi_enr_conn c;
	m2m_err r;

	if (e == NULL)
		return M2M_E_INVAL;
	clear_results(e);
	if (e->mef.host[0] == '\0' || e->mef.ca_file == NULL || (e->mef.psk == NULL && e->cert_file == NULL))
		return M2M_E_CONFIG;
	if (e->mef.coaps && e->want_cert) { /* EST over CoAP (RFC 9148) is not implemented */
		snprintf(e->reason, sizeof(e->reason), "certificate enrolment (EST) over coaps is not implemented");
		return M2M_E_UNSUPPORTED;
	}
	/* coaps: DTLS 1.2, and m2mi_enr_connect opens a DTLS association for such a context */
	if ((r = m2mi_enr_server_ctx(&e->mef, e->mef.psk != NULL ? psk_cb : NULL, e->cert_file, e->key_file, &ctx)) != M2M_OK)
		return r;
	r = m2mi_enr_connect(ctx, e, e->mef.host, e->mef.port, mef_fqdn(e),
				 m2mi_enr_now_ms() + (int64_t)e->deadline_s * 1000, &c);
	if (r != M2M_OK) {
		SSL_CTX_free(ctx);
		if (r == M2M_E_IO) /* the reason a device log shows: never which credential */
			snprintf(e->reason, sizeof(e->reason), "no %s association with the MEF before the deadline",
				 e->mef.coaps ? "DTLS" : "TLS");
		return r;
	}
	/* Clause 10.3.1: Ke = 32 LSB, KeID = hexBinary(16 MSB)@MEF-FQDN. */
	r = m2m_tls_export_key(c.ssl, M2M_EXPORTER_BOOTSTRAP, mef_fqdn(e), &e->ke, e->keid, sizeof(e->keid));
	if (r == M2M_OK)
		r = client_registration(e, &c, cmd_path, sizeof(cmd_path));
	if (r == M2M_OK)
		m2m_key_set_validity(e->ke, 0, e->expiry);
	if (r == M2M_OK)
		r = command_flow(e, ctx, &c, cmd_path);
	if (r == M2M_OK)
		r = target_keys(e);
	m2mi_enr_close(&c);
	SSL_CTX_free(ctx);
	if (r != M2M_OK) {
		int rsc = e->rsc;
		char reason[sizeof(e->reason)];
		memcpy(reason, e->reason, sizeof(reason));
		clear_results(e);
		e->rsc = rsc;
		memcpy(e->reason, reason, sizeof(reason));
		return r;
	}
	e->done = true;
	return M2M_OK;
}

m2m_err m2mi_enr_open(m2m_enrolee *e, SSL_CTX **ctx, m2mi_enr_conn *c)
{
	m2m_err r;

	*ctx = NULL;
	clear_results(e);
	if (e->mef.host[0] == '\0' || e->mef.ca_file == NULL || (e->mef.psk == NULL && e->cert_file == NULL))
		return M2M_E_CONFIG;
	if ((r = m2mi_enr_server_ctx(&e->mef, e->mef.psk != NULL ? psk_cb : NULL, e->cert_file, e->key_file, ctx)) != M2M_OK)
		return r;
	r = m2mi_enr_connect(*ctx, e, e->mef.host, e->mef.port, mef_fqdn(e),
			     m2mi_enr_now_ms() + (int64_t)e->deadline_s * 1000, c);
	if (r != M2M_OK) {
		SSL_CTX_free(*ctx);
		*ctx = NULL;
		if (r == M2M_E_IO)
			snprintf(e->reason, sizeof(e->reason), "no %s association with the MEF before the deadline",
				 e->mef.coaps ? "DTLS" : "TLS");
	}
	return r;
}

void m2mi_enr_refusal(m2m_enrolee *e, int rsc, const char *reason)
{
	e->rsc = rsc;
	snprintf(e->reason, sizeof(e->reason), "%s", reason);
}

const char *m2mi_enr_mef_fqdn(const m2m_enrolee *e)
{
	return mef_fqdn(e);
}
