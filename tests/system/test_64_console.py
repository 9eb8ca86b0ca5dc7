# SPDX-License-Identifier: Apache-2.0
"""The MEF's operator console (issue 13 "Operator console", docs/procedures/console.md).

A real `m2msec mef` with admin-listen, a real `m2msec cse` as its Enrolment Target, and headless
Chromium driven through chromedriver's WebDriver API (plain HTTP, no client library):

 - authentication is mutual TLS: no client certificate, a certificate of another CA (both a TLS
   refusal) and a certificate of this CA with another identity (403, no data) are refused;
 - the browser loads the pages, searches, opens an enrolee, revokes it with the form, and the
   revocation takes effect at the CSE: the device's next TLS-PSK handshake with its KeID is
   refused (mef-cache-seconds = 0); a screenshot PNG is written and its path printed;
 - a POST without the CSRF token, from another origin or with no origin is 403 and changes
   nothing; a GET never changes state (405); attacker-chosen text is escaped; no key is rendered.

The browser presents the admin client certificate itself: it is imported (PKCS#12) into an NSS
database under a temporary HOME (Chromium on Linux reads ~/.pki/nssdb) with NSS's own PKCS#12
decoder through ctypes (libnss3/libsmime3, Chromium's dependencies; certutil and pk12util are not
needed), and the profile preference auto_select_certificate (the content setting behind the
AutoSelectCertificateForUrls policy) lets headless Chromium pick it for the console's origin.
"""
import base64
import json
import os
import re
import secrets
import shutil
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from cse_harness import SP, Cse, free_port, wait_port

MEF_FQDN = "mef." + SP
ADMIN = "admin." + SP
AE_BODY = '{"m2m:ae":{"rn":"%s","api":"Nm2msec.test","rr":false,"srv":["3"]}}'
XSS = "<script>alert(1)</script>"


# NSS's PKCS#12 import (what pk12util does), run in a child process so NSS state never lingers.
NSS_IMPORT = r"""
import ctypes, sys
nss, smime = ctypes.CDLL("libnss3.so"), ctypes.CDLL("libsmime3.so")
class Item(ctypes.Structure):
    _fields_ = [("type", ctypes.c_int), ("data", ctypes.c_void_p), ("len", ctypes.c_uint)]
P = ctypes.c_void_p
assert nss.NSS_InitReadWrite(b"sql:" + sys.argv[1].encode()) == 0
nss.PK11_GetInternalKeySlot.restype = P
slot = P(nss.PK11_GetInternalKeySlot())
nss.PK11_NeedUserInit.argtypes = [P]
nss.PK11_InitPin.argtypes = [P, ctypes.c_char_p, ctypes.c_char_p]
if nss.PK11_NeedUserInit(slot):
    assert nss.PK11_InitPin(slot, None, b"") == 0
pw = sys.argv[3].encode("utf-16-be") + b"\0\0"
pwbuf = ctypes.create_string_buffer(pw, len(pw))
item = Item(0, ctypes.cast(pwbuf, P), len(pw))
smime.SEC_PKCS12DecoderStart.restype = P
smime.SEC_PKCS12DecoderStart.argtypes = [ctypes.POINTER(Item), P, P, P, P, P, P, P]
dcx = P(smime.SEC_PKCS12DecoderStart(ctypes.byref(item), slot, None, None, None, None, None, None))
assert dcx.value
data = open(sys.argv[2], "rb").read()
buf = ctypes.create_string_buffer(data, len(data))
smime.SEC_PKCS12DecoderUpdate.argtypes = [P, P, ctypes.c_ulong]
assert smime.SEC_PKCS12DecoderUpdate(dcx, buf, len(data)) == 0
smime.SEC_PKCS12DecoderVerify.argtypes = [P]
assert smime.SEC_PKCS12DecoderVerify(dcx) == 0
CB = ctypes.CFUNCTYPE(P, P, ctypes.POINTER(ctypes.c_int), P)
keep = CB(lambda old, cancel, wincx: None)
smime.SEC_PKCS12DecoderValidateBags.argtypes = [P, CB]
assert smime.SEC_PKCS12DecoderValidateBags(dcx, keep) == 0
smime.SEC_PKCS12DecoderImportBags.argtypes = [P]
assert smime.SEC_PKCS12DecoderImportBags(dcx) == 0
smime.SEC_PKCS12DecoderFinish.argtypes = [P]
smime.SEC_PKCS12DecoderFinish(dcx)
nss.PK11_FreeSlot.argtypes = [P]
nss.PK11_FreeSlot(slot)
nss.NSS_Shutdown()
"""


