#!/usr/bin/python3
"""http_origin.py: a small HTTP/1.1 origin server for gpunb's tests and benchmarks.

Serves the files of --dir on 127.0.0.1 (keep-alive, one thread per connection) and prints
"READY <port>" on stdout once it accepts (with --tls, a line "CERT <path of the PEM cert>" first).
Run it with Debian's /usr/bin/python3; stop it by its PID (SIGTERM or SIGKILL).

  http_origin.py --dir DIR [--port 0] [--rate 20MB] [--cut-after BYTES] [--tls]
                 [--tls-dir DIR] [--tls-name localhost] [--verbose]

Files (GET and HEAD /PATH):
  Range: bytes=A-B, A- and -N (one range; 206 with Content-Range, 416 past the end), ETag and
  Last-Modified on every file, If-Range (a strong ETag or the exact date; otherwise 200 whole).
  The ETag changes whenever the file is replaced or rewritten (inode, size, mtime).
  Query options: chunked=1 (Transfer-Encoding: chunked), close=1 (no length: ends by closing;
  with --tls after close_notify, while a cut never sends one),
  stall=MS (wait after the head, before the body), type=MIME (Content-Type), cd=NAME
  (Content-Disposition: attachment; filename*=UTF-8''NAME), noranges=1 (Range ignored, no
  Accept-Ranges), noetag=1 (no ETag).
Other paths:
  /redirect?to=URL[&code=302]   a redirect (any method) to URL, absolute or relative
  /_status/CODE                 an empty response with that status
  /_echo                        any method: JSON {method, path, headers, body} of the request
  GET  /_ctl/stats              JSON {connections, requests, ranged, body_bytes, cuts}
  POST /_ctl/reset              zeroes the stats
  POST /_ctl/config             JSON with any of: rate (bytes/s per connection, 0: none),
                                cut_after (body bytes per response before the connection is cut,
                                0: never), cut_count (how many responses to cut, -1: all),
                                cut_total (cut every response once this many body bytes were sent
                                in all since this config, 0: never)
--rate takes bytes per second per connection, with K/M/G (x1000) or KiB/MiB/GiB (x1024), and an
optional trailing "/s"; e.g. 20MB or 20MB/s.
"""
import argparse
import email.utils
import json
import os
import re
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

BLOCK = 64 * 1024


class Cut(Exception):
    """The response is cut on purpose: the connection is closed mid-body."""


class State:
    def __init__(self, args):
        self.lock = threading.Lock()
        self.rate = args.rate
        self.cut_after = args.cut_after
        self.cut_count = -1
        self.cut_total = 0
        self.total_since_config = 0
        self.reset()

    def reset(self):
        with self.lock:
            self.stats = dict(connections=0, requests=0, ranged=0, body_bytes=0, cuts=0)

    def count(self, key, n=1):
        with self.lock:
            self.stats[key] += n
            if key == "body_bytes":
                self.total_since_config += n

    def configure(self, config):
        with self.lock:
            self.rate = int(config.get("rate", self.rate) or 0)
            self.cut_after = int(config.get("cut_after", self.cut_after) or 0)
            self.cut_count = int(config.get("cut_count", self.cut_count))
            self.cut_total = int(config.get("cut_total", self.cut_total) or 0)
            self.total_since_config = 0

    def cut_limit(self):
        """Body bytes this new response may send before it is cut (None: no cut)."""
        with self.lock:
            if self.cut_count == 0:
                return None
            if self.cut_total and self.total_since_config >= self.cut_total:
                return 0
            if self.cut_total:
                return self.cut_total - self.total_since_config
            return self.cut_after or None

    def note_cut(self):
        with self.lock:
            self.stats["cuts"] += 1
            if self.cut_count > 0:
                self.cut_count -= 1


def parse_size(text):
    match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([KMG]?)(i?)B?(/s)?", text.strip(), re.IGNORECASE)
    if not match:
        raise argparse.ArgumentTypeError(f"not a size: {text}")
    number, unit, binary = float(match.group(1)), match.group(2).upper(), match.group(3)
    base = 1024 if binary else 1000
    return int(number * base ** " KMG".index(unit or " "))


