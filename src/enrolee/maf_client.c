/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements Entity A of the MAF-based Security Association Establishment Framework
 * (TS-0003 clause 8.2.2.3, include/m2msec/mafclient.h) over the enrolee library's blocking TLS
 * client (enrolee_conn.c): the MAF Handshake with KmID/Km (clause 8.8.2.2), or first with
 * KeID/Km for remote provisioning (Km = HMAC-SHA-256(Ke, label || MAF-FQDN), clause 10.3.2),
 * MAF Client Registration (clause 8.8.2.3), MAF Key Registration of the Kc exported from the
 * key-registration session (clause 8.8.2.7, clause 10.3.1 "EXPORTER-oneM2M-Connection") and Key
 * De-Registration (clause 8.8.2.10), with the wire mapping of docs/procedures/maf.md.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/mef_codec.h"
#include "enrolee/enrolee_int.h"
#include "enrolee/maf_client_int.h"
#include "m2msec/exporter.h"
#include "m2msec/file.h"
#include "m2msec/gba.h"
#include "m2msec/hex.h"
#include "m2msec/id.h"
#include "m2msec/kdf.h"
#include "m2msec/mem.h"

#define ID_MAX 300
#define MAX_LIFETIME 31536000 /* one year, the MAF's own cap */

struct m2m_maf_client {
	/* settings */
	m2mi_enr_server maf; /* psk: KmID / Km */
	char *keid;          /* the enrolment's KeID, or the B-TID of a GBA bootstrap */
	m2m_key *ke;
	m2m_key *gba_km;     /* with a B-TID: Km = Ks_(ext/int)_NAF for the MAF-FQDN (target.psk) */
	int deadline_s;
	int suid; /* of the Kc registered: 32 or 33 */
	/* the credential of the association being opened (psk_cb) */
	const char *psk_id;
	const m2m_key *psk;
	/* outcome */
	m2mi_enr_why why;
	bool done;
	char key_id[ID_MAX], assigned[ID_MAX];
	m2m_key *kc;
	int64_t expiry;
};

m2m_err m2m_maf_client_new(m2m_maf_client **out)
{
	if (out == NULL)
		return M2M_E_INVAL;
	if ((*out = calloc(1, sizeof(**out))) == NULL)
		return M2M_E_NOMEM;
	(*out)->deadline_s = M2M_MAF_CLIENT_DEFAULT_DEADLINE;
	(*out)->suid = M2M_MAF_CLIENT_SAEF_SUID;
	return M2M_OK;
}

static void clear_results(m2m_maf_client *m)
{
	m2m_key_free(m->kc);
	m->kc = NULL;
	m->done = false;
	m->key_id[0] = m->assigned[0] = '\0';
	m->expiry = 0;
	memset(&m->why, 0, sizeof(m->why));
}

void m2m_maf_client_free(m2m_maf_client *m)
{
	if (m == NULL)
		return;
	clear_results(m);
	m2mi_enr_server_clear(&m->maf);
	m2m_key_free(m->ke);
	m2m_key_free(m->gba_km);
	free(m->keid);
	free(m);
}

m2m_err m2m_maf_client_set_maf(m2m_maf_client *m, const char *hostport)
{
	return m == NULL ? M2M_E_INVAL : m2mi_enr_server_addr(&m->maf, hostport);
}

m2m_err m2m_maf_client_set_maf_ca(m2m_maf_client *m, const char *ca_file)
{
	return m == NULL ? M2M_E_INVAL : m2mi_enr_set_str(&m->maf.ca_file, ca_file);
}

m2m_err m2m_maf_client_set_maf_fqdn(m2m_maf_client *m, const char *fqdn)
{
	return m == NULL ? M2M_E_INVAL : m2mi_enr_server_fqdn(&m->maf, fqdn);
}

m2m_err m2m_maf_client_set_km(m2m_maf_client *m, const char *km_id, const m2m_key *km)
{
	m2m_id *id = NULL;
	m2m_err r;

	uint8_t rand[M2M_KDF_GBA_RAND_LEN];
	m2m_key *dup = NULL;
	bool btid;

	if (m == NULL || km_id == NULL || km == NULL || strlen(km_id) >= ID_MAX)
		return M2M_E_INVAL;
	/* KmID = MAF_RELATIVE_KmID@MAF-FQDN (clause 10.6) */
	if ((r = m2m_id_parse(km_id, strlen(km_id), M2M_ID_KMID, &id)) == M2M_OK) {
		m2m_id_free(id);
		return m2mi_enr_server_psk(&m->maf, km_id, km);
	}
	/* or a B-TID (TS 33.222 form) with Km = the NAF key for the MAF-FQDN (TS-0003 clause 8.3.2.3,
	 * the MAF as NAF): like an enrolment, the first association registers it and the MAF assigns
	 * the KmID of the next ones */
	btid = m2m_gba_btid_parse(km_id, rand, NULL, 0) == M2M_OK;
	m2m_memzero(rand, sizeof(rand));
	if (!btid)
		return r;
	if ((r = m2m_key_dup(km, &dup)) != M2M_OK || (r = m2mi_enr_set_str(&m->keid, km_id)) != M2M_OK) {
		m2m_key_free(dup);
		return r;
	}
	m2m_key_free(m->gba_km);
	m->gba_km = dup;
	m2m_key_free(m->ke);
	m->ke = NULL;
	return M2M_OK;
}

