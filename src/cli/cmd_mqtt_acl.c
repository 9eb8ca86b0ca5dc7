/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements `m2msec mqtt-acl --config FILE --acl-out FILE [--psk-out FILE]`: the
 * topic authorization of the MQTT server (TS-0010 V3.1.0 clauses 7.2-7.4) as a mosquitto ACL
 * file for `use_identity_as_username true`, and a mosquitto psk_file for the PSK clients. The
 * binding is only as strong as this ACL: the CSE trusts the originator level of a req topic
 * (bindings/mqtt_map.c), so a client must be able to publish only under its own identity.
 * Sources: the CSE config's cse-id and cert (its certificate CN is the CSE's broker identity), the
 * psk-file (KpsaID -> bound AE-ID/CSE-ID) and the credential store (Kpsa records, certificate
 * records with an owner). Both outputs are built in memory, then written to a temporary file and
 * renamed: nothing partial, and the psk_file is 0600 and never printed (docs/mqtt-binding.md).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "m2msec/config.h"
#include "m2msec/credstore.h"
#include "m2msec/id.h"
#include "m2msec/mem.h"
#include "m2msec/mqtt.h"
#include "tls/tls_int.h"

#define CONFIG_MAX (1u << 20)
#define CN_MAX 256

struct buf {
	char *p;
	size_t n, cap;
	bool secret; /* wiped on growth and free */
	bool oom;
};

static void buf_add(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void buf_add(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->oom)
		return;
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || b->n + (size_t)n + 1 > b->cap) {
		size_t cap = (b->cap ? b->cap * 2 : 4096) + (n > 0 ? (size_t)n : 0);
		char *p = malloc(cap);
		if (n < 0 || p == NULL) {
			b->oom = true;
			free(p);
			return;
		}
		if (b->p != NULL)
			memcpy(p, b->p, b->n);
		if (b->secret)
			m2m_freezero(b->p, b->cap);
		else
			free(b->p);
		b->p = p;
		b->cap = cap;
	}
	va_start(ap, fmt);
	vsnprintf(b->p + b->n, b->cap - b->n, fmt, ap);
	va_end(ap);
	b->n += (size_t)n;
}

static void buf_free(struct buf *b)
{
	if (b->secret)
		m2m_freezero(b->p, b->cap);
	else
		free(b->p);
	memset(b, 0, sizeof(*b));
}

/* A broker identity (username with use_identity_as_username, or PSK identity) that is safe as one
 * ACL "user" line, one psk_file "identity:key" line and one topic level: printable ASCII without
 * space, '+', '#', '/', ':' (TS-0010 6.4: IDs are single topic levels). */
static bool identity_ok(const char *s)
{
	if (s == NULL || *s == '\0' || strlen(s) > M2M_MQTT_SEG_MAX)
		return false;
	for (; *s; s++)
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f || strchr("+#/:", *s) != NULL)
			return false;
	return true;
}

/* A topic-form entity ID that the ACL can hold: m2m_mqtt_id_encode plus no space or non-ASCII. */
static bool topic_id(const char *id, char out[M2M_MQTT_SEG_MAX + 1])
{
	if (m2m_mqtt_id_encode(id, out) != M2M_OK)
		return false;
	for (const char *s = out; *s; s++)
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f)
			return false;
	return true;
}

struct gen {
	const m2m_cse_config *cfg;
	char cse[M2M_MQTT_SEG_MAX + 1]; /* the CSE-ID in topic form */
	struct buf acl, psk;
	int nusers;
	const char *bad; /* what was refused, for the error line */
};

/* TS-0010 clause 7.4: the CSE reads requests (and registration requests) addressed to it, answers
 * on the matching response topics, and may itself send requests (notifications) to registrees. */
