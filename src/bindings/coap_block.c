/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements block-wise transfer of RFC 7959 for the CoAP server (TS-0008 V3.9.0
 * clauses 5.2.3 and 6.5; bindings/coap_block.h, docs/coap-dtls.md): the Block1/Block2/Size1/Size2
 * option codec, the reassembly of request bodies sent in Block1 blocks, and the store of large
 * responses whose later Block2 blocks are served without running the request again (a RETRIEVE
 * is not executed twice, a CREATE never). Every transfer belongs to one peer and one request
 * fingerprint; the store is bounded in transfers and bytes, per peer and in total, and an idle
 * transfer expires. No sockets, no clock: the server, the unit tests and the fuzzer feed it.
 */
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/evp.h>

#include "bindings/coap_block.h"
#include "m2msec/mem.h"
#include "m2msec/rsc.h"

#define C(c, d) M2MI_COAP_CODE(c, d)

enum { X_REASM = 1, X_RESP = 2 };

struct xfer {
	int kind;
	uint8_t *peer;
	size_t peerlen;
	uint8_t fp[32];
	int64_t last;
	size_t bytes; /* accounted against the limits */
	/* X_REASM: the body so far */
	uint8_t *body;
	size_t len, cap;
	/* X_RESP: the whole answer (option values, then the payload, in buf) */
	uint8_t code;
	uint16_t onum[M2MI_COAP_OUT_MAX_OPTS];
	size_t ooff[M2MI_COAP_OUT_MAX_OPTS], olen[M2MI_COAP_OUT_MAX_OPTS];
	size_t nopts;
	uint8_t *buf;
	size_t poff, plen;
	uint8_t etag[8];
};

struct m2mi_coap_blocks {
	m2mi_coap_block_limits lim;
	struct xfer **v;
	size_t n;
	size_t bytes;
};

/* ---- option codec (RFC 7959 clause 2.2, RFC 7252 clause 3.2) --------------------------------- */

m2m_err m2mi_coap_block_parse(const uint8_t *val, size_t len, m2mi_coap_blockopt *b)
{
	uint32_t v = 0;

	if (b == NULL || (val == NULL && len > 0))
		return M2M_E_INVAL;
	if (len > 3)
		return M2M_E_PROTO;
	for (size_t i = 0; i < len; i++)
		v = v << 8 | val[i];
	b->num = v >> 4;
	b->more = (v & 8) != 0;
	b->szx = (uint8_t)(v & 7);
	return b->szx == 7 ? M2M_E_PROTO : M2M_OK;
}

size_t m2mi_coap_uint_write(uint32_t v, uint8_t out[4])
{
	size_t n = 0;

	for (uint32_t t = v; t != 0; t >>= 8)
		n++;
	for (size_t i = 0; i < n; i++)
		out[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
	return n;
}

size_t m2mi_coap_block_write(const m2mi_coap_blockopt *b, uint8_t out[3])
{
	uint8_t tmp[4];
	size_t n;

	if (b == NULL || b->num >= (1u << 20) || b->szx > 6)
		return (size_t)-1;
	n = m2mi_coap_uint_write(b->num << 4 | (b->more ? 8u : 0u) | b->szx, tmp);
	memcpy(out, tmp, n); /* at most 3: num has 20 bits */
	return n;
}

static uint8_t szx_of(size_t bytes)
{
	uint8_t s = 0;

	while (s < 6 && M2MI_COAP_BLOCK_BYTES(s) < bytes)
		s++;
	return s;
}

/* ---- peers ----------------------------------------------------------------------------------- */

size_t m2mi_coap_block_peer_sa(const m2m_sa *sa, const void *session, uint8_t *out)
{
	size_t n = 0, a, b;

	if (sa != NULL && (sa->credential_id[0] != '\0' || sa->bound_id[0] != '\0')) {
		a = strnlen(sa->credential_id, sizeof(sa->credential_id));
		b = strnlen(sa->bound_id, sizeof(sa->bound_id));
		out[n++] = 'D';
		out[n++] = (uint8_t)sa->kind;
		memcpy(out + n, sa->credential_id, a);
		n += a;
		out[n++] = 0;
		memcpy(out + n, sa->bound_id, b);
		return n + b;
	}
	out[0] = 'S';
	memcpy(out + 1, &session, sizeof(session));
	return 1 + sizeof(session);
}

size_t m2mi_coap_block_peer_addr(const struct sockaddr *from, uint8_t *out)
{
	memset(out, 0, 20);
	out[0] = 'U';
	out[1] = (uint8_t)from->sa_family;
	if (from->sa_family == AF_INET6) {
		const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)from;
		memcpy(out + 2, &a6->sin6_addr, 16);
		memcpy(out + 18, &a6->sin6_port, 2);
	} else if (from->sa_family == AF_INET) {
		const struct sockaddr_in *a4 = (const struct sockaddr_in *)from;
		memcpy(out + 2, &a4->sin_addr, 4);
		memcpy(out + 18, &a4->sin_port, 2);
	}
	return 20;
}