m2m_err m2m_maf_client_set_enrolment(m2m_maf_client *m, const char *dir)
{
	m2m_key *ke = NULL;
	m2m_err r;

	if (m == NULL || dir == NULL)
		return M2M_E_INVAL;
	if ((r = m2mi_enr_dir_ke(dir, &ke)) != M2M_OK) /* the enrolee library's one reader of DIR */
		return r;
	if ((r = m2mi_enr_set_str(&m->keid, m2m_key_id(ke))) == M2M_OK) {
		m2m_key_free(m->ke);
		m->ke = ke;
		ke = NULL;
	}
	m2m_key_free(ke);
	return r;
}

m2m_err m2m_maf_client_set_deadline(m2m_maf_client *m, int seconds)
{
	if (m == NULL || seconds < 1 || seconds > 3600)
		return M2M_E_INVAL;
	m->deadline_s = seconds;
	return M2M_OK;
}

m2m_err m2m_maf_client_set_suid(m2m_maf_client *m, int suid)
{
	if (m == NULL || (suid != M2M_MAF_CLIENT_SAEF_SUID && suid != 33))
		return M2M_E_INVAL;
	m->suid = suid;
	return M2M_OK;
}

int m2m_maf_client_rsc(const m2m_maf_client *m) { return m != NULL ? m->why.rsc : 0; }
const char *m2m_maf_client_reason(const m2m_maf_client *m) { return m != NULL ? m->why.reason : ""; }
const char *m2m_maf_client_key_id(const m2m_maf_client *m) { return m != NULL && m->done ? m->key_id : NULL; }
const m2m_key *m2m_maf_client_kc(const m2m_maf_client *m) { return m != NULL && m->done ? m->kc : NULL; }
int64_t m2m_maf_client_expiry(const m2m_maf_client *m) { return m != NULL && m->done ? m->expiry : 0; }

const char *m2m_maf_client_assigned_km_id(const m2m_maf_client *m)
{
	return m != NULL && m->assigned[0] != '\0' ? m->assigned : NULL;
}

/* The MAF-FQDN: configured, else the KmID's FQDN part, else the host when it is a name. */
static const char *maf_fqdn(const m2m_maf_client *m)
{
	return m2mi_enr_server_name(&m->maf, true);
}

/* The PSK of the MAF Handshake (clause 8.8.2.2): the SSL's app data is the client. */
static unsigned int psk_cb(SSL *ssl, const char *hint, char *identity, unsigned int max_identity_len,
			   unsigned char *psk, unsigned int max_psk_len)
{
	const m2m_maf_client *m = SSL_get_app_data(ssl);
	const uint8_t *kb;
	size_t kl;

	(void)hint;
	if (m == NULL || m->psk == NULL || m->psk_id == NULL || strlen(m->psk_id) + 1 > max_identity_len)
		return 0;
	kb = m2m_key_bytes(m->psk, &kl);
	if (kl > max_psk_len)
		return 0;
	memcpy(identity, m->psk_id, strlen(m->psk_id) + 1);
	memcpy(psk, kb, kl);
	return (unsigned int)kl;
}

static m2m_err fail(m2m_maf_client *m, m2m_err r, const char *what)
{
	if (m->why.reason[0] == '\0')
		snprintf(m->why.reason, sizeof(m->why.reason), "%s", what);
	return r;
}

/* MAF Client Registration (Table 8.8.2.3-1) on c; with want_kmid the assignedSymmKeyID. */
static m2m_err client_registration(m2m_maf_client *m, m2mi_enr_conn *c, bool want_kmid)
{
	char exp[32];
	json_t *body, *reg = NULL;
	m2m_err r;

	/* The MAF caps the registration (one year, the Km's own expiry): ask for the cap. */
	if (m2mi_mef_ts_format((int64_t)time(NULL) + MAX_LIFETIME, exp, sizeof(exp)) != M2M_OK)
		return M2M_E_INTERNAL;
	body = json_pack("{s:{s:s, s:s, s:s}}", "sec:clientRegCfg", "fqdn", maf_fqdn(m), "adminFQDN", maf_fqdn(m),
			 "expirationTime", exp);
	if (body == NULL)
		return M2M_E_NOMEM;
	r = m2mi_enr_json(c, "POST", "/mafClientReg", body, 2001, "sec:mafClientReg", &reg, &m->why);
	json_decref(body);
	if (r == M2M_OK)
		r = m2mi_mafc_check_client_reg(reg, maf_fqdn(m), want_kmid ? m->assigned : NULL, sizeof(m->assigned),
					       m->why.reason, sizeof(m->why.reason));
	json_decref(reg);
	return r;
}

