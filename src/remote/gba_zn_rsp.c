/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the NAF configuration of the remote-key resolver (remote_key.h): a CSE or
 * MAF acting as NAF (TS-0003 clause 8.3.2.3, "The Enrolment Target plays the role of a NAF")
 * accepts B-TIDs of its BSF (the MEF) as TLS-PSK identities (3GPP TS 33.222 clause 5.4.0.1: the
 * server's hint is "3GPP-bootstrapping", the client's psk_identity is the B-TID) and fetches the
 * NAF key over Zn (m2msec/gba_zn.h) during the handshake. Here: the identity match (a B-TID of
 * exactly the BSF's FQDN, in its one standard spelling, so one bootstrap is one cache entry) and
 * the parser of the BSF's answer, which must be for exactly the B-TID asked for.
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "m2msec/gba_zn.h"
#include "m2msec/hex.h"
#include "m2msec/mem.h"
#include "remote/remote_key.h"

/* The longest NAF-key lifetime accepted from a BSF: far above any bootstrap-lifetime. */
#define ZN_LIFETIME_MAX (10ll * 365 * 86400)

static int gba_match(const void *mctx, const char *identity, const char *fqdn, char *kid, size_t kcap, char *path,
		     size_t pcap)
{
	const m2mi_gba_naf *naf = mctx;
	uint8_t rand[M2M_KDF_GBA_RAND_LEN];
	char fq[254], canon[M2M_GBA_BTID_MAX];
	int ok = -1;

	if (strlen(identity) >= sizeof(canon) || m2m_gba_btid_parse(identity, rand, fq, sizeof(fq)) != M2M_OK)
		goto out; /* not a B-TID: another resolver's identity */
	if (strcmp(fq, fqdn) != 0 || m2m_gba_btid_format(rand, fq, canon, sizeof(canon)) != M2M_OK ||
	    strcmp(canon, identity) != 0 || strlen(canon) + 3 >= kcap)
		goto out; /* another BSF's, or not the spelling the BSF issued (tampered) */
	if (m2m_gba_zn_path(canon, naf->fqdn, naf->kind, path, pcap) != M2M_OK)
		goto out;
	memcpy(kid, canon, strlen(canon) + 1);
	ok = 0;
out:
	m2m_memzero(rand, sizeof(rand));
	return ok;
}

void m2mi_remote_key_cfg_gba(m2mi_remote_key_cfg *cfg, const char *bsf_fqdn, const m2mi_gba_naf *naf)
{
	cfg->kind = M2M_ID_KEID; /* unused: match decides */
	cfg->fqdn = bsf_fqdn;
	cfg->suid = 22;          /* a key provisioned by the MEF for RSPF-based SAEF (TS-0004 Table 6.3.4.2.39-1) */
	cfg->path = NULL;
	cfg->parse = m2mi_gba_parse_zn_rsp;
	cfg->match = gba_match;
	cfg->match_ctx = naf;
}

m2m_err m2mi_gba_parse_zn_rsp(int rsc, const char *body, size_t len, const char *btid, int suid, int64_t now,
			      m2m_key **key, m2m_sa *sa)
{
	json_t *root = NULL, *o;
	const char *k, *eid, *bt;
	json_int_t lifetime;
	bool unauth = false;
	m2m_err r = M2M_E_PROTO;


	*key = NULL;
	memset(sa, 0, sizeof(*sa));
	if (rsc != 2000)
		return m2mi_remote_rsc_error(rsc);
	if (body == NULL || (root = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL)) == NULL)
		return M2M_E_PROTO;
	o = json_object_get(root, M2M_GBA_ZN_RSP);
	k = json_string_value(json_object_get(o, "key"));
	eid = json_string_value(json_object_get(o, "enroleeID"));
	bt = json_string_value(json_object_get(o, "btid"));
	if (!json_is_object(o) || k == NULL || eid == NULL || bt == NULL ||
	    !json_is_integer(json_object_get(o, "lifetime")) || !json_is_string(json_object_get(o, "impi")))
		goto out;
	if (m2mi_remote_net_unauth(o, &unauth) != 0)
		goto out;
	lifetime = json_integer_value(json_object_get(o, "lifetime"));
	/* exactly the B-TID asked for: a confused BSF must not bind another bootstrap's key */
	if (strcmp(bt, btid) != 0 || lifetime < 1 || lifetime > ZN_LIFETIME_MAX)
		goto out;
	/* never beyond the bootstrap (the BSF bounds lifetime); the HSS's network-access status */
	r = m2mi_remote_bind_key(k, eid, btid, suid, now, (int64_t)lifetime, unauth, key, sa);
out:
	json_decref(root);
	return r;
}