/* ---- the store ------------------------------------------------------------------------------- */

static void xfer_free(struct xfer *x)
{
	if (x == NULL)
		return;
	free(x->peer);
	if (x->body != NULL)
		m2m_freezero(x->body, x->cap); /* request bodies may carry secrets */
	if (x->buf != NULL)
		m2m_freezero(x->buf, x->poff + x->plen);
	free(x);
}

static void drop(m2mi_coap_blocks *st, struct xfer *x)
{
	for (size_t i = 0; i < st->n; i++)
		if (st->v[i] == x) {
			st->bytes -= x->bytes;
			st->v[i] = st->v[--st->n];
			st->v[st->n] = NULL;
			xfer_free(x);
			return;
		}
}

static bool same_peer(const struct xfer *x, const uint8_t *peer, size_t peerlen)
{
	return x->peerlen == peerlen && (peerlen == 0 || memcmp(x->peer, peer, peerlen) == 0);
}

static struct xfer *find(m2mi_coap_blocks *st, int kind, const uint8_t *peer, size_t peerlen, const uint8_t fp[32])
{
	for (size_t i = 0; i < st->n; i++)
		if (st->v[i]->kind == kind && same_peer(st->v[i], peer, peerlen) && memcmp(st->v[i]->fp, fp, 32) == 0)
			return st->v[i];
	return NULL;
}

/*
 * Make room for need more bytes (and one more transfer when add): the peer's own oldest
 * transfers go first (a peer only ever displaces itself); over the total, only when global, the
 * oldest stored responses of any peer (a client can ask again; a half-received body cannot be
 * rebuilt, so reassemblies are never displaced by another peer). keep is never dropped.
 */
static bool make_room(m2mi_coap_blocks *st, const uint8_t *peer, size_t peerlen, size_t need, bool add, bool global,
		      const struct xfer *keep)
{
	for (;;) {
		size_t pc = 0, pb = 0;
		struct xfer *old = NULL;
		for (size_t i = 0; i < st->n; i++) {
			struct xfer *x = st->v[i];
			if (!same_peer(x, peer, peerlen))
				continue;
			pc++;
			pb += x->bytes;
			if (x != keep && (old == NULL || x->last < old->last))
				old = x;
		}
		if (pc + (add ? 1 : 0) <= st->lim.peer_xfers && need <= st->lim.peer_bytes &&
		    pb <= st->lim.peer_bytes - need)
			break;
		if (old == NULL)
			return false;
		drop(st, old);
	}
	for (;;) {
		struct xfer *old = NULL;
		if (st->n + (add ? 1 : 0) <= st->lim.total_xfers && need <= st->lim.total_bytes &&
		    st->bytes <= st->lim.total_bytes - need)
			return true;
		for (size_t i = 0; global && i < st->n; i++)
			if (st->v[i]->kind == X_RESP && st->v[i] != keep && (old == NULL || st->v[i]->last < old->last))
				old = st->v[i];
		if (old == NULL)
			return false;
		drop(st, old);
	}
}