/* Open one MAF association with psk_identity id and psk key before deadline_ms. */
static m2m_err open_assoc(m2m_maf_client *m, SSL_CTX *ctx, const char *id, const m2m_key *key, int64_t deadline_ms,
			  m2mi_enr_conn *c)
{
	m2m_err r;

	m->psk_id = id;
	m->psk = key;
	r = m2mi_enr_connect(ctx, m, m->maf.host, m->maf.port, maf_fqdn(m), deadline_ms, c);
	if (r == M2M_E_AUTH)
		return fail(m, r, "MAF Handshake refused (unknown, revoked or wrong Km)");
	if (r != M2M_OK)
		return fail(m, r, "MAF unreachable or deadline passed");
	return M2M_OK;
}

/* Remote provisioning (clause 8.8.2.3 step 2): Km from Ke, a first association with
 * psk_identity = KeID whose MAF Client Registration gives the KmID; *km gets Km. */
static m2m_err enrolment_km(m2m_maf_client *m, SSL_CTX *ctx, int64_t deadline_ms, m2m_key **km)
{
	m2m_kdf *kdf = NULL;
	m2mi_enr_conn c;
	m2m_err r;

	*km = NULL;
	if (m->gba_km != NULL) {
		r = m2m_key_dup(m->gba_km, km); /* GBA: the NAF key is Km (clause 8.3.2.3) */
	} else {
		if ((r = m2m_kdf_new(&kdf)) != M2M_OK)
			return r;
		r = m2m_kdf_km(kdf, m->ke, maf_fqdn(m), km); /* clause 10.3.2, MAF-ID = MAF-FQDN */
		m2m_kdf_free(kdf);
	}
	if (r != M2M_OK)
		return r;
	if ((r = open_assoc(m, ctx, m->keid, *km, deadline_ms, &c)) != M2M_OK)
		return r;
	r = client_registration(m, &c, true);
	m2mi_enr_close(&c);
	return r;
}

/* The credential of the Km associations: the configured KmID/Km, or the enrolment's. */
static m2m_err km_credential(m2m_maf_client *m, SSL_CTX *ctx, int64_t deadline_ms, const char **id,
			     const m2m_key **km, m2m_key **owned)
{
	m2m_err r;

	*owned = NULL;
	if (m->maf.psk != NULL) {
		*id = m->maf.psk_id;
		*km = m->maf.psk;
		return M2M_OK;
	}
	if ((r = enrolment_km(m, ctx, deadline_ms, owned)) != M2M_OK)
		return r;
	*id = m->assigned;
	*km = *owned;
	return M2M_OK;
}

/* Settings present and the MAF-FQDN known; a TLS context for the PSK associations. */
static m2m_err prepare(m2m_maf_client *m, SSL_CTX **ctx)
{
	m2m_err r;

	clear_results(m);
	*ctx = NULL;
	if (m->maf.host[0] == '\0' || m->maf.ca_file == NULL || (m->maf.psk == NULL && m->ke == NULL && m->gba_km == NULL))
		return fail(m, M2M_E_CONFIG, "--maf, --maf-ca and a Km (or an enrolment) are required");
	if (maf_fqdn(m) == NULL)
		return fail(m, M2M_E_CONFIG, "MAF-FQDN unknown: give it (the MAF address is no host name)");
	if ((r = m2mi_enr_server_ctx(&m->maf, psk_cb, NULL, NULL, ctx)) != M2M_OK) /* TLS, or DTLS for coaps */
		return fail(m, r, "MAF CA file unusable");
	return M2M_OK;
}

