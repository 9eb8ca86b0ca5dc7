# SPDX-License-Identifier: Apache-2.0
"""A fake oneM2M peer of the CSE in the test process (the MEF of test_24, the MAF of test_29):
an HTTPS server on loopback with a certificate of the CSE's test PKI that requires a client
certificate (the CSE authenticates as an Enrolment Target, TS-0003 8.3.5.2.1, and as a MAF
key target, 8.8.2.8), answering GETs through a callback with an X-M2M-RSC header and a JSON
body. Nothing here is committed key material: the certificates come from the run's PKI."""
import http.server
import json
import ssl
import threading

from cse_harness import free_port


def http_status(rsc):
    return 200 if rsc == 2000 else 403 if rsc == 4103 else 404


def send_json(h, rsc, body, status=None, content_type=True):
    """Answer the request of handler h with rsc (X-M2M-RSC) and body as JSON."""
    data = json.dumps(body).encode()
    h.send_response(status or http_status(rsc))
    h.send_header("X-M2M-RSC", str(rsc))
    if content_type:
        h.send_header("Content-Type", "application/json")
    h.send_header("Content-Length", str(len(data)))
    h.end_headers()
    h.wfile.write(data)


class FakeTlsServer:
    """Serve on self.port as `fqdn` (certificate `name` issued by cse's CA); do_get(handler)
    answers each GET (send_json, or nothing to stay silent), do_post(handler) each POST (a
    NOTIFY: the fake DAS of test_47)."""

    def __init__(self, cse, name, fqdn, do_get, do_post=None):
        crt, key = cse.issue(name, fqdn)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(crt, key)
        ctx.load_verify_locations(cse.path("ca/ca.crt"))
        ctx.verify_mode = ssl.CERT_REQUIRED

        class H(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_GET(self):
                do_get(self)

            def do_POST(self):
                (do_post or do_get)(self)

        self.port = free_port()
        self.srv = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), H)
        self.srv.daemon_threads = True
        self.srv.socket = ctx.wrap_socket(self.srv.socket, server_side=True)
        self.th = threading.Thread(target=self.srv.serve_forever, daemon=True)
        self.th.start()

    def stop(self):
        self.srv.shutdown()
        self.srv.server_close()
