/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the client of bench/mef, the M2M Enrolment Function benchmark (TS-0003
 * clause 8.3.2.1 MEF Handshake with a pre-provisioned Kpm, clause 10.3.1 Enrolment Key Generation,
 * clause 8.3.5.2.3 MEF Client Registration; the Mmef mapping of docs/procedures/mef.md). Modes:
 *   gen     prints the import CSV of --count enrolees (kpm_id,kpm,enrolee_id,targets) whose Kpm is
 *           HMAC-SHA-256(--seed, KpmID), so that the client derives the same keys without a file;
 *   enrol   --conns threads, each a loop of COMPLETE enrolments: a new TCP connection, a full
 *           TLS 1.2 PSK handshake with psk_identity = KpmID of the next enrolee (round robin) and
 *           psk = its Kpm, the RFC 5705 export "EXPORTER-oneM2M-Bootstrap" (48 bytes), a MEF
 *           Client Registration (POST /mefClientReg) whose 2001 answer must carry the KeID the
 *           client computed (hexBinary(RelativeKeID)@MEF-FQDN), close. --once enrols each
 *           enrolee exactly once and writes the KeIDs (one a line) to --keid-out; --no-register
 *           stops after the handshake and the export (the MEF's bare handshake, informative);
 *   get     --conns threads, each ONE persistent connection sending keep-alive GETs back to back
 *           over the paths of --paths-file (round robin), 200 expected: with --cert/--key/--ca a
 *           mutually authenticated association (an Enrolment Target's fetchCredentials), with
 *           --psk-identity/--psk a TLS-PSK one (RETRIEVE on the CSE, the baseline).
 *   mafkey  (bench/maf, the M2M Authentication Function, TS-0003 clause 8.8, docs/procedures/maf.md)
 *           the same loop as enrol against a MAF: KmID i = PREFIX<i>@FQDN with Km = HMAC-SHA-256(seed,
 *           KmID) (`gen --km` prints them for `m2msec maf client add`), the export
 *           "EXPORTER-oneM2M-Connection" (KcID = 16 MSB, Kc = 32 LSB, clause 10.3.1) and a MAF Key
 *           Registration (POST /mafKeyReg, SUID 32, targetIDs [--target], clause 8.8.2.7) whose 2001
 *           answer must carry relKeyID = hexBinary(KcID); registration k uses client k % count.
 *           --client-reg sends MAF Client Registration (POST /mafClientReg, clause 8.8.2.3) instead;
 *           --once --total N registers N keys and writes "<Key Identifier> <hex Kc[0..15]>" lines
 *           (the TLS-PSK identity and key of the key-split rule, clause 8.3.5.1) to --keid-out.
 * Prints one line of key=value figures. Keys are never printed (except into --keid-out, 0600).
 */
#define _GNU_SOURCE /* memmem */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/ssl.h>

#include "m2msec/hex.h"
#include "m2msec/mem.h"

#include "bench_common.h"

#define PROG "bench_mef"
#define RBUF 16384
#define MAX_PATHS 100000
#define EXPORT_LABEL "EXPORTER-oneM2M-Bootstrap"
#define MAF_EXPORT_LABEL "EXPORTER-oneM2M-Connection"

static struct {
	const char *mode, *host, *fqdn, *prefix, *target, *cipher, *servername, *origin;
	const char *cert, *key, *ca, *identity, *keid_out, *paths_file, *target_fqdn;
	int port, conns, count;
	long total; /* --once: registrations to make (default count) */
	bool once, no_register, km_format, client_reg;
	double seconds;
	uint8_t seed[32], psk[64];
	size_t seed_len, psk_len;
} o = {.host = "127.0.0.1", .prefix = "dev", .target = "/id-in", .cipher = "PSK-AES128-CBC-SHA256", .conns = 1,
       .count = 1000, .seconds = 2.0};

static char **paths;
static int npaths;
static char **keids; /* --once: the KeID of enrolee i (and its target key with --target-fqdn); mafkey: Kc k */
static atomic_long next_idx;
static atomic_int error_shown;
static double deadline;

static void fail_once(const char *what, const char *detail)
{
	unsigned long e = ERR_get_error();
	char buf[256] = "";

	if (atomic_exchange(&error_shown, 1) != 0)
		return;
	if (e != 0)
		ERR_error_string_n(e, buf, sizeof(buf));
	fprintf(stderr, PROG ": %s%s%s%s%.*s\n", what, buf[0] ? ": " : "", buf, detail ? "\n----\n" : "",
		detail ? 600 : 0, detail ? detail : "");
}

/* ---- per-enrolee identities and keys ----------------------------------------------------------- */

static void kpm_id(int i, char *out, size_t cap)
{
	snprintf(out, cap, "%s%d@%s", o.prefix, i, o.fqdn);
}

static void kpm_of(const char *id, uint8_t kpm[32])
{
	unsigned int n = 32;

	HMAC(EVP_sha256(), o.seed, (int)o.seed_len, (const unsigned char *)id, strlen(id), kpm, &n);
}

static int mode_gen(void)
{
	char id[256], hex[65];
	uint8_t kpm[32];

	if (!o.km_format)
		printf("kpm_id,kpm,enrolee_id,targets\n");
	for (int i = 0; i < o.count; i++) {
		kpm_id(i, id, sizeof(id));
		kpm_of(id, kpm);
		for (int k = 0; k < 32; k++)
			snprintf(hex + 2 * k, 3, "%02x", kpm[k]);
		if (o.km_format) /* KmID Km AE-ID: one `m2msec maf client add` each */
			printf("%s %s C%s%d\n", id, hex, o.prefix, i);
		else
			printf("%s,%s,C%s%d,%s\n", id, hex, o.prefix, i, o.target);
	}
	m2m_memzero(kpm, sizeof(kpm));
	m2m_memzero(hex, sizeof(hex));
	return fflush(stdout) == 0 ? 0 : 1;
}

/* ---- TLS plumbing ------------------------------------------------------------------------------ */

struct conn {
	SSL *ssl;
	int idx;
	char id[256];
	size_t blen;
	char buf[RBUF];
};

static unsigned int psk_cb(SSL *ssl, const char *hint, char *identity, unsigned int max_id, unsigned char *psk,
			   unsigned int max_psk)
{
	struct conn *c = SSL_get_app_data(ssl);
	size_t n = strlen(c->id);

	(void)hint;
	if (n + 1 > max_id || max_psk < 32)
		return 0;
	memcpy(identity, c->id, n + 1);
	if (strcmp(o.mode, "get") == 0) {
		if (o.psk_len > max_psk)
			return 0;
		memcpy(psk, o.psk, o.psk_len);
		return (unsigned int)o.psk_len;
	}
	kpm_of(c->id, psk);
	return 32;
}

static SSL_CTX *make_ctx(void)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	bool certs = o.cert != NULL;

	if (ctx == NULL || SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
	    (!certs && (SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION) != 1 ||
			SSL_CTX_set_cipher_list(ctx, o.cipher) != 1))) {
		fail_once("cannot set up the TLS client context", NULL);
		exit(1);
	}
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION);
	if (certs) {
		if (SSL_CTX_use_certificate_chain_file(ctx, o.cert) != 1 ||
		    SSL_CTX_use_PrivateKey_file(ctx, o.key, SSL_FILETYPE_PEM) != 1 ||
		    SSL_CTX_load_verify_locations(ctx, o.ca, NULL) != 1) {
			fail_once("cannot load --cert / --key / --ca", NULL);
			exit(1);
		}
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	} else {
		SSL_CTX_set_psk_client_callback(ctx, psk_cb);
	}
	return ctx;
}

