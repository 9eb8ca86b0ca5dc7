# SPDX-License-Identifier: Apache-2.0
"""Packaging (issue 13 "Operations", docs/install.md), black-box:

- the manual pages: m2msec(1) and one m2msec-<command>(1) for every command of `m2msec --help`
  (the table of src/cli/main.c), each option of the command's --help texts in its page, lint-free
  under groff -ww and man -l (and mandoc -T lint where installed);
- the install rules: `cmake --install --prefix /usr` into a DESTDIR, then examples/kdf_example.c
  built with nothing but `pkg-config --cflags --libs m2msec` from the staged tree, shared and
  static, and every object of libm2msec.a linked against `pkg-config --static --libs` (the .pc
  names every dependency);
- the Debian package (test_debian_package, slow: a full Release build; run once by scripts/test.sh
  after its Release build, skipped elsewhere unless M2MSEC_PACKAGE_TEST=1): dpkg-buildpackage -us -uc -b in a
  copy of the source tree, lintian without errors and only the warnings docs/install.md lists,
  the contents of the three packages, the extracted command, library and units at work;
- with the same build (one per run): `dpkg -i` into an isolated root (deb_sandbox.py: a private
  mount namespace with an overlayfs of /, so the host is unchanged) with the real maintainer
  scripts, and each unit started there as systemd would (StateDirectory=, LoadCredential=, User=,
  ExecReload=, KillSignal=; docs/install.md "What the package test runs"); and the install of a
  root without systemd-sysusers (the postinst's adduser fallback).
"""
import glob
import os
import re
import shutil
import subprocess
import time

import pytest

SOURCE_DIR = os.environ.get("M2MSEC_SOURCE_DIR",
                            os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
MAN_DIR = os.path.join(SOURCE_DIR, "man")
KE = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
MAF_ID = "maf.m2msec.example.com"

# The help texts below a command's own --help that list further options.
SUBHELPS = {
    "key": [["derive", k] for k in ("km", "kpsa", "ucsk", "session-esprim", "e2e", "gba-naf")]
           + [["split"], ["milenage"]],
    "cred": [["add"], ["list"], ["show"], ["revoke"]],
    "ca": [["init"], ["issue"], ["show"], ["crl"]],
    "mef": [["enrolee"], ["enrolee", "import"], ["group"], ["profile"], ["subscriber"]],
    "maf": [["client"]],
    "id": [["parse"]],
    "enrol": [["--gba"]],
    "das": [["token"]],
}


def sh(cmd, cwd=None, env=None, timeout=120):
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout,
                          shell=isinstance(cmd, str), executable="/bin/bash" if isinstance(cmd, str) else None)


def commands(m2msec_bin):
    out = sh([m2msec_bin, "--help"]).stdout
    table = out.split("commands:\n", 1)[1].split("\n\n", 1)[0]
    names = [ln.split()[0] for ln in table.splitlines() if ln.startswith("  ")]
    assert len(names) >= 12, out
    return names


def render(page):
    """The page as text: wide lines and no hyphenation, so that an option is never split."""
    res = sh(["groff", "-man", "-Tascii", "-rLL=1000n", "-rHY=0", "-P-cbou", page])
    assert res.returncode == 0, res.stderr
    return res.stdout


