/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the interface of the metrics listener (bindings/metrics_http.c,
 * docs/operations.md): a plain-HTTP listener on a loopback address only, on its own thread and
 * event loop, answering GET /metrics with the registry's Prometheus text exposition (format
 * 0.0.4). A scrape never runs on, nor waits for, a request worker. Not installed.
 */
#ifndef M2M_BINDINGS_METRICS_HTTP_H
#define M2M_BINDINGS_METRICS_HTTP_H

#include "m2msec/err.h"

typedef struct m2mi_metrics_http m2mi_metrics_http;

/* Bind listen ("host:port", port 0 = any) and start serving; turns counting on
 * (m2mi_metrics_enable). M2M_E_CONFIG: malformed, unresolvable or not a loopback address
 * (nothing is bound); M2M_E_HTTP_BIND: cannot bind; M2M_E_NOMEM, M2M_E_INTERNAL. */
m2m_err m2mi_metrics_http_start(const char *listen, m2mi_metrics_http **out);
/* The bound port (after start). */
int m2mi_metrics_http_port(const m2mi_metrics_http *m);
/* Stop the thread, close the socket and free; NULL is a no-op. */
void m2mi_metrics_http_stop(m2mi_metrics_http *m);

#endif
