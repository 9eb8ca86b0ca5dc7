# SPDX-License-Identifier: Apache-2.0
"""System tests of `m2msec ca init|issue|show` (TS-0003 clauses 8.1.2.2 and 10.1.1): certificates
made by the real binary are checked by independent tools — `openssl verify`, `openssl x509 -text`,
Python `cryptography` — and used in a real TLS 1.2 handshake with the TS-0003 clause 10.2.3
mandatory certificate suite (OpenSSL name ECDHE-ECDSA-AES128-SHA256) between `openssl s_server`
and `openssl s_client` on loopback. OpenSSL's URI nameConstraints matching (exact host, or
suffix for a leading '.') is pinned with certificates built here by `cryptography`."""
import datetime
import json
import os
import stat
import subprocess

import pytest

from cse_harness import free_port
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, SignatureAlgorithmOID

SP = "sp.example.com"
AE_URI = "m2m://sp.example.com/cse-in/Cabc"
MN_CSE = "mn-cse.sp.example.com"
# TS-0003 clause 10.2.3 mandatory certificate-based suite, TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256
TLS_SUITE = "ECDHE-ECDSA-AES128-SHA256"


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def ok(res):
    assert res.returncode == 0, (res.returncode, res.stdout, res.stderr)
    return res.stdout


def fails(res, code, what):
    assert res.returncode == code, (res.returncode, res.stdout, res.stderr)
    lines = res.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("m2msec: " + what), res.stderr
    return lines[0]


def load_cert(path):
    with open(path, "rb") as f:
        return x509.load_pem_x509_certificate(f.read())


def openssl(openssl_bin, *args, **kw):
    return subprocess.run([openssl_bin, *map(str, args)], capture_output=True, text=True, timeout=60, **kw)


@pytest.fixture
def ca(run, tmp_path):
    d = tmp_path / "ca"
    ok(run("ca", "init", "--dir", d, "--name", "Test CA", "--permit", SP))
    return d


def issue(run, ca_dir, out, *sans, extra=()):
    args = ["ca", "issue", "--dir", ca_dir, "--out", out]
    for s in sans:
        args += ["--san", s]
    return run(*args, *extra)


def test_help(run):
    for args in (["ca", "--help"], ["ca", "init", "--help"], ["ca", "issue", "--help"],
                 ["ca", "show", "--help"], ["ca", "issue", "--dir", "x", "-h"]):
        res = run(*args)
        assert res.returncode == 0 and res.stdout.startswith("usage: m2msec ca"), args
    assert "--permit DOMAIN" in run("ca", "init", "--help").stdout
    assert "--csr FILE" in run("ca", "issue", "--help").stdout
    assert run("ca").returncode == 2
    fails(run("ca", "frobnicate"), 2, "ca: unknown command")
    fails(run("ca", "init", "--dir", "x", "--name", "n", "--bogus"), 2, "ca init:")
    fails(run("ca", "init", "--name", "n"), 2, "ca init: --dir is required")


