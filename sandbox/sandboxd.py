#!/usr/bin/python3
"""gpunb sandbox cloud: an EC2-compatible (Query API 2016-11-15) fake cloud on 127.0.0.1.

Every running instance is a real test host: its own network namespace on a private bridge,
private mounts, and a real OpenSSH sshd. See sandbox/README.md.

Run: /usr/bin/python3 sandbox/sandboxd.py --state-dir DIR [--port 0] [--delay-scale 1.0]
"""
import argparse
import atexit
import base64
import hashlib
import ipaddress
import json
import os
import random
import re
import signal
import socket
import struct
import sys
import threading
import time
import traceback
import uuid
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlencode

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import sbxauth  # noqa: E402  (imports botocore: fail at startup, not on the first request)
import sbxcatalog as cat  # noqa: E402
import sbxconsole  # noqa: E402
import sbxhost  # noqa: E402
import sbxpower  # noqa: E402
from sbxmodel import ApiError, Model, error_xml, iso  # noqa: E402

DEFAULT_ACCESS_KEY_ID = "AKIDSANDBOX00000000"
DEFAULT_SECRET_ACCESS_KEY = "sandbox/SecretAccessKey/0000000000000000"
DEFAULT_ACCOUNT_ID = "123456789012"

PENDING_S = 1.0
STOPPING_S = 1.0
SHUTTING_DOWN_S = 1.0
MAX_LIVE_INSTANCES = 240          # addresses on the /24 bridge, all regions together

class _Garbage(Exception):
    """Leaves the EC2 handler's try block when a fault asks for a broken reply."""


STATE_CODES = {"pending": 0, "running": 16, "shutting-down": 32, "terminated": 48, "stopping": 64, "stopped": 80}

ERROR_DEFAULTS = {
    "RequestLimitExceeded": (503, "Request limit exceeded."),
    "Unavailable": (503, "The service is unavailable. Please try again shortly."),
    "ServiceUnavailable": (503, "The service is unavailable. Please try again shortly."),
    "InternalError": (500, "An internal error has occurred"),
    "InsufficientInstanceCapacity": (500, "Insufficient capacity."),
    "InsufficientAddressCapacity": (500, "Insufficient address capacity."),
    "VcpuLimitExceeded": (400, "You have requested more vCPU capacity than your current vCPU limit of 0 allows for "
                               "the instance bucket that the specified instance type belongs to. Please visit "
                               "http://aws.amazon.com/contact-us/ec2-request to request an adjustment to this limit."),
    "InstanceLimitExceeded": (400, "Your quota allows for 0 more running instance(s). You requested at least 1."),
    "MaxSpotInstanceCountExceeded": (400, "Max spot instance count exceeded"),
    "SpotMaxPriceTooLow": (400, "Your Spot request price is lower than the minimum required Spot request "
                                "fulfillment price."),
    "UnauthorizedOperation": (403, "You are not authorized to perform this operation."),
    "AuthFailure": (401, "AWS was not able to validate the provided access credentials"),
    "DryRunOperation": (412, "Request would have succeeded, but DryRun flag is set."),
}

ID_RE = {
    "i": re.compile(r"^i-(?:[0-9a-f]{8}|[0-9a-f]{17})$"),
    "ami": re.compile(r"^ami-(?:[0-9a-f]{8}|[0-9a-f]{17})$"),
    "sg": re.compile(r"^sg-(?:[0-9a-f]{8}|[0-9a-f]{17})$"),
    "key": re.compile(r"^key-(?:[0-9a-f]{8}|[0-9a-f]{17})$"),
}


def log(msg):
    sys.stderr.write("[sandboxd %s] %s\n" % (time.strftime("%H:%M:%S"), msg))
    sys.stderr.flush()


def rand_hex(n=17):
    return "%0*x" % (n, random.getrandbits(4 * n))


def wild_match(pattern, value):
    if "*" not in pattern and "?" not in pattern:
        return pattern == value
    rx = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(rx, value, re.S) is not None


def apply_filters(objs, filters, table, tags_of=None):
    """EC2 filter semantics: values of one filter OR'ed (with * and ? wildcards), filters AND'ed."""
    flist = []
    for f in filters or []:
        name = f.get("Name")
        if not name:
            raise ApiError("InvalidParameterValue", "The filter 'null' is invalid")
        vals = f.get("Values") or []
        if name.startswith("tag:") and tags_of is not None:
            key = name[4:]
            fn = (lambda k: lambda o: [v for kk, v in tags_of(o).items() if kk == k])(key)
        elif name == "tag-key" and tags_of is not None:
            fn = lambda o: list(tags_of(o).keys())
        elif name == "tag-value" and tags_of is not None:
            fn = lambda o: list(tags_of(o).values())
        elif name in table:
            fn = table[name]
        else:
            raise ApiError("InvalidParameterValue", "The filter '%s' is invalid" % name)
        flist.append((fn, vals))
    out = []
    for o in objs:
        ok = True
        for fn, vals in flist:
            have = [str(x) for x in fn(o) if x is not None]
            if not any(wild_match(p, h) for p in vals for h in have):
                ok = False
                break
        if ok:
            out.append(o)
    return out


def check_id(kind, value, code_prefix):
    if not ID_RE[kind].match(value or ""):
        raise ApiError(code_prefix + ".Malformed", 'Invalid id: "%s"' % value
                       + ("" if kind == "i" else ' (expecting "%s-...")' % kind))


def tags_list(d):
    return [{"Key": k, "Value": v} for k, v in d.items()] or None


def _ssh_string(buf, off):
    if off + 4 > len(buf):
        raise ValueError("short")
    (n,) = struct.unpack(">I", buf[off:off + 4])
    if off + 4 + n > len(buf):
        raise ValueError("short")
    return buf[off + 4:off + 4 + n], off + 4 + n


def _der_len(n):
    if n < 0x80:
        return bytes([n])
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(b)]) + b


def _der(tag, content):
    return bytes([tag]) + _der_len(len(content)) + content


def _der_int(b):
    b = b.lstrip(b"\x00") or b"\x00"
    if b[0] & 0x80:
        b = b"\x00" + b
    return _der(0x02, b)


def parse_public_key(text):
    """-> (key_type, blob, normalized line). Raises ApiError InvalidKey.Format."""
    bad = ApiError("InvalidKey.Format", "Key is not in valid OpenSSH public key format")
    parts = text.strip().split()
    if len(parts) < 2 or parts[0] not in ("ssh-ed25519", "ssh-rsa"):
        raise bad
    try:
        blob = base64.b64decode(parts[1], validate=True)
        kt, off = _ssh_string(blob, 0)
        if kt.decode() != parts[0]:
            raise ValueError
        if parts[0] == "ssh-ed25519":
            pk, off = _ssh_string(blob, off)
            if len(pk) != 32:
                raise ValueError
        else:
            e, off = _ssh_string(blob, off)
            n, off = _ssh_string(blob, off)
            if int.from_bytes(n, "big").bit_length() < 1024:
                raise ValueError
        if off != len(blob):
            raise ValueError
    except (ValueError, UnicodeDecodeError, base64.binascii.Error):
        raise bad
    return ("ed25519" if parts[0] == "ssh-ed25519" else "rsa"), blob, " ".join(parts)


def key_fingerprint(ktype, blob):
    if ktype == "ed25519":
        return base64.b64encode(hashlib.sha256(blob).digest()).decode()
    # imported RSA keys: MD5 of the DER SubjectPublicKeyInfo, as EC2 shows it
    _, off = _ssh_string(blob, 0)
    e, off = _ssh_string(blob, off)
    n, off = _ssh_string(blob, off)
    rsakey = _der(0x30, _der_int(n) + _der_int(e))
    algo = _der(0x30, _der(0x06, bytes.fromhex("2a864886f70d010101")) + b"\x05\x00")
    spki = _der(0x30, algo + _der(0x03, b"\x00" + rsakey))
    h = hashlib.md5(spki).hexdigest()
    return ":".join(h[i:i + 2] for i in range(0, 32, 2))


def ssh_fp(publine):
    blob = base64.b64decode(publine.split()[1])
    return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")


def normalize_protocol(p):
    p = str(p).lower()
    return {"6": "tcp", "17": "udp", "1": "icmp", "all": "-1"}.get(p, p)


# ====================================================================== state objects
class Instance:
    def __init__(self, **kw):
        self.__dict__.update(kw)
        self.oplock = threading.Lock()
        self.gen = 0
        self.booted = False
        self.error = None
        self.public_ip = None
        self.state_reason = None
        self.transition_reason = ""
        self.link_up = True


class RegionState:
    def __init__(self, region, account):
        self.region = region
        self.vpc_id = "vpc-" + cat.hexid(region, "vpc")
        self.subnets = {z: "subnet-" + cat.hexid(region, z, "subnet") for z in cat.zones(region)}
        self.keypairs = {}          # name -> dict
        self.groups = {}            # id -> dict
        self.instances = {}         # id -> Instance (insertion order = launch order)
        self.reservations = {}      # rid -> [iid]
        self.tokens = {}            # client token -> (rid, fingerprint)
        self.images = {im["ImageId"]: im for im in cat.images(region)}
        self.private_ips = set()
        gid = "sg-" + cat.hexid(region, "default-sg")
        self.groups[gid] = {"GroupId": gid, "GroupName": "default", "Description": "default VPC security group",
                            "VpcId": self.vpc_id, "OwnerId": account, "rules": [], "tags": {}}