static struct xfer *add_xfer(m2mi_coap_blocks *st, int kind, const uint8_t *peer, size_t peerlen,
			     const uint8_t fp[32], int64_t now)
{
	struct xfer *x = calloc(1, sizeof(*x));

	if (x == NULL || (peerlen > 0 && (x->peer = malloc(peerlen)) == NULL)) {
		free(x);
		return NULL;
	}
	if (peerlen > 0)
		memcpy(x->peer, peer, peerlen);
	x->peerlen = peerlen;
	x->kind = kind;
	memcpy(x->fp, fp, 32);
	x->last = now;
	x->bytes = sizeof(*x) + peerlen;
	st->v[st->n++] = x;
	st->bytes += x->bytes;
	return x;
}

m2m_err m2mi_coap_blocks_new(const m2mi_coap_block_limits *lim, m2mi_coap_blocks **out)
{
	m2mi_coap_blocks *st;
	m2mi_coap_block_limits l = {0};

	if (out == NULL)
		return M2M_E_INVAL;
	*out = NULL;
	if (lim != NULL)
		l = *lim;
	if (l.block_size == 0)
		l.block_size = 1024;
	if (l.block_size < 16 || l.block_size > 1024 || (l.block_size & (l.block_size - 1)) != 0)
		return M2M_E_INVAL;
	if (l.max_body == 0)
		l.max_body = M2MI_COAP_DEFAULT_MAX_PAYLOAD;
	if (l.peer_xfers == 0)
		l.peer_xfers = 8;
	if (l.total_xfers == 0)
		l.total_xfers = 1024;
	if (l.peer_bytes == 0)
		l.peer_bytes = l.max_body + 65536 > 4u << 20 ? l.max_body + 65536 : 4u << 20;
	if (l.total_bytes == 0)
		l.total_bytes = l.peer_bytes > 64u << 20 ? l.peer_bytes : 64u << 20;
	if (l.lifetime_s <= 0)
		l.lifetime_s = 120;
	if ((st = calloc(1, sizeof(*st))) == NULL || (st->v = calloc(l.total_xfers, sizeof(*st->v))) == NULL) {
		free(st);
		return M2M_E_NOMEM;
	}
	st->lim = l;
	*out = st;
	return M2M_OK;
}

void m2mi_coap_blocks_free(m2mi_coap_blocks *st)
{
	if (st == NULL)
		return;
	for (size_t i = 0; i < st->n; i++)
		xfer_free(st->v[i]);
	free(st->v);
	free(st);
}

void m2mi_coap_blocks_expire(m2mi_coap_blocks *st, int64_t now)
{
	if (st == NULL)
		return;
	for (size_t i = st->n; i-- > 0;)
		if (now - st->v[i]->last > st->lim.lifetime_s || st->v[i]->last > now + st->lim.lifetime_s)
			drop(st, st->v[i]);
}

size_t m2mi_coap_blocks_count(const m2mi_coap_blocks *st, size_t *bytes)
{
	if (bytes != NULL)
		*bytes = st != NULL ? st->bytes : 0;
	return st != NULL ? st->n : 0;
}

void m2mi_coap_blocks_limits(const m2mi_coap_blocks *st, m2mi_coap_block_limits *lim)
{
	if (st != NULL && lim != NULL)
		*lim = st->lim;
}

/* ---- replies --------------------------------------------------------------------------------- */

static m2m_err rep_add(m2mi_coap_block_reply *rep, uint16_t num, const uint8_t *val, size_t len)
{
	if (rep->nopts >= M2MI_COAP_BLOCK_MAX_OPTS)
		return M2M_E_RANGE;
	rep->opts[rep->nopts++] = (m2mi_coap_opt){num, val, len};
	return M2M_OK;
}

