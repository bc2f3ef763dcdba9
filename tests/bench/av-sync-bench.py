#!/usr/bin/python3
# gst-vdi A/V sync benchmark (issue 12, docs/benchmarks.md "Sound").
#
# Runs a real vdid (as root, sessions as the test user) and, in a session,
# an app that flashes the screen white and starts a beep at the same instant
# every PERIOD seconds: tests/bench/beeper.py --flash, which paces a
# PulseAudio stream (pacat, 10 ms) by the clock and, at the time a beep's
# first sample should play, tells a fullscreen tests/clients/vdi-test-client
# to paint white (black again when the beep ends; it logs when the white
# frame is committed). It then reads the session over SRT with ffmpeg for
# --seconds and finds, in the stream's own timestamps, each black->white edge
# of the picture (mean luma per frame, `signalstats`) and each beep onset of
# the sound (RMS per 5 ms block, `astats`, -30 dBFS). The offset of a beep
# is (beep onset - the nearest white edge): positive when the sound comes
# late. Median and spread over every beep, and the spread of the beeps'
# intervals (PERIOD in the app), which says how steady the audio timestamps
# are. The client's own error: the white frame is committed
# client_commit_after_beep_ms after the beep's chunk was written (both are
# logged), plus one compositor frame.
#
# (Until round 2 session 8 the app was `videotestsrc pattern=blink !
# waylandsink` + `audiotestsrc wave=ticks ! pulsesink`; its picture showed
# one of its half-period frames late, so the offsets were +-PERIOD/2.)
#
#   ./scripts/build && python3 tests/bench/av-sync-bench.py [--seconds 30] [--period 2]

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

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402

HERE, SRC, BUILD, USER = benchlib.HERE, benchlib.SRC, benchlib.BUILD, benchlib.TEST_USER

_spec = importlib.util.spec_from_file_location("sound_bench", os.path.join(HERE, "sound-bench.py"))
sound_bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(sound_bench)
request = sound_bench.request

# One flash and beep every PERIOD seconds (offsets are unambiguous within
# +-PERIOD/2).
PERIOD = 2


def app(beeper, period, count):
    return (f'exec /usr/bin/python3 {beeper} "$XDG_RUNTIME_DIR/beeps.log" --period {period} '
            f'--count {count} --flash {BUILD}/tests/vdi-test-client')


def parse_metadata(text, key):
    """(pts_time, value) pairs from ffmpeg's metadata=print output."""
    out, t = [], None
    for line in text.splitlines():
        m = re.search(r"pts_time:([-\d.]+)", line)
        if m:
            t = float(m.group(1))
            continue
        m = re.search(re.escape(key) + r"=(\S+)", line)
        if m and t is not None:
            try:
                value = float(m.group(1))
            except ValueError:  # "-inf", "-", "nan": silence
                value = float("-inf")
            out.append((t, value))
            t = None
    return out


