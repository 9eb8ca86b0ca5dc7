/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements `m2msec ca crl`: publish the CRL of a CA directory (RFC 5280 section 5;
 * TS-0003 clause 8.1.2.2 certificate status). With --store (a MEF store) the revoked serials come
 * from the MEF's EST issuance records (certificates superseded by re-enrolment, revoked by
 * --revoke, or of revoked enrolees); --serial adds serials by hand. The file is replaced
 * atomically (temporary file, fsync, rename), so a CSE reading it (crl-file) never sees half a CRL.
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "m2msec/ca.h"
#include "m2msec/est.h"
#include "m2msec/mefstore.h"
#include "store/pg_common.h"

#define CRL_MAX_SERIALS 64

static const char usage_crl[] =
	"usage: m2msec ca crl --dir DIR --out FILE [--store MEFSTORE] [--revoke SERIAL]...\n"
	"                     [--serial SERIAL]... [--hours N]\n"
	"\n"
	"Write the CA's CRL (PEM, v2, ECDSA-SHA256, cRLNumber = issue time) to FILE, replacing it\n"
	"atomically. nextUpdate is N hours ahead (default 168): a CSE with crl-file refuses every\n"
	"certificate client once the CRL it holds is past nextUpdate, so republish well before.\n"
	"\n"
	"  --dir DIR         CA directory (ca.key must be mode 0600); --ca-dir is an alias\n"
	"  --out FILE        where to write the CRL\n"
	"  --store MEFSTORE  list the revoked certificates of the MEF's EST records: superseded by\n"
	"                    re-enrolment, revoked with --revoke, or of a revoked enrolee\n"
	"  --revoke SERIAL   first mark this EST-issued certificate revoked in MEFSTORE (hex serial)\n"
	"  --serial SERIAL   also list this serial (hex; repeatable)\n"
	"  --hours N         validity, 1..8760 (default 168)\n";

struct crl_list {
	m2m_ca_revoked v[CRL_MAX_SERIALS * 2];
	char s[CRL_MAX_SERIALS * 2][48];
	size_t n;
	bool full;
};

static void add_rv(void *arg, const m2m_ca_revoked *rv)
{
	struct crl_list *l = arg;

	if (l->n >= sizeof(l->v) / sizeof(l->v[0])) {
		l->full = true;
		return;
	}
	snprintf(l->s[l->n], sizeof(l->s[0]), "%s", rv->serial_hex);
	l->v[l->n] = *rv;
	l->v[l->n].serial_hex = l->s[l->n];
	l->n++;
}

