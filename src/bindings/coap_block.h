/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the interface of bindings/coap_block.c: block-wise transfer of RFC 7959
 * for the CoAP server (TS-0008 V3.9.0 clauses 5.2.3 and 6.5, docs/coap-dtls.md): the Block1,
 * Block2, Size1 and Size2 option codec, the per-peer reassembly of request bodies (Block1) and
 * the per-peer store of large responses served block by block (Block2). Pure: no sockets, no
 * clock (the caller passes the time), so the unit tests and the fuzzer drive it with sequences
 * of messages exactly as the server does.
 *
 * A transfer is found by (peer, request fingerprint): the peer is an opaque key chosen by the
 * transport (the authenticated identity of a DTLS association, the address and port of a plain
 * CoAP client), the fingerprint a SHA-256 of the method and every option of the request except
 * Block1, Block2, Size1 and Size2 (RFC 7959 clauses 2.4, 2.5: the token may change from block to
 * block; any other changed option is another request; for the answer's blocks also without
 * Request-Tag and ETag). So two peers never share a transfer, and
 * a block whose options changed finds nothing (4.08).
 */
#ifndef M2M_BINDINGS_COAP_BLOCK_H
#define M2M_BINDINGS_COAP_BLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bindings/coap_map.h"
#include "m2msec/sa.h"

struct sockaddr;

/* A Block1/Block2 value (RFC 7959 clause 2.2): block number, more flag, size exponent. */
typedef struct m2mi_coap_blockopt {
	uint32_t num;  /* 0 .. 2^20 - 1 */
	bool more;
	uint8_t szx;   /* 0..6: the block size is 16 << szx (7 is reserved) */
} m2mi_coap_blockopt;

#define M2MI_COAP_BLOCK_BYTES(szx) ((size_t)16 << (szx))

/* Parse a Block option value (0-3 bytes, a uint). M2M_E_PROTO: over 3 bytes or SZX 7. */
M2M_WUR m2m_err m2mi_coap_block_parse(const uint8_t *val, size_t len, m2mi_coap_blockopt *b);
/* Write b in the fewest bytes (RFC 7252 clause 3.2) into out; returns the length (0..3), or
 * (size_t)-1 when num or szx is out of range. */
size_t m2mi_coap_block_write(const m2mi_coap_blockopt *b, uint8_t out[3]);
/* Write a uint option value (Size1, Size2) in the fewest bytes; returns the length (0..4). */
size_t m2mi_coap_uint_write(uint32_t v, uint8_t out[4]);

/* Bounds of the store; 0 selects the default in brackets. */
typedef struct m2mi_coap_block_limits {
	size_t block_size;  /* Block2 size when the client asks none or a larger one, 16..1024 [1024] */
	size_t max_body;    /* a reassembled request body, over it 4.13 [M2MI_COAP_DEFAULT_MAX_PAYLOAD] */
	size_t peer_xfers;  /* transfers (reassemblies + responses) of one peer [8] */
	size_t total_xfers; /* transfers of all peers [1024] */
	size_t peer_bytes;  /* bytes held for one peer [4 MiB, at least max_body + 64 KiB] */
	size_t total_bytes; /* bytes held for all peers [64 MiB, at least peer_bytes] */
	int64_t lifetime_s; /* an idle transfer is dropped after [120] s */
} m2mi_coap_block_limits;

#define M2MI_COAP_BLOCK_PEER_MAX 600 /* longest peer key */
#define M2MI_COAP_BLOCK_MAX_OPTS (M2MI_COAP_OUT_MAX_OPTS + 6)

typedef struct m2mi_coap_blocks m2mi_coap_blocks;

/* The peer key of a DTLS association: its authenticated identity (Credential-ID and bound ID),
 * so two identities never share a transfer and a client may continue in a new session of the same
 * identity; an association without a name (not made by the PSK chain) falls back to session, an
 * opaque per-session pointer. out holds M2MI_COAP_BLOCK_PEER_MAX bytes; returns the length. */
size_t m2mi_coap_block_peer_sa(const m2m_sa *sa, const void *session, uint8_t *out);
/* The peer key of a plain CoAP client: its address and port (AF_INET / AF_INET6). */
size_t m2mi_coap_block_peer_addr(const struct sockaddr *from, uint8_t *out);

