#!/usr/bin/python3
# gst-vdi capture benchmark (issue: vdiwaylandsrc).
#
# Starts a real headless sway (1920x1080) as the test user with the 1080p60
# workload from docs/benchmarks.md, then measures, interleaved over several
# rounds so that the machine's noise hits every candidate alike:
#
#   active: vdiwaylandsrc ! fakesink
#           vdiwaylandsrc ! videoconvert ! fakesink (to split the cost)
#           vdiwaylandsrc ! videoconvert ! x264enc ultrafast zerolatency ! fakesink
#           wf-recorder -c libx264 ultrafast zerolatency (baseline)
#   idle:   the same three on a static screen, plus wf-recorder --no-damage
#           (a full-rate capture) as the idle baseline
#
# For each: achieved fps and CPU as a fraction of one core, of the capturing
# process and of the compositor during the same window (the compositor does
# the screencopy copy on our behalf). Prints a Markdown table of medians and
# ratios against wf-recorder, and the raw runs as JSON.
#
#   meson devenv -C build python3 tests/bench/capture-bench.py [--rounds 3] [--seconds 8]

import json
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402

HERE, BUILD, TEST_USER, TICK = benchlib.HERE, benchlib.BUILD, benchlib.TEST_USER, benchlib.TICK
cpu_ticks = benchlib.cpu_ticks

WORKLOAD = ("videotestsrc is-live=true pattern=smpte ! "
            "video/x-raw,width=1920,height=1080,framerate=60/1 ! timeoverlay ! "
            "videoconvert ! waylandsink")


def find_bench_pipeline():
    for cand in (os.path.join(BUILD, "tests", "bench", "vdi-bench-pipeline"),
                 os.path.join(HERE, "vdi-bench-pipeline")):
        if os.path.exists(cand):
            return cand
    sys.exit("vdi-bench-pipeline not found: build the project first (./scripts/build)")


def as_user(runtime_dir, env, argv):
    base = ["env", "-u", "WAYLAND_DISPLAY", "-u", "DISPLAY", f"XDG_RUNTIME_DIR={runtime_dir}"]
    prefix = ["runuser", "-u", TEST_USER, "--"] if os.geteuid() == 0 else []
    return prefix + base + env + argv


class Sway:
    def __init__(self, width, height):
        self.dir = tempfile.mkdtemp(prefix="vdi-bench-")
        if os.geteuid() == 0:
            pw = pwd.getpwnam(TEST_USER)
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
        os.chmod(self.dir, 0o700)
        conf = os.path.join(self.dir, "sway.conf")
        with open(conf, "w") as f:
            f.write("xwayland disable\ndefault_border none\n"
                    f"output HEADLESS-1 resolution {width}x{height} position 0 0\n")
        os.chmod(conf, 0o644)
        self.log = open(self.dir + ".log", "w")
        self.proc = subprocess.Popen(
            as_user(self.dir, ["WLR_BACKENDS=headless", "WLR_RENDERER=pixman",
                               "WLR_LIBINPUT_NO_DEVICES=1"], ["sway", "-c", conf]),
            stdout=self.log, stderr=self.log, start_new_session=True)
        self.socket = os.path.join(self.dir, "wayland-1")
        for _ in range(150):
            if os.path.exists(self.socket) and any(n.startswith("sway-ipc.") for n in os.listdir(self.dir)):
                break
            time.sleep(0.1)
        else:
            raise RuntimeError("sway did not start")
        # The compositor process itself (runuser's child), for its CPU.
        out = subprocess.run(["pgrep", "-f", f"sway -c {conf}"], capture_output=True, text=True)
        pids = [int(p) for p in out.stdout.split()]
        self.pid = max(pids) if pids else self.proc.pid

    def spawn(self, argv):
        return subprocess.Popen(as_user(self.dir, ["WAYLAND_DISPLAY=wayland-1"], argv),
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)

    def close(self):
        kill_group(self.proc)
        shutil.rmtree(self.dir, ignore_errors=True)
        self.log.close()
        os.unlink(self.dir + ".log")


def kill_group(proc, sig=signal.SIGTERM):
    try:
        os.killpg(proc.pid, sig)
        proc.wait(timeout=5)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()