def long_options(text):
    return set(re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*[a-z0-9]", text)) - {"--help"}


# ---- manual pages -------------------------------------------------------------------------------

def test_every_command_has_a_page(m2msec_bin):
    names = commands(m2msec_bin)
    pages = sorted(os.path.basename(p) for p in glob.glob(os.path.join(MAN_DIR, "*.1")))
    # exactly one page per command: a page without its command is as stale as a command without one
    assert set(["m2msec.1"] + ["m2msec-%s.1" % n for n in names]) == set(pages), pages
    main = render(os.path.join(MAN_DIR, "m2msec.1"))
    for n in names:
        assert "m2msec-%s(1)" % n in main, n
        with open(os.path.join(MAN_DIR, "m2msec-%s.1" % n)) as f:
            th = [ln for ln in f if ln.startswith(".TH ")]
        assert th and th[0].split()[1:3] == ["M2MSEC\\-" + n.upper().replace("-", "\\-"), "1"], th


def test_help_lists_the_command_table_of_main_c(m2msec_bin):
    """The pages follow `m2msec --help`; that is the table of src/cli/main.c, every entry of it."""
    with open(os.path.join(SOURCE_DIR, "src", "cli", "main.c")) as f:
        table = re.findall(r'^\s*\{"([a-z][a-z-]*)", cli_\w+_main,', f.read(), re.M)
    assert len(table) >= 12 and table == commands(m2msec_bin), table


def test_pages_show_every_subcommand_of_the_dispatch(m2msec_bin):
    """Each word a command's source dispatches on (`strcmp(argv[1], "enrolee")`) is in the page's
    SYNOPSIS as `m2msec <command> <word>`, and has its --help text checked above."""
    missing = []
    for n in commands(m2msec_bin):
        words = set()
        src = os.path.join(SOURCE_DIR, "src", "cli", "cmd_%s.c" % n.replace("-", "_"))
        if os.path.exists(src):
            with open(src) as f:
                words |= set(re.findall(r'strcmp\(argv\[1\], "([a-z][a-z-]*)"\) == 0', f.read()))
        words -= {"help"}
        synopsis = render(os.path.join(MAN_DIR, "m2msec-%s.1" % n)).split("SYNOPSIS", 1)[1].split("DESCRIPTION")[0]
        synopsis = " ".join(synopsis.split())
        missing += ["%s %s" % (n, w) for w in sorted(words) if "m2msec %s %s" % (n, w) not in synopsis]
        helped = {sub[0] for sub in SUBHELPS.get(n, [])}
        # (esdata's and maf-client's words are in their command's own --help)
        missing += ["%s %s: no SUBHELPS entry" % (n, w) for w in sorted(words) if w not in helped and
                    n not in ("esdata", "maf-client") and w != "kinds"]
    assert missing == []


@pytest.mark.parametrize("page", sorted(glob.glob(os.path.join(MAN_DIR, "*.1"))), ids=os.path.basename)
def test_page_lints_clean(page):
    res = sh(["groff", "-man", "-ww", "-z", page])
    assert res.returncode == 0 and res.stderr == "", res.stderr
    if shutil.which("man"):
        res = sh(["man", "--warnings", "-l", page], env=dict(os.environ, MANWIDTH="80", MANPAGER="cat",
                                                              PAGER="cat", LANG="C.UTF-8", LC_ALL="C.UTF-8"))
        assert res.returncode == 0 and res.stderr == "", res.stderr
        assert "EXIT STATUS" in res.stdout and "SEE ALSO" in res.stdout
    if shutil.which("mandoc"):
        res = sh(["mandoc", "-T", "lint", "-W", "warning", page])
        assert res.returncode == 0, res.stdout + res.stderr


def test_pages_name_every_option_of_the_help(m2msec_bin):
    """A page is kept true by hand; an option added to a --help text without its page fails here."""
    missing = []
    for n in commands(m2msec_bin):
        text = sh([m2msec_bin, n, "--help"]).stdout
        for sub in SUBHELPS.get(n, []):
            res = sh([m2msec_bin, n, *sub, "--help"])
            assert res.returncode == 0 and res.stdout, (n, sub, res.stderr)
            text += res.stdout
        page = render(os.path.join(MAN_DIR, "m2msec-%s.1" % n))
        missing += ["%s %s" % (n, o) for o in sorted(long_options(text)) if o not in page]
    main = render(os.path.join(MAN_DIR, "m2msec.1"))
    missing += ["m2msec " + o for o in sorted(long_options(sh([m2msec_bin, "--help"]).stdout)) if o not in main]
    assert missing == []


def config_keys(section):
    """The keys docs/config.md documents for [section] (its table rows, `a`, `b` rows included)."""
    with open(os.path.join(SOURCE_DIR, "docs", "config.md")) as f:
        doc = f.read()
    part = doc.split("\n## `[%s]`" % section, 1)[1].split("\n## ", 1)[0]
    keys = set()
    for row in re.findall(r"^\| ([^|]+) \|", part, re.M):
        keys |= set(re.findall(r"`([a-z0-9-]+)`", row))
    return keys


@pytest.mark.parametrize("svc", ["cse", "mef", "maf", "das"])
def test_config_templates_name_documented_keys(svc):
    """/etc/m2msec/<svc>.ini of the package: its [section] and only keys config.md documents for it,
    so that uncommenting a line never gives an unknown key."""
    with open(os.path.join(SOURCE_DIR, "packaging", "etc", "m2msec", svc + ".ini")) as f:
        lines = f.read().splitlines()
    assert "[%s]" % svc in lines
    body = lines[lines.index("[%s]" % svc) + 1:]
    keys = [re.match(r"# ([a-z0-9-]+) = \S", ln).group(1) for ln in body if ln.strip()]
    assert len(keys) >= 5 and set(keys) <= config_keys(svc), sorted(set(keys) - config_keys(svc))


# ---- install rules and the example program --------------------------------------------------------

def cache(build_dir, name):
    with open(os.path.join(build_dir, "CMakeCache.txt")) as f:
        for line in f:
            if line.startswith(name + ":"):
                return line.split("=", 1)[1].strip()
    return ""


def km_of_cli(m2msec_bin):
    res = subprocess.run([m2msec_bin, "key", "derive", "km", "--ke", "-", "--maf-id", MAF_ID], input=KE + "\n",
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 0 and re.fullmatch(r"[0-9a-f]{64}\n", res.stdout), res.stderr
    return res.stdout


def build_example(cc, flags, out, env, extra=""):
    src = os.path.join(SOURCE_DIR, "examples", "kdf_example.c")
    return sh("%s -std=c17 -Wall -Werror -o %s %s %s%s" % (cc, out, src, flags, extra), env=env)


def run_example(prog, env=None):
    return subprocess.run([str(prog), MAF_ID], input=KE + "\n", capture_output=True, text=True, timeout=60,
                          env=env)


@pytest.mark.skipif(shutil.which("pkg-config") is None, reason="pkg-config not installed")
def test_install_prefix_usr_and_the_example_program(m2msec_bin, tmp_path):
    build_dir = os.path.dirname(m2msec_bin)
    dest = tmp_path / "stage"
    res = sh(["cmake", "--install", build_dir, "--prefix", "/usr"], env=dict(os.environ, DESTDIR=str(dest)))
    assert res.returncode == 0, res.stderr
    root = str(dest) + "/usr"
    for page in glob.glob(os.path.join(MAN_DIR, "*.1")):
        assert os.path.isfile(os.path.join(root, "share", "man", "man1", os.path.basename(page))), page
    pcs = glob.glob(root + "/lib*/**/m2msec.pc", recursive=True)
    assert len(pcs) == 1, pcs
    with open(pcs[0]) as f:
        pc = f.read()
    # the prefix installed to, not the one configured (/usr/local unless the build said otherwise)
    assert "prefix=/usr\n" in pc, pc
    libdir = os.path.dirname(os.path.dirname(pcs[0]))
    env = dict(os.environ, PKG_CONFIG_PATH=os.path.dirname(pcs[0]), PKG_CONFIG_SYSROOT_DIR=str(dest))
    cc = cache(build_dir, "CMAKE_C_COMPILER") or "cc"
    extra = " -fsanitize=address,undefined" if cache(build_dir, "M2M_SANITIZE") == "ON" else ""
    want = km_of_cli(m2msec_bin)

    # shared: the flags pkg-config gives, and the library found at run time
    flags = sh("pkg-config --cflags --libs m2msec", env=env)
    assert flags.returncode == 0 and "-I%s/include" % root in flags.stdout, (flags.stdout, flags.stderr)
    res = build_example(cc, flags.stdout.strip(), tmp_path / "kdf_shared", env, extra)
    assert res.returncode == 0, res.stderr
    assert "libm2msec.so.0" in sh(["readelf", "-d", str(tmp_path / "kdf_shared")]).stdout
    res = run_example(tmp_path / "kdf_shared", env=dict(os.environ, LD_LIBRARY_PATH=libdir))
    assert res.returncode == 0 and res.stdout == want, (res.stdout, res.stderr)
    res = subprocess.run([str(tmp_path / "kdf_shared"), MAF_ID], input="abcd\n", capture_output=True, text=True,
                         timeout=60, env=dict(os.environ, LD_LIBRARY_PATH=libdir))
    assert res.returncode == 2 and res.stdout == "", res.stdout

    # static: libm2msec.a with the private dependencies of `pkg-config --static` (Debian ships no
    # static libcbor, libjose or libmosquitto, so those stay shared: docs/install.md)
    static = sh("pkg-config --cflags --static --libs m2msec", env=env)
    assert static.returncode == 0, static.stderr
    words = static.stdout.split()
    assert "-lm2msec" in words and "-lmosquitto" in words and "-lunistring" in words, words
    sflags = " ".join("-l:libm2msec.a" if w == "-lm2msec" else w for w in words)
    res = build_example(cc, sflags, tmp_path / "kdf_static", env, extra)
    assert res.returncode == 0, res.stderr
    assert "libm2msec" not in sh(["readelf", "-d", str(tmp_path / "kdf_static")]).stdout
    res = run_example(tmp_path / "kdf_static")
    assert res.returncode == 0 and res.stdout == want, (res.stdout, res.stderr)

    # every object of the archive resolves with what the .pc names (no dependency left out)
    whole = " ".join("-Wl,--whole-archive -l:libm2msec.a -Wl,--no-whole-archive" if w == "-lm2msec" else w
                     for w in words)
    res = build_example(cc, whole, tmp_path / "kdf_whole", env, extra)
    assert res.returncode == 0, res.stderr


# ---- the Debian package ---------------------------------------------------------------------------

def copy_tree(dst):
    """The source as a fresh clone has it: the files git knows (and new ones not ignored), never a
    build directory."""
    if os.path.isdir(os.path.join(SOURCE_DIR, ".git")) or os.path.isfile(os.path.join(SOURCE_DIR, ".git")):
        res = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=SOURCE_DIR,
                             capture_output=True, timeout=120)
        assert res.returncode == 0, res.stderr
        for rel in res.stdout.decode().split("\0"):
            if not rel or rel.startswith(("build", "var/", "obj-")) or not os.path.isfile(os.path.join(SOURCE_DIR, rel)):
                continue
            os.makedirs(os.path.join(dst, os.path.dirname(rel)), exist_ok=True)
            shutil.copy2(os.path.join(SOURCE_DIR, rel), os.path.join(dst, rel))
    else:
        shutil.copytree(SOURCE_DIR, dst, ignore=shutil.ignore_patterns("build*", "var", "obj-*", "debian/tmp"))


def deb_contents(deb):
    res = sh(["dpkg-deb", "-c", deb])
    assert res.returncode == 0, res.stderr
    return {ln.split()[-1].lstrip(".") for ln in res.stdout.splitlines() if " -> " not in ln} | \
           {ln.split()[-3].lstrip(".") for ln in res.stdout.splitlines() if " -> " in ln}


def documented_lintian_tags():
    """The tags named in docs/install.md's "lintian" section."""
    with open(os.path.join(SOURCE_DIR, "docs", "install.md")) as f:
        section = f.read().split("\n### lintian\n", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"`([a-z0-9][a-z0-9+.-]+)`", section))


