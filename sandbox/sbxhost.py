"""Test hosts of the sandbox cloud: one network namespace + private mounts + sshd per instance.

Everything created on the machine (bridge, veths, namespaces, processes) is first recorded in
STATE_DIR/resources.jsonl so that sandbox/cleanup.py can remove it after a crash.
"""
import hashlib
import ipaddress
import json
import os
import random
import shutil
import signal
import subprocess
import threading
import time

JOURNAL = "resources.jsonl"
NETNS_PREFIX = "gpunb-sb-"
STUBS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "stubs")
IP = "/usr/sbin/ip" if os.path.exists("/usr/sbin/ip") else "ip"
NFT = shutil.which("nft") or ("/usr/sbin/nft" if os.path.exists("/usr/sbin/nft") else None)


def run(args, input=None, check=True, timeout=30):
    p = subprocess.run(args, input=input, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=timeout, close_fds=True)
    if check and p.returncode != 0:
        raise RuntimeError("%s failed (%d): %s" % (" ".join(args[:4]), p.returncode, p.stderr.strip()))
    return p


def proc_starttime(pid):
    """Field 22 of /proc/PID/stat (start time in clock ticks), or None if the process is gone."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            data = f.read()
    except OSError:
        return None
    rest = data[data.rindex(")") + 2:].split()
    return rest[19]


def proc_alive(pid):
    """True if the process exists and is not a zombie (a zombie is dead, just not reaped)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            data = f.read()
    except OSError:
        return False
    state = data[data.rindex(")") + 2:].split()[0]
    return state not in ("Z", "X")


def netns_pids(ns):
    p = run([IP, "netns", "pids", ns], check=False)
    if p.returncode != 0:
        return []
    return [int(x) for x in p.stdout.split() if x.isdigit()]


def netns_exists(ns):
    return os.path.exists("/run/netns/" + ns)


def link_exists(name):
    return os.path.exists("/sys/class/net/" + name)


class Journal:
    """Append-only record of everything created on the machine."""

    def __init__(self, state_dir):
        self.path = os.path.join(state_dir, JOURNAL)
        self.lock = threading.Lock()

    def add(self, kind, **kw):
        kw["kind"] = kind
        line = json.dumps(kw) + "\n"
        with self.lock:
            with open(self.path, "a") as f:
                f.write(line)
                f.flush()
                os.fsync(f.fileno())

    def add_pid(self, pid, what):
        st = proc_starttime(pid)
        if st is not None:
            self.add("pid", pid=pid, start=st, what=what)

    def remove(self):
        with self.lock:
            try:
                os.unlink(self.path)
            except FileNotFoundError:
                pass


def read_journal(state_dir):
    path = os.path.join(state_dir, JOURNAL)
    out = []
    try:
        with open(path) as f:
            for line in f:
                try:
                    out.append(json.loads(line))
                except ValueError:
                    pass
    except FileNotFoundError:
        pass
    return out