static void cse_rules(struct gen *g, const char *user)
{
	const char *c = g->cse;

	buf_add(&g->acl, "\n# the CSE %s (TS-0010 7.4)\nuser %s\n", c, user);
	buf_add(&g->acl, "topic read /oneM2M/req/+/%s/#\ntopic write /oneM2M/resp/+/%s/#\n", c, c);
	buf_add(&g->acl, "topic read /oneM2M/reg_req/+/%s/#\ntopic write /oneM2M/reg_resp/+/%s/#\n", c, c);
	buf_add(&g->acl, "topic write /oneM2M/req/%s/+/#\ntopic read /oneM2M/resp/%s/+/#\n", c, c);
	g->nusers++;
}

/* TS-0010 clause 7.4, a registered AE (or registree CSE) with ID stem a and registrar c. */
static void registree_rules(struct gen *g, const char *user, const char *a)
{
	const char *c = g->cse;

	buf_add(&g->acl, "\n# registree %s\nuser %s\n", a, user);
	buf_add(&g->acl, "topic write /oneM2M/req/%s/%s/#\ntopic read /oneM2M/resp/%s/%s/#\n", a, c, a, c);
	buf_add(&g->acl, "topic read /oneM2M/req/%s/%s/#\ntopic write /oneM2M/resp/%s/%s/#\n", c, a, c, a);
	g->nusers++;
}

/* TS-0010 clauses 6.4.4 and 7.4 "all other cases": the broker fills the Credential-ID of a
 * registration topic. mosquitto cannot rewrite a topic, so the ACL does it: a PSK client may
 * publish registration requests only under the Credential-ID of its own key, "12-<KpsaID>"
 * (TS-0003 clause 10.4, credIDTypeID 12), which the CSE resolves like an HTTPS PSK identity. */
static void reg_rules(struct gen *g, const char *user, bool own_block)
{
	const char *c = g->cse;

	if (own_block)
		buf_add(&g->acl, "\n# %s, not bound to an entity yet\nuser %s\n", user, user);
	buf_add(&g->acl, "topic write /oneM2M/reg_req/%d-%s/%s/#\ntopic read /oneM2M/reg_resp/%d-%s/%s/#\n",
		M2M_CRED_KPSAID_KCID, user, c, M2M_CRED_KPSAID_KCID, user, c);
}

/* One known identity bound to entity ID `bound` (NULL: none, the client is unregistered). A PSK
 * identity (psk true) also gets its registration topics, unless it is the CSE's. Returns false
 * (g->bad set) for an identity the files cannot hold. */
static bool add_identity(struct gen *g, const char *user, const char *bound, const char *what, bool psk)
{
	char t[M2M_MQTT_SEG_MAX + 1];

	if (!identity_ok(user)) {
		g->bad = what;
		return false;
	}
	if (bound == NULL || bound[0] == '\0') {
		if (psk)
			reg_rules(g, user, true);
		return true;
	}
	if (!topic_id(bound, t)) {
		g->bad = what;
		return false;
	}
	if (strcmp(t, g->cse) == 0) {
		cse_rules(g, user);
		return true;
	}
	registree_rules(g, user, t);
	if (psk)
		reg_rules(g, user, false);
	return true;
}

static void psk_line(struct gen *g, const char *identity, const m2m_key *key)
{
	size_t n;
	const uint8_t *k = m2m_key_bytes(key, &n);

	buf_add(&g->psk, "%s:", identity);
	for (size_t i = 0; i < n; i++)
		buf_add(&g->psk, "%02x", k[i]);
	buf_add(&g->psk, "\n");
}

static int from_psk_file(struct gen *g)
{
	char err[256] = "";
	m2mi_psk_table *t = NULL;
	const char *id, *bound;
	const m2m_key *key;
	m2m_err r;
	int rc = CLI_OK;

	if (g->cfg->psk_file[0] == '\0')
		return CLI_OK;
	if ((r = m2mi_psk_file_load(g->cfg->psk_file, &t, err, sizeof(err))) != M2M_OK) {
		cli_errorf("mqtt-acl: psk-file %s: %s", g->cfg->psk_file, err[0] ? err : m2m_strerror(r));
		return cli_exit_code(r) == CLI_USAGE || r == M2M_E_CONFIG ? CLI_USAGE : CLI_FAIL;
	}
	for (size_t i = 0; m2mi_psk_table_entry(t, i, &id, &bound, &key) == M2M_OK; i++) {
		if (!add_identity(g, id, bound, "a psk-file entry", true)) {
			rc = CLI_USAGE;
			break;
		}
		psk_line(g, id, key);
	}
	m2mi_psk_table_free(t);
	return rc;
}

