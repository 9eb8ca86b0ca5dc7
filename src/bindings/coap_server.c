/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the CoAP server of the CSE (TS-0008 V3.9.0; include/m2msec/coap.h,
 * docs/coap-dtls.md): UDP endpoints on a thread of their own, DTLS 1.2 on OpenSSL, and the
 * message <-> primitive mapping of bindings/coap_map.c over the RFC 7252 codec of
 * bindings/coap_wire.c (no primitive logic here).
 *
 * DTLS (RFC 6347): the listening socket answers a ClientHello with a stateless cookie
 * (DTLSv1_listen, clause 4.2.1); a peer that echoes it gets a socket of its own connected to its
 * address, on which the handshake and every later record run, so responses leave on the same
 * session and epoch as the request (TS-0008 clause 7). The SSL_CTX is the DTLS twin of the HTTPS
 * listener's (m2mi_tls_dtls_ctx_new: one cipher policy, the PSK resolver chain, the client
 * certificate verification and its m2m_sa mapping, TS-0003 clauses 8.2.2.1, 8.2.2.2, 10.2);
 * m2m_tls_peer_sa gives the association, kept on the peer and passed with every request, so the
 * originator rules (4106/4107) and the ACPs decide as for HTTPS. An asynchronous resolver (MEF
 * KeID, MAF Kc) pauses the handshake of that peer only (coap_hs.c); the thread never blocks.
 *
 * CoAP (RFC 7252): a CON request is answered piggybacked in the ACK (same Message ID, same
 * token), a NON one with a NON; the last answers of a peer are kept by Message ID so a
 * retransmitted request gets the same answer without reaching the CSE twice (clause 4.5). An
 * empty CON (ping) gets a Reset. Block-wise transfer (RFC 7959) is bindings/coap_block.c: request
 * bodies are reassembled before the mapping sees them, large answers go out block by block from
 * its store (a later block never runs the request again). An answer the CSE gives later is held
 * by bindings/coap_defer.c: piggybacked still when it comes within a short wait, else a separate
 * response (empty ACK when the wait ends, the answer as a CON when it is in).
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>

#include "bindings/coap_block.h"
#include "bindings/coap_defer.h"
#include "core/metrics.h"
#include "bindings/coap_hs.h"
#include "bindings/coap_map.h"
#include "bindings/conn_limit.h"
#include "bindings/coap_wire.h"
#include "m2msec/coap.h"
#include "m2msec/config.h"
#include "m2msec/key.h"
#include "m2msec/log.h"
#include "m2msec/mem.h"
#include "tls/tls_int.h"

#define COAP_POLL_MS 100          /* poll tick: DTLS retransmission timers and the stop flag */
#define COAP_HS_DEADLINE_S 10     /* a handshake not done by then is dropped */
#define COAP_IDLE_S 300           /* an idle DTLS session is closed */
#define COAP_DGRAM_MAX 16384      /* one DTLS record's plaintext (RFC 6347: 2^14) */
#define COAP_DEDUP 4              /* answers kept per peer for retransmitted requests */

struct dedup {
	bool used;
	uint16_t mid;
	uint8_t *bytes;
	size_t len;
};

struct peer {
	int fd;
	int ip_family; /* the peer's address, for acip (TS-0003 clause 7.1.2) */
	uint8_t ip[16];
	SSL *ssl;
	bool established;
	m2mi_coap_hs hs; /* a handshake paused in a PSK lookup (coap_hs.c) */
	m2m_sa sa;
	time_t born, last;
	struct dedup seen[COAP_DEDUP];
	unsigned next_seen;
	bool opened;  /* the conn hooks' open succeeded: close runs at drop */
	void *state;  /* what open set (m2m_coap_conn_state) */
};

struct m2m_coap_server {
	m2m_tls *tls;
	m2m_coap_handler_fn fn;
	void *fn_ctx;
	m2m_http_conn_hooks hooks; /* per-peer service state; open NULL = none */
	int hooks_index;           /* thread_index passed to open */
	void *cur_state;           /* the state of the peer being answered */
	SSL_CTX *ctx;
	unsigned ctx_gen; /* m2mi_tls_generation(tls) ctx was built at (a SIGHUP reload rebuilds it) */
	bool cookie_ok;   /* cookie_secret drawn (kept across rebuilds: cookies in flight stay valid) */
	int dtls_fd, plain_fd;
	struct sockaddr_storage dtls_addr;
	socklen_t dtls_addrlen;
	int port_secure, port_plain;
	SSL *listener;                 /* DTLSv1_listen state on dtls_fd */
	struct peer *peers[M2M_COAP_MAX_PEERS];
	size_t npeers;
	uint16_t next_mid;
	uint8_t cookie_secret[32];
	pthread_t thread;
	bool started;
	atomic_bool stop;
	uint8_t rx[COAP_DGRAM_MAX], tx[COAP_DGRAM_MAX];
	m2mi_coap_opt opts[M2MI_COAP_MAX_NOPTS]; /* of the datagram in rx */
	m2mi_coap_blocks *blocks;                /* RFC 7959 transfers of every peer */
	m2mi_coap_limits limits;                 /* max_payload = the CSE's max-body */
	m2mi_coap_hs_loop hsl;                   /* asynchronous PSK lookups of this thread */
	m2mi_coap_defer *defer;                  /* separate responses (RFC 7252 clause 5.2.2) */
};

