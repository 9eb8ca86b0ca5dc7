/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements MILENAGE (3GPP TS 35.206 clause 4.1) for the GBA-based RSPF of TS-0003
 * clause 8.3.2.3: with TEMP = E_K(RAND xor OPc) and IN1 = SQN || AMF || SQN || AMF,
 *   OUT1 = E_K(TEMP xor rot(IN1 xor OPc, r1) xor c1) xor OPc   f1 = OUT1[0..63], f1* = OUT1[64..127]
 *   OUT2 = E_K(rot(TEMP xor OPc, r2) xor c2) xor OPc           f5 = OUT2[0..47], f2 = OUT2[64..127]
 *   OUT3 = E_K(rot(TEMP xor OPc, r3) xor c3) xor OPc           f3 = OUT3
 *   OUT4 = E_K(rot(TEMP xor OPc, r4) xor c4) xor OPc           f4 = OUT4
 *   OUT5 = E_K(rot(TEMP xor OPc, r5) xor c5) xor OPc           f5* = OUT5[0..47]
 * r1..r5 = 64, 0, 32, 64, 96 bits and c1..c5 = 0, 1, 2, 4, 8 (in the last byte), the values
 * TS 35.206 clause 4.1 fixes. The kernel E_K is AES-128 (TS 35.206 clause 3) through one OpenSSL
 * EVP_CIPHER_CTX in ECB mode on single blocks, keyed once per context. Every intermediate block
 * is wiped. Pure: no I/O.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "m2msec/mem.h"
#include "m2msec/milenage.h"

#define BLK 16
#define MIL_MAGIC 0x4d494c45u

struct m2m_milenage {
	uint32_t magic;
	EVP_CIPHER_CTX *ctx; /* AES-128-ECB keyed with K */
	uint8_t opc[BLK];
};

static bool mil_ok(const m2m_milenage *m)
{
	return m != NULL && m->magic == MIL_MAGIC && m->ctx != NULL;
}

static m2m_err key16(const m2m_key *k, const uint8_t **b)
{
	size_t n = 0;

	if (k == NULL || (*b = m2m_key_bytes(k, &n)) == NULL)
		return M2M_E_INVAL;
	return n == BLK ? M2M_OK : M2M_E_KEY_LEN;
}

/* A context keyed with K for single-block AES-128 encryption (ECB, no padding). */
static m2m_err aes_ctx(const uint8_t k[BLK], EVP_CIPHER_CTX **out)
{
	EVP_CIPHER *aes = EVP_CIPHER_fetch(NULL, "AES-128-ECB", NULL);
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	m2m_err r = M2M_E_CRYPTO;

	if (ctx == NULL || aes == NULL)
		r = ctx == NULL ? M2M_E_NOMEM : M2M_E_CRYPTO;
	else if (EVP_EncryptInit_ex2(ctx, aes, k, NULL, NULL) == 1 && EVP_CIPHER_CTX_set_padding(ctx, 0) == 1)
		r = M2M_OK;
	EVP_CIPHER_free(aes);
	if (r != M2M_OK) {
		EVP_CIPHER_CTX_free(ctx);
		ctx = NULL;
	}
	*out = ctx;
	return r;
}

static m2m_err aes_block(EVP_CIPHER_CTX *ctx, const uint8_t in[BLK], uint8_t out[BLK])
{
	int n = 0;

	if (EVP_EncryptUpdate(ctx, out, &n, in, BLK) != 1 || n != BLK)
		return M2M_E_CRYPTO;
	return M2M_OK;
}

static void xor16(uint8_t *d, const uint8_t *a, const uint8_t *b)
{
	for (size_t i = 0; i < BLK; i++)
		d[i] = a[i] ^ b[i];
}

