/* SPDX-License-Identifier: Apache-2.0 */
/* This file implements the example of docs/procedures/maf.md "Entity A": register a Kc for one
 * target CSE with a MAF (TS-0003 clause 8.2.2.3, MAF Key Registration clause 8.8.2.7) using a
 * pre-provisioned KmID/Km, and print the Kc Key Identifier A presents to the target.
 * usage: maf_client_example HOST:PORT MAF-CA-FILE KM-ID KM-HEX-FILE TARGET-CSE-ID [MAF-FQDN] */
#include <stdio.h>
#include <string.h>
#include <m2msec/hex.h>
#include <m2msec/mafclient.h>

int main(int argc, char **argv)
{
	char hex[80] = "";
	uint8_t kb[32];
	size_t n = 0;
	m2m_key *km = NULL, *psk = NULL;
	m2m_maf_client *m = NULL;
	FILE *f = argc == 6 || argc == 7 ? fopen(argv[4], "r") : NULL; /* keep the Km file 0600 */

	if (f == NULL || fgets(hex, sizeof(hex), f) == NULL || fclose(f) != 0 ||
	    m2m_hex_decode(hex, strcspn(hex, "\r\n"), kb, sizeof(kb), &n) != M2M_OK || n != 32 ||
	    m2m_key_new(kb, n, &km) != M2M_OK || m2m_maf_client_new(&m) != M2M_OK)
		return 2;
	if (m2m_maf_client_set_maf(m, argv[1]) != M2M_OK || m2m_maf_client_set_maf_ca(m, argv[2]) != M2M_OK ||
	    m2m_maf_client_set_km(m, argv[3], km) != M2M_OK ||
	    (argc == 7 && m2m_maf_client_set_maf_fqdn(m, argv[6]) != M2M_OK) ||
	    m2m_maf_client_register_key(m, argv[5], M2M_MAF_CLIENT_DEFAULT_LIFETIME) != M2M_OK ||
	    m2m_key_split(m2m_maf_client_kc(m), 1, 0, &psk) != M2M_OK) {
		fprintf(stderr, "MAF key registration failed: RSC %d %s\n", m2m_maf_client_rsc(m), m2m_maf_client_reason(m));
		m2m_maf_client_free(m);
		m2m_key_free(km);
		return 1;
	}
	/* Connect to the target with TLS-PSK: psk_identity = the Key Identifier, psk = m2m_key_bytes(psk)
	 * (the first half of Kc), or m2m_maf_client_write(m, dir) for the files of `m2msec maf-client`. */
	printf("Kc Key Identifier %s\n", m2m_maf_client_key_id(m));
	m2m_key_free(psk);
	m2m_maf_client_free(m);
	m2m_key_free(km);
	return 0;
}