def etag_of(st):
    return '"%x-%x-%x"' % (st.st_ino, st.st_size, st.st_mtime_ns)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "http_origin"

    def log_message(self, fmt, *args):
        if self.server.verbose:
            sys.stderr.write("%s %s\n" % (self.address_string(), fmt % args))

    # ---- dispatch -------------------------------------------------------------------------
    def do_GET(self):
        self.dispatch()

    def do_HEAD(self):
        self.dispatch()

    def do_POST(self):
        self.dispatch()

    def do_PUT(self):
        self.dispatch()

    def dispatch(self):
        state = self.server.state
        state.count("requests")
        url = urllib.parse.urlsplit(self.path)
        self.query = dict(urllib.parse.parse_qsl(url.query))
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            if url.path == "/redirect":
                return self.redirect()
            if url.path.startswith("/_status/"):
                return self.simple(int(url.path[len("/_status/"):]), b"")
            if url.path == "/_echo":
                return self.echo(url, body)
            if url.path.startswith("/_ctl/"):
                return self.control(url.path[len("/_ctl/"):], body)
            if self.command not in ("GET", "HEAD"):
                return self.simple(405, b"")
            return self.serve_file(urllib.parse.unquote(url.path))
        except Cut:
            state.note_cut()
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    # ---- small responses ------------------------------------------------------------------
    def simple(self, status, body, content_type="text/plain", extra=()):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in extra:
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def redirect(self):
        code = int(self.query.get("code", "302"))
        self.simple(code, b"moved\n", extra=[("Location", self.query.get("to", "/"))])

    def echo(self, url, body):
        reply = dict(method=self.command, path=self.path, headers=dict(self.headers.items()),
                     body=body.decode("utf-8", "replace"))
        self.simple(200, json.dumps(reply).encode(), "application/json")

    def control(self, verb, body):
        state = self.server.state
        if verb == "stats":
            with state.lock:
                return self.simple(200, json.dumps(state.stats).encode(), "application/json")
        if verb == "reset" and self.command == "POST":
            state.reset()
            return self.simple(200, b"{}", "application/json")
        if verb == "config" and self.command == "POST":
            state.configure(json.loads(body or b"{}"))
            return self.simple(200, b"{}", "application/json")
        return self.simple(404, b"")

    # ---- files ----------------------------------------------------------------------------
    def serve_file(self, path):
        root = os.path.realpath(self.server.root)
        full = os.path.realpath(os.path.join(root, path.lstrip("/")))
        if not full.startswith(root + os.sep) or not os.path.isfile(full):
            return self.simple(404, b"not found\n")
        with open(full, "rb") as f:
            st = os.fstat(f.fileno())
            start, end = self.pick_range(st)
            if start is None:
                return self.simple(416, b"", extra=[("Content-Range", "bytes */%d" % st.st_size)])
            self.send_file_head(st, start, end)
            if self.command == "HEAD":
                return
            if "stall" in self.query:
                time.sleep(int(self.query["stall"]) / 1000)
            self.send_body(f, start, end)
            if "close" in self.query:
                self.close_notify()

    def close_notify(self):
        """Ends a TLS response framed by the close with TLS's close_notify, as a server should
        (a Cut closes without it, as a middlebox or a crash would)."""
        if not self.server.tls:
            return
        try:
            self.wfile.flush()
            self.connection.settimeout(5)
            self.connection.unwrap()
        except (OSError, ssl.SSLError, ValueError):
            pass

    def pick_range(self, st):
        """(start, end exclusive) to send; (None, None) for an unsatisfiable range."""
        self.ranged = False
        wanted = self.headers.get("Range")
        if not wanted or "noranges" in self.query or not self.if_range_holds(st):
            return 0, st.st_size
        match = re.fullmatch(r"bytes=(\d*)-(\d*)", wanted.strip())
        if not match or (not match.group(1) and not match.group(2)):
            return 0, st.st_size
        first, last = match.group(1), match.group(2)
        if first:
            start = int(first)
            end = min(int(last) + 1, st.st_size) if last else st.st_size
        else:
            start, end = max(0, st.st_size - int(last)), st.st_size
        if start >= st.st_size or start >= end:
            return None, None
        self.ranged = True
        self.server.state.count("ranged")
        return start, end

    def if_range_holds(self, st):
        validator = self.headers.get("If-Range")
        if not validator:
            return True
        if validator.startswith('"') or validator.startswith("W/"):
            return "noetag" not in self.query and validator == etag_of(st)
        return validator == email.utils.formatdate(st.st_mtime, usegmt=True)

    def send_file_head(self, st, start, end):
        self.send_response(206 if self.ranged else 200)
        self.send_header("Content-Type", self.query.get("type", "application/octet-stream"))
        if "noranges" not in self.query:
            self.send_header("Accept-Ranges", "bytes")
        if "noetag" not in self.query:
            self.send_header("ETag", etag_of(st))
        self.send_header("Last-Modified", email.utils.formatdate(st.st_mtime, usegmt=True))
        if "cd" in self.query:
            name = urllib.parse.quote(self.query["cd"])
            self.send_header("Content-Disposition", "attachment; filename*=UTF-8''" + name)
        if self.ranged:
            self.send_header("Content-Range", "bytes %d-%d/%d" % (start, end - 1, st.st_size))
        if "chunked" in self.query:
            self.send_header("Transfer-Encoding", "chunked")
        elif "close" in self.query:
            self.send_header("Connection", "close")
            self.close_connection = True
        else:
            self.send_header("Content-Length", str(end - start))
        self.end_headers()

    def send_body(self, f, start, end):
        state = self.server.state
        limit = state.cut_limit()
        began, sent, offset = time.monotonic(), 0, start
        chunked = "chunked" in self.query
        while offset < end:
            n = min(BLOCK, end - offset)
            if limit is not None and sent + n > limit:
                n = limit - sent
            if n > 0:
                self.send_block(f, offset, n, chunked)
                state.count("body_bytes", n)
                sent, offset = sent + n, offset + n
            if limit is not None and sent >= limit and offset < end:
                raise Cut()
            self.throttle(began, sent)
        if chunked:
            self.wfile.write(b"0\r\n\r\n")

    def send_block(self, f, offset, n, chunked):
        if chunked:
            f.seek(offset)
            self.wfile.write(b"%x\r\n" % n + f.read(n) + b"\r\n")
        elif self.server.tls:
            f.seek(offset)
            self.wfile.write(f.read(n))
        else:
            done = 0
            while done < n:
                done += os.sendfile(self.connection.fileno(), f.fileno(), offset + done, n - done)

    def throttle(self, began, sent):
        rate = self.server.state.rate
        if rate:
            ahead = sent / rate - (time.monotonic() - began)
            if ahead > 0:
                time.sleep(ahead)


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def finish_request(self, request, client_address):
        self.state.count("connections")
        if self.tls:
            try:
                request = self.tls.wrap_socket(request, server_side=True)
            except (ssl.SSLError, OSError):
                return  # a client that refused our certificate
        try:
            super().finish_request(request, client_address)
        except (ConnectionError, ssl.SSLError, BrokenPipeError, TimeoutError):
            pass

    def handle_error(self, request, client_address):
        if self.verbose:
            super().handle_error(request, client_address)