class Faults:
    def __init__(self):
        self.lock = threading.Lock()
        self.items = []
        self.next_id = 1

    def add(self, spec):
        if not isinstance(spec, dict):
            raise ValueError("fault must be a JSON object")
        spec = dict(spec)
        spec.setdefault("action", "*")
        with self.lock:
            spec["id"] = self.next_id
            self.next_id += 1
            self.items.append(spec)
        return spec

    def clear(self):
        with self.lock:
            self.items = []

    def list(self):
        with self.lock:
            return [dict(f) for f in self.items]

    def _consume(self, f):
        if f.get("count") is not None:
            f["count"] -= 1
            if f["count"] <= 0:
                self.items.remove(f)

    def take(self, action, region):
        with self.lock:
            for f in list(self.items):
                if f.get("zone") or f.get("instance_type"):
                    continue
                if f["action"] not in ("*", action):
                    continue
                if f.get("region") and f["region"] != region:
                    continue
                self._consume(f)
                return dict(f)
        return None

    def take_zone(self, action, region, zone, itype):
        with self.lock:
            for f in list(self.items):
                if not (f.get("zone") or f.get("instance_type")):
                    continue
                if f["action"] not in ("*", action):
                    continue
                if f.get("region") and f["region"] != region:
                    continue
                if f.get("zone") and f["zone"] != zone:
                    continue
                if f.get("instance_type") and f["instance_type"] != itype:
                    continue
                self._consume(f)
                return dict(f)
        return None

    def blocked_zones(self, region, itype):
        with self.lock:
            return {f["zone"] for f in self.items if f.get("zone")
                    and (not f.get("region") or f["region"] == region)
                    and (not f.get("instance_type") or f["instance_type"] == itype)}