def kill_pids_verified(pids_with_start, deadline_s=10.0):
    """Kill processes by PID, only if their start time still matches (no PID reuse), until gone."""
    end = time.time() + deadline_s
    while True:
        live = [(p, s) for p, s in pids_with_start if proc_starttime(p) == s and proc_alive(p)]
        if not live:
            return True
        for p, _ in live:
            try:
                os.kill(p, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if time.time() > end:
            return False
        time.sleep(0.02)


def kill_netns_processes(ns, extra=(), deadline_s=10.0):
    """SIGKILL every process in the namespace (by PID) until none is alive."""
    end = time.time() + deadline_s
    seen = {}
    for pid in extra:
        st = proc_starttime(pid)
        if st is not None:
            seen[pid] = st
    while True:
        for pid in netns_pids(ns) if netns_exists(ns) else []:
            if pid not in seen:
                st = proc_starttime(pid)
                if st is not None:
                    seen[pid] = st
        live = [p for p, s in seen.items() if proc_starttime(p) == s and proc_alive(p)]
        if not live:
            return True
        for p in live:
            try:
                os.kill(p, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if time.time() > end:
            return False
        time.sleep(0.02)


def delete_netns(ns):
    if netns_exists(ns):
        run([IP, "netns", "del", ns], check=False)


def delete_link(name):
    if link_exists(name):
        run([IP, "link", "del", name], check=False)


def mac_for(name):
    """A locally administered unicast MAC derived from NAME (stable, unique per name)."""
    digest = hashlib.sha256(name.encode()).digest()
    return ":".join("%02x" % b for b in (0x02,) + tuple(digest[:5]))


class Network:
    """The bridge in the root namespace; instances hang off it at 169.254.X.N/24."""

    def __init__(self, journal, token):
        self.journal = journal
        self.bridge = "sbr" + token
        self.x = None
        self.lock = threading.Lock()
        self.in_use = set()
        self.cursor = 1

    @staticmethod
    def _used_third_octets():
        used = set()
        p = run([IP, "-4", "-o", "addr", "show"], check=False)
        for line in p.stdout.splitlines():
            parts = line.split()
            if "inet" in parts:
                addr = parts[parts.index("inet") + 1]
                try:
                    net = ipaddress.ip_interface(addr).network
                except ValueError:
                    continue
                for x in range(256):
                    if net.overlaps(ipaddress.ip_network("169.254.%d.0/24" % x)):
                        used.add(x)
        p = run([IP, "-4", "route", "show", "table", "all"], check=False)
        for line in p.stdout.splitlines():
            dst = line.split()[0] if line.split() else ""
            if dst.startswith("169.254."):
                try:
                    net = ipaddress.ip_network(dst, strict=False)
                except ValueError:
                    continue
                if net.prefixlen >= 16:
                    for x in range(256):
                        if net.overlaps(ipaddress.ip_network("169.254.%d.0/24" % x)):
                            used.add(x)
        return used

    def create(self):
        self.journal.add("link", name=self.bridge)
        # A fixed address of its own: a bridge without one takes the lowest of its ports' and
        # changes it as instances come and go, leaving the instances' ARP entry for the gateway
        # stale (their calls to the sandbox's instance-side endpoint then time out).
        run([IP, "link", "add", self.bridge, "address", mac_for(self.bridge), "type", "bridge"])
        run([IP, "link", "set", self.bridge, "up"])
        rng = random.SystemRandom()
        for _ in range(50):
            used = self._used_third_octets()
            free = [x for x in range(100, 255) if x not in used]
            if not free:
                raise RuntimeError("no free 169.254.X.0/24 subnet")
            x = rng.choice(free)
            run([IP, "addr", "add", "169.254.%d.1/24" % x, "dev", self.bridge])
            # Another sandbox may have picked the same X at the same moment: re-check.
            time.sleep(0.01)
            p = run([IP, "-4", "-o", "addr", "show"], check=False)
            holders = [l.split()[1] for l in p.stdout.splitlines() if " 169.254.%d." % x in l]
            if holders == [self.bridge]:
                self.x = x
                return
            run([IP, "addr", "del", "169.254.%d.1/24" % x, "dev", self.bridge], check=False)
            time.sleep(rng.random() * 0.05)
        raise RuntimeError("could not claim a 169.254.X.0/24 subnet")

    @property
    def gateway(self):
        return "169.254.%d.1" % self.x

    def alloc_ip(self):
        """A new address on each call (like a new public IP on each start), skipping ones in use."""
        with self.lock:
            for _ in range(253):
                self.cursor = self.cursor + 1 if self.cursor < 254 else 2
                if self.cursor not in self.in_use:
                    self.in_use.add(self.cursor)
                    return "169.254.%d.%d" % (self.x, self.cursor)
        return None

    def free_ip(self, ip):
        if not ip:
            return
        with self.lock:
            self.in_use.discard(int(ip.rsplit(".", 1)[1]))

    def destroy(self):
        delete_link(self.bridge)


SSHD_CONFIG = """\
# sandbox instance sshd
Port 22
ListenAddress {ip}
HostKey /run/sandbox/ssh_host_ed25519_key
HostKey /run/sandbox/ssh_host_ecdsa_key
PidFile /run/sshd.pid
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
PermitRootLogin no
StrictModes yes
AuthorizedKeysFile .ssh/authorized_keys
AllowTcpForwarding yes
AllowStreamLocalForwarding yes
X11Forwarding no
PrintMotd no
PrintLastLog no
UseDNS no
MaxStartups 100:30:200
MaxSessions 50
AcceptEnv LANG LC_*
Subsystem sftp internal-sftp
# the sandbox's stubs (shutdown, sudo, crontab, nvidia-smi, systemctl) come first
SetEnv PATH=/run/sandbox/bin:/usr/local/bin:/usr/bin:/bin:/usr/games
"""

INIT_SH = """\
set -e
# runs as PID 1 of the instance's pid namespace, inside its own mount + UTS namespace
umount -l /run/netns 2>/dev/null || true
mount -t tmpfs -o mode=755,nosuid,nodev tmpfs /run
mkdir -p /run/sshd /run/sandbox /run/lock /run/user
chmod 1777 /run/lock
mkdir -m 1777 /run/screen
mount --bind {sysdir} /run/sandbox
mount --bind {homeroot} /home
for f in passwd group shadow hosts resolv.conf hostname; do
  if [ -e /etc/$f ]; then mount --bind /run/sandbox/etc/$f /etc/$f; fi
done
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /tmp
# ptys of this host only (so an SSH session here is not seen as one on another host)
if mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts /dev/pts 2>/dev/null; then
  mount --bind /dev/pts/ptmx /dev/ptmx || true
fi
hostname {hostname}
# "cron at boot": the users' @reboot lines (see stubs/boot.sh)
/bin/sh /run/sandbox/boot.sh >>/run/sandbox/boot.log 2>&1 || true
exec /usr/sbin/sshd -D -f /run/sandbox/sshd_config -E /run/sandbox/sshd.log
"""


def ssh_keygen(path, ktype, comment):
    args = ["ssh-keygen", "-q", "-t", ktype, "-N", "", "-C", comment, "-f", path]
    if ktype == "ecdsa":
        args[4:4] = ["-b", "256"]
    run(args)


class Host:
    """One instance's host: runtime pieces (netns, veth, processes) + on-disk pieces (home, keys)."""

    def __init__(self, sandbox, inst_dir, hostname, uid):
        self.sb = sandbox           # has .journal, .net, .token, .nft_enabled
        self.dir = inst_dir
        self.sysdir = os.path.join(inst_dir, "sys")
        self.homeroot = os.path.join(inst_dir, "home")
        self.home = os.path.join(self.homeroot, "ubuntu")
        self.hostname = hostname
        self.uid = uid
        self.ns = None
        self.veth = None
        self.ip = None
        self.proc = None            # Popen of the unshare parent
        self.init_pid = None        # sshd, PID 1 of the instance pid namespace
        self.gen = 0

    # ---- disk (created once at launch, kept across stop/start, removed at terminate)
    def provision(self, authorized_key):
        os.makedirs(os.path.join(self.sysdir, "etc"), exist_ok=True)
        os.chmod(self.sysdir, 0o755)
        for kt in ("ed25519", "ecdsa"):
            kp = os.path.join(self.sysdir, "ssh_host_%s_key" % kt)
            if not os.path.exists(kp):
                ssh_keygen(kp, kt, "root@" + self.hostname)
        os.makedirs(self.homeroot, exist_ok=True)
        os.chmod(self.homeroot, 0o755)
        if not os.path.exists(self.home):
            if os.path.isdir("/etc/skel"):
                shutil.copytree("/etc/skel", self.home, symlinks=True)
            else:
                os.makedirs(self.home)
            sshdir = os.path.join(self.home, ".ssh")
            os.makedirs(sshdir, exist_ok=True)
            with open(os.path.join(sshdir, "authorized_keys"), "w") as f:
                if authorized_key:
                    f.write(authorized_key.strip() + "\n")
            os.chmod(sshdir, 0o700)
            os.chmod(os.path.join(sshdir, "authorized_keys"), 0o600)
            os.chmod(self.home, 0o750)
            for root, dirs, files in os.walk(self.home):
                os.lchown(root, self.uid, self.uid)
                for n in dirs + files:
                    os.lchown(os.path.join(root, n), self.uid, self.uid)
        self._write_etc()

    def _write_etc(self):
        etc = os.path.join(self.sysdir, "etc")
        uid = self.uid

        def copy_plus(name, extra, mode):
            try:
                with open("/etc/" + name) as f:
                    lines = [l for l in f.read().splitlines() if not l.startswith("ubuntu:")]
            except OSError:
                lines = []
            lines.append(extra)
            path = os.path.join(etc, name)
            with open(path, "w") as f:
                f.write("\n".join(lines) + "\n")
            os.chmod(path, mode)

        copy_plus("passwd", "ubuntu:x:%d:%d:Ubuntu:/home/ubuntu:/bin/bash" % (uid, uid), 0o644)
        copy_plus("group", "ubuntu:x:%d:" % uid, 0o644)
        copy_plus("shadow", "ubuntu:*:19000:0:99999:7:::", 0o640)
        with open(os.path.join(etc, "hosts"), "w") as f:
            f.write("127.0.0.1 localhost\n127.0.1.1 %s\n::1 localhost ip6-localhost ip6-loopback\n"
                    % self.hostname)
        with open(os.path.join(etc, "resolv.conf"), "w") as f:
            f.write("# sandbox: no resolver reachable from the instance\nnameserver 127.0.0.53\noptions timeout:1 attempts:1\n")
        with open(os.path.join(etc, "hostname"), "w") as f:
            f.write(self.hostname + "\n")

    def host_public_keys(self):
        out = {}
        for kt in ("ed25519", "ecdsa"):
            try:
                with open(os.path.join(self.sysdir, "ssh_host_%s_key.pub" % kt)) as f:
                    out[kt] = f.read().strip()
            except OSError:
                pass
        return out

    def destroy_disk(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    # ---- runtime
    def start(self, ip, nft_rules):
        sb = self.sb
        self.gen += 1
        self.ip = ip
        self.ns = "%s%s-%s-%d" % (NETNS_PREFIX, sb.token, os.path.basename(self.dir), self.gen)
        self.veth = "sv%s%04x" % (sb.token, sb.next_link_id())
        sb.journal.add("netns", name=self.ns)
        sb.journal.add("link", name=self.veth)
        run([IP, "netns", "add", self.ns])
        run([IP, "link", "add", self.veth, "address", mac_for(self.veth), "type", "veth", "peer", "name", "eth0",
             "address", mac_for(self.ns + "/eth0"), "netns", self.ns])
        run([IP, "-batch", "-"], input="link set %s master %s\nlink set %s up\n" % (self.veth, sb.net.bridge, self.veth))
        run([IP, "neigh", "flush", "to", ip, "dev", sb.net.bridge], check=False)
        run([IP, "-n", self.ns, "-batch", "-"],
            input="link set lo up\naddr add %s/24 dev eth0\nlink set eth0 up\n" % ip)
        if nft_rules is not None and NFT:
            self.apply_firewall(nft_rules)
        with open(os.path.join(self.sysdir, "sshd_config"), "w") as f:
            f.write(SSHD_CONFIG.format(ip=ip))
        self.install_stubs()
        init = os.path.join(self.sysdir, "init.sh")
        with open(init, "w") as f:
            f.write(INIT_SH.format(sysdir=self.sysdir, homeroot=self.homeroot, hostname=self.hostname))
        log = open(os.path.join(self.sysdir, "init.log"), "ab")
        try:
            self.proc = subprocess.Popen(
                [IP, "netns", "exec", self.ns, "unshare", "--mount", "--uts", "--pid", "--fork",
                 "--kill-child", "--mount-proc", "/bin/sh", init],
                stdin=subprocess.DEVNULL, stdout=log, stderr=log, close_fds=True, start_new_session=True)
        finally:
            log.close()
        sb.journal.add_pid(self.proc.pid, "unshare " + self.ns)
        # wait for the pid-namespace init (becomes sshd) and for sshd to listen on IP:22
        want = "%s:0016" % "".join("%02X" % int(o) for o in reversed(ip.split(".")))
        deadline = time.time() + 15
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("instance init exited with %s (see %s/init.log, sshd.log)"
                                   % (self.proc.returncode, self.sysdir))
            if self.init_pid is None:
                try:
                    with open("/proc/%d/task/%d/children" % (self.proc.pid, self.proc.pid)) as f:
                        kids = f.read().split()
                    if kids:
                        self.init_pid = int(kids[0])
                        sb.journal.add_pid(self.init_pid, "init " + self.ns)
                except OSError:
                    pass
            if self.init_pid is not None:
                try:
                    with open("/proc/%d/net/tcp" % self.init_pid) as f:
                        for line in f.read().splitlines()[1:]:
                            parts = line.split()
                            if parts[1] == want and parts[3] == "0A":
                                return
                except OSError:
                    pass
            time.sleep(0.01)
        raise RuntimeError("sshd did not start listening on %s:22" % ip)

    def install_stubs(self):
        """sys/bin: the stubs a test host has instead of a kernel to power off, systemd, cron, a GPU
        (sandbox/stubs/); sys/power (the shutdown stub's requests), sys/crontabs (the crontab
        stub's tables), both the user's; sys/gpu/util is written by tests for nvidia-smi."""
        bindir = os.path.join(self.sysdir, "bin")
        shutil.rmtree(bindir, ignore_errors=True)
        shutil.copytree(STUBS, bindir, symlinks=True, ignore=shutil.ignore_patterns("boot.sh"))
        shutil.copy(os.path.join(STUBS, "boot.sh"), os.path.join(self.sysdir, "boot.sh"))
        for name in ("power", "crontabs"):
            path = os.path.join(self.sysdir, name)
            os.makedirs(path, exist_ok=True)
            os.chown(path, self.uid, self.uid)
            os.chmod(path, 0o700)
        os.makedirs(os.path.join(self.sysdir, "gpu"), exist_ok=True)

    def take_power_request(self):
        """The shutdown stub's request ("poweroff" or "reboot"), removed once read; None if none."""
        path = os.path.join(self.sysdir, "power", "request")
        try:
            with open(path) as f:
                words = f.read().split()
            os.unlink(path)
        except OSError:
            return None
        return words[0] if words and words[0] in ("poweroff", "reboot") else "poweroff"

    def apply_firewall(self, rules):
        if not NFT or not self.ns:
            return
        lines = ["table inet sandbox", "delete table inet sandbox", "table inet sandbox {",
                 "  chain input {", "    type filter hook input priority 0; policy drop;",
                 '    iif "lo" accept', "    ct state established,related accept"]
        for proto, lo, hi, cidr in rules:
            src = "ip saddr %s " % cidr if cidr not in ("0.0.0.0/0",) else ""
            if proto == "-1":
                lines.append("    %saccept" % (src or "meta nfproto ipv4 "))
            elif proto in ("tcp", "udp"):
                ports = str(lo) if lo == hi else "%d-%d" % (lo, hi)
                lines.append("    %s%s dport %s accept" % (src, proto, ports))
            elif proto == "icmp":
                lines.append("    %sip protocol icmp accept" % src)
        lines += ["  }", "}"]
        run([IP, "netns", "exec", self.ns, NFT, "-f", "-"], input="\n".join(lines) + "\n", check=False)

    def set_link(self, up):
        if self.veth and link_exists(self.veth):
            run([IP, "link", "set", self.veth, "up" if up else "down"])
            return True
        return False

    def kill_processes(self):
        extra = []
        if self.proc is not None:
            extra.append(self.proc.pid)
        if self.init_pid:
            extra.append(self.init_pid)
        # the pid namespace init first: the kernel then kills everything in that namespace
        if self.init_pid and proc_alive(self.init_pid):
            try:
                os.kill(self.init_pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        ok = kill_netns_processes(self.ns, extra) if self.ns else True
        if self.proc is not None:
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        return ok

    def stop(self):
        """Kill every process of the host by PID, wait until gone, remove netns + veth."""
        if self.ns is None:
            return
        self.kill_processes()
        delete_link(self.veth)
        delete_netns(self.ns)
        self.proc = None
        self.init_pid = None
        self.ns = None
        self.veth = None
        self.ip = None

    def restart_processes(self, nft_rules):
        """Reboot: kill everything in the host, start sshd again in the same network namespace."""
        if self.ns is None:
            return
        self.kill_processes()
        ns, veth, ip = self.ns, self.veth, self.ip
        delete_link(veth)
        delete_netns(ns)
        self.ns = None
        self.proc = None
        self.init_pid = None
        self.start(ip, nft_rules)


def pick_uid():
    """First uid/gid >= 1500 free in the machine's passwd and group (sandboxd and testhost both use it)."""
    used = set()
    for path in ("/etc/passwd", "/etc/group"):
        try:
            with open(path) as f:
                for line in f:
                    p = line.split(":")
                    if len(p) > 2 and p[2].isdigit():
                        used.add(int(p[2]))
        except OSError:
            pass
    uid = 1500
    while uid in used:
        uid += 1
    return uid