static int tcp_connect(void)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)o.port)};
	int one = 1, fd;

	if (inet_pton(AF_INET, o.host, &sa.sin_addr) != 1)
		return -1;
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int tls_open(SSL_CTX *ctx, struct conn *c)
{
	int fd = tcp_connect();

	c->ssl = NULL;
	if (fd < 0) {
		fail_once("connect failed", strerror(errno));
		return -1;
	}
	if ((c->ssl = SSL_new(ctx)) == NULL || SSL_set_fd(c->ssl, fd) != 1 || SSL_set_app_data(c->ssl, c) != 1 ||
	    (o.servername != NULL && SSL_set_tlsext_host_name(c->ssl, o.servername) != 1) ||
	    (o.cert != NULL && o.servername != NULL && SSL_set1_host(c->ssl, o.servername) != 1) ||
	    SSL_connect(c->ssl) != 1) {
		fail_once("TLS handshake failed", NULL);
		SSL_free(c->ssl);
		c->ssl = NULL;
		close(fd);
		return -1;
	}
	return 0;
}

static void tls_close(struct conn *c)
{
	int fd;

	if (c->ssl == NULL)
		return;
	fd = SSL_get_fd(c->ssl);
	(void)SSL_shutdown(c->ssl);
	SSL_free(c->ssl);
	close(fd);
	c->ssl = NULL;
}

