#!/usr/bin/python3
"""Encodes EC2 Query bodies with botocore, for test_aws_query_body.cpp to compare with gpunb's.

stdin: [[[name_hex, value_hex], ...], ...]: parameter sets, Action and Version first, in order.
stdout: [body, ...]: the body botocore's AWSRequest sends for each set (the Query serializer hands
it a dict of parameters, which AWSRequestPreparer encodes with urllib's urlencode).
Exit status 3 when botocore cannot be imported.
"""
import json
import sys

try:
    from botocore.awsrequest import AWSRequest
except ImportError as error:  # pragma: no cover
    print(f"botocore unavailable: {error}", file=sys.stderr)
    sys.exit(3)


def body(pairs):
    params = {bytes.fromhex(name).decode("utf-8"): bytes.fromhex(value).decode("utf-8")
              for name, value in pairs}
    prepared = AWSRequest(method="POST", url="https://ec2.us-east-1.amazonaws.com/",
                          data=params).prepare()
    return prepared.body if isinstance(prepared.body, str) else prepared.body.decode("ascii")


def main():
    json.dump([body(pairs) for pairs in json.load(sys.stdin)], sys.stdout)


if __name__ == "__main__":
    main()
