# SPDX-License-Identifier: Apache-2.0
"""An isolated root for installing the built .debs and starting their units on a machine that must not be
changed and has no systemd as PID 1 (test_63_package.py, docs/install.md "What the package test runs").

Sandbox: a private mount namespace (`unshare --mount --propagation private`) held by one `sleep`
process; in it an overlayfs of the host's / (lowerdir=/, upper and work directories on a tmpfs of
the namespace) with /dev and /proc bound in and a fresh tmpfs on /tmp and /run. Everything
written there (dpkg's database, /etc/passwd, /etc/m2msec, /var/lib/m2msec) lands in the upper
directory and goes with the namespace; the host's mount table and files stay as they were. Commands run inside with `nsenter -m`
+ `chroot`, so dpkg and the maintainer scripts see an ordinary root.

Unit: a [Service] section run the way systemd would as far as a container allows: StateDirectory=
made and handed to User=, LoadCredential= copied into a CREDENTIALS_DIRECTORY only that user can
read, WorkingDirectory=, UMask=, LimitNOFILE=, Environment=, the environment systemd sets, then
ExecStart= as User=/Group= with NoNewPrivileges= and an empty capability bounding set (setpriv),
in a mount namespace of its own with the file system view of ProtectSystem=strict (read-only but
the state directory), ProtectHome=yes, PrivateDevices=yes and PrivateTmp=yes; ExecReload= with $MAINPID, KillSignal= and
TimeoutStopSec= for the stop. ProtectProc=invisible and ProcSubset=pid: a /proc of its own
(hidepid=invisible, subset=pid). The system-call directives (SystemCallFilter=,
RestrictAddressFamilies=, MemoryDenyWriteExecute=, RestrictNamespaces=, LockPersonality=, ...):
the seccomp filter of unit_seccomp.py loaded just before ExecStart= runs. Left to systemd itself:
what needs cgroups or a PID 1 (IPAddressDeny=, DeviceAllow= ACLs, RemoveIPC=, KeyringMode=)."""
import os
import pwd
import resource
import secrets
import shlex
import signal
import subprocess

from unit_seccomp import parse_unit

PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

SETUP = """set -e
mount -t tmpfs -o mode=0700 tmpfs "$1"
mkdir "$1/upper" "$1/work"
mount -t overlay overlay -o lowerdir=/,upperdir="$1/upper",workdir="$1/work" "$2"
mount --rbind /dev "$2/dev"
mount --rbind /proc "$2/proc"
mount -t tmpfs -o mode=1777 tmpfs "$2/tmp"
mount -t tmpfs -o mode=0755 tmpfs "$2/run"
echo ready
exec sleep infinity
"""


