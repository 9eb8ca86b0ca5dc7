/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the libFuzzer harness of the WebSocket opening handshake check
 * (bindings/ws_handshake.c, TS-0020 clause 6.2.2, RFC 6455 section 4.2.1). Input: first line
 * "METHOD TARGET", then "Name: value" lines ('\n'-terminated, a '\r' before it dropped).
 * Invariants (trap on violation): the status is 101 or one of the documented refusals; an
 * acceptance's Sec-WebSocket-Accept is the one m2mi_ws_accept computes for the key and its
 * server handshake fits 256 bytes and carries no stray CR/LF; a refusal has no response.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bindings/ws_handshake.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) do { if (!(cond)) __builtin_trap(); } while (0)
#define MAX_HEADERS 32

static char *take_line(char **p, char *end)
{
	char *line = *p, *nl = memchr(line, '\n', (size_t)(end - line));

	if (nl == NULL) {
		*p = end;
		return line;
	}
	*p = nl + 1;
	if (nl > line && nl[-1] == '\r')
		nl--;
	*nl = '\0';
	return line;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1), *p, *end, *line, *target, *colon;
	m2m_http_header h[MAX_HEADERS];
	m2mi_ws_hs hs;
	char rsp[256];
	size_t nh = 0, n;

	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	p = buf;
	end = buf + size;
	line = take_line(&p, end);
	target = strchr(line, ' ');
	if (target != NULL)
		*target++ = '\0';
	else
		target = "/";
	while (p < end && nh < MAX_HEADERS) {
		line = take_line(&p, end);
		if ((colon = strchr(line, ':')) == NULL)
			continue;
		*colon = '\0';
		h[nh++] = (m2m_http_header){line, colon + 1};
	}
	CHECK(m2mi_ws_handshake_check(buf, target, h, nh, &hs) == M2M_OK);
	CHECK(hs.why != NULL);
	n = m2mi_ws_handshake_response(&hs, rsp, sizeof(rsp));
	if (hs.status == 101) {
		char want[M2MI_WS_ACCEPT_LEN + 1];
		const char *k = NULL;

		for (size_t i = 0; i < nh; i++)
			if (strcasecmp(h[i].name, "Sec-WebSocket-Key") == 0)
				k = h[i].value;
		CHECK(k != NULL);
		while (*k == ' ' || *k == '\t')
			k++;
		CHECK(m2mi_ws_accept(k, 24, want) == M2M_OK && strcmp(want, hs.accept) == 0);
		CHECK(n > 0 && n == strlen(rsp));
		CHECK(strstr(rsp, "\r\n\r\n") == rsp + n - 4);
	} else {
		CHECK(hs.status == 400 || hs.status == 404 || hs.status == 405 || hs.status == 426);
		CHECK(n == 0);
	}
	free(buf);
	return 0;
}
