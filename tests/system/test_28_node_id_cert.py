# SPDX-License-Identifier: Apache-2.0
"""Node-ID certificates (TS-0003 clause 10.1.1.8) at the real CSE over TLS on loopback.

A certificate from `m2msec ca issue --san NODE:<Node-ID>` authenticates a Node, not an AE or a
CSE: the CSE binds the association to the Credential-ID 34-<Node-ID> only (clause 8.2.1), so the
originator rules fail closed (4106) for every request except an AE registration (TS-0004 7.3.2.1
as implemented in src/core/originator.c). Peer: Python `requests` with the client certificate."""
import pytest

from cse_harness import SP, Cse

NODE_ID = "urn:gsma:imei:90420156-025763-0;svn=42"
AE_BODY = '{"m2m:ae":{"rn":"%s","api":"Nm2msec.test","rr":false,"srv":["3"]}}'


@pytest.fixture(scope="module")
def cse(m2msec_bin, tmp_path_factory):
    c = Cse(m2msec_bin, tmp_path_factory.mktemp("cse"))
    c.setup_pki()
    c.start()
    yield c
    c.stop()


@pytest.fixture(scope="module")
def node_session(cse):
    crt, key = cse.issue("node1", "NODE:" + NODE_ID)
    return cse.cert_session(crt, key)


@pytest.mark.parametrize("origin", ["Cnode1", "C", "/id-in", "//%s/id-in/Cnode1" % SP])
def test_node_id_certificate_is_bound_to_no_originator(cse, node_session, origin):
    """Any request other than an AE registration: the association names no AE or CSE: 4106."""
    r = cse.cert(node_session, "GET", "/cse-in", origin)
    assert r.rsc == 4106, r


def test_node_id_certificate_may_register_an_ae(cse, node_session):
    """TS-0003 clause 8.2.1 (list of allowed AE-IDs "only when Entity A presents a Device
    Certificate or a Node-ID Certificate"): the registration that establishes the AE-ID is the
    one request an association with only a Credential-ID may make."""
    r = cse.cert(node_session, "POST", "/cse-in", "C", AE_BODY % "nodeae1", ty=2)
    assert r.rsc == 2001, r


def test_node_id_with_cse_id_of_our_sp_is_refused(cse):
    """A Node-ID next to the CSE-ID DNS name of our SP is two identities: the handshake fails."""
    import requests
    crt, key = cse.issue("node2", "NODE:urn:x:2")  # sanity: a Node-ID alone is accepted
    assert cse.cert(cse.cert_session(crt, key), "GET", "/cse-in", "Cx").rsc == 4106
    cse.m2m("ca", "issue", "--dir", cse.path("ca"), "--san", "NODE:urn:x:3", "--san", "mn1." + SP,
            "--out", cse.path("node3"))
    with pytest.raises((requests.exceptions.SSLError, requests.exceptions.ConnectionError)):
        cse.cert(cse.cert_session(cse.path("node3.crt"), cse.path("node3.key")), "GET", "/cse-in", "Cx")
