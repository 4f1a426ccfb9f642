#!/usr/bin/python3
"""A plain test host, no cloud: one network namespace with a real sshd, for gpunb's `ssh` provider
and for benchmarks. Built from the sandbox cloud's own host code (sbxhost.Network + sbxhost.Host).

  /usr/bin/python3 sandbox/testhost.py up --state-dir DIR --authorized-key PUBFILE [--user ubuntu]
      Prints one JSON line (address, port, user, netns, host_key, known_hosts_line,
      caller_address, pid, ...) when sshd listens, then stays in the foreground until
      SIGTERM/SIGINT/SIGHUP and removes everything it created.
      SIGUSR1: rotate the host keys (new keys, sshd restarted).  SIGUSR2: toggle the link.
  /usr/bin/python3 sandbox/testhost.py ctl --state-dir DIR COMMAND
      COMMAND: status | rotate-host-key | link down | link up | link toggle | drop-sessions
      Talks to the running host over DIR/control.sock; prints the host's JSON afterwards.
  /usr/bin/python3 sandbox/testhost.py cleanup --state-dir DIR
      After a crash: removes what DIR/resources.jsonl recorded (same as sandbox/cleanup.py).

Must run as root. See the end of sandbox/README.md.
"""
import argparse
import fcntl
import json
import os
import random
import select
import signal
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import cleanup  # noqa: E402
import sbxhost  # noqa: E402

CONTROL = "control.sock"
INFO = "host.json"
LOCK = "testhost.lock"
HOSTNAME = "gpunb-testhost"


def log(msg):
    sys.stderr.write("testhost: %s\n" % msg)
    sys.stderr.flush()



def machine_has_user(name):
    try:
        with open("/etc/passwd") as f:
            return any(line.split(":", 1)[0] == name for line in f)
    except OSError:
        return False


class Shim:
    """What sbxhost.Host expects of its sandbox: journal, net, token, next_link_id()."""

    def __init__(self, state_dir):
        self.token = "t%05x" % random.getrandbits(20)
        self.journal = sbxhost.Journal(state_dir)
        self.net = sbxhost.Network(self.journal, self.token)
        self.nft_enabled = False
        self.links = 0

    def next_link_id(self):
        self.links += 1
        return self.links


class TestHost(sbxhost.Host):
    """sbxhost.Host with a choice of login user name (the sandbox always uses `ubuntu`)."""

    def __init__(self, sb, inst_dir, hostname, uid, user):
        super().__init__(sb, inst_dir, hostname, uid)
        self.user = user
        self.home = os.path.join(self.homeroot, user)

    def _write_etc(self):
        super()._write_etc()
        if self.user == "ubuntu":
            return
        etc = os.path.join(self.sysdir, "etc")
        for name in ("passwd", "group", "shadow"):
            path = os.path.join(etc, name)
            with open(path) as f:
                lines = f.read().splitlines()
            out = []
            for line in lines:
                if line.startswith("ubuntu:"):
                    line = self.user + line[len("ubuntu"):]
                    line = line.replace(":/home/ubuntu:", ":/home/%s:" % self.user)
                out.append(line)
            with open(path, "w") as f:
                f.write("\n".join(out) + "\n")

    def set_authorized_key(self, key):
        sshdir = os.path.join(self.home, ".ssh")
        os.makedirs(sshdir, exist_ok=True)
        path = os.path.join(sshdir, "authorized_keys")
        with open(path, "w") as f:
            f.write(key.strip() + "\n")
        os.chmod(sshdir, 0o700)
        os.chmod(path, 0o600)
        os.chown(sshdir, self.uid, self.uid)
        os.chown(path, self.uid, self.uid)

    def set_link(self, up):
        """As sbxhost's, and on `up` wait for the carrier and forget a neighbour entry that failed
        while the link was down (else the first connection may get EHOSTUNREACH)."""
        ok = super().set_link(up)
        if ok and up:
            deadline = time.time() + 5
            while time.time() < deadline:
                try:
                    with open("/sys/class/net/%s/operstate" % self.veth) as f:
                        if f.read().strip() == "up":
                            break
                except OSError:
                    break
                time.sleep(0.01)
            sbxhost.run([sbxhost.IP, "neigh", "flush", "to", self.ip, "dev", self.sb.net.bridge], check=False)
        return ok

    def _listener_inodes(self):
        want = "%s:0016" % "".join("%02X" % int(o) for o in reversed(self.ip.split(".")))
        inodes = set()
        try:
            with open("/proc/%d/net/tcp" % self.init_pid) as f:
                for line in f.read().splitlines()[1:]:
                    parts = line.split()
                    if parts[1] == want and parts[3] == "0A":
                        inodes.add(parts[9])
        except OSError:
            pass
        return inodes

    def rotate_host_keys(self):
        """New host keys; sshd (PID 1 of the host) re-executes itself on SIGHUP and reads them."""
        for kt in ("ed25519", "ecdsa"):
            for suffix in ("", ".pub"):
                try:
                    os.unlink(os.path.join(self.sysdir, "ssh_host_%s_key%s" % (kt, suffix)))
                except FileNotFoundError:
                    pass
            sbxhost.ssh_keygen(os.path.join(self.sysdir, "ssh_host_%s_key" % kt), kt, "root@" + self.hostname)
        before = self._listener_inodes()
        os.kill(self.init_pid, signal.SIGHUP)
        deadline = time.time() + 10
        while time.time() < deadline:
            now = self._listener_inodes()
            if now and not (now & before):
                return
            if not sbxhost.proc_alive(self.init_pid):
                raise RuntimeError("sshd died on restart (see %s/sshd.log)" % self.sysdir)
            time.sleep(0.01)
        raise RuntimeError("sshd did not listen again after the host key rotation")

    def drop_sessions(self):
        """Kill every process of the host except the sshd listener (PID 1 there) and its parent."""
        keep = {self.init_pid, self.proc.pid if self.proc else None}
        victims = {}
        for pid in sbxhost.netns_pids(self.ns):
            if pid not in keep:
                st = sbxhost.proc_starttime(pid)
                if st is not None:
                    victims[pid] = st
        return sbxhost.kill_pids_verified(list(victims.items()))


