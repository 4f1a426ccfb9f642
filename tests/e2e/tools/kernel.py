#!/usr/bin/python3
"""Run code in a Jupyter kernel over the REST API and the kernel websocket (messaging protocol v5).

Secrets never go on the command line: the server's URL, with its token, comes from the environment
or from stdin.

  JUPYTER_URL='http://127.0.0.1:8888/?token=SECRET' \\
      /usr/bin/python3 tests/e2e/tools/kernel.py --code 'x = 41 + 1'
  echo "$URL" | /usr/bin/python3 tests/e2e/tools/kernel.py --url-stdin --kernel ID --code x

  JUPYTER_URL    base URL (any path below the base: /tree, /lab, /?token=... are fine)
  JUPYTER_TOKEN  the token, when the URL does not carry one
  --url-stdin    read the URL (first line) from stdin instead of JUPYTER_URL
  --base-path    the server's base_url when it is not / (default: taken from the URL's path)

Starts a kernel (POST /api/kernels) unless --kernel ID is given, runs --code (default: nothing, just
start/attach), and prints one JSON line:
  {"kernel_id": ID, "status": "ok"|"error"|"aborted"|"timeout"|"failed", "text": OUTPUT,
   "stdout": ..., "stderr": ..., "result": ..., "error": ...}
`text` is stdout + stderr + the execute_result's text/plain (+ "ENAME: EVALUE" on error).
Exit status: 0 when status is ok, 1 for error/aborted, 2 for timeout or failure to connect.
Uses only /usr/bin/python3 with Debian's python3-tornado (a dependency of jupyter-server).
"""
import argparse
import asyncio
import datetime
import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request
import uuid

from tornado.httpclient import HTTPRequest
from tornado.websocket import websocket_connect

UI_SUFFIXES = ("/tree", "/lab", "/notebooks", "/api")


def parse_url(url, token_env, base_path):
    u = urllib.parse.urlsplit(url.strip())
    if u.scheme not in ("http", "https") or not u.netloc:
        raise ValueError("the Jupyter URL must be http(s)://HOST:PORT/...")
    q = urllib.parse.parse_qs(u.query)
    token = (q.get("token") or [None])[0] or token_env
    if base_path is None:
        path = u.path or "/"
        for suf in UI_SUFFIXES:
            i = path.find(suf)
            if i >= 0 and (len(path) == i + len(suf) or path[i + len(suf)] == "/"):
                path = path[:i]
                break
        base_path = path
    base_path = "/" + base_path.strip("/")
    if base_path != "/":
        base_path += "/"
    return u.scheme, u.netloc, base_path, token


