/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements `m2msec mef enrolee import --config FILE CSV` (docs/cli.md): a batch of Kpm
 * enrolees (TS-0003 §8.3.2.1) from a CSV file, each row in its own store transaction, so good rows
 * are kept when a bad one is refused (reported with its line number); re-running the same file
 * changes nothing (every row "unchanged"). A progress bar on a terminal, one summary line
 * otherwise. The CSV holds keys: it must be a 0600 file, and no key text is ever printed.
 */
#include <ctype.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/cmd_mef.h"
#include "m2msec/hex.h"
#include "m2msec/mem.h"

#define CSV_MAX (64u * 1024 * 1024)
#define WHAT "mef enrolee import"

static void usage(FILE *f)
{
	fputs("usage: m2msec mef enrolee import --config FILE CSV\n\n"
	      "Add Kpm enrolees in bulk to the MEF store of the [mef] section (works while the MEF runs).\n"
	      "CSV: one enrolee per line, comma-separated, '#' comments and blank lines ignored, an\n"
	      "optional header line starting with kpm_id:\n\n"
	      "  kpm_id,kpm,enrolee_id,targets[,expiry_days]\n\n"
	      "  kpm_id       KpmID (name@fqdn)\n"
	      "  kpm          the Kpm as 64 hex digits, or @PATH: a file holding them (mode 0600)\n"
	      "  enrolee_id   Enrolee-ID (AE-ID or CSE-ID)\n"
	      "  targets      Enrolment Targets (CSE-IDs or MAF-FQDNs), separated by spaces (up to 8)\n"
	      "  expiry_days  Enrolment Expiry in days (default: enrolment-expiry-days of [mef])\n\n"
	      "The CSV must be mode 0600 or stricter (it holds keys). Each row is its own transaction:\n"
	      "bad rows are reported with their line number and the good ones are kept; running the same\n"
	      "file again reports every row unchanged. Exit status 0 all rows ok, 1 some rows refused or\n"
	      "the store failed, 2 bad usage.\n", f);
}

struct row {
	unsigned line;
	m2m_mef_enrolee e;
	m2m_key *kpm;
};

struct batch {
	struct row *rows;
	size_t n, done, total;
	bool tty;
};

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/* Parse one line (modified in place); error text in err (never key text). */
static bool parse_row(char *line, int64_t now, int default_days, struct row *r, char *err, size_t cap)
{
	char *f[6];
	size_t nf = 0;
	uint8_t kpm[32];
	size_t klen = 0;
	char *p = line, *tok, *save = NULL;
	long days = default_days;
	m2m_err e;

	while (nf < 6) {
		f[nf++] = p;
		if ((p = strchr(p, ',')) == NULL)
			break;
		*p++ = '\0';
	}
	if (nf < 4 || nf > 5 || p != NULL) {
		snprintf(err, cap, "expected 4 or 5 comma-separated fields");
		return false;
	}
	for (size_t i = 0; i < nf; i++)
		f[i] = trim(f[i]);
	if (nf == 5 && f[4][0] != '\0') {
		char *end;
		days = strtol(f[4], &end, 10);
		if (*end != '\0' || days < 1 || days > 36500) {
			snprintf(err, cap, "expiry_days must be 1..36500");
			return false;
		}
	}
	if (f[1][0] == '@')
		e = cli_secret_hex(NULL, f[1] + 1, 1024, kpm, sizeof(kpm), &klen);
	else
		e = cli_secret_hex(f[1], NULL, 1024, kpm, sizeof(kpm), &klen);
	if (e == M2M_OK && klen != 32)
		e = M2M_E_KEY_LEN;
	if (e == M2M_OK)
		e = m2m_key_new(kpm, 32, &r->kpm);
	m2m_memzero(kpm, sizeof(kpm));
	if (e != M2M_OK) {
		snprintf(err, cap, "kpm: %s", e == M2M_E_KEY_LEN || e == M2M_E_TOO_LARGE || e == M2M_E_ID_BAD_HEX
			 ? "must be 32 bytes as 64 hex digits" : m2m_strerror(e));
		return false;
	}
	r->e.flavour = M2M_MEF_FLAVOUR_KPM;
	r->e.client_id = f[0];
	r->e.enrolee_id = f[2];
	r->e.expiry = now + 86400 * (int64_t)days;
	for (tok = strtok_r(f[3], " \t", &save); tok != NULL; tok = strtok_r(NULL, " \t", &save)) {
		if (r->e.ntargets == M2M_MEF_MAX_TARGETS) {
			snprintf(err, cap, "at most %d targets", M2M_MEF_MAX_TARGETS);
			return false;
		}
		r->e.targets[r->e.ntargets++] = tok;
	}
	if (r->e.ntargets == 0) {
		snprintf(err, cap, "no target");
		return false;
	}
	return true;
}

