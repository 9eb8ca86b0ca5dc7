/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the public interface of the MEF's test HSS (`[mef] hss-file`), the
 * subscriber database the BSF role of the MEF (TS-0003 clause 8.3.2.3, 3GPP TS 33.220 clause
 * 4.5.2) asks for authentication vectors. One text file, mode 0600 (M2M_FILE_SECRET), one
 * subscriber per line:
 *
 *     IMPI K OPc SQN AMF [netauth=yes|netauth=no]
 *
 * K and OPc 32 hex digits, SQN_HE 12 hex digits (the last SQN handed out, TS 33.102 Annex C
 * scheme of m2msec/aka.h), AMF 4 hex digits; the optional last field is the subscriber's
 * underlying-network authorization (absent = yes; docs/procedures/gba.md "Underlying-network
 * authorization"); '#' lines and blank lines are ignored. Every
 * operation takes an exclusive lock on "<file>.lock", re-reads the file, and writes a changed SQN
 * back atomically (temporary file, fsync, rename, fsync of the directory) BEFORE the vector
 * leaves: a crash can skip SQN values, never reuse one. The operator command and the running
 * MEF may therefore use the file at the same time.
 */
#ifndef M2MSEC_HSS_H
#define M2MSEC_HSS_H

#include "m2msec/aka.h"
#include "m2msec/digest_aka.h"

#define M2M_HSS_FILE_MAX (1024 * 1024)
#define M2M_HSS_IMPI_MAX 255

/* Check that path is a well-formed subscriber file with secret permissions (an absent file is
 * M2M_E_NOT_FOUND; 0644 is M2M_E_KEY_PERMS; a malformed line M2M_E_CONFIG, *line = its number). */
M2M_API M2M_WUR m2m_err m2m_hss_check_file(const char *path, unsigned *line);

/* Add subscriber impi (printable ASCII without space, 1..M2M_HSS_IMPI_MAX, else M2M_E_INVAL) with
 * K and OPc (16 bytes each, M2M_E_KEY_LEN), SQN_HE 0 and AMF 0x8000 (the "separation bit" of
 * TS 33.102 Annex H set, as for E-UTRAN); the file is created 0600 when absent. M2M_E_EXISTS
 * when impi is already there. */
M2M_API M2M_WUR m2m_err m2m_hss_add(const char *path, const char *impi, const m2m_key *k, const m2m_key *opc);

/* The next vector for impi (TS 33.102 clause 6.3.2): SQN_HE + 1 is stored first. M2M_E_NOT_FOUND
 * for an unknown IMPI, M2M_E_RANGE when SQN is exhausted, M2M_E_IO when the file cannot be
 * rewritten (no vector then). rand NULL = fresh from the DRBG. */
M2M_API M2M_WUR m2m_err m2m_hss_vector(const char *path, const char *impi, const uint8_t *rand, m2m_aka_av *av);

/*
 * Check the UE's credentials cred against the vector av issued to impi (m2m_gba_bsf_check): M2M_OK
 * (RES verified), M2M_E_AUTH (wrong response / another challenge), M2M_E_AKA_MAC (AUTS does not
 * verify), or M2M_E_AKA_SYNC after SQN_HE = SQN_MS was stored (TS 33.102 clause 6.3.5: the
 * caller challenges again with a new vector).
 */
M2M_API M2M_WUR m2m_err m2m_hss_check(const char *path, const char *impi, const m2m_aka_av *av,
				      const m2m_digest *cred, const char *method);

/* SQN_HE of impi (tests, `m2msec mef subscriber`). */
M2M_API M2M_WUR m2m_err m2m_hss_sqn(const char *path, const char *impi, uint64_t *sqn);

/* The subscriber's underlying-network authorization (the optional netauth= field; absent = yes).
 * M2M_E_NOT_FOUND for an unknown IMPI; on any error *authorized is false (fail closed). */
M2M_API M2M_WUR m2m_err m2m_hss_net_authorized(const char *path, const char *impi, bool *authorized);
/* Set it (`m2msec mef subscriber set --network-authorized`), the file written back atomically
 * under the lock as for SQN; the other fields stay byte for byte. M2M_E_NOT_FOUND. */
M2M_API M2M_WUR m2m_err m2m_hss_set_net_authorized(const char *path, const char *impi, bool authorized);

#endif
