/* SPDX-License-Identifier: Apache-2.0 */
/* This file implements the example of docs/procedures/enrolee.md: enrol with a Kpm (TS-0003
 * clause 8.3.2.1) and print the KeID and the key for the Enrolment Target.
 * usage: enrol_example HOST:PORT MEF-CA-FILE KPM-ID KPM-HEX-FILE */
#include <stdio.h>
#include <string.h>
#include <m2msec/enrol.h>
#include <m2msec/hex.h>

int main(int argc, char **argv)
{
	char hex[80] = "";
	uint8_t kb[32];
	size_t n = 0;
	m2m_key *kpm = NULL;
	m2m_enrolee *e = NULL;
	FILE *f = argc == 5 ? fopen(argv[4], "r") : NULL; /* keep the Kpm file 0600 on a device */

	if (f == NULL || fgets(hex, sizeof(hex), f) == NULL || fclose(f) != 0 ||
	    m2m_hex_decode(hex, strcspn(hex, "\r\n"), kb, sizeof(kb), &n) != M2M_OK || n != 32 ||
	    m2m_key_new(kb, n, &kpm) != M2M_OK || m2m_enrolee_new(&e) != M2M_OK)
		return 2;
	if (m2m_enrolee_set_mef(e, argv[1]) != M2M_OK || m2m_enrolee_set_mef_ca(e, argv[2]) != M2M_OK ||
	    m2m_enrolee_set_psk(e, argv[3], kpm) != M2M_OK || m2m_enrolee_run(e) != M2M_OK) {
		fprintf(stderr, "enrolment failed: RSC %d %s\n", m2m_enrolee_rsc(e), m2m_enrolee_reason(e));
		m2m_enrolee_free(e);
		m2m_key_free(kpm);
		return 1;
	}
	/* Present m2m_key_bytes(m2m_enrolee_target_key(e, i)) to target i with TLS-PSK,
	 * psk_identity = KeID (or m2m_enrolee_write(e, dir) for the files of `m2msec enrol`). */
	printf("KeID %s\ntarget %s\n", m2m_enrolee_keid(e), m2m_enrolee_target_id(e, 0));
	m2m_enrolee_free(e);
	m2m_key_free(kpm);
	return 0;
}
