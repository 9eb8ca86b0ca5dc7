/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the internal interface of the WebSocket transport of the HTTP server
 * (TS-0020 V3.0.1, docs/websocket-binding.md): the wss-listen listener's requests come here, the
 * opening handshake is checked and the connection is taken over from evhttp for the session.
 */
#ifndef M2M_BINDINGS_WS_SERVER_H
#define M2M_BINDINGS_WS_SERVER_H

#include <stdint.h>

#include <event2/http.h>

#include "m2msec/primitive.h"

struct worker;
struct conn;
struct m2mi_ws_conn;

/* A request on the wss-listen listener: refuse it (HTTP status, connection closed) or answer 101
 * and run the WebSocket session on the connection from now on. */
void m2mi_ws_upgrade(struct worker *w, struct evhttp_request *ev, struct conn *c);
/* The late answer (m2m_http_defer) to a message of the session on connection conn_id; dropped
 * when that connection closed meanwhile, nothing sent when rsp is NULL (shutdown). */
void m2mi_ws_deferred_reply(struct worker *w, uint64_t conn_id, int64_t t0, const m2m_request *req,
			    m2m_response *rsp);
/* Server stop: send Close 1001 (the drain then waits for it to be written). */
void m2mi_ws_conn_stop(struct m2mi_ws_conn *ws);
/* From the connection's close callback: release the session. NULL is a no-op. */
void m2mi_ws_conn_free(struct m2mi_ws_conn *ws);

#endif