def test_init_layout_and_modes(run, ca):
    assert mode(ca) == 0o700
    assert mode(ca / "ca.key") == 0o600
    assert sorted(os.listdir(ca)) == ["ca.crt", "ca.key"]
    with open(ca / "ca.key", "rb") as f:
        key = serialization.load_pem_private_key(f.read(), password=None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    assert isinstance(key.curve, ec.SECP256R1)


def test_ca_certificate_profile(run, ca, openssl_bin):
    c = load_cert(ca / "ca.crt")
    assert c.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "Test CA"
    assert c.issuer == c.subject
    assert c.signature_algorithm_oid == SignatureAlgorithmOID.ECDSA_WITH_SHA256
    assert isinstance(c.public_key().curve, ec.SECP256R1)
    assert c.version == x509.Version.v3
    assert 0 < c.serial_number < 2 ** 127 and c.serial_number >= 2 ** 126   # 16 bytes, positive
    bc = c.extensions.get_extension_for_class(x509.BasicConstraints)
    assert bc.critical and bc.value.ca and bc.value.path_length == 0
    ku = c.extensions.get_extension_for_class(x509.KeyUsage)
    assert ku.critical and ku.value.key_cert_sign and ku.value.crl_sign and ku.value.digital_signature
    assert not ku.value.key_encipherment
    ski = c.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    aki = c.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
    assert aki.key_identifier == ski.digest
    nc = c.extensions.get_extension_for_class(x509.NameConstraints)
    assert nc.critical
    assert nc.value.permitted_subtrees == [x509.DNSName(SP), x509.UniformResourceIdentifier(SP),
                                           x509.UniformResourceIdentifier("." + SP)]
    assert nc.value.excluded_subtrees is None
    # the self-signature verifies
    c.public_key().verify(c.signature, c.tbs_certificate_bytes, ec.ECDSA(hashes.SHA256()))
    text = ok(openssl(openssl_bin, "x509", "-in", ca / "ca.crt", "-noout", "-text"))
    assert "ASN1 OID: prime256v1" in text
    assert "Signature Algorithm: ecdsa-with-SHA256" in text
    assert "X509v3 Basic Constraints: critical\n                CA:TRUE, pathlen:0" in text
    assert "X509v3 Key Usage: critical\n                Digital Signature, Certificate Sign, CRL Sign" in text
    assert "X509v3 Name Constraints: critical" in text
    assert "DNS:sp.example.com\n                  URI:sp.example.com\n                  URI:.sp.example.com" in text


def test_init_refuses_existing_and_bad_input(run, ca, tmp_path):
    before = (ca / "ca.crt").read_bytes(), (ca / "ca.key").read_bytes()
    fails(run("ca", "init", "--dir", ca, "--name", "Other"), 1, "ca init:")
    assert ((ca / "ca.crt").read_bytes(), (ca / "ca.key").read_bytes()) == before
    for bad in ("*.example.com", "exa mple.com", ".example.com", "localdomain"):  # localhost: allowed (dev CA)
        d = tmp_path / "bad"
        fails(run("ca", "init", "--dir", d, "--name", "X", "--permit", bad), 2, "ca init:")
        assert not d.exists()
    fails(run("ca", "init", "--dir", tmp_path / "d", "--name", "X", "--days", "0"), 2, "ca:")
    fails(run("ca", "init", "--dir", tmp_path / "d", "--name", "X", "--days", "12x"), 2, "ca:")
    assert not (tmp_path / "d").exists()


def check_leaf(path, san_type, san_value):
    c = load_cert(path)
    pub = c.public_key()
    assert isinstance(pub, ec.EllipticCurvePublicKey) and isinstance(pub.curve, ec.SECP256R1)
    spki = pub.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    assert len(spki) == 91 and spki[26] == 0x04          # uncompressed point (TS-0003 10.1.1.1)
    assert c.signature_algorithm_oid == SignatureAlgorithmOID.ECDSA_WITH_SHA256
    ku = c.extensions.get_extension_for_class(x509.KeyUsage)
    assert ku.critical and ku.value.digital_signature and not ku.value.key_cert_sign
    assert c.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False
    eku = c.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(eku) == [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
    san = c.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(san_type) == [san_value]
    return c


def test_issue_dns_leaf(run, ca, tmp_path, openssl_bin):
    out = tmp_path / "mn"
    ok(issue(run, ca, out, MN_CSE))
    assert mode(str(out) + ".key") == 0o600
    res = ok(openssl(openssl_bin, "verify", "-CAfile", ca / "ca.crt", str(out) + ".crt"))
    assert res.strip().endswith(": OK")
    c = check_leaf(str(out) + ".crt", x509.DNSName, MN_CSE)
    assert c.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == MN_CSE
    with open(str(out) + ".key", "rb") as f:
        key = serialization.load_pem_private_key(f.read(), password=None)
    assert key.public_key().public_numbers() == c.public_key().public_numbers()
    text = ok(openssl(openssl_bin, "x509", "-in", str(out) + ".crt", "-noout", "-text"))
    assert "X509v3 Key Usage: critical\n                Digital Signature\n" in text
    assert "DNS:" + MN_CSE in text


def test_issue_ae_id_uri_leaf(run, tmp_path, openssl_bin):
    # CA constrained to exactly the host part of the AE-ID URI (TS-0003 clause 10.1.1.5)
    d = tmp_path / "ca"
    ok(run("ca", "init", "--dir", d, "--name", "AE CA", "--permit", SP))
    out = tmp_path / "ae"
    ok(issue(run, d, out, AE_URI, extra=("--cn", "Cabc", "--days", "30")))
    res = ok(openssl(openssl_bin, "verify", "-CAfile", d / "ca.crt", str(out) + ".crt"))
    assert res.strip().endswith(": OK")
    c = check_leaf(str(out) + ".crt", x509.UniformResourceIdentifier, AE_URI)
    assert c.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "Cabc"
    life = c.not_valid_after - c.not_valid_before
    assert datetime.timedelta(days=30) <= life <= datetime.timedelta(days=30, minutes=6)


def no_leaf_files(tmp_path, prefix):
    return [n for n in os.listdir(tmp_path) if n.startswith(prefix)] == []


@pytest.mark.parametrize("san", ["other.example.org", "evilsp.example.com",
                                 "m2m://other.example.org/cse-in/Cabc",
                                 "https://evilsp.example.com/x"])
def test_outside_constraints_refused(run, ca, tmp_path, san):
    line = fails(issue(run, ca, tmp_path / "out", san), 2, "ca issue:")
    assert "nameConstraints" in line
    assert no_leaf_files(tmp_path, "out")


@pytest.mark.parametrize("san", ["*.sp.example.com", "m2m://*.sp.example.com/cse-in/Cabc",
                                 "https://sp.example.com/*", "m2m://sp.example.com/cse-in",
                                 "https://user@sp.example.com/", "bad name"])
def test_wildcard_and_invalid_san_refused(run, ca, tmp_path, san):
    fails(issue(run, ca, tmp_path / "out", san), 2, "ca issue:")
    assert no_leaf_files(tmp_path, "out")


def test_open_key_permissions_refused(run, ca, tmp_path):
    os.chmod(ca / "ca.key", 0o644)
    line = fails(issue(run, ca, tmp_path / "out", MN_CSE), 1, "ca issue:")
    assert "permissions" in line
    assert no_leaf_files(tmp_path, "out")
    os.chmod(ca / "ca.key", 0o600)
    ok(issue(run, ca, tmp_path / "out", MN_CSE))


def test_existing_output_never_replaced(run, ca, tmp_path):
    out = tmp_path / "leaf"
    ok(issue(run, ca, out, MN_CSE))
    before = open(str(out) + ".crt").read()
    fails(issue(run, ca, out, "cse-in." + SP), 1, "ca issue:")
    assert open(str(out) + ".crt").read() == before
    assert sorted(os.listdir(tmp_path)) == ["ca", "leaf.crt", "leaf.key"]   # no temporaries


def make_csr(tmp_path, curve, name="req"):
    key = ec.generate_private_key(curve)
    csr = (x509.CertificateSigningRequestBuilder()
           .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "evil.example.org")]))
           .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
           .add_extension(x509.SubjectAlternativeName([x509.DNSName("evil.example.org")]), critical=False)
           .sign(key, hashes.SHA256()))
    path = tmp_path / (name + ".csr")
    path.write_bytes(csr.public_bytes(serialization.Encoding.PEM))
    return key, path


