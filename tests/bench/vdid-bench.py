#!/usr/bin/python3
# gst-vdi vdid benchmark (issue: vdid).
#
# Runs a real vdid (as root, sessions as the test user) on a free loopback
# port and measures:
#   1. cold start: POST /api/v1/sessions -> state "running" (compositor up,
#      worker pipeline playing), then a real Chromium (tests/browser/webrtc.mjs
#      "play") from WebSocket connect to the first decoded frame; medians over
#      --starts sessions, each deleted before the next;
#   1b. the same from the pre-warmed pool ([sessions] pool-size=1, a second
#      vdid after the first): POST -> 201 (already "running"), then the same
#      Chromium measure; each request waits until the pool has refilled;
#   2. idle cost: --idle sessions left running with nobody watching; after a
#      settle time, per-session RSS and CPU over --window seconds from vdid's
#      own /metrics, and /health latency while they idle (UI responsiveness).
#
#   ./scripts/build && python3 tests/bench/vdid-bench.py [--starts 5] [--idle 10] [--pool-starts 5]
#       [--compositor sway|gnome|mutter]   ([sessions] compositor; --idle 0 and
#                                           --pool-starts 0 skip parts 2 and 1b)

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402

SRC, BUILD, USER = benchlib.SRC, benchlib.BUILD, benchlib.TEST_USER
request = benchlib.request


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--starts", type=int, default=5)
    ap.add_argument("--idle", type=int, default=10)
    ap.add_argument("--window", type=float, default=10)
    ap.add_argument("--pool-starts", type=int, default=5)
    ap.add_argument("--compositor", default="sway")
    ap.add_argument("--web-root", default=f"{BUILD}/web",
                    help="the web client served (e.g. an older build's, side by side)")
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("run as root: sessions run as the test user")

    tmp = tempfile.mkdtemp(prefix="vdid-bench-")
    os.chmod(tmp, 0o755)
    hashed = benchlib.hash_password("pw")
    conf = os.path.join(tmp, "vdid.conf")
    with open(conf, "w") as f:
        f.write(f"[users]\n{USER}={hashed}\n[sessions]\nwidth=1280\nheight=720\nfps=30\n"
                f"max-sessions={args.idle + 2}\nmax-sessions-per-user={args.idle + 2}\n"
                f"idle-timeout=0\nruntime-dir={tmp}/run\ncompositor={args.compositor}\n")
    env = benchlib.vdid_env(GST_VDI_WEB_ROOT=args.web_root, VDID_WEB_ROOT=args.web_root)

    def start_vdid(config):
        return benchlib.start_vdid(config, env)

    vdid, base = start_vdid(conf)
    auth = f"{USER}:pw"
    out = {"running_ms": [], "first_frame_ms": [], "pool_running_ms": [], "pool_first_frame_ms": []}

    def first_frame(base, sid):
        """Chromium: WebSocket connect -> first decoded frame, in ms."""
        _, share = request("POST", f"{base}/api/v1/sessions/{sid}/shares", auth, '{"role":"view"}')
        token = json.loads(share)["token"]
        sig = urllib.parse.quote(f"/api/v1/sessions/{sid}/signalling?token={token}", safe="")
        res = subprocess.run(["node", f"{SRC}/tests/browser/webrtc.mjs", "play", base,
                              f"?autoconnect=0&stats=0&signalling={sig}"],
                             capture_output=True, text=True, timeout=120)
        lines = [l for l in res.stdout.splitlines() if l.startswith("result ")]
        result = json.loads(lines[-1][7:]) if lines else {"error": res.stderr[-500:]}
        if "firstFrameMs" not in result:
            sys.exit(f"Chromium did not play session {sid}: {result}")
        return result["firstFrameMs"]

    try:
        # 1. cold starts
        for _ in range(args.starts):
            t0 = time.monotonic()
            status, body = request("POST", f"{base}/api/v1/sessions", auth, "{}")
            sid = json.loads(body)["id"]
            benchlib.wait_started(base, sid, auth, poll=0.01)
            out["running_ms"].append((time.monotonic() - t0) * 1000)
            out["first_frame_ms"].append(first_frame(base, sid))
            request("DELETE", f"{base}/api/v1/sessions/{sid}", auth)
            print(f"start: running after {out['running_ms'][-1]:.0f} ms, first frame "
                  f"{out['first_frame_ms'][-1]:.0f} ms after connect", file=sys.stderr)

        # 2. idle sessions (none with --idle 0; the pool part still runs)
        if args.idle > 0:
            ids = []
            for _ in range(args.idle):
                ids.append(json.loads(request("POST", f"{base}/api/v1/sessions", auth, "{}")[1])["id"])
            for sid in ids:
                benchlib.wait_started(base, sid, auth)
            time.sleep(5)

            def scrape():
                text = request("GET", f"{base}/metrics", auth)[1]
                cpu = {m.group(1): float(m.group(2)) for m in re.finditer(
                    r'vdi_session_cpu_seconds_total\{session="(\w+)",[^}]*\} (\S+)', text)}
                rss = {m.group(1): float(m.group(2)) for m in re.finditer(
                    r'vdi_session_rss_bytes\{session="(\w+)",[^}]*\} (\S+)', text)}
                return cpu, rss
            c0, _ = scrape()
            health = []
            t_end = time.monotonic() + args.window
            while time.monotonic() < t_end:
                t = time.monotonic()
                request("GET", f"{base}/health", auth)
                health.append((time.monotonic() - t) * 1000)
                time.sleep(0.2)
            c1, rss = scrape()
            cpu_pct = [100 * (c1[s] - c0[s]) / args.window for s in ids if s in c0 and s in c1]
            out["idle_sessions"] = len(ids)
            out["idle_cpu_pct_median"] = statistics.median(cpu_pct)
            out["idle_rss_mb_median"] = statistics.median(rss[s] / 1e6 for s in ids if s in rss)
            out["health_ms_median"] = statistics.median(health)
            out["health_ms_max"] = max(health)
    finally:
        vdid.terminate()
        vdid.wait(timeout=60)

    # 1b. starts from the pool, same workload, a vdid with pool-size=1
    pool_conf = os.path.join(tmp, "vdid-pool.conf")
    with open(conf) as f, open(pool_conf, "w") as g:
        g.write(f.read().replace("[sessions]\n", "[sessions]\npool-size=1\n"))
    vdid, base = start_vdid(pool_conf)
    try:
        def pool_ready():
            text = request("GET", f"{base}/metrics", auth)[1]
            m = re.search(r'^vdi_pool_ready\{user="%s"\} (\S+)$' % USER, text, re.M)
            return m and float(m.group(1)) >= 1
        for _ in range(args.pool_starts):
            deadline = time.monotonic() + 60
            while not pool_ready() and time.monotonic() < deadline:
                time.sleep(0.05)
            t0 = time.monotonic()
            status, body = request("POST", f"{base}/api/v1/sessions", auth, "{}")
            session = json.loads(body)
            sid = session["id"]
            while session["state"] == "starting":
                time.sleep(0.01)
                session = json.loads(request("GET", f"{base}/api/v1/sessions/{sid}", auth)[1])
            out["pool_running_ms"].append((time.monotonic() - t0) * 1000)
            if not session.get("pooled"):
                print("warning: not served from the pool", file=sys.stderr)
            out["pool_first_frame_ms"].append(first_frame(base, sid))
            request("DELETE", f"{base}/api/v1/sessions/{sid}", auth)
            print(f"pool start: running after {out['pool_running_ms'][-1]:.0f} ms, first frame "
                  f"{out['pool_first_frame_ms'][-1]:.0f} ms after connect", file=sys.stderr)
    finally:
        vdid.terminate()
        vdid.wait(timeout=60)
        shutil.rmtree(tmp, ignore_errors=True)

    report(out, args)