m2m_err m2m_milenage_opc(const m2m_key *k, const uint8_t op[M2M_MILENAGE_K_LEN], m2m_key **opc)
{
	EVP_CIPHER_CTX *ctx = NULL;
	const uint8_t *kb = NULL;
	uint8_t e[BLK];
	m2m_err r;

	if (opc == NULL)
		return M2M_E_INVAL;
	*opc = NULL;
	if (op == NULL)
		return M2M_E_INVAL;
	if ((r = key16(k, &kb)) != M2M_OK || (r = aes_ctx(kb, &ctx)) != M2M_OK)
		return r;
	if ((r = aes_block(ctx, op, e)) == M2M_OK) {
		xor16(e, e, op);
		r = m2m_key_new(e, BLK, opc);
	}
	m2m_memzero(e, sizeof(e));
	EVP_CIPHER_CTX_free(ctx);
	return r;
}

m2m_err m2m_milenage_new(const m2m_key *k, const m2m_key *opc, m2m_milenage **out)
{
	const uint8_t *kb = NULL, *ob = NULL;
	m2m_milenage *m;
	m2m_err r;

	if (out == NULL)
		return M2M_E_INVAL;
	*out = NULL;
	if ((r = key16(k, &kb)) != M2M_OK || (r = key16(opc, &ob)) != M2M_OK)
		return r;
	if ((m = calloc(1, sizeof(*m))) == NULL)
		return M2M_E_NOMEM;
	if ((r = aes_ctx(kb, &m->ctx)) != M2M_OK) {
		free(m);
		return r;
	}
	memcpy(m->opc, ob, BLK);
	m->magic = MIL_MAGIC;
	*out = m;
	return M2M_OK;
}

void m2m_milenage_free(m2m_milenage *m)
{
	if (m == NULL)
		return;
	/* EVP_CIPHER_CTX_free cleanses the key schedule. */
	EVP_CIPHER_CTX_free(m->ctx);
	m2m_freezero(m, sizeof(*m));
}

/* TEMP = E_K(RAND xor OPc). */
static m2m_err temp_block(m2m_milenage *m, const uint8_t rand[BLK], uint8_t temp[BLK])
{
	uint8_t in[BLK];
	m2m_err r;

	xor16(in, rand, m->opc);
	r = aes_block(m->ctx, in, temp);
	m2m_memzero(in, sizeof(in));
	return r;
}

/* OUTi = E_K(rot(x xor OPc, rbytes) xor c) xor OPc, c = the constant in the last byte. */
static m2m_err out_block(m2m_milenage *m, const uint8_t x[BLK], unsigned rbytes, uint8_t c, uint8_t out[BLK])
{
	uint8_t t[BLK], in[BLK];
	m2m_err r;

	xor16(t, x, m->opc);
	/* rot(x, r): cyclic left rotation by r bits; every r of TS 35.206 is a whole number of bytes. */
	for (unsigned i = 0; i < BLK; i++)
		in[i] = t[(i + rbytes) % BLK];
	in[BLK - 1] ^= c;
	if ((r = aes_block(m->ctx, in, out)) == M2M_OK)
		xor16(out, out, m->opc);
	m2m_memzero(t, sizeof(t));
	m2m_memzero(in, sizeof(in));
	return r;
}

m2m_err m2m_milenage_f1(m2m_milenage *m, const uint8_t rand[M2M_MILENAGE_RAND_LEN],
			const uint8_t sqn[M2M_MILENAGE_SQN_LEN], const uint8_t amf[M2M_MILENAGE_AMF_LEN],
			uint8_t mac_a[M2M_MILENAGE_MAC_LEN], uint8_t mac_s[M2M_MILENAGE_MAC_LEN])
{
	uint8_t temp[BLK], in1[BLK], t[BLK], out[BLK];
	m2m_err r;

	if (!mil_ok(m) || rand == NULL || sqn == NULL || amf == NULL || (mac_a == NULL && mac_s == NULL))
		return M2M_E_INVAL;
	memcpy(in1, sqn, 6), memcpy(in1 + 6, amf, 2), memcpy(in1 + 8, sqn, 6), memcpy(in1 + 14, amf, 2);
	if ((r = temp_block(m, rand, temp)) == M2M_OK) {
		/* OUT1 = E_K(TEMP xor rot(IN1 xor OPc, r1) xor c1) xor OPc, r1 = 64 bits, c1 = 0: the
		 * rotation is applied to IN1 xor OPc, so TEMP is xored in after it. */
		uint8_t x[BLK];

		xor16(x, in1, m->opc);
		for (unsigned i = 0; i < BLK; i++)
			t[i] = temp[i] ^ x[(i + 8) % BLK];
		m2m_memzero(x, sizeof(x));
		if ((r = aes_block(m->ctx, t, out)) == M2M_OK) {
			xor16(out, out, m->opc);
			if (mac_a != NULL)
				memcpy(mac_a, out, M2M_MILENAGE_MAC_LEN);
			if (mac_s != NULL)
				memcpy(mac_s, out + 8, M2M_MILENAGE_MAC_LEN);
		}
	}
	m2m_memzero(temp, sizeof(temp));
	m2m_memzero(t, sizeof(t));
	m2m_memzero(out, sizeof(out));
	return r;
}