class Daemon:
    def __init__(self, args):
        self.state_dir = os.path.abspath(args.state_dir)
        self.user = args.user
        with open(args.authorized_key) as f:
            self.key = f.read().strip()
        if not self.key.startswith(("ssh-", "ecdsa-", "sk-")):
            raise SystemExit("%s does not look like an OpenSSH public key" % args.authorized_key)
        self.sb = Shim(self.state_dir)
        self.host = TestHost(self.sb, os.path.join(self.state_dir, "host"), HOSTNAME, sbxhost.pick_uid(), self.user)
        self.link_up = True
        self.listener = None
        self.pending = []
        self.stop = False

    def info(self):
        h = self.host
        keys = h.host_public_keys()
        ed = keys.get("ed25519", "")
        ed_key = " ".join(ed.split()[:2])
        ec_key = " ".join(keys.get("ecdsa", "").split()[:2])
        return {
            "address": h.ip, "port": 22, "user": self.user, "netns": h.ns,
            "host_key": ed_key, "known_hosts_line": "%s %s" % (h.ip, ed_key),
            "host_key_ecdsa": ec_key,
            "caller_address": self.sb.net.gateway, "pid": os.getpid(),
            "sshd_pid": h.init_pid, "veth": h.veth, "bridge": self.sb.net.bridge,
            "link_up": self.link_up, "control": os.path.join(self.state_dir, CONTROL),
            "state_dir": self.state_dir, "home": h.home, "sshd_log": os.path.join(h.sysdir, "sshd.log"),
        }

    def write_info(self):
        tmp = os.path.join(self.state_dir, INFO + ".tmp")
        with open(tmp, "w") as f:
            json.dump(self.info(), f)
            f.write("\n")
        os.replace(tmp, os.path.join(self.state_dir, INFO))

    def start(self):
        self.sb.net.create()
        self.host.provision(self.key)
        self.host.set_authorized_key(self.key)
        ip = self.sb.net.alloc_ip()
        self.host.start(ip, None)
        path = os.path.join(self.state_dir, CONTROL)
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(path)
        os.chmod(path, 0o600)
        self.listener.listen(8)
        self.write_info()

    def do(self, cmd):
        """Runs one control command; returns the host's JSON (plus ok/error)."""
        words = cmd.split()
        try:
            if words == ["status"]:
                pass
            elif words == ["rotate-host-key"]:
                self.host.rotate_host_keys()
                log("host keys rotated: %s" % self.info()["host_key"])
            elif words[:1] == ["link"] and len(words) == 2 and words[1] in ("up", "down", "toggle"):
                up = (not self.link_up) if words[1] == "toggle" else words[1] == "up"
                self.host.set_link(up)
                self.link_up = up
                log("link %s" % ("up" if up else "down"))
            elif words == ["drop-sessions"]:
                self.host.drop_sessions()
                log("sessions dropped")
            else:
                return dict(self.info(), ok=False, error="unknown command %r" % cmd)
            self.write_info()
            return dict(self.info(), ok=True)
        except Exception as e:
            log("%s: %s" % (cmd, e))
            return dict(self.info(), ok=False, error=str(e))

    def serve_client(self, conn):
        conn.settimeout(5)
        try:
            data = b""
            while b"\n" not in data and len(data) < 1024:
                chunk = conn.recv(1024)
                if not chunk:
                    break
                data += chunk
            reply = self.do(data.decode("utf-8", "replace").strip())
            conn.sendall((json.dumps(reply) + "\n").encode())
        except OSError as e:
            log("control client: %s" % e)
        finally:
            conn.close()

    def loop(self, wake_r):
        while not self.stop:
            try:
                ready, _, _ = select.select([wake_r, self.listener], [], [], 1.0)
            except InterruptedError:
                ready = []
            if wake_r in ready:
                try:
                    os.read(wake_r, 4096)
                except BlockingIOError:
                    pass
            while self.pending:
                sig = self.pending.pop(0)
                if sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
                    self.stop = True
                elif sig == signal.SIGUSR1:
                    self.do("rotate-host-key")
                elif sig == signal.SIGUSR2:
                    self.do("link toggle")
            if self.stop:
                break
            if self.listener in ready:
                try:
                    conn, _ = self.listener.accept()
                except OSError:
                    continue
                self.serve_client(conn)

    def shutdown(self):
        if self.listener is not None:
            self.listener.close()
            try:
                os.unlink(os.path.join(self.state_dir, CONTROL))
            except FileNotFoundError:
                pass
        try:
            self.host.stop()
        except Exception as e:
            log("stopping the host: %s" % e)
        try:
            self.sb.net.destroy()
        except Exception as e:
            log("removing the bridge: %s" % e)
        left = cleanup.sweep(self.state_dir, quiet=True)
        if left:
            log("could not remove: %s" % left)
        else:
            self.sb.journal.remove()
        try:
            os.unlink(os.path.join(self.state_dir, INFO))
        except FileNotFoundError:
            pass
        return not left