GATED = pytest.mark.skipif(os.environ.get("M2MSEC_PACKAGE_TEST") != "1",
                           reason="a full package build: run once by scripts/test.sh (M2MSEC_PACKAGE_TEST=1)")
DEB_TOOLS = pytest.mark.skipif(shutil.which("dpkg-buildpackage") is None or shutil.which("lintian") is None,
                               reason="dpkg-dev, debhelper and lintian (scripts/deps.sh) not installed")


@pytest.fixture(scope="module")
def debian_package(tmp_path_factory):
    """The one package build of a run, shared by the tests below: {"dir", "changes", "debs"}."""
    tmp_path = tmp_path_factory.mktemp("deb")
    src = tmp_path / "m2msec"
    copy_tree(str(src))
    for d in glob.glob(os.path.join(src, "build*")):
        assert False, "build directory copied: %s" % d
    started = time.monotonic()
    env = dict(os.environ, DEB_BUILD_OPTIONS="parallel=%d" % (os.cpu_count() or 2))
    env.pop("MAKEFLAGS", None)
    env.pop("MFLAGS", None)
    res = sh(["dpkg-buildpackage", "-us", "-uc", "-b"], cwd=str(src), env=env, timeout=3000)
    print("dpkg-buildpackage took %.0f s" % (time.monotonic() - started))
    assert res.returncode == 0, (res.stdout + res.stderr)[-6000:]
    changes = glob.glob(str(tmp_path / "m2msec_*.changes"))
    assert len(changes) == 1, os.listdir(tmp_path)
    debs = {os.path.basename(p).split("_")[0]: p for p in glob.glob(str(tmp_path / "*.deb"))}
    assert {"m2msec", "libm2msec0", "libm2msec-dev"} <= set(debs), debs
    return {"dir": tmp_path, "changes": changes[0], "debs": debs}