/* Reads one Content-Length framed response into c->buf. 1: complete (*status, *body, *blen), 0: bad. */
static int read_response(struct conn *c, int *status, const char **body, size_t *body_len, bool *conn_close)
{
	char *eoh = NULL;
	long clen = -1;
	size_t hlen = 0;

	c->blen = 0;
	*conn_close = false;
	for (;;) {
		if (eoh == NULL && (eoh = memmem(c->buf, c->blen, "\r\n\r\n", 4)) != NULL) {
			hlen = (size_t)(eoh - c->buf) + 4;
			if (sscanf(c->buf, "HTTP/1.%*1[01] %3d", status) != 1)
				return 0;
			for (char *l = c->buf; l < eoh; l = strstr(l, "\r\n") + 2) {
				if (strncasecmp(l, "Content-Length:", 15) == 0)
					clen = strtol(l + 15, NULL, 10);
				else if (strncasecmp(l, "Connection: close", 17) == 0)
					*conn_close = true;
			}
			if (clen < 0 || clen > (long)(RBUF - 1 - hlen))
				return 0;
		}
		if (eoh != NULL && c->blen >= hlen + (size_t)clen) {
			c->buf[hlen + (size_t)clen] = '\0';
			*body = c->buf + hlen;
			*body_len = (size_t)clen;
			return 1;
		}
		if (c->blen >= RBUF - 1)
			return 0;
		int r = SSL_read(c->ssl, c->buf + c->blen, (int)(RBUF - 1 - c->blen));
		if (r <= 0)
			return 0;
		c->blen += (size_t)r;
		c->buf[c->blen] = '\0';
	}
}

/* ---- enrol ------------------------------------------------------------------------------------- */

struct worker {
	pthread_t th;
	SSL_CTX *ctx;
	long count, errors;
	uint32_t *lat;
	size_t n, cap;
	struct conn c;
};

static int one_enrolment(struct worker *w, int i)
{
	struct conn *c = &w->c;
	uint8_t mat[48];
	char req[1024], body[512], keid[128], want[160];
	const char *rb;
	size_t rbl;
	int status = 0, n, ok = 0;
	bool cl;

	kpm_id(i, c->id, sizeof(c->id));
	if (tls_open(w->ctx, c) != 0)
		return -1;
	if (SSL_export_keying_material(c->ssl, mat, sizeof(mat), EXPORT_LABEL, strlen(EXPORT_LABEL), NULL, 0, 0) != 1) {
		fail_once("export failed", NULL);
		goto out;
	}
	for (int k = 0; k < 16; k++) /* KeID = hexBinary(RelativeKeID)@MEF-FQDN, TS-0003 clause 10.3.1 */
		snprintf(keid + 2 * k, 3, "%02X", mat[k]);
	snprintf(keid + 32, sizeof(keid) - 32, "@%s", o.fqdn);
	if (o.no_register) {
		ok = 1;
		goto out;
	}
	snprintf(body, sizeof(body), "{\"sec:clientRegCfg\":{\"fqdn\":\"%s\",\"adminFQDN\":\"%s\"}}", o.fqdn, o.fqdn);
	n = snprintf(req, sizeof(req),
		     "POST /mefClientReg HTTP/1.1\r\nHost: %s\r\nX-M2M-RI: e%d\r\nX-M2M-RVI: 3\r\n"
		     "Content-Type: application/json\r\nAccept: application/json\r\nContent-Length: %zu\r\n"
		     "Connection: close\r\n\r\n%s",
		     o.fqdn, i, strlen(body), body);
	if (SSL_write(c->ssl, req, n) != n || read_response(c, &status, &rb, &rbl, &cl) != 1) {
		fail_once("registration: no complete answer", NULL);
		goto out;
	}
	snprintf(want, sizeof(want), "\"keyID\":\"%s\"", keid);
	if (status != 201 || strstr(rb, want) == NULL) {
		fail_once("registration: not 201 with the computed KeID", c->buf);
		goto out;
	}
	if (keids != NULL && o.target_fqdn != NULL) {
		/* TS-0003 clause 10.3.7: the usage-constrained key for SUID 22 and this target */
		static const char lbl[] = "oneM2M Enrolment Key to Usage-Constrained Symmetric Key derivation22";
		uint8_t msg[512], k[32];
		unsigned int kn = 32;
		size_t ln = sizeof(lbl) - 1, tn = strlen(o.target_fqdn);
		char line[256];
		if (ln + tn > sizeof(msg))
			goto out;
		memcpy(msg, lbl, ln);
		memcpy(msg + ln, o.target_fqdn, tn);
		HMAC(EVP_sha256(), mat + 16, 32, msg, ln + tn, k, &kn);
		n = snprintf(line, sizeof(line), "%s ", keid);
		for (int b = 0; b < 32; b++)
			n += snprintf(line + n, sizeof(line) - (size_t)n, "%02x", k[b]);
		m2m_memzero(k, sizeof(k));
		if ((keids[i] = strdup(line)) == NULL)
			goto out;
	} else if (keids != NULL && (keids[i] = strdup(keid)) == NULL) {
		goto out;
	}
	ok = 1;
out:
	m2m_memzero(mat, sizeof(mat));
	tls_close(c);
	return ok ? 0 : -1;
}

