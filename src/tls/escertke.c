/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements End-to-End Certificate-based Key Establishment (ESCertKE, TS-0003 clause
 * 8.7.2.2, Table 8.7.2.2-1): each end-point is an OpenSSL TLS 1.2 state machine over a pair of
 * memory BIOs, and an ESCertKE message is exactly the octets one side writes between two reads
 * (ClientHello; ServerHello..ServerHelloDone; Certificate..Finished; ChangeCipherSpec+Finished).
 * The policy is the CSE's one (tls_ctx.c): the certificate (ECDHE_ECDSA) suites of its cipher
 * table (clause 10.2.3), its groups and signature algorithms, no renegotiation, compression,
 * tickets or resumption (so message 4 is exactly CCS + Finished). Peer certificates are checked
 * like the CSE's TLS clients (peer.c: path validation, clause 10.1.1 profile, SAN -> identity)
 * and their identity must equal the expected peer (clause 8.7.2.2 B; TS-0001 clause 11.4.3 C.1a).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "m2msec/escertke.h"
#include "m2msec/exporter.h"
#include "m2msec/mem.h"
#include "m2msec/originator.h"
#include "tls/tls_int.h"

#define ECK_VERIFY_DEPTH 4
#define ECK_CERT_LIST_MAX (32 * 1024)
#define ECK_SID_CTX "m2msec-escertke"

struct m2m_escertke_ctx {
	SSL_CTX *ctx;
	bool initiator;
	char sp_id[M2M_ORIG_MAX];
	char cse_id[M2M_ORIG_MAX];
	char sp_fqdn[256];
	m2m_origin_ctx octx;
};

enum { ECK_FRESH = 0, ECK_ONE, ECK_TWO, ECK_DONE, ECK_DEAD };

struct m2m_escertke {
	m2m_escertke_ctx *ctx;
	SSL *ssl;
	BIO *rbio, *wbio; /* owned by ssl */
	int state;
	m2m_err why;      /* the verification failure, M2M_OK = none seen */
	char expect[M2M_ORIG_MAX]; /* the peer's absolute identity */
	char peer[M2M_ORIG_MAX];   /* its authenticated identity once verified */
};

static m2m_err absolute_of(const m2m_escertke_ctx *c, const char *id, char *out, size_t cap)
{
	m2m_origin_forms f;
	m2m_err r;

	if ((r = m2m_originator_forms(&c->octx, id, &f)) != M2M_OK)
		return r;
	return m2mi_tls_copy(out, cap, f.absolute);
}

/* Path validation, then the clause 10.1.1 profile and SAN mapping of peer.c, then the identity. */
static int eck_verify_cb(X509_STORE_CTX *xs, void *arg)
{
	SSL *ssl = X509_STORE_CTX_get_ex_data(xs, SSL_get_ex_data_X509_STORE_CTX_idx());
	m2m_escertke *e = ssl != NULL ? SSL_get_app_data(ssl) : NULL;
	m2m_escertke_ctx *c = arg;
	char abs[M2M_ORIG_MAX];
	m2m_sa sa;
	m2m_err r;

	if (e == NULL)
		return 0;
	if (X509_verify_cert(xs) != 1) {
		e->why = M2M_E_CERT_UNTRUSTED;
		return 0;
	}
	if ((r = m2mi_peer_binding(X509_STORE_CTX_get0_cert(xs), c->sp_fqdn, &sa)) != M2M_OK) {
		e->why = r == M2M_E_CERT_NAME ? r : M2M_E_CERT;
		goto refuse;
	}
	/* a Node-ID certificate names no AE or CSE: nothing to bind the key to */
	if (sa.bound_id[0] == '\0' || absolute_of(c, sa.bound_id, abs, sizeof(abs)) != M2M_OK) {
		e->why = M2M_E_CERT_NAME;
		goto refuse;
	}
	if (strcmp(abs, e->expect) != 0) { /* public: identifiers */
		e->why = M2M_E_AUTH;
		goto refuse;
	}
	memcpy(e->peer, abs, sizeof(e->peer));
	return 1;
refuse:
	X509_STORE_CTX_set_error(xs, X509_V_ERR_APPLICATION_VERIFICATION);
	return 0;
}