M2M_WUR m2m_err m2mi_coap_blocks_new(const m2mi_coap_block_limits *lim, m2mi_coap_blocks **out);
void m2mi_coap_blocks_free(m2mi_coap_blocks *st);
/* Drop every transfer idle for longer than the lifetime. */
void m2mi_coap_blocks_expire(m2mi_coap_blocks *st, int64_t now);
/* Transfers held (and their bytes through *bytes when not NULL), all peers. */
size_t m2mi_coap_blocks_count(const m2mi_coap_blocks *st, size_t *bytes);
/* The effective limits (defaults filled in). */
void m2mi_coap_blocks_limits(const m2mi_coap_blocks *st, m2mi_coap_block_limits *lim);

/* A message ready for the transport to encode with its type, message ID and token. Option values
 * point into the reply itself, into the store (valid until the next call on it) or into the
 * caller's response; options are in ascending order. */
typedef struct m2mi_coap_block_reply {
	uint8_t code;
	m2mi_coap_opt opts[M2MI_COAP_BLOCK_MAX_OPTS];
	size_t nopts;
	const uint8_t *payload;
	size_t payload_len;
	uint8_t num[4][4]; /* storage of Block / Size values */
	size_t nnum;
	uint8_t etag[8];
	bool unstored;     /* a large response could not be kept: later blocks will be 4.08 */
} m2mi_coap_block_reply;

enum m2mi_coap_block_verdict {
	M2MI_COAP_BLOCK_PASS = 0, /* map and handle the request with act->payload as its payload */
	M2MI_COAP_BLOCK_REPLY,    /* send act->rep (2.31 Continue, a stored block); nothing reaches the CSE */
	M2MI_COAP_BLOCK_REFUSE,   /* answer act->rsc / act->code / act->why; nothing reaches the CSE */
};

/* What the request half decided, handed to the response half. */
typedef struct m2mi_coap_block_act {
	int verdict;
	const uint8_t *payload; /* PASS: the whole body (the message's, or act->whole) */
	size_t payload_len;
	uint8_t *whole;         /* a reassembled body (owned; m2mi_coap_block_act_clear frees it) */
	uint8_t code;           /* REFUSE: the CoAP code */
	int rsc;                /* REFUSE: the oneM2M RSC */
	const char *why;        /* REFUSE: a static reason for m2m:dbg */
	unsigned retry_after;   /* REFUSE 5.03: Max-Age */
	bool size1;             /* REFUSE 4.13: answer Size1 = max_body (RFC 7959 clause 4) */
	bool echo1;             /* PASS after Block1: the answer carries block1 (RFC 7959 clause 2.3) */
	m2mi_coap_blockopt block1;
	size_t want2;           /* PASS: the Block2 size of the answer */
	uint8_t fp[32];         /* the request's fingerprint for its answer (Block2) */
	uint8_t fp1[32];        /* ... for its body (Block1: with Request-Tag, RFC 9175) */
	m2mi_coap_block_reply rep; /* REPLY */
} m2mi_coap_block_act;

/*
 * The request half (RFC 7959 clauses 2.3-2.5, 4): Block1 blocks are collected per peer (2.31
 * Continue for each with more to come; the last one PASSes the whole body, once), a Block2
 * request for a block after the first is served from the stored response (REPLY), anything else
 * PASSes. REFUSE: a repeated or malformed Block option (4.02 / 4.00), a Block1 block out of order,
 * of an unknown transfer, or whose options changed (4.08), a body over max_body by Size1 or by
 * its blocks (4.13 with Size1), no room in any store (5.03), a later Block2 of a response not held
 * (4.08) or past its end (4.02). Errors: M2M_E_INVAL, M2M_E_NOMEM (nothing changed).
 */
M2M_WUR m2m_err m2mi_coap_block_request(m2mi_coap_blocks *st, const uint8_t *peer, size_t peerlen,
					const m2mi_coap_msg *msg, int64_t now, m2mi_coap_block_act *act);

/*
 * The response half: the mapped answer (code, ascending options, payload) becomes act->rep. After
 * a PASS whose payload exceeds act->want2 the whole answer is kept for the peer (replacing one of
 * the same request) and block 0 goes out with Block2, ETag (a digest of code and payload) and
 * Size2 (RFC 7959 clause 4); otherwise it goes out as it is. A Block1 echo or Size1 is added when
 * act asks for one. Never fails for want of room (rep->unstored tells). Errors: M2M_E_INVAL,
 * M2M_E_RANGE (too many options).
 */
M2M_WUR m2m_err m2mi_coap_block_response(m2mi_coap_blocks *st, const uint8_t *peer, size_t peerlen,
					 m2mi_coap_block_act *act, uint8_t code, const m2mi_coap_opt *opts,
					 size_t nopts, const uint8_t *payload, size_t payload_len, int64_t now);

/* Free act->whole and zero act. */
void m2mi_coap_block_act_clear(m2mi_coap_block_act *act);

#endif
