"""Self-test of the plain test host (sandbox/testhost.py).

Run as root: /usr/bin/python3 -m unittest tests/sandbox/test_testhost.py -v   (about 5 s)
"""
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TESTHOST = os.path.join(ROOT, "sandbox", "testhost.py")
PY = "/usr/bin/python3"


def wait_for(cond, timeout, what):
    end = time.time() + timeout
    while time.time() < end:
        v = cond()
        if v:
            return v
        time.sleep(0.05)
    raise AssertionError("timed out waiting for " + what)


def alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except OSError:
        return False


@unittest.skipUnless(os.geteuid() == 0, "needs root (network namespaces)")
class TestHostTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="testhost-test-")
        self.state = os.path.join(self.dir, "state")
        self.key = os.path.join(self.dir, "id_ed25519")
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", self.key], check=True)
        self.err = open(os.path.join(self.dir, "testhost.err"), "w")
        self.proc = subprocess.Popen([PY, TESTHOST, "up", "--state-dir", self.state,
                                      "--authorized-key", self.key + ".pub"],
                                     stdout=subprocess.PIPE, stderr=self.err, text=True)
        line = self.proc.stdout.readline()
        self.assertTrue(line, "testhost printed nothing; stderr: " + self._stderr())
        self.info = json.loads(line)
        self.known_hosts = os.path.join(self.dir, "known_hosts")
        self._pin(self.info["known_hosts_line"])

    def tearDown(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=30)
        self.proc.stdout.close()
        self.err.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def _stderr(self):
        self.err.flush()
        with open(self.err.name) as f:
            return f.read()

    def _pin(self, line):
        with open(self.known_hosts, "w") as f:
            f.write(line + "\n")

    def ssh(self, *cmd, timeout=20):
        return subprocess.run(
            ["ssh", "-i", self.key, "-o", "StrictHostKeyChecking=yes", "-o", "UserKnownHostsFile=" + self.known_hosts,
             "-o", "BatchMode=yes", "-o", "ConnectTimeout=3", "-p", str(self.info["port"]),
             "%s@%s" % (self.info["user"], self.info["address"])] + list(cmd),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=timeout)

    def ctl(self, *words):
        p = subprocess.run([PY, TESTHOST, "ctl", "--state-dir", self.state] + list(words),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=30)
        return p.returncode, json.loads(p.stdout)

    def test_all(self):
        info = self.info
        for k in ("address", "port", "user", "netns", "host_key", "known_hosts_line", "caller_address", "pid"):
            self.assertIn(k, info)
        self.assertEqual(info["port"], 22)
        self.assertEqual(info["user"], "ubuntu")
        self.assertEqual(info["pid"], self.proc.pid)
        self.assertTrue(info["host_key"].startswith("ssh-ed25519 "))
        self.assertEqual(info["known_hosts_line"], "%s %s" % (info["address"], info["host_key"]))
        self.assertTrue(os.path.exists("/run/netns/" + info["netns"]))

        # strict host key checking against the printed key; private /tmp and home, the right user
        p = self.ssh("id -un; echo $HOME; hostname; ls -A /tmp | wc -l")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout.split(), ["ubuntu", "/home/ubuntu", "gpunb-testhost", "0"])
        # the caller reaches the host from caller_address
        p = self.ssh("echo $SSH_CLIENT")
        self.assertEqual(p.stdout.split()[0], info["caller_address"])

        # rotation through the control socket: the old key is refused, the new one works
        rc, new = self.ctl("rotate-host-key")
        self.assertEqual(rc, 0, new)
        self.assertNotEqual(new["host_key"], info["host_key"])
        p = self.ssh("true")
        self.assertEqual(p.returncode, 255)
        self.assertIn("REMOTE HOST IDENTIFICATION HAS CHANGED", p.stderr)
        self._pin(new["known_hosts_line"])
        self.assertEqual(self.ssh("true").returncode, 0)
        # and through SIGUSR1 (host.json follows)
        os.kill(self.proc.pid, signal.SIGUSR1)
        hj = os.path.join(self.state, "host.json")
        wait_for(lambda: json.load(open(hj))["host_key"] != new["host_key"], 10, "rotation on SIGUSR1")
        self.assertEqual(self.ssh("true").returncode, 255)
        self._pin(json.load(open(hj))["known_hosts_line"])
        self.assertEqual(self.ssh("true").returncode, 0)

        # link down: unreachable; up: reachable again; SIGUSR2 toggles
        rc, st = self.ctl("link", "down")
        self.assertEqual((rc, st["link_up"]), (0, False))
        self.assertEqual(self.ssh("true").returncode, 255)
        rc, st = self.ctl("link", "up")
        self.assertEqual((rc, st["link_up"]), (0, True))
        p = self.ssh("true")
        self.assertEqual(p.returncode, 0, p.stderr)
        os.kill(self.proc.pid, signal.SIGUSR2)
        wait_for(lambda: json.load(open(hj))["link_up"] is False, 10, "link down on SIGUSR2")
        os.kill(self.proc.pid, signal.SIGUSR2)
        wait_for(lambda: json.load(open(hj))["link_up"] is True, 10, "link up on SIGUSR2")
        self.assertEqual(self.ssh("true").returncode, 0)

        # drop-sessions kills a running session but keeps sshd
        s = subprocess.Popen(["ssh", "-i", self.key, "-o", "StrictHostKeyChecking=yes",
                              "-o", "UserKnownHostsFile=" + self.known_hosts, "-o", "BatchMode=yes",
                              "ubuntu@" + info["address"], "sleep 60"], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        wait_for(lambda: "sleep 60" in self.ssh("ps -eo args").stdout, 10, "the remote sleep")
        rc, _ = self.ctl("drop-sessions")
        self.assertEqual(rc, 0)
        s.wait(timeout=10)
        self.assertEqual(self.ssh("true").returncode, 0)
        rc, st = self.ctl("nonsense")
        self.assertEqual(rc, 1)
        self.assertFalse(st["ok"])

        # SIGTERM: everything removed (namespace, links, processes)
        ns_pids = subprocess.run(["ip", "netns", "pids", info["netns"]], stdout=subprocess.PIPE, text=True).stdout.split()
        self.assertIn(str(info["sshd_pid"]), ns_pids)
        self.proc.send_signal(signal.SIGTERM)
        self.assertEqual(self.proc.wait(timeout=30), 0, self._stderr())
        self.assertFalse(os.path.exists("/run/netns/" + info["netns"]))
        self.assertFalse(os.path.exists("/sys/class/net/" + info["veth"]))
        self.assertFalse(os.path.exists("/sys/class/net/" + info["bridge"]))
        wait_for(lambda: not any(alive(int(p)) for p in ns_pids), 5, "host processes to exit")
        self.assertFalse(os.path.exists(os.path.join(self.state, "resources.jsonl")))
        self.assertFalse(os.path.exists(os.path.join(self.state, "control.sock")))


if __name__ == "__main__":
    unittest.main()
