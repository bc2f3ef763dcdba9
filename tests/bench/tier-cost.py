#!/usr/bin/python3
# gst-vdi: what a session costs on each tier of the default ladder (issue 17).
#
# The default ladder (orchestrator/tier-ladder.cpp, defaultLadder) reserves
# CPU per tier: "full" (the session's size and rate), "half" (at most
# 30 fps and 4 Mbit/s) and "low" (15 fps, at most 1280x720, 1.5 Mbit/s).
# This measures what a busy session really uses on each: one real vdid per
# tier (a one-tier ladder with that tier's caps, so the session runs on it
# from its start), sessions of --width x --height at --fps on headless sway,
# one at a time, tiers interleaved over --rounds. Per session, over
# --seconds after --warmup: the worker's CPU (vdid-worker: capture,
# conversion, scaling, encoding) and the whole session's
# (vdi_session_cpu_seconds_total: compositor, app, worker), in cores, and
# the frames it coded a second (vdi_session_coded_fps).
#
# Workloads (the app of the session):
#   video    videotestsrc zone-plate (moving rings, every pixel changes every
#            frame) at the session's size and rate into waylandsink, tiled
#            full-screen by sway: what a video or a game costs
#   animate  vdi-test-client animating a small square at the session's rate
#            (small damage every frame: a desktop with something moving)
#
#   ./scripts/build && python3 tests/bench/tier-cost.py [--rounds 3]
#       [--seconds 8] [--warmup 4] [--width 1920] [--height 1080] [--fps 60]
#       [--workloads video,animate]

import json
import os
import re
import shutil
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402

BUILD, USER = benchlib.BUILD, benchlib.TEST_USER
request = benchlib.request
AUTH = f"{USER}:pw"

# The default ladder's caps: name, [tier] lines.
TIERS = [("full", ""), ("half", "fps=30\nmax-bitrate=4000\n"),
         ("low", "fps=15\nmax-size=1280x720\nmax-bitrate=1500\n")]


def session_metric(base, name, sid):
    text = request("GET", f"{base}/metrics", AUTH)[1]
    m = re.search(name + r'\{[^}]*session="' + re.escape(sid) + r'"[^}]*\} (\S+)', text)
    return float(m.group(1)) if m else None


def worker_pids(runtime_dir):
    """The vdid-worker processes whose XDG_RUNTIME_DIR is @runtime_dir."""
    want = f"XDG_RUNTIME_DIR={runtime_dir}".encode()
    pids = []
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            with open(f"/proc/{p}/comm") as f:
                if not f.read().startswith("vdid-worker"):
                    continue
            with open(f"/proc/{p}/environ", "rb") as f:
                if want in f.read().split(b"\0"):
                    pids.append(int(p))
        except OSError:
            continue
    return pids


def app(workload, args):
    if workload == "video":
        return ["gst-launch-1.0", "-q", "videotestsrc", "pattern=zone-plate", "kx2=20", "ky2=20",
                "kt=1", "is-live=true", "!",
                f"video/x-raw,width={args.width},height={args.height},framerate={args.fps}/1",
                "!", "waylandsink"]
    # vdi-test-client takes commands once configured: a fifo feeds it.
    client = os.path.join(BUILD, "tests", "vdi-test-client")
    return ["sh", "-c",
            f'f="$XDG_RUNTIME_DIR/anim"; mkfifo "$f"; {{ until grep -q configured "$f.out" '
            f'2>/dev/null; do sleep 0.05; done; echo animate {args.fps}; exec tail -f /dev/null; }}'
            f' > "$f" & exec {client} < "$f" > "$f.out"']


