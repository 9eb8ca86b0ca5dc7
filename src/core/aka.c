/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements UMTS AKA (3GPP TS 33.102 clauses 6.3.2, 6.3.3 and 6.3.5) for the GBA-based
 * RSPF of TS-0003 clause 8.3.2.3: authentication vectors and AUTS verification for the test HSS
 * behind the MEF's BSF role, and the AUTN check with SQN freshness and AUTS generation of the
 * enrolee's software USIM. The SQN scheme (a single 48-bit counter, window Δ) is described in
 * m2msec/aka.h and docs/procedures/gba.md. Every MAC comparison is constant-time; every
 * intermediate value derived from K is wiped. Pure: no I/O apart from the DRBG for a fresh RAND.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "m2msec/aka.h"
#include "m2msec/mem.h"

#define USIM_MAGIC 0x5553494du
/* TS 33.102 clause 6.3.3: MAC-S is computed with a dummy AMF of all zeros. */
static const uint8_t amf_star[M2M_MILENAGE_AMF_LEN] = {0, 0};

struct m2m_usim {
	uint32_t magic;
	m2m_milenage *mil;
	uint64_t sqn_ms;
};

m2m_err m2m_aka_sqn_encode(uint64_t sqn, uint8_t out[M2M_MILENAGE_SQN_LEN])
{
	if (out == NULL)
		return M2M_E_INVAL;
	if (sqn > M2M_AKA_SQN_MAX)
		return M2M_E_RANGE;
	for (int i = M2M_MILENAGE_SQN_LEN - 1; i >= 0; i--, sqn >>= 8)
		out[i] = (uint8_t)(sqn & 0xff);
	return M2M_OK;
}

uint64_t m2m_aka_sqn_decode(const uint8_t in[M2M_MILENAGE_SQN_LEN])
{
	uint64_t v = 0;

	for (int i = 0; in != NULL && i < M2M_MILENAGE_SQN_LEN; i++)
		v = (v << 8) | in[i];
	return v;
}

m2m_err m2m_aka_sqn_next(uint64_t sqn_he, uint64_t *next)
{
	if (next == NULL)
		return M2M_E_INVAL;
	*next = 0;
	if (sqn_he >= M2M_AKA_SQN_MAX)
		return M2M_E_RANGE;
	*next = sqn_he + 1;
	return M2M_OK;
}

bool m2m_aka_sqn_fresh(uint64_t sqn_ms, uint64_t sqn)
{
	/* SQN_MS < SQN <= SQN_MS + delta (TS 33.102 Annex C.2.2 limit; no wrap-around) */
	return sqn > sqn_ms && sqn <= M2M_AKA_SQN_MAX && sqn - sqn_ms <= M2M_AKA_SQN_DELTA;
}

void m2m_aka_av_clear(m2m_aka_av *av)
{
	if (av == NULL)
		return;
	m2m_key_free(av->ck);
	m2m_key_free(av->ik);
	m2m_memzero(av, sizeof(*av));
}

m2m_err m2m_aka_av_generate(m2m_milenage *m, const uint8_t *rand, uint64_t sqn,
			    const uint8_t amf[M2M_MILENAGE_AMF_LEN], m2m_aka_av *av)
{
	uint8_t sq[M2M_MILENAGE_SQN_LEN], ak[M2M_MILENAGE_AK_LEN];
	m2m_err r;

	if (av == NULL)
		return M2M_E_INVAL;
	memset(av, 0, sizeof(*av));
	if (m == NULL || amf == NULL)
		return M2M_E_INVAL;
	if (sqn == 0 || (r = m2m_aka_sqn_encode(sqn, sq)) != M2M_OK)
		return M2M_E_RANGE;
	if (rand != NULL)
		memcpy(av->rand, rand, sizeof(av->rand));
	else if (RAND_bytes(av->rand, sizeof(av->rand)) != 1) /* RAND is public (sent on Ub) */
		return M2M_E_CRYPTO;
	if ((r = m2m_milenage_f2345(m, av->rand, av->xres, &av->ck, &av->ik, ak)) != M2M_OK ||
	    (r = m2m_milenage_f1(m, av->rand, sq, amf, av->autn + 8, NULL)) != M2M_OK) {
		m2m_memzero(ak, sizeof(ak));
		m2m_aka_av_clear(av);
		return r;
	}
	/* AUTN = SQN xor AK || AMF || MAC-A (MAC-A already at offset 8). */
	for (int i = 0; i < M2M_MILENAGE_SQN_LEN; i++)
		av->autn[i] = sq[i] ^ ak[i];
	memcpy(av->autn + 6, amf, M2M_MILENAGE_AMF_LEN);
	m2m_memzero(ak, sizeof(ak));
	return M2M_OK;
}

m2m_err m2m_aka_auts_verify(m2m_milenage *m, const uint8_t rand[M2M_MILENAGE_RAND_LEN],
			    const uint8_t auts[M2M_AKA_AUTS_LEN], uint64_t *sqn_ms)
{
	uint8_t aks[M2M_MILENAGE_AK_LEN], sq[M2M_MILENAGE_SQN_LEN], mac_s[M2M_MILENAGE_MAC_LEN];
	m2m_err r;

	if (sqn_ms == NULL)
		return M2M_E_INVAL;
	*sqn_ms = 0;
	if (m == NULL || rand == NULL || auts == NULL)
		return M2M_E_INVAL;
	if ((r = m2m_milenage_f5star(m, rand, aks)) != M2M_OK)
		return r;
	for (int i = 0; i < M2M_MILENAGE_SQN_LEN; i++)
		sq[i] = auts[i] ^ aks[i];
	if ((r = m2m_milenage_f1(m, rand, sq, amf_star, NULL, mac_s)) == M2M_OK)
		r = m2m_ct_eq(mac_s, auts + M2M_MILENAGE_SQN_LEN, M2M_MILENAGE_MAC_LEN) ? M2M_OK : M2M_E_AKA_MAC;
	if (r == M2M_OK)
		*sqn_ms = m2m_aka_sqn_decode(sq);
	m2m_memzero(aks, sizeof(aks));
	m2m_memzero(sq, sizeof(sq));
	m2m_memzero(mac_s, sizeof(mac_s));
	return r;
}