/* The certificate suites of THE cipher table (tls_ctx.c), TLS 1.2 only, and its options. */
static m2m_err apply_policy(SSL_CTX *ctx)
{
	const char *ossl, *iana;
	char list[512];
	size_t n = 0;

	for (size_t i = 0; m2mi_tls_policy_suite(i, &ossl, &iana); i++) {
		int w;

		if (strncmp(ossl, "ECDHE-ECDSA-", 12) != 0)
			continue; /* PSK suites: not a certificate-based framework (clause 10.2.3) */
		w = snprintf(list + n, sizeof(list) - n, "%s%s", n > 0 ? ":" : "", ossl);
		if (w < 0 || (size_t)w >= sizeof(list) - n)
			return M2M_E_INTERNAL;
		n += (size_t)w;
	}
	if (n == 0 || SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
	    SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION) != 1 || SSL_CTX_set_cipher_list(ctx, list) != 1 ||
	    SSL_CTX_set1_groups_list(ctx, M2MI_TLS_GROUPS) != 1 ||
	    SSL_CTX_set1_sigalgs_list(ctx, M2MI_TLS_CERT_SIGALGS) != 1 ||
	    SSL_CTX_set1_client_sigalgs_list(ctx, M2MI_TLS_CERT_SIGALGS) != 1 ||
	    SSL_CTX_set_session_id_context(ctx, (const unsigned char *)ECK_SID_CTX, sizeof(ECK_SID_CTX) - 1) != 1)
		return M2M_E_CRYPTO;
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION | SSL_OP_NO_TICKET |
					 SSL_OP_CIPHER_SERVER_PREFERENCE);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_max_cert_list(ctx, ECK_CERT_LIST_MAX);
	return M2M_OK;
}

/* The credentials through the TLS layer's one loader (tls_ctx.c), then the initiators' anchors. */
static m2m_err load_creds(m2m_escertke_ctx *c, const m2m_escertke_config *cfg, char *errmsg, size_t errcap)
{
	m2m_err r = m2mi_tls_load_cert_key(c->ctx, cfg->cert_file, cfg->key_file, false, errmsg, errcap);

	if (r != M2M_OK)
		return r == M2M_E_KEY_PERMS ? r : M2M_E_CERT;
	if (SSL_CTX_load_verify_file(c->ctx, cfg->trust_anchors) != 1) {
		snprintf(errmsg, errcap, "trust anchors: no PEM certificate could be loaded");
		return M2M_E_CERT;
	}
	return M2M_OK;
}

static m2m_err set_ids(m2m_escertke_ctx *c, const m2m_escertke_config *cfg, char *errmsg, size_t errcap)
{
	const char *sp = cfg->sp_id;

	if (sp == NULL || sp[0] != '/' || sp[1] != '/' || cfg->cse_id == NULL || cfg->cse_id[0] != '/' ||
	    m2mi_tls_copy(c->sp_id, sizeof(c->sp_id), sp) != M2M_OK ||
	    m2mi_tls_copy(c->cse_id, sizeof(c->cse_id), cfg->cse_id) != M2M_OK ||
	    m2mi_tls_copy(c->sp_fqdn, sizeof(c->sp_fqdn), sp + 2) != M2M_OK) {
		snprintf(errmsg, errcap, "sp-id / cse-id: not \"//fqdn\" / \"/cse\"");
		return M2M_E_CONFIG;
	}
	c->octx.sp_id = c->sp_id;
	c->octx.cse_id = c->cse_id;
	return M2M_OK;
}

