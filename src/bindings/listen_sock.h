/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the interface of listen_sock.c: the one opener of a listening TCP socket.
 */
#ifndef M2M_BINDINGS_LISTEN_SOCK_H
#define M2M_BINDINGS_LISTEN_SOCK_H

#include <stdbool.h>

#include "m2msec/err.h"

/*
 * A non-blocking listening socket for "host:port" (port replaced by port_override when >= 0),
 * SO_REUSEPORT (event-loop threads share the port; the first opener, port_override < 0, checks
 * the port is free, so another process cannot silently share it) and TCP_NODELAY (inherited by
 * accepted sockets). loopback_only: M2M_E_CONFIG unless the address is a loopback one. M2M_E_CONFIG
 * for an unparsable spec, M2M_E_HTTP_BIND when taken, M2M_E_IO otherwise; *port_out the bound port.
 */
m2m_err m2mi_listen_socket(const char *spec, int port_override, bool loopback_only, int backlog, int *fd_out,
			   int *port_out);

#endif