static void progress(struct batch *b)
{
	int width = 40, fill = b->total ? (int)(b->done * (size_t)width / b->total) : width;

	fprintf(stderr, "\rimport [%.*s%*s] %zu/%zu", fill, "########################################", width - fill,
		"", b->done, b->total);
	if (b->done == b->total)
		fputc('\n', stderr);
}

static m2m_err on_row(size_t index, m2m_err r, m2m_mef_add_result res, void *arg)
{
	struct batch *b = arg;

	(void)res;
	if (r != M2M_OK) {
		if (b->tty)
			fputc('\n', stderr);
		cli_errorf(WHAT ": line %u: %s: %s", b->rows[index].line, b->rows[index].e.client_id,
			   r == M2M_E_EXISTS ? "already enrolled with other settings" : m2m_strerror(r));
	}
	b->done++;
	if (b->tty && (b->done % 64 == 0 || b->done == b->total))
		progress(b);
	return M2M_OK;
}

int cli_mef_import_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
	const char *config = NULL, *csv;
	char *text = NULL, *line, *next, err[160];
	size_t len = 0, cap = 0, bad = 0, added = 0, unchanged = 0, failed = 0;
	unsigned lineno = 0;
	struct batch b = {0};
	m2m_mef_enrolee *rows = NULL;
	const m2m_key **kpms = NULL;
	m2m_mef_svc_config cfg;
	m2m_mefstore *st = NULL;
	int64_t now = (int64_t)time(NULL);
	int c, rc;
	m2m_err r;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		if (c == 'c') {
			config = optarg;
		} else if (c == 'h') {
			usage(stdout);
			return CLI_OK;
		} else {
			cli_errorf(WHAT ": unknown or incomplete option '%s' (try --help)", argv[optind - 1]);
			return CLI_USAGE;
		}
	}
	if (optind + 1 != argc) {
		cli_errorf(WHAT ": exactly one CSV file is required (try --help)");
		return CLI_USAGE;
	}
	csv = argv[optind];
	if ((r = cli_read_file(csv, CSV_MAX, 1, &text, &len)) != M2M_OK) {
		cli_errorf(WHAT ": %s: %s", csv, m2m_strerror(r));
		return cli_exit_code(r) == CLI_OK ? CLI_FAIL : cli_exit_code(r);
	}
	if ((rc = mef_cli_open(WHAT, config, true, &cfg, &st)) != CLI_OK)
		goto out;
	rc = CLI_FAIL;
	for (char *p = text; *p; p++)
		cap += *p == '\n';
	if ((b.rows = calloc(cap + 1, sizeof(*b.rows))) == NULL)
		goto out;
	for (line = text; line != NULL; line = next) {
		char *l;
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		lineno++;
		l = trim(line);
		if (l[0] == '\0' || l[0] == '#' || (b.n == 0 && bad == 0 && strncmp(l, "kpm_id", 6) == 0))
			continue;
		b.rows[b.n].line = lineno;
		if (!parse_row(l, now, cfg.enrolment_expiry_days, &b.rows[b.n], err, sizeof(err))) {
			cli_errorf(WHAT ": line %u: %s", lineno, err);
			m2m_key_free(b.rows[b.n].kpm);
			memset(&b.rows[b.n], 0, sizeof(b.rows[b.n]));
			bad++;
			continue;
		}
		b.n++;
	}
	if ((rows = calloc(b.n + 1, sizeof(*rows))) == NULL || (kpms = calloc(b.n + 1, sizeof(*kpms))) == NULL)
		goto out;
	for (size_t i = 0; i < b.n; i++) {
		rows[i] = b.rows[i].e;
		kpms[i] = b.rows[i].kpm;
	}
	b.total = b.n;
	b.tty = isatty(STDERR_FILENO) == 1;
	r = m2m_mefstore_enrolee_import(st, rows, kpms, b.n, now, on_row, &b, &added, &unchanged, &failed);
	if (r != M2M_OK) {
		rc = cli_fail(WHAT, r);
		goto out;
	}
	printf("import: %zu rows: %zu added, %zu unchanged, %zu failed\n", b.n + bad, added, unchanged, failed + bad);
	rc = failed + bad > 0 ? CLI_FAIL : CLI_OK;
out:
	for (size_t i = 0; b.rows != NULL && i < b.n; i++)
		m2m_key_free(b.rows[i].kpm);
	free(b.rows);
	free(rows);
	free(kpms);
	m2m_mefstore_close(st);
	if (text != NULL)
		m2m_freezero(text, len + 1);
	return rc;
}