@GATED
@DEB_TOOLS
def test_debian_package(debian_package, tmp_path):
    changes, debs = [debian_package["changes"]], debian_package["debs"]

    # lintian: no error; each warning's tag is one docs/install.md lists (and explains)
    res = sh(["lintian", "--fail-on", "error", "--no-tag-display-limit", changes[0]], timeout=900)
    assert res.returncode == 0, res.stdout + res.stderr
    errors = [ln for ln in res.stdout.splitlines() if ln.startswith("E:")]
    assert errors == [], errors
    tags = {ln.split(":")[2].split()[0] for ln in res.stdout.splitlines() if ln.startswith("W:")}
    assert tags <= documented_lintian_tags(), sorted(tags - documented_lintian_tags())

    # contents
    arch = sh(["dpkg-architecture", "-qDEB_HOST_MULTIARCH"]).stdout.strip()
    main = deb_contents(debs["m2msec"])
    assert "/usr/bin/m2msec" in main
    for page in glob.glob(os.path.join(MAN_DIR, "*.1")):
        assert "/usr/share/man/man1/%s.gz" % os.path.basename(page) in main, page
    for ini in ("cse", "mef", "maf", "das"):
        assert "/etc/m2msec/%s.ini" % ini in main, ini
    assert "/var/lib/m2msec/" in main
    # the paths the manual pages and templates name
    for doc in ("config.md", "install.md", "procedures/mef.md"):
        assert "/usr/share/doc/m2msec/" + doc in main, doc
    units = sorted(glob.glob(os.path.join(SOURCE_DIR, "packaging", "systemd", "*.service")))
    for u in units:
        assert "/lib/systemd/system/%s" % os.path.basename(u) in main, u
    sysusers = os.path.isfile(os.path.join(SOURCE_DIR, "packaging", "systemd", "m2msec.sysusers"))
    if sysusers:
        assert "/usr/lib/sysusers.d/m2msec.conf" in main
    ctrl = tmp_path / "ctrl"
    assert sh(["dpkg-deb", "-e", debs["m2msec"], str(ctrl)]).returncode == 0
    conffiles = (ctrl / "conffiles").read_text().split()
    assert sorted(conffiles) == ["/etc/m2msec/%s.ini" % i for i in ("cse", "das", "maf", "mef")], conffiles
    lib = deb_contents(debs["libm2msec0"])
    assert "/usr/lib/%s/libm2msec.so.0" % arch in lib and "/usr/lib/%s/libm2msec.so.0.1.0" % arch in lib, lib
    dev = deb_contents(debs["libm2msec-dev"])
    for h in os.listdir(os.path.join(SOURCE_DIR, "include", "m2msec")):
        assert "/usr/include/m2msec/%s" % h in dev, h
    for f in ("libm2msec.a", "libm2msec.so", "pkgconfig/m2msec.pc"):
        assert "/usr/lib/%s/%s" % (arch, f) in dev, f

    # the maintainer scripts: the system user is made, no unit is enabled or started by installing
    postinst = (ctrl / "postinst").read_text() if (ctrl / "postinst").exists() else ""
    if sysusers:
        assert "systemd-sysusers" in postinst and "m2msec.conf" in postinst, postinst
        # and without systemd-sysusers (test_debian_package_installs_without_systemd_sysusers)
        assert "adduser --system" in postinst, postinst
    # dh_installsystemd --no-enable --no-start: a unit is enabled again only if the admin had
    # enabled it (was-enabled of an installed unit), nothing is started
    assert "deb-systemd-invoke" not in postinst, postinst
    assert "was-enabled defaults to true" not in postinst, postinst
    if units:
        assert "deb-systemd-helper debian-installed" in postinst, postinst

    # the extracted packages at work: the command, the library under the example, the units
    root = tmp_path / "root"
    for d in ("m2msec", "libm2msec0", "libm2msec-dev"):
        assert sh(["dpkg-deb", "-x", debs[d], str(root)]).returncode == 0
    m2m = str(root / "usr" / "bin" / "m2msec")
    res = sh([m2m, "--version"])
    assert res.returncode == 0 and res.stdout == "m2msec 0.1.0\n", res.stderr
    want = km_of_cli(m2m)
    libdir = str(root / "usr" / "lib" / arch)
    env = dict(os.environ, PKG_CONFIG_PATH=libdir + "/pkgconfig", PKG_CONFIG_SYSROOT_DIR=str(root))
    flags = sh("pkg-config --cflags --libs m2msec", env=env)
    assert flags.returncode == 0, flags.stderr
    res = build_example("cc", flags.stdout.strip(), tmp_path / "kdf_deb", env)
    assert res.returncode == 0, res.stderr
    res = run_example(tmp_path / "kdf_deb", env=dict(os.environ, LD_LIBRARY_PATH=libdir))
    assert res.returncode == 0 and res.stdout == want, (res.stdout, res.stderr)
    tool = shutil.which("systemd-analyze")
    for u in units if tool else []:
        text = (root / "lib" / "systemd" / "system" / os.path.basename(u)).read_text()
        path = tmp_path / os.path.basename(u)
        path.write_text(text.replace("/usr/bin/m2msec", m2m))
        res = sh([tool, "verify", "--man=no", str(path)], timeout=60)
        assert res.returncode == 0 and res.stderr == "", (u, res.stderr)