m2m_err m2m_milenage_f2345(m2m_milenage *m, const uint8_t rand[M2M_MILENAGE_RAND_LEN],
			   uint8_t res[M2M_MILENAGE_RES_LEN], m2m_key **ck, m2m_key **ik,
			   uint8_t ak[M2M_MILENAGE_AK_LEN])
{
	uint8_t temp[BLK], out[BLK];
	m2m_err r;

	if (ck != NULL)
		*ck = NULL;
	if (ik != NULL)
		*ik = NULL;
	if (!mil_ok(m) || rand == NULL || (res == NULL && ck == NULL && ik == NULL && ak == NULL))
		return M2M_E_INVAL;
	if ((r = temp_block(m, rand, temp)) != M2M_OK)
		goto out;
	/* OUT2: r2 = 0, c2 = 1 -> f5 = OUT2[0..47], f2 = OUT2[64..127]. */
	if ((r = out_block(m, temp, 0, 1, out)) != M2M_OK)
		goto out;
	if (res != NULL)
		memcpy(res, out + 8, M2M_MILENAGE_RES_LEN);
	if (ak != NULL)
		memcpy(ak, out, M2M_MILENAGE_AK_LEN);
	/* OUT3: r3 = 32 bits, c3 = 2 -> CK; OUT4: r4 = 64 bits, c4 = 4 -> IK. */
	if (ck != NULL &&
	    ((r = out_block(m, temp, 4, 2, out)) != M2M_OK || (r = m2m_key_new(out, BLK, ck)) != M2M_OK))
		goto out;
	if (ik != NULL &&
	    ((r = out_block(m, temp, 8, 4, out)) != M2M_OK || (r = m2m_key_new(out, BLK, ik)) != M2M_OK))
		goto out;
out:
	if (r != M2M_OK) {
		if (res != NULL)
			m2m_memzero(res, M2M_MILENAGE_RES_LEN);
		if (ak != NULL)
			m2m_memzero(ak, M2M_MILENAGE_AK_LEN);
		if (ck != NULL) {
			m2m_key_free(*ck);
			*ck = NULL;
		}
	}
	m2m_memzero(temp, sizeof(temp));
	m2m_memzero(out, sizeof(out));
	return r;
}

m2m_err m2m_milenage_f5star(m2m_milenage *m, const uint8_t rand[M2M_MILENAGE_RAND_LEN],
			    uint8_t ak_star[M2M_MILENAGE_AK_LEN])
{
	uint8_t temp[BLK], out[BLK];
	m2m_err r;

	if (!mil_ok(m) || rand == NULL || ak_star == NULL)
		return M2M_E_INVAL;
	/* OUT5: r5 = 96 bits, c5 = 8 -> f5* = OUT5[0..47]. */
	if ((r = temp_block(m, rand, temp)) == M2M_OK && (r = out_block(m, temp, 12, 8, out)) == M2M_OK)
		memcpy(ak_star, out, M2M_MILENAGE_AK_LEN);
	m2m_memzero(temp, sizeof(temp));
	m2m_memzero(out, sizeof(out));
	return r;
}
