/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the internal interface of the enrolee library (include/m2msec/enrol.h):
 * the blocking TLS client connection with a total deadline and its minimal HTTP/1.1 exchange
 * (enrolee_conn.c), the EST client of RFC 7030 (enrolee_est.c) and the atomic output files
 * (enrolee_out.c). Hidden symbols (m2mi_), shared by the unit tests.
 */
#ifndef M2M_ENROLEE_INT_H
#define M2M_ENROLEE_INT_H

#include <jansson.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "m2msec/enrol.h"

#define M2MI_ENR_BODY_MAX (256u * 1024u) /* largest response body accepted */
#define M2MI_ENR_HEAD_MAX 8192u

struct m2mi_coapc;

/* One TLS connection to the MEF or the EST server, or one DTLS association carrying CoAP
 * (coap non-NULL: enrolee_dtls.c, the primitives then go over enrolee_coap.c). */
typedef struct m2mi_enr_conn {
	int fd;
	SSL *ssl;
	int64_t deadline_ms; /* CLOCK_MONOTONIC milliseconds */
	char authority[300]; /* "host:port" for the Host header */
	unsigned next_ri;
	struct m2mi_coapc *coap;
} m2mi_enr_conn;

/* One HTTP response (body NUL-terminated, malloc'd). */
typedef struct m2mi_enr_rsp {
	int status;
	int rsc;              /* X-M2M-RSC, 0 when absent */
	char ctype[128];      /* Content-Type, "" when absent */
	char *body;
	size_t blen;
} m2mi_enr_rsp;

int64_t m2mi_enr_now_ms(void);
/* The Ke of an enrolment directory (DIR/ke, owner-only, 32 bytes hex) with its KeID
 * (DIR/keid, checked) as id: the one reader of what `m2msec enrol` wrote (enrolee_km.c). */
m2m_err m2mi_enr_dir_ke(const char *dir, m2m_key **ke);
/* TCP connect to host:port and complete the TLS handshake on a new SSL of ctx before
 * deadline_ms; verify_name (may be NULL) is the SNI and, when the ctx verifies the peer, the
 * name the server certificate must carry (SSL_set1_host). Errors: M2M_E_IO (no connection,
 * timeout), M2M_E_AUTH (handshake refused or the peer not authenticated). */
m2m_err m2mi_enr_connect(SSL_CTX *ctx, void *app, const char *host, const char *port, const char *verify_name,
			 int64_t deadline_ms, m2mi_enr_conn *c);
/* The same over UDP with DTLS 1.2 (ctx from m2mi_enr_dtls_ctx_new; m2mi_enr_connect calls it
 * for such a ctx): the handshake's own retransmission timers run inside the deadline. A
 * handshake the server answered but never finished is M2M_E_AUTH (DTLS drops records it cannot
 * authenticate instead of alerting: a wrong PSK looks so); silence is M2M_E_IO. c->coap is set. */
m2m_err m2mi_enr_dtls_connect(SSL_CTX *ctx, void *app, const char *host, const char *port, const char *verify_name,
			      int64_t deadline_ms, m2mi_enr_conn *c);
/* One primitive over the CoAP association c (method "POST" = CREATE without ty, "GET", "PUT",
 * "DELETE"; path "/a/b" = To "a/b"), the answer as an HTTP-like response (rsc, body = the
 * content as JSON text) for m2mi_enr_json. why (whycap) gets the transport's reason. */
m2m_err m2mi_enr_coap(m2mi_enr_conn *c, const char *method, const char *path, json_t *body, m2mi_enr_rsp *rsp,
		      char *why, size_t whycap);
void m2mi_enr_close(m2mi_enr_conn *c);
/* One request/response on c. extra: NULL-terminated "Name: value" header lines. */
m2m_err m2mi_enr_http(m2mi_enr_conn *c, const char *method, const char *path, const char *const *extra,
		      const char *body, size_t blen, m2mi_enr_rsp *rsp);
void m2mi_enr_rsp_clear(m2mi_enr_rsp *rsp);
/* Parse one complete response head+body from buf (len bytes); *used = bytes consumed, or
 * M2M_E_PROTO / M2M_E_TOO_LARGE; M2M_E_NOT_FOUND = incomplete, read more. */
m2m_err m2mi_enr_parse_response(const char *buf, size_t len, m2mi_enr_rsp *rsp, size_t *used);
/* m2m:timestamp "YYYYMMDDTHHMMSS" (UTC) to Unix seconds; 0 when malformed. */
int64_t m2mi_enr_parse_ts(const char *s);
/* "https://authority/path": authority into auth (":443" added when no port), *path into uri. */
bool m2mi_enr_uri_split(const char *uri, char *auth, size_t acap, const char **path);
/* Split "host:port" / "[v6]:port" (port required). */
m2m_err m2mi_enr_split_hostport(const char *s, char *host, size_t hcap, char *port, size_t pcap);