def test_issue_from_csr(run, ca, tmp_path, openssl_bin):
    key, csr = make_csr(tmp_path, ec.SECP256R1())
    out = tmp_path / "dev"
    ok(issue(run, ca, out, AE_URI, extra=("--csr", csr)))
    assert not os.path.exists(str(out) + ".key")
    ok(openssl(openssl_bin, "verify", "-CAfile", ca / "ca.crt", str(out) + ".crt"))
    c = check_leaf(str(out) + ".crt", x509.UniformResourceIdentifier, AE_URI)
    assert c.public_key().public_numbers() == key.public_key().public_numbers()
    # nothing from the request was copied: no DNS SAN, not a CA, subject from --san
    san = c.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == []
    assert c.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == AE_URI

    _, csr384 = make_csr(tmp_path, ec.SECP384R1(), "p384")
    fails(issue(run, ca, tmp_path / "p384", AE_URI, extra=("--csr", csr384)), 2, "ca issue:")
    assert no_leaf_files(tmp_path, "p384.crt")
    garbage = tmp_path / "garbage.csr"
    garbage.write_text("-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n")
    fails(issue(run, ca, tmp_path / "g", AE_URI, extra=("--csr", garbage)), 2, "ca issue:")


def test_show_json(run, ca):
    info = json.loads(ok(run("ca", "show", "--dir", ca)))
    c = load_cert(ca / "ca.crt")
    assert info["subject"] == "CN=Test CA"
    assert int(info["serial"], 16) == c.serial_number
    assert info["fingerprint_sha256"] == c.fingerprint(hashes.SHA256()).hex()
    assert info["not_after_epoch"] == int(c.not_valid_after.replace(tzinfo=datetime.timezone.utc).timestamp())
    assert info["not_after"] == c.not_valid_after.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert info["constrained"] is True
    assert info["name_constraints"] == {"permitted": ["DNS:" + SP, "URI:" + SP, "URI:." + SP],
                                        "excluded": []}
    fails(run("ca", "show", "--dir", ca / "nope"), 1, "ca show:")