# ---- the package installed and its units started (an isolated root, no systemd) ------------------

SP_FQDN = "m2msec.example.com"
# service: (credential name of its private key, certificate SAN, the template's keys to uncomment)
SERVICES = {
    "cse": ("server", "id-in." + SP_FQDN, ["cse-id", "name", "sp-id", "store", "https-listen", "cert", "key",
                                           "trust-anchors", "psk-file", "admin-originator"]),
    "mef": ("mef", "mef." + SP_FQDN, ["mef-fqdn", "sp-id", "https-listen", "store", "cert", "key", "trust-anchors"]),
    "maf": ("maf", "maf." + SP_FQDN, ["maf-fqdn", "sp-id", "https-listen", "store", "cert", "key", "trust-anchors"]),
    "das": ("das", "das." + SP_FQDN, ["das-id", "https-listen", "store", "cert", "key", "trust-anchors"]),
}
HOST_FILES = ["/etc/passwd", "/etc/group", "/var/lib/dpkg/status"]


def host_state():
    """What installing must not change on the host: the user and package databases, the mounts."""
    state = {}
    for p in HOST_FILES:
        with open(p, "rb") as f:
            state[p] = f.read()
    with open("/proc/self/mountinfo") as f:
        state["mounts"] = sorted(ln.split(" ", 4)[4] for ln in f)
    return state


def sandbox_or_skip(tmp_path):
    if os.geteuid() != 0 or shutil.which("unshare") is None or shutil.which("nsenter") is None:
        pytest.skip("needs root, unshare and nsenter (util-linux) for the isolated root")
    from deb_sandbox import Sandbox
    return Sandbox(tmp_path / "box")


