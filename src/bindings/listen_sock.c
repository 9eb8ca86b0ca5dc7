/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the one way a listener of this program opens its TCP socket (the HTTPS /
 * WSS / plain-HTTP workers of http_server.c, the /metrics listener of metrics_http.c): the
 * address parsed once, a loopback-only check where the listener carries no security association,
 * a refusal when the port is taken, SO_REUSEPORT so several event-loop threads share the port.
 */
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bindings/listen_sock.h"
#include "m2msec/config.h"

static bool is_loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)(const void *)sa)->sin_addr.s_addr) >> 24) == 127;
	if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
		return IN6_IS_ADDR_LOOPBACK(a) || (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
	}
	return false;
}

static int sa_port(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)(const void *)ss)->sin_port);
	return ntohs(((const struct sockaddr_in6 *)(const void *)ss)->sin6_port);
}

/* Fail with M2M_E_HTTP_BIND when something (another m2msec of the same user included, which
 * SO_REUSEPORT would silently let in) already listens on ai. */
static m2m_err probe_free(const struct addrinfo *ai)
{
	int one = 1, fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	m2m_err rc = M2M_OK;

	if (fd < 0)
		return M2M_E_IO;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) != 0)
		rc = M2M_E_HTTP_BIND;
	close(fd);
	return rc;
}

m2m_err m2mi_listen_socket(const char *spec, int port_override, bool loopback_only, int backlog, int *fd_out,
			   int *port_out)
{
	char host[256], ps[8];
	int port, one = 1;
	int fd = -1;
	struct addrinfo hints, *ai = NULL;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	m2m_err rc;

	*fd_out = -1;
	if (m2m_config_split_listen(spec, host, sizeof(host), &port) != M2M_OK)
		return M2M_E_CONFIG;
	if (port_override >= 0)
		port = port_override;
	snprintf(ps, sizeof(ps), "%d", port);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if (getaddrinfo(host, ps, &hints, &ai) != 0 || ai == NULL)
		return M2M_E_CONFIG;
	rc = M2M_E_CONFIG;
	if (loopback_only && !is_loopback(ai->ai_addr))
		goto out; /* plain HTTP carries no security association: this host only */
	if (port_override < 0 && port != 0 && (rc = probe_free(ai)) != M2M_OK)
		goto out;
	rc = M2M_E_IO;
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0 ||
	    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) != 0 ||
	    (ai->ai_family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) != 0))
		goto out;
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
		rc = M2M_E_HTTP_BIND;
		goto out;
	}
	if (listen(fd, backlog) != 0 || getsockname(fd, (struct sockaddr *)&ss, &sl) != 0)
		goto out;
	*port_out = sa_port(&ss);
	*fd_out = fd;
	fd = -1;
	rc = M2M_OK;
out:
	if (fd >= 0)
		close(fd);
	freeaddrinfo(ai);
	return rc;
}
