/* SPDX-License-Identifier: Apache-2.0 */
/*
 * This file implements the MQTT load client of bench/cse section (7) (TS-0010: requests as JSON
 * primitives published on a request topic, answers on a response topic, both through a broker):
 *   load  one client over TLS (PSK or certificate) keeps --inflight RETRIEVE primitives in flight
 *         (QoS 1) for --seconds and prints requests/s with latency percentiles; the answers are
 *         matched by rqi, and with --expect-rsc each must carry that rsc;
 *   rr    one request, exit 0 once it is answered (with --expect-rsc) within --seconds: the probe
 *         that waits for the CSE to be subscribed (never a measurement);
 *   echo  the baseline's responder: republishes every message of --sub on --resp-topic (QoS 1)
 *         unchanged, until SIGTERM — the same client, broker and round trip as the CSE's path
 *         without the CSE.
 * libmosquitto in its own loop on this thread: no other thread, nothing shared.
 */
#include <getopt.h>
#include <mosquitto.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>

#include "bench_common.h"

#define MAX_INFLIGHT 64
#define MAX_SAMPLES 2000000

static struct {
	const char *mode, *host, *cafile, *cert, *key, *identity, *psk, *id;
	const char *req_topic, *resp_topic, *sub, *origin, *path;
	int port, inflight, expect_rsc;
	double seconds;
} o = {.host = "127.0.0.1", .inflight = 8, .seconds = 2, .id = "bench-mqtt"};

static struct {
	double sent_at[MAX_INFLIGHT];
	bool busy[MAX_INFLIGHT];
	unsigned long seq, done, errors;
	uint32_t *lat;
	size_t nlat;
	bool sending, connected, subscribed;
} st;

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: bench_mqtt load|rr|echo --port P [--host H] (--psk-identity ID --psk HEX | --cafile CA "
		   "--cert C --key K) [--id CLIENT_ID]\n"
		   "  load|rr: --req-topic T --resp-topic R --origin FROM --path TO [--inflight N] [--seconds S] "
		   "[--expect-rsc RSC]\n"
		   "  echo:    --sub FILTER --resp-topic R\n");
}

/* Publish request slot i: {"op":2,"to":path,"fr":origin,"rqi":"b<slot>-<seq>","rvi":"3"}. */
static int send_one(struct mosquitto *m, int i)
{
	char p[512];
	int n = snprintf(p, sizeof(p), "{\"op\":2,\"to\":\"%s\",\"fr\":\"%s\",\"rqi\":\"b%d-%lu\",\"rvi\":\"3\"}",
			 o.path, o.origin, i, st.seq++);

	if (n < 0 || (size_t)n >= sizeof(p))
		return -1;
	st.sent_at[i] = bench_now();
	st.busy[i] = true;
	return mosquitto_publish(m, NULL, o.req_topic, n, p, 1, false) == MOSQ_ERR_SUCCESS ? 0 : -1;
}

static void on_connect(struct mosquitto *m, void *arg, int rc)
{
	(void)arg;
	if (rc != 0) {
		fprintf(stderr, "bench_mqtt: connection refused: %s\n", mosquitto_connack_string(rc));
		stop = 1;
		return;
	}
	st.connected = true;
	if (mosquitto_subscribe(m, NULL, strcmp(o.mode, "echo") == 0 ? o.sub : o.resp_topic, 1) != MOSQ_ERR_SUCCESS)
		stop = 1;
}

static void on_subscribe(struct mosquitto *m, void *arg, int mid, int n, const int *granted)
{
	(void)arg;
	(void)mid;
	if (n < 1 || granted[0] > 2) { /* the ACL refused the subscription */
		fprintf(stderr, "bench_mqtt: subscription refused\n");
		stop = 1;
		return;
	}
	st.subscribed = true;
	if (strcmp(o.mode, "echo") == 0)
		return;
	st.sending = true;
	for (int i = 0; i < o.inflight; i++)
		if (send_one(m, i) != 0)
			stop = 1;
}