/* POST mafKeyReg (Table 8.8.2.7-1) without keyValue: the MAF takes this session's Kc/KcID. */
static m2m_err key_registration(m2m_maf_client *m, m2mi_enr_conn *c, const char *target, int64_t requested,
				bool may_register, json_t **reg)
{
	char exp[32];
	json_t *body;
	m2m_err r;

	if (m2mi_mef_ts_format(requested, exp, sizeof(exp)) != M2M_OK)
		return M2M_E_INTERNAL;
	body = json_pack("{s:{s:s, s:s, s:i, s:[s], s:s}}", "sec:keyRegCfg", "fqdn", maf_fqdn(m), "adminFQDN",
			 maf_fqdn(m), "SUID", m->suid, "targetIDs", target, "expirationTime", exp);
	if (body == NULL)
		return M2M_E_NOMEM;
	r = m2mi_enr_json(c, "POST", "/mafKeyReg", body, 2001, "sec:mafKeyReg", reg, &m->why);
	/* 4103 "MAF Client Registration required first": register on this association, retry
	 * once (the export, and so KcID, is the same: nothing was registered). */
	if (r == M2M_E_PROTO && m->why.rsc == 4103 && may_register) {
		memset(&m->why, 0, sizeof(m->why));
		r = client_registration(m, c, false);
		if (r == M2M_OK)
			r = m2mi_enr_json(c, "POST", "/mafKeyReg", body, 2001, "sec:mafKeyReg", reg, &m->why);
	}
	json_decref(body);
	return r;
}

m2m_err m2m_maf_client_register_key(m2m_maf_client *m, const char *target, int64_t lifetime)
{
	const char *id = NULL;
	const m2m_key *km = NULL;
	m2m_key *owned = NULL;
	json_t *reg = NULL;
	SSL_CTX *ctx = NULL;
	m2mi_enr_conn c;
	int64_t deadline_ms, now, requested;
	m2m_err r;

	if (m == NULL)
		return M2M_E_INVAL;
	clear_results(m);
	if ((r = m2mi_mafc_check_target(target, m->why.reason, sizeof(m->why.reason))) != M2M_OK)
		return r;
	if (lifetime < 1 || lifetime > MAX_LIFETIME)
		return fail(m, M2M_E_RANGE, "lifetime must be 1..31536000 seconds");
	if ((r = prepare(m, &ctx)) != M2M_OK)
		return r;
	deadline_ms = m2mi_enr_now_ms() + (int64_t)m->deadline_s * 1000;
	r = km_credential(m, ctx, deadline_ms, &id, &km, &owned);
	if (r == M2M_OK)
		r = open_assoc(m, ctx, id, km, deadline_ms, &c);
	if (r == M2M_OK) {
		/* Clause 10.3.1: Kc = 32 LSB, KcID = 16 MSB of this session's export. */
		r = m2m_tls_export_key(c.ssl, M2M_EXPORTER_CONNECTION, maf_fqdn(m), &m->kc, m->key_id,
				       sizeof(m->key_id));
		now = (int64_t)time(NULL);
		requested = now + lifetime;
		if (r == M2M_OK)
			r = key_registration(m, &c, target, requested, m->maf.psk != NULL, &reg);
		if (r == M2M_OK)
			r = m2mi_mafc_check_key_reg(reg, m->key_id, target, m->suid, now, requested, &m->expiry, m->why.reason,
						    sizeof(m->why.reason));
		m2mi_enr_close(&c);
	}
	json_decref(reg);
	m2m_key_free(owned);
	SSL_CTX_free(ctx);
	if (r == M2M_OK) {
		m2m_key_set_validity(m->kc, 0, m->expiry);
		m->done = true;
		return M2M_OK;
	}
	m2m_key_free(m->kc);
	m->kc = NULL;
	m->key_id[0] = '\0';
	m->expiry = 0;
	return r;
}

m2m_err m2m_maf_client_deregister_key(m2m_maf_client *m, const char *key_id)
{
	const char *id = NULL;
	const m2m_key *km = NULL;
	m2m_key *owned = NULL;
	SSL_CTX *ctx = NULL;
	m2mi_enr_conn c;
	char rel[33], path[64];
	int64_t deadline_ms;
	m2m_err r;

	if (m == NULL)
		return M2M_E_INVAL;
	clear_results(m);
	if (m2mi_mafc_rel_of(key_id, rel) != M2M_OK)
		return fail(m, M2M_E_INVAL, "key identifier is not <32 hex>[@maf-fqdn]");
	if ((r = prepare(m, &ctx)) != M2M_OK)
		return r;
	deadline_ms = m2mi_enr_now_ms() + (int64_t)m->deadline_s * 1000;
	snprintf(path, sizeof(path), "/mafKeyReg/%s", rel);
	r = km_credential(m, ctx, deadline_ms, &id, &km, &owned);
	if (r == M2M_OK)
		r = open_assoc(m, ctx, id, km, deadline_ms, &c);
	if (r == M2M_OK) {
		r = m2mi_enr_json(&c, "DELETE", path, NULL, 2002, NULL, NULL, &m->why); /* clause 8.8.2.10 */
		m2mi_enr_close(&c);
	}
	m2m_key_free(owned);
	SSL_CTX_free(ctx);
	return r;
}
