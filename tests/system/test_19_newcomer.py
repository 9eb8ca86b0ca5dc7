# SPDX-License-Identifier: Apache-2.0
"""A newcomer's first hour (issue 6 §6), black-box: `make run`'s script (scripts/run.sh in its
prepare-only mode), the certificate example of docs/pki.md executed as written against a CSE
configured like `make run` with `curl` as the independent peer, the `m2msec cse` error messages
(path, line number, one reason, one format), `sp-id` as a bare FQDN, the install rules (a program
compiled against the installed headers and m2msec.pc), the default of warnings-as-errors and the
counting of scripts/test.sh (scripts/testlog.sh) on saved logs."""
import glob
import json
import os
import re
import shutil
import socket
import stat
import subprocess

import pytest

from cse_harness import free_port, wait_port

SOURCE_DIR = os.environ.get("M2MSEC_SOURCE_DIR",
                            os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
SP = "m2msec.example.com"


def sh(cmd, cwd=None, env=None, timeout=120):
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout,
                          shell=isinstance(cmd, str), executable="/bin/bash" if isinstance(cmd, str) else None)


def run_sh(m2msec_bin, var, port):
    """scripts/run.sh as `make run` calls it, without starting the CSE."""
    env = dict(os.environ, M2MSEC_VAR=str(var), M2MSEC_PORT=str(port), M2MSEC_RUN_PREPARE_ONLY="1")
    res = sh([os.path.join(SOURCE_DIR, "scripts", "run.sh"), os.path.dirname(m2msec_bin)], env=env)
    assert res.returncode == 0, (res.stdout, res.stderr)
    return res.stdout + res.stderr


def ini_value(path, key):
    with open(path) as f:
        for line in f:
            k, _, v = line.partition("=")
            if k.strip() == key:
                return v.strip()
    return None


# ---- make run: the port, the keys ------------------------------------------------------------

def test_run_rewrites_the_port_every_run_and_prints_no_key(m2msec_bin, tmp_path):
    var = tmp_path / "var"
    p1, p2 = free_port(), free_port()
    out1 = run_sh(m2msec_bin, var, p1)
    assert ini_value(var / "run.ini", "https-listen") == "127.0.0.1:%d" % p1  # [cse] comes first
    out2 = run_sh(m2msec_bin, var, p2)          # second run reuses var/, new port
    assert ini_value(var / "run.ini", "https-listen") == "127.0.0.1:%d" % p2
    assert "https://127.0.0.1:%d" % p2 in out2 and ":%d" % p1 not in out2
    assert "4117" in out2 and "make clean" in out2        # the re-run hint
    # no key is printed (the walk-through used to print the device Kpsa inside a command line)
    dev_key = (var / "dev1.key").read_text().strip()
    admin_key = (var / "psk.txt").read_text().split("kpsa-admin@" + SP)[1].split()[0]
    dev_kpm = (var / "dev1.kpm").read_text().strip()          # the Kpm the MEF tour enrols with
    for out in (out1, out2):
        assert dev_key not in out and admin_key not in out and dev_kpm not in out
        assert not re.search(r"-psk [0-9a-f]{64}", out)
    assert stat.S_IMODE(os.stat(var).st_mode) == 0o700
    for name in ("run.ini", "dev1.key", "dev1.kpm", "psk.txt", "server.key", "mef.key", "creds.db"):
        assert stat.S_IMODE(os.stat(var / name).st_mode) == 0o600, name


def test_run_refuses_a_bad_port(m2msec_bin, tmp_path):
    env = dict(os.environ, M2MSEC_VAR=str(tmp_path / "var"), M2MSEC_PORT="84x3",
               M2MSEC_RUN_PREPARE_ONLY="1")
    res = sh([os.path.join(SOURCE_DIR, "scripts", "run.sh"), os.path.dirname(m2msec_bin)], env=env)
    assert res.returncode == 2 and "M2MSEC_PORT" in res.stderr


# ---- the documented certificate example, as written, against a make-run CSE ----------------

