/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the interface of the lingering close of the HTTP server (bindings/http_linger.c; RFC 9112
 * clause 9.6): after a response that ends the connection, shut the write side and read and
 * discard the input until EOF, a byte cap or a deadline, still counted in the connection caps.
 * Not installed.
 */
#ifndef M2M_BINDINGS_HTTP_LINGER_H
#define M2M_BINDINGS_HTTP_LINGER_H

#include "bindings/http_server_int.h"

#define M2MI_LINGER_S 3                      /* deadline of one lingering close, seconds */
#define M2MI_LINGER_MIN_BYTES (64 * 1024)    /* byte cap floor (the cap is 4 x max-body) */

/* From the close callback of connection c, whose descriptor (still open) is fd: keep the socket
 * for a lingering close. true: the linger now holds c's place in the caps (the caller must not
 * release it); false: not lingering (server stopping, no memory), close at once as before. */
bool m2mi_http_linger_start(struct conn *c, evutil_socket_t fd);
/* Close every lingering socket of w now (stop; before its event base is freed). */
void m2mi_http_linger_free_all(struct worker *w);
/* The byte cap of one lingering close of srv. */
size_t m2mi_http_linger_cap(const m2m_http_server *srv);

#endif
