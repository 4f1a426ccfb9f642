#!/usr/bin/python3
"""Remove what a (crashed) sandbox recorded in STATE_DIR/resources.jsonl.

Usage: /usr/bin/python3 sandbox/cleanup.py --state-dir DIR

Only recorded things are touched: processes are killed by PID when their start time still matches
the recorded one (never by name), then recorded network namespaces and links are deleted.
Idempotent; exits 0 when nothing recorded is left.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import sbxhost  # noqa: E402


def sweep(state_dir, quiet=False):
    entries = sbxhost.read_journal(state_dir)
    pids = [(e["pid"], e["start"]) for e in entries if e.get("kind") == "pid"]
    netns = [e["name"] for e in entries if e.get("kind") == "netns" and e["name"].startswith(sbxhost.NETNS_PREFIX)]
    links = [e["name"] for e in entries if e.get("kind") == "link" and e["name"].startswith(("sv", "sbr"))]
    # 1. processes inside recorded namespaces, and recorded processes (verified by start time)
    for ns in dict.fromkeys(netns):
        if sbxhost.netns_exists(ns):
            sbxhost.kill_netns_processes(ns)
    sbxhost.kill_pids_verified(pids)
    # 2. links (veth root ends, then the bridge) and namespaces
    for name in dict.fromkeys(links):
        if not name.startswith("sbr"):
            sbxhost.delete_link(name)
    for ns in dict.fromkeys(netns):
        sbxhost.delete_netns(ns)
    for name in dict.fromkeys(links):
        sbxhost.delete_link(name)
    left = [("netns", n) for n in dict.fromkeys(netns) if sbxhost.netns_exists(n)]
    left += [("link", n) for n in dict.fromkeys(links) if sbxhost.link_exists(n)]
    left += [("pid", p) for p, s in pids if sbxhost.proc_starttime(p) == s and sbxhost.proc_alive(p)]
    if not quiet:
        for kind, what in left:
            print("left: %s %s" % (kind, what))
    if not left and entries:
        try:
            os.unlink(os.path.join(state_dir, sbxhost.JOURNAL))
        except FileNotFoundError:
            pass
    return left


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--state-dir", required=True)
    args = ap.parse_args()
    import fcntl
    try:
        with open(os.path.join(args.state_dir, "sandboxd.lock"), "a") as lf:
            fcntl.flock(lf, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except FileNotFoundError:
        pass
    except OSError:
        sys.exit("a sandboxd is still running with state dir %s: stop it with SIGTERM instead" % args.state_dir)
    left = sweep(os.path.abspath(args.state_dir))
    if not left:
        print("clean")
    return 1 if left else 0


if __name__ == "__main__":
    sys.exit(main())