/* The server a client of this library talks to (the MEF of m2m_enrolee, the MAF of
 * m2m_maf_client): its address, the CA its certificate must chain to, its FQDN (the name the
 * certificate carries and the exporter context), and the PSK (identity "<rel>@<FQDN>", key). */
typedef struct m2mi_enr_server {
	char host[256], port[8];
	bool coaps; /* the address was coaps://: CoAP over DTLS 1.2 (TS-0008), else HTTPS */
	char *ca_file, *fqdn, *psk_id;
	m2m_key *psk;
} m2mi_enr_server;

/* Replace *dst with a copy of v (non-empty, <= 4096 bytes): M2M_E_INVAL / M2M_E_NOMEM. */
m2m_err m2mi_enr_set_str(char **dst, const char *v);
/* "host:port" / "[v6]:port" / "https://host[:port]" (HTTPS, port 443 by default) or
 * "coaps://host[:port]" (CoAP over DTLS, port 5684 by default, RFC 7252 clause 6.2) into
 * s->host, s->port and s->coaps. */
m2m_err m2mi_enr_server_addr(m2mi_enr_server *s, const char *hostport);
/* The FQDN, checked as one (M2M_E_INVAL). */
m2m_err m2mi_enr_server_fqdn(m2mi_enr_server *s, const char *fqdn);
/* Replace the PSK with copies of id (already checked by the caller) and key; all or nothing. */
m2m_err m2mi_enr_server_psk(m2mi_enr_server *s, const char *id, const m2m_key *key);
/* The server's FQDN: configured, else the PSK identity's FQDN part, else the host (only when it
 * is a DNS name if name_only: NULL otherwise). */
const char *m2mi_enr_server_name(const m2mi_enr_server *s, bool name_only);
/* Release what s holds (the PSK zeroized); s stays usable. */
void m2mi_enr_server_clear(m2mi_enr_server *s);

/* TS-0003 clause 10.3.7: the usage-constrained key for an absolute target CSE-ID (its public
 * domain name is the Enrolment-Target-ID), carrying ke's identifier (the KeID). */
typedef struct m2m_kdf m2m_kdf;
m2m_err m2mi_enr_target_key(m2m_kdf *kdf, const m2m_key *ke, int suid, const char *target, m2m_key **out);

/* A TLS client context (TLS 1.2+, SSL_VERIFY_PEER against ca_file): with psk_cb the PSK suites
 * of TS-0003 clause 10.2 (TLS 1.2 only, the SSL's app data is the callback's state), else the
 * certificate suites with cert_file/key_file as the client certificate. Errors: M2M_E_CERT
 * (ca_file, cert_file or key_file unusable), M2M_E_CRYPTO, M2M_E_NOMEM. */
m2m_err m2mi_enr_ctx_new(const char *ca_file, SSL_psk_client_cb_func psk_cb, const char *cert_file,
			 const char *key_file, SSL_CTX **out);
/* The same for DTLS 1.2 (TS-0003 clause 10.2 suites, TLS_PSK_WITH_AES_128_CCM_8 first). */
m2m_err m2mi_enr_dtls_ctx_new(const char *ca_file, SSL_psk_client_cb_func psk_cb, const char *cert_file,
			      const char *key_file, SSL_CTX **out);
/* m2mi_enr_ctx_new or m2mi_enr_dtls_ctx_new for s's scheme. */
m2m_err m2mi_enr_server_ctx(const m2mi_enr_server *s, SSL_psk_client_cb_func psk_cb, const char *cert_file,
			    const char *key_file, SSL_CTX **out);
/* A server's refusal: its RSC and m2m:dbg text (control characters blanked, never a key). */
typedef struct m2mi_enr_why {
	int rsc;
	char reason[256];
} m2mi_enr_why;
/* One oneM2M primitive with a JSON body (NULL: none) on c. An answer whose X-M2M-RSC is not
 * want_rsc is a refusal recorded in why (M2M_E_PROTO). With wrapper and out, *out gets a new
 * reference to the object body[wrapper] (M2M_E_PROTO when absent or no object). */
m2m_err m2mi_enr_json(m2mi_enr_conn *c, const char *method, const char *path, json_t *body, int want_rsc,
		      const char *wrapper, json_t **out, m2mi_enr_why *why);