def cmd_up(args):
    if os.geteuid() != 0:
        sys.exit("testhost must run as root (network namespaces)")
    if args.user != "ubuntu" and (machine_has_user(args.user) or not args.user.isidentifier()):
        sys.exit("--user %s: pick a plain name that is not a user of this machine" % args.user)
    os.makedirs(args.state_dir, exist_ok=True)
    lockf = open(os.path.join(args.state_dir, LOCK), "w")
    try:
        fcntl.flock(lockf, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        sys.exit("another testhost is running with state dir %s" % args.state_dir)
    cleanup.sweep(os.path.abspath(args.state_dir), quiet=True)   # leftovers of a crashed run

    d = Daemon(args)
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_r, False)
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w, warn_on_full_buffer=False)

    def on_signal(sig, _frame):
        d.pending.append(sig)
        if sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            d.stop = True

    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGUSR1, signal.SIGUSR2):
        signal.signal(sig, on_signal)
    ok = False
    try:
        d.start()
        if not d.stop:
            sys.stdout.write(json.dumps(d.info()) + "\n")
            sys.stdout.flush()
            log("up: %s@%s (netns %s, bridge %s); SIGTERM to stop" % (d.user, d.host.ip, d.host.ns, d.sb.net.bridge))
            d.loop(wake_r)
        ok = True
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)     # finish the cleanup even if signalled again
        clean = d.shutdown()
        log("stopped, %s" % ("everything removed" if clean else "some resources left, see above"))
    return 0 if ok and clean else 1


def cmd_ctl(args):
    path = os.path.join(args.state_dir, CONTROL)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(30)
    try:
        s.connect(path)
    except OSError as e:
        sys.exit("no testhost at %s: %s" % (path, os.strerror(e.errno) if e.errno else e))
    s.sendall((" ".join(args.command) + "\n").encode())
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    s.close()
    sys.stdout.write(data.decode())
    try:
        return 0 if json.loads(data).get("ok") else 1
    except ValueError:
        return 1


def cmd_cleanup(args):
    left = cleanup.sweep(os.path.abspath(args.state_dir))
    if not left:
        print("clean")
    return 1 if left else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    sub = ap.add_subparsers(dest="cmd", required=True)
    up = sub.add_parser("up", help="start a test host and stay in the foreground")
    up.add_argument("--state-dir", required=True)
    up.add_argument("--authorized-key", required=True, help="OpenSSH public key file allowed to log in")
    up.add_argument("--user", default="ubuntu")
    ctl = sub.add_parser("ctl", help="control a running test host")
    ctl.add_argument("--state-dir", required=True)
    ctl.add_argument("command", nargs="+", help="status | rotate-host-key | link up|down|toggle | drop-sessions")
    cl = sub.add_parser("cleanup", help="remove what a crashed test host left")
    cl.add_argument("--state-dir", required=True)
    args = ap.parse_args()
    return {"up": cmd_up, "ctl": cmd_ctl, "cleanup": cmd_cleanup}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
