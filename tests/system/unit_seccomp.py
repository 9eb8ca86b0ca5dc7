# SPDX-License-Identifier: Apache-2.0
"""The system-call side of a unit's hardening, applied without systemd (deb_sandbox.py,
test_63_package.py): a seccomp filter built with libseccomp (Debian python3-seccomp) from the
unit's SystemCallFilter=, SystemCallErrorNumber=, SystemCallArchitectures=native,
RestrictAddressFamilies=, MemoryDenyWriteExecute=, RestrictNamespaces=yes, LockPersonality=,
RestrictRealtime=, ProtectClock=, ProtectKernelModules=, ProtectKernelLogs= and
ProtectHostname=, the way systemd.exec(5) describes them, then exec of the command (the pid stays,
so it is the service's $MAINPID). The groups (@system-service, ~@privileged ...) are expanded from
`systemd-analyze syscall-filter` of this machine, so they are the ones systemd would apply here.

Run as: python3 unit_seccomp.py GROUPS_FILE UNIT_FILE -- COMMAND... (after NoNewPrivileges, which
an unprivileged process needs to load a filter). GROUPS_FILE is the saved output of
`systemd-analyze syscall-filter` (the sandboxed service cannot run it itself)."""
import errno
import os
import socket
import sys

CLONE_NS = 0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000 | 0x20000000 | 0x40000000 | 0x00000080
PROT_WRITE, PROT_EXEC = 0x2, 0x4
SHM_EXEC = 0o100000
SCHED_RT = (1, 2, 6)  # SCHED_FIFO, SCHED_RR, SCHED_DEADLINE
SCHED_RESET_ON_FORK = 0x40000000


def parse_groups(text):
    """{"@group": [members: syscall names or "@group"]} of `systemd-analyze syscall-filter`."""
    groups, cur = {}, None
    for ln in text.splitlines():
        if ln.startswith("@"):
            cur = groups.setdefault(ln.strip(), [])
        elif cur is not None and ln.strip() and not ln.strip().startswith("#"):
            cur.append(ln.strip())
    return groups


def expand(groups, names):
    out, todo = set(), list(names)
    while todo:
        n = todo.pop()
        if n.startswith("@"):
            if n not in groups:
                raise ValueError("unknown system call group " + n)
            todo += [m for m in groups[n] if m not in out]
        else:
            out.add(n)
    return out


def parse_unit(text):
    """{section: {key: [values in order]}} of a unit file (no line continuations in ours)."""
    units, sec = {}, None
    for ln in text.splitlines():
        ln = ln.strip()
        if not ln or ln[0] in "#;":
            continue
        if ln.startswith("[") and ln.endswith("]"):
            sec = units.setdefault(ln[1:-1], {})
            continue
        k, _, v = ln.partition("=")
        sec.setdefault(k.strip(), []).append(v.strip())
    return units


def allowed_syscalls(groups, svc):
    """The allow list of SystemCallFilter= lines in order (an allow list first, then ~ lines
    removing from it), minus what the Protect*= directives deny."""
    allow = None
    for line in svc.get("SystemCallFilter", []):
        deny = line.startswith("~")
        names = expand(groups, line.lstrip("~").split())
        if allow is None:
            if deny:
                raise ValueError("a deny-list SystemCallFilter= is not emulated")
            allow = names
        elif deny:
            allow -= names
        else:
            allow |= names
    if allow is None:
        raise ValueError("the unit has no SystemCallFilter=")
    one = lambda k: (svc.get(k) or [""])[-1]  # noqa: E731
    if one("ProtectClock") == "yes":
        allow -= expand(groups, ["@clock"])
    if one("ProtectKernelModules") == "yes":
        allow -= expand(groups, ["@module"])
    if one("ProtectKernelLogs") == "yes":
        allow.discard("syslog")
    if one("ProtectHostname") == "yes":
        allow -= {"sethostname", "setdomainname"}
    return allow


def build(groups, svc):
    import seccomp
    one = lambda k: (svc.get(k) or [""])[-1]  # noqa: E731
    err = getattr(errno, one("SystemCallErrorNumber") or "EPERM")
    if one("SystemCallArchitectures") not in ("native", ""):
        raise ValueError("SystemCallArchitectures= other than native is not emulated")
    # default: the error number; other architectures are killed (libseccomp's bad-arch action)
    f = seccomp.SyscallFilter(seccomp.ERRNO(err))
    allow = allowed_syscalls(groups, svc)
    cond = {}  # syscall -> list of argument-condition tuples, each one ALLOW rule

    fams = [getattr(socket, a) for v in svc.get("RestrictAddressFamilies", []) for a in v.split()]
    if fams and "socket" in allow:
        cond["socket"] = [(seccomp.Arg(0, seccomp.EQ, a),) for a in fams]
    if one("MemoryDenyWriteExecute") == "yes":
        wx = PROT_WRITE | PROT_EXEC
        for sc in ("mmap", "mmap2"):
            if sc in allow:
                cond[sc] = [(seccomp.Arg(2, seccomp.MASKED_EQ, wx, v),) for v in (0, PROT_WRITE, PROT_EXEC)]
        for sc, a in (("mprotect", 2), ("pkey_mprotect", 2)):
            if sc in allow:
                cond[sc] = [(seccomp.Arg(a, seccomp.MASKED_EQ, PROT_EXEC, 0),)]
        if "shmat" in allow:
            cond["shmat"] = [(seccomp.Arg(2, seccomp.MASKED_EQ, SHM_EXEC, 0),)]
    if one("RestrictNamespaces") == "yes":
        allow -= {"unshare", "setns"}
        if "clone" in allow:  # x86-64: flags are the first argument
            cond["clone"] = [(seccomp.Arg(0, seccomp.MASKED_EQ, CLONE_NS, 0),)]
        # clone3's flags sit in memory a filter cannot read: systemd answers ENOSYS so that the C
        # library falls back to clone (above)
        if "clone3" in allow:
            allow.discard("clone3")
            f.add_rule(seccomp.ERRNO(errno.ENOSYS), "clone3")
    if one("LockPersonality") == "yes" and "personality" in allow:
        cond["personality"] = [(seccomp.Arg(0, seccomp.EQ, v),) for v in (0, 0xffffffff)]
    if one("RestrictRealtime") == "yes":
        if "sched_setscheduler" in allow:
            cond["sched_setscheduler"] = [(seccomp.Arg(1, seccomp.MASKED_EQ, ~SCHED_RESET_ON_FORK & 0xffffffff, v),)
                                          for v in (0, 3, 5)]  # OTHER, BATCH, IDLE
        allow.discard("sched_setattr")  # its policy sits in memory: refused as a whole
    for sc in sorted(allow):
        try:
            if sc in cond:
                for args in cond[sc]:
                    f.add_rule(seccomp.ALLOW, sc, *args)
            else:
                f.add_rule(seccomp.ALLOW, sc)
        except (RuntimeError, ValueError, OSError):
            pass  # a name of another architecture (arm_fadvise64_64 ...): systemd skips it too
    return f


def main(argv):
    if len(argv) < 4 or argv[2] != "--":
        sys.stderr.write("usage: unit_seccomp.py GROUPS_FILE UNIT_FILE -- COMMAND...\n")
        return 2
    with open(argv[0]) as g, open(argv[1]) as u:
        groups, svc = parse_groups(g.read()), parse_unit(u.read())["Service"]
    build(groups, svc).load()
    os.execv(argv[3], argv[3:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
