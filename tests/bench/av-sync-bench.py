#!/usr/bin/python3
# gst-vdi A/V sync benchmark (issue 12, docs/benchmarks.md "Sound").
#
# Runs a real vdid (as root, sessions as the test user) and, in a session, an
# app that flashes the screen white and starts a beep at the same instant
# once a second: one GStreamer pipeline, so both sinks present on one clock
#
#   videotestsrc pattern=blink (2 fps: white from each whole second) ! waylandsink fullscreen
#   audiotestsrc wave=ticks (a 10 ms 1 kHz tick at each whole second) ! pulsesink
#
# then reads the session over SRT with ffmpeg for --seconds and finds, in
# the stream's own timestamps, each black->white edge of the picture (mean
# luma per frame, `signalstats`) and each tick onset of the sound (RMS per
# 5 ms block, `astats`). The offset of a flash is (tick onset - white edge):
# positive when the sound comes late. Median and spread over every flash.
#
#   ./scripts/build && python3 tests/bench/av-sync-bench.py [--seconds 15]

import argparse
import importlib.util
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.abspath(os.path.join(HERE, "..", ".."))
BUILD = os.environ.get("VDI_BUILD_ROOT") or os.path.join(SRC, "build")
USER = os.environ.get("VDI_TEST_USER", "vditest")

_spec = importlib.util.spec_from_file_location("sound_bench", os.path.join(HERE, "sound-bench.py"))
sound_bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(sound_bench)
request = sound_bench.request

APP = ("gst-launch-1.0 -q videotestsrc pattern=blink is-live=true timestamp-offset=500000000 "
       "! video/x-raw,framerate=2/1,width=320,height=240 ! videoconvert ! waylandsink fullscreen=true "
       "audiotestsrc wave=ticks tick-interval=1000000000 freq=1000 volume=0.6 is-live=true "
       "samplesperbuffer=240 ! pulsesink latency-time=10000 buffer-time=40000")


def parse_metadata(text, key):
    """(pts_time, value) pairs from ffmpeg's metadata=print output."""
    out, t = [], None
    for line in text.splitlines():
        m = re.search(r"pts_time:([-\d.]+)", line)
        if m:
            t = float(m.group(1))
            continue
        m = re.search(re.escape(key) + r"=([-\w.]+)", line)
        if m and t is not None:
            v = m.group(1)
            out.append((t, float("-inf") if v in ("-inf", "inf") else float(v)))
            t = None
    return out


def edges(series, rising_above):
    """Times where the value crosses @rising_above upwards (first sample above)."""
    out, prev = [], None
    for t, v in series:
        if prev is not None and prev <= rising_above < v:
            out.append(t)
        prev = v
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=15, help="SRT reading time (one flash a second)")
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("run as root: sessions run as the test user")
    tmp = tempfile.mkdtemp(prefix="av-sync-bench-")
    os.chmod(tmp, 0o755)
    hashed = subprocess.run([f"{BUILD}/orchestrator/vdid", "hash-password", "pw"],
                            capture_output=True, text=True, check=True).stdout.strip()
    env = dict(os.environ, GST_PLUGIN_PATH=f"{BUILD}/plugins/wayland:{BUILD}/plugins/session",
               VDID_WEB_ROOT=f"{BUILD}/web/app")
    conf = os.path.join(tmp, "vdid.conf")
    with open(conf, "w") as f:
        f.write(f"[server]\nsrt-listen=127.0.0.1:0\n[users]\n{USER}={hashed}\n"
                f"[sessions]\nwidth=640\nheight=480\nfps=30\nidle-timeout=0\n"
                f"runtime-dir={tmp}/run\n")
    vdid = subprocess.Popen([f"{BUILD}/orchestrator/vdid", "--config", conf, "--listen",
                             "127.0.0.1:0"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            text=True, env=env)
    auth = f"{USER}:pw"
    out = {}
    try:
        base = None
        for line in vdid.stdout:
            m = re.search(r"listening on (http://\S+)/$", line.strip())
            if m:
                base = m.group(1)
                break
        if not base:
            sys.exit("vdid did not start")
        body = json.dumps({"apps": [["/bin/sh", "-c", "exec " + APP]]})
        sid = json.loads(request("POST", f"{base}/api/v1/sessions", auth, body)[1])["id"]
        while True:
            s = json.loads(request("GET", f"{base}/api/v1/sessions/{sid}", auth)[1])
            if s["state"] != "starting":
                break
            time.sleep(0.05)
        if s["state"] != "running":
            sys.exit(f"session: {s}")
        url = s["urls"]["srt"] + f":{USER}:pw&timeout=20000000"
        time.sleep(2)  # the app's window is up and fullscreen
        # One read, both streams: the same TS, the same timestamps.
        cmd = ["ffmpeg", "-v", "error", "-nostdin", "-i", url, "-t", str(args.seconds),
               "-filter_complex",
               "[0:v:0]signalstats,metadata=print:key=lavfi.signalstats.YAVG:file=/dev/stderr[v];"
               "[0:a:0]aformat=channel_layouts=mono,asetnsamples=n=240:p=0,"
               "astats=metadata=1:reset=1,"
               "ametadata=print:key=lavfi.astats.Overall.RMS_level:file=/dev/stderr[a]",
               "-map", "[v]", "-map", "[a]", "-f", "null", "-"]
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=args.seconds + 60)
        text = res.stderr
        luma = parse_metadata(text, "lavfi.signalstats.YAVG")
        rms = parse_metadata(text, "lavfi.astats.Overall.RMS_level")
        if not luma or not rms:
            sys.exit(f"ffmpeg read nothing: {text[-1500:]}")
        lo, hi = min(v for _, v in luma), max(v for _, v in luma)
        white = edges(luma, (lo + hi) / 2)
        ticks = edges([(t, v) for t, v in rms], -30.0)  # dBFS: silence is -inf
        offsets = []
        for tv in white:
            near = [ta - tv for ta in ticks if abs(ta - tv) < 0.4]
            if near:
                offsets.append(1000 * min(near, key=abs))
        out["frames"] = len(luma)
        out["luma_range"] = [round(lo, 1), round(hi, 1)]
        out["flashes"] = len(white)
        out["ticks"] = len(ticks)
        out["offsets_ms"] = [round(o, 1) for o in offsets]
        if offsets:
            out["offset_ms_median"] = round(statistics.median(offsets), 1)
            out["offset_ms_min"] = round(min(offsets), 1)
            out["offset_ms_max"] = round(max(offsets), 1)
        # The frame interval bounds the resolution of a video edge.
        if len(luma) > 1:
            out["frame_interval_ms"] = round(1000 * (luma[-1][0] - luma[0][0]) / (len(luma) - 1), 1)
        request("DELETE", f"{base}/api/v1/sessions/{sid}", auth)
    finally:
        vdid.terminate()
        vdid.wait(20)
        subprocess.run(["rm", "-rf", tmp])
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