static void on_message(struct mosquitto *m, void *arg, const struct mosquitto_message *msg)
{
	const char *p = msg->payload, *r;
	char want[32];
	int i;

	(void)arg;
	if (strcmp(o.mode, "echo") == 0) {
		(void)mosquitto_publish(m, NULL, o.resp_topic, msg->payloadlen, msg->payload, 1, false);
		return;
	}
	/* the answer names its request: "rqi":"b<slot>-..." */
	if (p == NULL || msg->payloadlen <= 0 || memchr(p, '\0', (size_t)msg->payloadlen) != NULL ||
	    (r = strstr(p, "\"rqi\":\"b")) == NULL || (i = atoi(r + 8)) < 0 || i >= o.inflight || !st.busy[i])
		return; /* payloads are NUL-terminated by libmosquitto */
	st.busy[i] = false;
	snprintf(want, sizeof(want), "\"rsc\":%d", o.expect_rsc);
	if (o.expect_rsc != 0 && strstr(p, want) == NULL) {
		if (st.errors++ < 3)
			fprintf(stderr, "bench_mqtt: unexpected answer: %.300s\n", p);
	} else {
		st.done++;
		if (st.nlat < MAX_SAMPLES)
			st.lat[st.nlat++] = (uint32_t)((bench_now() - st.sent_at[i]) * 1e6);
	}
	if (st.sending && send_one(m, i) != 0)
		stop = 1;
}

static struct mosquitto *client(void)
{
	struct mosquitto *m = mosquitto_new(o.id, true, NULL);

	if (m == NULL)
		return NULL;
	if (o.psk != NULL) {
		if (mosquitto_tls_psk_set(m, o.psk, o.identity, NULL) != MOSQ_ERR_SUCCESS ||
		    mosquitto_tls_opts_set(m, 1, "tlsv1.2", NULL) != MOSQ_ERR_SUCCESS)
			goto bad;
	} else if (mosquitto_tls_set(m, o.cafile, NULL, o.cert, o.key, NULL) != MOSQ_ERR_SUCCESS) {
		goto bad;
	}
	(void)mosquitto_int_option(m, MOSQ_OPT_SEND_MAXIMUM, MAX_INFLIGHT);
	(void)mosquitto_int_option(m, MOSQ_OPT_TCP_NODELAY, 1); /* one small PUBLISH per request: no Nagle wait */
	mosquitto_connect_callback_set(m, on_connect);
	mosquitto_subscribe_callback_set(m, on_subscribe);
	mosquitto_message_callback_set(m, on_message);
	if (mosquitto_connect(m, o.host, o.port, 30) != MOSQ_ERR_SUCCESS)
		goto bad;
	return m;
bad:
	fprintf(stderr, "bench_mqtt: cannot set up the client towards %s:%d\n", o.host, o.port);
	mosquitto_destroy(m);
	return NULL;
}

/* Run the loop until stop, or until `until` (0 none) has passed. */
static void loop(struct mosquitto *m, double until)
{
	while (!stop && (until == 0 || bench_now() < until))
		if (mosquitto_loop(m, 10, 1) != MOSQ_ERR_SUCCESS) {
			fprintf(stderr, "bench_mqtt: connection lost\n");
			stop = 1;
		}
}