static m2m_err rep_block(m2mi_coap_block_reply *rep, uint16_t num, uint32_t bnum, bool more, uint8_t szx)
{
	m2mi_coap_blockopt b = {bnum, more, szx};
	uint8_t *v;
	size_t n;

	if (rep->nnum >= 4)
		return M2M_E_RANGE;
	v = rep->num[rep->nnum];
	if ((n = m2mi_coap_block_write(&b, v)) == (size_t)-1)
		return M2M_E_RANGE;
	rep->nnum++;
	return rep_add(rep, num, v, n);
}

static m2m_err rep_uint(m2mi_coap_block_reply *rep, uint16_t num, uint32_t val)
{
	uint8_t *v;

	if (rep->nnum >= 4)
		return M2M_E_RANGE;
	v = rep->num[rep->nnum++];
	return rep_add(rep, num, v, m2mi_coap_uint_write(val, v));
}

/* Ascending option numbers for the wire; stable, so repeated options keep their order. */
static void rep_sort(m2mi_coap_block_reply *rep)
{
	for (size_t i = 1; i < rep->nopts; i++) {
		m2mi_coap_opt o = rep->opts[i];
		size_t j = i;
		for (; j > 0 && rep->opts[j - 1].num > o.num; j--)
			rep->opts[j] = rep->opts[j - 1];
		rep->opts[j] = o;
	}
}

static uint32_t clamp32(size_t v)
{
	return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

static m2m_err refuse(m2mi_coap_block_act *act, uint8_t code, int rsc, const char *why)
{
	act->verdict = M2MI_COAP_BLOCK_REFUSE;
	act->code = code;
	act->rsc = rsc;
	act->why = why;
	return M2M_OK;
}

static m2m_err refuse_size(m2mi_coap_block_act *act)
{
	act->size1 = true; /* RFC 7959 clause 4: 4.13 with Size1 = the largest body accepted */
	return refuse(act, C(4, 13), M2M_RSC_BAD_REQUEST, "the request body exceeds the CSE's max-body");
}

/* 2.31 Continue for a Block1 block with more to come (RFC 7959 clause 2.3). */
static m2m_err reply_continue(m2mi_coap_block_act *act, const m2mi_coap_blockopt *b1)
{
	act->verdict = M2MI_COAP_BLOCK_REPLY;
	act->rep.code = C(2, 31);
	return rep_block(&act->rep, M2MI_COAP_OPT_BLOCK1, b1->num, true, b1->szx);
}

/* ---- the request half ------------------------------------------------------------------------ */

/* SHA-256 of the method and every option but Block1/2 and Size1/2 (RFC 7959 clauses 2.4, 2.5).
 * For a Block2 continuation (!body) also without Request-Tag and ETag: Request-Tag tells body
 * transfers apart (RFC 9175 clause 3) and a client may leave it, or add an ETag, when it asks
 * for the later blocks of the answer. */
static bool fingerprint(const m2mi_coap_msg *msg, bool body, uint8_t fp[32])
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	bool ok = c != NULL && EVP_DigestInit_ex(c, EVP_sha256(), NULL) == 1 && EVP_DigestUpdate(c, &msg->code, 1) == 1;

	for (size_t i = 0; ok && i < msg->nopts; i++) {
		const m2mi_coap_opt *o = &msg->opts[i];
		uint8_t h[6] = {(uint8_t)(o->num >> 8), (uint8_t)o->num, (uint8_t)(o->len >> 24), (uint8_t)(o->len >> 16),
				(uint8_t)(o->len >> 8), (uint8_t)o->len};
		if (o->num == M2MI_COAP_OPT_BLOCK1 || o->num == M2MI_COAP_OPT_BLOCK2 || o->num == M2MI_COAP_OPT_SIZE1 ||
		    o->num == M2MI_COAP_OPT_SIZE2 ||
		    (!body && (o->num == M2MI_COAP_OPT_REQUEST_TAG || o->num == M2MI_COAP_OPT_ETAG)))
			continue;
		ok = EVP_DigestUpdate(c, h, sizeof(h)) == 1 && (o->len == 0 || EVP_DigestUpdate(c, o->val, o->len) == 1);
	}
	ok = ok && EVP_DigestFinal_ex(c, fp, NULL) == 1;
	EVP_MD_CTX_free(c);
	return ok;
}