def measure(base, runtime_root, workload, args):
    status, body = request("POST", f"{base}/api/v1/sessions", AUTH,
                           json.dumps({"apps": [app(workload, args)]}))
    if status != 201:
        sys.exit(f"session refused: {status} {body}")
    sid = json.loads(body)["id"]
    try:
        if benchlib.wait_started(base, sid, AUTH) != "running":
            sys.exit(f"session {sid} did not run")
        time.sleep(args.warmup)
        pids = worker_pids(os.path.join(runtime_root, sid))
        if len(pids) != 1:
            sys.exit(f"found {len(pids)} workers of session {sid}")
        hz = os.sysconf("SC_CLK_TCK")
        w0, s0, t0 = (benchlib.cpu_ticks(pids[0]),
                      session_metric(base, "vdi_session_cpu_seconds_total", sid), time.monotonic())
        fps = []
        end = t0 + args.seconds
        while time.monotonic() < end:
            time.sleep(1)
            v = session_metric(base, "vdi_session_coded_fps", sid)
            if v is not None:
                fps.append(v)
        w1, s1, t1 = (benchlib.cpu_ticks(pids[0]),
                      session_metric(base, "vdi_session_cpu_seconds_total", sid), time.monotonic())
        return {"worker": (w1 - w0) / hz / (t1 - t0), "session": (s1 - s0) / (t1 - t0),
                "fps": statistics.median(fps) if fps else 0.0}
    finally:
        request("DELETE", f"{base}/api/v1/sessions/{sid}", AUTH)


def main():
    ap = benchlib.rounds_parser(rounds=3, seconds=8, warmup=4)
    ap.add_argument("--width", type=int, default=1920)
    ap.add_argument("--height", type=int, default=1080)
    ap.add_argument("--fps", type=int, default=60)
    ap.add_argument("--workloads", default="video,animate")
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="tier-cost-")
    os.chmod(tmp, 0o755)
    env = benchlib.vdid_env()
    hashed = benchlib.hash_password("pw")
    vdids = {}
    try:
        for name, caps in TIERS:
            conf = os.path.join(tmp, f"{name}.conf")
            runtime = os.path.join(tmp, f"run-{name}")
            with open(conf, "w") as f:
                f.write(f"[users]\n{USER}={hashed}\n[sessions]\nwidth={args.width}\n"
                        f"height={args.height}\nfps={args.fps}\nidle-timeout=0\naudio=false\n"
                        f"runtime-dir={runtime}\ncompositor=sway\n[dbus]\nbus=none\n"
                        f"[budget]\ncpu=8\ntiers={name}\n[tier {name}]\ncpu=1\n{caps}")
            vdids[name] = benchlib.start_vdid(conf, env) + (runtime,)
        runs = {(w, n): [] for w in args.workloads.split(",") for n, _ in TIERS}
        for r in range(args.rounds):
            for w in args.workloads.split(","):
                for name, _ in TIERS:
                    _, base, runtime = vdids[name]
                    m = measure(base, runtime, w, args)
                    runs[(w, name)].append(m)
                    print(f"round {r + 1} {w} {name}: {json.dumps(m)}", file=sys.stderr)
    finally:
        for proc, _, _ in vdids.values():
            proc.terminate()
            proc.wait(timeout=30)
        shutil.rmtree(tmp, ignore_errors=True)

    print(f"\nsessions {args.width}x{args.height} at {args.fps} fps, {args.rounds} rounds, "
          f"medians\n")
    print("| workload | tier | coded fps | worker cores | vs full | session cores | vs full |")
    print("|---|---|---|---|---|---|---|")
    for w in args.workloads.split(","):
        full = runs[(w, "full")]
        for name, _ in TIERS:
            rs = runs[(w, name)]
            wk, ss = benchlib.median(rs, "worker"), benchlib.median(rs, "session")
            print(f"| {w} | {name} | {benchlib.median(rs, 'fps'):.1f} | {wk:.3f} | "
                  f"{wk / max(1e-9, benchlib.median(full, 'worker')):.2f} | {ss:.3f} | "
                  f"{ss / max(1e-9, benchlib.median(full, 'session')):.2f} |")
    print("\nraw:", json.dumps({f"{w} {n}": v for (w, n), v in runs.items()}))


if __name__ == "__main__":
    main()