def forge(ca_dir, tmp_path, name, san):
    """A leaf signed with the CA key by `cryptography`, bypassing m2msec's own checks."""
    with open(ca_dir / "ca.key", "rb") as f:
        ca_key = serialization.load_pem_private_key(f.read(), password=None)
    ca_cert = load_cert(ca_dir / "ca.crt")
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.utcnow()
    cert = (x509.CertificateBuilder().subject_name(x509.Name([]))
            .issuer_name(ca_cert.subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([san]), critical=True)
            .sign(ca_key, hashes.SHA256()))
    path = tmp_path / (name + ".crt")
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return path


@pytest.mark.parametrize("san,good", [
    (x509.UniformResourceIdentifier("m2m://sp.example.com/cse-in/Cabc"), True),    # URI:sp.example.com
    (x509.UniformResourceIdentifier("m2m://SP.Example.COM/cse-in/Cabc"), True),    # case-insensitive
    (x509.UniformResourceIdentifier("https://a.b.sp.example.com:443/x"), True),    # URI:.sp.example.com
    (x509.UniformResourceIdentifier("m2m://evilsp.example.com/cse-in/Cabc"), False),
    (x509.UniformResourceIdentifier("m2m://sp.example.com.evil.org/cse-in/Cabc"), False),
    (x509.UniformResourceIdentifier("m2m://example.com/cse-in/Cabc"), False),
    (x509.DNSName("sp.example.com"), True),
    (x509.DNSName("cse-in.sp.example.com"), True),                               # DNS subtrees
    (x509.DNSName("evilsp.example.com"), False),
    (x509.DNSName("example.com"), False),
])
def test_openssl_name_constraint_semantics(ca, tmp_path, openssl_bin, san, good):
    """Pins how OpenSSL (the verifier peers use) applies the CA's DNS and URI constraints."""
    path = forge(ca, tmp_path, "forged", san)
    res = openssl(openssl_bin, "verify", "-CAfile", ca / "ca.crt", path)
    if good:
        assert res.returncode == 0, res.stdout + res.stderr
    else:
        assert res.returncode != 0
        assert "permitted subtree violation" in res.stdout + res.stderr



def tls_handshake(openssl_bin, cert, key, cafile, hostname):
    """One TLS 1.2 handshake s_server <-> s_client on loopback; returns the client result."""
    port = free_port()
    srv = subprocess.Popen([openssl_bin, "s_server", "-accept", "127.0.0.1:%d" % port, "-cert", cert,
                            "-key", key, "-tls1_2", "-cipher", TLS_SUITE, "-naccept", "1"],
                           stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True)   # stdin stays open: s_server ends its session at stdin EOF
    try:
        # s_server prints ACCEPT once it listens
        while True:
            line = srv.stdout.readline()
            assert line, "s_server exited before listening"
            if line.startswith("ACCEPT"):
                break
        return subprocess.run([openssl_bin, "s_client", "-connect", "127.0.0.1:%d" % port, "-CAfile", cafile,
                               "-verify_return_error", "-verify_hostname", hostname, "-tls1_2",
                               "-cipher", TLS_SUITE, "-brief"],
                              input="", capture_output=True, text=True, timeout=30)
    finally:
        if srv.poll() is None:
            srv.kill()
        srv.wait(timeout=10)
        srv.stdin.close()
        srv.stdout.close()


