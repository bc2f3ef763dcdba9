#!/usr/bin/python3
# gst-vdi desktop-workload benchmark (issue 19, "Density").
#
# A real headless sway at 1920x1080 (pixman, as the test user) runs real
# Wayland clients driven by a script; each candidate capture+convert+encode
# pipeline runs in its own process (vdi-bench-pipeline), interleaved over
# several rounds so the machine's noise hits every candidate alike.
#
# Workloads:
#   typing  foot (a terminal), typed into at --cps characters a second by
#           one long-lived vdiinputsink (a key press and release per
#           character: a steady rate; one wtype process per key is not)
#   idle    foot, nobody typing (a still desktop)
#
# Per candidate: CPU of the pipeline process (1 core = 100 %), the
# compositor's CPU in the same window, frames out of the encoder per
# second and the encoded bitrate. Then one quality pass per candidate
# records the encoder's input frames and its output for --quality-seconds
# and gives ffmpeg's SSIM (ssim filter, All) of the decoded stream against
# them, so a cheaper setting is never just a blurrier one.
#
# Candidate "vdid-worker" is the session's real pipeline process
# (vdid-worker --display ..., nobody watching: what an idle session costs;
# "vdid-worker + SRT reader" with its SRT branch running into a FIFO),
# of this build and, with --worker-before BUILD_DIR, of another build
# ("vdid-worker (before)") in the same rounds; fps and bitrate are the
# worker's own stats (what reaches vdiwebrtcsink, skipped pictures too).
#
#   meson devenv -C build python3 tests/bench/desktop-bench.py \
#       [--rounds 3] [--seconds 8] [--workloads typing,idle] [--candidates NAME,...] \
#       [--worker-before OTHER_BUILD_DIR]

import importlib.util
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402

HERE, BUILD = benchlib.HERE, benchlib.BUILD
_spec = importlib.util.spec_from_file_location("capture_bench", os.path.join(HERE, "capture-bench.py"))
cb = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(cb)

WIDTH, HEIGHT, FPS, BITRATE = 1920, 1080, 60, 6000
TEXT = "the quick brown fox jumps over the lazy dog "


def worker_encoder(encoder="x264enc"):
    """The encoder fragment vdid-worker uses (vdi-encoder, worker defaults:
    60 fps, 6000 kbit/s, keyframes on demand), without its converter."""
    tool = os.path.join(BUILD, "common", "vdi-encoder")
    out = subprocess.run([tool, "--fps", str(FPS), "--bitrate", str(BITRATE),
                          "--keyframe-interval", "0", "--encoder", encoder],
                         capture_output=True, text=True, check=True).stdout.strip()
    parts = out.split(" ! ")
    # "convert ! caps ! encoder ! capsfilter": keep the encoder and what follows.
    i = next(n for n, p in enumerate(parts) if p.startswith(encoder))
    return " ! ".join(parts[i:])


X264 = None  # filled in main() from vdi-encoder


def candidates():
    x264 = X264
    x264_1t = x264.replace("sliced-threads=true", "sliced-threads=false") + ""
    return {
        # step 1: the converter
        "videoconvert + x264 (worker before)": ("videoconvert ! video/x-raw,format=I420", x264),
        "vdidamageconvert + x264 (worker now)": ("vdidamageconvert ! video/x-raw,format=I420",
                                                 x264),
        "vdidamageconvert NV12 + x264": ("vdidamageconvert ! video/x-raw,format=NV12", x264),
        # step 2: encoder settings for screen content
        "vdidamageconvert + x264 threads=1": ("vdidamageconvert ! video/x-raw,format=I420",
                                              x264_1t.replace("x264enc ", "x264enc threads=1 ")),
        "vdidamageconvert + x264 frame threads=2": (
            "vdidamageconvert ! video/x-raw,format=I420",
            x264_1t.replace("x264enc ", "x264enc threads=2 ")),
        "vdidamageconvert + openh264 screen": ("vdidamageconvert ! video/x-raw,format=I420",
                                               worker_encoder("openh264enc")),
    }


