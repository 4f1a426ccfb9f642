#!/usr/bin/python3
"""A fake EC2 instance metadata service (IMDSv2) for the spot-notice test, run inside a test
host's network namespace on loopback:

  ip netns exec NS /usr/bin/python3 tests/e2e/tools/imds.py PORT NOTICE_FILE

(PORT 0: any free one; the unit tests run it so.)

PUT /latest/api/token (with X-aws-ec2-metadata-token-ttl-seconds) gives a session token;
GET /latest/meta-data/spot/instance-action with that token answers 404 until NOTICE_FILE exists,
then 200 with its content (EC2's {"action": "terminate", "time": "..."}). Prints "READY <port>"
when up.
"""
import os
import secrets
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer


class Handler(BaseHTTPRequestHandler):
    token = secrets.token_hex(16)
    notice_file = None

    def log_message(self, fmt, *args):
        sys.stderr.write("imds: " + (fmt % args) + "\n")

    def reply(self, status, body=b""):
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_PUT(self):
        if self.path != "/latest/api/token" or not self.headers.get("X-aws-ec2-metadata-token-ttl-seconds"):
            return self.reply(400)
        self.reply(200, self.token.encode())

    def do_GET(self):
        if self.headers.get("X-aws-ec2-metadata-token") != self.token:
            return self.reply(401)
        if self.path != "/latest/meta-data/spot/instance-action":
            return self.reply(404)
        if not os.path.exists(self.notice_file):
            return self.reply(404)
        with open(self.notice_file, "rb") as f:
            self.reply(200, f.read())


def main():
    Handler.notice_file = sys.argv[2]
    server = HTTPServer(("127.0.0.1", int(sys.argv[1])), Handler)
    print("READY %d" % server.server_port, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
