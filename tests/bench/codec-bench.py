#!/usr/bin/python3
# gst-vdi software codec benchmark (issue 17, "Codecs by availability").
#
# Which software encoders on this machine could be an encode tier: one
# that holds the tier's frame rate within the tier's CPU. A real headless
# sway (pixman, as the test user) runs a workload, and vdiwaylandsrc records
# what the worker would encode (damage-driven frames, I420) for --seconds;
# then every candidate encodes the same clip, replayed at --fps as fast as
# it can go, one after the other, --rounds times interleaved:
#
#   - CPU per frame (user + system of the encoding process, all threads;
#     the clip encoded three times less once, so start-up, encoder set-up
#     and the first keyframe drop out) and the cores that costs at --fps:
#     the figure a tier's `cpu` has to cover;
#   - speed: frames per wall-clock second (must exceed --fps to hold it);
#   - the bitrate reached at the --bitrate target, and SSIM (ffmpeg, All)
#     of the decoded stream against the clip, so a cheaper codec is never
#     just a blurrier one.
#
# Workloads: typing (foot typed into at 8 chars/s, through vdiinputsink)
# and video (videotestsrc pattern=zone-plate in waylandsink: every pixel
# changes every frame).
#
#   ./scripts/build && python3 tests/bench/codec-bench.py [--width 1280] [--height 720]
#       [--fps 30] [--bitrate 2500] [--seconds 10] [--rounds 3] [--workloads typing,video]
#       [--candidates x264,vp8,...]

import argparse
import importlib.util
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402

HERE, BUILD = benchlib.HERE, benchlib.BUILD


def _load(name, file):
    spec = importlib.util.spec_from_file_location(name, os.path.join(HERE, file))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


cb = _load("capture_bench", "capture-bench.py")
db = _load("desktop_bench", "desktop-bench.py")


def candidates(fps, kbps):
    """name -> (encoder fragment, parser), realtime settings, keyframes
    every 10 s, no lookahead, no B-frames, 2 threads at most (a tier is a
    fraction of a 2-core host)."""
    gop = 10 * fps
    db.FPS, db.BITRATE = fps, kbps  # the worker's fragment at this rate (vdi-encoder)
    return {
        "x264 (worker)": (db.worker_encoder("x264enc"), "h264parse"),
        "openh264": (db.worker_encoder("openh264enc"), "h264parse"),
        "x265 ultrafast": (f"x265enc speed-preset=ultrafast tune=zerolatency bitrate={kbps} "
                           f"key-int-max={gop} option-string=bframes=0:pools=2:frame-threads=1",
                           "h265parse"),
        "vp8 realtime": (f"vp8enc deadline=1 cpu-used=16 end-usage=cbr target-bitrate="
                         f"{kbps * 1000} keyframe-max-dist={gop} lag-in-frames=0 threads=2 "
                         f"dropframe-threshold=0 error-resilient=default", None),
        "vp9 realtime": (f"vp9enc deadline=1 cpu-used=9 end-usage=cbr target-bitrate="
                         f"{kbps * 1000} keyframe-max-dist={gop} lag-in-frames=0 threads=2 "
                         f"row-mt=true tile-columns=1 dropframe-threshold=0", None),
        "av1 realtime (libaom)": (f"av1enc usage-profile=realtime cpu-used=10 end-usage=cbr "
                                  f"target-bitrate={kbps} keyframe-max-dist={gop} "
                                  f"lag-in-frames=0 threads=2 row-mt=true tile-columns=1 "
                                  "min-quantizer=4 max-quantizer=56",  # libaom asserts without
                                  "av1parse"),
    }