/* The subject CN of a PEM certificate: mosquitto's username under use_identity_as_username. */
static bool pem_cn(const char *pem, char cn[CN_MAX])
{
	BIO *bio = BIO_new_mem_buf(pem, -1);
	X509 *x = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
	int n = x ? X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, cn, CN_MAX) : -1;

	X509_free(x);
	BIO_free(bio);
	return n > 0 && (size_t)n == strlen(cn);
}

struct store_walk {
	struct gen *g;
	m2m_credstore *store;
	int64_t now;
	int rc;
};

static m2m_err store_record(const m2m_cred_info *info, void *arg)
{
	struct store_walk *w = arg;
	m2m_key *key = NULL;
	char *pem = NULL, cn[CN_MAX];

	if (m2m_credstore_state_at(info, w->now) != M2M_CRED_STATE_ACTIVE)
		return M2M_OK; /* revoked, expired or not yet valid: no broker access */
	if (info->kind == M2M_CRED_KIND_KPSA) {
		if (!add_identity(w->g, info->id, info->owner, "a credential store Kpsa record", true))
			goto bad;
		if (m2m_credstore_lookup_read(w->store, info->id, M2M_CRED_KIND_KPSA, w->now, &key, NULL) != M2M_OK)
			return M2M_OK;
		psk_line(w->g, info->id, key);
		m2m_key_free(key);
	} else if (info->kind == M2M_CRED_KIND_CERT && info->owner != NULL) {
		if (m2m_credstore_lookup_cert(w->store, info->id, w->now, &pem) != M2M_OK)
			return M2M_OK;
		if (!pem_cn(pem, cn)) {
			free(pem);
			w->g->bad = "a credential store certificate without a usable CN";
			goto bad;
		}
		free(pem);
		if (!add_identity(w->g, cn, info->owner, "a credential store certificate's CN", false))
			goto bad;
	}
	return M2M_OK;
bad:
	w->rc = CLI_USAGE;
	return M2M_E_ID_BAD_CHAR;
}

static int from_store(struct gen *g)
{
	struct store_walk w = {g, NULL, (int64_t)time(NULL), CLI_OK};
	m2m_err r;

	if (g->cfg->cred_store[0] == '\0')
		return CLI_OK;
	if ((r = m2m_credstore_open(g->cfg->cred_store, &w.store)) != M2M_OK)
		return cli_fail("mqtt-acl: cred-store", r);
	r = m2m_credstore_list(w.store, M2M_CRED_KIND_KPSA | M2M_CRED_KIND_CERT, store_record, &w);
	m2m_credstore_close(w.store);
	if (w.rc != CLI_OK)
		return w.rc;
	return r == M2M_OK ? CLI_OK : cli_fail("mqtt-acl: cred-store", r);
}

static int from_cse_cert(struct gen *g)
{
	char *pem = NULL, cn[CN_MAX];
	size_t n;
	m2m_err r;
	bool ok;

	if (g->cfg->cert[0] == '\0')
		return CLI_OK;
	if ((r = cli_read_file(g->cfg->cert, CONFIG_MAX, 0, &pem, &n)) != M2M_OK)
		return cli_fail("mqtt-acl: cert", r);
	ok = pem_cn(pem, cn);
	free(pem);
	if (!ok || !identity_ok(cn)) {
		cli_errorf("mqtt-acl: the CSE certificate's CN is missing or not usable as a broker identity"
			   " (no space, '+', '#', '/', ':')");
		return CLI_USAGE;
	}
	cse_rules(g, cn);
	return CLI_OK;
}