/* ---- EST (RFC 7030) ------------------------------------------------------------------------ */
/* A new P-256 key pair and a PKCS#10 request signed with it whose subjectAltName is san (a URI
 * "m2m://..." for an AE-ID, else a DNS name: TS-0003 clause 10.1.1.5/10.1.1.7) and whose subject
 * is CN=cn (NULL: empty subject). */
m2m_err m2mi_enr_csr_new(const char *san, const char *cn, EVP_PKEY **key, X509_REQ **req);
/* The SAN of the certificate for an Enrolee-ID (TS-0003 clause 10.1.1): an AE-ID gives the URI
 * m2m://sp/cse/stem (an AE-ID-Stem or SP-relative AE-ID is completed with the SP and registrar
 * CSE of registrar, the first absolute target CSE-ID), a CSE-ID the DNS name cse.sp. */
m2m_err m2mi_enr_subject_san(const char *enrolee_id, const char *registrar, char *out, size_t cap);
/* The CSR SAN "NODE:<node_id>" for a Node subject (TS-0003 clause 10.1.1.8); false when node_id
 * is no valid Node-ID (empty, too long, space/control characters, '*') or out is too small. */
bool m2mi_enr_node_san(const char *node_id, char *out, size_t cap);
/* RFC 7030 clause 4.1.3 / 4.3.2: a base64 (white space allowed) DER PKCS#7 certs-only body to a
 * stack of certificates (at least one). */
m2m_err m2mi_enr_parse_certs_only(const char *b64, size_t len, STACK_OF(X509) **out);
/* The EST exchange of RFC 7030 on c under base_path ("/.well-known/est"): GET cacerts, GET
 * csrattrs, POST simpleenroll (or simplereenroll) with a CSR for san made with a key generated
 * here; the issued certificate (PEM, leaf first) and the key (PKCS#8 PEM) are returned.
 * Errors: M2M_E_PROTO (the server refused or answered nonsense), M2M_E_IO, M2M_E_CERT (the
 * answer holds no certificate for our key), M2M_E_CRYPTO. why (whycap bytes) gets the failed
 * step, the HTTP status and the first line of the server's text (never a key). */
m2m_err m2mi_enr_est_run(m2mi_enr_conn *c, const char *base_path, const char *san, bool reenrol,
			 char **cert_pem, char **key_pem, char *why, size_t whycap);
/* The device key of the EST certificate (PEM), for m2m_enrolee_write. */
const char *m2mi_enr_cert_key_pem(const m2m_enrolee *e);
/* Base64 of the DER CSR, lines of 64 characters (RFC 7030 clause 4.2.1). */
m2m_err m2mi_enr_csr_b64(X509_REQ *req, char **out, size_t *outlen);

/* ---- the connection of an m2m_enrolee (enrolee.c), for procedures beside the enrolment ----- */
/* Check e's settings (M2M_E_CONFIG), clear its results and open the (D)TLS association with the
 * MEF as m2m_enrolee_run does; *ctx and c are the caller's to close (m2mi_enr_close,
 * SSL_CTX_free) on M2M_OK, and nothing is left open otherwise. */
m2m_err m2mi_enr_open(m2m_enrolee *e, SSL_CTX **ctx, m2mi_enr_conn *c);
/* Record a refusal (RSC and text, never a key) for m2m_enrolee_rsc / m2m_enrolee_reason. */
void m2mi_enr_refusal(m2m_enrolee *e, int rsc, const char *reason);
/* The MEF-FQDN e talks to (configured, else the PSK identity's FQDN part, else the host). */
const char *m2mi_enr_mef_fqdn(const m2m_enrolee *e);

/* ---- output files -------------------------------------------------------------------------- */
/* Write data to dir/name atomically (temp file in dir, fsync, rename) with mode. */
m2m_err m2mi_enr_write_file(const char *dir, const char *name, const char *data, size_t len, mode_t mode);
/* The two halves of m2mi_enr_write_file, for a set of files that must appear together: stage
 * writes, syncs and closes a temporary file in dir (its path into tmp), commit renames it to
 * dir/name (and removes it on failure). An unused staged file is unlink(tmp)'d by the caller. */
m2m_err m2mi_enr_stage_file(const char *dir, const char *name, const char *data, size_t len, mode_t mode,
			    char *tmp, size_t tmpcap);
m2m_err m2mi_enr_commit_file(const char *tmp, const char *dir, const char *name);
/* dir is our own directory that nobody else may write (M2M_E_KEY_PERMS), or is created 0700. */
m2m_err m2mi_enr_ensure_dir(const char *dir);

#endif
