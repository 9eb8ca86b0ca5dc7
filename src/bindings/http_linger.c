/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the lingering close of the HTTP server (docs/http-binding.md, "Lingering
 * close"; RFC 9112 clause 9.6). A response that ends the connection while the client is still
 * sending its request (a 413 on a huge body, a 431, a framing refusal, libevent's own 400/413
 * backstop) must not be destroyed by the close: closing a socket whose receive queue holds unread
 * bytes, or receiving more after the close, makes the kernel answer with a TCP RST, and the RST
 * discards the response still waiting in the client's receive buffer (the client sees "connection
 * reset" instead of the 413). So the close is done in stages: the response (and on TLS the
 * close_notify) is already in the socket; the write side is shut down (FIN after the response);
 * then the input is read and discarded until the client's EOF, a byte cap or a short deadline,
 * and only then is the socket closed.
 *
 * evhttp frees its connection (and closes its descriptor) right after the close callback, so the
 * linger keeps the socket alive through a duplicate of the descriptor. The lingering socket still
 * holds its place in the connection caps (bindings/conn_limit.c), so lingering cannot be used to
 * exceed them, and it is served by the connection's event loop with non-blocking reads only.
 * Runs on that event-loop thread only.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bindings/http_linger.h"

#define LINGER_READS_PER_EVENT 4   /* one callback reads at most 4 x 16 KiB: fair to the loop */

struct m2mi_linger {
	struct m2mi_linger *prev, *next;
	struct worker *w;
	evutil_socket_t fd;
	struct event *rd, *timer;
	size_t left;                      /* bytes still discarded before the close */
	int ip_family;
	uint8_t ip[16];
};

/* The byte cap of one lingering connection (docs/http-binding.md): 4 x max-body (libevent's
 * backstop refuses a body beyond 2 x max-body after its head: this covers such a body), at least
 * LINGER_MIN_BYTES. */
size_t m2mi_http_linger_cap(const m2m_http_server *srv)
{
	size_t mb = srv->lim.max_body;
	size_t cap = mb <= SIZE_MAX / 4 ? 4 * mb : SIZE_MAX;

	return cap < M2MI_LINGER_MIN_BYTES ? M2MI_LINGER_MIN_BYTES : cap;
}

static void linger_end(struct m2mi_linger *l)
{
	struct worker *w = l->w;

	if (l->prev)
		l->prev->next = l->next;
	else
		w->lingers = l->next;
	if (l->next)
		l->next->prev = l->prev;
	w->nlingers--;
	if (l->rd != NULL)
		event_free(l->rd);
	if (l->timer != NULL)
		event_free(l->timer);
	if (l->fd >= 0)
		(void)close(l->fd);
	m2mi_conn_limit_release(w->srv->limit, l->ip_family, l->ip);
	free(l);
}

static void on_linger_read(evutil_socket_t fd, short what, void *arg)
{
	struct m2mi_linger *l = arg;
	char buf[16384];

	/* Level-triggered: what is left after these reads wakes us again in the next iteration. */
	for (int k = 0; k < LINGER_READS_PER_EVENT; k++) {
		size_t want = l->left < sizeof(buf) ? l->left : sizeof(buf);
		ssize_t n = recv(fd, buf, want, 0);

		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			return; /* wait for more */
		if (n <= 0)
			break;  /* EOF (the client read the response and closed) or an error */
		l->left -= (size_t)n;
		if (l->left == 0)
			break;  /* the cap: close now */
		if (k == LINGER_READS_PER_EVENT - 1)
			return;
	}
	linger_end(l);
}

static void on_linger_deadline(evutil_socket_t fd, short what, void *arg)
{
	linger_end(arg);
}

bool m2mi_http_linger_start(struct conn *c, evutil_socket_t fd)
{
	struct worker *w = c->w;
	struct timeval tv = {M2MI_LINGER_S, 0};
	struct m2mi_linger *l;

	if (fd < 0 || w->draining || atomic_load(&w->srv->stopping))
		return false;
	if ((l = calloc(1, sizeof(*l))) == NULL)
		return false;
	l->w = w;
	l->left = m2mi_http_linger_cap(w->srv);
	l->ip_family = c->ip_family;
	memcpy(l->ip, c->ip, sizeof(l->ip));
	/* The duplicate shares the open file (and its O_NONBLOCK) with evhttp's descriptor. */
	if ((l->fd = fcntl(fd, F_DUPFD_CLOEXEC, 0)) < 0) {
		free(l);
		return false;
	}
	l->rd = event_new(w->base, l->fd, EV_READ | EV_PERSIST, on_linger_read, l);
	l->timer = evtimer_new(w->base, on_linger_deadline, l);
	if (l->rd == NULL || l->timer == NULL || event_add(l->rd, NULL) != 0 || evtimer_add(l->timer, &tv) != 0) {
		if (l->rd != NULL)
			event_free(l->rd);
		if (l->timer != NULL)
			event_free(l->timer);
		(void)close(l->fd);
		free(l);
		return false;
	}
	/* FIN after the response (and the TLS close_notify, written before this call): the client
	 * sees the end of the response without waiting for our deadline. */
	(void)shutdown(l->fd, SHUT_WR);
	l->next = w->lingers;
	if (w->lingers)
		w->lingers->prev = l;
	w->lingers = l;
	w->nlingers++;
	return true;
}

void m2mi_http_linger_free_all(struct worker *w)
{
	while (w->lingers != NULL)
		linger_end(w->lingers);
}