# ====================================================================== the cloud
class Cloud:
    def __init__(self, args):
        self.args = args
        self.scale = args.delay_scale
        self.state_dir = os.path.abspath(args.state_dir)
        self.account = os.environ.get("SANDBOX_ACCOUNT_ID", DEFAULT_ACCOUNT_ID)
        self.keys = {os.environ.get("SANDBOX_ACCESS_KEY_ID", DEFAULT_ACCESS_KEY_ID):
                     os.environ.get("SANDBOX_SECRET_ACCESS_KEY", DEFAULT_SECRET_ACCESS_KEY)}
        self.session_token = os.environ.get("SANDBOX_SESSION_TOKEN") or None
        self.lock = threading.RLock()
        self.model = Model()
        self.regions = {r: RegionState(r, self.account) for r in cat.REGIONS}
        self.faults = Faults()
        self.calls = []
        self.calls_lock = threading.Lock()
        self.token = "%06x" % random.getrandbits(24)
        self.journal = sbxhost.Journal(self.state_dir)
        self.net = sbxhost.Network(self.journal, self.token)
        self.nft_enabled = sbxhost.NFT is not None
        self.spawn_sem = threading.Semaphore(6)
        self.link_counter = 0
        self.link_lock = threading.Lock()
        self.shutting_down = False
        self.uid = sbxhost.pick_uid()
        self.endpoint = None
        self.seq = 0
        self.after_response = None

    def next_link_id(self):
        with self.link_lock:
            self.link_counter += 1
            return self.link_counter & 0xFFFF

    def delay(self, base):
        return base * self.scale

    # ------------------------------------------------------------------ helpers
    def rs(self, region):
        return self.regions[region]

    def find_instances(self, R, ids):
        for i in ids:
            check_id("i", i, "InvalidInstanceID")
        missing = [i for i in ids if i not in R.instances]
        if missing:
            if len(missing) == 1:
                raise ApiError("InvalidInstanceID.NotFound", "The instance ID '%s' does not exist" % missing[0])
            raise ApiError("InvalidInstanceID.NotFound", "The instance IDs '%s' do not exist" % ", ".join(missing))
        return [R.instances[i] for i in ids]

    def group_by_id(self, R, gid):
        check_id("sg", gid, "InvalidGroupId")
        g = R.groups.get(gid)
        if g is None:
            raise ApiError("InvalidGroup.NotFound", "The security group '%s' does not exist" % gid)
        return g

    def group_by_name(self, R, name):
        for g in R.groups.values():
            if g["GroupName"] == name:
                return g
        raise ApiError("InvalidGroup.NotFound",
                       "The security group '%s' does not exist in default VPC '%s'" % (name, R.vpc_id))

    def resolve_group(self, R, inp):
        if inp.get("GroupId"):
            return self.group_by_id(R, inp["GroupId"])
        if inp.get("GroupName"):
            return self.group_by_name(R, inp["GroupName"])
        raise ApiError("MissingParameter", "The request must contain the parameter groupName or groupId")

    def fw_rules(self, R, inst):
        rules = []
        for gid in inst.sg_ids:
            g = R.groups.get(gid)
            if g:
                rules += [(r["proto"], r["from"], r["to"], r["cidr"]) for r in g["rules"]]
        return rules

    def state_obj(self, name):
        return {"Code": STATE_CODES[name], "Name": name}

    # ------------------------------------------------------------------ instance output
    def inst_out(self, R, i):
        st = i.state
        live = st in ("pending", "running", "stopping", "shutting-down")
        out = {
            "AmiLaunchIndex": i.launch_index,
            "ImageId": i.image["ImageId"],
            "InstanceId": i.id,
            "InstanceType": i.type,
            "KeyName": i.key_name,
            "LaunchTime": i.launch_time,
            "Monitoring": {"State": "disabled"},
            "Placement": {"AvailabilityZone": i.az, "GroupName": "", "Tenancy": "default"},
            "PrivateDnsName": "" if st == "terminated" else i.private_dns,
            "ProductCodes": [],
            "PublicDnsName": "",
            "State": self.state_obj(st),
            "StateTransitionReason": i.transition_reason,
            "Architecture": i.image["Architecture"],
            "BlockDeviceMappings": [] if st == "terminated" else [
                {"DeviceName": d["device"], "Ebs": {"AttachTime": i.created, "DeleteOnTermination": d["dot"],
                                                    "Status": "attached", "VolumeId": d["volume_id"]}}
                for d in i.volumes],
            "ClientToken": i.client_token or "",
            "EbsOptimized": False,
            "EnaSupport": True,
            "Hypervisor": "xen",
            "RootDeviceName": i.image["RootDeviceName"],
            "RootDeviceType": "ebs",
            "SecurityGroups": [] if st == "terminated" else [
                {"GroupName": R.groups[g]["GroupName"] if g in R.groups else "", "GroupId": g} for g in i.sg_ids],
            "SourceDestCheck": True,
            "Tags": tags_list(i.tags),
            "VirtualizationType": "hvm",
            "CpuOptions": {"CoreCount": cat.INSTANCE_TYPES[i.type][1], "ThreadsPerCore": cat.INSTANCE_TYPES[i.type][2]},
            "CapacityReservationSpecification": {"CapacityReservationPreference": "open"},
            "HibernationOptions": {"Configured": False},
            "MetadataOptions": {"State": "applied", "HttpTokens": "required", "HttpPutResponseHopLimit": 2,
                                "HttpEndpoint": "enabled", "HttpProtocolIpv6": "disabled",
                                "InstanceMetadataTags": "disabled"},
            "EnclaveOptions": {"Enabled": False},
            "PlatformDetails": "Linux/UNIX",
            "UsageOperation": "RunInstances",
            "UsageOperationUpdateTime": i.created,
            "PrivateDnsNameOptions": {"HostnameType": "ip-name", "EnableResourceNameDnsARecord": False,
                                      "EnableResourceNameDnsAAAARecord": False},
            "MaintenanceOptions": {"AutoRecovery": "default"},
        }
        if st != "terminated":
            out["SubnetId"] = R.subnets[i.az]
            out["VpcId"] = R.vpc_id
            out["PrivateIpAddress"] = i.private_ip
        if live and i.public_ip:
            out["PublicIpAddress"] = i.public_ip
        if i.lifecycle == "spot":
            out["InstanceLifecycle"] = "spot"
            out["SpotInstanceRequestId"] = i.spot_request_id
        if i.state_reason:
            out["StateReason"] = {"Code": i.state_reason[0], "Message": i.state_reason[1]}
        if not i.key_name:
            del out["KeyName"]
        return out

    def reservation_out(self, R, rid, insts):
        i0 = insts[0] if insts else None
        return {"ReservationId": rid, "OwnerId": self.account, "Groups": [],
                "Instances": [self.inst_out(R, i) for i in insts]} if i0 is not None else None

    # ------------------------------------------------------------------ lifecycle
    def _set_state(self, i, state, reason=None, transition=None):
        i.state = state
        if reason is not None:
            i.state_reason = reason or None
        if transition is not None:
            i.transition_reason = transition

    def begin_start(self, R, i):
        """Caller holds self.lock. pending now; host comes up in the background."""
        i.gen += 1
        gen = i.gen
        self._set_state(i, "pending", reason=("pending", "pending"), transition="")
        i.public_ip = self.net.alloc_ip()
        i.launch_time = time.time()
        i.pending_since = time.time()
        rules = self.fw_rules(R, i) if self.nft_enabled else None
        threading.Thread(target=self._start_worker, args=(R, i, gen, rules), daemon=True,
                         name="start-" + i.id).start()

    def _start_worker(self, R, i, gen, rules):
        try:
            with i.oplock:
                if i.gen != gen or self.shutting_down:
                    return
                if i.public_ip is None:
                    raise RuntimeError("no free address on the sandbox bridge")
                with self.spawn_sem:
                    i.host.start(i.public_ip, rules)
                with self.lock:
                    i.host_keys = i.host.host_public_keys()
            remaining = i.pending_since + self.delay(PENDING_S) - time.time()
            if remaining > 0:
                time.sleep(remaining)
            with self.lock:
                if i.gen == gen and i.state == "pending":
                    self._set_state(i, "running", reason=False)
                    i.booted = True
                    sbxconsole.on_running(i)
        except Exception as e:  # launch failure: like EC2, the instance ends up terminated
            log("instance %s failed to start: %s" % (i.id, e))
            i.error = str(e)
            try:
                with i.oplock:
                    i.host.stop()
            except Exception as e2:
                log("cleanup after failed start of %s: %s" % (i.id, e2))
            failed = False
            with self.lock:
                if i.gen == gen and not self.shutting_down:
                    self.net.free_ip(i.public_ip)
                    i.public_ip = None
                    i.gen += 1
                    failed = True
                    self._set_state(i, "terminated", reason=("Server.InternalError",
                                                             "Server.InternalError: Internal error on launch"))
            if failed:
                i.host.destroy_disk()

    def begin_stop(self, R, i, final):
        """Caller holds self.lock. final: 'stopped' or 'terminated'."""
        i.gen += 1
        gen = i.gen
        if final == "stopped":
            self._set_state(i, "stopping", reason=("Client.UserInitiatedShutdown",
                                                   "Client.UserInitiatedShutdown: User initiated shutdown"),
                            transition="User initiated (%s GMT)" % time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime()))
        else:
            self._set_state(i, "shutting-down", reason=("Client.UserInitiatedShutdown",
                                                        "Client.UserInitiatedShutdown: User initiated shutdown"),
                            transition="User initiated (%s GMT)" % time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime()))
        threading.Thread(target=self._stop_worker, args=(R, i, gen, final), daemon=True,
                         name="stop-" + i.id).start()

    def _stop_worker(self, R, i, gen, final):
        t0 = time.time()
        try:
            with i.oplock:
                if self.shutting_down:
                    return
                i.host.stop()
                if final == "terminated":
                    i.host.destroy_disk()
        except Exception as e:
            log("instance %s failed to stop cleanly: %s" % (i.id, e))
            i.error = str(e)
        remaining = t0 + self.delay(STOPPING_S if final == "stopped" else SHUTTING_DOWN_S) - time.time()
        if remaining > 0:
            time.sleep(remaining)
        with self.lock:
            self.net.free_ip(i.public_ip)
            if i.gen == gen:
                i.public_ip = None
                self._set_state(i, final)
                if final == "terminated":
                    R.private_ips.discard(i.private_ip)

    # ================================================================== actions
    def DescribeRegions(self, R, inp):
        regions = [{"Endpoint": "ec2.%s.amazonaws.com" % r, "RegionName": r, "OptInStatus": "opt-in-not-required"}
                   for r in cat.REGIONS]
        names = inp.get("RegionNames")
        if names:
            bad = [n for n in names if n not in cat.REGIONS]
            if bad:
                raise ApiError("InvalidParameterValue", "Invalid region names: %s" % ", ".join(bad))
            regions = [r for r in regions if r["RegionName"] in names]
        regions = apply_filters(regions, inp.get("Filters"), {
            "region-name": lambda r: [r["RegionName"]], "endpoint": lambda r: [r["Endpoint"]],
            "opt-in-status": lambda r: [r["OptInStatus"]]})
        return {"Regions": regions}

    def DescribeAvailabilityZones(self, R, inp):
        zs = [{"State": "available", "OptInStatus": "opt-in-not-required", "Messages": [], "RegionName": R.region,
               "ZoneName": z, "ZoneId": cat.zone_id(z), "GroupName": R.region, "NetworkBorderGroup": R.region,
               "ZoneType": "availability-zone"} for z in cat.zones(R.region)]
        names = inp.get("ZoneNames")
        if names:
            bad = [n for n in names if n not in cat.zones(R.region)]
            if bad:
                raise ApiError("InvalidParameterValue", "Invalid availability zone: [%s]" % bad[0])
            zs = [z for z in zs if z["ZoneName"] in names]
        ids = inp.get("ZoneIds")
        if ids:
            bad = [n for n in ids if n not in [z["ZoneId"] for z in zs]]
            if bad:
                raise ApiError("InvalidParameterValue", "Invalid availability zone ID: [%s]" % bad[0])
            zs = [z for z in zs if z["ZoneId"] in ids]
        zs = apply_filters(zs, inp.get("Filters"), {
            "zone-name": lambda z: [z["ZoneName"]], "zone-id": lambda z: [z["ZoneId"]],
            "state": lambda z: [z["State"]], "region-name": lambda z: [z["RegionName"]],
            "zone-type": lambda z: [z["ZoneType"]], "group-name": lambda z: [z["GroupName"]],
            "opt-in-status": lambda z: [z["OptInStatus"]]})
        return {"AvailabilityZones": zs}

    def _image_out(self, im):
        bdm = [{"DeviceName": im["RootDeviceName"],
                "Ebs": {"DeleteOnTermination": True, "SnapshotId": im["RootSnapshotId"],
                        "VolumeSize": im["RootSnapshotSize"], "VolumeType": "gp3", "Encrypted": False}},
               {"DeviceName": "/dev/sdb", "VirtualName": "ephemeral0"},
               {"DeviceName": "/dev/sdc", "VirtualName": "ephemeral1"}]
        out = {"Architecture": im["Architecture"], "CreationDate": im["CreationDate"], "ImageId": im["ImageId"],
               "ImageLocation": im["ImageLocation"], "ImageType": "machine", "Public": True,
               "OwnerId": im["OwnerId"], "PlatformDetails": "Linux/UNIX", "UsageOperation": "RunInstances",
               "State": im["State"], "BlockDeviceMappings": bdm, "Description": im["Description"],
               "EnaSupport": True, "Hypervisor": "xen", "ImageOwnerAlias": im["ImageOwnerAlias"],
               "Name": im["Name"], "RootDeviceName": im["RootDeviceName"], "RootDeviceType": "ebs",
               "SriovNetSupport": "simple", "VirtualizationType": "hvm",
               "DeprecationTime": "%d%s" % (int(im["CreationDate"][:4]) + 2, im["CreationDate"][4:])}
        if "Amazon Linux" in im["Name"]:
            out["BootMode"] = "uefi-preferred"
            out["ImdsSupport"] = "v2.0"
        return out

    def DescribeImages(self, R, inp):
        ims = list(R.images.values())
        ids = inp.get("ImageIds")
        if ids:
            for x in ids:
                if not ID_RE["ami"].match(x):
                    raise ApiError("InvalidAMIID.Malformed", 'Invalid id: "%s" (expecting "ami-...")' % x)
            missing = [x for x in ids if x not in R.images]
            if missing:
                raise ApiError("InvalidAMIID.NotFound", "The image id '[%s]' does not exist" % ", ".join(missing))
            ims = [R.images[x] for x in ids]
        owners = inp.get("Owners")
        if owners:
            ims = [im for im in ims if im["OwnerId"] in owners or (im["ImageOwnerAlias"] or "-") in owners]
        ims = apply_filters(ims, inp.get("Filters"), {
            "name": lambda m: [m["Name"]], "architecture": lambda m: [m["Architecture"]],
            "state": lambda m: [m["State"]], "image-id": lambda m: [m["ImageId"]],
            "owner-id": lambda m: [m["OwnerId"]], "owner-alias": lambda m: [m["ImageOwnerAlias"]],
            "is-public": lambda m: ["true"], "root-device-type": lambda m: ["ebs"],
            "root-device-name": lambda m: [m["RootDeviceName"]],
            "virtualization-type": lambda m: ["hvm"], "hypervisor": lambda m: ["xen"],
            "image-type": lambda m: ["machine"], "platform-details": lambda m: ["Linux/UNIX"],
            "description": lambda m: [m["Description"]], "ena-support": lambda m: ["true"],
            "block-device-mapping.volume-size": lambda m: [m["RootSnapshotSize"]],
            "creation-date": lambda m: [m["CreationDate"]]})
        return {"Images": [self._image_out(im) for im in ims]}

    def DescribeInstanceTypes(self, R, inp):
        names = inp.get("InstanceTypes")
        if names:
            bad = [n for n in names if n not in cat.INSTANCE_TYPES]
            if bad:
                raise ApiError("InvalidInstanceType",
                               "The following supplied instance types do not exist: [%s]" % ", ".join(bad))
        else:
            names = list(cat.INSTANCE_TYPES)
        infos = [cat.instance_type_info(n) for n in names]
        infos = apply_filters(infos, inp.get("Filters"), {
            "instance-type": lambda t: [t["InstanceType"]],
            "current-generation": lambda t: [str(t["CurrentGeneration"]).lower()],
            "processor-info.supported-architecture": lambda t: t["ProcessorInfo"]["SupportedArchitectures"],
            "vcpu-info.default-vcpus": lambda t: [t["VCpuInfo"]["DefaultVCpus"]],
            "memory-info.size-in-mib": lambda t: [t["MemoryInfo"]["SizeInMiB"]],
            "instance-storage-supported": lambda t: [str(t["InstanceStorageSupported"]).lower()],
            "supported-usage-class": lambda t: t["SupportedUsageClasses"],
            "hypervisor": lambda t: [t["Hypervisor"]],
            "gpu-info.manufacturer": lambda t: [g["Manufacturer"] for g in t.get("GpuInfo", {}).get("Gpus", [])],
            "gpu-info.name": lambda t: [g["Name"] for g in t.get("GpuInfo", {}).get("Gpus", [])],
            "gpu-info.count": lambda t: [g["Count"] for g in t.get("GpuInfo", {}).get("Gpus", [])],
            "gpu-info.total-gpu-memory-in-mib": lambda t: [t["GpuInfo"]["TotalGpuMemoryInMiB"]] if "GpuInfo" in t else []})
        page, token = self._paginate(infos, inp, 5, 100, "DescribeInstanceTypes")
        return {"InstanceTypes": page, "NextToken": token}

    def DescribeInstanceTypeOfferings(self, R, inp):
        lt = inp.get("LocationType", "region")
        rows = []
        for n in cat.INSTANCE_TYPES:
            if lt == "region":
                rows.append({"InstanceType": n, "LocationType": lt, "Location": R.region})
            else:
                for z in cat.zones(R.region):
                    rows.append({"InstanceType": n, "LocationType": lt,
                                 "Location": z if lt == "availability-zone" else cat.zone_id(z)})
        rows = apply_filters(rows, inp.get("Filters"), {
            "instance-type": lambda o: [o["InstanceType"]], "location": lambda o: [o["Location"]]})
        page, token = self._paginate(rows, inp, 5, 1000, "DescribeInstanceTypeOfferings")
        return {"InstanceTypeOfferings": page, "NextToken": token}

    def DescribeSpotPriceHistory(self, R, inp):
        """The price in effect now per zone: fixed per (region, type, zone), changed hourly."""
        types = inp.get("InstanceTypes") or list(cat.INSTANCE_TYPES)
        changed = int(time.time()) // 3600 * 3600
        rows = []
        for t in types:
            if t not in cat.INSTANCE_TYPES:
                continue
            for z in cat.zones(R.region):
                price = 0.05 + int(cat.hexid("spot", R.region, t, z, n=4), 16) / 65536.0
                rows.append({"AvailabilityZone": z, "InstanceType": t, "ProductDescription": "Linux/UNIX",
                             "SpotPrice": "%.6f" % price, "Timestamp": changed})
        page, token = self._paginate(rows, inp, 1, 1000, "DescribeSpotPriceHistory")
        return {"SpotPriceHistory": page, "NextToken": token}

    def _paginate(self, items, inp, lo, hi, what):
        mr = inp.get("MaxResults")
        start = 0
        if inp.get("NextToken"):
            try:
                d = json.loads(base64.urlsafe_b64decode(inp["NextToken"].encode()).decode())
                if d.get("w") != what:
                    raise ValueError
                start = int(d["o"])
            except Exception:
                raise ApiError("InvalidParameterValue", "Invalid value '%s' for nextToken" % inp["NextToken"])
        if mr is None:
            return items[start:], None
        if mr < lo or mr > hi:
            raise ApiError("InvalidParameterValue",
                           "Value ( %d ) for parameter maxResults is invalid. Expecting a value between %d and %d."
                           % (mr, lo, hi) if mr > hi else
                           "Value ( %d ) for parameter maxResults is invalid. Expecting a value greater than %d."
                           % (mr, lo))
        page = items[start:start + mr]
        token = None
        if start + mr < len(items):
            token = base64.urlsafe_b64encode(json.dumps({"w": what, "o": start + mr, "r": rand_hex(8)}).encode()).decode()
        return page, token

    # ---- key pairs
    def ImportKeyPair(self, R, inp):
        name = inp["KeyName"]
        try:
            material = base64.b64decode(inp["PublicKeyMaterial"], validate=True).decode()
        except Exception:
            raise ApiError("InvalidKey.Format", "Key is not in valid OpenSSH public key format")
        ktype, blob, line = parse_public_key(material)
        if not name or len(name) > 255:
            raise ApiError("InvalidParameterValue", "Invalid value '%s' for keyName" % name)
        if name in R.keypairs:
            raise ApiError("InvalidKeyPair.Duplicate", "The keypair '%s' already exists." % name)
        tags = self._tags_from_spec(inp.get("TagSpecifications"), "key-pair")
        kp = {"KeyPairId": "key-" + rand_hex(), "KeyName": name, "KeyType": ktype,
              "KeyFingerprint": key_fingerprint(ktype, blob), "PublicKey": line, "CreateTime": time.time(),
              "tags": tags}
        R.keypairs[name] = kp
        return {"KeyFingerprint": kp["KeyFingerprint"], "KeyName": name, "KeyPairId": kp["KeyPairId"],
                "Tags": tags_list(tags)}

    def DescribeKeyPairs(self, R, inp):
        kps = list(R.keypairs.values())
        names = inp.get("KeyNames")
        if names:
            missing = [n for n in names if n not in R.keypairs]
            if missing:
                raise ApiError("InvalidKeyPair.NotFound", "The key pair '%s' does not exist" % missing[0])
            kps = [R.keypairs[n] for n in names]
        ids = inp.get("KeyPairIds")
        if ids:
            byid = {k["KeyPairId"]: k for k in R.keypairs.values()}
            missing = [n for n in ids if n not in byid]
            if missing:
                raise ApiError("InvalidKeyPair.NotFound", "The key pair '%s' does not exist" % missing[0])
            kps = [k for k in kps if k["KeyPairId"] in ids]
        kps = apply_filters(kps, inp.get("Filters"), {
            "key-name": lambda k: [k["KeyName"]], "key-pair-id": lambda k: [k["KeyPairId"]],
            "fingerprint": lambda k: [k["KeyFingerprint"]], "key-type": lambda k: [k["KeyType"]]},
            tags_of=lambda k: k["tags"])
        out = []
        for k in kps:
            o = {"KeyPairId": k["KeyPairId"], "KeyFingerprint": k["KeyFingerprint"], "KeyName": k["KeyName"],
                 "KeyType": k["KeyType"], "Tags": tags_list(k["tags"]) or [], "CreateTime": k["CreateTime"]}
            if inp.get("IncludePublicKey"):
                o["PublicKey"] = k["PublicKey"]
            out.append(o)
        return {"KeyPairs": out}

    def DeleteKeyPair(self, R, inp):
        if inp.get("KeyName"):
            R.keypairs.pop(inp["KeyName"], None)     # like EC2: deleting a missing key succeeds
        elif inp.get("KeyPairId"):
            check_id("key", inp["KeyPairId"], "InvalidKeyPairId")
            for n, k in list(R.keypairs.items()):
                if k["KeyPairId"] == inp["KeyPairId"]:
                    del R.keypairs[n]
        else:
            raise ApiError("MissingParameter", "The request must contain the parameter KeyName or KeyPairId")
        return None

    # ---- security groups
    def _tags_from_spec(self, specs, rtype):
        tags = {}
        for s in specs or []:
            rt = s.get("ResourceType")
            if rt is None:
                raise ApiError("InvalidParameterValue", "Tag specification resource type must have a value")
            if rt == rtype:
                for t in s.get("Tags") or []:
                    if "Key" not in t:
                        raise ApiError("InvalidParameterValue", "Tag key must be specified")
                    tags[t["Key"]] = t.get("Value", "")
        return tags

    def CreateSecurityGroup(self, R, inp):
        name = inp["GroupName"]
        if name.startswith("sg-"):
            raise ApiError("InvalidParameterValue", "Group names may not be in the format sg-*")
        if inp.get("VpcId") and inp["VpcId"] != R.vpc_id:
            raise ApiError("InvalidVpcID.NotFound", "The vpc ID '%s' does not exist" % inp["VpcId"])
        if any(g["GroupName"] == name for g in R.groups.values()):
            raise ApiError("InvalidGroup.Duplicate",
                           "The security group '%s' already exists for VPC '%s'" % (name, R.vpc_id))
        gid = "sg-" + rand_hex()
        tags = self._tags_from_spec(inp.get("TagSpecifications"), "security-group")
        R.groups[gid] = {"GroupId": gid, "GroupName": name, "Description": inp["Description"],
                         "VpcId": R.vpc_id, "OwnerId": self.account, "rules": [], "tags": tags}
        return {"GroupId": gid, "Tags": tags_list(tags)}

    def _perms_out(self, g):
        grouped = {}
        for r in g["rules"]:
            k = (r["proto"], r["from"], r["to"])
            grouped.setdefault(k, []).append(r)
        out = []
        for (proto, lo, hi), rs in grouped.items():
            p = {"IpProtocol": proto, "IpRanges": [dict({"CidrIp": r["cidr"]}, **({"Description": r["desc"]}
                                                                                   if r["desc"] else {}))
                                                   for r in rs],
                 "Ipv6Ranges": [], "PrefixListIds": [], "UserIdGroupPairs": []}
            if proto != "-1":
                p["FromPort"] = lo
                p["ToPort"] = hi
            out.append(p)
        return out

    def _group_out(self, g):
        default_group = g["GroupName"] == "default"
        return {"Description": g["Description"], "GroupName": g["GroupName"],
                "IpPermissions": self._perms_out(g) if not default_group or g["rules"] else [
                    {"IpProtocol": "-1", "IpRanges": [], "Ipv6Ranges": [], "PrefixListIds": [],
                     "UserIdGroupPairs": [{"GroupId": g["GroupId"], "UserId": self.account}]}],
                "OwnerId": g["OwnerId"], "GroupId": g["GroupId"],
                "IpPermissionsEgress": [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
                                         "Ipv6Ranges": [], "PrefixListIds": [], "UserIdGroupPairs": []}],
                "Tags": tags_list(g["tags"]), "VpcId": g["VpcId"]}

    def DescribeSecurityGroups(self, R, inp):
        gs = list(R.groups.values())
        if inp.get("GroupIds"):
            gs = [self.group_by_id(R, x) for x in inp["GroupIds"]]
        if inp.get("GroupNames"):
            names = inp["GroupNames"]
            gs = [self.group_by_name(R, n) for n in names]
        gs = apply_filters(gs, inp.get("Filters"), {
            "group-name": lambda g: [g["GroupName"]], "group-id": lambda g: [g["GroupId"]],
            "vpc-id": lambda g: [g["VpcId"]], "description": lambda g: [g["Description"]],
            "owner-id": lambda g: [g["OwnerId"]],
            "ip-permission.cidr": lambda g: [r["cidr"] for r in g["rules"]],
            "ip-permission.protocol": lambda g: [r["proto"] for r in g["rules"]],
            "ip-permission.from-port": lambda g: [r["from"] for r in g["rules"]],
            "ip-permission.to-port": lambda g: [r["to"] for r in g["rules"]]},
            tags_of=lambda g: g["tags"])
        page, token = self._paginate(gs, inp, 5, 1000, "DescribeSecurityGroups")
        return {"SecurityGroups": [self._group_out(g) for g in page], "NextToken": token}

    def _rules_from_input(self, inp):
        perms = list(inp.get("IpPermissions") or [])
        if inp.get("IpProtocol") is not None or inp.get("CidrIp") is not None:
            p = {"IpProtocol": inp.get("IpProtocol"), "FromPort": inp.get("FromPort"), "ToPort": inp.get("ToPort"),
                 "IpRanges": [{"CidrIp": inp.get("CidrIp")}] if inp.get("CidrIp") else []}
            perms.append(p)
        if not perms:
            raise ApiError("MissingParameter", "No permissions specified")
        rules = []
        for p in perms:
            if not p.get("IpProtocol"):
                raise ApiError("MissingParameter", "The request must contain the parameter ipProtocol")
            proto = normalize_protocol(p["IpProtocol"])
            if proto not in ("tcp", "udp", "icmp", "-1"):
                raise ApiError("InvalidParameterValue", "Invalid value '%s' for IP protocol. Unknown protocol."
                               % p["IpProtocol"])
            lo, hi = p.get("FromPort"), p.get("ToPort")
            if proto in ("tcp", "udp"):
                if lo is None or hi is None:
                    raise ApiError("InvalidParameterValue", "Invalid value 'Must specify both from and to ports "
                                   "with TCP/UDP.' for portRange.")
                if not (0 <= lo <= 65535 and 0 <= hi <= 65535) or lo > hi:
                    raise ApiError("InvalidParameterValue", "Invalid value '%s-%s' for portRange." % (lo, hi))
            elif proto == "-1":
                lo, hi = -1, -1
            else:
                lo = -1 if lo is None else lo
                hi = -1 if hi is None else hi
            if p.get("UserIdGroupPairs") or p.get("PrefixListIds") or p.get("Ipv6Ranges"):
                raise ApiError("InvalidParameterValue", "The sandbox cloud supports only IpRanges (IPv4 CIDR) rules")
            ranges = p.get("IpRanges") or []
            if not ranges:
                raise ApiError("MissingParameter", "The request must contain the parameter ipRanges")
            for rg in ranges:
                cidr = rg.get("CidrIp")
                try:
                    if not cidr or "/" not in cidr:
                        raise ValueError
                    ipaddress.ip_network(cidr, strict=False)
                except ValueError:
                    raise ApiError("InvalidParameterValue", "CIDR block %s is malformed" % cidr)
                rules.append({"proto": proto, "from": lo, "to": hi, "cidr": cidr, "desc": rg.get("Description"),
                              "id": "sgr-" + rand_hex()})
        return rules

    @staticmethod
    def _rule_desc(r):
        if r["proto"] == "-1":
            return "peer: %s, ALL, ALLOW" % r["cidr"]
        return "peer: %s, %s, from port: %s, to port: %s, ALLOW" % (r["cidr"], r["proto"].upper(), r["from"], r["to"])

    def _refresh_firewalls(self, R, gid):
        jobs = [(i, self.fw_rules(R, i)) for i in R.instances.values()
                if gid in i.sg_ids and i.state in ("pending", "running")]

        def apply():
            for i, rules in jobs:
                with i.oplock:
                    try:
                        i.host.apply_firewall(rules)
                    except Exception as e:
                        log("firewall update of %s failed: %s" % (i.id, e))
        return apply

    def AuthorizeSecurityGroupIngress(self, R, inp):
        g = self.resolve_group(R, inp)
        rules = self._rules_from_input(inp)
        have = {(r["proto"], r["from"], r["to"], r["cidr"]) for r in g["rules"]}
        seen = set()
        for r in rules:
            k = (r["proto"], r["from"], r["to"], r["cidr"])
            if k in have or k in seen:
                raise ApiError("InvalidPermission.Duplicate",
                               'the specified rule "%s" already exists' % self._rule_desc(r))
            seen.add(k)
        g["rules"].extend(rules)
        self.after_response = self._refresh_firewalls(R, g["GroupId"])
        out = []
        for r in rules:
            o = {"SecurityGroupRuleId": r["id"], "GroupId": g["GroupId"], "GroupOwnerId": self.account,
                 "IsEgress": False, "IpProtocol": r["proto"], "FromPort": r["from"], "ToPort": r["to"],
                 "CidrIpv4": r["cidr"]}
            if r["desc"]:
                o["Description"] = r["desc"]
            out.append(o)
        return {"Return": True, "SecurityGroupRules": out}

    def RevokeSecurityGroupIngress(self, R, inp):
        g = self.resolve_group(R, inp)
        rules = self._rules_from_input(inp)
        keys = {(r["proto"], r["from"], r["to"], r["cidr"]) for r in rules}
        have = {(r["proto"], r["from"], r["to"], r["cidr"]) for r in g["rules"]}
        if not keys <= have:
            raise ApiError("InvalidPermission.NotFound",
                           "The specified rule does not exist in this security group.")
        g["rules"] = [r for r in g["rules"] if (r["proto"], r["from"], r["to"], r["cidr"]) not in keys]
        self.after_response = self._refresh_firewalls(R, g["GroupId"])
        return {"Return": True}

    def DeleteSecurityGroup(self, R, inp):
        g = self.resolve_group(R, inp)
        if g["GroupName"] == "default":
            raise ApiError("CannotDelete", 'the specified group: "%s" name: "default" cannot be deleted by a user'
                           % g["GroupId"])
        for i in R.instances.values():
            if g["GroupId"] in i.sg_ids and i.state != "terminated":
                raise ApiError("DependencyViolation", "resource %s has a dependent object" % g["GroupId"])
        del R.groups[g["GroupId"]]
        return None

    # ---- instances
    def RunInstances(self, R, inp):
        if not inp.get("ImageId"):
            raise ApiError("MissingParameter", "The request must contain the parameter ImageId")
        if not inp.get("InstanceType"):
            raise ApiError("MissingParameter", "The request must contain the parameter InstanceType")
        token = inp.get("ClientToken")
        fp = json.dumps({k: v for k, v in inp.items() if k not in ("ClientToken", "DryRun")}, sort_keys=True)
        if token:
            if len(token) > 64:
                raise ApiError("InvalidParameterValue", "Value (%s) for parameter clientToken is invalid. "
                               "Length exceeds maximum of 64" % token)
            if token in R.tokens:
                rid, fp0 = R.tokens[token]
                if fp0 != fp:
                    raise ApiError("IdempotentParameterMismatch", "Arguments on this idempotent request are "
                                   "inconsistent with arguments used in previous request(s).")
                return self.reservation_out(R, rid, [R.instances[x] for x in R.reservations[rid]])
        ami = inp["ImageId"]
        if not ID_RE["ami"].match(ami):
            raise ApiError("InvalidAMIID.Malformed", 'Invalid id: "%s" (expecting "ami-...")' % ami)
        image = R.images.get(ami)
        if image is None:
            raise ApiError("InvalidAMIID.NotFound", "The image id '[%s]' does not exist" % ami)
        if image["State"] != "available":
            raise ApiError("InvalidAMIID.Unavailable", "AMI '%s' is %s, and cannot be run" % (ami, image["State"]))
        itype = inp["InstanceType"]
        if itype not in cat.INSTANCE_TYPES:
            raise ApiError("InvalidParameterValue", "Invalid value '%s' for InstanceType." % itype)
        if image["Architecture"] != "x86_64":
            raise ApiError("InvalidParameterValue",
                           "The architecture 'x86_64' of the specified instance type does not match the "
                           "architecture '%s' of the specified AMI. Specify an instance type and an AMI that have "
                           "matching architectures, and try again. You can use 'describe-instance-types' or "
                           "'describe-images' to discover the architecture of the instance type or AMI."
                           % image["Architecture"])
        mn, mx = inp["MinCount"], inp["MaxCount"]
        if mn < 1:
            raise ApiError("InvalidParameterValue", "Invalid value '%d' for minCount. Must be greater than 0." % mn)
        if mx < mn:
            raise ApiError("InvalidParameterValue", "Invalid value '%d' for maxCount. Must be greater than or "
                           "equal to minCount." % mx)
        az = (inp.get("Placement") or {}).get("AvailabilityZone") or (R.region + "a")
        if az not in cat.zones(R.region):
            raise ApiError("InvalidParameterValue", "Invalid availability zone: [%s]" % az)
        key_name = inp.get("KeyName")
        key = None
        if key_name:
            key = R.keypairs.get(key_name)
            if key is None:
                raise ApiError("InvalidKeyPair.NotFound", "The key pair '%s' does not exist" % key_name)
        sg_ids = []
        for gid in inp.get("SecurityGroupIds") or []:
            check_id("sg", gid, "InvalidGroupId")
            if gid not in R.groups:
                raise ApiError("InvalidGroup.NotFound",
                               "The security group '%s' does not exist in VPC '%s'" % (gid, R.vpc_id))
            sg_ids.append(gid)
        for name in inp.get("SecurityGroups") or []:
            g = [g for g in R.groups.values() if g["GroupName"] == name]
            if not g:
                raise ApiError("InvalidGroup.NotFound",
                               "The security group '%s' does not exist in VPC '%s'" % (name, R.vpc_id))
            sg_ids.append(g[0]["GroupId"])
        if not sg_ids:
            sg_ids = [gid for gid, g in R.groups.items() if g["GroupName"] == "default"]
        sg_ids = list(dict.fromkeys(sg_ids))
        volumes = [{"device": image["RootDeviceName"], "size": image["RootSnapshotSize"], "dot": True}]
        for b in inp.get("BlockDeviceMappings") or []:
            dev = b.get("DeviceName")
            if not dev:
                raise ApiError("InvalidBlockDeviceMapping", "The device name must be specified")
            ebs = b.get("Ebs")
            if ebs is None:
                continue
            size = ebs.get("VolumeSize")
            if dev == image["RootDeviceName"]:
                if size is not None:
                    if size < image["RootSnapshotSize"]:
                        raise ApiError("InvalidBlockDeviceMapping",
                                       "Volume of size %dGB is smaller than snapshot '%s', expect size >= %dGB"
                                       % (size, image["RootSnapshotId"], image["RootSnapshotSize"]))
                    volumes[0]["size"] = size
                if ebs.get("DeleteOnTermination") is not None:
                    volumes[0]["dot"] = ebs["DeleteOnTermination"]
            else:
                if size is None:
                    raise ApiError("InvalidBlockDeviceMapping", "The request must contain the parameter size/snapshotId")
                volumes.append({"device": dev, "size": size, "dot": ebs.get("DeleteOnTermination", True)})
        market = inp.get("InstanceMarketOptions") or {}
        lifecycle = None
        spot_opts = {}
        if market.get("MarketType") == "spot":
            lifecycle = "spot"
            spot_opts = market.get("SpotOptions") or {}
            if spot_opts.get("SpotInstanceType", "one-time") == "one-time" and \
                    spot_opts.get("InstanceInterruptionBehavior", "terminate") != "terminate":
                raise ApiError("InvalidParameterCombination", "The instance interruption behavior must be "
                               "'terminate' for one-time Spot Instance requests.")
        tags = self._tags_from_spec(inp.get("TagSpecifications"), "instance")
        for s in inp.get("TagSpecifications") or []:
            if s.get("ResourceType") not in ("instance", "volume", "network-interface", "spot-instances-request"):
                raise ApiError("InvalidParameterValue", "'%s' is not a valid taggable resource type for this "
                               "operation." % s.get("ResourceType"))
        live = sum(1 for r in self.regions.values() for i in r.instances.values() if i.state != "terminated"
                   and i.state != "stopped")
        if live + mn > MAX_LIVE_INSTANCES:
            raise ApiError("InstanceLimitExceeded", "Your quota allows for %d more running instance(s). You "
                           "requested at least %d." % (max(0, MAX_LIVE_INSTANCES - live), mn))
        count = min(mx, MAX_LIVE_INSTANCES - live)
        f = self.faults.take_zone("RunInstances", R.region, az, itype)
        if f:
            self._raise_fault(f, "RunInstances", R, inp)
        rid = "r-" + rand_hex()
        insts = []
        zi = cat.zones(R.region).index(az)
        for n in range(count):
            iid = "i-" + rand_hex()
            while True:
                pip = "172.31.%d.%d" % (16 * zi + random.randrange(16), random.randrange(1, 255))
                if pip not in R.private_ips:
                    R.private_ips.add(pip)
                    break
            hostname = "ip-" + pip.replace(".", "-")
            dns_suffix = "ec2.internal" if R.region == "us-east-1" else "%s.compute.internal" % R.region
            now = time.time()
            self.seq += 1
            i = Instance(id=iid, region=R.region, reservation_id=rid, image=image, type=itype, az=az,
                         key_name=key_name, sg_ids=list(sg_ids), tags=dict(tags), client_token=token,
                         launch_index=n, private_ip=pip, hostname=hostname, private_dns=hostname + "." + dns_suffix,
                         lifecycle=lifecycle, spot_request_id=("sir-" + rand_hex(8)) if lifecycle else None,
                         spot_opts=spot_opts,
                         shutdown_behavior=inp.get("InstanceInitiatedShutdownBehavior", "stop"),
                         disable_api_termination=bool(inp.get("DisableApiTermination")),
                         volumes=[dict(v, volume_id="vol-" + rand_hex()) for v in volumes],
                         created=now, launch_time=now, state="pending", seq=self.seq, host_keys={},
                         console_mode=sbxconsole.default_mode())
            i.host = sbxhost.Host(self, os.path.join(self.state_dir, "instances", iid), hostname, self.uid)
            i.authorized_key = key["PublicKey"] if key else None
            R.instances[iid] = i
            insts.append(i)
        R.reservations[rid] = [i.id for i in insts]
        if token:
            R.tokens[token] = (rid, fp)
        for i in insts:
            i.gen += 1
            gen = i.gen
            i.public_ip = self.net.alloc_ip()
            i.pending_since = time.time()
            i.state_reason = ("pending", "pending")
            rules = self.fw_rules(R, i) if self.nft_enabled else None
            threading.Thread(target=self._provision_and_start, args=(R, i, gen, rules), daemon=True,
                             name="launch-" + i.id).start()
        return self.reservation_out(R, rid, insts)

    def _provision_and_start(self, R, i, gen, rules):
        try:
            with i.oplock:
                if self.shutting_down:
                    return
                with self.spawn_sem:
                    i.host.provision(i.authorized_key)
        except Exception as e:
            log("provisioning %s failed: %s" % (i.id, e))
        self._start_worker(R, i, gen, rules)

    def DescribeInstances(self, R, inp):
        ids = inp.get("InstanceIds")
        if ids and inp.get("MaxResults") is not None:
            raise ApiError("InvalidParameterCombination",
                           "The parameter instancesSet cannot be used with the parameter maxResults")
        insts = self.find_instances(R, ids) if ids else list(R.instances.values())
        insts = apply_filters(insts, inp.get("Filters"), {
            "instance-id": lambda i: [i.id], "instance-state-name": lambda i: [i.state],
            "instance-state-code": lambda i: [STATE_CODES[i.state]], "instance-type": lambda i: [i.type],
            "image-id": lambda i: [i.image["ImageId"]], "key-name": lambda i: [i.key_name],
            "client-token": lambda i: [i.client_token], "availability-zone": lambda i: [i.az],
            "reservation-id": lambda i: [i.reservation_id], "instance-lifecycle": lambda i: [i.lifecycle],
            "ip-address": lambda i: [i.public_ip], "private-ip-address": lambda i: [i.private_ip],
            "private-dns-name": lambda i: [i.private_dns], "vpc-id": lambda i: [R.vpc_id],
            "subnet-id": lambda i: [R.subnets[i.az]], "architecture": lambda i: [i.image["Architecture"]],
            "instance.group-id": lambda i: i.sg_ids, "group-id": lambda i: i.sg_ids,
            "instance.group-name": lambda i: [R.groups[g]["GroupName"] for g in i.sg_ids if g in R.groups],
            "group-name": lambda i: [R.groups[g]["GroupName"] for g in i.sg_ids if g in R.groups],
            "spot-instance-request-id": lambda i: [i.spot_request_id], "launch-index": lambda i: [i.launch_index],
            "network-interface.addresses.association.public-ip": lambda i: [i.public_ip]},
            tags_of=lambda i: i.tags)
        page, token = self._paginate(insts, inp, 5, 1000, "DescribeInstances")
        reservations = []
        for i in page:
            if reservations and reservations[-1][0] == i.reservation_id:
                reservations[-1][1].append(i)
            else:
                reservations.append((i.reservation_id, [i]))
        return {"Reservations": [self.reservation_out(R, rid, l) for rid, l in reservations], "NextToken": token}

    def _change(self, i, prev):
        return {"InstanceId": i.id, "CurrentState": self.state_obj(i.state), "PreviousState": self.state_obj(prev)}

    def StartInstances(self, R, inp):
        insts = self.find_instances(R, inp["InstanceIds"])
        for i in insts:
            if i.state not in ("stopped", "pending", "running"):
                raise ApiError("IncorrectInstanceState",
                               "The instance '%s' is not in a state from which it can be started." % i.id)
        out = []
        for i in insts:
            prev = i.state
            if prev == "stopped":
                self.begin_start(R, i)
            out.append(self._change(i, prev))
        return {"StartingInstances": out}

    def StopInstances(self, R, inp):
        insts = self.find_instances(R, inp["InstanceIds"])
        for i in insts:
            if i.state not in ("running", "stopping", "stopped"):
                raise ApiError("IncorrectInstanceState",
                               "The instance '%s' is not in a state from which it can be stopped." % i.id)
            if i.lifecycle == "spot" and i.state == "running" and not (
                    i.spot_opts.get("SpotInstanceType") == "persistent"
                    and i.spot_opts.get("InstanceInterruptionBehavior") in ("stop", "hibernate")):
                raise ApiError("UnsupportedOperation",
                               "You can't stop the Spot Instance '%s' because it is associated with a one-time "
                               "Spot Instance request. You can only stop Spot Instances associated with persistent "
                               "Spot Instance requests." % i.id)
        out = []
        for i in insts:
            prev = i.state
            if prev == "running":
                self.begin_stop(R, i, "stopped")
            out.append(self._change(i, prev))
        return {"StoppingInstances": out}

    def TerminateInstances(self, R, inp):
        insts = self.find_instances(R, inp["InstanceIds"])
        for i in insts:
            if i.disable_api_termination and i.state != "terminated":
                raise ApiError("OperationNotPermitted", "The instance '%s' may not be terminated. Modify its "
                               "'disableApiTermination' instance attribute and try again." % i.id)
        out = []
        for i in insts:
            prev = i.state
            if prev not in ("terminated", "shutting-down"):
                self.begin_stop(R, i, "terminated")
            out.append(self._change(i, prev))
        return {"TerminatingInstances": out}

    def RebootInstances(self, R, inp):
        insts = self.find_instances(R, inp["InstanceIds"])
        for i in insts:
            if i.state in ("terminated", "shutting-down"):
                raise ApiError("IncorrectInstanceState",
                               "The instance '%s' is not in a state from which it can be rebooted." % i.id)
        for i in insts:
            if i.state == "running":
                self.reboot(R, i)
        return None

    def reboot(self, R, i):
        rules = self.fw_rules(R, i) if self.nft_enabled else None
        gen = i.gen

        def work():
            with i.oplock:
                if i.gen != gen or self.shutting_down:
                    return
                try:
                    i.host.restart_processes(rules)
                    with self.lock:
                        sbxconsole.on_running(i)
                except Exception as e:
                    log("reboot of %s failed: %s" % (i.id, e))
                    i.error = str(e)
        threading.Thread(target=work, daemon=True).start()

    def ModifyInstanceAttribute(self, R, inp):
        return sbxpower.modify_instance_attribute(self, R, inp)

    def DescribeInstanceAttribute(self, R, inp):
        return sbxpower.describe_instance_attribute(self, R, inp)

    def _find_resource_tags(self, R, rid):
        if rid.startswith("i-"):
            return self.find_instances(R, [rid])[0].tags
        if rid.startswith("sg-"):
            return self.group_by_id(R, rid)["tags"]
        if rid.startswith("key-"):
            for k in R.keypairs.values():
                if k["KeyPairId"] == rid:
                    return k["tags"]
            raise ApiError("InvalidKeyPair.NotFound", "The key pair '%s' does not exist" % rid)
        raise ApiError("InvalidID", "The ID '%s' is not valid" % rid)

    def CreateTags(self, R, inp):
        targets = [self._find_resource_tags(R, r) for r in inp["Resources"]]
        for t in inp["Tags"]:
            if "Key" not in t:
                raise ApiError("InvalidParameterValue", "Tag key must be specified")
            if t["Key"].startswith("aws:"):
                raise ApiError("InvalidParameterValue", "Tag keys starting with 'aws:' are reserved for internal use")
        for tags in targets:
            for t in inp["Tags"]:
                tags[t["Key"]] = t.get("Value", "")
            if len(tags) > 50:
                raise ApiError("TagLimitExceeded", "The maximum number of Tags for a resource has been reached.")
        return None

    def DeleteTags(self, R, inp):
        targets = [self._find_resource_tags(R, r) for r in inp["Resources"]]
        for tags in targets:
            for t in inp.get("Tags") or [{"Key": k} for k in list(tags)]:
                if t.get("Key") in tags and (t.get("Value") is None or tags[t["Key"]] == t["Value"]):
                    del tags[t["Key"]]
        return None

    def GetConsoleOutput(self, R, inp):
        return sbxconsole.get_console_output(self, R, inp)

    ACTIONS = ("DescribeRegions DescribeAvailabilityZones DescribeImages DescribeInstanceTypes "
               "DescribeInstanceTypeOfferings ImportKeyPair DescribeKeyPairs DeleteKeyPair CreateSecurityGroup "
               "DescribeSecurityGroups AuthorizeSecurityGroupIngress RevokeSecurityGroupIngress DeleteSecurityGroup "
               "RunInstances DescribeInstances StartInstances StopInstances TerminateInstances RebootInstances "
               "CreateTags DeleteTags GetConsoleOutput DescribeSpotPriceHistory").split() + sbxpower.ACTIONS

    # ------------------------------------------------------------------ faults
    def _raise_fault(self, f, action, R=None, inp=None):
        code = f.get("error")
        status = f.get("status")
        if code is None:
            code = {500: "InternalError", 503: "Unavailable", 401: "AuthFailure", 403: "UnauthorizedOperation"}.get(
                status, "InternalError")
        dstatus, dmsg = ERROR_DEFAULTS.get(code, (400, code))
        msg = f.get("message")
        if msg is None and code == "InsufficientInstanceCapacity" and action == "RunInstances" and inp is not None:
            itype = inp.get("InstanceType", "requested")
            zone = (inp.get("Placement") or {}).get("AvailabilityZone") or (R.region + "a")
            others = [z for z in cat.zones(R.region) if z != zone
                      and z not in self.faults.blocked_zones(R.region, itype)]
            msg = ("We currently do not have sufficient %s capacity in the Availability Zone you requested (%s). "
                   "Our system will be working on provisioning additional capacity. You can currently get %s "
                   "capacity by not specifying an Availability Zone in your request%s."
                   % (itype, zone, itype, (" or choosing " + ", ".join(others)) if others else ""))
        raise ApiError(code, msg or dmsg, status or dstatus)

    # ------------------------------------------------------------------ control API views
    def instance_json(self, i):
        h = i.host
        keys = dict(getattr(i, "host_keys", {}) or {})
        if not keys and i.state != "terminated":
            keys = h.host_public_keys()
        return {"id": i.id, "region": i.region, "state": i.state, "type": i.type, "az": i.az,
                "image_id": i.image["ImageId"], "public_ip": i.public_ip, "private_ip": i.private_ip,
                "hostname": i.hostname, "netns": h.ns, "veth": h.veth, "home_dir": h.home,
                "host_public_keys": keys, "host_key_ed25519": keys.get("ed25519"),
                "known_hosts_line": ("%s %s" % (i.public_ip, " ".join(keys["ed25519"].split()[:2])))
                if i.public_ip and keys.get("ed25519") else None,
                "key_name": i.key_name, "security_groups": list(i.sg_ids), "tags": dict(i.tags),
                "client_token": i.client_token, "lifecycle": i.lifecycle or "on-demand",
                "sshd_pid": h.init_pid, "unshare_pid": h.proc.pid if h.proc else None,
                "link_up": i.link_up, "launch_time": iso(i.launch_time), "error": i.error,
                "reservation_id": i.reservation_id}

    def shutdown(self):
        """Stop every host, remove the bridge, then sweep the journal. Idempotent."""
        if getattr(self, "_shut", False):
            return
        self._shut = True
        self.shutting_down = True
        insts = [i for R in self.regions.values() for i in R.instances.values()]

        def stop_one(i):
            got = i.oplock.acquire(timeout=30)
            try:
                i.host.stop()
            except Exception as e:
                log("stopping %s: %s" % (i.id, e))
            finally:
                if got:
                    i.oplock.release()
        with ThreadPoolExecutor(8) as ex:
            list(ex.map(stop_one, insts))
        try:
            if self.net.x is not None or sbxhost.link_exists(self.net.bridge):
                self.net.destroy()
        except Exception as e:
            log("removing bridge: %s" % e)
        import cleanup
        left = cleanup.sweep(self.state_dir, quiet=True)
        if left:
            log("could not remove: %s" % left)
        else:
            self.journal.remove()


