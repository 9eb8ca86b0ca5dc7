/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the small blocking HTTP/1.1 client the CSE uses to send NOTIFY requests
 * (TS-0009 clause 6: POST to the notification URI with X-M2M-Origin, X-M2M-RI, X-M2M-RVI and a
 * JSON body; the receiver answers with X-M2M-RSC). Only plain "http://host[:port][/path]" URIs
 * are supported. Every step (name resolution aside) runs against one monotonic deadline:
 * non-blocking connect, send and receive are polled, the response head is capped at 8 KiB, and
 * the connection is closed after one exchange. URIs with control characters or spaces are
 * refused so nothing can be injected into the request head.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "services/cse/cse_int.h"

#define HEAD_MAX 8192

typedef struct url_parts {
	char host[256];
	char port[8];
	char path[2048];
} url_parts;

static m2m_err parse_url(const char *url, url_parts *u)
{
	const char *p, *h, *hend, *slash;
	size_t n;

	if (strncmp(url, "http://", 7) != 0)
		return M2M_E_UNSUPPORTED;
	for (p = url; *p; p++)
		if ((unsigned char)*p <= 0x20 || *p == 0x7f)
			return M2M_E_INVAL;
	h = url + 7;
	slash = strchr(h, '/');
	hend = slash ? slash : h + strlen(h);
	snprintf(u->port, sizeof(u->port), "80");
	if (*h == '[') { /* [v6]:port */
		const char *rb = memchr(h, ']', (size_t)(hend - h));
		if (rb == NULL || (size_t)(rb - h - 1) >= sizeof(u->host))
			return M2M_E_INVAL;
		memcpy(u->host, h + 1, (size_t)(rb - h - 1));
		u->host[rb - h - 1] = '\0';
		p = rb + 1;
	} else {
		const char *colon = memchr(h, ':', (size_t)(hend - h));
		p = colon ? colon : hend;
		if ((size_t)(p - h) >= sizeof(u->host))
			return M2M_E_INVAL;
		memcpy(u->host, h, (size_t)(p - h));
		u->host[p - h] = '\0';
	}
	if (u->host[0] == '\0')
		return M2M_E_INVAL;
	if (*p == ':') {
		n = (size_t)(hend - p - 1);
		if (n == 0 || n > 5 || strspn(p + 1, "0123456789") < n)
			return M2M_E_INVAL;
		memcpy(u->port, p + 1, n);
		u->port[n] = '\0';
		if (strtol(u->port, NULL, 10) < 1 || strtol(u->port, NULL, 10) > 65535)
			return M2M_E_INVAL;
	} else if (p != hend) {
		return M2M_E_INVAL;
	}
	n = strlen(hend);
	if (n >= sizeof(u->path))
		return M2M_E_INVAL;
	snprintf(u->path, sizeof(u->path), "%s", n ? hend : "/");
	return M2M_OK;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait for ev on fd until the deadline; false on timeout or error. */
static bool wait_fd(int fd, short ev, int64_t deadline)
{
	struct pollfd pfd = {.fd = fd, .events = ev};
	int64_t left;
	int r;

	for (;;) {
		left = deadline - now_ms();
		if (left <= 0)
			return false;
		r = poll(&pfd, 1, (int)left);
		if (r > 0)
			return (pfd.revents & (ev | POLLHUP)) != 0 && !(pfd.revents & POLLNVAL);
		if (r == 0 || errno != EINTR)
			return false;
	}
}

static int dial(const url_parts *u, int64_t deadline)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV}, *res = NULL, *ai;
	int fd = -1;

	if (getaddrinfo(u->host, u->port, &hints, &res) != 0)
		return -1;
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		int err = 0;
		socklen_t len = sizeof(err);

		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0 ||
		    (errno == EINPROGRESS && wait_fd(fd, POLLOUT, deadline) &&
		     getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0))
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

static bool send_all(int fd, const char *p, size_t n, int64_t deadline)
{
	while (n > 0) {
		ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
		if (k > 0) {
			p += k;
			n -= (size_t)k;
		} else if (k < 0 && errno == EINTR) {
			continue;
		} else if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (!wait_fd(fd, POLLOUT, deadline))
				return false;
		} else {
			return false;
		}
	}
	return true;
}

/* Read until the end of the response head; the body is not needed. */
static m2m_err read_head(int fd, char *buf, size_t cap, int64_t deadline)
{
	size_t n = 0;

	while (n + 1 < cap) {
		ssize_t k = recv(fd, buf + n, cap - 1 - n, 0);
		if (k > 0) {
			n += (size_t)k;
			buf[n] = '\0';
			if (strstr(buf, "\r\n\r\n") != NULL)
				return M2M_OK;
		} else if (k == 0) {
			buf[n] = '\0';
			return n > 0 ? M2M_OK : M2M_E_PROTO;
		} else if (errno == EINTR) {
			continue;
		} else if (errno != EAGAIN && errno != EWOULDBLOCK) {
			return M2M_E_IO;
		} else if (!wait_fd(fd, POLLIN, deadline)) {
			return M2M_E_IO;
		}
	}
	buf[n] = '\0';
	return strstr(buf, "\r\n\r\n") ? M2M_OK : M2M_E_TOO_LARGE;
}

static m2m_err parse_head(const char *h, int *status, int *rsc)
{
	const char *line;
	int st = 0;

	if (sscanf(h, "HTTP/1.%*1[01] %3d", &st) != 1 || st < 100 || st > 599)
		return M2M_E_PROTO;
	*status = st;
	for (line = strstr(h, "\r\n"); line != NULL && line[2] != '\r'; line = strstr(line + 2, "\r\n")) {
		if (strncasecmp(line + 2, "X-M2M-RSC:", 10) == 0) {
			long v = strtol(line + 12, NULL, 10);
			*rsc = v > 0 && v < 100000 ? (int)v : 0;
		}
	}
	return M2M_OK;
}

m2m_err m2mi_http_notify(const char *url, const char *origin, const char *body, int timeout_ms, int *status,
			 int *rsc)
{
	static atomic_uint counter;
	int64_t deadline = now_ms() + timeout_ms;
	char *head = NULL, resp[HEAD_MAX];
	url_parts u;
	m2m_err r;
	int fd = -1, hn;
	size_t bn = strlen(body);

	*status = 0;
	*rsc = 0;
	if ((r = parse_url(url, &u)) != M2M_OK)
		return r;
	if ((head = malloc(HEAD_MAX + sizeof(u.path))) == NULL)
		return M2M_E_NOMEM;
	hn = snprintf(head, HEAD_MAX + sizeof(u.path),
		      "POST %s HTTP/1.1\r\nHost: %s%s%s:%s\r\nX-M2M-Origin: %s\r\nX-M2M-RI: ntf-%u\r\n"
		      "X-M2M-RVI: 3\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
		      "Connection: close\r\n\r\n",
		      u.path, strchr(u.host, ':') ? "[" : "", u.host, strchr(u.host, ':') ? "]" : "", u.port, origin,
		      atomic_fetch_add(&counter, 1u), bn);
	r = M2M_E_IO;
	if (hn < 0 || (size_t)hn >= HEAD_MAX + sizeof(u.path))
		goto out;
	if ((fd = dial(&u, deadline)) < 0)
		goto out;
	if (!send_all(fd, head, (size_t)hn, deadline) || !send_all(fd, body, bn, deadline))
		goto out;
	if ((r = read_head(fd, resp, sizeof(resp), deadline)) == M2M_OK)
		r = parse_head(resp, status, rsc);
out:
	if (fd >= 0)
		close(fd);
	free(head);
	return r;
}