def dpkg_install(box, debs):
    box.check("mkdir", "-p", "/tmp/debs")
    names = []
    for d in ("libm2msec0", "m2msec", "libm2msec-dev"):
        shutil.copy(debs[d], box.path("/tmp/debs/"))
        names.append("/tmp/debs/" + os.path.basename(debs[d]))
    res = box.run("dpkg", "-i", *names)
    assert res.returncode == 0, res.stdout + res.stderr
    out = box.check("dpkg-query", "-W", "-f", "${Package} ${Status}\n", "m2msec", "libm2msec0", "libm2msec-dev")
    assert sorted(out.splitlines()) == ["%s install ok installed" % p for p in
                                        ("libm2msec-dev", "libm2msec0", "m2msec")], out
    conffiles = box.check("dpkg-query", "-W", "-f", "${Conffiles}", "m2msec").split()
    assert sorted(c for c in conffiles if c.startswith("/")) == ["/etc/m2msec/%s.ini" % s for s in
                                                                  ("cse", "das", "maf", "mef")], conffiles
    for svc in SERVICES:
        assert os.path.isfile(box.path("/etc/m2msec/%s.ini" % svc)), svc
        assert os.path.isfile(box.path("/lib/systemd/system/m2msec-%s.service" % svc)), svc
        # installed, not enabled (dh_installsystemd --no-enable)
        assert not os.path.exists(box.path("/etc/systemd/system/multi-user.target.wants/m2msec-%s.service" % svc))
    assert box.check("m2msec", "--version") == "m2msec 0.1.0\n"
    return res.stdout + res.stderr


def assert_system_user(box):
    pw = box.passwd("m2msec")
    assert 0 < pw.pw_uid < 1000 and pw.pw_dir == "/var/lib/m2msec" and pw.pw_shell == "/usr/sbin/nologin", pw
    grp = box.check("getent", "group", "m2msec").split(":")
    assert int(grp[2]) == pw.pw_gid, (grp, pw)


def config_from_template(box, svc, port):
    """/etc/m2msec/<svc>.ini as the administrator fills it in: the template's lines for the keys of
    SERVICES uncommented, the listener on a free loopback port."""
    keep = SERVICES[svc][2]
    with open(box.path("/etc/m2msec/%s.ini" % svc)) as f:
        lines = f.read().splitlines()
    out, seen = [], []
    for ln in lines:
        m = re.fullmatch(r"# ([a-z0-9-]+) = (\S+)", ln)
        if m and m.group(1) in keep:
            value = "127.0.0.1:%d" % port if m.group(1) == "https-listen" else m.group(2)
            ln = "%s = %s" % (m.group(1), value)
            seen.append(m.group(1))
        out.append(ln)
    assert sorted(seen) == sorted(keep), (svc, seen)
    box.write("/etc/m2msec/%s.ini" % svc, "\n".join(out) + "\n")
    return dict(re.findall(r"^([a-z0-9-]+) = (\S+)$", "\n".join(out), re.M))


def tls_request(box, port, raw, psk=None, client=None):
    """One request over TLS to a service of the sandbox (openssl s_client on the host, loopback is
    shared): over TLS-PSK (identity, hex key) or with the client certificate stem `client`, the
    server's certificate checked against the test CA. Returns the raw answer."""
    from cse_harness import parse_http
    cmd = ["openssl", "s_client", "-quiet", "-connect", "127.0.0.1:%d" % port]
    if psk:
        cmd += ["-tls1_2", "-psk_identity", psk[0], "-psk", psk[1], "-cipher", "PSK-AES128-CBC-SHA256"]
    else:
        cmd += ["-CAfile", box.path("/root/ca/ca.crt"), "-verify_return_error"]
        if client:
            cmd += ["-cert", box.path("/root/%s.crt" % client), "-key", box.path("/root/%s.key" % client)]
    res = subprocess.run(cmd, input=raw, capture_output=True, timeout=60)
    i = res.stdout.find(b"HTTP/1.1 ")
    assert i >= 0, (cmd, res.stderr)
    return parse_http(res.stdout[i:])


def ae_create(box, port, identity, key, origin):
    """TS-0004 7.4.5.2.1 AE registration over TLS-PSK (TS-0003 8.2.2.1 pre-provisioned Kpsa)."""
    from cse_harness import build_request
    body = '{"m2m:ae": {"rn": "%s", "api": "Nm2msec.package", "rr": false, "srv": ["3"]}}' % origin.lower()
    raw = build_request("POST", "/cse-in", {"X-M2M-Origin": origin, "X-M2M-RI": "rq-" + origin,
                                            "X-M2M-RVI": "3", "Content-Type": "application/json;ty=2",
                                            "Host": SERVICES["cse"][1]}, body)
    return tls_request(box, port, raw, psk=(identity, key))


def peer_answers(box, svc, port):
    """The MEF, MAF or DAS is up: a TLS handshake with its certificate checked against the test CA
    and a client certificate of the same CA, and a oneM2M answer to a request that is not one of
    theirs (GET /, no X-M2M-Origin: BAD_REQUEST, TS-0004 Table 6.6.3.3-1)."""
    from cse_harness import build_request
    raw = build_request("GET", "/", {"Host": SERVICES[svc][1]})
    status, headers, _ = tls_request(box, port, raw, client="client")
    return status, headers.get("x-m2m-rsc")