class Client:
    def __init__(self, scheme, netloc, base, token, timeout):
        self.http = "%s://%s%s" % (scheme, netloc, base)
        self.ws = "%s://%s%s" % ("wss" if scheme == "https" else "ws", netloc, base)
        self.token = token
        self.timeout = timeout
        self.session = uuid.uuid4().hex

    def headers(self):
        return {"Authorization": "token %s" % self.token} if self.token else {}

    def api(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.http + path, data=data, method=method, headers=self.headers())
        if data is not None:
            req.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(req, timeout=self.timeout) as r:
            text = r.read().decode()
            return json.loads(text) if text else None

    def msg(self, msg_type, content, channel):
        return {
            "header": {"msg_id": uuid.uuid4().hex, "username": "gpunb-e2e", "session": self.session,
                       "date": datetime.datetime.now(datetime.timezone.utc).isoformat(),
                       "msg_type": msg_type, "version": "5.3"},
            "parent_header": {}, "metadata": {}, "content": content, "channel": channel, "buffers": [],
        }

    async def connect(self, kernel_id):
        url = "%sapi/kernels/%s/channels?session_id=%s" % (self.ws, urllib.parse.quote(kernel_id), self.session)
        return await websocket_connect(HTTPRequest(url, headers=self.headers(), connect_timeout=self.timeout,
                                                   request_timeout=self.timeout))

    async def ready(self, conn, seconds):
        """kernel_info until it is answered: a kernel that was just started answers once it is up."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while loop.time() < deadline:
            info = self.msg("kernel_info_request", {}, "shell")
            conn.write_message(json.dumps(info))
            if await self._wait_reply(conn, info["header"]["msg_id"], 2.0):
                return True
        return False

    async def run(self, kernel_id, code):
        # A kernel that does not answer on this connection within 20 s gets a new connection, then
        # a restart (Jupyter's own clients do the same: a kernel or its channels can be stuck at
        # start on a loaded host; that is not what the suites test).
        conn = await self.connect(kernel_id)
        for attempt in range(3):
            if await self.ready(conn, 20.0):
                break
            conn.close()
            sys.stderr.write("kernel.py: kernel %s silent for 20 s; %s\n"
                             % (kernel_id, "reconnecting" if attempt == 0 else "restarting it"))
            if attempt > 0:
                self.api("POST", "api/kernels/%s/restart" % urllib.parse.quote(kernel_id), {})
            conn = await self.connect(kernel_id)
        try:
            if code is None:
                return {"status": "ok", "stdout": "", "stderr": "", "result": "", "error": None}
            req = self.msg("execute_request", {"code": code, "silent": False, "store_history": True,
                                               "user_expressions": {}, "allow_stdin": False,
                                               "stop_on_error": True}, "shell")
            mid = req["header"]["msg_id"]
            conn.write_message(json.dumps(req))
            out = {"status": None, "stdout": "", "stderr": "", "result": "", "error": None}
            idle = False
            while out["status"] is None or not idle:
                raw = await conn.read_message()
                if raw is None:
                    raise ConnectionError("the kernel websocket closed")
                if not isinstance(raw, str):
                    continue            # binary frames carry buffers: not used here
                m = json.loads(raw)
                if (m.get("parent_header") or {}).get("msg_id") != mid:
                    continue
                t, c = m["header"]["msg_type"], m.get("content") or {}
                if t == "stream":
                    out["stderr" if c.get("name") == "stderr" else "stdout"] += c.get("text", "")
                elif t in ("execute_result", "display_data"):
                    text = (c.get("data") or {}).get("text/plain", "")
                    out["result"] += text if not out["result"] else "\n" + text
                elif t == "error":
                    out["error"] = {"ename": c.get("ename"), "evalue": c.get("evalue")}
                elif t == "status" and c.get("execution_state") == "idle":
                    idle = True
                elif t == "execute_reply":
                    out["status"] = c.get("status", "error")
                    if c.get("status") == "error" and not out["error"]:
                        out["error"] = {"ename": c.get("ename"), "evalue": c.get("evalue")}
            return out
        finally:
            conn.close()

    @staticmethod
    async def _wait_reply(conn, mid, seconds):
        try:
            async def reader():
                while True:
                    raw = await conn.read_message()
                    if raw is None:
                        raise ConnectionError("the kernel websocket closed")
                    if isinstance(raw, str):
                        m = json.loads(raw)
                        if (m.get("parent_header") or {}).get("msg_id") == mid and \
                                m["header"]["msg_type"] == "kernel_info_reply":
                            return True
            return await asyncio.wait_for(reader(), seconds)
        except asyncio.TimeoutError:
            return False


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--kernel", help="use this kernel id instead of starting one")
    ap.add_argument("--kernel-name", default="python3", help="kernelspec for a new kernel (python3)")
    ap.add_argument("--code", help="code to execute (none: only start or attach)")
    ap.add_argument("--timeout", type=float, default=60.0, help="seconds for the whole run (60)")
    ap.add_argument("--url-stdin", action="store_true", help="read the URL from stdin, not JUPYTER_URL")
    ap.add_argument("--base-path", help="the server's base_url, if the URL's path does not show it")
    ap.add_argument("--shutdown", action="store_true", help="shut the kernel down afterwards")
    args = ap.parse_args()

    url = sys.stdin.readline() if args.url_stdin else os.environ.get("JUPYTER_URL", "")
    result = {"kernel_id": args.kernel, "status": "failed", "text": ""}

    def finish(rc):
        sys.stdout.write(json.dumps(result) + "\n")
        sys.stdout.flush()
        return rc

    if not url.strip():
        result["error"] = "no Jupyter URL: set JUPYTER_URL or pass it on stdin with --url-stdin"
        return finish(2)
    try:
        scheme, netloc, base, token = parse_url(url, os.environ.get("JUPYTER_TOKEN"), args.base_path)
    except ValueError as e:
        result["error"] = str(e)
        return finish(2)
    c = Client(scheme, netloc, base, token, args.timeout)
    try:
        if args.kernel:
            c.api("GET", "api/kernels/" + urllib.parse.quote(args.kernel))
            kid = args.kernel
        else:
            kid = c.api("POST", "api/kernels", {"name": args.kernel_name})["id"]
        result["kernel_id"] = kid
        out = asyncio.run(asyncio.wait_for(c.run(kid, args.code), args.timeout))
        result.update(out)
        text = out["stdout"] + out["stderr"] + out["result"]
        if out["error"]:
            text += "%s%s: %s" % ("\n" if text and not text.endswith("\n") else "",
                                  out["error"].get("ename"), out["error"].get("evalue"))
        result["text"] = text
        if args.shutdown:
            c.api("DELETE", "api/kernels/" + urllib.parse.quote(kid))
        return finish(0 if out["status"] == "ok" else 1)
    except asyncio.TimeoutError:
        result["status"] = "timeout"
        result["error"] = "no answer within %gs" % args.timeout
        return finish(2)
    except urllib.error.HTTPError as e:
        result["error"] = "HTTP %d from %s" % (e.code, e.url.split("?")[0])
        return finish(2)
    except Exception as e:  # connection refused, websocket closed, bad JSON...
        msg = str(e)
        if token:
            msg = msg.replace(token, "<token>")
        result["error"] = "%s: %s" % (type(e).__name__, msg)
        return finish(2)


if __name__ == "__main__":
    sys.exit(main())