def edges(series, rising_above, refractory=0.3):
    """Times where the value crosses @rising_above upwards (first sample
    above), at most one per @refractory seconds (a beep's RMS dips)."""
    out, prev = [], None
    for t, v in series:
        if prev is not None and prev <= rising_above < v and (not out or t - out[-1] > refractory):
            out.append(t)
        prev = v
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=30, help="SRT reading time")
    ap.add_argument("--period", type=int, default=PERIOD,
                    help="seconds between flashes (offsets are unambiguous within +-period/2)")
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("run as root: sessions run as the test user")
    tmp = tempfile.mkdtemp(prefix="av-sync-bench-")
    os.chmod(tmp, 0o755)
    beeper = os.path.join(tmp, "beeper.py")
    with open(os.path.join(HERE, "beeper.py")) as f, open(beeper, "w") as b:
        b.write(f.read())
    os.chmod(beeper, 0o755)
    hashed = subprocess.run([f"{BUILD}/orchestrator/vdid", "hash-password", "pw"],
                            capture_output=True, text=True, check=True).stdout.strip()
    env = dict(os.environ, GST_PLUGIN_PATH=f"{BUILD}/plugins/wayland:{BUILD}/plugins/session",
               VDID_WEB_ROOT=f"{BUILD}/web/app")
    conf = os.path.join(tmp, "vdid.conf")
    with open(conf, "w") as f:
        f.write(f"[server]\nsrt-listen=127.0.0.1:0\n[users]\n{USER}={hashed}\n"
                f"[sessions]\nwidth=640\nheight=480\nfps=30\nidle-timeout=0\n"
                f"runtime-dir={tmp}/run\n")
    vdid, base = benchlib.start_vdid(conf, env)
    auth = f"{USER}:pw"
    out = {}
    try:
        count = int(args.seconds / args.period) + 4
        body = json.dumps({"apps": [["/bin/sh", "-c", app(beeper, args.period, count) +
                                     ' 2> "$XDG_RUNTIME_DIR/app.log"']]})
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
        try:
            with open(f"{tmp}/run/{sid}/app.log") as f:
                app_log = f.read()
        except OSError:
            app_log = ""
        if not luma or not rms:
            sys.exit(f"ffmpeg read nothing: {text[-1500:]}; the app said: {app_log[-1500:]}")
        try:
            with open(f"{tmp}/run/{sid}/beeps.log") as f:
                written = [float(l) for l in f if l.strip()]
            with open(f"{tmp}/run/{sid}/beeps.log.flash") as f:
                committed = [float(l) for l in f if l.strip()]
            skew = [1000 * (c - w) for w, c in zip(written, committed)]
            if skew:
                out["client_commit_after_beep_ms_median"] = round(statistics.median(skew), 1)
                out["client_commit_after_beep_ms_range"] = [round(min(skew)), round(max(skew))]
        except OSError:
            pass
        lo, hi = min(v for _, v in luma), max(v for _, v in luma)
        white = edges(luma, (lo + hi) / 2, args.period / 2)
        ticks = edges([(t, v) for t, v in rms], -30.0)  # dBFS: silence is -inf
        # Each beep against the nearest flash (unambiguous within +-period/2).
        offsets = []
        for ta in ticks:
            if white:
                offsets.append(1000 * min((ta - tv for tv in white), key=abs))
        # Unwrapped (one flash a period), the offsets show a drift: its slope
        # (ms per second of stream) and the offset at the first beep.
        unwrapped = offsets[:1]
        for o in offsets[1:]:
            o += 1000 * args.period * round((unwrapped[-1] - o) / (1000 * args.period))
            unwrapped.append(o)
        if len(unwrapped) > 2:
            n = len(unwrapped)
            mt = sum(ticks[:n]) / n
            mo = sum(unwrapped) / n
            slope = sum((t - mt) * (o - mo) for t, o in zip(ticks, unwrapped)) / sum(
                (t - mt) ** 2 for t in ticks[:n])
            out["drift_ms_per_s"] = round(slope, 1)
            out["offset_ms_first"] = round(unwrapped[0], 1)
            out["offsets_unwrapped_ms"] = [round(o) for o in unwrapped]
        gaps = [1000 * (b - a) for a, b in zip(ticks, ticks[1:])]
        if len(gaps) > 1:
            out["beep_interval_ms_median"] = round(statistics.median(gaps), 1)
            out["beep_interval_ms_stdev"] = round(statistics.stdev(gaps), 1)
        if not white or not ticks:
            print(f"the app said: {app_log[-1500:]}", file=sys.stderr)
        out["white_at"] = [round(t, 3) for t in white]
        out["beep_at"] = [round(t, 3) for t in ticks]
        out["frames"] = len(luma)
        out["luma_range"] = [round(lo, 1), round(hi, 1)]
        out["flashes"] = len(white)
        out["ticks"] = len(ticks)
        out["offsets_ms"] = [round(o, 1) for o in offsets]
        if offsets:
            out["offset_ms_median"] = round(statistics.median(offsets), 1)
            out["offset_ms_min"] = round(min(offsets), 1)
            out["offset_ms_max"] = round(max(offsets), 1)
        # Samples the stream carries per second of its audio timestamps: 1.0
        # when the session's sound server runs in real time.
        if len(rms) > 1:
            out["audio_samples_per_timestamp_second"] = round(
                len(rms) * 240 / 48000 / (rms[-1][0] - rms[0][0]), 3)
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
