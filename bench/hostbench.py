#!/usr/bin/python3
"""HTTP probes for bench/tunnel_*.sh and bench/connect_vs_manual.sh (standard library only).

The URL comes from the environment variable named by --url-env (default BENCH_URL), never argv: a
Jupyter URL carries its token. A `token` in the URL's query is sent as an Authorization header.

  latency  --path P [--n 1000] [--warmup 50]   sequential GETs over one keep-alive connection:
           prints {"n", "median_ms", "p90_ms", "mean_ms", "min_ms"}
  wait     --path P [--timeout 120]            polls (new connection each time) until HTTP 200:
           prints {"seconds"} (exit 1 on timeout)
  recovery --path P --up-file F [--timeout 60] starts a GET every 100 ms (each may wait up to 30 s)
           and prints {"seconds"}: from the time written (epoch seconds) to F, once it exists, until
           the first 200 answer completes after that time (exit 1 on timeout)
"""
import argparse
import http.client
import json
import os
import socket
import statistics
import sys
import threading
import time
import urllib.parse


def target(env):
    raw = os.environ.get(env, "").strip()
    if not raw:
        sys.exit("hostbench: $%s is not set" % env)
    u = urllib.parse.urlsplit(raw)
    token = (urllib.parse.parse_qs(u.query).get("token") or [None])[0]
    base = u.path if u.path.endswith("/") else (u.path.rsplit("/", 1)[0] + "/")
    return u.hostname, u.port or 80, base, token


def conn(host, port, timeout):
    c = http.client.HTTPConnection(host, port, timeout=timeout)
    c.connect()
    c.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return c


def get(c, path, token):
    c.request("GET", path, headers={"Authorization": "token %s" % token} if token else {})
    r = c.getresponse()
    r.read()
    return r.status


def one_shot(host, port, path, token, timeout):
    try:
        c = conn(host, port, timeout)
        try:
            return get(c, path, token)
        finally:
            c.close()
    except (OSError, http.client.HTTPException):
        return None


def cmd_latency(a, host, port, path, token):
    c = conn(host, port, 30)
    for _ in range(a.warmup):
        if get(c, path, token) != 200:
            sys.exit("hostbench: %s did not answer 200" % path)
    samples = []
    for _ in range(a.n):
        t = time.perf_counter()
        st = get(c, path, token)
        samples.append((time.perf_counter() - t) * 1000)
        if st != 200:
            sys.exit("hostbench: %s answered %s" % (path, st))
    c.close()
    samples.sort()
    print(json.dumps({"n": a.n, "median_ms": round(statistics.median(samples), 4),
                      "p90_ms": round(samples[int(len(samples) * 0.9)], 4),
                      "mean_ms": round(statistics.fmean(samples), 4), "min_ms": round(samples[0], 4)}))
    return 0


def cmd_wait(a, host, port, path, token):
    t0 = time.time()
    while time.time() - t0 < a.timeout:
        if one_shot(host, port, path, token, 2.0) == 200:
            print(json.dumps({"seconds": round(time.time() - t0, 3)}))
            return 0
        time.sleep(0.02)
    print(json.dumps({"seconds": None, "error": "no 200 within %gs" % a.timeout}))
    return 1


def cmd_recovery(a, host, port, path, token):
    done = []
    lock = threading.Lock()

    def probe():
        if one_shot(host, port, path, token, 30.0) == 200:
            with lock:
                done.append(time.time())

    t_start = time.time()
    t_up = None
    while time.time() - t_start < a.timeout:
        if t_up is None and os.path.exists(a.up_file):
            with open(a.up_file) as f:
                text = f.read().strip()
            if text:
                t_up = float(text)
        if t_up is not None:
            with lock:
                after = [t for t in done if t >= t_up]
            if after:
                print(json.dumps({"seconds": round(min(after) - t_up, 3)}))
                return 0
        threading.Thread(target=probe, daemon=True).start()
        time.sleep(0.1)
    print(json.dumps({"seconds": None, "error": "no answer within %gs" % a.timeout}))
    return 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("mode", choices=("latency", "wait", "recovery"))
    ap.add_argument("--url-env", default="BENCH_URL")
    ap.add_argument("--path", required=True, help="path below the URL's base, e.g. api/status")
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--warmup", type=int, default=50)
    ap.add_argument("--timeout", type=float, default=120)
    ap.add_argument("--up-file")
    a = ap.parse_args()
    host, port, base, token = target(a.url_env)
    path = base + a.path.lstrip("/")
    return {"latency": cmd_latency, "wait": cmd_wait, "recovery": cmd_recovery}[a.mode](a, host, port, path, token)


if __name__ == "__main__":
    sys.exit(main())