def test_tls_handshake_with_issued_leaf(run, ca, tmp_path, openssl_bin):
    out = tmp_path / "srv"
    ok(issue(run, ca, out, MN_CSE))
    res = tls_handshake(openssl_bin, str(out) + ".crt", str(out) + ".key", ca / "ca.crt", MN_CSE)
    log = res.stdout + res.stderr
    assert res.returncode == 0, log
    assert "CONNECTION ESTABLISHED" in log
    assert "Protocol version: TLSv1.2" in log
    assert "Ciphersuite: " + TLS_SUITE in log
    assert "Verification: OK" in log
    assert "Verified peername: " + MN_CSE in log


def test_tls_handshake_fails_for_other_ca_or_name(run, ca, tmp_path, openssl_bin):
    other = tmp_path / "other"
    ok(run("ca", "init", "--dir", other, "--name", "Other CA", "--permit", SP))
    out = tmp_path / "srv2"
    ok(issue(run, other, out, MN_CSE))
    res = tls_handshake(openssl_bin, str(out) + ".crt", str(out) + ".key", ca / "ca.crt", MN_CSE)
    log = res.stdout + res.stderr
    assert res.returncode != 0, log
    assert "unable to get local issuer certificate" in log
    assert "CONNECTION ESTABLISHED" not in log
    # right CA, wrong expected host name
    res = tls_handshake(openssl_bin, str(out) + ".crt", str(out) + ".key", other / "ca.crt",
                        "cse-in." + SP)
    assert res.returncode != 0
    assert "hostname mismatch" in res.stdout + res.stderr


# ---- OpenSSL-style SAN prefixes, localhost and IP SANs (issue 6 §6) ---------------------------

def test_san_prefixes_as_openssl_users_type_them(run, ca, tmp_path, openssl_bin):
    """`DNS:`/`URI:` prefixes (x509v3_config(5) spelling) mean the same SANs as the bare values."""
    out = tmp_path / "pre"
    ok(issue(run, ca, out, "DNS:" + MN_CSE, "uri:" + AE_URI.replace("Cabc", "Cdev3")))
    c = load_cert(str(out) + ".crt")
    san = c.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == [MN_CSE]
    assert san.get_values_for_type(x509.UniformResourceIdentifier) == [AE_URI.replace("Cabc", "Cdev3")]
    assert ok(openssl(openssl_bin, "verify", "-CAfile", ca / "ca.crt", str(out) + ".crt")).strip().endswith(": OK")


def test_ip_and_localhost_sans_for_a_development_server(run, tmp_path, openssl_bin):
    """iPAddress GeneralNames (RFC 5280 4.2.1.6), v4 and v6, and `localhost`, in a server certificate
    from a development CA that permits localhost; checked by `cryptography` and `openssl verify`."""
    import ipaddress
    d = tmp_path / "devca"
    ok(run("ca", "init", "--dir", d, "--name", "Dev CA", "--permit", SP, "--permit", "localhost"))
    out = tmp_path / "srv"
    ok(issue(run, d, out, "IP:127.0.0.1", "id-in." + SP, "localhost", "IP:::1"))
    c = load_cert(str(out) + ".crt")
    san = c.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.IPAddress) == [ipaddress.ip_address("127.0.0.1"),
                                                       ipaddress.ip_address("::1")]
    assert san.get_values_for_type(x509.DNSName) == ["id-in." + SP, "localhost"]
    # an address is not a host name: no commonName defaulted from it, so the SAN is critical
    assert c.subject.get_attributes_for_oid(NameOID.COMMON_NAME) == []
    assert c.extensions.get_extension_for_class(x509.SubjectAlternativeName).critical
    res = ok(openssl(openssl_bin, "verify", "-CAfile", d / "ca.crt", str(out) + ".crt"))
    assert res.strip().endswith(": OK")
    # the CA constrained to SP only: an IP SAN is unconstrained (no iPAddress subtree), localhost is not
    d2 = tmp_path / "spca"
    ok(run("ca", "init", "--dir", d2, "--name", "SP CA", "--permit", SP))
    ok(issue(run, d2, tmp_path / "ip", "id-in." + SP, "IP:127.0.0.1"))
    assert "nameConstraints" in fails(issue(run, d2, tmp_path / "lh", "localhost"), 2, "ca issue:")
    assert no_leaf_files(tmp_path, "lh")