/* A Block2 request for a block after the first: from the stored answer, or refused. */
static m2m_err serve(m2mi_coap_blocks *st, const uint8_t *peer, size_t peerlen, const m2mi_coap_blockopt *b2,
		     int64_t now, m2mi_coap_block_act *act)
{
	struct xfer *x = find(st, X_RESP, peer, peerlen, act->fp);
	size_t cs = M2MI_COAP_BLOCK_BYTES(b2->szx), s, off;
	m2mi_coap_block_reply *rep = &act->rep;
	m2m_err r = M2M_OK;

	if (x == NULL)
		return refuse(act, C(4, 8), M2M_RSC_BAD_REQUEST,
			      "the response this Block2 request continues is not held (expired, evicted or never made): "
			      "ask for block 0 (RFC 7959 clause 2.4)");
	s = cs < st->lim.block_size ? cs : st->lim.block_size; /* a smaller size: NUM scales (clause 2.4) */
	off = (size_t)b2->num * cs;
	if (off >= x->plen)
		return refuse(act, C(4, 2), M2M_RSC_BAD_REQUEST, "Block2 asks for a block past the end of the response");
	x->last = now;
	act->verdict = M2MI_COAP_BLOCK_REPLY;
	rep->code = x->code;
	for (size_t i = 0; r == M2M_OK && i < x->nopts; i++)
		r = rep_add(rep, x->onum[i], x->buf + x->ooff[i], x->olen[i]);
	memcpy(rep->etag, x->etag, sizeof(rep->etag));
	if (r == M2M_OK)
		r = rep_add(rep, M2MI_COAP_OPT_ETAG, rep->etag, sizeof(rep->etag));
	if (r == M2M_OK)
		r = rep_block(rep, M2MI_COAP_OPT_BLOCK2, (uint32_t)(off / s), off + s < x->plen, szx_of(s));
	if (r == M2M_OK)
		r = rep_uint(rep, M2MI_COAP_OPT_SIZE2, clamp32(x->plen));
	rep->payload = x->buf + x->poff + off;
	rep->payload_len = x->plen - off < s ? x->plen - off : s;
	rep_sort(rep);
	return r;
}