/* The CSE's own PSK towards the broker (mqtt-psk-identity + mqtt-psk-file, TS-0010 clause 7.3):
 * the CSE's topics for that identity, and its key in the psk_file, so the broker knows the
 * identity the CSE connects with. */
static int from_cse_psk(struct gen *g)
{
	m2m_key *key = NULL;
	m2m_err r;

	if (g->cfg->mqtt_psk_identity[0] == '\0')
		return CLI_OK;
	if (!identity_ok(g->cfg->mqtt_psk_identity)) {
		cli_errorf("mqtt-acl: mqtt-psk-identity is not usable as a broker identity (no space, '+', '#', '/', ':')");
		return CLI_USAGE;
	}
	if ((r = m2mi_tls_read_hex_key(g->cfg->mqtt_psk_file, &key)) != M2M_OK) {
		cli_errorf("mqtt-acl: mqtt-psk-file %s: %s", g->cfg->mqtt_psk_file,
			   r == M2M_E_CONFIG ? "not one key of 16..64 bytes in hex" : m2m_strerror(r));
		return r == M2M_E_CONFIG || r == M2M_E_KEY_PERMS ? CLI_USAGE : CLI_FAIL;
	}
	cse_rules(g, g->cfg->mqtt_psk_identity);
	psk_line(g, g->cfg->mqtt_psk_identity, key);
	m2m_key_free(key);
	return CLI_OK;
}

/* Write data to path through path.tmp + rename, with mode; nothing is left behind on failure. */
static int write_file(const char *path, const char *data, size_t n, mode_t mode, const char *what)
{
	char tmp[4096];
	int fd;
	ssize_t w = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return cli_fail(what, M2M_E_RANGE);
	unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0 || fchmod(fd, mode) != 0)
		goto fail;
	for (size_t off = 0; off < n; off += (size_t)w)
		if ((w = write(fd, data + off, n - off)) <= 0)
			goto fail;
	if (fsync(fd) != 0 || close(fd) != 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) != 0)
		goto fail;
	return CLI_OK;
fail:
	cli_errorf("%s: cannot write %s: %s", what, path, strerror(errno));
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return CLI_FAIL;
}

static void usage(FILE *f)
{
	fputs("usage: m2msec mqtt-acl --config FILE --acl-out FILE [--psk-out FILE]\n\n"
	      "Write the MQTT server's topic authorization (TS-0010 clauses 7.2-7.4) for mosquitto with\n"
	      "`use_identity_as_username true`, from the CSE config ([cse] cse-id, cert, psk-file, cred-store,\n"
	      "mqtt-psk-identity, mqtt-psk-file):\n"
	      "  - the CSE (its certificate CN, mqtt-psk-identity, or a PSK identity bound to its cse-id):\n"
	      "    requests and registration requests to it, its responses, its own requests to\n"
	      "    registrees;\n"
	      "  - every known identity bound to an AE-ID or another CSE-ID (psk-file lines, Kpsa and\n"
	      "    certificate records of the credential store): only its own req/resp topics;\n"
	      "  - every PSK identity but the CSE's: its registration topics under its Credential-ID,\n"
	      "    /oneM2M/reg_req/12-<KpsaID>/<cse>/# and reg_resp (TS-0010 6.4.4; TS-0003 10.4);\n"
	      "  - anyone else: nothing.\n"
	      "With --psk-out, a mosquitto psk_file (identity:hexkey, mode 0600) of every PSK; keys are\n"
	      "never printed. An identity with a space, '+', '#', '/', ':' or a control character is\n"
	      "refused (exit 2) and nothing is written.\n\n"
	      "options:\n"
	      "  --config FILE    the CSE configuration\n"
	      "  --acl-out FILE   the ACL file to write (replaced atomically)\n"
	      "  --psk-out FILE   the psk_file to write (0600, replaced atomically)\n"
	      "  -h, --help       this text\n",
	      f);
}

