#!/usr/bin/python3
"""An HTTP proxy in front of a local S3 (s3rver) that plays a bucket living in another region.

Requests are path-style (http://127.0.0.1:PORT/BUCKET/KEY). A request signed for a region other
than --region (the Credential scope of the Authorization header or of X-Amz-Credential) gets S3's
answer for a wrong region instead of being passed on:
  --style redirect  (default) 301 PermanentRedirect, x-amz-bucket-region, <Endpoint> in the XML
  --style malformed 400 AuthorizationHeaderMalformed "... the region 'X' is wrong; expecting 'Y'"
HEAD requests get the status and the x-amz-bucket-region header without a body, as from S3.
An unsigned request names no region: the first one per bucket is redirected all the same.
Everything else goes to --upstream unchanged. GET /__proxy_stats answers {"redirects": N}.
Prints "READY <port>" once listening.
"""
import argparse
import http.client
import http.server
import json
import re
import secrets
import sys
import threading
import urllib.parse

CREDENTIAL = re.compile(r"Credential=[^/,\s]+/\d{8}/([^/]+)/s3/aws4_request")
HOP_HEADERS = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade",
               "proxy-authorization", "proxy-authenticate"}


def redirect_xml(bucket, region):
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>PermanentRedirect</Code><Message>'
            'The bucket you are attempting to access must be addressed using the specified '
            'endpoint. Please send all future requests to this endpoint.</Message><Endpoint>'
            '%s.s3.%s.amazonaws.com</Endpoint><Bucket>%s</Bucket><RequestId>%s</RequestId>'
            '<HostId>%s</HostId></Error>'
            % (bucket, region, bucket, secrets.token_hex(8).upper(), secrets.token_urlsafe(48)))


def malformed_xml(signed_region, region):
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AuthorizationHeaderMalformed'
            '</Code><Message>The authorization header is malformed; the region \'%s\' is wrong; '
            'expecting \'%s\'</Message><Region>%s</Region><RequestId>%s</RequestId><HostId>%s'
            '</HostId></Error>'
            % (signed_region, region, region, secrets.token_hex(8).upper(),
               secrets.token_urlsafe(48)))


class Proxy:
    def __init__(self, args):
        upstream = urllib.parse.urlsplit(args.upstream)
        self.upstream = (upstream.hostname, upstream.port or 80)
        self.region = args.region
        self.style = args.style
        self.seen = set()  # buckets an unsigned request was already redirected for
        self.redirects = 0
        self.lock = threading.Lock()

    def wrong_region(self, bucket, signed_region):
        """The region to tell the client, or None to pass the request on."""
        with self.lock:
            if signed_region is None:
                if not bucket or bucket in self.seen:
                    return None
                self.seen.add(bucket)
            elif signed_region == self.region:
                return None
            self.redirects += 1
            return self.region


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass

    def signed_region(self):
        match = CREDENTIAL.search(self.headers.get("Authorization", ""))
        if match:
            return match.group(1)
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
        credential = query.get("X-Amz-Credential", [""])[0].split("/")
        return credential[2] if len(credential) >= 4 else None

    def handle_any(self):
        proxy = self.server.proxy
        url = urllib.parse.urlsplit(self.path)
        if url.path == "/__proxy_stats":
            return self.answer(200, {"Content-Type": "application/json"},
                               json.dumps({"redirects": proxy.redirects}).encode())
        bucket = url.path.lstrip("/").split("/", 1)[0]
        signed = self.signed_region()
        region = proxy.wrong_region(bucket, signed)
        body = self.rfile.read(int(self.headers.get("Content-Length", "0") or 0))
        if region is None:
            return self.forward(body)
        if proxy.style == "malformed" and signed is not None:
            return self.answer(400, {"Content-Type": "application/xml", "x-amz-bucket-region": region},
                               malformed_xml(signed, region).encode())
        self.answer(301, {"Content-Type": "application/xml", "x-amz-bucket-region": region},
                    redirect_xml(bucket, region).encode())

    def answer(self, status, headers, body):
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def forward(self, body):
        connection = http.client.HTTPConnection(*self.server.proxy.upstream, timeout=60)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_HEADERS}
        connection.request(self.command, self.path, body=body or None, headers=headers)
        response = connection.getresponse()
        data = response.read()
        self.send_response(response.status)
        for name, value in response.getheaders():
            if name.lower() not in HOP_HEADERS and name.lower() != "content-length":
                self.send_header(name, value)
        length = response.getheader("Content-Length") if self.command == "HEAD" else None
        self.send_header("Content-Length", length or str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        connection.close()

    do_GET = do_HEAD = do_PUT = do_POST = do_DELETE = handle_any


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--upstream", required=True, help="the real S3, e.g. http://127.0.0.1:4568")
    parser.add_argument("--region", default="eu-west-1", help="the region the buckets live in")
    parser.add_argument("--style", choices=("redirect", "malformed"), default="redirect")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    server.proxy = Proxy(args)
    sys.stdout.write("READY %d\n" % server.server_address[1])
    sys.stdout.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