static m2m_log_limiter refused_rl = M2M_LOG_LIMITER_INIT(1000);
static int srv_idx = -1;
static pthread_once_t idx_once = PTHREAD_ONCE_INIT;

static void make_indices(void)
{
	srv_idx = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, NULL);
}

static bool enabled(const char *listen)
{
	return listen != NULL && listen[0] != '\0' && strcmp(listen, "off") != 0;
}

/* ---- DTLS: cookie (RFC 6347 clause 4.2.1) ---------------------------------------------- */

/* HMAC-SHA256(secret, peer address): stateless, so a spoofed source costs one datagram. */
static int cookie_of(SSL *ssl, unsigned char *out, unsigned int *len)
{
	m2m_coap_server *srv = SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), srv_idx);
	BIO_ADDR *peer = BIO_ADDR_new();
	unsigned char raw[64];
	size_t rawlen = 0;
	unsigned short port;
	int ok = 0;

	if (srv == NULL || peer == NULL || BIO_dgram_get_peer(SSL_get_rbio(ssl), peer) <= 0)
		goto out;
	port = BIO_ADDR_rawport(peer);
	if (!BIO_ADDR_rawaddress(peer, NULL, &rawlen) || rawlen > sizeof(raw) - sizeof(port) ||
	    !BIO_ADDR_rawaddress(peer, raw, &rawlen))
		goto out;
	memcpy(raw + rawlen, &port, sizeof(port));
	ok = HMAC(EVP_sha256(), srv->cookie_secret, sizeof(srv->cookie_secret), raw, rawlen + sizeof(port), out,
		  len) != NULL;
out:
	BIO_ADDR_free(peer);
	return ok;
}

static int cookie_gen(SSL *ssl, unsigned char *cookie, unsigned int *len)
{
	return cookie_of(ssl, cookie, len);
}

static int cookie_verify(SSL *ssl, const unsigned char *cookie, unsigned int len)
{
	unsigned char want[EVP_MAX_MD_SIZE];
	unsigned int wl = 0;

	return cookie_of(ssl, want, &wl) && wl == len && m2m_ct_eq(want, cookie, len);
}

/* ---- peers ----------------------------------------------------------------------------------- */

static void peer_free(struct peer *p)
{
	if (p == NULL)
		return;
	if (p->ssl != NULL) {
		m2mi_coap_hs_release(&p->hs, p->ssl); /* unwinds a handshake paused in a lookup */
		if (p->established)
			(void)SSL_shutdown(p->ssl); /* close_notify, best effort */
		SSL_free(p->ssl);             /* closes fd through its BIO */
	} else if (p->fd >= 0)
		close(p->fd);
	for (size_t i = 0; i < COAP_DEDUP; i++)
		free(p->seen[i].bytes);
	m2m_freezero(p, sizeof(*p));
}

static void peer_drop(m2m_coap_server *srv, size_t i)
{
	m2mi_coap_defer_forget(srv->defer, srv->peers[i]); /* its held answers are never sent */
	if (srv->peers[i]->opened && srv->hooks.close != NULL)
		srv->hooks.close(srv->hooks.ctx, srv->peers[i]->state); /* e.g. zeroizes the exported keys */
	peer_free(srv->peers[i]);
	srv->peers[i] = srv->peers[--srv->npeers];
	srv->peers[srv->npeers] = NULL;
}

static void dtls_ctx_refresh(m2m_coap_server *srv);

static SSL *new_listener(m2m_coap_server *srv)
{
	SSL *ssl = SSL_new(srv->ctx);
	BIO *bio = BIO_new_dgram(srv->dtls_fd, BIO_NOCLOSE);

	if (ssl == NULL || bio == NULL) {
		SSL_free(ssl);
		BIO_free(bio);
		return NULL;
	}
	SSL_set_bio(ssl, bio, bio);
	SSL_set_options(ssl, SSL_OP_COOKIE_EXCHANGE);
	return ssl;
}

