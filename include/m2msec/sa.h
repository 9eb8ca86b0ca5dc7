/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the security association value (TS-0003 clause 8.2.1): what Entity B (the
 * CSE, always the (D)TLS server) has bound to a (D)TLS session once the handshake succeeded —
 * the authenticated identity (Absolute/SP-relative AE-ID or CSE-ID, or only a Credential-ID),
 * how it was authenticated, and the limits of the credential. The TLS layer produces it; the
 * binding passes it with every request; the originator rules (TS-0004 clause 7.3.2.1) and the
 * access-control decision (TS-0003 clause 7.1.2, rq_authn) consume it.
 */
#ifndef M2MSEC_SA_H
#define M2MSEC_SA_H

#include "m2msec/common.h"

#define M2M_SA_ID_MAX 256

typedef enum m2m_sa_kind {
	M2M_SA_NONE = 0, /* no security association (loopback plain HTTP): nothing is authenticated */
	M2M_SA_PSK,      /* (D)TLS-PSK: Provisioned Symmetric Key / MEF / MAF SAEF (TS-0003 8.2.2.1, 8.2.2.3) */
	M2M_SA_CERT,     /* certificate-based SAEF (TS-0003 8.2.2.2) */
	M2M_SA_BROKER,   /* MQTT (TS-0010 7.2): the identity the broker authenticated and its topic ACL
			  * vouches for; the CSE saw neither the key nor the certificate */
} m2m_sa_kind;

typedef enum m2m_entity_kind {
	M2M_ENTITY_UNKNOWN = 0, /* only a Credential-ID is known (TS-0003 8.2.1 resolution pending) */
	M2M_ENTITY_AE,
	M2M_ENTITY_CSE,
} m2m_entity_kind;

/* Documented value type: filled by the TLS layer, copied freely; holds no key material. */
typedef struct m2m_sa {
	m2m_sa_kind kind;
	m2m_entity_kind entity;
	/* The bound identity: an AE-ID (AE-ID-Stem, SP-relative or absolute) or a CSE-ID
	 * (SP-relative or absolute) as configured for the credential; "" when only the
	 * Credential-ID is known. */
	char bound_id[M2M_SA_ID_MAX];
	/* Credential-ID of the credential used (TS-0003 clause 10.4), e.g. "12-kpsa1@sp.example.com". */
	char credential_id[M2M_SA_ID_MAX];
	int suid;        /* SUID of the credential, 0 if unconstrained */
	int64_t expiry;  /* credential not-after (unix seconds), 0 = none */
	/* The key service that issued the credential said the underlying network does not authorize
	 * this node (m2msec: the MEF's fetchCredentials "networkAuthorized": false, the 3GPP liaison
	 * on TS-0001 clause 6.2.2 CMDH); false = authorized or no statement. */
	bool net_unauthorized;
} m2m_sa;

#endif