def run_gst(sway, bench, desc, warmup, seconds):
    env = dict(os.environ)
    env["GST_PLUGIN_PATH"] = os.path.join(BUILD, "plugins", "wayland")
    proc = subprocess.Popen([bench, "--warmup", str(warmup), "--seconds", str(seconds), desc],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    time.sleep(warmup)
    s0 = cpu_ticks(sway.pid)
    out, err = proc.communicate(timeout=warmup + seconds + 30)
    s1 = cpu_ticks(sway.pid)
    if proc.returncode != 0:
        raise RuntimeError(f"{desc}: {err.strip()}")
    r = json.loads(out.strip().splitlines()[-1])
    r["compositor_cpu"] = (s1 - s0) / TICK / seconds
    return r


def run_wf_recorder(sway, warmup, seconds, extra):
    out = os.path.join(tempfile.gettempdir(), f"vdi-bench-wf-{os.getpid()}.mkv")
    if os.path.exists(out):
        os.unlink(out)
    env = dict(os.environ, XDG_RUNTIME_DIR=sway.dir, WAYLAND_DISPLAY="wayland-1")
    proc = subprocess.Popen(["wf-recorder", "-o", "HEADLESS-1", "-c", "libx264",
                             "-p", "preset=ultrafast", "-p", "tune=zerolatency", *extra,
                             "-f", out],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, env=env, start_new_session=True)
    t_start = time.monotonic()
    time.sleep(warmup)
    c0, s0, t0 = cpu_ticks(proc.pid), cpu_ticks(sway.pid), time.monotonic()
    time.sleep(seconds)
    c1, s1, t1 = cpu_ticks(proc.pid), cpu_ticks(sway.pid), time.monotonic()
    proc.send_signal(signal.SIGINT)
    t_end = time.monotonic()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        kill_group(proc, signal.SIGKILL)
    probe = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-count_frames",
                            "-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", out],
                           capture_output=True, text=True)
    frames = int(probe.stdout.strip() or 0)
    os.unlink(out) if os.path.exists(out) else None
    wall = t1 - t0
    return {"frames": frames, "seconds": t_end - t_start,
            "fps": frames / (t_end - t_start), "cpu": (c1 - c0) / TICK / wall,
            "compositor_cpu": (s1 - s0) / TICK / wall}


def summarize(name, runs, baseline=None):
    row = {"name": name, **{k: benchlib.median(runs, k) for k in ("fps", "cpu", "compositor_cpu")}}
    if baseline:
        row["cpu_ratio"] = row["cpu"] / baseline["cpu"] if baseline["cpu"] else float("nan")
    return row


def main():
    args = benchlib.rounds_parser().parse_args()

    bench = find_bench_pipeline()
    sway = Sway(1920, 1080)
    src = f'vdiwaylandsrc display="{sway.socket}" show-cursor=false'
    candidates = {
        "vdiwaylandsrc ! fakesink": f"{src} ! fakesink name=sink sync=false",
        "vdiwaylandsrc ! videoconvert ! fakesink":
            f"{src} ! videoconvert ! video/x-raw,format=I420 ! fakesink name=sink sync=false",
        "vdiwaylandsrc ! videoconvert ! x264enc ! fakesink":
            f"{src} ! videoconvert ! x264enc speed-preset=ultrafast tune=zerolatency "
            f"! fakesink name=sink sync=false",
    }
    results = {"active": {}, "idle": {}}
    try:
        for phase in ("active", "idle"):
            workload = sway.spawn(["gst-launch-1.0", "-q", *WORKLOAD.split()]) if phase == "active" else None
            time.sleep(2)
            runs = {k: [] for k in list(candidates) + ["wf-recorder (libx264 ultrafast)"]}
            if phase == "idle":
                runs["wf-recorder --no-damage (full rate)"] = []
            for rnd in range(args.rounds):
                for name, desc in candidates.items():
                    runs[name].append(run_gst(sway, bench, desc, args.warmup, args.seconds))
                runs["wf-recorder (libx264 ultrafast)"].append(
                    run_wf_recorder(sway, args.warmup, args.seconds, []))
                if phase == "idle":
                    runs["wf-recorder --no-damage (full rate)"].append(
                        run_wf_recorder(sway, args.warmup, args.seconds, ["-D"]))
                print(f"{phase}: round {rnd + 1}/{args.rounds} done", file=sys.stderr)
            results[phase] = runs
            if workload:
                kill_group(workload)
    finally:
        sway.close()

    print(f"\n### Capture at 1920x1080 ({args.rounds} rounds x {args.seconds:g} s, medians)\n")
    print("| phase | pipeline | fps | CPU (1 core = 100%) | CPU vs wf-recorder | compositor CPU |")
    print("|---|---|---|---|---|---|")
    for phase, runs in results.items():
        base = summarize("wf", runs["wf-recorder (libx264 ultrafast)"])
        for name, rs in runs.items():
            row = summarize(name, rs, base)
            print(f"| {phase} | {name} | {row['fps']:.1f} | {100 * row['cpu']:.1f}% | "
                  f"{row['cpu_ratio']:.2f} | {100 * row['compositor_cpu']:.1f}% |")
    print("\nraw:", json.dumps(results))


if __name__ == "__main__":
    main()