# ====================================================================== HTTP
class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    cloud = None  # set at startup

    def version_string(self):
        return "AmazonEC2"

    def log_message(self, fmt, *args):
        if os.environ.get("SANDBOX_VERBOSE"):
            log("%s %s" % (self.address_string(), fmt % args))

    def setup(self):
        super().setup()
        try:
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass

    def _read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                line = self.rfile.readline().strip()
                n = int(line.split(b";")[0], 16)
                if n == 0:
                    while self.rfile.readline().strip():
                        pass
                    break
                chunks.append(self.rfile.read(n))
                self.rfile.readline()
            return b"".join(chunks)
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def _send(self, status, body, ctype="text/xml;charset=UTF-8", rid=None):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        if rid:
            self.send_header("x-amzn-RequestId", rid)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_GET(self):
        self._dispatch()

    def do_POST(self):
        self._dispatch()

    def do_DELETE(self):
        self._dispatch()

    def do_PUT(self):
        self._dispatch()

    def _dispatch(self):
        try:
            body = self._read_body()
        except Exception:
            self.close_connection = True
            return
        if self.path.startswith("/_sandbox/") or self.path == "/_sandbox":
            if getattr(self.server, "instance_side", False):  # instances never steer the sandbox
                return self._send(403, b"forbidden\n", ctype="text/plain")
            return self._control(body)
        return self._ec2(body)

    # ------------------------------------------------------------------ EC2
    def _ec2(self, body):
        c = self.cloud
        t_start = time.time()
        rid = str(uuid.uuid4())
        path, query = sbxauth.split_path(self.path)
        qpairs = parse_qsl(query, keep_blank_values=True)
        # a presigned call's X-Amz-* query parameters are its signature, not the action's
        params = {k: v for k, v in qpairs if not k.startswith("X-Amz-")}
        ctype = self.headers.get("Content-Type", "")
        signed_body = body
        if self.command == "POST" and body and ("x-www-form-urlencoded" in ctype or not ctype):
            try:
                pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True)
                params.update(pairs)
                # As EC2-compatible servers that check the signature over the parameters they
                # parsed, encoded again the way the AWS SDKs encode them (urlencode: a space as
                # '+'): a body in any other encoding no longer matches its signature.
                signed_body = urlencode(pairs).encode()
            except UnicodeDecodeError:
                pass
        action = params.get("Action")
        region = None
        status, code = 200, None
        after = None
        reply = garbage = None
        try:
            try:
                presigned = "Authorization" not in self.headers and "X-Amz-Signature" in dict(qpairs)
                check = sbxauth.verify_presigned if presigned else sbxauth.verify
                _, region = check(self.command, path, qpairs, self.headers.items(), signed_body, c.keys,
                                  cat.REGIONS, c.session_token)
            except ApiError as e:
                if region is None:
                    m = re.search(r"Credential=[^/]*/[^/]*/([^/,]*)/", self.headers.get("Authorization", ""))
                    region = m.group(1) if m else None
                raise e
            if not action:
                raise ApiError("MissingAction", "The request must contain the parameter Action")
            f = c.faults.take(action, region)
            if f:
                if f.get("delay_s"):
                    time.sleep(float(f["delay_s"]))
                if f.get("garbage"):
                    status, code = 200, "garbage"
                    garbage = f["garbage"]
                    raise _Garbage()
                if f.get("error") or f.get("status"):
                    R = c.rs(region)
                    inp = None
                    if action == "RunInstances":
                        try:
                            inp = c.model.parse(action, params)
                        except ApiError:
                            inp = None
                    c._raise_fault(f, action, R, inp)
            if action not in Cloud.ACTIONS:
                if action in c.model.operations:
                    raise ApiError("UnsupportedOperation", "The sandbox cloud does not implement %s." % action)
                raise ApiError("InvalidAction", "The action %s is not valid for this web service." % action)
            inp = c.model.parse(action, params)
            with c.lock:
                c.after_response = None
                data = getattr(c, action)(c.rs(region), inp)
                after = c.after_response
                c.after_response = None
                if inp.get("DryRun"):
                    raise ApiError("DryRunOperation", "Request would have succeeded, but DryRun flag is set.", 412)
                out = c.model.serialize(action, data, rid)
            if after:
                after()
            reply = out
        except _Garbage:
            pass
        except ApiError as e:
            status, code = e.status, e.code
            reply = error_xml(e.code, e.message, rid)
        except Exception as e:
            log("internal error on %s: %s\n%s" % (action, e, traceback.format_exc()))
            status, code = 500, "InternalError"
            reply = error_xml("InternalError", "An internal error has occurred", rid)
        # The call is logged before its reply leaves, so a client that reads /_sandbox/calls right
        # after a reply always finds its own call there.
        with c.calls_lock:
            c.calls.append({"action": action, "region": region, "status": status, "error_code": code,
                            "time": t_start, "ms": round((time.time() - t_start) * 1000, 2),
                            "request_id": rid})
            if len(c.calls) > 200000:
                del c.calls[:100000]
        if garbage:
            self._garbage(garbage, action, rid)
        else:
            self._send(status, reply, rid=rid)

    def _garbage(self, kind, action, rid):
        if kind == "disconnect":
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        if kind == "html":
            self._send(200, b"<html><head><title>502 Bad Gateway</title></head><body>bad gateway</body></html>",
                       ctype="text/html")
            return
        body = ('<?xml version="1.0" encoding="UTF-8"?>\n<%sResponse xmlns="http://ec2.amazonaws.com/doc/'
                '2016-11-15/">\n    <requestId>%s</requestId>\n    <reservationSet>\n        <item>\n'
                '            <reservationId>r-0' % (action, rid)).encode()
        self._send(200, body, rid=rid)

    # ------------------------------------------------------------------ control API
    def _json(self, status, obj):
        self._send(status, (json.dumps(obj, indent=1) + "\n").encode(), ctype="application/json")

    def _control(self, body):
        c = self.cloud
        path = self.path.split("?", 1)[0].rstrip("/")
        parts = path.split("/")[2:]
        m = self.command
        try:
            data = json.loads(body.decode() or "null") if body else None
        except ValueError:
            return self._json(400, {"error": "body is not JSON"})
        try:
            if parts == ["info"] and m == "GET":
                return self._json(200, {"endpoint": c.endpoint,
                                        "instance_endpoint": getattr(c, "instance_endpoint", None),
                                        "caller_cidr": c.net.gateway + "/32",
                                        "bridge_address": c.net.gateway, "bridge": c.net.bridge,
                                        "subnet": "169.254.%d.0/24" % c.net.x, "regions": cat.REGIONS,
                                        "security_groups_enforced": c.nft_enabled,
                                        "access_key_id": list(c.keys)[0], "account_id": c.account,
                                        "delay_scale": c.scale, "state_dir": c.state_dir, "pid": os.getpid(),
                                        "ubuntu_uid": c.uid})
            if parts == ["instances"] and m == "GET":
                with c.lock:
                    out = [c.instance_json(i) for R in c.regions.values() for i in R.instances.values()]
                out.sort(key=lambda x: x["launch_time"])
                return self._json(200, out)
            if len(parts) >= 2 and parts[0] == "instances":
                iid = parts[1]
                with c.lock:
                    hits = [(R, R.instances[iid]) for R in c.regions.values() if iid in R.instances]
                if not hits:
                    return self._json(404, {"error": "no instance %s" % iid})
                R, i = hits[0]
                if len(parts) == 2 and m == "GET":
                    with c.lock:
                        return self._json(200, c.instance_json(i))
                if parts[2:] == ["reboot"] and m == "POST":
                    if i.state != "running":
                        return self._json(409, {"error": "instance is %s" % i.state})
                    c.reboot(R, i)
                    return self._json(200, {"ok": True})
                if parts[2:] == ["console"] and m == "POST":
                    try:
                        sbxconsole.set_instance_mode(i, (data or {}).get("mode", "real"))
                    except ValueError as e:
                        return self._json(400, {"error": str(e)})
                    return self._json(200, {"ok": True, "mode": i.console_mode})
                if parts[2:] == ["network"] and m == "POST":
                    up = bool((data or {}).get("up", True))
                    with i.oplock:
                        ok = i.host.set_link(up)
                    if not ok:
                        return self._json(409, {"error": "instance has no link (state %s)" % i.state})
                    i.link_up = up
                    return self._json(200, {"ok": True, "up": up})
                if parts[2:] == ["interrupt"] and m == "POST":
                    # spot interruption: the cloud terminates (or stops) the instance itself
                    with c.lock:
                        if i.state not in ("running", "pending"):
                            return self._json(409, {"error": "instance is %s" % i.state})
                        final = "stopped" if i.spot_opts.get("InstanceInterruptionBehavior") == "stop" else "terminated"
                        c.begin_stop(R, i, final)
                        i.state_reason = ("Server.SpotInstanceTermination",
                                          "Server.SpotInstanceTermination: Spot instance termination")
                    return self._json(200, {"ok": True, "final": final})
            if parts == ["calls"]:
                if m == "GET":
                    with c.calls_lock:
                        return self._json(200, list(c.calls))
                if m == "DELETE":
                    with c.calls_lock:
                        c.calls.clear()
                    return self._json(200, {"ok": True})
            if parts == ["faults"]:
                if m == "GET":
                    return self._json(200, c.faults.list())
                if m == "POST":
                    specs = data if isinstance(data, list) else [data]
                    return self._json(200, [c.faults.add(s) for s in specs])
                if m == "DELETE":
                    c.faults.clear()
                    return self._json(200, {"ok": True})
            if parts == ["console"] and m == "POST":
                try:
                    sbxconsole.set_default_mode((data or {}).get("mode", "real"))
                except ValueError as e:
                    return self._json(400, {"error": str(e)})
                return self._json(200, {"ok": True})
            if parts == ["health"]:
                return self._json(200, {"ok": True})
            return self._json(404, {"error": "unknown control path %s %s" % (m, self.path)})
        except Exception as e:
            log("control error: %s\n%s" % (e, traceback.format_exc()))
            return self._json(500, {"error": str(e)})


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