def wait_log(path, marker, proc):
    end = time.monotonic() + 60
    while time.monotonic() < end:
        with open(path) as f:
            if marker in f.read():
                return
        assert proc.poll() is None, open(path).read()
        time.sleep(0.05)
    raise AssertionError("%s: no %r in %s" % (path, marker, open(path).read()))


def prepare_service(box, svc):
    """The files docs/install.md "After installing" step 1 names, made by the installed command:
    the certificate and trust anchors in /etc/m2msec/<svc>/, the private key there root-only (the
    unit hands it over with LoadCredential=)."""
    stem, san, _ = SERVICES[svc]
    d = "/etc/m2msec/" + svc
    box.check("mkdir", "-p", d)
    box.check("m2msec", "ca", "issue", "--dir", "/root/ca", "--san", san, "--out", "%s/%s" % (d, stem))
    box.check("chmod", "0600", "%s/%s.key" % (d, stem))
    box.check("chown", "root:root", "%s/%s.key" % (d, stem))
    box.check("cp", "/root/ca/ca.crt", d + "/ca.crt")
    box.check("chown", "-R", "m2msec:m2msec", d + "/ca.crt", "%s/%s.crt" % (d, stem))


@GATED
@DEB_TOOLS
def test_debian_package_installs_and_units_start(debian_package, tmp_path):
    """`dpkg -i` of the three packages into an isolated root (the maintainer scripts run; the host
    is unchanged), then each unit started as systemd would (deb_sandbox.Unit): up and answering,
    ExecReload= (SIGHUP) keeps it up and reloads, SIGTERM stops it with exit 0 within
    TimeoutStopSec=. docs/install.md "What the package test runs"."""
    from deb_sandbox import Unit
    from cse_harness import free_port, wait_port
    before = host_state()
    started = time.monotonic()
    box = sandbox_or_skip(tmp_path)
    try:
        dpkg_install(box, debian_package["debs"])
        assert_system_user(box)
        box.check("m2msec", "ca", "init", "--dir", "/root/ca", "--name", "package test CA", "--permit", SP_FQDN)
        box.check("m2msec", "ca", "issue", "--dir", "/root/ca", "--san", "client." + SP_FQDN, "--out", "/root/client")
        for svc in SERVICES:
            prepare_service(box, svc)
            port = free_port()
            cfg = config_from_template(box, svc, port)
            assert cfg["key"] == "%%d/%s.key" % SERVICES[svc][0], cfg
            keep = ("kpsa-keep@" + SP_FQDN, os.urandom(32).hex(), "Ckeep")
            new = ("kpsa-new@" + SP_FQDN, os.urandom(32).hex(), "Cnew")
            if svc == "cse":
                box.write(cfg["psk-file"], "%s %s %s\n" % keep, mode=0o600, owner="m2msec")
            unit = Unit(box, "m2msec-%s.service" % svc)
            log = str(tmp_path / ("%s.log" % svc))
            with open(log, "w") as f:
                proc = unit.start(f)
            wait_port(port, proc, timeout=60)
            st = unit.status()
            pw = box.passwd("m2msec")
            assert st["Name"] == "m2msec" and st["Uid"].split() == [str(pw.pw_uid)] * 4, st
            assert st["Gid"].split() == [str(pw.pw_gid)] * 4 and st["NoNewPrivs"] == "1", st
            assert int(st["CapEff"], 16) == 0 and int(st["CapBnd"], 16) == 0, st
            assert st["Seccomp"] == "2", st  # the unit's system-call filter (deb_sandbox, unit_seccomp.py)
            with open("/proc/%d/limits" % proc.pid) as f:  # LimitNOFILE= (capped: deb_sandbox)
                nofile = [ln.split()[3:5] for ln in f if ln.startswith("Max open files")][0]
            assert nofile == [str(unit.nofile)] * 2, nofile
            # ProtectSystem=strict, PrivateTmp=yes, ProtectHome=yes: what the service can write
            mounts = unit.mounts()
            assert "ro" in mounts["/"][0] and "ro" in mounts["/run"][0], mounts
            assert "rw" in mounts["/var/lib/m2msec/" + svc][0], mounts
            assert mounts["/tmp"][1] == "tmpfs" and "rw" in mounts["/tmp"][0], mounts
            assert mounts["/root"][1] == "tmpfs" and "ro" in mounts["/root"][0], mounts
            with open("/proc/%d/mountinfo" % proc.pid) as f:  # ProtectProc=invisible, ProcSubset=pid
                procfs = [ln.split(" - ")[1].split()[2].split(",") for ln in f if ln.split()[4] == "/proc"]
            assert "hidepid=invisible" in procfs[-1] and "subset=pid" in procfs[-1], procfs
            devs = set(os.listdir("/proc/%d/root/dev" % proc.pid))  # PrivateDevices=yes
            assert mounts["/dev"][1] == "tmpfs" and devs == {"null", "zero", "full", "random", "urandom", "tty", "shm",
                                                             "fd", "stdin", "stdout", "stderr"}, (mounts, devs)
            # the store is where StateDirectory= put it, private to the service user
            state = "/var/lib/m2msec/" + svc
            assert cfg["store"].startswith(state + "/"), cfg
            if svc == "cse":
                status, headers, body = ae_create(box, port, keep[0], keep[1], keep[2])
                assert status == 201 and headers.get("x-m2m-rsc") == "2001", (status, headers, body)
                # not in the psk-file yet: the handshake is refused
                with pytest.raises(AssertionError):
                    ae_create(box, port, new[0], new[1], new[2])
                box.write(cfg["psk-file"], "%s %s %s\n%s %s %s\n" % (keep + new), mode=0o600, owner="m2msec")
            else:
                assert peer_answers(box, svc, port) == (400, "4000")
            sd = os.stat(box.path(state))
            assert sd.st_uid == pw.pw_uid and sd.st_mode & 0o7777 == 0o700, oct(sd.st_mode)
            if svc != "das":  # (the DAS keeps no state yet: docs/config.md [das] store)
                db = os.stat(box.path(cfg["store"]))
                assert db.st_uid == pw.pw_uid and db.st_mode & 0o077 == 0, oct(db.st_mode)  # UMask=0077

            # systemctl reload: ExecReload= (kill -HUP $MAINPID) as the unit's user
            unit.reload()
            wait_log(log, "SIGHUP: credentials reloaded" if svc == "cse" else "SIGHUP: ", proc)
            assert proc.poll() is None
            if svc == "cse":
                status, headers, body = ae_create(box, port, new[0], new[1], new[2])
                assert status == 201 and headers.get("x-m2m-rsc") == "2001", (status, headers, body)
            else:
                assert peer_answers(box, svc, port) == (400, "4000")

            # systemctl stop: SIGTERM, exit 0 within TimeoutStopSec=
            assert unit.stop() == 0, open(log).read()
            text = open(log).read()
            assert keep[1] not in text and new[1] not in text  # no key in the journal
        # dpkg --purge: the postrm runs, the conffiles and units go, the user stays (Debian policy 9.2)
        box.check("dpkg", "--purge", "libm2msec-dev", "m2msec")
        assert box.run("dpkg-query", "-W", "-f", "${Status}", "m2msec").stdout in ("", "unknown ok not-installed")
        for svc in SERVICES:
            assert not os.path.exists(box.path("/etc/m2msec/%s.ini" % svc)), svc
            assert not os.path.exists(box.path("/lib/systemd/system/m2msec-%s.service" % svc)), svc
        assert box.passwd("m2msec").pw_name == "m2msec"
    finally:
        box.close()
    assert host_state() == before
    print("install and four units: %.0f s" % (time.monotonic() - started))