class Sandbox:
    def __init__(self, tmp):
        self.tmp = str(tmp)
        # the overlay's upper and work directories on a tmpfs of the namespace: never on an overlayfs
        # (a container's / may be one, and cannot be an upper layer), gone with the namespace
        dirs = [os.path.join(self.tmp, d) for d in ("scratch", "root")]
        for d in dirs:
            os.makedirs(d)
        self.root = dirs[1]
        self.procs = []
        # no --fork: unshare execs sh in the new namespace, so self.holder.pid is a member of it
        self.holder = subprocess.Popen(["unshare", "--mount", "--propagation", "private", "sh", "-c", SETUP, "sh",
                                        *dirs], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.holder.stdout.readline()
        if line != "ready\n":
            self.holder.wait(timeout=30)
            raise AssertionError("no isolated root: %s" % self.holder.stderr.read())

    def path(self, p):
        """A path of the isolated root as this process can open it (the holder's mount namespace)."""
        return "/proc/%d/root%s%s" % (self.holder.pid, self.root, p)

    def argv(self, cmd):
        return ["nsenter", "-t", str(self.holder.pid), "-m", "--", "chroot", self.root, *cmd]

    def run(self, *cmd, input=None, timeout=300):
        """cmd as root inside, with a clean environment."""
        return subprocess.run(self.argv(cmd), input=input, capture_output=True, text=True, timeout=timeout,
                              env={"PATH": PATH, "LANG": "C.UTF-8"})

    def check(self, *cmd, **kw):
        res = self.run(*cmd, **kw)
        assert res.returncode == 0, (cmd, res.stdout, res.stderr)
        return res.stdout

    def write(self, p, text, mode=0o644, owner="root"):
        with open(self.path(p), "w") as f:
            f.write(text)
        self.check("chown", "%s:%s" % (owner, owner), p)
        self.check("chmod", "%o" % mode, p)

    def passwd(self, user):
        """The passwd entry of user inside: pwd.struct_passwd fields from getent."""
        out = self.check("getent", "passwd", user).strip().split(":")
        return pwd.struct_passwd((out[0], out[1], int(out[2]), int(out[3]), out[4], out[5], out[6]))

    def close(self):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
                p.wait(timeout=30)
        self.holder.kill()
        self.holder.wait(timeout=30)



class Unit:
    """One service of the sandbox started from its unit file (name: "m2msec-cse.service")."""

    def __init__(self, box, name):
        self.box, self.name = box, name
        with open(box.path("/lib/systemd/system/" + name)) as f:
            self.svc = parse_unit(f.read())["Service"]
        self.proc = None

    def one(self, key, default=None):
        v = self.svc.get(key)
        return v[-1] if v else default

    def setpriv(self):
        """ExecStart='s credentials: User=/Group= with their supplementary groups, NoNewPrivileges=,
        CapabilityBoundingSet= (empty: none) and AmbientCapabilities= (empty)."""
        user, group = self.one("User"), self.one("Group")
        assert user and group and user != "root", "the unit runs as root"
        cmd = ["setpriv", "--reuid", user, "--regid", group, "--init-groups", "--inh-caps=-all"]
        if self.one("NoNewPrivileges") == "yes":
            cmd.append("--no-new-privs")
        if self.one("CapabilityBoundingSet") == "":
            cmd.append("--bounding-set=-all")
        return cmd

    def prepare(self):
        """StateDirectory=, ConfigurationDirectory= and LoadCredential= as systemd sets them up before
        ExecStart; returns the environment systemd gives the service."""
        box, user = self.box, self.one("User")
        pw = box.passwd(user)
        env = {"PATH": PATH, "HOME": pw.pw_dir, "USER": user, "LOGNAME": user, "SHELL": pw.pw_shell,
               "INVOCATION_ID": secrets.token_hex(16)}
        for words in self.svc.get("Environment", []):
            for w in shlex.split(words):
                k, _, v = w.partition("=")
                env[k] = v
        states = [w for v in self.svc.get("StateDirectory", []) for w in v.split()]
        for s in states:  # parents as root 0755, the directory itself the service user's
            box.check("mkdir", "-p", "/var/lib/" + s)
            box.check("chown", "%s:%s" % (user, self.one("Group")), "/var/lib/" + s)
            box.check("chmod", self.one("StateDirectoryMode", "0755"), "/var/lib/" + s)
        if states:
            env["STATE_DIRECTORY"] = ":".join("/var/lib/" + s for s in states)
        confs = [w for v in self.svc.get("ConfigurationDirectory", []) for w in v.split()]
        for c in confs:
            box.check("mkdir", "-p", "/etc/" + c)
        if confs:
            env["CONFIGURATION_DIRECTORY"] = ":".join("/etc/" + c for c in confs)
        creds = self.svc.get("LoadCredential", [])
        if creds:  # read by root (the source may be root-only), readable by the service user only
            cdir = "/run/credentials/" + self.name
            box.check("mkdir", "-p", cdir)
            for c in creds:
                cid, _, src = c.partition(":")
                box.check("install", "-m", "0400", "-o", user, "-g", self.one("Group"), src, cdir + "/" + cid)
            box.check("chown", "%s:%s" % (user, self.one("Group")), cdir)
            box.check("chmod", "0500", cdir)
            env["CREDENTIALS_DIRECTORY"] = cdir
        return env

    def start(self, log):
        env = self.prepare()
        exec_start = shlex.split(self.one("ExecStart"))
        assert exec_start[0].startswith("/"), exec_start  # no -, @, +, ! prefixes in ours
        wd = self.one("WorkingDirectory", "/")
        inner = self.setpriv() + ["--", "env", "-i", "-C", wd] + ["%s=%s" % kv for kv in sorted(env.items())]
        inner += self.seccomp()
        # the service's own mount namespace (a copy of the sandbox's) with the file system view of
        # ProtectSystem=strict, ProtectHome=yes and PrivateTmp=yes, then chroot into it
        cmd = ["nsenter", "-t", str(self.box.holder.pid), "-m", "--", "unshare", "--mount", "--propagation",
               "private", "sh", "-c", self.protect_script(), "sh", self.box.root] + inner + exec_start
        # LimitNOFILE=, capped to this machine's hard limit (raising it needs CAP_SYS_RESOURCE, which
        # a container's root may lack; systemd on a host sets the full value)
        want = int(self.one("LimitNOFILE", "0"))
        hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
        self.nofile = min(want, hard) if hard != resource.RLIM_INFINITY else want

        def limits():
            if self.nofile:
                resource.setrlimit(resource.RLIMIT_NOFILE, (self.nofile, self.nofile))

        umask = int(self.one("UMask", "0022"), 8)
        # nsenter, chroot, setpriv and env exec in turn: the pid is the service's ($MAINPID)
        self.proc = subprocess.Popen(cmd, stdout=log, stderr=log, umask=umask, preexec_fn=limits,
                                     env={"PATH": PATH})
        self.box.procs.append(self.proc)
        return self.proc

    def seccomp(self):
        """The command that loads the unit's system-call filter and execs ExecStart= (empty when the
        unit has no SystemCallFilter=): unit_seccomp.py and this machine's system-call groups copied
        into the sandbox, run by Debian's python3 as the service user after NoNewPrivileges=."""
        if not self.svc.get("SystemCallFilter"):
            return []
        groups = subprocess.run(["systemd-analyze", "syscall-filter"], capture_output=True, text=True, timeout=60)
        assert groups.returncode == 0 and "@system-service" in groups.stdout, groups.stderr
        d = "/usr/local/lib/m2msec-test"
        self.box.check("mkdir", "-p", d)
        with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "unit_seccomp.py")) as f:
            self.box.write(d + "/unit_seccomp.py", f.read())
        self.box.write(d + "/syscall-groups", groups.stdout)
        return ["/usr/bin/python3", "-I", "-B", d + "/unit_seccomp.py", d + "/syscall-groups",
                "/lib/systemd/system/" + self.name, "--"]

    def protect_script(self):
        """Shell run as root in the service's mount namespace ($1 the sandbox root, then the command):
        ProtectSystem=strict: every mount read-only but /dev and /proc, the StateDirectory= and
        ReadWritePaths= bound writable; ProtectHome=yes: /home, /root and /run/user empty and
        read-only; PrivateDevices=yes: a /dev with null, zero, full, random, urandom, tty and shm
        only; PrivateTmp=yes: fresh /tmp and /var/tmp. Then `chroot $1 "$@"` (exec: the pid
        stays the service's)."""
        lines = ['set -e', 'R=$1', 'shift']
        strict = self.one("ProtectSystem") == "strict"
        if strict:
            lines.append('for m in $(awk -v r="$R" \'$5 == r || index($5, r "/") == 1 {print $5}\' '
                         '/proc/self/mountinfo | sort -u); do case "$m" in "$R/dev"*|"$R/proc"*) ;; '
                         '*) mount -o remount,bind,ro "$m" ;; esac; done')
            rw = ["/var/lib/" + w for v in self.svc.get("StateDirectory", []) for w in v.split()]
            rw += [w.lstrip("-") for v in self.svc.get("ReadWritePaths", []) for w in v.split()]
            # (a bind mount starts with its source's flags: read-only here, so made writable after)
            lines += ['mount --bind "$R%s" "$R%s"; mount -o remount,bind,rw "$R%s"' % (p, p, p) for p in rw]
        if self.one("ProtectHome") == "yes":
            lines += ['if [ -d "$R%s" ]; then mount -t tmpfs -o ro,mode=0755 tmpfs "$R%s"; fi' % (p, p)
                      for p in ("/home", "/root", "/run/user")]
        if self.one("PrivateDevices") == "yes":  # a /dev of its own with the pseudo devices only
            lines += ['mount -t tmpfs -o mode=0755,nosuid,noexec tmpfs "$R/dev"',
                      'for d in null zero full random urandom tty; do touch "$R/dev/$d"; '
                      'mount --bind "/dev/$d" "$R/dev/$d"; done',
                      'mkdir "$R/dev/shm" && mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs "$R/dev/shm"',
                      'ln -s /proc/self/fd "$R/dev/fd"',
                      'ln -s /proc/self/fd/0 "$R/dev/stdin"; ln -s /proc/self/fd/1 "$R/dev/stdout"; '
                      'ln -s /proc/self/fd/2 "$R/dev/stderr"']
        if self.one("PrivateTmp") == "yes":
            lines += ['mount -t tmpfs -o mode=1777 tmpfs "$R%s"' % p for p in ("/tmp", "/var/tmp")]
        opts = []  # ProtectProc=invisible, ProcSubset=pid: other users' processes and /proc/sys gone
        if self.one("ProtectProc") in ("invisible", "noaccess", "ptraceable"):
            opts.append("hidepid=" + self.one("ProtectProc"))
        if self.one("ProcSubset") == "pid":
            opts.append("subset=pid")
        if opts:
            lines.append('mount -t proc -o nosuid,nodev,noexec,%s proc "$R/proc"' % ",".join(opts))
        lines.append('exec chroot "$R" "$@"')
        return "\n".join(lines) + "\n"

    def status(self):
        """/proc/<MAINPID>/status as {field: value}."""
        with open("/proc/%d/status" % self.proc.pid) as f:
            return dict(ln.rstrip("\n").split(":\t", 1) for ln in f if ":\t" in ln)

    def mounts(self):
        """{mount point: (per-mount options, fs type)} as the service sees them (its root: the sandbox)."""
        out = {}
        with open("/proc/%d/mountinfo" % self.proc.pid) as f:
            for ln in f:
                pre, _, post = ln.partition(" - ")
                fields = pre.split()
                out[fields[4]] = (set(fields[5].split(",")), post.split()[0])
        return out

    def reload(self):
        """ExecReload= with $MAINPID, run like ExecStart (the unit's user)."""
        for line in self.svc.get("ExecReload", []):
            cmd = [w.replace("$MAINPID", str(self.proc.pid)) for w in shlex.split(line)]
            res = subprocess.run(self.box.argv(self.setpriv() + ["--"] + cmd), capture_output=True, text=True,
                                 timeout=60, env={"PATH": PATH})
            assert res.returncode == 0, (cmd, res.stderr)

    def stop(self):
        """KillSignal= to the main process (KillMode=mixed), waiting at most TimeoutStopSec= (systemd's
        bound before SIGKILL); returns the exit status."""
        sig = getattr(signal, self.one("KillSignal", "SIGTERM"))
        self.proc.send_signal(sig)
        return self.proc.wait(timeout=int(self.one("TimeoutStopSec", "90")))
