#!/usr/bin/python3
# gst-vdi encode-tier benchmark (issue 17, "Benchmark").
#
# A real vdid (as root, sessions as the test user, headless sway) admits a
# rising number of busy sessions, once with the host budget and its tier
# ladder ([budget] cpu, session-cpu, downgrade=true: docs/vdid.md) and once
# without ([budget] absent: every session on the full tier). Per step:
#
#   - sessions admitted (201) or refused (429), and each one's tier;
#   - each session's coded frame rate (vdi_session_coded_fps, the median of
#     one-second samples over --window) against its tier's frame rate;
#   - host CPU (all cores, /proc/stat) over the same window;
#   - input-to-photon of a probe session in real Chromium (webrtc-latency.mjs:
#     a key on the data channel flips vdi-input-client --flip dark/light, the
#     page times the frame that shows it): median and p95 over --presses.
#
# The probe session is the first one (it runs vdi-input-client --flip and
# nothing else); every other session plays a moving full-window picture
# (videotestsrc pattern=zone-plate, moving rings, into waylandsink, tiled
# full-screen by sway; fullscreen=true fails in GStreamer 1.22: every pixel
# changes every frame, like a video), so each costs its compositor, app and
# worker.
#
#   ./scripts/build && python3 tests/bench/tier-bench.py [--sessions 6]
#       [--budget-cpu 1.6] [--session-cpu 0.4] [--width 1280] [--height 720]
#       [--fps 30] [--presses 40] [--settle 8] [--window 6] [--modes tiers,flat]

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
AUTH = f"{USER}:pw"