static int write_atomic(const char *path, const char *text)
{
	char tmp[4096];
	size_t len = strlen(text);
	int fd;

	if (snprintf(tmp, sizeof(tmp), "%s.tmpXXXXXX", path) >= (int)sizeof(tmp))
		return -1;
	if ((fd = mkstemp(tmp)) < 0)
		return -1;
	if (fchmod(fd, 0644) != 0 || write(fd, text, len) != (ssize_t)len || fsync(fd) != 0) {
		close(fd);
		unlink(tmp);
		return -1;
	}
	if (close(fd) != 0 || rename(tmp, path) != 0) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

int cli_ca_crl(int argc, char **argv)
{
	enum { O_DIR = 1, O_OUT, O_STORE, O_REVOKE, O_SERIAL, O_HOURS, O_HELP };
	static const struct option opts[] = {
		{"dir", required_argument, NULL, O_DIR},	 {"ca-dir", required_argument, NULL, O_DIR},
		{"out", required_argument, NULL, O_OUT},	 {"store", required_argument, NULL, O_STORE},
		{"revoke", required_argument, NULL, O_REVOKE}, {"serial", required_argument, NULL, O_SERIAL},
		{"hours", required_argument, NULL, O_HOURS},	 {"help", no_argument, NULL, O_HELP},
		{NULL, 0, NULL, 0},
	};
	const char *dir = NULL, *out = NULL, *store = NULL, *revoke[CRL_MAX_SERIALS], *serial[CRL_MAX_SERIALS];
	size_t nrev = 0, nser = 0;
	long hours = 168;
	int64_t now = (int64_t)time(NULL);
	static struct crl_list l;
	m2m_mefstore *st = NULL;
	m2m_ca *ca = NULL;
	char *pem = NULL, *end;
	int c, rc = CLI_FAIL;
	m2m_err r;

	optind = 1;
	opterr = 0;
	memset(&l, 0, sizeof(l));
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case O_DIR: dir = optarg; break;
		case O_OUT: out = optarg; break;
		case O_STORE: store = optarg; break;
		case O_HELP: fputs(usage_crl, stdout); return CLI_OK;
		case O_REVOKE:
		case O_SERIAL:
			if ((c == O_REVOKE ? nrev : nser) >= CRL_MAX_SERIALS) {
				cli_errorf("ca crl: at most %d --revoke/--serial options each", CRL_MAX_SERIALS);
				return CLI_USAGE;
			}
			if (c == O_REVOKE)
				revoke[nrev++] = optarg;
			else
				serial[nser++] = optarg;
			break;
		case O_HOURS:
			hours = strtol(optarg, &end, 10);
			if (end == optarg || *end != '\0' || hours < 1 || hours > 8760) {
				cli_errorf("ca crl: --hours must be 1..8760");
				return CLI_USAGE;
			}
			break;
		default:
			cli_errorf("ca crl: unknown or incomplete option '%s' (try --help)", argv[optind - 1]);
			return CLI_USAGE;
		}
	}
	if (optind != argc || dir == NULL || out == NULL || (nrev > 0 && store == NULL)) {
		cli_errorf("ca crl: --dir and --out are required; --revoke needs --store (try --help)");
		return CLI_USAGE;
	}
	if ((r = m2m_ca_open(dir, &ca)) != M2M_OK) {
		cli_errorf("ca crl: %s: %s", dir, m2m_strerror(r));
		return CLI_FAIL;
	}
	if (store != NULL) {
		if ((r = m2m_mefstore_open(store, false, &st)) != M2M_OK) {
			char shown[256]; /* a postgresql:// URI is shown without its password */

			m2mi_pg_redact(store, shown, sizeof(shown));
			cli_errorf("ca crl: store %s: %s", shown, m2m_strerror(r));
			goto done;
		}
		for (size_t i = 0; i < nrev; i++)
			if ((r = m2m_mefstore_est_revoke(st, revoke[i], now)) != M2M_OK) {
				cli_errorf("ca crl: --revoke %s: %s", revoke[i], m2m_strerror(r));
				rc = r == M2M_E_NOT_FOUND ? CLI_USAGE : CLI_FAIL;
				goto done;
			}
		if ((r = m2m_mefstore_est_revoked(st, now, add_rv, &l)) != M2M_OK || l.full) {
			cli_errorf("ca crl: store %s: %s", store, l.full ? "too many revoked certificates" : m2m_strerror(r));
			goto done;
		}
	}
	for (size_t i = 0; i < nser; i++)
		add_rv(&l, &(m2m_ca_revoked){.serial_hex = serial[i], .revoked_at = now, .reason = M2M_CA_REASON_UNSPECIFIED});
	if ((r = m2m_ca_crl(ca, l.v, l.n, now, (int64_t)hours * 3600, &pem)) != M2M_OK) {
		cli_errorf("ca crl: %s", m2m_strerror(r));
		rc = r == M2M_E_INVAL ? CLI_USAGE : CLI_FAIL;
		goto done;
	}
	if (write_atomic(out, pem) != 0) {
		cli_errorf("ca crl: cannot write %s", out);
		goto done;
	}
	printf("%zu\n", l.n);
	rc = CLI_OK;
done:
	free(pem);
	m2m_mefstore_close(st);
	m2m_ca_free(ca);
	return rc;
}
