/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the libFuzzer harness of the MEF Client Registration body parser
 * (core/mef_codec.c, sec:clientRegCfg of TS-0003 Table 12.4.2-1), both the Registration and the
 * Registration Update forms. Invariants besides memory safety: a Registration accepted has a
 * valid fqdn and adminFQDN and ports within 0..255; an Update accepted carries something.
 */
#include <stdlib.h>
#include <string.h>

#include "core/mef_codec.h"
#include "m2msec/id.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	m2mi_mef_client_reg c;
	json_t *v = NULL;

	if (m2mi_mef_parse_json(data, size, &v) != M2M_OK)
		return 0;
	if (m2mi_mef_parse_client_reg(v, false, &c) == M2M_OK) {
		if (m2m_id_check_fqdn(c.fqdn, strlen(c.fqdn)) != M2M_OK ||
		    m2m_id_check_fqdn(c.admin_fqdn, strlen(c.admin_fqdn)) != M2M_OK || c.http_port > 255 ||
		    c.coap_port > 255 || c.ws_port > 255 || c.lbl.n > M2MI_MEF_LABELS_MAX)
			abort();
	}
	if (m2mi_mef_parse_client_reg(v, true, &c) == M2M_OK && c.et == 0 && !c.lbl.present)
		abort();
	json_decref(v);
	return 0;
}
