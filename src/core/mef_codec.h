/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the internal interface of core/mef_codec.c: strict JSON <-> C codecs of
 * the Mmef procedure bodies (docs/procedures/mef.md): sec:clientRegCfg (TS-0003 clause 12.4.2),
 * sec:keyRegCfg (clause 12.4.3), the MEF Client Command status update (clause 8.3.9.5) and the
 * fetchCredentials path (clause 8.3.2.1). Unknown members, wrong types and oversize values are
 * M2M_E_PROTO (the service answers 4000). Pure, I/O-free.
 */
#ifndef M2M_CORE_MEF_CODEC_H
#define M2M_CORE_MEF_CODEC_H

#include <jansson.h>

#include "m2msec/err.h"
#include "m2msec/key.h"

#define M2MI_MEF_STR_MAX 256  /* any identifier / FQDN / URI field, bytes incl. NUL */
#define M2MI_MEF_LABELS_MAX 8
#define M2MI_MEF_LABEL_MAX 64
#define M2MI_MEF_TARGETS_MAX 8
/* The stored compact JSON text of the longest labels (sec:clientRegCfg / sec:keyRegCfg, MEF and
 * MAF alike), bytes incl. NUL: M2MI_MEF_LABELS_MAX labels of M2MI_MEF_LABEL_MAX - 1 bytes, each
 * byte escaped to at most 6 ("\u0001"), quoted, commas, brackets. Labels are never cut. */
#define M2MI_MEF_LABELS_TEXT (M2MI_MEF_LABELS_MAX * (6 * (M2MI_MEF_LABEL_MAX - 1) + 3) + 2)
#define M2MI_MEF_KEY_MAX 64   /* Key Value of a key registration, bytes */
/* A KeID / KeyID "<RelativeID, 32 hex>@<MEF-FQDN, up to 253 bytes>" (TS-0003 clause 10.3.1,
 * 8.3.5.2), bytes incl. NUL: longer than M2MI_MEF_STR_MAX under a long MEF-FQDN. */
#define M2MI_MEF_KEYID_MAX (32 + 1 + 253 + 1)

typedef struct m2mi_mef_labels {
	char v[M2MI_MEF_LABELS_MAX][M2MI_MEF_LABEL_MAX];
	size_t n;
	bool present;
} m2mi_mef_labels;

/* sec:clientRegCfg plus the m2msec extensions enroleeID and certEnrolInd. */
typedef struct m2mi_mef_client_reg {
	int64_t et;            /* expirationTime, 0 absent */
	m2mi_mef_labels lbl;
	char fqdn[M2MI_MEF_STR_MAX];       /* "" absent (update) */
	char admin_fqdn[M2MI_MEF_STR_MAX]; /* "" absent (update) */
	int http_port, coap_port, ws_port; /* -1 absent; 0..255 (xs:unsignedByte) */
	char enrolee_id[M2MI_MEF_STR_MAX]; /* m2msec: claimed Enrolee-ID, "" absent */
	bool cert_enrol;                   /* m2msec: Certificate Enrolment Indication */
} m2mi_mef_client_reg;

/* sec:keyRegCfg plus the optional Key Value (keyValue, hexBinary). */
typedef struct m2mi_mef_key_reg {
	int64_t et;
	m2mi_mef_labels lbl;
	char fqdn[M2MI_MEF_STR_MAX];
	char admin_fqdn[M2MI_MEF_STR_MAX];
	int suid;              /* 0 absent (update) */
	char targets[M2MI_MEF_TARGETS_MAX][M2MI_MEF_STR_MAX];
	size_t ntargets;
	bool targets_present;
	uint8_t key[M2MI_MEF_KEY_MAX]; /* wiped by m2mi_mef_key_reg_wipe */
	size_t key_len;        /* 0 absent */
} m2mi_mef_key_reg;

/* Parse {"sec:clientRegCfg": {...}}. update: only expirationTime and labels, at least one. */
m2m_err m2mi_mef_parse_client_reg(const json_t *pc, bool update, m2mi_mef_client_reg *out);
/* Parse {"sec:keyRegCfg": {...}}. update: only expirationTime, labels, targetIDs (>= 1). */
m2m_err m2mi_mef_parse_key_reg(const json_t *pc, bool update, m2mi_mef_key_reg *out);
void m2mi_mef_key_reg_wipe(m2mi_mef_key_reg *k);
/* Parse {"sec:mefClientCmd": {"cmdID": n, "cmdStatusCode": s}} (both required, nothing else). */
m2m_err m2mi_mef_parse_cmd_update(const json_t *pc, int64_t *cmd_id, int *status);
/* Is status one a MEF Client may report (TS-0003 Table 12.3.2.4-1 minus ISSUED/REISSUED)? */
bool m2mi_mef_client_status_ok(int status);
/* "fetchCredentials/<KeID>/<SUID>" (leading '/' allowed): canonical KeID into keid, SUID. */
m2m_err m2mi_mef_parse_fetch_path(const char *to, char *keid, size_t cap, int *suid);
/* m2m:timestamp "YYYYMMDDTHHMMSS" (UTC) <-> unix seconds. */
m2m_err m2mi_mef_ts_parse(const char *s, int64_t *out);
m2m_err m2mi_mef_ts_format(int64_t t, char *out, size_t cap);
/* The stored text form of present labels (a compact JSON array) into out (cap >=
 * M2MI_MEF_LABELS_TEXT holds any), "" when absent. Shared by the client and key registrations.
 * M2M_E_RANGE when the text does not fit cap, M2M_E_NOMEM: out is then "" and the caller
 * refuses (labels are never cut nor silently dropped). */
m2m_err m2mi_mef_labels_text(const m2mi_mef_labels *l, char *out, size_t cap);
/* A key registration as answered (<mefKeyReg> TS-0003 Table 8.3.5.2.7-2, <mafKeyReg> Table
 * 8.8.2.7-2: the same members under the wrapper's name). Strings NULL = "". */
typedef struct m2mi_keyreg_view {
	const char *rel_key_id, *key_id, *source_id, *admin_fqdn;
	int64_t expiry;
	int suid;
	const char *const *targets;
	size_t ntargets;
	json_t *labels; /* borrowed; set when a JSON array */
} m2mi_keyreg_view;
/* {"<wrapper>": {relKeyID, keyID, expirationTime, sourceID, adminFQDN, SUID, targetIDs,
 * labels?, keyValue? (hexBinary of key when key != NULL)}}; NULL when encoding failed. */
json_t *m2mi_keyreg_json(const char *wrapper, const m2mi_keyreg_view *v, const m2m_key *key);
/* Parse body bytes as JSON (size-bounded, no duplicates) then as one of the above: fuzzers. */
m2m_err m2mi_mef_parse_json(const uint8_t *buf, size_t len, json_t **out);

#endif
