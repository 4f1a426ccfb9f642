"""Tests of the sandbox cloud (sandbox/sandboxd.py).

Run as root: /usr/bin/python3 -m unittest discover -s tests/sandbox -v
"""
import base64
import datetime
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.request
import warnings

import botocore.session
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SANDBOXD = os.path.join(ROOT, "sandbox", "sandboxd.py")
CLEANUP = os.path.join(ROOT, "sandbox", "cleanup.py")
PY = "/usr/bin/python3"
AWS = "/usr/bin/aws"
AKID = "AKIDTESTSANDBOX0001"
SECRET = "test/secret/key/for/the/sandbox/0000000"
REGION = "us-east-1"
SCALE = 0.3


def wait_for(cond, timeout, what, interval=0.05):
    end = time.time() + timeout
    last = None
    while time.time() < end:
        last = cond()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError("timed out after %.1fs waiting for %s (last: %r)" % (timeout, what, last))


class Sandbox:
    def __init__(self, scale=SCALE):
        self.dir = tempfile.mkdtemp(prefix="sbx-test-")
        self.state = os.path.join(self.dir, "state")
        env = dict(os.environ, SANDBOX_ACCESS_KEY_ID=AKID, SANDBOX_SECRET_ACCESS_KEY=SECRET)
        self.errlog = open(os.path.join(self.dir, "sandboxd.err"), "w")
        t0 = time.time()
        self.proc = subprocess.Popen([PY, SANDBOXD, "--state-dir", self.state, "--port", "0",
                                      "--delay-scale", str(scale)],
                                     stdout=subprocess.PIPE, stderr=self.errlog, text=True, env=env)
        line = [None]

        def reader():
            line[0] = self.proc.stdout.readline()
        t = threading.Thread(target=reader, daemon=True)
        t.start()
        t.join(10)
        self.startup_s = time.time() - t0
        if not line[0] or not line[0].startswith("READY "):
            self.proc.kill()
            raise RuntimeError("sandbox did not start: %r" % line[0])
        self.ready_line = line[0]
        self.endpoint = line[0].split()[1]
        self.info = self.get("/_sandbox/info")

    def get(self, path):
        with urllib.request.urlopen(self.endpoint + path, timeout=10) as r:
            return json.loads(r.read())

    def call(self, method, path, data=None):
        req = urllib.request.Request(self.endpoint + path, method=method,
                                     data=json.dumps(data).encode() if data is not None else None,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read())

    def instance(self, iid):
        return self.get("/_sandbox/instances/" + iid)

    def client(self, secret=SECRET, akid=AKID, region=REGION, retries=1):
        s = botocore.session.get_session()
        return s.create_client("ec2", region_name=region, endpoint_url=self.endpoint,
                               aws_access_key_id=akid, aws_secret_access_key=secret,
                               config=Config(retries={"total_max_attempts": retries, "mode": "standard"}))

    def aws(self, *args, region=REGION, check=True):
        env = dict(os.environ, AWS_ACCESS_KEY_ID=AKID, AWS_SECRET_ACCESS_KEY=SECRET, AWS_PAGER="",
                   AWS_DEFAULT_OUTPUT="json", AWS_CONFIG_FILE="/dev/null", AWS_SHARED_CREDENTIALS_FILE="/dev/null")
        env.pop("AWS_PROFILE", None)
        p = subprocess.run([AWS, "--endpoint-url", self.endpoint, "--region", region, "ec2"] + list(args),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, timeout=60)
        if check and p.returncode != 0:
            raise AssertionError("aws %s failed (%d): %s" % (" ".join(args), p.returncode, p.stderr))
        if check:
            return json.loads(p.stdout) if p.stdout.strip() else {}
        return p

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.errlog.close()
        return self.proc.returncode


def proc_alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except OSError:
        return False


def sshd_leftovers(sb_info, instances):
    """What a stopped sandbox left: namespaces, links, live processes."""
    left = []
    token = sb_info["bridge"][3:]
    ns = subprocess.run(["ip", "netns", "list"], stdout=subprocess.PIPE, text=True).stdout
    left += [l for l in ns.splitlines() if ("gpunb-sb-%s-" % token) in l]
    links = subprocess.run(["ip", "-o", "link"], stdout=subprocess.PIPE, text=True).stdout
    left += [l.split(":")[1].strip() for l in links.splitlines()
             if l.split(":")[1].strip().split("@")[0] in (sb_info["bridge"],) or ("sv" + token) in l]
    for i in instances:
        for pid in (i.get("sshd_pid"), i.get("unshare_pid")):
            if pid and proc_alive(pid):
                left.append("pid %d" % pid)
    return left


class SandboxTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        warnings.simplefilter("ignore", ResourceWarning)
        if os.geteuid() != 0:
            raise unittest.SkipTest("needs root (network namespaces)")
        cls.sb = Sandbox()
        cls.ec2 = cls.sb.client()
        cls.tmp = cls.sb.dir
        cls.keyfile = os.path.join(cls.tmp, "id_ed25519")
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "test", "-f", cls.keyfile], check=True)
        with open(cls.keyfile + ".pub") as f:
            cls.pubkey = f.read()
        cls.ec2.import_key_pair(KeyName="testkey", PublicKeyMaterial=cls.pubkey.encode())
        cls.sg = cls.ec2.create_security_group(GroupName="ssh-from-caller", Description="ssh")["GroupId"]
        cls.ec2.authorize_security_group_ingress(GroupId=cls.sg, IpPermissions=[{
            "IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": cls.sb.info["caller_cidr"]}]}])
        cls.ami = cls.ec2.describe_images(Owners=["amazon"], Filters=[
            {"Name": "name", "Values": ["Deep Learning OSS Nvidia Driver AMI GPU PyTorch 2.3.1 (Ubuntu 22.04)*"]},
            {"Name": "state", "Values": ["available"]}])["Images"][0]["ImageId"]

    @classmethod
    def tearDownClass(cls):
        insts = cls.sb.get("/_sandbox/instances")
        rc = cls.sb.stop()
        left = sshd_leftovers(cls.sb.info, insts)
        shutil.rmtree(cls.tmp, ignore_errors=True)
        assert rc == 0, "sandboxd exit code %s" % rc
        assert not left, "left behind: %s" % left

    # ---------------------------------------------------------------- helpers
    def launch(self, n=1, **kw):
        args = dict(ImageId=self.ami, InstanceType="g5.xlarge", MinCount=n, MaxCount=n, KeyName="testkey",
                    SecurityGroupIds=[self.sg])
        args.update(kw)
        return [i["InstanceId"] for i in self.ec2.run_instances(**args)["Instances"]]

    def state(self, iid):
        r = self.ec2.describe_instances(InstanceIds=[iid])
        return r["Reservations"][0]["Instances"][0]

    def console(self, iid, **kw):  # botocore decodes the base64 Output itself
        return self.ec2.get_console_output(InstanceId=iid, **kw).get("Output", "")

    def wait_state(self, iid, want, timeout=15):
        return wait_for(lambda: self.state(iid)["State"]["Name"] == want and self.state(iid), timeout,
                        "%s to be %s" % (iid, want))

    def ssh(self, iid, cmd, timeout=15, connect_timeout=5):
        info = self.sb.instance(iid)
        kh = os.path.join(self.tmp, "known_hosts_" + iid)
        with open(kh, "w") as f:
            typ, key = info["host_public_keys"]["ed25519"].split()[:2]
            f.write("%s %s %s\n" % (info["public_ip"], typ, key))
        return subprocess.run(
            ["ssh", "-i", self.keyfile, "-o", "StrictHostKeyChecking=yes", "-o", "UserKnownHostsFile=" + kh,
             "-o", "BatchMode=yes", "-o", "ConnectTimeout=%d" % connect_timeout, "-o", "LogLevel=ERROR",
             "ubuntu@" + info["public_ip"], cmd],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=timeout)

    def assertApiError(self, code, fn, *a, status=None, **kw):
        with self.assertRaises(ClientError) as cm:
            fn(*a, **kw)
        self.assertEqual(cm.exception.response["Error"]["Code"], code, cm.exception.response)
        if status is not None:
            self.assertEqual(cm.exception.response["ResponseMetadata"]["HTTPStatusCode"], status)
        return cm.exception

    # ---------------------------------------------------------------- startup
    def test_00_startup(self):
        self.assertLess(self.sb.startup_s, 2.0)
        self.assertRegex(self.sb.ready_line, r"^READY http://127\.0\.0\.1:\d+\n$")
        with open(os.path.join(self.sb.state, "endpoint")) as f:
            self.assertEqual(f.read().strip(), self.sb.endpoint)
        self.assertRegex(self.sb.info["caller_cidr"], r"^169\.254\.\d+\.1/32$")
        self.assertEqual(self.sb.info["bridge_address"] + "/32", self.sb.info["caller_cidr"])
        out = subprocess.run(["ip", "-4", "-o", "addr", "show", "dev", self.sb.info["bridge"]],
                             stdout=subprocess.PIPE, text=True).stdout
        self.assertIn(self.sb.info["bridge_address"] + "/24", out)
        with open(os.path.join(self.tmp, "sandboxd.err")) as f:
            self.assertNotIn(SECRET, f.read())

    # ---------------------------------------------------------------- auth
    def test_auth(self):
        self.assertTrue(self.ec2.describe_regions()["Regions"])
        e = self.assertApiError("AuthFailure", self.sb.client(secret="wrong").describe_regions, status=401)
        self.assertIn("not able to validate", e.response["Error"]["Message"])
        self.assertApiError("AuthFailure", self.sb.client(akid="AKIDUNKNOWN0000000").describe_regions, status=401)
        e = self.assertApiError("AuthFailure", self.sb.client(region="mars-north-1").describe_regions, status=401)
        self.assertEqual(e.response["Error"]["Message"],
                         "Credential should be scoped to a valid region, not 'mars-north-1'.")

    def _signed(self, method, params, secret=SECRET, when=None, tamper=None, token=None, space="%20"):
        url = self.sb.endpoint + "/"
        body = "&".join("%s=%s" % (k, urllib.request.quote(v, safe="-_.~").replace("%20", space))
                        for k, v in params.items())
        if method == "GET":
            req = AWSRequest(method="GET", url=url + "?" + body)
        else:
            req = AWSRequest(method="POST", url=url, data=body.encode(),
                             headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
        auth = SigV4Auth(Credentials(AKID, secret, token), "ec2", REGION)
        when = when or datetime.datetime.utcnow()
        req.context["timestamp"] = when.strftime("%Y%m%dT%H%M%SZ")
        auth._modify_request_before_signing(req)
        sig = auth.signature(auth.string_to_sign(req, auth.canonical_request(req)), req)
        auth._inject_signature_to_request(req, sig)
        data = req.body
        if tamper:
            data = tamper(data)
        r = urllib.request.Request(req.url, data=data if method == "POST" else None, method=method,
                                   headers=dict(req.headers.items()))
        try:
            with urllib.request.urlopen(r, timeout=10) as resp:
                return resp.status, resp.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def test_auth_raw_requests(self):
        p = {"Action": "DescribeRegions", "Version": "2016-11-15", "RegionName.1": "us-west-2"}
        st, body = self._signed("POST", p)
        self.assertEqual(st, 200, body)
        self.assertIn("<regionName>us-west-2</regionName>", body)
        self.assertIn('xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"', body)
        st, body = self._signed("GET", p)
        self.assertEqual(st, 200, body)
        # body changed after signing
        st, body = self._signed("POST", p, tamper=lambda b: b.replace(b"us-west-2", b"us-east-2"))
        self.assertEqual(st, 401, body)
        self.assertIn("<Code>AuthFailure</Code>", body)
        self.assertRegex(body, r"^<\?xml version=\"1.0\" encoding=\"UTF-8\"\?>\s*<Response><Errors><Error>"
                               r"<Code>AuthFailure</Code><Message>[^<]+</Message></Error></Errors>"
                               r"<RequestID>[0-9a-f-]{36}</RequestID></Response>$")
        # signature valid but 10 minutes old
        st, body = self._signed("POST", p, when=datetime.datetime.utcnow() - datetime.timedelta(minutes=10))
        self.assertEqual(st, 400, body)
        self.assertIn("<Code>RequestExpired</Code>", body)
        # with a session token (any accepted when SANDBOX_SESSION_TOKEN is not set)
        st, body = self._signed("POST", p, token="FQoGZXIvYXdzEJr//////////")
        self.assertEqual(st, 200, body)
        # unsigned
        r = urllib.request.Request(self.sb.endpoint + "/?Action=DescribeRegions&Version=2016-11-15")
        with self.assertRaises(urllib.error.HTTPError) as cm:
            urllib.request.urlopen(r, timeout=10)
        self.assertEqual(cm.exception.code, 401)
        # unknown action / unknown parameter
        st, body = self._signed("POST", {"Action": "FlyToMoon", "Version": "2016-11-15"})
        self.assertEqual((st, "<Code>InvalidAction</Code>" in body), (400, True), body)
        st, body = self._signed("POST", {"Action": "DescribeInstances", "Version": "2016-11-15",
                                         "InstanceIds.1": "i-0123456789abcdef0"})
        self.assertEqual((st, "<Code>UnknownParameter</Code>" in body), (400, True), body)

    def _presigned(self, params, base=None, expires=600, when=None, payload=None, tamper=None):
        """A presigned GET (query-string SigV4) as EC2 takes it: the hash of the empty body signed,
        unless PAYLOAD says otherwise (S3's "UNSIGNED-PAYLOAD", which EC2 refuses)."""
        import botocore.auth as auth_mod

        class Query(auth_mod.SigV4QueryAuth):
            def payload(self, request):
                return payload or auth_mod.EMPTY_SHA256_HASH
        base = base or self.sb.endpoint
        query = "&".join("%s=%s" % (k, urllib.request.quote(v, safe="-_.~")) for k, v in params.items())
        req = AWSRequest(method="GET", url=base + "/?" + query)
        auth = Query(Credentials(AKID, SECRET), "ec2", REGION, expires=expires)
        when = when or datetime.datetime.utcnow()
        req.context["timestamp"] = when.strftime("%Y%m%dT%H%M%SZ")
        auth._modify_request_before_signing(req)
        sig = auth.signature(auth.string_to_sign(req, auth.canonical_request(req)), req)
        auth._inject_signature_to_request(req, sig)
        url = tamper(req.url) if tamper else req.url
        try:
            with urllib.request.urlopen(urllib.request.Request(url), timeout=10) as resp:
                return resp.status, resp.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def test_presigned_urls_checked_as_strictly_as_ec2(self):
        p = {"Action": "DescribeRegions", "Version": "2016-11-15"}
        st, body = self._presigned(p)
        self.assertEqual(st, 200, body)
        self.assertIn("<DescribeRegionsResponse", body)
        # the instance-side endpoint serves EC2 too, never the control API
        inside = self.sb.info["instance_endpoint"]
        self.assertRegex(inside, r"^http://169\.254\.\d+\.1:\d+$")
        st, body = self._presigned(p, base=inside)
        self.assertEqual(st, 200, body)
        with self.assertRaises(urllib.error.HTTPError) as cm:
            urllib.request.urlopen(inside + "/_sandbox/info", timeout=10)
        self.assertEqual(cm.exception.code, 403)
        # S3's UNSIGNED-PAYLOAD is not what EC2 checks
        st, body = self._presigned(p, payload="UNSIGNED-PAYLOAD")
        self.assertEqual((st, "<Code>AuthFailure</Code>" in body), (401, True), body)
        # a parameter changed after signing
        st, body = self._presigned(p, tamper=lambda u: u.replace("DescribeRegions", "DescribeImages"))
        self.assertEqual(st, 401, body)
        # expired: signed 20 minutes ago for 10
        st, body = self._presigned(p, when=datetime.datetime.utcnow() - datetime.timedelta(minutes=20))
        self.assertEqual((st, "<Code>RequestExpired</Code>" in body), (400, True), body)
        # still valid: signed 6 days ago for 7
        st, body = self._presigned(p, expires=7 * 24 * 3600,
                                   when=datetime.datetime.utcnow() - datetime.timedelta(days=6))
        self.assertEqual(st, 200, body)
        # more than 7 days is refused, as EC2 does
        st, body = self._presigned(p, expires=7 * 24 * 3600 + 1)
        self.assertEqual(st, 401, body)
        # an X-Amz-* parameter missing
        st, body = self._presigned(p, tamper=lambda u: u.replace("&X-Amz-SignedHeaders=host", ""))
        self.assertEqual(st, 401, body)

    def test_auth_signature_covers_the_form_body_as_botocore_encodes_it(self):
        # A server that re-encodes the parameters it parsed checks the signature over that form: a
        # body signed as sent but encoded otherwise (a space as %20, not '+') is refused.
        p = {"Action": "DescribeImages", "Version": "2016-11-15", "Owner.1": "amazon",
             "Filter.1.Name": "name", "Filter.1.Value.1": "Deep Learning AMI * ~/:=+&"}
        st, body = self._signed("POST", p, space="+")
        self.assertEqual(st, 200, body)
        st, body = self._signed("POST", p, space="%20")
        self.assertEqual(st, 401, body)
        self.assertIn("<Code>AuthFailure</Code>", body)

    # ---------------------------------------------------------------- awscli parses every response
    def test_awscli_catalog_actions(self):
        regs = self.sb.aws("describe-regions")["Regions"]
        self.assertEqual({r["RegionName"] for r in regs}, set(self.sb.info["regions"]))
        zs = self.sb.aws("describe-availability-zones", region="eu-west-1")["AvailabilityZones"]
        self.assertEqual([z["ZoneName"] for z in zs], ["eu-west-1a", "eu-west-1b", "eu-west-1c"])
        ims = self.sb.aws("describe-images", "--owners", "amazon", "--filters",
                          "Name=name,Values=Deep Learning OSS Nvidia Driver AMI GPU PyTorch*(Ubuntu 22.04)*",
                          "Name=architecture,Values=x86_64", "Name=state,Values=available")["Images"]
        self.assertGreaterEqual(len(ims), 2)
        self.assertTrue(all(i["State"] == "available" and "Ubuntu 22.04" in i["Name"] for i in ims))
        newest = max(ims, key=lambda i: i["CreationDate"])
        self.assertIn("20240825", newest["Name"])
        al = self.sb.aws("describe-images", "--owners", "amazon", "--filters",
                         "Name=name,Values=*PyTorch*Amazon Linux 2023*")["Images"]
        self.assertTrue(al and all(i["RootDeviceName"] == "/dev/xvda" for i in al))
        self.assertEqual(self.sb.aws("describe-images", "--image-ids", newest["ImageId"])["Images"][0]["Name"],
                         newest["Name"])
        p = self.sb.aws("describe-images", "--image-ids", "ami-0123456789abcdef0", check=False)
        self.assertIn("InvalidAMIID.NotFound", p.stderr)
        p = self.sb.aws("describe-images", "--image-ids", "ami-xyz", check=False)
        self.assertIn("InvalidAMIID.Malformed", p.stderr)
        its = self.sb.aws("describe-instance-types", "--instance-types", "g4dn.xlarge", "g5.xlarge", "g5.2xlarge",
                          "g6.xlarge", "p3.2xlarge", "p4d.24xlarge", "t3.medium", "m5.large")["InstanceTypes"]
        by = {t["InstanceType"]: t for t in its}
        self.assertEqual(len(by), 8)
        self.assertEqual(by["g5.xlarge"]["GpuInfo"]["Gpus"][0]["Name"], "A10G")
        self.assertEqual(by["p4d.24xlarge"]["GpuInfo"]["Gpus"][0]["Count"], 8)
        self.assertEqual(by["p4d.24xlarge"]["GpuInfo"]["TotalGpuMemoryInMiB"], 8 * 40960)
        self.assertEqual(by["g4dn.xlarge"]["GpuInfo"]["Gpus"][0]["Manufacturer"], "NVIDIA")
        self.assertNotIn("GpuInfo", by["t3.medium"])
        self.assertNotIn("GpuInfo", by["m5.large"])
        p = self.sb.aws("describe-instance-types", "--instance-types", "g5.huge", check=False)
        self.assertIn("InvalidInstanceType", p.stderr)
        self.assertApiError("InvalidInstanceType", self.ec2.describe_instance_types, InstanceTypes=["g9.nope"])

    def test_awscli_keypairs_and_groups(self):
        rsa = os.path.join(self.tmp, "id_rsa")
        subprocess.run(["ssh-keygen", "-q", "-t", "rsa", "-b", "2048", "-N", "", "-f", rsa], check=True)
        r = self.sb.aws("import-key-pair", "--key-name", "rsakey", "--public-key-material", "fileb://" + rsa + ".pub")
        self.assertRegex(r["KeyFingerprint"], r"^([0-9a-f]{2}:){15}[0-9a-f]{2}$")
        kps = self.sb.aws("describe-key-pairs", "--key-names", "rsakey", "testkey")["KeyPairs"]
        self.assertEqual({k["KeyType"] for k in kps}, {"rsa", "ed25519"})
        ed = [k for k in kps if k["KeyName"] == "testkey"][0]
        blob = base64.b64decode(self.pubkey.split()[1])
        self.assertEqual(ed["KeyFingerprint"], base64.b64encode(hashlib.sha256(blob).digest()).decode())
        p = self.sb.aws("import-key-pair", "--key-name", "rsakey", "--public-key-material", "fileb://" + rsa + ".pub",
                        check=False)
        self.assertIn("InvalidKeyPair.Duplicate", p.stderr)
        self.sb.aws("delete-key-pair", "--key-name", "rsakey")
        p = self.sb.aws("describe-key-pairs", "--key-names", "rsakey", check=False)
        self.assertIn("InvalidKeyPair.NotFound", p.stderr)
        self.assertApiError("InvalidKey.Format", self.ec2.import_key_pair, KeyName="bad", PublicKeyMaterial=b"nope")

        gid = self.sb.aws("create-security-group", "--group-name", "cli-group", "--description", "x")["GroupId"]
        p = self.sb.aws("create-security-group", "--group-name", "cli-group", "--description", "x", check=False)
        self.assertIn("InvalidGroup.Duplicate", p.stderr)
        r = self.sb.aws("authorize-security-group-ingress", "--group-id", gid, "--ip-permissions",
                        "IpProtocol=tcp,FromPort=8888,ToPort=8890,IpRanges=[{CidrIp=10.0.0.0/8},{CidrIp=1.2.3.4/32}]")
        self.assertTrue(r["Return"])
        p = self.sb.aws("authorize-security-group-ingress", "--group-id", gid, "--protocol", "tcp", "--port",
                        "8888-8890", "--cidr", "1.2.3.4/32", check=False)
        self.assertIn("InvalidPermission.Duplicate", p.stderr)
        g = self.sb.aws("describe-security-groups", "--group-ids", gid)["SecurityGroups"][0]
        self.assertEqual(g["IpPermissions"][0]["FromPort"], 8888)
        self.assertEqual({r["CidrIp"] for r in g["IpPermissions"][0]["IpRanges"]}, {"10.0.0.0/8", "1.2.3.4/32"})
        gs = self.sb.aws("describe-security-groups", "--filters", "Name=group-name,Values=cli-*")["SecurityGroups"]
        self.assertEqual([x["GroupId"] for x in gs], [gid])
        p = self.sb.aws("describe-security-groups", "--group-ids", "sg-0123456789abcdef0", check=False)
        self.assertIn("InvalidGroup.NotFound", p.stderr)
        # in use by a non-terminated instance -> DependencyViolation; fine after termination
        iid = self.launch(SecurityGroupIds=[gid], InstanceType="t3.medium")[0]
        p = self.sb.aws("delete-security-group", "--group-id", gid, check=False)
        self.assertIn("DependencyViolation", p.stderr)
        self.ec2.terminate_instances(InstanceIds=[iid])
        self.wait_state(iid, "terminated")
        self.sb.aws("delete-security-group", "--group-id", gid)

    def test_awscli_instances(self):
        r = self.sb.aws("run-instances", "--image-id", self.ami, "--instance-type", "g5.xlarge", "--count", "2",
                        "--key-name", "testkey", "--security-group-ids", self.sg, "--client-token", "cli-token-1",
                        "--tag-specifications", "ResourceType=instance,Tags=[{Key=gpunb,Value=cli}]",
                        "--block-device-mappings", "DeviceName=/dev/sda1,Ebs={VolumeSize=200}",
                        "--instance-initiated-shutdown-behavior", "terminate")
        ids = [i["InstanceId"] for i in r["Instances"]]
        self.assertEqual([i["State"]["Name"] for i in r["Instances"]], ["pending", "pending"])
        d = self.sb.aws("describe-instances", "--filters", "Name=tag:gpunb,Values=cli",
                        "Name=instance-state-name,Values=pending,running")
        got = [i["InstanceId"] for res in d["Reservations"] for i in res["Instances"]]
        self.assertEqual(sorted(got), sorted(ids))
        for iid in ids:
            self.wait_state(iid, "running")
        self.sb.aws("create-tags", "--resources", ids[0], "--tags", "Key=extra,Value=yes")
        d = self.sb.aws("describe-instances", "--filters", "Name=tag-key,Values=extra")
        self.assertEqual([i["InstanceId"] for res in d["Reservations"] for i in res["Instances"]], [ids[0]])
        d = self.sb.aws("describe-instances", "--filters", "Name=client-token,Values=cli-token-1",
                        "Name=instance-type,Values=g5.*")
        self.assertEqual(len(d["Reservations"][0]["Instances"]), 2)
        co = wait_for(lambda: "(ED25519)" in self.sb.aws("get-console-output", "--instance-id", ids[0],
                                                         "--latest").get("Output", "") and
                      self.sb.aws("get-console-output", "--instance-id", ids[0], "--latest"), 10,
                      "the fingerprints on the latest console output")
        text = co["Output"]
        fp_line = [l for l in text.splitlines() if "(ED25519)" in l][0]
        hk = self.sb.instance(ids[0])["host_public_keys"]["ed25519"]
        blob = base64.b64decode(hk.split()[1])
        self.assertIn("SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("="), fp_line)
        self.assertIn("-----BEGIN SSH HOST KEY KEYS-----", text)
        self.assertIn(" ".join(hk.split()[:2]), text)
        r = self.sb.aws("stop-instances", "--instance-ids", ids[0])
        ch = r["StoppingInstances"][0]
        self.assertEqual((ch["PreviousState"]["Name"], ch["CurrentState"]["Name"]), ("running", "stopping"))
        self.wait_state(ids[0], "stopped")
        r = self.sb.aws("start-instances", "--instance-ids", ids[0])
        self.assertEqual(r["StartingInstances"][0]["CurrentState"], {"Code": 0, "Name": "pending"})
        r = self.sb.aws("terminate-instances", "--instance-ids", *ids)
        self.assertEqual(r["TerminatingInstances"][1]["CurrentState"]["Name"], "shutting-down")
        p = self.sb.aws("describe-instances", "--instance-ids", "i-0123456789abcdef0", check=False)
        self.assertIn("InvalidInstanceID.NotFound", p.stderr)
        p = self.sb.aws("describe-instances", "--instance-ids", "i-zz", check=False)
        self.assertIn("InvalidInstanceID.Malformed", p.stderr)
        for iid in ids:
            self.wait_state(iid, "terminated")
        p = self.sb.aws("start-instances", "--instance-ids", ids[0], check=False)
        self.assertIn("IncorrectInstanceState", p.stderr)

    # ---------------------------------------------------------------- instances
    def test_console_output_comes_late_latest_sooner_fingerprints_once(self):
        def run(itype):
            r = self.ec2.run_instances(ImageId=self.ami, InstanceType=itype, MinCount=1, MaxCount=1,
                                       KeyName="testkey", SecurityGroupIds=[self.sg])
            return r["Instances"][0]["InstanceId"]

        iid = run("g5.xlarge")
        self.wait_state(iid, "running")
        ran = time.time()
        self.assertEqual(self.console(iid), "", "the buffered console output is empty right after running")
        self.assertNotIn("FINGERPRINTS", self.console(iid, Latest=True), "the live console has no fingerprints yet")
        wait_for(lambda: "BEGIN SSH HOST KEY FINGERPRINTS" in self.console(iid, Latest=True), 10, "latest fingerprints")
        latest_s = time.time() - ran
        self.assertEqual(self.console(iid), "", "the buffered copy comes later than the live console")
        wait_for(lambda: "BEGIN SSH HOST KEY FINGERPRINTS" in self.console(iid), 20, "buffered fingerprints")
        self.assertGreater(time.time() - ran, latest_s)
        fp = self.console(iid, Latest=True)
        # a reboot is a new boot: cloud-init prints the fingerprints once per instance
        self.sb.call("POST", "/_sandbox/instances/%s/reboot" % iid)
        wait_for(lambda: "FINGERPRINTS" not in self.console(iid, Latest=True), 10, "a fresh console after reboot")
        # cloud-init's final stage runs on every boot; the block it printed on the first does not come back
        wait_for(lambda: "finished at" in self.console(iid, Latest=True), 20, "the later boot's final stage")
        self.assertNotIn("FINGERPRINTS", self.console(iid, Latest=True))
        self.assertIn("Linux version", self.console(iid, Latest=True))
        self.ec2.terminate_instances(InstanceIds=[iid])
        self.assertIn("ED25519", fp)

        xen = run("p3.2xlarge")
        self.assertApiError("UnsupportedOperation", self.ec2.get_console_output, InstanceId=xen, Latest=True)
        self.ec2.terminate_instances(InstanceIds=[xen])

    def test_console_modes_none_and_other(self):
        def fingerprints(iid):
            return [w for w in self.console(iid, Latest=True).split() if w.startswith("SHA256:")]

        self.sb.call("POST", "/_sandbox/console", {"mode": "none"})
        try:
            iid = self.ec2.run_instances(ImageId=self.ami, InstanceType="g5.xlarge", MinCount=1, MaxCount=1,
                                         KeyName="testkey", SecurityGroupIds=[self.sg])["Instances"][0]["InstanceId"]
        finally:
            self.sb.call("POST", "/_sandbox/console", {"mode": "real"})
        self.wait_state(iid, "running")
        wait_for(lambda: "finished at" in self.console(iid, Latest=True), 10, "cloud-init finished")
        self.assertEqual(fingerprints(iid), [], "mode none: never any fingerprint")
        self.sb.call("POST", "/_sandbox/instances/%s/console" % iid, {"mode": "other"})
        hk = self.sb.instance(iid)["host_public_keys"]["ed25519"]
        real = "SHA256:" + base64.b64encode(hashlib.sha256(base64.b64decode(hk.split()[1])).digest()).decode().rstrip("=")
        got = fingerprints(iid)
        self.assertEqual(len(got), 2)
        self.assertNotIn(real, got, "mode other: fingerprints of another key")
        self.ec2.terminate_instances(InstanceIds=[iid])

    def test_state_machine_ssh_and_home(self):
        iid = self.launch(TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "sm"}]}])[0]
        inst = self.state(iid)
        self.assertIn(inst["State"]["Name"], ("pending", "running"))
        self.assertEqual(inst["Placement"]["AvailabilityZone"], "us-east-1a")
        self.assertTrue(inst["PrivateIpAddress"].startswith("172.31."))
        inst = self.wait_state(iid, "running")
        ip1 = inst["PublicIpAddress"]
        self.assertEqual(self.sb.instance(iid)["public_ip"], ip1)
        p = self.ssh(iid, "true")
        self.assertEqual(p.returncode, 0, p.stderr)
        p = self.ssh(iid, "hostname; id -un; echo $HOME; command -v tmux screen jupyter; "
                          "echo hello > ~/persist.txt; tmux new -d -s bg 'sleep 600'; ls /tmp")
        self.assertEqual(p.returncode, 0, p.stderr)
        lines = p.stdout.split()
        self.assertEqual(lines[0], "ip-" + inst["PrivateIpAddress"].replace(".", "-"))
        self.assertEqual(lines[1:3], ["ubuntu", "/home/ubuntu"])
        self.assertEqual([os.path.basename(x) for x in lines[3:6]], ["tmux", "screen", "jupyter"])
        # the tmux server lives in the instance, not on the machine
        self.assertFalse(os.path.exists("/tmp/tmux-%d" % self.sb.info["ubuntu_uid"]))
        home = self.sb.instance(iid)["home_dir"]
        self.assertTrue(os.path.exists(os.path.join(home, "persist.txt")))
        # the machine's own user database is untouched
        with open("/etc/passwd") as f:
            self.assertNotIn("ubuntu:x:%d" % self.sb.info["ubuntu_uid"], f.read())
        # stopping: processes gone, netns gone, home kept
        before = self.sb.instance(iid)
        self.assertEqual(self.ec2.stop_instances(InstanceIds=[iid])["StoppingInstances"][0]["CurrentState"]["Name"],
                         "stopping")
        self.assertApiError("IncorrectInstanceState", self.ec2.start_instances, InstanceIds=[iid])
        st = self.wait_state(iid, "stopped")
        self.assertNotIn("PublicIpAddress", st)
        self.assertEqual(st["StateReason"]["Code"], "Client.UserInitiatedShutdown")
        for pid in (before["sshd_pid"], before["unshare_pid"]):
            self.assertFalse(proc_alive(pid))
        self.assertFalse(os.path.exists("/run/netns/" + before["netns"]))
        self.assertTrue(os.path.exists(os.path.join(home, "persist.txt")))
        # start again: new public IP, same host keys, same home
        self.ec2.start_instances(InstanceIds=[iid])
        st = self.wait_state(iid, "running")
        self.assertNotEqual(st["PublicIpAddress"], ip1)
        self.assertEqual(self.sb.instance(iid)["host_public_keys"], before["host_public_keys"])
        p = self.ssh(iid, "cat ~/persist.txt; tmux ls 2>&1 | head -1")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertTrue(p.stdout.startswith("hello\n"), p.stdout)
        self.assertNotIn("bg:", p.stdout)  # processes did not survive the stop
        # terminate: home gone, still listed
        r = self.ec2.terminate_instances(InstanceIds=[iid])["TerminatingInstances"][0]
        self.assertEqual((r["PreviousState"]["Name"], r["CurrentState"]["Name"]), ("running", "shutting-down"))
        self.wait_state(iid, "terminated")
        self.assertFalse(os.path.exists(home))
        self.assertEqual(self.state(iid)["State"], {"Code": 48, "Name": "terminated"})
        r = self.ec2.terminate_instances(InstanceIds=[iid])["TerminatingInstances"][0]
        self.assertEqual(r["CurrentState"]["Name"], "terminated")
        self.assertApiError("IncorrectInstanceState", self.ec2.start_instances, InstanceIds=[iid])

    def test_power_stubs_shutdown_behavior_and_boot(self):
        """The host's stubs: nvidia-smi reads sys/gpu/util, crontab's @reboot lines run at boot,
        `sudo -n shutdown -h now` stops (home kept) or, with InstanceInitiatedShutdownBehavior
        terminate, terminates (home gone), as EC2 does."""
        a, b = self.launch(2)
        for iid in (a, b):
            self.wait_state(iid, "running")
        sysdir = os.path.join(os.path.dirname(self.sb.instance(a)["home_dir"].rstrip("/")), "..", "sys")
        sysdir = os.path.normpath(sysdir)
        p = self.ssh(a, "nvidia-smi --query-gpu=utilization.gpu --format=csv,noheader,nounits")
        self.assertEqual(p.returncode, 9, p.stdout)
        os.makedirs(os.path.join(sysdir, "gpu"), exist_ok=True)
        with open(os.path.join(sysdir, "gpu", "util"), "w") as f:
            f.write("3\n97\n")
        p = self.ssh(a, "nvidia-smi --query-gpu=utilization.gpu --format=csv,noheader,nounits")
        self.assertEqual((p.returncode, p.stdout.split()), (0, ["3", "97"]), p.stderr)
        p = self.ssh(a, "echo '@reboot touch ~/booted' | crontab - && crontab -l; echo x > ~/kept.txt")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("@reboot touch ~/booted", p.stdout)
        self.sb.call("POST", "/_sandbox/instances/%s/reboot" % a, {})
        home_a = self.sb.instance(a)["home_dir"]
        wait_for(lambda: os.path.exists(os.path.join(home_a, "booted")), 15, "the @reboot line to run")
        attr = self.ec2.describe_instance_attribute(InstanceId=b, Attribute="instanceInitiatedShutdownBehavior")
        self.assertEqual(attr["InstanceInitiatedShutdownBehavior"]["Value"], "stop")
        self.ec2.modify_instance_attribute(InstanceId=b, InstanceInitiatedShutdownBehavior={"Value": "terminate"})
        attr = self.ec2.describe_instance_attribute(InstanceId=b, Attribute="instanceInitiatedShutdownBehavior")
        self.assertEqual(attr["InstanceInitiatedShutdownBehavior"]["Value"], "terminate")
        home_b = self.sb.instance(b)["home_dir"]
        wait_for(lambda: self.ssh(a, "true").returncode == 0, 15, "ssh after the reboot")
        for iid in (a, b):
            p = self.ssh(iid, "sudo -n shutdown -h now")
            self.assertEqual(p.returncode, 0, p.stderr)
        st = self.wait_state(a, "stopped")
        self.assertEqual(st["StateReason"]["Code"], "Client.InstanceInitiatedShutdown")
        self.assertTrue(os.path.exists(os.path.join(home_a, "kept.txt")))
        self.wait_state(b, "terminated")
        self.assertFalse(os.path.exists(home_b))

    def test_security_group_enforced_and_network_cut(self):
        if not self.sb.info["security_groups_enforced"]:
            self.skipTest("nftables not installed")
        default = self.ec2.describe_security_groups(GroupNames=["default"])["SecurityGroups"][0]["GroupId"]
        g = self.ec2.create_security_group(GroupName="late-rule", Description="x")["GroupId"]
        iid = self.launch(SecurityGroupIds=[g], InstanceType="t3.medium")[0]
        self.wait_state(iid, "running")
        p = self.ssh(iid, "true", connect_timeout=1)
        self.assertNotEqual(p.returncode, 0)
        self.ec2.authorize_security_group_ingress(GroupId=g, IpProtocol="tcp", FromPort=22, ToPort=22,
                                                  CidrIp=self.sb.info["caller_cidr"])
        p = self.ssh(iid, "true")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.sb.call("POST", "/_sandbox/instances/%s/network" % iid, {"up": False})
        p = self.ssh(iid, "true", connect_timeout=1)
        self.assertNotEqual(p.returncode, 0)
        self.sb.call("POST", "/_sandbox/instances/%s/network" % iid, {"up": True})
        wait_for(lambda: self.ssh(iid, "true", connect_timeout=2).returncode == 0, 15, "ssh after link up")
        self.ec2.terminate_instances(InstanceIds=[iid])
        self.assertNotEqual(default, g)

    def test_client_token_idempotency(self):
        a = self.ec2.run_instances(ImageId=self.ami, InstanceType="t3.medium", MinCount=1, MaxCount=1,
                                   ClientToken="tok-42", KeyName="testkey")
        b = self.ec2.run_instances(ImageId=self.ami, InstanceType="t3.medium", MinCount=1, MaxCount=1,
                                   ClientToken="tok-42", KeyName="testkey")
        self.assertEqual(a["ReservationId"], b["ReservationId"])
        self.assertEqual([i["InstanceId"] for i in a["Instances"]], [i["InstanceId"] for i in b["Instances"]])
        self.assertApiError("IdempotentParameterMismatch", self.ec2.run_instances, ImageId=self.ami,
                            InstanceType="g5.xlarge", MinCount=1, MaxCount=1, ClientToken="tok-42")
        d = self.ec2.describe_instances(Filters=[{"Name": "client-token", "Values": ["tok-42"]}])
        self.assertEqual(len([i for r in d["Reservations"] for i in r["Instances"]]), 1)
        self.ec2.terminate_instances(InstanceIds=[a["Instances"][0]["InstanceId"]])

    def test_run_instances_validation(self):
        self.assertApiError("InvalidAMIID.NotFound", self.launch, ImageId="ami-0123456789abcdef0")
        self.assertApiError("InvalidAMIID.Malformed", self.launch, ImageId="ubuntu")
        self.assertApiError("InvalidKeyPair.NotFound", self.launch, KeyName="nokey")
        self.assertApiError("InvalidGroup.NotFound", self.launch, SecurityGroupIds=["sg-0123456789abcdef0"])
        self.assertApiError("InvalidParameterValue", self.launch, Placement={"AvailabilityZone": "us-east-1z"})
        e = self.assertApiError("InvalidBlockDeviceMapping", self.launch, BlockDeviceMappings=[
            {"DeviceName": "/dev/sda1", "Ebs": {"VolumeSize": 10}}])
        self.assertIn("smaller than snapshot", e.response["Error"]["Message"])
        arm = self.ec2.describe_images(Owners=["amazon"], Filters=[{"Name": "architecture", "Values": ["arm64"]}])
        self.assertApiError("InvalidParameterValue", self.launch, ImageId=arm["Images"][0]["ImageId"])
        pend = self.ec2.describe_images(Owners=["amazon"], Filters=[{"Name": "state", "Values": ["pending"]}])
        self.assertApiError("InvalidAMIID.Unavailable", self.launch, ImageId=pend["Images"][0]["ImageId"])
        self.assertApiError("DryRunOperation", self.launch, DryRun=True, status=412)
        # spot: lifecycle shown, one-time spot cannot be stopped
        iid = self.launch(InstanceType="t3.medium", InstanceMarketOptions={"MarketType": "spot"},
                          Placement={"AvailabilityZone": "us-east-1c"})[0]
        inst = self.state(iid)
        self.assertEqual(inst["InstanceLifecycle"], "spot")
        self.assertEqual(inst["Placement"]["AvailabilityZone"], "us-east-1c")
        self.wait_state(iid, "running")
        self.assertApiError("UnsupportedOperation", self.ec2.stop_instances, InstanceIds=[iid])
        self.ec2.terminate_instances(InstanceIds=[iid])

    def test_regions_are_separate(self):
        west = self.sb.client(region="us-west-2")
        self.assertEqual(west.describe_key_pairs()["KeyPairs"], [])
        east_ami = self.ami
        self.assertApiError("InvalidAMIID.NotFound", west.run_instances, ImageId=east_ami, InstanceType="t3.medium",
                            MinCount=1, MaxCount=1)

    def test_pagination_50_instances(self):
        tag = [{"ResourceType": "instance", "Tags": [{"Key": "batch", "Value": "p50"}]}]
        ids = self.launch(30, InstanceType="t3.medium", TagSpecifications=tag)
        ids += self.launch(25, InstanceType="t3.medium", TagSpecifications=tag, Placement={"AvailabilityZone": "us-east-1b"})
        flt = [{"Name": "tag:batch", "Values": ["p50"]}]
        seen = []
        pages = 0
        kw = {"Filters": flt, "MaxResults": 7}
        while True:
            r = self.ec2.describe_instances(**kw)
            pages += 1
            n = sum(len(x["Instances"]) for x in r["Reservations"])
            self.assertLessEqual(n, 7)
            seen += [i["InstanceId"] for x in r["Reservations"] for i in x["Instances"]]
            if not r.get("NextToken"):
                break
            kw["NextToken"] = r["NextToken"]
        self.assertEqual(pages, 8)
        self.assertEqual(sorted(seen), sorted(ids))
        # awscli follows NextToken itself
        d = self.sb.aws("describe-instances", "--filters", "Name=tag:batch,Values=p50", "--page-size", "10")
        self.assertEqual(sorted(i["InstanceId"] for x in d["Reservations"] for i in x["Instances"]), sorted(ids))
        self.assertApiError("InvalidParameterValue", self.ec2.describe_instances, MaxResults=3)
        wait_for(lambda: all(i["State"]["Name"] == "running" for x in self.ec2.describe_instances(Filters=flt)[
            "Reservations"] for i in x["Instances"]), 60, "55 instances running")
        t0 = time.time()
        for _ in range(10):
            self.ec2.describe_instances()
        self.assertLess((time.time() - t0) / 10, 0.25)
        self.ec2.terminate_instances(InstanceIds=ids)
        wait_for(lambda: all(i["State"]["Name"] == "terminated" for x in self.ec2.describe_instances(Filters=flt)[
            "Reservations"] for i in x["Instances"]), 60, "55 instances terminated")

    # ---------------------------------------------------------------- faults and call log
    def test_faults_and_calls(self):
        self.sb.call("DELETE", "/_sandbox/calls")
        self.sb.call("POST", "/_sandbox/faults", {"action": "DescribeRegions", "error": "RequestLimitExceeded",
                                                  "count": 2})
        self.assertApiError("RequestLimitExceeded", self.ec2.describe_regions, status=503)
        self.assertApiError("RequestLimitExceeded", self.ec2.describe_regions, status=503)
        self.ec2.describe_regions()
        calls = self.sb.get("/_sandbox/calls")
        self.assertEqual([(c["action"], c["status"], c["error_code"]) for c in calls],
                         [("DescribeRegions", 503, "RequestLimitExceeded")] * 2 + [("DescribeRegions", 200, None)])
        self.assertEqual(calls[0]["region"], REGION)
        # botocore's own retries get through a single throttle
        self.sb.call("POST", "/_sandbox/faults", {"action": "DescribeRegions", "error": "RequestLimitExceeded",
                                                  "count": 1})
        self.sb.client(retries=3).describe_regions()
        self.sb.call("POST", "/_sandbox/faults", {"action": "*", "status": 500, "count": 1})
        self.assertApiError("InternalError", self.ec2.describe_availability_zones, status=500)
        # zone capacity
        self.sb.call("POST", "/_sandbox/faults", {"action": "RunInstances", "zone": "us-east-1a",
                                                  "error": "InsufficientInstanceCapacity"})
        for _ in range(2):
            e = self.assertApiError("InsufficientInstanceCapacity", self.launch)
            self.assertTrue(e.response["Error"]["Message"].startswith(
                "We currently do not have sufficient g5.xlarge capacity in the Availability Zone you requested "
                "(us-east-1a)."), e.response["Error"]["Message"])
        iid = self.launch(Placement={"AvailabilityZone": "us-east-1b"}, InstanceType="t3.medium")[0]
        self.sb.call("DELETE", "/_sandbox/faults")
        self.assertEqual(self.sb.get("/_sandbox/faults"), [])
        # slow answer
        self.sb.call("POST", "/_sandbox/faults", {"action": "DescribeInstances", "delay_s": 1.0, "count": 1})
        t0 = time.time()
        self.ec2.describe_instances(InstanceIds=[iid])
        self.assertGreaterEqual(time.time() - t0, 1.0)
        # garbage
        self.sb.call("POST", "/_sandbox/faults", {"action": "*", "garbage": True, "count": 1})
        with self.assertRaises(Exception) as cm:
            self.ec2.describe_instances(InstanceIds=[iid])
        self.assertNotIsInstance(cm.exception, ClientError)
        self.ec2.terminate_instances(InstanceIds=[iid])
        self.ec2.describe_instances(InstanceIds=[iid])