static int mode_load(struct mosquitto *m)
{
	double t0, t1, deadline = bench_now() + 30; /* connect and subscribe: a hang guard only */
	unsigned long done0;
	size_t n0;

	while (!stop && !st.sending && bench_now() < deadline)
		loop(m, bench_now() + 0.05);
	if (!st.sending)
		return 1;
	if (strcmp(o.mode, "rr") == 0) {
		loop(m, bench_now() + o.seconds);
		while (!stop && st.done == 0 && st.errors == 0 && bench_now() < deadline)
			loop(m, bench_now() + 0.05);
		return st.done > 0 ? 0 : 1;
	}
	loop(m, bench_now() + 0.2); /* warm-up, not counted */
	done0 = st.done;
	n0 = st.nlat;
	t0 = bench_now();
	loop(m, t0 + o.seconds);
	t1 = bench_now();
	st.sending = false;
	unsigned long n = st.done - done0;
	uint32_t *lat = st.lat + n0;
	size_t nl = st.nlat - n0;
	qsort(lat, nl, sizeof(*lat), bench_cmp_u32);
	printf("requests_per_s=%.0f requests=%lu seconds=%.3f p50_us=%u p99_us=%u errors=%lu\n", (double)n / (t1 - t0),
	       n, t1 - t0, nl ? lat[nl / 2] : 0, nl ? lat[nl * 99 / 100] : 0, st.errors);
	loop(m, bench_now() + 0.5); /* let the last answers arrive before the disconnect */
	return st.errors > 0 || n == 0 ? 1 : 0;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{"host", required_argument, NULL, 'H'},       {"port", required_argument, NULL, 'p'},
		{"cafile", required_argument, NULL, 'a'},     {"cert", required_argument, NULL, 'c'},
		{"key", required_argument, NULL, 'K'},        {"psk-identity", required_argument, NULL, 'i'},
		{"psk", required_argument, NULL, 'k'},        {"id", required_argument, NULL, 'I'},
		{"req-topic", required_argument, NULL, 't'},  {"resp-topic", required_argument, NULL, 'r'},
		{"sub", required_argument, NULL, 'S'},        {"origin", required_argument, NULL, 'o'},
		{"path", required_argument, NULL, 'P'},       {"inflight", required_argument, NULL, 'n'},
		{"seconds", required_argument, NULL, 's'},    {"expect-rsc", required_argument, NULL, 'e'},
		{"help", no_argument, NULL, 'h'},             {NULL, 0, NULL, 0},
	};
	struct mosquitto *m;
	bool echo, load;
	int c, rc;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	o.mode = argv[1];
	optind = 2;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'H': o.host = optarg; break;
		case 'p': o.port = atoi(optarg); break;
		case 'a': o.cafile = optarg; break;
		case 'c': o.cert = optarg; break;
		case 'K': o.key = optarg; break;
		case 'i': o.identity = optarg; break;
		case 'k': o.psk = optarg; break;
		case 'I': o.id = optarg; break;
		case 't': o.req_topic = optarg; break;
		case 'r': o.resp_topic = optarg; break;
		case 'S': o.sub = optarg; break;
		case 'o': o.origin = optarg; break;
		case 'P': o.path = optarg; break;
		case 'n': o.inflight = atoi(optarg); break;
		case 's': o.seconds = strtod(optarg, NULL); break;
		case 'e': o.expect_rsc = atoi(optarg); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	echo = strcmp(o.mode, "echo") == 0;
	load = strcmp(o.mode, "load") == 0 || strcmp(o.mode, "rr") == 0;
	if ((!echo && !load) || o.port <= 0 || o.port > 65535 || o.resp_topic == NULL ||
	    (o.psk == NULL && (o.cafile == NULL || o.cert == NULL || o.key == NULL)) ||
	    (o.psk != NULL && o.identity == NULL) || (echo && o.sub == NULL) ||
	    (load && (o.req_topic == NULL || o.origin == NULL || o.path == NULL || o.seconds <= 0 || o.inflight < 1 ||
		      o.inflight > MAX_INFLIGHT))) {
		usage(stderr);
		return 2;
	}
	if (strcmp(o.mode, "rr") == 0)
		o.inflight = 1;
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	if (load && (st.lat = calloc(MAX_SAMPLES, sizeof(*st.lat))) == NULL)
		return 1;
	mosquitto_lib_init();
	if ((m = client()) == NULL) {
		rc = 1;
	} else if (echo) {
		loop(m, 0);
		rc = st.subscribed ? 0 : 1;
	} else {
		rc = mode_load(m);
	}
	if (m != NULL) {
		mosquitto_disconnect(m);
		mosquitto_destroy(m);
	}
	mosquitto_lib_cleanup();
	free(st.lat);
	return rc;
}