class Typist:
    """Types TEXT into the focused window at @cps characters a second
    through one vdiinputsink (KeyPress + KeyRelease per character)."""

    def __init__(self, sway, cps):
        env = dict(os.environ, GST_PLUGIN_PATH=os.path.join(BUILD, "plugins", "wayland"))
        self.proc = subprocess.Popen(
            ["gst-launch-1.0", "-q", "fdsrc", "fd=0", "!", "vdiinputsink",
             f"display={sway.socket}"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, env=env, start_new_session=True)
        self.period = 1.0 / cps
        self.stop_flag = threading.Event()
        self.typed = 0
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        n, next_t = 0, time.monotonic()
        while not self.stop_flag.is_set():
            ch = TEXT[self.typed % len(TEXT)]
            key = "space" if ch == " " else ch
            lines = ""
            for ev in ("KeyPress", "KeyRelease"):
                n += 1
                lines += json.dumps({"id": n, "request": {"type": "navigationEvent", "event": {
                    "event": ev, "key": key}}}) + "\n"
            try:
                self.proc.stdin.write(lines.encode())
                self.proc.stdin.flush()
            except BrokenPipeError:
                return
            self.typed += 1
            next_t += self.period
            self.stop_flag.wait(max(0.0, next_t - time.monotonic()))

    def close(self):
        self.stop_flag.set()
        self.thread.join()
        cb.kill_group(self.proc)


def start_workload(sway, name, cps):
    """The clients of workload @name; returns a list of things to close()."""
    foot = sway.spawn(["foot", "-o", "cursor.blink=no"])
    time.sleep(1.5)  # foot maps its window; nothing to wait on from here
    things = [Closer(lambda: cb.kill_group(foot))]
    if name == "typing":
        things.append(Typist(sway, cps))
    elif name != "idle":
        raise SystemExit(f"unknown workload {name}")
    return things


def run_worker(sway, build, warmup, seconds, srt=False):
    """CPU of vdid-worker of @build against @sway over @seconds after
    @warmup; fps and bitrate from its stats events. With @srt, its SRT
    branch runs into a FIFO drained here (as vdid-srt would)."""
    env = dict(os.environ, GST_PLUGIN_PATH=":".join(
        os.path.join(build, "plugins", p) for p in ("wayland", "session")))
    argv = [os.path.join(build, "orchestrator", "vdid-worker"), "--display", sway.socket,
            "--fps", str(FPS), "--bitrate", str(BITRATE)]
    fifo_dir = tempfile.mkdtemp(prefix="vdi-bench-srt-") if srt else None
    if srt:
        fifo = os.path.join(fifo_dir, "ts")
        os.mkfifo(fifo)
        drain_fd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
        argv += ["--srt-fifo", fifo]
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, env=env, text=True,
                            start_new_session=True)
    if srt:
        os.set_blocking(drain_fd, True)

        def drain():
            while os.read(drain_fd, 65536):
                pass

        threading.Thread(target=drain, daemon=True).start()
        proc.stdin.write(json.dumps({"op": "srt", "active": True}) + "\n")
        proc.stdin.flush()
    stats, lock = [], threading.Lock()

    def read():
        for line in proc.stdout:
            try:
                ev = json.loads(line)
            except ValueError:
                continue
            if ev.get("event") == "stats":
                with lock:
                    stats.append((time.monotonic(), ev))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    time.sleep(warmup)
    c0, s0, t0 = cb.cpu_ticks(proc.pid), cb.cpu_ticks(sway.pid), time.monotonic()
    time.sleep(seconds)
    c1, s1, t1 = cb.cpu_ticks(proc.pid), cb.cpu_ticks(sway.pid), time.monotonic()
    proc.stdin.close()  # vdid went away: the worker stops
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        cb.kill_group(proc, signal.SIGKILL)
    reader.join(timeout=5)
    if srt:
        subprocess.run(["rm", "-rf", fifo_dir])
    with lock:
        window = [ev for t, ev in stats if t0 < t <= t1 + 0.1]
    fps = sum(ev["fps"] for ev in window) / len(window) if window else float("nan")
    bitrate = sum(ev["bitrate"] for ev in window) / len(window) if window else 0.0
    wall = t1 - t0
    return {"cpu": (c1 - c0) / cb.TICK / wall, "compositor_cpu": (s1 - s0) / cb.TICK / wall,
            "fps": fps, "bytes": bitrate / 8 * wall, "seconds": wall}


class Closer:
    def __init__(self, fn):
        self.close = fn


def pipeline(sway, convert, encode, tail="fakesink name=sink sync=false"):
    src = f'vdiwaylandsrc display="{sway.socket}" show-cursor=false'
    return f"{src} ! video/x-raw,framerate={FPS}/1 ! {convert} ! {encode} ! {tail}"