class CleanupTest(unittest.TestCase):
    """A sandbox with running hosts leaves nothing behind after SIGTERM, and cleanup.py sweeps a crash."""

    def setUp(self):
        warnings.simplefilter("ignore", ResourceWarning)
        if os.geteuid() != 0:
            self.skipTest("needs root")

    def _launch_two(self, sb):
        ec2 = sb.client()
        key = os.path.join(sb.dir, "k")
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key], check=True)
        with open(key + ".pub", "rb") as f:
            ec2.import_key_pair(KeyName="k", PublicKeyMaterial=f.read())
        ami = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
        ids = [i["InstanceId"] for i in ec2.run_instances(ImageId=ami, InstanceType="g4dn.xlarge", MinCount=2,
                                                          MaxCount=2, KeyName="k")["Instances"]]
        wait_for(lambda: all(sb.instance(i)["state"] == "running" for i in ids), 20, "running")
        return [sb.instance(i) for i in ids]

    def test_sigterm_leaves_nothing(self):
        sb = Sandbox(scale=0.1)
        try:
            insts = self._launch_two(sb)
            self.assertTrue(all(os.path.exists("/run/netns/" + i["netns"]) for i in insts))
            t0 = time.time()
            self.assertEqual(sb.stop(), 0)
            self.assertLess(time.time() - t0, 10)
            self.assertEqual(sshd_leftovers(sb.info, insts), [])
            self.assertFalse(os.path.exists(os.path.join(sb.state, "resources.jsonl")))
        finally:
            if sb.proc.poll() is None:
                sb.proc.kill()
            shutil.rmtree(sb.dir, ignore_errors=True)

    def test_cleanup_after_crash(self):
        sb = Sandbox(scale=0.1)
        try:
            insts = self._launch_two(sb)
            sb.proc.kill()  # SIGKILL: no chance to clean up
            sb.proc.wait()
            sb.errlog.close()
            self.assertNotEqual(sshd_leftovers(sb.info, insts), [])
            p = subprocess.run([PY, CLEANUP, "--state-dir", sb.state], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, timeout=60)
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
            self.assertEqual(sshd_leftovers(sb.info, insts), [])
        finally:
            if sb.proc.poll() is None:
                sb.proc.kill()
            shutil.rmtree(sb.dir, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
