"""GetConsoleOutput for sandboxd, as EC2 answers it rather than as a client would like it.

- Nothing at first: EC2 posts the buffered console output a while after the instance runs
  (minutes on real EC2), and the serial console shows cloud-init's host key fingerprints only once
  cloud-init's final stage ran (most of a minute after sshd answers). The delays here are those
  times divided like sandboxd's PENDING_S, and multiplied by --delay-scale.
- `Latest=true` reads the live serial console (sooner), on Nitro types only; on the others EC2
  refuses with UnsupportedOperation.
- cloud-init prints the fingerprints once per instance (cc_keys_to_console runs per instance), so a
  later boot's console has none.
- A test can make an instance (or every instance launched from now on) never print the fingerprints
  ("none") or print those of another key ("other"): what a misconfigured image or an attacker in
  the middle would look like to the client.
"""
import base64
import hashlib
import os
import threading
import time

import sbxcatalog as cat
from sbxmodel import ApiError

LATEST_S = 3.0     # the fingerprints on the live serial console, after the instance runs
BUFFERED_S = 12.0  # the buffered copy, after the instance runs
MODES = ("real", "none", "other")

_lock = threading.Lock()
_default_mode = {"mode": "real"}


def set_default_mode(mode):
    if mode not in MODES:
        raise ValueError("console mode must be one of %s" % ", ".join(MODES))
    with _lock:
        _default_mode["mode"] = mode


def default_mode():
    """The mode a newly launched instance gets."""
    with _lock:
        return _default_mode["mode"]


def set_instance_mode(i, mode):
    if mode not in MODES:
        raise ValueError("console mode must be one of %s" % ", ".join(MODES))
    i.console_mode = mode


def on_running(i):
    """Called when an instance (re)enters running: a new boot, a new console."""
    i.console_boots = getattr(i, "console_boots", 0) + 1
    i.console_since = time.time()


def fingerprint(publine):
    blob = base64.b64decode(publine.split()[1])
    return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")


def _other_fingerprint():
    return "SHA256:" + base64.b64encode(hashlib.sha256(os.urandom(32)).digest()).decode().rstrip("=")


def _fingerprint_block(i, host):
    keys = i.host_keys
    mode = i.console_mode
    if mode == "none" or i.console_boots > 1:
        return []
    ecdsa = fingerprint(keys["ecdsa"]) if mode == "real" else _other_fingerprint()
    ed25519 = fingerprint(keys["ed25519"]) if mode == "real" else _other_fingerprint()
    hashes = "ec2: #############################################################"
    return [hashes, "ec2: -----BEGIN SSH HOST KEY FINGERPRINTS-----",
            "ec2: 256 %s root@%s (ECDSA)" % (ecdsa, host),
            "ec2: 256 %s root@%s (ED25519)" % (ed25519, host),
            "ec2: -----END SSH HOST KEY FINGERPRINTS-----", hashes]


def _kernel_lines(i, ts):
    return [
        "[    0.000000] Linux version 5.15.0-1063-aws (buildd@lcy02-amd64-048) (gcc (Ubuntu 11.4.0-1ubuntu1~22.04) "
        "11.4.0, GNU ld (GNU Binutils for Ubuntu) 2.38) #69-Ubuntu SMP Fri May 10 19:01:34 UTC 2024 (Ubuntu "
        "5.15.0-1063.69-aws 5.15.152)",
        "[    0.000000] Command line: BOOT_IMAGE=/boot/vmlinuz-5.15.0-1063-aws root=PARTUUID=9b1fd3b8-01 ro "
        "console=tty1 console=ttyS0 nvme_core.io_timeout=4294967295 panic=-1",
        "[    2.904111] EXT4-fs (nvme0n1p1): mounted filesystem with ordered data mode. Opts: (null). Quota mode: none.",
        "[  OK  ] Started OpenBSD Secure Shell server.",
        "Cloud-init v. 24.1.3-0ubuntu1~22.04.1 running 'init' at %s. Up 9.61 seconds." % ts,
        "ci-info: ++++++++++++++++++++++++++++++++++++++Net device info++++++++++++++++++++++++++++++++++++++",
        "ci-info: |  eth0  | True |        %s        | 255.255.240.0 | global | 0a:ff:c4:3b:2e:91 |" % i.private_ip,
    ]


def _final_lines(i, ts):
    keys, host = i.host_keys, i.hostname
    lines = [
        "Cloud-init v. 24.1.3-0ubuntu1~22.04.1 running 'modules:config' at %s. Up 12.02 seconds." % ts,
        "Cloud-init v. 24.1.3-0ubuntu1~22.04.1 running 'modules:final' at %s. Up 12.88 seconds." % ts,
        "ci-info: no authorized SSH keys fingerprints found for user ubuntu." if not i.key_name else
        "ci-info: +++++++++++++++++++++++++++++++++++++Authorized keys from /home/ubuntu/.ssh/authorized_keys "
        "for user ubuntu++++++++++++++++++++++++++++++++++++++",
    ]
    lines += _fingerprint_block(i, host)
    if i.console_mode == "real" and i.console_boots == 1:
        lines += ["-----BEGIN SSH HOST KEY KEYS-----",
                  "%s root@%s" % (" ".join(keys["ecdsa"].split()[:2]), host),
                  "%s root@%s" % (" ".join(keys["ed25519"].split()[:2]), host),
                  "-----END SSH HOST KEY KEYS-----"]
    lines.append("Cloud-init v. 24.1.3-0ubuntu1~22.04.1 finished at %s. Datasource DataSourceEc2Local.  "
                 "Up 13.37 seconds" % ts)
    return lines


def console_text(cloud, i, latest, now=None):
    """What GetConsoleOutput shows now: '' before anything was posted."""
    since = getattr(i, "console_since", None)
    if since is None or not getattr(i, "host_keys", None):
        return ""
    age = (now or time.time()) - since
    ts = time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime(since))
    if not latest:
        return "\r\n".join(_kernel_lines(i, ts) + _final_lines(i, ts)) + "\r\n" \
            if age >= cloud.delay(BUFFERED_S) else ""
    lines = _kernel_lines(i, ts)
    if age >= cloud.delay(LATEST_S):
        lines += _final_lines(i, ts)
    return "\r\n".join(lines) + "\r\n"


def get_console_output(cloud, R, inp):
    i = cloud.find_instances(R, [inp["InstanceId"]])[0]
    latest = bool(inp.get("Latest"))
    if latest and cat.INSTANCE_TYPES.get(i.type, (None,) * 9)[7] != "nitro":
        raise ApiError("UnsupportedOperation",
                       "Retrieving the latest console output is not supported for instance type %s." % i.type)
    with cloud.lock:
        text = console_text(cloud, i, latest)
    out = {"InstanceId": i.id}
    if text:
        out["Output"] = base64.b64encode(text.encode()).decode()
        out["Timestamp"] = time.time() if latest else i.console_since + cloud.delay(BUFFERED_S)
    return out