def record(sway, path, fps, seconds):
    """The workload's damage-driven frames (I420) into @path; their count."""
    env = dict(os.environ, GST_PLUGIN_PATH=os.path.join(BUILD, "plugins", "wayland"))
    desc = (f'vdiwaylandsrc display="{sway.socket}" show-cursor=false ! '
            f"video/x-raw,framerate={fps}/1 ! videoconvert ! video/x-raw,format=I420 ! "
            f"filesink location={path}")
    proc = subprocess.Popen(["gst-launch-1.0", "-q", "-e", *db.split_launch(desc)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env,
                            start_new_session=True)
    time.sleep(seconds)
    os.killpg(proc.pid, 2)
    proc.wait(timeout=30)


def encode(clip, width, height, fps, fragment, parser, out):
    """Encodes @clip; (cpu seconds, wall seconds, bytes)."""
    tail = f"! {parser} " if parser else ""
    desc = (f"filesrc location={clip} ! rawvideoparse width={width} height={height} "
            f"format=i420 framerate={fps}/1 ! {fragment} {tail}! matroskamux ! "
            f"filesink location={out}")
    t0 = time.monotonic()
    proc = subprocess.Popen(["gst-launch-1.0", "-q", *db.split_launch(desc)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.monotonic() - t0
    err = proc.stderr.read()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{fragment}: {err.strip()[-600:]}")
    return usage.ru_utime + usage.ru_stime, wall, os.path.getsize(out)


def ssim(clip, width, height, encoded):
    """SSIM (All) of @encoded, decoded to raw frames first so that the two
    inputs pair frame by frame (their timestamps have other bases)."""
    decoded = encoded + ".yuv"
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-i", encoded, "-f",
                    "rawvideo", "-pix_fmt", "yuv420p", decoded], check=True)
    raw = ["-f", "rawvideo", "-pix_fmt", "yuv420p", "-s", f"{width}x{height}", "-framerate", "30"]
    out = subprocess.run(["ffmpeg", "-hide_banner", "-nostats", *raw, "-i", clip, *raw, "-i",
                          decoded, "-lavfi", "[1:v][0:v]ssim=shortest=1", "-f", "null", "-"],
                         capture_output=True, text=True)
    os.unlink(decoded)
    m = re.search(r"SSIM .* All:([0-9.]+)", out.stderr)
    return float(m.group(1)) if m else float("nan")


def start_workload(sway, name, width, height, fps):
    if name == "video":
        proc = sway.spawn(["gst-launch-1.0", "-q", "videotestsrc", "pattern=zone-plate", "kx2=20",
                           "ky2=20", "kt=1", "is-live=true", "!",
                           f"video/x-raw,width={width},height={height},framerate={fps}/1", "!",
                           "waylandsink"])
        time.sleep(2)
        return [db.Closer(lambda: cb.kill_group(proc))]
    return db.start_workload(sway, name, 8.0)


def main():
    ap = benchlib.rounds_parser(rounds=3, seconds=10, warmup=0)
    ap.add_argument("--width", type=int, default=1280)
    ap.add_argument("--height", type=int, default=720)
    ap.add_argument("--fps", type=int, default=30)
    ap.add_argument("--bitrate", type=int, default=2500)
    ap.add_argument("--workloads", default="typing,video")
    ap.add_argument("--candidates", default="")
    args = ap.parse_args()
    cands = candidates(args.fps, args.bitrate)
    if args.candidates:
        wanted = args.candidates.split(",")
        cands = {k: v for k, v in cands.items() if any(w in k for w in wanted)}
    tmp = tempfile.mkdtemp(prefix="codec-bench-")
    frame = args.width * args.height * 3 // 2
    results = {}
    sway = cb.Sway(args.width, args.height)
    try:
        for workload in args.workloads.split(","):
            clip = os.path.join(tmp, f"{workload}.yuv")
            things = start_workload(sway, workload, args.width, args.height, args.fps)
            try:
                record(sway, clip, args.fps, args.seconds)
            finally:
                for t in things:
                    t.close()
            frames = os.path.getsize(clip) // frame
            if frames < 10:
                sys.exit(f"{workload}: only {frames} frames recorded")
            clip3 = clip + ".x3"
            with open(clip3, "wb") as f:
                for _ in range(3):
                    with open(clip, "rb") as c:
                        shutil.copyfileobj(c, f)
            runs = {k: [] for k in cands}
            quality = {}
            for rnd in range(args.rounds):
                for name, (fragment, parser) in cands.items():
                    out = os.path.join(tmp, "out.mkv")
                    cpu1, wall1, size = encode(clip, args.width, args.height, args.fps, fragment,
                                               parser, out)
                    if rnd == 0:
                        quality[name] = ssim(clip, args.width, args.height, out)
                    cpu3, wall3, _ = encode(clip3, args.width, args.height, args.fps, fragment,
                                            parser, out)
                    # The clip three times less once: the cost of 2 x frames
                    # without start-up, encoder set-up and the first keyframe.
                    runs[name].append({"cpu_ms_per_frame": 1000 * (cpu3 - cpu1) / (2 * frames),
                                       "speed_fps": 2 * frames / max(1e-3, wall3 - wall1),
                                       "kbps": size * 8 / (frames / args.fps) / 1000})
                print(f"{workload}: round {rnd + 1}/{args.rounds} done", file=sys.stderr)
            results[workload] = {"frames": frames, "runs": runs, "ssim": quality}
            os.unlink(clip)
            os.unlink(clip3)
    finally:
        sway.close()
        shutil.rmtree(tmp, ignore_errors=True)

    print(f"\n### Software encoders at {args.width}x{args.height}, {args.fps} fps, "
          f"{args.bitrate} kbit/s target ({args.rounds} rounds, medians; "
          f"{os.cpu_count()} cores)\n")
    print("| workload | encoder | CPU ms/frame | cores at "
          f"{args.fps} fps | vs x264 | speed (fps) | kbit/s | SSIM |")
    print("|---|---|---|---|---|---|---|---|")
    for workload, res in results.items():
        base = None
        for name, rs in res["runs"].items():
            ms = statistics.median(r["cpu_ms_per_frame"] for r in rs)
            base = base or ms
            print(f"| {workload} ({res['frames']} frames) | {name} | {ms:.2f} | "
                  f"{ms * args.fps / 1000:.3f} | {ms / base:.2f} | "
                  f"{benchlib.median(rs, 'speed_fps'):.0f} | {benchlib.median(rs, 'kbps'):.0f} | "
                  f"{res['ssim'].get(name, float('nan')):.4f} |")
    print("\nraw:", json.dumps(results))


if __name__ == "__main__":
    main()