m2m_err m2m_usim_new(const m2m_key *k, const m2m_key *opc, uint64_t sqn_ms, m2m_usim **out)
{
	m2m_usim *u;
	m2m_err r;

	if (out == NULL)
		return M2M_E_INVAL;
	*out = NULL;
	if (sqn_ms > M2M_AKA_SQN_MAX)
		return M2M_E_RANGE;
	if ((u = calloc(1, sizeof(*u))) == NULL)
		return M2M_E_NOMEM;
	if ((r = m2m_milenage_new(k, opc, &u->mil)) != M2M_OK) {
		free(u);
		return r;
	}
	u->sqn_ms = sqn_ms;
	u->magic = USIM_MAGIC;
	*out = u;
	return M2M_OK;
}

void m2m_usim_free(m2m_usim *u)
{
	if (u == NULL)
		return;
	m2m_milenage_free(u->mil);
	m2m_freezero(u, sizeof(*u));
}

uint64_t m2m_usim_sqn_ms(const m2m_usim *u)
{
	return u != NULL && u->magic == USIM_MAGIC ? u->sqn_ms : 0;
}

void m2m_aka_result_clear(m2m_aka_result *res)
{
	if (res == NULL)
		return;
	m2m_key_free(res->ck);
	m2m_key_free(res->ik);
	m2m_memzero(res, sizeof(*res));
}

/* AUTS = SQN_MS xor f5*(RAND) || f1*(SQN_MS, RAND, AMF = 0) (TS 33.102 clause 6.3.3). */
static m2m_err make_auts(m2m_usim *u, const uint8_t *rand, uint8_t auts[M2M_AKA_AUTS_LEN])
{
	uint8_t sq[M2M_MILENAGE_SQN_LEN], aks[M2M_MILENAGE_AK_LEN];
	m2m_err r;

	if ((r = m2m_aka_sqn_encode(u->sqn_ms, sq)) != M2M_OK ||
	    (r = m2m_milenage_f1(u->mil, rand, sq, amf_star, NULL, auts + M2M_MILENAGE_SQN_LEN)) != M2M_OK ||
	    (r = m2m_milenage_f5star(u->mil, rand, aks)) != M2M_OK)
		goto out;
	for (int i = 0; i < M2M_MILENAGE_SQN_LEN; i++)
		auts[i] = sq[i] ^ aks[i];
out:
	m2m_memzero(sq, sizeof(sq));
	m2m_memzero(aks, sizeof(aks));
	return r;
}

m2m_err m2m_usim_authenticate(m2m_usim *u, const uint8_t rand[M2M_MILENAGE_RAND_LEN],
			      const uint8_t autn[M2M_AKA_AUTN_LEN], m2m_aka_result *out)
{
	uint8_t ak[M2M_MILENAGE_AK_LEN], sq[M2M_MILENAGE_SQN_LEN], xmac[M2M_MILENAGE_MAC_LEN];
	uint64_t sqn;
	m2m_err r;

	if (out == NULL)
		return M2M_E_INVAL;
	memset(out, 0, sizeof(*out));
	if (u == NULL || u->magic != USIM_MAGIC || rand == NULL || autn == NULL)
		return M2M_E_INVAL;
	/* AK = f5(RAND) first: SQN is concealed in AUTN. RES, CK, IK come from the same call and are
	 * released only after MAC-A and SQN have passed. */
	if ((r = m2m_milenage_f2345(u->mil, rand, out->res, &out->ck, &out->ik, ak)) != M2M_OK)
		goto out;
	for (int i = 0; i < M2M_MILENAGE_SQN_LEN; i++)
		sq[i] = autn[i] ^ ak[i];
	/* XMAC = f1(SQN, RAND, AMF) must equal MAC-A (constant-time). */
	if ((r = m2m_milenage_f1(u->mil, rand, sq, autn + 6, xmac, NULL)) != M2M_OK)
		goto out;
	if (!m2m_ct_eq(xmac, autn + 8, M2M_MILENAGE_MAC_LEN)) {
		r = M2M_E_AKA_MAC;
		goto out;
	}
	/* Freshness (the scheme in m2msec/aka.h): SQN_MS < SQN <= SQN_MS + delta. */
	sqn = m2m_aka_sqn_decode(sq);
	if (!m2m_aka_sqn_fresh(u->sqn_ms, sqn)) {
		m2m_aka_result_clear(out);
		if ((r = make_auts(u, rand, out->auts)) == M2M_OK)
			r = M2M_E_AKA_SYNC;
		goto out_keep;
	}
	u->sqn_ms = sqn;
out:
	if (r != M2M_OK)
		m2m_aka_result_clear(out);
out_keep:
	m2m_memzero(ak, sizeof(ak));
	m2m_memzero(sq, sizeof(sq));
	m2m_memzero(xmac, sizeof(xmac));
	return r;
}