def make_cert(folder, name):
    cert, key = os.path.join(folder, "cert.pem"), os.path.join(folder, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=" + name, "-addext", "subjectAltName=DNS:" + name,
                    "-keyout", key, "-out", cert], check=True, capture_output=True)
    return cert, key


def main():
    parser = argparse.ArgumentParser(description="HTTP origin for gpunb's tests")
    parser.add_argument("--dir", required=True, help="folder whose files are served")
    parser.add_argument("--port", type=int, default=0, help="0: a free port")
    parser.add_argument("--bind", default="127.0.0.1")
    parser.add_argument("--rate", type=parse_size, default=0, help="bytes/s per connection")
    parser.add_argument("--cut-after", type=parse_size, default=0,
                        help="cut each response after this many body bytes")
    parser.add_argument("--tls", action="store_true", help="HTTPS with a fresh self-signed cert")
    parser.add_argument("--tls-dir", help="where cert.pem and key.pem go (default: a temp dir)")
    parser.add_argument("--tls-name", default="localhost", help="the certificate's DNS name")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()

    server = Server((args.bind, args.port), Handler)
    server.root, server.verbose, server.state, server.tls = args.dir, args.verbose, State(args), None
    if args.tls:
        folder = args.tls_dir or tempfile.mkdtemp(prefix="http-origin-tls-")
        cert, key = make_cert(folder, args.tls_name)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        server.tls = context
        print("CERT " + cert, flush=True)
    print("READY %d" % server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