@pytest.mark.parametrize("sans", [
    ["m2m://sp.example.com/id-in/Cdev3", "IP:127.0.0.1"],   # IP SANs: server certificates only
    ["m2m://sp.example.com/id-in/Cdev3", "localhost"],
    ["URI:sp.example.com"],                                  # prefix contradicts the value
    ["DNS:m2m://sp.example.com/id-in/Cdev3"],
    ["IP:sp.example.com"], ["IP:127.0.0.256"], ["IP:[::1]"], ["IP:10.0.0.0/8"],
    ["IP:127.0.0.1", "IP:127.0.0.1"],                        # duplicate
])
def test_bad_prefixed_or_ip_sans_refused(run, tmp_path, sans):
    d = tmp_path / "ca"
    ok(run("ca", "init", "--dir", d, "--name", "CA", "--permit", SP, "--permit", "localhost"))
    fails(issue(run, d, tmp_path / "out", *sans), 2, "ca issue:")
    assert no_leaf_files(tmp_path, "out")


# TS-0003 clause 10.1.1.8: the Node-ID in an otherName id-on-permanentIdentifier (RFC 4043), no
# assigner (docs/pki.md)
NODE_OID = "1.3.6.1.5.5.7.8.3"
NODE_ID = "urn:gsma:imei:90420156-025763-0;svn=42"


def test_issue_node_id_leaf(run, ca, tmp_path, openssl_bin):
    """A Node-ID certificate from a CA constrained to SP: the SAN has exactly one otherName
    (type-id NODE_OID, value SEQUENCE { UTF8String = the Node-ID byte for byte }), no commonName,
    critical SAN;
    `openssl verify` accepts it under the CA's nameConstraints (no otherName subtree)."""
    out = tmp_path / "node"
    ok(issue(run, ca, out, "NODE:" + NODE_ID, "gw1." + SP))
    c = load_cert(str(out) + ".crt")
    ext = c.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    assert ext.critical
    others = ext.value.get_values_for_type(x509.OtherName)
    assert [o.type_id.dotted_string for o in others] == [NODE_OID]
    # DER of PermanentIdentifier: SEQUENCE { UTF8String identifierValue }, no assigner
    n = len(NODE_ID)
    assert others[0].value == bytes([0x30, n + 2, 0x0C, n]) + NODE_ID.encode()
    assert ext.value.get_values_for_type(x509.DNSName) == ["gw1." + SP]
    assert c.subject.get_attributes_for_oid(NameOID.COMMON_NAME) == []
    text = ok(openssl(openssl_bin, "x509", "-in", str(out) + ".crt", "-noout", "-text"))
    assert "othername: Permanent Identifier::" in text  # OpenSSL 3.0 does not print the value
    res = ok(openssl(openssl_bin, "verify", "-CAfile", ca / "ca.crt", str(out) + ".crt"))
    assert res.strip().endswith(": OK")


@pytest.mark.parametrize("sans", [
    ["NODE:urn:gsma:imei:*"],                                 # 10.1.1.8: no wildcards
    ["NODE:"], ["NODE:a b"], ["NODE:" + "a" * 257],
    ["NODE:urn:x:1", "m2m://sp.example.com/id-in/Cdev3"],     # one client identity
    ["NODE:urn:x:1", "NODE:urn:x:2"], ["NODE:urn:x:1", "NODE:urn:x:1"],
    ["urn:gsma:imei:1"],                                      # not a DNS name, NODE: needed
])
def test_bad_node_id_sans_refused(run, ca, tmp_path, sans):
    fails(issue(run, ca, tmp_path / "out", *sans), 2, "ca issue:")
    assert no_leaf_files(tmp_path, "out")


def test_help_texts_current(run):
    """`ca show --help` lists what it prints; the top-level help names all three ca commands; the
    cse help says TLS 1.3 is offered (tls13 defaults to true, docs/config.md)."""
    show = run("ca", "show", "--help").stdout
    for field in ("fingerprint_sha256", "constrained", "name_constraints", "not_after"):
        assert field in show
    assert "(init, issue, show)" in run("--help").stdout
    assert "TLS 1.3" in run("cse", "--help").stdout
    issue_help = run("ca", "issue", "--help").stdout
    assert "IP:" in issue_help and "id-in" in issue_help and "NODE:" in issue_help