/* One MAF procedure over a new KmID/Km association (TS-0003 clause 8.8.2.2): Key Registration of
 * this session's exported Kc (clause 8.8.2.7, no keyValue), or with --client-reg the client's MAF
 * Client Registration (clause 8.8.2.3). k: the registration number, client k % count. */
static int one_mafkey(struct worker *w, long k)
{
	struct conn *c = &w->c;
	uint8_t mat[48];
	char req[1024], body[512], exp[32], kcid[128], want[160];
	const char *rb;
	size_t rbl;
	int status = 0, n, ok = 0;
	bool cl;
	time_t t = time(NULL) + 3600;
	struct tm tm;

	kpm_id((int)(k % o.count), c->id, sizeof(c->id));
	if (tls_open(w->ctx, c) != 0)
		return -1;
	if (SSL_export_keying_material(c->ssl, mat, sizeof(mat), MAF_EXPORT_LABEL, strlen(MAF_EXPORT_LABEL), NULL, 0,
				       0) != 1) {
		fail_once("export failed", NULL);
		goto out;
	}
	for (int b = 0; b < 16; b++) /* Key Identifier = hexBinary(KcID)@MAF-FQDN, TS-0003 clause 10.3.5 */
		snprintf(kcid + 2 * b, 3, "%02X", mat[b]);
	snprintf(kcid + 32, sizeof(kcid) - 32, "@%s", o.fqdn);
	gmtime_r(&t, &tm);
	strftime(exp, sizeof(exp), "%Y%m%dT%H%M%S", &tm);
	if (o.client_reg)
		snprintf(body, sizeof(body),
			 "{\"sec:clientRegCfg\":{\"fqdn\":\"%s\",\"adminFQDN\":\"%s\",\"expirationTime\":\"%s\"}}", o.fqdn,
			 o.fqdn, exp);
	else
		snprintf(body, sizeof(body),
			 "{\"sec:keyRegCfg\":{\"fqdn\":\"%s\",\"adminFQDN\":\"%s\",\"SUID\":32,\"targetIDs\":[\"%s\"],"
			 "\"expirationTime\":\"%s\"}}",
			 o.fqdn, o.fqdn, o.target, exp);
	n = snprintf(req, sizeof(req),
		     "POST /%s HTTP/1.1\r\nHost: %s\r\nX-M2M-RI: k%ld\r\nX-M2M-RVI: 3\r\n"
		     "Content-Type: application/json\r\nAccept: application/json\r\nContent-Length: %zu\r\n"
		     "Connection: close\r\n\r\n%s",
		     o.client_reg ? "mafClientReg" : "mafKeyReg", o.fqdn, k, strlen(body), body);
	if (SSL_write(c->ssl, req, n) != n || read_response(c, &status, &rb, &rbl, &cl) != 1) {
		fail_once("maf: no complete answer", NULL);
		goto out;
	}
	snprintf(want, sizeof(want), "\"relKeyID\":\"%.32s\"", kcid);
	if (status != 201 || (!o.client_reg && strcasestr(rb, want) == NULL)) {
		fail_once(o.client_reg ? "client registration: not 201" : "key registration: not 201 with relKeyID = KcID",
			  c->buf);
		goto out;
	}
	if (keids != NULL && !o.client_reg) { /* psk = Kc[0..15], the key-split rule (clause 8.3.5.1 step 10) */
		char line[256];
		n = snprintf(line, sizeof(line), "%s ", kcid);
		for (int b = 0; b < 16; b++)
			n += snprintf(line + n, sizeof(line) - (size_t)n, "%02x", mat[16 + b]);
		keids[k] = strdup(line);
		m2m_memzero(line, sizeof(line));
		if (keids[k] == NULL)
			goto out;
	}
	ok = 1;
out:
	m2m_memzero(mat, sizeof(mat));
	tls_close(c);
	return ok ? 0 : -1;
}