static int load_config(const char *path, m2m_cse_config *cfg)
{
	char err[512] = "", *text = NULL;
	size_t len = 0;
	m2m_err r;

	m2m_cse_config_defaults(cfg);
	if ((r = cli_read_file(path, CONFIG_MAX, 0, &text, &len)) != M2M_OK)
		return cli_fail("mqtt-acl: --config", r);
	r = m2m_cse_config_parse(cfg, text, len, err, sizeof(err));
	free(text);
	if (r == M2M_OK)
		r = m2m_cse_config_validate(cfg, err, sizeof(err));
	if (r != M2M_OK) {
		cli_errorf("mqtt-acl: %s: %s", path, err);
		return CLI_USAGE;
	}
	return CLI_OK;
}

int cli_mqtt_acl_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'}, {"acl-out", required_argument, NULL, 'a'},
		{"psk-out", required_argument, NULL, 'p'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0},
	};
	const char *config = NULL, *acl_out = NULL, *psk_out = NULL;
	m2m_cse_config cfg;
	struct gen g;
	int c, rc;

	if (cli_wants_help(argc, argv)) {
		usage(stdout);
		return CLI_OK;
	}
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': config = optarg; break;
		case 'a': acl_out = optarg; break;
		case 'p': psk_out = optarg; break;
		default: return cli_bad_option("mqtt-acl", argv);
		}
	}
	if (cli_no_operands("mqtt-acl", argc, argv) >= 0)
		return CLI_USAGE;
	if (config == NULL || acl_out == NULL) {
		cli_errorf("mqtt-acl: --config and --acl-out are required");
		return CLI_USAGE;
	}
	if ((rc = load_config(config, &cfg)) != CLI_OK)
		return rc;
	memset(&g, 0, sizeof(g));
	g.cfg = &cfg;
	g.psk.secret = true;
	if (!topic_id(cfg.cse_id, g.cse) || !identity_ok(g.cse)) {
		cli_errorf("mqtt-acl: cse-id cannot be a topic level");
		return CLI_USAGE;
	}
	buf_add(&g.acl, "# mosquitto ACL written by `m2msec mqtt-acl` (TS-0010 V3.1.0 clause 7.4) for\n"
			"# use_identity_as_username true. Do not edit: regenerate from the CSE config.\n");
	/* No pattern for everyone (%u): the CSE trusts a reg_req level as a Credential-ID (clause
	 * 7.2), and a username that happens to look like one ("12-<someone's KpsaID>", a certificate
	 * CN) must not be able to claim it. Each PSK identity gets its own registration topics. */
	rc = from_cse_cert(&g);
	if (rc == CLI_OK)
		rc = from_cse_psk(&g);
	if (rc == CLI_OK)
		rc = from_psk_file(&g);
	if (rc == CLI_OK)
		rc = from_store(&g);
	if (rc == CLI_OK && g.bad != NULL)
		rc = CLI_USAGE;
	if (g.bad != NULL)
		cli_errorf("mqtt-acl: %s has an identity or bound ID unusable in MQTT topics or broker files"
			   " (space, '+', '#', '/', ':', control character); nothing written", g.bad);
	if (rc == CLI_OK && (g.acl.oom || g.psk.oom))
		rc = cli_fail("mqtt-acl", M2M_E_NOMEM);
	if (rc == CLI_OK && psk_out != NULL)
		rc = write_file(psk_out, g.psk.p ? g.psk.p : "", g.psk.n, 0600, "mqtt-acl: --psk-out");
	if (rc == CLI_OK)
		rc = write_file(acl_out, g.acl.p, g.acl.n, 0644, "mqtt-acl: --acl-out");
	if (rc == CLI_OK)
		printf("mqtt-acl: %d identities with own topics; ACL %s%s%s\n", g.nusers, acl_out,
		       psk_out ? ", psk_file " : "", psk_out ? psk_out : "");
	buf_free(&g.acl);
	buf_free(&g.psk);
	return rc;
}
