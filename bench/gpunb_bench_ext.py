"""Benchmark endpoints inside the Jupyter server on a test host (bench/tunnel_*.sh only).

gpunb's tunnel reaches one port on the host, Jupyter's; to compare it with `ssh -L` on equal terms,
both tunnels are pointed at this same Jupyter process, which serves:
  GET BASE/gpunb-bench/ping           2 bytes "ok" (latency)
  GET BASE/gpunb-bench/blob?bytes=N   N bytes from a buffer in memory, 1 MiB writes (throughput)
  GET BASE/gpunb-bench/info           {"port": ..., "pid": ...} of this server
Loaded through ~/.jupyter/jupyter_server_config.py or jupyter_notebook_config.py of the test
host's user (bench/lib_hosts.sh writes them); works with jupyter-server 1.x and notebook 6.x.
No authentication: the host is a throw-away network namespace and the data is zeros.
"""
import json
import os

import tornado.web

CHUNK = 1 << 20
BUF = bytes(CHUNK)


class Ping(tornado.web.RequestHandler):
    def get(self):
        self.write(b"ok")


class Blob(tornado.web.RequestHandler):
    async def get(self):
        n = int(self.get_argument("bytes", str(1 << 30)))
        self.set_header("Content-Type", "application/octet-stream")
        self.set_header("Content-Length", str(n))
        while n > 0:
            k = min(n, CHUNK)
            self.write(BUF if k == CHUNK else BUF[:k])
            n -= k
            await self.flush()


class Info(tornado.web.RequestHandler):
    def initialize(self, app):
        self.app = app

    def get(self):
        self.set_header("Content-Type", "application/json")
        self.write(json.dumps({"port": self.app.port, "pid": os.getpid()}))


def _add(app):
    base = app.web_app.settings.get("base_url", "/")
    if not base.endswith("/"):
        base += "/"
    app.web_app.add_handlers(".*$", [
        (base + "gpunb-bench/ping", Ping),
        (base + "gpunb-bench/blob", Blob),
        (base + "gpunb-bench/info", Info, {"app": app}),
    ])


def _jupyter_server_extension_points():      # jupyter-server
    return [{"module": "gpunb_bench_ext"}]


def _load_jupyter_server_extension(serverapp):
    _add(serverapp)


def _jupyter_server_extension_paths():       # older discovery name
    return [{"module": "gpunb_bench_ext"}]


load_jupyter_server_extension = _load_jupyter_server_extension   # notebook 6.x