/* Collect one Block1 block (RFC 7959 clause 2.5). */
static m2m_err block1(m2mi_coap_blocks *st, const uint8_t *peer, size_t peerlen, const m2mi_coap_msg *msg,
		      const m2mi_coap_blockopt *b1, int64_t now, m2mi_coap_block_act *act)
{
	size_t bs = M2MI_COAP_BLOCK_BYTES(b1->szx), off, ncap;
	struct xfer *x = find(st, X_REASM, peer, peerlen, act->fp1);
	uint8_t *nb;

	if (b1->more ? msg->payload_len != bs : msg->payload_len > bs)
		return refuse(act, C(4, 0), M2M_RSC_BAD_REQUEST,
			      "a Block1 block carries its block size (the last one at most) (RFC 7959 clause 2.3)");
	if (b1->num == 0) {
		if (x != NULL)
			drop(st, x); /* the same request started again */
		if (!b1->more) {
			act->echo1 = true;
			act->block1 = *b1;
			return M2M_OK;
		}
		if (!make_room(st, peer, peerlen, sizeof(*x) + peerlen + bs, true, false, NULL)) {
			act->retry_after = (unsigned)st->lim.lifetime_s;
			return refuse(act, C(5, 3), M2M_RSC_INTERNAL_SERVER_ERROR,
				      "too many block-wise transfers in progress, try later");
		}
		if ((x = add_xfer(st, X_REASM, peer, peerlen, act->fp1, now)) == NULL)
			return M2M_E_NOMEM;
		if ((x->body = malloc(bs)) == NULL) {
			drop(st, x);
			return M2M_E_NOMEM;
		}
		memcpy(x->body, msg->payload, bs);
		x->len = x->cap = bs;
		x->bytes += bs;
		st->bytes += bs;
		return reply_continue(act, b1);
	}
	if (x == NULL)
		return refuse(act, C(4, 8), M2M_RSC_BAD_REQUEST,
			      "no Block1 transfer of this request in progress (block 0 missing, expired, or the "
			      "options changed) (RFC 7959 clause 2.5)");
	off = (size_t)b1->num * bs;
	if (b1->more && off + bs == x->len && memcmp(x->body + off, msg->payload, bs) == 0)
		return reply_continue(act, b1); /* the same block again (a lost 2.31): nothing to add */
	if (off != x->len) {
		drop(st, x);
		return refuse(act, C(4, 8), M2M_RSC_BAD_REQUEST, "Block1 block out of order (RFC 7959 clause 2.5)");
	}
	if (msg->payload_len > st->lim.max_body - x->len) {
		drop(st, x);
		return refuse_size(act);
	}
	if (x->len + msg->payload_len > x->cap) {
		ncap = x->cap * 2 > x->len + msg->payload_len ? x->cap * 2 : x->len + msg->payload_len;
		if (ncap > st->lim.max_body)
			ncap = st->lim.max_body;
		if (!make_room(st, peer, peerlen, ncap - x->cap, false, false, x)) {
			drop(st, x);
			act->retry_after = (unsigned)st->lim.lifetime_s;
			return refuse(act, C(5, 3), M2M_RSC_INTERNAL_SERVER_ERROR,
				      "no room for more block-wise transfers, try later");
		}
		if ((nb = malloc(ncap)) == NULL) {
			drop(st, x);
			return M2M_E_NOMEM;
		}
		memcpy(nb, x->body, x->len);
		m2m_freezero(x->body, x->cap);
		x->body = nb;
		x->bytes += ncap - x->cap;
		st->bytes += ncap - x->cap;
		x->cap = ncap;
	}
	if (msg->payload_len > 0)
		memcpy(x->body + x->len, msg->payload, msg->payload_len);
	x->len += msg->payload_len;
	x->last = now;
	if (b1->more)
		return reply_continue(act, b1);
	/* the last block: the whole body goes to the CSE, once */
	act->whole = x->body;
	act->payload = x->body;
	act->payload_len = x->len;
	st->bytes -= x->cap;
	x->bytes -= x->cap;
	x->body = NULL;
	drop(st, x);
	act->echo1 = true;
	act->block1 = *b1;
	return M2M_OK;
}