@GATED
@DEB_TOOLS
def test_debian_package_installs_without_systemd_sysusers(debian_package, tmp_path):
    """A root without systemd-sysusers (a container or chroot without systemd): the postinst makes
    the same system user with adduser --system (debian/m2msec.postinst), in the group of that name
    when only the group is there; before debian/m2msec.postinst (dh_installsysusers' unconditional
    systemd-sysusers call) dpkg -i failed here in the postinst."""
    before, had_sysusers = host_state(), shutil.which("systemd-sysusers")
    box = sandbox_or_skip(tmp_path)
    try:
        for p in ("/usr/bin/systemd-sysusers", "/bin/systemd-sysusers"):
            if os.path.lexists(box.path(p)):
                box.check("rm", "-f", p)
        assert box.run("sh", "-c", "command -v systemd-sysusers").returncode != 0
        deb = "/tmp/debs/" + os.path.basename(debian_package["debs"]["m2msec"])
        out = dpkg_install(box, debian_package["debs"])
        assert_system_user(box)
        # a reinstall (configure again) keeps the user
        uid = box.passwd("m2msec").pw_uid
        box.check("dpkg", "-i", deb)
        assert box.passwd("m2msec").pw_uid == uid, out
        # a group m2msec left without its user (deleted by hand): the user is made in that group
        box.check("userdel", "m2msec")
        assert box.run("getent", "passwd", "m2msec").returncode == 2
        if box.run("getent", "group", "m2msec").returncode != 0:
            box.check("groupadd", "--system", "m2msec")
        gid = int(box.check("getent", "group", "m2msec").split(":")[2])
        box.check("dpkg", "-i", deb)
        assert_system_user(box)
        assert box.passwd("m2msec").pw_gid == gid
    finally:
        box.close()
    assert host_state() == before
    assert shutil.which("systemd-sysusers") == had_sysusers  # removed inside only