def documented_example():
    with open(os.path.join(SOURCE_DIR, "docs", "pki.md")) as f:
        text = f.read()
    marker = text.index("<!-- executed verbatim")
    block = text[marker:].split("```", 2)[1]
    assert block.startswith("\n")
    return block.strip("\n")


@pytest.fixture
def make_run_cse(m2msec_bin, tmp_path):
    """var/ prepared by scripts/run.sh and `m2msec cse --config var/run.ini` (what make run starts),
    in a directory that looks like the repository to the documented commands (build/, var/)."""
    port = free_port()
    run_sh(m2msec_bin, tmp_path / "var", port)
    os.symlink(os.path.dirname(m2msec_bin), tmp_path / "build")
    proc = subprocess.Popen([m2msec_bin, "cse", "--config", str(tmp_path / "var" / "run.ini")],
                            cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_port(port, proc)
        yield tmp_path, port
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def rsc(out):
    m = re.search(r"^X-M2M-RSC: *(\d+)", out, re.M | re.I)
    return int(m.group(1)) if m else None


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl (scripts/deps.sh) not installed")
def test_documented_certificate_example_works_against_make_run(make_run_cse):
    """docs/pki.md "Try it against make run": TS-0003 §10.1.1.5 AE-ID certificate
    m2m://SP/<CSE-ID>/Cdev3 with From Cdev3 registers (2001); again, 4117; the CSEBase name in
    place of the CSE-ID names an AE of another CSE: 4106 (the docs used to show that form)."""
    cwd, port = make_run_cse
    block = documented_example()
    assert "8443" in block
    script = block.replace(":8443", ":%d" % port)
    res = sh("set -euo pipefail\n" + script, cwd=cwd)
    assert res.returncode == 0, (res.stdout, res.stderr)
    assert res.stdout.startswith("issued var/dev3.crt")
    assert rsc(res.stdout) == 2001, res.stdout
    curl = script[script.index("curl "):]
    assert rsc(sh(curl, cwd=cwd).stdout) == 4117
    wrong = block.replace("/id-in/Cdev3", "/cse-in/Cdev4").replace("Cdev3", "Cdev4").replace(
        "dev3", "dev4").replace(":8443", ":%d" % port)
    res = sh("set -euo pipefail\n" + wrong, cwd=cwd)
    assert res.returncode == 0, (res.stdout, res.stderr)
    assert rsc(res.stdout) == 4106


# ---- m2msec cse: every error names the file, the line, the key and its value ----------------

@pytest.fixture
def pki(run, tmp_path):
    d = tmp_path
    assert run("ca", "init", "--dir", d / "ca", "--name", "CA", "--permit", SP).returncode == 0
    assert run("ca", "issue", "--dir", d / "ca", "--san", "id-in." + SP, "--out", d / "server").returncode == 0
    (d / "psk.txt").write_text("kpsa-a@%s %s CAdmin\n" % (SP, "ab" * 32))
    os.chmod(d / "psk.txt", 0o600)
    (d / "junk.pem").write_text("not a certificate\n")
    return d


def cse_check(run, tmp_path, lines):
    ini = tmp_path / "cse.ini"
    ini.write_text("".join(line + "\n" for line in lines))
    return run("cse", "--config", ini, "--check")


def one_line(res, code):
    assert res.returncode == code, (res.returncode, res.stdout, res.stderr)
    # the JSON log lines a start writes before it fails (no log-file: stderr) are not the error
    lines = [ln for ln in res.stderr.splitlines() if not ln.startswith("{")]
    assert len(lines) == 1 and lines[0].startswith("m2msec: cse: "), res.stderr
    return lines[0]


def base(d, port):
    return ["# make-run-like", "https-listen = 127.0.0.1:%d" % port, "store = %s" % (d / "cse.db"),
            "cert = %s" % (d / "server.crt"), "key = %s" % (d / "server.key")]


@pytest.mark.parametrize("key,value,reason", [
    ("cert", "nope.crt", "no such file"),
    ("trust-anchors", "nope-ca.pem", "no such file"),
    ("psk-file", "nope-psk.txt", "no such file"),
    ("cred-store", "nope.db", "no such file"),
    ("trust-anchors", "junk.pem", "no PEM certificate could be loaded"),
    ("cert", "junk.pem", "no PEM certificate chain"),
])
def test_file_errors_name_path_and_line(run, pki, key, value, reason):
    lines = [line for line in base(pki, free_port()) if not line.startswith(key + " ")]
    lines += ["", "%s = %s" % (key, pki / value)]
    err = one_line(cse_check(run, pki, lines), 1)
    want = "%s: line %d: %s %s: %s" % (pki / "cse.ini", len(lines), key, pki / value, reason)
    assert err == "m2msec: cse: " + want, err


def test_psk_file_error_once(run, pki):
    """The psk-file's own line number and one reason (it used to read "not found: psk file: not found")."""
    (pki / "psk.txt").write_text("kpsa-a@%s %s CAdmin\n" % (SP, "ab" * 32) * 2)
    lines = base(pki, free_port()) + ["psk-file = %s" % (pki / "psk.txt")]
    err = one_line(cse_check(run, pki, lines), 1)
    assert err.endswith("line 6: psk-file %s: line 2: duplicate KpsaID (first on line 1)" % (pki / "psk.txt")), err
    assert err.count("duplicate") == 1 and "ab" * 16 not in err


def test_port_in_use_names_the_listener(run, pki):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    s.listen(1)
    port = s.getsockname()[1]
    try:
        err = one_line(cse_check(run, pki, base(pki, port)), 1)
    finally:
        s.close()
    assert err.endswith("line 2: https-listen 127.0.0.1:%d: cannot bind (address in use or not permitted)" % port), err


@pytest.mark.parametrize("lines,want", [
    (["https-listen = 127.0.0.1:1", "psk-file = p", "", "key = k.pem"], "line 4: cert and key must be given together"),
    (["psk-file = p", "http-listen = 0.0.0.0:1"], "line 2: http-listen must be a loopback address (127.0.0.0/8, ::1, localhost)"),
    (["name = x", "https-listen = 127.0.0.1:1"], "line 2: https-listen needs psk-file, cred-store and/or cert + key"),
])
def test_cross_field_errors_name_the_line(run, tmp_path, lines, want):
    err = one_line(cse_check(run, tmp_path, lines), 2)
    assert err == "m2msec: cse: %s: %s" % (tmp_path / "cse.ini", want), err


def test_option_errors_in_the_common_format(run, tmp_path):
    assert one_line(run("cse", "--bogus"), 2) == "m2msec: cse: unknown or incomplete option '--bogus' (try --help)"
    assert one_line(run("cse", "--config"), 2) == "m2msec: cse: unknown or incomplete option '--config' (try --help)"
    assert one_line(run("cse"), 2) == "m2msec: cse: --config FILE is required (try --help)"
    assert one_line(run("cse", "--config", "a", "b"), 2) == "m2msec: cse: unexpected argument 'b' (try --help)"
    missing = tmp_path / "none.ini"
    assert one_line(run("cse", "--config", missing), 1) == "m2msec: cse: %s: not found" % missing


def test_sp_id_as_bare_fqdn(run, pki):
    """TS-0001 Table 7.2-1 writes //FQDN; the bare FQDN means the same SP (normalised)."""
    res = cse_check(run, pki, base(pki, free_port()) + ["sp-id = " + SP, "psk-file = %s" % (pki / "psk.txt")])
    assert res.returncode == 0 and res.stdout.strip() == "configuration ok", res.stderr
    err = one_line(cse_check(run, pki, base(pki, free_port()) + ["sp-id = %s/x" % SP]), 2)
    assert err.endswith("line 6: sp-id must be an FQDN such as m2msec.example.com (or //m2msec.example.com)")


# ---- install rules ----------------------------------------------------------------------------

def cache(build_dir, name):
    with open(os.path.join(build_dir, "CMakeCache.txt")) as f:
        for line in f:
            if line.startswith(name + ":"):
                return line.split("=", 1)[1].strip()
    return ""


@pytest.mark.skipif(shutil.which("pkg-config") is None, reason="pkg-config not installed")
def test_install_into_destdir_and_build_against_it(m2msec_bin, tmp_path):
    build_dir = os.path.dirname(m2msec_bin)
    dest = tmp_path / "stage"
    res = subprocess.run(["cmake", "--install", build_dir], env=dict(os.environ, DESTDIR=str(dest)),
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    prefix = str(dest) + cache(build_dir, "CMAKE_INSTALL_PREFIX")
    assert os.access(os.path.join(prefix, "bin", "m2msec"), os.X_OK)
    pcs = glob.glob(prefix + "/lib*/**/m2msec.pc", recursive=True)
    assert len(pcs) == 1, pcs
    libdir = os.path.dirname(os.path.dirname(pcs[0]))
    for lib in ("libm2msec.a", "libm2msec.so", "libm2msec.so.0"):
        assert os.path.exists(os.path.join(libdir, lib)), lib
    headers = sorted(os.listdir(os.path.join(SOURCE_DIR, "include", "m2msec")))
    assert sorted(os.listdir(os.path.join(prefix, "include", "m2msec"))) == headers
    assert os.path.exists(os.path.join(prefix, "share", "doc", "m2msec", "config.md"))
    # a program that only knows the installed files
    src = tmp_path / "prog.c"
    src.write_text('#include <stdio.h>\n#include <m2msec/err.h>\n#include <m2msec/hex.h>\n'
                   'int main(void) {\n  uint8_t b[2]; size_t n = 0;\n'
                   '  if (m2m_hex_decode("beef", 4, b, sizeof(b), &n) != M2M_OK) return 1;\n'
                   '  printf("%s %02x%02x\\n", m2m_strerror(M2M_E_NOT_FOUND), b[0], b[1]);\n  return 0;\n}\n')
    env = dict(os.environ, PKG_CONFIG_PATH=os.path.dirname(pcs[0]), PKG_CONFIG_SYSROOT_DIR=str(dest))
    flags = sh("pkg-config --cflags --libs m2msec", env=env)
    assert flags.returncode == 0, flags.stderr
    assert "-I%s/include" % prefix in flags.stdout
    cc = cache(build_dir, "CMAKE_C_COMPILER") or "cc"
    extra = " -fsanitize=address,undefined" if cache(build_dir, "M2M_SANITIZE") == "ON" else ""
    res = sh("%s -std=c17 %s -o %s %s%s" % (cc, src, tmp_path / "prog", flags.stdout.strip(), extra), env=env)
    assert res.returncode == 0, res.stderr
    res = sh(str(tmp_path / "prog"), env=dict(os.environ, LD_LIBRARY_PATH=libdir))
    assert res.returncode == 0 and res.stdout == "not found beef\n", (res.stdout, res.stderr)


# ---- warnings-as-errors: developer/CI builds only ---------------------------------------------

def test_plain_release_configure_has_no_werror(tmp_path):
    """A packager's `cmake -DCMAKE_BUILD_TYPE=Release` must not turn warnings into errors (a newer
    compiler's new warning broke it); the Makefile and scripts/test.sh turn it on explicitly."""
    b = tmp_path / "b"
    res = subprocess.run(["cmake", "-S", SOURCE_DIR, "-B", b, "-DCMAKE_BUILD_TYPE=Release"],
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    assert cache(b, "M2M_WERROR") == "OFF"
    with open(b / "compile_commands.json") as f:
        cmds = [c["command"] for c in json.load(f)]
    assert cmds and not any(re.search(r"(^| )-Werror( |$)", c) for c in cmds)
    with open(os.path.join(SOURCE_DIR, "Makefile")) as f:
        mk = f.read()
    assert "WERROR      ?= ON" in mk
    configures = [ln for ln in mk.splitlines() if "cmake -S" in ln]
    assert len(configures) >= 3 and all("-DM2M_WERROR=$(WERROR)" in ln for ln in configures)
    with open(os.path.join(SOURCE_DIR, "scripts", "test.sh")) as f:
        ts = f.read()
    builds = [ln for ln in ts.splitlines() if re.match(r"build build", ln)]
    assert len(builds) >= 4 and all("-DM2M_WERROR=ON" in ln for ln in builds)
    assert re.search(r"build build-release -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_COMPILER=gcc -DM2M_WERROR=ON", ts)


# ---- scripts/test.sh counting (scripts/testlog.sh) on saved logs -------------------------------

CTEST_LOG = """\
1/3 Testing: unit.test_a
Output:
----------------------------------------------------------
[==========] Running 5 test(s).
[ RUN      ] t1
[  FAILED  ] t1
[  SKIPPED ] t2
[==========] 5 test(s) run.
[  PASSED  ] 3 test(s).
[  SKIPPED ] 1 test(s), listed below:
[  SKIPPED ] t2
[  FAILED  ] 1 test(s), listed below:
[  FAILED  ] t1

 1 FAILED TEST(S)
<end of output>
2/3 Testing: unit.test_b
[==========] Running 6 test(s).
[==========] 6 test(s) run.
[  PASSED  ] 6 test(s).
<end of output>
3/3 Testing: system.pytest
Output:
----------------------------------------------------------
..s..F
tests/system/test_x.py:12: the CSE printed "2 passed" in its log
=========================== short test summary info ============================
FAILED tests/system/test_x.py::test_y - AssertionError
1 failed, 40 passed, 3 skipped, 1 error in 12.34s (0:00:12)
<end of output>
"""


def run_testlog(snippet, tmp_path):
    res = sh(". %s\n%s" % (os.path.join(SOURCE_DIR, "scripts", "testlog.sh"), snippet), cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    return res.stdout.splitlines()


def test_counts_are_the_tests_that_ran(tmp_path):
    (tmp_path / "LastTest.log").write_text(CTEST_LOG)
    fz = tmp_path / "build-fuzz"
    fz.mkdir()
    for name in ("acp", "config", "hex"):
        (fz / ("fuzz_" + name)).write_text("#!/bin/sh\n")
        os.chmod(fz / ("fuzz_" + name), 0o755)
        (fz / ("fuzz_%s.log" % name)).write_text("stat::number_of_executed_units: 1000\n")
    (fz / "crash-acp-123").write_text("x")
    out = run_testlog("count_ctest_log LastTest.log\ncount_fuzzers build-fuzz\nsummary_line", tmp_path)
    assert out == [
        "cmocka: 2 groups: [  PASSED  ] 9 test(s). [  FAILED  ] 1 test(s). [  SKIPPED ] 1 test(s).",
        "pytest: 1 failed, 40 passed, 3 skipped, 1 error in 12.34s (0:00:12)",
        "libFuzzer: 3 harnesses ran without a finding (stat::number_of_executed_units: 3000 in total)",
        "tests: 52 passed, 3 failed, 4 skipped",   # 9+40+3 ran and passed; the fuzz logs are not fuzzers
    ]


def test_pytest_crash_counts_as_failure(tmp_path):
    (tmp_path / "L.log").write_text("3/3 Testing: system.pytest\nOutput:\nSegmentation fault\n")
    out = run_testlog("count_ctest_log L.log\nsummary_line", tmp_path)
    assert out[-1] == "tests: 0 passed, 1 failed, 0 skipped"
    assert out[0].startswith("pytest: no summary line")


def test_test_sh_ends_with_the_summary():
    with open(os.path.join(SOURCE_DIR, "scripts", "test.sh")) as f:
        ts = f.read()
    assert ". scripts/testlog.sh" in ts and "summary_line\n\texit $rc" in ts
    assert "count_fuzzers build-fuzz" in ts and "ls build-fuzz/fuzz_*" not in ts