m2m_err m2mi_coap_block_request(m2mi_coap_blocks *st, const uint8_t *peer, size_t peerlen,
				const m2mi_coap_msg *msg, int64_t now, m2mi_coap_block_act *act)
{
	const m2mi_coap_opt *o1 = NULL, *o2 = NULL, *os1 = NULL;
	m2mi_coap_blockopt b1 = {0, false, 0}, b2 = {0, false, 0};
	uint64_t size1 = 0;

	if (act != NULL)
		memset(act, 0, sizeof(*act));
	if (st == NULL || msg == NULL || act == NULL || (peer == NULL && peerlen > 0) ||
	    peerlen > M2MI_COAP_BLOCK_PEER_MAX || (msg->payload == NULL && msg->payload_len > 0) ||
	    (msg->opts == NULL && msg->nopts > 0))
		return M2M_E_INVAL;
	act->payload = msg->payload;
	act->payload_len = msg->payload_len;
	act->want2 = st->lim.block_size;
	for (size_t i = 0; i < msg->nopts; i++) {
		const m2mi_coap_opt **slot = msg->opts[i].num == M2MI_COAP_OPT_BLOCK1   ? &o1
					     : msg->opts[i].num == M2MI_COAP_OPT_BLOCK2 ? &o2
					     : msg->opts[i].num == M2MI_COAP_OPT_SIZE1  ? &os1
										: NULL;
		if (slot == NULL)
			continue;
		if (*slot != NULL) /* RFC 7252 clause 5.4.5: not repeatable; two parsers could pick either */
			return refuse(act, C(4, 2), M2M_RSC_BAD_REQUEST, "a Block or Size1 option is repeated");
		if (msg->opts[i].val == NULL && msg->opts[i].len > 0)
			return M2M_E_INVAL;
		*slot = &msg->opts[i];
	}
	if ((o1 != NULL && o1->len > 3) || (o2 != NULL && o2->len > 3) || (os1 != NULL && os1->len > 4))
		return refuse(act, C(4, 2), M2M_RSC_BAD_REQUEST, "a Block or Size1 option is too long (RFC 7959 clause 2.1)");
	if ((o1 != NULL && m2mi_coap_block_parse(o1->val, o1->len, &b1) != M2M_OK) ||
	    (o2 != NULL && m2mi_coap_block_parse(o2->val, o2->len, &b2) != M2M_OK))
		return refuse(act, C(4, 0), M2M_RSC_BAD_REQUEST, "block size exponent 7 is reserved (RFC 7959 clause 2.2)");
	for (size_t i = 0; os1 != NULL && i < os1->len; i++)
		size1 = size1 << 8 | os1->val[i];
	if (!fingerprint(msg, false, act->fp) || !fingerprint(msg, true, act->fp1))
		return M2M_E_NOMEM;
	m2mi_coap_blocks_expire(st, now);
	if (size1 > st->lim.max_body || msg->payload_len > st->lim.max_body)
		return refuse_size(act);
	if (o2 != NULL) {
		size_t w = M2MI_COAP_BLOCK_BYTES(b2.szx);
		act->want2 = w < st->lim.block_size ? w : st->lim.block_size; /* clause 2.4: honour a smaller one */
		if (b2.num > 0)
			return serve(st, peer, peerlen, &b2, now, act);
	}
	if (o1 != NULL)
		return block1(st, peer, peerlen, msg, &b1, now, act);
	return M2M_OK;
}

/* ---- the response half ----------------------------------------------------------------------- */

static void etag_of(uint8_t code, const uint8_t *payload, size_t len, uint8_t etag[8])
{
	uint8_t d[32] = {0};
	EVP_MD_CTX *c = EVP_MD_CTX_new();

	if (c == NULL || EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1 || EVP_DigestUpdate(c, &code, 1) != 1 ||
	    (len > 0 && EVP_DigestUpdate(c, payload, len) != 1) || EVP_DigestFinal_ex(c, d, NULL) != 1)
		memset(d, 0, sizeof(d)); /* an ETag is a hint for the client; a zero one still slices */
	EVP_MD_CTX_free(c);
	memcpy(etag, d, 8);
}