def ssim(sway, convert, encode, seconds):
    """SSIM (All) of the encoded stream against the encoder's input frames
    over @seconds of the running workload."""
    tmp = tempfile.mkdtemp(prefix="vdi-ssim-")
    ref, enc = os.path.join(tmp, "ref.yuv"), os.path.join(tmp, "enc.h264")
    fmt = "nv12" if "NV12" in convert else "yuv420p"
    desc = (f'vdiwaylandsrc display="{sway.socket}" show-cursor=false ! '
            f"video/x-raw,framerate={FPS}/1 ! {convert} ! tee name=t ! queue ! "
            f"filesink location={ref} t. ! queue ! {encode} ! h264parse ! "
            f"video/x-h264,stream-format=byte-stream ! filesink location={enc}")
    env = dict(os.environ, GST_PLUGIN_PATH=os.path.join(BUILD, "plugins", "wayland"))
    proc = subprocess.Popen(["gst-launch-1.0", "-q", "-e", *split_launch(desc)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env,
                            start_new_session=True)
    time.sleep(seconds)
    os.killpg(proc.pid, signal.SIGINT)
    proc.wait(timeout=30)
    out = subprocess.run(
        ["ffmpeg", "-hide_banner", "-nostats", "-f", "rawvideo", "-pix_fmt", fmt, "-s",
         f"{WIDTH}x{HEIGHT}", "-i", ref, "-i", enc, "-lavfi",
         "[0:v]setpts=N[a];[1:v]setpts=N[b];[b][a]ssim", "-f", "null", "-"],
        capture_output=True, text=True)
    m = re.search(r"SSIM .* All:([0-9.]+)", out.stderr)
    frames = os.path.getsize(ref) // (WIDTH * HEIGHT * 3 // 2) if os.path.exists(ref) else 0
    subprocess.run(["rm", "-rf", tmp])
    return {"ssim": float(m.group(1)) if m else float("nan"), "frames": frames}


def split_launch(desc):
    """gst-launch arguments from a description with quoted values."""
    import shlex
    return shlex.split(desc)


def main():
    ap = benchlib.rounds_parser()
    ap.add_argument("--workloads", default="typing,idle")
    ap.add_argument("--candidates", default="")
    ap.add_argument("--cps", type=float, default=8.0)
    ap.add_argument("--quality-seconds", type=float, default=6.0)
    ap.add_argument("--worker-before", default="",
                    help="another build directory whose vdid-worker runs beside this one's")
    args = ap.parse_args()

    global X264
    X264 = worker_encoder("x264enc")
    cands = candidates()
    cands["vdid-worker"] = ("worker", BUILD)
    cands["vdid-worker + SRT reader"] = ("worker+srt", BUILD)
    if args.worker_before:
        before = os.path.abspath(args.worker_before)
        cands["vdid-worker (before)"] = ("worker", before)
        cands["vdid-worker + SRT reader (before)"] = ("worker+srt", before)
    if args.candidates:
        wanted = args.candidates.split(",")
        cands = {k: v for k, v in cands.items() if any(w in k for w in wanted)}
    bench = cb.find_bench_pipeline()
    results = {}
    sway = cb.Sway(WIDTH, HEIGHT)
    try:
        for workload in args.workloads.split(","):
            things = start_workload(sway, workload, args.cps)
            runs = {k: [] for k in cands}
            try:
                for rnd in range(args.rounds):
                    for name, (convert, encode) in cands.items():
                        if convert.startswith("worker"):
                            r = run_worker(sway, encode, args.warmup, args.seconds,
                                           srt=convert == "worker+srt")
                        else:
                            r = cb.run_gst(sway, bench, pipeline(sway, convert, encode),
                                           args.warmup, args.seconds)
                        r["mbps"] = r["bytes"] * 8 / r["seconds"] / 1e6
                        runs[name].append(r)
                    print(f"{workload}: round {rnd + 1}/{args.rounds} done", file=sys.stderr)
                quality = {name: ssim(sway, c, e, args.quality_seconds)
                           for name, (c, e) in cands.items()
                           if not c.startswith("worker")} if args.quality_seconds > 0 else {}
            finally:
                for t in things:
                    t.close()
            results[workload] = {"runs": runs, "quality": quality}
    finally:
        sway.close()

    print(f"\n### Desktop workloads at {WIDTH}x{HEIGHT} ({args.rounds} rounds x "
          f"{args.seconds:g} s, medians; typing at {args.cps:g} chars/s)\n")
    print("| workload | pipeline | CPU (1 core = 100%) | CPU vs first | fps | Mbit/s | SSIM | "
          "compositor CPU |")
    print("|---|---|---|---|---|---|---|---|")
    for workload, res in results.items():
        first = None
        for name, rs in res["runs"].items():
            cpu = benchlib.median(rs, "cpu")
            first = first or cpu
            q = res["quality"].get(name, {}).get("ssim", float("nan"))
            ratio = cpu / first if first else float("nan")
            print(f"| {workload} | {name} | {100 * cpu:.2f}% | {ratio:.2f} | "
                  f"{benchlib.median(rs, 'fps'):.1f} | {benchlib.median(rs, 'mbps'):.3f} | "
                  f"{q:.5f} | {100 * benchlib.median(rs, 'compositor_cpu'):.1f}% |")
    print("\nraw:", json.dumps(results))


if __name__ == "__main__":
    main()