def host_busy():
    """(busy, total) jiffies of all cores."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    idle = v[3] + v[4]
    return sum(v) - idle, sum(v)


def metric(text, name, sid):
    m = re.search(name + r'\{[^}]*session="' + re.escape(sid) + r'"[^}]*\} (\S+)', text)
    return float(m.group(1)) if m else None


def tier_of(base, sid):
    body = json.loads(request("GET", f"{base}/api/v1/sessions/{sid}", AUTH)[1])
    t = body.get("tier") or {}
    return t.get("name", "full"), t.get("fps")


def measure(base, sids, window):
    """Median fps per session and host CPU (cores) over @window seconds."""
    samples = {s: [] for s in sids}
    b0, t0 = host_busy()
    end = time.monotonic() + window
    while time.monotonic() < end:
        text = request("GET", f"{base}/metrics", AUTH)[1]
        for s in sids:
            v = metric(text, "vdi_session_coded_fps", s)
            if v is not None:
                samples[s].append(v)
        time.sleep(1)
    b1, t1 = host_busy()
    cores = os.cpu_count() * (b1 - b0) / max(1, t1 - t0)
    return {s: (statistics.median(v) if v else 0.0) for s, v in samples.items()}, cores


def probe_latency(base, sid, presses):
    """(median, p95, misses) of input-to-photon in Chromium, in ms."""
    _, share = request("POST", f"{base}/api/v1/sessions/{sid}/shares", AUTH, '{"role":"control"}')
    token = json.loads(share)["token"]
    sig = urllib.parse.quote(f"/api/v1/sessions/{sid}/signalling?token={token}", safe="")
    res = subprocess.run(["node", f"{SRC}/tests/bench/webrtc-latency.mjs", base, str(presses),
                          "press", f"?autoconnect=0&stats=0&signalling={sig}"],
                         capture_output=True, text=True, timeout=300)
    lat = []
    misses = 0
    for line in res.stdout.splitlines():
        p = line.split()
        if p[0] == "press":
            lat.append(float(p[3]) - float(p[2]))
        elif p[0] == "miss":
            misses += 1
        elif p[0] == "skip":
            sys.exit("Chromium unavailable: " + line)
    if not lat:
        sys.exit(f"the probe saw no press: {res.stdout[-800:]} {res.stderr[-800:]}")
    lat.sort()
    # A press never seen counts as 3 s (the page's timeout): a freeze is not fast.
    lat += [3000.0] * misses
    lat.sort()
    return statistics.median(lat), lat[min(len(lat) - 1, int(0.95 * len(lat)))], misses


def run_mode(mode, args, tmp, env):
    hashed = benchlib.hash_password("pw")
    conf = os.path.join(tmp, f"vdid-{mode}.conf")
    with open(conf, "w") as f:
        f.write(f"[users]\n{USER}={hashed}\n[sessions]\nwidth={args.width}\nheight={args.height}\n"
                f"fps={args.fps}\nmax-sessions={args.sessions + 1}\n"
                f"max-sessions-per-user={args.sessions + 1}\nidle-timeout=0\naudio=false\n"
                f"runtime-dir={tmp}/run-{mode}\ncompositor=sway\n")
        if mode == "tiers":
            f.write(f"[budget]\ncpu={args.budget_cpu}\nsession-cpu={args.session_cpu}\n"
                    f"downgrade=true\ntier-window=2\n")
    log_path = os.path.join(tmp, f"vdid-{mode}.log")
    log = open(log_path, "w")
    vdid, base = benchlib.start_vdid(conf, env, stderr=log)
    steps = []
    sids = []
    try:
        # The client exits at the end of its stdin: give it one that stays open.
        probe_app = json.dumps({"apps": [[
            "sh", "-c", f"tail -f /dev/null | exec {BUILD}/tests/vdi-input-client --flip"]]})
        load_app = json.dumps({"apps": [[
            "gst-launch-1.0", "-q", "videotestsrc", "pattern=zone-plate", "kx2=20", "ky2=20",
            "kt=1", "is-live=true", "!",
            f"video/x-raw,width={args.width},height={args.height},framerate={args.fps}/1", "!",
            "waylandsink"]]})  # sway tiles it to the whole output
        for k in range(args.sessions):
            status, body = request("POST", f"{base}/api/v1/sessions", AUTH,
                                   probe_app if k == 0 else load_app)
            if status == 201:
                sid = json.loads(body)["id"]
                if benchlib.wait_started(base, sid, AUTH) != "running":
                    sys.exit(f"session {sid} did not run: {body}")
                sids.append(sid)
            elif k == 0:
                sys.exit(f"the probe session was refused: {status} {body}")
            time.sleep(args.settle)  # tier moves happen every 2 s
            fps, cores = measure(base, sids, args.window)
            tiers = {s: tier_of(base, s) for s in sids}
            med, p95, misses = probe_latency(base, sids[0], args.presses)
            load = [s for s in sids[1:]]
            below = [s for s in load if fps[s] < 0.9 * (tiers[s][1] or args.fps)]
            step = {"asked": k + 1, "admitted": len(sids), "refused": k + 1 - len(sids),
                    "probe_tier": tiers[sids[0]][0],
                    "host_cores": round(cores, 2), "p95_ms": round(p95, 1),
                    "median_ms": round(med, 1), "misses": misses,
                    "tiers": [tiers[s][0] for s in load],
                    "fps": [round(fps[s], 1) for s in load],
                    "below_tier_fps": len(below)}
            steps.append(step)
            print(f"{mode}: {json.dumps(step)}", file=sys.stderr)
    finally:
        for s in sids:
            request("DELETE", f"{base}/api/v1/sessions/{s}", AUTH)
        vdid.terminate()
        vdid.wait(timeout=30)
        log.close()
        with open(log_path) as f:  # every tier move, with its reason
            for line in f:
                if ": tier \"" in line:
                    print(f"{mode}: {line.strip()}", file=sys.stderr)
    return steps


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sessions", type=int, default=6)
    ap.add_argument("--budget-cpu", type=float, default=1.6)
    ap.add_argument("--session-cpu", type=float, default=0.4)
    ap.add_argument("--width", type=int, default=1280)
    ap.add_argument("--height", type=int, default=720)
    ap.add_argument("--fps", type=int, default=30)
    ap.add_argument("--presses", type=int, default=40)
    ap.add_argument("--settle", type=float, default=8)
    ap.add_argument("--window", type=float, default=6)
    ap.add_argument("--modes", default="tiers,flat")
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("run as root: sessions run as the test user")
    tmp = tempfile.mkdtemp(prefix="tier-bench-")
    os.chmod(tmp, 0o755)
    env = benchlib.vdid_env(GST_VDI_WEB_ROOT=f"{BUILD}/web", VDID_WEB_ROOT=f"{BUILD}/web")
    out = {}
    try:
        for mode in args.modes.split(","):
            out[mode] = run_mode(mode, args, tmp, env)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"\n{args.width}x{args.height}@{args.fps}, budget cpu={args.budget_cpu} "
          f"session-cpu={args.session_cpu}, {os.cpu_count()} cores")
    print("| mode | asked | admitted | load tiers | load fps | below tier fps | host cores "
          "| probe tier | probe median / p95 ms (misses) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for mode, steps in out.items():
        for s in steps:
            print(f"| {mode} | {s['asked']} | {s['admitted']} | {' '.join(s['tiers']) or '-'} | "
                  f"{' '.join(str(f) for f in s['fps']) or '-'} | {s['below_tier_fps']} | "
                  f"{s['host_cores']} | {s['probe_tier']} | {s['median_ms']} / {s['p95_ms']} "
                  f"({s['misses']}) |")
    print(json.dumps(out))


if __name__ == "__main__":
    main()