def browser_home(c, tmp, stem):
    """A HOME whose ~/.pki/nssdb holds the certificate and key of stem (Chromium's store on Linux)."""
    os.makedirs(tmp, exist_ok=True)
    home = os.path.join(tmp, "home")
    db = os.path.join(home, ".pki", "nssdb")
    os.makedirs(db)
    p12 = os.path.join(tmp, stem + ".p12")
    subprocess.run(["openssl", "pkcs12", "-export", "-in", c.path(stem + ".crt"), "-inkey", c.path(stem + ".key"),
                    "-name", stem, "-passout", "pass:console", "-out", p12], check=True, capture_output=True)
    r = subprocess.run([sys.executable, "-c", NSS_IMPORT, db, p12, "console"], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0, r.stderr
    return home


def https(port, crt, key, method, path, body=None, headers=None, ca=None):
    """One request to the console with a client certificate; (status, headers, body text)."""
    ctx = ssl.create_default_context(cafile=ca)
    if crt:
        ctx.load_cert_chain(crt, key)
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        with ctx.wrap_socket(s, server_hostname=MEF_FQDN) as t:
            h = {"Host": "127.0.0.1:%d" % port, "Connection": "close"}
            h.update(headers or {})
            data = body.encode() if body is not None else b""
            if body is not None:
                h["Content-Type"] = "application/x-www-form-urlencoded"
                h["Content-Length"] = str(len(data))
            t.sendall(("%s %s HTTP/1.1\r\n%s\r\n\r\n" % (
                method, path, "\r\n".join("%s: %s" % kv for kv in h.items()))).encode() + data)
            buf = b""
            while True:
                try:
                    d = t.recv(65536)
                except ssl.SSLError:
                    break
                if not d:
                    break
                buf += d
    if not buf:
        return 0, {}, ""  # closed without an answer (a TLS 1.3 refusal surfaces on the first read)
    head, _, text = buf.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    hdrs = {k.lower(): v.strip() for k, v in (ln.split(":", 1) for ln in lines[1:])}
    return int(lines[0].split()[1]), hdrs, text.decode()


class WebDriver:
    """The W3C WebDriver protocol over plain HTTP to chromedriver."""

    def __init__(self, tmp, home, origin):
        self.port = free_port()
        self.proc = subprocess.Popen(["/usr/bin/chromedriver", "--port=%d" % self.port],
                                     env=dict(os.environ, HOME=home), stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        wait_port(self.port, self.proc)
        # the content setting of the AutoSelectCertificateForUrls policy: present the (only)
        # matching certificate to origin without asking; the MEF's certificate is from the test
        # CA, which the browser does not know (acceptInsecureCerts)
        prefs = {"profile": {"content_settings": {"exceptions": {"auto_select_certificate": {
            "%s,*" % origin: {"setting": {"filters": [{}]}}}}}}}
        caps = {"capabilities": {"alwaysMatch": {"acceptInsecureCerts": True, "goog:chromeOptions": {
            "binary": "/usr/bin/chromium", "prefs": prefs, "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--window-size=1200,900",
                "--user-data-dir=%s" % os.path.join(tmp, "chromium-profile")]}}}}
        try:
            self.sid = self.call("POST", "/session", caps)["sessionId"]
        except BaseException:
            self.proc.terminate()  # no browser was started: nothing else to stop
            self.proc.wait(timeout=20)
            raise

    def call(self, method, path, body=None):
        if path != "/session":
            path = "/session/%s%s" % (self.sid, path)
        req = urllib.request.Request("http://127.0.0.1:%d%s" % (self.port, path), method=method,
                                     data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=120) as r:
                return json.loads(r.read())["value"]
        except urllib.error.HTTPError as e:
            raise AssertionError("WebDriver %s %s: %s" % (method, path, e.read()[:500])) from None

    def go(self, url):
        self.call("POST", "/url", {"url": url})

    def find(self, css):
        el = self.call("POST", "/element", {"using": "css selector", "value": css})
        return next(iter(el.values()))

    def text(self, css):
        return self.call("GET", "/element/%s/text" % self.find(css))

    def click(self, css, to=None):
        """Click; with to, wait until the page that follows is at a URL containing it (a form or
        link navigates; elements of the old page would be stale). Not a timing assertion: the
        deadline only bounds a hang."""
        self.call("POST", "/element/%s/click" % self.find(css), {})
        end = time.monotonic() + 60
        while to is not None and to not in self.call("GET", "/url"):
            assert time.monotonic() < end, "no navigation to %s" % to
            time.sleep(0.05)

    def type(self, css, s):
        self.call("POST", "/element/%s/value" % self.find(css), {"text": s})

    def source(self):
        return self.call("GET", "/source")

    def screenshot(self, path):
        with open(path, "wb") as f:
            f.write(base64.b64decode(self.call("GET", "/screenshot")))

    def close(self):
        try:
            self.call("DELETE", "")
        finally:
            self.proc.terminate()
            self.proc.wait(timeout=20)


def mef_ini_cse(c, mef_port):
    crt, key = c.issue("cse-to-mef", "id-in." + SP)
    return ("mef-url = https://127.0.0.1:%d\nmef-name = %s\nmef-ca = %s\nmef-cert = %s\nmef-key = %s\n"
            "mef-cache-seconds = 0\n") % (mef_port, MEF_FQDN, c.path("ca/ca.crt"), crt, key)


@pytest.fixture(scope="module")
def env(m2msec_bin, tmp_path_factory):
    c = Cse(m2msec_bin, tmp_path_factory.mktemp("console"))
    c.setup_pki()
    c.add_psk("kpsa-admin@" + SP, "CAdmin")
    crt, key = c.issue("mef", MEF_FQDN)
    c.issue("admin", ADMIN)
    c.issue("intruder", "intruder." + SP)
    # the same identity from another CA
    c.m2m("ca", "init", "--dir", c.path("ca2"), "--name", "other CA", "--permit", SP)
    c.m2m("ca", "issue", "--dir", c.path("ca2"), "--san", ADMIN, "--out", c.path("admin2"))
    port, admin_port = free_port(), free_port()
    ini = c.path("mef.ini")
    with open(ini, "w") as f:
        f.write("[mef]\nmef-fqdn = %s\nsp-id = %s\nhttps-listen = 127.0.0.1:%d\nstore = %s\ncert = %s\n"
                "key = %s\ntrust-anchors = %s\nca-dir = %s\nlog-file = %s\nthreads = 1\n"
                "admin-listen = 127.0.0.1:%d\nadmin-ca = %s\nadmin-identity = %s\n" % (
                    MEF_FQDN, SP, port, c.path("mef.db"), crt, key, c.path("ca/ca.crt"), c.path("ca"),
                    c.path("mef.log"), admin_port, c.path("ca/ca.crt"), ADMIN))
    kpm_hex = secrets.token_hex(32)
    kpm = c.path("kpm.hex")
    with open(kpm, "w") as f:
        f.write(kpm_hex)
    os.chmod(kpm, 0o600)
    for name, extra in (("dev1", ()), ("dev2", ()), ("xss", ("--allow", XSS + "*"))):
        c.m2m("mef", "enrolee", "add", "--config", ini, "--kpm-id", "%s@%s" % (name, MEF_FQDN), "--kpm-file", kpm,
              "--enrolee-id", "C" + name, "--target", "//%s/id-in" % SP, *extra)
    p = subprocess.Popen([m2msec_bin, "mef", "--config", ini], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        wait_port(port, p)
        wait_port(admin_port, p)
        out = c.path("enrol")
        c.m2m("enrol", "--mef", "127.0.0.1:%d" % port, "--mef-ca", c.path("ca/ca.crt"), "--kpm-id",
              "dev1@" + MEF_FQDN, "--kpm-file", kpm, "--out", out)
        kid = open(os.path.join(out, "keid")).read().strip()
        tkey = open(os.path.join(out, "target.psk")).read().strip()
        c.start(mef_ini_cse(c, port))
        yield dict(c=c, ini=ini, admin_port=admin_port, kid=kid, tkey=tkey, kpm_hex=kpm_hex)
    finally:
        c.stop()
        p.terminate()
        p.wait(timeout=20)


def admin(env, method, path, **kw):
    c = env["c"]
    return https(env["admin_port"], c.path("admin.crt"), c.path("admin.key"), method, path,
                 ca=c.path("ca/ca.crt"), **kw)


def state(env, kpm_id):
    r = env["c"].m2m("mef", "enrolee", "show", "--config", env["ini"], "--kpm-id", kpm_id, "--json")
    return json.loads(r.stdout)["state"]


def csrf_of(env, kpm_id):
    _, _, page = admin(env, "GET", "/console/enrolee?id=" + urllib.parse.quote(kpm_id))
    return re.search(r'name="csrf" value="([0-9a-f]{64})"', page).group(1)


def test_no_cert_or_other_ca_is_a_tls_refusal(env):
    c = env["c"]
    for crt, key in ((None, None), (c.path("admin2.crt"), c.path("admin2.key"))):
        try:
            status = https(env["admin_port"], crt, key, "GET", "/console", ca=c.path("ca/ca.crt"))[0]
        except (ssl.SSLError, OSError):
            status = 0
        assert status == 0, "answered %d" % status


def test_enrolee_kpm_opens_nothing(env):
    # the console offers no PSK: an enrolee's Kpm (valid on the MEF's main listener) fails the handshake
    r = subprocess.run(["openssl", "s_client", "-quiet", "-tls1_2", "-psk_identity", "dev2@" + MEF_FQDN, "-psk",
                        env["kpm_hex"], "-cipher", "PSK-AES128-CBC-SHA256", "-connect",
                        "127.0.0.1:%d" % env["admin_port"]], input=b"GET /console HTTP/1.1\r\nHost: x\r\n\r\n",
                       capture_output=True, timeout=30)
    assert r.returncode != 0 and b"HTTP/1.1" not in r.stdout


def test_other_identity_is_403_without_data(env):
    c = env["c"]
    for path in ("/console", "/console/enrolee?id=dev1%40" + MEF_FQDN, "/console/audit", "/console/nope"):
        status, _, body = https(env["admin_port"], c.path("intruder.crt"), c.path("intruder.key"), "GET", path,
                                ca=c.path("ca/ca.crt"))
        assert status == 403 and "dev1" not in body and "enrol" not in body.lower()


def test_headers_csp_no_script(env):
    status, h, body = admin(env, "GET", "/console")
    assert status == 200
    csp = h["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src" not in csp and "frame-ancestors 'none'" in csp
    assert h["x-frame-options"] == "DENY" and h["cache-control"] == "no-store"
    assert "<script" not in body.lower() and "http://" not in body.replace("http://www.w3.org/2000/svg", "")


def test_xss_escaped(env):
    status, _, body = admin(env, "GET", "/console?q=" + urllib.parse.quote(XSS))
    assert status == 200 and XSS not in body and "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    status, _, body = admin(env, "GET", "/console/enrolee?id=" + urllib.parse.quote("xss@" + MEF_FQDN))
    assert status == 200 and XSS not in body and "&lt;script&gt;alert(1)&lt;/script&gt;*" in body


def test_search_by_keid_prefix(env):
    status, _, body = admin(env, "GET", "/console?q=" + env["kid"][:10])
    assert status == 200 and "1 matching" in body and ">dev1@%s<" % MEF_FQDN in body


def test_get_never_changes_state(env):
    kpm_id = "dev2@" + MEF_FQDN
    tok = csrf_of(env, kpm_id)
    status, _, _ = admin(env, "GET", "/console/revoke?id=%s&csrf=%s" % (urllib.parse.quote(kpm_id), tok))
    assert status == 405
    assert state(env, kpm_id) == "active"


def test_csrf_and_origin_required(env):
    kpm_id = "dev2@" + MEF_FQDN
    tok = csrf_of(env, kpm_id)
    origin = {"Origin": "https://127.0.0.1:%d" % env["admin_port"]}
    form = "id=" + urllib.parse.quote(kpm_id)
    # no token, a wrong token, another origin, no origin at all: 403, nothing changes
    assert admin(env, "POST", "/console/revoke", body=form, headers=origin)[0] == 403
    assert admin(env, "POST", "/console/revoke", body=form + "&csrf=" + "0" * 64, headers=origin)[0] == 403
    assert admin(env, "POST", "/console/revoke", body=form + "&csrf=" + tok,
                 headers={"Origin": "https://evil.example"})[0] == 403
    assert admin(env, "POST", "/console/revoke", body=form + "&csrf=" + tok)[0] == 403
    assert state(env, kpm_id) == "active"
    # a malformed rotation is refused and keeps the Kpm
    status, _, _ = admin(env, "POST", "/console/rotate", body=form + "&csrf=" + tok + "&kpm=abc", headers=origin)
    assert status == 400 and state(env, kpm_id) == "active"


@pytest.mark.skipif(not (os.access("/usr/bin/chromium", os.X_OK) and os.access("/usr/bin/chromedriver", os.X_OK)),
                    reason="chromium and chromium-driver are installed by scripts/deps.sh")
def test_browser_search_revoke_takes_effect_at_cse(env, tmp_path):
    c, kid, tkey = env["c"], env["kid"], env["tkey"]
    # before: the device's KeID opens a session at the CSE (fetched from the MEF)
    r = c.psk("POST", "/cse-in", "Cdev1", kid, AE_BODY % "dev1ae", ty=2, key=tkey)
    assert r is not None and r.rsc == 2001, r
    base = "https://127.0.0.1:%d" % env["admin_port"]
    wd = WebDriver(str(tmp_path), browser_home(c, str(tmp_path), "admin"), base)
    try:
        wd.go(base + "/console")
        assert "dev1@" + MEF_FQDN in wd.text("#enrolees")
        wd.type("#q", "dev1")
        wd.click("#search", to="q=dev1")
        assert wd.text("#count").startswith("1 matching")
        wd.click("#enrolees a", to="/console/enrolee")
        assert wd.text("#state") == "active"
        assert kid in wd.text("#keys")
        wd.click("#revoke", to="/console/revoke")
        assert wd.text("#result") == "Revoke done"
        wd.click("#back", to="/console/enrolee")
        assert wd.text("#state") == "revoked"
        shot = str(tmp_path / "console-revoked.png")
        wd.screenshot(shot)
        print("console screenshot: %s" % shot)
        assert open(shot, "rb").read(8) == b"\x89PNG\r\n\x1a\n"
        page = wd.source()
        assert env["kpm_hex"] not in page and tkey.lower() not in page.lower()
        wd.go(base + "/console/audit")
        assert "console-revoke" in wd.text("#audit") and ADMIN in wd.text("#audit")
        for path, css in (("/console/crl", "#crl"), ("/console/chart", "#per-day")):
            wd.go(base + path)
            assert wd.text(css)
        wd.screenshot(str(tmp_path / "console-chart.png"))
        keep = os.environ.get("M2MSEC_TEST_OUTPUT")  # a directory that outlives pytest's tmp
        if keep:
            os.makedirs(keep, exist_ok=True)
            for name in ("console-revoked.png", "console-chart.png"):
                shutil.copy(str(tmp_path / name), os.path.join(keep, name))
                print("console screenshot: %s" % os.path.join(keep, name))
    finally:
        wd.close()
    assert state(env, "dev1@" + MEF_FQDN) == "revoked"
    # after: the next handshake with that KeID is refused (mef-cache-seconds = 0: the CSE asks
    # the MEF, which no longer knows the KeID: the revocation deleted every key of the enrolee)
    rc, out = c.psk_raw(b"GET /cse-in HTTP/1.1\r\n\r\n", kid, key=tkey)
    assert rc != 0 and b"HTTP/1.1" not in out


@pytest.mark.skipif(not (os.access("/usr/bin/chromium", os.X_OK) and os.access("/usr/bin/chromedriver", os.X_OK)),
                    reason="chromium and chromium-driver are installed by scripts/deps.sh")
def test_browser_without_admin_certificate_sees_nothing(env, tmp_path):
    c = env["c"]
    base = "https://127.0.0.1:%d" % env["admin_port"]
    # a certificate of the admin CA with another identity: 403, an empty page
    wd = WebDriver(str(tmp_path / "intruder"), browser_home(c, str(tmp_path / "intruder"), "intruder"), base)
    try:
        wd.go(base + "/console")
        page = wd.source()
        assert "dev1" not in page and "Enrolees" not in page
    finally:
        wd.close()
    # no certificate at all: the handshake fails, the browser shows its own error page
    empty = tmp_path / "empty-home"
    empty.mkdir()
    wd = WebDriver(str(tmp_path / "nocert"), str(empty), base)
    try:
        try:
            wd.go(base + "/console")
            page = wd.source()
        except AssertionError as e:  # chromedriver may report the failed navigation as an error
            page = str(e)
        # TLS 1.3: the server's refusal (certificate_required) follows the client's Finished, so
        # Chromium reports the alert or, when it reads after the close, the closed socket
        code = re.search(r'"errorCode":"(ERR_[A-Z_]+)"', page) or re.search(r"net::(ERR_[A-Z_]+)", page)
        assert code and code.group(1) in ("ERR_BAD_SSL_CLIENT_AUTH_CERT", "ERR_SOCKET_NOT_CONNECTED"), \
            re.findall(r"ERR_[A-Z_]+", page)
        assert "dev1" not in page and "MEF console" not in page
    finally:
        wd.close()
