/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the Response Status Code tables (TS-0004 clause 6.6.3) and their HTTP
 * (TS-0009 Table 6.3.2-1) and CoAP (TS-0008 clause 6.2.4) mappings. An unknown code maps to
 * 500 / 5.00: a server that does not know what it answered must not claim success.
 */
#include "m2msec/rsc.h"

struct rsc_row {
	int code, http, coap;
	const char *name;
};

static const struct rsc_row rsc_rows[] = {
#define M2M_RSC_ROW(name, code, http, coap) {(code), (http), (coap), #name},
	M2M_RSC_TABLE(M2M_RSC_ROW)
#undef M2M_RSC_ROW
};

static const struct rsc_row *rsc_find(int rsc)
{
	for (size_t i = 0; i < sizeof(rsc_rows) / sizeof(rsc_rows[0]); i++)
		if (rsc_rows[i].code == rsc)
			return &rsc_rows[i];
	return NULL;
}

const char *m2m_rsc_name(int rsc)
{
	const struct rsc_row *r = rsc_find(rsc);
	return r ? r->name : "UNKNOWN";
}

int m2m_rsc_http_status(int rsc)
{
	const struct rsc_row *r = rsc_find(rsc);
	return r ? r->http : 500;
}

int m2m_rsc_coap_code(int rsc)
{
	const struct rsc_row *r = rsc_find(rsc);
	return r ? r->coap : 500;
}

bool m2m_rsc_is_success(int rsc)
{
	return rsc >= 2000 && rsc < 3000;
}