static int push_lat(struct worker *w, double dt)
{
	if (w->n == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 65536;
		uint32_t *p = realloc(w->lat, cap * sizeof(*p));
		if (p == NULL)
			return -1;
		w->lat = p;
		w->cap = cap;
	}
	w->lat[w->n++] = (uint32_t)(dt * 1e6 + 0.5);
	return 0;
}

static void *enrol_run(void *arg)
{
	struct worker *w = arg;

	for (;;) {
		long k;
		if (!o.once && bench_now() >= deadline)
			break;
		double t0 = bench_now();
		k = atomic_fetch_add(&next_idx, 1);
		if (o.once && k >= o.total)
			break;
		if ((strcmp(o.mode, "mafkey") == 0 ? one_mafkey(w, k) : one_enrolment(w, (int)(k % o.count))) == 0) {
			w->count++;
			if (push_lat(w, bench_now() - t0) != 0)
				break;
		} else if (++w->errors > 10 || o.once) {
			break;
		}
	}
	return NULL;
}

/* ---- get --------------------------------------------------------------------------------------- */

static void *get_run(void *arg)
{
	struct worker *w = arg;
	struct conn *c = &w->c;
	unsigned long seq = 0;
	char req[1024];

	snprintf(c->id, sizeof(c->id), "%s", o.identity ? o.identity : "");
	if (tls_open(w->ctx, c) != 0) {
		w->errors++;
		return NULL;
	}
	while (bench_now() < deadline) {
		const char *p = paths[(seq + (unsigned long)c->idx * 7919u) % (unsigned long)npaths], *rb;
		size_t rbl;
		int status = 0;
		bool cl;
		double t0 = bench_now();
		int n = snprintf(req, sizeof(req),
				 "GET %s HTTP/1.1\r\nHost: %s\r\nX-M2M-RI: g%d-%lu\r\nX-M2M-RVI: 3\r\n%s%s%s"
				 "Accept: application/json\r\n\r\n",
				 p, o.servername ? o.servername : o.host, c->idx, seq++, o.origin ? "X-M2M-Origin: " : "",
				 o.origin ? o.origin : "", o.origin ? "\r\n" : "");
		if (SSL_write(c->ssl, req, n) != n || read_response(c, &status, &rb, &rbl, &cl) != 1) {
			fail_once("get: connection lost", NULL);
			w->errors++;
			break;
		}
		if (status != 200) {
			fail_once("get: not 200", c->buf);
			w->errors++;
		}
		w->count++;
		if (push_lat(w, bench_now() - t0) != 0 || cl)
			break;
	}
	tls_close(c);
	return NULL;
}

static int load_paths(void)
{
	FILE *f = fopen(o.paths_file, "r");
	char line[512];

	if (f == NULL || (paths = calloc(MAX_PATHS, sizeof(*paths))) == NULL)
		return -1;
	while (npaths < MAX_PATHS && fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '/' && (paths[npaths] = strdup(line)) != NULL)
			npaths++;
	}
	fclose(f);
	return npaths > 0 ? 0 : -1;
}

/* ---- driver ------------------------------------------------------------------------------------ */