m2m_err m2m_escertke_ctx_new(const m2m_escertke_config *cfg, bool initiator, m2m_escertke_ctx **out,
			     char *errmsg, size_t errcap)
{
	char scratch[8];
	m2m_escertke_ctx *c = NULL;
	m2m_err r;

	if (errmsg == NULL || errcap == 0) {
		errmsg = scratch;
		errcap = sizeof(scratch);
	}
	errmsg[0] = '\0';
	if (out == NULL)
		return M2M_E_INVAL;
	*out = NULL;
	if (cfg == NULL || cfg->cert_file == NULL || cfg->key_file == NULL || cfg->trust_anchors == NULL)
		return M2M_E_INVAL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return M2M_E_NOMEM;
	c->initiator = initiator;
	if ((r = set_ids(c, cfg, errmsg, errcap)) != M2M_OK)
		goto out;
	r = M2M_E_CRYPTO;
	if ((c->ctx = SSL_CTX_new(initiator ? TLS_client_method() : TLS_server_method())) == NULL)
		goto out;
	if ((r = apply_policy(c->ctx)) != M2M_OK || (r = load_creds(c, cfg, errmsg, errcap)) != M2M_OK)
		goto out;
	/* mutual authentication (clause 8.7.2.2 A/B): each side verifies the other */
	SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	SSL_CTX_set_verify_depth(c->ctx, ECK_VERIFY_DEPTH);
	SSL_CTX_set_cert_verify_callback(c->ctx, eck_verify_cb, c);
	*out = c;
	c = NULL;
out:
	m2m_escertke_ctx_free(c);
	ERR_clear_error();
	return r;
}

void m2m_escertke_ctx_free(m2m_escertke_ctx *ctx)
{
	if (ctx == NULL)
		return;
	SSL_CTX_free(ctx->ctx);
	free(ctx);
}

m2m_err m2m_escertke_new(m2m_escertke_ctx *ctx, const char *peer_id, m2m_escertke **out)
{
	m2m_escertke *e;
	m2m_err r;

	if (out == NULL)
		return M2M_E_INVAL;
	*out = NULL;
	if (ctx == NULL || peer_id == NULL)
		return M2M_E_INVAL;
	if ((e = calloc(1, sizeof(*e))) == NULL)
		return M2M_E_NOMEM;
	e->ctx = ctx;
	if ((r = absolute_of(ctx, peer_id, e->expect, sizeof(e->expect))) != M2M_OK)
		goto fail;
	r = M2M_E_CRYPTO;
	if ((e->ssl = SSL_new(ctx->ctx)) == NULL || (e->rbio = BIO_new(BIO_s_mem())) == NULL)
		goto fail;
	if ((e->wbio = BIO_new(BIO_s_mem())) == NULL) {
		BIO_free(e->rbio);
		goto fail;
	}
	SSL_set_bio(e->ssl, e->rbio, e->wbio);
	SSL_set_app_data(e->ssl, e);
	if (ctx->initiator)
		SSL_set_connect_state(e->ssl);
	else
		SSL_set_accept_state(e->ssl);
	*out = e;
	return M2M_OK;
fail:
	m2m_escertke_free(e);
	ERR_clear_error();
	return r;
}

void m2m_escertke_free(m2m_escertke *e)
{
	if (e == NULL)
		return;
	SSL_free(e->ssl); /* frees both BIOs */
	m2m_freezero(e, sizeof(*e));
}

/* What the handshake wrote since the last step: the next ESCertKE message. */
static m2m_err drain(m2m_escertke *e, uint8_t **out, size_t *out_len)
{
	size_t n = BIO_ctrl_pending(e->wbio);

	if (n == 0)
		return M2M_E_PROTO;
	if (n > M2M_ESCERTKE_MSG_MAX)
		return M2M_E_TOO_LARGE;
	if ((*out = malloc(n)) == NULL)
		return M2M_E_NOMEM;
	if (BIO_read(e->wbio, *out, (int)n) != (int)n) {
		free(*out);
		*out = NULL;
		return M2M_E_CRYPTO;
	}
	*out_len = n;
	return M2M_OK;
}