def report(out, args):
    med = lambda k: statistics.median(out[k])
    print(f"\ncompositor={args.compositor}")
    print(f"\n| measure | median | n |\n|---|---|---|")
    if out["running_ms"]:
        print(f"| POST -> running (compositor + worker playing) | {med('running_ms'):.0f} ms | {args.starts} |")
        print(f"| WebSocket connect -> first decoded frame in Chromium | {med('first_frame_ms'):.0f} ms | {args.starts} |")
        print(f"| start to first frame (sum of medians) | {med('running_ms') + med('first_frame_ms'):.0f} ms | |")
    if out["pool_running_ms"]:
        print(f"| pool: POST -> running (pooled session claimed) | {med('pool_running_ms'):.0f} ms | {args.pool_starts} |")
        print(f"| pool: WebSocket connect -> first decoded frame in Chromium | {med('pool_first_frame_ms'):.0f} ms | {args.pool_starts} |")
        print(f"| pool: start to first frame (sum of medians) | {med('pool_running_ms') + med('pool_first_frame_ms'):.0f} ms | |")
    if "idle_sessions" not in out:
        print("\nraw:", json.dumps(out))
        return
    print(f"| idle session CPU (compositor + worker) | {out['idle_cpu_pct_median']:.2f} % of a core | {out['idle_sessions']} sessions |")
    print(f"| idle session RSS | {out['idle_rss_mb_median']:.0f} MB | {out['idle_sessions']} sessions |")
    print(f"| /health latency with them idle | {out['health_ms_median']:.1f} ms (max {out['health_ms_max']:.1f}) | |")
    print("\nraw:", json.dumps(out))


if __name__ == "__main__":
    main()
