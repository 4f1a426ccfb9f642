#!/usr/bin/python3
"""Signs requests with botocore, for test_aws_sigv4.cpp to compare with gpunb's signer.

stdin: {"sign": [REQUEST...], "presign": [REQUEST...]} where REQUEST is
  {"method", "url", "headers": [[name, value], ...], "body_hex", "region", "service",
   "timestamp": unix seconds, "access_key", "secret_key", "token" (may be ""), "expires" (presign)}
stdout: {"sign": [{"authorization", "canonical_request"}...], "presign": [url...]}
Exit status 3 when botocore cannot be imported.
"""
import datetime
import json
import sys

try:
    import botocore.auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
except ImportError as error:  # pragma: no cover
    print(f"botocore unavailable: {error}", file=sys.stderr)
    sys.exit(3)


class FrozenDatetime(datetime.datetime):
    """botocore stamps requests with datetime.datetime.utcnow(); this one says what we tell it."""

    frozen = None

    @classmethod
    def utcnow(cls):
        return cls.frozen


class DatetimeModule:
    datetime = FrozenDatetime


botocore.auth.datetime = DatetimeModule


def freeze(spec):
    FrozenDatetime.frozen = datetime.datetime(1970, 1, 1) + datetime.timedelta(seconds=spec["timestamp"])


def make_request(spec):
    request = AWSRequest(method=spec["method"], url=spec["url"], data=bytes.fromhex(spec["body_hex"]))
    for name, value in spec["headers"]:
        request.headers[name] = value  # HTTPHeaders appends: repeated names stay repeated
    return request


def credentials(spec):
    return Credentials(spec["access_key"], spec["secret_key"], spec["token"] or None)


def sign(spec):
    freeze(spec)
    request = make_request(spec)
    auth_class = botocore.auth.S3SigV4Auth if spec["service"] == "s3" else botocore.auth.SigV4Auth
    auth = auth_class(credentials(spec), spec["service"], spec["region"])
    captured = {}
    original = auth.canonical_request

    def canonical_request(req):
        captured["text"] = original(req)
        return captured["text"]

    auth.canonical_request = canonical_request
    auth.add_auth(request)
    return {"authorization": request.headers["Authorization"], "canonical_request": captured["text"]}


def presign(spec):
    freeze(spec)
    request = make_request(spec)
    auth = botocore.auth.S3SigV4QueryAuth(credentials(spec), spec["service"], spec["region"],
                                          expires=spec["expires"])
    auth.add_auth(request)
    return request.url


def main():
    specs = json.load(sys.stdin)
    json.dump({"sign": [sign(spec) for spec in specs.get("sign", [])],
               "presign": [presign(spec) for spec in specs.get("presign", [])]}, sys.stdout)


if __name__ == "__main__":
    main()