m2m_err m2m_escertke_step(m2m_escertke *e, const uint8_t *in, size_t in_len, uint8_t **out, size_t *out_len)
{
	bool ini, last;
	m2m_err r = M2M_E_PROTO;
	int rc;

	if (out == NULL || out_len == NULL)
		return M2M_E_INVAL;
	*out = NULL;
	*out_len = 0;
	if (e == NULL)
		return M2M_E_INVAL;
	ini = e->ctx->initiator;
	/* the order of Table 8.7.2.2-1: only the initiator starts without input */
	if (e->state >= ECK_DONE || (in == NULL) != (ini && e->state == ECK_FRESH))
		goto dead;
	if (in != NULL) {
		if (in_len > M2M_ESCERTKE_MSG_MAX) {
			r = M2M_E_TOO_LARGE;
			goto dead;
		}
		if (in_len == 0 || BIO_write(e->rbio, in, (int)in_len) != (int)in_len)
			goto dead;
	}
	/* the step that must complete the handshake: message 4 (initiator), message 3 (terminator) */
	last = ini ? e->state == ECK_TWO : e->state == ECK_ONE;
	rc = SSL_do_handshake(e->ssl);
	if (rc == 1) {
		/* complete, authenticated, TLS 1.2, and nothing left over */
		if (!last || e->peer[0] == '\0' || SSL_version(e->ssl) != TLS1_2_VERSION ||
		    BIO_ctrl_pending(e->rbio) != 0 || SSL_pending(e->ssl) != 0)
			goto dead;
		if (!ini && (r = drain(e, out, out_len)) != M2M_OK)
			goto dead;
		if (ini && BIO_ctrl_pending(e->wbio) != 0)
			goto dead; /* the initiator has nothing more to say */
		e->state = ECK_DONE;
		return M2M_OK;
	}
	if (SSL_get_error(e->ssl, rc) != SSL_ERROR_WANT_READ || last) {
		/* a refused certificate says why; anything else is a malformed or truncated flight */
		r = e->why != M2M_OK ? e->why : M2M_E_PROTO;
		goto dead;
	}
	/* wants more: it must have consumed the whole message (nothing trailing) and answered with
	 * its whole next flight (else the input was cut). Trailing whole records that OpenSSL has
	 * already taken as the start of the next flight are not visible here; they make the next
	 * message unparsable, so that step fails instead. */
	if (BIO_ctrl_pending(e->rbio) != 0 || SSL_has_pending(e->ssl) || (r = drain(e, out, out_len)) != M2M_OK) {
		r = r != M2M_OK ? r : M2M_E_PROTO;
		goto dead;
	}
	e->state++;
	ERR_clear_error();
	return M2M_OK;
dead:
	e->state = ECK_DEAD;
	ERR_clear_error();
	return r;
}

bool m2m_escertke_done(const m2m_escertke *e)
{
	return e != NULL && e->state == ECK_DONE;
}

const char *m2m_escertke_peer(const m2m_escertke *e)
{
	return e != NULL && e->state == ECK_DONE ? e->peer : "";
}

m2m_err m2m_escertke_export(m2m_escertke *e, const char *fqdn, m2m_key **key, char *key_id, size_t cap)
{
	if (key == NULL)
		return M2M_E_INVAL;
	*key = NULL;
	if (e == NULL || fqdn == NULL)
		return M2M_E_INVAL;
	if (e->state != ECK_DONE)
		return M2M_E_PROTO;
	/* TS-0003 clause 10.3.1: label "EXPORTER-oneM2M-ESCertKE", 48 bytes, 32 LSB key, 16 MSB id */
	return m2m_tls_export_key(e->ssl, M2M_EXPORTER_ESCERTKE, fqdn, key, key_id, cap);
}