static int udp_socket(const struct sockaddr *a, socklen_t alen)
{
	int one = 1, fd = socket(a->sa_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	/* the listening socket and every per-peer socket share the address (connected ones win) */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0 || bind(fd, a, alen) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* A ClientHello with a valid cookie arrived on the listener: give the peer its own socket. */
static struct peer *accept_peer(m2m_coap_server *srv, BIO_ADDR *client)
{
	struct peer *p = NULL;
	struct sockaddr_storage ca;
	socklen_t calen;
	BIO *bio;
	SSL *ssl = srv->listener;
	int fd = -1;

	srv->listener = NULL;
	memset(&ca, 0, sizeof(ca));
	if (BIO_ADDR_family(client) == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ca;
		size_t l = sizeof(s4->sin_addr);
		s4->sin_family = AF_INET;
		s4->sin_port = BIO_ADDR_rawport(client);
		(void)BIO_ADDR_rawaddress(client, &s4->sin_addr, &l);
		calen = sizeof(*s4);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ca;
		size_t l = sizeof(s6->sin6_addr);
		s6->sin6_family = AF_INET6;
		s6->sin6_port = BIO_ADDR_rawport(client);
		(void)BIO_ADDR_rawaddress(client, &s6->sin6_addr, &l);
		calen = sizeof(*s6);
	}
	if (srv->npeers == M2M_COAP_MAX_PEERS || (p = calloc(1, sizeof(*p))) == NULL ||
	    (fd = udp_socket((struct sockaddr *)&srv->dtls_addr, srv->dtls_addrlen)) < 0 ||
	    connect(fd, (struct sockaddr *)&ca, calen) != 0 || (bio = BIO_new_dgram(fd, BIO_CLOSE)) == NULL) {
		m2m_log_rl(&refused_rl, M2M_LOG_WARN, "CoAP DTLS: new session dropped (peers %zu)", srv->npeers);
		if (fd >= 0)
			close(fd);
		free(p);
		SSL_free(ssl);
		return NULL;
	}
	(void)BIO_ctrl(bio, BIO_CTRL_DGRAM_SET_CONNECTED, 0, &ca);
	SSL_set_bio(ssl, bio, bio); /* frees the listener's BIO (NOCLOSE: dtls_fd stays) */
	p->fd = fd;
	p->ssl = ssl;
	m2mi_addr_from_sockaddr((const struct sockaddr *)&ca, &p->ip_family, p->ip);
	p->born = p->last = time(NULL);
	srv->peers[srv->npeers++] = p;
	if (m2mi_coap_hs_attach(&srv->hsl, &p->hs, ssl, srv->tls) != M2M_OK) {
		peer_drop(srv, srv->npeers - 1);
		return NULL;
	}
	return p;
}

static bool on_peer(m2m_coap_server *srv, struct peer *p);

static void on_listener(m2m_coap_server *srv)
{
	BIO_ADDR *client = BIO_ADDR_new();
	int r;

	if (client == NULL)
		return;
	dtls_ctx_refresh(srv);
	for (int i = 0; i < 64; i++) { /* a bounded batch of datagrams per wake-up */
		if (srv->listener == NULL && (srv->listener = new_listener(srv)) == NULL)
			break;
		r = DTLSv1_listen(srv->listener, client);
		if (r == 1) {
			/* DTLSv1_listen took the ClientHello: answer it now, on the peer's socket */
			struct peer *p = accept_peer(srv, client);
			if (p != NULL && !on_peer(srv, p))
				peer_drop(srv, srv->npeers - 1);
			continue;
		}
		ERR_clear_error();
		if (r < 0) { /* a datagram that is not a ClientHello: start afresh */
			SSL_free(srv->listener);
			srv->listener = NULL;
			continue;
		}
		break; /* 0: nothing more to read (or a HelloVerifyRequest was sent) */
	}
	BIO_ADDR_free(client);
}

/* ---- CoAP ------------------------------------------------------------------------------------ */

/* Keep the ACK of a DTLS peer's CON request mid: its retransmission gets the same ACK again.
 * The same mid's slot is reused (a held request's empty ACK goes out again for each retransmission). */
static void remember(struct peer *p, uint16_t mid, const uint8_t *buf, size_t len)
{
	struct dedup *d = NULL;
	uint8_t *copy;

	for (size_t i = 0; i < COAP_DEDUP && d == NULL; i++)
		if (p->seen[i].used && p->seen[i].mid == mid)
			d = &p->seen[i];
	if (d == NULL)
		d = &p->seen[p->next_seen++ % COAP_DEDUP];
	if ((copy = malloc(len)) != NULL) {
		free(d->bytes);
		memcpy(copy, buf, len);
		*d = (struct dedup){true, mid, copy, len};
	}
}

/* The way out of a held request's ACK or answer (coap_defer.c): the peer's DTLS session, or the
 * plain socket. An ACK (piggybacked answer or empty) is remembered as an immediate one is. */
static void defer_send(void *ctx, const m2mi_coap_dest *to, const uint8_t *buf, size_t len, int32_t ack_of)
{
	m2m_coap_server *srv = ctx;

	if (to->peer != NULL) {
		for (size_t i = 0; i < srv->npeers; i++) {
			struct peer *p = srv->peers[i];
			if (p != to->peer)
				continue;
			if (SSL_write(p->ssl, buf, (int)len) <= 0)
				ERR_clear_error();
			if (ack_of >= 0)
				remember(p, (uint16_t)ack_of, buf, len);
		}
	} else if (srv->plain_fd >= 0) {
		(void)sendto(srv->plain_fd, buf, len, 0, (const struct sockaddr *)&to->addr, to->alen);
	}
}

/* Encode msg into srv->tx; false (nothing to send) when it does not fit. */
static bool encode(m2m_coap_server *srv, const m2mi_coap_msg *msg, size_t *len)
{
	return m2mi_coap_encode(msg, srv->tx, sizeof(srv->tx), len) == M2M_OK;
}

/* The request's oneM2M-RQI, to echo in a refusal made before the mapping ran. */
static char *rqi_of(const m2mi_coap_msg *msg)
{
	for (size_t i = 0; i < msg->nopts; i++)
		if (msg->opts[i].num == M2MI_COAP_OPT_RQI)
			return msg->opts[i].len > 0 && msg->opts[i].len <= 255 &&
					       m2mi_coap_text_ok(msg->opts[i].val, msg->opts[i].len)
				       ? strndup((const char *)msg->opts[i].val, msg->opts[i].len)
				       : NULL;
	return NULL;
}

/*
 * Answer one datagram (TS-0008 clause 6.2). sa NULL = refused association (never reaches the
 * CSE). Returns the length of the answer in srv->tx, 0 for none.
 */
static size_t answer(m2m_coap_server *srv, const m2m_sa *sa, const uint8_t *buf, size_t len, struct peer *p,
		     const struct sockaddr *from)
{
	m2mi_coap_msg msg, out_msg, whole;
	m2mi_coap_reqinfo info = {0, 0};
	m2mi_coap_out out;
	m2m_request req;
	m2m_response rsp;
	size_t olen = 0, pklen;
	m2m_err r = M2M_E_PROTO;
	int64_t now = (int64_t)time(NULL);
	uint8_t pk[M2MI_COAP_BLOCK_PEER_MAX];
	m2mi_coap_block_act act;
	m2mi_coap_dest dest;
	bool sent = false, later = false;

	if (m2mi_coap_decode(buf, len, srv->opts, M2MI_COAP_MAX_NOPTS, &msg) != M2M_OK) {
		if (len >= 4 && (buf[0] >> 4 & 3) == M2MI_COAP_CON) { /* RFC 7252 4.2: reject with Reset */
			memset(&out_msg, 0, sizeof(out_msg));
			out_msg.type = M2MI_COAP_RST;
			out_msg.mid = (uint16_t)(buf[2] << 8 | buf[3]);
			return encode(srv, &out_msg, &olen) ? olen : 0;
		}
		return 0;
	}
	m2mi_coap_dest_from(&dest, p, from);
	if (msg.type == M2MI_COAP_ACK || msg.type == M2MI_COAP_RST) {
		m2mi_coap_defer_ack(srv->defer, &dest, msg.mid); /* of a separate response (CON) */
		return 0;
	}
	if (msg.code == 0 || M2MI_COAP_CLASS(msg.code) != 0) { /* ping, or a response sent to us */
		if (msg.type != M2MI_COAP_CON)
			return 0;
		memset(&out_msg, 0, sizeof(out_msg));
		out_msg.type = M2MI_COAP_RST;
		out_msg.mid = msg.mid;
		return encode(srv, &out_msg, &olen) ? olen : 0;
	}
	if (msg.type == M2MI_COAP_CON && m2mi_coap_defer_again(srv->defer, &dest, msg.mid))
		return 0; /* still held: its empty ACK went out (coap_defer.c), never the CSE twice */
	if (p != NULL && msg.type == M2MI_COAP_CON) /* a retransmission: the same answer again */
		for (size_t i = 0; i < COAP_DEDUP; i++)
			if (p->seen[i].used && p->seen[i].mid == msg.mid && p->seen[i].len <= sizeof(srv->tx)) {
				memcpy(srv->tx, p->seen[i].bytes, p->seen[i].len);
				return p->seen[i].len;
			}
	/* RFC 7959: a Block1 block is collected (2.31) or completes the body; a later Block2 block
	 * comes from the store; neither reaches the CSE more than once. A transfer's owner is the
	 * DTLS association's identity, or a plain client's address and port. */
	pklen = p != NULL ? m2mi_coap_block_peer_sa(sa, p, pk) : m2mi_coap_block_peer_addr(from, pk);
	if (m2mi_coap_block_request(srv->blocks, pk, pklen, &msg, now, &act) != M2M_OK) {
		m2mi_coap_block_act_clear(&act);
		act.verdict = M2MI_COAP_BLOCK_REFUSE;
		act.code = M2MI_COAP_CODE(5, 0);
		act.rsc = 5000;
		act.why = "internal error";
	}
	m2m_request_init(&req);
	m2m_response_init(&rsp);
	memset(&out, 0, sizeof(out));
	if (act.verdict == M2MI_COAP_BLOCK_PASS) { /* the whole body: the message's or reassembled */
		whole = msg;
		whole.payload = act.payload;
		whole.payload_len = act.payload_len;
		r = m2mi_coap_to_request(&whole, &srv->limits, &req, &rsp, &info);
	} else if (act.verdict == M2MI_COAP_BLOCK_REFUSE) {
		m2m_response_error(&rsp, act.rsc, "%s", act.why);
		rsp.retry_after = (int)act.retry_after;
		rsp.rqi = rqi_of(&msg);
		info.code = act.code;
		info.content_format = M2MI_COAP_CF_JSON;
	}
	if (p != NULL) {
		req.ip_family = p->ip_family;
		memcpy(req.ip, p->ip, sizeof(req.ip));
	} else {
		m2mi_addr_from_sockaddr(from, &req.ip_family, req.ip);
	}
	if (r == M2M_OK) {
		struct timespec t0, t1;
		(void)clock_gettime(CLOCK_MONOTONIC, &t0);
		if (sa == NULL) {
			m2m_response_error(&rsp, 5000, "no security association");
		} else if (!m2mi_coap_defer_room(srv->defer, &dest)) { /* docs/coap-dtls.md: bounded */
			m2m_response_error(&rsp, 5000, "too many answers outstanding");
			rsp.retry_after = M2MI_COAP_DEFER_RETRY_S;
			info.code = M2MI_COAP_CODE(5, 3);
		} else {
			m2mi_coap_defer_req cur = {.to = dest, .type = msg.type, .mid = msg.mid,
						   .token_len = msg.token_len, .pk = pk, .pklen = pklen, .act = &act,
						   .info = info};
			memcpy(cur.token, msg.token, msg.token_len <= 8 ? msg.token_len : 0);
			m2mi_coap_defer_begin(srv->defer, &cur);
			srv->fn(srv->fn_ctx, sa, &req, &rsp);
			later = m2mi_coap_defer_end(srv->defer);
		}
		if (later) /* held: its ACK (piggybacked or empty) or answer comes from coap_defer.c */
			goto deferred;
		if (rsp.rsc == 0)
			m2m_response_error(&rsp, 5000, "internal error");
		(void)clock_gettime(CLOCK_MONOTONIC, &t1);
		m2mi_metrics_request(req.op, rsp.rsc, (int64_t)(t1.tv_sec - t0.tv_sec) * 1000000 +
							       (t1.tv_nsec - t0.tv_nsec) / 1000);
	} else if (act.verdict != M2MI_COAP_BLOCK_REPLY) {
		m2mi_metrics_request(M2M_OP_NONE, rsp.rsc, 0); /* refused before an operation */
	}
	memset(&out_msg, 0, sizeof(out_msg));
	out_msg.type = msg.type == M2MI_COAP_CON ? M2MI_COAP_ACK : M2MI_COAP_NON;
	out_msg.mid = msg.type == M2MI_COAP_CON ? msg.mid : srv->next_mid++;
	out_msg.token = msg.token;
	out_msg.token_len = msg.token_len;
	if (act.verdict == M2MI_COAP_BLOCK_REPLY ||
	    (m2mi_coap_from_response(r == M2M_OK ? &req : NULL, &rsp, &info, &out) == M2M_OK &&
	     m2mi_coap_block_response(srv->blocks, pk, pklen, &act, out.code, out.opts, out.nopts,
				      (const uint8_t *)out.payload, out.payload_len, now) == M2M_OK)) {
		out_msg.code = act.rep.code;
		out_msg.opts = act.rep.opts;
		out_msg.nopts = act.rep.nopts;
		out_msg.payload = act.rep.payload;
		out_msg.payload_len = act.rep.payload_len;
		if (act.rep.unstored)
			m2m_log_rl(&refused_rl, M2M_LOG_WARN, "CoAP: no room to keep a large answer: its later blocks will be 4.08");
		sent = out_msg.code != 0 && encode(srv, &out_msg, &olen);
	}
	if (!sent) { /* an answer that does not fit one datagram even in blocks (huge options) */
		out_msg.code = M2MI_COAP_CODE(5, 0);
		out_msg.opts = NULL;
		out_msg.nopts = 0;
		out_msg.payload = NULL;
		out_msg.payload_len = 0;
		if (!encode(srv, &out_msg, &olen))
			olen = 0;
	}
deferred:
	m2mi_coap_block_act_clear(&act);
	m2mi_coap_out_clear(&out);
	m2m_request_clear(&req);
	m2m_response_clear(&rsp);
	if (p != NULL && olen > 0 && msg.type == M2MI_COAP_CON)
		remember(p, msg.mid, srv->tx, olen);
	return olen;
}

static void on_plain(m2m_coap_server *srv)
{
	m2m_sa none;
	struct sockaddr_storage from;
	socklen_t flen;
	ssize_t n;
	size_t olen;

	memset(&none, 0, sizeof(none)); /* plain CoAP: no association, like http-listen */
	for (int i = 0; i < 64; i++) {
		flen = sizeof(from);
		n = recvfrom(srv->plain_fd, srv->rx, sizeof(srv->rx), 0, (struct sockaddr *)&from, &flen);
		if (n < 0)
			return;
		if ((olen = answer(srv, &none, srv->rx, (size_t)n, NULL, (const struct sockaddr *)&from)) > 0)
			(void)sendto(srv->plain_fd, srv->tx, olen, 0, (struct sockaddr *)&from, flen);
	}
}

/* Drive one peer: handshake, then records. Returns false when it must be dropped. */
/* The next datagram on an established session's socket is a ClientHello of epoch 0 (RFC 6347
 * clause 4.1 record header: type 22, epoch 0; handshake type 1 at byte 13): the client lost its
 * session state (restarted, or a new client process on the same address and port). */
static bool client_hello_next(int fd)
{
	uint8_t h[14];
	ssize_t n = recv(fd, h, sizeof(h), MSG_PEEK | MSG_DONTWAIT);

	return n == (ssize_t)sizeof(h) && h[0] == 22 && h[3] == 0 && h[4] == 0 && h[13] == 1;
}

/*
 * RFC 6347 clause 4.2.8: a ClientHello on an established association's address starts a new
 * handshake, but the old association stays until the client proved it receives at that address:
 * the stateless cookie exchange runs on the peer's own socket (its datagrams arrive there, not on
 * the listening one); only a ClientHello with a valid cookie replaces the session, on the same
 * socket. A spoofed ClientHello therefore costs one HelloVerifyRequest and destroys nothing.
 * Returns what on_peer returns.
 */
static bool restart(m2m_coap_server *srv, struct peer *p)
{
	SSL *l;
	BIO *bio = BIO_new_dgram(p->fd, BIO_NOCLOSE);
	BIO_ADDR *client = BIO_ADDR_new();
	struct sockaddr_storage ca;
	socklen_t calen = sizeof(ca);
	int r = -1;

	dtls_ctx_refresh(srv);
	l = SSL_new(srv->ctx);
	if (l != NULL && bio != NULL && client != NULL) {
		SSL_set_bio(l, bio, bio);
		bio = NULL;
		SSL_set_options(l, SSL_OP_COOKIE_EXCHANGE);
		r = DTLSv1_listen(l, client); /* 0: HelloVerifyRequest sent; 1: cookie verified */
		ERR_clear_error();
	}
	BIO_free(bio);
	BIO_ADDR_free(client);
	if (r != 1 || getpeername(p->fd, (struct sockaddr *)&ca, &calen) != 0) {
		SSL_free(l);
		if (r < 0) /* not consumed by the listener: drop it, never feed it to the old session */
			(void)recv(p->fd, srv->rx, sizeof(srv->rx), MSG_DONTWAIT);
		return true;
	}
	/* the client is reachable: the old session goes (its hooks' close runs), the fd stays */
	if (p->opened && srv->hooks.close != NULL)
		srv->hooks.close(srv->hooks.ctx, p->state);
	m2mi_coap_defer_forget(srv->defer, p); /* the old session's held answers are not sent */
	m2mi_coap_hs_release(&p->hs, p->ssl);
	(void)BIO_set_close(SSL_get_rbio(p->ssl), BIO_NOCLOSE);
	SSL_free(p->ssl);
	(void)BIO_set_close(SSL_get_rbio(l), BIO_CLOSE);
	(void)BIO_ctrl(SSL_get_rbio(l), BIO_CTRL_DGRAM_SET_CONNECTED, 0, &ca);
	for (size_t i = 0; i < COAP_DEDUP; i++)
		free(p->seen[i].bytes);
	memset(p->seen, 0, sizeof(p->seen));
	memset(&p->sa, 0, sizeof(p->sa));
	p->ssl = l;
	p->established = p->opened = false;
	p->state = NULL;
	p->born = p->last = time(NULL);
	if (m2mi_coap_hs_attach(&srv->hsl, &p->hs, l, srv->tls) != M2M_OK)
		return false;
	m2m_log(M2M_LOG_DEBUG, "CoAP DTLS: a client restarted its session (RFC 6347 4.2.8)");
	return on_peer(srv, p);
}

static bool on_peer(m2m_coap_server *srv, struct peer *p)
{
	int n;
	size_t olen;

	if (!p->established) {
		if (m2mi_coap_hs_paused(&p->hs, p->ssl))
			return true; /* the lookup runs: the peer's datagrams wait in its socket */
		switch (m2mi_coap_hs_step(&srv->hsl, &p->hs, p->ssl, m2mi_coap_hs_now_ms())) {
		case M2MI_COAP_HS_AGAIN:
			return true;
		case M2MI_COAP_HS_FAILED:
			return false;
		case M2MI_COAP_HS_DONE:
			break;
		}
		/* PSK or certificate, as the handshake negotiated (the HTTPS listener's rules) */
		if (m2m_tls_peer_sa(srv->tls, p->ssl, &p->sa) != M2M_OK)
			return false;
		p->established = true;
	}
	/* once per session, on its SSL: the exporter runs on the DTLS session (RFC 5705) */
	if (!p->opened && srv->hooks.open != NULL) {
		if (srv->hooks.open(srv->hooks.ctx, srv->hooks_index, p->ssl, &p->sa, &p->state) != M2M_OK)
			return false;
		p->opened = true;
	}
	for (int i = 0; i < 64; i++) {
		if (client_hello_next(p->fd))
			return restart(srv, p);
		n = SSL_read(p->ssl, srv->rx, sizeof(srv->rx));
		if (n <= 0) {
			int e = SSL_get_error(p->ssl, n);
			ERR_clear_error();
			return e == SSL_ERROR_WANT_READ;
		}
		p->last = time(NULL);
		srv->cur_state = p->state; /* m2m_coap_conn_state() inside the handler */
		olen = answer(srv, &p->sa, srv->rx, (size_t)n, p, NULL);
		srv->cur_state = NULL;
		if (olen > 0 && SSL_write(p->ssl, srv->tx, (int)olen) <= 0)
			ERR_clear_error();
	}
	return true;
}

static void *coap_thread(void *arg)
{
	m2m_coap_server *srv = arg;
	struct pollfd *pfd = calloc(M2M_COAP_MAX_PEERS + 3, sizeof(*pfd));
	size_t n;
	time_t now;

	if (pfd == NULL) {
		m2m_log(M2M_LOG_ERROR, "CoAP: no memory for the loop");
		return NULL;
	}
	while (!atomic_load(&srv->stop)) {
		n = 0;
		pfd[n++] = (struct pollfd){srv->dtls_fd, POLLIN, 0};
		pfd[n++] = (struct pollfd){srv->plain_fd, POLLIN, 0};
		pfd[n++] = (struct pollfd){m2mi_call_queue_fd(srv->hsl.calls), POLLIN, 0};
		for (size_t i = 0; i < srv->npeers; i++) /* a paused handshake's socket is not read */
			pfd[n++] = (struct pollfd){srv->peers[i]->fd,
						   m2mi_coap_hs_paused(&srv->peers[i]->hs, srv->peers[i]->ssl) ? 0 : POLLIN, 0};
		/* a held request's quiet wait may end before the poll tick (coap_defer.c) */
		if (poll(pfd, n, m2mi_coap_defer_wait_ms(srv->defer, COAP_POLL_MS)) < 0 && errno != EINTR)
			break;
		if (pfd[2].revents & POLLIN) /* answers of PSK lookups: they wake their handshakes */
			m2mi_call_queue_run(srv->hsl.calls);
		if (srv->dtls_fd >= 0 && (pfd[0].revents & POLLIN))
			on_listener(srv);
		if (srv->plain_fd >= 0 && (pfd[1].revents & POLLIN))
			on_plain(srv);
		now = time(NULL);
		m2mi_coap_blocks_expire(srv->blocks, (int64_t)now);
		m2mi_coap_defer_tick(srv->defer); /* separate responses not yet ACKed */
		/* peers accepted above are not in pfd yet: only the first n - 3 are polled */
		for (size_t i = n - 3; i-- > 0;) {
			struct peer *p = srv->peers[i];
			bool keep = true;
			if (!p->established && m2mi_coap_hs_expire(&p->hs, p->ssl, m2mi_coap_hs_now_ms()))
				keep = on_peer(srv, p); /* the lookup deadline: the handshake fails closed */
			else if ((pfd[i + 3].revents & (POLLIN | POLLERR)) || (!p->established && p->hs.woken))
				keep = on_peer(srv, p);
			else if (!p->established && !m2mi_coap_hs_paused(&p->hs, p->ssl))
				(void)DTLSv1_handle_timeout(p->ssl); /* retransmit our flight when due */
			if (keep && (p->established ? now - p->last > COAP_IDLE_S : now - p->born > COAP_HS_DEADLINE_S))
				keep = false;
			if (!keep)
				peer_drop(srv, i);
		}
	}
	/* every session ends on this thread: a handshake paused in a lookup is unwound by the
	 * thread that runs its ASYNC job */
	while (srv->npeers > 0)
		peer_drop(srv, srv->npeers - 1);
	free(pfd);
	return NULL;
}

/* ---- life cycle ------------------------------------------------------------------------------ */

static m2m_err bind_endpoint(const char *listen, bool plain, int *fd, struct sockaddr_storage *sa,
			     socklen_t *salen, int *port)
{
	char host[256], portstr[16];
	int p = 0;
	struct addrinfo hints, *ai = NULL;

	if (m2m_config_split_listen(listen, host, sizeof(host), &p) != M2M_OK)
		return M2M_E_CONFIG;
	if (plain && !m2m_config_is_loopback(host))
		return M2M_E_CONFIG; /* nothing on plain CoAP is authenticated: this host only */
	snprintf(portstr, sizeof(portstr), "%d", p);
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if (getaddrinfo(host, portstr, &hints, &ai) != 0 || ai == NULL || ai->ai_addrlen > sizeof(*sa)) {
		if (ai != NULL)
			freeaddrinfo(ai);
		return M2M_E_CONFIG;
	}
	memcpy(sa, ai->ai_addr, ai->ai_addrlen);
	*salen = (socklen_t)ai->ai_addrlen;
	freeaddrinfo(ai);
	if ((*fd = udp_socket((struct sockaddr *)sa, *salen)) < 0)
		return M2M_E_HTTP_BIND;
	/* port 0: the per-peer sockets must bind the port the kernel chose */
	if (getsockname(*fd, (struct sockaddr *)sa, salen) != 0)
		return M2M_E_INTERNAL;
	*port = ntohs(sa->ss_family == AF_INET6 ? ((struct sockaddr_in6 *)sa)->sin6_port
						 : ((struct sockaddr_in *)sa)->sin_port);
	return M2M_OK;
}

/* The HTTPS listener's policy on DTLS (m2mi_tls_dtls_ctx_new), plus the cookie exchange. */
static m2m_err dtls_ctx(m2m_coap_server *srv)
{
	SSL_CTX *d = NULL;
	unsigned gen = m2mi_tls_generation(srv->tls);
	m2m_err r;

	if ((r = m2mi_tls_dtls_ctx_new(srv->tls, &d)) != M2M_OK)
		return r;
	if (!SSL_CTX_set_ex_data(d, srv_idx, srv) ||
	    (!srv->cookie_ok && RAND_bytes(srv->cookie_secret, sizeof(srv->cookie_secret)) != 1)) {
		SSL_CTX_free(d);
		return M2M_E_INTERNAL;
	}
	srv->cookie_ok = true;
	SSL_CTX_set_cookie_generate_cb(d, cookie_gen);
	SSL_CTX_set_cookie_verify_cb(d, cookie_verify);
	SSL_CTX_set_read_ahead(d, 1);
	SSL_CTX_free(srv->ctx); /* sessions made with it hold their own reference */
	srv->ctx = d;
	srv->ctx_gen = gen;
	return M2M_OK;
}

/* A SIGHUP reload published a new server context: the next DTLS handshakes use its twin
 * (rebuilt here, on the CoAP thread, from memory); established sessions keep theirs. A failed
 * rebuild keeps the old twin and tries again at the next datagram. */
static void dtls_ctx_refresh(m2m_coap_server *srv)
{
	if (srv->ctx == NULL || m2mi_tls_generation(srv->tls) == srv->ctx_gen)
		return;
	if (dtls_ctx(srv) != M2M_OK)
		return;
	SSL_free(srv->listener); /* stateless between datagrams (DTLSv1_listen): made again */
	srv->listener = NULL;
}

m2m_err m2m_coap_server_new(const m2m_coap_server_config *cfg, m2m_coap_handler_fn fn, void *ctx,
			    m2m_coap_server **out)
{
	m2m_coap_server *srv;
	struct sockaddr_storage pa;
	socklen_t palen;
	m2mi_coap_block_limits bl = {0};
	m2m_err r;

	if (out == NULL)
		return M2M_E_INVAL;
	*out = NULL;
	if (cfg == NULL || fn == NULL)
		return M2M_E_INVAL;
	if ((!enabled(cfg->coaps_listen) && !enabled(cfg->coap_listen)) ||
	    (enabled(cfg->coaps_listen) && !m2mi_tls_ok(cfg->tls)))
		return M2M_E_CONFIG;
	(void)pthread_once(&idx_once, make_indices);
	if (srv_idx < 0)
		return M2M_E_INTERNAL;
	if ((srv = calloc(1, sizeof(*srv))) == NULL)
		return M2M_E_NOMEM;
	atomic_init(&srv->stop, false);
	srv->dtls_fd = srv->plain_fd = -1;
	srv->tls = cfg->tls;
	srv->fn = fn;
	srv->fn_ctx = ctx;
	srv->limits.max_payload = cfg->max_body;
	bl.max_body = cfg->max_body;
	bl.block_size = cfg->block_size;
	if ((r = m2mi_coap_blocks_new(&bl, &srv->blocks)) != M2M_OK ||
	    (r = m2mi_coap_hs_loop_init(&srv->hsl, cfg->psk_lookups_max, cfg->psk_lookup_timeout_ms)) != M2M_OK ||
	    (r = m2mi_coap_defer_new(0, 0, srv->blocks, &srv->next_mid, defer_send, srv, &srv->defer)) != M2M_OK)
		goto fail;
	(void)RAND_bytes((unsigned char *)&srv->next_mid, sizeof(srv->next_mid));
	if (enabled(cfg->coaps_listen) &&
	    ((r = dtls_ctx(srv)) != M2M_OK ||
	     (r = bind_endpoint(cfg->coaps_listen, false, &srv->dtls_fd, &srv->dtls_addr, &srv->dtls_addrlen,
				&srv->port_secure)) != M2M_OK))
		goto fail;
	if (enabled(cfg->coap_listen) &&
	    (r = bind_endpoint(cfg->coap_listen, true, &srv->plain_fd, &pa, &palen, &srv->port_plain)) != M2M_OK)
		goto fail;
	*out = srv;
	return M2M_OK;
fail:
	m2m_coap_server_free(srv);
	return r;
}

int m2m_coap_server_port(const m2m_coap_server *srv, bool secure)
{
	return srv == NULL ? 0 : secure ? srv->port_secure : srv->port_plain;
}

m2m_err m2m_coap_server_start(m2m_coap_server *srv)
{
	if (srv == NULL || srv->started)
		return M2M_E_INVAL;
	if (pthread_create(&srv->thread, NULL, coap_thread, srv) != 0)
		return M2M_E_INTERNAL;
	srv->started = true;
	return M2M_OK;
}

void m2m_coap_server_set_conn_hooks(m2m_coap_server *srv, const m2m_http_conn_hooks *hooks, int thread_index)
{
	if (srv == NULL || srv->started)
		return;
	srv->hooks = hooks != NULL ? *hooks : (m2m_http_conn_hooks){NULL, NULL, NULL};
	srv->hooks_index = thread_index;
}

void *m2m_coap_conn_state(const m2m_coap_server *srv)
{
	return srv != NULL ? srv->cur_state : NULL;
}

m2m_coap_deferred *m2m_coap_defer(m2m_coap_server *srv)
{
	return srv != NULL ? m2mi_coap_defer_take(srv->defer) : NULL;
}

m2m_err m2m_coap_server_post(m2m_coap_server *srv, void (*fn)(void *), void *arg)
{
	return srv != NULL ? m2mi_call_queue_post(srv->hsl.calls, fn, arg) : M2M_E_INVAL;
}

void m2m_coap_server_stop(m2m_coap_server *srv)
{
	if (srv == NULL || !srv->started)
		return;
	atomic_store(&srv->stop, true);
	(void)pthread_join(srv->thread, NULL);
	srv->started = false;
}

void m2m_coap_server_free(m2m_coap_server *srv)
{
	if (srv == NULL)
		return;
	m2m_coap_server_stop(srv);
	m2mi_call_queue_run(srv->hsl.calls); /* answers queued after the stop */
	while (srv->npeers > 0)
		peer_drop(srv, srv->npeers - 1);
	m2mi_coap_hs_loop_fini(&srv->hsl);
	m2mi_coap_defer_free(srv->defer);
	SSL_free(srv->listener);
	SSL_CTX_free(srv->ctx);
	m2mi_coap_blocks_free(srv->blocks);
	if (srv->dtls_fd >= 0)
		close(srv->dtls_fd);
	if (srv->plain_fd >= 0)
		close(srv->plain_fd);
	m2m_freezero(srv, sizeof(*srv));
}