static int run_workers(void *(*fn)(void *), const char *what)
{
	SSL_CTX *ctx = make_ctx();
	struct worker *w = calloc((size_t)o.conns, sizeof(*w));
	long total = 0, errors = 0;
	size_t nlat = 0, k = 0;
	uint32_t *all = NULL;
	double t0 = bench_now(), dt;

	if (w == NULL)
		return 1;
	deadline = t0 + o.seconds;
	for (int i = 0; i < o.conns; i++) {
		w[i].ctx = ctx;
		w[i].c.idx = i;
		if (pthread_create(&w[i].th, NULL, fn, &w[i]) != 0)
			return 1;
	}
	for (int i = 0; i < o.conns; i++) {
		pthread_join(w[i].th, NULL);
		total += w[i].count;
		errors += w[i].errors;
		nlat += w[i].n;
	}
	dt = bench_now() - t0;
	if (nlat > 0 && (all = malloc(nlat * sizeof(*all))) != NULL) {
		for (int i = 0; i < o.conns; i++) {
			memcpy(all + k, w[i].lat, w[i].n * sizeof(*all));
			k += w[i].n;
		}
		qsort(all, nlat, sizeof(*all), bench_cmp_u32);
	}
	printf("%s_per_s=%.0f %s=%ld errors=%ld seconds=%.2f conns=%d", what, (double)total / dt, what, total, errors,
	       dt, o.conns);
	if (all != NULL)
		printf(" p50_us=%u p99_us=%u", all[(nlat - 1) / 2], all[(size_t)((double)(nlat - 1) * 0.99)]);
	printf("\n");
	for (int i = 0; i < o.conns; i++)
		free(w[i].lat);
	free(all);
	free(w);
	SSL_CTX_free(ctx);
	return errors > 0 || total == 0 ? 1 : 0;
}

