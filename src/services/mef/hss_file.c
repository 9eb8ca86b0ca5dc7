/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the MEF's test HSS (m2msec/hss.h): the subscriber file of `[mef]
 * hss-file` read under an exclusive lock, the authentication vectors of TS 33.102 clause 6.3.2
 * with SQN_HE persisted before a vector leaves, and the AUTS resynchronisation of clause 6.3.5.
 * SQN and AMF have fixed widths, so an update overwrites 12 hex digits in place and the whole
 * file is written back atomically (temporary file, fsync, rename, directory fsync). An optional
 * sixth field `netauth=yes|no` is the subscriber's underlying-network authorization (the 3GPP
 * liaison on TS-0001 clause 6.2.2 CMDH delivery handling, docs/procedures/gba.md): absent = yes.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "m2msec/file.h"
#include "m2msec/gba_ub.h"
#include "m2msec/hex.h"
#include "m2msec/hss.h"
#include "m2msec/mem.h"

/* One parsed line: pointers into the file text. */
struct sub {
	const char *impi;
	size_t impi_len;
	char *k, *opc, *sqn, *amf; /* 32, 32, 12, 4 hex digits */
	bool net_no;               /* "netauth=no" */
	char *line;                /* the line, line_len bytes without its '\n' */
	size_t line_len;
};

#define NETAUTH_YES "netauth=yes"
#define NETAUTH_NO "netauth=no"

/* The optional sixth field: exactly one of the two words. */
static bool netauth_field(const char *f, size_t n, bool *no)
{
	if (n == strlen(NETAUTH_YES) && memcmp(f, NETAUTH_YES, n) == 0)
		*no = false;
	else if (n == strlen(NETAUTH_NO) && memcmp(f, NETAUTH_NO, n) == 0)
		*no = true;
	else
		return false;
	return true;
}

struct hss {
	int lock_fd;
	char *text;
	size_t len;
};

static bool impi_ok(const char *s, size_t n)
{
	if (n == 0 || n > M2M_HSS_IMPI_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] <= ' ' || s[i] > '~')
			return false;
	return true;
}

static bool hex_field(const char *s, size_t n, size_t want)
{
	if (n != want)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f') || (s[i] >= 'A' && s[i] <= 'F')))
			return false;
	return true;
}

/* Split one line (no '\n') into its five fields; false when malformed. */
static bool parse_line(char *p, size_t n, struct sub *s)
{
	static const size_t want[5] = {0, 32, 32, 12, 4};
	char *f[6];
	size_t fl[6], i = 0, nf = 0;
	bool no = false;

	while (nf < 6) {
		while (i < n && (p[i] == ' ' || p[i] == '\t'))
			i++;
		if (i == n)
			break;
		f[nf] = p + i;
		while (i < n && p[i] != ' ' && p[i] != '\t')
			i++;
		fl[nf] = (size_t)(p + i - f[nf]);
		nf++;
	}
	while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r'))
		i++;
	if (nf < 5 || i != n || !impi_ok(f[0], fl[0]) || (nf == 6 && !netauth_field(f[5], fl[5], &no)))
		return false;
	for (int j = 1; j < 5; j++)
		if (!hex_field(f[j], fl[j], want[j]))
			return false;
	*s = (struct sub){f[0], fl[0], f[1], f[2], f[3], f[4], no, p, n};
	return true;
}

/* Walk every subscriber line: find impi (NULL = only validate). M2M_E_CONFIG with *line set on a
 * malformed line; M2M_E_NOT_FOUND when impi is absent. */
static m2m_err find(char *text, size_t len, const char *impi, struct sub *out, unsigned *line)
{
	size_t want = impi != NULL ? strlen(impi) : 0;
	unsigned ln = 0;
	bool found = false;

	for (char *p = text; p < text + len;) {
		char *nl = memchr(p, '\n', (size_t)(text + len - p));
		size_t n = nl != NULL ? (size_t)(nl - p) : (size_t)(text + len - p);
		size_t k = 0;
		struct sub s;

		ln++;
		while (k < n && (p[k] == ' ' || p[k] == '\t' || p[k] == '\r'))
			k++;
		if (k < n && p[k] != '#') {
			if (!parse_line(p, n, &s)) {
				if (line != NULL)
					*line = ln;
				return M2M_E_CONFIG;
			}
			if (!found && impi != NULL && s.impi_len == want && memcmp(s.impi, impi, want) == 0) { /* public: identifier */
				*out = s;
				found = true;
			}
		}
		p += n + 1;
	}
	return impi == NULL || found ? M2M_OK : M2M_E_NOT_FOUND;
}

static void hss_close(struct hss *h)
{
	if (h->text != NULL)
		m2m_freezero(h->text, h->len + 1);
	h->text = NULL;
	if (h->lock_fd >= 0)
		close(h->lock_fd); /* releases the flock */
	h->lock_fd = -1;
}

/* Lock "<path>.lock" (created 0600) and read the file; missing_ok: an absent file is empty. */
static m2m_err hss_open(const char *path, bool missing_ok, struct hss *h)
{
	char lp[4096];
	m2m_err r;

	*h = (struct hss){.lock_fd = -1};
	if (path == NULL || path[0] == '\0' || (size_t)snprintf(lp, sizeof(lp), "%s.lock", path) >= sizeof(lp))
		return M2M_E_INVAL;
	if ((h->lock_fd = open(lp, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600)) < 0)
		return M2M_E_IO;
	if (flock(h->lock_fd, LOCK_EX) != 0) {
		hss_close(h);
		return M2M_E_IO;
	}
	r = m2m_file_read(path, M2M_HSS_FILE_MAX, M2M_FILE_SECRET, &h->text, &h->len);
	if (r == M2M_E_NOT_FOUND && missing_ok && (h->text = calloc(1, 1)) != NULL)
		r = M2M_OK;
	if (r != M2M_OK)
		hss_close(h);
	return r;
}

/* Write text atomically in place of path: temporary file 0600, fsync, rename, directory fsync. */
static m2m_err hss_write(const char *path, const char *text, size_t len)
{
	char tmp[4096], dir[4096];
	int fd, dfd;
	size_t off = 0;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
		return M2M_E_INVAL;
	(void)unlink(tmp);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600)) < 0)
		return M2M_E_IO;
	while (off < len) {
		ssize_t w = write(fd, text + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	if (off != len || fsync(fd) != 0) {
		close(fd);
		(void)unlink(tmp);
		return M2M_E_IO;
	}
	close(fd);
	if (rename(tmp, path) != 0) {
		(void)unlink(tmp);
		return M2M_E_IO;
	}
	snprintf(dir, sizeof(dir), "%s", path);
	if ((dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		(void)fsync(dfd);
		close(dfd);
	}
	return M2M_OK;
}

static m2m_err hex_key(const char *hex, m2m_key **out)
{
	uint8_t b[16];
	size_t n = 0;
	m2m_err r = m2m_hex_decode(hex, 32, b, sizeof(b), &n);

	if (r == M2M_OK)
		r = n == 16 ? m2m_key_new(b, 16, out) : M2M_E_CONFIG;
	m2m_memzero(b, sizeof(b));
	return r;
}

/* The subscriber's MILENAGE context. */
static m2m_err sub_milenage(const struct sub *s, m2m_milenage **m)
{
	m2m_key *k = NULL, *opc = NULL;
	m2m_err r;

	if ((r = hex_key(s->k, &k)) == M2M_OK && (r = hex_key(s->opc, &opc)) == M2M_OK)
		r = m2m_milenage_new(k, opc, m);
	m2m_key_free(k);
	m2m_key_free(opc);
	return r;
}

static uint64_t sub_sqn(const struct sub *s)
{
	uint8_t b[M2M_MILENAGE_SQN_LEN];
	size_t n = 0;

	if (m2m_hex_decode(s->sqn, 12, b, sizeof(b), &n) != M2M_OK || n != sizeof(b))
		return M2M_AKA_SQN_MAX; /* unreachable: the line was validated */
	return m2m_aka_sqn_decode(b);
}

/* Overwrite the 12 SQN digits in the text and write the file back. */
static m2m_err sub_store_sqn(const char *path, struct hss *h, struct sub *s, uint64_t sqn)
{
	uint8_t b[M2M_MILENAGE_SQN_LEN];
	char hex[13];
	m2m_err r;

	if ((r = m2m_aka_sqn_encode(sqn, b)) != M2M_OK || (r = m2m_hex_encode(b, sizeof(b), false, hex, sizeof(hex))) != M2M_OK)
		return r;
	memcpy(s->sqn, hex, 12);
	return hss_write(path, h->text, h->len);
}

m2m_err m2m_hss_check_file(const char *path, unsigned *line)
{
	struct hss h;
	m2m_err r;

	if (line != NULL)
		*line = 0;
	if ((r = hss_open(path, false, &h)) != M2M_OK)
		return r;
	r = find(h.text, h.len, NULL, NULL, line);
	hss_close(&h);
	return r;
}

m2m_err m2m_hss_add(const char *path, const char *impi, const m2m_key *k, const m2m_key *opc)
{
	struct hss h;
	struct sub s;
	char kh[33], oh[33], *line = NULL, *text = NULL;
	size_t kl = 0, ol = 0, ll, tl;
	const uint8_t *kb, *ob;
	m2m_err r;

	if (impi == NULL || !impi_ok(impi, strlen(impi)) || k == NULL || opc == NULL)
		return M2M_E_INVAL;
	kb = m2m_key_bytes(k, &kl);
	ob = m2m_key_bytes(opc, &ol);
	if (kb == NULL || ob == NULL || kl != 16 || ol != 16)
		return M2M_E_KEY_LEN;
	if ((r = hss_open(path, true, &h)) != M2M_OK)
		return r;
	if ((r = find(h.text, h.len, impi, &s, NULL)) != M2M_E_NOT_FOUND) {
		hss_close(&h);
		return r == M2M_OK ? M2M_E_EXISTS : r;
	}
	ll = strlen(impi) + 32 + 32 + 12 + 4 + 6;
	tl = h.len + 1 + ll;
	if ((line = malloc(ll + 1)) == NULL || (text = malloc(tl + 1)) == NULL) {
		r = M2M_E_NOMEM;
		goto out;
	}
	(void)m2m_hex_encode(kb, 16, false, kh, sizeof(kh));
	(void)m2m_hex_encode(ob, 16, false, oh, sizeof(oh));
	snprintf(line, ll + 1, "%s %s %s 000000000000 8000\n", impi, kh, oh);
	memcpy(text, h.text, h.len);
	tl = h.len;
	if (tl > 0 && text[tl - 1] != '\n')
		text[tl++] = '\n';
	memcpy(text + tl, line, strlen(line));
	tl += strlen(line);
	r = hss_write(path, text, tl);
out:
	m2m_memzero(kh, sizeof(kh));
	m2m_memzero(oh, sizeof(oh));
	if (line != NULL)
		m2m_freezero(line, ll + 1);
	if (text != NULL)
		m2m_freezero(text, h.len + 1 + ll + 1);
	hss_close(&h);
	return r;
}

m2m_err m2m_hss_vector(const char *path, const char *impi, const uint8_t *rand, m2m_aka_av *av)
{
	struct hss h;
	struct sub s;
	m2m_milenage *m = NULL;
	uint8_t amf[M2M_MILENAGE_AMF_LEN];
	uint64_t next = 0;
	size_t n = 0;
	m2m_err r;

	if (av == NULL || impi == NULL)
		return M2M_E_INVAL;
	memset(av, 0, sizeof(*av));
	if ((r = hss_open(path, false, &h)) != M2M_OK)
		return r;
	if ((r = find(h.text, h.len, impi, &s, NULL)) != M2M_OK ||
	    (r = m2m_aka_sqn_next(sub_sqn(&s), &next)) != M2M_OK ||
	    (r = m2m_hex_decode(s.amf, 4, amf, sizeof(amf), &n)) != M2M_OK || (r = sub_milenage(&s, &m)) != M2M_OK)
		goto out;
	/* persisted first: a vector never leaves with an SQN a restart could hand out again */
	if ((r = sub_store_sqn(path, &h, &s, next)) != M2M_OK)
		goto out;
	r = m2m_aka_av_generate(m, rand, next, amf, av);
out:
	m2m_milenage_free(m);
	hss_close(&h);
	return r;
}

m2m_err m2m_hss_check(const char *path, const char *impi, const m2m_aka_av *av, const m2m_digest *cred,
		      const char *method)
{
	struct hss h;
	struct sub s;
	m2m_milenage *m = NULL;
	uint64_t sqn_ms = 0;
	m2m_err r, w;

	if (impi == NULL || av == NULL || cred == NULL || method == NULL)
		return M2M_E_INVAL;
	if ((r = hss_open(path, false, &h)) != M2M_OK)
		return r;
	if ((r = find(h.text, h.len, impi, &s, NULL)) != M2M_OK || (r = sub_milenage(&s, &m)) != M2M_OK) {
		r = r == M2M_E_NOT_FOUND ? M2M_E_AUTH : r; /* removed meanwhile: refused */
		goto out;
	}
	r = m2m_gba_bsf_check(m, av, cred, method, &sqn_ms);
	/* TS 33.102 clause 6.3.5: the HSS continues from SQN_MS (its next vector uses SQN_MS + 1) */
	if (r == M2M_E_AKA_SYNC && (w = sub_store_sqn(path, &h, &s, sqn_ms)) != M2M_OK)
		r = w;
out:
	m2m_milenage_free(m);
	hss_close(&h);
	return r;
}

m2m_err m2m_hss_sqn(const char *path, const char *impi, uint64_t *sqn)
{
	struct hss h;
	struct sub s;
	m2m_err r;

	if (sqn == NULL || impi == NULL)
		return M2M_E_INVAL;
	if ((r = hss_open(path, false, &h)) != M2M_OK)
		return r;
	if ((r = find(h.text, h.len, impi, &s, NULL)) == M2M_OK)
		*sqn = sub_sqn(&s);
	hss_close(&h);
	return r;
}

m2m_err m2m_hss_net_authorized(const char *path, const char *impi, bool *authorized)
{
	struct hss h;
	struct sub s;
	m2m_err r;

	if (authorized == NULL || impi == NULL)
		return M2M_E_INVAL;
	*authorized = false; /* unknown or unreadable: not authorized (fail closed) */
	if ((r = hss_open(path, false, &h)) != M2M_OK)
		return r;
	if ((r = find(h.text, h.len, impi, &s, NULL)) == M2M_OK)
		*authorized = !s.net_no;
	hss_close(&h);
	return r;
}

m2m_err m2m_hss_set_net_authorized(const char *path, const char *impi, bool authorized)
{
	struct hss h;
	struct sub s;
	char *text = NULL;
	size_t keep, tl, cap;
	m2m_err r;

	if (impi == NULL)
		return M2M_E_INVAL;
	if ((r = hss_open(path, false, &h)) != M2M_OK)
		return r;
	if ((r = find(h.text, h.len, impi, &s, NULL)) != M2M_OK)
		goto out;
	/* the line up to its AMF, then the field: the five fields are kept byte for byte */
	keep = (size_t)(s.amf + 4 - s.line);
	cap = h.len + strlen(NETAUTH_YES) + 2;
	if ((text = malloc(cap)) == NULL) {
		r = M2M_E_NOMEM;
		goto out;
	}
	tl = (size_t)(s.line - h.text) + keep;
	memcpy(text, h.text, tl);
	tl += (size_t)snprintf(text + tl, cap - tl, " %s", authorized ? NETAUTH_YES : NETAUTH_NO);
	memcpy(text + tl, s.line + s.line_len, h.len - (size_t)(s.line + s.line_len - h.text));
	tl += h.len - (size_t)(s.line + s.line_len - h.text);
	r = hss_write(path, text, tl);
out:
	if (text != NULL)
		m2m_freezero(text, cap); /* it holds every subscriber's K and OPc */
	hss_close(&h);
	return r;
}