def main():
    ap = argparse.ArgumentParser(description="gpunb sandbox cloud (EC2-compatible)")
    ap.add_argument("--state-dir", required=True)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--delay-scale", type=float, default=1.0)
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("sandboxd must run as root (network namespaces)")
    os.makedirs(args.state_dir, exist_ok=True)
    import fcntl
    lockf = open(os.path.join(args.state_dir, "sandboxd.lock"), "w")
    try:
        fcntl.flock(lockf, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        sys.exit("another sandboxd is running with state dir %s" % args.state_dir)
    lockf.write(str(os.getpid()))
    lockf.flush()
    # a previous sandbox with this state dir may have crashed: sweep what it recorded
    import cleanup
    cleanup.sweep(os.path.abspath(args.state_dir), quiet=True)

    cloud = Cloud(args)
    stop = threading.Event()
    done = []

    def finish():
        if done:
            return
        done.append(1)
        try:
            cloud.shutdown()
        except Exception as e:
            log("shutdown error: %s" % e)

    atexit.register(finish)
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, lambda *_: stop.set())
    httpd = None
    servers = []
    try:
        Handler.cloud = cloud
        httpd = Server(("127.0.0.1", args.port), Handler)
        cloud.net.create()
        port = httpd.server_address[1]
        cloud.endpoint = "http://127.0.0.1:%d" % port
        with open(os.path.join(cloud.state_dir, "endpoint.tmp"), "w") as f:
            f.write(cloud.endpoint)
        os.replace(os.path.join(cloud.state_dir, "endpoint.tmp"), os.path.join(cloud.state_dir, "endpoint"))
        t = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
        t.start()
        # The EC2 endpoint as instances reach it (the bridge's address): what a machine calls with
        # the presigned URLs gpunb gives it. The control API is not served there.
        inside = Server((cloud.net.gateway, 0), Handler)
        inside.instance_side = True
        cloud.instance_endpoint = "http://%s:%d" % (cloud.net.gateway, inside.server_address[1])
        servers.append(inside)
        threading.Thread(target=inside.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True).start()
        sbxpower.start(cloud, stop, log)  # shutdown/reboot asked for from inside an instance
        sys.stdout.write("READY %s\n" % cloud.endpoint)
        sys.stdout.flush()
        log("serving %s, bridge %s %s/24, state %s" % (cloud.endpoint, cloud.net.bridge, cloud.net.gateway,
                                                         cloud.state_dir))
        while not stop.wait(1.0):
            pass
        log("signal received, cleaning up")
    finally:
        for server in ([httpd] if httpd is not None else []) + servers:
            try:
                server.shutdown()
                server.server_close()
            except Exception:
                pass
        finish()
    return 0


if __name__ == "__main__":
    sys.exit(main())