/* Keep the whole answer for later Block2 requests; false when there is no room. */
static bool keep_answer(m2mi_coap_blocks *st, const uint8_t *peer, size_t peerlen, const m2mi_coap_block_act *act,
			uint8_t code, const m2mi_coap_opt *opts, size_t nopts, const uint8_t *payload, size_t len,
			const uint8_t etag[8], int64_t now)
{
	struct xfer *x = find(st, X_RESP, peer, peerlen, act->fp);
	size_t ob = 0, off = 0;

	if (x != NULL)
		drop(st, x); /* the request ran again: its new answer replaces the old */
	if (nopts > M2MI_COAP_OUT_MAX_OPTS)
		return false;
	for (size_t i = 0; i < nopts; i++)
		ob += opts[i].len;
	if (!make_room(st, peer, peerlen, sizeof(*x) + peerlen + ob + len, true, true, NULL) ||
	    (x = add_xfer(st, X_RESP, peer, peerlen, act->fp, now)) == NULL)
		return false;
	if ((x->buf = malloc(ob + len)) == NULL) {
		drop(st, x);
		return false;
	}
	for (size_t i = 0; i < nopts; i++) {
		x->onum[i] = opts[i].num;
		x->ooff[i] = off;
		x->olen[i] = opts[i].len;
		if (opts[i].len > 0)
			memcpy(x->buf + off, opts[i].val, opts[i].len);
		off += opts[i].len;
	}
	x->nopts = nopts;
	memcpy(x->buf + off, payload, len);
	x->poff = off;
	x->plen = len;
	x->code = code;
	memcpy(x->etag, etag, 8);
	x->bytes += ob + len;
	st->bytes += ob + len;
	return true;
}

m2m_err m2mi_coap_block_response(m2mi_coap_blocks *st, const uint8_t *peer, size_t peerlen,
				 m2mi_coap_block_act *act, uint8_t code, const m2mi_coap_opt *opts, size_t nopts,
				 const uint8_t *payload, size_t payload_len, int64_t now)
{
	m2mi_coap_block_reply *rep;
	m2m_err r = M2M_OK;

	if (st == NULL || act == NULL || (opts == NULL && nopts > 0) || (payload == NULL && payload_len > 0) ||
	    (peer == NULL && peerlen > 0) || act->verdict == M2MI_COAP_BLOCK_REPLY)
		return M2M_E_INVAL;
	rep = &act->rep;
	memset(rep, 0, sizeof(*rep));
	rep->code = code;
	rep->payload = payload;
	rep->payload_len = payload_len;
	for (size_t i = 0; r == M2M_OK && i < nopts; i++)
		r = rep_add(rep, opts[i].num, opts[i].val, opts[i].len);
	if (r == M2M_OK && act->verdict == M2MI_COAP_BLOCK_PASS && payload_len > act->want2) {
		/* RFC 7959 clause 2.4: block 0 now, the rest from the store, never by running it again */
		etag_of(code, payload, payload_len, rep->etag);
		rep->unstored = !keep_answer(st, peer, peerlen, act, code, opts, nopts, payload, payload_len, rep->etag, now);
		rep->payload_len = act->want2;
		r = rep_add(rep, M2MI_COAP_OPT_ETAG, rep->etag, sizeof(rep->etag));
		if (r == M2M_OK)
			r = rep_block(rep, M2MI_COAP_OPT_BLOCK2, 0, true, szx_of(act->want2));
		if (r == M2M_OK)
			r = rep_uint(rep, M2MI_COAP_OPT_SIZE2, clamp32(payload_len));
	}
	if (r == M2M_OK && act->echo1) /* clause 2.3: the final answer names the last block */
		r = rep_block(rep, M2MI_COAP_OPT_BLOCK1, act->block1.num, false, act->block1.szx);
	if (r == M2M_OK && act->verdict == M2MI_COAP_BLOCK_REFUSE && act->size1)
		r = rep_uint(rep, M2MI_COAP_OPT_SIZE1, clamp32(st->lim.max_body));
	rep_sort(rep);
	return r;
}

void m2mi_coap_block_act_clear(m2mi_coap_block_act *act)
{
	if (act == NULL)
		return;
	if (act->whole != NULL) { /* a request body may carry secrets (a PSK in a <credential>...) */
		m2m_memzero(act->whole, act->payload_len);
		free(act->whole);
	}
	memset(act, 0, sizeof(*act));
}