static void usage(FILE *f)
{
	fputs("usage: " PROG " gen --fqdn F --seed HEX --count N [--prefix P] [--target CSE-ID]\n"
	      "       " PROG " enrol --port P --fqdn F --seed HEX --count N [--prefix P] [--conns C]\n"
	      "                    (--seconds S | --once --keid-out FILE [--target-fqdn F]) [--no-register]\n"
	      "       " PROG " get --port P --paths-file F [--conns C] [--seconds S] [--servername N]\n"
	      "                  (--cert F --key F --ca F | --psk-identity ID --psk HEX) [--origin O]\n"
	      "       " PROG " gen --km --fqdn F --seed HEX --count N   (lines: KmID Km AE-ID)\n"
	      "       " PROG " mafkey --port P --fqdn MAF-FQDN --seed HEX --count N [--target ID] [--conns C]\n"
	      "                     (--seconds S | --once (--client-reg | --total N --keid-out FILE))\n"
	      "MEF benchmark client (bench/mef). KpmID i = PREFIX<i>@FQDN, Kpm = HMAC-SHA-256(seed, KpmID),\n"
	      "Enrolee-ID = C<PREFIX><i>. --target-fqdn: each --keid-out line also holds the SUID 22 key for\n"
	      "that Enrolment Target (TS-0003 10.3.7). Prints key=value figures; exit 1 on any error.\n",
	      f);
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{"port", required_argument, NULL, 'p'},	    {"fqdn", required_argument, NULL, 'f'},
		{"seed", required_argument, NULL, 'S'},	    {"count", required_argument, NULL, 'n'},
		{"prefix", required_argument, NULL, 'P'},   {"target", required_argument, NULL, 't'},
		{"conns", required_argument, NULL, 'c'},    {"seconds", required_argument, NULL, 's'},
		{"once", no_argument, NULL, 'O'},	    {"keid-out", required_argument, NULL, 'K'},
		{"no-register", no_argument, NULL, 'R'},    {"paths-file", required_argument, NULL, 'F'},
		{"cert", required_argument, NULL, 'C'},	    {"key", required_argument, NULL, 'k'},
		{"ca", required_argument, NULL, 'A'},	    {"psk-identity", required_argument, NULL, 'i'},
		{"psk", required_argument, NULL, 'q'},	    {"origin", required_argument, NULL, 'o'},
		{"servername", required_argument, NULL, 'N'}, {"target-fqdn", required_argument, NULL, 'T'},
		{"km", no_argument, NULL, 'M'},		    {"client-reg", no_argument, NULL, 'G'},
		{"total", required_argument, NULL, 'L'},    {"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *seed_hex = NULL, *psk_hex = NULL;
	int ch, rc = 2;

	if (argc < 2 || argv[1][0] == '-') {
		usage(argc >= 2 && strcmp(argv[1], "--help") == 0 ? stdout : stderr);
		return argc >= 2 && strcmp(argv[1], "--help") == 0 ? 0 : 2;
	}
	o.mode = argv[1];
	optind = 2;
	while ((ch = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (ch) {
		case 'p': o.port = atoi(optarg); break;
		case 'f': o.fqdn = optarg; break;
		case 'S': seed_hex = optarg; break;
		case 'n': o.count = atoi(optarg); break;
		case 'P': o.prefix = optarg; break;
		case 't': o.target = optarg; break;
		case 'c': o.conns = atoi(optarg); break;
		case 's': o.seconds = strtod(optarg, NULL); break;
		case 'O': o.once = true; break;
		case 'K': o.keid_out = optarg; break;
		case 'R': o.no_register = true; break;
		case 'F': o.paths_file = optarg; break;
		case 'C': o.cert = optarg; break;
		case 'k': o.key = optarg; break;
		case 'A': o.ca = optarg; break;
		case 'i': o.identity = optarg; break;
		case 'q': psk_hex = optarg; break;
		case 'o': o.origin = optarg; break;
		case 'N': o.servername = optarg; break;
		case 'T': o.target_fqdn = optarg; break;
		case 'M': o.km_format = true; break;
		case 'G': o.client_reg = true; break;
		case 'L': o.total = strtol(optarg, NULL, 10); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (o.total == 0)
		o.total = o.count;
	if (o.conns < 1 || o.conns > 1024 || o.count < 1 || o.count > 10000000 || !(o.seconds > 0) || o.total < 1 ||
	    o.total > 10000000) {
		fprintf(stderr, PROG ": --conns 1..1024, --count and --total >= 1, --seconds > 0\n");
		return 2;
	}
	if (seed_hex != NULL &&
	    (m2m_hex_decode(seed_hex, strlen(seed_hex), o.seed, sizeof(o.seed), &o.seed_len) != M2M_OK || o.seed_len == 0)) {
		fprintf(stderr, PROG ": --seed: expected 1 to 32 bytes of hex\n");
		return 2;
	}
	if (psk_hex != NULL &&
	    (m2m_hex_decode(psk_hex, strlen(psk_hex), o.psk, sizeof(o.psk), &o.psk_len) != M2M_OK || o.psk_len == 0)) {
		fprintf(stderr, PROG ": --psk: expected 1 to 64 bytes of hex\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	if (strcmp(o.mode, "gen") == 0 && o.fqdn && seed_hex) {
		rc = mode_gen();
	} else if ((strcmp(o.mode, "enrol") == 0 || strcmp(o.mode, "mafkey") == 0) && o.fqdn && seed_hex && o.port > 0 &&
		   (!o.once || o.keid_out || o.client_reg)) {
		bool maf = strcmp(o.mode, "mafkey") == 0;
		if (!maf)
			o.total = o.count;
		if (o.once && o.keid_out && (keids = calloc((size_t)o.total, sizeof(*keids))) == NULL)
			return 1;
		rc = run_workers(enrol_run, maf ? (o.client_reg ? "clientregs" : "keyregs")
						: (o.no_register ? "handshakes" : "enrolments"));
		if (o.once && o.keid_out && rc == 0) {
			mode_t um = umask(077); /* mafkey lines hold the TLS-PSK key */
			FILE *f = fopen(o.keid_out, "w");
			umask(um);
			for (long i = 0; f != NULL && i < o.total; i++)
				fprintf(f, "%s\n", keids[i] ? keids[i] : "-");
			if (f == NULL || fclose(f) != 0)
				rc = 1;
		}
	} else if (strcmp(o.mode, "get") == 0 && o.port > 0 && o.paths_file &&
		   ((o.cert && o.key && o.ca) || (o.identity && psk_hex))) {
		if (load_paths() != 0) {
			fprintf(stderr, PROG ": --paths-file %s: no path (one /path a line)\n", o.paths_file);
			return 2;
		}
		rc = run_workers(get_run, "requests");
	} else {
		usage(stderr);
	}
	m2m_memzero(o.seed, sizeof(o.seed));
	m2m_memzero(o.psk, sizeof(o.psk));
	return rc;
}
